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
        /// The parameter that takes the rest of the path, slashes included (Express's `{*name}`).
        Wildcard: string option
        /// A last parameter that may be absent with its slash (Express's `{/:name}`).
        Optional: string option
        /// The route-parameter and query-string checks the service makes before the handler.
        Checks: UrlChecks
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

/// Which route parameters are wildcards or optional: the references write every parameter as
/// `<name>`, and only the services' sources (their Express routes) tell them apart.
[<RequireQualifiedAccess>]
module internal RouteShapes =
    let private wildcards =
        dict
            [
                yield ("auth", "awsS3Credentials"), "prefix"
                for m in [ "findArtifactFromTask" ] -> ("index", m), "name"
                for m in [ "startDownload"; "object"; "download" ] -> ("object", m), "name"
                yield ("purge-cache", "purgeCache"), "workerPoolId"
                yield ("purge-cache", "purgeRequests"), "workerPoolId"
                for m in
                    [
                        "claimWork"
                        "pendingTasks"
                        "taskQueueCounts"
                        "listPendingTasks"
                        "listClaimedTasks"
                    ] -> ("queue", m), "taskQueueId"
                for m in
                    [
                        "createArtifact"
                        "finishArtifact"
                        "getArtifact"
                        "getLatestArtifact"
                        "artifactInfo"
                        "latestArtifactInfo"
                        "artifact"
                        "latestArtifact"
                    ] -> ("queue", m), "name"
                for m in [ "set"; "remove"; "get" ] -> ("secrets", m), "name"
                for m in
                    [
                        "createWorkerPool"
                        "updateWorkerPool"
                        "deleteWorkerPool"
                        "workerPoolStats"
                        "workerPool"
                        "reportWorkerError"
                        "listWorkerPoolErrors"
                        "listWorkersForWorkerPool"
                    ] -> ("worker-manager", m), "workerPoolId"
            ]

    let private optionals =
        dict
            [
                ("index", "listNamespaces"), "namespace"
                ("index", "listTasks"), "namespace"
            ]

    let wildcard (service: string) (methodName: string) =
        match wildcards.TryGetValue((service, methodName)) with
        | true, p -> Some p
        | _ -> None

    let optional (service: string) (methodName: string) =
        match optionals.TryGetValue((service, methodName)) with
        | true, p -> Some p
        | _ -> None

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

    // A route's trailing slash is dropped: without strict routing, `/roles/` and `/roles` are one.
    static let parseRoute (route: string) =
        route.TrimEnd('/').Split('/')
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

                            let methodName = string e["name"]

                            {
                                Service = name
                                Version = version
                                Name = methodName
                                HttpMethod = (string e["method"]).ToUpperInvariant()
                                Route = route
                                Segments = segments
                                Query =
                                    match e["query"] with
                                    | :? JsonArray as q -> [ for x in q -> string x ]
                                    | _ -> []
                                Wildcard = RouteShapes.wildcard name methodName
                                Optional = RouteShapes.optional name methodName
                                Checks = RouteParams.forMethod name methodName
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

/// How a request path matched a route.
type internal RouteMatch =
    {
        /// The decoded route parameters (a wildcard's segments joined with `/`).
        Params: Dictionary<string, string>
        /// Parameters whose percent-encoding does not decode (name, raw text).
        Undecodable: (string * string) list
    }

/// Matching request paths against the routes of a service as Express 5 does: case-sensitive,
/// one optional trailing slash, a parameter is one non-empty segment, a wildcard takes one or
/// more segments (possibly empty ones), an optional parameter may be absent with its slash.
[<RequireQualifiedAccess>]
module internal Routing =
    let private tryMatch (entry: Entry) (segments: string array) =
        let pattern = entry.Segments
        let raw = Dictionary<string, string>(StringComparer.Ordinal)

        // pattern index, segment index
        let rec go (p: int) (s: int) =
            if p = pattern.Length then
                s = segments.Length
            else
                match pattern[p] with
                | Segment.Literal l ->
                    s < segments.Length
                    && String.Equals(l, segments[s], StringComparison.Ordinal)
                    && go (p + 1) (s + 1)
                | Segment.Param name when entry.Wildcard = Some name ->
                    // as few trailing segments as the rest of the pattern needs: greedy, like the
                    // regular expression Express builds
                    let rest = pattern.Length - p - 1
                    let mutable last = segments.Length - rest
                    let mutable found = false

                    while not found && last > s do
                        raw[name] <- String.Join('/', segments, s, last - s)
                        found <- go (p + 1) last
                        last <- last - 1

                    found
                | Segment.Param name when entry.Optional = Some name && p = pattern.Length - 1 && s = segments.Length ->
                    true
                | Segment.Param name ->
                    s < segments.Length
                    && segments[s] <> ""
                    && (raw[name] <- segments[s]
                        go (p + 1) (s + 1))

        if pattern.Length = 0 || not (go 0 0) then
            None
        else
            let values = Dictionary<string, string>(StringComparer.Ordinal)
            let mutable undecodable = []

            for KeyValue(k, v) in raw do
                match RouteParams.decodeComponent v with
                | Some d -> values[k] <- d
                | None ->
                    values[k] <- v
                    undecodable <- (k, v) :: undecodable

            Some
                {
                    Params = values
                    Undecodable = List.rev undecodable
                }

    /// The entry a method and path (below `/api/<service>/<version>`) designate, with its
    /// route parameters. `Error true` means the path exists with another method.
    let find (service: ServiceRef) (httpMethod: string) (path: string) =
        let segments = path.Split('/') |> Array.skip 1

        // Express without strict routing: `/roles/` is `/roles`
        let candidates =
            if segments.Length > 1 && segments[segments.Length - 1] = "" then
                [ segments; segments[.. segments.Length - 2] ]
            else
                [ segments ]

        let method' = if httpMethod = "HEAD" then "GET" else httpMethod

        let attempt (segs: string array) =
            service.Entries
            |> Array.tryPick (fun e ->
                if e.HttpMethod = method' then
                    tryMatch e segs |> Option.map (fun v -> e, v)
                else
                    None)

        match candidates |> List.tryPick attempt with
        | Some r -> Ok r
        | None ->
            let other =
                candidates
                |> List.exists (fun segs -> service.Entries |> Array.exists (fun e -> (tryMatch e segs).IsSome))

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
