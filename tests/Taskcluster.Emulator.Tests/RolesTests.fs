/// Role expansion as the emulator applies it (the core's `Role` behind the auth store's cache).
module Taskcluster.Emulator.Tests.RolesTests

open System
open Expecto
open FsCheck
open FsCheck.FSharp
open Taskcluster.Emulator.Internal

let private storeWith (roles: (string * string list) list) =
    let store = AuthStore()

    for id, scopes in roles do
        let r =
            {
                RoleId = id
                Description = ""
                Scopes = Array.ofList scopes
                Created = DateTimeOffset.UnixEpoch
                LastModified = DateTimeOffset.UnixEpoch
            }

        match store.ChangeRole(id, Some r) with
        | Ok() -> ()
        | Error m -> failtest m

    store

let tests =
    testList
        "Roles"
        [
            test "assume:<role> grants the role's scopes, transitively" {
                let store = storeWith [ "a", [ "x"; "assume:b" ]; "b", [ "y" ] ]
                Expect.equal (store.Expand [ "assume:a" ] |> set) (set [ "assume:a"; "assume:b"; "x"; "y" ]) "expanded"
            }
            test "a * role is granted to every assume: scope it prefixes, with <..> replaced" {
                let store = storeWith [ "repo:*", [ "secrets:get:<..>"; "plain" ] ]

                Expect.equal
                    (store.Expand [ "assume:repo:github.com/a/b" ] |> set)
                    (set [ "assume:repo:github.com/a/b"; "secrets:get:github.com/a/b"; "plain" ])
                    "param"
            }
            test "a * scope covering the role prefix gets every role, parameterised with *" {
                let store = storeWith [ "repo:*", [ "x:<..>" ]; "other", [ "o" ] ]
                let result = store.Expand [ "assume:*" ]
                Expect.contains result "x:*" "kleene param"
                Expect.contains result "o" "plain role"
            }
            test "a change that makes a cycle is refused and leaves the roles as they were" {
                let store = storeWith [ "a", [ "assume:b" ]; "b", [ "x" ] ]

                let cyclic =
                    {
                        RoleId = "b"
                        Description = ""
                        Scopes = [| "assume:a" |]
                        Created = DateTimeOffset.UnixEpoch
                        LastModified = DateTimeOffset.UnixEpoch
                    }

                Expect.isError (store.ChangeRole("b", Some cyclic)) "cycle"
                Expect.contains (store.Expand [ "assume:a" ]) "x" "unchanged"
            }
            test "the expansion cache is dropped when a role changes" {
                let store = storeWith [ "a", [ "x" ] ]
                Expect.contains (store.Expand [ "assume:a" ]) "x" "before"
                store.ChangeRole("a", None) |> ignore
                Expect.isFalse (Array.contains "x" (store.Expand [ "assume:a" ])) "after"
            }
            testPropertyWithConfig
                { FsCheckConfig.defaultConfig with
                    maxTest = 200
                }
                "expansion keeps (or covers) the input and is idempotent"
            <| Prop.forAll
                (Arb.fromGen (
                    Gen.listOfLength 4 (Gen.elements [ "assume:a"; "assume:b"; "x"; "assume:r:q"; "y*"; "assume:*" ])
                ))
                (fun input ->
                    let store =
                        storeWith [ "a", [ "p"; "assume:b" ]; "b", [ "q" ]; "r:*", [ "s:<..>" ] ]

                    let once = store.Expand input
                    let twice = store.Expand once

                    once = twice && input |> List.forall (fun s -> Scopes.satisfiesScope once s))
        ]
