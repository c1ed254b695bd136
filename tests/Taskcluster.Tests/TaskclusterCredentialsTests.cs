using System.Text.Json;
using Xunit;

namespace Taskcluster.Tests;

/// <summary>Credentials from the services' JSON, and when temporary ones need renewing.</summary>
public sealed class TaskclusterCredentialsTests : IClassFixture<EmulatorFixture>
{
    private readonly EmulatorFixture _tc;

    public TaskclusterCredentialsTests(EmulatorFixture tc) => _tc = tc;

    private static JsonElement Json(string text) => JsonDocument.Parse(text).RootElement;

    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }

    [Fact]
    public async Task CredentialsFromClaimWorkSignRequests()
    {
        var queue = new QueueClient(_tc.RootUrl, _tc.Root);
        var taskId = SlugIds.NewSlugId();
        (await queue.CreateTaskJsonAsync(taskId, Tasks.Definition(taskId, "claimed"))).GetValueOrThrow();

        var claim = (await queue.ClaimWorkJsonAsync("proj-test/worker", new { workerGroup = "g", workerId = "w", tasks = 1 }))
            .GetValueOrThrow();
        var claimed = claim.GetProperty("tasks")[0];
        var expected = claimed.GetProperty("credentials");

        // Both the credentials member and the whole claim are accepted.
        var fromCredentials = TaskclusterCredentials.FromJson(expected);
        var fromClaim = TaskclusterCredentials.FromJson(claimed);

        Assert.True(fromCredentials.IsTemporary);
        Assert.Equal(expected.GetProperty("clientId").GetString(), fromCredentials.ClientId);
        Assert.Equal(expected.GetProperty("accessToken").GetString(), fromClaim.AccessToken);
        Assert.Equal(expected.GetProperty("certificate").GetString(), fromClaim.Certificate);

        // The service accepts their signature, and grants them the claim's scopes, not the root's.
        var asWorker = new QueueClient(_tc.RootUrl, fromCredentials);
        var completed = await asWorker.ReportCompletedAsync(taskId, 0);
        Assert.True(completed.IsSuccess, completed.Error?.Description);
        var other = SlugIds.NewSlugId();
        var refused = await asWorker.CreateTaskJsonAsync(other, Tasks.Definition(other, "not allowed"));
        Assert.Equal(TaskclusterErrorKind.InsufficientScopes, refused.Error?.Kind);
    }

    [Fact]
    public void CertificateAsAnObjectIsAccepted()
    {
        var temporary = new TaskclusterCredentials("root", "secret-token")
            .CreateTemporary(TimeSpan.FromHours(1), ["a:b"]);
        var json = Json($$"""{"clientId": "{{temporary.ClientId}}", "accessToken": "{{temporary.AccessToken}}", "certificate": {{temporary.Certificate}}, "expires": "2030-01-01T00:00:00.000Z"}""");

        var credentials = TaskclusterCredentials.FromJson(json);

        Assert.Equal(temporary.AccessToken, credentials.AccessToken);
        Assert.Equal(JsonSerializer.Serialize(Json(temporary.Certificate!)), JsonSerializer.Serialize(Json(credentials.Certificate!)));
    }

    [Fact]
    public void PermanentCredentialsHaveNoCertificate()
    {
        var credentials = TaskclusterCredentials.FromJson(Json("""{"clientId": "c", "accessToken": "t", "certificate": null}"""));

        Assert.False(credentials.IsTemporary);
        Assert.False(credentials.IsExpired(DateTimeOffset.MaxValue));
    }

    [Theory]
    [InlineData("[]", "$: credentials must be a JSON object, not an array.")]
    [InlineData("""{"accessToken": "very-secret"}""", "$.clientId: missing.")]
    [InlineData("""{"clientId": "c"}""", "$.accessToken: missing.")]
    [InlineData("""{"clientId": 7, "accessToken": "very-secret"}""", "$.clientId: must be a string, not a number.")]
    [InlineData("""{"clientId": "c", "accessToken": ""}""", "$.accessToken: is empty.")]
    [InlineData("""{"clientId": "c", "accessToken": "very-secret", "certificate": 3}""", "$.certificate: must be JSON text or an object, not a number.")]
    [InlineData("""{"credentials": {"clientId": "c", "accessToken": ["very-secret"]}}""", "$.credentials.accessToken: must be a string, not an array.")]
    public void WrongShapesNameTheMember(string json, string expected)
    {
        var error = Assert.Throws<ArgumentException>(() => TaskclusterCredentials.FromJson(Json(json)));

        Assert.StartsWith(expected, error.Message);
        Assert.DoesNotContain("very-secret", error.Message);
    }

    [Fact]
    public void AnUnreadableCertificateIsRefused()
    {
        var error = Assert.Throws<ArgumentException>(() =>
            TaskclusterCredentials.FromJson(Json("""{"clientId": "c", "accessToken": "very-secret", "certificate": "{\"version\": 2}"}""")));

        Assert.StartsWith("$.certificate: ", error.Message);
        Assert.DoesNotContain("very-secret", error.Message);
    }

    [Fact]
    public void IsExpiredFollowsTheGivenClockWithATwentyMinuteMargin()
    {
        var start = new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var expiry = start.AddHours(1);
        var temporary = new TaskclusterCredentials("root", "secret-token").CreateTemporary(start, expiry, ["a:b"]);

        Assert.False(temporary.IsExpired(start));
        Assert.False(temporary.IsExpired(new FixedClock(expiry.AddMinutes(-21))));
        Assert.True(temporary.IsExpired(new FixedClock(expiry.AddMinutes(-19))));
        Assert.True(temporary.IsExpired(expiry.AddDays(1)));
    }

    [Fact]
    public void AnUnreadableCertificateCountsAsExpired()
    {
        var credentials = new TaskclusterCredentials("c", "t", "not json");

        Assert.True(credentials.IsExpired(DateTimeOffset.UnixEpoch));
        Assert.Throws<ArgumentNullException>(() => credentials.IsExpired((TimeProvider)null!));
    }
}
