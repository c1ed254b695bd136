module Taskcluster.Core.Tests.ScopeTests

open Expecto
open FsCheck
open FsCheck.FSharp
open Taskcluster.Core
open Taskcluster.Testing

let private config =
    { FsCheckConfig.defaultConfig with
        maxTest = 500
    }

/// Random JSON shaped like the inputs of the scope, template and role decoders (their member
/// names, strings with control and non-ASCII characters, odd numbers, nesting): for hostile-input
/// properties in this file and the template and role tests.
let hostileJson: Gen<Json> =
    let names =
        [
            "AnyOf"
            "AllOf"
            "for"
            "in"
            "each"
            "if"
            "then"
            "else"
            "roleId"
            "scopes"
            "roles"
            ""
            "x"
        ]

    let text =
        Gen.frequency
            [
                3, Scopes.scope
                1, Gen.elements [ ""; "\u0000"; "a\nb"; "caf\u00e9"; "\ud800"; "<x>"; "<..>"; "assume:*" ]
                1,
                ArbMap.generate<string> ArbMap.defaults
                |> Gen.map (fun s -> if isNull s then "" else s)
            ]

    let leaf =
        Gen.oneof
            [
                Gen.constant Json.Null
                Gen.elements [ true; false ] |> Gen.map Json.Bool
                ArbMap.generate<int64> ArbMap.defaults |> Gen.map Json.Integer
                Gen.elements [ 0.5; -1e300; 1e-7 ] |> Gen.map Json.Number
                text |> Gen.map Json.String
            ]

    let rec build depth =
        if depth <= 0 then
            leaf
        else
            let child = build (depth - 1)

            Gen.frequency
                [
                    2, leaf
                    2, Gen.resize 4 (Gen.listOf child) |> Gen.map Json.Array
                    3,
                    Gen.resize 4 (Gen.listOf (Gen.zip (Gen.elements names) child))
                    |> Gen.map Json.Object
                ]

    Gen.sized (fun size -> build (min 6 (size / 8 + 1)))

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

let private unitTests =
    testList
        "examples"
        [
            testCase "scopeCompare puts a trailing * before the end of the text"
            <| fun () ->
                // The ordering lib-scopes documents for its comparator.
                let documented = [ "*"; ""; "a*"; "a"; "a("; "aa"; "b" ]

                for shuffled in [ List.rev documented; [ "a"; "b"; "*"; "aa"; ""; "a("; "a*" ] ] do
                    Expect.equal (List.sortWith Scope.scopeCompare shuffled) documented "sorted"

            testCase "normalisation absorbs what a star scope covers"
            <| fun () ->
                Expect.equal (Scope.normalizeScopeSet [ "ab"; "a**"; "a*"; "b"; "a*"; "a" ]) [ "a*"; "b" ] "a* wins"
                Expect.equal (Scope.normalizeScopeSet [ "a**"; "a*b"; "a*" ]) [ "a*" ] "a* covers a**"
                Expect.equal (Scope.normalizeScopeSet [ "a*b"; "a**" ]) [ "a**" ] "a** covers a*b"
                Expect.equal (Scope.normalizeScopeSet [ "ab"; "a**" ]) [ "a**"; "ab" ] "but not ab"

            testCase "a required star scope needs a held star scope at or above it"
            <| fun () ->
                Expect.isTrue (Scope.satisfiesExpression [ "a*" ] (ScopeExpression.Scope "ab*")) "a* gives ab*"
                Expect.isTrue (Scope.satisfiesExpression [ "ab*" ] (ScopeExpression.Scope "ab*")) "itself"
                Expect.isFalse (Scope.satisfiesExpression [ "ab" ] (ScopeExpression.Scope "ab*")) "ab is no star"
                Expect.isFalse (Scope.satisfiesExpression [ "abc*" ] (ScopeExpression.Scope "ab*")) "narrower"

            testCase "empty AnyOf is never satisfied, empty AllOf always"
            <| fun () ->
                Expect.isFalse (Scope.satisfiesExpression [ "*" ] (ScopeExpression.AnyOf [])) "AnyOf []"
                Expect.isTrue (Scope.satisfiesExpression [] (ScopeExpression.AllOf [])) "AllOf []"

            testCase "removeGivenScopes names what is missing"
            <| fun () ->
                let expression =
                    ScopeExpression.AllOf
                        [
                            ScopeExpression.Scope "queue:create-task:x"
                            ScopeExpression.AnyOf [ ScopeExpression.Scope "a"; ScopeExpression.Scope "b" ]
                            ScopeExpression.Scope "secrets:get:y"
                        ]

                let missing = Scope.removeGivenScopes [ "queue:*" ] expression

                Expect.equal
                    missing
                    (Some(
                        ScopeExpression.AllOf
                            [
                                ScopeExpression.AnyOf [ ScopeExpression.Scope "a"; ScopeExpression.Scope "b" ]
                                ScopeExpression.Scope "secrets:get:y"
                            ]
                    ))
                    "the two unsatisfied parts"

            testCase "decoding names the path and the bad value"
            <| fun () ->
                match Scope.parseExpression """{"AllOf":["a",{"AnyOf":["ok","tab\t"]}]}""" with
                | Error(ScopeError.InvalidExpression e) ->
                    Expect.equal e.Path "$.AllOf[1].AnyOf[1]" "path"
                    Expect.stringContains (e.Describe()) "'tab\\t'" "quoted"
                | other -> failtestf "got %A" other

                match Scope.parseExpression """{"AllOf":[],"AnyOf":[]}""" with
                | Error(ScopeError.InvalidExpression e) -> Expect.stringContains (e.Describe()) "AnyOf" "members named"
                | other -> failtestf "got %A" other

                match Scope.parseExpression "[\"a\"]" with
                | Error(ScopeError.InvalidExpression e) ->
                    Expect.equal
                        e.Reason
                        (DecodeReason.WrongType("a scope or an {AnyOf|AllOf: [...]} object", "an array"))
                        "type"
                | other -> failtestf "got %A" other

            testCase "validateScope and Describe quote the scope on one line"
            <| fun () ->
                match Scope.validateScope "a\nb" with
                | Error e ->
                    let text = e.Describe()
                    Expect.stringContains text "'a\\nb'" "quoted"
                    Expect.isFalse (text.Contains "\n") "one line"
                | Ok _ -> failtest "accepted"

                Expect.equal (Scope.validateScope null) (Error(ScopeError.InvalidScope null)) "null"
                Expect.isFalse (Scope.validScope null) "null is not a scope"

            testCase "null inputs are treated as empty, never thrown on"
            <| fun () ->
                Expect.isFalse (Scope.satisfiesExpression null (ScopeExpression.Scope "a")) "null held"
                Expect.equal (Scope.normalizeScopeSet [ null; "a" ]) [ "a" ] "null entry dropped"
                Expect.isFalse ((ScopeSet.ofSeq [ "*" ]).Satisfies null) "null required"
                Expect.isFalse (Scope.scopeMatch [ "*" ] Unchecked.defaultof<_>) "null sets"

            testCase "deep or huge input is a typed error"
            <| fun () ->
                let deep =
                    String.replicate 10_000 "{\"AnyOf\":[" + "\"a\"" + String.replicate 10_000 "]}"

                Expect.isError (Scope.parseExpression deep) "deep"
                let wide = "{\"AnyOf\":[" + String.replicate 200_000 "\"a\"," + "3]}"
                Expect.isError (Scope.parseExpression wide) "wide with a bad element"

            testCase "a prepared set answers for large sets"
            <| fun () ->
                let held = Gen.sample 1 (Scopes.largeScopeSet 10_000) |> Seq.head
                let set = ScopeSet.ofSeq held

                let required =
                    ScopeExpression.AllOf
                        [
                            for s in held |> List.filter (fun s -> s.EndsWith '*') |> List.skip 100 |> List.take 20 ->
                                ScopeExpression.Scope(s.TrimEnd '*' + "x")
                        ]

                Expect.isTrue (set.SatisfiesExpression required) "prepared"
                Expect.isTrue (Scope.satisfiesExpression held required) "one pass"
                Expect.isFalse (set.Satisfies "queue:create-task:nothing") "absent"
        ]

let private naiveSatisfies (held: string list) expression =
    let rec go e =
        match e with
        | ScopeExpression.Scope s -> held |> List.exists (fun h -> Scope.patternMatch h s)
        | ScopeExpression.AllOf es -> List.forall go es
        | ScopeExpression.AnyOf es -> List.exists go es

    go expression

let rec private leaves expression =
    match expression with
    | ScopeExpression.Scope s -> [ s ]
    | ScopeExpression.AnyOf es
    | ScopeExpression.AllOf es -> List.collect leaves es

let private asSet (scopes: string list) = Set.ofList scopes

let private set = Arb.fromGen Scopes.scopeSet
let private twoSets = Arb.fromGen (Gen.zip Scopes.scopeSet Scopes.scopeSet)

let private setAndExpression =
    Arb.fromGen (Gen.zip Scopes.scopeSet Scopes.expression)

let private lawTests =
    testList
        "laws"
        [
            testPropertyWithConfig config "normalize is idempotent"
            <| Prop.forAll set (fun s ->
                Scope.normalizeScopeSet (Scope.normalizeScopeSet s) = Scope.normalizeScopeSet s)

            testPropertyWithConfig config "normalize gives a sorted set in which no scope satisfies another"
            <| Prop.forAll set (fun s ->
                let n = Scope.normalizeScopeSet s

                List.pairwise n |> List.forall (fun (a, b) -> Scope.scopeCompare a b < 0)
                && n
                   |> List.forall (fun a -> n |> List.forall (fun b -> a = b || not (Scope.patternMatch a b))))

            testPropertyWithConfig config "normalize preserves satisfaction"
            <| Prop.forAll setAndExpression (fun (s, e) ->
                Scope.satisfiesExpression s e = Scope.satisfiesExpression (Scope.normalizeScopeSet s) e)

            testPropertyWithConfig config "union is idempotent"
            <| Prop.forAll twoSets (fun (a, b) ->
                let u = Scope.scopeUnion a b
                Scope.scopeUnion a a = Scope.normalizeScopeSet a && Scope.scopeUnion u b = u)

            testPropertyWithConfig config "union is commutative"
            <| Prop.forAll twoSets (fun (a, b) -> asSet (Scope.scopeUnion a b) = asSet (Scope.scopeUnion b a))

            testPropertyWithConfig config "union satisfies everything either side satisfies, and no more"
            <| Prop.forAll (Arb.fromGen (Gen.zip3 Scopes.scopeSet Scopes.scopeSet Scopes.expression)) (fun (a, b, e) ->
                let u = Scope.scopeUnion a b
                let either = Scope.satisfiesExpression a e || Scope.satisfiesExpression b e

                (not either || Scope.satisfiesExpression u e)
                && u |> List.forall (fun s -> List.contains s a || List.contains s b))

            testPropertyWithConfig config "intersection is idempotent"
            <| Prop.forAll twoSets (fun (a, b) ->
                let i = Scope.scopeIntersection a b

                // Only this form: satisfaction is not transitive through a star (`**` satisfies `*`,
                // which satisfies `~`, but `**` does not), so re-intersecting may grow.
                asSet (Scope.scopeIntersection a a) = asSet a && List.distinct i = i)

            testPropertyWithConfig config "intersection is commutative"
            <| Prop.forAll twoSets (fun (a, b) ->
                asSet (Scope.scopeIntersection a b) = asSet (Scope.scopeIntersection b a))

            testPropertyWithConfig config "every scope of the intersection is satisfied by both sides"
            <| Prop.forAll twoSets (fun (a, b) ->
                Scope.scopeIntersection a b
                |> List.forall (fun s ->
                    naiveSatisfies a (ScopeExpression.Scope s)
                    && naiveSatisfies b (ScopeExpression.Scope s)))

            testPropertyWithConfig config "a * scope satisfies exactly the scopes with its prefix"
            <| Prop.forAll (Arb.fromGen (Gen.zip Scopes.plainScope Scopes.scope)) (fun (prefix, s) ->
                let set = ScopeSet.ofSeq [ prefix + "*" ]
                let expected = s.StartsWith(prefix, System.StringComparison.Ordinal)

                set.Satisfies s = expected
                && Scope.satisfiesExpression [ prefix + "*" ] (ScopeExpression.Scope(prefix + s)))

            testPropertyWithConfig config "ScopeSet and the one-pass form agree with a naive oracle"
            <| Prop.forAll setAndExpression (fun (s, e) ->
                let expected = naiveSatisfies s e
                let prepared = ScopeSet.ofSeq s

                ScopeSet.satisfiesExpression prepared e = expected
                && Scope.satisfiesExpression s e = expected
                && ScopeSet.removeGivenScopes prepared e = Scope.removeGivenScopes s e
                && ScopeSet.scopesSatisfying prepared e = Scope.scopesSatisfying s e)

            testPropertyWithConfig config "ScopeSet agrees with the oracle on large sets"
            <| Prop.forAll
                (Arb.fromGen (Gen.zip (Gen.map2 (@) (Scopes.largeScopeSet 300) Scopes.scopeSet) Scopes.expression))
                (fun (s, e) -> ScopeSet.satisfiesExpression (ScopeSet.ofSeq s) e = naiveSatisfies s e)

            testPropertyWithConfig config "removeGivenScopes is None exactly when satisfied"
            <| Prop.forAll setAndExpression (fun (s, e) ->
                (Scope.removeGivenScopes s e).IsNone = Scope.satisfiesExpression s e)

            testPropertyWithConfig config "what removeGivenScopes leaves is unsatisfied, and adding it satisfies"
            <| Prop.forAll setAndExpression (fun (s, e) ->
                match Scope.removeGivenScopes s e with
                | None -> true
                | Some missing ->
                    // Adding the missing scopes helps unless an empty AnyOf makes it unsatisfiable.
                    not (Scope.satisfiesExpression s missing)
                    && Scope.satisfiesExpression (s @ leaves missing) e = Scope.satisfiesExpression [ "*" ] e)

            testPropertyWithConfig config "scopesSatisfying gives held-satisfied scopes that satisfy the expression"
            <| Prop.forAll setAndExpression (fun (s, e) ->
                match Scope.scopesSatisfying s e with
                | None -> not (Scope.satisfiesExpression s e)
                | Some used ->
                    Scope.satisfiesExpression used e
                    && used |> List.forall (fun u -> naiveSatisfies s (ScopeExpression.Scope u)))

            testPropertyWithConfig config "scopeMatch agrees with AnyOf of AllOf"
            <| Prop.forAll
                (Arb.fromGen (
                    Gen.zip Scopes.scopeSet (Gen.resize 4 (Gen.listOf (Gen.resize 4 (Gen.listOf Scopes.scope))))
                ))
                (fun (held, dnf) ->
                    let expression =
                        ScopeExpression.AnyOf
                            [
                                for conj in dnf -> ScopeExpression.AllOf(List.map ScopeExpression.Scope conj)
                            ]

                    Scope.scopeMatch held dnf = Scope.satisfiesExpression held expression)

            testPropertyWithConfig config "scopeCompare is a total order consistent with equality"
            <| Prop.forAll (Arb.fromGen (Gen.three Scopes.scope)) (fun (a, b, c) ->
                let cmp = Scope.scopeCompare
                let sorted = List.sortWith cmp [ a; b; c ]

                sign (cmp a b) = -sign(cmp b a)
                && (cmp a b = 0) = (a = b)
                && List.pairwise sorted |> List.forall (fun (x, y) -> cmp x y <= 0)
                && cmp sorted[0] sorted[2] <= 0)

            testPropertyWithConfig config "expressions round-trip through JSON"
            <| Prop.forAll (Arb.fromGen Scopes.expression) (fun e ->
                Scope.parseExpression (Encode.toString (Scope.encodeExpression e)) = Ok e)

            testPropertyWithConfig config "hostile JSON is a typed error or an expression, never an exception"
            <| Prop.forAll (Arb.fromGen hostileJson) (fun json ->
                let text = Encode.toString json

                match Scope.parseExpression text, Decode.fromString Scope.lenientExpressionDecoder text with
                | Ok strict, Ok lenient -> strict = lenient && Scope.validExpression strict
                | Error e, _ -> e.Describe().Length > 0
                | Ok _, Error _ -> false)

            testPropertyWithConfig config "hostile text never throws"
            <| fun (text: string) ->
                match Scope.parseExpression text with
                | Ok e -> Scope.validExpression e
                | Error e -> e.Describe().Length > 0
        ]

let tests = testList "Scope" [ vectorTests; unitTests; lawTests ]
