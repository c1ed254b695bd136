namespace Taskcluster.Client

open System
open System.IO
open System.Net
open System.Net.Http
open System.Net.Http.Headers
open System.Net.Sockets
open System.Reflection
open System.Runtime.ExceptionServices
open System.Text
open System.Text.Json
open System.Threading
open System.Threading.Tasks
open Microsoft.Extensions.Logging
open Polly
open Polly.Retry
open Polly.Timeout
open Taskcluster.Core

/// What one attempt received, read to the end while the attempt's timeout still applied.
[<NoEquality; NoComparison>]
type internal Received =
    {
        Status: int
        ReasonPhrase: string
        Body: byte array
        /// The response's `Date` header (the server's clock), read for a 401 only: the one answer
        /// whose clock matters (a stale-timestamp rejection); parsing it costs every other call.
        Date: DateTimeOffset option
        /// The local clock (without offset) when the response arrived.
        ReceivedAt: DateTimeOffset
        /// How long `Retry-After` asks to wait, when the response has one.
        RetryAfter: TimeSpan option
        /// The `Location` header, absolute.
        Location: string option
        /// The service's `x-for-request-id` header.
        RequestId: string option
    }

/// A request ready to send: everything but the signature, which is made per attempt.
[<NoEquality; NoComparison>]
type internal Prepared =
    {
        Info: RequestInfo
        Method: HttpMethod
        Uri: Uri
        Body: ReadOnlyMemory<byte> option
    }

/// Raised inside an attempt (and turned into an outcome there) when signing fails.
type internal SigningFailedException(error: HawkError) =
    inherit Exception("the request could not be signed")
    member _.Error = error

/// Raised inside an attempt (and turned into an outcome there) when a response body is larger
/// than an API answer may be; not retried, since the same request gets the same body.
type internal ResponseTooLargeException(status: int, limit: int64) =
    inherit Exception($"the response body is larger than {limit} bytes")
    member _.Status = status
    member _.Limit = limit

/// Raised inside an attempt (and turned into a `Redirect` error there) when a caller-supplied
/// `HttpClient` followed a redirect: the request ended somewhere else than where it was sent.
type internal RedirectFollowedException(status: int, reasonPhrase: string, finalUri: Uri) =
    inherit Exception("the HttpClient followed a redirect")
    member _.Status = status
    member _.ReasonPhrase = reasonPhrase
    member _.FinalUri = finalUri

/// The clock offset a client measured (or was given): read on every signature, written after a
/// stale-timestamp rejection; ticks in a field so that reads and writes are atomic.
[<Sealed>]
type internal ClockOffset(initial: TimeSpan) =
    let mutable ticks = initial.Ticks
    member _.Value = TimeSpan(Volatile.Read(&ticks))
    member _.Set(offset: TimeSpan) = Volatile.Write(&ticks, offset.Ticks)

/// What a failed attempt comes to, in the one table API calls and data requests share.
[<RequireQualifiedAccess>]
type internal Verdict =
    /// Worth sending again, after the backoff (or the server's `Retry-After`).
    | Retry
    /// A pre-signed URL was refused (expired, or its signature no longer valid): ask the
    /// service for a fresh one and send again at once.
    | Renew
    /// Final: the error goes back to the caller.
    | Final

/// Sending, signing and retrying: the only place in the library that catches exceptions.
[<RequireQualifiedAccess>]
module internal Transport =
    /// The library's version, for the `User-Agent`.
    let version =
        let assembly = typeof<Verdict>.Assembly

        match assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>() with
        | null -> string (assembly.GetName().Version)
        | attribute ->
            // Drop the `+<commit>` build metadata the SDK appends.
            match attribute.InformationalVersion.IndexOf '+' with
            | -1 -> attribute.InformationalVersion
            | i -> attribute.InformationalVersion.Substring(0, i)

    let userAgent = $"Taskcluster.Functional/{version}"

    /// The one connection pool shared by every client that is not given its own `HttpClient`:
    /// redirects are never followed (credentials must not travel to another host), and pooled
    /// connections are recycled so that DNS changes are seen.
    let private sharedClient =
        lazy
            (let handler =
                new SocketsHttpHandler(
                    AllowAutoRedirect = false,
                    UseCookies = false,
                    AutomaticDecompression = DecompressionMethods.All,
                    PooledConnectionLifetime = TimeSpan.FromMinutes 5.0,
                    PooledConnectionIdleTimeout = TimeSpan.FromMinutes 1.0,
                    ConnectTimeout = TimeSpan.FromSeconds 30.0
                )

             new HttpClient(handler, false, Timeout = Timeout.InfiniteTimeSpan))

    let httpClientFor (options: ClientOptions) =
        match options.HttpClient, options.HttpMessageHandler with
        | Some client, _ -> client
        | None, Some handler -> new HttpClient(handler, false, Timeout = Timeout.InfiniteTimeSpan)
        | None, None -> sharedClient.Value

    let private nonceAlphabet =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

    /// Hawk nonces need only be unlikely to repeat (the services do not even track them).
    let nonce () =
        String.Create(
            8,
            0,
            fun span _ ->
                for i in 0 .. span.Length - 1 do
                    span[i] <- nonceAlphabet[Random.Shared.Next 64]
        )

    /// A `Retry-After` longer than this is not waited for: the error goes back to the caller.
    let maxRetryAfter = TimeSpan.FromMinutes 5.0

    let retryAfter (response: HttpResponseMessage) (now: DateTimeOffset) =
        match response.Headers.RetryAfter with
        | null -> None
        | value when value.Delta.HasValue -> Some(max TimeSpan.Zero value.Delta.Value)
        | value when value.Date.HasValue ->
            // Against the server's own clock when it sent one, so our skew does not count.
            let reference =
                if response.Headers.Date.HasValue then
                    response.Headers.Date.Value
                else
                    now

            Some(max TimeSpan.Zero (value.Date.Value - reference))
        | _ -> None

    let private location (request: Uri) (response: HttpResponseMessage) =
        match response.Headers.Location with
        | null -> None
        | target when target.IsAbsoluteUri || isNull request -> Some target.OriginalString
        | target ->
            // A server's Location must not be able to throw out of the Result API.
            match Uri.TryCreate(request, target) with
            | true, absolute -> Some absolute.AbsoluteUri
            | _ -> Some target.OriginalString

    /// The most an API response body may hold. Taskcluster answers are JSON pages of at most
    /// a few MiB; a bigger body is a broken or hostile server, and reading it would only
    /// exhaust memory. Transfers stream their data and are not limited by this.
    [<Literal>]
    let MaxBodyBytes = 134217728L

    /// The first buffer of a body: what most API answers fit in.
    [<Literal>]
    let InitialBodyBuffer = 16384

    /// Reads a whole body, at most `limit` bytes, into a buffer that grows with what actually
    /// arrives: an announced `Content-Length` caps the buffer (so a truthful one costs a single
    /// exact array in the end) but never sizes it up front, since a server that announces
    /// 128 MiB and then closes must not cost 128 MiB.
    let readBody (limit: int64) (status: int) (content: HttpContent) (token: CancellationToken) =
        task {
            let announced = content.Headers.ContentLength

            if announced.HasValue && announced.Value > limit then
                raise (ResponseTooLargeException(status, limit))

            use! stream = content.ReadAsStreamAsync(token).ConfigureAwait(false)
            // The most the body may hold: the announced length, else the limit.
            let most = if announced.HasValue then announced.Value else limit
            let mutable body = Array.zeroCreate<byte> (int (min most (int64 InitialBodyBuffer)))
            let mutable total = 0
            // A connection closed early fails the read inside HttpClient; an empty stream
            // despite the header (a HEAD answer) gives the bytes there are.
            let mutable reading = most > 0L

            while reading do
                if total = body.Length then
                    if int64 total >= most then
                        // Unannounced and at the limit: one byte more is too much.
                        if not announced.HasValue then
                            let probe = Array.zeroCreate<byte> 1
                            let! n = stream.ReadAsync(probe.AsMemory(), token).ConfigureAwait(false)

                            if n > 0 then
                                raise (ResponseTooLargeException(status, limit))

                        reading <- false
                    else
                        let grown = min most (max (int64 body.Length * 2L) (int64 InitialBodyBuffer))
                        let next = Array.zeroCreate<byte> (int grown)
                        Buffer.BlockCopy(body, 0, next, 0, total)
                        body <- next

                if reading then
                    let! n = stream.ReadAsync(body.AsMemory(total), token).ConfigureAwait(false)
                    total <- total + n
                    reading <- n > 0 && not (announced.HasValue && int64 total >= most)

            return if total = body.Length then body else Array.sub body 0 total
        }

    let private contentType = MediaTypeHeaderValue("application/json")

    /// The services' own id of a request (`x-for-request-id`), for errors and spans: a value
    /// the server chose, so it is kept only when it is short printable ASCII.
    let requestIdOf (response: HttpResponseMessage) =
        // The unvalidated view: no parsing and no copy of the values, on every response.
        match response.Headers.NonValidated.TryGetValues "x-for-request-id" with
        | true, values ->
            let mutable e = values.GetEnumerator()

            if e.MoveNext() then
                match e.Current with
                | id when
                    not (isNull id)
                    && id.Length > 0
                    && id.Length <= 128
                    && id |> String.forall (fun c -> c > ' ' && c < '\127')
                    ->
                    Some id
                | _ -> None
            else
                None
        | _ -> None

    /// What a response received: its status line and the headers the client acts on, with the
    /// body read by the caller (in full for an API answer, a bounded excerpt for a refused
    /// data request).
    let received (sent: Uri) (response: HttpResponseMessage) (body: byte array) (now: DateTimeOffset) =
        {
            Status = int response.StatusCode
            ReasonPhrase = response.ReasonPhrase |> Option.ofObj |> Option.defaultValue ""
            Body = body
            Date =
                if response.StatusCode = HttpStatusCode.Unauthorized then
                    Option.ofNullable response.Headers.Date
                else
                    None
            ReceivedAt = now
            RetryAfter = retryAfter response now
            Location = location sent response
            RequestId = requestIdOf response
        }

    /// Where a request ended when it did not end where it was sent: the request message's URI
    /// after sending (which redirect handlers rewrite), or the response's request message's.
    let followedTo (sent: Uri) (request: HttpRequestMessage) (response: HttpResponseMessage) =
        let final =
            match response.RequestMessage with
            | null -> request.RequestUri
            | message when not (isNull message.RequestUri) -> message.RequestUri
            | _ -> request.RequestUri

        if isNull final || final = sent then None else Some final

    /// Per-client settings every attempt needs.
    [<NoEquality; NoComparison>]
    type Settings =
        {
            Valid: ValidOptions
            Http: HttpClient
            Logger: ILogger
            Offset: ClockOffset
            Pipeline: ResiliencePipeline<Received>
            /// Checks request bodies against their schema id: the violations, `None` when the
            /// schema is unknown to it. Attached by the service layer, which owns the schemas.
            Validator: (string -> JsonElement -> SchemaViolation list option) option
        }

        member this.Options = this.Valid.Options
        member this.Now = this.Options.TimeProvider.GetUtcNow() + this.Offset.Value

    /// The per-call state an attempt and the retry callbacks share.
    [<Sealed; AllowNullLiteral>]
    type CallState(settings: Settings, prepared: Prepared) =
        member _.Settings = settings
        member _.Prepared = prepared
        member val Attempts = 0 with get, set

    let private callKey = ResiliencePropertyKey<CallState>("Taskcluster.Call")

    /// One attempt: a fresh request message and a fresh signature, sent, and the body read in
    /// full. It never throws (Polly's outcome API requires it): every exception becomes the
    /// outcome, to be judged by `shouldRetry` and `classify`.
    let private attempt (context: ResilienceContext) (call: CallState) =
        let settings = call.Settings
        call.Attempts <- call.Attempts + 1
        let prepared = call.Prepared
        let options = settings.Options

        let run =
            task {
                try
                    Log.sendingRequest
                        settings.Logger
                        prepared.Info.Name
                        prepared.Info.Method
                        prepared.Info.Url
                        call.Attempts

                    use request = new HttpRequestMessage(prepared.Method, prepared.Uri)
                    request.Headers.TryAddWithoutValidation("User-Agent", userAgent) |> ignore

                    match Telemetry.traceId options.TraceId with
                    | Some traceId ->
                        request.Headers.TryAddWithoutValidation("x-taskcluster-trace-id", traceId)
                        |> ignore
                    | None -> ()

                    match settings.Valid.Credentials with
                    | Some credentials ->
                        let timestamp = settings.Now.ToUnixTimeSeconds()

                        match
                            Hawk.header
                                credentials
                                prepared.Info.Method
                                prepared.Info.Url
                                timestamp
                                (nonce ())
                                settings.Valid.Ext
                                None
                        with
                        | Ok header -> request.Headers.TryAddWithoutValidation("Authorization", header) |> ignore
                        | Error e -> raise (SigningFailedException e)
                    | None -> ()

                    match prepared.Body with
                    | Some body ->
                        let content = new ReadOnlyMemoryContent(body)
                        content.Headers.ContentType <- contentType
                        request.Content <- content
                    | None -> ()

                    let token = context.CancellationToken

                    use! response =
                        settings.Http
                            .SendAsync(request, HttpCompletionOption.ResponseHeadersRead, token)
                            .ConfigureAwait(false)

                    // A caller's HttpClient that follows redirects moves the request (and its
                    // body) to the new URL: whatever came back is not the answer of our URL.
                    match followedTo prepared.Uri request response with
                    | Some final ->
                        raise (
                            RedirectFollowedException(
                                int response.StatusCode,
                                response.ReasonPhrase |> Option.ofObj |> Option.defaultValue "",
                                final
                            )
                        )
                    | None -> ()

                    let! body =
                        (readBody MaxBodyBytes (int response.StatusCode) response.Content token).ConfigureAwait(false)

                    let now = options.TimeProvider.GetUtcNow()
                    return Outcome.FromResult(received prepared.Uri response body now)
                with e ->
                    return Outcome.FromException<Received> e
            }

        ValueTask<Outcome<Received>>(run)

    // One delegate for every call (the call's state carries its client's settings).
    let private attemptCall =
        Func<ResilienceContext, CallState, ValueTask<Outcome<Received>>>(attempt)

    let isTransport (e: exn) =
        match e with
        | :? HttpRequestException
        | :? IOException
        | :? SocketException -> true
        | _ -> false

    /// `HttpClient.Timeout` of a caller-supplied client fires as a cancellation wrapping a
    /// `TimeoutException`.
    let private isHttpClientTimeout (e: exn) =
        match e with
        | :? OperationCanceledException as c -> (c.InnerException :? TimeoutException)
        | _ -> false

    /// The one classification of statuses every request shares (API calls and data transfers):
    /// which failures may pass if the same request is sent again. 5xx and 408/429 may; of the
    /// 5xx, those that say the server cannot or will not ever serve this request never do:
    /// 501 Not Implemented, 505 HTTP Version Not Supported, 506 Variant Also Negotiates,
    /// 508 Loop Detected, 510 Not Extended, 511 Network Authentication Required (a captive
    /// portal). A `Retry-After` longer than the client waits for is final too.
    let isRetryableStatus (status: int) =
        match status with
        | 501
        | 505
        | 506
        | 508
        | 510
        | 511 -> false
        | 408
        | 429 -> true
        | s -> s >= 500 && s < 600

    /// The one failure classification table of API calls and data requests, for a response
    /// that is not a success: a retryable status is retried (unless its `Retry-After` is longer
    /// than the client waits for); a pre-signed URL's 401/403 (`signed`) renews the URL; the
    /// rest is final.
    let verdict (signed: bool) (r: Received) =
        if
            isRetryableStatus r.Status
            && (r.RetryAfter |> Option.forall (fun d -> d <= maxRetryAfter))
        then
            Verdict.Retry
        elif signed && (r.Status = 401 || r.Status = 403) then
            Verdict.Renew
        else
            Verdict.Final

    /// The same table for what an attempt threw: timeouts and connection failures may pass on
    /// another attempt; anything else is final.
    let thrownVerdict (e: exn) =
        match e with
        | :? TimeoutRejectedException -> Verdict.Retry
        | e when isTransport e || isHttpClientTimeout e -> Verdict.Retry
        | _ -> Verdict.Final

    /// The error of a refused request. API calls name authentication and scope refusals; the
    /// 401/403 of a data request (`dataRequest`) comes from storage, whose credentials are not
    /// the client's, so it is a client error.
    let refusal (dataRequest: bool) (r: Received) (e: ServiceError) =
        match r.Status with
        | 401 when not dataRequest -> TaskclusterError.AuthenticationFailed e
        | 403 when not dataRequest -> TaskclusterError.InsufficientScopes e
        | s when s >= 300 && s < 400 -> TaskclusterError.Redirect(e, r.Location)
        | s when s >= 400 && s < 500 -> TaskclusterError.ClientError e
        | _ -> TaskclusterError.ServerError e

    /// The one walk of an exception's messages, inner ones included, each once.
    let messages (e: exn) =
        let rec walk (e: exn) =
            match e.InnerException with
            | null -> [ e.Message ]
            | inner -> e.Message :: walk inner

        walk e |> List.distinct |> String.concat " — "

    /// The error of what an attempt threw, when it is a failure of the request (not the
    /// caller's cancellation, nor a bug): `timeout` names the limit that a caller-supplied
    /// `HttpClient`'s own timeout enforced.
    let thrownError (info: RequestInfo) (attempts: int) (timeout: TimeSpan) (e: exn) =
        match e with
        | :? SigningFailedException as e ->
            Some(TaskclusterError.InvalidRequest(info.Name, RequestError.SigningFailed e.Error))
        | :? ResponseTooLargeException as e ->
            Some(
                TaskclusterError.InvalidResponse(
                    info,
                    e.Status,
                    {
                        Path = "$"
                        Reason = DecodeReason.InvalidJson e.Message
                    }
                )
            )
        | :? RedirectFollowedException as e ->
            Some(
                TaskclusterError.Redirect(
                    {
                        Request = info
                        Status = e.Status
                        ReasonPhrase = e.ReasonPhrase
                        Code = None
                        Message = $"the HttpClient followed a redirect to another URL (final status {e.Status})"
                        Body = None
                        Attempts = attempts
                        MissingScopes = []
                        RequestId = None
                    },
                    Some e.FinalUri.AbsoluteUri
                )
            )
        | :? TimeoutRejectedException as e -> Some(TaskclusterError.Timeout(info, e.Timeout, attempts))
        | e when isHttpClientTimeout e -> Some(TaskclusterError.Timeout(info, timeout, attempts))
        | :? OperationCanceledException -> Some(TaskclusterError.Cancelled info)
        | e when isTransport e -> Some(TaskclusterError.ConnectionFailed(info, messages e, attempts))
        | _ -> None

    let private shouldRetry (context: ResilienceContext) (outcome: Outcome<Received>) =
        if context.CancellationToken.IsCancellationRequested then
            false
        else
            match outcome.Exception with
            | null -> verdict false outcome.Result = Verdict.Retry
            | e -> thrownVerdict e = Verdict.Retry

    let private describeOutcome (outcome: Outcome<Received>) =
        match outcome.Exception with
        | null -> $"status {outcome.Result.Status}"
        | :? TimeoutRejectedException -> "timeout"
        | e when isHttpClientTimeout e -> "timeout"
        | e -> Redact.text $"{e.GetType().Name}: {e.Message}"

    /// The one shape of retries, for API calls and data requests alike: at most `maxRetries`
    /// more attempts of what `handles` says, after the delay the server asked for
    /// (`requested`), else the client's backoff; `onRetry` is told the retry's number (from 1)
    /// and delay. The client's clock times the delays.
    let retryStrategy
        (options: ClientOptions)
        (maxRetries: int)
        (handles: ResilienceContext -> Outcome<'T> -> bool)
        (requested: Outcome<'T> -> TimeSpan option)
        (onRetry: ResilienceContext -> Outcome<'T> -> int -> TimeSpan -> unit)
        =
        let retry = RetryStrategyOptions<'T>()
        retry.MaxRetryAttempts <- maxRetries
        retry.ShouldHandle <- fun args -> ValueTask<bool>(handles args.Context args.Outcome)

        retry.DelayGenerator <-
            fun args ->
                let delay =
                    match requested args.Outcome with
                    | Some delay -> delay
                    | None -> Backoff.calculateSleepTime options.Backoff (args.AttemptNumber + 1) (options.Random())

                ValueTask<Nullable<TimeSpan>>(Nullable delay)

        retry.OnRetry <-
            fun args ->
                onRetry args.Context args.Outcome (args.AttemptNumber + 1) args.RetryDelay
                ValueTask.CompletedTask

        retry

    /// The pipeline of one client: retries outside, a timeout around each attempt inside.
    let pipeline (options: ClientOptions) (logger: ILogger) =
        let builder = ResiliencePipelineBuilder<Received>()
        builder.TimeProvider <- options.TimeProvider

        if options.MaxRetries > 0 then
            let requested (outcome: Outcome<Received>) =
                match outcome.Exception with
                | null -> outcome.Result.RetryAfter
                | _ -> None

            let onRetry (context: ResilienceContext) outcome retry delay =
                match context.Properties.TryGetValue callKey with
                | true, call ->
                    let reason = describeOutcome outcome
                    Log.retryingRequest logger call.Prepared.Info.Name reason retry delay
                    Telemetry.retried call.Prepared.Info.Name reason retry delay
                | _ -> ()

            builder.AddRetry(retryStrategy options options.MaxRetries shouldRetry requested onRetry)
            |> ignore

        if options.Timeout <> Timeout.InfiniteTimeSpan then
            builder.AddTimeout options.Timeout |> ignore

        builder.Build()

    /// The Taskcluster error body `{code, message, …}`, when the body is one.
    let private errorBody (body: byte array) =
        if body.Length = 0 then
            None
        else
            try
                use doc = JsonDocument.Parse(ReadOnlyMemory body)
                let root = doc.RootElement

                if root.ValueKind = JsonValueKind.Object then
                    // Invalid UTF-8 and escaped lone surrogates parse, and throw
                    // InvalidOperationException only when read: such a member counts as absent.
                    let text name =
                        try
                            match root.TryGetProperty(name: string) with
                            | true, v when v.ValueKind = JsonValueKind.String -> Some(v.GetString())
                            | _ -> None
                        with :? InvalidOperationException ->
                            None

                    match text "code", text "message" with
                    | None, None -> None
                    | code, message -> Some(code, message)
                else
                    None
            with :? JsonException ->
                None

    /// The first bytes of a body, as text, cut on a character boundary.
    let excerptLength = 512

    let private excerpt (body: byte array) =
        if body.Length = 0 then
            None
        else
            let length = min body.Length excerptLength
            let text = Encoding.UTF8.GetString(body, 0, length)
            // A multi-byte character cut in two decodes to U+FFFD at the end: drop it.
            let text =
                if length < body.Length && text.EndsWith '\uFFFD' then
                    text.TrimEnd '\uFFFD'
                else
                    text

            Some text

    /// Expressions are kept as compact JSON, with `<` and `+` as they are (scopes have both).
    let private compact =
        JsonSerializerOptions(Encoder = Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping)

    /// A JSON value of scopes as a list: an array of strings, one string, or an expression
    /// (`{"AllOf": …}`) as its compact JSON text.
    let private scopesOf (value: JsonElement) =
        match value.ValueKind with
        | JsonValueKind.String -> [ value.GetString() ]
        | JsonValueKind.Array when
            value.EnumerateArray()
            |> Seq.forall (fun v -> v.ValueKind = JsonValueKind.String)
            ->
            value.EnumerateArray() |> Seq.map _.GetString() |> List.ofSeq
        | JsonValueKind.Object
        | JsonValueKind.Array -> [ JsonSerializer.Serialize(value, compact) ]
        | _ -> []

    /// What the services write after "missing the following scopes:": a fenced block (or the
    /// lines up to a blank one) holding a JSON array, a JSON expression, or one scope a line.
    let private scopesInMessage (message: string) =
        let marker = "missing the following scopes:"

        match message.IndexOf(marker, StringComparison.OrdinalIgnoreCase) with
        | -1 -> []
        | at ->
            let lines =
                message.Substring(at + marker.Length).Split('\n')
                |> Array.map _.Trim()
                |> List.ofArray

            let rest =
                match lines with
                // Scopes on the marker's own line.
                | first :: _ when first <> "" -> [ first ]
                | _ ->
                    match lines |> List.skipWhile ((=) "") with
                    | fence :: body when fence.StartsWith "```" ->
                        body |> List.takeWhile (fun l -> not (l.StartsWith "```"))
                    | body -> body |> List.takeWhile ((<>) "")

            let block = String.Join("\n", rest).Trim()

            if block = "" then
                []
            else
                try
                    use doc = JsonDocument.Parse block
                    scopesOf doc.RootElement
                with :? JsonException ->
                    rest
                    |> List.map (fun l -> l.TrimStart('-', ' ').Trim())
                    |> List.filter ((<>) "")

    /// The missing scopes of a 403 body, as the service sent them: `requiredScopes`, then
    /// `details.unsatisfied` or `details.required`, then the message's block.
    let missingScopes (body: byte array) (message: string option) =
        let fromJson () =
            try
                use doc = JsonDocument.Parse(ReadOnlyMemory body)
                let root = doc.RootElement

                if root.ValueKind <> JsonValueKind.Object then
                    []
                else
                    let member' (e: JsonElement) (name: string) =
                        match e.TryGetProperty name with
                        | true, v -> scopesOf v
                        | _ -> []

                    match member' root "requiredScopes" with
                    | [] ->
                        match root.TryGetProperty "details" with
                        | true, details when details.ValueKind = JsonValueKind.Object ->
                            match member' details "unsatisfied" with
                            | [] -> member' details "required"
                            | scopes -> scopes
                        | _ -> []
                    | scopes -> scopes
            with
            | :? JsonException
            | :? InvalidOperationException -> []

        let found =
            match (if body.Length = 0 then [] else fromJson ()) with
            | [] ->
                try
                    message |> Option.map scopesInMessage |> Option.defaultValue []
                with :? InvalidOperationException ->
                    []
            | scopes -> scopes

        found |> List.filter (String.IsNullOrWhiteSpace >> not)

    let serviceError (info: RequestInfo) (attempts: int) (r: Received) =
        // Diagnostic text from the network: whatever credentials it holds (a pre-signed URL in
        // an S3 error page, say) are dropped before it is kept.
        match errorBody r.Body with
        | Some(code, message) ->
            {
                Request = info
                Status = r.Status
                ReasonPhrase = r.ReasonPhrase
                Code = code
                Message = message |> Option.defaultValue r.ReasonPhrase |> Redact.text
                Body = None
                Attempts = attempts
                MissingScopes = if r.Status = 403 then missingScopes r.Body message else []
                RequestId = r.RequestId
            }
        | None ->
            {
                Request = info
                Status = r.Status
                ReasonPhrase = r.ReasonPhrase
                Code = None
                Message = $"HTTP {r.Status} {r.ReasonPhrase}".TrimEnd()
                Body = excerpt r.Body |> Option.map Redact.text
                Attempts = attempts
                MissingScopes = []
                RequestId = r.RequestId
            }

    /// The auth service's words for a Hawk timestamp outside its ±15 minutes window.
    let private staleTimestamp = "Stale timestamp"

    /// The server's time, when the response is a stale-timestamp rejection that says it.
    let staleTimestampServerTime (r: Received) =
        if r.Status = 401 then
            match errorBody r.Body, r.Date with
            | Some(_, Some message), Some date when message.Contains(staleTimestamp, StringComparison.OrdinalIgnoreCase) ->
                Some date
            | _ -> None
        else
            None

    let private classifyStatus (info: RequestInfo) attempts (r: Received) =
        if r.Status >= 200 && r.Status < 300 then
            Ok r
        else
            Error(refusal false r (serviceError info attempts r))

    /// The result of a whole call. Cancellation by the caller is rethrown, as .NET code expects;
    /// an exception that is neither a transport failure, a timeout nor a cancellation is a bug
    /// and is rethrown as it is.
    let private classify
        (settings: Settings)
        (call: CallState)
        (token: CancellationToken)
        (outcome: Outcome<Received>)
        =
        let info = call.Prepared.Info

        match outcome.Exception with
        | null -> classifyStatus info call.Attempts outcome.Result
        | :? OperationCanceledException as e when token.IsCancellationRequested ->
            ExceptionDispatchInfo.Throw e
            Unchecked.defaultof<_>
        | e ->
            match thrownError info call.Attempts settings.Http.Timeout e with
            | Some error -> Error error
            | None ->
                ExceptionDispatchInfo.Throw e
                Unchecked.defaultof<_>

    let private run (settings: Settings) (call: CallState) (token: CancellationToken) =
        task {
            let context = ResilienceContextPool.Shared.Get(token)
            context.Properties.Set(callKey, call)

            try
                let! outcome = settings.Pipeline.ExecuteOutcomeAsync(attemptCall, context, call).ConfigureAwait(false)

                return outcome
            finally
                ResilienceContextPool.Shared.Return context
        }

    /// `send` without its span.
    let private sendCall (settings: Settings) (call: CallState) (token: CancellationToken) =
        task {
            let prepared = call.Prepared
            let! first = (run settings call token).ConfigureAwait(false)

            let! result =
                match first.Exception with
                | null ->
                    match settings.Valid.Credentials, staleTimestampServerTime first.Result with
                    | Some _, Some serverTime ->
                        let clientTime = first.Result.ReceivedAt
                        let offset = serverTime - clientTime
                        let limit = settings.Options.MaxClockOffset

                        if offset.Duration() > limit then
                            Task.FromResult(
                                Error(TaskclusterError.ClockSkew(prepared.Info, clientTime, serverTime, limit))
                            )
                        else
                            settings.Offset.Set offset
                            Log.correctingClock settings.Logger prepared.Info.Name offset

                            task {
                                let! again = (run settings call token).ConfigureAwait(false)
                                return classify settings call token again
                            }
                    | _ -> Task.FromResult(classify settings call token first)
                | _ -> Task.FromResult(classify settings call token first)
                |> _.ConfigureAwait(false)

            match result with
            | Ok r -> Log.requestSucceeded settings.Logger prepared.Info.Name r.Status call.Attempts
            | Error e -> Log.requestFailed settings.Logger prepared.Info.Name e

            return result
        }

    /// The service error a failure carries, when the server answered.
    let private answered (error: TaskclusterError) =
        match error with
        | TaskclusterError.AuthenticationFailed e
        | TaskclusterError.InsufficientScopes e
        | TaskclusterError.ClientError e
        | TaskclusterError.ServerError e
        | TaskclusterError.Redirect(e, _) -> Some e
        | _ -> None

    /// Sends a prepared request with retries; after a stale-timestamp rejection, sets the clock
    /// offset from the response's `Date` and tries once more, unless the offset would exceed
    /// `MaxClockOffset` (a `ClockSkew` error naming both times). Returns a 2xx response or an
    /// error. The call is one span (current while it runs, so that its attempts send its trace
    /// id) and one duration measurement.
    let send (settings: Settings) (prepared: Prepared) (token: CancellationToken) =
        task {
            let activity = Telemetry.startCall prepared.Info
            let started = Diagnostics.Stopwatch.GetTimestamp()
            let call = CallState(settings, prepared)
            let mutable ended = false

            try
                let! result = (sendCall settings call token).ConfigureAwait(false)

                match result with
                | Ok r ->
                    Telemetry.endCall activity prepared.Info started (Some r.Status) call.Attempts r.RequestId None
                | Error e ->
                    let service = answered e

                    Telemetry.endCall
                        activity
                        prepared.Info
                        started
                        e.Status
                        call.Attempts
                        (service |> Option.bind _.RequestId)
                        (Some(Telemetry.caseName e))

                ended <- true
                return result
            finally
                // Cancellation by the caller (or a bug) ends the call with an exception.
                if not ended then
                    Telemetry.endCall activity prepared.Info started None call.Attempts None (Some "Cancelled")
        }
