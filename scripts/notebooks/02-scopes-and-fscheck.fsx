(**
# Scopes, and property-testing a scope policy

Taskcluster authorises with scopes: a held scope ending in `*` satisfies every scope it is a
prefix of, and methods require expressions (`AllOf`, `AnyOf`). `Taskcluster.Functional.Core`
does that arithmetic exactly as the auth service; `Taskcluster.Functional.Testing` brings FsCheck
generators of scopes and expressions, so a policy of your own can be checked on thousands of
generated cases.
*)
#r "nuget: Taskcluster.Functional.Core, 0.1.0"
#r "nuget: Taskcluster.Functional.Testing, 0.1.0"
#r "nuget: FsCheck, 3.6.0"

open FsCheck
open FsCheck.FSharp
open Taskcluster.Core
open Taskcluster.Testing

(**
A held set and a few required scopes.
*)
let held =
    [
        "queue:create-task:highest:proj-x/*"
        "secrets:get:project/x/*"
        "assume:project:x:ci"
    ]

for required in
    [
        "secrets:get:project/x/token"
        "secrets:get:project/y/token"
        "queue:create-task:highest:proj-x/ci"
    ] do
    printfn "%-40s %b" required (Scope.satisfiesExpression held (ScopeExpression.Scope required))

(**
An expression, and the subset of the held scopes that satisfies it (what a caller would pass as
`authorizedScopes` to act with the least it needs).
*)
let publish =
    ScopeExpression.AllOf
        [
            ScopeExpression.Scope "queue:create-task:highest:proj-x/release"
            ScopeExpression.AnyOf
                [
                    ScopeExpression.Scope "secrets:get:project/x/signing"
                    ScopeExpression.Scope "project:x:admin"
                ]
        ]

printfn "satisfied: %b, by %A" (Scope.satisfiesExpression held publish) (Scope.scopesSatisfying held publish)

(**
## A policy of our own, checked with FsCheck

`canPublish` decides whether a set of scopes may publish. Two properties it must keep, whatever
the scopes: giving someone *more* scopes never takes the right away (monotonicity), and the root
scope `*` always has it. The generators draw scopes from a small alphabet so that prefixes, `*`
endings and `assume:` scopes meet often.
*)
let canPublish (scopes: string list) =
    Scope.satisfiesExpression scopes publish

let monotone =
    Prop.forAll (Arb.fromGen (Gen.zip Scopes.scopeSet Scopes.scopeSet)) (fun (a, b) ->
        not (canPublish a) || canPublish (a @ b))

let rootMayPublish =
    Prop.forAll (Arb.fromGen Scopes.scopeSet) (fun extra -> canPublish ("*" :: extra))

Check.One(Config.QuickThrowOnFailure.WithMaxTest 500, monotone)
Check.One(Config.QuickThrowOnFailure.WithMaxTest 500, rootMayPublish)

(**
The library's own operations agree with each other on generated expressions: an expression is
satisfied exactly when some subset of the held scopes is found for it.
*)
let agree =
    Prop.forAll (Arb.fromGen (Gen.zip Scopes.scopeSet Scopes.expression)) (fun (scopes, expression) ->
        Scope.satisfiesExpression scopes expression = (Scope.scopesSatisfying scopes expression).IsSome)

Check.One(Config.QuickThrowOnFailure.WithMaxTest 500, agree)
printfn "all properties held"
