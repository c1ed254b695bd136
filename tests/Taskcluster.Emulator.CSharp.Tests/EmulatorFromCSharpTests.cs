using System;
using System.Net;
using System.Net.Http;
using System.Text;
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

    [Fact]
    public async Task GithubPullRequestsFollowTheDefaultBranchPolicyAndTheCollaborators()
    {
        await using var tc = await TaskclusterEmulator.StartAsync();
        tc.State.CreateRole("repo:github.com/myorg/myrepo:pull-request", new[]
        {
            "queue:create-task:project:none", "queue:scheduler-id:taskcluster-github",
            "queue:create-task:lowest:proj-ci/*", "queue:route:statuses",
        });
        const string yml = """
            version: 1
            policy:
              pullRequests: collaborators
            tasks:
              - taskQueueId: proj-ci/linux
                deadline: {$fromNow: '1 day'}
                payload: {}
                metadata: {name: pr, description: pr, owner: ci@example.com, source: 'https://github.com/myorg/myrepo'}
            """;
        const string head = "abcdefabcdefabcdefabcdefabcdefabcdef0001";
        tc.State.SetRepositoryFile("myorg", "myrepo", "main", ".taskcluster.yml", yml);
        tc.State.SetRepositoryFile("myorg", "myrepo", head, ".taskcluster.yml", yml);
        tc.State.SetCollaborators("myorg", "myrepo", new[] { "alice" });

        using var http = new HttpClient();
        async Task Deliver(string action, string opener)
        {
            var body = $$"""
                {"action": "{{action}}", "number": 3,
                 "pull_request": {"number": 3, "title": "t", "user": {"login": "{{opener}}"},
                   "head": {"ref": "f", "sha": "{{head}}", "user": {"login": "{{opener}}"} },
                   "base": {"ref": "main", "sha": "1111111111111111111111111111111111111111", "user": {"login": "myorg"} } },
                 "repository": {"name": "myrepo", "owner": {"login": "myorg"}, "default_branch": "main",
                   "html_url": "https://github.com/myorg/myrepo"} }
                """;
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(tc.RootUri, "/api/github/v1/github"))
            {
                Content = new StringContent(body, Encoding.UTF8, "application/json"),
            };
            request.Headers.Add("X-GitHub-Event", "pull_request");
            var response = await http.SendAsync(request);
            Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        }

        await Deliver("opened", "mallory");
        Assert.Empty(tc.State.TaskIds);
        var comment = Assert.Single(tc.State.GithubComments);
        Assert.Equal("3", comment.Number);
        Assert.Contains("No Taskcluster jobs started for this pull request", comment.Body);

        await Deliver("opened", "alice");
        Assert.Single(tc.State.TaskIds);
        Assert.Single(tc.State.GithubComments);
    }
}
