using System.Text.Json;
using Microsoft.FSharp.Collections;
using Microsoft.FSharp.Core;
using Microsoft.FSharp.Reflection;
using Taskcluster.Schemas;
using Xunit;
using F = Taskcluster.Client;
using P = Taskcluster.Pulse;

namespace Taskcluster.Tests;

/// <summary><c>QueueClient.SubmitTaskGraphAsync</c> and <c>TaskGraph.Plan</c> from C#, against the emulator.</summary>
public sealed class TaskGraphTests : IClassFixture<EmulatorFixture>
{
    private readonly EmulatorFixture _tc;

    public TaskGraphTests(EmulatorFixture tc) => _tc = tc;

    // Fixed per test, so that a graph submitted again has the very same definitions.
    private readonly string _group = SlugIds.NewSlugId();

    // Whole milliseconds, as Taskcluster's timestamps are (a planned definition carries no finer ones)
    private readonly DateTimeOffset _created = DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());

    private QueueClient Queue() => new(_tc.RootUrl, _tc.Root);

    /// <summary>A definition in this test's task group; a negative <paramref name="deadlineHours"/> makes one the queue refuses.</summary>
    private CreateTaskRequest Definition(string name, double deadlineHours = 1) => new()
    {
        TaskQueueId = "proj-graph/worker",
        TaskGroupId = _group,
        Created = _created,
        Deadline = _created.AddHours(deadlineHours),
        Payload = JsonSerializer.SerializeToElement(new Dictionary<string, object>()),
        Metadata = new TaskMetadata { Name = name, Description = "a task of a C# graph", Owner = "tests@example.com", Source = "https://example.com/graph" },
    };

    /// <summary>build, then test and lint, then release after both (a diamond); docs alone.</summary>
    private List<GraphTask> Diamond() =>
    [
        new("release", ["test", "lint"], Definition("release")),
        new("test", ["build"], Definition("test")),
        new("lint", ["build"], Definition("lint")),
        new("build", [], Definition("build")),
        new("docs", [], Definition("docs")),
    ];

    private static string IdOf(IReadOnlyList<PlannedTask> plan, string label) => plan.Single(p => p.Label == label).TaskId;

    private HashSet<string> TaskIdsOfTheGroup() =>
        Queue().ListTaskGroupItems(_group).Select(r => r.GetValueOrThrow().Status.TaskId).ToHashSet();

    private async Task<bool> Exists(string taskId) => (await Queue().StatusAsync(taskId)).IsSuccess;

    [Fact]
    public async Task ADiamondIsCreatedWithThePlannedTaskIdsAsDependenciesAndAgainCreatesNothingNew()
    {
        var queue = Queue();
        var options = new TaskGraphOptions { MaxConcurrency = 2 };
        var graph = Diamond();

        var first = (await queue.SubmitTaskGraphAsync(graph, options)).GetValueOrThrow();

        Assert.Equal(graph.Select(t => t.Label).Order(), first.Select(p => p.Label).Order());
        Assert.Equal(5, first.Select(p => p.TaskId).Distinct().Count());
        Assert.True(first.All(p => SlugIds.IsValid(p.TaskId)));
        Assert.Equal(first.Select(p => p.TaskId).ToHashSet(), TaskIdsOfTheGroup());

        foreach (var task in graph)
        {
            var planned = first.Single(p => p.Label == task.Label);
            var expected = task.DependsOn.Select(d => IdOf(first, d)).Order().ToArray();

            // every task comes after the tasks it depends on, and the queue has their taskIds
            Assert.All(task.DependsOn, d => Assert.True(first.ToList().FindIndex(p => p.Label == d) < first.ToList().IndexOf(planned), $"{d} before {task.Label}"));
            Assert.Equal(expected, (planned.Definition.Dependencies ?? []).Order().ToArray());
            var stored = (await queue.TaskAsync(planned.TaskId)).GetValueOrThrow();
            Assert.Equal(expected, (stored.Dependencies ?? []).Order().ToArray());
            Assert.Equal(task.Label, stored.Metadata.Name);
        }

        Assert.Equal("pending", (await queue.StatusAsync(IdOf(first, "build"))).GetValueOrThrow().Status.State.ToString().ToLowerInvariant());
        Assert.Equal("unscheduled", (await queue.StatusAsync(IdOf(first, "release"))).GetValueOrThrow().Status.State.ToString().ToLowerInvariant());

        // the caller's definitions are left as they were
        Assert.Null(graph.Single(t => t.Label == "release").Definition.Dependencies);

        var again = queue.SubmitTaskGraph(Diamond(), options).GetValueOrThrow();

        Assert.Equal(first.Select(p => (p.Label, p.TaskId)), again.Select(p => (p.Label, p.TaskId)));
        Assert.Equal(first.Select(p => p.TaskId).ToHashSet(), TaskIdsOfTheGroup());
    }

    [Fact]
    public async Task ACycleIsRefusedBeforeAnyCallNamingItsLabels()
    {
        var options = new TaskGraphOptions();
        var graph = new List<GraphTask>
        {
            new("free", [], Definition("free")),
            new("a", ["c"], Definition("a")),
            new("b", ["a"], Definition("b")),
            new("c", ["b"], Definition("c")),
        };

        var result = await Queue().SubmitTaskGraphAsync(graph, options);

        Assert.False(result.IsSuccess);
        var error = result.Error!;
        Assert.Equal(TaskclusterErrorKind.TaskGraphCycle, error.Kind);
        var cycle = error.Cycle!;
        Assert.Equal(cycle[0], cycle[^1]);
        Assert.Equal(new[] { "a", "b", "c" }, cycle.Skip(1).Order());
        Assert.Equal(cycle[0], error.Label);
        Assert.EndsWith(string.Join(" -> ", cycle), error.Description);
        Assert.Null(error.CreatedTasks);
        Assert.False(await Exists(options.TaskIdOf("free")), "the task outside the cycle was not created either");
    }

    [Fact]
    public async Task AnUnknownLabelIsRefusedBeforeAnyCallNamingBothLabels()
    {
        var options = new TaskGraphOptions();
        var graph = new List<GraphTask> { new("build", [], Definition("build")), new("test", ["biuld"], Definition("test")) };

        var error = (await Queue().SubmitTaskGraphAsync(graph, options)).Error!;

        Assert.Equal(TaskclusterErrorKind.UnknownTaskLabel, error.Kind);
        Assert.Equal(("test", "biuld"), (error.Label, error.DependsOn));
        Assert.Contains("'test'", error.Description);
        Assert.Contains("'biuld'", error.Description);
        Assert.False(await Exists(options.TaskIdOf("build")), "nothing was created");

        var planned = TaskGraph.Plan(graph, options);
        Assert.Equal(TaskclusterErrorKind.UnknownTaskLabel, planned.Error?.Kind);
    }

    [Fact]
    public void PlanningRefusesDuplicateLabelsBadTaskIdsAndBadConcurrencyAsTypedErrors()
    {
        var duplicate = TaskGraph.Plan([new("a", [], Definition("a")), new("a", [], Definition("a2"))]);
        Assert.Equal(TaskclusterErrorKind.DuplicateTaskLabel, duplicate.Error?.Kind);
        Assert.Equal("a", duplicate.Error?.Label);

        var notASlug = TaskGraph.Plan([new("a", [], Definition("a"))], new TaskGraphOptions { TaskIdOf = l => "task-" + l });
        Assert.Equal(TaskclusterErrorKind.InvalidOptions, notASlug.Error?.Kind);
        Assert.Equal(("TaskIdOf", "a", "task-a"), (notASlug.Error?.Field, notASlug.Error?.Label, notASlug.Error?.TaskId));
        Assert.Contains("'task-a'", notASlug.Error?.Description);

        var nullId = TaskGraph.Plan([new("a", [], Definition("a"))], new TaskGraphOptions { TaskIdOf = _ => null! });
        Assert.Equal(TaskclusterErrorKind.InvalidOptions, nullId.Error?.Kind);

        var concurrency = TaskGraph.Plan([new("a", [], Definition("a"))], new TaskGraphOptions { MaxConcurrency = 0 });
        Assert.Equal(TaskclusterErrorKind.InvalidOptions, concurrency.Error?.Kind);
        Assert.Equal("MaxConcurrency", concurrency.Error?.Field);
        Assert.Contains("0", concurrency.Error?.Description);
    }

    [Fact]
    public void APlanGivesStableTaskIdsPerOptionsAndKeepsOutsideDependencies()
    {
        var outside = SlugIds.NewSlugId();
        var graph = Diamond();
        graph[0].Definition.Dependencies = [outside];
        var options = new TaskGraphOptions();

        var plan = TaskGraph.Plan(graph, options).GetValueOrThrow();
        var again = TaskGraph.Plan(graph, options).GetValueOrThrow();
        var fresh = TaskGraph.Plan(graph).GetValueOrThrow();

        Assert.Equal(plan.Select(p => p.TaskId), again.Select(p => p.TaskId));
        Assert.Empty(plan.Select(p => p.TaskId).Intersect(fresh.Select(p => p.TaskId)));
        Assert.Equal(options.TaskIdOf("build"), IdOf(plan, "build"));

        var release = plan.Single(p => p.Label == "release").Definition;
        Assert.Equal(new[] { outside, IdOf(plan, "lint"), IdOf(plan, "test") }.Order(), release.Dependencies!.Order());
        Assert.Equal("release", release.Metadata.Name);
        Assert.Equal(_created, release.Created);
    }

    [Fact]
    public async Task ARefusedCreateTaskKeepsItsKindAndReportsTheTasksCreatedBeforeIt()
    {
        var options = new TaskGraphOptions();
        var graph = Diamond().Where(t => t.Label != "docs").ToList();
        graph.Add(new("late", ["release"], Definition("late", deadlineHours: -1))); // the queue refuses a past deadline
        graph.Add(new("after", ["late"], Definition("after")));

        var result = await Queue().SubmitTaskGraphAsync(graph, options);

        Assert.False(result.IsSuccess);
        var error = result.Error!;
        Assert.Equal(TaskclusterErrorKind.ClientError, error.Kind);
        Assert.Equal(400, error.Status);
        Assert.Equal("queue.createTask", error.ApiMethod);
        Assert.Equal(("late", options.TaskIdOf("late")), (error.Label, error.TaskId));
        Assert.Contains("'late'", error.Description);

        // late comes after all four, so all four were created before it, build first and release last
        var created = error.CreatedTasks!;
        Assert.Equal(new[] { "build", "lint", "release", "test" }, created.Select(c => c.Label).Order());
        Assert.Equal("build", created[0].Label);
        Assert.Equal("release", created[^1].Label);
        Assert.All(created, c => Assert.Equal(options.TaskIdOf(c.Label), c.TaskId));
        Assert.Equal(created.Select(c => c.TaskId).ToHashSet(), TaskIdsOfTheGroup());
        Assert.False(await Exists(options.TaskIdOf("after")), "the refused task's dependent was not submitted");
    }

    [Fact]
    public async Task NullArgumentsThrow()
    {
        Assert.Throws<ArgumentNullException>(() => new GraphTask(null!, [], Definition("a")));
        Assert.Throws<ArgumentNullException>(() => new GraphTask("a", null!, Definition("a")));
        Assert.Throws<ArgumentNullException>(() => new GraphTask("a", [], null!));
        Assert.Throws<ArgumentException>(() => new GraphTask("a", [null!], Definition("a")));
        Assert.Throws<ArgumentNullException>(() => TaskGraph.Plan(null!));
        Assert.Throws<ArgumentException>(() => TaskGraph.Plan([null!]));
        Assert.Throws<ArgumentException>(() => TaskGraph.Plan([new("a", [], Definition("a"))], new TaskGraphOptions { TaskIdOf = null! }));
        await Assert.ThrowsAsync<ArgumentNullException>(() => Queue().SubmitTaskGraphAsync(null!));
    }

    [Fact]
    public void EveryTaskGraphErrorCaseMapsToAnError()
    {
        var refused = new F.ServiceError(
            new F.RequestInfo("queue.createTask", "PUT", "http://127.0.0.1/api/queue/v1/task/tid"),
            400,
            "Bad Request",
            FSharpOption<string>.Some("InputError"),
            "deadline is in the past",
            null,
            1,
            FSharpList<string>.Empty,
            null);
        var errors = new P.TaskGraphError[]
        {
            P.TaskGraphError.NewDuplicateLabel("a"),
            P.TaskGraphError.NewUnknownLabel("a", "b"),
            P.TaskGraphError.NewCycle(ListModule.OfSeq(new[] { "a", "b", "a" })),
            P.TaskGraphError.NewInvalidTaskId("a", "x y"),
            P.TaskGraphError.NewInvalidConcurrency(-1),
            P.TaskGraphError.NewCreateFailed("c", "tid", F.TaskclusterError.NewClientError(refused), ListModule.OfSeq(new[] { Tuple.Create("a", "ida") })),
        };

        Assert.Equal(
            FSharpType.GetUnionCases(typeof(P.TaskGraphError), null).Select(c => c.Name).Order(),
            errors.Select(e => FSharpValue.GetUnionFields(e, typeof(P.TaskGraphError), null).Item1.Name).Order());

        var mapped = errors.Select(TaskclusterError.From).ToArray();
        Assert.Equal(
            new[]
            {
                TaskclusterErrorKind.DuplicateTaskLabel, TaskclusterErrorKind.UnknownTaskLabel, TaskclusterErrorKind.TaskGraphCycle,
                TaskclusterErrorKind.InvalidOptions, TaskclusterErrorKind.InvalidOptions, TaskclusterErrorKind.ClientError,
            },
            mapped.Select(e => e.Kind));
        Assert.Equal(errors.Select(e => e.Describe()), mapped.Select(e => e.Description));

        var failed = mapped[^1];
        Assert.Equal((400, "InputError", "queue.createTask", "c", "tid"), (failed.Status, failed.Code, failed.ApiMethod, failed.Label, failed.TaskId));
        Assert.Equal("a (ida)", Assert.Single(failed.CreatedTasks!).ToString());

        // the plain createTask error it was copied from is unchanged
        var plain = TaskclusterError.From(F.TaskclusterError.NewClientError(refused));
        Assert.Null(plain.Label);
        Assert.Null(plain.CreatedTasks);
        Assert.DoesNotContain("'c'", plain.Description);
    }
}
