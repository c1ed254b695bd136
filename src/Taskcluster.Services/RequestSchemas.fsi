namespace Taskcluster.Services

open System.Text.Json
open Taskcluster.Client

/// The worker that runs a task, which names the schema the task's `payload` must match.
[<RequireQualifiedAccess>]
type WorkerPayload =
    /// generic-worker, multiuser engine on Linux or macOS.
    | GenericWorkerMultiuserPosix
    /// generic-worker, multiuser engine on Windows.
    | GenericWorkerMultiuserWindows
    /// generic-worker, insecure engine (Linux or macOS).
    | GenericWorkerInsecurePosix
    /// docker-worker.
    | DockerWorker

    /// The `$id` of the worker's payload schema, e.g. `/schemas/docker-worker/v1/payload.json#`.
    member SchemaId: string

/// Checking request bodies against the Taskcluster JSON schemas before they are sent, with
/// JsonSchema.Net (the schemas are Taskcluster's draft-06 profile; their `$ref`s between one
/// another resolve within the bundle of `Taskcluster.Models`). The schemas are loaded once, on
/// first use, and kept.
[<RequireQualifiedAccess>]
module RequestSchemas =
    /// The violations of a JSON value against the bundled schema with this `$id` (e.g.
    /// `/schemas/queue/v1/create-task-request.json#`): empty when it is valid, `None` when no
    /// bundled schema has that id. Paths are JSON paths from the value's root (`$.payload.image`).
    val validate: schemaId: string -> value: JsonElement -> SchemaViolation list option

    /// The client with `validate` as its schema validator (`Client.withSchemaValidator`), unless
    /// it has one already. The generated service clients call it on the client they are given,
    /// so that every method with an input schema checks its body before sending while
    /// `ClientOptions.ValidateRequests` is true.
    val attach: client: TaskclusterClient -> TaskclusterClient

    /// The violations of a task definition's `payload` member against the worker's payload
    /// schema, with paths from the task's root (`$.payload.maxRunTime`); empty when it is valid.
    /// A task without a `payload` member has nothing to check here (its own schema requires one).
    val validateTaskPayload: worker: WorkerPayload -> task: JsonElement -> SchemaViolation list
