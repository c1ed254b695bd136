using System.Net;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Taskcluster;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// <c>services.AddTaskcluster(...)</c>: every Taskcluster service client (transient, sending through
/// <see cref="IHttpClientFactory"/>) and every exchange set (singleton) for dependency injection.
/// </summary>
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

        return builder;
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
