/// The queue's batch and listing views (`tasks`, `statuses`, task queues, worker types,
/// provisioners), through the generated `Queue` client.
module Taskcluster.Emulator.Tests.QueueViewsTests

open System
open Expecto
open Taskcluster.Client
open Taskcluster.Services
open Taskcluster.Emulator.Tests.Harness
open Taskcluster.Emulator.Tests.Clients

let private create (queue: Queue) (taskQueueId: string) =
    let taskId = slugId ()

    run (queue.CreateTask(taskId, Payload.Node(taskDef taskQueueId [])))
    |> ok "createTask"
    |> ignore

    taskId

let private ids (answer: Text.Json.JsonElement) (member': string) =
    items (prop member' answer) |> List.map (fun t -> (prop "taskId" t).GetString())

let tests =
    testList
        "QueueViews"
        [
            test "tasks and statuses answer the known tasks once each, in the order asked, and need each task's scope" {
                let emulator, _ = startWithClock DateTimeOffset.UtcNow
                use _ = emulator
                let queue = Queue(rootOf emulator)
                let a = create queue "prov-a/wt"
                let b = create queue "prov-a/wt"
                let body = Payload.Node(jobj [ "taskIds", jstrs [ b; slugId (); a; b ] ])
                let tasks = run (queue.Tasks body) |> ok "tasks"
                Expect.equal (ids tasks "tasks") [ b; a ] "known tasks, once, in order"

                Expect.equal
                    ((prop "taskQueueId" (prop "task" (items (prop "tasks" tasks)).Head)).GetString())
                    "prov-a/wt"
                    "the definition"

                let statuses = run (queue.Statuses body) |> ok "statuses"
                Expect.equal (ids statuses "statuses") [ b; a ] "statuses too"

                Expect.equal
                    ((prop "state" (prop "status" (items (prop "statuses" statuses)).Head)).GetString())
                    "pending"
                    "the status"

                let paged = run (queue.Tasks(body, limit = "1")) |> ok "page 1"
                Expect.equal (ids paged "tasks") [ b ] "one per page"
                let token = (prop "continuationToken" paged).GetString()

                let next =
                    run (queue.Tasks(body, continuationToken = token, limit = "1")) |> ok "page 2"

                Expect.equal (ids next "tasks") [ a ] "then the next"

                let limited =
                    Queue(withScopes emulator [ $"queue:get-task:{a}"; $"queue:status:{a}" ])

                let both = Payload.Node(jobj [ "taskIds", jstrs [ a; b ] ])
                run (limited.Tasks both) |> expectMissing $"queue:get-task:{b}"
                run (limited.Statuses both) |> expectMissing $"queue:status:{b}"
            }

            test "task queues, worker types and provisioners come from the queues workers asked for work" {
                let emulator, _ = startWithClock DateTimeOffset.UtcNow
                use _ = emulator
                let queue = Queue(rootOf emulator)
                let worker = Payload.Text """{"workerGroup": "g", "workerId": "w", "tasks": 1}"""

                for q in [ "prov-c/win"; "prov-b/mac"; "prov-b/linux" ] do
                    run (queue.ClaimWork(q, worker)) |> ok "claimWork" |> ignore

                // a task alone does not make its queue known
                create queue "prov-d/none" |> ignore

                let queues = run (queue.ListTaskQueues()) |> ok "listTaskQueues"

                Expect.equal
                    (items (prop "taskQueues" queues)
                     |> List.map (fun q -> (prop "taskQueueId" q).GetString()))
                    [ "prov-b/linux"; "prov-b/mac"; "prov-c/win" ]
                    "every queue, sorted"

                let one = run (queue.GetTaskQueue "prov-b/mac") |> ok "getTaskQueue"
                Expect.equal ((prop "taskQueueId" one).GetString()) "prov-b/mac" "getTaskQueue"

                run (queue.GetTaskQueue "prov-b/none")
                |> expectError 404 "ResourceNotFound"
                |> ignore

                let types = run (queue.ListWorkerTypes "prov-b") |> ok "listWorkerTypes"

                Expect.equal
                    (items (prop "workerTypes" types)
                     |> List.map (fun t -> (prop "workerType" t).GetString()))
                    [ "linux"; "mac" ]
                    "the provisioner's worker types"

                let provisioners =
                    run (queue.ListProvisioners(limit = "1")) |> ok "listProvisioners"

                let first = items (prop "provisioners" provisioners)
                Expect.equal (first |> List.map (fun p -> (prop "provisionerId" p).GetString())) [ "prov-b" ] "page one"
                let token = (prop "continuationToken" provisioners).GetString()

                let second =
                    run (queue.ListProvisioners(continuationToken = token, limit = "1"))
                    |> ok "page 2"

                Expect.equal
                    (items (prop "provisioners" second)
                     |> List.map (fun p -> (prop "provisionerId" p).GetString()))
                    [ "prov-c" ]
                    "page two"

                let limited = Queue(withScopes emulator [ "queue:list-worker-types:prov-c" ])
                run (limited.ListTaskQueues()) |> expectMissing "queue:list-task-queues"

                run (limited.GetTaskQueue "prov-b/mac")
                |> expectMissing "queue:get-task-queue:prov-b/mac"

                run (limited.ListWorkerTypes "prov-b")
                |> expectMissing "queue:list-worker-types:prov-b"

                run (limited.ListProvisioners()) |> expectMissing "queue:list-provisioners"
            }

            test "listPendingTasks and listClaimedTasks show the runs waiting and the runs held" {
                let emulator, _ = startWithClock DateTimeOffset.UtcNow
                use _ = emulator
                let queue = Queue(rootOf emulator)
                let first = create queue "prov-e/linux"
                let second = create queue "prov-e/linux"

                let claimed =
                    run (
                        queue.ClaimWork(
                            "prov-e/linux",
                            Payload.Text """{"workerGroup": "g1", "workerId": "w1", "tasks": 1}"""
                        )
                    )
                    |> ok "claimWork"

                let held =
                    (prop "taskId" (prop "status" (items (prop "tasks" claimed)).Head)).GetString()

                let waiting = if held = first then second else first
                let pending = run (queue.ListPendingTasks "prov-e/linux") |> ok "listPendingTasks"
                Expect.equal (ids pending "tasks") [ waiting ] "the unclaimed run"
                let running = run (queue.ListClaimedTasks "prov-e/linux") |> ok "listClaimedTasks"
                Expect.equal (ids running "tasks") [ held ] "the claimed run"
                let entry = (items (prop "tasks" running)).Head
                Expect.equal ((prop "workerId" entry).GetString()) "w1" "by its worker"

                let limited = Queue(withScopes emulator [ "queue:pending-list:prov-e/other" ])

                run (limited.ListPendingTasks "prov-e/linux")
                |> expectMissing "queue:pending-list:prov-e/linux"

                run (limited.ListClaimedTasks "prov-e/linux")
                |> expectMissing "queue:claimed-list:prov-e/linux"
            }
        ]
