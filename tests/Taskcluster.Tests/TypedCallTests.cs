using System.Net;
using System.Text;
using System.Text.Json;
using Taskcluster.Schemas;
using Xunit;

namespace Taskcluster.Tests;

/// <summary>
/// The typed forms of the generated methods against the emulator: models in, models out, the
/// schema's names on the wire, and a response that does not fit its model reported as
/// <see cref="TaskclusterErrorKind.InvalidResponse"/> with its JSON path.
/// </summary>
public sealed class TypedCallTests : IClassFixture<EmulatorFixture>
{
    private readonly EmulatorFixture _tc;

    public TypedCallTests(EmulatorFixture tc) => _tc = tc;

    private static T Ok<T>(TaskclusterResult<T> result) =>
        result.IsSuccess ? result.Value : throw new Xunit.Sdk.XunitException(result.Error!.Description);

    private static CreateTaskRequest Request(string taskGroupId, string name, string taskQueueId = "proj-test/worker") => new()
    {
        TaskQueueId = taskQueueId,
        SchedulerId = "-",
        TaskGroupId = taskGroupId,
        Created = DateTimeOffset.UtcNow,
        Deadline = DateTimeOffset.UtcNow.AddHours(1),
        Expires = DateTimeOffset.UtcNow.AddDays(1),
        Priority = TaskDefinitionPriority.Low,
        Tags = new Dictionary<string, string> { ["CamelCase_Tag"] = "kept" },
        Payload = JsonSerializer.SerializeToElement(new Dictionary<string, object>
        {
            ["env"] = new Dictionary<string, string> { ["MOZ_BUILD_DATE"] = "1", ["RUST_LOG"] = "debug" },
            ["maxRunTime"] = 600,
        }),
        Metadata = new TaskMetadata
        {
            Name = name,
            Description = "A task created by the typed C# tests.",
            Owner = "tests@example.com",
            Source = "https://example.com/taskcluster-functional/tests",
        },
    };

    [Fact]
    public async Task ATaskIsCreatedReadAndListedThroughItsModels()
    {
        var queue = new QueueClient(_tc.RootUrl, _tc.Root);
        var taskId = SlugIds.NewSlugId();

        var created = Ok(await queue.CreateTaskAsync(taskId, Request(taskId, "typed")));
        Assert.Equal(taskId, created.Status.TaskId);
        Assert.Equal(TaskStatusState.Pending, created.Status.State);

        var definition = Ok(await queue.TaskAsync(taskId));
        Assert.Equal("typed", definition.Metadata.Name);
        Assert.Equal(TaskDefinitionPriority.Low, definition.Priority);
        Assert.Equal("kept", definition.Tags["CamelCase_Tag"]);
        // The payload is the caller's: its names arrive as written.
        Assert.Equal("debug", definition.Payload.GetProperty("env").GetProperty("RUST_LOG").GetString());
        Assert.Equal("1", definition.Payload.GetProperty("env").GetProperty("MOZ_BUILD_DATE").GetString());

        // The JSON form sees the same task.
        var json = Ok(await queue.TaskJsonAsync(taskId));
        Assert.Equal("typed", json.GetProperty("metadata").GetProperty("name").GetString());

        var status = Ok(queue.Status(taskId));
        Assert.Equal(created.Status.TaskGroupId, status.Status.TaskGroupId);

        var listed = new List<TaskDefinitionAndStatus>();
        await foreach (var item in queue.ListTaskGroupItemsAsync(taskId))
        {
            listed.Add(Ok(item));
        }

        Assert.Equal(taskId, Assert.Single(listed).Status.TaskId);

        var pages = queue.ListTaskGroupPages(taskId).Select(Ok).ToList();
        Assert.Equal(taskId, Assert.Single(Assert.Single(pages).Tasks).Status.TaskId);
    }

    [Fact]
    public async Task AClaimGivesTypedCredentialsAndTheRunIsReported()
    {
        var queue = new QueueClient(_tc.RootUrl, _tc.Root);
        var taskId = SlugIds.NewSlugId();
        // A queue of its own: no other test's task is claimed instead.
        var taskQueueId = "proj-test/typed-" + new string(SlugIds.NewSlugId().ToLowerInvariant().Where(char.IsAsciiLetterOrDigit).Take(8).ToArray());
        Ok(await queue.CreateTaskAsync(taskId, Request(taskId, "claimed", taskQueueId)));

        var claim = Ok(await queue.ClaimWorkAsync(taskQueueId, new ClaimWorkRequest { WorkerGroup = "g", WorkerId = "w", Tasks = 1 }));

        var task = Assert.Single(claim.Tasks);
        Assert.Equal(taskId, task.Status.TaskId);
        Assert.Equal(0, task.RunId);
        Assert.False(string.IsNullOrEmpty(task.Credentials.ClientId));
        Assert.False(string.IsNullOrEmpty(task.Credentials.AccessToken));
        Assert.Equal(TaskStatusRunsItemState.Running, task.Status.Runs[0].State);

        var completed = Ok(await queue.ReportCompletedAsync(taskId, 0));
        Assert.Equal(TaskStatusState.Completed, completed.Status.State);
    }

    [Fact]
    public async Task KnownQueryParametersAndRouteArgumentsHaveTheirTypes()
    {
        var queue = new QueueClient(_tc.RootUrl, _tc.Root);
        var taskGroupId = SlugIds.NewSlugId();
        for (var i = 0; i < 3; i++)
        {
            Ok(await queue.CreateTaskAsync(i == 0 ? taskGroupId : SlugIds.NewSlugId(), Request(taskGroupId, $"limited {i}")));
        }

        // A page size is an int: pages of two hold all three tasks.
        var pages = new List<ListTaskGroupResponse>();
        await foreach (var page in queue.ListTaskGroupPagesAsync(taskGroupId, limit: 2))
        {
            pages.Add(Ok(page));
        }

        Assert.Equal(new[] { 2, 1 }, pages.Select(p => p.Tasks.Count).ToArray());

        // Values that cannot be sent are refused before any request, naming the parameter.
        Assert.Equal("limit", Assert.Throws<ArgumentOutOfRangeException>(() => queue.ListTaskGroup(taskGroupId, limit: 0)).ParamName);
        Assert.Equal("runId", (await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => queue.ReportCompletedAsync(taskGroupId, -1))).ParamName);
    }

    [Fact]
    public async Task ASecretIsWrittenAndReadThroughItsModel()
    {
        var secrets = new SecretsClient(_tc.RootUrl, _tc.Root);
        var name = $"project/typed-tests/{SlugIds.NewSlugId()}";
        var expires = new DateTimeOffset(2099, 1, 2, 3, 4, 5, 678, TimeSpan.Zero);

        Ok(await secrets.SetAsync(name, new Secret
        {
            Expires = expires,
            SecretValue = JsonSerializer.SerializeToElement(new Dictionary<string, string> { ["MOZ_BUILD_DATE"] = "1", ["URL"] = "x" }),
        }));

        var read = Ok(await secrets.GetAsync(name));
        Assert.Equal(expires, read.Expires);
        Assert.Equal(new[] { "MOZ_BUILD_DATE", "URL" }, read.SecretValue.EnumerateObject().Select(p => p.Name).Order().ToArray());
    }

    [Fact]
    public async Task ScopesAreAListOfStrings()
    {
        var auth = new AuthClient(_tc.RootUrl, _tc.Root);

        var scopes = Ok(await auth.CurrentScopesAsync());

        Assert.Contains("*", scopes.Scopes);
    }

    [Fact]
    public async Task AResponseThatDoesNotFitItsModelIsAnInvalidResponseNamingThePath()
    {
        var options = new TaskclusterClientOptions
        {
            HttpMessageHandler = new Rewrite("""{"status":{"taskId":"fN1SbArXTPSVFNUvaOlinQ","runs":"not a list"}}"""),
            MaxRetries = 0,
        };
        var queue = new QueueClient(_tc.RootUrl, _tc.Root, options);

        var result = await queue.StatusAsync(SlugIds.NewSlugId());

        Assert.False(result.IsSuccess);
        Assert.Equal(TaskclusterErrorKind.InvalidResponse, result.Error!.Kind);
        Assert.Equal("queue.status", result.Error.ApiMethod);
        Assert.StartsWith("$.status", result.Error.JsonPath);

        // The JSON form takes the same answer as it is.
        var json = Ok(await queue.StatusJsonAsync(SlugIds.NewSlugId()));
        Assert.Equal("not a list", json.GetProperty("status").GetProperty("runs").GetString());
    }

    [Fact]
    public async Task AnEmptyOrMalformedAnswerToATypedCallIsAnInvalidResponseNotAnException()
    {
        foreach (var body in new[] { "", "  ", """{"status":""", """{"status":{}} {}""", "[1, 2" })
        {
            var options = new TaskclusterClientOptions { HttpMessageHandler = new Rewrite(body), MaxRetries = 0 };
            var queue = new QueueClient(_tc.RootUrl, _tc.Root, options);

            var result = await queue.StatusAsync(SlugIds.NewSlugId());

            Assert.False(result.IsSuccess, body);
            Assert.Equal(TaskclusterErrorKind.InvalidResponse, result.Error!.Kind);
            Assert.Equal("queue.status", result.Error.ApiMethod);
            Assert.StartsWith("$", result.Error.JsonPath);
        }
    }

    /// <summary>Answers every request with the same 200 JSON body.</summary>
    private sealed class Rewrite(string body) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(body, Encoding.UTF8, "application/json") });
    }
}
