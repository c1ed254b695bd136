using System.Text.Json;
using Xunit;

namespace Taskcluster.Tests;

/// <summary>
/// Object payloads reach the service with their property names exactly as written: anonymous
/// types, records and dictionaries, nested in each other. A secret is stored and read back, so the
/// names checked are the ones the service kept.
/// </summary>
public sealed class PayloadTests : IClassFixture<EmulatorFixture>
{
    private readonly EmulatorFixture _tc;

    public PayloadTests(EmulatorFixture tc) => _tc = tc;

    /// <summary>A record whose property names are not camelCase.</summary>
    public sealed record BuildEnvironment(string MOZ_BUILD_DATE, string URL, string RUST_LOG);

    /// <summary>A record whose property names are the schema's.</summary>
    public sealed record SecretRequest(object secret, string expires);

    private static string Expires => FromNowOffsets.FromNowJson("1 day");

    private async Task<JsonElement> StoreAndRead(object payload)
    {
        var secrets = new SecretsClient(_tc.RootUrl, _tc.Root);
        var name = $"project/payload-tests/{SlugIds.NewSlugId()}";
        (await secrets.SetJsonAsync(name, payload)).GetValueOrThrow();
        return (await secrets.GetJsonAsync(name)).GetValueOrThrow().GetProperty("secret");
    }

    private static void AssertNames(JsonElement secret)
    {
        var names = secret.EnumerateObject().Select(p => p.Name).Order().ToArray();
        Assert.Equal(new[] { "MOZ_BUILD_DATE", "RUST_LOG", "URL" }, names);
        Assert.Equal("x", secret.GetProperty("URL").GetString());
    }

    [Fact]
    public async Task AnAnonymousTypeKeepsItsPropertyNames()
    {
        var secret = await StoreAndRead(new
        {
            secret = new { MOZ_BUILD_DATE = "1", URL = "x", RUST_LOG = "debug" },
            expires = Expires,
        });

        AssertNames(secret);
    }

    [Fact]
    public async Task ARecordKeepsItsPropertyNames()
    {
        var secret = await StoreAndRead(new SecretRequest(new BuildEnvironment("1", "x", "debug"), Expires));

        AssertNames(secret);
    }

    [Fact]
    public async Task ADictionaryKeepsItsKeys()
    {
        var secret = await StoreAndRead(new Dictionary<string, object>
        {
            ["secret"] = new Dictionary<string, object> { ["MOZ_BUILD_DATE"] = "1", ["URL"] = "x", ["RUST_LOG"] = "debug" },
            ["expires"] = Expires,
        });

        AssertNames(secret);
    }
}
