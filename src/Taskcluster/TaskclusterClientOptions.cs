using Microsoft.Extensions.Logging;
using F = Taskcluster.Client;

namespace Taskcluster;

/// <summary>
/// How a client sends requests: retries, timeouts, signed-URL lifetime, the HTTP client, logging.
/// Every property has a working default; the constructors of the clients validate them and
/// throw <see cref="ArgumentException"/> naming a bad one.
/// </summary>
public class TaskclusterClientOptions
{
    /// <summary>Restricts every request to these scopes (sent in the Hawk ext); an empty list leaves only <c>assume:anonymous</c>. Null (the default) for no restriction.</summary>
    public IList<string>? AuthorizedScopes { get; set; }

    /// <summary>How many times a failed attempt is retried (5xx, 429, connection failures, timeouts); default 5.</summary>
    public int MaxRetries { get; set; } = F.Options.defaults.MaxRetries;

    /// <summary>The longest one attempt may take, response body included; default 30 seconds.</summary>
    public TimeSpan Timeout { get; set; } = F.Options.defaults.Timeout;

    /// <summary>How long a signed URL stays valid when no lifetime is given; default 15 minutes.</summary>
    public TimeSpan SignedUrlExpiration { get; set; } = F.Options.defaults.SignedUrlExpiration;

    /// <summary>The HTTP client to send with (used as it is). It must not follow redirects: a request it followed to another URL is a <see cref="TaskclusterErrorKind.Redirect"/> error, never a success. Null (the default) for one shared, pooled client that never follows redirects.</summary>
    public HttpClient? HttpClient { get; set; }

    /// <summary>A handler to send with (never disposed by the client); exclusive with <see cref="HttpClient"/>. An <see cref="HttpClientHandler"/> or <see cref="SocketsHttpHandler"/> (also under delegating handlers) with <c>AllowAutoRedirect</c> (true by default) is refused.</summary>
    public HttpMessageHandler? HttpMessageHandler { get; set; }

    /// <summary>Where log lines go (never with tokens, signatures or bewits). Null: nowhere, or the console when <c>DEBUG_TASKCLUSTER_CLIENT</c> is set.</summary>
    public ILogger? Logger { get; set; }

    /// <summary>Sent as <c>x-taskcluster-trace-id</c> on every request.</summary>
    public string? TraceId { get; set; }

    /// <summary>Added to the local clock when signing (the server's time minus ours); the client measures it by itself after a stale-timestamp rejection.</summary>
    public TimeSpan ClockOffset { get; set; }

    /// <summary>The largest clock offset (either way) the client adopts after a stale-timestamp rejection; default 24 hours, at most 365 days. A server <c>Date</c> further off is a <see cref="TaskclusterErrorKind.ClockSkew"/> error.</summary>
    public TimeSpan MaxClockOffset { get; set; } = F.Options.defaults.MaxClockOffset;

    /// <summary>The clock (tests pass a fake one); default the system clock.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Whether every request body is checked against its method's JSON schema before anything is sent; default true. A body that breaks it is a <see cref="TaskclusterErrorKind.InvalidRequest"/> error whose <see cref="TaskclusterError.SchemaViolations"/> name each JSON path and schema rule. False sends bodies as they are, for the service to judge.</summary>
    public bool ValidateRequests { get; set; } = F.Options.defaults.ValidateRequests;

    /// <summary>A copy of these options.</summary>
    /// <returns>The copy.</returns>
    public TaskclusterClientOptions Clone()
    {
        var copy = (TaskclusterClientOptions)MemberwiseClone();
        copy.AuthorizedScopes = AuthorizedScopes is null ? null : new List<string>(AuthorizedScopes);
        return copy;
    }
}

/// <summary>
/// Where a client's settings come from in a task or a shell: <c>TASKCLUSTER_ROOT_URL</c>, the
/// credentials variables, and the taskcluster-proxy inside a task.
/// </summary>
public static class TaskclusterEnvironment
{
    /// <summary>The root URL in <c>TASKCLUSTER_ROOT_URL</c>, or null when it is not set (or not an absolute URL).</summary>
    public static Uri? RootUrl =>
        Uri.TryCreate(Environment.GetEnvironmentVariable(F.Options.RootUrlVariable), UriKind.Absolute, out var uri) ? uri : null;

    /// <summary>
    /// The taskcluster-proxy's URL inside a task: <c>TASKCLUSTER_PROXY_URL</c>, default
    /// <c>http://taskcluster</c>. Use it as the root URL without credentials: the proxy signs each
    /// request with the task's own credentials and scopes.
    /// </summary>
    public static Uri ProxyUrl =>
        Uri.TryCreate(Environment.GetEnvironmentVariable(F.Options.ProxyUrlVariable), UriKind.Absolute, out var uri)
            ? uri
            : new Uri(F.Options.DefaultProxyUrl);

    /// <summary>The credentials in the environment (see <see cref="TaskclusterCredentials.FromEnvironment"/>).</summary>
    public static TaskclusterCredentials? Credentials => TaskclusterCredentials.FromEnvironment();
}
