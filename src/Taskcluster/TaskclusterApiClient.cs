using System.Text.Json;
using C = Taskcluster.Core;

namespace Taskcluster;

/// <summary>
/// A client of a service this package has no class for, made from its API reference (the
/// content of its <c>api.json</c>), like the Python client's <c>createApiClient</c>: its methods
/// are called by name with <see cref="TaskclusterServiceClient.CallAsync"/> and their URLs built
/// with <see cref="TaskclusterServiceClient.BuildUrl"/>, signed like every other call.
/// </summary>
public class TaskclusterApiClient : TaskclusterServiceClient
{
    /// <summary>Creates a client of the service a reference describes, on a deployment.</summary>
    /// <param name="reference">The API reference (the content of an <c>api.json</c>: <c>serviceName</c>, <c>apiVersion</c>, <c>entries</c>).</param>
    /// <param name="rootUrl">The deployment's root URL.</param>
    /// <param name="credentials">The credentials to sign requests with; <c>null</c> for unauthenticated requests.</param>
    /// <param name="options">Retries, timeouts, HTTP client, logging; <c>null</c> for the defaults.</param>
    /// <exception cref="ArgumentNullException"><paramref name="rootUrl"/> is null.</exception>
    /// <exception cref="ArgumentException">The reference is not an API reference (the message names the member at fault), or an option is invalid.</exception>
    public TaskclusterApiClient(JsonElement reference, Uri rootUrl, TaskclusterCredentials? credentials = null, TaskclusterClientOptions? options = null)
        : base(new Custom(Connection.Create(rootUrl, credentials, options), Decode(reference)))
    {
    }

    /// <summary>For mocking: a client without a connection, whose members a test double overrides.</summary>
    protected TaskclusterApiClient()
    {
    }

    // The F# base of the generated services, with no generated methods on top.
    private sealed class Custom(Client.TaskclusterClient client, C.ApiReference reference)
        : Services.ApiClient(client, reference);

    private static C.ApiReference Decode(JsonElement reference)
    {
        var decoded = C.Reference.decodeApiReference(reference);
        return decoded.IsOk
            ? decoded.ResultValue
            : throw new ArgumentException("Not an API reference: " + decoded.ErrorValue.Describe(), nameof(reference));
    }
}
