namespace Taskcluster.Client

open System
open System.Net.Http
open System.Text.Json
open Microsoft.Extensions.Logging
open Taskcluster.Core

/// Where the certificate of temporary credentials comes from.
[<RequireQualifiedAccess>]
type CertificateSource =
    /// JSON text, as in `TASKCLUSTER_CERTIFICATE`.
    | Text of json: string
    /// A JSON object.
    | Element of json: JsonElement
    /// A certificate already decoded (e.g. from `Helpers.createTemporaryCredentials`).
    | Value of certificate: Certificate

/// Taskcluster credentials: a client id and its access token, plus the certificate when they
/// are temporary credentials. The access token never appears in `ToString` or `%A`.
[<NoEquality; NoComparison>]
[<StructuredFormatDisplay("{Display}")>]
type Credentials =
    {
        /// The client id.
        ClientId: string
        /// The access token (the secret).
        AccessToken: string
        /// The certificate of temporary credentials.
        Certificate: CertificateSource option
    }

    /// `Credentials(ClientId=…, AccessToken=***, Certificate=…)`.
    member Display: string
    /// `Credentials(ClientId=…, AccessToken=***, Certificate=…)`.
    override ToString: unit -> string

/// Everything a client needs. Start from `Options.defaults` (or `Options.create rootUrl`,
/// `Options.optionsFromEnvironment`, `Options.proxy`) and change what you need; `Client.create`
/// validates the whole record and names the bad field. Credentials never appear in `ToString`
/// or `%A`.
[<NoEquality; NoComparison>]
[<StructuredFormatDisplay("{Display}")>]
type ClientOptions =
    {
        /// The deployment's root URL, e.g. `https://tc.example.com` (required; normalised by
        /// `RootUrl.parse`).
        RootUrl: string
        /// The credentials to sign requests with; `None` sends unauthenticated requests.
        Credentials: Credentials option
        /// Restricts every request to these scopes (sent in the Hawk ext). `Some []` is meaningful:
        /// it leaves only `assume:anonymous`.
        AuthorizedScopes: string list option
        /// How many times a failed attempt is retried (5xx, 429, connection failures, timeouts).
        /// Default 5, so at most 6 attempts.
        MaxRetries: int
        /// The longest one attempt may take, response body included (default 30 s;
        /// `Threading.Timeout.InfiniteTimeSpan` for none).
        Timeout: TimeSpan
        /// How long a signed URL stays valid when `buildSignedUrl` is given no lifetime (default 15 minutes).
        SignedUrlExpiration: TimeSpan
        /// The retry delays (default: the official clients' 100 ms × 2^(n−1), ±25 %, at most 30 s).
        Backoff: Backoff
        /// The `HttpClient` to send with. Default: one shared, pooled client that never follows
        /// redirects. A client given here is used as it is (its own `Timeout` also applies) and
        /// must not follow redirects either: a request it followed to another URL is a
        /// `Redirect` error, never a success (its body may already have gone to the other host).
        HttpClient: HttpClient option
        /// A handler to send with (wrapped in an `HttpClient` without a timeout of its own, and
        /// never disposed by this library). Exclusive with `HttpClient`. An `HttpClientHandler`
        /// or `SocketsHttpHandler` (also under `DelegatingHandler`s) that follows redirects
        /// (`AllowAutoRedirect`, true by default) is refused.
        HttpMessageHandler: HttpMessageHandler option
        /// Where log lines go. Default: nowhere, or the console when `DEBUG_TASKCLUSTER_CLIENT` is set.
        Logger: ILogger option
        /// Sent as `x-taskcluster-trace-id` on every request.
        TraceId: string option
        /// Added to the local clock when signing: the server's time minus ours. The client
        /// measures it by itself after a stale-timestamp rejection.
        ClockOffset: TimeSpan
        /// The largest clock offset (either way) the client adopts after a stale-timestamp
        /// rejection (default 24 hours; at most 365 days): a `Date` further off is a
        /// `ClockSkew` error, not a new offset. `ClockOffset` must lie within it too.
        MaxClockOffset: TimeSpan
        /// The clock (tests inject a fake one).
        TimeProvider: TimeProvider
        /// Uniform random numbers in [0, 1) for the backoff's randomization.
        Random: unit -> float
        /// Check every request body against its method's input schema before anything is sent
        /// (default true): a body that breaks it is an `InvalidRequest` with
        /// `RequestError.SchemaViolations` naming each JSON path and schema rule. The check runs
        /// when the client has a schema validator, which the generated service clients
        /// (`Taskcluster.Services`) attach; `false` sends bodies as they are, for the service to judge.
        ValidateRequests: bool
    }

    /// The options with the credentials' secrets masked.
    member Display: string
    /// The options with the credentials' secrets masked.
    override ToString: unit -> string

/// Why options were refused. `Field` names the option.
[<RequireQualifiedAccess>]
[<StructuredFormatDisplay("{Display}")>]
type OptionsError =
    /// No root URL was given.
    | MissingRootUrl
    /// The root URL is not an absolute http(s) URL of a deployment.
    | InvalidRootUrl of RootUrlError
    /// Credentials without a client id.
    | MissingClientId
    /// Credentials without an access token.
    | MissingAccessToken
    /// The client id cannot be sent in a Hawk header.
    | InvalidClientId of clientId: string
    /// The certificate is not a valid version 1 Taskcluster certificate.
    | InvalidCertificate of CertificateError
    /// An authorized scope is not printable ASCII.
    | InvalidAuthorizedScope of index: int * scope: string
    /// `MaxRetries` is negative.
    | InvalidMaxRetries of maxRetries: int
    /// `Timeout` is not positive (or infinite), or is longer than a day.
    | InvalidTimeout of timeout: TimeSpan
    /// `SignedUrlExpiration` is not positive.
    | InvalidSignedUrlExpiration of expiration: TimeSpan
    /// The trace id is empty or has characters an HTTP header cannot carry.
    | InvalidTraceId of traceId: string
    /// Both `HttpClient` and `HttpMessageHandler` were given.
    | HttpClientAndHandler
    /// The handler (`handlerType`, possibly under delegating handlers) follows redirects.
    | RedirectingHandler of handlerType: string
    /// `MaxClockOffset` is not positive, or is longer than 365 days.
    | InvalidMaxClockOffset of maxClockOffset: TimeSpan
    /// `ClockOffset` is further from zero than `MaxClockOffset`.
    | InvalidClockOffset of clockOffset: TimeSpan * maxClockOffset: TimeSpan
    /// A required value (`TimeProvider`, `Random`, `Backoff`) is null.
    | MissingValue of field: string

    /// The option at fault, e.g. `rootUrl` or `credentials.accessToken`.
    member Field: string
    /// A one-line description naming the field and quoting the bad value (never a secret).
    member Describe: unit -> string
    /// `Describe ()`.
    member Display: string
    /// `Describe ()`.
    override ToString: unit -> string

/// Validated options; the only way to get one is `Options.validate`.
[<Sealed>]
type internal ValidOptions =
    member Options: ClientOptions
    member RootUrl: RootUrl
    member Credentials: Hawk.Credentials option
    member Ext: string option

/// Building client options, from code or from the environment.
[<RequireQualifiedAccess>]
module Options =
    /// The environment variable with the root URL.
    [<Literal>]
    val RootUrlVariable: string = "TASKCLUSTER_ROOT_URL"

    /// The environment variable with the client id.
    [<Literal>]
    val ClientIdVariable: string = "TASKCLUSTER_CLIENT_ID"

    /// The environment variable with the access token.
    [<Literal>]
    val AccessTokenVariable: string = "TASKCLUSTER_ACCESS_TOKEN"

    /// The environment variable with the certificate of temporary credentials (JSON).
    [<Literal>]
    val CertificateVariable: string = "TASKCLUSTER_CERTIFICATE"

    /// The environment variable with the taskcluster-proxy URL inside a task.
    [<Literal>]
    val ProxyUrlVariable: string = "TASKCLUSTER_PROXY_URL"

    /// The taskcluster-proxy URL when `TASKCLUSTER_PROXY_URL` is not set: `http://taskcluster`.
    [<Literal>]
    val DefaultProxyUrl: string = "http://taskcluster"

    /// The environment variable that turns on debug output to the console when no logger is given.
    [<Literal>]
    val DebugVariable: string = "DEBUG_TASKCLUSTER_CLIENT"

    /// No root URL, no credentials, 5 retries, 30 s per attempt, 15-minute signed URLs, the
    /// official backoff, the shared HttpClient, no logger, no trace id, no clock offset (and at
    /// most 24 hours of one adopted), the system clock and `Random.Shared`.
    val defaults: ClientOptions

    /// `defaults` with a root URL.
    val create: rootUrl: string -> ClientOptions

    /// The options with these credentials (permanent ones: no certificate).
    val withCredentials: clientId: string -> accessToken: string -> options: ClientOptions -> ClientOptions

    /// `optionsFromEnvironment`: the options with `RootUrl` from `TASKCLUSTER_ROOT_URL` and
    /// credentials from `TASKCLUSTER_CLIENT_ID`, `TASKCLUSTER_ACCESS_TOKEN` and
    /// `TASKCLUSTER_CERTIFICATE`, where set (and not empty). The environment is read through
    /// `getEnv`, so tests need not touch the process. Use this outside a task (a developer's
    /// shell, CI): half a credential pair in the environment is reported by `validate`.
    val optionsFromEnvironment: getEnv: (string -> string option) -> options: ClientOptions -> ClientOptions

    /// `optionsFromEnvironment` on `defaults` and the process environment.
    val fromEnvironment: unit -> ClientOptions

    /// Options for the taskcluster-proxy inside a task: `RootUrl` from `TASKCLUSTER_PROXY_URL`
    /// (default `http://taskcluster`) and no credentials, because the proxy signs each request
    /// with the task's own credentials and scopes. Use this inside a task whose payload enables
    /// the proxy (docker-worker `features.taskclusterProxy`, generic-worker
    /// `features.taskclusterProxy`).
    val proxy: getEnv: (string -> string option) -> options: ClientOptions -> ClientOptions

    /// `proxy` on `defaults` and the process environment.
    val proxyFromEnvironment: unit -> ClientOptions

    /// The process environment as `getEnv` (empty values count as unset).
    val processEnvironment: name: string -> string option

    /// Checks every option and names the first bad one: root URL present, absolute and
    /// normalised; client id and access token together or not at all; the certificate a valid
    /// certificate; authorized scopes printable ASCII; retries, timeout and signed URL lifetime
    /// in range; a trace id fit for a header; not both an HttpClient and a handler, and not a
    /// handler that follows redirects; the clock offset and its bound in range.
    val validate: options: ClientOptions -> Result<ClientOptions, OptionsError>

    /// `validate`, keeping what requests need: the parsed root URL, Hawk credentials and the ext.
    val internal check: options: ClientOptions -> Result<ValidOptions, OptionsError>
