using System.Text.Json;
using Xunit;

namespace Taskcluster.Tests;

/// <summary>Results and errors made by hand, as test doubles of the clients make them.</summary>
public sealed class TaskclusterResultTests
{
    private sealed class MissingTaskQueue : QueueClient
    {
        public override Task<TaskclusterResult<Schemas.TaskDefinition>> TaskAsync(string taskId, CancellationToken cancellationToken = default) =>
            System.Threading.Tasks.Task.FromResult(TaskclusterResult.Failure<Schemas.TaskDefinition>(
                new TaskclusterError(TaskclusterErrorKind.ClientError, $"queue.task: 404 no task {taskId}")
                {
                    Status = 404,
                    Code = "ResourceNotFound",
                    ApiMethod = "queue.task",
                    HttpMethod = "GET",
                    Url = $"https://tc.example.com/api/queue/v1/task/{taskId}",
                }));
    }

    [Fact]
    public async Task AMockedFailureIsSeenAsAFailedCall()
    {
        QueueClient queue = new MissingTaskQueue();

        var result = await queue.TaskAsync("abc");

        Assert.False(result.IsSuccess);
        Assert.Equal(
            "ClientError 404 ResourceNotFound GET queue.task",
            result.Match(_ => "success", e => $"{e.Kind} {e.Status} {e.Code} {e.HttpMethod} {e.ApiMethod}"));
        Assert.Equal("queue.task: 404 no task abc", Assert.Throws<TaskclusterException>(() => result.GetValueOrThrow()).Message);
        Assert.Equal("Error(queue.task: 404 no task abc)", result.ToString());
    }

    [Fact]
    public void AFailureStaysTheSameFailureThroughMapAndBind()
    {
        var error = new TaskclusterError(TaskclusterErrorKind.Timeout, "slow") { Timeout = TimeSpan.FromSeconds(3), Attempts = 2 };

        var mapped = TaskclusterResult.Failure<int>(error).Map(i => i + 1).Bind(i => TaskclusterResult.Success(i.ToString()));

        Assert.Same(error, mapped.Error);
        Assert.Equal(2, mapped.Error!.Attempts);
    }

    [Fact]
    public void BadErrorArgumentsAreRefused()
    {
        Assert.Throws<ArgumentNullException>(() => TaskclusterResult.Failure<int>(null!));
        Assert.Throws<ArgumentNullException>(() => new TaskclusterError(TaskclusterErrorKind.Timeout, null!));
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new TaskclusterError((TaskclusterErrorKind)999, "x"));
        Assert.Contains("999", error.Message);
    }
}
