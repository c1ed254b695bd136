/// Reads the reference cases in `../shared/vectors` (produced by the official implementations).
module Taskcluster.Emulator.Tests.Shared

open System.IO
open System.Text.Json.Nodes
open Expecto
open Taskcluster.TestSupport

/// Every case of a vectors file; a missing file fails the test that needs it.
let vectors (file: string) : JsonNode list =
    let path =
        RepoRoot.sharedFile (Path.Combine("vectors", file))
        |> Result.defaultWith failtest

    match JsonNode.Parse(File.ReadAllText path) with
    | :? JsonArray as a when a.Count > 0 -> [ for c in a -> c ]
    | _ -> failtestf "vectors file %s holds no cases" file

/// One test per case.
let testCases (name: string) (file: string) (f: JsonNode -> unit) =
    testList
        name
        [
            for i, case in List.indexed (vectors file) do
                test $"case {i}" { f case }
        ]
