/// The web-server's profiler methods, through the generated `WebServer` client: profiles
/// computed from the emulator's queue and a task's log artifact.
module Taskcluster.Emulator.Tests.WebServerTests

open System
open System.Net.Http
open System.Text
open System.Text.Json
open Expecto
open Taskcluster.Client
open Taskcluster.Services
open Taskcluster.Emulator
open Taskcluster.Emulator.Tests.Harness
open Taskcluster.Emulator.Tests.Clients

let private queueId = "proj-prof/linux"

/// Creates a task in `group` and returns its id.
let private create (queue: Queue) (group: string) (name: string) =
    let taskId = slugId ()

    let def =
        taskDef
            queueId
            [
                "taskGroupId", jstr group
                "metadata",
                jobj
                    [
                        "name", jstr name
                        "description", jstr "profiled"
                        "owner", jstr "owner@example.com"
                        "source", jstr "https://example.com/profile"
                    ]
            ]

    run (queue.CreateTask(taskId, Payload.Node def)) |> ok "createTask" |> ignore
    taskId

/// Claims the next pending task of the queue and returns its id.
let private claim (queue: Queue) =
    let claimed =
        run (queue.ClaimWork(queueId, Payload.Text """{"workerGroup": "g", "workerId": "w", "tasks": 1}"""))
        |> ok "claimWork"

    (prop "taskId" (prop "status" (items (prop "tasks" claimed)).Head)).GetString()

/// The markers of the profile's only thread, as (name, data) pairs.
let private markers (profile: JsonElement) =
    let thread = (items (prop "threads" profile)).Head
    let strings = items (prop "stringArray" thread) |> List.map (fun s -> s.GetString())
    let m = prop "markers" thread

    List.zip (items (prop "name" m)) (items (prop "data" m))
    |> List.map (fun (n, d) -> strings[n.GetInt32()], d)

let tests =
    testList
        "WebServer"
        [
            test "taskGroupProfile has a marker for the group and for each run that started" {
                let emulator, _ = startWithClock DateTimeOffset.UtcNow
                use _ = emulator
                let queue = Queue(rootOf emulator)
                let group = slugId ()
                let first = create queue group "build"
                let second = create queue group "test"
                let started = claim queue
                run (queue.ReportCompleted(started, "0")) |> ok "reportCompleted" |> ignore
                let idle = if started = first then second else first

                // no credentials: the method needs no scopes
                let anonymous =
                    match Options.create emulator.RootUrl |> Client.create with
                    | Ok c -> WebServer c
                    | Error e -> failtestf "%A" e

                let profile = run (anonymous.TaskGroupProfile group) |> ok "taskGroupProfile"
                let thread = (items (prop "threads" profile)).Head
                Expect.equal ((prop "name" thread).GetString()) group "one thread per group"
                let ms = markers profile

                Expect.equal
                    (ms |> List.map fst)
                    [ "TaskGroup"; "TaskGroup (no actions)"; "Task" ]
                    "the group twice, one run"

                let _, task = List.last ms
                Expect.equal ((prop "taskId" task).GetString()) started "the run that started"
                Expect.equal ((prop "state" task).GetString()) "completed" "its state"
                Expect.equal ((prop "tasks" (snd ms.Head)).GetInt32()) 2 "the group's size"

                Expect.isFalse
                    (ms
                     |> List.exists (fun (_, d) ->
                         d.ValueKind = JsonValueKind.Object
                         && (match d.TryGetProperty "taskId" with
                             | true, v -> v.GetString() = idle
                             | _ -> false)))
                    "no marker for the pending task"

                run (anonymous.TaskGroupProfile(slugId ()))
                |> expectError 404 "ResourceNotFound"
                |> ignore
            }

            test "taskProfile turns a resolved task's live log into one marker per line" {
                let emulator, _ = startWithClock DateTimeOffset.UtcNow
                use _ = emulator
                let root = rootOf emulator
                let queue = Queue(root)
                let web = WebServer(root)
                let taskId = create queue (slugId ()) "logged"
                Expect.equal (claim queue) taskId "claimed"

                run (web.TaskProfile taskId) |> expectError 404 "ResourceNotFound" |> ignore

                let created =
                    run (
                        queue.CreateArtifact(
                            taskId,
                            "0",
                            "public/logs/live.log",
                            Payload.Node(
                                jobj
                                    [
                                        "storageType", jstr "s3"
                                        "expires", jstr (fromNow (TimeSpan.FromDays 1.0))
                                        "contentType", jstr "text/plain"
                                    ]
                            )
                        )
                    )
                    |> ok "createArtifact"

                let log =
                    String.concat
                        "\n"
                        [
                            "preamble without a time"
                            "[taskcluster 2030-01-01T00:00:00.000Z] Worker starting"
                            "[vcs 2030-01-01T00:00:02.500Z] cloning"
                            "plain output"
                            "[taskcluster 2030-01-01T00:00:05.000Z] Finished"
                            ""
                        ]

                use content = new StringContent(log, Encoding.UTF8, "text/plain")
                use put = http.PutAsync((prop "putUrl" created).GetString(), content).Result
                Expect.equal (int put.StatusCode) 200 "uploaded"
                run (queue.ReportCompleted(taskId, "0")) |> ok "reportCompleted" |> ignore

                let profile = run (web.TaskProfile taskId) |> ok "taskProfile"
                let ms = markers profile

                Expect.equal
                    (ms |> List.map fst)
                    [
                        "logged"
                        "no timestamp"
                        "taskcluster"
                        "vcs"
                        "no timestamp"
                        "taskcluster"
                    ]
                    "the task, then each line"

                let thread = (items (prop "threads" profile)).Head
                let ends = items (prop "endTime" (prop "markers" thread))
                Expect.equal (ends.Head.GetInt64()) 5000L "the task lasts from the first to the last time"

                let starts =
                    items (prop "startTime" (prop "markers" thread))
                    |> List.map (fun s -> s.GetInt64())

                Expect.equal starts [ 0L; 0L; 0L; 2500L; 2500L; 5000L ] "times from the first stamp"

                Expect.equal
                    ((prop "startTime" (prop "meta" profile)).GetInt64())
                    (DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds())
                    "the profile starts at the first stamp"

                Expect.equal ((prop "taskId" (snd ms.Head)).GetString()) taskId "the task marker names the task"

                run (web.TaskProfile(slugId ())) |> expectError 404 "ResourceNotFound" |> ignore
            }
        ]
