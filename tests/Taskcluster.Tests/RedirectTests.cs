using Taskcluster.Schemas;
using Xunit;

namespace Taskcluster.Tests;

/// <summary>
/// The methods that answer with a redirect give the target URL as their value (not a
/// <see cref="TaskclusterErrorKind.Redirect"/> error), against the emulator.
/// </summary>
public sealed class RedirectTests : IClassFixture<EmulatorFixture>
{
    private readonly EmulatorFixture _tc;

    public RedirectTests(EmulatorFixture tc) => _tc = tc;

    private static T Ok<T>(TaskclusterResult<T> result) =>
        result.IsSuccess ? result.Value : throw new Xunit.Sdk.XunitException(result.Error!.Description);

    /// <summary>A claimed task (run 0) with a reference artifact pointing at <paramref name="target"/>.</summary>
    private async Task<string> TaskWithReferenceAsync(string name, string target)
    {
        var queue = new QueueClient(_tc.RootUrl, _tc.Root);
        var taskId = SlugIds.NewSlugId();
        var taskQueueId = "proj-test/redirect-" + new string(SlugIds.NewSlugId().ToLowerInvariant().Where(char.IsAsciiLetterOrDigit).Take(8).ToArray());
        Ok(await queue.CreateTaskAsync(taskId, new CreateTaskRequest
        {
            TaskQueueId = taskQueueId,
            SchedulerId = "-",
            TaskGroupId = taskId,
            Created = DateTimeOffset.UtcNow,
            Deadline = DateTimeOffset.UtcNow.AddHours(1),
            Expires = DateTimeOffset.UtcNow.AddDays(1),
            Payload = System.Text.Json.JsonSerializer.SerializeToElement(new Dictionary<string, int>()),
            Metadata = new TaskMetadata
            {
                Name = "redirects",
                Description = "A task with a reference artifact, for the C# redirect tests.",
                Owner = "tests@example.com",
                Source = "https://example.com/taskcluster-functional/tests",
            },
        }));
        Assert.Single(Ok(await queue.ClaimWorkAsync(taskQueueId, new ClaimWorkRequest { WorkerGroup = "g", WorkerId = "w", Tasks = 1 })).Tasks);
        Ok(await queue.CreateReferenceArtifactAsync(taskId, 0, name, target, "text/plain", DateTimeOffset.UtcNow.AddHours(12)));
        return taskId;
    }

    [Fact]
    public async Task GetArtifactAndGetLatestArtifactGiveTheTargetUrl()
    {
        var target = "https://downloads.example.com/builds/" + SlugIds.NewSlugId() + "/target.zip?x=1";
        var taskId = await TaskWithReferenceAsync("public/build/target.zip", target);
        var queue = new QueueClient(_tc.RootUrl, _tc.Root);

        Assert.Equal(new Uri(target), Ok(await queue.GetArtifactAsync(taskId, 0, "public/build/target.zip")));
        Assert.Equal(new Uri(target), Ok(queue.GetLatestArtifact(taskId, "public/build/target.zip")));
        Assert.Equal(new Uri(target), Ok(await new QueueClient(_tc.RootUrl).GetLatestArtifactAsync(taskId, "public/build/target.zip")));

        // The JSON form still reports the redirect as the service sent it.
        var json = await queue.GetArtifactJsonAsync(taskId, 0, "public/build/target.zip");
        Assert.Equal(TaskclusterErrorKind.Redirect, json.Error?.Kind);
        Assert.Equal(target, json.Error?.Location);
    }

    [Fact]
    public async Task FindArtifactFromTaskGivesTheQueueUrlOfTheIndexedTask()
    {
        var taskId = await TaskWithReferenceAsync("public/log.txt", "https://logs.example.com/" + SlugIds.NewSlugId());
        var indexPath = "tests.redirects." + new string(SlugIds.NewSlugId().ToLowerInvariant().Where(char.IsAsciiLetterOrDigit).Take(8).ToArray());
        var index = new IndexClient(_tc.RootUrl, _tc.Root);
        Ok(await index.InsertTaskAsync(indexPath, new InsertTaskRequest
        {
            TaskId = taskId,
            Rank = 1,
            Data = System.Text.Json.JsonSerializer.SerializeToElement(new Dictionary<string, int>()),
            Expires = DateTimeOffset.UtcNow.AddDays(1),
        }));

        var url = Ok(await index.FindArtifactFromTaskAsync(indexPath, "public/log.txt"));

        Assert.True(url.IsAbsoluteUri);
        Assert.EndsWith($"/api/queue/v1/task/{taskId}/artifacts/public%2Flog.txt", url.AbsoluteUri);
        Assert.Equal(url, Ok(index.FindArtifactFromTask(indexPath, "public/log.txt")));
        // The queue URL leads on to the artifact's own target.
        Assert.Equal(TaskclusterErrorKind.Redirect, (await index.FindArtifactFromTaskJsonAsync(indexPath, "public/log.txt")).Error?.Kind);
    }

    [Fact]
    public async Task AMissingArtifactOrABadRunIsAnErrorNotAUrl()
    {
        var taskId = await TaskWithReferenceAsync("public/there", "https://example.com/there");
        var queue = new QueueClient(_tc.RootUrl, _tc.Root);

        var missing = await queue.GetArtifactAsync(taskId, 0, "public/not-there");
        Assert.False(missing.IsSuccess);
        Assert.Equal(404, missing.Error!.Status);

        Assert.Equal("runId", Assert.Throws<ArgumentOutOfRangeException>(() => queue.GetArtifact(taskId, -1, "public/there")).ParamName);
        Assert.Equal("name", (await Assert.ThrowsAsync<ArgumentNullException>(() => queue.GetLatestArtifactAsync(taskId, null!))).ParamName);
    }
}
