namespace Taskcluster.Client

open System
open System.Collections.Generic
open System.Text.Json
open System.Threading
open System.Threading.Tasks
open Taskcluster.Core

/// A configured connection to one Taskcluster deployment. Thread-safe; create one and share it
/// (it owns no disposable resource: the default `HttpClient` is shared by every client).
[<Sealed>]
type TaskclusterClient =
    /// The deployment's root URL.
    member RootUrl: RootUrl
    /// The client id requests are signed with, if any.
    member ClientId: string option
    /// The offset added to the local clock when signing: the configured one, or the one
    /// measured after the server rejected a stale timestamp.
    member ClockOffset: TimeSpan
    /// The options the client was created with, `ClockOffset` being the one in use now
    /// (secrets masked in `ToString`).
    member Options: ClientOptions
    /// `TaskclusterClient(RootUrl=…, ClientId=…)`.
    override ToString: unit -> string
    /// The client's pipeline settings: its one `HttpClient`, logger and clock, which its
    /// transfers share.
    member internal Settings: Transport.Settings

/// The generic entry point every generated service client calls: an API reference, one of its
/// entries, the route arguments in route order, the query parameters and the payload.
///
/// A call builds the URL with the core (`Route.buildUrl`: one path segment per argument), turns
/// the payload into JSON bytes once, then for each attempt creates a fresh request, signs it
/// with Hawk (plus the Taskcluster ext for a certificate and authorized scopes) and sends it.
/// 5xx, 429 (honouring `Retry-After`), connection failures and per-attempt timeouts are retried
/// `MaxRetries` times with the official backoff; other 4xx are not; redirects are never
/// followed. After a 401 for a stale timestamp the clock offset is measured from the response's
/// `Date` and the call is tried once more. Cancelling the token ends the call promptly (also
/// during a backoff delay) with an `OperationCanceledException`.
[<RequireQualifiedAccess>]
module Client =
    /// Validates the options (see `Options.validate`) and creates a client.
    val create: options: ClientOptions -> Result<TaskclusterClient, OptionsError>

    /// A client from `Options.fromEnvironment ()`.
    val fromEnvironment: unit -> Result<TaskclusterClient, OptionsError>

    /// A client with changed options (the JS client's `use`), keeping the measured clock offset.
    val withOptions:
        update: (ClientOptions -> ClientOptions) -> client: TaskclusterClient -> Result<TaskclusterClient, OptionsError>

    /// The client with a schema validator: `validate schemaId body` gives the violations of a
    /// request body against the schema with that `$id` (empty when it is valid), or `None` when
    /// it does not know the schema (the body is then sent unchecked). While
    /// `ClientOptions.ValidateRequests` is true, every call of a method with an input schema
    /// checks its body this way before anything is sent; violations end the call with
    /// `InvalidRequest(name, RequestError.SchemaViolations …)`. The new client shares
    /// everything else (HTTP client, measured clock offset) with this one. The generated
    /// service clients attach the validator of the bundled Taskcluster schemas.
    val withSchemaValidator:
        validate: (string -> JsonElement -> SchemaViolation list option) ->
        client: TaskclusterClient ->
            TaskclusterClient

    /// Whether the client has a schema validator (see `withSchemaValidator`).
    val hasSchemaValidator: client: TaskclusterClient -> bool

    /// The clock offset in use (see `TaskclusterClient.ClockOffset`).
    val clockOffset: client: TaskclusterClient -> TimeSpan

    /// `Route.buildUrl` with the entry's parsed template cached.
    val internal urlOf:
        rootUrl: RootUrl ->
        reference: ApiReference ->
        entry: ApiEntry ->
        args: string list ->
        query: (string * string) list ->
            Result<string, RouteError>

    /// `buildUrl`: the URL of a call, `<root>/api/<service>/<version><route>[?query]`, unsigned.
    val buildUrl:
        client: TaskclusterClient ->
        reference: ApiReference ->
        entry: ApiEntry ->
        args: string list ->
        query: (string * string) list ->
            Result<string, TaskclusterError>

    /// `buildSignedUrl`: the URL with a bewit valid for `expiration` (default
    /// `SignedUrlExpiration`) from now (clock offset included), carrying the ext. GET methods
    /// only; needs credentials.
    val buildSignedUrl:
        client: TaskclusterClient ->
        reference: ApiReference ->
        entry: ApiEntry ->
        args: string list ->
        query: (string * string) list ->
        expiration: TimeSpan option ->
            Result<string, TaskclusterError>

    /// Calls an API method and returns its JSON response, detached from any buffer (an empty
    /// body gives a `null` element).
    val call:
        client: TaskclusterClient ->
        reference: ApiReference ->
        entry: ApiEntry ->
        args: string list ->
        query: (string * string) list ->
        payload: Payload ->
        cancellationToken: CancellationToken ->
            Task<Result<JsonElement, TaskclusterError>>

    /// `call` without the parse: the 2xx response's body as it arrived, checked to be UTF-8 but
    /// not parsed, for a caller that reads it straight into a model of its own (an empty body
    /// gives `null`). A body that is not UTF-8 is `InvalidResponse`, as with `call`.
    val callUtf8:
        client: TaskclusterClient ->
        reference: ApiReference ->
        entry: ApiEntry ->
        args: string list ->
        query: (string * string) list ->
        payload: Payload ->
        cancellationToken: CancellationToken ->
            Task<Result<ReadOnlyMemory<byte>, TaskclusterError>>

    /// `call`, decoding the response with a decoder (an empty body is decoded as `null`); a
    /// decoding failure is `InvalidResponse` with the JSON path.
    val callDecoded:
        decoder: Decoder<'T> ->
        client: TaskclusterClient ->
        reference: ApiReference ->
        entry: ApiEntry ->
        args: string list ->
        query: (string * string) list ->
        payload: Payload ->
        cancellationToken: CancellationToken ->
            Task<Result<'T, TaskclusterError>>

    /// `call` for a method that answers with a redirect (`queue.getArtifact`, ...): the target
    /// URL as a success value. A 3xx answer gives its `Location` (the redirect is not followed:
    /// the caller fetches the URL, without Taskcluster credentials); a 2xx JSON answer gives its
    /// `url` member (`InvalidResponse` naming the path when it has none). A 3xx without a
    /// `Location`, and a redirect that a caller-supplied `HttpClient` followed anyway, stay
    /// `Redirect` errors.
    val callLocation:
        client: TaskclusterClient ->
        reference: ApiReference ->
        entry: ApiEntry ->
        args: string list ->
        query: (string * string) list ->
        payload: Payload ->
        cancellationToken: CancellationToken ->
            Task<Result<string, TaskclusterError>>

    /// `call` with the method found by name (the official clients' generic `call`/`_makeApiCall`).
    val callByName:
        client: TaskclusterClient ->
        reference: ApiReference ->
        methodName: string ->
        args: string list ->
        query: (string * string) list ->
        payload: Payload ->
        cancellationToken: CancellationToken ->
            Task<Result<JsonElement, TaskclusterError>>

    /// The pages of a paginated method (one with a `continuationToken` query parameter), lazily:
    /// each page is fetched when the enumeration asks for it, with the previous page's
    /// `continuationToken`, until a page has none. A failure is the last element. Enumerating
    /// again starts again. Cancellation comes from `GetAsyncEnumerator`'s token (in C#,
    /// `WithCancellation`).
    val pages:
        client: TaskclusterClient ->
        reference: ApiReference ->
        entry: ApiEntry ->
        args: string list ->
        query: (string * string) list ->
        payload: Payload ->
            IAsyncEnumerable<Result<JsonElement, TaskclusterError>>

    /// The items of every page, lazily: the elements of the page's array member `itemsField`
    /// (`None`: the page's only array member, e.g. `tasks` of `queue.listTaskGroup`).
    val items:
        itemsField: string option ->
        client: TaskclusterClient ->
        reference: ApiReference ->
        entry: ApiEntry ->
        args: string list ->
        query: (string * string) list ->
        payload: Payload ->
            IAsyncEnumerable<Result<JsonElement, TaskclusterError>>

    /// The official clients' `paginationHandler` form: calls `handler` on every page in order and
    /// returns when a page has no `continuationToken`, or with the first error.
    val paginate:
        client: TaskclusterClient ->
        reference: ApiReference ->
        entry: ApiEntry ->
        args: string list ->
        query: (string * string) list ->
        payload: Payload ->
        handler: (JsonElement -> Task) ->
        cancellationToken: CancellationToken ->
            Task<Result<unit, TaskclusterError>>
