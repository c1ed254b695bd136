namespace Taskcluster.Client

open System
open Taskcluster.Core

/// Renders untrusted text inside one-line messages.
module internal Display =
    /// The text in single quotes, control characters escaped, cut after 100 characters.
    val quote: value: string -> string

/// The one place where credentials are taken out of text meant for people: every rendering of
/// every error (`Describe`, `ToString`, `%A`, exception messages, log lines) goes through it.
[<RequireQualifiedAccess>]
module internal Redact =
    /// The text with the values of credentials replaced by `***`: query parameters and
    /// `name=value` pairs whose name ends in `signature`, `sig`, `token`, `secret`, `password`,
    /// `credential`, `bewit`, `policy` or `mac` (pre-signed S3, GCS, Azure and CloudFront URLs,
    /// Taskcluster bewits), the same names as JSON members (`"accessToken": "…"`) and as quoted
    /// attributes (a Hawk header's `mac="…"`).
    val text: text: string -> string

/// The call a failure belongs to. The URL is the one sent: it never carries credentials
/// (requests are signed in a header, not in the URL).
[<StructuredFormatDisplay("{Display}")>]
type RequestInfo =
    {
        /// The API method, as `<service>.<method>`, e.g. `queue.createTask`.
        Name: string
        /// The HTTP method, e.g. `PUT`.
        Method: string
        /// The request URL.
        Url: string
    }

    /// `RequestInfo(<name> <method> <url>)`, credentials redacted.
    member Display: string
    /// `RequestInfo(<name> <method> <url>)`, credentials redacted.
    override ToString: unit -> string

/// What a Taskcluster service (or a proxy in front of it) answered when it refused a request.
[<StructuredFormatDisplay("{Display}")>]
type ServiceError =
    {
        /// The request.
        Request: RequestInfo
        /// The HTTP status code, e.g. 404.
        Status: int
        /// The HTTP reason phrase, e.g. `Not Found` (empty when the server sent none).
        ReasonPhrase: string
        /// The Taskcluster error code from a JSON error body, e.g. `ResourceNotFound`.
        Code: string option
        /// The Taskcluster error message from a JSON error body; for a body that is not a
        /// Taskcluster error (a 502 page from a proxy, say), the status and reason phrase.
        Message: string
        /// The first bytes (at most 512) of a body that is not a Taskcluster JSON error, as text.
        Body: string option
        /// How many times the request was sent (1 when it was not retried).
        Attempts: int
        /// For a 403 `InsufficientScopes`, the scopes (or the scope expression) the credentials
        /// lack, as the service wrote them: from the body's `requiredScopes` or `details`
        /// (`unsatisfied`, else `required`), else from the block after "missing the following
        /// scopes:" in its message. Empty when the service said nothing about them.
        MissingScopes: string list
        /// The service's `x-for-request-id` response header, when it sent one: the id to quote
        /// when asking the operators of a deployment about this request.
        RequestId: string option
    }

    /// One line: status, code, message and missing scopes, credentials redacted.
    member Display: string
    /// One line: status, code, message and missing scopes, credentials redacted.
    override ToString: unit -> string

/// One way a request body breaks the JSON schema of its method (found before anything is sent).
[<StructuredFormatDisplay("{Display}")>]
type SchemaViolation =
    {
        /// Where in the body, as a JSON path from the body's root: `$`, `$.payload.image`,
        /// `$.routes[2]`, `$.env['MOZ-X']`.
        Path: string
        /// The schema keyword whose rule failed, e.g. `required`, `type`, `enum`, `pattern`,
        /// `additionalProperties`, `maxLength`.
        Keyword: string
        /// Where the rule sits: the schema's `$id` and a JSON pointer into it, e.g.
        /// `/schemas/queue/v1/task.json#/properties/priority`.
        SchemaLocation: string
        /// What the rule demands, as the validator words it.
        Message: string
    }

    /// `<path>: <message> (<keyword>)`, credentials redacted.
    member Display: string
    /// `<path>: <message> (<keyword>)`, credentials redacted.
    override ToString: unit -> string

/// Why a request could not even be built or signed; nothing was sent.
[<RequireQualifiedAccess>]
[<StructuredFormatDisplay("{Display}")>]
type RequestError =
    /// The reference has no method of this name.
    | UnknownMethod of name: string
    /// A route argument or query parameter is refused by the core (`Route`).
    | InvalidRoute of RouteError
    /// The method takes a JSON body and none was given.
    | MissingPayload
    /// The method takes no body and one was given.
    | UnexpectedPayload
    /// The payload is not JSON, or cannot be serialised to JSON.
    | InvalidPayload of reason: string
    /// The Hawk signature could not be computed.
    | SigningFailed of HawkError
    /// Signed URLs need credentials and the client has none.
    | NoCredentials
    /// Signed URLs (bewits) authenticate GET requests only.
    | NotGet of method: string
    /// A signed URL's lifetime must be positive.
    | InvalidExpiration of expiration: TimeSpan
    /// The method does not take a `continuationToken`, so it cannot be paged.
    | NotPaginated
    /// A page has no array member to take items from, or more than one and none was named.
    | NoItems of reason: string
    /// A URL a service handed out (for a transfer) is not an absolute http(s) URL, so it is not
    /// fetched (the URL is shown without its query).
    | InvalidUrl of url: string * reason: string
    /// The payload does not match the JSON schema `schemaId` (the method's input schema, or
    /// the worker payload schema a task's `payload` was checked against): every violation
    /// found, none of them sent. Turned off per client by `ClientOptions.ValidateRequests`.
    | SchemaViolations of schemaId: string * violations: SchemaViolation list

    /// A one-line description naming the bad value (credentials redacted).
    member Describe: unit -> string
    /// `Describe ()`.
    member Display: string
    /// `Describe ()`.
    override ToString: unit -> string

/// Every way a call can fail. Credentials never appear in any case.
///
/// Cancellation: when the caller's `CancellationToken` is cancelled, the call ends with an
/// `OperationCanceledException` (the .NET convention, so `await` and `Task.WhenAny` behave as
/// everywhere else); it is not an error value. A per-attempt timeout is `Timeout`; a request
/// cancelled by something else than the caller (a caller-supplied `HttpClient` being disposed or
/// its `CancelPendingRequests`) is `Cancelled`.
[<RequireQualifiedAccess>]
[<StructuredFormatDisplay("{Display}")>]
type TaskclusterError =
    /// The request could not be built or signed; nothing was sent.
    | InvalidRequest of name: string * reason: RequestError
    /// 401: the credentials were refused (bad signature, unknown client, expired certificate,
    /// or a stale timestamp that a clock correction did not fix).
    | AuthenticationFailed of ServiceError
    /// 403: the credentials lack the scopes the method requires.
    | InsufficientScopes of ServiceError
    /// Any other 4xx (never retried, except 429 which is retried and ends here when the retries
    /// run out).
    | ClientError of ServiceError
    /// A 5xx that was still failing after every retry (`Attempts` says how many).
    | ServerError of ServiceError
    /// A 3xx: redirects are never followed, so credentials never go to another host. `Location`
    /// is the target, for the caller to fetch without credentials if it wants to. Also a request
    /// that a caller-supplied `HttpClient` followed to another URL anyway (the status is then
    /// the final one and `Location` the URL it ended at): it is never reported as a success.
    | Redirect of ServiceError * location: string option
    /// The connection failed (refused, reset, dropped, truncated body) on every attempt.
    | ConnectionFailed of request: RequestInfo * message: string * attempts: int
    /// Every attempt took longer than the per-attempt timeout.
    | Timeout of request: RequestInfo * timeout: TimeSpan * attempts: int
    /// The request was cancelled by something other than the caller's token.
    | Cancelled of request: RequestInfo
    /// A 2xx response whose body is not what was expected (not JSON, or not the decoder's shape).
    | InvalidResponse of request: RequestInfo * status: int * error: DecodeError
    /// A stale-timestamp 401 whose `Date` is further from the local clock than `MaxClockOffset`
    /// allows: the offset is not adopted (a server's clock, or a forged `Date`, must not make
    /// the client sign requests and URLs for another year). Nothing more is sent.
    | ClockSkew of request: RequestInfo * clientTime: DateTimeOffset * serverTime: DateTimeOffset * limit: TimeSpan

    /// The HTTP status when the server answered.
    member Status: int option
    /// The Taskcluster error code when the server sent one.
    member Code: string option
    /// The request, when one was built.
    member Request: RequestInfo option
    /// A one-line description: the method, the URL and what went wrong (credentials redacted).
    member Describe: unit -> string
    /// `Describe ()`.
    member Display: string
    /// `Describe ()`.
    override ToString: unit -> string
