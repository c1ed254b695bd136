namespace Taskcluster.Pulse

open System
open System.Collections.Generic
open System.Threading
open System.Threading.Tasks
open Microsoft.Extensions.Logging
open Taskcluster.Core

/// The queue a consumer reads from.
[<RequireQualifiedAccess>]
type PulseQueue =
    /// A durable quorum queue `queue/<user>/<name>`: messages wait in it while the consumer is
    /// away, and it stays until deleted.
    | Durable of name: string
    /// An exclusive, auto-deleted classic queue `queue/<user>/<random>` that lives as long as
    /// one connection: messages published while disconnected are not seen.
    | Ephemeral

/// How a consumer connects, what it binds and how it recovers.
[<NoEquality; NoComparison>]
type ConsumerOptions =
    {
        /// Where and as whom to connect.
        Connection: PulseConnection
        /// The queue to read from.
        Queue: PulseQueue
        /// What to bind the queue to (any number; at least one).
        Bindings: PulseBinding list
        /// How many unacknowledged messages the broker hands over at once; the callback form
        /// runs up to this many handlers at the same time (default 5, as Pulse does).
        Prefetch: int
        /// An exchange for the messages a handler rejected (durable queues only): the broker
        /// re-publishes them there instead of dropping them.
        DeadLetterExchange: string option
        /// The delay before reconnection attempt n (1-based) after a lost or failed connection.
        ReconnectDelay: int -> TimeSpan
        /// The clock the reconnection delays are measured on.
        TimeProvider: TimeProvider
        /// Where connections, reconnections and failed handlers are logged (never a password).
        Logger: ILogger
        /// Called each time the queue has been declared, bound and consumption has started, with
        /// the number of the connection (1 for the first): from then on no message is missed.
        OnConsuming: int -> unit
    }

/// Why a consumer could not start.
[<RequireQualifiedAccess>]
type ConsumerError =
    /// A queue or exchange name breaks Pulse's naming rules.
    | Name of PulseNameError
    /// No binding was given.
    | NoBindings
    /// An option outside its range (its name and the value).
    | InvalidOption of name: string * value: string
    /// A dead-letter exchange for an ephemeral queue (it would outlive nothing).
    | DeadLetterNeedsDurableQueue

    /// A one-line description quoting the bad value.
    member Describe: unit -> string

/// Consuming Pulse messages: acknowledgement after the handler succeeds; a failing handler's
/// message is put back once, and rejected (dead-lettered where configured) and logged when it
/// fails again; a lost connection is re-established with backoff, the queue and bindings declared
/// again and consumption resumed. Cancellation stops consumption and closes the connection.
[<RequireQualifiedAccess>]
module Consumer =
    /// Options for a connection with an ephemeral queue, no bindings, prefetch 5, reconnection
    /// delays from 1 s doubling to 15 s (±25 %), the system clock, no logging.
    val defaults: connection: PulseConnection -> ConsumerOptions

    /// A binding for a plain exchange name and routing-key pattern; the routing-key parts come
    /// from the generated exchange references when the exchange is one of them.
    val binding: exchange: string -> routingKeyPattern: string -> Result<PulseBinding, ConsumerError>

    /// Checks the options as `consume` and `messages` do, without connecting; returns the full
    /// queue name for a durable queue.
    val validate: options: ConsumerOptions -> Result<string option, ConsumerError>

    /// The callback form: runs until `cancellationToken` is cancelled, calling `handler` for each
    /// message (up to `Prefetch` at once). A handler that returns acknowledges the message; one
    /// that throws gets it again once, then it is rejected. The task ends when consumption has
    /// stopped and the connection is closed; invalid options end it at once with the error.
    val consume:
        options: ConsumerOptions ->
        handler: (PulseMessage -> CancellationToken -> Task) ->
        cancellationToken: CancellationToken ->
            Task<Result<unit, ConsumerError>>

    /// The enumerable form: messages one at a time, in the order the queue delivers them. A
    /// message is acknowledged when the next one is asked for; when the enumeration stops (break,
    /// exception, cancellation) the message in hand goes back to the queue. Disposing the
    /// enumerator closes the connection.
    val messages: options: ConsumerOptions -> Result<IAsyncEnumerable<PulseMessage>, ConsumerError>
