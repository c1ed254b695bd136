using Xunit;

namespace Taskcluster.Tests;

/// <summary><c>credentialInformation</c> against the emulator's auth service.</summary>
public sealed class CredentialInformationTests : IClassFixture<EmulatorFixture>
{
    private readonly EmulatorFixture _tc;

    public CredentialInformationTests(EmulatorFixture tc) => _tc = tc;

    // The emulator grants anonymous requests no scopes, so the credentials must hold the two
    // that credentialInformation's calls require.
    private static readonly string[] InformationScopes = ["auth:current-scopes", "auth:get-client:test/*"];

    // A new permanent client, its credentials read from createClient's answer.
    private async Task<(TaskclusterCredentials Credentials, DateTimeOffset Expires)> NewClient(string scope)
    {
        var expires = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.AddDays(2).ToUnixTimeSeconds());
        var clientId = "test/" + SlugIds.NewSlugId();
        var created = await new AuthClient(_tc.RootUrl, _tc.Root).CreateClientJsonAsync(
            clientId, new { expires = expires.ToString("O"), description = "credential information", scopes = InformationScopes.Append(scope) });
        return (TaskclusterCredentials.FromJson(created.GetValueOrThrow()), expires);
    }

    [Fact]
    public async Task PermanentCredentials()
    {
        var (credentials, expires) = await NewClient("queue:get-task:a");

        var info = (await new AuthClient(_tc.RootUrl, credentials).CredentialInformationAsync()).GetValueOrThrow();

        Assert.Equal(credentials.ClientId, info.ClientId);
        Assert.False(info.IsTemporary);
        Assert.True(info.IsActive);
        Assert.Null(info.Start);
        Assert.Equal(expires, info.Expiry);
        Assert.Contains("queue:get-task:a", info.Scopes);
    }

    [Fact]
    public async Task TemporaryCredentialsReportTheirCertificate()
    {
        var (issuer, clientExpires) = await NewClient("queue:get-task:*");
        var start = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.AddMinutes(-1).ToUnixTimeSeconds());
        var temporary = issuer.CreateTemporary(start, start.AddHours(1), [.. InformationScopes, "queue:get-task:b"]);

        var info = (await new AuthClient(_tc.RootUrl, temporary).CredentialInformationAsync()).GetValueOrThrow();

        Assert.Equal(issuer.ClientId, info.ClientId);
        Assert.True(info.IsTemporary);
        Assert.Equal(start, info.Start);
        // The certificate expires before its issuing client does, so its expiry is the one reported.
        Assert.True(start.AddHours(1) < clientExpires);
        Assert.Equal(start.AddHours(1), info.Expiry);
        // The certificate's scopes (the service adds assume:anonymous), not the issuer's wider ones.
        Assert.Subset(info.Scopes.ToHashSet(), InformationScopes.Append("queue:get-task:b").ToHashSet());
        Assert.DoesNotContain("queue:get-task:*", info.Scopes);
    }

    [Fact]
    public async Task WithoutCredentialsNothingIsSent()
    {
        var result = await new AuthClient(_tc.RootUrl).CredentialInformationAsync();

        Assert.Equal(TaskclusterErrorKind.InvalidRequest, result.Error?.Kind);
    }
}
