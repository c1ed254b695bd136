(**
---
title: Scopes and property-testing a scope policy
category: Capabilities
categoryindex: 2
index: 3
---
*)
(*** hide ***)
#load ".include/references.fsx"
(**
# Scopes, roles and property-testing a scope policy

The core has Taskcluster's whole scope algebra, pure and total: satisfaction of scope
expressions (`AllOf`/`AnyOf`), normalisation, union and intersection, role expansion from
`auth.listRoles` output, and the templated scope expressions of the API references.
*)
open Taskcluster.Core

let held = [ "queue:create-task:highest:proj-x/*"; "assume:repo:github.com/acme/*" ]

let allowed =
    Scope.satisfiesExpression
        held
        (ScopeExpression.AllOf [ ScopeExpression.Scope "queue:create-task:highest:proj-x/linux" ])

// None when satisfied, else what is missing: here Some (Scope "secrets:get:x").
let lacking =
    Scope.removeGivenScopes held (ScopeExpression.AnyOf [ ScopeExpression.Scope "secrets:get:x" ])

// [ "a:*"; "c" ]: `a:*` covers `a:b`.
let normalized = Scope.normalizeScopeSet [ "a:b"; "a:*"; "c" ]

if not allowed || lacking.IsNone || normalized <> [ "a:*"; "c" ] then
    failwithf "unexpected: %b %A %A" allowed lacking normalized
(**
Checking many expressions against one large set: prepare it once with `ScopeSet.ofSeq`, then each
check takes microseconds.
*)
let set = ScopeSet.ofSeq (List.init 10_000 (sprintf "queue:get-artifact:proj-%d/*"))

let canRead =
    ScopeSet.satisfiesExpression set (ScopeExpression.Scope "queue:get-artifact:proj-42/public/log")
(**
A client's effective scopes, offline, from `auth.listRoles` output, and the `scopes` of an API
method rendered for one call:
*)
let listRolesJson =
    """[{"roleId": "repo:github.com/acme/*", "scopes": ["secrets:get:acme/*"], "description": "",
         "created": "2026-01-01T00:00:00.000Z", "lastModified": "2026-01-01T00:00:00.000Z", "expandedScopes": []}]"""

// Ok [ "assume:repo:github.com/acme/app"; "secrets:get:acme/*" ]: the role's scopes added
let effective =
    Role.parseRoles listRolesJson
    |> Result.bind (fun roles -> Role.expand roles [ "assume:repo:github.com/acme/app" ])

// Ok (AllOf [ Scope "queue:get-task:fN1SbArXTPSVFNUvaOlinQ" ])
let required =
    ScopeTemplate.parse """{"AllOf": ["queue:get-task:<taskId>"]}"""
    |> Result.bind (ScopeTemplate.render (Map [ ("taskId", Json.String "fN1SbArXTPSVFNUvaOlinQ") ]))

printfn "%b %A %A" canRead effective required
(**
## Property-testing your scope policy

`Taskcluster.Functional.Testing` ships the FsCheck generators the project's own property tests
use (`Scopes.scope`, `Scopes.scopeSet`, `Scopes.expression`, `Scopes.template`, `Scopes.roles`,
`Values.slugIdNice`, `Values.offset`, …). With them a policy — roles as your deployment defines
them — can be checked for every input an attacker could choose, not just the ones you thought of.

Here, every repository of an organisation may create low-priority tasks, and only the main
branch of `app` may assume the release role, which holds the release key:
*)
open FsCheck
open FsCheck.FSharp
open Taskcluster.Testing

let role id scopes =
    Role.create id scopes |> Result.defaultWith (fun e -> failwith (e.Describe()))

let policy =
    [
        role "repo:github.com/acme/*" [ "queue:route:index.acme.<..>.*"; "queue:create-task:low:proj-acme/ci" ]
        role "repo:github.com/acme/app:branch:main" [ "assume:project:app:release" ]
        role "project:app:release" [ "secrets:get:project/app/release-key"; "queue:create-task:highest:proj-acme/release" ]
    ]

let expandedScopes held =
    Role.expand policy held |> Result.defaultWith (fun e -> failwith (e.Describe()))

let releaseKey = ScopeExpression.Scope "secrets:get:project/app/release-key"

/// Repository names as an attacker might choose them.
let names =
    Gen.elements ([ 'a' .. 'z' ] @ [ '0' .. '9' ] @ [ ':'; '/'; '*'; '-'; '.'; '<'; '>' ])
    |> Gen.nonEmptyListOf
    |> Gen.map (fun cs -> System.String(Array.ofList cs))

/// No pull request of any repository, whatever other (non-wildcard) scopes it holds, can read
/// the release key.
let noPullRequestReadsTheKey =
    Prop.forAll (Arb.fromGen (Gen.zip names Scopes.scopeSet)) (fun (repo, extra) ->
        let unrelated =
            extra |> List.filter (fun s -> not (s.Contains '*' || s.StartsWith "assume"))

        let held = $"assume:repo:github.com/acme/{repo}:pull-request" :: unrelated
        not (Scope.satisfiesExpression (expandedScopes held) releaseKey))

Check.One(Config.QuickThrowOnFailure.WithMaxTest 1000, noPullRequestReadsTheKey)
(**
`Check.One` throws when a property fails, printing the smallest counter-example it found; with
Expecto, `testProperty` does the same inside a test. And the main branch can read the key:
*)
if not (Scope.satisfiesExpression (expandedScopes [ "assume:repo:github.com/acme/app:branch:main" ]) releaseKey) then
    failwith "the main branch cannot release"
(**
The same properties run in the repository's tests (`PolicyExampleTests.fs`) with Expecto's
`testProperty`. From C#, `Scopes.SatisfiesExpression`, `Scopes.Normalize` and friends cover the
same core.
*)
