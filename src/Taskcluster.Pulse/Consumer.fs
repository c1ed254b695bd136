namespace Taskcluster.Pulse

open System
open System.Collections.Generic
open System.Security.Cryptography
open System.Threading
open System.Threading.Channels
open System.Threading.Tasks
open Microsoft.Extensions.Logging
open Microsoft.Extensions.Logging.Abstractions
open RabbitMQ.Client
open RabbitMQ.Client.Events
open Taskcluster.Core

[<RequireQualifiedAccess>]
type PulseQueue =
    | Durable of name: string
    | Ephemeral

[<NoEquality; NoComparison>]
type ConsumerOptions =
    {
        Connection: PulseConnection
        Queue: PulseQueue
        Bindings: PulseBinding list
        Prefetch: int
        DeadLetterExchange: string option
        ReconnectDelay: int -> TimeSpan
        TimeProvider: TimeProvider
        Logger: ILogger
        OnConsuming: int -> unit
    }

[<RequireQualifiedAccess>]
type ConsumerError =
    | Name of PulseNameError
    | NoBindings
    | InvalidOption of name: string * value: string
    | DeadLetterNeedsDurableQueue

    member this.Describe() =
        match this with
        | Name e -> e.Describe()
        | NoBindings -> "a Pulse consumer needs at least one binding"
        | InvalidOption(name, value) -> $"the consumer option {name} cannot be '{value}'"
        | DeadLetterNeedsDurableQueue -> "a dead-letter exchange needs a durable queue"

/// How one delivery ended.
type internal Outcome =
    | Handled
    /// Consumption is stopping: the message is left unacknowledged, and closing the channel puts
    /// it back in the queue without counting it as a failure of the handler.
    | Abandoned
    | Failed of reason: string * error: exn

/// How one connection ended.
type internal SessionEnd =
    /// Cancelled: consumption stopped and the connection closed.
    | Stopped
    /// The connection or channel was lost after consumption had started.
    | Lost of reason: string
    /// The connection could not be set up (connect, declare, bind, consume).
    | CouldNotStart of reason: string

/// Counts the deliveries whose handling has not finished, so that stopping can wait for them
/// (a counter per delivery instead of a set of tasks and a continuation each).
[<Sealed>]
type internal Inflight() =
    let mutable running = 0
    let mutable drained: TaskCompletionSource = null

    member _.Run (handle: BasicDeliverEventArgs -> Task) (args: BasicDeliverEventArgs) : Task =
        Interlocked.Increment &running |> ignore

        task {
            try
                do! handle args
            finally
                if Interlocked.Decrement &running = 0 then
                    match Volatile.Read &drained with
                    | null -> ()
                    | d -> d.TrySetResult() |> ignore
        }

    /// Completes once no handler is running (at once when none is).
    member _.Drained() : Task =
        let d = TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)
        Volatile.Write(&drained, d)

        // Read after publishing the source: a handler ending in between completes it either way.
        if Volatile.Read &running = 0 then
            d.TrySetResult() |> ignore

        d.Task

[<RequireQualifiedAccess>]
module Consumer =
    // Pulse reconnects no more often than every 15 s; the first retry comes sooner here because a
    // single dropped connection is the common case, then the delay doubles up to the same 15 s.
    let private pulseBackoff =
        Backoff.create
            {
                BaseDelay = TimeSpan.FromSeconds 1.0
                Factor = 2.0
                RandomizationFactor = 0.25
                MaxDelay = TimeSpan.FromSeconds 15.0
            }
        |> Result.defaultValue Backoff.defaults

    let defaults (connection: PulseConnection) =
        {
            Connection = connection
            Queue = PulseQueue.Ephemeral
            Bindings = []
            Prefetch = 5
            DeadLetterExchange = None
            ReconnectDelay = fun attempt -> Backoff.calculateSleepTime pulseBackoff attempt (Random.Shared.NextDouble())
            TimeProvider = TimeProvider.System
            Logger = NullLogger.Instance
            OnConsuming = ignore
        }

    let binding (exchange: string) (routingKeyPattern: string) =
        match PulseName.exchangeNamespace exchange with
        | Error e -> Error(ConsumerError.Name e)
        | Ok _ when String.IsNullOrEmpty routingKeyPattern ->
            Error(ConsumerError.InvalidOption("routingKeyPattern", string routingKeyPattern))
        | Ok _ ->
            let parts =
                match PulseMessage.knownExchanges.TryGetValue exchange with
                | true, p -> p
                | _ -> []

            Ok
                {
                    Exchange = exchange
                    RoutingKeyPattern = routingKeyPattern
                    RoutingKeyReference = parts
                }

    let validate (options: ConsumerOptions) =
        let user = options.Connection.Username

        let badExchange =
            options.Bindings
            |> List.tryPick (fun b ->
                match PulseName.exchangeNamespace b.Exchange with
                | Error e -> Some e
                | Ok _ -> None)

        if List.isEmpty options.Bindings then
            Error ConsumerError.NoBindings
        elif options.Prefetch < 1 || options.Prefetch > int UInt16.MaxValue then
            Error(ConsumerError.InvalidOption("Prefetch", string options.Prefetch))
        elif isNull (box options.ReconnectDelay) then
            Error(ConsumerError.InvalidOption("ReconnectDelay", "null"))
        elif badExchange.IsSome then
            Error(ConsumerError.Name badExchange.Value)
        else
            let deadLetter =
                match options.DeadLetterExchange, options.Queue with
                | None, _ -> Ok()
                | Some _, PulseQueue.Ephemeral -> Error ConsumerError.DeadLetterNeedsDurableQueue
                | Some dlx, _ ->
                    PulseName.exchangeNamespace dlx
                    |> Result.map ignore
                    |> Result.mapError ConsumerError.Name

            match deadLetter, PulseName.checkNamespace user with
            | Error e, _ -> Error e
            | _, Error e -> Error(ConsumerError.Name e)
            | Ok(), Ok user ->
                match options.Queue with
                | PulseQueue.Ephemeral -> Ok None
                | PulseQueue.Durable name ->
                    PulseName.queue user name
                    |> Result.map Some
                    |> Result.mapError ConsumerError.Name

    let private headerText (headers: IDictionary<string, obj>) (name: string) =
        match headers with
        | null -> None
        | h ->
            match h.TryGetValue name with
            | true, v when not (isNull v) -> Some v
            | _ -> None

    /// Quorum queues count deliveries in `x-delivery-count`; the AMQP flag covers classic queues.
    let private wasDelivered (args: BasicDeliverEventArgs) =
        args.Redelivered
        || (match headerText args.BasicProperties.Headers "x-delivery-count" with
            | Some v ->
                try
                    Convert.ToInt64 v > 0L
                with _ ->
                    false
            | None -> false)

    let private handleDelivery
        (options: ConsumerOptions)
        (lookup: string -> RoutingKeyPart list option)
        (handler: PulseMessage -> CancellationToken -> Task)
        (ct: CancellationToken)
        (channel: IChannel)
        (args: BasicDeliverEventArgs)
        : Task =
        // Everything is read from the delivery before the first await: its buffers are reused.
        let exchange = args.Exchange
        let routingKey = args.RoutingKey
        let tag = args.DeliveryTag
        let redelivered = wasDelivered args

        let cc =
            headerText args.BasicProperties.Headers "CC"
            |> Option.map PulseMessage.ccOfHeader
            |> Option.defaultValue []

        let message =
            PulseMessage.ofDelivery lookup exchange routingKey cc redelivered args.Body

        let log = options.Logger

        task {
            // One state machine per delivery: the handler's outcome, then settling it.
            let mutable outcome = Handled

            match message with
            | Error e -> outcome <- Failed(e.Describe(), null)
            | Ok m ->
                try
                    do! handler m ct
                with
                | :? OperationCanceledException when ct.IsCancellationRequested -> outcome <- Abandoned
                | e -> outcome <- Failed(e.Message, e)

            try
                match outcome with
                | Handled -> do! channel.BasicAckAsync(tag, false, CancellationToken.None)
                | Abandoned -> ()
                | Failed(reason, error) when redelivered ->
                    log.LogError(
                        error,
                        "Pulse message on {Exchange} with routing key {RoutingKey} failed again and is rejected (dead-lettered if the queue has a dead-letter exchange): {Reason}",
                        exchange,
                        routingKey,
                        reason
                    )

                    do! channel.BasicNackAsync(tag, false, false, CancellationToken.None)
                | Failed(reason, error) ->
                    log.LogWarning(
                        error,
                        "Pulse message on {Exchange} with routing key {RoutingKey} failed and goes back to the queue once: {Reason}",
                        exchange,
                        routingKey,
                        reason
                    )

                    do! channel.BasicNackAsync(tag, false, true, CancellationToken.None)
            with e ->
                // The channel is gone: the broker has already put the message back.
                log.LogWarning(
                    "Could not settle the Pulse message on {Exchange} with routing key {RoutingKey} (the connection was lost; it will be delivered again): {Reason}",
                    exchange,
                    routingKey,
                    e.Message
                )
        }

    let private connectionFactory (options: ConsumerOptions) (concurrency: int) =
        let c = options.Connection

        let f =
            ConnectionFactory(
                HostName = c.Hostname,
                Port = c.Port,
                UserName = c.Username,
                Password = c.Password,
                VirtualHost = c.VirtualHost,
                // Recovery is ours: it re-declares the queue and bindings and uses our backoff.
                AutomaticRecoveryEnabled = false,
                TopologyRecoveryEnabled = false,
                ConsumerDispatchConcurrency = uint16 concurrency,
                ClientProvidedName = "taskcluster-pulse"
            )

        if c.UseTls then
            f.Ssl <- SslOption(c.Hostname, Enabled = true)

        f

    let private queueArguments (options: ConsumerOptions) : IDictionary<string, obj> =
        let args = Dictionary<string, obj>()

        match options.Queue with
        | PulseQueue.Durable _ -> args["x-queue-type"] <- box "quorum"
        | PulseQueue.Ephemeral -> ()

        match options.DeadLetterExchange with
        | Some dlx -> args["x-dead-letter-exchange"] <- box dlx
        | None -> ()

        args

    let private ephemeralName (user: string) =
        match SlugId.nice (ReadOnlySpan(RandomNumberGenerator.GetBytes 16)) with
        | Ok slug -> $"queue/{user}/{slug.Value}"
        | Error _ -> $"""queue/{user}/{Guid.NewGuid().ToString("N")}"""

    /// One connection's life: connect, declare, bind, consume, then wait until it is lost or
    /// cancelled; in-flight handlers are given a bounded time to finish before it is closed.
    let private session
        (options: ConsumerOptions)
        (queueName: string option)
        (factory: ConnectionFactory)
        (handle: IChannel -> BasicDeliverEventArgs -> Task)
        (number: int)
        (ct: CancellationToken)
        : Task<SessionEnd> =
        task {
            let mutable connection: IConnection = null
            let mutable channel: IChannel = null
            let mutable consumerTag: string = null
            let inflight = Inflight()

            let lost =
                TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously)

            let! ended =
                task {
                    try
                        let! conn = factory.CreateConnectionAsync ct
                        connection <- conn

                        conn.add_ConnectionShutdownAsync (fun _ a ->
                            lost.TrySetResult $"connection closed ({a.Initiator}, {a.ReplyCode} {a.ReplyText})"
                            |> ignore

                            Task.CompletedTask)

                        let! ch = conn.CreateChannelAsync(cancellationToken = ct)
                        channel <- ch

                        ch.add_ChannelShutdownAsync (fun _ a ->
                            lost.TrySetResult $"channel closed ({a.Initiator}, {a.ReplyCode} {a.ReplyText})"
                            |> ignore

                            Task.CompletedTask)

                        do! ch.BasicQosAsync(0u, uint16 options.Prefetch, false, ct)

                        let name, durable =
                            match queueName with
                            | Some n -> n, true
                            | None -> ephemeralName options.Connection.Username, false

                        let! declared =
                            ch.QueueDeclareAsync(
                                name,
                                durable,
                                not durable,
                                not durable,
                                queueArguments options,
                                cancellationToken = ct
                            )

                        for b in options.Bindings do
                            do! ch.QueueBindAsync(declared.QueueName, b.Exchange, b.RoutingKeyPattern, null, false, ct)

                        let consumer = AsyncEventingBasicConsumer ch

                        consumer.add_ReceivedAsync (fun _ args -> inflight.Run (handle ch) args)

                        // A deleted queue cancels the consumer: reconnect, which declares it again.
                        consumer.add_UnregisteredAsync (fun _ _ ->
                            if not ct.IsCancellationRequested then
                                lost.TrySetResult "the broker cancelled the consumer (was the queue deleted?)"
                                |> ignore

                            Task.CompletedTask)

                        let! tag = ch.BasicConsumeAsync(declared.QueueName, false, consumer, ct)
                        consumerTag <- tag

                        options.Logger.LogInformation(
                            "Pulse consumer {Number} consuming from {Queue} on {Connection}",
                            number,
                            declared.QueueName,
                            options.Connection.ToString()
                        )

                        try
                            options.OnConsuming number
                        with e ->
                            options.Logger.LogWarning(e, "The OnConsuming callback failed")

                        let! _ = Task.WhenAny(lost.Task, Task.Delay(Timeout.Infinite, ct))

                        if ct.IsCancellationRequested then
                            return Stopped
                        else
                            return Lost lost.Task.Result
                    with
                    | :? OperationCanceledException when ct.IsCancellationRequested -> return Stopped
                    | _ when lost.Task.IsCompleted -> return Lost lost.Task.Result
                    | e -> return CouldNotStart e.Message
                }

            // Stop cleanly: no new deliveries, let running handlers settle their messages, close.
            if not (isNull channel) && channel.IsOpen && not (isNull consumerTag) then
                try
                    do! channel.BasicCancelAsync(consumerTag, false, CancellationToken.None)
                with _ ->
                    ()

            try
                do! inflight.Drained().WaitAsync(TimeSpan.FromSeconds 10.0)
            with _ ->
                ()

            if not (isNull channel) then
                try
                    if channel.IsOpen then
                        do! channel.CloseAsync(CancellationToken.None)
                with _ ->
                    ()

                channel.Dispose()

            if not (isNull connection) then
                try
                    if connection.IsOpen then
                        do!
                            connection.CloseAsync(
                                200us,
                                "consumer stopped",
                                TimeSpan.FromSeconds 5.0,
                                false,
                                CancellationToken.None
                            )
                with _ ->
                    ()

                connection.Dispose()

            return ended
        }

    /// Connects again and again until cancelled.
    let private run
        (options: ConsumerOptions)
        (queueName: string option)
        (concurrency: int)
        (handler: PulseMessage -> CancellationToken -> Task)
        (ct: CancellationToken)
        : Task =
        task {
            let factory = connectionFactory options concurrency

            let fromBindings =
                options.Bindings
                |> List.filter (fun b -> not b.RoutingKeyReference.IsEmpty)
                |> List.map (fun b -> b.Exchange, b.RoutingKeyReference)
                |> dict

            let lookup exchange =
                match fromBindings.TryGetValue exchange with
                | true, p -> Some p
                | _ ->
                    match PulseMessage.knownExchanges.TryGetValue exchange with
                    | true, p -> Some p
                    | _ -> None

            let handle = handleDelivery options lookup handler ct
            let mutable failures = 0
            let mutable number = 0

            while not ct.IsCancellationRequested do
                number <- number + 1
                let! ended = session options queueName factory handle number ct

                match ended with
                | Stopped -> ()
                | Lost reason ->
                    failures <- 1
                    options.Logger.LogWarning("Pulse connection lost, reconnecting: {Reason}", reason)
                | CouldNotStart reason ->
                    failures <- failures + 1

                    options.Logger.LogError(
                        "Pulse consumer could not start (attempt {Attempt}), retrying: {Reason}",
                        failures,
                        reason
                    )

                if not ct.IsCancellationRequested then
                    try
                        do! Task.Delay(options.ReconnectDelay failures, options.TimeProvider, ct)
                    with :? OperationCanceledException ->
                        ()
        }

    let consume options handler (cancellationToken: CancellationToken) =
        task {
            match validate options with
            | Error e -> return Error e
            | Ok queueName ->
                do! run options queueName options.Prefetch handler cancellationToken
                return Ok()
        }

    let messages (options: ConsumerOptions) =
        validate options
        |> Result.map (fun queueName ->
            { new IAsyncEnumerable<PulseMessage> with
                member _.GetAsyncEnumerator(ct) =
                    let cts = CancellationTokenSource.CreateLinkedTokenSource ct

                    let items = Channel.CreateUnbounded<struct (PulseMessage * TaskCompletionSource)>()

                    // One delivery at a time (dispatch concurrency 1) keeps the queue's order; the
                    // handler returns, acknowledging the message, when the next one is asked for.
                    let handler message (hct: CancellationToken) =
                        task {
                            let processed =
                                TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)

                            do! items.Writer.WriteAsync(struct (message, processed), hct)
                            do! processed.Task.WaitAsync hct
                        }
                        :> Task

                    let running = run options queueName 1 handler cts.Token
                    let mutable current = Unchecked.defaultof<PulseMessage>
                    let mutable inHand: TaskCompletionSource = null

                    { new IAsyncEnumerator<PulseMessage> with
                        member _.Current = current

                        member _.MoveNextAsync() =
                            if not (isNull inHand) then
                                inHand.TrySetResult() |> ignore
                                inHand <- null

                            // A message already waiting is handed over without a task (cancellation
                            // still goes through ReadAsync, which throws as before).
                            let mutable waiting = Unchecked.defaultof<_>

                            if not cts.Token.IsCancellationRequested && items.Reader.TryRead(&waiting) then
                                let struct (m, processed) = waiting
                                current <- m
                                inHand <- processed
                                ValueTask<bool> true
                            else
                                ValueTask<bool>(
                                    task {
                                        let! struct (m, processed) = items.Reader.ReadAsync cts.Token
                                        current <- m
                                        inHand <- processed
                                        return true
                                    }
                                )
                      interface IAsyncDisposable with
                          member _.DisposeAsync() =
                              ValueTask(
                                  task {
                                      cts.Cancel()

                                      try
                                          do! running
                                      with _ ->
                                          ()

                                      cts.Dispose()
                                  }
                              )
                    }
            })
