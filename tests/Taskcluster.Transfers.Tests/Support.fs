/// What the transfer tests share: an emulator, clients of it, the real API references, data,
/// a recording HTTP handler, a synchronous progress recorder and result helpers.
module Taskcluster.Transfers.Tests.Support

open System
open System.Collections.Concurrent
open System.IO
open System.Net.Http
open System.Security.Cryptography
open System.Text.Json
open System.Threading
open System.Threading.Tasks
open Expecto
open Taskcluster.Core
open Taskcluster.Client
open Taskcluster.Emulator

/// Runs a task to completion (test bodies are synchronous).
let run (t: Task<'T>) = t.GetAwaiter().GetResult()

let private unwrap what (result: Result<'T, 'E>) =
    match result with
    | Ok v -> v
    | Error e -> failtestf "%s failed: %A" what e

/// The API references the emulator embeds.
let references =
    lazy
        (use stream =
            typeof<EmulatorInstance>.Assembly.GetManifestResourceStream "Taskcluster.Emulator.references.json"

         use reader = new StreamReader(stream)

         reader.ReadToEnd()
         |> Reference.parseReferences
         |> unwrap "parsing the emulator's references")

let api name =
    match Reference.tryFindApi name (references.Force()) with
    | Some a -> a
    | None -> failtestf "no API %s" name

let objectReference = lazy (api "object")
let queueReference = lazy (api "queue")
let secretsReference = lazy (api "secrets")

/// A real timer whose due times are divided by a factor, so that retry delays take a fraction
/// of their nominal time.
type private ScaledTimer(inner: ITimer, scale: TimeSpan -> TimeSpan) =
    interface ITimer with
        member _.Change(dueTime, period) =
            inner.Change(scale dueTime, scale period)

        member _.Dispose() = inner.Dispose()
        member _.DisposeAsync() = inner.DisposeAsync()

/// The real clock with timers running `speedUp` times faster.
type FastClock(speedUp: float) =
    inherit TimeProvider()

    let scale (t: TimeSpan) =
        if t = Timeout.InfiniteTimeSpan || t <= TimeSpan.Zero then
            t
        else
            TimeSpan.FromTicks(max 1L (int64 (float t.Ticks / speedUp)))

    override _.GetUtcNow() = TimeProvider.System.GetUtcNow()

    override _.CreateTimer(callback, state, dueTime, period) =
        new ScaledTimer(TimeProvider.System.CreateTimer(callback, state, scale dueTime, scale period), scale)

/// One request an `HttpClient` sent.
type Sent =
    {
        Method: string
        Url: string
        Authorization: string option
    }

/// A handler that records every request before sending it on (redirects never followed).
type RecordingHandler() =
    inherit DelegatingHandler(new SocketsHttpHandler(AllowAutoRedirect = false, UseCookies = false))
    let sent = ConcurrentQueue<Sent>()
    member _.Sent = sent.ToArray() |> List.ofArray

    override _.SendAsync(request, cancellationToken) =
        let authorization =
            match request.Headers.Authorization with
            | null ->
                match request.Headers.TryGetValues "Authorization" with
                | true, values -> Some(String.Join(",", values))
                | _ -> None
            | value -> Some(string value)

        sent.Enqueue
            {
                Method = request.Method.Method
                Url = request.RequestUri.AbsoluteUri
                Authorization = authorization
            }

        base.SendAsync(request, cancellationToken)

/// The emulator most tests share; every test uses fresh names, so that faults programmed for
/// one test's objects never reach another's.
let emulator = lazy ((Emulator.start (EmulatorOptions())).GetAwaiter().GetResult())

/// Client options for an emulator's root client, with a fast clock for the backoff.
let optionsFor (e: EmulatorInstance) =
    { (Options.create e.RootUrl |> Options.withCredentials e.ClientId e.AccessToken) with
        TimeProvider = FastClock 100.0
        // 1 day at 100 times the speed: about 15 real minutes, so that only the tests about
        // stalls (which set their own) see a timeout.
        Timeout = TimeSpan.FromDays 1.0
    }

let clientWith (e: EmulatorInstance) (configure: ClientOptions -> ClientOptions) =
    Client.create (configure (optionsFor e)) |> unwrap "Client.create"

/// The shared emulator's root client, and its object and queue APIs.
let client = lazy (clientWith (emulator.Force()) id)

let objects () =
    ObjectApi.ofService (Taskcluster.Services.Object(client.Force()))

let queue () =
    QueueApi.ofService (Taskcluster.Services.Queue(client.Force()))

/// A fresh slugId.
let slugId () = (Helpers.slugId ()).Value

/// A fresh object name (printable ASCII, with a slash and a space, as names may have).
let objectName () = $"tests/transfer {slugId ()}"

let expires () = DateTimeOffset.UtcNow.AddDays 1.0

let projectId = "transfers"

let uploadRequest (name: string) =
    { Transfer.uploadRequest projectId name (expires ()) with
        ContentType = "application/x-test"
    }

/// `length` reproducible pseudo-random bytes.
let bytes (seed: int) (length: int) =
    let data = Array.zeroCreate<byte> length
    Random(seed).NextBytes data
    data

/// A reader factory over bytes that counts its calls.
type CountingReader(data: byte array) =
    let mutable calls = 0
    member _.Calls = calls

    member _.Factory: ReaderFactory =
        fun _ ->
            Interlocked.Increment(&calls) |> ignore
            Task.FromResult(new MemoryStream(data, false) :> Stream)

/// Progress reports, recorded on the reporting thread (unlike `Progress<T>`, which posts them).
type Recorder() =
    let reports = ConcurrentQueue<TransferProgress>()
    member _.Reports = reports.ToArray() |> List.ofArray

    interface IProgress<TransferProgress> with
        member _.Report value = reports.Enqueue value

let withProgress (p: IProgress<TransferProgress>) =
    { Transfer.defaults with
        Progress = Some p
    }

let expectOk what (result: Result<'T, TransferError>) =
    match result with
    | Ok v -> v
    | Error e -> failtestf "%s: expected success, got %s" what (e.Describe())

let expectError what (result: Result<'T, TransferError>) =
    match result with
    | Ok _ -> failtestf "%s: expected an error, got success" what
    | Error e -> e

/// Programs a fault into the next `count` requests to the object's blob URLs.
let blobFault (e: EmulatorInstance) (objectName: string) (fault: Fault) (count: int) =
    e.Faults.Inject(FaultTarget.Blob objectName, fault, count)

/// The API calls the emulator recorded for a method whose path mentions `fragment`.
let calls (e: EmulatorInstance) (methodName: string) (fragment: string) =
    e.State.Requests
    |> Seq.filter (fun r -> r.Method = methodName && r.Path.Contains(fragment: string))
    |> Seq.length

/// The unique part of a name from `objectName`, found in recorded request paths whatever
/// their escaping.
let unique (name: string) =
    name.Substring(name.LastIndexOf ' ' + 1)

/// Uploads bytes and fails the test if that fails.
let uploaded (objects: ObjectApi) (name: string) (data: byte array) =
    Transfer.uploadFromBuf objects Transfer.defaults (uploadRequest name) (ReadOnlyMemory data) CancellationToken.None
    |> run
    |> expectOk "upload"

/// Downloads into memory.
let downloaded (objects: ObjectApi) (name: string) =
    Transfer.downloadToBuf objects Transfer.defaults name CancellationToken.None
    |> run

let sha256Hex (data: byte array) =
    Convert.ToHexStringLower(SHA256.HashData data)

/// A folder of its own for a test's files, deleted by `Dispose`.
type TempFolder() =
    let path =
        Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "tc-transfers-" + slugId ())).FullName

    member _.Path = path
    member _.File(name: string) = Path.Combine(path, name)

    member _.Entries =
        Directory.GetFileSystemEntries path |> Array.map Path.GetFileName |> Array.sort

    interface IDisposable with
        member _.Dispose() =
            try
                Directory.Delete(path, true)
            with _ ->
                ()

// ---------------------------------------------------------------------------------------------
// Tasks and artifacts

let private expectCall what (result: Result<JsonElement, TaskclusterError>) =
    match result with
    | Ok v -> v
    | Error e -> failtestf "%s: %s" what (e.Describe())

let private json (text: string) = Payload.Text text

/// Creates a task on a queue of its own and claims it, so that run 0 is running.
let runningTask () =
    task {
        let c = client.Force()
        let queueRef = queueReference.Force()
        let taskId = slugId ()

        let taskQueueId =
            $"prov-{taskId.Substring(0, 8).Replace('_', 'x').Replace('-', 'x')}/transfers"

        let now = DateTimeOffset.UtcNow

        let definition =
            Encode.object
                [
                    "taskQueueId", Encode.string taskQueueId
                    "projectId", Encode.string projectId
                    "created", Encode.string (FromNow.format now)
                    "deadline", Encode.string (FromNow.format (now.AddHours 1.0))
                    "expires", Encode.string (FromNow.format (now.AddDays 2.0))
                    "payload", Encode.object []
                    "metadata",
                    Encode.object
                        [
                            "name", Encode.string "transfer test"
                            "description", Encode.string "a task for the transfer tests"
                            "owner", Encode.string "tests@example.com"
                            "source", Encode.string "https://example.com/tests"
                        ]
                ]

        let! created =
            Client.callByName c queueRef "createTask" [ taskId ] [] (Payload.Json definition) CancellationToken.None

        expectCall "createTask" created |> ignore

        let! claimed =
            Client.callByName
                c
                queueRef
                "claimWork"
                [ taskQueueId ]
                []
                (json """{"workerGroup":"wg","workerId":"w1","tasks":1}""")
                CancellationToken.None

        let claims = (expectCall "claimWork" claimed).GetProperty "tasks"
        Expect.equal (claims.GetArrayLength()) 1 "claimed the task"
        return taskId
    }

/// Creates an `s3` artifact and PUTs the bytes to the URL the queue returns.
let s3Artifact (taskId: string) (name: string) (data: byte array) =
    task {
        let q = queue ()

        let payload =
            Encode.object
                [
                    "storageType", Encode.string "s3"
                    "expires", Encode.string (FromNow.format (expires ()))
                    "contentType", Encode.string "text/plain"
                ]

        let! created = q.CreateArtifact taskId 0 name payload CancellationToken.None
        let putUrl = (expectCall "createArtifact" created).GetProperty("putUrl").GetString()
        use http = new HttpClient()
        use content = new ByteArrayContent(data)
        content.Headers.ContentType <- Headers.MediaTypeHeaderValue "text/plain"
        let! put = http.PutAsync(putUrl, content)
        Expect.isTrue put.IsSuccessStatusCode "PUT of the s3 artifact"
    }
