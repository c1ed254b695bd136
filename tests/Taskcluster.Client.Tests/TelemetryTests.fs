/// Traces and metrics, read back through OpenTelemetry's in-memory exporter: one span per API
/// call and per transfer, retries as span events, the trace id sent to the services, the
/// services' request id kept, and no credential in any tag.
module Taskcluster.Client.Tests.TelemetryTests

open System
open System.Collections.Generic
open System.Collections.ObjectModel
open System.Diagnostics
open System.Threading
open Expecto
open OpenTelemetry
open OpenTelemetry.Metrics
open OpenTelemetry.Trace
open Taskcluster.Core
open Taskcluster.Client
open Taskcluster.Emulator
open Taskcluster.Client.Tests.Fixtures
open Taskcluster.Client.Tests.TestServer

/// A collection the exporters may add to from any thread.
type private Locked<'T>() =
    inherit Collection<'T>()

    override this.InsertItem(index, item) =
        Monitor.Enter this

        try
            base.InsertItem(index, item)
        finally
            Monitor.Exit this

    member this.Snapshot() =
        lock this (fun () -> List<'T>(this :> seq<'T>))

let private spans = Locked<Activity>()
let private metrics = Locked<MetricSnapshot>()

/// Spans are recorded only under a test's own (recorded) parent, so that calls made by other
/// tests running at the same time never reach a test's assertions.
let private tracing =
    lazy
        (Sdk
            .CreateTracerProviderBuilder()
            .AddSource(Telemetry.SourceName)
            .SetSampler(ParentBasedSampler(AlwaysOffSampler()))
            .AddInMemoryExporter(spans)
            .Build())

let private metering =
    lazy (Sdk.CreateMeterProviderBuilder().AddMeter(Telemetry.SourceName).AddInMemoryExporter(metrics).Build())

/// Runs `action` under a fresh recorded root activity; returns its trace id and the spans of
/// the client recorded under it.
let private traced (action: unit -> unit) =
    tracing.Force() |> ignore
    let root = new Activity("telemetry-test")
    root.SetIdFormat(ActivityIdFormat.W3C).ActivityTraceFlags <- ActivityTraceFlags.Recorded
    root.Start() |> ignore

    try
        action ()
    finally
        root.Stop()

    let traceId = root.TraceId

    let recorded =
        spans.Snapshot() |> Seq.filter (fun a -> a.TraceId = traceId) |> List.ofSeq

    root, recorded

let private tag (span: Activity) (name: string) = span.GetTagItem name

let private only what (items: 'T list) =
    match items with
    | [ item ] -> item
    | other -> failtestf "%s: expected one, got %d" what other.Length

let private named name (recorded: Activity list) =
    recorded |> List.filter (fun a -> a.OperationName = name)

/// The latest cumulative points of a metric whose tags include every pair of `tags`.
let private points (metricName: string) (tags: (string * obj) list) =
    metering.Force().ForceFlush() |> ignore

    let latest =
        metrics.Snapshot() |> Seq.filter (fun m -> m.Name = metricName) |> Seq.tryLast

    match latest with
    | None -> []
    | Some snapshot ->
        snapshot.MetricPoints
        |> Seq.filter (fun p ->
            let mutable all = true

            for name, value in tags do
                let mutable found = false

                for t in p.Tags do
                    if t.Key = name && obj.Equals(t.Value, value) then
                        found <- true

                all <- all && found

            all)
        |> List.ofSeq

/// The fake service under a name of its own, so that its metrics are these tests' alone.
let private reference =
    { fakeReference with
        ServiceName = "telemetry"
    }

let private callTelemetry client entry =
    Client.call client reference entry [] [] Payload.Empty CancellationToken.None
    |> run

let private startEmulator () =
    Emulator.start (EmulatorOptions()) |> run

let private rootClient (emulator: EmulatorInstance) =
    createClient
        { Options.create emulator.RootUrl with
            Credentials =
                Some
                    {
                        ClientId = emulator.ClientId
                        AccessToken = emulator.AccessToken
                        Certificate = None
                    }
            TimeProvider = fastClock ()
            Timeout = TimeSpan.FromDays 1.0
        }

/// Every tag value and event tag value of the spans, as text.
let private allTagText (recorded: Activity list) =
    [
        for span in recorded do
            for t in span.TagObjects do
                yield string t.Value

            for e in span.Events do
                for t in e.Tags do
                    yield string t.Value
    ]

let tests =
    testSequenced
    <| testList
        "Telemetry"
        [
            test "an API call is one span: service, method, status, attempts, the retry as an event, the request id" {
                use server = start ()
                let client = clientFor server id

                server.Enqueue(
                    Reply.error 500 "InternalServerError" "try again",
                    Reply.withHeaders [ "x-for-request-id", "req-ok-7" ] (Reply.json 200 """{"pong":true}""")
                )

                let retriesBefore =
                    points Telemetry.Retries [ "taskcluster.service", box "telemetry" ]
                    |> List.sumBy (fun p -> p.GetSumLong())

                let root, recorded =
                    traced (fun () -> callTelemetry client ping |> expectOk "ping" |> ignore)

                let span = named "telemetry.ping" recorded |> only "the call's span"
                Expect.equal span.ParentSpanId root.SpanId "a child of the caller's activity"
                Expect.equal span.Kind ActivityKind.Client "a client span"
                Expect.equal (tag span "taskcluster.service") (box "telemetry") "service"
                Expect.equal (tag span "taskcluster.method") (box "ping") "method"
                Expect.equal (tag span "http.request.method") (box "GET") "HTTP method"
                Expect.equal (tag span "http.response.status_code") (box 200) "status"
                Expect.equal (tag span "taskcluster.attempts") (box 2) "attempts"
                Expect.equal (tag span "taskcluster.request_id") (box "req-ok-7") "request id"
                Expect.equal span.Status ActivityStatusCode.Ok "ok"

                let retry = span.Events |> List.ofSeq |> only "one retry event"
                Expect.equal retry.Name "retry" "event name"

                let retryTags = retry.Tags |> Seq.map (fun kv -> kv.Key, kv.Value) |> Map.ofSeq
                Expect.equal retryTags["taskcluster.retry"] (box 1) "the first retry"
                Expect.equal retryTags["taskcluster.retry.reason"] (box "status 500") "why"

                // Both attempts carried the trace of the caller's activity.
                let sent = server.Requests |> List.map (fun r -> r.Header "x-taskcluster-trace-id")
                let expected = Some(root.TraceId.ToHexString())
                Expect.equal sent [ expected; expected ] "the trace id of the current activity"

                let retriesAfter =
                    points Telemetry.Retries [ "taskcluster.service", box "telemetry" ]
                    |> List.sumBy (fun p -> p.GetSumLong())

                Expect.equal (retriesAfter - retriesBefore) 1L "one retry counted"

                let durations =
                    points
                        Telemetry.CallDuration
                        [
                            "taskcluster.service", box "telemetry"
                            "taskcluster.method", box "ping"
                            "http.response.status_code", box 200
                        ]
                    |> List.sumBy (fun p -> p.GetHistogramCount())

                Expect.isGreaterThanOrEqual durations 1L "the call's duration is recorded"
            }

            test "a refused call keeps x-for-request-id on its error and its span, and the span is an error" {
                use server = start ()
                let client = clientFor server id

                server.Enqueue(
                    Reply.withHeaders
                        [ "x-for-request-id", "req-404-1" ]
                        (Reply.error 404 "ResourceNotFound" "no such thing")
                )

                let mutable error = None

                let _, recorded =
                    traced (fun () -> error <- Some(callTelemetry client ping |> expectError "ping"))

                match error with
                | Some(TaskclusterError.ClientError e) -> Expect.equal e.RequestId (Some "req-404-1") "on the error"
                | other -> failtestf "expected a ClientError, got %A" other

                let span = named "telemetry.ping" recorded |> only "the call's span"
                Expect.equal (tag span "http.response.status_code") (box 404) "status"
                Expect.equal (tag span "taskcluster.request_id") (box "req-404-1") "on the span"
                Expect.equal (tag span "error.type") (box "ClientError") "error type"
                Expect.equal span.Status ActivityStatusCode.Error "an error"
            }

            test "a request id that is not printable ASCII is not kept" {
                use server = start ()
                let client = clientFor server id
                let long = String('x', 200)

                server.Enqueue(Reply.withHeaders [ "x-for-request-id", long ] (Reply.error 404 "ResourceNotFound" "no"))

                match callTelemetry client ping with
                | Error(TaskclusterError.ClientError e) -> Expect.isNone e.RequestId "too long to be an id"
                | other -> failtestf "expected a ClientError, got %A" other
            }

            test "a configured trace id is sent rather than the current activity's" {
                use server = start ()

                let client =
                    clientFor server (fun o ->
                        { o with
                            TraceId = Some "configured-trace"
                        })

                traced (fun () -> callTelemetry client ping |> expectOk "ping" |> ignore)
                |> ignore

                Expect.equal
                    (server.Requests |> List.map (fun r -> r.Header "x-taskcluster-trace-id"))
                    [ Some "configured-trace" ]
                    "the configured one"
            }

            test "an object upload and download are one span each, over their API calls, with their bytes counted" {
                use emulator = startEmulator ()
                let client = rootClient emulator
                let objects = ObjectApi.ofService (Taskcluster.Services.Object client)
                let name = $"telemetry/{Helpers.slugId().Value}"
                let data = Array.init 100_000 byte

                let request =
                    { Transfer.uploadRequest "telemetry" name (DateTimeOffset.UtcNow.AddDays 1.0) with
                        ContentType = "application/x-test"
                    }

                let bytes direction =
                    points
                        Telemetry.BytesTransferred
                        [
                            "taskcluster.service", box "object"
                            "taskcluster.transfer.direction", box direction
                        ]
                    |> List.sumBy (fun p -> p.GetSumLong())

                let uploadedBefore, downloadedBefore = bytes "upload", bytes "download"

                let _, recorded =
                    traced (fun () ->
                        Transfer.uploadFromBuf
                            objects
                            Transfer.defaults
                            request
                            (ReadOnlyMemory data)
                            CancellationToken.None
                        |> run
                        |> Result.defaultWith (fun e -> failtest (e.Describe()))
                        |> ignore

                        let downloaded =
                            Transfer.downloadToBuf objects Transfer.defaults name CancellationToken.None
                            |> run
                            |> Result.defaultWith (fun e -> failtest (e.Describe()))

                        Expect.equal (snd downloaded).Length (int64 data.Length) "the bytes came back")

                let upload = named "object.upload" recorded |> only "the upload's span"
                let download = named "object.download" recorded |> only "the download's span"

                for span, direction in [ upload, "upload"; download, "download" ] do
                    Expect.equal (tag span "taskcluster.service") (box "object") "service"
                    Expect.equal (tag span "taskcluster.transfer.direction") (box direction) "direction"
                    Expect.equal (tag span "taskcluster.transfer.name") (box name) "object name"
                    Expect.equal (tag span "taskcluster.transfer.bytes") (box (int64 data.Length)) "bytes"
                    Expect.equal (tag span "taskcluster.attempts") (box 1) "one data request"
                    Expect.equal span.Status ActivityStatusCode.Ok "ok"

                let childrenOf (parent: Activity) =
                    recorded
                    |> List.filter (fun a -> a.ParentSpanId = parent.SpanId)
                    |> List.map _.OperationName
                    |> List.sort

                Expect.equal
                    (childrenOf upload)
                    [ "object.createUpload"; "object.finishUpload" ]
                    "the upload's API calls"

                Expect.equal (childrenOf download) [ "object.startDownload" ] "the download's API call"

                Expect.equal (bytes "upload" - uploadedBefore) (int64 data.Length) "uploaded bytes counted"
                Expect.equal (bytes "download" - downloadedBefore) (int64 data.Length) "downloaded bytes counted"

                // Signed URLs, signatures and the access token are in no tag.
                for text in allTagText recorded do
                    Expect.isFalse (text.Contains emulator.AccessToken) "no access token"
                    Expect.isFalse (text.Contains "?") "no URL with a query (a signed URL's signature)"
                    Expect.isFalse (text.Contains "bewit") "no bewit"
            }

            test "a data request retried after a server error is an event of the transfer's span" {
                use emulator = startEmulator ()
                let client = rootClient emulator
                let objects = ObjectApi.ofService (Taskcluster.Services.Object client)
                let name = $"telemetry/{Helpers.slugId().Value}"
                let data = Array.init 20_000 byte

                let request =
                    { Transfer.uploadRequest "telemetry" name (DateTimeOffset.UtcNow.AddDays 1.0) with
                        ContentType = "application/x-test"
                    }

                emulator.Faults.Inject(FaultTarget.Blob name, Fault.Status 503, 1)

                let _, recorded =
                    traced (fun () ->
                        Transfer.uploadFromBuf
                            objects
                            Transfer.defaults
                            request
                            (ReadOnlyMemory data)
                            CancellationToken.None
                        |> run
                        |> Result.defaultWith (fun e -> failtest (e.Describe()))
                        |> ignore)

                let upload = named "object.upload" recorded |> only "the upload's span"
                Expect.equal (tag upload "taskcluster.attempts") (box 2) "two data requests"

                let retry = upload.Events |> List.ofSeq |> only "one retry event"
                Expect.equal retry.Name "retry" "event name"
            }
        ]
