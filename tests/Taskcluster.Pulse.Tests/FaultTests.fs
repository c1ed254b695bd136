/// The consumer under faults of the broker: its connection closed by the broker while a publisher
/// keeps publishing, and the broker restarted mid-stream. With a durable queue every message the
/// broker confirmed taking must be handled at least once. (A failing handler's single redelivery
/// and rejection is proven in ConsumerTests.)
///
/// Each test drives a private broker of its own (a restart would break every other test using a
/// shared one), whatever TASKCLUSTER_TEST_AMQP_URL says.
module Taskcluster.Pulse.Tests.FaultTests

open System
open System.Collections.Concurrent
open System.Runtime.ExceptionServices
open System.Threading
open System.Threading.Tasks
open Expecto
open RabbitMQ.Client
open Taskcluster.Services
open Taskcluster.Pulse
open Taskcluster.Pulse.TestBroker
open Taskcluster.Pulse.Tests.Support

let private completed =
    QueueEventsReference.reference.ExchangePrefix
    + QueueEventsReference.taskCompleted.Exchange

let private ok r =
    match r with
    | Ok v -> v
    | Error e -> failtestf "unexpected error: %A" e

// Generous hang guards: a passing test ends as soon as its condition holds.
let private timeout = TimeSpan.FromSeconds 120.0

/// How far the publisher may run ahead of the consumer: enough to keep publishing while the
/// consumer is away, bounded so the test's length does not depend on the machine's speed.
let private window = 200

/// Runs `f` with a private broker of its own, which is stopped whatever happens.
let private withOwnBroker (f: PrivateBroker -> Task) =
    task {
        let! b = PrivateBroker.StartAsync()

        let! failure =
            task {
                try
                    do! f b
                    return None
                with e ->
                    return Some(ExceptionDispatchInfo.Capture e)
            }

        do! (b :> IAsyncDisposable).DisposeAsync()

        match failure with
        | Some e -> e.Throw()
        | None -> ()
    }

/// Publishes numbered messages (`{"n": i}`) with publisher confirms until stopped, never more
/// than `window` ahead of `handled ()`. A publish that fails (its connection was closed, the
/// broker is down) is tried again on a new connection until it is confirmed, so the messages
/// are confirmed in order and `StopAsync` returns exactly those the broker acknowledged taking.
type private Publisher(url: Uri, routingKey: string, handled: unit -> int) =
    let stop = new CancellationTokenSource()

    let closeQuietly (conn: IConnection) =
        if not (isNull conn) then
            try
                conn.Dispose()
            with _ ->
                ()

    let run =
        task {
            let mutable confirmed = 0
            let mutable conn: IConnection = null
            let mutable channel: IChannel = null

            while not stop.IsCancellationRequested do
                if confirmed - handled () >= window then
                    do! Task.Delay 5
                else
                    let! published =
                        task {
                            try
                                if isNull channel then
                                    let! c = ConnectionFactory(Uri = url).CreateConnectionAsync()
                                    conn <- c
                                    let! ch = c.CreateChannelAsync(CreateChannelOptions(true, true))
                                    channel <- ch

                                do! publish channel completed routingKey [] $$"""{"n":{{confirmed}}}"""
                                return true
                            with _ ->
                                return false
                        }

                    if published then
                        confirmed <- confirmed + 1
                    else
                        closeQuietly conn
                        conn <- null
                        channel <- null
                        do! Task.Delay 50

            closeQuietly conn
            return confirmed
        }

    /// Stops publishing; the numbers of the messages the broker confirmed (0 to count - 1).
    member _.StopAsync() =
        task {
            stop.Cancel()
            let! count = run.WaitAsync timeout
            return [ 0 .. count - 1 ]
        }

    interface IDisposable with
        member _.Dispose() =
            stop.Cancel()

            try
                run.Wait timeout |> ignore
            with _ ->
                ()

/// A consumer of a Pulse user's durable queue on `b`, counting what it handles.
type private Counting =
    {
        Seen: ConcurrentDictionary<int, int>
        /// The number of the connection consuming now (1 for the first).
        Consuming: int ref
        Stop: CancellationTokenSource
        Finished: Task<Result<unit, ConsumerError>>
        User: string
        RoutingKey: string
    }

    interface IDisposable with
        member this.Dispose() =
            this.Stop.Cancel()

            try
                this.Finished.Wait timeout |> ignore
            with _ ->
                ()

let private startCounting (b: PrivateBroker) =
    task {
        let! conn = ConnectionFactory(Uri = b.AdminUrl).CreateConnectionAsync()
        use _ = conn
        let! ch = conn.CreateChannelAsync()
        use _ = ch
        do! ch.ExchangeDeclareAsync(completed, ExchangeType.Topic, true, false)

        let user = unique "u"
        let! url = b.AddPulseUserAsync(user, "pw-" + user)
        let connection = PulseConnection.parseUrl url.AbsoluteUri |> ok
        let provisioner = unique "prov"
        let binding = QueueEvents.TaskCompleted(provisionerId = provisioner) |> ok
        let consuming = ref 0
        let seen = ConcurrentDictionary<int, int>()

        let options =
            { Consumer.defaults connection with
                Bindings = [ binding ]
                Queue = PulseQueue.Durable "faults"
                ReconnectDelay = fun _ -> TimeSpan.FromMilliseconds 200.0
                Logger = RecordingLogger()
                OnConsuming = fun n -> Volatile.Write(&consuming.contents, n)
            }

        let stop = new CancellationTokenSource()

        let finished =
            Consumer.consume
                options
                (fun m _ ->
                    seen.AddOrUpdate(m.Body.GetProperty("n").GetInt32(), 1, (fun _ c -> c + 1))
                    |> ignore

                    Task.CompletedTask)
                stop.Token

        do!
            waitUntil "the consumer consuming" timeout (fun () ->
                Task.FromResult(Volatile.Read &consuming.contents >= 1))

        return
            {
                Seen = seen
                Consuming = consuming
                Stop = stop
                Finished = finished
                User = user
                RoutingKey = $"primary.taskAAAAAAAAAAAAAAAAAA.0.wg.wid.{provisioner}.wt.sched.group._"
            }
    }

/// Waits until the consumer has handled `more` new messages.
let private handledMore (c: Counting) (more: int) (what: string) =
    let target = c.Seen.Count + more
    waitUntil $"{more} more messages handled {what}" timeout (fun () -> Task.FromResult(c.Seen.Count >= target))

/// Waits for consumption on connection `n`.
let private consumingOn (c: Counting) (n: int) =
    waitUntil $"consumption on connection {n}" timeout (fun () ->
        Task.FromResult(Volatile.Read &c.Consuming.contents >= n))

/// Stops the publisher, waits for every confirmed message and checks none was lost.
let private everyConfirmedHandled (c: Counting) (publisher: Publisher) =
    task {
        let! confirmed = publisher.StopAsync()

        do!
            waitUntil "every confirmed message handled" timeout (fun () ->
                Task.FromResult(confirmed |> List.forall c.Seen.ContainsKey))

        c.Stop.Cancel()
        let! r = c.Finished.WaitAsync timeout
        Expect.isOk r "the consumer ends with Ok"
        let lost = confirmed |> List.filter (c.Seen.ContainsKey >> not)
        Expect.isEmpty lost "no confirmed message is lost"
        // The one message whose confirmation a stop can interrupt may have been taken too.
        Expect.all c.Seen.Keys (fun n -> n >= 0 && n <= confirmed.Length) "nothing but the published messages"
    }

let tests =
    testSequenced
    <| testList
        "Faults"
        [
            testCaseTask
                "connections closed by the broker while a publisher keeps publishing: consumption resumes, nothing lost"
                (fun () ->
                    withOwnBroker (fun b ->
                        task {
                            let! consumer = startCounting b
                            use _ = consumer

                            use publisher =
                                new Publisher(b.AdminUrl, consumer.RoutingKey, fun () -> consumer.Seen.Count)

                            for round in 1..3 do
                                do! handledMore consumer 50 $"before closing connection {round}"
                                let! closed = b.CloseConnectionsOfAsync consumer.User
                                Expect.isGreaterThanOrEqual closed 1 "the consumer's connection is closed"
                                do! consumingOn consumer (round + 1)

                            do! handledMore consumer 50 "after the last close"
                            do! everyConfirmedHandled consumer publisher
                        }))

            testCaseTask "the broker restarted mid-stream: consumption resumes, nothing lost" (fun () ->
                withOwnBroker (fun b ->
                    task {
                        let! consumer = startCounting b
                        use _ = consumer

                        use publisher =
                            new Publisher(b.AdminUrl, consumer.RoutingKey, fun () -> consumer.Seen.Count)

                        do! handledMore consumer 50 "before the restart"
                        do! b.RestartAsync()
                        do! consumingOn consumer 2
                        do! handledMore consumer 50 "after the restart"
                        do! everyConfirmedHandled consumer publisher
                    }))
        ]
