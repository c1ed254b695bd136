/// End-to-end Pulse throughput (publish → broker → consumer → ack) through a private RabbitMQ
/// broker: our consumer (callback form, durable quorum queue) against a bare RabbitMQ.Client
/// consumer of the same kind of queue with the same prefetch, and the managed heap as the
/// messages go through. A report only: nothing here passes or fails on a number.
module Taskcluster.Pulse.Bench.Program

open System
open System.Diagnostics
open System.Threading
open System.Threading.Tasks
open RabbitMQ.Client
open RabbitMQ.Client.Events
open Taskcluster.Services
open Taskcluster.Pulse
open Taskcluster.Pulse.TestBroker

let private completed =
    QueueEventsReference.reference.ExchangePrefix
    + QueueEventsReference.taskCompleted.Exchange

/// One consumer's run: how long, and the heap after each quarter of the messages.
type private Measured =
    {
        Name: string
        Elapsed: TimeSpan
        Messages: int
        HeapAtQuarters: int64 list
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

/// Counts handled messages and samples the heap after each quarter (full collections, outside
/// the timed path of the handler as far as possible: only the crossing message pays for it).
type private Counter(total: int) =
    let mutable handled = 0
    let quarters = Collections.Concurrent.ConcurrentQueue<int64>()

    let finished =
        TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)

    member _.Handled() =
        let n = Interlocked.Increment &handled

        if n % (total / 4) = 0 then
            quarters.Enqueue(GC.GetTotalMemory true)

        if n = total then
            finished.TrySetResult() |> ignore

    member _.Finished = finished.Task
    member _.Quarters = List.ofSeq quarters

let private routingKeyFor (provisioner: string) =
    $"primary.fN1SbArXTPSVFNUvaOlinQ.0.wg.wid.{provisioner}.wt.-.fN1SbArXTPSVFNUvaOlinQ._"

let private timeout = TimeSpan.FromMinutes 30.0

/// A bare RabbitMQ.Client consumer: a quorum queue, the same prefetch and dispatch concurrency,
/// an ack per message after counting it; no parsing.
let private bare (broker: PrivateBroker) (count: int) (prefetch: int) =
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
        let counter = Counter count
        let consumer = AsyncEventingBasicConsumer ch

        consumer.add_ReceivedAsync (fun _ args ->
            task {
                counter.Handled()
                do! ch.BasicAckAsync(args.DeliveryTag, false)
            })

        let! _ = ch.BasicConsumeAsync(queue, false, consumer)
        let watch = Stopwatch.StartNew()
        do! publishAll broker.AdminUrl (routingKeyFor provisioner) count
        do! counter.Finished.WaitAsync timeout
        watch.Stop()
        let! _ = ch.QueueDeleteAsync(queue, false, false)

        return
            {
                Name = "bare RabbitMQ.Client"
                Elapsed = watch.Elapsed
                Messages = count
                HeapAtQuarters = counter.Quarters
            }
    }

/// Our consumer, callback form: routing-key fields, CC routes and the JSON body parsed per
/// message, ack after the handler.
let private ours (broker: PrivateBroker) (count: int) (prefetch: int) =
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

        let counter = Counter count
        use stop = new CancellationTokenSource()

        let running =
            Consumer.consume
                options
                (fun _ _ ->
                    counter.Handled()
                    Task.CompletedTask)
                stop.Token

        do! consuming.Task.WaitAsync timeout
        let watch = Stopwatch.StartNew()
        do! publishAll broker.AdminUrl (routingKeyFor provisioner) count
        do! counter.Finished.WaitAsync timeout
        watch.Stop()
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
                Messages = count
                HeapAtQuarters = counter.Quarters
            }
    }

let private argument (argv: string list) (name: string) (fallback: int) =
    match argv |> List.skipWhile ((<>) name) with
    | _ :: v :: _ ->
        match Int32.TryParse v with
        | true, n when n >= 4 -> n
        | _ -> failwith $"{name} wants a whole number of at least 4, not '{v}'"
    | _ -> fallback

[<EntryPoint>]
let main argv =
    let argv = List.ofArray argv
    let count = argument argv "--messages" 200_000
    let prefetch = argument argv "--prefetch" 5

    let run () =
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

                printfn "Pulse end to end (publish → broker → consumer → ack): %d messages, prefetch %d" count prefetch
                printfn "private RabbitMQ broker, durable quorum queue, persistent messages, one machine\n"
                // A short warm-up of both (JIT, broker queues) before the measured runs.
                let! _ = bare broker (min count 2_000) prefetch
                let! _ = ours broker (min count 2_000) prefetch
                let! b = bare broker count prefetch
                let! o = ours broker count prefetch

                let rate (m: Measured) =
                    float m.Messages / m.Elapsed.TotalSeconds

                let mb (bytes: int64) = float bytes / 1024.0 / 1024.0

                printfn "| consumer | messages/s | time | heap after 1/4, 1/2, 3/4, all of the messages (MB) |"
                printfn "|---|---:|---:|---|"

                for m in [ b; o ] do
                    let heap = m.HeapAtQuarters |> List.map (mb >> sprintf "%.1f") |> String.concat ", "
                    printfn "| %s | %.0f | %.1f s | %s |" m.Name (rate m) m.Elapsed.TotalSeconds heap

                printfn "\nours / bare: %.0f %%" (100.0 * rate o / rate b)
            finally
                (broker :> IAsyncDisposable).DisposeAsync().AsTask().GetAwaiter().GetResult()
        }

    run().GetAwaiter().GetResult()
    0
