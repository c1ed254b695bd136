using System.Collections.Concurrent;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using RabbitMQ.Client;
using Taskcluster.Pulse.TestBroker;
using Xunit;

namespace Taskcluster.Tests;

/// <summary>One private RabbitMQ broker for the Pulse tests; a broker that cannot start fails them.</summary>
public sealed class BrokerFixture : IAsyncLifetime
{
    public PrivateBroker Broker { get; private set; } = null!;

    public async Task InitializeAsync() => Broker = await PrivateBroker.StartAsync();

    public async Task DisposeAsync()
    {
        if (Broker is not null)
        {
            await ((IAsyncDisposable)Broker).DisposeAsync();
        }
    }
}

/// <summary>The C# face of the Pulse consumer, against a real broker.</summary>
public sealed class PulseConsumerTests : IClassFixture<BrokerFixture>
{
    private const string Completed = "exchange/taskcluster-queue/v1/task-completed";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);
    private readonly BrokerFixture _fixture;

    public PulseConsumerTests(BrokerFixture fixture) => _fixture = fixture;

    private static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 11)];

    private async Task<PulseConsumerOptions> PulseUserAsync(params PulseBinding[] bindings)
    {
        var user = Unique("cs");
        var url = await _fixture.Broker.AddPulseUserAsync(user, "pw-" + user);
        var options = new PulseConsumerOptions { Url = url, ReconnectDelay = _ => TimeSpan.FromMilliseconds(200) };
        foreach (var b in bindings)
        {
            options.Bindings.Add(b);
        }

        return options;
    }

    private async Task PublishAsync(string routingKey, IEnumerable<string> routes, string body)
    {
        var factory = new ConnectionFactory { Uri = _fixture.Broker.AdminUrl };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(true, true));
        await channel.ExchangeDeclareAsync(Completed, ExchangeType.Topic, durable: true);
        var props = new BasicProperties
        {
            ContentType = "application/json",
            DeliveryMode = DeliveryModes.Persistent,
            Headers = new Dictionary<string, object?> { ["CC"] = routes.Select(r => (object)("route." + r)).ToList() },
        };
        await channel.BasicPublishAsync(Completed, routingKey, false, props, Encoding.UTF8.GetBytes(body));
    }

    private static async Task DeclareExchangeAsync(PrivateBroker broker)
    {
        var factory = new ConnectionFactory { Uri = broker.AdminUrl };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        await channel.ExchangeDeclareAsync(Completed, ExchangeType.Topic, durable: true);
    }

    private sealed record Status(string TaskId);

    private sealed record Body(Status Status);

    [Fact]
    public async Task ReadAllAsyncYieldsTypedMessagesWithFieldsAndRoutes()
    {
        await DeclareExchangeAsync(_fixture.Broker);
        var provisioner = Unique("prov");
        var options = await PulseUserAsync(new QueueEvents().TaskCompleted(provisionerId: provisioner));
        var consuming = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        options.OnConsuming = _ => consuming.TrySetResult();
        var consumer = new PulseConsumer(options);
        using var cts = new CancellationTokenSource(Timeout);

        await using var e = consumer.ReadAllAsync<Body>(cancellationToken: cts.Token).GetAsyncEnumerator(cts.Token);
        var first = e.MoveNextAsync().AsTask();
        await consuming.Task.WaitAsync(Timeout);
        await PublishAsync($"primary.abcAAAAAAAAAAAAAAAAAAA.0.wg.wid.{provisioner}.wt.sched.group._", ["index.x", "notify.y"],
            """{"status":{"taskId":"abcAAAAAAAAAAAAAAAAAAA"}}""");

        Assert.True(await first);
        Assert.Equal("abcAAAAAAAAAAAAAAAAAAA", e.Current.Body.Status.TaskId);
        var m = e.Current.Message;
        Assert.Equal(Completed, m.Exchange);
        Assert.Equal("abcAAAAAAAAAAAAAAAAAAA", m.RoutingKeyFields["taskId"]);
        Assert.Equal(provisioner, m.RoutingKeyFields["provisionerId"]);
        Assert.Equal(new[] { "index.x", "notify.y" }, m.Routes);
        Assert.False(m.Redelivered);
        Assert.Equal("abcAAAAAAAAAAAAAAAAAAA", m.As<Body>().Body.Status.TaskId);
    }

    [Fact]
    public async Task AHostedServiceConsumesUntilTheHostStops()
    {
        await DeclareExchangeAsync(_fixture.Broker);
        var route = Unique("route");
        var options = await PulseUserAsync(PulseConsumer.Binding(Completed, $"route.{route}"));
        var consuming = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        options.OnConsuming = _ => consuming.TrySetResult();

        var services = new ServiceCollection();
        services.AddPulseConsumer(o =>
        {
            o.Url = options.Url;
            o.ReconnectDelay = options.ReconnectDelay;
            o.OnConsuming = options.OnConsuming;
            o.QueueName = "hosted";
            o.Bindings.Add(options.Bindings[0]);
        });
        services.AddSingleton<RecordingService>();
        services.AddHostedService(p => p.GetRequiredService<RecordingService>());
        await using var provider = services.BuildServiceProvider();
        var hosted = provider.GetServices<IHostedService>().Single();
        var recorder = provider.GetRequiredService<RecordingService>();

        await hosted.StartAsync(CancellationToken.None);
        await consuming.Task.WaitAsync(Timeout);
        await PublishAsync("primary.taskAAAAAAAAAAAAAAAAAA.0.wg.wid.p.wt.sched.group._", [route], """{"n":1}""");
        var handled = await recorder.Handled.Task.WaitAsync(Timeout);
        await hosted.StopAsync(CancellationToken.None).WaitAsync(Timeout);

        Assert.Equal(new[] { route }, handled.Routes);
        Assert.Equal(1, handled.Body.GetProperty("n").GetInt32());
    }

    private sealed class RecordingService(PulseConsumer consumer) : PulseConsumerService(consumer)
    {
        public TaskCompletionSource<PulseMessage> Handled { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        protected override Task HandleAsync(PulseMessage message, CancellationToken cancellationToken = default)
        {
            Handled.TrySetResult(message);
            return Task.CompletedTask;
        }
    }

    [Fact]
    public async Task ConsumeAsyncEndsWhenCancelled()
    {
        await DeclareExchangeAsync(_fixture.Broker);
        var options = await PulseUserAsync(PulseConsumer.Binding(Completed, "#"));
        var consuming = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        options.OnConsuming = _ => consuming.TrySetResult();
        using var cts = new CancellationTokenSource();
        var running = new PulseConsumer(options).ConsumeAsync((_, _) => Task.CompletedTask, cts.Token);
        await consuming.Task.WaitAsync(Timeout);

        cts.Cancel();

        await running.WaitAsync(Timeout);
        Assert.True(running.IsCompletedSuccessfully);
    }

    [Fact]
    public void BadOptionsThrowArgumentExceptionsNamingTheValueButNeverThePassword()
    {
        var binding = PulseConsumer.Binding(Completed, "#");

        var noBindings = Assert.Throws<ArgumentException>(() =>
            new PulseConsumer(new PulseConsumerOptions { Url = new Uri("amqp://alice:s3cret-pw@localhost/") }));
        Assert.Contains("binding", noBindings.Message);

        var foreign = Assert.Throws<ArgumentException>(() => new PulseConsumer(new PulseConsumerOptions
        {
            Url = new Uri("amqp://alice:s3cret-pw@localhost/"),
            QueueName = "queue/bob/x",
            Bindings = { binding },
        }));
        Assert.Contains("queue/bob/x", foreign.Message);
        Assert.DoesNotContain("s3cret-pw", foreign.Message);

        var scheme = Assert.Throws<ArgumentException>(() => new PulseConsumer(new PulseConsumerOptions
        {
            Url = new Uri("http://alice:s3cret-pw@localhost/"),
            Bindings = { binding },
        }));
        Assert.DoesNotContain("s3cret-pw", scheme.Message);

        Assert.Throws<ArgumentException>(() => PulseConsumer.Binding("amq.topic", "#"));
    }
}
