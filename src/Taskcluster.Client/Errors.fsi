namespace Taskcluster.Client

open System
open Taskcluster.Core

/// Renders untrusted text inside one-line messages.
module internal Display =
    /// The text in single quotes, control characters escaped, cut after 100 characters.
    val quote: value: string -> string

/// The call a failure belongs to. The URL is the one sent: it never carries credentials
/// (requests are signed in a header, not in the URL).
type RequestInfo =
    {
        /// The API method, as `<service>.<method>`, e.g. `queue.createTask`.
        Name: string
        /// The HTTP method, e.g. `PUT`.
        Method: string
        /// The request URL.
        Url: string
    }

/// What a Taskcluster service (or a proxy in front of it) answered when it refused a request.
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
    }

/// Why a request could not even be built or signed; nothing was sent.
[<RequireQualifiedAccess>]
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

    /// A one-line description naming the bad value.
    member Describe: unit -> string

/// Every way a call can fail. Credentials never appear in any case.
///
/// Cancellation: when the caller's `CancellationToken` is cancelled, the call ends with an
/// `OperationCanceledException` (the .NET convention, so `await` and `Task.WhenAny` behave as
/// everywhere else); it is not an error value. A per-attempt timeout is `Timeout`; a request
/// cancelled by something else than the caller (a caller-supplied `HttpClient` being disposed or
/// its `CancelPendingRequests`) is `Cancelled`.
[<RequireQualifiedAccess>]
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
    /// is the target, for the caller to fetch without credentials if it wants to.
    | Redirect of ServiceError * location: string option
    /// The connection failed (refused, reset, dropped, truncated body) on every attempt.
    | ConnectionFailed of request: RequestInfo * message: string * attempts: int
    /// Every attempt took longer than the per-attempt timeout.
    | Timeout of request: RequestInfo * timeout: TimeSpan * attempts: int
    /// The request was cancelled by something other than the caller's token.
    | Cancelled of request: RequestInfo
    /// A 2xx response whose body is not what was expected (not JSON, or not the decoder's shape).
    | InvalidResponse of request: RequestInfo * status: int * error: DecodeError

    /// The HTTP status when the server answered.
    member Status: int option
    /// The Taskcluster error code when the server sent one.
    member Code: string option
    /// The request, when one was built.
    member Request: RequestInfo option
    /// A one-line description: the method, the URL and what went wrong.
    member Describe: unit -> string
