/// The generator's entry point: references text in, every generated file out (paths relative
/// to the repository root). Pure, so the staleness test can compare its output with the
/// committed files without writing anything.
module Taskcluster.Generator.Generator

open System.IO
open System.Text
open System.Text.Json
open System.Text.RegularExpressions
open Taskcluster.Core

/// One generated file.
type GeneratedFile =
    {
        /// The path relative to the repository root, with `/` separators.
        Path: string
        /// The content (UTF-8, `\n` line ends).
        Content: string
    }

/// The Taskcluster release the references describe.
[<Literal>]
let TaskclusterVersion = "v106.0.0"

/// The input, as the headers name it.
[<Literal>]
let Source = "../shared/taskcluster/references.json"

/// The route-parameter and query-string patterns, as the headers name them.
[<Literal>]
let RouteParamsSource = "../shared/taskcluster/route-params.json"

/// A JSON document re-serialised compactly, for the emulator to embed.
let private compact (text: string) =
    use doc = JsonDocument.Parse text
    use stream = new MemoryStream()

    do
        use writer = new Utf8JsonWriter(stream, JsonWriterOptions(Indented = false))
        doc.RootElement.WriteTo writer

    Encoding.UTF8.GetString(stream.ToArray()) + "\n"

/// The embedded JSON copies keep the text of a description's absolute links but not their
/// targets: those are third-party sites (a package registry among them, which this repository
/// names nowhere), and nothing the emulator or the tests do depends on a description.
let private withoutExternalLinks (json: string) =
    Regex.Replace(json, @"\[([^\[\]""\\]*)\]\(https?://[^)\s""\\]*\)", "$1")

/// The emulator's embedded copy of the references: re-serialised compactly, so that a fresh
/// clone runs without ../shared.
let emulatorReferences (referencesText: string) =
    withoutExternalLinks (compact referencesText)

/// The emulator's embedded copy of the services' route-parameter and query-string patterns
/// (which the references do not carry), compact like the references.
let emulatorRouteParams (routeParamsText: string) : Result<string, string> =
    try
        Ok(compact routeParamsText)
    with :? JsonException as e ->
        Error $"the route parameters cannot be read: {e.Message}"

/// The worker payload schemas (`../shared/taskcluster/worker-schemas`), as the headers name them.
[<Literal>]
let WorkerSource = "../shared/taskcluster/worker-schemas"

/// Every schema by `$id`: the references' schemas plus the worker payload schemas. A worker
/// schema the references also hold must be the same schema (its title aside: the references'
/// titles name the engine, so they are kept).
let schemas (references: References) (workerSchemas: (string * string) list) : Result<Map<string, Json>, string> =
    let fromReferences = references.Schemas |> Map.map (fun _ s -> s.Json)

    // Compared as JSON values: member order and `1` versus `1.0` do not matter.
    let rec canonical (json: Json) =
        match json with
        | Json.Object members -> Json.Object(members |> List.map (fun (k, v) -> k, canonical v) |> List.sortBy fst)
        | Json.Array items -> Json.Array(List.map canonical items)
        | Json.Integer i -> Json.Number(float i)
        | other -> other

    let withoutTitle (json: Json) =
        match json with
        | Json.Object members -> canonical (Json.Object(members |> List.filter (fun (k, _) -> k <> "title")))
        | other -> canonical other

    workerSchemas
    |> List.fold
        (fun (acc: Result<Map<string, Json>, string>) (file, text) ->
            acc
            |> Result.bind (fun map ->
                match Decode.fromString Decode.json text with
                | Error e -> Error $"the worker schema {file} cannot be read: {e.Describe()}"
                | Ok json ->
                    match json with
                    | Json.Object members ->
                        match members |> List.tryFind (fun (k, _) -> k = "$id") with
                        | Some(_, Json.String id) ->
                            let id = if id.EndsWith "#" then id else id + "#"

                            match map.TryFind id with
                            | Some existing when withoutTitle existing = withoutTitle json -> Ok map
                            | Some _ -> Error $"the worker schema {file} differs from the references' {id}"
                            | None -> Ok(map.Add(id, json))
                        | _ -> Error $"the worker schema {file} has no $id"
                    | _ -> Error $"the worker schema {file} is not an object"))
        (Ok fromReferences)

/// The root schemas of the models: every method's input and output, every exchange's message
/// and every worker payload.
let modelRoots (references: References) (workerSchemas: Map<string, Json>) =
    [
        for api in references.Apis do
            for e in api.Entries do
                match e.Input with
                | Some id -> id
                | None -> ()

                match e.Output with
                | Some(ApiOutput.Schema id) -> id
                | _ -> ()
        for exchanges in references.Exchanges do
            for e in exchanges.Entries do
                e.Schema
        for KeyValue(id, _) in workerSchemas do
            if
                id.StartsWith "/schemas/generic-worker/"
                || id.StartsWith "/schemas/docker-worker/"
            then
                id
    ]
    |> List.distinct
    |> List.sort

/// The schemas the models come from, one compact schema a line, for the model tests (and later
/// validation) so that a fresh clone needs no ../shared to check them.
let schemaBundle (schemas: Map<string, Json>) =
    let lines =
        schemas
        |> Map.toList
        |> List.filter (fun (id, _) -> not (id.StartsWith "/schemas/common/"))
        |> List.map (fun (id, json) -> Encode.toString (Json.String id) + ":" + Encode.toString json)

    withoutExternalLinks ("{\n" + String.concat ",\n" lines + "\n}\n")

/// Every generated file, in a stable order, from the references, the route parameters and the
/// worker payload schemas.
let generate
    (referencesText: string)
    (routeParamsText: string)
    (workerSchemas: (string * string) list)
    : Result<GeneratedFile list, string> =
    match Reference.parseReferences referencesText, emulatorRouteParams routeParamsText with
    | Error e, _ -> Error $"the references cannot be read: {e.Describe()}"
    | _, Error message -> Error message
    | Ok references, Ok routeParams ->
        Model.build references
        |> Result.bind (fun model ->
            schemas references workerSchemas
            |> Result.bind (fun all ->
                Schema.build all (modelRoots references all)
                |> Result.map (fun models -> model, all, models)))
        |> Result.map (fun (model, all, models) ->
            let file path content = { Path = path; Content = content }

            [
                file "src/Taskcluster.Emulator/Generated/references.json" (emulatorReferences referencesText)
                file "src/Taskcluster.Emulator/Generated/route-params.json" routeParams
                for s in model.Services do
                    file
                        $"src/Taskcluster.Services/Generated/{s.Name}.fs"
                        (FSharpEmitter.service Source TaskclusterVersion models s)
                for e in model.ExchangeSets do
                    file
                        $"src/Taskcluster.Services/Generated/{e.Name}.fs"
                        (FSharpEmitter.exchangeSet Source TaskclusterVersion models e)
                for s in model.Services do
                    file
                        $"src/Taskcluster/Generated/{CSharpEmitter.serviceClassName s}.cs"
                        (CSharpEmitter.service Source TaskclusterVersion models s)
                for e in model.ExchangeSets do
                    file
                        $"src/Taskcluster/Generated/{e.Name}.cs"
                        (CSharpEmitter.exchangeSet Source TaskclusterVersion models e)
                file
                    "src/Taskcluster/Generated/GeneratedRegistrations.cs"
                    (CSharpEmitter.registrations Source TaskclusterVersion model)
                for name, components in models.Groups do
                    file
                        $"src/Taskcluster.Models/Generated/{name}.fs"
                        (ModelEmitter.group Source TaskclusterVersion models name components)
                file
                    "src/Taskcluster.Models/Generated/Registry.fs"
                    (ModelEmitter.registry Source TaskclusterVersion models)
                file "src/Taskcluster.Models/Generated/Models.props" (ModelEmitter.compileItems models)
                file "src/Taskcluster.Models/Generated/schemas.json" (schemaBundle all)
                for name, components in models.Groups do
                    file
                        $"src/Taskcluster/Generated/Models/{name}.cs"
                        (CSharpModelEmitter.group Source TaskclusterVersion models components)
                file
                    $"src/Taskcluster/Generated/Models/{CSharpModelEmitter.ContextName}.cs"
                    (CSharpModelEmitter.context Source TaskclusterVersion models)
            ])

/// The folders whose every file the generator owns (a file there that it no longer writes is stale).
let generatedFolders =
    [
        "src/Taskcluster.Services/Generated"
        "src/Taskcluster/Generated"
        "src/Taskcluster.Models/Generated"
        "src/Taskcluster/Generated/Models"
    ]
