/// JSON-e: the language's own specification (every case of `../shared/json-e/specification.json`,
/// "now" fixed as the specification says), the limits, and properties over hostile input.
module Taskcluster.Core.Tests.JsonETests

open System
open System.IO
open Expecto
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

let tests = testList "JsonE" [ specTests ]
