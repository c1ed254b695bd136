namespace Taskcluster.Services

open System
open System.Text.Json
open System.Threading
open System.Threading.Tasks
open Taskcluster.Core
open Taskcluster.Client

[<AutoOpen>]
module WorkerPayloadCheck =
    let private createTaskName =
        $"{QueueReference.reference.ServiceName}.{QueueReference.createTask.Name}"

    let private invalid reason =
        TaskclusterError.InvalidRequest(createTaskName, reason)

    let checkTaskPayload (worker: WorkerPayload) (task: JsonElement) =
        match RequestSchemas.validateTaskPayload worker task with
        | [] -> Ok()
        | violations -> Error(invalid (RequestError.SchemaViolations(worker.SchemaId, violations)))

    // The bytes once: checked here, then sent as they are.
    let private checkBytes worker (bytes: ReadOnlyMemory<byte>) =
        use document = JsonDocument.Parse bytes
        checkTaskPayload worker document.RootElement

    type Queue with

        member this.CreateTaskFor(worker: WorkerPayload, taskId: string, payload: Payload, ?cancellationToken) =
            match Payload.toUtf8 payload with
            | Error reason -> Task.FromResult(Error(invalid (RequestError.InvalidPayload reason)))
            | Ok None -> this.CreateTask(taskId, payload, ?cancellationToken = cancellationToken)
            | Ok(Some bytes) ->
                match checkBytes worker bytes with
                | Error e -> Task.FromResult(Error e)
                | Ok() -> this.CreateTask(taskId, Payload.Utf8 bytes, ?cancellationToken = cancellationToken)

    type QueueTyped with

        member this.CreateTaskFor
            (worker: WorkerPayload, taskId: string, payload: Taskcluster.Models.CreateTaskRequest, ?cancellationToken)
            =
            let bytes = Encode.toUtf8 (Taskcluster.Models.CreateTaskRequest.Encode payload)

            match checkBytes worker (ReadOnlyMemory bytes) with
            | Error e -> Task.FromResult(Error e)
            | Ok() -> this.CreateTask(taskId, payload, ?cancellationToken = cancellationToken)
