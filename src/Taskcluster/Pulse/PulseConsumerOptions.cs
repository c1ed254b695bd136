using Microsoft.Extensions.Logging;
using Microsoft.FSharp.Core;
using P = Taskcluster.Pulse;

namespace Taskcluster;

/// <summary>
/// How a <see cref="PulseConsumer"/> connects, what it binds and how it recovers. Give either
/// <see cref="Url"/> or <see cref="Hostname"/>, <see cref="Username"/> and <see cref="Password"/>;
/// <see cref="PulseConsumer"/> validates everything and throws <see cref="ArgumentException"/>
/// naming a bad value (never the password).
/// </summary>
public class PulseConsumerOptions
{
    /// <summary>An AMQP URL, <c>amqps://user:password@host:port/vhost</c> (<c>amqp</c> without TLS).</summary>
    public Uri? Url { get; set; }

    /// <summary>The broker's host name (when no <see cref="Url"/> is given).</summary>
    public string? Hostname { get; set; }

    /// <summary>The Pulse user; also the namespace of its queues.</summary>
    public string? Username { get; set; }

    /// <summary>The Pulse password (never logged or shown).</summary>
    public string? Password { get; set; }

    /// <summary>The virtual host; default <c>/</c>.</summary>
    public string VirtualHost { get; set; } = "/";

    /// <summary>Whether to use TLS when connecting by host name; default true, as Pulse requires.</summary>
    public bool UseTls { get; set; } = true;

    /// <summary>The port when connecting by host name; null for 5671 with TLS, 5672 without.</summary>
    public int? Port { get; set; }

    /// <summary>
    /// The durable queue to read from (<c>name</c> or <c>queue/&lt;user&gt;/name</c>): messages wait
    /// in it while the consumer is away. Null (the default) for an exclusive queue that lives as
    /// long as one connection.
    /// </summary>
    public string? QueueName { get; set; }

    /// <summary>What to bind the queue to: the exchange sets' methods (<c>new QueueEvents().TaskCompleted(...)</c>) or <see cref="PulseConsumer.Binding"/>.</summary>
    public IList<PulseBinding> Bindings { get; set; } = new List<PulseBinding>();

    /// <summary>How many unacknowledged messages are handed over at once (and handled at once by <see cref="PulseConsumer.ConsumeAsync"/>); default 5.</summary>
    public int Prefetch { get; set; } = 5;

    /// <summary>Where rejected messages go (durable queues only); null to drop them after logging.</summary>
    public string? DeadLetterExchange { get; set; }

    /// <summary>The delay before reconnection attempt n (1-based); null for 1 s doubling to 15 s.</summary>
    public Func<int, TimeSpan>? ReconnectDelay { get; set; }

    /// <summary>The clock reconnection delays are measured on; default the system clock.</summary>
    public TimeProvider? TimeProvider { get; set; }

    /// <summary>Where connections, reconnections and failed handlers are logged.</summary>
    public ILogger? Logger { get; set; }

    /// <summary>Called each time the queue is declared, bound and consumed from, with the connection's number (1 for the first).</summary>
    public Action<int>? OnConsuming { get; set; }

    /// <summary>Options from <c>PULSE_URL</c>, else <c>PULSE_HOSTNAME</c>, <c>PULSE_USERNAME</c>, <c>PULSE_PASSWORD</c>, <c>PULSE_VHOST</c> and <c>PULSE_PORT</c>.</summary>
    /// <exception cref="ArgumentException">The environment has no usable Pulse settings.</exception>
    public static PulseConsumerOptions FromEnvironment()
    {
        var connection = P.PulseConnectionModule.fromEnvironment();
        if (connection.IsError)
        {
            throw new ArgumentException(connection.ErrorValue.Describe());
        }

        var c = connection.ResultValue;
        return new PulseConsumerOptions
        {
            Hostname = c.Hostname,
            Username = c.Username,
            Password = c.Password,
            VirtualHost = c.VirtualHost,
            UseTls = c.UseTls,
            Port = c.Port,
        };
    }

    internal P.PulseConnection ToConnection()
    {
        FSharpResult<P.PulseConnection, P.PulseConnectionError> connection;
        if (Url is not null)
        {
            connection = P.PulseConnectionModule.parseUrl(Url.OriginalString);
        }
        else
        {
            connection = P.PulseConnectionModule.create(Hostname!, Username!, Password!, VirtualHost, UseTls);
            if (connection.IsOk && Port is int port)
            {
                connection = P.PulseConnectionModule.withPort(port, connection.ResultValue);
            }
        }

        if (connection.IsError)
        {
            throw new ArgumentException(connection.ErrorValue.Describe(), nameof(Url));
        }

        return connection.ResultValue;
    }
}
