/// The queue's workers: seen by claimWork, declared, quarantined, listed and expired, through
/// the generated `Queue` client.
module Taskcluster.Emulator.Tests.QueueWorkersTests

open System
open System.Text.Json
open Expecto
open Taskcluster.Client
open Taskcluster.Services
open Taskcluster.Emulator.Tests.Harness
open Taskcluster.Emulator.Tests.Clients

let private newIds () =
    let p = "prov-" + (slugId ()).Substring(0, 8).Replace("_", "x").ToLowerInvariant()
    p, "wt", $"{p}/wt"

let private str (name: string) (e: JsonElement) = (prop name e).GetString()

let private claim (queue: Queue) (taskQueueId: string) (workerId: string) =
    let body =
        Payload.Node(jobj [ "workerGroup", jstr "g"; "workerId", jstr workerId; "tasks", jint 1L ])

    run (queue.ClaimWork(taskQueueId, body))
    |> ok "claimWork"
    |> prop "tasks"
    |> items
    |> List.map (fun c -> str "taskId" (prop "status" c))

let private workerIds (answer: JsonElement) =
    items (prop "workers" answer) |> List.map (str "workerId")

let tests =
    testList
        "QueueWorkers"
        [
            test "claimWork records the worker: first claim, last activity and its recent runs" {
                let emulator, clock = startWithClock DateTimeOffset.UtcNow
                use _ = emulator
                let queue = Queue(rootOf emulator)
                let p, wt, q = newIds ()
                let first = createTaskIn queue q []
                let second = createTaskIn queue q []
                let start = clock.GetUtcNow()

                run (queue.GetWorker(p, wt, "g", "w1"))
                |> expectError 404 "ResourceNotFound"
                |> ignore

                Expect.equal (claim queue q "w1") [ first ] "claims the first task"
                clock.Advance(TimeSpan.FromMinutes 5.0)
                Expect.equal (claim queue q "w1") [ second ] "then the second"

                let w = run (queue.GetWorker(p, wt, "g", "w1")) |> ok "getWorker"
                Expect.equal (str "provisionerId" w) p "provisionerId"
                Expect.equal (str "workerType" w) wt "workerType"
                Expect.equal (str "firstClaim" w) (iso start) "first seen at the first claim"
                Expect.equal (str "lastDateActive" w) (iso (start + TimeSpan.FromMinutes 5.0)) "active at the last one"

                Expect.equal
                    (str "expires" w)
                    (iso (start + TimeSpan.FromMinutes 5.0 + TimeSpan.FromDays 1.0))
                    "alive for a day after it was seen"

                Expect.equal
                    (items (prop "recentTasks" w)
                     |> List.map (fun r -> str "taskId" r, (prop "runId" r).GetInt32()))
                    [ first, 0; second, 0 ]
                    "its runs, oldest first"

                // a worker that found no work is seen too
                Expect.equal (claim queue q "w0") [] "nothing left"
                let listed = run (queue.ListWorkers(p, wt)) |> ok "listWorkers"
                Expect.equal (workerIds listed) [ "w0"; "w1" ] "both, sorted"
                let entries = items (prop "workers" listed)
                Expect.equal (str "taskId" (prop "latestTask" entries[1])) second "the latest task"
                Expect.isFalse (fst (entries[0].TryGetProperty "latestTask")) "none for w0"

                let page = run (queue.ListWorkers(p, wt, limit = "1")) |> ok "page 1"
                Expect.equal (workerIds page) [ "w0" ] "one per page"

                let next =
                    run (queue.ListWorkers(p, wt, continuationToken = str "continuationToken" page, limit = "1"))
                    |> ok "page 2"

                Expect.equal (workerIds next) [ "w1" ] "then the next"

                let limited = Queue(withScopes emulator [ $"queue:get-worker:{p}/{wt}/g/w0" ])
                run (limited.ListWorkers(p, wt)) |> expectMissing $"queue:list-workers:{p}/{wt}"

                run (limited.GetWorker(p, wt, "g", "w1"))
                |> expectMissing $"queue:get-worker:{p}/{wt}/g/w1"

                run (limited.GetWorker(p, wt, "g", "w0")) |> ok "with the scope" |> ignore

                // a day without claims and the worker is gone
                clock.Advance(TimeSpan.FromDays 1.0 + TimeSpan.FromMinutes 1.0)

                run (queue.GetWorker(p, wt, "g", "w0"))
                |> expectError 404 "ResourceNotFound"
                |> ignore

                Expect.equal (workerIds (run (queue.ListWorkers(p, wt)) |> ok "listWorkers")) [] "none listed"
            }

            test "a quarantined worker gets no tasks until its quarantine ends, and is listed as quarantined" {
                let emulator, clock = startWithClock DateTimeOffset.UtcNow
                use _ = emulator
                let queue = Queue(rootOf emulator)
                let p, wt, q = newIds ()
                Expect.equal (claim queue q "w1") [] "seen once"
                Expect.equal (claim queue q "w2") [] "and another worker"
                let taskId = createTaskIn queue q []
                let until = clock.GetUtcNow() + TimeSpan.FromHours 1.0

                let body (t: DateTimeOffset) (info: string option) =
                    Payload.Node(
                        jobj
                            [
                                "quarantineUntil", jstr (iso t)
                                match info with
                                | Some i -> "quarantineInfo", jstr i
                                | None -> ()
                            ]
                    )

                let limited =
                    Queue(withScopes emulator [ $"queue:quarantine-worker:{p}/{wt}/g/w2" ])

                run (limited.QuarantineWorker(p, wt, "g", "w1", body until None))
                |> expectMissing $"queue:quarantine-worker:{p}/{wt}/g/w1"

                let w =
                    run (queue.QuarantineWorker(p, wt, "g", "w1", body until (Some "broken disk")))
                    |> ok "quarantineWorker"

                Expect.equal (str "quarantineUntil" w) (iso until) "quarantined until then"
                let details = items (prop "quarantineDetails" w)
                Expect.equal (details |> List.map (str "quarantineInfo")) [ "broken disk" ] "why"
                Expect.equal (str "clientId" details.Head) emulator.ClientId "by whom"

                Expect.equal (claim queue q "w1") [] "a quarantined worker gets nothing"

                let quarantined =
                    run (queue.ListWorkers(p, wt, quarantined = "true")) |> ok "quarantined"

                Expect.equal (workerIds quarantined) [ "w1" ] "listed as quarantined"

                Expect.equal
                    (str "quarantineUntil" (items (prop "workers" quarantined)).Head)
                    (iso until)
                    "with its end"

                let free =
                    run (queue.ListWorkers(p, wt, quarantined = "false")) |> ok "not quarantined"

                Expect.equal (workerIds free) [ "w2" ] "the other one"

                // lifting the quarantine (a time not in the future) lets it work again
                let lifted =
                    run (queue.QuarantineWorker(p, wt, "g", "w1", body (clock.GetUtcNow()) None))
                    |> ok "lift"

                Expect.equal
                    (items (prop "quarantineDetails" lifted) |> List.map (str "quarantineInfo"))
                    [ "broken disk"; "[unspecified]" ]
                    "the history is kept"

                Expect.equal (claim queue q "w1") [ taskId ] "claims again"

                run (queue.QuarantineWorker(p, wt, "g", "nobody", body until None))
                |> expectError 404 "ResourceNotFound"
                |> ignore

                // a quarantined worker stays visible after it would have expired
                run (queue.QuarantineWorker(p, wt, "g", "w2", body (clock.GetUtcNow() + TimeSpan.FromDays 3.0) None))
                |> ok "a long quarantine"
                |> ignore

                clock.Advance(TimeSpan.FromDays 2.0)
                let listed = run (queue.ListWorkers(p, wt)) |> ok "listWorkers"
                Expect.equal (workerIds listed) [ "w2" ] "still listed, the other one expired"
            }

            test "declareWorker creates a worker with the expiry given, authorised per property" {
                let emulator, clock = startWithClock DateTimeOffset.UtcNow
                use _ = emulator
                let queue = Queue(rootOf emulator)
                let p, wt, _ = newIds ()
                let expires = clock.GetUtcNow() + TimeSpan.FromDays 3.0
                let body = Payload.Node(jobj [ "expires", jstr (iso expires) ])

                let limited =
                    Queue(withScopes emulator [ $"queue:declare-worker:{p}/{wt}/g/w9#other" ])

                run (limited.DeclareWorker(p, wt, "g", "w9", body))
                |> expectMissing $"queue:declare-worker:{p}/{wt}/g/w9#expires"

                let w = run (queue.DeclareWorker(p, wt, "g", "w9", body)) |> ok "declareWorker"
                Expect.equal (str "expires" w) (iso expires) "the expiry given"
                Expect.equal (items (prop "recentTasks" w)) [] "no runs yet"

                let got = run (queue.GetWorker(p, wt, "g", "w9")) |> ok "getWorker"
                Expect.equal (str "workerId" got) "w9" "known now"

                Expect.equal
                    (str "taskQueueId" (run (queue.GetTaskQueue $"{p}/{wt}") |> ok "getTaskQueue"))
                    $"{p}/{wt}"
                    "its task queue too"

                // the expiry never moves backwards
                let earlier =
                    Payload.Node(jobj [ "expires", jstr (iso (clock.GetUtcNow() + TimeSpan.FromDays 1.0)) ])

                let again =
                    run (queue.DeclareWorker(p, wt, "g", "w9", earlier)) |> ok "declareWorker again"

                Expect.equal (str "expires" again) (iso expires) "kept"
            }

            test "workers claiming and resolving in parallel never share a run, and the counts agree" {
                let emulator, _ = startWithClock DateTimeOffset.UtcNow
                use _ = emulator
                let queue = Queue(rootOf emulator)
                let p, wt, q = newIds ()
                let tasks = [ for _ in 1..48 -> createTaskIn queue q [] ]
                let workers = [ for i in 1..8 -> $"w{i}" ]

                // each worker claims two at a time and resolves what it got (every third fails),
                // until the queue has nothing left for it
                let work (workerId: string) =
                    Threading.Tasks.Task.Run(fun () ->
                        let claimed = ResizeArray()
                        let mutable go = true

                        while go do
                            let body =
                                Payload.Node(
                                    jobj [ "workerGroup", jstr "g"; "workerId", jstr workerId; "tasks", jint 2L ]
                                )

                            let got =
                                run (queue.ClaimWork(q, body))
                                |> ok "claimWork"
                                |> prop "tasks"
                                |> items
                                |> List.map (fun c -> str "taskId" (prop "status" c), (prop "runId" c).GetInt32())

                            if got.IsEmpty then
                                go <- false

                            for taskId, runId in got do
                                claimed.Add taskId

                                if claimed.Count % 3 = 0 then
                                    run (queue.ReportFailed(taskId, string runId)) |> ok "reportFailed" |> ignore
                                else
                                    run (queue.ReportCompleted(taskId, string runId))
                                    |> ok "reportCompleted"
                                    |> ignore

                        workerId, List.ofSeq claimed)

                let results =
                    run (Threading.Tasks.Task.WhenAll [ for w in workers -> work w ])
                    |> List.ofArray

                let all = results |> List.collect snd
                Expect.equal all.Length tasks.Length "as many claims as tasks"
                Expect.equal (set all) (set tasks) "every task claimed once, none twice"

                for workerId, claimed in results do
                    for taskId in claimed do
                        let status = run (queue.Status taskId) |> ok "status" |> prop "status"
                        let runs = items (prop "runs" status)
                        Expect.equal runs.Length 1 "one run"
                        Expect.equal (str "workerId" runs.Head) workerId "run by the worker that claimed it"
                        Expect.contains [ "completed"; "failed" ] (str "state" status) "resolved"

                    // the queue's record of the worker holds its last 20 runs, all its own
                    if not claimed.IsEmpty then
                        let recent =
                            run (queue.GetWorker(p, wt, "g", workerId))
                            |> ok "getWorker"
                            |> prop "recentTasks"
                            |> items
                            |> List.map (str "taskId")

                        Expect.equal
                            recent
                            (claimed |> List.skip (max 0 (claimed.Length - 20)))
                            "its recent runs, in order"

                let counts = run (queue.TaskQueueCounts q) |> ok "taskQueueCounts"

                Expect.equal
                    ((prop "pendingTasks" counts).GetInt32(), (prop "claimedTasks" counts).GetInt32())
                    (0, 0)
                    "nothing pending or claimed"
            }
        ]
