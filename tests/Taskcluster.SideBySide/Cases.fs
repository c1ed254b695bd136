/// The cases of our client and of raw `HttpClient`, each run in a process of its own
/// (`--case <name> --impl ours|raw|floor`) so its peak memory is its own. The emulator and the
/// credentials come from the standard `TASKCLUSTER_*` variables; the task the GETs read from
/// `SIDE_BY_SIDE_TASK_ID`.
module Taskcluster.SideBySide.Cases

open System
open System.IO
open System.Net.Http
open System.Security.Cryptography
open System.Threading
open System.Threading.Tasks
open Taskcluster.Core
open Taskcluster.Client
open Taskcluster.Services
open Taskcluster.SideBySide.Pattern
open Taskcluster.SideBySide.Measure

/// What the driver tells a case process.
type Settings =
    {
        /// Timed runs.
        Runs: int
        /// Seconds per timed run (rates).
        Seconds: float
        /// Bytes per transfer.
        Size: int64
    }

let private env name =
    match Environment.GetEnvironmentVariable name with
    | null
    | "" -> failwithf "%s is not set (run the cases through the driver)" name
    | v -> v

let private orFail what (result: Result<'T, 'E>) =
    match result with
    | Ok v -> v
    | Error e -> failwithf "%s failed: %A" what e

let private clientId () = env "TASKCLUSTER_CLIENT_ID"

let private rootUrl () =
    (env "TASKCLUSTER_ROOT_URL").TrimEnd '/'

let private taskUrl () =
    let taskId = env "SIDE_BY_SIDE_TASK_ID"
    $"{rootUrl ()}/api/queue/v1/task/{taskId}"

let private credentials () =
    Hawk.credentials (clientId ()) (env "TASKCLUSTER_ACCESS_TOKEN")
    |> orFail "Hawk.credentials"

let private nonceAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

/// A fresh timestamp and nonce per header, as the client makes them.
let private nonce () =
    String.Create(
        8,
        0,
        fun span _ ->
            for i in 0 .. span.Length - 1 do
                span[i] <- nonceAlphabet[Random.Shared.Next 64]
    )

let private repeat (settings: Settings) (measure: unit -> Run) =
    [ for _ in 1 .. settings.Runs -> measure () ]

/// Hawk headers per second, single thread: the header of a GET of the task URL.
let hawk (settings: Settings) =
    let creds = credentials ()
    let url = taskUrl ()

    let one () =
        match Hawk.header creds "GET" url (DateTimeOffset.UtcNow.ToUnixTimeSeconds()) (nonce ()) None None with
        | Ok header when header.StartsWith "Hawk id=" -> ()
        | Ok header -> failwithf "unexpected header shape (%d characters)" header.Length
        | Error e -> failwithf "Hawk.header failed: %s" (e.Describe())

    rate 1.0 one |> ignore
    report (series "headers" (repeat settings (fun () -> rate settings.Seconds one)))

/// The floor of a Hawk header: one HMAC-SHA256, with the key set up once, of a normalized
/// string as long as the one `Hawk.header` signs for the same GET (the bytes made once).
let hawkFloor (settings: Settings) =
    let normalized =
        Hawk.normalized "GET" (taskUrl ()) (DateTimeOffset.UtcNow.ToUnixTimeSeconds()) (nonce ()) None None
        |> orFail "Hawk.normalized"
        |> Text.Encoding.UTF8.GetBytes

    use keyed =
        IncrementalHash.CreateHMAC(
            HashAlgorithmName.SHA256,
            Text.Encoding.UTF8.GetBytes(env "TASKCLUSTER_ACCESS_TOKEN")
        )

    let mac = Array.zeroCreate<byte> 32

    let one () =
        keyed.AppendData normalized

        if keyed.GetHashAndReset(Span mac) <> 32 then
            failwith "the HMAC is not 32 bytes"

    rate 1.0 one |> ignore
    report (series "headers" (repeat settings (fun () -> rate settings.Seconds one)))

/// The scope data both languages build: 10,000 held scopes of four shapes, and an AllOf of 20
/// required scopes that prefix scopes among them satisfy (plus one that nothing satisfies).
let heldScopes =
    [
        for i in 0..9_999 ->
            match i % 4 with
            | 0 -> $"queue:create-task:highest:proj-{i}/*"
            | 1 -> $"secrets:get:project/{i}/ci"
            | 2 -> $"assume:repo:github.com/org/repo-{i}:*"
            | _ -> $"index:insert-task:project.{i}.*"
    ]

let requiredScopes =
    [
        for k in 0..19 ->
            let i = ((k * 617 + 101) % 2_500) * 4
            $"queue:create-task:highest:proj-{i}/worker-{k}"
    ]

let private allOf scopes =
    ScopeExpression.AllOf [ for s in scopes -> ScopeExpression.Scope s ]

/// Satisfaction checks per second: the prepared `ScopeSet` and the one-shot list form.
let scopes (settings: Settings) =
    let satisfiable = allOf requiredScopes

    let unsatisfiable =
        allOf (requiredScopes @ [ "queue:create-task:highest:proj-1/worker-0" ])

    let prepared = ScopeSet.ofSeq heldScopes

    if not (ScopeSet.satisfiesExpression prepared satisfiable) then
        failwith "the prepared set does not satisfy the expression"

    if ScopeSet.satisfiesExpression prepared unsatisfiable then
        failwith "the prepared set satisfies an expression it should not"

    if not (Scope.satisfiesExpression heldScopes satisfiable) then
        failwith "Scope.satisfiesExpression does not satisfy the expression"

    if Scope.satisfiesExpression heldScopes unsatisfiable then
        failwith "Scope.satisfiesExpression satisfies an expression it should not"

    let preparedCheck () =
        if not (ScopeSet.satisfiesExpression prepared satisfiable) then
            failwith "prepared check failed"

    let oneShotCheck () =
        if not (Scope.satisfiesExpression heldScopes satisfiable) then
            failwith "one-shot check failed"

    rate 1.0 preparedCheck |> ignore
    rate 1.0 oneShotCheck |> ignore

    report (
        series "prepared" (repeat settings (fun () -> rate settings.Seconds preparedCheck))
        @ series "one-shot" (repeat settings (fun () -> rate settings.Seconds oneShotCheck))
    )

let private client () =
    Client.fromEnvironment () |> orFail "Client.fromEnvironment"

let private runSync (t: Task<'T>) = t.GetAwaiter().GetResult()

let private getSeries (settings: Settings) (get: unit -> Task) =
    // A warm-up by time, not by count: on a loaded machine the tiered JIT's background
    // compilations lag, and a few hundred requests end while the code is still unoptimised.
    let warmUp = max 2.0 (1.5 * settings.Seconds)
    rateAsync warmUp 1 get |> runSync |> ignore
    rateAsync warmUp 64 get |> runSync |> ignore

    let sequential =
        repeat settings (fun () -> rateAsync settings.Seconds 1 get |> runSync)

    let concurrent =
        repeat settings (fun () -> rateAsync settings.Seconds 64 get |> runSync)

    report (series "sequential" sequential @ series "concurrent" concurrent)

/// `queue.task(taskId)` through the generated F# client: signed per request, JSON parsed.
let getOurs (settings: Settings) =
    let queue = Queue(client ())
    let taskId = env "SIDE_BY_SIDE_TASK_ID"

    getSeries settings (fun () ->
        task {
            match! queue.Task taskId with
            | Ok json when json.TryGetProperty("taskQueueId") |> fst -> ()
            | Ok _ -> failwith "queue.task answered without a taskQueueId"
            | Error e -> failwithf "queue.task failed: %s" (e.Describe())
        })

let private rawHttp () =
    new HttpClient(
        new SocketsHttpHandler(AllowAutoRedirect = false, PooledConnectionLifetime = TimeSpan.FromMinutes 10.0),
        Timeout = Timeout.InfiniteTimeSpan
    )

/// The ceiling: the same GET with one header signed in advance (the emulator, like the real
/// services, does not track nonces), the body read as bytes and not parsed.
let getRaw (settings: Settings) =
    let url = taskUrl ()

    let authorization =
        Hawk.header (credentials ()) "GET" url (DateTimeOffset.UtcNow.ToUnixTimeSeconds()) "presign" None None
        |> orFail "Hawk.header"

    use http = rawHttp ()

    getSeries settings (fun () ->
        task {
            use request = new HttpRequestMessage(HttpMethod.Get, url)

            request.Headers.TryAddWithoutValidation("Authorization", authorization)
            |> ignore

            use! response = http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead)
            let! body = response.Content.ReadAsByteArrayAsync()

            if int response.StatusCode <> 200 || body.Length = 0 then
                failwithf "raw GET answered %d" (int response.StatusCode)
        })

let private objectName (impl: string) (size: int64) (run: int) =
    $"side-by-side/{impl}/{size}/{run}/{Guid.NewGuid():N}"

let private transferSeries (settings: Settings) (up: string -> int64 -> Task) (down: string -> int64 -> Task) impl =
    // warm-up: JIT, connections, the emulator's first writes
    for round in 1..2 do
        let warm = objectName impl (16L * MiB) (-round)
        (up warm (16L * MiB)).GetAwaiter().GetResult()
        (down warm (16L * MiB)).GetAwaiter().GetResult()

    let uploads = ResizeArray()
    let downloads = ResizeArray()

    for run in 1 .. settings.Runs do
        let name = objectName impl settings.Size run
        uploads.Add(throughput settings.Size (fun () -> up name settings.Size) |> runSync)
        downloads.Add(throughput settings.Size (fun () -> down name settings.Size) |> runSync)

    report (series "upload" (List.ofSeq uploads) @ series "download" (List.ofSeq downloads))

let private expires () = DateTimeOffset.UtcNow.AddHours 1.0

/// `Transfer.uploadFromStream` and `Transfer.downloadToStream` (SHA-256 and SHA-512 computed on
/// the way up, verified on the way down), every byte received compared with the pattern.
let transferOurs (settings: Settings) =
    let objects = ObjectApi.ofService (Object(client ()))

    let up name size =
        task {
            use source = new PatternStream(size)

            let! uploaded =
                Transfer.uploadFromStream
                    objects
                    Transfer.defaults
                    (Transfer.uploadRequest "bench" name (expires ()))
                    source
                    CancellationToken.None

            let uploaded = orFail "Transfer.uploadFromStream" uploaded

            if uploaded.Length <> size then
                failwithf "uploaded %d bytes of %d" uploaded.Length size
        }
        :> Task

    let down name size =
        task {
            use sink = new VerifyingSink()
            let! downloaded = Transfer.downloadToStream objects Transfer.defaults name sink CancellationToken.None
            let downloaded = orFail "Transfer.downloadToStream" downloaded

            if downloaded.VerifiedHashes.IsEmpty then
                failwith "the download verified no hash"

            sink.Check("Transfer.downloadToStream", size)
        }
        :> Task

    transferSeries settings up down "ours"

/// SHA-256 and SHA-512 of bytes given in turn, on the calling thread: the least CPU the two
/// hashes can cost (no second thread, no copy).
[<Sealed>]
type private Digests() =
    let sha256 = IncrementalHash.CreateHash HashAlgorithmName.SHA256
    let sha512 = IncrementalHash.CreateHash HashAlgorithmName.SHA512

    member _.Append(data: ReadOnlySpan<byte>) =
        sha256.AppendData data
        sha512.AppendData data

    /// The lower-case hex digests of the bytes so far, as the object service records them.
    member _.Finish() =
        Convert.ToHexStringLower(sha256.GetHashAndReset()), Convert.ToHexStringLower(sha512.GetHashAndReset())

    interface IDisposable with
        member _.Dispose() =
            sha256.Dispose()
            sha512.Dispose()

/// Hands every byte read from or written through it to `digests` (which it does not own: the
/// HTTP content that reads it may dispose it before the digests are read).
[<Sealed>]
type private HashingStream(inner: Stream, digests: Digests) =
    inherit Stream()

    let hash (data: ReadOnlySpan<byte>) = digests.Append data

    override _.CanRead = inner.CanRead
    override _.CanSeek = false
    override _.CanWrite = inner.CanWrite
    override _.Length = raise (NotSupportedException())

    override _.Position
        with get () = raise (NotSupportedException())
        and set _ = raise (NotSupportedException())

    override _.Flush() = inner.Flush()
    override _.Seek(_, _) = raise (NotSupportedException())
    override _.SetLength _ = raise (NotSupportedException())

    override _.Read(destination: Span<byte>) =
        let n = inner.Read destination
        hash (Span.op_Implicit (destination.Slice(0, n)))
        n

    override this.Read(buffer: byte array, offset: int, count: int) = this.Read(Span(buffer, offset, count))

    override _.ReadAsync(destination: Memory<byte>, ct: CancellationToken) =
        let read = inner.ReadAsync(destination, ct)

        if read.IsCompletedSuccessfully then
            hash (Span.op_Implicit (destination.Span.Slice(0, read.Result)))
            read
        else
            ValueTask<int>(
                task {
                    let! n = read
                    hash (Span.op_Implicit (destination.Span.Slice(0, n)))
                    return n
                }
            )

    override this.ReadAsync(buffer: byte array, offset: int, count: int, ct: CancellationToken) =
        this.ReadAsync(Memory(buffer, offset, count), ct).AsTask()

    override _.Write(data: ReadOnlySpan<byte>) =
        hash data
        inner.Write data

    override this.Write(buffer: byte array, offset: int, count: int) =
        this.Write(ReadOnlySpan(buffer, offset, count))

    override _.WriteAsync(data: ReadOnlyMemory<byte>, ct: CancellationToken) =
        hash data.Span
        inner.WriteAsync(data, ct)

    override this.WriteAsync(buffer: byte array, offset: int, count: int, ct: CancellationToken) =
        this.WriteAsync(ReadOnlyMemory(buffer, offset, count), ct).AsTask()

    override _.Dispose(disposing: bool) =
        if disposing then
            inner.Dispose()

        base.Dispose disposing

/// The same object-service calls as ours, then `HttpClient` streaming the bytes to and from the
/// URLs the service gives. Without hashes this is the ceiling (raw): the SHA-256 given to
/// `finishUpload` is computed once, outside the timing, and nothing is checked on the way down.
/// With hashes it is the floor: SHA-256 and SHA-512 computed of the bytes as they stream, both
/// given to `finishUpload`, and both computed again on the way down and compared with the
/// service's record, the work ours must do, with nothing else added.
let private transferDirect (withHashes: bool) (settings: Settings) =
    let objects = ObjectApi.ofService (Object(client ()))
    use http = rawHttp ()
    let none = CancellationToken.None
    let sha256 = Collections.Generic.Dictionary<int64, string>()

    let hashOf size =
        match sha256.TryGetValue size with
        | true, h -> h
        | _ ->
            use s = new PatternStream(size)
            let h = Convert.ToHexStringLower(SHA256.HashData(s :> Stream))
            sha256[size] <- h
            h

    if not withHashes then
        hashOf (16L * MiB) |> ignore
        hashOf settings.Size |> ignore

    let field (name: string) (e: Text.Json.JsonElement) = e.GetProperty name

    let up name (size: int64) =
        task {
            let uploadId = Helpers.slugId ()

            let! created =
                objects.CreateUpload
                    name
                    (Encode.object
                        [
                            "projectId", Encode.string "bench"
                            "uploadId", Encode.string uploadId.Value
                            "expires", Encode.string (FromNow.format (expires ()))
                            "proposedUploadMethods",
                            Encode.object
                                [
                                    "putUrl",
                                    Encode.object
                                        [
                                            "contentType", Encode.string "application/octet-stream"
                                            "contentLength", Encode.int64 size
                                        ]
                                ]
                        ])
                    none

            let putUrl = orFail "createUpload" created |> field "uploadMethod" |> field "putUrl"
            let source = new PatternStream(size)
            use digests = new Digests()

            use content =
                new StreamContent(
                    (if withHashes then
                         new HashingStream(source, digests) :> Stream
                     else
                         source),
                    81920
                )

            // The hashing stream cannot seek, so the length is given, as raw's is computed.
            content.Headers.ContentLength <- Nullable size

            for h in (field "headers" putUrl).EnumerateObject() do
                if h.Name.Equals("Content-Type", StringComparison.OrdinalIgnoreCase) then
                    content.Headers.ContentType <- Headers.MediaTypeHeaderValue.Parse(h.Value.GetString())

            use message =
                new HttpRequestMessage(HttpMethod.Put, (field "url" putUrl).GetString(), Content = content)

            use! response = http.SendAsync message

            if not response.IsSuccessStatusCode then
                failwithf "%s PUT answered %d" (if withHashes then "floor" else "raw") (int response.StatusCode)

            let hashes =
                if withHashes then
                    let s256, s512 = digests.Finish()
                    [ "sha256", Encode.string s256; "sha512", Encode.string s512 ]
                else
                    [ "sha256", Encode.string (hashOf size) ]

            let! finished =
                objects.FinishUpload
                    name
                    (Encode.object
                        [
                            "projectId", Encode.string "bench"
                            "uploadId", Encode.string uploadId.Value
                            "hashes", Encode.object hashes
                        ])
                    none

            orFail "finishUpload" finished |> ignore
        }
        :> Task

    let down name size =
        task {
            let! started =
                objects.StartDownload
                    name
                    (Encode.object [ "acceptDownloadMethods", Encode.object [ "getUrl", Encode.bool true ] ])
                    none

            let started = orFail "startDownload" started
            use! response = http.GetAsync((field "url" started).GetString(), HttpCompletionOption.ResponseHeadersRead)

            if not response.IsSuccessStatusCode then
                failwithf "%s GET answered %d" (if withHashes then "floor" else "raw") (int response.StatusCode)

            use! body = response.Content.ReadAsStreamAsync()
            use sink = new VerifyingSink()

            if withHashes then
                use digests = new Digests()
                do! body.CopyToAsync(new HashingStream(sink, digests), 81920)
                let s256, s512 = digests.Finish()
                let recorded = field "hashes" started

                for algorithm, computed in [ "sha256", s256; "sha512", s512 ] do
                    match recorded.TryGetProperty algorithm with
                    | true, v when v.GetString() = computed -> ()
                    | true, _ ->
                        failwithf "floor GET: the %s of the bytes received differs from the service's" algorithm
                    | false, _ -> failwithf "floor GET: the service recorded no %s" algorithm
            else
                do! body.CopyToAsync(sink, 81920)

            sink.Check((if withHashes then "floor GET" else "raw GET"), size)
        }
        :> Task

    transferSeries settings up down (if withHashes then "floor" else "raw")

/// The ceiling: the same object-service calls, then `HttpClient` streaming the same bytes to and
/// from the same URLs, with no hashing.
let transferRaw (settings: Settings) = transferDirect false settings

/// The floor of a verified transfer: raw's streaming plus SHA-256 and SHA-512 of the same bytes
/// (computed on the way up, computed and checked on the way down).
let transferFloor (settings: Settings) = transferDirect true settings

/// Runs one case of ours, raw or the floor; false when there is no such case.
let run (case: string) (impl: string) (settings: Settings) =
    let case =
        match case, impl with
        | "hawk", "ours" -> Some hawk
        | "hawk", "floor" -> Some hawkFloor
        | "scopes", "ours" -> Some scopes
        | "get", "ours" -> Some getOurs
        | "get", "raw" -> Some getRaw
        | "transfer", "ours" -> Some transferOurs
        | "transfer", "raw" -> Some transferRaw
        | "transfer", "floor" -> Some transferFloor
        | _ -> None

    match case with
    | Some f ->
        f settings
        true
    | None -> false
