/// What the service tests share: the repository, the references in ../shared, result helpers.
module Taskcluster.Services.Tests.Support

open System
open System.IO
open System.Text.Json
open System.Threading.Tasks
open Expecto
open Taskcluster.Core

/// Runs a task to completion (test bodies are synchronous).
let run (t: Task<'T>) = t.GetAwaiter().GetResult()

/// The value of an `Ok`, failing the test with the error otherwise.
let unwrap what (result: Result<'T, 'E>) =
    match result with
    | Ok v -> v
    | Error e -> failtestf "%s failed: %A" what e

/// The repository root: the folder holding Taskcluster.Functional.sln above the test binary.
let repositoryRoot =
    lazy
        (let rec up (dir: DirectoryInfo) =
            match dir with
            | null -> failtest "cannot find Taskcluster.Functional.sln above the test binary"
            | d when File.Exists(Path.Combine(d.FullName, "Taskcluster.Functional.sln")) -> d.FullName
            | d -> up d.Parent

         up (DirectoryInfo AppContext.BaseDirectory))

/// A file under `shared` (`TASKCLUSTER_SHARED`, else `../shared` beside the repository); a missing
/// one fails the test that needs it, it never makes it pass.
let sharedFile (relative: string) =
    let shared =
        match Environment.GetEnvironmentVariable "TASKCLUSTER_SHARED" with
        | null
        | "" -> Path.GetFullPath(Path.Combine(repositoryRoot.Force(), "..", "shared"))
        | dir -> dir

    let path = Path.Combine(shared, relative)

    if not (File.Exists path) then
        failtestf "%s is missing: put the shared folder beside the repository (or set TASKCLUSTER_SHARED)" path

    path

/// The text of `../shared/taskcluster/references.json`, the generator's input.
let referencesText =
    lazy (File.ReadAllText(sharedFile "taskcluster/references.json"))

/// The services' route-parameter and query-string patterns, as the generator reads them.
let routeParamsText =
    lazy (File.ReadAllText(sharedFile "taskcluster/route-params.json"))

/// The worker payload schemas (`../shared/taskcluster/worker-schemas/*.json`): file name and text.
let workerSchemaTexts =
    lazy
        (let dir = Path.GetDirectoryName(sharedFile "taskcluster/worker-schemas/README.md")

         Directory.GetFiles(dir, "*.json")
         |> Array.sort
         |> Array.map (fun p -> Path.GetFileName p, File.ReadAllText p)
         |> List.ofArray)

/// The references, decoded by the core.
let references =
    lazy
        (Reference.parseReferences (referencesText.Force())
         |> unwrap "parsing references.json")

/// Every case of a vectors file.
let vectors (file: string) : JsonElement list =
    let text = File.ReadAllText(sharedFile (Path.Combine("vectors", file)))

    match Decode.fromString (Decode.list Decode.element) text with
    | Ok cases when not cases.IsEmpty -> cases
    | Ok _ -> failtestf "vectors file %s holds no cases" file
    | Error e -> failtestf "vectors file %s cannot be read: %s" file (e.Describe())

/// A member of a vector case.
let get (name: string) (decoder: Decoder<'T>) (case: JsonElement) =
    Decode.fromElement (Decode.field name decoder) case
    |> unwrap $"reading '{name}' of {case.GetRawText()}"

/// An optional member of a vector case.
let tryGet (name: string) (decoder: Decoder<'T>) (case: JsonElement) =
    Decode.fromElement (Decode.optionalField name decoder) case
    |> unwrap $"reading '{name}' of {case.GetRawText()}"

/// The generated F# service type of an API, e.g. `Taskcluster.Services.Queue` for `queue`.
let serviceType (reference: ApiReference) =
    let name = $"Taskcluster.Services.{reference.ClassName}"

    match typeof<Taskcluster.Services.ApiClient>.Assembly.GetType name with
    | null -> failtestf "no generated type %s" name
    | t -> t

/// The generated F# type of an exchange set, e.g. `Taskcluster.Services.QueueEvents`.
let exchangesType (reference: ExchangeReference) =
    let name = $"Taskcluster.Services.{reference.ClassName}"

    match typeof<Taskcluster.Services.ApiClient>.Assembly.GetType name with
    | null -> failtestf "no generated type %s" name
    | t -> t
