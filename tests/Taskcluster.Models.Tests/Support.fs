/// What the model tests share: the committed schema bundle, a JSON Schema validator over it
/// (JsonSchema.Net, draft-06 as the Taskcluster metaschema is), and JSON comparison.
module Taskcluster.Models.Tests.Support

open System
open System.Collections.Concurrent
open System.IO
open System.Text.Json
open System.Text.Json.Nodes
open Expecto
open Json.Schema
open Taskcluster.Core
open Taskcluster.TestSupport

/// The value of an `Ok`, failing the test with the error otherwise.
let unwrap what (result: Result<'T, 'E>) =
    match result with
    | Ok v -> v
    | Error e -> failtestf "%s failed: %A" what e

/// The generator's copy of the schemas the models come from (committed, so no ../shared needed).
let bundleText =
    lazy (File.ReadAllText(Path.Combine(RepoRoot.find (), "src", "Taskcluster.Models", "Generated", "schemas.json")))

/// The schemas by `$id`.
let bundle: Lazy<Map<string, Json>> =
    lazy
        (Decode.fromString (Decode.keyValuePairs Decode.json) (bundleText.Force())
         |> unwrap "reading schemas.json"
         |> Map.ofList)

// Schemas are registered under their `$id` resolved against a fixed base, as the emulator does.
let private schemaBase = Uri "http://models.invalid"

let private buildOptions =
    lazy
        (let options = BuildOptions(SchemaRegistry = SchemaRegistry())
         use doc = JsonDocument.Parse(bundleText.Force())

         for p in doc.RootElement.EnumerateObject() do
             let node = JsonNode.Parse(p.Value.GetRawText()) :?> JsonObject
             // Taskcluster's metaschema is its own draft-06 profile.
             node["$schema"] <- JsonValue.Create "http://json-schema.org/draft-06/schema#"

             JsonSchema.Build(JsonSerializer.SerializeToElement node, options, Uri(schemaBase, p.Name))
             |> ignore

         options)

let private validators = ConcurrentDictionary<string, JsonSchema>()
let private gate = obj ()

let private evaluation =
    EvaluationOptions(OutputFormat = OutputFormat.List, RequireFormatValidation = true)

/// The schema-rule violations of a value against the schema at a location (empty when valid).
let violations (location: string) (value: JsonElement) : string list =
    let schema =
        validators.GetOrAdd(
            location,
            fun l ->
                lock gate (fun () ->
                    let wrapper = JsonObject()
                    wrapper["$schema"] <- JsonValue.Create "http://json-schema.org/draft-06/schema#"
                    wrapper["$ref"] <- JsonValue.Create(Uri(schemaBase, l).ToString())
                    let id = Uri(schemaBase, $"/tests/{validators.Count}/{Guid.NewGuid():N}.json")
                    JsonSchema.Build(JsonSerializer.SerializeToElement wrapper, buildOptions.Force(), id))
        )

    // One evaluation at a time: the registry resolves references lazily.
    let result = lock gate (fun () -> schema.Evaluate(value, evaluation))

    if result.IsValid then
        []
    else
        [
            for d in Seq.append [ result ] (if isNull result.Details then Seq.empty else result.Details) do
                if not d.IsValid && not (isNull d.Errors) then
                    for KeyValue(keyword, message) in d.Errors do
                        $"{d.InstanceLocation}: {message} ({keyword})"
        ]

/// A `Json` value as a parsed element.
let element (json: Json) =
    use doc = JsonDocument.Parse(Encode.toString json)
    doc.RootElement.Clone()

/// JSON values compared as JSON: member order does not matter, `1` equals `1.0`.
let rec jsonEquals (a: Json) (b: Json) =
    match a, b with
    | Json.Object xs, Json.Object ys ->
        xs.Length = ys.Length
        && xs
           |> List.forall (fun (k, x) ->
               match ys |> List.tryFind (fun (n, _) -> n = k) with
               | Some(_, y) -> jsonEquals x y
               | None -> false)
    | Json.Array xs, Json.Array ys -> xs.Length = ys.Length && List.forall2 jsonEquals xs ys
    | Json.Integer x, Json.Number y
    | Json.Number y, Json.Integer x -> float x = y
    | _ -> a = b
