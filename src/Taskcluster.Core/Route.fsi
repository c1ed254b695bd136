namespace Taskcluster.Core

/// One path segment of a route template.
[<RequireQualifiedAccess>]
type RouteSegment =
    /// Text used as it is, e.g. `task`.
    | Literal of text: string
    /// A whole segment filled in by an argument, e.g. `<taskId>`.
    | Parameter of name: string

/// A parsed route template such as `/task/<taskId>/runs/<runId>`: path segments after the
/// leading `/`, each a literal or a whole-segment parameter. The only way to get one is
/// `Route.parse` or `Route.ofEntry`.
[<Sealed>]
type RouteTemplate =
    /// The template text, e.g. `/task/<taskId>`.
    member Route: string
    /// The path segments after the leading `/` (a trailing `/` gives a last, empty literal).
    member Segments: RouteSegment list
    /// The parameter names in route order.
    member Parameters: string list
    override ToString: unit -> string
    override Equals: obj -> bool
    override GetHashCode: unit -> int
    interface System.IEquatable<RouteTemplate>

/// Why a route or query string could not be built.
[<RequireQualifiedAccess>]
type RouteError =
    /// The template is not a valid route (or does not match the entry's `args`).
    | InvalidTemplate of route: string * reason: string
    /// Positional arguments whose number differs from the template's parameters.
    | WrongArgumentCount of route: string * parameters: string list * given: int
    /// A named argument for a parameter the template does not have.
    | UnknownArgument of route: string * name: string
    /// A parameter with no named argument.
    | MissingArgument of route: string * parameter: string
    /// A named argument given twice.
    | DuplicateArgument of name: string
    /// A `null` argument.
    | NullArgument of parameter: string
    /// An empty argument: it would leave an empty segment (`//`), which servers and proxies may collapse.
    | EmptyArgument of parameter: string
    /// An argument `.` or `..`: `encodeURIComponent` keeps dots, so it would be a dot segment that
    /// URL normalisation removes, sending the request to another endpoint.
    | DotSegment of parameter: string * value: string
    /// An argument holding a lone UTF-16 surrogate, which has no UTF-8 encoding.
    | LoneSurrogate of parameter: string * index: int
    /// A query-string parameter the method does not accept.
    | UnknownQueryParameter of name: string * allowed: string list
    /// A query-string parameter given twice.
    | DuplicateQueryParameter of name: string
    /// A query-string parameter whose value is `null`.
    | NullQueryValue of name: string
    /// A query-string name or value holding a lone UTF-16 surrogate.
    | LoneSurrogateInQuery of name: string * index: int

    /// A one-line description naming the parameter and the bad value.
    member Describe: unit -> string

/// Route templates and request URLs, built the way the official JS client builds them.
///
/// Each argument becomes exactly one path segment, encoded like JavaScript's
/// `encodeURIComponent` (`A-Z a-z 0-9 - _ . ! ~ * ' ( )` kept, everything else percent-encoded
/// UTF-8 with upper-case hex), so `/`, `?`, `#` and `%` cannot leave their segment. Stricter than
/// the JS client: the arguments `.`, `..` and the empty string are refused, because they would
/// survive encoding and then be removed or collapsed by URL normalisation (in .NET's `Uri`, in
/// `fetch`, in proxies), silently calling a different endpoint.
[<RequireQualifiedAccess>]
module Route =
    /// Parses a route template. Parameters must be whole segments and unique.
    val parse: route: string -> Result<RouteTemplate, RouteError>

    /// The template of an API entry; its parameters must equal the entry's `args`.
    val ofEntry: entry: ApiEntry -> Result<RouteTemplate, RouteError>

    /// The path with the arguments (in parameter order) substituted, e.g. `/task/abc/runs/0`.
    val render: template: RouteTemplate -> args: string list -> Result<string, RouteError>

    /// The path with named arguments substituted; every parameter needs exactly one argument.
    val renderNamed: template: RouteTemplate -> args: (string * string) list -> Result<string, RouteError>

    /// The query string (`?a=1&b=2`, or empty when no parameter is given), names and values encoded
    /// like `encodeURIComponent`, in the order given (as the JS client's `querystring.stringify`
    /// keeps the caller's order). Every name must be in `allowed`.
    val query: allowed: string list -> parameters: (string * string) list -> Result<string, RouteError>

    /// `buildUrl`: the full URL of a call, `<root>/api/<service>/<version><path>[?query]`.
    val buildUrl:
        rootUrl: RootUrl ->
        reference: ApiReference ->
        entry: ApiEntry ->
        args: string list ->
        query: (string * string) list ->
            Result<string, RouteError>

    /// JavaScript's `encodeURIComponent`; `Error index` at a lone surrogate (where JS throws).
    val internal encodeUriComponent: value: string -> Result<string, int>

    /// Renders exactly as the JS client does, accepting `.`, `..` and empty arguments (for
    /// comparing with its output only; such paths are unsafe to send).
    val internal renderAsJsClient: template: RouteTemplate -> args: string list -> Result<string, RouteError>
