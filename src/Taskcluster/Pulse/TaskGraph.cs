using System.Text.Json;
using Microsoft.FSharp.Collections;
using Microsoft.FSharp.Core;
using Taskcluster.Schemas;
using C = Taskcluster.Core;
using M = Taskcluster.Models;
using P = Taskcluster.Pulse;

namespace Taskcluster;

/// <summary>
/// One task of a task graph: a label, the labels of the graph's tasks it depends on, and its
/// definition. The definition's own <see cref="CreateTaskRequest.Dependencies"/>, if any, are
/// taskIds outside the graph and are kept.
/// </summary>
public sealed class GraphTask
{
    /// <summary>A task of a graph.</summary>
    /// <param name="label">The task's name within the graph.</param>
    /// <param name="dependsOn">The labels of the graph's tasks this one waits for (empty for none).</param>
    /// <param name="definition">The createTask request, without the graph's dependencies (they are added when planned).</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="dependsOn"/> holds a null label.</exception>
    public GraphTask(string label, IEnumerable<string> dependsOn, CreateTaskRequest definition)
    {
        ArgumentNullException.ThrowIfNull(label);
        ArgumentNullException.ThrowIfNull(dependsOn);
        ArgumentNullException.ThrowIfNull(definition);
        var labels = dependsOn.ToArray();
        if (labels.Any(l => l is null))
        {
            throw new ArgumentException($"task '{label}' depends on a null label", nameof(dependsOn));
        }

        Label = label;
        DependsOn = labels;
        Definition = definition;
    }

    /// <summary>The task's name within the graph.</summary>
    public string Label { get; }

    /// <summary>The labels of the graph's tasks this one depends on.</summary>
    public IReadOnlyList<string> DependsOn { get; }

    /// <summary>The createTask request (read when the graph is planned).</summary>
    public CreateTaskRequest Definition { get; }

    /// <inheritdoc/>
    public override string ToString() => DependsOn.Count == 0 ? Label : $"{Label} (after {string.Join(", ", DependsOn)})";
}

/// <summary>A task of a planned graph with its taskId, in the order the graph is submitted.</summary>
public sealed class PlannedTask
{
    /// <summary>A planned task (the client makes these; test doubles of <see cref="QueueClient.SubmitTaskGraphAsync"/> may too).</summary>
    /// <param name="label">The task's label.</param>
    /// <param name="taskId">The taskId given to the label.</param>
    /// <param name="definition">The request as submitted, the dependencies' taskIds added.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public PlannedTask(string label, string taskId, CreateTaskRequest definition)
    {
        Label = label ?? throw new ArgumentNullException(nameof(label));
        TaskId = taskId ?? throw new ArgumentNullException(nameof(taskId));
        Definition = definition ?? throw new ArgumentNullException(nameof(definition));
    }

    /// <summary>The task's label.</summary>
    public string Label { get; }

    /// <summary>The taskId given to the label.</summary>
    public string TaskId { get; }

    /// <summary>The request as submitted: <see cref="CreateTaskRequest.Dependencies"/> holds the taskIds of the tasks it depends on.</summary>
    public CreateTaskRequest Definition { get; }

    /// <inheritdoc/>
    public override string ToString() => $"{Label} ({TaskId})";
}

/// <summary>A task of a graph that was created before another one failed (see <see cref="TaskclusterError.CreatedTasks"/>).</summary>
public sealed class CreatedTask
{
    /// <summary>A created task.</summary>
    /// <param name="label">The task's label.</param>
    /// <param name="taskId">Its taskId.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public CreatedTask(string label, string taskId)
    {
        Label = label ?? throw new ArgumentNullException(nameof(label));
        TaskId = taskId ?? throw new ArgumentNullException(nameof(taskId));
    }

    /// <summary>The task's label.</summary>
    public string Label { get; }

    /// <summary>Its taskId.</summary>
    public string TaskId { get; }

    /// <inheritdoc/>
    public override string ToString() => $"{Label} ({TaskId})";
}

/// <summary>How a task graph is planned and submitted.</summary>
public class TaskGraphOptions
{
    /// <summary>
    /// The taskId of a label. The default is one <see cref="SlugIds.StableSlugId"/> per options
    /// instance: submitting a graph again with the same instance gives the same taskIds, so it
    /// creates nothing twice; a new instance gives a new set of taskIds (a second graph).
    /// </summary>
    public Func<string, string> TaskIdOf { get; set; } = SlugIds.StableSlugId();

    /// <summary>How many createTask calls run at once at most; default 4. Below 1 the graph is refused with a <see cref="TaskclusterErrorKind.InvalidOptions"/> error.</summary>
    public int MaxConcurrency { get; set; } = 4;

    internal P.TaskGraphOptions ToFSharp()
    {
        if (TaskIdOf is null)
        {
            throw new ArgumentException("TaskIdOf must not be null", nameof(TaskIdOf));
        }

        return new P.TaskGraphOptions(FuncConvert.FromFunc(TaskIdOf), MaxConcurrency);
    }
}

/// <summary>
/// Planning a task graph without submitting it; <see cref="QueueClient.SubmitTaskGraphAsync"/>
/// plans and submits. Both are the F# <c>TaskGraph</c> module's, seen from C#.
/// </summary>
public static class TaskGraph
{
    /// <summary>
    /// Checks the graph (unique labels, known dependencies, no cycle) and gives each task its
    /// taskId, in an order where every task comes after the tasks it depends on. Nothing is sent.
    /// </summary>
    /// <param name="graph">The tasks.</param>
    /// <param name="options">The taskIds and the concurrency; null for a fresh <see cref="TaskGraphOptions"/>.</param>
    /// <returns>
    /// The planned tasks, or a <see cref="TaskclusterErrorKind.DuplicateTaskLabel"/>, <see cref="TaskclusterErrorKind.UnknownTaskLabel"/>
    /// or <see cref="TaskclusterErrorKind.TaskGraphCycle"/> error naming the labels, or an <see cref="TaskclusterErrorKind.InvalidOptions"/>
    /// one (<see cref="TaskclusterError.Field"/> <c>TaskIdOf</c> for a taskId that is not a slugId, <c>MaxConcurrency</c> below 1).
    /// </returns>
    /// <exception cref="ArgumentNullException"><paramref name="graph"/> is null.</exception>
    /// <exception cref="ArgumentException">The graph holds a null task, or a definition that cannot be written as JSON.</exception>
    public static TaskclusterResult<IReadOnlyList<PlannedTask>> Plan(IEnumerable<GraphTask> graph, TaskGraphOptions? options = null)
    {
        var tasks = ToFSharp(graph);
        var result = P.TaskGraph.plan((options ?? new TaskGraphOptions()).ToFSharp(), tasks);
        return FromFSharp(result);
    }

    internal static FSharpList<P.GraphTask> ToFSharp(IEnumerable<GraphTask> graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        return ListModule.OfSeq(graph.Select(t =>
            t is null
                ? throw new ArgumentException("the graph holds a null task", nameof(graph))
                : new P.GraphTask(t.Label, ListModule.OfSeq(t.DependsOn), Definition(t, nameof(graph)))));
    }

    internal static TaskclusterResult<IReadOnlyList<PlannedTask>> FromFSharp(FSharpResult<FSharpList<P.PlannedTask>, P.TaskGraphError> result) =>
        result.IsOk
            ? TaskclusterResult.Success<IReadOnlyList<PlannedTask>>(
                result.ResultValue.Select(p => new PlannedTask(p.Label, p.TaskId, Definition(p.Definition))).ToArray())
            : TaskclusterResult.Failure<IReadOnlyList<PlannedTask>>(TaskclusterError.From(result.ErrorValue));

    // The C# model and the F# one are two readings of one JSON schema: JSON is the bridge.
    private static M.CreateTaskRequest Definition(GraphTask task, string parameter)
    {
        byte[] json;
        try
        {
            json = JsonSerializer.SerializeToUtf8Bytes(task.Definition, ModelJson.Info<CreateTaskRequest>());
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            throw new ArgumentException($"the definition of task '{task.Label}' cannot be written as JSON: {e.Message}", parameter, e);
        }

        using var document = JsonDocument.Parse(json);
        var decoded = M.CreateTaskRequest.Decode(C.JsonPath.Root, document.RootElement);
        return decoded.IsOk
            ? decoded.ResultValue
            : throw new ArgumentException($"the definition of task '{task.Label}' is not a task definition: {decoded.ErrorValue.Describe()}", parameter);
    }

    private static CreateTaskRequest Definition(M.CreateTaskRequest definition) =>
        JsonSerializer.Deserialize(C.Encode.toUtf8(M.CreateTaskRequest.Encode(definition)), ModelJson.Info<CreateTaskRequest>())
        ?? throw new InvalidOperationException("a planned definition was written as null");
}

/// <summary>Submitting a task graph, beside the generated queue methods.</summary>
public partial class QueueClient
{
    /// <summary>
    /// Plans the graph (see <see cref="TaskGraph.Plan"/>; a graph it refuses is refused before any
    /// call), then creates each task once the tasks it depends on are created, at most
    /// <see cref="TaskGraphOptions.MaxConcurrency"/> calls at once, each retried by the client's
    /// retry policy (createTask is idempotent for one definition). Submitting the graph again with
    /// the same <paramref name="options"/> instance creates nothing twice.
    /// </summary>
    /// <remarks>Required scopes: those of <c>queue.createTask</c> for every task of the graph.</remarks>
    /// <param name="graph">The tasks, referring to each other by label.</param>
    /// <param name="options">The taskIds and the concurrency; null for a fresh <see cref="TaskGraphOptions"/> (new taskIds).</param>
    /// <param name="cancellationToken">Stops the submission (it then throws <see cref="OperationCanceledException"/>).</param>
    /// <returns>
    /// The tasks submitted, in plan order; or the error of <see cref="TaskGraph.Plan"/>; or the first
    /// failed createTask's error (its own kind, status and code), with <see cref="TaskclusterError.Label"/>,
    /// <see cref="TaskclusterError.TaskId"/> and the tasks created before it in <see cref="TaskclusterError.CreatedTasks"/>.
    /// </returns>
    /// <exception cref="ArgumentNullException"><paramref name="graph"/> is null.</exception>
    /// <exception cref="ArgumentException">The graph holds a null task, or a definition that cannot be written as JSON.</exception>
    public virtual Task<TaskclusterResult<IReadOnlyList<PlannedTask>>> SubmitTaskGraphAsync(
        IEnumerable<GraphTask> graph, TaskGraphOptions? options = null, CancellationToken cancellationToken = default) =>
        // Not `async` itself: the compiler would mark it [AsyncStateMachine(typeof(...))], an
        // attribute argument fsdocs cannot read, and the API reference would lose the page. The
        // argument checks stay in the task, as before.
        SubmitTaskGraphCoreAsync(graph, options, cancellationToken);

    private async Task<TaskclusterResult<IReadOnlyList<PlannedTask>>> SubmitTaskGraphCoreAsync(
        IEnumerable<GraphTask> graph, TaskGraphOptions? options, CancellationToken cancellationToken)
    {
        var tasks = TaskGraph.ToFSharp(graph);
        var graphOptions = (options ?? new TaskGraphOptions()).ToFSharp();
        var result = await P.TaskGraph.submit(_service, graphOptions, tasks, cancellationToken).ConfigureAwait(false);
        return TaskGraph.FromFSharp(result);
    }

    /// <inheritdoc cref="SubmitTaskGraphAsync"/>
    public virtual TaskclusterResult<IReadOnlyList<PlannedTask>> SubmitTaskGraph(
        IEnumerable<GraphTask> graph, TaskGraphOptions? options = null, CancellationToken cancellationToken = default) =>
        SubmitTaskGraphAsync(graph, options, cancellationToken).ConfigureAwait(false).GetAwaiter().GetResult();
}
