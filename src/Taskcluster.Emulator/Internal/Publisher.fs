namespace Taskcluster.Emulator.Internal

open System
open System.Collections.Generic
open System.Text
open System.Text.Json
open System.Text.Json.Nodes
open System.Threading
open System.Threading.Channels
open System.Threading.Tasks
open RabbitMQ.Client
open Taskcluster.Core

/// A Pulse message ready to send: what the real services hand to their AMQP channel.
type internal Outgoing =
    {
        /// The full exchange name, e.g. `exchange/taskcluster-queue/v1/task-defined`.
        Exchange: string
        /// The primary routing key.
        RoutingKey: string
        /// The `CC` header: one `route.<route>` per task route.
        CC: string list
        /// Compact UTF-8 JSON.
        Body: byte array
    }

/// Where the emulated services announce what happened. Implementations never block the caller
/// and never throw: a slow or absent broker must not slow or fail an API call.
type internal IPublisher =
    /// Queues a message of `service`'s exchange (its short name, e.g. `task-defined`). The
    /// routing key is built from `routing` by the exchange reference (missing optional words
    /// `_`), `version: 1` is added to `message` when the exchange's schema has a `version`, and
    /// the message is checked against the exchange's schema first; one that does not fit is
    /// logged and not sent. Messages are sent in the order they were queued.
    abstract Publish:
        service: string * exchange: string * routing: Map<string, string> * routes: string list * message: JsonNode ->
            unit

    /// Sends what is queued (waiting at most `timeout`), then closes the connection.
    abstract StopAsync: timeout: TimeSpan -> Task

/// The exchanges of the embedded references, and how a message for one of them is prepared.
[<RequireQualifiedAccess>]
module internal Exchanges =
    let private load () =
        let refs = ReferenceSet.Instance

        [
            for s in [ "auth"; "github"; "hooks"; "notify"; "queue"; "worker-manager" ] do
                match refs.Document $"/references/{s}/v1/exchanges.json" with
                | Some bytes ->
                    match Reference.parseExchangeReference (Encoding.UTF8.GetString bytes) with
                    | Ok r -> s, r
                    | Error e -> failwith $"the {s} exchange reference does not parse: {e}"
                | None -> ()
        ]
        |> Map.ofList

    let private references = lazy (load ())

    /// Every exchange reference, by service name.
    let all () : Map<string, ExchangeReference> = references.Force()

    /// Every full exchange name, in reference order.
    let names () =
        [
            for KeyValue(_, r) in all () do
                for e in r.Entries -> r.ExchangePrefix + e.Exchange
        ]

    let private versioned = Collections.Concurrent.ConcurrentDictionary<string, bool>()

    /// Whether the schema of a message declares `version`. The services whose message builders
    /// add `version: 1` (queue, notify, auth, github) are exactly those whose schemas declare it;
    /// hooks and worker-manager send their messages as built, and worker-manager's schemas allow
    /// no other member.
    let private declaresVersion (schemaId: string) =
        versioned.GetOrAdd(
            schemaId,
            fun _ ->
                match ReferenceSet.Instance.Document(Uri(schemaId).AbsolutePath) with
                | Some bytes ->
                    match JsonNode.Parse(Encoding.UTF8.GetString(bytes: byte array)) with
                    | :? JsonObject as o ->
                        match o["properties"] with
                        | :? JsonObject as p -> p.ContainsKey "version"
                        | _ -> false
                    | _ -> false
                | None -> false
        )

    /// Builds the message as `taskcluster-lib-pulse` and the services' message builders do
    /// (version 1 where the schema has it, routing key from the reference, `route.` CCs) and
    /// checks it against the exchange's schema.
    let prepare
        (service: string)
        (exchange: string)
        (routing: Map<string, string>)
        (routes: string list)
        (message: JsonNode)
        : Result<Outgoing, string> =
        match all () |> Map.tryFind service with
        | None -> Error $"no exchange reference for service '{service}'"
        | Some reference ->
            match reference.Entries |> List.tryFind (fun e -> e.Exchange = exchange) with
            | None -> Error $"the {service} exchange reference has no exchange '{exchange}'"
            | Some entry ->
                let schemaId =
                    Uri(Uri "http://taskcluster.emulator.invalid", entry.Schema).GetLeftPart UriPartial.Path

                let body = message.DeepClone().AsObject()

                if declaresVersion schemaId then
                    body["version"] <- JsonValue.Create 1

                match RoutingKey.render entry routing with
                | Error e -> Error $"{reference.ExchangePrefix}{exchange}: {e.Describe()}"
                | Ok routingKey ->
                    let problem =
                        match ReferenceSet.Instance.Schema schemaId with
                        | None -> Some $"no schema {entry.Schema}"
                        | Some schema ->
                            Validation.validate entry.Schema schema (JsonSerializer.SerializeToElement body)

                    match problem with
                    | Some p -> Error $"{reference.ExchangePrefix}{exchange} message does not fit its schema: {p}"
                    | None ->
                        Ok
                            {
                                Exchange = reference.ExchangePrefix + exchange
                                RoutingKey = routingKey
                                CC = routes |> List.map (fun r -> "route." + r)
                                Body = Encoding.UTF8.GetBytes(body.ToJsonString())
                            }

/// Publishing nowhere: the emulator without a broker.
[<Sealed>]
type internal NoPublisher() =
    static member val Instance = NoPublisher() :> IPublisher

    interface IPublisher with
        member _.Publish(_, _, _, _, _) = ()
        member _.StopAsync _ = Task.CompletedTask

/// Publishing to a RabbitMQ broker from one background loop, so the API call only queues the
/// message: a broker that is slow or away delays the messages, never the call. A failed send
/// reconnects (with backoff, re-declaring the exchanges) and sends the same message again, so
/// the order is kept.
[<Sealed>]
type internal AmqpPublisher private (factory: ConnectionFactory, log: exn -> string -> unit) =
    let outbox =
        Channel.CreateUnbounded<Outgoing>(UnboundedChannelOptions(SingleReader = true))

    let stopping = new CancellationTokenSource()
    let mutable connection: IConnection = null
    let mutable channel: IChannel = null
    let mutable loop = Task.CompletedTask

    static let describe (url: Uri) =
        // the user information (and so the password) never reaches a message
        UriBuilder(url, UserName = "", Password = "").Uri.ToString()

    member private _.Close() =
        task {
            for d in [ channel :> IAsyncDisposable; connection :> IAsyncDisposable ] do
                if not (isNull d) then
                    try
                        do! d.DisposeAsync()
                    with _ ->
                        ()

            channel <- null
            connection <- null
        }

    member private _.Open(ct: CancellationToken) =
        task {
            let! conn = factory.CreateConnectionAsync ct
            connection <- conn

            let! ch =
                conn.CreateChannelAsync(
                    CreateChannelOptions(
                        publisherConfirmationsEnabled = true,
                        publisherConfirmationTrackingEnabled = true
                    ),
                    ct
                )

            channel <- ch

            // a consumer that binds before anything was published must find the exchange
            for name in Exchanges.names () do
                do! ch.ExchangeDeclareAsync(name, ExchangeType.Topic, true, false, cancellationToken = ct)
        }

    member private this.Send(m: Outgoing, ct: CancellationToken) =
        task {
            let mutable sent = false
            let mutable attempt = 0

            while not sent do
                try
                    if isNull channel || not channel.IsOpen then
                        do! this.Close()
                        do! this.Open ct

                    let props = BasicProperties()
                    props.ContentType <- "application/json"
                    props.ContentEncoding <- "utf-8"
                    props.DeliveryMode <- DeliveryModes.Persistent
                    let cc = List<obj>()

                    for c in m.CC do
                        cc.Add(box c)

                    props.Headers <- Dictionary<string, obj>(dict [ "CC", box cc ])
                    do! channel.BasicPublishAsync(m.Exchange, m.RoutingKey, false, props, ReadOnlyMemory m.Body, ct)
                    sent <- true
                with
                | :? OperationCanceledException when ct.IsCancellationRequested -> raise (OperationCanceledException ct)
                | ex ->
                    attempt <- attempt + 1

                    if attempt = 1 then
                        log ex $"publishing to {m.Exchange} failed; reconnecting and sending it again"

                    do! this.Close()
                    // 0.1 s doubling to 5 s: a restarting broker is back within seconds
                    let delay = min 5000.0 (100.0 * Math.Pow(2.0, float (min attempt 6)))
                    do! Task.Delay(TimeSpan.FromMilliseconds delay, ct)
        }

    member private this.Run() =
        task {
            let ct = stopping.Token

            try
                let mutable go = true

                while go do
                    let! more = outbox.Reader.WaitToReadAsync ct

                    if not more then
                        go <- false
                    else
                        let mutable m = Unchecked.defaultof<Outgoing>

                        while outbox.Reader.TryRead(&m) do
                            do! this.Send(m, ct)
            with
            | :? OperationCanceledException -> ()
            | ex -> log ex "the Pulse publisher stopped"

            do! this.Close()
        }

    /// Connects and declares every exchange of the references; fails (with the broker's error,
    /// the URL shown without its password) when the broker cannot be reached.
    static member StartAsync(url: Uri, log: exn -> string -> unit, ct: CancellationToken) : Task<IPublisher> =
        task {
            let factory =
                ConnectionFactory(
                    Uri = url,
                    AutomaticRecoveryEnabled = false,
                    TopologyRecoveryEnabled = false,
                    ClientProvidedName = "taskcluster-emulator"
                )

            let p = new AmqpPublisher(factory, log)

            try
                do! p.Open ct
            with ex ->
                do! p.Close()

                raise (
                    InvalidOperationException($"cannot publish to the Pulse broker at {describe url}: {ex.Message}", ex)
                )

            p.StartLoop()
            return p :> IPublisher
        }

    member private this.StartLoop() =
        loop <- Task.Run(fun () -> this.Run() :> Task)

    interface IPublisher with
        member _.Publish(service, exchange, routing, routes, message) =
            match Exchanges.prepare service exchange routing routes message with
            | Ok m -> outbox.Writer.TryWrite m |> ignore
            | Error problem -> log null problem

        member _.StopAsync(timeout: TimeSpan) =
            task {
                outbox.Writer.TryComplete() |> ignore
                let! finished = Task.WhenAny(loop, Task.Delay timeout)

                if not (obj.ReferenceEquals(finished, loop)) then
                    log null $"the Pulse publisher did not send everything within {timeout}; the rest is dropped"
                    stopping.Cancel()
                    do! loop

                stopping.Dispose()
            }
