/// The README's example of property-testing a scope policy with Taskcluster.Testing: roles as a
/// deployment might define them, and laws the policy must keep whatever the repository name.
module Taskcluster.Core.Tests.PolicyExampleTests

open Expecto
open FsCheck
open FsCheck.FSharp
open Taskcluster.Core
open Taskcluster.Testing

let private role id scopes =
    match Role.create id scopes with
    | Ok r -> r
    | Error e -> failtest (e.Describe())

/// Every repository of the organisation may index its own tasks and create low-priority tasks;
/// only the main branch of `app` may assume the release role, which holds the release key.
let policy =
    [
        role "repo:github.com/acme/*" [ "queue:route:index.acme.<..>.*"; "queue:create-task:low:proj-acme/ci" ]
        role "repo:github.com/acme/app:branch:main" [ "assume:project:app:release" ]
        role
            "project:app:release"
            [
                "secrets:get:project/app/release-key"
                "queue:create-task:highest:proj-acme/release"
            ]
    ]

let private expandedScopes held =
    match Role.expand policy held with
    | Ok scopes -> scopes
    | Error e -> failtest (e.Describe())

let private releaseKey = ScopeExpression.Scope "secrets:get:project/app/release-key"

/// Repository and branch names as an attacker might choose them: any printable ASCII.
let private names =
    Gen.elements ([ 'a' .. 'z' ] @ [ '0' .. '9' ] @ [ ':'; '/'; '*'; '-'; '.'; '<'; '>' ])
    |> Gen.nonEmptyListOf
    |> Gen.map (fun cs -> System.String(Array.ofList cs))

let private config =
    { FsCheckConfig.defaultConfig with
        maxTest = 1000
    }

let tests =
    testList
        "Policy example"
        [
            testPropertyWithConfig config "no pull request of any repository can read the release key"
            <| Prop.forAll (Arb.fromGen (Gen.zip names Scopes.scopeSet)) (fun (repo, extra) ->
                // Unrelated scopes a client may hold as well (none of them a wildcard or an assume:).
                let unrelated =
                    extra |> List.filter (fun s -> not (s.Contains '*' || s.StartsWith "assume"))

                let held = $"assume:repo:github.com/acme/{repo}:pull-request" :: unrelated
                not (Scope.satisfiesExpression (expandedScopes held) releaseKey))

            testPropertyWithConfig config "each repository may only route to its own index namespace"
            <| Prop.forAll (Arb.fromGen names) (fun repo ->
                let scopes = expandedScopes [ $"assume:repo:github.com/acme/{repo}:pull-request" ]

                Scope.satisfiesExpression
                    scopes
                    (ScopeExpression.Scope $"queue:route:index.acme.{repo}:pull-request.x")
                && not (Scope.satisfiesExpression scopes (ScopeExpression.Scope "queue:route:index.acme.other.x")))

            testCase "the main branch of app can read the release key"
            <| fun () ->
                let scopes = expandedScopes [ "assume:repo:github.com/acme/app:branch:main" ]
                Expect.isTrue (Scope.satisfiesExpression scopes releaseKey) "main branch releases"
        ]
