/// Reads the reference cases in `../shared/vectors` (produced by the official implementations).
module Taskcluster.Emulator.Tests.Shared

open System
open System.IO
open System.Text.Json.Nodes
open Expecto

let private repositoryRoot =
    lazy
        (let rec up (dir: DirectoryInfo) =
            match dir with
            | null -> None
            | d when File.Exists(Path.Combine(d.FullName, "Taskcluster.Functional.sln")) -> Some d.FullName
            | d -> up d.Parent

         up (DirectoryInfo AppContext.BaseDirectory))

/// `TASKCLUSTER_SHARED` if set, else `../shared` beside the repository.
let sharedFolder () =
    match Environment.GetEnvironmentVariable "TASKCLUSTER_SHARED" with
    | null
    | "" ->
        match repositoryRoot.Force() with
        | Some root -> Path.GetFullPath(Path.Combine(root, "..", "shared"))
        | None -> failtest "cannot find Taskcluster.Functional.sln above the test binary"
    | dir -> dir

/// Every case of a vectors file; a missing file fails the test that needs it.
let vectors (file: string) : JsonNode list =
    let path = Path.Combine(sharedFolder (), "vectors", file)

    if not (File.Exists path) then
        failtestf "reference file %s is missing: put the shared folder beside the repository" path

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
