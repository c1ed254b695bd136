using Microsoft.FSharp.Core;
using P = Taskcluster.Pulse;

namespace Taskcluster;

/// <summary>How a task resolved.</summary>
public enum TaskOutcomeKind
{
    /// <summary>Its last run completed.</summary>
    Completed,

    /// <summary>Its last run failed.</summary>
    Failed,

    /// <summary>It was resolved as an exception (see <see cref="TaskOutcome.Reason"/>).</summary>
    Exception,
}

/// <summary>The outcome of a resolved task.</summary>
public sealed class TaskOutcome
{
    internal TaskOutcome(TaskOutcomeKind kind, int? runId, string? reason)
    {
        Kind = kind;
        RunId = runId;
        Reason = reason;
    }

    /// <summary>Completed, failed or exception.</summary>
    public TaskOutcomeKind Kind { get; }

    /// <summary>The run that resolved the task (null only for an exception of a task that never ran).</summary>
    public int? RunId { get; }

    /// <summary>An exception's <c>reasonResolved</c>, e.g. <c>canceled</c>; null otherwise.</summary>
    public string? Reason { get; }

    /// <inheritdoc/>
    public override string ToString() =>
        Kind == TaskOutcomeKind.Exception ? $"exception ({Reason}) in run {RunId}" : $"{Kind.ToString().ToLowerInvariant()} in run {RunId}";

    internal static TaskOutcome From(P.TaskOutcome outcome) => outcome switch
    {
        P.TaskOutcome.Completed c => new(TaskOutcomeKind.Completed, c.runId, null),
        P.TaskOutcome.Failed f => new(TaskOutcomeKind.Failed, f.runId, null),
        P.TaskOutcome.Exception e => new(TaskOutcomeKind.Exception, OptionModule.IsSome(e.runId) ? e.runId.Value : null, e.reason),
        _ => throw new InvalidOperationException($"unknown task outcome {outcome}"),
    };
}

/// <summary>How <see cref="QueueClient.WaitForTaskAsync"/> waits.</summary>
public class TaskWaitOptions
{
    /// <summary>
    /// An AMQP URL of Pulse (<c>amqps://user:password@host/vhost</c>): the wait listens there, on an
    /// ephemeral queue bound before the task's state is read. Null (the default) polls the queue.
    /// </summary>
    public Uri? PulseUrl { get; set; }

    /// <summary>How long to wait at most; default 1 hour. Beyond it the result is a <see cref="TaskclusterErrorKind.Timeout"/> error.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromHours(1);

    /// <summary>The first pause between two polls, doubled after each up to <see cref="MaxPollInterval"/>; default 1 s.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest pause between two polls; default 30 s.</summary>
    public TimeSpan MaxPollInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The clock of the timeout and the pauses; default the system clock.</summary>
    public TimeProvider? TimeProvider { get; set; }

    internal P.WaitOptions ToFSharp()
    {
        if (Timeout <= TimeSpan.Zero)
        {
            throw new ArgumentException($"Timeout must be positive, got {Timeout}", nameof(Timeout));
        }

        if (PollInterval <= TimeSpan.Zero || MaxPollInterval < PollInterval)
        {
            throw new ArgumentException($"PollInterval must be positive and at most MaxPollInterval, got {PollInterval} and {MaxPollInterval}", nameof(PollInterval));
        }

        FSharpOption<P.PulseConnection> pulse = FSharpOption<P.PulseConnection>.None;
        if (PulseUrl is not null)
        {
            var parsed = P.PulseConnectionModule.parseUrl(PulseUrl.OriginalString);
            if (parsed.IsError)
            {
                throw new ArgumentException(parsed.ErrorValue.Describe(), nameof(PulseUrl));
            }

            pulse = FSharpOption<P.PulseConnection>.Some(parsed.ResultValue);
        }

        var defaults = P.Wait.defaults;
        return new P.WaitOptions(pulse, Timeout, PollInterval, MaxPollInterval, TimeProvider ?? TimeProvider.System, defaults.OnListening);
    }
}

/// <summary>Waiting for a task to resolve, beside the generated queue methods.</summary>
public partial class QueueClient
{
    /// <summary>Waits until the task is resolved (a retried exception is not the end), over Pulse or by polling.</summary>
    /// <remarks>Required scopes: none beyond reading the task's status (and a Pulse user when listening).</remarks>
    /// <param name="taskId">The task.</param>
    /// <param name="options">Pulse or polling, the timeout; null for polling with the defaults.</param>
    /// <param name="cancellationToken">Cancels the wait (it then throws <see cref="OperationCanceledException"/>).</param>
    /// <returns>The outcome, or why there is none (a <see cref="TaskclusterErrorKind.Timeout"/> when the timeout passed first).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="taskId"/> is null.</exception>
    /// <exception cref="ArgumentException">An option is invalid.</exception>
    public virtual Task<TaskclusterResult<TaskOutcome>> WaitForTaskAsync(
        string taskId, TaskWaitOptions? options = null, CancellationToken cancellationToken = default) =>
        // Not `async` itself: the compiler would mark it [AsyncStateMachine(typeof(...))], an
        // attribute argument fsdocs cannot read, and the API reference would lose the page. The
        // argument checks stay in the task, as before.
        WaitForTaskCoreAsync(taskId, options, cancellationToken);

    private async Task<TaskclusterResult<TaskOutcome>> WaitForTaskCoreAsync(
        string taskId, TaskWaitOptions? options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(taskId);
        var waitOptions = (options ?? new TaskWaitOptions()).ToFSharp();
        var result = await P.Wait.forTask(_service, waitOptions, taskId, cancellationToken).ConfigureAwait(false);
        return result.IsOk
            ? TaskclusterResult.Success(TaskOutcome.From(result.ResultValue))
            : TaskclusterResult.Failure<TaskOutcome>(TaskclusterError.From(result.ErrorValue));
    }

    /// <inheritdoc cref="WaitForTaskAsync"/>
    public virtual TaskclusterResult<TaskOutcome> WaitForTask(
        string taskId, TaskWaitOptions? options = null, CancellationToken cancellationToken = default) =>
        WaitForTaskAsync(taskId, options, cancellationToken).ConfigureAwait(false).GetAwaiter().GetResult();
}
