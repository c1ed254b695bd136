/// The typed bodies of exchange messages: every exchange of every set has a decoder into the
/// model of its message schema, for a Pulse consumer's `Message.decode`.
module Taskcluster.Services.Tests.TypedMessageTests

open System
open System.Text.Json
open Expecto
open Taskcluster.Core
open Taskcluster.Client
open Taskcluster.Emulator
open Taskcluster.Models
open Taskcluster.Services
open Taskcluster.Services.Tests.Support

let private element (text: string) =
    JsonSerializer.Deserialize<JsonElement> text

let tests =
    testList
        "Typed exchange messages"
        [
            test "a task-completed body built from a task's real status decodes into TaskCompletedMessage" {
                let emulator = run (Emulator.start (EmulatorOptions()))

                let client =
                    Options.create emulator.RootUrl
                    |> Options.withCredentials emulator.ClientId emulator.AccessToken
                    |> Client.create
                    |> unwrap "creating the client"

                let queue = Queue(client)
                let taskId = (Helpers.slugId ()).Value
                let now = DateTimeOffset.UtcNow

                let iso (d: DateTimeOffset) =
                    d.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", Globalization.CultureInfo.InvariantCulture)

                let task =
                    $$"""{"taskQueueId":"proj-test/worker","schedulerId":"-","taskGroupId":"{{taskId}}",
                          "created":"{{iso now}}",
                          "deadline":"{{iso (now.AddHours 1.0)}}",
                          "payload":{},"metadata":{"name":"m","description":"d","owner":"o@example.com","source":"https://example.com/"} }"""

                run (queue.CreateTask(taskId, Payload.Text task))
                |> unwrap "creating the task"
                |> ignore

                let status = run (queue.Status taskId) |> unwrap "reading the status"

                let body =
                    $$"""{"version":1,"status":{{status.GetProperty("status").GetRawText()}},"runId":0,"workerGroup":"wg","workerId":"w1","fromTheFuture":[1]}"""

                let message =
                    QueueEvents.DecodeTaskCompleted(element body) |> unwrap "decoding the message"

                Expect.equal message.Status.TaskId taskId "the status's task"
                Expect.equal message.WorkerId "w1" "the worker"
                Expect.equal message.RunId 0L "the run"

                Expect.equal
                    (message.ExtensionData |> Map.toList |> List.map fst)
                    [ "fromTheFuture" ]
                    "an unknown member is kept"

                (emulator :> IDisposable).Dispose()
            }

            test "a body of the wrong shape is an error naming its path, never an exception" {
                match
                    QueueEvents.DecodeTaskCompleted(
                        element """{"version":1,"status":{},"runId":"zero","workerGroup":"g","workerId":"w"}"""
                    )
                with
                | Error e -> Expect.stringStarts e.Path "$." "a path into the body"
                | Ok m -> failtestf "decoded %A" m

                Expect.isError (QueueEvents.DecodeTaskCompleted(element "[]")) "an array is not a message"
            }

            test "every exchange's decoder refuses a non-object body with an error (one decoder per exchange)" {
                let decoders: (string * (JsonElement -> bool)) list =
                    [
                        "queue.taskDefined", (fun b -> Result.isError (QueueEvents.DecodeTaskDefined b))
                        "queue.artifactCreated", (fun b -> Result.isError (QueueEvents.DecodeArtifactCreated b))
                        "queue.taskGroupResolved", (fun b -> Result.isError (QueueEvents.DecodeTaskGroupResolved b))
                        "auth.clientCreated", (fun b -> Result.isError (AuthEvents.DecodeClientCreated b))
                        "github.pullRequest", (fun b -> Result.isError (GithubEvents.DecodePullRequest b))
                        "hooks.hookCreated", (fun b -> Result.isError (HooksEvents.DecodeHookCreated b))
                        "notify.notify", (fun b -> Result.isError (NotifyEvents.DecodeNotify b))
                        "worker-manager.workerPoolCreated",
                        (fun b -> Result.isError (WorkerManagerEvents.DecodeWorkerPoolCreated b))
                    ]

                for name, refuses in decoders do
                    Expect.isTrue (refuses (element "42")) $"{name} refuses a number"
            }
        ]
