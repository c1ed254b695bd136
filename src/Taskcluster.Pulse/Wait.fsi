namespace Taskcluster.Pulse

open System
open System.Threading
open System.Threading.Tasks
open Taskcluster.Client
open Taskcluster.Services

/// How a task resolved.
[<RequireQualifiedAccess>]
type TaskOutcome =
    /// Its last run completed.
    | Completed of runId: int
    /// Its last run failed.
    | Failed of runId: int
    /// It was resolved as an exception (`reason` is the run's `reasonResolved`, e.g. `canceled`
    /// or `deadline-exceeded`); a task that never ran has no run only in old deployments.
    | Exception of runId: int option * reason: string

/// How the tasks of a resolved task group resolved, by taskId (in the queue's order).
type TaskGroupOutcome =
    {
        /// The task group.
        TaskGroupId: string
        /// Every task of the group with its outcome.
        Tasks: (string * TaskOutcome) list
    }

    /// Whether every task of the group completed.
    member AllCompleted: bool

/// Why a wait ended without an outcome.
[<RequireQualifiedAccess>]
type WaitError =
    /// The timeout passed first (what was awaited, and the timeout).
    | TimedOut of what: string * timeout: TimeSpan
    /// The queue refused or failed a call the wait depends on (e.g. an unknown taskId).
    | Queue of TaskclusterError
    /// The Pulse consumer could not start (invalid options).
    | Consumer of ConsumerError
    /// A taskId or taskGroupId that is not a slugId (what it should be, and the value).
    | InvalidId of what: string * value: string

    /// A one-line description naming what was awaited.
    member Describe: unit -> string

/// How to wait.
[<NoEquality; NoComparison>]
type WaitOptions =
    {
        /// Listen on Pulse with this connection (an ephemeral queue); `None` polls the queue.
        Pulse: PulseConnection option
        /// How long to wait at most.
        Timeout: TimeSpan
        /// The first pause between two polls, doubled after each poll up to `MaxPollInterval`. With
        /// Pulse, the queue is asked only when the subscription (re)starts and when a message
        /// arrives.
        PollInterval: TimeSpan
        /// The longest pause between two polls.
        MaxPollInterval: TimeSpan
        /// The clock for the timeout and the pauses.
        TimeProvider: TimeProvider
        /// Over Pulse, called each time the subscription is in place (before the state is read),
        /// with the number of the connection (1 for the first).
        OnListening: int -> unit
    }

/// Waiting for tasks and task groups to resolve, over Pulse or by polling the queue. Over Pulse
/// the subscription is in place before the current state is read, so a resolution that happens
/// in between is not missed; a resolution before the wait starts is found by that first read.
/// Cancellation of the token throws `OperationCanceledException`; the timeout is an error value.
[<RequireQualifiedAccess>]
module Wait =
    /// Polling, a 1 hour timeout, polls from 1 s doubling to 30 s, the system clock.
    val defaults: WaitOptions

    /// With Pulse on `connection`, else as `defaults`.
    val overPulse: connection: PulseConnection -> WaitOptions

    /// The outcome of a task status, `None` while the task is unresolved (a retried exception
    /// leaves it pending, so it is unresolved).
    val outcomeOf: status: Taskcluster.Models.TaskStatus -> TaskOutcome option

    /// Waits until the task resolves.
    val forTask:
        queue: Queue ->
        options: WaitOptions ->
        taskId: string ->
        cancellationToken: CancellationToken ->
            Task<Result<TaskOutcome, WaitError>>

    /// Waits until no task of the group is unresolved, then reports every task's outcome.
    val forTaskGroup:
        queue: Queue ->
        options: WaitOptions ->
        taskGroupId: string ->
        cancellationToken: CancellationToken ->
            Task<Result<TaskGroupOutcome, WaitError>>
