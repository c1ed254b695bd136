/// Role expansion with the auth service's rules.
module Taskcluster.Emulator.Tests.RolesTests

open Expecto
open FsCheck
open FsCheck.FSharp
open Taskcluster.Emulator.Internal

let private role id scopes =
    {
        RoleId = id
        Scopes = Array.ofList scopes
    }

let private expand roles scopes =
    Roles.expand (Array.ofList roles) scopes |> List.ofArray

let tests =
    testList
        "Roles"
        [
            test "assume:<role> grants the role's scopes, transitively" {
                let roles = [ role "a" [ "x"; "assume:b" ]; role "b" [ "y" ] ]
                Expect.equal (expand roles [ "assume:a" ] |> set) (set [ "assume:a"; "assume:b"; "x"; "y" ]) "expanded"
            }
            test "a * role is granted to every assume: scope it prefixes, with <..> replaced" {
                let roles = [ role "repo:*" [ "secrets:get:<..>"; "plain" ] ]

                Expect.equal
                    (expand roles [ "assume:repo:github.com/a/b" ] |> set)
                    (set [ "assume:repo:github.com/a/b"; "secrets:get:github.com/a/b"; "plain" ])
                    "param"
            }
            test "a replacement ending in * swallows the rest of the scope" {
                let roles = [ role "repo:*" [ "x:<..>:y" ] ]
                Expect.contains (expand roles [ "assume:repo:ab*" ]) "x:ab*" "kleene"
            }
            test "a * scope covering the role prefix gets every role, parameterised with *" {
                let roles = [ role "repo:*" [ "x:<..>" ]; role "other" [ "o" ] ]
                let result = expand roles [ "assume:*" ]
                Expect.contains result "x:*" "kleene param"
                Expect.contains result "o" "plain role"
            }
            test "a cycle is found" {
                let roles = [| role "a" [ "assume:b" ]; role "b" [ "assume:a" ] |]
                Expect.isSome (Roles.findCycle roles) "cycle"
                Expect.isNone (Roles.findCycle [| role "a" [ "assume:b" ]; role "b" [ "x" ] |]) "no cycle"
            }
            test "parameterised scopes are validated like the auth service does" {
                Expect.isError (Roles.validateRole "a*" [ "x<..><..>" ]) "two params"
                Expect.isError (Roles.validateRole "a*" [ "x*<..>" ]) "ambiguous kleene"
                Expect.isOk (Roles.validateRole "a*" [ "x:<..>:y" ]) "fine"
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
                    let roles =
                        [| role "a" [ "p"; "assume:b" ]; role "b" [ "q" ]; role "r:*" [ "s:<..>" ] |]

                    let once = Roles.expand roles input
                    let twice = Roles.expand roles once

                    once = twice && input |> List.forall (fun s -> Scopes.satisfiesScope once s))
        ]
