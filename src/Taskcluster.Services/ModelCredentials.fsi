namespace Taskcluster.Services

open Taskcluster.Core
open Taskcluster.Client
open Taskcluster.Models

/// The credential models the services answer with (a claim's, an object artifact's, a new
/// client's, a registered worker's) as `Credentials` to sign requests with, in one step.
[<RequireQualifiedAccess>]
module ModelCredentials =

    /// The temporary credentials of `queue.claimWork`, `claimTask` or `reclaimTask`: they
    /// reclaim the task, upload its artifacts and report its resolution. A certificate that
    /// cannot be read is an error (every service would refuse it).
    val ofClaim: credentials: TaskCredentials -> Result<Credentials, CertificateError>

    /// The temporary credentials for the object service of an `object` artifact (`queue.artifact`).
    val ofObject: credentials: ObjectCredentials -> Result<Credentials, CertificateError>

    /// The permanent credentials of a new client (`auth.createClient`, `auth.resetAccessToken`).
    val ofClient: client: CreateClientResponse -> Credentials

    /// The credentials of `workerManager.registerWorker` (temporary when they have a certificate).
    val ofWorker: credentials: RegisterWorkerResponseCredentials -> Result<Credentials, CertificateError>

    /// The renewed credentials of `workerManager.reregisterWorker`.
    val ofReregisteredWorker: credentials: ReregisterWorkerResponseCredentials -> Result<Credentials, CertificateError>
