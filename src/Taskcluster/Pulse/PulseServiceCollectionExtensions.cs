using Taskcluster;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary><c>services.AddPulseConsumer(...)</c>: a <see cref="PulseConsumer"/> for dependency injection.</summary>
public static class PulseServiceCollectionExtensions
{
    /// <summary>Registers a <see cref="PulseConsumer"/> (singleton) configured by <paramref name="configure"/>; the options are validated now.</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Sets the connection, queue and bindings.</param>
    /// <returns>The service collection.</returns>
    /// <exception cref="ArgumentException">An option is invalid.</exception>
    public static IServiceCollection AddPulseConsumer(this IServiceCollection services, Action<PulseConsumerOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        var options = new PulseConsumerOptions();
        configure(options);
        var consumer = new PulseConsumer(options);
        services.AddSingleton(consumer);
        return services;
    }
}
