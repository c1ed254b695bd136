using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Taskcluster;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// <c>services.AddTaskcluster(...)</c>: every Taskcluster service client (transient, sending through
/// <see cref="IHttpClientFactory"/>), the deployment's <see cref="TaskclusterConfig"/> and every
/// exchange set (singleton) for dependency injection; from values or from configuration, for one
/// deployment or for several named ones (keyed services).
/// </summary>
/// <remarks>
/// The clients retry by themselves (<see cref="TaskclusterClientOptions.MaxRetries"/>, with the
/// official backoff and a timeout per attempt). Do not add a resilience handler
/// (<c>AddStandardResilienceHandler</c>, a Polly handler) to the returned builder as well: the
/// retries would multiply, and a handler that replays a request would send a Hawk signature twice.
/// </remarks>
public static class TaskclusterServiceCollectionExtensions
{
    /// <summary>The name of the <see cref="HttpClient"/> the clients send with (configure it further through the returned builder).</summary>
    public const string HttpClientName = "Taskcluster";

    /// <summary>Registers every Taskcluster client for one deployment.</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="rootUrl">The deployment's root URL.</param>
    /// <param name="credentials">The credentials to sign requests with; null for unauthenticated requests.</param>
    /// <param name="configureOptions">Changes the options (retries, timeouts, logging); <see cref="TaskclusterClientOptions.HttpClient"/> is set by the factory, and <see cref="TaskclusterClientOptions.Logger"/> defaults to the container's <see cref="ILoggerFactory"/>.</param>
    /// <returns>The builder of the <see cref="HttpClient"/> named <see cref="HttpClientName"/>, to add handlers.</returns>
    /// <exception cref="ArgumentException">An option is invalid (checked now, not at the first resolution).</exception>
    public static IHttpClientBuilder AddTaskcluster(
        this IServiceCollection services,
        Uri rootUrl,
        TaskclusterCredentials? credentials = null,
        Action<TaskclusterClientOptions>? configureOptions = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(rootUrl);

        var options = new TaskclusterClientOptions();
        configureOptions?.Invoke(options);

        // Fail at registration rather than at the first resolution.
        Connection.Create(rootUrl, credentials, options);

        var builder = services
            .AddHttpClient(HttpClientName, client => client.Timeout = Timeout.InfiniteTimeSpan) // the client times each attempt itself
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler
            {
                // Never follow redirects: a Hawk header must not go to another host.
                AllowAutoRedirect = false,
                AutomaticDecompression = DecompressionMethods.All,
            });

        GeneratedRegistrations.AddClients(services, provider =>
        {
            var perClient = options.Clone();
            perClient.HttpClient = provider.GetRequiredService<IHttpClientFactory>().CreateClient(HttpClientName);
            perClient.Logger ??= provider.GetService<ILoggerFactory>()?.CreateLogger("Taskcluster");
            return Connection.Create(rootUrl, credentials, perClient);
        });
        services.TryAddSingleton(_ => Config(rootUrl, credentials));

        return builder;
    }

    /// <summary>
    /// Registers every Taskcluster client for the deployment a configuration section describes
    /// (<see cref="TaskclusterOptions"/>: <c>RootUrl</c>, <c>ClientId</c>, <c>AccessToken</c>,
    /// <c>Certificate</c>, <c>AuthorizedScopes</c>, <c>MaxRetries</c>, <c>Timeout</c>, ...). The
    /// options are validated when the host starts (<c>ValidateOnStart</c>): an invalid section stops
    /// the start with an <see cref="OptionsValidationException"/> naming the bad value.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configuration">The section, usually <c>configuration.GetSection(TaskclusterOptions.SectionName)</c>.</param>
    /// <param name="configureOptions">Changes the client options further (logging, a fake clock).</param>
    /// <returns>The builder of the <see cref="HttpClient"/> named <see cref="HttpClientName"/>.</returns>
    public static IHttpClientBuilder AddTaskcluster(
        this IServiceCollection services,
        IConfiguration configuration,
        Action<TaskclusterClientOptions>? configureOptions = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        var builder = AddHttpClient(services, HttpClientName);
        BindOptions(services, Microsoft.Extensions.Options.Options.DefaultName, configuration, configureOptions);
        GeneratedRegistrations.AddClients(services, provider => FromOptions(provider, Microsoft.Extensions.Options.Options.DefaultName, HttpClientName, configureOptions));
        services.TryAddSingleton(provider => ConfigFromOptions(provider, Microsoft.Extensions.Options.Options.DefaultName, configureOptions));
        return builder;
    }

    /// <summary>
    /// Registers every Taskcluster client of one named deployment as keyed services: resolve them
    /// with <c>[FromKeyedServices("staging")] QueueClient queue</c> or
    /// <c>provider.GetRequiredKeyedService&lt;QueueClient&gt;("staging")</c>; its
    /// <see cref="TaskclusterConfig"/> likewise. Each deployment sends through an
    /// <see cref="HttpClient"/> of its own, named <c>Taskcluster.{name}</c>.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="name">The deployment's name (the service key).</param>
    /// <param name="rootUrl">The deployment's root URL.</param>
    /// <param name="credentials">The credentials to sign requests with; null for unauthenticated requests.</param>
    /// <param name="configureOptions">Changes the options.</param>
    /// <returns>The builder of this deployment's <see cref="HttpClient"/>.</returns>
    /// <exception cref="ArgumentException">The name is empty, or an option is invalid (checked now).</exception>
    public static IHttpClientBuilder AddTaskcluster(
        this IServiceCollection services,
        string name,
        Uri rootUrl,
        TaskclusterCredentials? credentials = null,
        Action<TaskclusterClientOptions>? configureOptions = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(rootUrl);

        var options = new TaskclusterClientOptions();
        configureOptions?.Invoke(options);
        Connection.Create(rootUrl, credentials, options);

        var httpName = $"{HttpClientName}.{name}";
        var builder = AddHttpClient(services, httpName);
        AddKeyedClients(services, name, provider =>
        {
            var perClient = options.Clone();
            perClient.HttpClient = provider.GetRequiredService<IHttpClientFactory>().CreateClient(httpName);
            perClient.Logger ??= provider.GetService<ILoggerFactory>()?.CreateLogger("Taskcluster");
            return Connection.Create(rootUrl, credentials, perClient);
        });
        services.AddKeyedSingleton(name, (_, _) => Config(rootUrl, credentials));
        return builder;
    }

    /// <summary>
    /// Registers one named deployment from a configuration section (see
    /// <see cref="AddTaskcluster(IServiceCollection, IConfiguration, Action{TaskclusterClientOptions}?)"/>)
    /// as keyed services (see <see cref="AddTaskcluster(IServiceCollection, string, Uri, TaskclusterCredentials?, Action{TaskclusterClientOptions}?)"/>),
    /// validated when the host starts. The options are the named options <paramref name="name"/>
    /// of <see cref="TaskclusterOptions"/>.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="name">The deployment's name (the service key and the options name).</param>
    /// <param name="configuration">The deployment's section, e.g. <c>configuration.GetSection("Taskcluster:Staging")</c>.</param>
    /// <param name="configureOptions">Changes the client options further.</param>
    /// <returns>The builder of this deployment's <see cref="HttpClient"/>.</returns>
    /// <exception cref="ArgumentException">The name is empty.</exception>
    public static IHttpClientBuilder AddTaskcluster(
        this IServiceCollection services,
        string name,
        IConfiguration configuration,
        Action<TaskclusterClientOptions>? configureOptions = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(configuration);

        var httpName = $"{HttpClientName}.{name}";
        var builder = AddHttpClient(services, httpName);
        BindOptions(services, name, configuration, configureOptions);
        AddKeyedClients(services, name, provider => FromOptions(provider, name, httpName, configureOptions));
        services.AddKeyedSingleton(name, (provider, _) => ConfigFromOptions(provider, name, configureOptions));
        return builder;
    }

    private static IHttpClientBuilder AddHttpClient(IServiceCollection services, string httpName) =>
        services
            .AddHttpClient(httpName, client => client.Timeout = Timeout.InfiniteTimeSpan) // the client times each attempt itself
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler
            {
                // Never follow redirects: a Hawk header must not go to another host.
                AllowAutoRedirect = false,
                AutomaticDecompression = DecompressionMethods.All,
            });

    private static void BindOptions(
        IServiceCollection services, string name, IConfiguration configuration, Action<TaskclusterClientOptions>? configureOptions)
    {
        services.AddOptions<TaskclusterOptions>(name).Bind(configuration).ValidateOnStart();
        services.AddSingleton<IValidateOptions<TaskclusterOptions>>(new TaskclusterOptionsValidator(name, configureOptions));
    }

    /// <summary>The F# client of a deployment's bound options (validated by <see cref="IOptionsMonitor{T}"/>: an invalid section throws <see cref="OptionsValidationException"/>).</summary>
    private static global::Taskcluster.Client.TaskclusterClient FromOptions(
        IServiceProvider provider, string name, string httpName, Action<TaskclusterClientOptions>? configureOptions)
    {
        var bound = provider.GetRequiredService<IOptionsMonitor<TaskclusterOptions>>().Get(name);
        var resolved = bound.Resolve(configureOptions, out var error)
            ?? throw new OptionsValidationException(name, typeof(TaskclusterOptions), [error ?? "invalid options"]);
        var options = resolved.Options;
        options.HttpClient = provider.GetRequiredService<IHttpClientFactory>().CreateClient(httpName);
        options.Logger ??= provider.GetService<ILoggerFactory>()?.CreateLogger("Taskcluster");
        return Connection.Create(resolved.RootUrl, resolved.Credentials, options);
    }

    private static TaskclusterConfig ConfigFromOptions(
        IServiceProvider provider, string name, Action<TaskclusterClientOptions>? configureOptions)
    {
        var bound = provider.GetRequiredService<IOptionsMonitor<TaskclusterOptions>>().Get(name);
        var resolved = bound.Resolve(configureOptions, out var error)
            ?? throw new OptionsValidationException(name, typeof(TaskclusterOptions), [error ?? "invalid options"]);
        return Config(resolved.RootUrl, resolved.Credentials);
    }

    /// <summary>The deployment's <see cref="TaskclusterConfig"/>: without credentials it looks in the environment, then for the proxy, as <see cref="TaskclusterConfig.Create"/> does.</summary>
    private static TaskclusterConfig Config(Uri rootUrl, TaskclusterCredentials? credentials) =>
        TaskclusterConfig.Create(rootUrl.AbsoluteUri, credentials).GetValueOrThrow();

    /// <summary>The generated registrations, as services keyed by the deployment's name (the exchange sets are shared).</summary>
    private static void AddKeyedClients(IServiceCollection services, string name, Func<IServiceProvider, global::Taskcluster.Client.TaskclusterClient> client)
    {
        var generated = new ServiceCollection();
        GeneratedRegistrations.AddClients(generated, client);
        foreach (var descriptor in generated)
        {
            if (descriptor.ImplementationFactory is { } factory)
            {
                services.AddKeyedTransient(descriptor.ServiceType, name, (provider, _) => factory(provider));
            }
            else
            {
                services.TryAdd(descriptor);
            }
        }
    }

    /// <summary>
    /// Registers every Taskcluster client for the deployment in <c>TASKCLUSTER_ROOT_URL</c> with the
    /// credentials in <c>TASKCLUSTER_CLIENT_ID</c>, <c>TASKCLUSTER_ACCESS_TOKEN</c> and
    /// <c>TASKCLUSTER_CERTIFICATE</c> (outside a task).
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configureOptions">Changes the options.</param>
    /// <returns>The builder of the <see cref="HttpClient"/> the clients send with.</returns>
    /// <exception cref="InvalidOperationException"><c>TASKCLUSTER_ROOT_URL</c> is not set.</exception>
    /// <exception cref="ArgumentException">The credentials in the environment or an option are invalid.</exception>
    public static IHttpClientBuilder AddTaskclusterFromEnvironment(
        this IServiceCollection services,
        Action<TaskclusterClientOptions>? configureOptions = null) =>
        services.AddTaskcluster(
            TaskclusterEnvironment.RootUrl
                ?? throw new InvalidOperationException("TASKCLUSTER_ROOT_URL is not set to an absolute URL."),
            TaskclusterCredentials.FromEnvironment(),
            configureOptions);
}
