using System.Reflection;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Taskcluster.Emulator;
using Taskcluster.Schemas;
using Xunit;

namespace Taskcluster.Tests;

/// <summary>
/// The exchange sets' typed decoding of message bodies: every exchange's decoder reads JSON
/// generated from its message schema and writes it back unchanged; a body of another shape or a
/// message of another exchange is an <see cref="TaskclusterErrorKind.InvalidResponse"/>, never an
/// exception; and a message the emulator published through a real broker decodes.
/// </summary>
public sealed class ExchangeMessageTests : IClassFixture<BrokerFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);
    private readonly BrokerFixture _broker;

    public ExchangeMessageTests(BrokerFixture broker) => _broker = broker;

    private static readonly Type[] ExchangeSets =
        typeof(QueueEvents).Assembly.GetExportedTypes()
            .Where(t => t.Namespace == "Taskcluster" && t.Name.EndsWith("Events", StringComparison.Ordinal))
            .ToArray();

    private static MethodInfo[] Decoders(Type set, Type parameter) =>
        set.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly)
            .Where(m => m.Name.StartsWith("Decode", StringComparison.Ordinal)
                        && m.GetParameters() is [var p] && p.ParameterType == parameter)
            .ToArray();

    public static IEnumerable<object[]> Exchanges() =>
        ExchangeSets.SelectMany(s => Decoders(s, typeof(JsonElement)).Select(m => new object[] { s.Name, m.Name }));

    private static T Ok<T>(TaskclusterResult<T> result) =>
        result.IsSuccess ? result.Value : throw new Xunit.Sdk.XunitException(result.Error!.Description);

    /// <summary>Calls a decoder by reflection: whether it succeeded, the value, the error.</summary>
    private static (bool IsSuccess, object? Value, TaskclusterError? Error) Invoke(object set, MethodInfo decoder, object body)
    {
        var result = decoder.Invoke(set, [body])!;
        var type = result.GetType();
        var ok = (bool)type.GetProperty("IsSuccess")!.GetValue(result)!;
        return (ok, ok ? type.GetProperty("Value")!.GetValue(result) : null, (TaskclusterError?)type.GetProperty("Error")!.GetValue(result));
    }

    [Fact]
    public void EveryExchangeWithAMessageSchemaHasItsDecoders()
    {
        var decoders = Exchanges().ToList();
        Assert.Contains(decoders, d => (string)d[0] == nameof(QueueEvents) && (string)d[1] == nameof(QueueEvents.DecodeTaskCompleted));
        // The queue's exchanges all have a message schema, and each gets its three forms.
        var queueBindings = typeof(QueueEvents).GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly)
            .Where(m => m.ReturnType == typeof(PulseBinding) && !m.Name.EndsWith("WithPattern", StringComparison.Ordinal))
            .Select(m => m.Name).Distinct().Order().ToArray();
        foreach (var parameter in new[] { typeof(JsonElement), typeof(ReadOnlyMemory<byte>), typeof(PulseMessage) })
        {
            Assert.Equal(queueBindings, Decoders(typeof(QueueEvents), parameter).Select(m => m.Name["Decode".Length..]).Order().ToArray());
        }
    }

    [Theory]
    [MemberData(nameof(Exchanges))]
    public void SchemaGeneratedBodiesDecodeAndWriteBackUnchanged(string setName, string decoderName)
    {
        var setType = ExchangeSets.Single(t => t.Name == setName);
        var set = Activator.CreateInstance(setType)!;
        var decoder = setType.GetMethod(decoderName, [typeof(JsonElement)])!;
        var bytesDecoder = setType.GetMethod(decoderName, [typeof(ReadOnlyMemory<byte>)])!;
        var model = decoder.ReturnType.GetGenericArguments()[0];
        var location = ModelRegistry.All.First(m => m.Value == model).Key;
        var info = TaskclusterJsonContext.Default.GetTypeInfo(model)!;

        foreach (var json in ModelTests.Samples(location, 12))
        {
            // A member a newer deployment might add is kept too.
            var input = JsonNode.Parse(json)!;
            if (input is JsonObject obj)
            {
                obj["x-newer-member"] = new JsonObject { ["kept"] = true };
            }

            var text = input.ToJsonString();
            var (ok, value, error) = Invoke(set, decoder, JsonDocument.Parse(text).RootElement);
            Assert.True(ok, $"{decoderName} refused valid JSON: {error?.Description}\n{text}");
            var back = JsonSerializer.Serialize(value, info);
            Assert.True(ModelTests.JsonEquals(input, JsonNode.Parse(back), nullMayBeAbsent: true), $"{decoderName} changed the JSON\nin:  {text}\nout: {back}");

            var (bytesOk, bytesValue, _) = Invoke(set, bytesDecoder, new ReadOnlyMemory<byte>(Encoding.UTF8.GetBytes(text)));
            Assert.True(bytesOk);
            Assert.Equal(back, JsonSerializer.Serialize(bytesValue, info));
        }

        // A body of another shape is an error value naming where it went wrong.
        var (refused, _, why) = Invoke(set, decoder, JsonDocument.Parse("[1, 2]").RootElement);
        Assert.False(refused);
        Assert.Equal(TaskclusterErrorKind.InvalidResponse, why!.Kind);
        Assert.NotNull(why.JsonPath);
    }

    [Fact]
    public void AWrongMemberIsNamedByItsPath()
    {
        var events = new QueueEvents();
        var body = """{"version": 1, "status": {"taskId": 12}, "runId": 0, "workerGroup": "g", "workerId": "w"}""";

        var result = events.DecodeTaskCompleted(JsonDocument.Parse(body).RootElement);

        Assert.False(result.IsSuccess);
        Assert.Equal(TaskclusterErrorKind.InvalidResponse, result.Error!.Kind);
        Assert.Contains("status", result.Error.JsonPath);
        Assert.Contains("exchange/taskcluster-queue/v1/task-completed", result.Error.Description);
        Assert.False(events.DecodeTaskCompleted(ReadOnlyMemory<byte>.Empty).IsSuccess);
        Assert.Throws<ArgumentNullException>(() => events.DecodeTaskCompleted((PulseMessage)null!));
    }

    [Fact]
    public async Task AMessageTheEmulatorPublishedDecodesThroughItsExchange()
    {
        var emulator = await TaskclusterEmulator.StartAsync(new EmulatorOptions { PulseUrl = _broker.Broker.AdminUrl.AbsoluteUri });
        try
        {
            var rootUrl = new Uri(emulator.RootUrl);
            var root = new TaskclusterCredentials(emulator.ClientId, emulator.AccessToken);
            var queue = new QueueClient(rootUrl, root);
            var events = new QueueEvents();
            var taskId = SlugIds.NewSlugId();
            var taskQueueId = "proj-test/messages-" + new string(SlugIds.NewSlugId().ToLowerInvariant().Where(char.IsAsciiLetterOrDigit).Take(8).ToArray());

            var user = $"cs-msg-{Guid.NewGuid():N}"[..16];
            var options = new PulseConsumerOptions
            {
                Url = await _broker.Broker.AddPulseUserAsync(user, "pw-" + user),
                ReconnectDelay = _ => TimeSpan.FromMilliseconds(200),
            };
            options.Bindings.Add(events.TaskCompleted(taskId: taskId));
            var consuming = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            options.OnConsuming = _ => consuming.TrySetResult();
            using var cts = new CancellationTokenSource(Timeout);
            await using var messages = new PulseConsumer(options).ReadAllAsync(cts.Token).GetAsyncEnumerator(cts.Token);
            var first = messages.MoveNextAsync().AsTask();
            await consuming.Task.WaitAsync(Timeout);

            Ok(await queue.CreateTaskAsync(taskId, new CreateTaskRequest
            {
                TaskQueueId = taskQueueId,
                SchedulerId = "-",
                TaskGroupId = taskId,
                Created = DateTimeOffset.UtcNow,
                Deadline = DateTimeOffset.UtcNow.AddHours(1),
                Expires = DateTimeOffset.UtcNow.AddDays(1),
                Payload = JsonSerializer.SerializeToElement(new Dictionary<string, int>()),
                Metadata = new TaskMetadata
                {
                    Name = "published",
                    Description = "A task whose completion the C# message tests decode.",
                    Owner = "tests@example.com",
                    Source = "https://example.com/taskcluster-functional/tests",
                },
            }));
            Assert.Single(Ok(await queue.ClaimWorkAsync(taskQueueId, new ClaimWorkRequest { WorkerGroup = "wg", WorkerId = "wid", Tasks = 1 })).Tasks);
            Ok(await queue.ReportCompletedAsync(taskId, 0));

            Assert.True(await first.WaitAsync(Timeout));
            var message = messages.Current;
            var typed = Ok(events.DecodeTaskCompleted(message));

            Assert.Same(message, typed.Message);
            Assert.Equal(taskId, typed.Body.Status.TaskId);
            Assert.Equal(TaskStatusState.Completed, typed.Body.Status.State);
            Assert.Equal(0, typed.Body.RunId);
            Assert.Equal("wg", typed.Body.WorkerGroup);
            Assert.Equal("wid", typed.Body.WorkerId);
            Assert.Equal(taskId, Ok(events.DecodeTaskCompleted(message.Body)).Status.TaskId);

            // A message is decoded through its own exchange only.
            var wrong = events.DecodeTaskFailed(message);
            Assert.Equal(TaskclusterErrorKind.InvalidResponse, wrong.Error?.Kind);
            Assert.Contains("task-completed", wrong.Error!.Description);
        }
        finally
        {
            await emulator.StopAsync();
        }
    }
}
