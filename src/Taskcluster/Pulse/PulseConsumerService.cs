using Microsoft.Extensions.Hosting;

namespace Taskcluster;

/// <summary>
/// A hosted service that consumes Pulse messages for as long as the host runs: derive from it,
/// implement <see cref="HandleAsync"/>, and register it with
/// <c>services.AddPulseConsumer(...)</c> and <c>services.AddHostedService&lt;MyConsumer&gt;()</c>.
/// </summary>
public abstract class PulseConsumerService : BackgroundService
{
    /// <summary>A service consuming with this consumer.</summary>
    /// <param name="consumer">The consumer (usually the one <c>AddPulseConsumer</c> registered).</param>
    protected PulseConsumerService(PulseConsumer consumer)
    {
        Consumer = consumer ?? throw new ArgumentNullException(nameof(consumer));
    }

    /// <summary>The consumer this service runs.</summary>
    protected PulseConsumer Consumer { get; }

    /// <summary>Handles one message; throwing means it failed (it comes back once, then is rejected).</summary>
    /// <param name="message">The message.</param>
    /// <param name="cancellationToken">Cancelled when the host stops.</param>
    /// <returns>A task that ends when the message is handled.</returns>
    protected abstract Task HandleAsync(PulseMessage message, CancellationToken cancellationToken = default);

    /// <summary>Consumes until the host stops.</summary>
    /// <param name="cancellationToken">Cancelled when the host stops.</param>
    /// <returns>A task that ends when consumption has stopped.</returns>
    protected override Task ExecuteAsync(CancellationToken cancellationToken = default) =>
        Consumer.ConsumeAsync(HandleAsync, cancellationToken);
}
