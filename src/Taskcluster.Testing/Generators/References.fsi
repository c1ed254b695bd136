namespace Taskcluster.Testing

open FsCheck

/// Generators for route templates, route arguments (hostile ones included), query strings and
/// Pulse routing keys.
[<RequireQualifiedAccess>]
module ReferenceGen =

    /// A route parameter name such as `taskId` (an identifier).
    val parameterName: Gen<string>

    /// A literal route segment such as `artifacts` or `badge.svg`.
    val routeLiteral: Gen<string>

    /// A route template and its parameter names in order, e.g. `/task/<taskId>/runs/<runId>`,
    /// `["taskId"; "runId"]`. Parameters are unique; a trailing `/` appears now and then.
    val routeTemplate: Gen<string * string list>

    /// Arguments chosen to break naive URL building: dot segments, slashes raw and pre-encoded,
    /// query and fragment marks, percent signs, spaces, non-ASCII text, control characters,
    /// lone surrogates and the empty string.
    val hostileArgument: Gen<string>

    /// Any argument: arbitrary strings (lone surrogates included), hostile ones and plain ids.
    val argument: Gen<string>

    /// True for text that is valid UTF-16 (no lone surrogates), so it has a UTF-8 encoding.
    val isWellFormed: text: string -> bool

    /// An argument that `Route.render` accepts: well-formed, not empty, not `.` or `..`.
    val safeArgument: Gen<string>

    /// A query-string value: any well-formed text, hostile characters included.
    val queryValue: Gen<string>

    /// Allowed query names and some of them (in a random order) paired with values.
    val queryParameters: Gen<string list * (string * string) list>

    /// A routing-key word: no dot; may be `*`, `_` or empty, never exactly `#`.
    val routingKeyWord: Gen<string>

    /// A multi-word routing-key value: one or more words joined by dots.
    val routingKeyValue: Gen<string>

    /// The parts of a routing key as references declare them: unique names, at most one
    /// multi-word part, some constants (single words).
    val routingKeyParts: Gen<Taskcluster.Core.RoutingKeyPart list>

    /// An exchange entry with generated routing-key parts.
    val exchangeEntry: Gen<Taskcluster.Core.ExchangeEntry>

    /// Values for a concrete routing key of the entry: every required part, some optional ones,
    /// constants left out or given equal to the constant.
    val concreteValues: entry: Taskcluster.Core.ExchangeEntry -> Gen<Map<string, string>>

    /// Values for a binding pattern of the entry: some parts, each a word (or words), `*` or `#`
    /// where the part allows it.
    val patternValues: entry: Taskcluster.Core.ExchangeEntry -> Gen<Map<string, string>>
