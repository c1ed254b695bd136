namespace Taskcluster.Emulator.Internal

open System
open System.Collections.Generic
open System.IO
open System.Text.Json
open System.Text.Json.Nodes
open Json.Schema
open Taskcluster.Core

/// One segment of a route template.
[<RequireQualifiedAccess>]
type internal Segment =
    | Literal of string
    | Param of string

/// One API method of a service, ready for routing, validation and authorisation.
type internal Entry =
    {
        Service: string
        Version: string
        Name: string
        /// Upper case, e.g. `GET`.
        HttpMethod: string
        Route: string
        Segments: Segment array
        Query: string list
        /// The templated scope expression, `None` when the method needs no scopes.
        Scopes: ScopeTemplate option
        /// The route parameters alone render the scopes, so they are checked before the
        /// handler runs (the real services do the same); otherwise the handler supplies
        /// the parameters from the payload or from state.
        AuthorizeFromRoute: bool
        /// The absolute `$id` of the input schema.
        Input: string option
        Output: string option
    }

/// A service of the references with its methods.
type internal ServiceRef =
    {
        Name: string
        Version: string
        Entries: Entry array
    }

/// The references embedded in the assembly: API methods for routing, schemas by `$id` for
/// validation, and the documents themselves for `/references/...` and `/schemas/...`.
[<Sealed>]
type internal ReferenceSet
    private
    (
        services: ServiceRef array,
        schemas: IReadOnlyDictionary<string, JsonSchema>,
        documents: IReadOnlyDictionary<string, byte array>
    ) =
    // Schemas are registered under their `$id` resolved against this fixed base, so that
    // `$ref`s between them resolve whatever port the emulator happens to listen on.
    static let schemaBase = Uri "http://taskcluster.emulator.invalid"

    static let parseRoute (route: string) =
        route.Split('/')
        |> Array.skip 1
        |> Array.map (fun s ->
            if s.StartsWith '<' && s.EndsWith '>' then
                Segment.Param(s.Substring(1, s.Length - 2))
            else
                Segment.Literal s)

    static let load () =
        use stream =
            typeof<ReferenceSet>.Assembly.GetManifestResourceStream("Taskcluster.Emulator.references.json")

        let root = JsonNode.Parse(stream) :?> JsonArray
        let registry = SchemaRegistry()
        let buildOptions = BuildOptions(SchemaRegistry = registry)
        let schemas = Dictionary<string, JsonSchema>()
        let documents = Dictionary<string, byte array>()
        let services = ResizeArray()

        for item in root do
            let filename = string item["filename"]
            let content = item["content"]
            documents["/" + filename] <- JsonSerializer.SerializeToUtf8Bytes content

            if filename.StartsWith "schemas/" then
                let c = content.DeepClone() :?> JsonObject
                // Taskcluster's metaschema is its own draft-06 profile.
                c["$schema"] <- JsonValue.Create "http://json-schema.org/draft-06/schema#"
                let id = Uri(schemaBase, string c["$id"])
                let schema = JsonSchema.Build(JsonSerializer.SerializeToElement c, buildOptions, id)
                schemas[id.GetLeftPart UriPartial.Path] <- schema
            elif filename.EndsWith "/api.json" then
                let name = string content["serviceName"]
                let version = string content["apiVersion"]

                let resolve (node: JsonNode) =
                    match node with
                    | null -> None
                    | n -> Some(Uri(schemaBase, $"/schemas/{name}/{n}").GetLeftPart UriPartial.Path)

                let entries =
                    [|
                        for e in content["entries"].AsArray() do
                            let route = string e["route"]
                            let segments = parseRoute route

                            let scopes =
                                match e["scopes"] with
                                | null -> None
                                | node ->
                                    match Templates.parse node with
                                    | Ok t -> Some t
                                    | Error message ->
                                        let methodName = string e["name"]
                                        failwith $"the scopes of {name}.{methodName} do not parse: {message}"

                            let routeParams =
                                segments
                                |> Array.choose (function
                                    | Segment.Param p -> Some(p, J.str "")
                                    | _ -> None)
                                |> dict

                            let fromRoute =
                                match scopes with
                                | None -> true
                                | Some t ->
                                    Templates.render t (routeParams :?> IReadOnlyDictionary<_, _>) |> Result.isOk

                            {
                                Service = name
                                Version = version
                                Name = string e["name"]
                                HttpMethod = (string e["method"]).ToUpperInvariant()
                                Route = route
                                Segments = segments
                                Query =
                                    match e["query"] with
                                    | :? JsonArray as q -> [ for x in q -> string x ]
                                    | _ -> []
                                Scopes = scopes
                                AuthorizeFromRoute = fromRoute
                                Input = resolve e["input"]
                                Output = resolve e["output"]
                            }
                    |]

                services.Add
                    {
                        Name = name
                        Version = version
                        Entries = entries
                    }

        ReferenceSet(services.ToArray(), schemas, documents)

    static let instance = lazy (load ())

    /// The references, loaded once per process (they never change).
    static member Instance = instance.Force()

    member _.Services = services

    member _.TryService(name: string, version: string) =
        services |> Array.tryFind (fun s -> s.Name = name && s.Version = version)

    member _.Schema(id: string) =
        match schemas.TryGetValue id with
        | true, s -> Some s
        | _ -> None

    /// A reference or schema document by its path (e.g. `/references/auth/v1/api.json`).
    member _.Document(path: string) =
        match documents.TryGetValue path with
        | true, d -> Some d
        | _ -> None

/// Matching request paths against the routes of a service.
[<RequireQualifiedAccess>]
module internal Routing =
    let private tryMatch (entry: Entry) (segments: string array) (greedy: bool) =
        let pattern = entry.Segments

        let lengthOk =
            if greedy then
                segments.Length >= pattern.Length
            else
                segments.Length = pattern.Length

        if not lengthOk || pattern.Length = 0 then
            None
        else
            let values = Dictionary<string, string>()
            let mutable ok = true
            let mutable i = 0

            while ok && i < pattern.Length do
                let last = i = pattern.Length - 1

                match pattern[i] with
                | Segment.Literal l -> ok <- String.Equals(l, segments[i], StringComparison.Ordinal)
                | Segment.Param p ->
                    let raw =
                        if last && greedy then
                            String.Join('/', segments, i, segments.Length - i)
                        else
                            segments[i]

                    if raw = "" && not (last && greedy) then
                        ok <- false
                    else
                        try
                            values[p] <- Uri.UnescapeDataString raw
                        with _ ->
                            ok <- false

                i <- i + 1

            if ok then Some values else None

    /// The entry a method and path (below `/api/<service>/<version>`) designate, with its
    /// decoded route parameters. `Error true` means the path exists with another method.
    let find (service: ServiceRef) (httpMethod: string) (path: string) =
        let segments = path.Split('/') |> Array.skip 1
        let method' = if httpMethod = "HEAD" then "GET" else httpMethod

        let attempt greedy =
            service.Entries
            |> Array.tryPick (fun e ->
                if e.HttpMethod = method' then
                    tryMatch e segments greedy |> Option.map (fun v -> e, v)
                else
                    None)

        match attempt false with
        | Some r -> Ok r
        | None ->
            match attempt true with
            | Some r -> Ok r
            | None ->
                let other =
                    service.Entries
                    |> Array.exists (fun e -> (tryMatch e segments false).IsSome || (tryMatch e segments true).IsSome)

                Error other

/// Input validation against the method's schema, as the real services do before the handler.
[<RequireQualifiedAccess>]
module internal Validation =
    // A flag is all the hot path needs; the detailed list is computed only to explain a failure.
    let private quick =
        EvaluationOptions(OutputFormat = OutputFormat.Flag, RequireFormatValidation = true)

    let private detailed =
        EvaluationOptions(OutputFormat = OutputFormat.List, RequireFormatValidation = true)

    /// `$.a.b[2]` from a JSON pointer, the path style the rest of the project uses.
    let pathOf (pointer: string) =
        let sb = Text.StringBuilder("$")

        for raw in pointer.Split('/') |> Array.skip 1 do
            let seg = raw.Replace("~1", "/").Replace("~0", "~")

            if seg <> "" && seg |> Seq.forall Char.IsAsciiDigit then
                sb.Append('[').Append(seg).Append(']') |> ignore
            elif seg <> "" && seg |> Seq.forall (fun c -> Char.IsAsciiLetterOrDigit c || c = '_') then
                sb.Append('.').Append(seg) |> ignore
            else
                sb.Append("['").Append(seg).Append("']") |> ignore

        sb.ToString()

    /// `None` when valid, else a message naming each failing path.
    let validate (schemaId: string) (schema: JsonSchema) (body: JsonElement) : string option =
        if schema.Evaluate(body, quick).IsValid then
            None
        else
            let result = schema.Evaluate(body, detailed)

            let errors =
                [
                    for d in
                        Seq.append
                            [ result ]
                            (if isNull result.Details then
                                 []
                             else
                                 List.ofSeq result.Details) do
                        if not d.IsValid && not (isNull d.Errors) then
                            for KeyValue(keyword, message) in d.Errors do
                                $"  * {pathOf (d.InstanceLocation.ToString())}: {message} ({keyword})"
                ]
                |> List.distinct
                |> List.truncate 10

            Some(
                String.Join(
                    "\n",
                    [
                        "Schema Validation Failed!"
                        $"Rejecting Schema: {schemaId}"
                        "Errors:"
                        yield! errors
                    ]
                )
            )
