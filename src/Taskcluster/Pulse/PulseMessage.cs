using System.Text.Json;
using P = Taskcluster.Pulse;

namespace Taskcluster;

/// <summary>One Pulse message as it arrived.</summary>
public class PulseMessage
{
    /// <summary>A message from its parts (for test doubles).</summary>
    /// <param name="exchange">The exchange it was published to.</param>
    /// <param name="routingKey">The primary routing key.</param>
    /// <param name="routingKeyFields">The routing key's named parts.</param>
    /// <param name="routes">The task's routes (CC entries without <c>route.</c>).</param>
    /// <param name="redelivered">Whether it was delivered before.</param>
    /// <param name="body">The JSON body.</param>
    public PulseMessage(string exchange, string routingKey, IReadOnlyDictionary<string, string> routingKeyFields,
        IReadOnlyList<string> routes, bool redelivered, JsonElement body)
    {
        Exchange = exchange ?? throw new ArgumentNullException(nameof(exchange));
        RoutingKey = routingKey ?? throw new ArgumentNullException(nameof(routingKey));
        RoutingKeyFields = routingKeyFields ?? throw new ArgumentNullException(nameof(routingKeyFields));
        Routes = routes ?? throw new ArgumentNullException(nameof(routes));
        Redelivered = redelivered;
        Body = body;
    }

    internal PulseMessage(P.PulseMessage message)
        : this(message.Exchange, message.RoutingKey,
            message.RoutingKeyFields.ToDictionary(kv => kv.Key, kv => kv.Value),
            message.Routes.ToArray(), message.Redelivered, message.Body)
    {
    }

    /// <summary>The exchange, e.g. <c>exchange/taskcluster-queue/v1/task-completed</c>.</summary>
    public string Exchange { get; }

    /// <summary>The primary routing key.</summary>
    public string RoutingKey { get; }

    /// <summary>The routing key's parts by name (<c>taskId</c>, <c>runId</c>, ...), from the exchange reference; empty for an exchange no reference describes.</summary>
    public IReadOnlyDictionary<string, string> RoutingKeyFields { get; }

    /// <summary>The task's routes: the message's <c>route.*</c> CC entries, prefix removed.</summary>
    public IReadOnlyList<string> Routes { get; }

    /// <summary>Whether the broker delivered it before (after a failure or a lost connection).</summary>
    public bool Redelivered { get; }

    /// <summary>The body (raw JSON).</summary>
    public JsonElement Body { get; }

    /// <summary>The message with its body deserialized into <typeparamref name="T"/> (System.Text.Json, web defaults unless given).</summary>
    /// <typeparam name="T">The body's model type.</typeparam>
    /// <param name="options">Serializer options; null for <see cref="JsonSerializerDefaults.Web"/>.</param>
    /// <returns>The typed message.</returns>
    /// <exception cref="JsonException">The body does not fit <typeparamref name="T"/>.</exception>
    public virtual PulseMessage<T> As<T>(JsonSerializerOptions? options = null) =>
        new(this, Body.Deserialize<T>(options ?? WebOptions)!);

    private static readonly JsonSerializerOptions WebOptions = new(JsonSerializerDefaults.Web);

    /// <inheritdoc/>
    public override string ToString() => $"{Exchange} {RoutingKey}";
}

/// <summary>A message with its body as a typed model, and the message itself for the rest.</summary>
/// <typeparam name="T">The body's model type.</typeparam>
public sealed class PulseMessage<T>
{
    /// <summary>A typed message from the message and its decoded body.</summary>
    /// <param name="message">The message.</param>
    /// <param name="body">The decoded body.</param>
    public PulseMessage(PulseMessage message, T body)
    {
        Message = message ?? throw new ArgumentNullException(nameof(message));
        Body = body;
    }

    /// <summary>The message as it arrived (raw JSON body included).</summary>
    public PulseMessage Message { get; }

    /// <summary>The typed body.</summary>
    public T Body { get; }
}
