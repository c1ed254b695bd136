using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Taskcluster.Tests;

/// <summary>What a C# caller's code looks like: create tasks, page a task group, handle errors.</summary>
public sealed class CallerTests : IClassFixture<EmulatorFixture>
{
    private readonly EmulatorFixture _tc;

    public CallerTests(EmulatorFixture tc) => _tc = tc;

    private QueueClient Queue() => new(_tc.RootUrl, _tc.Root);

    [Fact]
    public async Task CreateATaskAndReadItBack()
    {
        var queue = Queue();
        var taskId = SlugIds.NewSlugId();

        var created = await queue.CreateTaskJsonAsync(taskId, Tasks.Definition(taskId, "create"));

        Assert.True(created.IsSuccess, created.Error?.Description);
        Assert.Equal(taskId, created.Value.GetProperty("status").GetProperty("taskId").GetString());

        var definition = (await queue.TaskJsonAsync(taskId)).GetValueOrThrow();
        Assert.Equal("create", definition.GetProperty("metadata").GetProperty("name").GetString());
    }

    [Fact]
    public async Task PageThroughATaskGroupWithAwaitForeach()
    {
        var queue = Queue();
        var taskGroupId = SlugIds.NewSlugId();
        var taskIds = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            var taskId = i == 0 ? taskGroupId : SlugIds.NewSlugId();
            (await queue.CreateTaskJsonAsync(taskId, Tasks.Definition(taskGroupId, $"task {i}"))).GetValueOrThrow();
            taskIds.Add(taskId);
        }

        // Two per page: three pages, followed through continuationToken.
        var seen = new List<string>();
        await foreach (var task in queue.ListTaskGroupJsonItemsAsync(taskGroupId, limit: 2))
        {
            seen.Add(task.GetValueOrThrow().GetProperty("status").GetProperty("taskId").GetString()!);
        }

        Assert.Equal(taskIds.Order(), seen.Order());

        var pages = 0;
        await foreach (var page in queue.ListTaskGroupJsonPagesAsync(taskGroupId, limit: 2))
        {
            pages++;
            Assert.True(page.GetValueOrThrow().GetProperty("tasks").GetArrayLength() <= 2);
        }

        Assert.Equal(3, pages);
    }

    [Fact]
    public async Task AFailedPageEndsThePagingAsAFailedResult()
    {
        var taskGroupId = SlugIds.NewSlugId();
        for (var i = 0; i < 3; i++)
        {
            var taskId = i == 0 ? taskGroupId : SlugIds.NewSlugId();
            (await Queue().CreateTaskJsonAsync(taskId, Tasks.Definition(taskGroupId, $"task {i}"))).GetValueOrThrow();
        }

        // The first page is served; every later one (it carries a continuationToken) fails with a 500.
        var options = new TaskclusterClientOptions
        {
            MaxRetries = 0,
            HttpMessageHandler = new LaterPagesFail { InnerHandler = new HttpClientHandler { AllowAutoRedirect = false } },
        };
        var queue = new QueueClient(_tc.RootUrl, _tc.Root, options);

        var results = new List<TaskclusterResult<JsonElement>>();
        await foreach (var item in queue.ListTaskGroupJsonItemsAsync(taskGroupId, limit: 2))
        {
            results.Add(item);
        }

        var blocking = queue.ListTaskGroupJsonPages(taskGroupId, limit: 2).ToList();

        Assert.Equal([true, true, false], results.Select(r => r.IsSuccess));
        Assert.Equal(TaskclusterErrorKind.ServerError, results[^1].Error?.Kind);
        Assert.Equal(500, results[^1].Error?.Status);
        Assert.Equal([true, false], blocking.Select(r => r.IsSuccess));
        Assert.Equal(TaskclusterErrorKind.ServerError, blocking[^1].Error?.Kind);
    }

    [Fact]
    public async Task HandleAnErrorWithMatch()
    {
        var queue = Queue();

        var result = await queue.TaskJsonAsync(SlugIds.NewSlugId());

        var message = result.Match(
            task => "found " + task.GetProperty("metadata").GetProperty("name").GetString(),
            error => $"{error.Kind} {error.Status} {error.Code}");
        Assert.Equal("ClientError 404 ResourceNotFound", message);

        Assert.False(result.TryGetValue(out _));
        var thrown = Assert.Throws<TaskclusterException>(() => result.GetValueOrThrow());
        Assert.Equal(TaskclusterErrorKind.ClientError, thrown.Error.Kind);
        Assert.Equal("queue.task", thrown.Error.ApiMethod);
        Assert.Equal("GET", thrown.Error.HttpMethod);
        Assert.DoesNotContain(_tc.Emulator.AccessToken, thrown.Error.Description);
        Assert.Throws<InvalidOperationException>(() => result.Value);
    }

    [Fact]
    public async Task MapAndBindCarryValuesAndKeepFailures()
    {
        var queue = Queue();
        var taskId = SlugIds.NewSlugId();
        (await queue.CreateTaskJsonAsync(taskId, Tasks.Definition(taskId, "map"))).GetValueOrThrow();

        var state = (await queue.StatusJsonAsync(taskId)).Map(s => s.GetProperty("status").GetProperty("state").GetString());
        Assert.Equal("pending", state.Value);

        var missing = (await queue.StatusJsonAsync(SlugIds.NewSlugId()))
            .Bind(s => TaskclusterResult.Success(s.GetProperty("status")))
            .Map(s => s.GetProperty("state").GetString());
        Assert.False(missing.IsSuccess);
        Assert.Equal("ResourceNotFound", missing.Error.Code);
    }

    [Fact]
    public async Task InsufficientScopesAreTheirOwnKind()
    {
        _tc.Emulator.State.CreateClient("tests/no-scopes", "no-scopes-token-0000000000000000000000000", Array.Empty<string>());
        var queue = new QueueClient(_tc.RootUrl, new TaskclusterCredentials("tests/no-scopes", "no-scopes-token-0000000000000000000000000"));

        var result = await queue.CreateTaskJsonAsync(SlugIds.NewSlugId(), Tasks.Definition(SlugIds.NewSlugId(), "denied"));

        Assert.Equal(TaskclusterErrorKind.InsufficientScopes, result.Error?.Kind);
        Assert.Equal(403, result.Error?.Status);
    }

    [Fact]
    public async Task TemporaryCredentialsWork()
    {
        var name = "garbage/" + SlugIds.NewSlugId();
        var secret = new { secret = new { answer = 42 }, expires = FromNowOffsets.FromNowJson("1 hour") };
        (await new SecretsClient(_tc.RootUrl, _tc.Root).SetJsonAsync(name, secret)).GetValueOrThrow();

        var temporary = _tc.Root.CreateTemporary(TimeSpan.FromMinutes(10), new[] { "auth:current-scopes", "secrets:get:garbage/*" });
        Assert.True(temporary.IsTemporary);
        Assert.DoesNotContain(temporary.AccessToken, temporary.ToString());

        var secrets = new SecretsClient(_tc.RootUrl, temporary);
        var read = (await secrets.GetJsonAsync(name)).GetValueOrThrow();
        Assert.Equal(42, read.GetProperty("secret").GetProperty("answer").GetInt32());

        var denied = await secrets.GetJsonAsync("elsewhere/" + SlugIds.NewSlugId());
        Assert.Equal(TaskclusterErrorKind.InsufficientScopes, denied.Error?.Kind);

        var scopes = (await new AuthClient(_tc.RootUrl, temporary).CurrentScopesJsonAsync()).GetValueOrThrow();
        var current = scopes.GetProperty("scopes").EnumerateArray().Select(s => s.GetString()).ToList();
        Assert.Contains("secrets:get:garbage/*", current);
        Assert.DoesNotContain("*", current); // not the issuer's scopes
    }

    [Fact]
    public async Task GenericCallAndUrls()
    {
        var secrets = new SecretsClient(_tc.RootUrl, _tc.Root);
        var name = "garbage/" + SlugIds.NewSlugId();
        var secret = new { secret = new { password = "hunter2" }, expires = FromNowOffsets.FromNowJson("1 hour") };

        (await secrets.CallAsync("set", new[] { name }, secret)).GetValueOrThrow();
        var read = secrets.Call("get", new[] { name }).GetValueOrThrow();
        Assert.Equal("hunter2", read.GetProperty("secret").GetProperty("password").GetString());

        Assert.Equal($"{_tc.Emulator.RootUrl}/api/secrets/v1/secret/{Uri.EscapeDataString(name)}", secrets.BuildUrl("get", new[] { name }).Value);

        // A signed URL works without credentials.
        var signed = secrets.BuildSignedUrl("get", new[] { name }, expiration: TimeSpan.FromMinutes(1)).GetValueOrThrow();
        using var http = new HttpClient();
        using var response = await http.GetAsync(signed);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        var unknown = await secrets.CallAsync("noSuchMethod");
        Assert.Equal(TaskclusterErrorKind.InvalidRequest, unknown.Error?.Kind);
    }

    [Fact]
    public void SyncMethodsDoNotDeadlockUnderASingleThreadedContext()
    {
        var queue = Queue();
        var taskId = SlugIds.NewSlugId();

        var finished = SingleThreadedContext.TryRun(
            () =>
            {
                queue.CreateTaskJson(taskId, Tasks.Definition(taskId, "sync")).GetValueOrThrow();
                var items = queue.ListTaskGroupJsonItems(taskId, limit: 1).Count(r => r.IsSuccess);
                var name = queue.TaskJson(taskId).GetValueOrThrow().GetProperty("metadata").GetProperty("name").GetString();
                return (items, name);
            },
            TimeSpan.FromSeconds(60),
            out var result);

        Assert.True(finished, "the blocking calls deadlocked under a single-threaded SynchronizationContext");
        Assert.Equal((1, "sync"), result);
    }

    [Fact]
    public void TheSingleThreadedContextCatchesANaiveBlockingWait()
    {
        // The control for the test above: blocking on an await that captured the context deadlocks.
        static async Task<int> CapturesTheContext()
        {
            await Task.Delay(10);
            return 1;
        }

        var finished = SingleThreadedContext.TryRun(() => CapturesTheContext().GetAwaiter().GetResult(), TimeSpan.FromSeconds(1), out _);

        Assert.False(finished);
    }

    [Fact]
    public async Task CancellationThrowsAsInDotNet()
    {
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Queue().PingAsync(cancelled.Token));
    }

    [Fact]
    public void BadArgumentsThrowArgumentExceptions()
    {
        Assert.Throws<ArgumentNullException>(() => new QueueClient((Uri)null!));
        var bad = Assert.Throws<ArgumentException>(() => new QueueClient(_tc.RootUrl, new TaskclusterCredentials("someone", "")));
        Assert.Equal("credentials", bad.ParamName);
        var relative = Assert.Throws<ArgumentException>(() => new QueueClient(new Uri("/relative", UriKind.Relative)));
        Assert.Equal("rootUrl", relative.ParamName);
        Assert.Throws<ArgumentNullException>(() => { _ = Queue().TaskAsync(null!); });
        Assert.Throws<ArgumentNullException>(() => { _ = Queue().CreateTaskAsync("abc", null!); });
    }

    [Fact]
    public async Task DependencyInjectionResolvesEveryClientThroughTheHttpClientFactory()
    {
        var sent = 0;
        var services = new ServiceCollection();
        services.AddTaskcluster(_tc.RootUrl, _tc.Root, options => options.MaxRetries = 1)
            .AddHttpMessageHandler(() => new CountingHandler(() => Interlocked.Increment(ref sent)));

        using var provider = services.BuildServiceProvider();

        var queue = provider.GetRequiredService<QueueClient>();
        Assert.True((await queue.PingAsync()).IsSuccess);
        Assert.Equal(1, sent);

        // Every generated client; a TaskclusterApiClient needs the caller's reference, so it is not registered.
        foreach (var type in typeof(QueueClient).Assembly.GetExportedTypes()
                     .Where(t => t.IsSubclassOf(typeof(TaskclusterServiceClient)) && t != typeof(TaskclusterApiClient)))
        {
            Assert.NotNull(provider.GetRequiredService(type));
        }

        Assert.Same(provider.GetRequiredService<QueueEvents>(), provider.GetRequiredService<QueueEvents>());
        Assert.Throws<ArgumentException>(() => new ServiceCollection().AddTaskcluster(_tc.RootUrl, configureOptions: o => o.MaxRetries = -1));
    }

    [Fact]
    public void ExchangeBindings()
    {
        var events = new QueueEvents();

        var binding = events.TaskCompleted(taskId: "abc", runId: "0");
        Assert.Equal("exchange/taskcluster-queue/v1/task-completed", binding.Exchange);
        Assert.Equal("primary.abc.0.*.*.*.*.*.*.#", binding.RoutingKeyPattern);
        Assert.Equal("taskId", binding.RoutingKeyReference[1].Name);

        var byName = events.TaskCompleted(new Dictionary<string, string?> { ["taskId"] = "abc", ["runId"] = "0" });
        Assert.Equal(binding.RoutingKeyPattern, byName.RoutingKeyPattern);

        Assert.Equal("route.index.#", events.TaskCompletedWithPattern("route.index.#").RoutingKeyPattern);
        Assert.Throws<ArgumentException>(() => events.TaskCompleted(taskId: "a.b"));
    }

    [Fact]
    public void Helpers()
    {
        var slugId = SlugIds.NewSlugId();
        Assert.True(SlugIds.IsValid(slugId));
        Assert.Equal(slugId, SlugIds.Encode(SlugIds.Decode(slugId)));
        Assert.False(SlugIds.TryDecode("not a slugId", out _));
        var stable = SlugIds.StableSlugId();
        Assert.Equal(stable("build"), stable("build"));
        Assert.NotEqual(stable("build"), stable("test"));

        var reference = new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.Zero);
        Assert.Equal(reference.AddDays(2).AddHours(3), FromNowOffsets.FromNow("2 days 3 hours", reference));
        Assert.Equal("2024-01-01T01:00:00.000Z", FromNowOffsets.FromNowJson("1 hour", reference));
        Assert.Throws<ArgumentException>(() => FromNowOffsets.FromNow("3 fortnights"));

        Assert.True(Scopes.Satisfies(new[] { "queue:*" }, "queue:create-task:x"));
        Assert.True(Scopes.SatisfiesExpression(new[] { "a" }, """{"AnyOf": ["a", "b"]}"""));
        Assert.True(Scopes.ScopeMatch(new[] { "a", "b" }, new[] { new[] { "c" }, new[] { "a", "b" } }));
        Assert.Equal(new[] { "a*" }, Scopes.Normalize(new[] { "a*", "ab", "a" }));

        Assert.Equal("https://tc.example.com/api/queue/v1/task/abc", TaskclusterUrls.Api(new Uri("https://tc.example.com"), "queue", "v1", "task/abc"));
    }

    [Fact]
    public async Task ClientsCanBeMocked()
    {
        QueueClient queue = new FakeQueue();

        var result = await queue.TaskAsync("abc");

        Assert.Equal("fake", result.Value.Metadata.Name);
        Assert.Equal("fake", (await queue.TaskJsonAsync("abc")).Value.GetProperty("name").GetString());
    }

    private sealed class FakeQueue : QueueClient
    {
        // A typed model as a test double answers it, and the JSON form beside it.
        public override Task<TaskclusterResult<Schemas.TaskDefinition>> TaskAsync(string taskId, CancellationToken cancellationToken = default) =>
            System.Threading.Tasks.Task.FromResult(TaskclusterResult.Success(System.Text.Json.JsonSerializer.Deserialize(
                """{"provisionerId":"p","workerType":"w","taskQueueId":"p/w","schedulerId":"-","projectId":"none","taskGroupId":"fN1SbArXTPSVFNUvaOlinQ","dependencies":[],"requires":"all-completed","routes":[],"priority":"lowest","retries":5,"created":"2026-11-29T15:00:00.000Z","deadline":"2026-11-30T15:00:00.000Z","expires":"2027-11-29T15:00:00.000Z","scopes":[],"payload":{},"metadata":{"name":"fake","description":"d","owner":"o@example.com","source":"https://example.com/s"},"tags":{},"extra":{}}""",
                Schemas.TaskclusterJsonContext.Default.TaskDefinition)!));

        public override Task<TaskclusterResult<JsonElement>> TaskJsonAsync(string taskId, CancellationToken cancellationToken = default) =>
            System.Threading.Tasks.Task.FromResult(TaskclusterResult.Success(JsonDocument.Parse("""{"name": "fake"}""").RootElement));
    }

    private sealed class LaterPagesFail : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            request.RequestUri!.Query.Contains("continuationToken", StringComparison.Ordinal)
                ? System.Threading.Tasks.Task.FromResult(new HttpResponseMessage(HttpStatusCode.InternalServerError))
                : base.SendAsync(request, cancellationToken);
    }

    private sealed class CountingHandler(Action onSend) : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            onSend();
            return base.SendAsync(request, cancellationToken);
        }
    }
}
