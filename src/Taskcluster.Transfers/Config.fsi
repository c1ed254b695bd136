namespace Taskcluster.Client

open System.Text.Json
open System.Threading
open System.Threading.Tasks
open Taskcluster.Core

/// The secrets-service method `loadSecrets` calls, as a function: the generated `Secrets`
/// client's (`SecretsApi.ofService`), or a fake's.
[<NoEquality; NoComparison>]
type SecretsApi =
    {
        /// `secrets.get(name)`: `{secret, expires}`.
        Get: string -> CancellationToken -> Task<Result<JsonElement, TaskclusterError>>
    }

/// Building a `SecretsApi`.
[<RequireQualifiedAccess>]
module SecretsApi =
    /// `get` of the generated secrets-service client (`Secrets client`).
    val ofService: secrets: Taskcluster.Services.Secrets -> SecretsApi

/// Where a `TaskclusterConfig`'s clients get their authority from.
[<RequireQualifiedAccess>]
type AuthSource =
    /// Credentials given to `auth`.
    | Explicit
    /// `TASKCLUSTER_CLIENT_ID`, `TASKCLUSTER_ACCESS_TOKEN` (and `TASKCLUSTER_CERTIFICATE`).
    | Environment
    /// The taskcluster-proxy of the task the program runs in, at this URL: it signs each request
    /// with the task's credentials.
    | Proxy of url: string
    /// None: requests go out unauthenticated.
    | Anonymous

/// Why the helper failed.
[<RequireQualifiedAccess>]
[<StructuredFormatDisplay("{Display}")>]
type ConfigError =
    /// The options are refused (no root URL, half a credential pair, ...).
    | InvalidOptions of OptionsError
    /// No API reference has this service name.
    | UnknownService of name: string
    /// The secrets service refused `get`.
    | Request of TaskclusterError
    /// Neither a secret name nor local secrets were given.
    | MissingSecretName
    /// The secret (or the section of a prefix) is not a JSON object.
    | NotAnObject of what: string * kind: JsonValueKind
    /// Required keys are missing after the merge.
    | MissingSecrets of keys: string list
    /// A key of the secret (or of a section) is not valid Unicode (an escaped lone surrogate).
    | UnreadableKey of what: string

    /// A one-line description naming the missing or bad value (never a secret's value;
    /// credentials redacted).
    member Describe: unit -> string
    /// `Describe ()`.
    member Display: string
    /// `Describe ()`.
    override ToString: unit -> string

/// The Python client's `taskcluster.helper.TaskclusterConfig`: the deployment's root URL, and
/// the options its clients are made with once `auth` has chosen where their authority comes
/// from. Credentials never appear in `ToString` or `%A`.
[<NoEquality; NoComparison>]
[<StructuredFormatDisplay("{Display}")>]
type TaskclusterConfig =
    {
        /// The deployment's root URL (even when the clients talk to the proxy).
        RootUrl: string
        /// Where the clients' authority comes from.
        Auth: AuthSource
        /// The options `getService` makes clients with.
        Options: ClientOptions
    }

    /// The configuration with the credentials' secrets masked.
    member Display: string
    /// The configuration with the credentials' secrets masked.
    override ToString: unit -> string

/// A client of one service: what `TaskclusterConfig.getService` gives.
[<NoEquality; NoComparison>]
type ServiceClient =
    {
        /// The configured client.
        Client: TaskclusterClient
        /// The service's API reference, for `Client.call` and friends.
        Reference: ApiReference
    }

/// The Python helper's `load_secrets`.
[<RequireQualifiedAccess>]
module Secrets =
    /// `load_secrets`: reads the secret `name` (or takes `localSecrets` instead of calling the
    /// service, for local development), merges over `existing` the sections of `prefixes` in
    /// order (a missing section adds nothing), or the whole secret when there are no prefixes,
    /// and checks that every `required` key is there, naming all that are not.
    val loadSecrets:
        secrets: SecretsApi ->
        name: string option ->
        prefixes: string list ->
        required: string list ->
        existing: Map<string, JsonElement> ->
        localSecrets: Map<string, JsonElement> option ->
        cancellationToken: CancellationToken ->
            Task<Result<Map<string, JsonElement>, ConfigError>>

/// The Python client's helper: configuration from arguments and the environment, service
/// clients, and `loadSecrets`.
[<RequireQualifiedAccess>]
module TaskclusterConfig =
    /// The environment variable set inside a task (the helper's sign that a proxy may be there).
    [<Literal>]
    val TaskIdVariable: string = "TASK_ID"

    /// The Python helper's retry count for its clients (12, more than a client's default 5).
    [<Literal>]
    val DefaultMaxRetries: int = 12

    /// `TaskclusterConfig(url)` followed by `auth()`: the root URL from the argument or
    /// `TASKCLUSTER_ROOT_URL` (`MissingRootUrl` when neither), and the clients' authority from
    /// the environment as `auth None` chooses it. The environment is read through `getEnv`
    /// (empty values count as unset).
    val create: rootUrl: string option -> getEnv: (string -> string option) -> Result<TaskclusterConfig, ConfigError>

    /// `create` on the process environment.
    val fromEnvironment: rootUrl: string option -> Result<TaskclusterConfig, ConfigError>

    /// `auth`: chooses the clients' authority, in this order: the credentials given; the
    /// credentials in `TASKCLUSTER_CLIENT_ID` / `TASKCLUSTER_ACCESS_TOKEN` (with
    /// `TASKCLUSTER_CERTIFICATE`); inside a task (`TASK_ID` or `TASKCLUSTER_PROXY_URL` set), the
    /// taskcluster-proxy at `TASKCLUSTER_PROXY_URL` (default `http://taskcluster`); else none.
    /// Clients retry 12 times, as the Python helper's do.
    val auth:
        credentials: Credentials option ->
        getEnv: (string -> string option) ->
        config: TaskclusterConfig ->
            TaskclusterConfig

    /// A client with the configuration's options.
    val client: config: TaskclusterConfig -> Result<TaskclusterClient, ConfigError>

    /// `get_service`: a client of the service the reference describes.
    val getService: reference: ApiReference -> config: TaskclusterConfig -> Result<ServiceClient, ConfigError>

    /// `get_service(name)`: a client of the named service, found in `references` by its name
    /// (`worker-manager`) or class name (`WorkerManager`), ignoring case.
    val getServiceByName:
        references: References -> name: string -> config: TaskclusterConfig -> Result<ServiceClient, ConfigError>

    /// `load_secrets` with a secrets client made from the configuration.
    val loadSecrets:
        name: string option ->
        prefixes: string list ->
        required: string list ->
        existing: Map<string, JsonElement> ->
        localSecrets: Map<string, JsonElement> option ->
        config: TaskclusterConfig ->
        cancellationToken: CancellationToken ->
            Task<Result<Map<string, JsonElement>, ConfigError>>
