/// Loads the reference cases in `../shared/vectors` (produced by the official implementations).
/// A missing folder fails the tests that need it; it never makes them pass silently.
module Taskcluster.Core.Tests.Vectors

open System.IO
open System.Text.Json
open Expecto
open Taskcluster.Core
open Taskcluster.TestSupport

/// The full path of a file under `shared` (see `RepoRoot.shared`), failing the test when it is
/// missing.
let sharedFile (relative: string) =
    RepoRoot.sharedFile relative |> Result.defaultWith failtest

/// Every case of a vectors file, each detached from its document.
let load (file: string) : JsonElement list =
    let text = File.ReadAllText(sharedFile (Path.Combine("vectors", file)))

    match Decode.fromString (Decode.list Decode.element) text with
    | Ok cases when not cases.IsEmpty -> cases
    | Ok _ -> failtestf "vectors file %s holds no cases" file
    | Error e -> failtestf "vectors file %s cannot be read: %s" file (e.Describe())

/// Reads one member of a case, failing the test with the decode error when it is malformed.
let get (name: string) (decoder: Decoder<'T>) (case: JsonElement) : 'T =
    match Decode.fromElement (Decode.field name decoder) case with
    | Ok v -> v
    | Error e -> failtestf "malformed vector case %s: %s" (case.GetRawText()) (e.Describe())

/// Reads an optional member of a case.
let tryGet (name: string) (decoder: Decoder<'T>) (case: JsonElement) : 'T option =
    match Decode.fromElement (Decode.optionalField name decoder) case with
    | Ok v -> v
    | Error e -> failtestf "malformed vector case %s: %s" (case.GetRawText()) (e.Describe())

/// True when the case expects the official implementation to reject its input.
let expectsError (case: JsonElement) =
    tryGet "error" Decode.bool case = Some true

/// A short label for a case, for test names.
let label (case: JsonElement) =
    let compact =
        match Decode.fromElement Decode.json case with
        | Ok json -> Encode.toString json
        | Error _ -> case.GetRawText()

    if compact.Length <= 100 then
        compact
    else
        compact.Substring(0, 97) + "..."

/// One test per case, named by the case, so a failure points at the exact vector.
let testCases (name: string) (file: string) (check: JsonElement -> unit) =
    let cases =
        try
            Ok(load file)
        with e ->
            Error e.Message

    match cases with
    | Ok cases ->
        testList
            name
            [
                for i, case in List.indexed cases -> testCase $"#{i} {label case}" (fun () -> check case)
            ]
    | Error message -> testCase name (fun () -> failtest message)
