using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Xunit;

namespace Taskcluster.Tests;

/// <summary>AddTaskcluster from configuration, for named deployments, and the registered TaskclusterConfig.</summary>
public sealed class DependencyInjectionTests : IClassFixture<EmulatorFixture>
{
    private readonly EmulatorFixture _tc;

    public DependencyInjectionTests(EmulatorFixture tc) => _tc = tc;

    private static IConfiguration Configuration(params (string Key, string? Value)[] values) =>
        new ConfigurationBuilder()
            .AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value)))
            .Build();

    private static async Task<IReadOnlyList<string>> Scopes(AuthClient auth)
    {
        var json = (await auth.CurrentScopesJsonAsync()).GetValueOrThrow();
        return json.GetProperty("scopes").EnumerateArray().Select(s => s.GetString()!).ToList();
    }

    [Fact]
    public void TaskclusterConfigIsRegisteredWithTheDeploymentsRootUrl()
    {
        var services = new ServiceCollection();
        services.AddTaskcluster(_tc.RootUrl, _tc.Root);
        using var provider = services.BuildServiceProvider();

        var config = provider.GetRequiredService<TaskclusterConfig>();
        Assert.Equal(_tc.RootUrl, config.RootUrl);
        Assert.Equal(TaskclusterAuthSource.Explicit, config.AuthSource);
        Assert.Same(config, provider.GetRequiredService<TaskclusterConfig>());
    }

    [Fact]
    public async Task OptionsAreBoundFromTheTaskclusterSection()
    {
        var configuration = Configuration(
            ("Taskcluster:RootUrl", _tc.Emulator.RootUrl),
            ("Taskcluster:ClientId", _tc.Emulator.ClientId),
            ("Taskcluster:AccessToken", _tc.Emulator.AccessToken),
            ("Taskcluster:AuthorizedScopes:0", "auth:current-scopes"),
            ("Taskcluster:AuthorizedScopes:1", "secrets:get:di-test"),
            ("Taskcluster:MaxRetries", "2"),
            ("Taskcluster:Timeout", "00:00:20"));
        var services = new ServiceCollection();
        services.AddTaskcluster(configuration.GetSection(TaskclusterOptions.SectionName));
        using var provider = services.BuildServiceProvider();

        provider.GetRequiredService<IStartupValidator>().Validate();
        var bound = provider.GetRequiredService<IOptions<TaskclusterOptions>>().Value;
        Assert.Equal(2, bound.MaxRetries);
        Assert.Equal(TimeSpan.FromSeconds(20), bound.Timeout);

        // The bound credentials sign, and the bound authorized scopes restrict them.
        Assert.Equal(["assume:anonymous", "auth:current-scopes", "secrets:get:di-test"], (await Scopes(provider.GetRequiredService<AuthClient>())).Order());
        Assert.Equal(_tc.RootUrl, provider.GetRequiredService<TaskclusterConfig>().RootUrl);
    }

    [Theory]
    [InlineData("RootUrl", "not a url", "not a url")]
    [InlineData("RootUrl", "ftp://tc.example.com", "ftp://tc.example.com")]
    [InlineData("MaxRetries", "-1", "-1")]
    [InlineData("Timeout", "-00:00:05", "Timeout")]
    public void AnInvalidSectionStopsTheStartNamingTheBadValue(string key, string value, string named)
    {
        var values = new Dictionary<string, string?> { ["Taskcluster:RootUrl"] = "https://tc.example.com", [$"Taskcluster:{key}"] = value };
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        var services = new ServiceCollection();
        services.AddTaskcluster(configuration.GetSection("Taskcluster"));
        using var provider = services.BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());
        Assert.Contains(named, error.Message, StringComparison.OrdinalIgnoreCase);
        // Resolving a client later fails the same way, never with a half-configured client.
        Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<QueueClient>());
    }

    [Fact]
    public void AMissingRootUrlOrHalfTheCredentialsIsAnErrorWithoutTheToken()
    {
        var configuration = Configuration(("Taskcluster:AccessToken", "secret-token-never-shown-0000000000000"));
        var services = new ServiceCollection();
        services.AddTaskcluster(configuration.GetSection("Taskcluster"));
        using var provider = services.BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());
        Assert.Contains("RootUrl", error.Message);
        Assert.DoesNotContain("secret-token-never-shown", error.Message);

        var half = Configuration(("Taskcluster:RootUrl", "https://tc.example.com"), ("Taskcluster:AccessToken", "secret-token-never-shown-0000000000000"));
        var halfServices = new ServiceCollection();
        halfServices.AddTaskcluster(half.GetSection("Taskcluster"));
        using var halfProvider = halfServices.BuildServiceProvider();
        var halfError = Assert.Throws<OptionsValidationException>(() => halfProvider.GetRequiredService<IStartupValidator>().Validate());
        Assert.DoesNotContain("secret-token-never-shown", halfError.Message);
    }

    [Fact]
    public async Task NamedDeploymentsAreKeyedServicesOfTheirOwn()
    {
        _tc.Emulator.State.CreateClient("tests/di-staging", "di-staging-token-000000000000000000000", ["auth:current-scopes", "auth:staging-only"]);
        var configuration = Configuration(
            ("Taskcluster:Staging:RootUrl", _tc.Emulator.RootUrl),
            ("Taskcluster:Staging:ClientId", "tests/di-staging"),
            ("Taskcluster:Staging:AccessToken", "di-staging-token-000000000000000000000"));
        var services = new ServiceCollection();
        services.AddTaskcluster("production", _tc.RootUrl, _tc.Root);
        services.AddTaskcluster("staging", configuration.GetSection("Taskcluster:Staging"));
        services.AddTaskcluster("other", new Uri("https://tc.example.com"));
        using var provider = services.BuildServiceProvider();
        provider.GetRequiredService<IStartupValidator>().Validate();

        Assert.Contains("*", await Scopes(provider.GetRequiredKeyedService<AuthClient>("production")));
        Assert.Equal(["assume:anonymous", "auth:current-scopes", "auth:staging-only"], (await Scopes(provider.GetRequiredKeyedService<AuthClient>("staging"))).Order());
        Assert.Equal(new Uri("https://tc.example.com"), provider.GetRequiredKeyedService<TaskclusterConfig>("other").RootUrl);
        Assert.Equal(_tc.RootUrl, provider.GetRequiredKeyedService<TaskclusterConfig>("staging").RootUrl);

        // Only named deployments: nothing unkeyed; the exchange sets are shared.
        Assert.Null(provider.GetService<QueueClient>());
        Assert.NotNull(provider.GetRequiredKeyedService<QueueClient>("other"));
        Assert.Same(provider.GetRequiredService<QueueEvents>(), provider.GetRequiredService<QueueEvents>());
    }

    [Fact]
    public void ANamedSectionThatIsInvalidStopsTheStartNamingTheDeployment()
    {
        var configuration = Configuration(("Taskcluster:Staging:RootUrl", "https://tc.example.com"), ("Taskcluster:Staging:MaxRetries", "-3"));
        var services = new ServiceCollection();
        services.AddTaskcluster("production", _tc.RootUrl, _tc.Root);
        services.AddTaskcluster("staging", configuration.GetSection("Taskcluster:Staging"));
        using var provider = services.BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());
        Assert.Contains("'staging'", error.Message);
        Assert.Contains("-3", error.Message);
        Assert.Throws<ArgumentException>(() => new ServiceCollection().AddTaskcluster(" ", _tc.RootUrl));
    }
}
