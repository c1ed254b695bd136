using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.FSharp.Collections;
using Microsoft.FSharp.Core;
using C = Taskcluster.Core;
using P = Taskcluster.Pulse;

namespace Taskcluster;

/// <summary>
/// Listens to Taskcluster's Pulse events. A message is acknowledged once handled; a handler that
/// throws gets it once more, then it is rejected (dead-lettered where configured) and logged; a
/// lost connection is re-established with backoff and the queue and bindings declared again.
/// </summary>
public class PulseConsumer
{
    private readonly P.ConsumerOptions _options;

    /// <summary>A consumer for these options.</summary>
    /// <param name="options">Connection, queue, bindings and recovery.</param>
    /// <exception cref="ArgumentException">An option breaks the Pulse rules (the message names it).</exception>
    public PulseConsumer(PulseConsumerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(options.Bindings, nameof(options.Bindings));
        var defaults = P.Consumer.defaults(options.ToConnection());
        var reconnect = options.ReconnectDelay;
        var onConsuming = options.OnConsuming;
        _options = new P.ConsumerOptions(
            defaults.Connection,
            options.QueueName is null ? P.PulseQueue.Ephemeral : P.PulseQueue.NewDurable(options.QueueName),
            ListModule.OfSeq(options.Bindings.Select(b =>
                new C.PulseBinding(b.Exchange, b.RoutingKeyPattern, ListModule.OfSeq(b.RoutingKeyReference.Select(ToCore))))),
            options.Prefetch,
            options.DeadLetterExchange is null ? FSharpOption<string>.None : FSharpOption<string>.Some(options.DeadLetterExchange),
            reconnect is null ? defaults.ReconnectDelay : FuncConvert.FromFunc(reconnect),
            options.TimeProvider ?? TimeProvider.System,
            options.Logger ?? NullLogger.Instance,
            onConsuming is null ? defaults.OnConsuming : FuncConvert.FromAction(onConsuming));

        var valid = P.Consumer.validate(_options);
        if (valid.IsError)
        {
            throw new ArgumentException(valid.ErrorValue.Describe(), nameof(options));
        }
    }

    /// <summary>For mocking.</summary>
    protected PulseConsumer()
    {
        _options = null!;
    }

    private static C.RoutingKeyPart ToCore(RoutingKeyPart p) =>
        new(p.Name, p.Summary, p.Constant is null ? FSharpOption<string>.None : FSharpOption<string>.Some(p.Constant), p.MultipleWords, p.Required);

    /// <summary>A binding for an exchange name and a routing-key pattern (e.g. <c>route.index.my-project.#</c>); the routing key's parts come from the exchange references when they know the exchange.</summary>
    /// <param name="exchange">The full exchange name, <c>exchange/&lt;namespace&gt;/...</c>.</param>
    /// <param name="routingKeyPattern">The AMQP topic pattern.</param>
    /// <returns>The binding.</returns>
    /// <exception cref="ArgumentException">The exchange is not a Pulse exchange name, or the pattern is empty.</exception>
    public static PulseBinding Binding(string exchange, string routingKeyPattern)
    {
        ArgumentNullException.ThrowIfNull(exchange);
        ArgumentNullException.ThrowIfNull(routingKeyPattern);
        var binding = P.Consumer.binding(exchange, routingKeyPattern);
        if (binding.IsError)
        {
            throw new ArgumentException(binding.ErrorValue.Describe(), nameof(exchange));
        }

        return new PulseBinding(binding.ResultValue);
    }

    /// <summary>
    /// Messages one at a time, in queue order, until <paramref name="cancellationToken"/> is
    /// cancelled. A message is acknowledged when the next one is asked for; when the loop stops
    /// (break, exception, cancellation) the message in hand goes back to the queue.
    /// </summary>
    /// <param name="cancellationToken">Stops consumption and closes the connection.</param>
    /// <returns>The messages.</returns>
    public virtual IAsyncEnumerable<PulseMessage> ReadAllAsync(CancellationToken cancellationToken = default) =>
        // Not an iterator itself: the compiler would mark it [AsyncIteratorStateMachine(typeof(...))],
        // an attribute argument fsdocs cannot read, and the API reference would lose the page.
        ReadAll(cancellationToken);

    private async IAsyncEnumerable<PulseMessage> ReadAll([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var messages = P.Consumer.messages(_options).ResultValue;
        await foreach (var m in messages.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            yield return new PulseMessage(m);
        }
    }

    /// <summary>
    /// <see cref="ReadAllAsync(CancellationToken)"/> with each body deserialized into
    /// <typeparamref name="T"/> (System.Text.Json, web defaults unless given). A body that does
    /// not fit throws <see cref="System.Text.Json.JsonException"/> from the loop, and that message
    /// goes back to the queue.
    /// </summary>
    /// <typeparam name="T">The bodies' model type.</typeparam>
    /// <param name="options">Serializer options; null for the web defaults.</param>
    /// <param name="cancellationToken">Stops consumption and closes the connection.</param>
    /// <returns>The typed messages.</returns>
    public virtual IAsyncEnumerable<PulseMessage<T>> ReadAllAsync<T>(System.Text.Json.JsonSerializerOptions? options = null,
        CancellationToken cancellationToken = default) =>
        // Not an iterator itself, for the same reason as ReadAllAsync(CancellationToken).
        ReadAll<T>(options, cancellationToken);

    private async IAsyncEnumerable<PulseMessage<T>> ReadAll<T>(System.Text.Json.JsonSerializerOptions? options,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var m in ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return m.As<T>(options);
        }
    }

    /// <summary>
    /// Calls <paramref name="handler"/> for each message, up to <see cref="PulseConsumerOptions.Prefetch"/>
    /// at once, until <paramref name="cancellationToken"/> is cancelled; the task ends when
    /// consumption has stopped and the connection is closed.
    /// </summary>
    /// <param name="handler">Handles one message; throwing means it failed.</param>
    /// <param name="cancellationToken">Stops consumption.</param>
    /// <returns>A task that ends when the consumer has stopped.</returns>
    public virtual Task ConsumeAsync(Func<PulseMessage, CancellationToken, Task> handler, CancellationToken cancellationToken = default) =>
        // Not `async` itself, for the same reason as ReadAllAsync(CancellationToken).
        ConsumeCoreAsync(handler, cancellationToken);

    private async Task ConsumeCoreAsync(Func<PulseMessage, CancellationToken, Task> handler, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(handler);
        var f = FuncConvert.FromFunc<P.PulseMessage, CancellationToken, Task>((m, ct) => handler(new PulseMessage(m), ct));
        await P.Consumer.consume(_options, f, cancellationToken).ConfigureAwait(false);
    }
}
