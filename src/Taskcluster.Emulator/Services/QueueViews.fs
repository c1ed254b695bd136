/// The queue's views that the core queue module does not answer: several tasks or statuses at
/// once, the task queues, worker types and provisioners it has seen, and its workers.
module internal Taskcluster.Emulator.Services.QueueViews

open System
open Taskcluster.Emulator.Internal

/// The task ids of a `tasks`/`statuses` request, authorised, each once in the order given.
let private requested (call: Call) =
    let ids = J.tryStrings "taskIds" call.Body |> Option.defaultValue []
    Api.authorizeWith call [ "taskIds", J.strs ids ]
    List.distinct ids

/// The found tasks of the request, each answered by `f`, paged in the order given.
let private several (call: Call) (member': string) (f: TaskRec -> (string * Text.Json.Nodes.JsonNode) list) =
    let q = call.Env.Stores.Queue
    let ids = requested call

    Queue.ensure q call.Now

    // each task under its own group's lock, one at a time
    let found =
        ids
        |> List.choose (fun id ->
            match q.Tasks.TryGetValue id with
            | true, t -> Some(lock t.Group.Gate (fun () -> J.obj (("taskId", J.str id) :: f t)))
            | _ -> None)

    let page, token =
        Api.page call (found |> List.mapi (fun i t -> i.ToString("D10"), t) |> List.toArray)

    Api.ok (Api.withToken token [ member', J.arr page ])

let tasks (call: Call) =
    several call "tasks" (fun t -> [ "task", t.Definition.DeepClone() ])

let statuses (call: Call) =
    several call "statuses" (fun t -> [ "status", Queue.statusJson t ])

/// The task queues not yet expired, sorted by id.
let private liveQueues (call: Call) =
    let q = call.Env.Stores.Queue

    lock q.WorkersGate (fun () ->
        q.TaskQueues.Values
        |> Seq.filter (fun tq -> tq.Expires > call.Now)
        |> Seq.sortWith (fun a b -> String.CompareOrdinal(a.TaskQueueId, b.TaskQueueId))
        |> Seq.toArray)

let private taskQueueJson (tq: TaskQueueRec) =
    J.obj
        [
            "taskQueueId", J.str tq.TaskQueueId
            "description", J.str tq.Description
            "stability", J.str tq.Stability
            "expires", J.time tq.Expires
            "lastDateActive", J.time tq.LastDateActive
        ]

let private split (taskQueueId: string) =
    match taskQueueId.IndexOf '/' with
    | -1 -> taskQueueId, ""
    | i -> taskQueueId.Substring(0, i), taskQueueId.Substring(i + 1)

let listTaskQueues (call: Call) =
    let page, token =
        Api.page call (liveQueues call |> Array.map (fun tq -> tq.TaskQueueId, taskQueueJson tq))

    Api.ok (Api.withToken token [ "taskQueues", J.arr page ])

let getTaskQueue (call: Call) =
    let id = Api.param call "taskQueueId"

    match liveQueues call |> Array.tryFind (fun tq -> tq.TaskQueueId = id) with
    | Some tq -> Api.ok (taskQueueJson tq)
    | None -> Fail.notFound $"Task queue `{id}` not found. Are you sure it was created?"

let listWorkerTypes (call: Call) =
    let p = Api.param call "provisionerId"

    let items =
        liveQueues call
        |> Array.filter (fun tq -> fst (split tq.TaskQueueId) = p)
        |> Array.map (fun tq ->
            let _, w = split tq.TaskQueueId

            w,
            J.obj
                [
                    "workerType", J.str w
                    "provisionerId", J.str p
                    "taskQueueId", J.str tq.TaskQueueId
                    "stability", J.str tq.Stability
                    "description", J.str tq.Description
                    "expires", J.time tq.Expires
                    "lastDateActive", J.time tq.LastDateActive
                ])

    let page, token = Api.page call items
    Api.ok (Api.withToken token [ "workerTypes", J.arr page ])

/// Provisioners, which v106 derives from the task queues: one per prefix, living as long as
/// its longest-lived queue and active when its latest one was.
let listProvisioners (call: Call) =
    let items =
        liveQueues call
        |> Array.groupBy (fun tq -> fst (split tq.TaskQueueId))
        |> Array.sortWith (fun (a, _) (b, _) -> String.CompareOrdinal(a, b))
        |> Array.map (fun (p, queues) ->
            p,
            J.obj
                [
                    "provisionerId", J.str p
                    "description", J.str ""
                    "stability", J.str "experimental"
                    "expires", J.time (queues |> Array.map _.Expires |> Array.max)
                    "lastDateActive", J.time (queues |> Array.map _.LastDateActive |> Array.max)
                    "actions", J.arr []
                ])

    let page, token = Api.page call items
    Api.ok (Api.withToken token [ "provisioners", J.arr page ])

/// The runs waiting in a task queue, in the order they became pending.
let listPendingTasks (call: Call) =
    let q = call.Env.Stores.Queue
    let queueId = Api.param call "taskQueueId"

    Queue.ensure q call.Now

    // the list copied under its lock, then each run read under its group's lock
    let pending =
        match q.Runs.TryGetValue queueId with
        | true, runs -> lock runs (fun () -> Seq.toArray runs.Pending)
        | _ -> [||]

    let items =
        pending
        |> Array.choose (fun (struct (t, run)) ->
            lock t.Group.Gate (fun () ->
                if run.State = "pending" then
                    Some(
                        J.obj
                            [
                                "taskId", J.str t.TaskId
                                "runId", J.int run.RunId
                                "task", t.Definition.DeepClone()
                                "inserted", J.time run.Scheduled
                            ]
                    )
                else
                    None))

    let page, token =
        Api.page call (items |> Array.mapi (fun i t -> i.ToString("D10"), t))

    Api.ok (Api.withToken token [ "tasks", J.arr page ])

/// The runs of a task queue that workers hold, oldest claim first.
let listClaimedTasks (call: Call) =
    let q = call.Env.Stores.Queue
    let queueId = Api.param call "taskQueueId"

    Queue.ensure q call.Now

    // the set copied under its lock, then each run read under its group's lock
    let running =
        match q.Runs.TryGetValue queueId with
        | true, runs -> lock runs (fun () -> Seq.toArray runs.Running)
        | _ -> [||]

    let items =
        running
        |> Array.choose (fun (struct (taskId, runId)) ->
            let t = q.Tasks[taskId]

            lock t.Group.Gate (fun () ->
                let r = t.Runs[runId]

                // resolved since the copy: no longer held
                if r.State = "running" then
                    let claimed = defaultArg r.Started r.Scheduled

                    Some(
                        (claimed, t.TaskId),
                        J.obj
                            [
                                "taskId", J.str t.TaskId
                                "runId", J.int r.RunId
                                "workerGroup", J.str r.WorkerGroup
                                "workerId", J.str r.WorkerId
                                "claimed", J.time claimed
                                "task", t.Definition.DeepClone()
                            ]
                    )
                else
                    None))
        |> Array.sortBy fst
        |> Array.mapi (fun i (_, t) -> i.ToString("D10"), t)

    let page, token = Api.page call items
    Api.ok (Api.withToken token [ "tasks", J.arr page ])

// ---------------------------------------------------------------------------------------------
// Workers, as the queue records them when they claim work or are declared

let private taskRunJson (struct (taskId: string, runId: int)) =
    J.obj [ "taskId", J.str taskId; "runId", J.int runId ]

/// A worker as `getWorker` answers it (with the split fields and no actions).
let private workerJson (w: QueueWorkerRec) =
    let p, t = split w.TaskQueueId

    J.obj
        [
            "provisionerId", J.str p
            "workerType", J.str t
            "taskQueueId", J.str w.TaskQueueId
            "workerGroup", J.str w.WorkerGroup
            "workerId", J.str w.WorkerId
            "quarantineUntil", J.time w.QuarantineUntil
            "quarantineDetails", J.arr (w.QuarantineDetails |> Seq.map J.clone)
            "expires", J.time w.Expires
            "firstClaim", J.time w.FirstClaim
            "recentTasks", J.arr (w.RecentTasks |> Seq.map taskRunJson)
            "lastDateActive", J.time w.LastDateActive
            "actions", J.arr []
        ]

let private queueOf (call: Call) =
    Api.param call "provisionerId" + "/" + Api.param call "workerType"

let private workerMissing (call: Call) =
    let p = Api.param call "provisionerId"
    let t = Api.param call "workerType"
    let g = Api.param call "workerGroup"
    let w = Api.param call "workerId"
    $"Worker with workerId `{w}`, workerGroup `{g}`, worker-type `{t}` and provisionerId `{p}` not found"

/// The workers of a task queue that are alive or quarantined, optionally only the
/// (un)quarantined ones, sorted by worker group and id.
let listWorkers (call: Call) =
    let q = call.Env.Stores.Queue
    let now = call.Now

    let filter =
        match call.Query "quarantined" with
        | None
        | Some "" -> fun (_: QueueWorkerRec) -> true
        | Some "true" -> fun w -> w.QuarantineUntil >= now
        | Some "false" -> fun w -> w.QuarantineUntil < now
        | Some other -> Fail.badArguments $"quarantined must be true or false, got '{other}'"

    let items =
        Queue.withWorkers q now (fun () ->
            match q.Workers.TryGetValue(queueOf call) with
            | true, ws ->
                [|
                    for KeyValue(key, w) in ws do
                        if (w.Expires >= now || w.QuarantineUntil >= now) && filter w then
                            key,
                            J.obj
                                [
                                    "workerGroup", J.str w.WorkerGroup
                                    "workerId", J.str w.WorkerId
                                    "firstClaim", J.time w.FirstClaim
                                    "lastDateActive", J.time w.LastDateActive
                                    if w.RecentTasks.Count > 0 then
                                        "latestTask", taskRunJson (Seq.last w.RecentTasks)
                                    if w.QuarantineUntil > now then
                                        "quarantineUntil", J.time w.QuarantineUntil
                                ]
                |]
            | _ -> [||])

    let page, token = Api.page call items
    Api.ok (Api.withToken token [ "workers", J.arr page ])

/// A worker, until it expires (or, quarantined, until its quarantine ends), while its task
/// queue lives.
let getWorker (call: Call) =
    let q = call.Env.Stores.Queue
    let now = call.Now
    let queueId = queueOf call

    Queue.withWorkers q now (fun () ->
        let queueAlive =
            match q.TaskQueues.TryGetValue queueId with
            | true, tq -> tq.Expires > now
            | _ -> false

        match Queue.tryWorker q queueId (Api.param call "workerGroup") (Api.param call "workerId") with
        | Some w when queueAlive && not (w.Expires < now && w.QuarantineUntil < now) -> Api.ok (workerJson w)
        | _ -> Fail.notFound (workerMissing call + ". Are you sure it was created?"))

/// Sets (or, with a time not in the future, lifts) a worker's quarantine, keeping its history.
let quarantineWorker (call: Call) =
    let q = call.Env.Stores.Queue
    let now = call.Now
    let until = J.time' "quarantineUntil" call.Body

    Queue.withWorkers q now (fun () ->
        match Queue.tryWorker q (queueOf call) (Api.param call "workerGroup") (Api.param call "workerId") with
        | None -> Fail.notFound (workerMissing call + ".")
        | Some w ->
            w.QuarantineUntil <- until
            w.Expires <- max w.Expires (now + TimeSpan.FromDays 1.0)

            w.QuarantineDetails.Add(
                J.obj
                    [
                        "clientId", J.str call.ClientId
                        "updatedAt", J.time now
                        "quarantineUntil", J.clone call.Body["quarantineUntil"]
                        "quarantineInfo",
                        J.str (J.tryString "quarantineInfo" call.Body |> Option.defaultValue "[unspecified]")
                    ]
            )

            Api.ok (workerJson w))

/// Declares a worker (and its task queue), with the given expiry when there is one.
let declareWorker (call: Call) =
    let q = call.Env.Stores.Queue
    let now = call.Now
    let properties = [ for KeyValue(k, _) in call.Body.AsObject() -> k ]
    Api.authorizeWith call [ "properties", J.strs properties ]
    let queueId = queueOf call

    let expires =
        match J.tryString "expires" call.Body with
        | Some _ -> Some(J.time' "expires" call.Body)
        | None -> None

    Queue.withWorkers q now (fun () ->
        let queueExpires = defaultArg expires (now + TimeSpan.FromDays 5.0)
        Queue.seen q queueId now queueExpires None None |> Queue.store q

        let w =
            Queue.workerSeen q queueId (Api.param call "workerGroup") (Api.param call "workerId") now expires

        Api.ok (workerJson w))

let handlers: (string * (Call -> Reply)) list =
    [
        "tasks", tasks
        "statuses", statuses
        "listTaskQueues", listTaskQueues
        "getTaskQueue", getTaskQueue
        "listWorkerTypes", listWorkerTypes
        "listProvisioners", listProvisioners
        "listPendingTasks", listPendingTasks
        "listClaimedTasks", listClaimedTasks
        "listWorkers", listWorkers
        "getWorker", getWorker
        "quarantineWorker", quarantineWorker
        "declareWorker", declareWorker
    ]
