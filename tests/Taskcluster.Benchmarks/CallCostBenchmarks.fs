/// The cost of one API call taken apart, with no network and no server: the pieces a
/// `queue.task` call is made of (reading the answer as a `JsonElement`, into the F# model, into
/// the C# model) on the very bytes the emulator answers, and the whole client pipeline over an
/// in-memory handler beside raw `HttpClient` over the same handler. Report only: nothing is
/// asserted.
module Taskcluster.Benchmarks.CallCostBenchmarks

open System
open System.Net
open System.Net.Http
open System.Net.Http.Headers
open System.Text.Json
open System.Threading
open System.Threading.Tasks
open BenchmarkDotNet.Attributes
open Taskcluster.Core
open Taskcluster.Client
open Taskcluster.Services
open Taskcluster.Benchmarks.Fixture

/// The body of `queue.task` for a docker-worker task, as the emulator answers it.
let private queueTaskBody () =
    use fixture = QueueTask.Start()

    let url =
        fixture.Queue.BuildSignedUrl("task", [ fixture.TaskId ])
        |> ok "building the URL"

    use http = new HttpClient()
    http.GetByteArrayAsync(url).GetAwaiter().GetResult()

/// Reading one `queue.task` answer: the pieces of the typed and JSON forms.
[<MemoryDiagnoser>]
type ResponseDecodeBenchmarks() =
    let mutable body: byte array = [||]

    [<GlobalSetup>]
    member _.Setup() = body <- queueTaskBody ()

    /// What the JSON forms do with the bytes: one detached `JsonElement`.
    [<Benchmark(Baseline = true, Description = "JsonElement.ParseValue (the JSON forms)")>]
    member _.Element() =
        let mutable reader = Utf8JsonReader(ReadOnlySpan body)
        JsonElement.ParseValue(&reader).ValueKind

    /// The F# typed form: the model's decoder over a parsed document.
    [<Benchmark(Description = "F# model: Decode.fromUtf8 TaskDefinition.Decode")>]
    member _.FSharpModel() =
        Decode.fromUtf8 Taskcluster.Models.TaskDefinition.Decode (ReadOnlyMemory body)
        |> ok "decoding"
        |> _.Retries

    /// The C# typed form straight from the bytes (source-generated).
    [<Benchmark(Description = "C# model: Deserialize from the bytes")>]
    member _.CSharpFromBytes() =
        JsonSerializer
            .Deserialize(ReadOnlySpan body, Taskcluster.Schemas.TaskclusterJsonContext.Default.TaskDefinition)
            .Retries

    /// The C# typed form through a `JsonElement` first (a parse, then a read of the element).
    [<Benchmark(Description = "C# model: ParseValue, then Deserialize the element")>]
    member _.CSharpFromElement() =
        let mutable reader = Utf8JsonReader(ReadOnlySpan body)
        let element = JsonElement.ParseValue(&reader)
        element.Deserialize(Taskcluster.Schemas.TaskclusterJsonContext.Default.TaskDefinition).Retries

/// Answers every request at once with the same JSON body: the network taken out.
type private CannedHandler(body: byte array) =
    inherit HttpMessageHandler()

    override _.SendAsync(request, _token) =
        let content = new ByteArrayContent(body)
        content.Headers.ContentType <- MediaTypeHeaderValue("application/json")
        content.Headers.ContentLength <- Nullable(int64 body.Length)
        Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK, Content = content, RequestMessage = request))

/// The root URL and credentials the in-memory clients sign with (no server ever checks them).
let private rootUrl = "https://tc.example.com"

let private clientId = "bench/client"
let private accessToken = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"

/// Two `Queue` clients over `handler`: one with the options every benchmark here signs with and
/// one with `change` made to them, so that what a benchmark compares is that one option.
let private queuePair (handler: HttpMessageHandler) (change: ClientOptions -> ClientOptions) =
    let options =
        let given = Options.create rootUrl |> Options.withCredentials clientId accessToken

        { given with
            HttpMessageHandler = Some handler
        }

    let queue (o: ClientOptions) =
        Client.create o |> ok "creating the client" |> Queue

    queue options, queue (change options)

/// The client's own cost per call: `queue.task` through the whole pipeline (URL, signature,
/// retry and timeout strategies, body read, decoding) over an in-memory handler, beside raw
/// `HttpClient` sending a pre-signed request over the same handler and reading the bytes.
[<MemoryDiagnoser>]
type PipelineBenchmarks() =
    let mutable raw: HttpClient = null
    let mutable queue: Queue = Unchecked.defaultof<_>
    let mutable bare: Queue = Unchecked.defaultof<_>
    let mutable facade: Taskcluster.QueueClient = null
    let mutable url = ""
    let taskId = "fN1Jm1ayQ9GPUtY5DzJ6uQ"

    [<GlobalSetup>]
    member _.Setup() =
        let body = queueTaskBody ()
        let handler = new CannedHandler(body)
        raw <- new HttpClient(handler, false)

        // The bare one has no retries and no timeout: what the two Polly strategies cost, by
        // difference.
        let withStrategies, withoutStrategies =
            queuePair handler (fun o ->
                { o with
                    MaxRetries = 0
                    Timeout = Timeout.InfiniteTimeSpan
                })

        queue <- withStrategies
        bare <- withoutStrategies

        facade <-
            new Taskcluster.QueueClient(
                Uri rootUrl,
                Taskcluster.TaskclusterCredentials(clientId, accessToken),
                Taskcluster.TaskclusterClientOptions(HttpMessageHandler = handler)
            )

        url <- queue.BuildSignedUrl("task", [ taskId ]) |> ok "building the URL"

    [<GlobalCleanup>]
    member _.Cleanup() = raw.Dispose()

    [<Benchmark(Baseline = true, Description = "raw HttpClient, pre-signed, bytes read")>]
    member _.Raw() =
        task {
            use request = new HttpRequestMessage(HttpMethod.Get, url)
            use! response = raw.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, CancellationToken.None)
            let! bytes = response.Content.ReadAsByteArrayAsync()
            return bytes.Length
        }

    [<Benchmark(Description = "F# Queue.Task (JsonElement)")>]
    member _.FSharpJson() =
        task {
            let! r = queue.Task taskId
            return (ok "json" r).ValueKind
        }

    [<Benchmark(Description = "F# Queue.Task, no retry or timeout strategy")>]
    member _.FSharpJsonBare() =
        task {
            let! r = bare.Task taskId
            return (ok "json" r).ValueKind
        }

    [<Benchmark(Description = "F# Queue.Typed.Task (F# model)")>]
    member _.FSharpTyped() =
        task {
            let! r = queue.Typed.Task taskId
            return (ok "typed" r).Retries
        }

    [<Benchmark(Description = "C# QueueClient.TaskJsonAsync (JsonElement)")>]
    member _.CSharpJson() =
        task {
            let! r = facade.TaskJsonAsync taskId
            return r.GetValueOrThrow().ValueKind
        }

    [<Benchmark(Description = "C# QueueClient.TaskAsync (C# model)")>]
    member _.CSharpTyped() =
        task {
            let! r = facade.TaskAsync taskId
            return r.GetValueOrThrow().Retries
        }

/// The check of a request body against its method's schema, per call: `queue.createTask` with
/// the body as UTF-8 bytes (the form the facade's typed members send) over the canned handler,
/// without and with the check, and 16 checked calls at once from the thread pool (what one lock
/// around every check would serialize).
[<MemoryDiagnoser>]
type BodyCheckBenchmarks() =
    let mutable checking: Queue = Unchecked.defaultof<_>
    let mutable unchecked: Queue = Unchecked.defaultof<_>
    let mutable body: byte array = [||]
    let taskId = "fN1Jm1ayQ9GPUtY5DzJ6uQ"

    let create (queue: Queue) =
        task {
            let! r = queue.CreateTaskUtf8(taskId, Payload.Utf8(ReadOnlyMemory body))
            return (ok "createTask" r).Length
        }

    [<GlobalSetup>]
    member _.Setup() =
        let handler = new CannedHandler(queueTaskBody ())

        let withCheck, withoutCheck =
            queuePair handler (fun o -> { o with ValidateRequests = false })

        checking <- withCheck
        unchecked <- withoutCheck

        body <-
            Text.Encoding.UTF8.GetBytes(
                $$"""{"taskQueueId":"proj-bench/worker","schedulerId":"-","taskGroupId":"{{taskId}}",
                      "created":"2026-12-03T10:00:00.000Z","deadline":"2026-12-04T10:00:00.000Z",
                      "payload":{"image":"ubuntu:24.04","command":["true"],"maxRunTime":600,"env":{"RUST_LOG":"debug"} },
                      "metadata":{"name":"bench","description":"createTask","owner":"bench@example.com","source":"https://example.com/"} }"""
            )

        // The schemas load on first use; that is not what is measured.
        (create checking).GetAwaiter().GetResult() |> ignore

    [<Benchmark(Baseline = true, Description = "F# Queue.CreateTaskUtf8, ValidateRequests off")>]
    member _.Unchecked() = create unchecked

    [<Benchmark(Description = "F# Queue.CreateTaskUtf8, body checked against its schema")>]
    member _.Checked() = create checking

    [<Benchmark(OperationsPerInvoke = 16, Description = "the same, 16 calls at once")>]
    member _.CheckedConcurrently() =
        Task.WhenAll [| for _ in 1..16 -> Task.Run<int>(fun () -> create checking) |]
