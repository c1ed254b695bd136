namespace Taskcluster.Pulse

open System.Threading
open System.Threading.Tasks
open Taskcluster.Client
open Taskcluster.Models
open Taskcluster.Services

/// One task of a graph: a label, the labels it depends on, and its definition (whose own
/// `dependencies`, if any, are taskIds outside the graph and are kept).
type GraphTask =
    {
        /// The task's name within the graph.
        Label: string
        /// The labels of the graph's tasks this task depends on.
        DependsOn: string list
        /// The createTask request.
        Definition: CreateTaskRequest
    }

/// A task of a graph with its taskId, in the order it is submitted.
type PlannedTask =
    {
        /// The task's label.
        Label: string
        /// The taskId given to the label.
        TaskId: string
        /// The request as submitted: the dependencies' taskIds added.
        Definition: CreateTaskRequest
    }

/// Why a graph was not (fully) submitted.
[<RequireQualifiedAccess>]
type TaskGraphError =
    /// Two tasks share a label.
    | DuplicateLabel of label: string
    /// A task depends on a label the graph does not have.
    | UnknownLabel of label: string * dependsOn: string
    /// Some tasks depend on each other in a circle (the labels on it, in order).
    | Cycle of labels: string list
    /// The label→taskId function gave something that is not a slugId.
    | InvalidTaskId of label: string * taskId: string
    /// `MaxConcurrency` below 1.
    | InvalidConcurrency of value: int
    /// The queue refused a task; `created` lists the tasks submitted before (label, taskId).
    /// The tasks that depend on it were not submitted. Submitting again is safe.
    | CreateFailed of label: string * taskId: string * error: TaskclusterError * created: (string * string) list

    /// A one-line description naming the label.
    member Describe: unit -> string

/// How a graph is submitted.
[<NoEquality; NoComparison>]
type TaskGraphOptions =
    {
        /// The taskId of a label; the same function (or the same `Helpers.stableSlugId` instance)
        /// gives the same taskIds again, so submitting the graph again creates nothing twice.
        TaskIdOf: string -> string
        /// How many createTask calls run at once at most (default 4).
        MaxConcurrency: int
    }

/// Submitting a graph of tasks that refer to each other by label.
[<RequireQualifiedAccess>]
module TaskGraph =
    /// Options with a fresh `Helpers.stableSlugId` and 4 calls at once.
    val defaults: unit -> TaskGraphOptions

    /// Checks the graph (unique labels, known dependencies, no cycle) and gives each task its
    /// taskId, in an order where every task comes after the tasks it depends on. Pure but for
    /// `TaskIdOf`; nothing is submitted.
    val plan: options: TaskGraphOptions -> graph: GraphTask list -> Result<PlannedTask list, TaskGraphError>

    /// Plans the graph (refusing it before any call when `plan` does), then creates each task
    /// once the tasks it depends on are created, at most `MaxConcurrency` at once, each call
    /// retried by the client's retry policy (createTask is idempotent for one definition).
    /// Returns the tasks submitted, in plan order.
    val submit:
        queue: Queue ->
        options: TaskGraphOptions ->
        graph: GraphTask list ->
        cancellationToken: CancellationToken ->
            Task<Result<PlannedTask list, TaskGraphError>>
