namespace Taskcluster.Core

/// What to bind to on an exchange.
[<RequireQualifiedAccess>]
type BindingPattern =
    /// A routing-key pattern used exactly as given, e.g. `route.index.my-project.#`.
    | Verbatim of pattern: string
    /// Values for some routing-key parts, by part name; the other parts match anything.
    | Values of values: Map<string, string>

/// What a Pulse consumer binds its queue with, as the JS client's exchange methods return it.
type PulseBinding =
    {
        /// The full exchange name: the reference's prefix and the entry's exchange.
        Exchange: string
        /// The AMQP topic pattern.
        RoutingKeyPattern: string
        /// The routing-key parts, for parsing the keys of the messages that arrive.
        RoutingKeyReference: RoutingKeyPart list
    }

/// Why a routing key or pattern could not be built or parsed.
[<RequireQualifiedAccess>]
type RoutingKeyError =
    /// A value with a dot for a part that holds a single word.
    | DotInSingleWordPart of part: string * value: string
    /// The multi-word wildcard `#` for a part that holds a single word: it would swallow neighbouring parts.
    | MultiWordWildcardInSingleWordPart of part: string
    /// A value for a part the exchange's routing key does not have (strict functions only).
    | UnknownPart of part: string * known: string list
    /// No value for a part the publisher always fills in.
    | MissingRequiredPart of part: string
    /// A value for a constant part that differs from its constant.
    | ConstantMismatch of part: string * constant: string * value: string
    /// A routing key whose number of words differs from its number of parts (no multi-word part).
    | WrongWordCount of routingKey: string * expected: int * actual: int
    /// A routing key with fewer words than its single-word parts (with a multi-word part).
    | TooFewWords of routingKey: string * minimum: int * actual: int
    /// More than one part spans several words, so a key cannot be split unambiguously.
    | SeveralMultiWordParts of parts: string list
    /// A routing key longer than the 255 bytes AMQP allows.
    | TooLong of routingKey: string * bytes: int
    /// A `null` routing key.
    | NullRoutingKey

    /// A one-line description naming the part and the bad value.
    member Describe: unit -> string

/// Pulse routing keys and binding patterns for the exchanges of an exchange reference.
[<RequireQualifiedAccess>]
module RoutingKey =
    /// The binding pattern for some part values, as the JS client builds it: constants filled in
    /// (they win over given values), given values used, missing (or `null`) single-word parts `*`
    /// and multi-word parts `#`, joined with dots. Names that are not parts are ignored, as the JS
    /// client ignores them.
    val pattern: entry: ExchangeEntry -> values: Map<string, string> -> Result<string, RoutingKeyError>

    /// Like `pattern`, but a name that is not a part of the routing key is an error (a typo would
    /// otherwise silently widen the binding to every message).
    val patternStrict: entry: ExchangeEntry -> values: Map<string, string> -> Result<string, RoutingKeyError>

    /// What the JS client's exchange method (e.g. `queueEvents.taskCompleted(pattern)`) returns:
    /// the full exchange name and the routing-key pattern. A verbatim pattern is used unchanged
    /// (a `null` one matches everything, like the JS client's missing pattern).
    val binding:
        reference: ExchangeReference ->
        entry: ExchangeEntry ->
        pattern: BindingPattern ->
            Result<PulseBinding, RoutingKeyError>

    /// Like `binding`, but with `patternStrict` for part values.
    val bindingStrict:
        reference: ExchangeReference ->
        entry: ExchangeEntry ->
        pattern: BindingPattern ->
            Result<PulseBinding, RoutingKeyError>

    /// A concrete routing key as a publisher builds it: constants filled in, missing optional parts
    /// `_`, required parts mandatory, no dots in single-word parts, at most 255 UTF-8 bytes.
    /// Names that are not parts are refused, and a value given for a constant part must equal it.
    val render: entry: ExchangeEntry -> values: Map<string, string> -> Result<string, RoutingKeyError>

    /// Splits a concrete routing key into its parts, as the JS consumer does: single-word parts from
    /// both ends, the multi-word part (if any) gets the words in between (possibly none, giving "").
    /// Constants must match. Missing optional parts come back as `_`, as they are sent.
    val parse: entry: ExchangeEntry -> routingKey: string -> Result<Map<string, string>, RoutingKeyError>
