/// Task graphs: planned in dependency order with stable taskIds, refused before any call when
/// malformed, submitted to the emulator once however often they are submitted.
module Taskcluster.Pulse.Tests.TaskGraphTests

open System
open System.Text.Json
open System.Threading
open Expecto
open Taskcluster.Core
open Taskcluster.Client
open Taskcluster.Models
open Taskcluster.Services
open Taskcluster.Pulse
open Taskcluster.Pulse.Tests.EmulatorPublishingTests

let private ok what r =
    match r with
    | Ok v -> v
    | Error e -> failtestf "%s: %A" what e

/// A definition created now (so it is the same when submitted again), in `group`; `deadlineHours`
/// below zero makes one the queue refuses.
let private definition (name: string) (group: string) (created: DateTimeOffset) (deadlineHours: float) =
    JsonSerializer.Serialize(
        {|
            taskQueueId = "proj-graph/w"
            taskGroupId = group
            created = created.ToString("o")
            deadline = created.AddHours(deadlineHours).ToString("o")
            payload = {| |}
            metadata =
                {|
                    name = name
                    description = "a task of a graph"
                    owner = "tests@example.com"
                    source = "https://example.com/graph"
                |}
        |}
    )
    |> Decode.fromString CreateTaskRequest.Decode
    |> ok "decoding the definition"

let private node label dependsOn group created =
    {
        Label = label
        DependsOn = dependsOn
        Definition = definition label group created 1.0
    }

/// build → (test, lint) → release, and docs alone.
let private diamond group created =
    [
        node "release" [ "test"; "lint" ] group created
        node "test" [ "build" ] group created
        node "lint" [ "build" ] group created
        node "build" [] group created
        node "docs" [] group created
    ]

let tests =
    testList
        "TaskGraph"
        [
            test "a plan puts every task after the tasks it depends on, with their taskIds as dependencies" {
                let options = TaskGraph.defaults ()
                let plan = TaskGraph.plan options (diamond "g" DateTimeOffset.UtcNow) |> ok "plan"

                let position label =
                    plan |> List.findIndex (fun p -> p.Label = label)

                let idOf label =
                    (plan |> List.find (fun p -> p.Label = label)).TaskId

                for p in plan do
                    for d in (diamond "g" DateTimeOffset.UtcNow |> List.find (fun n -> n.Label = p.Label)).DependsOn do
                        Expect.isLessThan (position d) (position p.Label) $"{d} before {p.Label}"

                let release = plan |> List.find (fun p -> p.Label = "release")

                Expect.equal
                    (release.Definition.Dependencies |> Option.map List.sort)
                    (Some(List.sort [ idOf "test"; idOf "lint" ]))
                    "the dependencies' taskIds"

                Expect.equal (plan |> List.map (fun p -> p.TaskId) |> List.distinct |> List.length) 5 "one taskId each"

                let again =
                    TaskGraph.plan options (diamond "g" DateTimeOffset.UtcNow) |> ok "plan again"

                Expect.equal
                    (again |> List.map (fun p -> p.Label, p.TaskId))
                    (plan |> List.map (fun p -> p.Label, p.TaskId))
                    "the same taskIds"
            }

            test "duplicate labels, unknown labels, bad taskIds and concurrency are refused, naming the culprit" {
                let now = DateTimeOffset.UtcNow
                let options = TaskGraph.defaults ()

                Expect.equal
                    (TaskGraph.plan options [ node "a" [] "g" now; node "a" [] "g" now ])
                    (Error(TaskGraphError.DuplicateLabel "a"))
                    "duplicate"

                Expect.equal
                    (TaskGraph.plan options [ node "a" [ "nope" ] "g" now ])
                    (Error(TaskGraphError.UnknownLabel("a", "nope")))
                    "unknown"

                Expect.equal
                    (TaskGraph.plan { options with TaskIdOf = fun l -> l } [ node "a" [] "g" now ])
                    (Error(TaskGraphError.InvalidTaskId("a", "a")))
                    "not a slugId"

                Expect.equal
                    (TaskGraph.plan { options with MaxConcurrency = 0 } [ node "a" [] "g" now ])
                    (Error(TaskGraphError.InvalidConcurrency 0))
                    "concurrency"
            }

            testTask "a cycle is refused before anything is submitted" {
                use! emulator = startEmulator ()
                let queue = Queue(clientFor emulator)
                let now = DateTimeOffset.UtcNow
                let group = (Helpers.slugId ()).Value

                let graph =
                    [
                        node "free" [] group now
                        node "a" [ "c" ] group now
                        node "b" [ "a" ] group now
                        node "c" [ "b" ] group now
                    ]

                let! outcome = TaskGraph.submit queue (TaskGraph.defaults ()) graph CancellationToken.None

                match outcome with
                | Error(TaskGraphError.Cycle labels as e) ->
                    Expect.equal (List.head labels) (List.last labels) "a circle"
                    Expect.equal (labels |> List.tail |> List.sort) [ "a"; "b"; "c" ] "its tasks"
                    Expect.stringContains (e.Describe()) "->" "described as a path"
                | other -> failtestf "expected a cycle, got %A" other

                Expect.isEmpty emulator.State.TaskIds "nothing was created"
            }

            testTask "a graph is created in order; submitting it again creates nothing twice" {
                use! emulator = startEmulator ()
                let queue = Queue(clientFor emulator)
                let group = (Helpers.slugId ()).Value
                let graph = diamond group DateTimeOffset.UtcNow

                let options =
                    { TaskGraph.defaults () with
                        MaxConcurrency = 2
                    }

                let! first = TaskGraph.submit queue options graph CancellationToken.None
                let first: PlannedTask list = ok "submit" first
                Expect.equal (first.Length) 5 "every task"
                Expect.equal emulator.State.TaskIds.Count 5 "five tasks in the queue"

                // the queue has each task with its dependencies' taskIds, and the roots pending
                for p in first do
                    let stored =
                        JsonDocument.Parse(emulator.State.TaskDefinitionJson p.TaskId).RootElement

                    let deps =
                        [
                            for d in stored.GetProperty("dependencies").EnumerateArray() -> d.GetString()
                        ]
                        |> List.sort

                    Expect.equal
                        deps
                        (p.Definition.Dependencies |> Option.defaultValue [] |> List.sort)
                        $"{p.Label}'s dependencies"

                let idOf label =
                    (first |> List.find (fun p -> p.Label = label)).TaskId

                Expect.equal (emulator.State.TaskState(idOf "build")) "pending" "a root is pending"
                Expect.equal (emulator.State.TaskState(idOf "release")) "unscheduled" "release waits"

                let! again = TaskGraph.submit queue options graph CancellationToken.None
                let again: PlannedTask list = ok "submit again" again

                Expect.equal
                    (again |> List.map (fun p -> p.TaskId))
                    (first |> List.map (fun p -> p.TaskId))
                    "the same taskIds"

                Expect.equal emulator.State.TaskIds.Count 5 "no duplicates"
            }

            testTask "a task the queue refuses stops its dependents and reports what was created" {
                use! emulator = startEmulator ()
                let queue = Queue(clientFor emulator)
                let group = (Helpers.slugId ()).Value
                let now = DateTimeOffset.UtcNow

                let graph =
                    [
                        node "a" [] group now
                        { node "b" [ "a" ] group now with
                            Definition = definition "b" group now -1.0
                        }
                        node "c" [ "b" ] group now
                    ]

                let options = TaskGraph.defaults ()
                let! outcome = TaskGraph.submit queue options graph CancellationToken.None

                match outcome with
                | Error(TaskGraphError.CreateFailed(label, taskId, _, created)) ->
                    Expect.equal label "b" "the refused task"
                    Expect.equal taskId (options.TaskIdOf "b") "its taskId"
                    Expect.equal created [ "a", options.TaskIdOf "a" ] "what was created before"
                | other -> failtestf "expected CreateFailed, got %A" other

                Expect.equal (List.ofSeq emulator.State.TaskIds) [ options.TaskIdOf "a" ] "c was not submitted"
            }
        ]
