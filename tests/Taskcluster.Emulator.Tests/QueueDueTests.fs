/// What falls due under the emulator's clock: deadlines and claim expiries, taken from the
/// queue's due times (a reclaim or a resolution leaves a stale entry that must do nothing),
/// and the per-queue counts and lists kept beside them, through the generated `Queue` client.
module Taskcluster.Emulator.Tests.QueueDueTests

open System
open System.Text.Json
open Expecto
open Taskcluster.Client
open Taskcluster.Services
open Taskcluster.Emulator.Tests.Harness
open Taskcluster.Emulator.Tests.Clients

let private runs (queue: Queue) (taskId: string) =
    run (queue.Status taskId)
    |> ok "status"
    |> prop "status"
    |> prop "runs"
    |> items

let private claim (queue: Queue) (taskQueueId: string) (n: int) =
    let body =
        Payload.Node(jobj [ "workerGroup", jstr "g"; "workerId", jstr "w"; "tasks", jint (int64 n) ])

    run (queue.ClaimWork(taskQueueId, body))
    |> ok "claimWork"
    |> prop "tasks"
    |> items
    |> List.map (fun c -> propString "taskId" (prop "status" c))

let private counts (queue: Queue) (taskQueueId: string) =
    let c = run (queue.TaskQueueCounts taskQueueId) |> ok "taskQueueCounts"
    (prop "pendingTasks" c).GetInt32(), (prop "claimedTasks" c).GetInt32()

let tests =
    testList
        "QueueDue"
        [
            test "a reclaimed run outlives its first claim's expiry and expires at its second" {
                let emulator, clock = startWithClock DateTimeOffset.UtcNow
                use _ = emulator
                let queue = Queue(rootOf emulator)
                let q = newQueueId ()
                let taskId = createTaskIn queue q []
                Expect.equal (claim queue q 1) [ taskId ] "claimed"
                clock.Advance(TimeSpan.FromMinutes 15.0)
                run (queue.ReclaimTask(taskId, "0")) |> ok "reclaimTask" |> ignore

                // past the first claim's end: its entry comes due and must find the run renewed
                clock.Advance(TimeSpan.FromMinutes 10.0)
                let r = runs queue taskId
                Expect.equal (r |> List.map (propString "state")) [ "running" ] "still running"

                clock.Advance(TimeSpan.FromMinutes 11.0)
                let r = runs queue taskId
                Expect.equal (r |> List.map (propString "state")) [ "exception"; "pending" ] "expired, retried"
                Expect.equal (propString "reasonResolved" r.Head) "claim-expired" "claim-expired"
            }

            test "a resolved task's due times do nothing; a rerun past the deadline is resolved at once" {
                let emulator, clock = startWithClock DateTimeOffset.UtcNow
                use _ = emulator
                let queue = Queue(rootOf emulator)
                let q = newQueueId ()
                let taskId = createTaskIn queue q []
                Expect.equal (claim queue q 1) [ taskId ] "claimed"
                run (queue.ReportCompleted(taskId, "0")) |> ok "reportCompleted" |> ignore

                // the claim's end and the deadline pass
                clock.Advance(TimeSpan.FromHours 2.0)
                Expect.equal (runs queue taskId |> List.map (propString "state")) [ "completed" ] "stays completed"

                run (queue.RerunTask taskId) |> ok "rerunTask" |> ignore
                let r = runs queue taskId
                Expect.equal (r |> List.map (propString "state")) [ "completed"; "exception" ] "the rerun is too late"
                Expect.equal (propString "reasonResolved" (List.last r)) "deadline-exceeded" "deadline-exceeded"
            }

            test "taskQueueCounts and listClaimedTasks follow runs as they are claimed, resolved and expire" {
                let emulator, clock = startWithClock DateTimeOffset.UtcNow
                use _ = emulator
                let queue = Queue(rootOf emulator)
                let q = newQueueId ()
                let ids = [ for _ in 1..5 -> createTaskIn queue q [] ]
                Expect.equal (counts queue q) (5, 0) "five pending"
                let claimed = claim queue q 3
                Expect.equal claimed (List.take 3 ids) "the first three, in order"
                Expect.equal (counts queue q) (2, 3) "two pending, three claimed"
                run (queue.ReportCompleted(claimed[0], "0")) |> ok "reportCompleted" |> ignore
                run (queue.CancelTask claimed[1]) |> ok "cancelTask" |> ignore
                run (queue.CancelTask ids[3]) |> ok "cancel a pending one" |> ignore
                Expect.equal (counts queue q) (1, 1) "one of each left"

                let held =
                    run (queue.ListClaimedTasks q)
                    |> ok "listClaimedTasks"
                    |> prop "tasks"
                    |> items
                    |> List.map (propString "taskId")

                Expect.equal held [ claimed[2] ] "the run still held"

                clock.Advance(TimeSpan.FromMinutes 21.0)
                Expect.equal (counts queue q) (2, 0) "the held run expired and is pending again"
            }

            test "a group pages through in taskId order, each task once, whatever the page size" {
                let emulator, _ = startWithClock DateTimeOffset.UtcNow
                use _ = emulator
                let queue = Queue(rootOf emulator)
                let q = newQueueId ()
                let group = slugId ()
                let ids = [ for _ in 1..7 -> createTaskIn queue q [ "taskGroupId", jstr group ] ]
                let sorted = ids |> List.sortWith (fun a b -> String.CompareOrdinal(a, b))

                for limit in [ 1; 2; 3; 7; 8 ] do
                    let rec walk token acc =
                        let page =
                            match token with
                            | None -> run (queue.ListTaskGroup(group, limit = string limit))
                            | Some t -> run (queue.ListTaskGroup(group, continuationToken = t, limit = string limit))
                            |> ok "listTaskGroup"

                        let got =
                            items (prop "tasks" page)
                            |> List.map (fun t -> propString "taskId" (prop "status" t))

                        Expect.isLessThanOrEqual got.Length limit "at most a page"

                        match page.TryGetProperty "continuationToken" with
                        | true, t -> walk (Some(t.GetString())) (acc @ got)
                        | _ -> acc @ got

                    Expect.equal (walk None []) sorted $"pages of {limit}"
            }
        ]
