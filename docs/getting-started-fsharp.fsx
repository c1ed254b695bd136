(**
---
title: Getting started from F#
category: Getting started
categoryindex: 1
index: 1
---
*)
(*** hide ***)
#load ".include/references.fsx"
(**
# Getting started from F#

Add the packages you need (`Taskcluster.Functional.Services` brings the client and the core with
it; `Taskcluster.Functional.Emulator` for offline tests) and open the namespaces:
*)
open System
open Taskcluster.Core
open Taskcluster.Client
open Taskcluster.Models
open Taskcluster.Services
open Taskcluster.Emulator
(**
This page runs against an emulator that it starts itself (see [the emulator](emulator.html)):
a Taskcluster deployment on `127.0.0.1` whose root client holds the scope `*`. Against a real
deployment you would set `TASKCLUSTER_ROOT_URL`, `TASKCLUSTER_CLIENT_ID` and
`TASKCLUSTER_ACCESS_TOKEN` and call `Client.fromEnvironment ()` instead.
*)
let tc = (Emulator.start (EmulatorOptions())).Result

let client =
    Options.create tc.RootUrl
    |> Options.withCredentials tc.ClientId tc.AccessToken
    |> Client.create
    |> Result.defaultWith (fun e -> failwith (e.Describe()))
(**
A `TaskclusterClient` is configured once and shared. Each service has a generated client over
it; `queue.Typed` has every queue method with typed requests and responses
([typed models](typed-models.html)), and every call returns a `Task<Result<_, TaskclusterError>>`
— nothing throws for a failed call.
*)
let queue = Queue client
let taskId = Helpers.slugId().Value

let request =
    CreateTaskRequest.Create(
        DateTimeOffset.UtcNow,
        DateTimeOffset.UtcNow.AddHours 1.0,
        TaskMetadata.Create(
            description = "The getting-started task",
            name = "hello",
            owner = "docs@example.com",
            source = "https://example.com/docs"
        ),
        Json.Object [ ("command", Json.Array [ Json.String "echo"; Json.String "hello" ]) ],
        taskQueueId = "proj-docs/worker"
    )

let created = (queue.Typed.CreateTask(taskId, request)).Result

match created with
| Ok response -> printfn "created %s: %A" response.Status.TaskId response.Status.State
| Error e -> printfn "%s" (e.Describe())
(**
Errors are values: a `TaskclusterError` union (service errors with their status and
Taskcluster code, missing scopes, transport failures, timeouts, exhausted retries, responses that
do not decode). A client with too few scopes gets `InsufficientScopes`, naming what it lacks:
*)
tc.State.CreateClient("project/docs/reader", "a-reader-token", [ "queue:get-task:*" ])

let reader =
    Options.create tc.RootUrl
    |> Options.withCredentials "project/docs/reader" "a-reader-token"
    |> Client.create
    |> Result.defaultWith (fun e -> failwith (e.Describe()))

match (Queue(reader).Typed.CreateTask(Helpers.slugId().Value, request)).Result with
| Error(TaskclusterError.InsufficientScopes e) -> printfn "refused: %s" (e.Message.Split('\n')[0])
| other -> failwithf "expected a refusal, got %A" other
(**
Reading it back, typed:
*)
let status =
    queue.Typed.Status taskId
    |> fun t -> t.Result
    |> Result.map (fun s -> s.Status.State)

(**
In a program you would write these inside `task { }` and `let!` them; `.Result` keeps a script
short. Next: [calling the services](calling-services.html) in depth.
*)
(*** hide ***)
tc.StopAsync().Wait()
