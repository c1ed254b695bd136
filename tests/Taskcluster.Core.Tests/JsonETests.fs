/// JSON-e: the language's own specification (every case of `../shared/json-e/specification.json`,
/// "now" fixed as the specification says), the limits, and properties over hostile input.
module Taskcluster.Core.Tests.JsonETests

open System
open System.IO
open Expecto
open FsCheck
open FsCheck.FSharp
open Taskcluster.Core

/// The instant the specification's cases were written against.
let specNow = DateTimeOffset(2017, 1, 19, 16, 27, 20, 974, TimeSpan.Zero)

type SpecCase =
    {
        Name: string
        Context: Json
        Template: Json
        Expected: Result<Json, string option>
    }

let private field name (members: (string * Json) list) =
    members |> List.tryFind (fst >> (=) name) |> Option.map snd

/// The cases, each named by its section and title (numbered when a name repeats).
let specCases =
    lazy
        (let text = File.ReadAllText(Vectors.sharedFile "json-e/specification.json")

         let items =
             match Decode.fromString Decode.json text with
             | Ok(Json.Array items) -> items
             | other -> failtestf "specification.json is not an array: %A" other

         let mutable section = ""
         let seen = Collections.Generic.Dictionary<string, int>()

         [
             for item in items do
                 match item with
                 | Json.Object members ->
                     match field "section" members, field "title" members with
                     | Some(Json.String s), _ -> section <- s
                     | _, Some(Json.String title) ->
                         let baseName = $"{section} / {title}"

                         let name =
                             match seen.TryGetValue baseName with
                             | true, n ->
                                 seen[baseName] <- n + 1
                                 $"{baseName} ({n + 1})"
                             | _ ->
                                 seen[baseName] <- 1
                                 baseName

                         let expected =
                             match field "error" members, field "result" members with
                             | Some(Json.String e), _ -> Error(Some e)
                             | Some(Json.Bool true), _ -> Error None
                             | _, Some r -> Ok r
                             | _, None -> Ok Json.Null

                         yield
                             {
                                 Name = name
                                 Context = field "context" members |> Option.defaultValue (Json.Object [])
                                 Template = field "template" members |> Option.defaultValue Json.Null
                                 Expected = expected
                             }
                     | _ -> ()
                 | _ -> ()
         ])

/// The kind as the specification's error strings spell it.
let kindName (kind: JsonEErrorKind) =
    match kind with
    | JsonEErrorKind.SyntaxError -> "SyntaxError"
    | JsonEErrorKind.TypeError -> "TypeError"
    | JsonEErrorKind.InterpreterError -> "InterpreterError"
    | JsonEErrorKind.TemplateError -> "TemplateError"
    | JsonEErrorKind.BuiltinError -> "BuiltinError"
    | JsonEErrorKind.PlainError -> "Error"
    | JsonEErrorKind.LimitExceeded -> "LimitExceeded"

let runCase (case: SpecCase) =
    let actual =
        JsonE.render (JsonEValue.ofJson case.Template) (JsonEValue.ofJson case.Context) specNow

    match case.Expected, actual with
    | Ok expected, Ok value ->
        Expect.equal value (JsonEValue.ofJson expected) $"result of {Encode.toString case.Template}"
    | Ok expected, Error e -> failtestf "expected %s, got %s" (Encode.toString expected) (e.Describe())
    | Error _, Ok value ->
        failtestf "expected an error, got %s" (JsonEValue.toJson value |> Result.map Encode.toString |> string)
    | Error None, Error _ -> ()
    | Error(Some expected), Error e ->
        // The kind must match; so must the whole message, as the reference writes it.
        let expectedKind = expected.Split([| ' '; ':' |]).[0]
        Expect.equal (kindName e.Kind) expectedKind "error kind"
        Expect.equal (e.Describe()) expected "error message"

let specTests =
    testList "specification" [ for case in specCases.Force() -> testCase case.Name (fun () -> runCase case) ]

let private obj = JsonEValue.ofMembers
let private str = JsonEValue.String
let private num = JsonEValue.Number
let private empty = JsonEValue.ofMembers []

let private renderOk template context =
    match JsonE.render template context specNow with
    | Ok v -> v
    | Error e -> failtestf "render failed: %s" (e.Describe())

let private renderError template context =
    match JsonE.render template context specNow with
    | Ok v -> failtestf "expected an error, got %A" v
    | Error e -> e

let private eval expression = obj [ "$eval", str expression ]

/// Small limits, so that hostile templates reach them quickly.
let private tight =
    {
        MaxDepth = 32
        MaxWork = 200_000L
        MaxOutputSize = 20_000L
    }

let private cases n =
    { FsCheckConfig.defaultConfig with
        maxTest = n
    }

/// Renders within limits and checks the promises: no exception, an `Ok` result within the
/// output cap, an error of a known kind otherwise.
let private withinLimits (limits: JsonELimits) (template: JsonEValue) (context: JsonEValue) =
    let outcome =
        try
            Choice1Of2(JsonE.renderWith limits template context specNow)
        with e ->
            Choice2Of2 e

    match outcome with
    | Choice2Of2 e -> failtestf "render threw %s: %s" (e.GetType().Name) e.Message
    | Choice1Of2(Ok v) -> JsonE.size v <= limits.MaxOutputSize
    | Choice1Of2(Error e) -> not (String.IsNullOrEmpty e.Message)

let limitTests =
    testList
        "limits"
        [
            testCase "a template nested deeper than MaxDepth is LimitExceeded, not a stack overflow"
            <| fun () ->
                let deep =
                    Seq.fold (fun t _ -> JsonEValue.Array [| t |]) (str "x") (seq { 1..100_000 })

                let e = renderError deep empty
                Expect.equal e.Kind JsonEErrorKind.LimitExceeded (e.Describe())
                Expect.stringContains e.Message "256" "names the limit"

            testCase "an expression nested deeper than MaxDepth is LimitExceeded"
            <| fun () ->
                for source in
                    [
                        String('(', 50_000) + "1"
                        String('-', 50_000) + "1"
                        String.replicate 50_000 "2**" + "1"
                    ] do
                    let e = renderError (eval source) empty
                    Expect.equal e.Kind JsonEErrorKind.LimitExceeded (e.Describe())

            testCase "a long left-leaning chain is evaluated within MaxDepth or refused, never overflowing"
            <| fun () ->
                let e = renderError (eval (String.replicate 100_000 "1+" + "1")) empty
                Expect.equal e.Kind JsonEErrorKind.LimitExceeded (e.Describe())
                Expect.equal (renderOk (eval (String.replicate 100 "1+" + "1")) empty) (num 101.0) "100 additions"

            testCase "a value doubling in $reduce runs out of work instead of memory"
            <| fun () ->
                for body in [ "acc + acc"; "[acc, acc]" ] do
                    let template =
                        obj
                            [
                                "$reduce", eval "range(0, 200)"
                                "initial", str "ab"
                                "each(acc, x)", eval body
                            ]

                    let e = renderError template empty
                    Expect.equal e.Kind JsonEErrorKind.LimitExceeded (e.Describe())

            testCase "a huge range is refused before it is allocated, even with an unlimited work budget"
            <| fun () ->
                let e = renderError (eval "range(0, 1000000000)") empty
                Expect.equal e.Kind JsonEErrorKind.LimitExceeded (e.Describe())

                let unlimitedWork =
                    { JsonEValue.defaultLimits with
                        MaxWork = Int64.MaxValue
                    }

                match JsonE.renderWith unlimitedWork (eval "range(0, 4000000000)") empty specNow with
                | Error e -> Expect.equal e.Kind JsonEErrorKind.LimitExceeded (e.Describe())
                | Ok _ -> failtest "a range of 4e9 items was built"

            testCase "a result over MaxOutputSize is LimitExceeded; one under it renders"
            <| fun () ->
                let template = eval "range(0, 1000)"
                let small = { tight with MaxOutputSize = 500L }

                match JsonE.renderWith small template empty specNow with
                | Error e -> Expect.equal e.Kind JsonEErrorKind.LimitExceeded (e.Describe())
                | Ok _ -> failtest "1,001 values passed a cap of 500"

                match JsonE.renderWith { tight with MaxOutputSize = 1001L } template empty specNow with
                | Ok(JsonEValue.Array items) -> Expect.equal items.Length 1000 "all of the range"
                | other -> failtestf "expected the range, got %A" other

            testPropertyWithConfig (cases 2_000) "hostile and exhausting templates never throw and respect the caps"
            <| Prop.forAll
                (Arb.fromGen (Gen.zip Taskcluster.Testing.JsonE.bombTemplate Taskcluster.Testing.JsonE.context))
                (fun (t, c) -> withinLimits tight t c)

            testPropertyWithConfig (cases 3_000) "hostile expressions never throw, in $eval and in interpolation"
            <| Prop.forAll
                (Arb.fromGen (Gen.zip Taskcluster.Testing.JsonE.hostileExpression Taskcluster.Testing.JsonE.context))
                (fun (e, c) -> withinLimits tight (eval e) c && withinLimits tight (str $"${{{e}}}") c)

            testPropertyWithConfig (cases 2_000) "generated templates never throw within the default limits"
            <| Prop.forAll
                (Arb.fromGen (Gen.zip (Taskcluster.Testing.JsonE.template 4) Taskcluster.Testing.JsonE.context))
                (fun (t, c) -> withinLimits JsonEValue.defaultLimits t c)
        ]

let apiTests =
    testList
        "api"
        [
            testCase "the specification runner fails on a wrong result and on a wrong error"
            <| fun () ->
                let case =
                    {
                        Name = "probe"
                        Context = Json.Object [ "a", Json.Integer 1L ]
                        Template = Json.Object [ "$eval", Json.String "a + 1" ]
                        Expected = Ok(Json.Integer 3L)
                    }

                Expect.throws (fun () -> runCase case) "a wrong result is caught"

                Expect.throws
                    (fun () ->
                        runCase
                            { case with
                                Expected = Error(Some "SyntaxError: nope")
                            })
                    "an error expected where there is none is caught"

                runCase
                    { case with
                        Expected = Ok(Json.Integer 2L)
                    }

            testCase "objects keep JavaScript's key order: array indices first, then insertion order"
            <| fun () ->
                match renderOk (obj [ "b", num 1.0; "a", num 2.0; "10", num 3.0; "2", num 4.0 ]) empty with
                | JsonEValue.Object o -> Expect.sequenceEqual o.Keys [ "2"; "10"; "b"; "a" ] "key order"
                | other -> failtestf "not an object: %A" other

            testCase "renderJson writes integral results as integers"
            <| fun () ->
                let result =
                    JsonE.renderJson
                        (Json.Object
                            [
                                "n", Json.Object [ "$eval", Json.String "a * 2" ]
                                "h", Json.Object [ "$eval", Json.String "a / 4" ]
                            ])
                        (Json.Object [ "a", Json.Integer 3L ])
                        specNow

                Expect.equal result (Ok(Json.Object [ "n", Json.Integer 6L; "h", Json.Number 0.75 ])) "numbers"

            testCase "a caller's function is callable from expressions; its error is an InterpreterError"
            <| fun () ->
                let double =
                    JsonEFunction.Create(
                        "double",
                        fun args ->
                            match args with
                            | [ JsonEValue.Number n ] -> Ok(JsonEValue.Number(2.0 * n))
                            | _ -> Error "double wants one number"
                    )

                let context = obj [ "double", JsonEValue.Function double ]
                Expect.equal (renderOk (eval "double(21)") context) (num 42.0) "called"
                let e = renderError (eval "double('x')") context
                Expect.equal (e.Kind, e.Message) (JsonEErrorKind.InterpreterError, "double wants one number") "error"
                let e = renderError (eval "double") context
                Expect.equal e.Message "evaluated template contained uncalled functions" "uncalled"

            testCase "a context that is not an object, or has keys that are not identifiers, is a TemplateError"
            <| fun () ->
                Expect.equal (renderError (str "x") (num 1.0)).Message "context must be an object" "not an object"
                let e = renderError (str "x") (obj [ "a-b", num 1.0 ])
                Expect.equal e.Kind JsonEErrorKind.TemplateError (e.Describe())

            testCase "now comes from the caller, unless the context sets it"
            <| fun () ->
                let later = specNow.AddDays 1.0
                let template = obj [ "$fromNow", str "1 hour" ]

                Expect.equal (JsonE.render template empty later) (Ok(str "2017-01-20T17:27:20.974Z")) "the caller's now"

                Expect.equal
                    (JsonE.render template (obj [ "now", str "2000-01-01T00:00:00.000Z" ]) later)
                    (Ok(str "2000-01-01T01:00:00.000Z"))
                    "the context's now"

            testCase "errors carry the template path and the kind"
            <| fun () ->
                let e =
                    renderError (obj [ "tasks", JsonEValue.Array [| obj [ "a b", eval "1 + missing" ] |] ]) empty

                Expect.equal e.Path "template.tasks[0][\"a b\"]" "path"
                Expect.equal e.Kind JsonEErrorKind.InterpreterError "kind"

                Expect.equal
                    (e.Describe())
                    "InterpreterError at template.tasks[0][\"a b\"]: unknown context value missing"
                    "text"
                // JavaScript's own TypeErrors carry no template path in the reference.
                let e = renderError (obj [ "name", eval "1 +" ]) empty
                Expect.equal (e.Kind, e.Path) (JsonEErrorKind.TypeError, "template") "a TypeError"

            testCase "evaluate answers one expression's value"
            <| fun () ->
                Expect.equal (JsonE.evaluate "len(x) + 1" (obj [ "x", str "é😀" ]) specNow) (Ok(num 3.0)) "code points"

            testPropertyWithConfig (cases 500) "values survive toJson and ofJson"
            <| Prop.forAll (Arb.fromGen (Taskcluster.Testing.JsonE.value 4)) (fun v ->
                match JsonEValue.toJson v with
                | Ok j -> JsonEValue.ofJson j = v
                | Error _ -> false)
        ]

let tests = testList "JsonE" [ specTests; limitTests; apiTests ]
