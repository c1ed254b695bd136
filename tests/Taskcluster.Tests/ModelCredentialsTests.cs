using System.Text.Json;
using Taskcluster.Schemas;
using Xunit;

namespace Taskcluster.Tests;

/// <summary>
/// The credential models the services answer with become <see cref="TaskclusterCredentials"/> in
/// one step, and the emulator (which checks temporary credentials as auth does) accepts them.
/// </summary>
public sealed class ModelCredentialsTests : IClassFixture<EmulatorFixture>
{
    private readonly EmulatorFixture _tc;

    public ModelCredentialsTests(EmulatorFixture tc) => _tc = tc;

    private static T Ok<T>(TaskclusterResult<T> result) =>
        result.IsSuccess ? result.Value : throw new Xunit.Sdk.XunitException(result.Error!.Description);

    private static string UniqueQueue() =>
        "proj-test/creds-" + new string(SlugIds.NewSlugId().ToLowerInvariant().Where(char.IsAsciiLetterOrDigit).Take(8).ToArray());

    private static CreateTaskRequest Request(string taskGroupId, string taskQueueId) => new()
    {
        TaskQueueId = taskQueueId,
        SchedulerId = "-",
        TaskGroupId = taskGroupId,
        Created = DateTimeOffset.UtcNow,
        Deadline = DateTimeOffset.UtcNow.AddHours(1),
        Expires = DateTimeOffset.UtcNow.AddDays(1),
        Payload = JsonSerializer.SerializeToElement(new Dictionary<string, int>()),
        Metadata = new TaskMetadata
        {
            Name = "claimed for its credentials",
            Description = "A task claimed by the C# credential-model tests.",
            Owner = "tests@example.com",
            Source = "https://example.com/taskcluster-functional/tests",
        },
    };

    [Fact]
    public async Task ClaimCredentialsReclaimAndReportTheirTask()
    {
        var queue = new QueueClient(_tc.RootUrl, _tc.Root);
        var taskId = SlugIds.NewSlugId();
        var taskQueueId = UniqueQueue();
        Ok(await queue.CreateTaskAsync(taskId, Request(taskId, taskQueueId)));
        var claim = Assert.Single(Ok(await queue.ClaimWorkAsync(taskQueueId, new ClaimWorkRequest { WorkerGroup = "g", WorkerId = "w", Tasks = 1 })).Tasks);

        var claimed = claim.Credentials.ToCredentials();

        Assert.True(claimed.IsTemporary);
        Assert.Equal(claim.Credentials.ClientId, claimed.ClientId);
        Assert.Equal(claim.Credentials.AccessToken, claimed.AccessToken);
        Assert.Equal(claim.Credentials.Certificate, claimed.Certificate);

        // The claim's credentials reclaim the run, and the reclaim's new ones report it.
        var asWorker = new QueueClient(_tc.RootUrl, claimed);
        var reclaim = Ok(await asWorker.ReclaimTaskAsync(taskId, 0));
        var reclaimed = reclaim.Credentials.ToCredentials();
        Assert.True(reclaimed.IsTemporary);
        var completed = Ok(await new QueueClient(_tc.RootUrl, reclaimed).ReportCompletedAsync(taskId, 0));
        Assert.Equal(TaskStatusState.Completed, completed.Status.State);

        // They hold the claim's scopes, not the root's.
        var other = SlugIds.NewSlugId();
        var refused = await asWorker.CreateTaskAsync(other, Request(other, taskQueueId));
        Assert.Equal(TaskclusterErrorKind.InsufficientScopes, refused.Error?.Kind);
    }

    [Fact]
    public async Task ANewClientsCredentialsSignItsCalls()
    {
        var auth = new AuthClient(_tc.RootUrl, _tc.Root);
        var clientId = "tests/model-credentials-" + SlugIds.NewSlugId()[..8].ToLowerInvariant().Replace('_', 'x').Replace('-', 'x');
        var created = Ok(await auth.CreateClientAsync(clientId, new CreateClientRequest
        {
            Description = "made by the C# credential-model tests",
            Expires = DateTimeOffset.UtcNow.AddDays(1),
            Scopes = ["auth:current-scopes", "queue:get-artifact:public/*"],
        }));

        var credentials = created.ToCredentials();

        Assert.False(credentials.IsTemporary);
        Assert.Equal(clientId, credentials.ClientId);
        var scopes = Ok(await new AuthClient(_tc.RootUrl, credentials).CurrentScopesAsync());
        Assert.Contains("queue:get-artifact:public/*", scopes.Scopes);
    }

    [Fact]
    public void AnIncompleteModelNamesTheMemberAndHidesTheToken()
    {
        var noClient = new TaskCredentials { ClientId = "", AccessToken = "very-secret-token", Certificate = "{}" };
        var error = Assert.Throws<InvalidOperationException>(() => noClient.ToCredentials());
        Assert.Contains("TaskCredentials.clientId", error.Message);
        Assert.DoesNotContain("very-secret-token", error.Message);

        var badCertificate = new RegisterWorkerResponseCredentials { ClientId = "worker", AccessToken = "very-secret-token", Certificate = "not json" };
        error = Assert.Throws<InvalidOperationException>(() => badCertificate.ToCredentials());
        Assert.Contains("RegisterWorkerResponseCredentials.certificate", error.Message);
        Assert.DoesNotContain("very-secret-token", error.Message);

        // Without a certificate, worker-manager's credentials are permanent ones.
        var permanent = new ReregisterWorkerResponseCredentials { ClientId = "worker", AccessToken = "very-secret-token" }.ToCredentials();
        Assert.False(permanent.IsTemporary);
        Assert.DoesNotContain("very-secret-token", permanent.ToString());
    }
}
