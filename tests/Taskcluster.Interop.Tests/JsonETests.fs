/// JSON-e differential tests: thousands of generated templates and contexts rendered by our core
/// and by the official JavaScript implementation (`json-e`, pinned in scripts/interop), results
/// and errors compared one by one.
module Taskcluster.Interop.Tests.JsonETests

open System
open System.Diagnostics
open System.IO
open System.Text
open Expecto
open FsCheck
open FsCheck.FSharp
open Taskcluster.Core
open Taskcluster.Interop.Tests.Node

/// The instant both sides render at (passed to json-e as the context's `now`).
let now = DateTimeOffset(2017, 1, 19, 16, 27, 20, 974, TimeSpan.Zero)

let private nowText = FromNow.format now

let requireJsonE () =
    let manifest = Path.Combine(interopDir (), "node_modules", "json-e", "package.json")

    if not (File.Exists manifest) then
        failtest "scripts/interop/node_modules/json-e is missing: run `dotnet fsi build.fsx interop`"

let private toJson (value: JsonEValue) =
    match JsonEValue.toJson value with
    | Ok j -> j
    | Error e -> failtestf "generated value has no JSON form: %s" e

/// Runs scripts/interop/jsone.mjs on one request and parses its answer.
let runNode (request: Json) : Json =
    requireJsonE ()
    use p = start "jsone.mjs"
    let stderr = p.StandardError.ReadToEndAsync()
    let stdout = p.StandardOutput.ReadToEndAsync()
    p.StandardInput.Write(Encode.toString request)
    p.StandardInput.Close()
    p.WaitForExit()

    if p.ExitCode <> 0 then
        failtestf "jsone.mjs exited with %d: %s" p.ExitCode stderr.Result

    match Decode.fromString Decode.json stdout.Result with
    | Ok j -> j
    | Error e -> failtestf "jsone.mjs answered something that is not JSON: %s" (e.Describe())

/// What one side gave: a result (as JSON, member order kept) or an error's kind and text.
type Outcome =
    | Rendered of Json
    | Failed of kind: string * text: string

// Lone surrogates are spelled <U+XXXX> on both sides (jsone.mjs does the same), as strict JSON
// decoding refuses them.
let spell (s: string) =
    let sb = StringBuilder()

    for i in 0 .. s.Length - 1 do
        let c = s[i]

        let paired =
            (Char.IsHighSurrogate c && i + 1 < s.Length && Char.IsLowSurrogate s[i + 1])
            || (Char.IsLowSurrogate c && i > 0 && Char.IsHighSurrogate s[i - 1])

        if Char.IsSurrogate c && not paired then
            sb.Append($"<U+{int c:X}>") |> ignore
        else
            sb.Append c |> ignore

    sb.ToString()

// JSON numbers compare as doubles: `1` from one side and `1.0` from the other are the same.
let rec private normalize (json: Json) =
    match json with
    | Json.Integer i -> Json.Number(float i)
    | Json.String s -> Json.String(spell s)
    | Json.Array items -> Json.Array(List.map normalize items)
    | Json.Object members -> Json.Object(members |> List.map (fun (k, v) -> spell k, normalize v))
    | j -> j

let private kindName (kind: JsonEErrorKind) =
    match kind with
    | JsonEErrorKind.SyntaxError -> "SyntaxError"
    | JsonEErrorKind.TypeError -> "TypeError"
    | JsonEErrorKind.InterpreterError -> "InterpreterError"
    | JsonEErrorKind.TemplateError -> "TemplateError"
    | JsonEErrorKind.BuiltinError -> "BuiltinError"
    | JsonEErrorKind.PlainError -> "Error"
    | JsonEErrorKind.LimitExceeded -> "LimitExceeded"

let ours (template: JsonEValue) (context: JsonEValue) =
    match JsonE.render template context now with
    | Ok v -> Rendered(normalize (toJson v))
    | Error e -> Failed(kindName e.Kind, spell (e.Describe()))

let private theirs (answer: Json) =
    match answer with
    | Json.Object members ->
        match List.tryFind (fst >> (=) "ok") members, List.tryFind (fst >> (=) "error") members with
        | Some(_, v), _ -> Rendered(normalize v)
        | _, Some(_, Json.Object e) ->
            let get name =
                match List.tryFind (fst >> (=) name) e with
                | Some(_, Json.String s) -> s
                | _ -> ""

            Failed(get "name", get "text")
        | _ -> failtestf "unexpected answer %s" (Encode.toString answer)
    | _ -> failtestf "unexpected answer %s" (Encode.toString answer)

/// The context the reference sees: ours plus `now`, so that it never reads its clock.
let withNow (context: JsonEValue) =
    match context with
    | JsonEValue.Object o when not (o.ContainsKey "now") ->
        JsonEValue.ofMembers (
            ("now", JsonEValue.String nowText)
            :: [ for kv in o.Members -> kv.Key, kv.Value ]
        )
    | c -> c

/// Renders every case on both sides; answers the disagreements, described.
let differences (cases: (JsonEValue * JsonEValue) list) =
    let request =
        Json.Object
            [
                "cases",
                Json.Array
                    [
                        for template, context in cases ->
                            Json.Object [ "template", toJson template; "context", toJson (withNow context) ]
                    ]
            ]

    let answers =
        match runNode request with
        | Json.Array items -> items
        | other -> failtestf "jsone.mjs answered %s" (Encode.toString other)

    Expect.equal answers.Length cases.Length "one answer per case"

    let rendered =
        answers
        |> List.filter (fun a ->
            match theirs a with
            | Rendered _ -> true
            | _ -> false)
        |> List.length

    printfn "json-e rendered %d of %d cases (the others are errors)" rendered cases.Length

    [
        for (template, context), answer in List.zip cases answers do
            let o = ours template context
            let t = theirs answer

            // Deliberate difference: a function turned into text is `function name() { [native
            // code] }` here and the function's JavaScript source there.
            let functionText =
                match o with
                | Rendered j -> (Encode.toString j).Contains "[native code]"
                | Failed(_, text) -> text.Contains "[native code]"

            if o <> t && not functionText then
                yield
                    $"template {Encode.toString (toJson template)} context {Encode.toString (toJson context)}: ours {o}, theirs {t}"
    ]

let private sample seed count (gen: Gen<'T>) =
    Gen.sampleWithSeed (Rnd(seed)) 10 count gen |> List.ofArray

let private report name (cases: (JsonEValue * JsonEValue) list) =
    let diffs = differences cases

    for d in diffs |> List.truncate 40 do
        printfn "disagreement: %s" d

    printfn "%s: %d cases, %d disagreements" name cases.Length diffs.Length
    Expect.isEmpty diffs $"{diffs.Length} of {cases.Length} renders differ from json-e"

let tests () =
    testList
        "JsonE"
        [
            testCase "generated templates render as json-e 4.8.4 renders them (3,000 cases)"
            <| fun () ->
                let cases =
                    sample
                        20261202UL
                        3000
                        (Gen.zip (Taskcluster.Testing.JsonE.template 3) Taskcluster.Testing.JsonE.context)

                report "templates" cases

            testCase "generated expressions evaluate as json-e 4.8.4 evaluates them (3,000 cases)"
            <| fun () ->
                let cases =
                    sample 77UL 3000 (Gen.zip Taskcluster.Testing.JsonE.anyExpression Taskcluster.Testing.JsonE.context)
                    |> List.map (fun (e, c) -> JsonEValue.ofMembers [ "$eval", JsonEValue.String e ], c)

                report "expressions" cases

            testCase "templates with mostly well-typed expressions render as json-e 4.8.4 renders them (3,000 cases)"
            <| fun () ->
                let cases =
                    sample
                        31UL
                        3000
                        (Gen.zip
                            (Taskcluster.Testing.JsonE.templateOf Taskcluster.Testing.JsonE.typedExpression 3)
                            Taskcluster.Testing.JsonE.context)

                report "typed templates" cases

            testCase "the benchmark's .taskcluster.yml renders as json-e 4.8.4 renders it"
            <| fun () ->
                let path =
                    Path.Combine(repoRoot.Force(), "tests", "Taskcluster.Benchmarks", "taskcluster-yml.json")

                match Decode.fromString Decode.json (File.ReadAllText path) with
                | Ok(Json.Object members) ->
                    let get name =
                        members |> List.find (fst >> (=) name) |> snd |> JsonEValue.ofJson

                    report "taskcluster.yml" [ get "template", get "context" ]
                | other -> failtestf "%s is not a JSON object: %A" path other

            testCase "interpolated strings render as json-e 4.8.4 renders them (2,000 cases)"
            <| fun () ->
                let cases =
                    sample 5UL 2000 (Gen.zip Taskcluster.Testing.JsonE.anyExpression Taskcluster.Testing.JsonE.context)
                    |> List.map (fun (e, c) -> JsonEValue.ofMembers [ "v", JsonEValue.String $"<${{{e}}}> $${{x}}" ], c)

                report "interpolations" cases
        ]
