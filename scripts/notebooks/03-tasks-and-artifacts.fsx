(**
# Create a task, upload an artifact, download it

The queue's whole life cycle against the emulator: create a task, claim it as a worker would,
upload an artifact through the object service and read it back with its hashes verified.
*)
#r "nuget: Taskcluster.Functional.Emulator, 0.1.0"
#r "nuget: Taskcluster.Functional.Services, 0.1.0"
#r "nuget: Taskcluster.Functional.Transfers, 0.1.0"

open System
open System.Threading
open Taskcluster.Core
open Taskcluster.Client
open Taskcluster.Services
open Taskcluster.Emulator

let emulator = Emulator.start(EmulatorOptions()).GetAwaiter().GetResult()

let client =
    Options.create emulator.RootUrl
    |> Options.withCredentials emulator.ClientId emulator.AccessToken
    |> Client.create
    |> Result.defaultWith (fun e -> failwith (e.Describe()))

let run (call: Threading.Tasks.Task<Result<'T, TaskclusterError>>) =
    match call.GetAwaiter().GetResult() with
    | Ok value -> value
    | Error e -> failwith (e.Describe())

/// The same for transfers, whose errors are `TransferError`s.
let transfer (call: Threading.Tasks.Task<Result<'T, TransferError>>) =
    match call.GetAwaiter().GetResult() with
    | Ok value -> value
    | Error e -> failwith (e.Describe())

let queue = Queue client

(**
A task definition as an anonymous record; `Payload.ofObj` keeps its property names as written.
The emulator validates it against the queue's schema, as the real queue does.
*)
let taskId = (Helpers.slugId ()).Value
let now = DateTimeOffset.UtcNow

let definition =
    {|
        taskQueueId = "proj-notebook/worker"
        schedulerId = "-"
        created = now
        deadline = now.AddHours 1.0
        expires = now.AddDays 1.0
        payload = {| command = [ "echo"; "hello" ] |}
        metadata =
            {|
                name = "notebook task"
                description = "created by a notebook"
                owner = "notebook@example.com"
                source = "https://example.com/notebooks"
            |}
    |}

let created = run (queue.CreateTask(taskId, Payload.ofObj definition))
printfn "created %s: %s" taskId (created.GetProperty("status").GetProperty("state").GetString())

(**
Claim it as the worker `notebook/worker-1` (the root client may), which starts run 0.
*)
let claim =
    run (
        queue.ClaimWork(
            "proj-notebook/worker",
            Payload.ofObj
                {|
                    workerGroup = "notebook"
                    workerId = "worker-1"
                    tasks = 1
                |}
        )
    )

let claimed = claim.GetProperty("tasks")[0]
let runId = claimed.GetProperty("runId").GetInt32()
printfn "claimed %s, run %d" (claimed.GetProperty("status").GetProperty("taskId").GetString()) runId

(**
Upload an artifact and download it. `Artifact` picks the object service's upload method, sends
the bytes and records the hashes; the download checks them.
*)
let artifacts = QueueApi.ofService queue
let content = Text.Encoding.UTF8.GetBytes "hello from a notebook\n"

let upload =
    { Artifact.uploadRequest taskId runId "public/notebook/hello.txt" (now.AddDays 1.0) with
        ContentType = "text/plain"
    }

Artifact.uploadFromBuf artifacts Transfer.defaults upload (ReadOnlyMemory content) CancellationToken.None
|> transfer
|> ignore

let bytes, info =
    Artifact.downloadToBuf artifacts Transfer.defaults taskId None "public/notebook/hello.txt" CancellationToken.None
    |> transfer

printfn "downloaded %d bytes (%s): %s" bytes.Length info.ContentType (Text.Encoding.UTF8.GetString bytes)

if bytes <> content then
    failwith "the artifact read back differs from the upload"

(**
Complete the run; the task is then `completed`.
*)
let completed = run (queue.ReportCompleted(taskId, string runId))
printfn "task is %s" (completed.GetProperty("status").GetProperty("state").GetString())

emulator.StopAsync().GetAwaiter().GetResult()
