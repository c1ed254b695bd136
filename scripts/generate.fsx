// Generates the committed files derived from the Taskcluster references
// (`../shared/taskcluster/references.json`, or the path in TASKCLUSTER_REFERENCES, with the
// `route-params.json` and the worker payload schemas in `worker-schemas/` beside it): the
// emulator's copies of the references and route parameters, the F# service clients
// (src/Taskcluster.Services/Generated), the typed models (src/Taskcluster.Models/Generated) and
// the C# facade (src/Taskcluster/Generated). Run through `dotnet fsi build.fsx generate`, which builds
// the generator (scripts/Taskcluster.Generator) first. Output is deterministic: running it twice
// changes nothing, and a test fails when the committed output is stale.

#r "Taskcluster.Generator/bin/Release/net10.0/FsToolkit.ErrorHandling.dll"
#r "Taskcluster.Generator/bin/Release/net10.0/Taskcluster.Core.dll"
#r "Taskcluster.Generator/bin/Release/net10.0/Taskcluster.Generator.dll"

open System
open System.IO
open Taskcluster.Generator

let root = Path.GetFullPath(Path.Combine(__SOURCE_DIRECTORY__, ".."))

let referencesPath =
    match Environment.GetEnvironmentVariable "TASKCLUSTER_REFERENCES" with
    | null
    | "" -> Path.GetFullPath(Path.Combine(root, "..", "shared", "taskcluster", "references.json"))
    | p -> p

if not (File.Exists referencesPath) then
    eprintfn "references not found at %s (set TASKCLUSTER_REFERENCES)" referencesPath
    exit 1

// The route parameters sit beside the references (the same release, the same folder).
let routeParamsPath =
    Path.Combine(Path.GetDirectoryName referencesPath, "route-params.json")

if not (File.Exists routeParamsPath) then
    eprintfn "route parameters not found at %s" routeParamsPath
    exit 1

/// Writes a file only when its content changes, so timestamps stay put for unchanged output.
let write (relative: string) (content: string) =
    let path = Path.Combine(root, relative)
    Directory.CreateDirectory(Path.GetDirectoryName path) |> ignore

    let existing = if File.Exists path then File.ReadAllText path else null

    if existing <> content then
        File.WriteAllText(path, content)
        printfn "wrote %s" relative
    else
        printfn "unchanged %s" relative

// The worker payload schemas sit beside the references.
let workerSchemas =
    let dir = Path.Combine(Path.GetDirectoryName referencesPath, "worker-schemas")

    if not (Directory.Exists dir) then
        eprintfn "worker payload schemas not found at %s" dir
        exit 1

    Directory.GetFiles(dir, "*.json")
    |> Array.sort
    |> Array.map (fun p -> Path.GetFileName p, File.ReadAllText p)
    |> List.ofArray

match Generator.generate (File.ReadAllText referencesPath) (File.ReadAllText routeParamsPath) workerSchemas with
| Error message ->
    eprintfn "generation failed: %s" message
    exit 1
| Ok files ->
    for file in files do
        write file.Path file.Content

    // A file in a generated folder that the generator no longer writes (a service removed
    // upstream) would otherwise linger and still compile.
    let written =
        files |> List.map (fun f -> Path.GetFullPath(Path.Combine(root, f.Path))) |> set

    for folder in Generator.generatedFolders do
        let dir = Path.Combine(root, folder)

        if Directory.Exists dir then
            for path in Directory.GetFiles dir do
                if not (written.Contains(Path.GetFullPath path)) then
                    File.Delete path
                    printfn "deleted %s" (Path.GetRelativePath(root, path))
