namespace Taskcluster.Pulse

open System
open System.Collections.Generic
open System.Text.Json
open Taskcluster.Core

/// One Pulse message as it arrived.
[<NoComparison; CustomEquality>]
type PulseMessage =
    {
        /// The exchange it was published to, e.g. `exchange/taskcluster-queue/v1/task-completed`.
        Exchange: string
        /// The primary routing key.
        RoutingKey: string
        /// The routing key split into its named parts (`taskId`, `runId`, …) by the exchange's
        /// reference; empty when the exchange is not known or the key does not fit it.
        RoutingKeyFields: Map<string, string>
        /// The task's routes: the message's `route.<route>` CC entries, prefix removed.
        Routes: string list
        /// Whether the broker delivered it before (a retry after a failure or a lost connection).
        Redelivered: bool
        /// The body, parsed (the raw JSON; typed bodies come from `PulseMessage.decode`).
        Body: JsonElement
    }

    override Equals: obj -> bool
    override GetHashCode: unit -> int

/// A message with its body decoded into a typed model, and the message itself for the rest.
type PulseMessage<'T> =
    {
        /// The message as it arrived (raw JSON body included).
        Message: PulseMessage
        /// The typed body.
        Body: 'T
    }

/// Why a delivery could not become a `PulseMessage`.
[<RequireQualifiedAccess>]
type PulseMessageError =
    /// The body is not JSON (Pulse bodies always are).
    | NotJson of exchange: string * routingKey: string * reason: string

    /// A one-line description naming the exchange and routing key.
    member Describe: unit -> string

/// Building messages from deliveries, and decoding their bodies. Pure.
[<RequireQualifiedAccess>]
module PulseMessage =
    /// The routing-key parts of every exchange of the generated exchange references, by full
    /// exchange name (for bindings given as plain strings).
    val knownExchanges: IReadOnlyDictionary<string, RoutingKeyPart list>

    /// The task routes in a message's CC header values: the `route.` entries, prefix removed.
    val routes: cc: string seq -> string list

    /// Reads the CC header as RabbitMQ.Client hands it over (a list of byte arrays or strings).
    val ccOfHeader: header: obj -> string list

    /// Builds a message: parses the body and splits the routing key by the parts `lookup`
    /// finds for the exchange.
    val ofDelivery:
        lookup: (string -> RoutingKeyPart list option) ->
        exchange: string ->
        routingKey: string ->
        cc: string list ->
        redelivered: bool ->
        body: ReadOnlyMemory<byte> ->
            Result<PulseMessage, PulseMessageError>

    /// The typed form of a message, with a decoder for its body (e.g. a generated model's).
    val decode: decoder: (JsonElement -> Result<'T, 'E>) -> message: PulseMessage -> Result<PulseMessage<'T>, 'E>
