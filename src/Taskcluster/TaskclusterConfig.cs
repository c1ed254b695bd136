using System.Collections.ObjectModel;
using System.Text.Json;
using Microsoft.FSharp.Collections;
using Microsoft.FSharp.Core;
using F = Taskcluster.Client;

namespace Taskcluster;

/// <summary>Where the clients of a <see cref="TaskclusterConfig"/> get their authority from.</summary>
public enum TaskclusterAuthSource
{
    /// <summary>The credentials given to <see cref="TaskclusterConfig.Create"/>.</summary>
    Explicit,

    /// <summary><c>TASKCLUSTER_CLIENT_ID</c>, <c>TASKCLUSTER_ACCESS_TOKEN</c> (and <c>TASKCLUSTER_CERTIFICATE</c>).</summary>
    Environment,

    /// <summary>The taskcluster-proxy of the task the program runs in (<see cref="TaskclusterConfig.ProxyUrl"/>), which signs each request with the task's credentials.</summary>
    Proxy,

    /// <summary>None: requests go out unauthenticated.</summary>
    Anonymous,
}

/// <summary>
/// The Python client's <c>taskcluster.helper.TaskclusterConfig</c>: a deployment's root URL and
/// where its clients' authority comes from (explicit credentials, then the environment's, then
/// the taskcluster-proxy inside a task, else none), clients of any service, and
/// <see cref="LoadSecretsAsync"/>. Its clients retry 12 times, as the Python helper's do.
/// Credentials never appear in <see cref="ToString"/>.
/// </summary>
public sealed class TaskclusterConfig
{
    private readonly F.TaskclusterConfig _config;

    private TaskclusterConfig(F.TaskclusterConfig config)
    {
        _config = config;
    }

    /// <summary>The deployment's root URL (even when the clients talk to the proxy).</summary>
    public Uri RootUrl => new(_config.RootUrl);

    /// <summary>Where the clients' authority comes from.</summary>
    public TaskclusterAuthSource AuthSource =>
        _config.Auth switch
        {
            { IsExplicit: true } => TaskclusterAuthSource.Explicit,
            { IsEnvironment: true } => TaskclusterAuthSource.Environment,
            { IsProxy: true } => TaskclusterAuthSource.Proxy,
            _ => TaskclusterAuthSource.Anonymous,
        };

    /// <summary>The taskcluster-proxy's URL when <see cref="AuthSource"/> is <see cref="TaskclusterAuthSource.Proxy"/>, else null.</summary>
    public Uri? ProxyUrl => _config.Auth is F.AuthSource.Proxy proxy ? new Uri(proxy.url) : null;

    /// <summary>
    /// <c>TaskclusterConfig(rootUrl)</c> followed by <c>auth()</c>, from the process environment:
    /// the root URL from <paramref name="rootUrl"/> or <c>TASKCLUSTER_ROOT_URL</c>, the credentials
    /// from the environment, or the proxy inside a task.
    /// </summary>
    /// <param name="rootUrl">The deployment's root URL; null for <c>TASKCLUSTER_ROOT_URL</c>.</param>
    /// <returns>The configuration, or why there is none (<see cref="TaskclusterErrorKind.MissingRootUrl"/>, <see cref="TaskclusterErrorKind.InvalidOptions"/>).</returns>
    public static TaskclusterResult<TaskclusterConfig> FromEnvironment(string? rootUrl = null) => Create(rootUrl);

    /// <summary>
    /// A configuration from a root URL and credentials, reading the rest from an environment:
    /// the root URL from <paramref name="rootUrl"/> or <c>TASKCLUSTER_ROOT_URL</c>; the authority
    /// from <paramref name="credentials"/>, else <c>TASKCLUSTER_CLIENT_ID</c> /
    /// <c>TASKCLUSTER_ACCESS_TOKEN</c> / <c>TASKCLUSTER_CERTIFICATE</c>, else (when <c>TASK_ID</c>
    /// or <c>TASKCLUSTER_PROXY_URL</c> is set) the proxy at <c>TASKCLUSTER_PROXY_URL</c>
    /// (default <c>http://taskcluster</c>), else none.
    /// </summary>
    /// <param name="rootUrl">The deployment's root URL; null for <c>TASKCLUSTER_ROOT_URL</c>.</param>
    /// <param name="credentials">The credentials; null to look in the environment.</param>
    /// <param name="getEnvironmentVariable">Reads an environment variable (null or empty: unset); null for the process environment. Tests pass a dictionary's lookup.</param>
    /// <returns>The configuration, or why there is none (<see cref="TaskclusterErrorKind.MissingRootUrl"/>, <see cref="TaskclusterErrorKind.InvalidOptions"/>).</returns>
    public static TaskclusterResult<TaskclusterConfig> Create(
        string? rootUrl = null,
        TaskclusterCredentials? credentials = null,
        Func<string, string?>? getEnvironmentVariable = null)
    {
        var read = getEnvironmentVariable ?? Environment.GetEnvironmentVariable;
        var getEnv = FuncConvert.FromFunc<string, FSharpOption<string>>(name => Adapt.Option(read(name))!);
        var created = F.TaskclusterConfigModule.create(Adapt.Option(rootUrl), getEnv);
        if (created.IsError)
        {
            return new TaskclusterResult<TaskclusterConfig>(TaskclusterError.From(created.ErrorValue));
        }

        var config = credentials is null
            ? created.ResultValue
            : F.TaskclusterConfigModule.auth(FSharpOption<F.Credentials>.Some(credentials.ToFSharp()), getEnv, created.ResultValue);
        return new TaskclusterResult<TaskclusterConfig>(new TaskclusterConfig(config));
    }

    /// <summary><c>get_service</c>: a client of a service, configured with this configuration's root URL and authority.</summary>
    /// <typeparam name="TClient">The client class, e.g. <see cref="QueueClient"/>.</typeparam>
    /// <returns>The client, or why it cannot be made (credentials from the environment that are invalid).</returns>
    /// <exception cref="ArgumentException"><typeparamref name="TClient"/> is not one of this package's client classes.</exception>
    public TaskclusterResult<TClient> GetService<TClient>()
        where TClient : TaskclusterServiceClient
    {
        var factory = ServiceClients.Of(typeof(TClient));
        var client = F.TaskclusterConfigModule.client(_config);
        return client.IsOk
            ? new TaskclusterResult<TClient>((TClient)factory.Create(client.ResultValue))
            : new TaskclusterResult<TClient>(TaskclusterError.From(client.ErrorValue));
    }

    /// <summary><c>get_service(name)</c>: a client of the service named <paramref name="name"/> (<c>worker-manager</c> or <c>WorkerManager</c>, any case).</summary>
    /// <param name="name">The service's name or class name.</param>
    /// <returns>The client (cast it to its class, e.g. <see cref="SecretsClient"/>), or why it cannot be made (<see cref="TaskclusterErrorKind.UnknownService"/>).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="name"/> is null.</exception>
    public TaskclusterResult<TaskclusterServiceClient> GetService(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var service = F.TaskclusterConfigModule.getServiceByName(ServiceClients.References, name, _config);
        return service.IsOk
            ? new TaskclusterResult<TaskclusterServiceClient>(
                ServiceClients.Named(service.ResultValue.Reference.ServiceName).Create(service.ResultValue.Client))
            : new TaskclusterResult<TaskclusterServiceClient>(TaskclusterError.From(service.ErrorValue));
    }

    /// <summary>
    /// <c>load_secrets</c>: reads the secret <paramref name="name"/> (or takes
    /// <paramref name="localSecrets"/> instead of calling the service, for local development),
    /// merges over <paramref name="existing"/> the sections of <paramref name="prefixes"/> in order
    /// (a missing section adds nothing), or the whole secret when there are no prefixes, and checks
    /// that every <paramref name="required"/> key is there.
    /// </summary>
    /// <remarks>Required scopes: <c>secrets:get:&lt;name&gt;</c>.</remarks>
    /// <param name="name">The secret's name; null when <paramref name="localSecrets"/> are given.</param>
    /// <param name="prefixes">The sections of the secret to merge, in order; null or empty for the whole secret.</param>
    /// <param name="required">Keys that must be there after the merge.</param>
    /// <param name="existing">Values to start from (the secret's override them).</param>
    /// <param name="localSecrets">Used instead of the service's secret when given.</param>
    /// <param name="cancellationToken">Cancels the call (it then throws <see cref="OperationCanceledException"/>).</param>
    /// <returns>The merged values, or why they cannot be had (<see cref="TaskclusterErrorKind.MissingSecrets"/> names every missing key; never a secret's value).</returns>
    public Task<TaskclusterResult<IReadOnlyDictionary<string, JsonElement>>> LoadSecretsAsync(
        string? name,
        IEnumerable<string>? prefixes = null,
        IEnumerable<string>? required = null,
        IReadOnlyDictionary<string, JsonElement>? existing = null,
        IReadOnlyDictionary<string, JsonElement>? localSecrets = null,
        CancellationToken cancellationToken = default) =>
        // Not `async` itself: the compiler would mark it [AsyncStateMachine(typeof(...))], an
        // attribute argument fsdocs cannot read, and the API reference would lose the page.
        LoadSecretsCoreAsync(name, prefixes, required, existing, localSecrets, cancellationToken);

    private async Task<TaskclusterResult<IReadOnlyDictionary<string, JsonElement>>> LoadSecretsCoreAsync(
        string? name,
        IEnumerable<string>? prefixes,
        IEnumerable<string>? required,
        IReadOnlyDictionary<string, JsonElement>? existing,
        IReadOnlyDictionary<string, JsonElement>? localSecrets,
        CancellationToken cancellationToken)
    {
        var result = await F.TaskclusterConfigModule.loadSecrets(
            Adapt.Option(name),
            ListModule.OfSeq(prefixes ?? []),
            ListModule.OfSeq(required ?? []),
            Map(existing) ?? MapModule.Empty<string, JsonElement>(),
            Map(localSecrets) is { } local ? FSharpOption<FSharpMap<string, JsonElement>>.Some(local) : null,
            _config,
            cancellationToken).ConfigureAwait(false);

        return result.IsOk
            ? new TaskclusterResult<IReadOnlyDictionary<string, JsonElement>>(
                new ReadOnlyDictionary<string, JsonElement>(result.ResultValue.ToDictionary(p => p.Key, p => p.Value)))
            : new TaskclusterResult<IReadOnlyDictionary<string, JsonElement>>(TaskclusterError.From(result.ErrorValue));
    }

    /// <summary>The root URL, the authority's source and the client settings, with every secret masked.</summary>
    /// <returns>A one-line description.</returns>
    public override string ToString() => _config.ToString();

    private static FSharpMap<string, JsonElement>? Map(IReadOnlyDictionary<string, JsonElement>? values) =>
        values is null ? null : new FSharpMap<string, JsonElement>(values.Select(p => Tuple.Create(p.Key, p.Value)));
}
