/// Task groups (sealing, cancelling), priorities and the deprecated single-run claim, through
/// the generated `Queue` client.
module Taskcluster.Emulator.Tests.QueueGroupsTests

open System
open System.Text.Json
open Expecto
open Taskcluster.Client
open Taskcluster.Services
open Taskcluster.Emulator.Tests.Harness
open Taskcluster.Emulator.Tests.Clients

let private state (queue: Queue) (taskId: string) =
    run (queue.Status taskId) |> ok "status" |> prop "status" |> propString "state"

let private lastRun (queue: Queue) (taskId: string) =
    run (queue.Status taskId)
    |> ok "status"
    |> prop "status"
    |> prop "runs"
    |> items
    |> List.last

let private worker (group: string) (id: string) =
    Payload.Node(jobj [ "workerGroup", jstr group; "workerId", jstr id; "tasks", jint 4L ])

let private claimOnce (queue: Queue) (taskQueueId: string) =
    run (queue.ClaimWork(taskQueueId, worker "g" "w"))
    |> ok "claimWork"
    |> prop "tasks"
    |> items

let private strs (e: JsonElement) = items e |> List.map _.GetString()

let tests =
    testList
        "QueueGroups"
        [
            test "sealTaskGroup seals once, then the group refuses new tasks; getTaskGroup shows the seal" {
                let emulator, clock = startWithClock DateTimeOffset.UtcNow
                use _ = emulator
                let queue = Queue(rootOf emulator)
                let q = newQueueId ()
                let group = slugId ()
                createTaskIn queue q [ "taskGroupId", jstr group ] |> ignore

                let before = run (queue.GetTaskGroup group) |> ok "getTaskGroup"
                Expect.isFalse (before.TryGetProperty "sealed" |> fst) "not sealed yet"

                let sealedAt = clock.GetUtcNow()
                let first = run (queue.SealTaskGroup group) |> ok "sealTaskGroup"
                Expect.equal (propString "taskGroupId" first) group "the group"
                Expect.equal (propString "schedulerId" first) "-" "its scheduler"
                Expect.equal (propString "sealed" first) (iso sealedAt) "sealed now"

                clock.Advance(TimeSpan.FromMinutes 1.0)
                let again = run (queue.SealTaskGroup group) |> ok "sealTaskGroup again"
                Expect.equal (propString "sealed" again) (iso sealedAt) "a second seal changes nothing"

                let shown = run (queue.GetTaskGroup group) |> ok "getTaskGroup"
                Expect.equal (propString "sealed" shown) (iso sealedAt) "getTaskGroup shows it"

                let refused =
                    run (queue.CreateTask(slugId (), Payload.Node(taskDef q [ "taskGroupId", jstr group ])))
                    |> expectError 409 "RequestConflict"

                Expect.stringContains refused.Message "is sealed" "the real error"
                Expect.stringContains refused.Message group "naming the group"

                run (queue.SealTaskGroup(slugId ()))
                |> expectError 404 "ResourceNotFound"
                |> ignore

                let other = createTaskIn queue q []
                let limited = Queue(withScopes emulator [ "queue:seal-task-group:-/" + group ])

                run (limited.SealTaskGroup other)
                |> expectMissing $"queue:seal-task-group:-/{other}"
            }

            test "a task group keeps one schedulerId" {
                let emulator, _ = startWithClock DateTimeOffset.UtcNow
                use _ = emulator
                let queue = Queue(rootOf emulator)
                let q = newQueueId ()
                let group = slugId ()

                createTaskIn queue q [ "taskGroupId", jstr group; "schedulerId", jstr "sched-a" ]
                |> ignore

                let e =
                    run (
                        queue.CreateTask(
                            slugId (),
                            Payload.Node(taskDef q [ "taskGroupId", jstr group; "schedulerId", jstr "sched-b" ])
                        )
                    )
                    |> expectError 409 "RequestConflict"

                Expect.stringContains e.Message "sched-b" "names the other schedulerId"
            }

            test "cancelTaskGroup needs a sealed group, then cancels exactly its unresolved tasks" {
                let emulator, _ = startWithClock DateTimeOffset.UtcNow
                use _ = emulator
                let queue = Queue(rootOf emulator)
                let q = newQueueId ()
                let group = slugId ()

                let inGroup extra =
                    createTaskIn queue q (("taskGroupId", jstr group) :: extra)

                let running = inGroup []
                let claims = claimOnce queue q
                Expect.equal claims.Length 1 "the first task is claimed"
                let pending = inGroup []
                let unscheduled = inGroup [ "dependencies", jstrs [ pending ] ]
                let done' = inGroup []

                let claimedDone =
                    claimOnce queue q |> List.map (fun c -> propString "taskId" (prop "status" c))

                Expect.equal claimedDone [ pending; done' ] "the two pending ones are claimed"
                run (queue.ReportCompleted(done', "0")) |> ok "reportCompleted" |> ignore
                // `pending` was claimed above: put it back to pending by resolving for a retry
                run (queue.ReportException(pending, "0", Payload.Text """{"reason": "worker-shutdown"}"""))
                |> ok "reportException"
                |> ignore

                Expect.equal (state queue pending) "pending" "retried, so pending"

                let unsealed =
                    run (queue.CancelTaskGroup group) |> expectError 409 "RequestConflict"

                Expect.stringContains unsealed.Message group "the unsealed group is named"
                Expect.equal (state queue running) "running" "nothing was cancelled"

                let limited = Queue(withScopes emulator [ "queue:seal-task-group:-/" + group ])
                run (limited.SealTaskGroup group) |> ok "sealTaskGroup" |> ignore

                run (limited.CancelTaskGroup group)
                |> expectMissing $"queue:cancel-task-group:-/{group}"

                let answer = run (queue.CancelTaskGroup group) |> ok "cancelTaskGroup"
                Expect.equal (propString "taskGroupId" answer) group "the group"
                Expect.equal ((prop "taskGroupSize" answer).GetInt32()) 4 "its size"
                Expect.equal ((prop "cancelledCount" answer).GetInt32()) 3 "three were unresolved"

                Expect.equal
                    (strs (prop "taskIds" answer) |> set)
                    (set [ running; pending; unscheduled ])
                    "the unresolved ones"

                for id in [ running; pending; unscheduled ] do
                    Expect.equal (state queue id) "exception" $"{id} cancelled"
                    Expect.equal (propString "reasonResolved" (lastRun queue id)) "canceled" "as canceled"

                Expect.equal (state queue done') "completed" "the completed task stays completed"

                let again = run (queue.CancelTaskGroup group) |> ok "cancelTaskGroup again"
                Expect.equal ((prop "cancelledCount" again).GetInt32()) 0 "nothing left to cancel"

                run (queue.RerunTask running) |> ok "rerunTask" |> ignore
                let third = run (queue.CancelTaskGroup group) |> ok "cancelTaskGroup after a rerun"
                Expect.equal (strs (prop "taskIds" third)) [ running ] "only the new run"

                run (queue.CancelTaskGroup(slugId ()))
                |> expectError 404 "ResourceNotFound"
                |> ignore
            }

            test "changeTaskPriority changes an unresolved task's priority and refuses a resolved one" {
                let emulator, _ = startWithClock DateTimeOffset.UtcNow
                use _ = emulator
                let queue = Queue(rootOf emulator)
                let q = newQueueId ()
                let taskId = createTaskIn queue q []

                let body p =
                    Payload.Node(jobj [ "newPriority", jstr p ])

                let answer =
                    run (queue.ChangeTaskPriority(taskId, body "high")) |> ok "changeTaskPriority"

                Expect.equal (propString "priority" (prop "status" answer)) "high" "the status has it"
                Expect.equal (run (queue.Task taskId) |> ok "task" |> propString "priority") "high" "the task has it"

                // either scope will do
                let byQueue =
                    Queue(withScopes emulator [ $"queue:change-task-priority-in-queue:{q}" ])

                run (byQueue.ChangeTaskPriority(taskId, body "low")) |> ok "by queue" |> ignore
                Expect.equal (run (queue.Task taskId) |> ok "task" |> propString "priority") "low" "changed again"

                let neither =
                    Queue(withScopes emulator [ "queue:change-task-priority-in-queue:other/q" ])

                run (neither.ChangeTaskPriority(taskId, body "high"))
                |> expectMissing $"queue:change-task-priority:{taskId}"

                run (queue.CancelTask taskId) |> ok "cancelTask" |> ignore

                let refused =
                    run (queue.ChangeTaskPriority(taskId, body "high"))
                    |> expectError 409 "RequestConflict"

                Expect.stringContains refused.Message "already resolved" "a resolved task keeps its priority"

                run (queue.ChangeTaskPriority(slugId (), body "high"))
                |> expectError 404 "ResourceNotFound"
                |> ignore
            }

            test "changeTaskGroupPriority changes the group's unresolved tasks that have another priority" {
                let emulator, _ = startWithClock DateTimeOffset.UtcNow
                use _ = emulator
                let queue = Queue(rootOf emulator)
                let q = newQueueId ()
                let group = slugId ()
                let a = createTaskIn queue q [ "taskGroupId", jstr group ]
                let b = createTaskIn queue q [ "taskGroupId", jstr group; "priority", jstr "high" ]
                let c = createTaskIn queue q [ "taskGroupId", jstr group ]
                run (queue.CancelTask c) |> ok "cancelTask" |> ignore
                let body = Payload.Node(jobj [ "newPriority", jstr "high" ])

                let answer =
                    run (queue.ChangeTaskGroupPriority(group, body)) |> ok "changeTaskGroupPriority"

                Expect.equal (strs (prop "taskIds" answer)) [ a ] "only the unresolved task of another priority"
                Expect.equal ((prop "tasksAffected" answer).GetInt32()) 1 "one affected"
                Expect.equal (propString "newPriority" answer) "high" "the new priority"
                Expect.equal (propString "schedulerId" answer) "-" "the group's scheduler"

                for id, expected in [ a, "high"; b, "high"; c, "lowest" ] do
                    Expect.equal (run (queue.Task id) |> ok "task" |> propString "priority") expected id

                let limited = Queue(withScopes emulator [ "queue:change-task-priority:" + a ])

                run (limited.ChangeTaskGroupPriority(group, body))
                |> expectMissing $"queue:change-task-group-priority:-/{group}"

                run (queue.ChangeTaskGroupPriority(slugId (), body))
                |> expectError 404 "ResourceNotFound"
                |> ignore
            }

            test "claimTask claims a given pending run for a worker, once" {
                let emulator, clock = startWithClock DateTimeOffset.UtcNow
                use _ = emulator
                let queue = Queue(rootOf emulator)
                let q = newQueueId ()
                let taskId = createTaskIn queue q []

                let as' (g: string) (w: string) =
                    Payload.Node(jobj [ "workerGroup", jstr g; "workerId", jstr w ])

                let now = clock.GetUtcNow()

                let p, wt =
                    match q.Split '/' with
                    | [| p; wt |] -> p, wt
                    | _ -> failtest "queue id"

                let limited = Queue(withScopes emulator [ "queue:worker-id:g/w" ])

                run (limited.ClaimTask(taskId, "0", as' "g" "w"))
                |> expectMissing $"queue:claim-task:{p}/{wt}"

                let claim = run (queue.ClaimTask(taskId, "0", as' "g" "w")) |> ok "claimTask"
                Expect.equal ((prop "runId" claim).GetInt32()) 0 "run 0"
                Expect.equal (propString "workerId" claim) "w" "the worker"

                Expect.equal
                    (propString "takenUntil" claim)
                    (iso (now + TimeSpan.FromMinutes 20.0))
                    "taken for 20 minutes"

                Expect.equal (propString "state" (prop "status" claim)) "running" "running"
                Expect.equal (propString "taskId" (prop "status" claim)) taskId "the task"
                Expect.equal (propString "taskQueueId" (prop "task" claim)) q "its definition"

                Expect.stringStarts
                    (propString "clientId" (prop "credentials" claim))
                    $"task-client/{taskId}/0/on/g/w/"
                    "temporary credentials for the run"

                Expect.equal (state queue taskId) "running" "the task runs"

                run (queue.ClaimTask(taskId, "0", as' "g" "w"))
                |> ok "the same worker again"
                |> ignore

                let conflict =
                    run (queue.ClaimTask(taskId, "0", as' "g" "other"))
                    |> expectError 409 "RequestConflict"

                Expect.stringContains conflict.Message "already claimed" "another worker is refused"

                run (queue.ClaimTask(taskId, "3", as' "g" "w"))
                |> expectError 404 "ResourceNotFound"
                |> ignore

                run (queue.ClaimTask(slugId (), "0", as' "g" "w"))
                |> expectError 404 "ResourceNotFound"
                |> ignore

                // a claim that is not renewed expires and the task is retried
                clock.Advance(TimeSpan.FromMinutes 21.0)

                let first =
                    run (queue.Status taskId)
                    |> ok "status"
                    |> prop "status"
                    |> prop "runs"
                    |> items
                    |> List.head

                Expect.equal (propString "reasonResolved" first) "claim-expired" "expired"
                Expect.equal (state queue taskId) "pending" "retried"

                clock.Advance(TimeSpan.FromHours 1.0)

                let late =
                    run (queue.ClaimTask(taskId, "1", as' "g" "w"))
                    |> expectError 409 "RequestConflict"

                Expect.stringContains late.Message "deadline" "past its deadline"
            }
        ]
