/// End to end: the emulator publishes through the run's real broker and our consumer receives
/// every transition of a task's life, in order, with its routes and bodies that decode as the
/// typed models.
module Taskcluster.Pulse.Tests.EmulatorPublishingTests

open System
open System.Collections.Concurrent
open System.Text.Json
open System.Threading
open System.Threading.Tasks
open Expecto
open Taskcluster.Core
open Taskcluster.Client
open Taskcluster.Emulator
open Taskcluster.Models
open Taskcluster.Services
open Taskcluster.Pulse
open Taskcluster.Pulse.Tests.Support

let private timeout = TimeSpan.FromSeconds 120.0

let private ok what r =
    match r with
    | Ok v -> v
    | Error e -> failtestf "%s: %A" what e

/// An emulator publishing to the run's broker.
let startEmulator () =
    Emulator.start (EmulatorOptions(PulseUrl = amqpUrl().AbsoluteUri))

/// A root client of an emulator.
let clientFor (emulator: EmulatorInstance) : TaskclusterClient =
    Options.create emulator.RootUrl
    |> Options.withCredentials emulator.ClientId emulator.AccessToken
    |> Client.create
    |> ok "client"

/// A create-task request for the emulator, in `group`, with `routes`.
let taskRequest (group: string) (routes: string list) (dependencies: string list) =
    let now = DateTimeOffset.UtcNow

    JsonSerializer.Serialize(
        {|
            taskQueueId = "proj-pulse/e2e"
            taskGroupId = group
            routes = routes
            dependencies = dependencies
            created = now.ToString("o")
            deadline = now.AddHours(1.0).ToString("o")
            payload = {| |}
            tags = {| kind = "e2e" |}
            metadata =
                {|
                    name = "pulse e2e"
                    description = "published by the emulator"
                    owner = "tests@example.com"
                    source = "https://example.com/pulse"
                |}
        |}
    )
    |> Payload.Text

/// A consumer collecting what it receives; disposing it stops the consumer.
type Listener(received: ConcurrentQueue<PulseMessage>, cts: CancellationTokenSource, finished: Task) =
    member _.Received = received

    interface IDisposable with
        member _.Dispose() =
            cts.Cancel()
            finished.Wait(timeout) |> ignore

    interface IAsyncDisposable with
        member _.DisposeAsync() =
            cts.Cancel()
            ValueTask(finished)

/// Consumes with `bindings` into a queue of messages until disposed; returns once consuming.
let listen (bindings: PulseBinding list) : Task<Listener> =
    task {
        let received = ConcurrentQueue<PulseMessage>()

        let started =
            TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)

        let connection = PulseConnection.parseUrl (amqpUrl().AbsoluteUri) |> ok "connection"

        let options =
            { Consumer.defaults connection with
                Bindings = bindings
                // one handler at a time, so the handled order is the delivered order
                Prefetch = 1
                OnConsuming = fun _ -> started.TrySetResult() |> ignore
            }

        let cts = new CancellationTokenSource()

        let finished =
            Consumer.consume
                options
                (fun m _ ->
                    received.Enqueue m
                    Task.CompletedTask)
                cts.Token

        let! first = Task.WhenAny(started.Task, finished :> Task, Task.Delay timeout)

        if not (obj.ReferenceEquals(first, started.Task)) then
            failtestf
                "the consumer did not start: %A"
                (if finished.IsCompleted then
                     box finished.Result
                 else
                     box "timeout")

        return new Listener(received, cts, finished)
    }

let private binding entry pattern =
    RoutingKey.binding QueueEventsReference.reference entry pattern |> ok "binding"

/// The task exchanges bound to the CC route `route.<route>`, and the group's resolution.
let taskBindings (route: string) (group: string) =
    [
        for e in
            [
                QueueEventsReference.taskDefined
                QueueEventsReference.taskPending
                QueueEventsReference.taskRunning
                QueueEventsReference.artifactCreated
                QueueEventsReference.taskCompleted
                QueueEventsReference.taskFailed
                QueueEventsReference.taskException
            ] do
            yield binding e (BindingPattern.Verbatim $"route.{route}")

        yield binding QueueEventsReference.taskGroupResolved (BindingPattern.Values(Map [ "taskGroupId", group ]))
    ]

let private shortName (m: PulseMessage) =
    m.Exchange.Substring(QueueEventsReference.reference.ExchangePrefix.Length)

let private waitFor (received: ConcurrentQueue<PulseMessage>) (count: int) =
    waitUntil $"{count} messages" timeout (fun () -> Task.FromResult(received.Count >= count))

let private decodeWith (decoder: JsonPath -> JsonElement -> Result<'T, DecodeError>) (m: PulseMessage) =
    PulseMessage.decode (decoder JsonPath.Root) m
    |> ok $"the {shortName m} body decodes as its model"

let claim (queue: Queue) =
    task {
        let! r = queue.ClaimWork("proj-pulse/e2e", Payload.Text """{"workerGroup":"wg","workerId":"w1","tasks":1}""")

        let reply = ok "claimWork" r
        let claimed = reply.GetProperty("tasks")
        Expect.equal (claimed.GetArrayLength()) 1 "one task claimed"
        return claimed[0].GetProperty("status").GetProperty("taskId").GetString()
    }

let tests =
    testList
        "Emulator publishing"
        [
            testTask "every transition of a task's life arrives in order, with its routes, fields and typed bodies" {
                use! emulator = startEmulator ()
                let queue = Queue(clientFor emulator)
                let group = (Helpers.slugId ()).Value
                let taskId = (Helpers.slugId ()).Value
                let route = "index.e2e." + unique "r"
                use! listener = (listen (taskBindings route group): Task<Listener>)
                let received = (listener: Listener).Received

                ok "createTask" (queue.CreateTask(taskId, taskRequest group [ route; "other.route" ] []).Result)
                |> ignore

                let! claimed = claim queue
                Expect.equal claimed taskId "the task is claimed"

                ok
                    "createArtifact"
                    (queue
                        .CreateArtifact(
                            taskId,
                            "0",
                            "public/link.txt",
                            Payload.Text
                                $"""{{"storageType":"reference","url":"https://example.com/x","expires":"{DateTimeOffset.UtcNow.AddHours(2.0):o}","contentType":"text/plain"}}"""
                        )
                        .Result)
                |> ignore

                ok "reportCompleted" (queue.ReportCompleted(taskId, "0").Result) |> ignore
                do! waitFor received 6
                let messages = List.ofSeq received

                Expect.equal
                    (messages |> List.map shortName)
                    [
                        "task-defined"
                        "task-pending"
                        "task-running"
                        "artifact-created"
                        "task-completed"
                        "task-group-resolved"
                    ]
                    "every transition, in order"

                for m in messages |> List.take 5 do
                    Expect.equal m.Routes [ route; "other.route" ] $"{shortName m} carries the task's routes as CCs"
                    Expect.equal m.RoutingKeyFields["taskId"] taskId "taskId word"
                    Expect.equal m.RoutingKeyFields["provisionerId"] "proj-pulse" "provisionerId word"
                    Expect.equal m.RoutingKeyFields["workerType"] "e2e" "workerType word"
                    Expect.equal m.RoutingKeyFields["schedulerId"] "-" "the default schedulerId"
                    Expect.equal m.RoutingKeyFields["taskGroupId"] group "taskGroupId word"
                    Expect.equal m.RoutingKeyFields["reserved"] "_" "the reserved tail"
                    Expect.equal (m.Body.GetProperty("version").GetInt32()) 1 "version 1"

                let defined = messages[0]
                Expect.equal defined.RoutingKey $"primary.{taskId}._._._.proj-pulse.e2e.-.{group}._" "no run yet: `_`"
                let d = decodeWith TaskDefinedMessage.Decode defined
                Expect.equal d.Body.Status.State TaskStatusState.Unscheduled "defined before it is scheduled"

                let pending = decodeWith TaskPendingMessage.Decode messages[1]
                Expect.equal pending.Body.RunId 0L "run 0 is pending"
                Expect.equal messages[1].RoutingKey $"primary.{taskId}.0._._.proj-pulse.e2e.-.{group}._" "pending key"

                let running = decodeWith TaskRunningMessage.Decode messages[2]
                Expect.equal (running.Body.WorkerGroup, running.Body.WorkerId) ("wg", "w1") "the worker"
                Expect.equal messages[2].RoutingKey $"primary.{taskId}.0.wg.w1.proj-pulse.e2e.-.{group}._" "running key"

                let artifact = decodeWith ArtifactCreatedMessage.Decode messages[3]
                Expect.equal artifact.Body.Artifact.Name "public/link.txt" "the artifact"

                let completed = decodeWith TaskCompletedMessage.Decode messages[4]
                Expect.equal completed.Body.Status.State TaskStatusState.Completed "completed"

                Expect.equal
                    (completed.Body.Task |> Option.map (fun t -> t.Tags |> Map.toList))
                    (Some [ "kind", "e2e" ])
                    "the task's tags"

                let resolved = decodeWith TaskGroupChangedMessage.Decode messages[5]
                Expect.equal resolved.Body.TaskGroupId group "the group"
                Expect.equal messages[5].Routes [] "no CC for a group"
                Expect.equal messages[5].RoutingKey $"primary.{group}.-._" "group key"
            }

            testTask "failure, retry and cancellation are announced as the queue announces them" {
                use! emulator = startEmulator ()
                let queue = Queue(clientFor emulator)
                let group = (Helpers.slugId ()).Value
                let route = "e2e." + unique "r"
                let failing = (Helpers.slugId ()).Value
                let retried = (Helpers.slugId ()).Value
                let dependent = (Helpers.slugId ()).Value
                use! listener = (listen (taskBindings route group): Task<Listener>)
                let received = (listener: Listener).Received

                ok "create failing" (queue.CreateTask(failing, taskRequest group [ route ] []).Result)
                |> ignore

                let! _ = claim queue
                ok "reportFailed" (queue.ReportFailed(failing, "0").Result) |> ignore

                ok "create retried" (queue.CreateTask(retried, taskRequest group [ route ] []).Result)
                |> ignore
                // blocked on `retried`, so it is defined but not pending
                ok "create dependent" (queue.CreateTask(dependent, taskRequest group [ route ] [ retried ]).Result)
                |> ignore

                let! _ = claim queue

                ok
                    "reportException"
                    (queue.ReportException(retried, "0", Payload.Text """{"reason":"worker-shutdown"}""").Result)
                |> ignore

                ok "cancelTask" (queue.CancelTask(retried).Result) |> ignore
                do! waitFor received 12

                let seen =
                    received
                    |> Seq.map (fun m ->
                        let field name =
                            m.RoutingKeyFields |> Map.tryFind name |> Option.defaultValue ""

                        shortName m, field "taskId", field "runId")
                    |> List.ofSeq

                let t (id: string) = id

                Expect.equal
                    seen
                    [
                        "task-defined", t failing, "_"
                        "task-pending", t failing, "0"
                        "task-running", t failing, "0"
                        "task-failed", t failing, "0"
                        "task-group-resolved", "", ""
                        "task-defined", t retried, "_"
                        "task-pending", t retried, "0"
                        "task-defined", t dependent, "_"
                        "task-running", t retried, "0"
                        "task-exception", t retried, "0"
                        "task-pending", t retried, "1"
                        "task-exception", t retried, "1"
                    ]
                    "each announcement once, in order"

                let retryMessage = decodeWith TaskExceptionMessage.Decode (Seq.item 9 received)
                Expect.equal retryMessage.Body.Status.State TaskStatusState.Pending "the retry leaves the task pending"

                let canceled = decodeWith TaskExceptionMessage.Decode (Seq.item 11 received)
                Expect.equal canceled.Body.Status.State TaskStatusState.Exception "canceled"

                Expect.equal
                    (canceled.Body.Status.Runs |> List.last |> (fun r -> r.ReasonResolved))
                    (Some TaskStatusRunsItemReasonResolved.Canceled)
                    "the reason"

                // the dependent task cannot run once `retried` is an exception, so the group is
                // not resolved until the dependent is resolved too
                ok "cancel dependent" (queue.CancelTask(dependent).Result) |> ignore
                do! waitFor received 14
                let last = received |> Seq.skip 12 |> Seq.map shortName |> List.ofSeq
                Expect.equal last [ "task-exception"; "task-group-resolved" ] "then the group resolves"
            }

            testTask "hooks, notify and worker-manager announce their changes with the services' keys and bodies" {
                use! emulator = startEmulator ()
                let client = clientFor emulator
                let hooks = Hooks client
                let notify = Notify client
                let wm = WorkerManager client
                let group = unique "hg"
                let topic = "e2e." + unique "topic"
                let provisionerId = unique "wp"
                let poolId = provisionerId + "/pool"

                let all (reference: ExchangeReference) entry pattern =
                    RoutingKey.binding reference entry pattern |> ok "binding"

                let anything = BindingPattern.Values Map.empty

                use! listener =
                    (listen
                        [
                            all HooksEventsReference.reference HooksEventsReference.hookCreated anything
                            all HooksEventsReference.reference HooksEventsReference.hookUpdated anything
                            all HooksEventsReference.reference HooksEventsReference.hookDeleted anything
                            all
                                NotifyEventsReference.reference
                                NotifyEventsReference.notify
                                (BindingPattern.Verbatim $"route.{topic}")
                            all
                                WorkerManagerEventsReference.reference
                                WorkerManagerEventsReference.workerPoolCreated
                                anything
                            all
                                WorkerManagerEventsReference.reference
                                WorkerManagerEventsReference.workerPoolUpdated
                                anything
                            all
                                WorkerManagerEventsReference.reference
                                WorkerManagerEventsReference.workerPoolError
                                (BindingPattern.Values(Map [ "provisionerId", provisionerId ]))
                        ]
                    : Task<Listener>)

                let received = (listener: Listener).Received

                let hook =
                    Payload.Text
                        """{"metadata":{"name":"h","description":"a hook","owner":"owner@example.com","emailOnError":false},
                            "task":{"taskQueueId":"proj-pulse/e2e"}}"""

                ok "createHook" (hooks.CreateHook(group, "h1", hook).Result) |> ignore
                ok "updateHook" (hooks.UpdateHook(group, "h1", hook).Result) |> ignore
                ok "removeHook" (hooks.RemoveHook(group, "h1").Result) |> ignore

                ok
                    "notify.pulse"
                    (notify.Pulse(Payload.Text $"""{{"routingKey":"{topic}","message":{{"n":1}}}}""").Result)
                |> ignore

                let pool =
                    Payload.Text
                        """{"providerId":"static","description":"d","config":{},"owner":"owner@example.com","emailOnError":false}"""

                ok "createWorkerPool" (wm.CreateWorkerPool(poolId, pool).Result) |> ignore
                ok "updateWorkerPool" (wm.UpdateWorkerPool(poolId, pool).Result) |> ignore

                ok
                    "reportWorkerError"
                    (wm
                        .ReportWorkerError(
                            poolId,
                            Payload.Text
                                """{"workerGroup":"wg","workerId":"w1","kind":"worker-error","title":"t","description":"d","extra":{}}"""
                        )
                        .Result)
                |> ignore

                ok "deleteWorkerPool" (wm.DeleteWorkerPool(poolId).Result) |> ignore

                // the hook and pool exchanges have no words to bind on: keep this test's own
                let mine (m: PulseMessage) =
                    let field (name: string) =
                        match m.Body.TryGetProperty name with
                        | true, v when v.ValueKind = JsonValueKind.String -> v.GetString()
                        | _ -> ""

                    field "hookGroupId" = group
                    || field "workerPoolId" = poolId
                    || m.Routes = [ topic ]

                let ours () =
                    received |> Seq.filter mine |> List.ofSeq

                do! waitUntil "8 messages" timeout (fun () -> Task.FromResult((ours ()).Length >= 8))
                let messages = ours ()

                Expect.equal
                    (messages |> List.map (fun m -> m.Exchange))
                    [
                        "exchange/taskcluster-hooks/v1/hook-created"
                        "exchange/taskcluster-hooks/v1/hook-updated"
                        "exchange/taskcluster-hooks/v1/hook-deleted"
                        "exchange/taskcluster-notify/v1/notification"
                        "exchange/taskcluster-worker-manager/v1/worker-pool-created"
                        "exchange/taskcluster-worker-manager/v1/worker-pool-updated"
                        "exchange/taskcluster-worker-manager/v1/worker-pool-error"
                        "exchange/taskcluster-worker-manager/v1/worker-pool-updated"
                    ]
                    "each change once, in order"

                // only notify's builder adds a version; the hooks' and worker-manager's do not
                for m in messages do
                    Expect.equal
                        (fst (m.Body.TryGetProperty "version"))
                        (m.Exchange.Contains "taskcluster-notify")
                        $"version in {m.Exchange}"

                for m in messages |> List.take 3 do
                    Expect.equal m.RoutingKey "_" "no routing-key words for a hook"
                    Expect.equal (m.Body.GetProperty("hookId").GetString()) "h1" "the hook"

                let note = messages[3]
                Expect.equal note.RoutingKey $"primary.{topic}" "the request's routing key is the topic"
                Expect.equal note.Routes [ topic ] "and the CC"
                Expect.equal (note.Body.GetProperty("message").GetRawText()) """{"n":1}""" "the message"

                let created = messages[4]
                Expect.equal created.RoutingKey "primary._._._._._._._" "no words for a pool"
                Expect.equal (created.Body.GetProperty("providerId").GetString()) "static" "the provider"

                let updated = messages[5]
                Expect.equal (updated.Body.GetProperty("previousProviderId").GetString()) "static" "the one before"

                let error = messages[6]

                Expect.equal
                    error.RoutingKey
                    $"primary.static.{provisionerId}.pool.wg.w1._._"
                    "the pool, provider and worker"

                Expect.equal (error.Body.GetProperty("title").GetString()) "t" "the title"

                let deleted = messages[7]

                Expect.equal
                    (deleted.Body.GetProperty("providerId").GetString(),
                     deleted.Body.GetProperty("previousProviderId").GetString())
                    ("null-provider", "static")
                    "deletion hands the pool to the null provider"
            }

            testTask "an emulator given a broker that is not there does not start, and says why without the password" {
                let port =
                    let l = new Net.Sockets.TcpListener(Net.IPAddress.Loopback, 0)
                    l.Start()
                    let p = (l.LocalEndpoint :?> Net.IPEndPoint).Port
                    l.Stop()
                    p

                let options =
                    EmulatorOptions(PulseUrl = $"amqp://someone:s3cret-pw@127.0.0.1:{port}/")

                let! outcome =
                    task {
                        try
                            let! e = Emulator.start options
                            do! e.StopAsync()
                            return Ok()
                        with ex ->
                            return Error ex
                    }

                match outcome with
                | Ok() -> failtest "the emulator started without its broker"
                | Error(ex: exn) ->
                    let text = string ex
                    Expect.stringContains ex.Message $"127.0.0.1:{port}" "names the broker"
                    Expect.isFalse (text.Contains "s3cret-pw") "never the password"
            }
        ]
