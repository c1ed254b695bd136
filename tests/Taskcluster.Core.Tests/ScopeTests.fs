module Taskcluster.Core.Tests.ScopeTests

open System.Text.Json
open Expecto
open Taskcluster.Core

let private strings name case =
    Vectors.get name (Decode.list Decode.string) case

let private expressionOf name case =
    Vectors.get name Scope.lenientExpressionDecoder case

let private sameSet (actual: string list) (expected: string list) message =
    Expect.equal (List.sort (List.distinct actual)) (List.sort (List.distinct expected)) message

let private vectorTests =
    Vectors.testCases "vectors (taskcluster-lib-scopes)" "scopes.json" (fun case ->
        let op = Vectors.get "op" Decode.string case

        match op with
        | "satisfiesExpression" ->
            let expected = Vectors.get "result" Decode.bool case
            let scopes = strings "scopes" case
            let expression = expressionOf "expression" case
            Expect.equal (Scope.satisfiesExpression scopes expression) expected "one-pass form"
            Expect.equal (ScopeSet.satisfiesExpression (ScopeSet.ofSeq scopes) expression) expected "ScopeSet form"
        | "scopeIntersection" ->
            let result =
                Scope.scopeIntersection (strings "scopes1" case) (strings "scopes2" case)

            sameSet result (strings "result" case) op
        | "scopeUnion" ->
            let result = Scope.scopeUnion (strings "scopes1" case) (strings "scopes2" case)
            sameSet result (strings "result" case) op
        | "normalizeScopeSet" ->
            let result = Scope.normalizeScopeSet (strings "scopes" case)
            sameSet result (strings "result" case) op
        | "removeGivenScopes" ->
            let scopes = strings "scopes" case
            let expression = expressionOf "expression" case
            let expected = Vectors.get "result" (Decode.nullable Decode.json) case
            let encode = Option.map Scope.encodeExpression
            Expect.equal (encode (Scope.removeGivenScopes scopes expression)) expected "one-pass form"

            Expect.equal
                (encode (ScopeSet.removeGivenScopes (ScopeSet.ofSeq scopes) expression))
                expected
                "ScopeSet form"
        | "scopesSatisfying" ->
            let scopes = strings "scopes" case
            let expression = expressionOf "expression" case

            let expected =
                Vectors.get "result" (Decode.nullable (Decode.list Decode.string)) case

            let check (actual: string list option) form =
                match actual, expected with
                | Some a, Some e -> sameSet a e form
                | _ -> Expect.equal actual expected form

            check (Scope.scopesSatisfying scopes expression) "one-pass form"
            check (ScopeSet.scopesSatisfying (ScopeSet.ofSeq scopes) expression) "ScopeSet form"
        | "validScope" ->
            let scope = Vectors.get "scope" Decode.string case
            Expect.equal (Scope.validScope scope) (Vectors.get "result" Decode.bool case) op
        | "scopeCompare" ->
            let a = Vectors.get "a" Decode.string case
            let b = Vectors.get "b" Decode.string case
            Expect.equal (Scope.scopeCompare a b) (Vectors.get "result" Decode.int case) op
        | "validExpression" ->
            let valid =
                Vectors.get "expression" (fun path el -> Ok(Scope.expressionDecoder path el)) case

            Expect.equal (Result.isOk valid) (Vectors.get "result" Decode.bool case) op
        | other -> failtestf "unknown op %s" other)

let tests = testList "Scope" [ vectorTests ]
