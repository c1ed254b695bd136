using System.Text.Json;
using Xunit;

namespace Taskcluster.Tests;

/// <summary>A client made from a caller's API reference (Python's <c>createApiClient</c>).</summary>
public sealed class TaskclusterApiClientTests : IClassFixture<EmulatorFixture>
{
    // A reference of the caller's own, naming the queue's task lookup differently from the
    // queue's reference, so only this reference can resolve it.
    private static readonly JsonElement Reference = JsonDocument.Parse("""
        {
          "$schema": "/schemas/common/api-reference-v0.json#",
          "apiVersion": "v1",
          "serviceName": "queue",
          "title": "A custom view of the queue",
          "description": "Only what the test needs.",
          "entries": [
            {
              "type": "function", "method": "get", "name": "fetchDefinition", "route": "/task/<taskId>",
              "args": ["taskId"], "query": [], "stability": "stable", "category": "Tasks",
              "title": "Fetch a definition", "description": "The task definition.",
              "scopes": "queue:get-task:<taskId>"
            }
          ]
        }
        """).RootElement;

    private readonly EmulatorFixture _tc;

    public TaskclusterApiClientTests(EmulatorFixture tc) => _tc = tc;

    [Fact]
    public async Task MethodsOfTheReferenceAreCalledByName()
    {
        var taskId = SlugIds.NewSlugId();
        (await new QueueClient(_tc.RootUrl, _tc.Root).CreateTaskJsonAsync(taskId, Tasks.Definition(taskId, "custom"))).GetValueOrThrow();
        var custom = new TaskclusterApiClient(Reference, _tc.RootUrl, _tc.Root);

        var task = await custom.CallAsync("fetchDefinition", [taskId]);
        var sync = custom.Call("fetchDefinition", [taskId]);

        Assert.Equal("queue", custom.ServiceName);
        Assert.Equal("custom", task.GetValueOrThrow().GetProperty("metadata").GetProperty("name").GetString());
        Assert.Equal("custom", sync.GetValueOrThrow().GetProperty("metadata").GetProperty("name").GetString());
        Assert.Equal($"{_tc.RootUrl.AbsoluteUri.TrimEnd('/')}/api/queue/v1/task/{taskId}", custom.BuildUrl("fetchDefinition", [taskId]).Value);
    }

    [Fact]
    public async Task AMethodTheReferenceLacksIsAnInvalidRequest()
    {
        var custom = new TaskclusterApiClient(Reference, _tc.RootUrl);

        var result = await custom.CallAsync("task", ["abc"]);

        Assert.Equal(TaskclusterErrorKind.InvalidRequest, result.Error?.Kind);
        Assert.Equal("queue.task", result.Error?.ApiMethod);
    }

    [Fact]
    public void AJsonThatIsNotAReferenceIsRefused()
    {
        var json = JsonDocument.Parse("""{"serviceName": "queue", "entries": 3}""").RootElement;

        var error = Assert.Throws<ArgumentException>(() => new TaskclusterApiClient(json, _tc.RootUrl));

        Assert.StartsWith("Not an API reference: ", error.Message);
        Assert.Equal("reference", error.ParamName);
    }

    [Fact]
    public void ItIsNotListedAmongTheServiceClients()
    {
        // Configuration looks services up by name among the package's clients; the queue stays the QueueClient.
        var config = TaskclusterConfig.Create(_tc.RootUrl.AbsoluteUri, getEnvironmentVariable: _ => null).GetValueOrThrow();

        Assert.IsType<QueueClient>(config.GetService("queue").GetValueOrThrow());
    }
}
