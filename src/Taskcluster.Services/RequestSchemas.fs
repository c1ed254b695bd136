namespace Taskcluster.Services

open Json.Schema
open System
open System.Collections.Generic
open System.Text
open System.Text.Json
open System.Text.Json.Nodes
open Taskcluster.Client

[<RequireQualifiedAccess>]
type WorkerPayload =
    | GenericWorkerMultiuserPosix
    | GenericWorkerMultiuserWindows
    | GenericWorkerInsecurePosix
    | DockerWorker

    member this.SchemaId =
        match this with
        | GenericWorkerMultiuserPosix -> "/schemas/generic-worker/multiuser_posix.json#"
        | GenericWorkerMultiuserWindows -> "/schemas/generic-worker/multiuser_windows.json#"
        | GenericWorkerInsecurePosix -> "/schemas/generic-worker/insecure_posix.json#"
        | DockerWorker -> "/schemas/docker-worker/v1/payload.json#"

[<RequireQualifiedAccess>]
module RequestSchemas =
    // Schemas are registered under their `$id` resolved against a fixed base, so that `$ref`s
    // between them resolve without a deployment; the base is taken off again in messages.
    let private schemaBase = Uri "http://taskcluster.schemas.invalid"

    // Taskcluster's metaschema is its own draft-06 profile.
    [<Literal>]
    let private Draft06 = "http://json-schema.org/draft-06/schema#"

    // A flag answers the common case; the list is computed only to explain a failure.
    let private quick =
        EvaluationOptions(OutputFormat = OutputFormat.Flag, RequireFormatValidation = true)

    let private detailed =
        EvaluationOptions(OutputFormat = OutputFormat.List, RequireFormatValidation = true)

    /// Whether every `$ref` reachable from the schema points at a schema node: then evaluating it
    /// only reads the built schema.
    let private refsResolved (schema: JsonSchema) =
        let seen = HashSet<JsonSchemaNode>(HashIdentity.Reference)
        let pending = Stack<JsonSchemaNode>()
        pending.Push schema.Root
        let mutable resolved = true

        while resolved && pending.Count > 0 do
            let node = pending.Pop()

            if seen.Add node then
                for keyword in node.Keywords do
                    if
                        keyword.Handler :? Json.Schema.Keywords.RefKeyword
                        && keyword.Subschemas.Length = 0
                    then
                        resolved <- false

                    for sub in keyword.Subschemas do
                        pending.Push sub

        resolved

    /// A built schema, and whether it may be evaluated on several threads at once.
    [<NoComparison; NoEquality>]
    type private Loaded = { Schema: JsonSchema; Shareable: bool }

    // JsonSchema.Net resolves a schema's `$ref`s on its first evaluation when their targets were
    // registered after it was built, writing the targets into the schema's nodes; after that an
    // evaluation only reads. So every schema is evaluated once here, while the bundle loads on
    // one thread, and one whose references are all resolved then is shared without a lock.
    let private schemas: Lazy<IReadOnlyDictionary<string, Loaded>> =
        lazy
            (use stream = Taskcluster.Models.SchemaBundle.openRead ()
             let bundle = JsonNode.Parse(stream) :?> JsonObject
             let options = BuildOptions(SchemaRegistry = SchemaRegistry())
             let built = Dictionary<string, JsonSchema>(StringComparer.Ordinal)

             for KeyValue(id, node) in bundle do
                 let schema = node.DeepClone() :?> JsonObject
                 schema["$schema"] <- JsonValue.Create Draft06

                 built[id] <- JsonSchema.Build(JsonSerializer.SerializeToElement schema, options, Uri(schemaBase, id))

             use nothing = JsonDocument.Parse "null"
             let loaded = Dictionary<string, Loaded>(StringComparer.Ordinal)

             for KeyValue(id, schema) in built do
                 // An unresolvable reference throws when reached; the walk below finds it.
                 try
                     schema.Evaluate(nothing.RootElement, quick) |> ignore
                 with :? JsonSchemaException ->
                     ()

                 loaded[id] <-
                     {
                         Schema = schema
                         Shareable = refsResolved schema
                     }

             loaded :> IReadOnlyDictionary<_, _>)

    // Only for a schema with a reference left unresolved (none in the bundle today), which
    // JsonSchema.Net tries to resolve again, writing into shared nodes, on every evaluation.
    let private gate = obj ()

    let private segmentsOf (pointer: string) =
        if String.IsNullOrEmpty pointer then
            []
        else
            pointer.Split('/')
            |> Array.skip 1
            |> Array.map (fun s -> s.Replace("~1", "/").Replace("~0", "~"))
            |> List.ofArray

    /// `$.a.b[2]['x-y']` for a JSON pointer into `root`: a segment is an index where the value
    /// it steps into is an array, so a member named `0` stays a member.
    let private pathOf (root: JsonElement) (pointer: string) =
        let sb = StringBuilder("$")
        let mutable current = Some root

        for segment in segmentsOf pointer do
            let index =
                match current with
                | Some e when e.ValueKind = JsonValueKind.Array ->
                    match Int32.TryParse segment with
                    | true, i when i >= 0 && i < e.GetArrayLength() -> Some i
                    | _ -> None
                | _ -> None

            match index with
            | Some i ->
                sb.Append('[').Append(i).Append(']') |> ignore
                current <- current |> Option.map (fun e -> e[i])
            | None ->
                if
                    segment <> ""
                    && not (Char.IsAsciiDigit segment[0])
                    && segment
                       |> Seq.forall (fun c -> Char.IsAsciiLetterOrDigit c || c = '_' || c = '$')
                then
                    sb.Append('.').Append(segment) |> ignore
                else
                    sb.Append("['").Append(segment.Replace("\\", "\\\\").Replace("'", "\\'")).Append("']")
                    |> ignore

                current <-
                    match current with
                    | Some e when e.ValueKind = JsonValueKind.Object ->
                        match e.TryGetProperty segment with
                        | true, v -> Some v
                        | _ -> None
                    | _ -> None

        sb.ToString()

    let private locationOf (uri: Uri) =
        match uri with
        | null -> ""
        | u when u.IsAbsoluteUri && u.Host = schemaBase.Host -> u.PathAndQuery + u.Fragment
        | u -> u.ToString()

    let private violationsOf (root: JsonElement) (result: EvaluationResults) =
        let details =
            match result.Details with
            | null -> Seq.empty
            | d -> d :> seq<_>

        [
            for d in Seq.append [ result ] details do
                if not d.IsValid && not (isNull d.Errors) then
                    for KeyValue(keyword, message) in d.Errors do
                        {
                            Path = pathOf root (d.InstanceLocation.ToString())
                            Keyword = keyword
                            SchemaLocation = locationOf d.SchemaLocation
                            Message = message
                        }
        ]
        |> List.distinct

    let private evaluate (schema: JsonSchema) (value: JsonElement) =
        if schema.Evaluate(value, quick).IsValid then
            []
        else
            violationsOf value (schema.Evaluate(value, detailed))

    let validate (schemaId: string) (value: JsonElement) =
        match schemas.Force().TryGetValue schemaId with
        | false, _ -> None
        | true, loaded when loaded.Shareable -> Some(evaluate loaded.Schema value)
        | true, loaded -> Some(lock gate (fun () -> evaluate loaded.Schema value))

    let attach (client: TaskclusterClient) =
        if Client.hasSchemaValidator client then
            client
        else
            Client.withSchemaValidator validate client

    let validateTaskPayload (worker: WorkerPayload) (task: JsonElement) =
        match task.ValueKind with
        | JsonValueKind.Object ->
            match task.TryGetProperty "payload" with
            | true, payload ->
                validate worker.SchemaId payload
                |> Option.defaultValue []
                // Paths from the task's root, so the message points into the task definition.
                |> List.map (fun v ->
                    { v with
                        Path = "$.payload" + v.Path.Substring 1
                    })
            | _ -> []
        | _ -> []
