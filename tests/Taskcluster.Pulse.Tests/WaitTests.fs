/// Waiting for tasks and task groups against the emulator publishing to the run's broker: over
/// Pulse and by polling, including resolutions that happen before the wait starts.
module Taskcluster.Pulse.Tests.WaitTests

open System
open System.Threading
open System.Threading.Tasks
open Expecto
open Taskcluster.Core
open Taskcluster.Client
open Taskcluster.Services
open Taskcluster.Pulse
open Taskcluster.Pulse.Tests.Support
open Taskcluster.Pulse.Tests.EmulatorPublishingTests

let private ok what r =
    match r with
    | Ok v -> v
    | Error e -> failtestf "%s: %A" what e

let private pulse () =
    { Wait.overPulse (PulseConnection.parseUrl (amqpUrl().AbsoluteUri) |> ok "connection") with
        Timeout = TimeSpan.FromMinutes 2.0
    }

let private polling () =
    { Wait.defaults with
        Timeout = TimeSpan.FromMinutes 2.0
        PollInterval = TimeSpan.FromMilliseconds 20.0
        MaxPollInterval = TimeSpan.FromMilliseconds 200.0
    }

let private create (queue: Queue) (group: string) (dependencies: string list) =
    let taskId = (Helpers.slugId ()).Value

    ok "createTask" (queue.CreateTask(taskId, taskRequest group [] dependencies).Result)
    |> ignore

    taskId

/// Claims the one pending task and reports its run `how`.
let private resolve (queue: Queue) (how: string) =
    task {
        let! claimed =
            queue.ClaimWork("proj-pulse/e2e", Payload.Text """{"workerGroup":"wg","workerId":"w1","tasks":1}""")

        let claimed = (ok "claimWork" claimed).GetProperty("tasks")
        Expect.equal (claimed.GetArrayLength()) 1 "one task claimed"
        let taskId = claimed[0].GetProperty("status").GetProperty("taskId").GetString()
        let runId = string (claimed[0].GetProperty("runId").GetInt32())

        let! r =
            match how with
            | "completed" -> queue.ReportCompleted(taskId, runId)
            | "failed" -> queue.ReportFailed(taskId, runId)
            | reason -> queue.ReportException(taskId, runId, Payload.Text $$"""{"reason":"{{reason}}"}""")

        ok how r |> ignore
        return taskId
    }

/// A wait started before the task resolves, and (over Pulse) the resolution after it subscribed,
/// so the outcome comes from the message.
let private waitThenResolve (options: WaitOptions) (how: string) =
    task {
        use! emulator = startEmulator ()
        let queue = Queue(clientFor emulator)
        let group = (Helpers.slugId ()).Value
        let taskId = create queue group []

        let listening =
            TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)

        let options =
            { options with
                OnListening = fun _ -> listening.TrySetResult() |> ignore
            }

        let waiting = Wait.forTask queue options taskId CancellationToken.None

        if options.Pulse.IsSome then
            let! _ = Task.WhenAny(listening.Task, waiting)
            ()

        Expect.isFalse waiting.IsCompleted "the wait does not end before the task resolves"
        let! _ = resolve queue how
        return! waiting
    }

let tests =
    testList
        "Wait"
        [
            testTask "over Pulse: a task that completes after the wait starts" {
                let! outcome = waitThenResolve (pulse ()) "completed"
                Expect.equal outcome (Ok(TaskOutcome.Completed 0)) "completed, run 0"
            }

            testTask "by polling: a task that fails after the wait starts" {
                let! outcome = waitThenResolve (polling ()) "failed"
                Expect.equal outcome (Ok(TaskOutcome.Failed 0)) "failed, run 0"
            }

            testTask "over Pulse and by polling: a task resolved before the wait starts is found at once" {
                use! emulator = startEmulator ()
                let queue = Queue(clientFor emulator)
                let group = (Helpers.slugId ()).Value
                let taskId = create queue group []
                ok "cancel" (queue.CancelTask(taskId).Result) |> ignore

                for options in [ pulse (); polling () ] do
                    let! outcome = Wait.forTask queue options taskId CancellationToken.None
                    Expect.equal outcome (Ok(TaskOutcome.Exception(Some 0, "canceled"))) "the cancellation"
            }

            testTask "a retried exception is not the end: the wait goes on to the retry's outcome" {
                use! emulator = startEmulator ()
                let queue = Queue(clientFor emulator)
                let taskId = create queue ((Helpers.slugId ()).Value) []
                let waiting = Wait.forTask queue (polling ()) taskId CancellationToken.None
                let! _ = resolve queue "worker-shutdown"
                let! _ = resolve queue "completed"
                let! outcome = waiting
                Expect.equal outcome (Ok(TaskOutcome.Completed 1)) "the retry completed"
            }

            testTask "a task group: over Pulse, each task's outcome once the last resolves" {
                use! emulator = startEmulator ()
                let queue = Queue(clientFor emulator)
                let group = (Helpers.slugId ()).Value
                let first = create queue group []
                let second = create queue group [ first ]
                let waiting = Wait.forTaskGroup queue (pulse ()) group CancellationToken.None
                let! _ = resolve queue "completed"
                Expect.isFalse waiting.IsCompleted "one task is still unresolved"
                let! _ = resolve queue "failed"
                let! outcome = waiting
                let outcome = ok "group" outcome
                Expect.equal outcome.TaskGroupId group "the group"

                Expect.equal
                    (outcome.Tasks |> List.sortBy (fun (id, _) -> id <> first))
                    [ first, TaskOutcome.Completed 0; second, TaskOutcome.Failed 0 ]
                    "each task's outcome"

                Expect.isFalse outcome.AllCompleted "one failed"

                // and by polling, now that it is resolved
                let! again = Wait.forTaskGroup queue (polling ()) group CancellationToken.None
                Expect.equal (again |> Result.map (fun o -> o.Tasks.Length)) (Ok 2) "found at once"
            }

            testTask "the timeout is an error naming the task; cancellation throws" {
                use! emulator = startEmulator ()
                let queue = Queue(clientFor emulator)
                let taskId = create queue ((Helpers.slugId ()).Value) []

                for options in [ pulse (); polling () ] do
                    let! outcome =
                        Wait.forTask
                            queue
                            { options with
                                Timeout = TimeSpan.FromMilliseconds 300.0
                            }
                            taskId
                            CancellationToken.None

                    match outcome with
                    | Error(WaitError.TimedOut(what, _) as e) ->
                        Expect.stringContains what taskId "names the task"
                        Expect.stringContains (e.Describe()) taskId "describes it"
                    | other -> failtestf "expected a timeout, got %A" other

                let cts = new CancellationTokenSource()
                let waiting = Wait.forTask queue (polling ()) taskId cts.Token
                cts.Cancel()

                let! thrown =
                    task {
                        try
                            let! _ = waiting
                            return false
                        with :? OperationCanceledException ->
                            return true
                    }

                Expect.isTrue thrown "OperationCanceledException"
            }

            testTask "an id that is not a slugId is refused before anything is asked" {
                use! emulator = startEmulator ()
                let queue = Queue(clientFor emulator)
                let! outcome = Wait.forTask queue (pulse ()) "not.a.task" CancellationToken.None
                Expect.equal outcome (Error(WaitError.InvalidId("taskId", "not.a.task"))) "the bad id"
                let! group = Wait.forTaskGroup queue (polling ()) "" CancellationToken.None
                Expect.equal group (Error(WaitError.InvalidId("taskGroupId", ""))) "the empty id"
            }
        ]
