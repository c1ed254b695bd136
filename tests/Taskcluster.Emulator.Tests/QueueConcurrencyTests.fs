/// The queue's locks: a task group held by one call leaves other groups free, and many calls at
/// once (creates, claims, resolutions and reads across groups with dependencies between
/// groups) end in a state where every task's status, its group's listing and its dependents
/// agree, without a deadlock.
module Taskcluster.Emulator.Tests.QueueConcurrencyTests

open System
open System.Collections.Concurrent
open System.Text.Json
open System.Threading
open System.Threading.Tasks
open Expecto
open Taskcluster.Client
open Taskcluster.Services
open Taskcluster.Emulator.Tests.Harness
open Taskcluster.Emulator.Tests.Clients

/// Only a guard against a hang: what is asserted is that the calls completed, not how fast.
let private hangGuard = TimeSpan.FromMinutes 3.0

let private okAsync what (t: Task<Result<JsonElement, TaskclusterError>>) =
    task {
        let! r = t
        return ok what r
    }

/// How the consistency test built one task: its group, its dependencies and what it requires.
type private Planned =
    {
        TaskId: string
        Group: string
        Dependencies: string list
        Requires: string
    }

let private met (states: Map<string, string>) (p: Planned) =
    p.Dependencies
    |> List.forall (fun d ->
        match p.Requires, states[d] with
        | "all-resolved", s -> s = "completed" || s = "failed" || s = "exception"
        | _, s -> s = "completed")

/// Whether a worker fails this task rather than completing it (about one in five).
let private fails (taskId: string) = taskId[0] < 'H'

let tests =
    testList
        "QueueConcurrency"
        [
            test "a group whose lock a create holds leaves reads, creates and claims in other groups free" {
                let emulator, _ = startWithClock DateTimeOffset.UtcNow
                use _ = emulator
                let queue = Queue(rootOf emulator)
                let q = newQueueId ()
                let other = createTaskIn queue q []
                let held = slugId ()
                use entered = new ManualResetEventSlim(false)
                use release = new ManualResetEventSlim(false)

                // blocks the create of `held` inside its group's lock until released
                emulator.QueueStore.OnLocked <-
                    Action<string>(fun taskId ->
                        if taskId = held then
                            entered.Set()
                            release.Wait hangGuard |> ignore)

                let blocked = queue.CreateTask(held, Payload.Node(taskDef q []))

                try
                    Expect.isTrue (entered.Wait hangGuard) "the create of the held task reached its group's lock"

                    let status = queue.Status other
                    let created = queue.CreateTask(slugId (), Payload.Node(taskDef q []))
                    let counts = queue.TaskQueueCounts q
                    let reads: Task array = [| status :> Task; created :> Task; counts :> Task |]
                    Expect.isTrue (Task.WaitAll(reads, hangGuard)) "a read and a create in other groups completed"

                    // after the read, so that it saw the task before its claim
                    let body = jobj [ "workerGroup", jstr "g"; "workerId", jstr "w"; "tasks", jint 1L ]
                    let claimed = queue.ClaimWork(q, Payload.Node body)
                    Expect.isTrue (claimed.Wait hangGuard) "a claim in the same task queue completed"
                    Expect.isFalse blocked.IsCompleted "while the held create is still held"

                    let state = status.Result |> ok "status" |> prop "status" |> propString "state"
                    Expect.equal state "pending" "the other task read"
                    created.Result |> ok "createTask" |> ignore
                    counts.Result |> ok "taskQueueCounts" |> ignore

                    let got =
                        claimed.Result
                        |> ok "claimWork"
                        |> prop "tasks"
                        |> items
                        |> List.map (fun c -> propString "taskId" (prop "status" c))

                    Expect.equal got [ other ] "the oldest pending task claimed, not the held one"
                finally
                    release.Set()

                Expect.isTrue (blocked.Wait hangGuard) "the held create completes once released"
                blocked.Result |> ok "the held create" |> ignore
                emulator.QueueStore.OnLocked <- null

                let state =
                    run (queue.Status held) |> ok "status" |> prop "status" |> propString "state"

                Expect.equal state "pending" "the held task was created"
            }

            test "concurrent calls across dependent groups leave statuses, listings and dependents agreeing" {
                let emulator, _ = startWithClock DateTimeOffset.UtcNow
                use _ = emulator
                let queue = Queue(rootOf emulator)
                let q = newQueueId ()
                let groups = [| for _ in 1..6 -> slugId () |]
                let creators, perCreator = 6, 60
                let created = ConcurrentQueue<Planned>()
                // creators still running
                let creating = ref creators

                let create (c: int) =
                    task {
                        let random = Random(c)

                        for k in 1..perCreator do
                            // dependencies on tasks already created, in any group
                            let known = created.ToArray()

                            let deps =
                                if known.Length = 0 then
                                    []
                                else
                                    [ for _ in 1 .. random.Next 3 -> known[random.Next known.Length].TaskId ]
                                    |> List.distinct

                            let p =
                                {
                                    TaskId = slugId ()
                                    Group = groups[(c + k) % groups.Length]
                                    Dependencies = deps
                                    Requires = if k % 3 = 0 then "all-resolved" else "all-completed"
                                }

                            let def =
                                taskDef
                                    q
                                    [
                                        "taskGroupId", jstr p.Group
                                        "dependencies", jstrs p.Dependencies
                                        "requires", jstr p.Requires
                                    ]

                            let! _ = okAsync "createTask" (queue.CreateTask(p.TaskId, Payload.Node def))
                            created.Enqueue p

                        Interlocked.Decrement(&creating.contents) |> ignore
                    }

                /// Claims up to four runs and resolves each; how many it claimed.
                let claimAndResolve () =
                    task {
                        let body = jobj [ "workerGroup", jstr "g"; "workerId", jstr "w"; "tasks", jint 4L ]
                        let! claim = okAsync "claimWork" (queue.ClaimWork(q, Payload.Node body))
                        let claimed = items (prop "tasks" claim)

                        for c in claimed do
                            let taskId = propString "taskId" (prop "status" c)
                            let runId = (prop "runId" c).GetInt32() |> string

                            if fails taskId then
                                let! _ = okAsync "reportFailed" (queue.ReportFailed(taskId, runId))
                                ()
                            else
                                let! _ = okAsync "reportCompleted" (queue.ReportCompleted(taskId, runId))
                                ()

                        return claimed.Length
                    }

                let work () =
                    task {
                        while Volatile.Read(&creating.contents) > 0 do
                            let! n = claimAndResolve ()

                            if n = 0 then
                                do! Task.Yield()
                    }

                let read (r: int) =
                    task {
                        let random = Random(100 + r)

                        while Volatile.Read(&creating.contents) > 0 do
                            let known = created.ToArray()

                            if known.Length = 0 then
                                do! Task.Yield()
                            else
                                let p = known[random.Next known.Length]
                                let! _ = okAsync "status" (queue.Status p.TaskId)
                                let! _ = okAsync "listDependentTasks" (queue.ListDependentTasks p.TaskId)
                                let! _ = okAsync "listTaskGroup" (queue.ListTaskGroup(p.Group, limit = "5"))
                                ()
                    }

                let all: Task array =
                    [|
                        for c in 1..creators -> Task.Run<unit>(fun () -> create c) :> Task
                        for _ in 1..3 -> Task.Run<unit>(fun () -> work ()) :> Task
                        for r in 1..2 -> Task.Run<unit>(fun () -> read r) :> Task
                    |]

                Expect.isTrue (Task.WaitAll(all, hangGuard)) "every call completed (no deadlock)"

                for t in all do
                    t.GetAwaiter().GetResult()

                // what is still pending (and what its resolution schedules) is drained at the end
                while run (claimAndResolve ()) > 0 do
                    ()

                let planned = created.ToArray()
                Expect.equal planned.Length (creators * perCreator) "every task created"

                let statuses =
                    planned
                    |> Array.map (fun p -> p.TaskId, run (queue.Status p.TaskId) |> ok "status" |> prop "status")
                    |> Map.ofArray

                let states = statuses |> Map.map (fun _ s -> propString "state" s)

                for p in planned do
                    let runs = items (prop "runs" statuses[p.TaskId])
                    let state = states[p.TaskId]

                    if runs.IsEmpty then
                        Expect.equal state "unscheduled" $"{p.TaskId} without runs is unscheduled"

                        Expect.isFalse
                            (met states p)
                            $"{p.TaskId} is unscheduled only while a dependency is unmet (none was missed)"
                    else
                        Expect.equal runs.Length 1 $"{p.TaskId} was scheduled once"
                        Expect.isTrue (met states p) $"{p.TaskId} ran only once its dependencies were met"
                        let expected = if fails p.TaskId then "failed" else "completed"
                        Expect.equal state expected $"{p.TaskId} resolved as its worker reported"

                for g in groups do
                    let listed =
                        run (queue.ListTaskGroup g)
                        |> ok "listTaskGroup"
                        |> prop "tasks"
                        |> items
                        |> List.map (fun t ->
                            propString "taskId" (prop "status" t), propString "state" (prop "status" t))

                    let expected =
                        planned
                        |> Array.filter (fun p -> p.Group = g)
                        |> Array.map (fun p -> p.TaskId, states[p.TaskId])
                        |> Array.sortWith (fun (a, _) (b, _) -> String.CompareOrdinal(a, b))
                        |> List.ofArray

                    Expect.equal listed expected $"group {g} lists its tasks with their statuses"

                for p in planned do
                    let dependents =
                        run (queue.ListDependentTasks p.TaskId)
                        |> ok "listDependentTasks"
                        |> prop "tasks"
                        |> items
                        |> List.map (fun t -> propString "taskId" (prop "status" t))
                        |> set

                    let expected =
                        planned
                        |> Array.filter (fun d -> List.contains p.TaskId d.Dependencies)
                        |> Array.map _.TaskId
                        |> set

                    Expect.equal dependents expected $"the dependents of {p.TaskId}"
            }
        ]
