/// The private broker every test of this project shares, and helpers to wait for conditions.
module Taskcluster.Pulse.Tests.Support

open System
open System.Threading
open System.Threading.Tasks
open RabbitMQ.Client
open Taskcluster.Pulse.TestBroker

/// `TASKCLUSTER_TEST_AMQP_URL`: an existing broker for the tests that only publish and consume
/// (the emulator's publishing, the wait helpers). The tests that drive the broker itself (users
/// and permissions, closing and counting connections, restarts) need `rabbitmqctl` and so
/// always use a private broker.
let givenUrl: Uri option =
    match Environment.GetEnvironmentVariable "TASKCLUSTER_TEST_AMQP_URL" with
    | null
    | "" -> None
    | s ->
        match Uri.TryCreate(s, UriKind.Absolute) with
        | true, u when u.Scheme = "amqp" || u.Scheme = "amqps" -> Some u
        | _ ->
            failwith
                "TASKCLUSTER_TEST_AMQP_URL is not an amqp:// or amqps:// URL (its value is not shown: it may hold a password)"

/// Started by `Main` before any test runs (or on first use when a broker URL is given) and
/// stopped after the last one.
let mutable private current: PrivateBroker = null
let private gate = obj ()

/// The run's private broker, which the tests may drive with `rabbitmqctl`.
let broker () =
    lock gate (fun () ->
        if isNull current then
            current <-
                try
                    PrivateBroker.StartAsync().GetAwaiter().GetResult()
                with e ->
                    failwith $"these tests drive a private RabbitMQ broker, which could not start: {e.Message}"

        current)

/// The private broker if one was started.
let internal started () = lock gate (fun () -> current)

let internal setBroker b = lock gate (fun () -> current <- b)

/// The URL of the broker for tests that only publish and consume: the given one, else the
/// run's private broker (administrator).
let amqpUrl () =
    match givenUrl with
    | Some u -> u
    | None -> broker().AdminUrl

/// A fresh unique name part, so tests never share queues, users or exchanges.
let unique (prefix: string) =
    $"""{prefix}-{Guid.NewGuid().ToString("N").Substring(0, 10)}"""

/// Opens an administrator connection (guest) to the run's broker.
let adminConnection () : Task<IConnection> =
    ConnectionFactory(Uri = broker().AdminUrl).CreateConnectionAsync()

/// Waits for a condition, checking it again whenever `poll` elapses, up to `timeout`; fails with
/// `what` when it never holds. Polling is the condition's own check, not a sleep standing in for
/// synchronisation: the test ends as soon as it holds.
let waitUntil (what: string) (timeout: TimeSpan) (condition: unit -> Task<bool>) =
    task {
        use cts = new CancellationTokenSource(timeout)
        let mutable ok = false

        while not ok do
            let! holds = condition ()

            if holds then
                ok <- true
            elif cts.IsCancellationRequested then
                failwith $"timed out after {timeout} waiting for {what}"
            else
                do! Task.Delay(25)
    }

/// A logger that keeps every entry, for asserting what was logged.
type RecordingLogger() =
    let entries =
        System.Collections.Concurrent.ConcurrentQueue<Microsoft.Extensions.Logging.LogLevel * string>()

    member _.Entries = List.ofSeq entries

    interface Microsoft.Extensions.Logging.ILogger with
        member _.BeginScope _ = null
        member _.IsEnabled _ = true

        member _.Log(level, _, state, error, formatter) =
            let text = formatter.Invoke(state, error)

            // PULSE_TEST_LOG=1 shows the consumers' logs while debugging a test.
            if Environment.GetEnvironmentVariable "PULSE_TEST_LOG" = "1" then
                eprintfn "[%O] %s %O" level text error

            entries.Enqueue((level, text))

/// Declares an exchange the way Taskcluster's services do (durable topic) as the administrator.
let declareExchanges (names: string list) =
    task {
        let! conn = adminConnection ()
        use _ = conn
        let! ch = conn.CreateChannelAsync()
        use _ = ch

        for n in names do
            do! ch.ExchangeDeclareAsync(n, ExchangeType.Topic, true, false)
    }

/// Publishes as Taskcluster's services do: persistent JSON with a CC header of `route.` entries.
let publish (ch: IChannel) (exchange: string) (routingKey: string) (routes: string list) (body: string) =
    task {
        let props = BasicProperties()
        props.ContentType <- "application/json"
        props.ContentEncoding <- "utf-8"
        props.DeliveryMode <- DeliveryModes.Persistent
        let cc = Collections.Generic.List<obj>()

        for r in routes do
            cc.Add(box $"route.{r}")

        props.Headers <- dict [ "CC", box cc ] |> Collections.Generic.Dictionary
        do! ch.BasicPublishAsync(exchange, routingKey, false, props, ReadOnlyMemory(Text.Encoding.UTF8.GetBytes body))
    }

/// A timer that fires only when its clock says so.
type ManualTimer(callback: TimerCallback, state: obj) =
    let mutable fired = 0
    let mutable disposed = false

    member _.Pending = not disposed && fired = 0

    member _.Fire() =
        if not disposed && Interlocked.Exchange(&fired, 1) = 0 then
            callback.Invoke state

    interface ITimer with
        member _.Change(_, _) = true
        member _.Dispose() = disposed <- true

        member _.DisposeAsync() =
            disposed <- true
            ValueTask.CompletedTask

/// A clock whose timers (and so `Task.Delay` on it) fire only when the test says: a consumer
/// waiting to reconnect stays disconnected for exactly as long as the test needs.
type ManualTimeProvider() =
    inherit TimeProvider()
    let timers = System.Collections.Concurrent.ConcurrentQueue<ManualTimer>()

    /// Whether something is waiting on this clock.
    member _.HasPendingTimers = timers |> Seq.exists (fun t -> t.Pending)

    /// Fires every timer created so far.
    member _.FireAll() =
        for t in timers do
            t.Fire()

    override _.CreateTimer(callback, state, _dueTime, _period) =
        let t = new ManualTimer(callback, state)
        timers.Enqueue t
        t :> ITimer
