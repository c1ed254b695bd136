namespace Taskcluster.Services

open System.Text.Json
open System.Threading
open System.Threading.Tasks
open Taskcluster.Client

/// `createTask` with the task's `payload` checked against the payload schema of the worker that
/// will run it, before anything is sent. The queue cannot do this check (it does not know which
/// worker implementation serves a worker type), so without it a bad payload is only found when
/// a worker claims the task and fails it.
[<AutoOpen>]
module WorkerPayloadCheck =
    /// The task's payload checked against the worker's payload schema: the payload, or
    /// `InvalidRequest("queue.createTask", SchemaViolations(<worker schema>, …))` with paths from
    /// the task's root (`$.payload.image`). Runs whatever `ClientOptions.ValidateRequests` says:
    /// the caller asked for it by naming the worker.
    val checkTaskPayload: worker: WorkerPayload -> task: JsonElement -> Result<unit, TaskclusterError>

    type Queue with

        /// `CreateTask` for a task that `worker` runs: the task's `payload` is checked against the
        /// worker's payload schema first, and a payload that breaks it fails with
        /// `InvalidRequest` naming each path before any request is made; then the whole
        /// definition is checked against the `createTask` schema and sent as `CreateTask` does.
        member CreateTaskFor:
            worker: WorkerPayload * taskId: string * payload: Payload * ?cancellationToken: CancellationToken ->
                Task<Result<JsonElement, TaskclusterError>>

    type QueueTyped with

        /// `CreateTask` for a task that `worker` runs: the task's `payload` is checked against the
        /// worker's payload schema first (see `Queue.CreateTaskFor`).
        member CreateTaskFor:
            worker: WorkerPayload *
            taskId: string *
            payload: Taskcluster.Models.CreateTaskRequest *
            ?cancellationToken: CancellationToken ->
                Task<Result<Taskcluster.Models.TaskStatusResponse, TaskclusterError>>
