namespace Taskcluster.Services

open System
open System.Text.Json
open System.Threading
open System.Threading.Tasks
open Taskcluster.Core
open Taskcluster.Client

/// What every generated service client has besides its methods: the client and reference it
/// uses, the generic `Call` (the official clients' calling by method name), and URLs.
[<AbstractClass>]
type ApiClient =
    /// A service client sending with `client` the methods of `reference`, checking request
    /// bodies against the bundled schemas first (`RequestSchemas.attach`) while
    /// `ClientOptions.ValidateRequests` is true.
    new: client: TaskclusterClient * reference: ApiReference -> ApiClient

    /// The client requests are sent with (`client` with the schema validator attached).
    member TaskclusterClient: TaskclusterClient

    /// The API reference of the service.
    member ApiReference: ApiReference

    /// Calls a method by name (e.g. `createTask`) with its route arguments in route order, a
    /// payload for methods that take one, and query parameters.
    member Call:
        methodName: string *
        ?args: string list *
        ?payload: Payload *
        ?query: (string * string) list *
        ?cancellationToken: CancellationToken ->
            Task<Result<JsonElement, TaskclusterError>>

    /// `buildUrl`: the unsigned URL of a method by name.
    member BuildUrl:
        methodName: string * ?args: string list * ?query: (string * string) list -> Result<string, TaskclusterError>

    /// `buildSignedUrl`: the URL of a GET method by name with a bewit valid for `expiration`
    /// (default: the client's `SignedUrlExpiration`).
    member BuildSignedUrl:
        methodName: string * ?args: string list * ?query: (string * string) list * ?expiration: TimeSpan ->
            Result<string, TaskclusterError>
