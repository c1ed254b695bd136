namespace Taskcluster.Services

open System
open System.Threading
open System.Threading.Tasks
open Taskcluster.Client

/// Whether credentials are a client's own or temporary ones made from a certificate.
[<RequireQualifiedAccess>]
type CredentialType =
    /// A client's own client id and access token.
    | Permanent
    /// Temporary credentials: a certificate signed by an issuing client.
    | Temporary

/// What the JS client's `credentialInformation` reports about a set of credentials.
type CredentialInformation =
    {
        /// The client id the credentials are used as.
        ClientId: string
        /// Permanent or temporary.
        Type: CredentialType
        /// False when the (issuing) client is disabled.
        Active: bool
        /// When temporary credentials become valid; `None` for permanent ones.
        Start: DateTimeOffset option
        /// The earlier of the certificate's expiry and the (issuing) client's.
        Expiry: DateTimeOffset
        /// The scopes the service grants these credentials (`auth.currentScopes`).
        Scopes: string list
    }

/// `credentialInformation` of the official clients.
[<RequireQualifiedAccess>]
module CredentialInformation =
    /// What the deployment says about the credentials `client` signs with: `auth.client` of
    /// the issuing client (asked without credentials, so expired ones still get an answer, and
    /// with them when anonymous requests lack `auth:get-client:<clientId>`) and
    /// `auth.currentScopes` with them, concurrently. A client without credentials is an
    /// `InvalidRequest` with `NoCredentials`, sent nowhere.
    val get:
        client: TaskclusterClient ->
        cancellationToken: CancellationToken ->
            Task<Result<CredentialInformation, TaskclusterError>>
