/// End-to-end Pulse throughput (publish → broker → consumer → ack) through a private RabbitMQ
/// broker: our consumer (callback form, durable quorum queue) against a bare RabbitMQ.Client
/// consumer of the same kind of queue with the same prefetch, in interleaved rounds
/// (`--messages N --rounds R --prefetch P`); `--memory` streams many messages (1,000,000 by
/// default) through our consumer alone and samples its memory; `--micro` times building a
/// message from a delivery, without a broker. A report only: nothing here passes or fails on a
/// number.
module Taskcluster.Pulse.Bench.Program

open System
open System.Diagnostics
open System.Threading
open System.Threading.Tasks
open RabbitMQ.Client
open RabbitMQ.Client.Events
open Taskcluster.Core
open Taskcluster.Services
open Taskcluster.Pulse
open Taskcluster.Pulse.TestBroker

let private completed =
    QueueEventsReference.reference.ExchangePrefix
    + QueueEventsReference.taskCompleted.Exchange

/// One memory sample: after how many messages, the live managed heap (after a full
/// collection) and the process's working set.
type private Sample =
    {
        After: int
        Heap: int64
        WorkingSet: int64
    }

/// One consumer's run: how long, and the memory samples taken along the way.
type private Measured =
    {
        Name: string
        Elapsed: TimeSpan
        /// The whole process's processor time over the run (the publisher's share is the same
        /// for both consumers, so the difference is the consumers'); less at the mercy of a
        /// busy machine than the elapsed time.
        Cpu: TimeSpan
        Messages: int
        Samples: Sample list
    }

/// A realistic task-completed body (the size of the real ones' status part).
let private body (n: int) =
    Text.Encoding.UTF8.GetBytes(
        $$"""{"version":1,"status":{"taskId":"fN1SbArXTPSVFNUvaOlinQ","provisionerId":"bench","workerType":"wt","taskQueueId":"bench/wt","schedulerId":"-","projectId":"none","taskGroupId":"fN1SbArXTPSVFNUvaOlinQ","deadline":"2030-01-01T00:00:00.000Z","expires":"2031-01-01T00:00:00.000Z","retriesLeft":5,"state":"completed","runs":[{"runId":0,"state":"completed","reasonCreated":"scheduled","reasonResolved":"completed","workerGroup":"wg","workerId":"wid","takenUntil":"2030-01-01T00:00:00.000Z","scheduled":"2030-01-01T00:00:00.000Z","started":"2030-01-01T00:00:00.000Z","resolved":"2030-01-01T00:00:00.000Z"}]},"runId":0,"workerGroup":"wg","workerId":"wid","n":{{n}}}"""
    )

/// Publishes `count` persistent messages as Taskcluster does (CC header, JSON properties), with
/// publisher confirms (a message published without them can be lost when the connection
/// closes), up to 256 awaiting their confirmation at once.
let private publishAll (url: Uri) (routingKey: string) (count: int) =
    task {
        let! conn = ConnectionFactory(Uri = url).CreateConnectionAsync()
        use _ = conn
        let! ch = conn.CreateChannelAsync(CreateChannelOptions(true, true))
        use _ = ch
        let props = BasicProperties()
        props.ContentType <- "application/json"
        props.ContentEncoding <- "utf-8"
        props.DeliveryMode <- DeliveryModes.Persistent
        props.Headers <- Collections.Generic.Dictionary(dict [ "CC", box (Collections.Generic.List<obj>()) ])

        let pending = Collections.Generic.List<Task>()

        for i in 0 .. count - 1 do
            pending.Add(ch.BasicPublishAsync(completed, routingKey, false, props, ReadOnlyMemory(body i)).AsTask())

            if pending.Count = 256 then
                do! Task.WhenAll pending
                pending.Clear()

        do! Task.WhenAll pending
    }

/// Counts handled messages and samples memory `samples` times over the run (full collections,
/// outside the timed path of the handler as far as possible: only the crossing message pays).
type private Counter(total: int, samples: int, live: bool) =
    let mutable handled = 0
    let every = max 1 (total / samples)
    let taken = Collections.Concurrent.ConcurrentQueue<Sample>()

    let finished =
        TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)

    member _.Handled() =
        let n = Interlocked.Increment &handled

        if n % every = 0 then
            let heap = GC.GetTotalMemory true
            use self = Process.GetCurrentProcess()

            let sample =
                {
                    After = n
                    Heap = heap
                    WorkingSet = self.WorkingSet64
                }

            taken.Enqueue sample

            // A long run shows its progress (and keeps its samples if it is stopped early).
            if live then
                printfn
                    "| %d | %.2f | %.1f |"
                    sample.After
                    (float heap / 1048576.0)
                    (float sample.WorkingSet / 1048576.0)

        if n = total then
            finished.TrySetResult() |> ignore

    member _.Finished = finished.Task
    member _.Samples = List.ofSeq taken

let private routingKeyFor (provisioner: string) =
    $"primary.fN1SbArXTPSVFNUvaOlinQ.0.wg.wid.{provisioner}.wt.-.fN1SbArXTPSVFNUvaOlinQ._"

/// Generous: a stuck run ends with an error rather than hanging (20 ms a message at least).
let private timeoutFor (count: int) =
    TimeSpan.FromMinutes 30.0 + TimeSpan.FromMilliseconds(20.0 * float count)

/// A bare RabbitMQ.Client consumer: a quorum queue, the same prefetch and dispatch concurrency,
/// an ack per message after counting it; no parsing.
let private bare (broker: PrivateBroker) (count: int) (prefetch: int) (samples: int) =
    task {
        let provisioner = "bench-bare"

        let factory =
            ConnectionFactory(Uri = broker.AdminUrl, ConsumerDispatchConcurrency = uint16 prefetch)

        let! conn = factory.CreateConnectionAsync()
        use _ = conn
        let! ch = conn.CreateChannelAsync()
        use _ = ch
        let queue = "queue/guest/bench-bare"

        let args =
            Collections.Generic.Dictionary<string, obj>(dict [ "x-queue-type", box "quorum" ])

        let! _ = ch.QueueDeclareAsync(queue, true, false, false, args)
        do! ch.QueueBindAsync(queue, completed, $"*.*.*.*.*.{provisioner}.#")
        do! ch.BasicQosAsync(0u, uint16 prefetch, false)
        let counter = Counter(count, samples, samples > 4)
        let consumer = AsyncEventingBasicConsumer ch

        consumer.add_ReceivedAsync (fun _ args ->
            task {
                counter.Handled()
                do! ch.BasicAckAsync(args.DeliveryTag, false)
            })

        let! _ = ch.BasicConsumeAsync(queue, false, consumer)
        let cpu = Process.GetCurrentProcess().TotalProcessorTime
        let watch = Stopwatch.StartNew()
        do! publishAll broker.AdminUrl (routingKeyFor provisioner) count
        do! counter.Finished.WaitAsync(timeoutFor count)
        watch.Stop()
        let cpu = Process.GetCurrentProcess().TotalProcessorTime - cpu
        let! _ = ch.QueueDeleteAsync(queue, false, false)

        return
            {
                Name = "bare RabbitMQ.Client"
                Elapsed = watch.Elapsed
                Cpu = cpu
                Messages = count
                Samples = counter.Samples
            }
    }

/// Our consumer, callback form: routing-key fields, CC routes and the JSON body parsed per
/// message, ack after the handler.
let private ours (broker: PrivateBroker) (count: int) (prefetch: int) (samples: int) =
    task {
        let provisioner = "bench-ours"

        let connection =
            match PulseConnection.parseUrl broker.AdminUrl.AbsoluteUri with
            | Ok c -> c
            | Error e -> failwith (e.Describe())

        let binding =
            match QueueEvents.TaskCompleted(provisionerId = provisioner) with
            | Ok b -> b
            | Error e -> failwith (e.Describe())

        let consuming =
            TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)

        let options =
            { Consumer.defaults connection with
                Bindings = [ binding ]
                Queue = PulseQueue.Durable "bench-ours"
                Prefetch = prefetch
                OnConsuming = fun _ -> consuming.TrySetResult() |> ignore
            }

        let counter = Counter(count, samples, samples > 4)
        use stop = new CancellationTokenSource()

        let running =
            Consumer.consume
                options
                (fun _ _ ->
                    counter.Handled()
                    Task.CompletedTask)
                stop.Token

        do! consuming.Task.WaitAsync(timeoutFor count)
        let cpu = Process.GetCurrentProcess().TotalProcessorTime
        let watch = Stopwatch.StartNew()
        do! publishAll broker.AdminUrl (routingKeyFor provisioner) count
        do! counter.Finished.WaitAsync(timeoutFor count)
        watch.Stop()
        let cpu = Process.GetCurrentProcess().TotalProcessorTime - cpu
        stop.Cancel()
        let! _ = running

        let! conn = ConnectionFactory(Uri = broker.AdminUrl).CreateConnectionAsync()
        use _ = conn
        let! ch = conn.CreateChannelAsync()
        use _ = ch
        let! _ = ch.QueueDeleteAsync("queue/guest/bench-ours", false, false)

        return
            {
                Name = "Taskcluster.Pulse consumer"
                Elapsed = watch.Elapsed
                Cpu = cpu
                Messages = count
                Samples = counter.Samples
            }
    }

let private argument (argv: string list) (name: string) (least: int) (fallback: int) =
    match argv |> List.skipWhile ((<>) name) with
    | _ :: v :: _ ->
        match Int32.TryParse v with
        | true, n when n >= least -> n
        | _ -> failwith $"{name} wants a whole number of at least {least}, not '{v}'"
    | _ -> fallback

let private rate (m: Measured) =
    float m.Messages / m.Elapsed.TotalSeconds

let private cpuPerMessage (m: Measured) =
    m.Cpu.TotalMicroseconds / float m.Messages

let private mb (bytes: int64) = float bytes / 1024.0 / 1024.0

let private median (xs: float list) =
    let s = List.sort xs
    let n = s.Length

    if n % 2 = 1 then
        s[n / 2]
    else
        (s[n / 2 - 1] + s[n / 2]) / 2.0

/// Declares the exchange, warms both consumers up, then runs `measure` and stops the broker.
let private withBroker (prefetch: int) (measure: PrivateBroker -> Task<unit>) =
    task {
        let! broker = PrivateBroker.StartAsync()

        try
            let! conn = ConnectionFactory(Uri = broker.AdminUrl).CreateConnectionAsync()

            do!
                task {
                    use _ = conn
                    let! ch = conn.CreateChannelAsync()
                    use _ = ch
                    do! ch.ExchangeDeclareAsync(completed, ExchangeType.Topic, true, false)
                }

            // A short warm-up of both (JIT, broker queues) before the measured runs.
            let! _ = bare broker 2_000 prefetch 4
            let! _ = ours broker 2_000 prefetch 4
            do! measure broker
        finally
            (broker :> IAsyncDisposable).DisposeAsync().AsTask().GetAwaiter().GetResult()
    }

/// Throughput: rounds of bare then ours on the same broker, so that both meet the same
/// machine load over time; the ratio is of the median rates.
let private throughput (count: int) (prefetch: int) (rounds: int) (broker: PrivateBroker) =
    task {
        printfn
            "Pulse end to end (publish → broker → consumer → ack): %d messages, prefetch %d, %d rounds"
            count
            prefetch
            rounds

        printfn "private RabbitMQ broker, durable quorum queue, persistent messages, one machine\n"

        printfn
            "| round | consumer | messages/s | time | CPU µs per message | heap after 1/4, 1/2, 3/4, all of the messages (MB) |"

        printfn "|---:|---|---:|---:|---:|---|"
        let results = Collections.Generic.List<Measured * Measured>()

        for round in 1..rounds do
            let! b = bare broker count prefetch 4
            let! o = ours broker count prefetch 4
            results.Add((b, o))

            for m in [ b; o ] do
                let heap =
                    m.Samples
                    |> List.map (fun s -> sprintf "%.1f" (mb s.Heap))
                    |> String.concat ", "

                printfn
                    "| %d | %s | %.0f | %.1f s | %.0f | %s |"
                    round
                    m.Name
                    (rate m)
                    m.Elapsed.TotalSeconds
                    (cpuPerMessage m)
                    heap

        let bareRate = results |> Seq.map (fst >> rate) |> List.ofSeq |> median
        let oursRate = results |> Seq.map (snd >> rate) |> List.ofSeq |> median
        printfn "\nmedian messages/s: bare %.0f, ours %.0f" bareRate oursRate

        printfn
            "median CPU µs per message (publisher included): bare %.0f, ours %.0f"
            (results |> Seq.map (fst >> cpuPerMessage) |> List.ofSeq |> median)
            (results |> Seq.map (snd >> cpuPerMessage) |> List.ofSeq |> median)

        printfn "ours / bare (medians): %.0f %%" (100.0 * oursRate / bareRate)

        printfn
            "ours / bare per round: %s"
            (results
             |> Seq.map (fun (b, o) -> sprintf "%.0f %%" (100.0 * rate o / rate b))
             |> String.concat ", ")
    }

/// The long run: only our consumer, memory sampled 20 times; flat means the last quarter's
/// samples average about what the first quarter's do.
let private memory (count: int) (prefetch: int) (broker: PrivateBroker) =
    task {
        printfn "Pulse memory over a long stream: %d messages through our consumer, prefetch %d" count prefetch
        printfn "(live managed heap after a full collection, and working set, sampled 20 times)\n"
        printfn "| after messages | heap (MB) | working set (MB) |"
        printfn "|---:|---:|---:|"
        let! o = ours broker count prefetch 20

        let quarter = max 1 (o.Samples.Length / 4)
        let first = o.Samples |> List.take quarter
        let last = o.Samples |> List.skip (o.Samples.Length - quarter)
        let avg (f: Sample -> int64) (xs: Sample list) = xs |> List.averageBy (f >> mb)

        printfn "\n%d messages in %.1f min (%.0f messages/s)" o.Messages o.Elapsed.TotalMinutes (rate o)

        printfn
            "heap: first quarter %.2f MB, last quarter %.2f MB (%+.1f %%); working set: first quarter %.1f MB, last quarter %.1f MB (%+.1f %%)"
            (avg _.Heap first)
            (avg _.Heap last)
            (100.0 * (avg _.Heap last / avg _.Heap first - 1.0))
            (avg _.WorkingSet first)
            (avg _.WorkingSet last)
            (100.0 * (avg _.WorkingSet last / avg _.WorkingSet first - 1.0))
    }

/// The per-message work of our consumer without a broker: building a `PulseMessage` from a
/// delivery's parts, against the straightforward path (key split by `RoutingKey.parse`, the
/// body copied, parsed into a document and cloned out of it).
let private micro (count: int) =
    let exchange = completed
    let key = routingKeyFor "bench-ours"
    let payload = ReadOnlyMemory(body 1)
    let cc = [ "route.index.project.bench"; "route.notify.email.a@b.c.on-failed" ]
    let parts = QueueEventsReference.taskCompleted.RoutingKey
    let lookup (_: string) = Some parts

    let straightforward () =
        let fields =
            match RoutingKey.parse QueueEventsReference.taskCompleted key with
            | Ok m -> m
            | Error _ -> Map.empty

        use doc = Text.Json.JsonDocument.Parse(payload.ToArray())
        struct (fields, PulseMessage.routes cc, doc.RootElement.Clone())

    let ofDelivery () =
        match PulseMessage.ofDelivery lookup exchange key cc false payload with
        | Ok m -> struct (m.RoutingKeyFields, m.Routes, m.Body)
        | Error e -> failwith (e.Describe())

    // Same answers first: the comparison is only fair if both do the same work.
    let struct (f1, r1, b1) = straightforward ()
    let struct (f2, r2, b2) = ofDelivery ()

    if f1 <> f2 || r1 <> r2 || b1.GetRawText() <> b2.GetRawText() then
        failwith "ofDelivery and the straightforward path disagree"

    let measure (name: string) (f: unit -> struct (Map<string, string> * string list * Text.Json.JsonElement)) =
        for _ in 1..10_000 do
            f () |> ignore

        GC.Collect()
        let allocated = GC.GetAllocatedBytesForCurrentThread()
        let watch = Stopwatch.StartNew()

        for _ in 1..count do
            f () |> ignore

        watch.Stop()
        let bytes = GC.GetAllocatedBytesForCurrentThread() - allocated
        printfn "| %s | %.2f µs | %d B |" name (watch.Elapsed.TotalMicroseconds / float count) (bytes / int64 count)

    printfn "Building a message from a delivery (%d times, %d-byte body, one thread)\n" count payload.Length
    printfn "| path | time per message | allocated per message |"
    printfn "|---|---:|---:|"
    measure "straightforward (RoutingKey.parse, copy, parse, clone)" straightforward
    measure "PulseMessage.ofDelivery" ofDelivery

[<EntryPoint>]
let main argv =
    let argv = List.ofArray argv
    let prefetch = argument argv "--prefetch" 1 5

    if List.contains "--micro" argv then
        micro (argument argv "--messages" 100 200_000)
    elif List.contains "--memory" argv then
        let count = argument argv "--messages" 100 1_000_000
        (withBroker prefetch (memory count prefetch)).GetAwaiter().GetResult()
    else
        let count = argument argv "--messages" 100 30_000
        let rounds = argument argv "--rounds" 1 4
        (withBroker prefetch (throughput count prefetch rounds)).GetAwaiter().GetResult()

    0
