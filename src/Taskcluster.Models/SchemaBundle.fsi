namespace Taskcluster.Models

open System.IO

/// The JSON schemas the models were generated from, embedded in this assembly: every request,
/// response and message schema of the Taskcluster APIs and the worker payload schemas, as one
/// JSON object from each schema's `$id` (e.g. `/schemas/queue/v1/create-task-request.json#`)
/// to the schema. Request validation (`Taskcluster.Services.RequestSchemas`) reads it.
[<RequireQualifiedAccess>]
module SchemaBundle =
    /// A fresh stream over the bundle's UTF-8 JSON; the caller disposes it.
    val openRead: unit -> Stream
