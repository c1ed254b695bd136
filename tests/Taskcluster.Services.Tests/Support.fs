/// What the service tests share: the repository, the references in ../shared, result helpers.
module Taskcluster.Services.Tests.Support

open System
open System.IO
open System.Text.Json
open System.Threading.Tasks
open Expecto
open Taskcluster.Core
open Taskcluster.TestSupport

/// Runs a task to completion (test bodies are synchronous).
let run (t: Task<'T>) = t.GetAwaiter().GetResult()

/// The value of an `Ok`, failing the test with the error otherwise.
let unwrap what (result: Result<'T, 'E>) =
    match result with
    | Ok v -> v
    | Error e -> failtestf "%s failed: %A" what e

/// The repository root, found once, when a test first needs it.
let repositoryRoot = lazy (RepoRoot.find ())

/// A file under `shared` (see `RepoRoot.shared`); a missing one fails the test that needs it, it
/// never makes it pass.
let sharedFile (relative: string) =
    RepoRoot.sharedFile relative |> Result.defaultWith failtest

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
