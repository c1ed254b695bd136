namespace Taskcluster.Client

open System
open System.Buffers
open System.Globalization
open System.IO
open System.IO.Compression
open System.Net
open System.Net.Http
open System.Net.Sockets
open System.Runtime.ExceptionServices
open System.Security.Cryptography
open System.Text.Json
open System.Threading
open System.Threading.Tasks
open Microsoft.Extensions.Logging
open Polly
open Taskcluster.Core

/// Raised inside a data request (and turned into an outcome there) when a URL is not one to
/// fetch: the first one (`redirected` false) or a redirect's target.
type internal UnfitUrlException(url: string, reason: string, redirected: bool, status: int) =
    inherit Exception($"the URL is {reason}")
    member _.Url = url
    member _.Reason = reason
    member _.Redirected = redirected
    member _.Status = status

/// What data requests use of a client: its connection, its logger and its clock.
[<NoEquality; NoComparison>]
type internal Link =
    {
        Client: TaskclusterClient
        Http: HttpClient
        Logger: ILogger
    }

    member this.Options = this.Client.Options
    /// The local clock corrected by the offset the client measured: the services' time.
    member this.Now = this.Options.TimeProvider.GetUtcNow() + this.Client.ClockOffset

    /// The client's own connection and logger: every transfer of a client shares them.
    static member Of(client: TaskclusterClient) =
        {
            Client = client
            Http = client.Settings.Http
            Logger = client.Settings.Logger
        }

/// What one attempt of a data request came to.
[<RequireQualifiedAccess>]
type internal Attempt<'T> =
    | Done of 'T
    | Fatal of TransferError
    /// Worth another attempt after the backoff, or after `Retry-After` when the server asked.
    | Retry of TaskclusterError * retryAfter: TimeSpan option
    /// A pre-signed URL was refused (expired, or its signature no longer valid): ask for a new
    /// one and try again at once.
    | Renew of TaskclusterError

/// A `putUrl` upload method: where to PUT and with which headers.
type internal PutTarget =
    {
        Url: string
        Expires: DateTimeOffset
        Headers: (string * string) list
    }

/// What a download attempt received.
type internal Body =
    {
        Length: int64
        ContentType: string
        Hashes: struct (string * string) voption
    }

/// The data requests of transfers and their retries. Like `Transport` for API calls, this is
/// where transfer failures are caught and turned into values; exceptions of the caller's own
/// readers and writers, and cancellation by the caller's token, go back to the caller as they are.
[<RequireQualifiedAccess>]
module internal DataTransfer =
    /// Big enough to keep system calls, hash calls and thread hand-overs few; two of them per
    /// transfer (pooled) are all the memory a transfer takes.
    [<Literal>]
    let ChunkSize = 262144

    /// The most of an error body kept for the message.
    [<Literal>]
    let ErrorBodyLimit = 65536

    [<Literal>]
    let DefaultContentType = "application/octet-stream"

    /// Why a URL handed out by a server (or a redirect's target) is not fetched, if it is not:
    /// only absolute http(s) URLs are, so that a task that creates an artifact cannot make a
    /// downloader open `file:`, `ftp:` or whatever else a URL can name.
    let unfit (url: string) =
        match Uri.TryCreate(url, UriKind.Absolute) with
        | true, uri when uri.Scheme = Uri.UriSchemeHttps || uri.Scheme = Uri.UriSchemeHttp -> None
        | true, uri -> Some $"not an http(s) URL (scheme {Display.quote uri.Scheme})"
        | _ -> Some "not an absolute URL"

    /// A URL in a service's answer that a transfer will follow.
    let httpUrl: Decoder<string> =
        Decode.string
        |> Decode.validate (fun url ->
            match unfit url with
            | None -> Ok url
            | Some reason -> Error reason)

    /// Pre-signed URLs carry their signature in the query: never show it.
    let redact (url: string) =
        match url.IndexOfAny [| '?'; '#' |] with
        | -1 -> url
        | i -> url.Substring(0, i) + "?…"

    let info (origin: string) (httpMethod: string) (url: string) =
        {
            Name = origin
            Method = httpMethod
            Url = redact url
        }

    let invalidResponse (request: RequestInfo) (error: DecodeError) =
        TransferError.Request(TaskclusterError.InvalidResponse(request, 200, error))

    let request (result: Result<'T, TaskclusterError>) =
        result |> Result.mapError TransferError.Request

    let report (progress: IProgress<TransferProgress> option) attempt bytes total =
        match progress with
        | Some p ->
            p.Report
                {
                    BytesTransferred = bytes
                    TotalBytes = total
                    Attempt = attempt
                }
        | None -> ()

    let maxRetries (client: TaskclusterClient) (options: TransferOptions) =
        options.MaxRetries |> Option.defaultValue client.Options.MaxRetries

    /// Refuses a name with a `.` or `..` path segment (also spelt with `\` or `%2E`). HTTP
    /// stacks, proxies and servers remove such segments from URLs (RFC 3986), so the URL a
    /// service signs for the name is not the one that arrives and the request fails (403,
    /// "signature does not match") after the work was done; no client can prevent every hop
    /// from rewriting it, so it is refused before anything is sent.
    let checkName (argument: string) (name: string) =
        let dotted (segment: string) =
            match segment.Replace("%2e", ".").Replace("%2E", ".") with
            | "."
            | ".." -> true
            | _ -> false

        if isNull name then
            Ok()
        elif name.Split([| '/'; '\\' |]) |> Array.exists dotted then
            Error(
                TransferError.InvalidArgument(
                    argument,
                    $"{Display.quote name} has a '.' or '..' path segment, which HTTP stacks and servers remove from URLs before a signature is checked"
                )
            )
        else
            Ok()

    let checkOptions (options: TransferOptions) =
        match options.MaxRetries with
        | Some n when n < 0 -> Error(TransferError.InvalidArgument("maxRetries", $"must not be negative, not {n}"))
        | _ -> Ok()

    // -----------------------------------------------------------------------------------------
    // Decoding responses

    /// An ISO 8601 date-time, as the services write them.
    let decodeTime =
        Decode.string
        |> Decode.validate (fun text ->
            match
                DateTimeOffset.TryParse(
                    text,
                    CultureInfo.InvariantCulture,
                    DateTimeStyles.AssumeUniversal ||| DateTimeStyles.AdjustToUniversal
                )
            with
            | true, value -> Ok value
            | _ -> Error $"not a date-time: {Display.quote text}")

    /// The hashes an object service response records; values that are not strings are ignored
    /// (the schema allows any other algorithm).
    let hashes: Decoder<(string * string) list> =
        // Decode.string, not GetString: a value that is not Unicode is an error, not an exception.
        Decode.keyValuePairs (fun path value ->
            if value.ValueKind = JsonValueKind.String then
                Decode.string path value |> Result.map Some
            else
                Ok None)
        |> Decode.map (List.choose (fun (k, v) -> v |> Option.map (fun v -> k, v)))

    let optionalHashes =
        Decode.optionalField "hashes" hashes |> Decode.map (Option.defaultValue [])

    /// `uploadMethod` of a `createUpload` response.
    type UploadChoice =
        | Inline
        | Put of PutTarget
        | Nothing

    let uploadChoice: Decoder<UploadChoice> =
        Decode.field
            "uploadMethod"
            (Decode.object (fun get ->
                match get.Optional "dataInline" Decode.bool, get.Optional "putUrl" Decode.element with
                | Some true, _ -> Inline
                | _, Some _ ->
                    get.Required
                        "putUrl"
                        (Decode.object (fun put ->
                            {
                                Url = put.Required "url" httpUrl
                                Expires = put.Required "expires" decodeTime
                                Headers =
                                    put.Optional "headers" (Decode.keyValuePairs Decode.string)
                                    |> Option.defaultValue []
                            }))
                    |> Put
                | _ -> Nothing))

    // -----------------------------------------------------------------------------------------
    // One attempt

    let private readErrorBody (response: HttpResponseMessage) (ct: CancellationToken) =
        task {
            try
                use! body = response.Content.ReadAsStreamAsync(ct)
                // Grown with what arrives, up to the limit: most error bodies are a few bytes.
                let mutable buffer = Array.zeroCreate<byte> 4096
                let mutable total = 0
                let mutable reading = true

                while reading && total < ErrorBodyLimit do
                    if total = buffer.Length then
                        let grown = Array.zeroCreate<byte> (min ErrorBodyLimit (buffer.Length * 2))
                        Buffer.BlockCopy(buffer, 0, grown, 0, total)
                        buffer <- grown

                    let! n = body.ReadAsync(buffer.AsMemory(total), ct)

                    if n = 0 then reading <- false else total <- total + n

                return Array.sub buffer 0 total
            with e when Transport.isTransport e ->
                return [||]
        }

    /// The outcome of a response that is not a success, by the table API calls share.
    let private refused (link: Link) (request: RequestInfo) attempt (signed: bool) (response: HttpResponseMessage) ct =
        task {
            let! body = readErrorBody response ct

            let sent =
                match response.RequestMessage with
                | null -> null
                | message -> message.RequestUri

            let received =
                Transport.received sent response body (link.Options.TimeProvider.GetUtcNow())

            let error =
                Transport.refusal true received (Transport.serviceError request attempt received)

            return
                match Transport.verdict signed received with
                | Verdict.Retry -> Attempt.Retry(error, received.RetryAfter)
                | Verdict.Renew -> Attempt.Renew error
                | Verdict.Final -> Attempt.Fatal(TransferError.Request error)
        }

    /// The service error of a redirect that was not (or must not have been) followed.
    let private redirectError (request: RequestInfo) attempt status (message: string) =
        {
            Request = request
            Status = status
            ReasonPhrase = ""
            Code = None
            Message = message
            Body = None
            Attempts = attempt
            MissingScopes = []
            RequestId = None
        }

    /// Turns what an attempt threw into an outcome. The caller's cancellation and the caller's
    /// own reader or writer failures are rethrown.
    let private failed
        (request: RequestInfo)
        attempt
        (timeout: TimeSpan)
        (ct: CancellationToken)
        (idle: CancellationTokenSource)
        (callerError: exn)
        (e: exn)
        =
        if ct.IsCancellationRequested then
            raise (OperationCanceledException(ct))
        elif not (isNull callerError) then
            ExceptionDispatchInfo.Throw callerError
            Unchecked.defaultof<_>
        else
            match e with
            | :? OperationCanceledException when idle.IsCancellationRequested ->
                Attempt.Retry(TaskclusterError.Timeout(request, timeout, attempt), None)
            | :? UnfitUrlException as u when u.Redirected ->
                Attempt.Fatal(
                    TransferError.Request(
                        TaskclusterError.Redirect(
                            redirectError
                                request
                                attempt
                                u.Status
                                $"a redirect to a URL that is {u.Reason} is not followed",
                            Some u.Url
                        )
                    )
                )
            | :? UnfitUrlException as u ->
                Attempt.Fatal(
                    TransferError.Request(
                        TaskclusterError.InvalidRequest(request.Name, RequestError.InvalidUrl(redact u.Url, u.Reason))
                    )
                )
            | e ->
                match Transport.thrownError request attempt timeout e with
                | Some error when Transport.thrownVerdict e = Verdict.Retry -> Attempt.Retry(error, None)
                | Some error -> Attempt.Fatal(TransferError.Request error)
                | None ->
                    ExceptionDispatchInfo.Throw e
                    Unchecked.defaultof<_>

    /// A watchdog per attempt: cancels when no byte moved for the client's `Timeout`.
    let private watchdog (link: Link) (ct: CancellationToken) =
        let timeout = link.Options.Timeout
        // On the client's clock, like the per-attempt timeout of API calls.
        let stall =
            new CancellationTokenSource(Timeout.InfiniteTimeSpan, link.Options.TimeProvider)

        let idle = CancellationTokenSource.CreateLinkedTokenSource(ct, stall.Token)

        let touch () =
            if timeout <> Timeout.InfiniteTimeSpan then
                stall.CancelAfter timeout

        touch ()

        let dispose =
            { new IDisposable with
                member _.Dispose() =
                    idle.Dispose()
                    stall.Dispose()
            }

        idle, touch, timeout, dispose

    let private addHeaders (request: HttpRequestMessage) (content: HttpContent) (headers: (string * string) list) =
        for name, value in headers do
            // The content computes Content-Length itself from the announced length.
            if not (String.Equals(name, "Content-Length", StringComparison.OrdinalIgnoreCase)) then
                if not (request.Headers.TryAddWithoutValidation(name, value)) then
                    content.Headers.TryAddWithoutValidation(name, value) |> ignore

    /// One PUT of the reader's bytes; the hashes on success.
    let putAttempt
        (link: Link)
        (origin: string)
        (target: PutTarget)
        (name: string)
        (length: int64)
        (reader: ReaderFactory)
        (progress: IProgress<TransferProgress> option)
        (attempt: int)
        (ct: CancellationToken)
        : Task<Attempt<struct (string * string)>> =
        task {
            let request = info origin "PUT" target.Url
            let idle, touch, timeout, watch = watchdog link ct
            use _ = watch
            Log.sendingRequest link.Logger origin "PUT" request.Url attempt
            report progress attempt 0L (Some length)
            use! stream = reader ct
            use hasher = new Hasher()

            let content =
                new UploadContent(
                    stream,
                    length,
                    ChunkSize,
                    hasher,
                    fun sent ->
                        touch ()
                        report progress attempt sent (Some length)
                )

            try
                try
                    let sentUri =
                        match unfit target.Url with
                        | Some reason -> raise (UnfitUrlException(target.Url, reason, false, 0))
                        | None -> Uri target.Url

                    use message = new HttpRequestMessage(HttpMethod.Put, sentUri, Content = content)

                    message.Headers.TryAddWithoutValidation("User-Agent", Transport.userAgent)
                    |> ignore

                    addHeaders message content target.Headers

                    use! response = link.Http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, idle.Token)

                    // The data went wherever a caller's redirect-following HttpClient took it.
                    match Transport.followedTo sentUri message response with
                    | Some final -> raise (RedirectFollowedException(int response.StatusCode, "", final))
                    | None -> ()

                    if response.IsSuccessStatusCode then
                        // A server may answer before reading everything; the hashes need it all.
                        do! content.Finished.WaitAsync(idle.Token)
                        let! hashes = hasher.Finish()
                        return Attempt.Done hashes
                    else
                        return! refused link request attempt true response idle.Token
                with e ->
                    match content.Mismatch with
                    | ValueSome actual when isNull content.ReaderError ->
                        return Attempt.Fatal(TransferError.LengthMismatch(name, length, actual))
                    | _ -> return failed request attempt timeout ct idle content.ReaderError e
            finally
                content.Dispose()
        }

    /// Sends a GET without credentials, following redirects when allowed (pre-signed URLs of
    /// our own services promise none; others, like a reference artifact's, may redirect).
    let rec private get
        (http: HttpClient)
        (url: string)
        (follow: bool)
        (hops: int)
        (status: int)
        (ct: CancellationToken)
        : Task<HttpResponseMessage> =
        task {
            let sent =
                match unfit url with
                | Some reason -> raise (UnfitUrlException(url, reason, hops > 0, status))
                | None -> Uri url

            use message = new HttpRequestMessage(HttpMethod.Get, sent)

            message.Headers.TryAddWithoutValidation("User-Agent", Transport.userAgent)
            |> ignore

            let! response = http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, ct)
            let code = int response.StatusCode

            match Transport.followedTo sent message response with
            | Some final when not follow ->
                response.Dispose()
                return raise (RedirectFollowedException(code, "", final))
            | _ ->
                if
                    follow
                    && hops < 5
                    && code >= 300
                    && code < 400
                    && not (isNull response.Headers.Location)
                then
                    let target =
                        match Uri.TryCreate(sent, response.Headers.Location) with
                        | true, target -> target.AbsoluteUri
                        | _ -> string response.Headers.Location

                    response.Dispose()
                    return! get http target follow (hops + 1) code ct
                else
                    return response
        }

    /// The body, decoded when the server compressed it and the `HttpClient` did not already
    /// (the object service's `getUrl` requires clients to take gzip).
    let private decoded (response: HttpResponseMessage) (body: Stream) =
        match response.Content.Headers.ContentEncoding |> Seq.tryLast with
        | Some "gzip" -> Some(new GZipStream(body, CompressionMode.Decompress) :> Stream)
        | Some "deflate" -> Some(new ZLibStream(body, CompressionMode.Decompress) :> Stream)
        | Some "br" -> Some(new BrotliStream(body, CompressionMode.Decompress) :> Stream)
        | Some "identity"
        | None -> Some body
        | Some _ -> None

    /// One GET into a fresh writer.
    let getAttempt
        (link: Link)
        (origin: string)
        (url: string)
        (signed: bool)
        (follow: bool)
        (hash: bool)
        (name: string)
        (writer: int64 option -> CancellationToken -> Task<Stream>)
        (progress: IProgress<TransferProgress> option)
        (attempt: int)
        (ct: CancellationToken)
        : Task<Attempt<Body>> =
        task {
            let request = info origin "GET" url
            let idle, touch, timeout, watch = watchdog link ct
            use _ = watch
            Log.sendingRequest link.Logger origin "GET" request.Url attempt
            // What the caller's writer throws is the caller's error, not a transfer failure.
            let writerError = ref null

            let write (stream: Stream) (data: ReadOnlyMemory<byte>) =
                task {
                    try
                        do! stream.WriteAsync(data, ct)
                    with e ->
                        writerError.Value <- e
                        ExceptionDispatchInfo.Throw e
                }

            try
                use! response = get link.Http url follow 0 0 idle.Token

                if not response.IsSuccessStatusCode then
                    return! refused link request attempt signed response idle.Token
                else
                    let encodings = response.Content.Headers.ContentEncoding

                    let announced =
                        if encodings.Count = 0 then
                            Option.ofNullable response.Content.Headers.ContentLength
                        else
                            None

                    let contentType =
                        match response.Content.Headers.ContentType with
                        | null -> DefaultContentType
                        | t -> string t

                    use! raw = response.Content.ReadAsStreamAsync(idle.Token)

                    match decoded response raw with
                    | None ->
                        return
                            Attempt.Fatal(
                                TransferError.UnsupportedMethod(name, $"Content-Encoding: {Seq.last encodings}")
                            )
                    | Some body ->
                        use body = body
                        report progress attempt 0L announced

                        let! destination =
                            task {
                                try
                                    return! writer announced ct
                                with e ->
                                    writerError.Value <- e
                                    ExceptionDispatchInfo.Throw e
                                    return null
                            }

                        use destination = destination
                        use hasher = new Hasher()

                        let buffers =
                            [|
                                ArrayPool<byte>.Shared.Rent ChunkSize
                                ArrayPool<byte>.Shared.Rent ChunkSize
                            |]

                        try
                            let mutable total = 0L
                            let mutable turn = 0
                            let mutable ended = false

                            while not ended do
                                let buffer = buffers[turn &&& 1]
                                let! struct (n, atEnd) = Chunks.fill body buffer ChunkSize touch idle.Token
                                ended <- atEnd

                                if n > 0 then
                                    let chunk = ReadOnlyMemory(buffer, 0, n)

                                    if hash then
                                        do! hasher.Append chunk

                                    do! write destination chunk
                                    total <- total + int64 n
                                    turn <- turn + 1
                                    report progress attempt total announced

                            try
                                do! destination.FlushAsync(ct)
                            with e ->
                                writerError.Value <- e
                                ExceptionDispatchInfo.Throw e

                            match announced with
                            | Some expected when expected <> total ->
                                return Attempt.Fatal(TransferError.LengthMismatch(name, expected, total))
                            | _ ->
                                report progress attempt total (Some total)

                                let! hashes =
                                    if hash then
                                        hasher.Finish()
                                    else
                                        Task.FromResult(struct ("", ""))

                                return
                                    Attempt.Done
                                        {
                                            Length = total
                                            ContentType = contentType
                                            Hashes = if hash then ValueSome hashes else ValueNone
                                        }
                        finally
                            hasher.Settle()

                            for b in buffers do
                                ArrayPool<byte>.Shared.Return b
            with e ->
                return failed request attempt timeout ct idle writerError.Value e
        }

    // -----------------------------------------------------------------------------------------
    // Retries

    /// Runs attempts until one is done or fatal, or the retries run out, through the retry
    /// shape API calls use: the client's backoff (or `Retry-After`) between attempts, and no
    /// wait before a renewed URL is tried.
    let retry
        (link: Link)
        (maxRetries: int)
        (origin: string)
        (attempt: int -> Task<Attempt<'T>>)
        (ct: CancellationToken)
        : Task<Result<'T, TransferError>> =
        task {
            let options = link.Options
            let logger = link.Logger
            let number = ref 0
            let builder = ResiliencePipelineBuilder<Attempt<'T>>()
            builder.TimeProvider <- options.TimeProvider

            if maxRetries > 0 then
                // Exceptions are the caller's (its reader, writer or token): never retried.
                let handles _ (outcome: Outcome<Attempt<'T>>) =
                    match outcome.Exception, outcome.Result with
                    | null, Attempt.Retry _
                    | null, Attempt.Renew _ -> true
                    | _ -> false

                let requested (outcome: Outcome<Attempt<'T>>) =
                    match outcome.Exception, outcome.Result with
                    | null, Attempt.Retry(_, retryAfter) -> retryAfter
                    | null, Attempt.Renew _ -> Some TimeSpan.Zero
                    | _ -> None

                let onRetry _ (outcome: Outcome<Attempt<'T>>) retry delay =
                    match outcome.Result with
                    | Attempt.Retry(e, _)
                    | Attempt.Renew e ->
                        Log.retryingRequest logger origin (e.Describe()) retry delay
                        Telemetry.retried origin (e.Describe()) retry delay
                    | _ -> ()

                builder.AddRetry(Transport.retryStrategy options maxRetries handles requested onRetry)
                |> ignore

            let pipeline = builder.Build()

            let! last =
                pipeline.ExecuteAsync(
                    (fun (_: CancellationToken) ->
                        number.Value <- number.Value + 1
                        Telemetry.transferAttempts number.Value
                        ValueTask<Attempt<'T>>(attempt number.Value)),
                    ct
                )

            return
                match last with
                | Attempt.Done value -> Ok value
                | Attempt.Fatal e -> Error e
                | Attempt.Retry(e, _)
                | Attempt.Renew e ->
                    Log.requestFailed logger origin e
                    Error(TransferError.Request e)
        }

    /// Runs a whole transfer (its API calls and data requests) as one span, and counts its
    /// bytes when it succeeds. A transfer inside another (an artifact's object upload) is part
    /// of the outer one's span.
    let traced
        (service: string)
        (direction: string)
        (name: string)
        (bytesOf: 'T -> int64)
        (run: unit -> Task<Result<'T, TransferError>>)
        : Task<Result<'T, TransferError>> =
        if Telemetry.inTransfer () then
            run ()
        else
            task {
                let activity = Telemetry.startTransfer service direction name
                let mutable ended = false

                try
                    let! result = run ()

                    match result with
                    | Ok value -> Telemetry.endTransfer activity service direction (Some(bytesOf value)) None None
                    | Error e ->
                        let errorType =
                            match e with
                            | TransferError.Request inner -> Telemetry.caseName inner
                            | other -> Telemetry.caseName other

                        Telemetry.endTransfer activity service direction None e.Status (Some errorType)

                    ended <- true
                    return result
                finally
                    if not ended then
                        Telemetry.endTransfer activity service direction None None (Some "Cancelled")
            }

    // -----------------------------------------------------------------------------------------
    // Downloads

    /// A download source: where the bytes are, which hashes to verify, and how it may be used.
    type Source =
        {
            Url: string
            Expires: DateTimeOffset option
            Hashes: (string * string) list
            Method: DownloadMethod
            /// The API method that handed out the URL, for errors.
            Origin: string
            /// Pre-signed: a 401/403 asks for a fresh URL, once.
            Signed: bool
            /// Redirects may be followed (URLs that are not pre-signed by a Taskcluster service).
            FollowRedirects: bool
        }

    let acceptable = [ "sha256"; "sha512" ]

    /// Checks every hash the service recorded that we compute.
    let verify (name: string) (expected: (string * string) list) (struct (sha256: string, sha512: string)) =
        let computed algorithm =
            match algorithm with
            | "sha256" -> Some sha256
            | "sha512" -> Some sha512
            | _ -> None

        let rec go verified remaining =
            match remaining with
            | [] -> Ok(List.rev verified)
            | (algorithm, value: string) :: rest ->
                match computed algorithm with
                | None -> go verified rest
                | Some actual when String.Equals(actual, value, StringComparison.OrdinalIgnoreCase) ->
                    go (algorithm :: verified) rest
                | Some actual -> Error(TransferError.HashMismatch(name, algorithm, value, actual))

        match go [] expected with
        | Ok [] -> Error(TransferError.NoAcceptableHash(name, expected |> List.map fst))
        | result -> result

    let downloadFrom
        (link: Link)
        (options: TransferOptions)
        (name: string)
        (first: Source)
        (refresh: (CancellationToken -> Task<Result<Source, TransferError>>) option)
        (writer: int64 option -> CancellationToken -> Task<Stream>)
        (ct: CancellationToken)
        =
        task {
            let source = ref first
            let renew = ref false
            let hash = not first.Hashes.IsEmpty

            let attempt number =
                task {
                    let expired =
                        number > 1 && source.Value.Expires |> Option.exists (fun e -> e <= link.Now)

                    let! renewed =
                        match refresh with
                        | Some fetch when renew.Value || expired ->
                            task {
                                let! fetched = fetch ct
                                return fetched |> Result.map Some
                            }
                        | _ -> Task.FromResult(Ok None)

                    renew.Value <- false

                    match renewed with
                    | Error e -> return Attempt.Fatal e
                    | Ok fresh ->
                        fresh |> Option.iter (fun s -> source.Value <- s)
                        let current = source.Value

                        let! outcome =
                            getAttempt
                                link
                                current.Origin
                                current.Url
                                current.Signed
                                current.FollowRedirects
                                hash
                                name
                                writer
                                options.Progress
                                number
                                ct

                        match outcome with
                        // A URL just handed out and already refused will not get better.
                        | Attempt.Renew e when fresh.IsSome || refresh.IsNone ->
                            return Attempt.Fatal(TransferError.Request e)
                        | Attempt.Renew _ ->
                            renew.Value <- true
                            return outcome
                        | other -> return other
                }

            let! body = retry link (maxRetries link.Client options) first.Origin attempt ct

            return
                body
                |> Result.bind (fun body ->
                    let verified =
                        match body.Hashes with
                        | ValueSome computed -> verify name source.Value.Hashes computed
                        | ValueNone -> Ok []

                    verified
                    |> Result.map (fun verified ->
                        {
                            Name = name
                            ContentType = body.ContentType
                            Length = body.Length
                            Method = source.Value.Method
                            VerifiedHashes = verified
                        }))
        }

    // -----------------------------------------------------------------------------------------
    // Destinations and sources

    let toBuffer (run: (int64 option -> CancellationToken -> Task<Stream>) -> Task<Result<Downloaded, TransferError>>) =
        task {
            let last: MemoryStream ref = ref null

            let factory (announced: int64 option) (_: CancellationToken) =
                // The announcement comes from the network: it caps the buffer, never sizes it.
                last.Value <- new DownloadBuffer(announced |> Option.filter (fun n -> n >= 0L))

                // Borrowed: the attempt disposes its writer, and a closed MemoryStream no longer
                // tells its length.
                Task.FromResult(new BorrowedStream(last.Value) :> Stream)

            let! result = run factory

            return
                result
                |> Result.map (fun downloaded ->
                    let bytes =
                        match last.Value with
                        | null -> [||]
                        // Exactly the announced size: hand over the buffer itself, no copy.
                        | ms when ms.Capacity = int ms.Length -> ms.GetBuffer()
                        | ms -> ms.ToArray()

                    bytes, downloaded)
        }

    /// Checks a caller's stream for a transfer: not null, seekable (a retry goes back to where
    /// the first attempt started) and usable the transfer's way (`usable`), else an
    /// `InvalidArgument` saying what it must be (`must`).
    let private checkStream (stream: Stream) (usable: Stream -> bool) (must: string) =
        if isNull stream then
            Some(TransferError.InvalidArgument("stream", "is null"))
        elif not (usable stream) || not stream.CanSeek then
            Some(TransferError.InvalidArgument("stream", must))
        else
            None

    let toStream (stream: Stream) run =
        match
            checkStream
                stream
                _.CanWrite
                "must be writable and seekable, so that a retry can discard what an attempt wrote"
        with
        | Some e -> Task.FromResult(Error e)
        | None ->
            let start = stream.Position

            run (fun _ (_: CancellationToken) ->
                stream.Position <- start
                stream.SetLength start
                Task.FromResult(new BorrowedStream(stream) :> Stream))

    let private isFileProblem (e: exn) =
        match e with
        | :? IOException
        | :? UnauthorizedAccessException
        | :? NotSupportedException
        | :? ArgumentException
        | :? Security.SecurityException -> true
        | _ -> false

    let toFile (path: string) run =
        task {
            if String.IsNullOrWhiteSpace path then
                return Error(TransferError.InvalidArgument("path", "is empty"))
            else
                let prepared =
                    try
                        let full = Path.GetFullPath path
                        let folder = Path.GetDirectoryName full

                        // Beside the destination, so that the rename stays on one file system and
                        // is atomic; hidden, so that nothing takes it for the real file.
                        let temp =
                            Path.Combine(folder, $".{Path.GetFileName full}.{(Helpers.slugId ()).Value}.part")

                        let file =
                            new FileStream(
                                temp,
                                FileMode.CreateNew,
                                FileAccess.Write,
                                FileShare.None,
                                1,
                                FileOptions.Asynchronous
                            )

                        Ok(full, temp, file)
                    with e when isFileProblem e ->
                        Error(TransferError.FileError(path, e.Message))

                match prepared with
                | Error e -> return Error e
                | Ok(full, temp, file) ->
                    let mutable moved = false

                    try
                        try
                            let! result =
                                run (fun _ (_: CancellationToken) ->
                                    file.Position <- 0L
                                    file.SetLength 0L
                                    Task.FromResult(new BorrowedStream(file) :> Stream))

                            match result with
                            | Ok downloaded ->
                                file.Dispose()
                                File.Move(temp, full, true)
                                moved <- true
                                return Ok downloaded
                            | Error e -> return Error e
                        with e when isFileProblem e ->
                            return Error(TransferError.FileError(full, e.Message))
                    finally
                        file.Dispose()

                        if not moved then
                            try
                                File.Delete temp
                            with _ ->
                                ()
        }

    /// A reader factory over bytes in memory (no copy when they live in an array).
    let ofMemory (data: ReadOnlyMemory<byte>) : ReaderFactory =
        fun _ ->
            let stream =
                match Runtime.InteropServices.MemoryMarshal.TryGetArray data with
                | true, segment -> new MemoryStream(segment.Array, segment.Offset, segment.Count, false)
                | _ -> new MemoryStream(data.ToArray(), false)

            Task.FromResult(stream :> Stream)

    let fromStream (stream: Stream) (run: int64 -> ReaderFactory -> Task<Result<Uploaded, TransferError>>) =
        match checkStream stream _.CanRead "must be readable and seekable, so that a retry can read it again" with
        | Some e -> Task.FromResult(Error e)
        | None ->
            run stream.Length (fun _ ->
                stream.Position <- 0L
                Task.FromResult(new BorrowedStream(stream) :> Stream))

    let fromFile (path: string) (run: int64 -> ReaderFactory -> Task<Result<Uploaded, TransferError>>) =
        task {
            if String.IsNullOrWhiteSpace path then
                return Error(TransferError.InvalidArgument("path", "is empty"))
            else
                let opened =
                    try
                        Ok(
                            new FileStream(
                                path,
                                FileMode.Open,
                                FileAccess.Read,
                                FileShare.Read,
                                1,
                                FileOptions.Asynchronous
                            )
                        )
                    with e when isFileProblem e ->
                        Error(TransferError.FileError(path, e.Message))

                match opened with
                | Error e -> return Error e
                | Ok file ->
                    use file = file

                    try
                        return!
                            run file.Length (fun _ ->
                                file.Position <- 0L
                                Task.FromResult(new BorrowedStream(file) :> Stream))
                    with e when isFileProblem e ->
                        return Error(TransferError.FileError(path, e.Message))
        }
