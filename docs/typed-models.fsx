(**
---
title: Typed models
category: Capabilities
categoryindex: 2
index: 2
---
*)
(*** hide ***)
#load ".include/references.fsx"
open System
open Taskcluster.Emulator
let tc = (Emulator.start (EmulatorOptions())).Result
(**
# Typed models

`Taskcluster.Functional.Models` (namespace `Taskcluster.Models`) is generated from the Taskcluster
schemas: a model for every method's input and output, every exchange's message and the worker
payloads (`GenericWorkerPayload`, `GenericWorkerWindowsPayload`, `GenericWorkerInsecurePayload`,
`DockerWorkerPayload`), and for everything they refer to — one type per schema or definition,
shared by every schema that uses it (`TaskStatusResponse.Status` and `TaskCompletedMessage.Status`
are both `TaskStatus`).

- **Records** for objects, `option` for optional members, `list` for arrays, `Map<string, _>` for
  objects of one value type, the core's `Json` where the schema leaves a value open (a task's
  `payload` and `extra`). Integers are `int64`, timestamps `DateTimeOffset`, written the way
  Taskcluster writes them (`2026-11-29T15:00:00.000Z`).
- **Unknown members are kept**: every record has `ExtensionData: Map<string, Json>` with the
  members its schema does not name, written back unchanged.
- **String enums** are unions with an `Unknown of string` case (`TaskStatusState.Pending`, …).
- **`oneOf`/`anyOf`** become unions, selected by a member every alternative fixes to a constant
  when there is one (`CreateArtifactRequest.S3`, `.Object`, `.Reference`, `.Link`, `.Error` by
  `storageType`).

Each model has `Decode` and `Encode` as static members, through the core's `Json` module: errors
are `DecodeError`s with the JSON path, never exceptions. Records have `Create`, taking the
required members and any optional ones by name.
*)
open Taskcluster.Core
open Taskcluster.Client
open Taskcluster.Models
open Taskcluster.Services

let text =
    """{"status": {"taskId": "fN1SbArXTPSVFNUvaOlinQ", "provisionerId": "p", "workerType": "w",
        "taskQueueId": "p/w", "schedulerId": "-", "projectId": "none",
        "taskGroupId": "fN1SbArXTPSVFNUvaOlinQ", "deadline": "2026-11-29T15:00:00.000Z",
        "expires": "2027-11-29T15:00:00.000Z", "retriesLeft": 5, "state": "completed", "runs": []}}"""

match Decode.fromString TaskStatusResponse.Decode text with
| Ok s when s.Status.State = TaskStatusState.Completed -> printfn "done after %d runs" s.Status.Runs.Length
| Ok s -> printfn "%A" s.Status.State
| Error e -> printfn "%s" (e.Describe())

// A decoding error names the JSON path of the bad value.
match Decode.fromString TaskStatusResponse.Decode (text.Replace("\"retriesLeft\": 5", "\"retriesLeft\": \"5\"")) with
| Ok _ -> failwith "a string is not an integer"
| Error e -> printfn "%s" (e.Describe())
(**
## Typed service calls

Every generated service client has the same methods in typed form on `.Typed`: the request model
in, the response model out (a method without a response schema answers `unit`). A response that
does not fit its model is `InvalidResponse` with the JSON path. In the typed forms `runId`,
`limit` and `pullRequest` are `int`s.
*)
let client =
    Options.create tc.RootUrl
    |> Options.withCredentials tc.ClientId tc.AccessToken
    |> Client.create
    |> Result.defaultWith (fun e -> failwith (e.Describe()))

let queue = Queue client
let taskId = Helpers.slugId().Value

let request =
    CreateTaskRequest.Create(
        DateTimeOffset.UtcNow,
        DateTimeOffset.UtcNow.AddHours 1.0,
        TaskMetadata.Create(description = "d", name = "typed", owner = "docs@example.com", source = "https://example.com/docs"),
        Json.Object [ "image", Json.String "ubuntu:24.04"; "maxRunTime", Json.Number 600.0 ],
        taskQueueId = "proj-docs/worker"
    )

let definition =
    task {
        let! _ = queue.Typed.CreateTask(taskId, request)
        return! queue.Typed.Task taskId
    }
    |> fun t -> t.Result

printfn "%A" (definition |> Result.map (fun d -> d.Metadata.Name, d.TaskQueueId))

(**
Methods that answer with a redirect (`queue.getArtifact`, `getLatestArtifact`,
`index.findArtifactFromTask`, `object.download`, `github.latest`) return the target URL as a
success value; it is not followed, so fetch it without Taskcluster credentials.

## Validation before submit

Every request body of a method with an input schema is checked against that schema before
anything is sent. A body that breaks it is `InvalidRequest(name, RequestError.SchemaViolations(schemaId,
violations))`, each violation naming its JSON path, the schema keyword and a message; values of
the body never appear in it. (`ValidateRequests = false` in the options sends bodies as they
are.) A task's `payload` is checked against a worker's payload schema when you name the worker:
*)
let wrong =
    {|
        taskQueueId = "proj-docs/worker"
        created = DateTimeOffset.UtcNow
        deadline = DateTimeOffset.UtcNow.AddHours 1.0
        payload = {| image = "ubuntu:24.04"; maxRunTime = "ten minutes" |}
        metadata = {| name = "n"; description = "d"; owner = "docs@example.com"; source = "https://example.com/docs" |}
    |}

match (queue.CreateTaskFor(WorkerPayload.DockerWorker, Helpers.slugId().Value, Payload.ofObj wrong)).Result with
| Error(TaskclusterError.InvalidRequest(_, RequestError.SchemaViolations(_, violations))) ->
    for v in violations do
        printfn "%s" v.Display
| other -> failwithf "expected violations, got %A" other
(**
## Messages and credentials

Each exchange set has a decoder per exchange for its message body
(`QueueEvents.DecodeTaskCompleted: JsonElement -> Result<TaskCompletedMessage, DecodeError>`);
with the [Pulse consumer](pulse.html), `Message.decode QueueEvents.DecodeTaskCompleted message`
gives the typed body. `ModelCredentials.ofClaim claim.Credentials` makes client `Credentials` of a
claim's `TaskCredentials`.

## From C#

The C# facade has its own models (namespace `Taskcluster.Schemas`): classes with `required`
members and nullable annotations, the schemas' own property names, string enums as structs that
keep values a newer deployment adds (`IsKnown`), `oneOf` types as an abstract class with a nested
class per alternative, and `TaskclusterJsonContext.Default`, their System.Text.Json
source-generated metadata.

The [API reference](reference/index.html) has a page for each record, enum struct and `oneOf`
class, but none for `TaskclusterJsonContext`: it is made of `[JsonSerializable(typeof(…))]`, and
fsdocs cannot read a `typeof` argument of a compiled C# attribute. (The models' own
`[JsonConverter(typeof(…))]`, the one form both the source generator and `JsonSerializer` with any
options accept, is left out of the build the reference is made from, and only there.) The
context's documentation comes with the package (your editor shows it).

```csharp
using System.Text.Json;
using Taskcluster.Schemas;

var queue = new QueueClient(new Uri(rootUrl), credentials);
var created = (await queue.CreateTaskAsync(SlugIds.NewSlugId(), definition)).GetValueOrThrow();
if (created.Status.State == TaskStatusState.Pending)
    Console.WriteLine(JsonSerializer.Serialize(created.Status, TaskclusterJsonContext.Default.TaskStatus));

var claim = (await queue.ClaimWorkAsync("proj-readme/worker",
    new ClaimWorkRequest { WorkerGroup = "g", WorkerId = "w", Tasks = 1 })).GetValueOrThrow();
foreach (var claimed in claim.Tasks)
{
    var worker = new QueueClient(new Uri(rootUrl), claimed.Credentials.ToCredentials());
    (await worker.ReportCompletedAsync(claimed.Status.TaskId, (int)claimed.RunId)).GetValueOrThrow();
}
```
*)
(*** hide ***)
tc.StopAsync().Wait()
