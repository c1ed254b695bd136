namespace Taskcluster.Core

open System
open System.Text
open System.Text.Json
open FsToolkit.ErrorHandling

// Helpers the types' members need; not part of the signature.
module internal ServiceNaming =
    let className (serviceName: string) =
        if isNull serviceName then
            ""
        else
            let sb = StringBuilder(serviceName.Length)
            let mutable upper = true

            for c in serviceName do
                if c = '-' || c = '_' then
                    upper <- true
                elif upper then
                    sb.Append(Char.ToUpperInvariant c) |> ignore
                    upper <- false
                else
                    sb.Append(c) |> ignore

            sb.ToString()

[<RequireQualifiedAccess>]
type Stability =
    | Stable
    | Experimental
    | Deprecated

[<RequireQualifiedAccess>]
type RequestMethod =
    | Get
    | Post
    | Put
    | Delete
    | Patch
    | Head
    | Options
    | Trace

    member this.Name =
        match this with
        | Get -> "GET"
        | Post -> "POST"
        | Put -> "PUT"
        | Delete -> "DELETE"
        | Patch -> "PATCH"
        | Head -> "HEAD"
        | Options -> "OPTIONS"
        | Trace -> "TRACE"

[<RequireQualifiedAccess>]
type ApiOutput =
    | Schema of id: string
    | Blob

type ApiEntry =
    {
        Name: string
        Title: string
        Description: string
        Category: string
        Stability: Stability
        Method: RequestMethod
        Route: string
        Args: string list
        Query: string list
        Input: string option
        Output: ApiOutput option
        Scopes: Json option
    }

type ApiReference =
    {
        ServiceName: string
        ApiVersion: string
        Title: string
        Description: string
        Entries: ApiEntry list
    }

    member this.ClassName = ServiceNaming.className this.ServiceName

type RoutingKeyPart =
    {
        Name: string
        Summary: string
        Constant: string option
        MultipleWords: bool
        Required: bool
    }

type ExchangeEntry =
    {
        Name: string
        Exchange: string
        Title: string
        Description: string
        RoutingKey: RoutingKeyPart list
        Schema: string
    }

type ExchangeReference =
    {
        ServiceName: string
        ApiVersion: string
        Title: string
        Description: string
        ExchangePrefix: string
        Entries: ExchangeEntry list
    }

    member this.ClassName = ServiceNaming.className this.ServiceName + "Events"

[<NoEquality; NoComparison>]
type SchemaDocument =
    {
        Id: string
        Json: Json
        Element: JsonElement
    }

[<NoEquality; NoComparison>]
type References =
    {
        Apis: ApiReference list
        Exchanges: ExchangeReference list
        Schemas: Map<string, SchemaDocument>
    }

[<RequireQualifiedAccess>]
type ReferenceError =
    | Malformed of DecodeError
    | InvalidServiceName of path: string * serviceName: string
    | InvalidApiVersion of path: string * apiVersion: string
    | UnknownMethod of path: string * method: string
    | UnknownStability of path: string * stability: string
    | InvalidRoute of path: string * route: string * reason: string
    | RouteArgumentsMismatch of path: string * route: string * args: string list * parameters: string list
    | DuplicateName of path: string * name: string
    | SeveralMultiWordParts of path: string * parts: string list
    | DottedConstant of path: string * part: string * constant: string
    | DuplicateSchemaId of path: string * id: string
    | MissingSchema of path: string * id: string

    member this.Path =
        match this with
        | Malformed e -> e.Path
        | InvalidServiceName(path, _)
        | InvalidApiVersion(path, _)
        | UnknownMethod(path, _)
        | UnknownStability(path, _)
        | InvalidRoute(path, _, _)
        | RouteArgumentsMismatch(path, _, _, _)
        | DuplicateName(path, _)
        | SeveralMultiWordParts(path, _)
        | DottedConstant(path, _, _)
        | DuplicateSchemaId(path, _)
        | MissingSchema(path, _) -> path

    member this.Describe() =
        let names (xs: string list) =
            xs |> List.map (fun x -> $"'{x}'") |> String.concat ", " |> sprintf "[%s]"

        match this with
        | Malformed e -> e.Describe()
        | InvalidServiceName(path, name) ->
            $"at {path}: service name '{name}' is not lower-case letters, digits, '-' and '_' (at most 22, starting with a letter)"
        | InvalidApiVersion(path, version) -> $"at {path}: API version '{version}' is not of the form v<number>"
        | UnknownMethod(path, m) -> $"at {path}: HTTP method '{m}' is not supported"
        | UnknownStability(path, s) ->
            $"at {path}: stability '{s}' is not one of 'stable', 'experimental', 'deprecated'"
        | InvalidRoute(path, route, reason) -> $"at {path}: route '{route}' is invalid: {reason}"
        | RouteArgumentsMismatch(path, route, args, parameters) ->
            $"at {path}: args {names args} differ from the parameters {names parameters} of route '{route}'"
        | DuplicateName(path, name) -> $"at {path}: the name '{name}' appears more than once"
        | SeveralMultiWordParts(path, parts) ->
            $"at {path}: several routing-key parts span multiple words ({names parts}); at most one may"
        | DottedConstant(path, part, constant) ->
            $"at {path}: the single-word routing-key part '{part}' has a constant '{constant}' containing a dot"
        | DuplicateSchemaId(path, id) -> $"at {path}: schema id '{id}' appears more than once"
        | MissingSchema(path, id) -> $"at {path}: schema '{id}' is not in the references"

[<RequireQualifiedAccess>]
module internal RouteSyntax =
    // Parameters must fill a whole segment: that is what lets `Route` promise that an argument
    // lands in exactly one segment. Every Taskcluster route satisfies it.
    let segments (route: string) : Result<struct (bool * string) list, string> =
        if isNull route || route.Length = 0 then
            Error "the route is empty"
        elif route[0] <> '/' then
            Error "the route does not start with '/'"
        else
            let parts = route.Substring(1).Split('/')

            let rec go i acc =
                if i = parts.Length then
                    Ok(List.rev acc)
                else
                    let s = parts[i]
                    let opens = s.IndexOf '<'
                    let closes = s.IndexOf '>'

                    if opens < 0 && closes < 0 then
                        go (i + 1) (struct (false, s) :: acc)
                    elif s.Length > 2 && opens = 0 && closes = s.Length - 1 && s.IndexOf('<', 1) < 0 then
                        go (i + 1) (struct (true, s.Substring(1, s.Length - 2)) :: acc)
                    else
                        Error $"segment '{s}' is not a literal or a whole <parameter>"

            go 0 []

[<RequireQualifiedAccess>]
module Reference =
    let className serviceName = ServiceNaming.className serviceName

    let eventsClassName serviceName = className serviceName + "Events"

    let schemaId (serviceName: string) (relative: string) =
        let relative = if isNull relative then "" else relative.TrimStart('/')
        $"/schemas/{serviceName}/{relative}"

    let private apiSchemaSuffix = "/schemas/common/api-reference-v0.json#"
    let private exchangesSchemaSuffix = "/schemas/common/exchanges-reference-v0.json#"

    let private isServiceName (s: string) =
        s.Length >= 1
        && s.Length <= 22
        && Char.IsAsciiLetterLower s[0]
        && s
           |> Seq.forall (fun c -> Char.IsAsciiLetterLower c || Char.IsAsciiDigit c || c = '-' || c = '_')

    let private isApiVersion (s: string) =
        s.Length >= 2 && s[0] = 'v' && s |> Seq.skip 1 |> Seq.forall Char.IsAsciiDigit

    let private parseMethod (m: string) =
        match m with
        | "get" -> Some RequestMethod.Get
        | "post" -> Some RequestMethod.Post
        | "put" -> Some RequestMethod.Put
        | "delete" -> Some RequestMethod.Delete
        | "patch" -> Some RequestMethod.Patch
        | "head" -> Some RequestMethod.Head
        | "options" -> Some RequestMethod.Options
        | "trace" -> Some RequestMethod.Trace
        | _ -> None

    let private parseStability (s: string) =
        match s with
        | "stable" -> Some Stability.Stable
        | "experimental" -> Some Stability.Experimental
        | "deprecated" -> Some Stability.Deprecated
        | _ -> None

    // The first name that appears twice, if any.
    let private firstDuplicate (names: string list) =
        let seen = Collections.Generic.HashSet<string>(StringComparer.Ordinal)
        names |> List.tryFind (fun n -> not (seen.Add n))

    // Validation runs over already-shaped values, so each step is a plain Result.
    let private check condition error = if condition then Ok() else Error error

    let private str (p: JsonPath) = p.ToString()

    // Shapes as the JSON gives them, before the checks that need more than one member.
    type private RawEntry =
        {
            Type: string
            Name: string
            Title: string
            Description: string
            Category: string
            Stability: string
            Method: string
            Route: string
            Args: string list
            Query: string list
            Input: string option
            Output: string option
            Scopes: Json option
        }

    type private RawHeader =
        {
            ServiceName: string
            ApiVersion: string
            Title: string
            Description: string
        }

    let private headerDecoder =
        Decode.object (fun get ->
            {
                ServiceName = get.Required "serviceName" Decode.string
                ApiVersion = get.Required "apiVersion" Decode.string
                Title = get.Required "title" Decode.string
                Description = get.Required "description" Decode.string
            })

    let private rawEntryDecoder =
        Decode.object (fun get ->
            {
                Type = get.Required "type" Decode.string
                Name = get.Required "name" Decode.string
                Title = get.Required "title" Decode.string
                Description = get.Required "description" Decode.string
                Category = get.Required "category" Decode.string
                Stability = get.Required "stability" Decode.string
                Method = get.Required "method" Decode.string
                Route = get.Required "route" Decode.string
                Args = get.Required "args" (Decode.list Decode.string)
                Query = get.Optional "query" (Decode.list Decode.string) |> Option.defaultValue []
                Input = get.Optional "input" Decode.string
                Output = get.Optional "output" Decode.string
                Scopes = get.Optional "scopes" Decode.json
            })

    let private rawPartDecoder: Decoder<RoutingKeyPart> =
        Decode.object (fun get ->
            {
                Name = get.Required "name" Decode.string
                Summary = get.Required "summary" Decode.string
                Constant = get.Optional "constant" Decode.string
                MultipleWords = get.Required "multipleWords" Decode.bool
                Required = get.Required "required" Decode.bool
            })

    let private rawExchangeDecoder =
        Decode.object (fun get ->
            struct (get.Required "type" Decode.string,
                    {
                        Name = get.Required "name" Decode.string
                        Exchange = get.Required "exchange" Decode.string
                        Title = get.Required "title" Decode.string
                        Description = get.Required "description" Decode.string
                        RoutingKey = get.Required "routingKey" (Decode.list rawPartDecoder)
                        Schema = get.Required "schema" Decode.string
                    }))

    let private decodeWith (decoder: Decoder<'T>) path el =
        decoder path el |> Result.mapError ReferenceError.Malformed

    let private checkHeader (path: JsonPath) (h: RawHeader) =
        if not (isServiceName h.ServiceName) then
            Error(ReferenceError.InvalidServiceName(str (path.Field "serviceName"), h.ServiceName))
        elif not (isApiVersion h.ApiVersion) then
            Error(ReferenceError.InvalidApiVersion(str (path.Field "apiVersion"), h.ApiVersion))
        else
            Ok()

    let private checkEntry serviceName (path: JsonPath) (raw: RawEntry) : Result<ApiEntry, ReferenceError> =
        let method = parseMethod raw.Method
        let stability = parseStability raw.Stability

        match method, stability with
        | None, _ -> Error(ReferenceError.UnknownMethod(str (path.Field "method"), raw.Method))
        | _, None -> Error(ReferenceError.UnknownStability(str (path.Field "stability"), raw.Stability))
        | Some method, Some stability ->
            let routePath = str (path.Field "route")

            match RouteSyntax.segments raw.Route with
            | Error reason -> Error(ReferenceError.InvalidRoute(routePath, raw.Route, reason))
            | Ok segments ->
                let parameters =
                    [
                        for struct (isParameter, text) in segments do
                            if isParameter then
                                text
                    ]

                match firstDuplicate parameters, firstDuplicate raw.Query with
                | Some name, _ -> Error(ReferenceError.DuplicateName(routePath, name))
                | _, Some name -> Error(ReferenceError.DuplicateName(str (path.Field "query"), name))
                | None, None when parameters <> raw.Args ->
                    Error(
                        ReferenceError.RouteArgumentsMismatch(str (path.Field "args"), raw.Route, raw.Args, parameters)
                    )
                | None, None ->
                    Ok
                        {
                            Name = raw.Name
                            Title = raw.Title
                            Description = raw.Description
                            Category = raw.Category
                            Stability = stability
                            Method = method
                            Route = raw.Route
                            Args = raw.Args
                            Query = raw.Query
                            Input = raw.Input |> Option.map (schemaId serviceName)
                            Output =
                                raw.Output
                                |> Option.map (fun o ->
                                    if o = "blob" then
                                        ApiOutput.Blob
                                    else
                                        ApiOutput.Schema(schemaId serviceName o))
                            Scopes = raw.Scopes
                        }

    let private checkExchange serviceName (path: JsonPath) (entry: ExchangeEntry) =
        let partsPath = path.Field "routingKey"
        let names = entry.RoutingKey |> List.map (fun p -> p.Name)

        let multi =
            entry.RoutingKey
            |> List.filter (fun p -> p.MultipleWords)
            |> List.map (fun p -> p.Name)

        let dotted =
            entry.RoutingKey
            |> List.indexed
            |> List.tryPick (fun (i, p) ->
                match p.Constant with
                | Some c when not p.MultipleWords && c.Contains '.' -> Some(i, p.Name, c)
                | _ -> None)

        match firstDuplicate names, dotted with
        | Some name, _ -> Error(ReferenceError.DuplicateName(str partsPath, name))
        | None, Some(i, name, c) ->
            Error(ReferenceError.DottedConstant(str ((partsPath.Index i).Field "constant"), name, c))
        | None, None when multi.Length > 1 -> Error(ReferenceError.SeveralMultiWordParts(str partsPath, multi))
        | None, None ->
            Ok
                { entry with
                    Schema = schemaId serviceName entry.Schema
                }

    let private entriesOf (path: JsonPath) (el: JsonElement) (decoder: Decoder<'T>) =
        decodeWith (Decode.field "entries" (Decode.list Decode.element)) path el
        |> Result.bind (
            List.indexed
            >> List.traverseResultM (fun (i, item) ->
                let itemPath = (path.Field "entries").Index i
                decodeWith decoder itemPath item |> Result.map (fun v -> itemPath, v))
        )

    let private uniqueNames (path: JsonPath) (names: string list) =
        match firstDuplicate names with
        | Some name -> Error(ReferenceError.DuplicateName(str (path.Field "entries"), name))
        | None -> Ok()

    let private decodeApiAt (path: JsonPath) (el: JsonElement) : Result<ApiReference, ReferenceError> =
        decodeWith headerDecoder path el
        |> Result.bind (fun header ->
            checkHeader path header
            |> Result.bind (fun () -> entriesOf path el rawEntryDecoder)
            |> Result.bind (fun raws ->
                // Only `function` entries are callable; the JS client skips any other kind too.
                raws
                |> List.filter (fun (_, raw) -> raw.Type = "function")
                |> List.traverseResultM (fun (p, raw) -> checkEntry header.ServiceName p raw))
            |> Result.bind (fun entries ->
                uniqueNames path (entries |> List.map (fun e -> e.Name))
                |> Result.map (fun () ->
                    {
                        ServiceName = header.ServiceName
                        ApiVersion = header.ApiVersion
                        Title = header.Title
                        Description = header.Description
                        Entries = entries
                    })))

    let private decodeExchangesAt (path: JsonPath) (el: JsonElement) : Result<ExchangeReference, ReferenceError> =
        decodeWith headerDecoder path el
        |> Result.bind (fun header ->
            checkHeader path header
            |> Result.bind (fun () -> decodeWith (Decode.field "exchangePrefix" Decode.string) path el)
            |> Result.bind (fun prefix ->
                entriesOf path el rawExchangeDecoder
                |> Result.bind (fun raws ->
                    raws
                    |> List.filter (fun (_, struct (kind, _)) -> kind = "topic-exchange")
                    |> List.traverseResultM (fun (p, struct (_, entry)) -> checkExchange header.ServiceName p entry))
                |> Result.bind (fun entries ->
                    uniqueNames path (entries |> List.map (fun e -> e.Name))
                    |> Result.map (fun () ->
                        {
                            ServiceName = header.ServiceName
                            ApiVersion = header.ApiVersion
                            Title = header.Title
                            Description = header.Description
                            ExchangePrefix = prefix
                            Entries = entries
                        }))))

    type private Document =
        | Api of ApiReference
        | Exchanges of ExchangeReference
        | Schema of path: JsonPath * SchemaDocument
        | Other

    let private classify (path: JsonPath) (el: JsonElement) : Result<Document, ReferenceError> =
        let optionalString name =
            decodeWith (Decode.optionalField name Decode.string) path el

        optionalString "$schema"
        |> Result.bind (fun schema ->
            match schema with
            | Some s when s.EndsWith(apiSchemaSuffix, StringComparison.Ordinal) ->
                decodeApiAt path el |> Result.map Api
            | Some s when s.EndsWith(exchangesSchemaSuffix, StringComparison.Ordinal) ->
                decodeExchangesAt path el |> Result.map Exchanges
            | _ ->
                optionalString "$id"
                |> Result.bind (fun id ->
                    match id with
                    | Some id ->
                        decodeWith Decode.json path el
                        |> Result.map (fun json ->
                            Schema(
                                path.Field "$id",
                                {
                                    Id = id
                                    Json = json
                                    Element = el.Clone()
                                }
                            ))
                    | None -> Ok Other))

    let private checkSchemasPresent
        (schemas: Map<string, SchemaDocument>)
        (apis: (JsonPath * ApiReference) list)
        exchanges
        =
        let missing =
            seq {
                for path: JsonPath, api: ApiReference in apis do
                    for i, entry in List.indexed api.Entries do
                        let entryPath = (path.Field "entries").Index i

                        match entry.Input with
                        | Some id when not (schemas.ContainsKey id) -> yield str (entryPath.Field "input"), id
                        | _ -> ()

                        match entry.Output with
                        | Some(ApiOutput.Schema id) when not (schemas.ContainsKey id) ->
                            yield str (entryPath.Field "output"), id
                        | _ -> ()

                for path: JsonPath, reference: ExchangeReference in exchanges do
                    for i, entry in List.indexed reference.Entries do
                        if not (schemas.ContainsKey entry.Schema) then
                            yield str (((path.Field "entries").Index i).Field "schema"), entry.Schema
            }

        match Seq.tryHead missing with
        | Some(path, id) -> Error(ReferenceError.MissingSchema(path, id))
        | None -> Ok()

    let private decodeReferencesAt (path: JsonPath) (el: JsonElement) : Result<References, ReferenceError> =
        decodeWith (Decode.list Decode.element) path el
        |> Result.bind (
            List.indexed
            >> List.traverseResultM (fun (i, item) ->
                let contentPath = (path.Index i).Field "content"

                decodeWith (Decode.field "content" Decode.element) (path.Index i) item
                |> Result.bind (classify contentPath)
                |> Result.map (fun doc -> contentPath, doc))
        )
        |> Result.bind (fun docs ->
            let apis =
                [
                    for p, d in docs do
                        match d with
                        | Api a -> p, a
                        | _ -> ()
                ]

            let exchanges =
                [
                    for p, d in docs do
                        match d with
                        | Exchanges x -> p, x
                        | _ -> ()
                ]

            let schemas =
                docs
                |> List.choose (fun (_, d) ->
                    match d with
                    | Schema(p, s) -> Some(p, s)
                    | _ -> None)
                |> List.fold
                    (fun acc (p, s) ->
                        acc
                        |> Result.bind (fun (m: Map<string, SchemaDocument>) ->
                            if m.ContainsKey s.Id then
                                Error(ReferenceError.DuplicateSchemaId(str p, s.Id))
                            else
                                Ok(m.Add(s.Id, s))))
                    (Ok Map.empty)

            schemas
            |> Result.bind (fun schemas ->
                checkSchemasPresent schemas apis exchanges
                |> Result.map (fun () ->
                    {
                        Apis = List.map snd apis
                        Exchanges = List.map snd exchanges
                        Schemas = schemas
                    })))

    let decodeApiReference (element: JsonElement) = decodeApiAt JsonPath.Root element

    let decodeExchangeReference (element: JsonElement) = decodeExchangesAt JsonPath.Root element

    let decodeReferences (element: JsonElement) =
        decodeReferencesAt JsonPath.Root element

    // Runs a typed decode inside the Json module's parser so that the document is parsed (and
    // disposed) in one place; a parse failure becomes `Malformed`.
    let private lift
        (decode: JsonPath -> JsonElement -> Result<'T, ReferenceError>)
        : Decoder<Result<'T, ReferenceError>> =
        fun path el -> Ok(decode path el)

    let private flatten result =
        match result with
        | Ok inner -> inner
        | Error e -> Error(ReferenceError.Malformed e)

    let parseApiReference (json: string) =
        Decode.fromString (lift decodeApiAt) json |> flatten

    let parseExchangeReference (json: string) =
        Decode.fromString (lift decodeExchangesAt) json |> flatten

    let parseReferences (json: string) =
        Decode.fromString (lift decodeReferencesAt) json |> flatten

    let parseReferencesUtf8 (utf8: ReadOnlyMemory<byte>) =
        Decode.fromUtf8 (lift decodeReferencesAt) utf8 |> flatten

    let tryFindApi (name: string) (references: References) =
        references.Apis
        |> List.tryFind (fun a -> a.ClassName = name || a.ServiceName = name)

    let tryFindExchanges (name: string) (references: References) =
        references.Exchanges
        |> List.tryFind (fun x -> x.ClassName = name || x.ServiceName = name)

    let tryFindEntry (name: string) (reference: ApiReference) =
        reference.Entries |> List.tryFind (fun e -> e.Name = name)

    let tryFindExchange (name: string) (reference: ExchangeReference) =
        reference.Entries |> List.tryFind (fun e -> e.Name = name)

    let tryFindSchema (id: string) (references: References) =
        if isNull id then None else references.Schemas.TryFind id
