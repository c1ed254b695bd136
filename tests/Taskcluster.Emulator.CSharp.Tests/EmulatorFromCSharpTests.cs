using System;
using System.Net;
using System.Net.Http;
using System.Threading.Tasks;
using Taskcluster.Emulator;
using Xunit;

namespace Taskcluster.Emulator.CSharp.Tests;

public class EmulatorFromCSharpTests
{
    [Fact]
    public async Task StartsServesAndStops()
    {
        await using var tc = await TaskclusterEmulator.StartAsync(new EmulatorOptions { Port = 0, RootClientId = "csharp/root" });
        Assert.StartsWith("http://127.0.0.1:", tc.RootUrl);
        Assert.Equal("csharp/root", tc.ClientId);
        Assert.False(string.IsNullOrEmpty(tc.AccessToken));

        using var http = new HttpClient();
        var ping = await http.GetAsync($"{tc.RootUrl}/api/queue/v1/ping");
        Assert.Equal(HttpStatusCode.OK, ping.StatusCode);

        // anonymous callers get 403 with a Taskcluster error body naming the missing scope
        var denied = await http.GetAsync($"{tc.RootUrl}/api/secrets/v1/secret/x");
        Assert.Equal(HttpStatusCode.Forbidden, denied.StatusCode);
        Assert.Contains("secrets:get:x", await denied.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task RootUriIsTheRootUrlAsAUriForTheClients()
    {
        await using var tc = await TaskclusterEmulator.StartAsync();
        Uri root = tc.RootUri;
        Assert.True(root.IsAbsoluteUri);
        Assert.Equal(tc.RootUrl, root.GetLeftPart(UriPartial.Authority));

        using var http = new HttpClient();
        var ping = await http.GetAsync(new Uri(root, "/api/queue/v1/ping"));
        Assert.Equal(HttpStatusCode.OK, ping.StatusCode);
    }

    [Fact]
    public async Task FaultsAndStateAreProgrammable()
    {
        await using var tc = await TaskclusterEmulator.StartAsync();
        tc.Faults.Inject(FaultTarget.Route("queue", "ping"), Fault.Status(503), 1);
        tc.State.CreateClient("csharp/client", "token", new[] { "queue:*" });
        tc.State.CreateRole("csharp-role", new[] { "secrets:get:*" });

        using var http = new HttpClient();
        var first = await http.GetAsync($"{tc.RootUrl}/api/queue/v1/ping");
        var second = await http.GetAsync($"{tc.RootUrl}/api/queue/v1/ping");
        Assert.Equal((HttpStatusCode)503, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Contains("csharp/client", tc.State.ClientIds);
        Assert.Contains("secrets:get:*", tc.State.ExpandScopes(new[] { "assume:csharp-role" }));
        Assert.Equal(0, tc.Faults.Remaining);
        Assert.Empty(new EmulatorOptions().Validate());
    }
}
