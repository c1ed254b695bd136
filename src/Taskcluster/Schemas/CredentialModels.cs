namespace Taskcluster.Schemas;

// The credential models the services answer with, turned into credentials to sign with in one
// step (the models are generated; these hand-written halves add the conversion).

public sealed partial class TaskCredentials
{
    /// <summary>
    /// These temporary credentials (of <c>queue.claimWork</c>, <c>claimTask</c>, <c>reclaimTask</c>)
    /// as <see cref="TaskclusterCredentials"/>, to report on or reclaim the task they were issued for.
    /// </summary>
    /// <returns>The credentials, with their certificate.</returns>
    /// <exception cref="InvalidOperationException">A member is missing or empty, or the certificate cannot be read (the message names the member, never the access token).</exception>
    public TaskclusterCredentials ToCredentials() =>
        TaskclusterCredentials.FromModel(ClientId, AccessToken, Certificate, nameof(TaskCredentials));
}

public sealed partial class ObjectCredentials
{
    /// <summary>
    /// These temporary credentials for the object service (of <c>queue.artifact</c> for an
    /// <c>object</c> artifact) as <see cref="TaskclusterCredentials"/>.
    /// </summary>
    /// <returns>The credentials, with their certificate.</returns>
    /// <exception cref="InvalidOperationException">A member is missing or empty, or the certificate cannot be read (the message names the member, never the access token).</exception>
    public TaskclusterCredentials ToCredentials() =>
        TaskclusterCredentials.FromModel(ClientId, AccessToken, Certificate, nameof(ObjectCredentials));
}

public sealed partial class CreateClientResponse
{
    /// <summary>
    /// The new client's permanent credentials (of <c>auth.createClient</c> or
    /// <c>auth.resetAccessToken</c>) as <see cref="TaskclusterCredentials"/>.
    /// </summary>
    /// <returns>The credentials (without certificate).</returns>
    /// <exception cref="InvalidOperationException">The client id or access token is missing or empty (the message names the member, never the access token).</exception>
    public TaskclusterCredentials ToCredentials() =>
        TaskclusterCredentials.FromModel(ClientId, AccessToken, null, nameof(CreateClientResponse));
}

public sealed partial class RegisterWorkerResponseCredentials
{
    /// <summary>The worker's credentials (of <c>workerManager.registerWorker</c>) as <see cref="TaskclusterCredentials"/>.</summary>
    /// <returns>The credentials, with their certificate when they are temporary.</returns>
    /// <exception cref="InvalidOperationException">A member is missing or empty, or the certificate cannot be read (the message names the member, never the access token).</exception>
    public TaskclusterCredentials ToCredentials() =>
        TaskclusterCredentials.FromModel(ClientId, AccessToken, Certificate, nameof(RegisterWorkerResponseCredentials));
}

public sealed partial class ReregisterWorkerResponseCredentials
{
    /// <summary>The worker's renewed credentials (of <c>workerManager.reregisterWorker</c>) as <see cref="TaskclusterCredentials"/>.</summary>
    /// <returns>The credentials, with their certificate when they are temporary.</returns>
    /// <exception cref="InvalidOperationException">A member is missing or empty, or the certificate cannot be read (the message names the member, never the access token).</exception>
    public TaskclusterCredentials ToCredentials() =>
        TaskclusterCredentials.FromModel(ClientId, AccessToken, Certificate, nameof(ReregisterWorkerResponseCredentials));
}
