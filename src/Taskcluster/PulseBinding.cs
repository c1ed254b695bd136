using C = Taskcluster.Core;

namespace Taskcluster;

/// <summary>What a Pulse consumer binds its queue with: an exchange and a routing-key pattern.</summary>
public sealed class PulseBinding
{
    /// <summary>A binding from its parts (for test doubles).</summary>
    /// <param name="exchange">The full exchange name.</param>
    /// <param name="routingKeyPattern">The AMQP topic pattern.</param>
    /// <param name="routingKeyReference">The parts of the exchange's routing keys.</param>
    public PulseBinding(string exchange, string routingKeyPattern, IReadOnlyList<RoutingKeyPart> routingKeyReference)
    {
        Exchange = exchange ?? throw new ArgumentNullException(nameof(exchange));
        RoutingKeyPattern = routingKeyPattern ?? throw new ArgumentNullException(nameof(routingKeyPattern));
        RoutingKeyReference = routingKeyReference ?? throw new ArgumentNullException(nameof(routingKeyReference));
    }

    internal PulseBinding(C.PulseBinding binding)
        : this(binding.Exchange, binding.RoutingKeyPattern, binding.RoutingKeyReference.Select(p => new RoutingKeyPart(p)).ToArray())
    {
    }

    /// <summary>The full exchange name, e.g. <c>exchange/taskcluster-queue/v1/task-completed</c>.</summary>
    public string Exchange { get; }

    /// <summary>The AMQP topic pattern, e.g. <c>primary.abc.*.*.*.*.*.*.*.#</c>.</summary>
    public string RoutingKeyPattern { get; }

    /// <summary>The parts of the exchange's routing keys, for reading the keys of arriving messages.</summary>
    public IReadOnlyList<RoutingKeyPart> RoutingKeyReference { get; }

    /// <inheritdoc/>
    public override string ToString() => $"{Exchange} {RoutingKeyPattern}";
}

/// <summary>One word (or, for <see cref="MultipleWords"/>, several) of a Pulse routing key.</summary>
public sealed class RoutingKeyPart
{
    /// <summary>A part from its properties (for test doubles).</summary>
    /// <param name="name">The part's name.</param>
    /// <param name="summary">Its documentation.</param>
    /// <param name="constant">Its fixed value, or null.</param>
    /// <param name="multipleWords">Whether it may span several words.</param>
    /// <param name="required">Whether the publisher always fills it in.</param>
    public RoutingKeyPart(string name, string summary, string? constant, bool multipleWords, bool required)
    {
        Name = name ?? throw new ArgumentNullException(nameof(name));
        Summary = summary ?? "";
        Constant = constant;
        MultipleWords = multipleWords;
        Required = required;
    }

    internal RoutingKeyPart(C.RoutingKeyPart part)
        : this(part.Name, part.Summary, part.Constant?.Value, part.MultipleWords, part.Required)
    {
    }

    /// <summary>The name used in patterns, e.g. <c>taskId</c>.</summary>
    public string Name { get; }

    /// <summary>Documentation (Markdown).</summary>
    public string Summary { get; }

    /// <summary>The fixed value of this part, or null.</summary>
    public string? Constant { get; }

    /// <summary>Whether the part may span several dot-separated words.</summary>
    public bool MultipleWords { get; }

    /// <summary>Whether the publisher always fills the part in (otherwise <c>_</c> stands for a missing value).</summary>
    public bool Required { get; }
}
