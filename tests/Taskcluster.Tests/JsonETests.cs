using System.Text.Json;
using Xunit;

namespace Taskcluster.Tests;

public class JsonETests
{
    private static readonly DateTimeOffset Now = new(2017, 1, 19, 16, 27, 20, 974, TimeSpan.Zero);

    private const string TaskclusterYml = """
        {
          "version": 1,
          "tasks": {
            "$let": {"head": {"$eval": "event.after"}, "repo": {"$eval": "event.repository.full_name"}},
            "in": [
              {
                "$if": "tasks_for == 'github-push'",
                "then": {
                  "taskId": {"$eval": "as_slugid('build')"},
                  "created": {"$fromNow": ""},
                  "deadline": {"$fromNow": "1 day"},
                  "metadata": {"name": "build ${repo}", "source": "https://github.com/${repo}/commit/${head}"},
                  "payload": {"command": ["make", "${head[:7]}"]}
                }
              }
            ]
          }
        }
        """;

    [Fact]
    public void RendersATaskclusterYmlForAPushOffline()
    {
        using var context = JsonDocument.Parse("""
            {"tasks_for": "github-push",
             "event": {"after": "0123456789abcdef", "repository": {"full_name": "mozilla/example"}}}
            """);
        using var template = JsonDocument.Parse(TaskclusterYml);
        // as_slugid is a function the GitHub service adds to the context; a plain string stands in here.
        var withSlug = TaskclusterYml.Replace("as_slugid('build')", "'fixed-task-id'");
        using var template2 = JsonDocument.Parse(withSlug);

        var result = JsonE.Render(template2.RootElement, context.RootElement, Now);

        Assert.True(result.IsSuccess, result.ToString());
        var task = result.Value.GetProperty("tasks")[0];
        Assert.Equal("fixed-task-id", task.GetProperty("taskId").GetString());
        Assert.Equal("2017-01-19T16:27:20.974Z", task.GetProperty("created").GetString());
        Assert.Equal("2017-01-20T16:27:20.974Z", task.GetProperty("deadline").GetString());
        Assert.Equal("build mozilla/example", task.GetProperty("metadata").GetProperty("name").GetString());
        Assert.Equal("0123456", task.GetProperty("payload").GetProperty("command")[1].GetString());

        // The unreplaced template calls a function the context lacks: a typed error with the place.
        var failed = JsonE.Render(template.RootElement, context.RootElement, Now);
        Assert.False(failed.IsSuccess);
        Assert.Equal(TaskclusterErrorKind.TemplateError, failed.Error!.Kind);
        Assert.Equal("InterpreterError", failed.Error.Name);
        Assert.Equal("template.tasks[0].taskId", failed.Error.JsonPath);
        Assert.Equal("unknown context value as_slugid", failed.Error.Message);
    }

    [Fact]
    public void RendersJsonTextAndReportsErrorsAsResults()
    {
        var ok = JsonE.Render("""{"a": {"$eval": "x + 1"}, "b": "${y}!"}""", """{"x": 41, "y": "hi"}""", Now);
        Assert.Equal("""{"a":42,"b":"hi!"}""", ok.GetValueOrThrow());

        var syntax = JsonE.Render("""{"$eval": "1 +* 2"}""", "{}", Now);
        Assert.False(syntax.IsSuccess);
        Assert.Equal(TaskclusterErrorKind.TemplateError, syntax.Error!.Kind);

        var limit = JsonE.Render("""{"$eval": "range(0, 1000000000)"}""", "{}", Now);
        Assert.Equal("LimitExceeded", limit.Error!.Name);

        Assert.Throws<ArgumentException>(() => JsonE.Render("{not json", "{}", Now));
        Assert.Throws<ArgumentNullException>(() => JsonE.Render(null!, "{}", Now));
    }
}
