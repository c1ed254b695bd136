using System.Text.Json;
using Xunit;
using static Taskcluster.Tests.Transfers;

namespace Taskcluster.Tests;

/// <summary><see cref="TaskclusterConfig"/> with an injected environment (the process environment is never changed), against the emulator.</summary>
public sealed class ConfigTests : IClassFixture<EmulatorFixture>
{
    private readonly EmulatorFixture _tc;

    public ConfigTests(EmulatorFixture tc) => _tc = tc;

    private static Func<string, string?> Env(params (string Name, string Value)[] variables)
    {
        var map = variables.ToDictionary(v => v.Name, v => v.Value);
        return name => map.GetValueOrDefault(name);
    }

    private Func<string, string?> RootEnv(params (string Name, string Value)[] more) =>
        Env(more.Concat(new[]
        {
            ("TASKCLUSTER_ROOT_URL", _tc.Emulator.RootUrl),
            ("TASKCLUSTER_CLIENT_ID", _tc.Emulator.ClientId),
            ("TASKCLUSTER_ACCESS_TOKEN", _tc.Emulator.AccessToken),
        }).ToArray());

    [Fact]
    public void NoRootUrlIsAMissingRootUrlError()
    {
        var error = Failed(TaskclusterConfig.Create(getEnvironmentVariable: Env()));

        Assert.Equal(TaskclusterErrorKind.MissingRootUrl, error.Kind);
        Assert.Equal("rootUrl", error.Field);
        Assert.Contains("root", error.Description, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void AnInvalidRootUrlIsAnInvalidOptionsErrorQuotingIt()
    {
        var error = Failed(TaskclusterConfig.Create("ftp://tc.example.com", getEnvironmentVariable: Env()));

        Assert.Equal(TaskclusterErrorKind.InvalidOptions, error.Kind);
        Assert.StartsWith("rootUrl", error.Field);
        Assert.Contains("ftp://tc.example.com", error.Description);
    }

    [Fact]
    public void AuthorityComesFromCredentialsThenEnvironmentThenProxy()
    {
        var fromEnvironment = Ok(TaskclusterConfig.Create(getEnvironmentVariable: RootEnv()));
        Assert.Equal(new Uri(_tc.Emulator.RootUrl), fromEnvironment.RootUrl);
        Assert.Equal(TaskclusterAuthSource.Environment, fromEnvironment.AuthSource);
        Assert.Null(fromEnvironment.ProxyUrl);
        Assert.DoesNotContain(_tc.Emulator.AccessToken, fromEnvironment.ToString());

        var explicitly = Ok(TaskclusterConfig.Create(null, new TaskclusterCredentials("someone", "secret-token"), RootEnv()));
        Assert.Equal(TaskclusterAuthSource.Explicit, explicitly.AuthSource);
        Assert.DoesNotContain("secret-token", explicitly.ToString());

        var inTask = Ok(TaskclusterConfig.Create("https://tc.example.com", getEnvironmentVariable: Env(("TASK_ID", SlugIds.NewSlugId()))));
        Assert.Equal(TaskclusterAuthSource.Proxy, inTask.AuthSource);
        Assert.Equal(new Uri("http://taskcluster"), inTask.ProxyUrl);
        Assert.Equal(new Uri("https://tc.example.com"), inTask.RootUrl);

        var customProxy = Ok(TaskclusterConfig.Create("https://tc.example.com", getEnvironmentVariable: Env(("TASKCLUSTER_PROXY_URL", "http://localhost:8123"))));
        Assert.Equal(TaskclusterAuthSource.Proxy, customProxy.AuthSource);
        Assert.Equal(new Uri("http://localhost:8123"), customProxy.ProxyUrl);

        var anonymous = Ok(TaskclusterConfig.Create("https://tc.example.com", getEnvironmentVariable: Env()));
        Assert.Equal(TaskclusterAuthSource.Anonymous, anonymous.AuthSource);
    }

    [Fact]
    public async Task GetServiceMakesConfiguredClients()
    {
        var config = Ok(TaskclusterConfig.Create(getEnvironmentVariable: RootEnv()));

        var auth = Ok(config.GetService<AuthClient>());
        var scopes = Ok(await auth.CurrentScopesJsonAsync()).GetProperty("scopes").EnumerateArray().Select(s => s.GetString()).ToList();
        Assert.Contains("*", scopes);

        var byName = Ok(config.GetService("worker-manager"));
        Assert.IsType<WorkerManagerClient>(byName);
        Assert.Equal("worker-manager", byName.ServiceName);
        Assert.IsType<PurgeCacheClient>(Ok(config.GetService("PurgeCache")));
        var queue = Assert.IsType<QueueClient>(Ok(config.GetService("QUEUE")));
        Assert.True((await queue.PingAsync()).IsSuccess);

        var unknown = Failed(config.GetService("no-such-service"));
        Assert.Equal(TaskclusterErrorKind.UnknownService, unknown.Kind);
        Assert.Equal("no-such-service", unknown.Name);
        Assert.Contains("no-such-service", unknown.Description);
    }

    [Fact]
    public void BadCredentialsInTheEnvironmentFailWhenAClientIsMade()
    {
        var config = Ok(TaskclusterConfig.Create(getEnvironmentVariable: RootEnv(("TASKCLUSTER_CERTIFICATE", "{not json"))));

        var error = Failed(config.GetService<QueueClient>());

        Assert.Equal(TaskclusterErrorKind.InvalidOptions, error.Kind);
        Assert.StartsWith("credentials", error.Field);
        Assert.DoesNotContain(_tc.Emulator.AccessToken, error.Description);
    }

    [Fact]
    public async Task LoadSecretsMergesPrefixesAndNamesMissingKeys()
    {
        var config = Ok(TaskclusterConfig.Create(getEnvironmentVariable: RootEnv()));
        var secrets = Ok(config.GetService<SecretsClient>());
        var name = $"project/csharp/{SlugIds.NewSlugId()}";
        Ok(await secrets.SetJsonAsync(name, new
        {
            expires = FromNowOffsets.FromNowJson("1 day"),
            secret = new
            {
                common = new { api = "https://api.example.com", token = "common-token-value" },
                ci = new { token = "ci-token-value" },
            },
        }));
        var existing = new Dictionary<string, JsonElement> { ["verbose"] = JsonSerializer.SerializeToElement(true) };

        var merged = Ok(await config.LoadSecretsAsync(name, new[] { "common", "ci", "absent" }, new[] { "api", "token" }, existing));

        Assert.Equal(new[] { "api", "token", "verbose" }, merged.Keys.Order());
        Assert.Equal("ci-token-value", merged["token"].GetString());
        Assert.True(merged["verbose"].GetBoolean());

        var missing = Failed(await config.LoadSecretsAsync(name, new[] { "ci" }, new[] { "token", "api", "password" }));
        Assert.Equal(TaskclusterErrorKind.MissingSecrets, missing.Kind);
        Assert.Equal(new[] { "api", "password" }, missing.MissingKeys);
        Assert.Contains("api", missing.Description);
        Assert.Contains("password", missing.Description);
        Assert.DoesNotContain("ci-token-value", missing.Description);

        var whole = Ok(await config.LoadSecretsAsync(name));
        Assert.Equal(new[] { "ci", "common" }, whole.Keys.Order());
    }

    [Fact]
    public async Task LoadSecretsTakesLocalSecretsAndNeedsANameOtherwise()
    {
        var config = Ok(TaskclusterConfig.Create("https://tc.invalid", getEnvironmentVariable: Env()));
        var local = new Dictionary<string, JsonElement> { ["key"] = JsonSerializer.SerializeToElement("local") };

        var loaded = Ok(await config.LoadSecretsAsync(null, required: new[] { "key" }, localSecrets: local));
        Assert.Equal("local", loaded["key"].GetString());

        Assert.Equal(TaskclusterErrorKind.MissingSecretName, Failed(await config.LoadSecretsAsync(null)).Kind);
    }

    [Fact]
    public async Task AnonymousClientsAreRefusedWhatNeedsScopes()
    {
        var config = Ok(TaskclusterConfig.Create(_tc.Emulator.RootUrl, getEnvironmentVariable: Env()));

        var error = Failed(await config.LoadSecretsAsync("project/csharp/x"));

        Assert.Equal(TaskclusterErrorKind.InsufficientScopes, error.Kind);
        Assert.Equal(403, error.Status);
    }
}
