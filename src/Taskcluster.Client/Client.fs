namespace Taskcluster.Client

open System
open System.Collections.Generic
open System.Net.Http
open System.Runtime.CompilerServices
open System.Text.Json
open System.Threading
open System.Threading.Tasks
open Taskcluster.Core

[<Sealed>]
type TaskclusterClient internal (settings: Transport.Settings) =
    member internal _.Settings = settings
    member _.RootUrl = settings.Valid.RootUrl
    member _.ClientId = settings.Valid.Credentials |> Option.map _.ClientId
    member _.ClockOffset = settings.Offset.Value

    member _.Options =
        { settings.Options with
            ClockOffset = settings.Offset.Value
        }

    override this.ToString() =
        let clientId = this.ClientId |> Option.defaultValue "(none)"
        $"TaskclusterClient(RootUrl={this.RootUrl}, ClientId={clientId})"

[<RequireQualifiedAccess>]
module Client =
    let create (options: ClientOptions) =
        Options.check options
        |> Result.map (fun valid ->
            let logger = Log.resolve valid.Options.Logger Options.processEnvironment

            TaskclusterClient(
                {
                    Valid = valid
                    Http = Transport.httpClientFor valid.Options
                    Logger = logger
                    Offset = ClockOffset(valid.Options.ClockOffset)
                    Pipeline = Transport.pipeline valid.Options logger
                    Validator = None
                }
            ))

    let fromEnvironment () = create (Options.fromEnvironment ())

    let withSchemaValidator validate (client: TaskclusterClient) =
        TaskclusterClient(
            { client.Settings with
                Validator = Some validate
            }
        )

    let hasSchemaValidator (client: TaskclusterClient) = client.Settings.Validator.IsSome

    let withOptions (update: ClientOptions -> ClientOptions) (client: TaskclusterClient) =
        create (
            update
                { client.Options with
                    ClockOffset = client.ClockOffset
                }
        )
        // The validator is not an option: it stays with the client.
        |> Result.map (fun created ->
            match client.Settings.Validator with
            | Some validate -> withSchemaValidator validate created
            | None -> created)

    let clockOffset (client: TaskclusterClient) = client.ClockOffset

    let private nameOf (reference: ApiReference) (entry: ApiEntry) = $"{reference.ServiceName}.{entry.Name}"

    let private httpMethod (m: RequestMethod) =
        match m with
        | RequestMethod.Get -> HttpMethod.Get
        | RequestMethod.Post -> HttpMethod.Post
        | RequestMethod.Put -> HttpMethod.Put
        | RequestMethod.Delete -> HttpMethod.Delete
        | RequestMethod.Patch -> HttpMethod.Patch
        | RequestMethod.Head -> HttpMethod.Head
        | RequestMethod.Options -> HttpMethod.Options
        | RequestMethod.Trace -> HttpMethod.Trace

    /// Parsed route templates by entry: parsing a template costs more than rendering it, and
    /// the generated clients call the same few hundred entries over and over.
    let private templates = ConditionalWeakTable<ApiEntry, RouteTemplate>()

    let private templateOf (entry: ApiEntry) =
        match templates.TryGetValue entry with
        | true, template -> Ok template
        | _ ->
            Route.ofEntry entry
            |> Result.map (fun template ->
                templates.AddOrUpdate(entry, template)
                template)

    /// `Route.buildUrl` with the template cached: `RootUrl.api` of the rendered path plus the
    /// query (a property test holds the two equal).
    let internal urlOf (rootUrl: RootUrl) (reference: ApiReference) (entry: ApiEntry) args query =
        templateOf entry
        |> Result.bind (fun template -> Route.render template args)
        |> Result.bind (fun path ->
            Route.query entry.Query query
            |> Result.map (fun q ->
                String.Concat(
                    [|
                        rootUrl.Value
                        "/api/"
                        reference.ServiceName
                        "/"
                        reference.ApiVersion
                        "/"
                        path.TrimStart '/'
                        q
                    |]
                )))

    let buildUrl (client: TaskclusterClient) (reference: ApiReference) (entry: ApiEntry) args query =
        urlOf client.RootUrl reference entry args query
        |> Result.mapError (fun e ->
            TaskclusterError.InvalidRequest(nameOf reference entry, RequestError.InvalidRoute e))

    let buildSignedUrl
        (client: TaskclusterClient)
        (reference: ApiReference)
        (entry: ApiEntry)
        args
        query
        (expiration: TimeSpan option)
        =
        let name = nameOf reference entry
        let settings = client.Settings

        let invalid reason =
            Error(TaskclusterError.InvalidRequest(name, reason))

        let lifetime =
            expiration |> Option.defaultValue settings.Options.SignedUrlExpiration

        if entry.Method <> RequestMethod.Get then
            invalid (RequestError.NotGet entry.Method.Name)
        elif lifetime <= TimeSpan.Zero then
            invalid (RequestError.InvalidExpiration lifetime)
        else
            match settings.Valid.Credentials with
            | None -> invalid RequestError.NoCredentials
            | Some credentials ->
                buildUrl client reference entry args query
                |> Result.bind (fun url ->
                    // Rounded up, so that a lifetime under a second still gives a usable URL.
                    let expiry =
                        settings.Now.ToUnixTimeSeconds() + int64 (Math.Ceiling lifetime.TotalSeconds)

                    match Hawk.signUrl credentials url expiry settings.Valid.Ext with
                    | Ok signed ->
                        Log.builtSignedUrl settings.Logger name (DateTimeOffset.FromUnixTimeSeconds expiry)
                        Ok signed
                    | Error e -> invalid (RequestError.SigningFailed e))

    // The reader settings `Payload.toUtf8` checks bodies with, so one parse can stand for it.
    let private bodyOptions =
        JsonDocumentOptions(CommentHandling = JsonCommentHandling.Disallow, MaxDepth = Decode.maxDepth)

    /// The body's bytes and, when the client checks requests against their method's input
    /// schema, its violations. A checked body is parsed once: the parse the schema check needs is
    /// also the check that the body is one JSON value.
    let private bodyOf (client: TaskclusterClient) (entry: ApiEntry) (payload: Payload) =
        match entry.Input, client.Settings.Validator with
        | Some schemaId, Some validate when client.Settings.Options.ValidateRequests ->
            match Payload.toUtf8Unscanned payload with
            | Error reason -> Error reason
            | Ok None -> Ok(None, None)
            | Ok(Some bytes) ->
                let parsed =
                    try
                        Ok(JsonDocument.Parse(bytes, bodyOptions))
                    with :? JsonException ->
                        Error(Payload.malformation bytes)

                parsed
                |> Result.map (fun document ->
                    use document = document

                    match validate schemaId document.RootElement with
                    | Some(_ :: _ as violations) -> Some bytes, Some(schemaId, violations)
                    | _ -> Some bytes, None)
        | _ -> Payload.toUtf8 payload |> Result.map (fun bytes -> bytes, None)

    let private prepare (client: TaskclusterClient) (reference: ApiReference) (entry: ApiEntry) args query payload =
        let name = nameOf reference entry

        let invalid reason =
            Error(TaskclusterError.InvalidRequest(name, reason))

        buildUrl client reference entry args query
        |> Result.bind (fun url ->
            match entry.Input, payload with
            | Some _, Payload.Empty -> invalid RequestError.MissingPayload
            | None, Payload.Empty
            | Some _, _ ->
                match bodyOf client entry payload with
                | Error reason -> invalid (RequestError.InvalidPayload reason)
                | Ok(body, violations) ->
                    match violations, Uri.TryCreate(url, UriKind.Absolute) with
                    | Some(schemaId, violations), _ -> invalid (RequestError.SchemaViolations(schemaId, violations))
                    | None, (false, _) ->
                        invalid (RequestError.SigningFailed(HawkError.InvalidUri(url, "not an absolute URI")))
                    | None, (true, uri) ->
                        Ok
                            {
                                Info =
                                    {
                                        Name = name
                                        Method = entry.Method.Name
                                        Url = url
                                    }
                                Method = httpMethod entry.Method
                                Uri = uri
                                Body = body
                            }
            | None, _ -> invalid RequestError.UnexpectedPayload)

    let private readerOptions =
        JsonReaderOptions(CommentHandling = JsonCommentHandling.Disallow, MaxDepth = Decode.maxDepth)

    let private nullElement =
        let mutable reader = Utf8JsonReader("null"B)
        JsonElement.ParseValue(&reader)

    let private isBlank (body: byte array) =
        body |> Array.forall (fun b -> b = ' 'B || b = '\t'B || b = '\r'B || b = '\n'B)

    // The offset of the first byte that is not part of a valid UTF-8 sequence.
    let private invalidUtf8At (body: byte array) =
        let mutable i = 0
        let mutable bad = -1

        while bad < 0 && i < body.Length do
            let mutable rune = System.Text.Rune()
            let mutable consumed = 0

            match System.Text.Rune.DecodeFromUtf8(ReadOnlySpan(body, i, body.Length - i), &rune, &consumed) with
            | System.Buffers.OperationStatus.Done -> i <- i + consumed
            | _ -> bad <- i

        bad

    // System.Text.Json does not check the text inside strings: an element (or a model) holding
    // invalid UTF-8 would throw later, in the caller's GetString.
    let private notUtf8 (body: byte array) =
        if System.Text.Unicode.Utf8.IsValid(ReadOnlySpan body) then
            None
        else
            Some $"the body is not valid UTF-8 (byte {invalidUtf8At body})"

    /// Parses the body straight into a detached element (one pass, no pooled document to dispose).
    let private parseElement (body: byte array) =
        if isBlank body then
            Ok nullElement
        else
            match notUtf8 body with
            | Some reason -> Error reason
            | None ->
                try
                    let mutable reader = Utf8JsonReader(ReadOnlySpan body, readerOptions)
                    let element = JsonElement.ParseValue(&reader)

                    if reader.Read() then
                        Error "more than one JSON value"
                    else
                        Ok element
                with :? JsonException as e ->
                    Error e.Message

    let private invalidJson (info: RequestInfo) status (message: string) =
        TaskclusterError.InvalidResponse(
            info,
            status,
            {
                Path = "$"
                Reason = DecodeReason.InvalidJson message
            }
        )

    /// Sends a call and turns its 2xx response into a value with `decode`, in one task.
    let private send
        (client: TaskclusterClient)
        reference
        entry
        args
        query
        payload
        token
        (decode: RequestInfo -> Received -> Result<'T, TaskclusterError>)
        =
        match prepare client reference entry args query payload with
        | Error e -> Task.FromResult(Error e)
        | Ok prepared ->
            task {
                let! received = (Transport.send client.Settings prepared token).ConfigureAwait(false)

                return received |> Result.bind (decode prepared.Info)
            }

    let private asElement (info: RequestInfo) (r: Received) =
        parseElement r.Body |> Result.mapError (invalidJson info r.Status)

    let call client reference entry args query payload (cancellationToken: CancellationToken) =
        send client reference entry args query payload cancellationToken asElement

    let private nullUtf8 = ReadOnlyMemory("null"B)

    let callUtf8 client reference entry args query payload (cancellationToken: CancellationToken) =
        send client reference entry args query payload cancellationToken (fun info r ->
            // Blank is `null`, as `call` reads it; the JSON itself is left to the caller's reader.
            if isBlank r.Body then
                Ok nullUtf8
            else
                match notUtf8 r.Body with
                | Some reason -> Error(invalidJson info r.Status reason)
                | None -> Ok(ReadOnlyMemory r.Body))

    let callDecoded (decoder: Decoder<'T>) client reference entry args query payload cancellationToken =
        send client reference entry args query payload cancellationToken (fun info r ->
            let decoded =
                if isBlank r.Body then
                    Decode.fromElement decoder nullElement
                else
                    Decode.fromUtf8 decoder (ReadOnlyMemory r.Body)

            decoded
            |> Result.mapError (fun e -> TaskclusterError.InvalidResponse(info, r.Status, e)))

    let private urlMember = Decode.field "url" Decode.string

    let callLocation client reference entry args query payload (cancellationToken: CancellationToken) =
        let answered =
            send client reference entry args query payload cancellationToken (fun info r ->
                asElement info r
                |> Result.bind (fun body ->
                    Decode.fromElement urlMember body
                    |> Result.mapError (fun e -> TaskclusterError.InvalidResponse(info, r.Status, e))))

        task {
            let! answer = answered.ConfigureAwait(false)

            return
                match answer with
                // Only a redirect the service answered: one a caller's HttpClient followed is not a URL to hand out.
                | Error(TaskclusterError.Redirect(e, Some location)) when e.Status >= 300 && e.Status < 400 ->
                    Ok location
                | other -> other
        }

    let callByName client (reference: ApiReference) (methodName: string) args query payload cancellationToken =
        match Reference.tryFindEntry methodName reference with
        | Some entry -> call client reference entry args query payload cancellationToken
        | None ->
            Task.FromResult(
                Error(
                    TaskclusterError.InvalidRequest(
                        $"{reference.ServiceName}.{methodName}",
                        RequestError.UnknownMethod methodName
                    )
                )
            )

    [<Literal>]
    let private ContinuationToken = "continuationToken"

    // A token that is not a non-empty string ends the listing; so does one that cannot be read
    // as text (an escaped lone surrogate), which would otherwise throw
    // InvalidOperationException out of the enumeration.
    let private continuationOf (page: JsonElement) =
        if page.ValueKind = JsonValueKind.Object then
            try
                match page.TryGetProperty ContinuationToken with
                | true, token when token.ValueKind = JsonValueKind.String ->
                    match token.GetString() with
                    | "" -> None
                    | t -> Some t
                | _ -> None
            with :? InvalidOperationException ->
                None
        else
            None

    let private single (value: 'T) =
        AsyncSequence<'T>(fun () ->
            let mutable given = false

            fun _ ->
                if given then
                    Task.FromResult ValueNone
                else
                    given <- true
                    Task.FromResult(ValueSome value))
        :> IAsyncEnumerable<'T>

    let pages client (reference: ApiReference) (entry: ApiEntry) args (query: (string * string) list) payload =
        if not (List.contains ContinuationToken entry.Query) then
            single (Error(TaskclusterError.InvalidRequest(nameOf reference entry, RequestError.NotPaginated)))
        else
            AsyncSequence<Result<JsonElement, TaskclusterError>>(fun () ->
                // The first page uses the caller's query as given (a continuationToken there
                // resumes a listing); later pages replace it with the previous page's.
                let mutable next = Some query

                fun token ->
                    match next with
                    | None -> Task.FromResult ValueNone
                    | Some pageQuery ->
                        task {
                            let! page =
                                (call client reference entry args pageQuery payload token).ConfigureAwait(false)

                            match page with
                            | Ok element ->
                                next <-
                                    continuationOf element
                                    |> Option.map (fun t ->
                                        (query |> List.filter (fun (k, _) -> k <> ContinuationToken))
                                        @ [ ContinuationToken, t ])
                            | Error _ -> next <- None

                            return ValueSome page
                        })
            :> IAsyncEnumerable<_>

    let private itemsOfPage (itemsField: string option) (page: JsonElement) =
        let arrays () =
            if page.ValueKind = JsonValueKind.Object then
                page.EnumerateObject()
                |> Seq.filter (fun p -> p.Value.ValueKind = JsonValueKind.Array)
                |> Seq.toList
            else
                []

        match itemsField with
        | Some field ->
            match page.ValueKind with
            | JsonValueKind.Object ->
                match page.TryGetProperty field with
                | true, items when items.ValueKind = JsonValueKind.Array -> Ok(items.EnumerateArray() |> Seq.toArray)
                | _ -> Error $"the page has no array member '{field}'"
            | kind -> Error $"the page is not an object but {kind}"
        | None ->
            match arrays () with
            | [ only ] -> Ok(only.Value.EnumerateArray() |> Seq.toArray)
            | [] -> Error "the page has no array member to take items from"
            | several ->
                let names = several |> List.map _.Name |> String.concat ", "
                Error $"the page has several array members ({names}): name the one with the items"

    let private itemsOf (itemsField: string option) (page: JsonElement) =
        // Member names that are not Unicode (escaped lone surrogates) throw when read.
        try
            itemsOfPage itemsField page
        with :? InvalidOperationException ->
            Error "the page has a member name that is not valid Unicode"

    let items itemsField client reference entry args query payload =
        let source = pages client reference entry args query payload

        AsyncSequence<Result<JsonElement, TaskclusterError>>(fun () ->
            let mutable pageEnumerator: IAsyncEnumerator<Result<JsonElement, TaskclusterError>> =
                null

            let buffered = Queue<JsonElement>()
            let mutable finished = false

            let noItems reason =
                Error(TaskclusterError.InvalidRequest(nameOf reference entry, RequestError.NoItems reason))

            fun (token: CancellationToken) ->
                task {
                    let mutable result = ValueNone

                    // Pages are fetched until one has items (an empty page may still carry a
                    // continuation token), the listing ends, or it fails.
                    while result.IsNone && buffered.Count = 0 && not finished do
                        if isNull pageEnumerator then
                            pageEnumerator <- source.GetAsyncEnumerator(token)

                        let! more = pageEnumerator.MoveNextAsync().ConfigureAwait(false)

                        if not more then
                            finished <- true
                        else
                            match pageEnumerator.Current with
                            | Error e ->
                                finished <- true
                                result <- ValueSome(Error e)
                            | Ok page ->
                                match itemsOf itemsField page with
                                | Error reason ->
                                    finished <- true
                                    result <- ValueSome(noItems reason)
                                | Ok pageItems ->
                                    for item in pageItems do
                                        buffered.Enqueue item

                    if result.IsSome then
                        return result
                    elif buffered.Count > 0 then
                        return ValueSome(Ok(buffered.Dequeue()))
                    else
                        return ValueNone
                })
        :> IAsyncEnumerable<_>

    let paginate client reference entry args query payload (handler: JsonElement -> Task) cancellationToken =
        Pages.iter
            (fun page ->
                task {
                    do! (handler page).ConfigureAwait(false)
                    return ()
                })
            (pages client reference entry args query payload)
            cancellationToken
