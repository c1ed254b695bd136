namespace Taskcluster.Services

open System.Threading
open Taskcluster.Core

/// What the generated members do with their optional arguments before calling the client: the
/// query parameters that were given, the routing-key values that were given, the token.
[<RequireQualifiedAccess>]
module Arguments =
    /// The query parameters that were given, in the order listed.
    val query: parameters: (string * string option) list -> (string * string) list

    /// The routing-key values that were given, as a binding pattern.
    val values: parts: (string * string option) list -> BindingPattern

    /// An integer argument as the services read it (invariant digits, e.g. a `runId` or `limit`).
    val int: value: int -> string

    /// A boolean query parameter as the services read it: `true` or `false`.
    val bool: value: bool -> string

    /// The token, or `CancellationToken.None`.
    val token: cancellationToken: CancellationToken option -> CancellationToken
