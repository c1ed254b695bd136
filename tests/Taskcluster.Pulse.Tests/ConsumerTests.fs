module Taskcluster.Pulse.Tests.ConsumerTests

open System
open System.Collections.Concurrent
open System.Collections.Generic
open System.Threading
open System.Threading.Tasks
open Expecto
open Microsoft.Extensions.Logging
open RabbitMQ.Client
open Taskcluster.Core
open Taskcluster.Services
open Taskcluster.Pulse
open Taskcluster.Pulse.Tests.Support

let private completed =
    QueueEventsReference.reference.ExchangePrefix
    + QueueEventsReference.taskCompleted.Exchange

let private keyFor (taskId: string) (provisioner: string) =
    $"primary.{taskId}.0.wg.wid.{provisioner}.wt.sched.group._"

let private ok r =
    match r with
    | Ok v -> v
    | Error e -> failtestf "unexpected error: %A" e

// Generous: the machines these run on can be very busy; a passing test ends as soon as it can.
let private timeout = TimeSpan.FromSeconds 120.0

/// A fresh Pulse-like user on the run's broker, as a connection.
let private pulseUser () =
    task {
        let user = unique "u"
        let! url = broker().AddPulseUserAsync(user, "pw-" + user)
        return PulseConnection.parseUrl url.AbsoluteUri |> ok
    }

/// A consumer running in the background with the callback form.
type private Running =
    {
        Stop: CancellationTokenSource
        Finished: Task<Result<unit, ConsumerError>>
        Consuming: int ref
    }

    member this.StopAsync() =
        task {
            this.Stop.Cancel()
            let! r = this.Finished.WaitAsync(timeout)
            Expect.isOk r "the consumer ends with Ok"
        }

    /// A test that fails half-way still stops its consumer, so no connection outlives it.
    interface IDisposable with
        member this.Dispose() =
            this.Stop.Cancel()

            try
                this.Finished.Wait(timeout) |> ignore
            with _ ->
                ()

let private start (options: ConsumerOptions) handler =
    task {
        let consuming = ref 0

        let started =
            TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)

        let options =
            { options with
                OnConsuming =
                    fun n ->
                        consuming.Value <- n
                        started.TrySetResult() |> ignore
            }

        let cts = new CancellationTokenSource()
        let finished = Consumer.consume options handler cts.Token
        do! started.Task.WaitAsync(timeout)

        return
            {
                Stop = cts
                Finished = finished
                Consuming = consuming
            }
    }

let private fastReconnect (connection: PulseConnection) bindings =
    { Consumer.defaults connection with
        Bindings = bindings
        ReconnectDelay = fun _ -> TimeSpan.FromMilliseconds 200.0
        Logger = RecordingLogger()
    }

let private queueDepth (queue: string) =
    task {
        let! conn = adminConnection ()
        use _ = conn
        let! ch = conn.CreateChannelAsync()
        use _ = ch
        let! q = ch.QueueDeclarePassiveAsync queue
        return int q.MessageCount
    }

/// Publishes on a channel with publisher confirms: each publish returns once the broker has the
/// message, so "published while the consumer was away" is a fact, not a hope.
let private withPublisher (f: IChannel -> Task) =
    task {
        let! conn = adminConnection ()
        use _ = conn
        let! ch = conn.CreateChannelAsync(CreateChannelOptions(true, true))
        use _ = ch
        do! f ch
    }

let private pureTests =
    testList
        "options"
        [
            testCaseTask "bad options are typed errors before any connection" (fun () ->
                task {
                    let conn = PulseConnection.create "localhost" "alice" "pw" "/" false |> ok
                    let b = Consumer.binding completed "#" |> ok

                    let o =
                        { Consumer.defaults conn with
                            Bindings = [ b ]
                        }

                    Expect.equal
                        (Consumer.validate { o with Bindings = [] })
                        (Error ConsumerError.NoBindings)
                        "no bindings"

                    Expect.equal
                        (Consumer.validate { o with Prefetch = 0 })
                        (Error(ConsumerError.InvalidOption("Prefetch", "0")))
                        "prefetch"

                    Expect.equal
                        (Consumer.validate
                            { o with
                                Queue = PulseQueue.Durable "queue/bob/x"
                            })
                        (Error(ConsumerError.Name(PulseNameError.QueueOutsideNamespace("queue/bob/x", "alice"))))
                        "another user's queue"

                    Expect.equal
                        (Consumer.validate
                            { o with
                                DeadLetterExchange = Some "exchange/alice/dead"
                            })
                        (Error ConsumerError.DeadLetterNeedsDurableQueue)
                        "dead letters need a durable queue"

                    Expect.equal
                        (Consumer.binding "amq.topic" "#")
                        (Error(ConsumerError.Name(PulseNameError.NotAnExchangeName "amq.topic")))
                        "a non-Pulse exchange"

                    Expect.equal
                        (Consumer.validate
                            { o with
                                Queue = PulseQueue.Durable "jobs"
                            })
                        (Ok(Some "queue/alice/jobs"))
                        "the full queue name"

                    let! r =
                        Consumer.consume
                            { o with Bindings = [] }
                            (fun _ _ -> Task.CompletedTask)
                            CancellationToken.None

                    Expect.equal r (Error ConsumerError.NoBindings) "consume returns the error at once"
                    Expect.isError (Consumer.messages { o with Bindings = [] }) "so does messages"
                })

            test "a string binding to a known exchange carries its routing-key parts" {
                let b = Consumer.binding completed "route.x.#" |> ok

                Expect.equal
                    b.RoutingKeyReference
                    QueueEventsReference.taskCompleted.RoutingKey
                    "parts from the reference"

                let other = Consumer.binding "exchange/someone/v1/custom" "#" |> ok
                Expect.isEmpty other.RoutingKeyReference "unknown exchange: no parts"
            }
        ]

let private brokerTests =
    testSequenced
    <| testList
        "with the broker"
        [
            testCaseTask "messages arrive with fields, routes and body; handled ones leave the durable queue" (fun () ->
                task {
                    do! declareExchanges [ completed ]
                    let! conn = pulseUser ()
                    let provisioner = unique "prov"
                    let b = QueueEvents.TaskCompleted(provisionerId = provisioner) |> ok

                    let options =
                        { fastReconnect conn [ b ] with
                            Queue = PulseQueue.Durable "completed"
                        }

                    let received = ConcurrentQueue<PulseMessage>()

                    let! running =
                        start options (fun m _ ->
                            received.Enqueue m
                            Task.CompletedTask)

                    use _ = running

                    do!
                        withPublisher (fun ch ->
                            task {
                                do!
                                    publish
                                        ch
                                        completed
                                        (keyFor "notMineAAAAAAAAAAAAAAA" "elsewhere")
                                        []
                                        """{"n":-1}"""

                                for i in 0..2 do
                                    do!
                                        publish
                                            ch
                                            completed
                                            (keyFor $"task{i}AAAAAAAAAAAAAAAAA" provisioner)
                                            [ $"index.t{i}"; "notify.x" ]
                                            $$"""{"n":{{i}}}"""
                            })

                    do! waitUntil "three messages" timeout (fun () -> Task.FromResult(received.Count >= 3))
                    do! running.StopAsync()

                    let got =
                        received
                        |> Seq.sortBy (fun m -> m.Body.GetProperty("n").GetInt32())
                        |> List.ofSeq

                    Expect.equal got.Length 3 "only the bound provisioner's messages"

                    for i, m in List.indexed got do
                        Expect.equal m.Exchange completed "exchange"
                        Expect.equal m.RoutingKeyFields["taskId"] $"task{i}AAAAAAAAAAAAAAAAA" "taskId from the key"
                        Expect.equal m.RoutingKeyFields["provisionerId"] provisioner "provisionerId from the key"
                        Expect.equal m.Routes [ $"index.t{i}"; "notify.x" ] "routes from CC"
                        Expect.isFalse m.Redelivered "first delivery"

                    let! depth = queueDepth $"queue/{conn.Username}/completed"
                    Expect.equal depth 0 "every handled message was acknowledged"
                })

            testCaseTask "a failing handler's message comes back once, then is dead-lettered and logged" (fun () ->
                task {
                    let! conn = pulseUser ()
                    let user = conn.Username
                    let dead = $"exchange/{user}/dead"
                    let deadQueue = $"queue/{user}/dead"
                    do! declareExchanges [ completed; dead ]

                    do!
                        withPublisher (fun ch ->
                            task {
                                let! _ = ch.QueueDeclareAsync(deadQueue, true, false, false)
                                do! ch.QueueBindAsync(deadQueue, dead, "#")
                            })

                    let provisioner = unique "prov"
                    let b = QueueEvents.TaskCompleted(provisionerId = provisioner) |> ok
                    let logger = RecordingLogger()

                    let options =
                        { fastReconnect conn [ b ] with
                            Queue = PulseQueue.Durable "failing"
                            DeadLetterExchange = Some dead
                            Logger = logger
                        }

                    let attempts = ConcurrentQueue<string * bool>()

                    let! running =
                        start options (fun m _ ->
                            let name = m.Body.GetProperty("name").GetString()
                            attempts.Enqueue((name, m.Redelivered))

                            if name = "bad" then
                                failwith "handler failure for the test"

                            Task.CompletedTask)

                    use _ = running

                    do!
                        withPublisher (fun ch ->
                            task {
                                do!
                                    publish
                                        ch
                                        completed
                                        (keyFor "badAAAAAAAAAAAAAAAAAAA" provisioner)
                                        []
                                        """{"name":"bad"}"""

                                do!
                                    publish
                                        ch
                                        completed
                                        (keyFor "goodAAAAAAAAAAAAAAAAAA" provisioner)
                                        []
                                        """{"name":"good"}"""

                                // Not JSON: it never reaches the handler, and fails the same way.
                                do! publish ch completed (keyFor "junkAAAAAAAAAAAAAAAAAA" provisioner) [] "not json"
                            })

                    do!
                        waitUntil "both rejected messages in the dead-letter queue" timeout (fun () ->
                            task {
                                let! n = queueDepth deadQueue
                                return n >= 2
                            })

                    do! running.StopAsync()
                    let bad = attempts |> Seq.filter (fst >> (=) "bad") |> Seq.map snd |> List.ofSeq
                    Expect.equal bad [ false; true ] "delivered, then redelivered once, then no more"
                    let good = attempts |> Seq.filter (fst >> (=) "good") |> List.ofSeq
                    Expect.equal good.Length 1 "the good message once"
                    let! deadDepth = queueDepth deadQueue
                    Expect.equal deadDepth 2 "exactly the failing and the non-JSON message are dead letters"
                    let! left = queueDepth $"queue/{user}/failing"
                    Expect.equal left 0 "nothing left in the queue"

                    let errors =
                        logger.Entries
                        |> List.filter (fun (level, _) -> level = LogLevel.Error)
                        |> List.map snd

                    Expect.exists
                        errors
                        (fun e -> e.Contains completed && e.Contains "rejected")
                        "the rejection is logged"

                    Expect.exists
                        errors
                        (fun e -> e.Contains "not JSON" && e.Contains "junkAAAA")
                        "so is the non-JSON one"
                })

            testCaseTask "no more handlers run at once than the prefetch allows" (fun () ->
                task {
                    do! declareExchanges [ completed ]
                    let! conn = pulseUser ()
                    let provisioner = unique "prov"
                    let b = QueueEvents.TaskCompleted(provisionerId = provisioner) |> ok

                    let options =
                        { fastReconnect conn [ b ] with
                            Queue = PulseQueue.Durable "prefetch"
                            Prefetch = 3
                        }

                    let release =
                        TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)

                    let running = ref 0
                    let most = ref 0
                    let handled = ref 0

                    let! consumer =
                        start options (fun _ ct ->
                            task {
                                let now = Interlocked.Increment &running.contents
                                lock release (fun () -> most.Value <- max most.Value now)
                                do! release.Task.WaitAsync ct
                                Interlocked.Decrement &running.contents |> ignore
                                Interlocked.Increment &handled.contents |> ignore
                            })

                    use _ = consumer

                    do!
                        withPublisher (fun ch ->
                            task {
                                for i in 0..6 do
                                    do!
                                        publish
                                            ch
                                            completed
                                            (keyFor "taskAAAAAAAAAAAAAAAAAA" provisioner)
                                            []
                                            $$"""{"n":{{i}}}"""
                            })

                    do!
                        waitUntil "three handlers at once" timeout (fun () ->
                            Task.FromResult(Volatile.Read &running.contents = 3))

                    release.SetResult()

                    do!
                        waitUntil "all seven handled" timeout (fun () ->
                            Task.FromResult(Volatile.Read &handled.contents = 7))

                    do! consumer.StopAsync()
                    Expect.equal most.Value 3 "at most Prefetch handlers at once, and that many"
                })

            testCaseTask
                "after the broker closes the connection the consumer reconnects and a durable queue loses nothing"
                (fun () ->
                    task {
                        do! declareExchanges [ completed ]
                        let! conn = pulseUser ()
                        let provisioner = unique "prov"
                        let b = QueueEvents.TaskCompleted(provisionerId = provisioner) |> ok

                        // The reconnection waits on this clock: the consumer stays away until the test
                        // has published the second batch.
                        let clock = ManualTimeProvider()

                        let options =
                            { fastReconnect conn [ b ] with
                                Queue = PulseQueue.Durable "survivor"
                                ReconnectDelay = fun _ -> TimeSpan.FromHours 1.0
                                TimeProvider = clock
                            }

                        let seen = ConcurrentDictionary<int, int>()

                        let! running =
                            start options (fun m _ ->
                                seen.AddOrUpdate(m.Body.GetProperty("n").GetInt32(), 1, (fun _ c -> c + 1))
                                |> ignore

                                Task.CompletedTask)

                        use _ = running

                        let publishRange (range: int seq) =
                            withPublisher (fun ch ->
                                task {
                                    for i in range do
                                        do!
                                            publish
                                                ch
                                                completed
                                                (keyFor "taskAAAAAAAAAAAAAAAAAA" provisioner)
                                                []
                                                $$"""{"n":{{i}}}"""
                                })

                        do! publishRange [ 0..49 ]
                        do! waitUntil "the first batch" timeout (fun () -> Task.FromResult(seen.Count >= 50))
                        do! broker().CloseAllConnectionsAsync()

                        do!
                            waitUntil "the consumer waiting to reconnect" timeout (fun () ->
                                Task.FromResult clock.HasPendingTimers)

                        do! publishRange [ 50..99 ]
                        Expect.equal seen.Count 50 "nothing consumed while disconnected"
                        clock.FireAll()
                        do! waitUntil "both batches" timeout (fun () -> Task.FromResult(seen.Count >= 100))
                        Expect.isGreaterThanOrEqual running.Consuming.Value 2 "it consumed on a second connection"
                        do! running.StopAsync()
                        Expect.equal (seen.Keys |> Seq.sort |> List.ofSeq) [ 0..99 ] "every message, none lost"
                    })

            testCaseTask "a deleted queue is declared again and consumption resumes" (fun () ->
                task {
                    do! declareExchanges [ completed ]
                    let! conn = pulseUser ()
                    let provisioner = unique "prov"
                    let b = QueueEvents.TaskCompleted(provisionerId = provisioner) |> ok

                    let options =
                        { fastReconnect conn [ b ] with
                            Queue = PulseQueue.Durable "deleted"
                        }

                    let seen = ConcurrentQueue<int>()

                    let! running =
                        start options (fun m _ ->
                            seen.Enqueue(m.Body.GetProperty("n").GetInt32())
                            Task.CompletedTask)

                    use _ = running

                    do!
                        withPublisher (fun ch ->
                            task {
                                let! _ = ch.QueueDeleteAsync($"queue/{conn.Username}/deleted", false, false)
                                ()
                            })

                    do!
                        waitUntil "a second consuming connection" timeout (fun () ->
                            Task.FromResult(running.Consuming.Value >= 2))

                    do!
                        withPublisher (fun ch ->
                            publish ch completed (keyFor "taskAAAAAAAAAAAAAAAAAA" provisioner) [] """{"n":7}""")

                    do! waitUntil "the message on the new queue" timeout (fun () -> Task.FromResult(seen.Count >= 1))
                    do! running.StopAsync()
                    Expect.equal (List.ofSeq seen) [ 7 ] "consumed from the queue declared again"
                })

            testCaseTask
                "the enumerable form yields in queue order, CC routes bind, and stopping closes the connection"
                (fun () ->
                    task {
                        do! declareExchanges [ completed ]
                        let! conn = pulseUser ()
                        let route = unique "route"
                        let b = Consumer.binding completed $"route.{route}.#" |> ok

                        let consuming =
                            TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)

                        let options =
                            { fastReconnect conn [ b ] with
                                Prefetch = 3
                                OnConsuming = fun _ -> consuming.TrySetResult() |> ignore
                            }

                        let messages = Consumer.messages options |> ok
                        use cts = new CancellationTokenSource(timeout)
                        let e = messages.GetAsyncEnumerator(cts.Token)
                        // The first MoveNextAsync starts the consumer; publish once it consumes.
                        let first = e.MoveNextAsync().AsTask()
                        do! consuming.Task.WaitAsync(timeout)

                        do!
                            withPublisher (fun ch ->
                                task {
                                    for i in 0..9 do
                                        // The primary key matches no binding: only the CC route brings it.
                                        do!
                                            publish
                                                ch
                                                completed
                                                (keyFor "taskAAAAAAAAAAAAAAAAAA" "prov")
                                                [ $"{route}.x"; $"{route}.y" ]
                                                $$"""{"n":{{i}}}"""
                                })

                        let! firstOk = first
                        Expect.isTrue firstOk "a first message"
                        let order = ResizeArray [ e.Current.Body.GetProperty("n").GetInt32() ]
                        Expect.equal e.Current.Routes [ $"{route}.x"; $"{route}.y" ] "routes"

                        while order.Count < 10 do
                            let! more = e.MoveNextAsync()
                            Expect.isTrue more "more messages"
                            order.Add(e.Current.Body.GetProperty("n").GetInt32())

                        Expect.equal (List.ofSeq order) [ 0..9 ] "in order, each once although two CC routes match"
                        do! e.DisposeAsync()

                        do!
                            waitUntil "no connection left" timeout (fun () ->
                                task {
                                    let! n = broker().ConnectionCountAsync()
                                    return n = 0
                                })
                    })

            testCaseTask "cancellation stops the callback form promptly and closes the connection" (fun () ->
                task {
                    do! declareExchanges [ completed ]
                    let! conn = pulseUser ()
                    let b = QueueEvents.TaskCompleted(provisionerId = unique "prov") |> ok
                    let! running = start (fastReconnect conn [ b ]) (fun _ _ -> Task.CompletedTask)
                    use _ = running
                    let! before = broker().ConnectionCountAsync()
                    Expect.equal before 1 "one connection while consuming"
                    do! running.StopAsync()

                    do!
                        waitUntil "no connection left" timeout (fun () ->
                            task {
                                let! n = broker().ConnectionCountAsync()
                                return n = 0
                            })
                })
        ]

let tests = testList "Consumer" [ pureTests; brokerTests ]
