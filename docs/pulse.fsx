(**
---
title: Pulse and waiting for tasks
category: Capabilities
categoryindex: 2
index: 7
---
*)
(*** hide ***)
#load ".include/references.fsx"
open System
open Taskcluster.Emulator
let tc = (Emulator.start (EmulatorOptions())).Result
let ct = System.Threading.CancellationToken.None
(**
# Pulse and waiting for tasks

`Taskcluster.Functional.Pulse` (F#, over RabbitMQ.Client 7) consumes Taskcluster's Pulse
messages; its C# face is `PulseConsumer` in the `Taskcluster.Functional` package.

- **Connection** from values, an AMQP URL (`amqps://user:password@host:port/vhost`) or the
  environment (`PULSE_URL`, else `PULSE_HOSTNAME`, `PULSE_USERNAME`, `PULSE_PASSWORD`,
  `PULSE_VHOST`, `PULSE_PORT`). The password never appears in `ToString()`, errors or logs.
- **Pulse names**: a durable queue `jobs` becomes `queue/<user>/jobs`; a bad name is a typed
  `PulseNameError` before anything connects.
- **Bindings** from the generated exchange builders (`QueueEvents.TaskCompleted(taskGroupId =
  …)`) or a plain pattern (`Consumer.binding exchange "route.index.my-project.#"`).
- **Queues**: `PulseQueue.Durable name` (a quorum queue where messages wait while you are away)
  or `PulseQueue.Ephemeral` (exclusive, deleted when you leave).
- **Acknowledgement** after the handler succeeds; a handler that throws gets the message once
  more, then it is rejected (dead-lettered where the queue has a dead-letter exchange) and
  logged: never dropped silently, never redelivered forever.
- **Reconnection** with backoff (1 s doubling to 15 s); the queue and its bindings are declared
  again and consumption resumes.

## Consuming

A consumer needs a broker, so this page only compiles this function and does not call it:
*)
open Taskcluster.Client
open Taskcluster.Services
open Taskcluster.Pulse

let listen (groupId: string) =
    task {
        let connection =
            PulseConnection.fromEnvironment () |> Result.defaultWith (fun e -> failwith (e.Describe()))

        let binding =
            QueueEvents.TaskCompleted(taskGroupId = groupId)
            |> Result.defaultWith (fun e -> failwith (e.Describe()))

        let options =
            { Consumer.defaults connection with
                Queue = PulseQueue.Durable "ci-results"
                Bindings = [ binding ]
            }

        // The callback form: up to Prefetch (5) handlers at once; returns when `ct` is cancelled.
        let! stopped =
            Consumer.consume options (fun m _ -> task { printfn "%s %A" m.RoutingKeyFields["taskId"] m.Routes }) ct

        return stopped
    }
(**
`Consumer.messages options` is the enumerable form (an `IAsyncEnumerable`, one message at a
time, each acknowledged when the next is asked for). Messages carry the exchange, the routing key
and its named parts (`RoutingKeyFields["taskId"]`), the task's routes, the redelivered flag and
the body as a `JsonElement`; `Message.decode QueueEvents.DecodeTaskCompleted message` gives the
[typed body](typed-models.html).

## Waiting for tasks

`Wait.forTask` and `Wait.forTaskGroup` end when the task (or every task of the group) is
resolved, with a typed outcome: `TaskOutcome.Completed runId`, `Failed runId` or
`Exception (runId, reason)`. Given a Pulse connection (`Wait.overPulse connection`) they listen
first and only then read the state, so a resolution in between is not missed; without one they
poll the queue with backoff, as here, while a worker completes the task:
*)
let client =
    Options.create tc.RootUrl
    |> Options.withCredentials tc.ClientId tc.AccessToken
    |> Client.create
    |> Result.defaultWith (fun e -> failwith (e.Describe()))

let queue = Queue client
let taskId = Helpers.slugId().Value

let definition =
    {|
        taskQueueId = "proj-docs/worker"
        created = DateTimeOffset.UtcNow
        deadline = DateTimeOffset.UtcNow.AddHours 1.0
        payload = {| |}
        metadata = {| name = "waited"; description = "d"; owner = "docs@example.com"; source = "https://example.com/docs" |}
    |}

(queue.CreateTask(taskId, Payload.ofObj definition)).Result
|> Result.defaultWith (fun e -> failwith (e.Describe()))

// The worker's side, running while we wait.
let worker =
    task {
        let! _ = queue.ClaimWork("proj-docs/worker", Payload.ofObj {| workerGroup = "docs"; workerId = "w1"; tasks = 1 |})
        return! queue.ReportCompleted(taskId, "0")
    }

let options =
    { Wait.defaults with
        Timeout = TimeSpan.FromMinutes 1.0
        PollInterval = TimeSpan.FromMilliseconds 50.0
    }

match (Wait.forTask queue options taskId ct).Result with
| Ok(TaskOutcome.Completed runId) -> printfn "done (run %d)" runId
| Ok(TaskOutcome.Failed runId) -> printfn "failed (run %d)" runId
| Ok(TaskOutcome.Exception(_, reason)) -> printfn "exception: %s" reason
| Error e -> printfn "%s" (e.Describe())
(**
The timeout is an error value (`WaitError.TimedOut`); cancelling the token throws
`OperationCanceledException`.

## Submitting a task graph

`TaskGraph.submit` takes tasks that name their dependencies by label, gives each label a stable
taskId, refuses duplicate labels, unknown labels and cycles before any call, then creates each
task once the tasks it depends on exist. Submitting the same graph again with the same options
creates nothing twice.
*)
open Taskcluster.Core
open Taskcluster.Models

let request name =
    CreateTaskRequest.Create(
        DateTimeOffset.UtcNow,
        DateTimeOffset.UtcNow.AddHours 1.0,
        TaskMetadata.Create(description = "d", name = name, owner = "docs@example.com", source = "https://example.com/docs"),
        Json.Object [],
        taskQueueId = "proj-docs/worker"
    )

let graph =
    [
        { Label = "build"; DependsOn = []; Definition = request "build" }
        { Label = "test"; DependsOn = [ "build" ]; Definition = request "test" }
    ]

match (TaskGraph.submit queue (TaskGraph.defaults ()) graph ct).Result with
| Ok planned ->
    for p in planned do
        printfn "%s: %s" p.Label (tc.State.TaskState p.TaskId)
| Error e -> printfn "%s" (e.Describe())
(**
## From C#

The `Taskcluster.Functional` package gives the same three from C#: `QueueClient.WaitForTaskAsync`
for waiting, `QueueClient.SubmitTaskGraphAsync` (and `TaskGraph.Plan`, which only plans) for task
graphs, and `PulseConsumer` for listening.

Waiting (`PulseUrl` set: over Pulse; null: polling) ends in a `TaskOutcome` whose `Kind` is
`Completed`, `Failed` or `Exception` (with its `Reason`); the timeout is a `Timeout` error:

```csharp
var queue = new QueueClient(new Uri(rootUrl), credentials);
var outcome = await queue.WaitForTaskAsync(taskId,
    new TaskWaitOptions { PulseUrl = null, Timeout = TimeSpan.FromSeconds(1) }, ct); // PulseUrl null: polling
Console.WriteLine(outcome.Match(o => o.ToString(), e => e.Description));
```

A task graph is a list of `GraphTask(label, dependsOn, definition)`. The taskIds come from
`TaskGraphOptions.TaskIdOf`, by default one stable slugId per label for each options instance:
keep the instance to submit the same graph again, which then creates nothing twice. Duplicate
labels (`DuplicateTaskLabel`), unknown labels (`UnknownTaskLabel`, with `Label` and `DependsOn`)
and cycles (`TaskGraphCycle`, with the `Cycle`'s labels) are refused before any call. A createTask
the queue refuses keeps its own error kind, status and code, and says which task it was (`Label`,
`TaskId`) and which tasks were created before it (`CreatedTasks`); the tasks after it are not
submitted.

```csharp
var queue = new QueueClient(new Uri(rootUrl), credentials);
var options = new TaskGraphOptions { MaxConcurrency = 2 };
GraphTask[] graph =
[
    new("build", [], definition),
    new("test", ["build"], definition),
    new("lint", ["build"], definition),
    new("release", ["test", "lint"], definition),
];

var submitted = await queue.SubmitTaskGraphAsync(graph, options, ct);
Console.WriteLine(submitted.Match(
    planned => string.Join("\n", planned.Select(t => $"{t.Label}: {t.TaskId}")), // in dependency order
    error => $"{error.Label} failed ({error.Kind}) after {error.CreatedTasks?.Count ?? 0} were created"));

// Definition.Dependencies holds the taskIds of the tasks a task depends on.
var release = submitted.Value.Single(t => t.Label == "release");
Console.WriteLine(string.Join(", ", release.Definition.Dependencies!));

var again = await queue.SubmitTaskGraphAsync(graph, options, ct); // the same taskIds, nothing new
Console.WriteLine(again.Value.Select(t => t.TaskId).SequenceEqual(submitted.Value.Select(t => t.TaskId)));

var cycle = TaskGraph.Plan([new("a", ["b"], definition), new("b", ["a"], definition)]);
Console.WriteLine($"{cycle.Error!.Kind}: {string.Join(" -> ", cycle.Error.Cycle!)}");  // TaskGraphCycle: a -> b -> a
```

Listening needs a broker, so this block is compiled only:

<!-- snippet: compile-only -->
```csharp
using Microsoft.Extensions.DependencyInjection;

var consumer = new PulseConsumer(new PulseConsumerOptions
{
    Url = new Uri(Environment.GetEnvironmentVariable("PULSE_URL")!),
    QueueName = "ci-results",
    Bindings = { new QueueEvents().TaskCompleted(taskGroupId: groupId) },
});
await foreach (var message in consumer.ReadAllAsync(cancellationToken))
    Console.WriteLine($"{message.RoutingKeyFields["taskId"]} {string.Join(",", message.Routes)}");

// Hosted: derive from PulseConsumerService and implement HandleAsync.
services.AddPulseConsumer(o => { o.Url = pulseUrl; o.QueueName = "ci-results"; o.Bindings.Add(binding); });
services.AddHostedService<MyConsumer>();
```
*)
(*** hide ***)
tc.StopAsync().Wait()
