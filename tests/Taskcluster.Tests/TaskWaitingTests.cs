using System.Text.Json;
using Taskcluster.Schemas;
using Xunit;

namespace Taskcluster.Tests;

/// <summary><c>QueueClient.WaitForTaskAsync</c> against the emulator, by polling.</summary>
public sealed class TaskWaitingTests : IClassFixture<EmulatorFixture>
{
    private readonly EmulatorFixture _tc;

    public TaskWaitingTests(EmulatorFixture tc) => _tc = tc;

    private static TaskWaitOptions Polling(TimeSpan timeout) => new()
    {
        Timeout = timeout,
        PollInterval = TimeSpan.FromMilliseconds(20),
        MaxPollInterval = TimeSpan.FromMilliseconds(200),
    };

    // a task queue of its own, so that a claim takes this test's task and no other
    private readonly string _taskQueueId = "proj-test/wait-" + Guid.NewGuid().ToString("N")[..8];

    private async Task<(QueueClient Queue, string TaskId)> PendingTask()
    {
        var queue = new QueueClient(_tc.RootUrl, _tc.Root);
        var taskId = SlugIds.NewSlugId();
        var now = DateTimeOffset.UtcNow;
        (await queue.CreateTaskAsync(taskId, new CreateTaskRequest
        {
            TaskQueueId = _taskQueueId,
            Created = now,
            Deadline = now.AddHours(1),
            Payload = JsonSerializer.SerializeToElement(new Dictionary<string, object>()),
            Metadata = new TaskMetadata { Name = "wait", Description = "waited for", Owner = "tests@example.com", Source = "https://example.com/wait" },
        })).GetValueOrThrow();
        return (queue, taskId);
    }

    [Fact]
    public async Task AWaitStartedBeforeTheTaskCompletesEndsWithItsOutcome()
    {
        var (queue, taskId) = await PendingTask();
        var waiting = queue.WaitForTaskAsync(taskId, Polling(TimeSpan.FromMinutes(2)));

        var claimed = (await queue.ClaimWorkAsync(_taskQueueId, new ClaimWorkRequest { WorkerGroup = "wg", WorkerId = "w", Tasks = 1 })).GetValueOrThrow();
        Assert.Equal(taskId, Assert.Single(claimed.Tasks).Status.TaskId);
        (await queue.ReportCompletedAsync(taskId, 0)).GetValueOrThrow();

        var outcome = (await waiting).GetValueOrThrow();
        Assert.Equal(TaskOutcomeKind.Completed, outcome.Kind);
        Assert.Equal(0, outcome.RunId);
        Assert.Null(outcome.Reason);
    }

    [Fact]
    public async Task ATaskResolvedBeforeTheWaitIsFoundAtOnceWithItsReason()
    {
        var (queue, taskId) = await PendingTask();
        (await queue.CancelTaskAsync(taskId)).GetValueOrThrow();

        var outcome = queue.WaitForTask(taskId, Polling(TimeSpan.FromMinutes(2))).GetValueOrThrow();
        Assert.Equal(TaskOutcomeKind.Exception, outcome.Kind);
        Assert.Equal("canceled", outcome.Reason);
    }

    [Fact]
    public async Task TheTimeoutIsATimeoutErrorAndABadIdAnInvalidRequest()
    {
        var (queue, taskId) = await PendingTask();

        var timedOut = await queue.WaitForTaskAsync(taskId, Polling(TimeSpan.FromMilliseconds(200)));
        Assert.False(timedOut.IsSuccess);
        Assert.Equal(TaskclusterErrorKind.Timeout, timedOut.Error!.Kind);
        Assert.Contains(taskId, timedOut.Error.Description);

        var bad = await queue.WaitForTaskAsync("not a slugId", Polling(TimeSpan.FromMinutes(1)));
        Assert.Equal(TaskclusterErrorKind.InvalidRequest, bad.Error!.Kind);
        Assert.Equal("taskId", bad.Error.Field);

        Assert.Throws<ArgumentException>(() => queue.WaitForTask(taskId, new TaskWaitOptions { Timeout = TimeSpan.Zero }));
        await Assert.ThrowsAsync<ArgumentNullException>(() => queue.WaitForTaskAsync(null!));
    }
}
