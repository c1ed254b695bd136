/// The queue: tasks, their runs on the worker path, and artifacts of every storage type.
module internal Taskcluster.Emulator.Services.Queue

open System
open System.Collections.Generic
open System.Text.Json.Nodes
open Taskcluster.Emulator.Internal

let priorityLevels =
    [ "highest"; "very-high"; "high"; "medium"; "low"; "very-low"; "lowest" ]

let private resolved state =
    state = "completed" || state = "failed" || state = "exception"

let private defString (t: TaskRec) (name: string) = J.string name t.Definition
let private defString' (def: JsonObject) (name: string) = J.string name def

let private runJson (r: RunRec) =
    J.obj
        [
            "runId", J.int r.RunId
            "state", J.str r.State
            "reasonCreated", J.str r.ReasonCreated
            if not (isNull r.ReasonResolved) then
                "reasonResolved", J.str r.ReasonResolved
            if not (isNull r.WorkerGroup) then
                "workerGroup", J.str r.WorkerGroup
            if not (isNull r.WorkerId) then
                "workerId", J.str r.WorkerId
            match r.TakenUntil with
            | Some t -> "takenUntil", J.time t
            | None -> ()
            "scheduled", J.time r.Scheduled
            match r.Started with
            | Some t -> "started", J.time t
            | None -> ()
            match r.Resolved with
            | Some t -> "resolved", J.time t
            | None -> ()
        ]

let statusJson (t: TaskRec) =
    let d = t.Definition

    J.obj
        [
            "taskId", J.str t.TaskId
            "provisionerId", J.clone d["provisionerId"]
            "workerType", J.clone d["workerType"]
            "taskQueueId", J.clone d["taskQueueId"]
            "schedulerId", J.clone d["schedulerId"]
            "projectId", J.clone d["projectId"]
            "taskGroupId", J.clone d["taskGroupId"]
            "deadline", J.clone d["deadline"]
            "expires", J.clone d["expires"]
            "priority", J.clone d["priority"]
            "retriesLeft", J.int t.RetriesLeft
            "state", J.str t.State
            "runs", J.arr (t.Runs |> Seq.map runJson)
        ]

let private statusReply (t: TaskRec) =
    Api.ok (J.obj [ "status", statusJson t ])

/// Publishes a transition of `t` on the queue's `exchange` (nothing without a Pulse broker).
let private announce (q: QueueStore) (exchange: string) (t: TaskRec) (run: RunRec option) (withWorker: bool) extra =
    let withTags = exchange <> "artifact-created"
    QueuePulse.task q exchange t.Definition (fun () -> statusJson t) run withWorker withTags extra

/// The task, found without a lock, or a 404 with the message given.
let private findTask (q: QueueStore) (taskId: string) (missing: string) =
    match q.Tasks.TryGetValue taskId with
    | true, t -> t
    | _ -> Fail.notFound missing

let private getRun (t: TaskRec) (runIdText: string) =
    match Int32.TryParse runIdText with
    | true, runId when runId >= 0 && runId < t.Runs.Count -> t.Runs[runId]
    | _ -> Fail.notFound $"Run {runIdText} of task {t.TaskId} not found"

/// Remembers that the task falls due at `at`: its deadline (`runId` -1) or the end of a claim.
let private dueAt (q: QueueStore) (taskId: string) (runId: int) (at: DateTimeOffset) =
    lock q.DueGate (fun () ->
        q.Due.Enqueue({ TaskId = taskId; RunId = runId }, at.UtcTicks)

        if at.UtcTicks < q.NextDue then
            q.NextDue <- at.UtcTicks)

/// The pending and running runs of the task's queue (created on first use).
let private runsOf (q: QueueStore) (t: TaskRec) =
    q.Runs.GetOrAdd(defString t "taskQueueId", fun _ -> TaskQueueRuns())

/// Forgets a run among the running ones of its task queue (it was resolved or never ran).
let private stopped (q: QueueStore) (t: TaskRec) (run: RunRec) =
    match q.Runs.TryGetValue(defString t "taskQueueId") with
    | true, runs -> lock runs (fun () -> runs.Running.Remove(struct (t.TaskId, run.RunId)) |> ignore)
    | _ -> ()

let private probe (q: QueueStore) (taskId: string) =
    match q.OnLocked with
    | null -> ()
    | f -> f.Invoke taskId

let private addRunQuiet (q: QueueStore) (t: TaskRec) (reason: string) (now: DateTimeOffset) =
    let run =
        {
            RunId = t.Runs.Count
            State = "pending"
            ReasonCreated = reason
            ReasonResolved = null
            WorkerGroup = null
            WorkerId = null
            TakenUntil = None
            Scheduled = now
            Started = None
            Resolved = None
        }

    t.Runs.Add run
    t.State <- "pending"
    let runs = runsOf q t
    lock runs (fun () -> runs.Pending.AddLast(struct (t, run)) |> ignore)
    run

let private addRun (q: QueueStore) (t: TaskRec) (reason: string) (now: DateTimeOffset) =
    let run = addRunQuiet q t reason now
    announce q "task-pending" t (Some run) false (fun () -> [])

/// Whether the task's dependencies are resolved as it requires. Reads their states without
/// their groups' locks: a dependency resolving meanwhile schedules the task itself afterwards
/// (see `afterResolve`), so a stale read delays nothing.
let private dependenciesMet (q: QueueStore) (t: TaskRec) =
    let requires = defString t "requires"

    J.tryStrings "dependencies" t.Definition
    |> Option.defaultValue []
    |> List.forall (fun dep ->
        match q.Tasks.TryGetValue dep with
        | true, d when requires = "all-resolved" -> resolved d.State
        | true, d -> d.State = "completed"
        | _ -> false)

/// Schedules the unscheduled dependents of `t` whose dependencies are now met, each under its
/// own group's lock (taken with no other group's lock held).
let private scheduleDependents (q: QueueStore) (t: TaskRec) (now: DateTimeOffset) =
    // read after `t` resolved: a dependent registered later reads the new state itself
    let ids = lock t.Dependents (fun () -> Seq.toArray t.Dependents)

    for id in ids do
        match q.Tasks.TryGetValue id with
        | true, d ->
            lock d.Group.Gate (fun () ->
                if d.State = "unscheduled" && d.Runs.Count = 0 && dependenciesMet q d then
                    addRun q d "scheduled" now)
        | _ -> ()

/// Call under the group's lock right after `t` resolved. Decides there whether its group has
/// no unresolved task left (the queue's dependency tracker announces it, checked only when
/// publishing: it reads the whole group); answers what remains to do once the lock is released:
/// scheduling the dependents (which may be in other groups), then that announcement.
let private afterResolve (q: QueueStore) (t: TaskRec) (now: DateTimeOffset) : unit -> unit =
    let g = t.Group

    // dependents are unscheduled, so scheduling them cannot change this answer
    let groupResolved =
        if q.Announce.IsSome && g.Ids |> Seq.forall (fun id -> resolved q.Tasks[id].State) then
            let expires =
                g.Ids |> Seq.map (fun id -> J.time' "expires" q.Tasks[id].Definition) |> Seq.max

            Some(g.TaskGroupId, defString t "schedulerId", expires)
        else
            None

    fun () ->
        scheduleDependents q t now

        match groupResolved with
        | Some(group, schedulerId, expires) -> QueuePulse.groupResolved q group schedulerId (fun () -> J.time expires)
        | None -> ()

/// Runs the follow-ups of resolutions, in order, once no lock is held.
let private runAll (followUps: (unit -> unit) seq) =
    for f in followUps do
        f ()

/// The run an exception resolves: the unresolved last run, or (for a task that never ran) a
/// new one created for the purpose, as the real queue records it.
let private openRun (t: TaskRec) (at: DateTimeOffset) =
    match Seq.tryLast t.Runs with
    | Some r when r.State = "pending" || r.State = "running" -> r
    | _ ->
        let r =
            {
                RunId = t.Runs.Count
                State = "pending"
                ReasonCreated = "exception"
                ReasonResolved = null
                WorkerGroup = null
                WorkerId = null
                TakenUntil = None
                Scheduled = at
                Started = None
                Resolved = None
            }

        t.Runs.Add r
        r

/// Resolves what time has overtaken of one unresolved task: its deadline, or else the claim
/// of its last run (retried while retries are left, as the real queue does). Call under the
/// group's lock; answers what to do after it.
let private overtake (q: QueueStore) (t: TaskRec) (now: DateTimeOffset) : unit -> unit =
    let deadline = t.Deadline

    if now > deadline then
        let run = openRun t deadline

        stopped q t run
        run.State <- "exception"
        run.ReasonResolved <- "deadline-exceeded"
        run.Resolved <- Some deadline
        run.TakenUntil <- None
        t.State <- "exception"
        announce q "task-exception" t (Some run) false (fun () -> [])
        afterResolve q t now
    else
        match Seq.tryLast t.Runs with
        | Some r when r.State = "running" && r.TakenUntil |> Option.exists (fun u -> u < now) ->
            stopped q t r
            r.State <- "exception"
            r.ReasonResolved <- "claim-expired"
            r.Resolved <- r.TakenUntil
            r.TakenUntil <- None

            if t.RetriesLeft > 0 then
                t.RetriesLeft <- t.RetriesLeft - 1
                let next = addRunQuiet q t "retry" now
                announce q "task-exception" t (Some r) true (fun () -> [])
                announce q "task-pending" t (Some next) false (fun () -> [])
                ignore
            else
                t.State <- "exception"
                announce q "task-exception" t (Some r) true (fun () -> [])
                afterResolve q t now
        | _ -> ignore

/// Resolves what time has overtaken, taking only what has fallen due from the queue of due
/// times: each call costs the entries that came due, not the tasks stored. An entry a reclaim
/// or a resolution made stale finds nothing to do. Runs before every queue call, so a fake
/// clock drives it; when nothing is due (a volatile read) it takes no lock at all. One sweep
/// at a time: a call that finds something due waits until everything due is resolved, so it
/// never sees a state that time has already overtaken.
let ensure (q: QueueStore) (now: DateTimeOffset) =
    let ticks = now.UtcTicks

    if q.NextDue < ticks then
        lock q.SweepGate (fun () ->
            let mutable go = true

            while go do
                let batch =
                    lock q.DueGate (fun () ->
                        let taken = ResizeArray()
                        let mutable entry = Unchecked.defaultof<DueEntry>
                        let mutable at = 0L

                        while q.Due.TryPeek(&entry, &at) && at < ticks do
                            q.Due.Dequeue() |> ignore
                            taken.Add entry

                        // raised only once all that was due is resolved
                        if taken.Count = 0 then
                            q.NextDue <- (if q.Due.TryPeek(&entry, &at) then at else Int64.MaxValue)

                        taken)

                if batch.Count = 0 then
                    go <- false
                else
                    for entry in batch do
                        match q.Tasks.TryGetValue entry.TaskId with
                        | true, t ->
                            let after =
                                lock t.Group.Gate (fun () -> if resolved t.State then ignore else overtake q t now)

                            after ()
                        | _ -> ())

/// Brings the state up to `now`, then runs `f` on the task under its group's lock (a 404 with
/// `missing` when there is no such task).
let private inTask (q: QueueStore) (now: DateTimeOffset) (taskId: string) (missing: string) (f: TaskRec -> 'T) =
    ensure q now
    let t = findTask q taskId missing
    lock t.Group.Gate (fun () -> f t)

let private notFoundTask (taskId: string) = $"Task {taskId} not found"

/// Brings the state up to `now`, then runs `f` under the lock of the queue's task queues and
/// workers.
let withWorkers (q: QueueStore) (now: DateTimeOffset) (f: unit -> 'T) =
    ensure q now
    lock q.WorkersGate f

/// The queue's `task_queue_seen`: creates the task queue or updates the given properties,
/// marks it active now, and never moves its expiry backwards. Call under `WorkersGate`.
let seen
    (q: QueueStore)
    (queueId: string)
    (now: DateTimeOffset)
    (expires: DateTimeOffset)
    (description: string option)
    (stability: string option)
    =
    let next =
        match q.TaskQueues.TryGetValue queueId with
        | true, tq ->
            { tq with
                Expires = max tq.Expires expires
                LastDateActive = now
                Description = defaultArg description tq.Description
                Stability = defaultArg stability tq.Stability
            }
        | _ ->
            {
                TaskQueueId = queueId
                Expires = expires
                LastDateActive = now
                Description = defaultArg description ""
                Stability = defaultArg stability "experimental"
            }

    next

/// Records what `seen` computed.
let store (q: QueueStore) (tq: TaskQueueRec) = q.TaskQueues[tq.TaskQueueId] <- tq

let private workerKey (workerGroup: string) (workerId: string) = workerGroup + "\u0000" + workerId

/// The worker recorded under the task queue, if any (expired or not).
let tryWorker (q: QueueStore) (queueId: string) (workerGroup: string) (workerId: string) =
    match q.Workers.TryGetValue queueId with
    | true, ws ->
        match ws.TryGetValue(workerKey workerGroup workerId) with
        | true, w -> Some w
        | _ -> None
    | _ -> None

/// The queue's `queue_worker_seen_with_last_date_active`: creates the worker (not quarantined,
/// first claim now) or keeps it, marks it active now, and never moves its expiry backwards.
/// Call under `WorkersGate`.
let workerSeen
    (q: QueueStore)
    (queueId: string)
    (workerGroup: string)
    (workerId: string)
    (now: DateTimeOffset)
    (expires: DateTimeOffset option)
    =
    match tryWorker q queueId workerGroup workerId with
    | Some w ->
        match expires with
        | Some e when e > w.Expires -> w.Expires <- e
        | _ -> ()

        w.LastDateActive <- now
        w
    | None ->
        let w =
            {
                TaskQueueId = queueId
                WorkerGroup = workerGroup
                WorkerId = workerId
                FirstClaim = now
                Expires = defaultArg expires (now + TimeSpan.FromDays 1.0)
                LastDateActive = now
                QuarantineUntil = now.AddYears -10
                RecentTasks = Queue()
                QuarantineDetails = ResizeArray()
            }

        let ws =
            match q.Workers.TryGetValue queueId with
            | true, ws -> ws
            | _ ->
                let ws = SortedDictionary(StringComparer.Ordinal)
                q.Workers[queueId] <- ws
                ws

        ws[workerKey workerGroup workerId] <- w
        w

/// The queue's `queue_worker_task_seen`: the worker's 20 most recent runs.
let private taskSeen (w: QueueWorkerRec) (taskId: string) (runId: int) =
    if w.RecentTasks.Count >= 20 then
        w.RecentTasks.Dequeue() |> ignore

    w.RecentTasks.Enqueue(struct (taskId, runId))

let private quarantined (w: QueueWorkerRec option) (now: DateTimeOffset) =
    w |> Option.exists (fun w -> w.QuarantineUntil > now)

/// The definition `queue.task` returns: the request with the schema's defaults filled in.
let private normalize (taskId: string) (now: DateTimeOffset) (body: JsonNode) : JsonObject =
    let b = body.DeepClone() :?> JsonObject

    let setDefault (name: string) (value: JsonNode) =
        if not (b.ContainsKey name) then
            b[name] <- value

    match J.tryString "taskQueueId" b, J.tryString "provisionerId" b, J.tryString "workerType" b with
    | Some q, None, None ->
        match q.Split('/', 2) with
        | [| p; w |] when p <> "" && w <> "" ->
            b["provisionerId"] <- J.str p
            b["workerType"] <- J.str w
        | _ -> Fail.input $"taskQueueId '{q}' must have the form <provisionerId>/<workerType>"
    | None, Some p, Some w -> b["taskQueueId"] <- J.str $"{p}/{w}"
    | Some q, Some p, Some w when q = $"{p}/{w}" -> ()
    | Some _, Some _, Some _ -> Fail.input "taskQueueId must equal <provisionerId>/<workerType>"
    | _ -> Fail.input "a task needs either taskQueueId or both provisionerId and workerType"

    setDefault "schedulerId" (J.str "-")
    setDefault "projectId" (J.str "none")
    setDefault "taskGroupId" (J.str taskId)
    setDefault "dependencies" (JsonArray())
    setDefault "requires" (J.str "all-completed")
    setDefault "routes" (JsonArray())
    setDefault "priority" (J.str "lowest")
    setDefault "retries" (J.int 5)
    setDefault "scopes" (JsonArray())
    setDefault "tags" (JsonObject())
    setDefault "extra" (JsonObject())

    // the real queue's date checks, in its order, with its drift of 15 minutes
    let created = J.time' "created" b
    let deadline = J.time' "deadline" b
    let drift = TimeSpan.FromMinutes 15.0

    if created < now - drift then
        Fail.input "`created` cannot be in the past (max 15min drift)"

    if created > now + drift then
        Fail.input "`created` cannot be in the future (max 15min drift)"

    if created > deadline then
        Fail.input "`deadline` cannot be later than `created`"

    if deadline < now then
        Fail.input "`deadline` cannot be in the past"

    if deadline - now > TimeSpan.FromDays 5.0 + drift then
        Fail.input "`deadline` cannot be more than 5 days into the future"

    let expires =
        match J.tryString "expires" b with
        | None -> deadline.AddYears 1
        | Some _ -> J.time' "expires" b

    if deadline > expires then
        Fail.input "`expires` cannot be before `deadline`"

    // stored as `new Date(x).toJSON()`, so that a retry spelling the same times differently
    // (another offset, more or fewer digits) is the same task
    b["created"] <- J.time created
    b["deadline"] <- J.time deadline
    b["expires"] <- J.time expires
    b

let task (call: Call) =
    let q = call.Env.Stores.Queue
    let taskId = Api.param call "taskId"
    inTask q call.Now taskId (notFoundTask taskId) (fun t -> Api.ok (t.Definition.DeepClone()))

let status (call: Call) =
    let q = call.Env.Stores.Queue
    let taskId = Api.param call "taskId"
    inTask q call.Now taskId (notFoundTask taskId) statusReply

/// Runs `f` under the lock of the group, created if need be; a group that `f` leaves without a
/// task (a create that failed) is dropped again, so refused creates store nothing.
let rec private inNewGroup (q: QueueStore) (groupId: string) (f: TaskGroupRec -> 'T) : 'T =
    let g = q.Groups.GetOrAdd(groupId, fun id -> TaskGroupRec id)

    let result =
        lock g.Gate (fun () ->
            if g.Retired then
                None
            else
                try
                    Some(f g)
                finally
                    if isNull g.SchedulerId then
                        g.Retired <- true
                        q.Groups.TryRemove(KeyValuePair(groupId, g)) |> ignore)

    match result with
    | Some r -> r
    // dropped between the look-up and the lock: look it up again
    | None -> inNewGroup q groupId f

let createTask (call: Call) =
    let q = call.Env.Stores.Queue
    let taskId = Api.param call "taskId"
    let def = normalize taskId call.Now call.Body
    let priority = defString' def "priority"
    let levels = priorityLevels |> List.takeWhile (fun p -> p <> priority)

    Api.authorizeWith
        call
        [
            "scopes", J.clone def["scopes"]
            "routes", J.clone def["routes"]
            "projectId", J.clone def["projectId"]
            "schedulerId", J.clone def["schedulerId"]
            "provisionerId", J.clone def["provisionerId"]
            "workerType", J.clone def["workerType"]
            "priorities", J.strs (levels @ [ priority ])
        ]

    ensure q call.Now
    let group = defString' def "taskGroupId"
    let schedulerId = defString' def "schedulerId"

    inNewGroup q group (fun g ->
        // as the real queue's ensureTaskGroup, before it looks at the task itself
        if not (isNull g.SchedulerId) && g.SchedulerId <> schedulerId then
            Fail.conflict
                $"Task group `{group}` contains tasks with a schedulerId other than `{schedulerId}`. All tasks in the same task-group must have the same schedulerId."

        if g.Sealed.IsSome then
            Fail.conflict $"Task group `{group}` is sealed and does not accept new tasks."

        match q.Tasks.TryGetValue taskId with
        // in this group, so under the lock held; in another, its definition differs
        | true, existing when obj.ReferenceEquals(existing.Group, g) && J.deepEquals existing.Definition def ->
            statusReply existing
        | true, _ -> Fail.conflict "taskId already used by another task"
        | _ ->
            let deps = J.tryStrings "dependencies" def |> Option.defaultValue []

            match deps |> List.filter (fun d -> d <> taskId && not (q.Tasks.ContainsKey d)) with
            | [] -> ()
            | missing ->
                let listed = String.Join(", ", missing)
                Fail.input $"task.dependencies references non-existing tasks: {listed}"

            let t =
                {
                    TaskId = taskId
                    Group = g
                    Definition = def
                    Deadline = J.time' "deadline" def
                    State = "unscheduled"
                    RetriesLeft = int (J.tryInt64 "retries" def |> Option.defaultValue 5L)
                    Runs = ResizeArray()
                    Artifacts = Dictionary()
                    Dependents = SortedSet(StringComparer.Ordinal)
                }

            // stored only if `queue.task` and `createTask` can answer with it
            Api.mustAnswer call "task" t.Definition
            Api.mustAnswer call "createTask" (J.obj [ "status", statusJson t ])

            let expires = J.time' "expires" def

            // the same taskId created at once in another group got there first
            if not (q.Tasks.TryAdd(taskId, t)) then
                Fail.conflict "taskId already used by another task"

            if isNull g.SchedulerId then
                g.SchedulerId <- schedulerId
                g.Expires <- expires
            else
                g.Expires <- max g.Expires expires

            g.Ids.Add taskId |> ignore

            // registered before the dependencies' states are read below: a dependency that
            // resolves meanwhile either sees this task among its dependents or is seen resolved
            for d in deps do
                let dep = q.Tasks[d]
                lock dep.Dependents (fun () -> dep.Dependents.Add taskId |> ignore)

            dueAt q taskId -1 t.Deadline
            probe q taskId
            announce q "task-defined" t None false (fun () -> [])

            if dependenciesMet q t then
                addRun q t "scheduled" call.Now

            statusReply t)

let private taskAuthParams (t: TaskRec) =
    [
        "schedulerId", J.clone t.Definition["schedulerId"]
        "taskGroupId", J.clone t.Definition["taskGroupId"]
        "projectId", J.clone t.Definition["projectId"]
        "taskQueueId", J.clone t.Definition["taskQueueId"]
    ]

let scheduleTask (call: Call) =
    let q = call.Env.Stores.Queue
    let taskId = Api.param call "taskId"

    inTask q call.Now taskId (notFoundTask taskId) (fun t ->
        Api.authorizeWith call (taskAuthParams t)

        if t.State = "unscheduled" && t.Runs.Count = 0 then
            addRun q t "scheduled" call.Now

        statusReply t)

/// Resolves an unresolved task as `exception`/`canceled` (under its group's lock); answers
/// what to do once the lock is released.
let private cancelOne (q: QueueStore) (t: TaskRec) (now: DateTimeOffset) =
    let run = openRun t now

    stopped q t run
    run.State <- "exception"
    run.ReasonResolved <- "canceled"
    run.Resolved <- Some now
    t.State <- "exception"
    announce q "task-exception" t (Some run) true (fun () -> [])
    afterResolve q t now

let cancelTask (call: Call) =
    let q = call.Env.Stores.Queue
    let taskId = Api.param call "taskId"

    let reply, after =
        inTask q call.Now taskId (notFoundTask taskId) (fun t ->
            Api.authorizeWith call (taskAuthParams t)

            let after = if resolved t.State then ignore else cancelOne q t call.Now

            statusReply t, after)

    after ()
    reply

let private definitionAndStatus (t: TaskRec) =
    J.obj [ "task", t.Definition.DeepClone(); "status", statusJson t ]

/// One page of a group's task ids after the continuation token, in taskId order, and the
/// token of the next: walks the page only, not the group.
let private groupPage (call: Call) (ids: SortedSet<string>) =
    let limit = Pagination.limit (call.Query "limit") call.Env.MaxPageSize

    let from: string seq =
        match call.Query "continuationToken" with
        | None
        | Some "" -> ids
        | Some token ->
            match Pagination.tryDecode token with
            | None -> Fail.badArguments $"Invalid continuationToken '{token}'"
            | Some after when String.CompareOrdinal(after, ids.Max) >= 0 -> Seq.empty
            | Some after -> ids.GetViewBetween(after, ids.Max) |> Seq.skipWhile (fun id -> id = after)

    let taken = from |> Seq.truncate (limit + 1) |> Seq.toArray
    let page = Array.truncate limit taken

    let next =
        if taken.Length > limit then
            Some(Pagination.encode page[page.Length - 1])
        else
            None

    page, next

/// Brings the state up to `now`, then runs `f` on the group under its lock (a 404 with
/// `missing` when the group has no task).
let private inGroup (q: QueueStore) (now: DateTimeOffset) (groupId: string) (missing: string) (f: TaskGroupRec -> 'T) =
    ensure q now

    match q.Groups.TryGetValue groupId with
    | true, g ->
        lock g.Gate (fun () ->
            if isNull g.SchedulerId || g.Ids.Count = 0 then
                Fail.notFound missing

            f g)
    | _ -> Fail.notFound missing

let listTaskGroup (call: Call) =
    let q = call.Env.Stores.Queue
    let groupId = Api.param call "taskGroupId"

    inGroup q call.Now groupId $"No task-group with taskGroupId: `{groupId}`" (fun g ->
        let page, token = groupPage call g.Ids

        Api.ok (
            Api.withToken
                token
                [
                    "taskGroupId", J.str groupId
                    "schedulerId", J.str g.SchedulerId
                    "expires", J.time g.Expires
                    "tasks", J.arr (page |> Seq.map (fun id -> definitionAndStatus q.Tasks[id]))
                ]
        ))

let listDependentTasks (call: Call) =
    let q = call.Env.Stores.Queue
    let taskId = Api.param call "taskId"
    ensure q call.Now
    let t = findTask q taskId (notFoundTask taskId)
    let ids = lock t.Dependents (fun () -> Seq.toArray t.Dependents)
    let page, token = Api.page call (ids |> Array.map (fun id -> id, q.Tasks[id]))

    Api.ok (
        Api.withToken
            token
            [
                "taskId", J.str taskId
                // each under its own group's lock, one at a time
                "tasks", J.arr (page |> List.map (fun d -> lock d.Group.Gate (fun () -> definitionAndStatus d)))
            ]
    )

/// Temporary credentials for a run, as the queue gives workers.
let private runCredentials (call: Call) (t: TaskRec) (run: RunRec) =
    let takenUntil = run.TakenUntil |> Option.defaultValue call.Now

    let scopes =
        (J.tryStrings "scopes" t.Definition |> Option.defaultValue [])
        @ [
            $"queue:reclaim-task:{t.TaskId}/{run.RunId}"
            $"queue:resolve-task:{t.TaskId}/{run.RunId}"
            $"queue:create-artifact:{t.TaskId}/{run.RunId}"
        ]

    let name =
        $"task-client/{t.TaskId}/{run.RunId}/on/{run.WorkerGroup}/{run.WorkerId}/until/{takenUntil.ToUnixTimeSeconds()}"

    Api.serviceCredentials
        call.Env
        (Some name)
        scopes
        (call.Now - TimeSpan.FromMinutes 15.0)
        (takenUntil + TimeSpan.FromMinutes 5.0)

let private claimLength = TimeSpan.FromMinutes 20.0

/// Marks a pending run as claimed by the worker and answers the claim (task, status and the
/// run's credentials), announcing `task-running`.
let private claimRun (call: Call) (q: QueueStore) (t: TaskRec) (run: RunRec) (workerGroup: string) (workerId: string) =
    if run.State = "pending" then
        run.State <- "running"
        run.WorkerGroup <- workerGroup
        run.WorkerId <- workerId
        run.Started <- Some call.Now
        run.TakenUntil <- Some(call.Now + claimLength)
        t.State <- "running"
        let runs = runsOf q t
        lock runs (fun () -> runs.Running.Add(struct (t.TaskId, run.RunId)) |> ignore)
        dueAt q t.TaskId run.RunId run.TakenUntil.Value

        announce q "task-running" t (Some run) true (fun () -> [ "takenUntil", J.time run.TakenUntil.Value ])

    J.obj
        [
            "status", statusJson t
            "runId", J.int run.RunId
            "workerGroup", J.str workerGroup
            "workerId", J.str workerId
            "takenUntil", J.time run.TakenUntil.Value
            "task", t.Definition.DeepClone()
            "credentials", runCredentials call t run
        ]

let claimWork (call: Call) =
    let q = call.Env.Stores.Queue
    let queueId = Api.param call "taskQueueId"
    let workerGroup = J.string "workerGroup" call.Body
    let workerId = J.string "workerId" call.Body
    Api.authorizeWith call [ "workerGroup", J.str workerGroup; "workerId", J.str workerId ]
    let wanted = int (J.tryInt64 "tasks" call.Body |> Option.defaultValue 1L)

    let worker, isQuarantined =
        withWorkers q call.Now (fun () ->
            // as the queue's workerInfo.seen: a worker keeps its task queue, and itself, alive for a day
            let dayAhead = call.Now + TimeSpan.FromDays 1.0
            seen q queueId call.Now dayAhead None None |> store q
            let worker = workerSeen q queueId workerGroup workerId call.Now (Some dayAhead)
            worker, quarantined (Some worker) call.Now)

    let claimed = ResizeArray()

    // a quarantined worker is seen, but gets no work
    match q.Runs.TryGetValue queueId with
    | true, runs when not isQuarantined ->
        let mutable go = true

        while go && claimed.Count < wanted do
            // taken off the list under its lock, claimed under the group's: never both at once
            let next =
                lock runs (fun () ->
                    match runs.Pending.First with
                    | null -> ValueNone
                    | first ->
                        runs.Pending.RemoveFirst()
                        ValueSome first.Value)

            match next with
            | ValueNone -> go <- false
            | ValueSome(struct (t, run)) ->
                let reply =
                    lock t.Group.Gate (fun () ->
                        if run.State = "pending" then
                            Some(claimRun call q t run workerGroup workerId)
                        else
                            None)

                match reply with
                | Some r ->
                    claimed.Add r
                    lock q.WorkersGate (fun () -> taskSeen worker t.TaskId run.RunId)
                | None -> ()
    | _ -> ()

    Api.ok (J.obj [ "tasks", J.arr claimed ])

/// The deprecated claim of one given run.
let claimTask (call: Call) =
    let q = call.Env.Stores.Queue
    let taskId = Api.param call "taskId"
    let runIdText = Api.param call "runId"
    let workerGroup = J.string "workerGroup" call.Body
    let workerId = J.string "workerId" call.Body

    inTask q call.Now taskId $"Task `{taskId}` not found. Are you sure it was created?" (fun t ->
        let queueId = defString t "taskQueueId"

        Api.authorizeWith
            call
            [
                "workerGroup", J.str workerGroup
                "workerId", J.str workerId
                "provisionerId", J.clone t.Definition["provisionerId"]
                "workerType", J.clone t.Definition["workerType"]
            ]

        if t.Deadline <= call.Now then
            let deadline = defString t "deadline"
            Fail.conflict $"Task `{taskId}` can't be claimed past its deadline of {deadline}."

        // the real queue answers a quarantined worker with an empty object, which its own
        // output schema refuses; the emulator says why instead
        lock q.WorkersGate (fun () ->
            if quarantined (tryWorker q queueId workerGroup workerId) call.Now then
                Fail.conflict $"Worker {workerGroup}/{workerId} is quarantined and cannot claim tasks."

            seen q queueId call.Now (call.Now + TimeSpan.FromDays 5.0) None None |> store q)

        let run =
            match Int32.TryParse runIdText with
            | true, runId when runId >= 0 && runId < t.Runs.Count -> t.Runs[runId]
            | _ -> Fail.notFound $"Run {runIdText} not found on task `{taskId}`."

        // a repeated claim by the same worker is answered again; any other is a conflict
        let ours =
            run.State = "running"
            && run.WorkerGroup = workerGroup
            && run.WorkerId = workerId

        if run.RunId <> t.Runs.Count - 1 || not (run.State = "pending" || ours) then
            Fail.conflict $"Run {run.RunId} was already claimed by another worker."

        let reply = claimRun call q t run workerGroup workerId

        // as `queue_worker_task_seen`: recorded only on a worker the queue already knows
        lock q.WorkersGate (fun () ->
            match tryWorker q queueId workerGroup workerId with
            | Some w when not ours -> taskSeen w taskId run.RunId
            | _ -> ())

        Api.ok reply)

let private runningRun (t: TaskRec) (runIdText: string) =
    let run = getRun t runIdText

    if run.State <> "running" then
        Fail.conflict $"Run {run.RunId} of task {t.TaskId} is not running (it is {run.State})"

    run

let reclaimTask (call: Call) =
    let q = call.Env.Stores.Queue
    let taskId = Api.param call "taskId"

    inTask q call.Now taskId (notFoundTask taskId) (fun t ->
        let run = runningRun t (Api.param call "runId")
        run.TakenUntil <- Some(call.Now + claimLength)
        dueAt q t.TaskId run.RunId run.TakenUntil.Value
        // as workerInfo.seen: the task queue and the worker stay alive
        let queueId = defString t "taskQueueId"
        let dayAhead = call.Now + TimeSpan.FromDays 1.0

        lock q.WorkersGate (fun () ->
            seen q queueId call.Now dayAhead None None |> store q

            workerSeen q queueId run.WorkerGroup run.WorkerId call.Now (Some dayAhead)
            |> ignore)

        Api.ok (
            J.obj
                [
                    "status", statusJson t
                    "runId", J.int run.RunId
                    "workerGroup", J.str run.WorkerGroup
                    "workerId", J.str run.WorkerId
                    "takenUntil", J.time run.TakenUntil.Value
                    "credentials", runCredentials call t run
                ]
        ))

let private resolve (call: Call) (state: string) (reason: string) =
    let q = call.Env.Stores.Queue
    let taskId = Api.param call "taskId"

    let reply, after =
        inTask q call.Now taskId (notFoundTask taskId) (fun t ->
            let runIdText = Api.param call "runId"
            let run = getRun t runIdText

            // the real queue answers a repeated report of the same resolution idempotently
            if run.State = state && run.ReasonResolved = reason then
                statusReply t, ignore
            else
                let run = runningRun t runIdText
                probe q taskId
                stopped q t run
                run.State <- state
                run.ReasonResolved <- reason
                run.Resolved <- Some call.Now
                run.TakenUntil <- None

                let retry =
                    state = "exception"
                    && (reason = "worker-shutdown" || reason = "intermittent-task")
                    && t.RetriesLeft > 0

                let after =
                    if retry then
                        t.RetriesLeft <- t.RetriesLeft - 1

                        let next =
                            addRunQuiet q t (if reason = "worker-shutdown" then "retry" else "task-retry") call.Now

                        announce q "task-exception" t (Some run) true (fun () -> [])
                        announce q "task-pending" t (Some next) false (fun () -> [])
                        ignore
                    else
                        t.State <- state
                        announce q $"task-{state}" t (Some run) true (fun () -> [])
                        afterResolve q t call.Now

                statusReply t, after)

    after ()
    reply

let reportCompleted call = resolve call "completed" "completed"
let reportFailed call = resolve call "failed" "failed"

let reportException (call: Call) =
    resolve call "exception" (J.string "reason" call.Body)

// ---------------------------------------------------------------------------------------------
// Artifacts

let private artifactKey (taskId: string) (runId: int) (name: string) = $"artifact/{taskId}/{runId}/{name}"
let private objectNameOf (taskId: string) (runId: int) (name: string) = $"t/{taskId}/{runId}/{name}"

let private artifactJson (a: ArtifactRec) =
    J.obj
        [
            "storageType", J.str a.StorageType
            "name", J.str a.Name
            "expires", J.time a.Expires
            "contentType", J.str a.ContentType
        ]

let createArtifact (call: Call) =
    let env = call.Env
    let q = env.Stores.Queue
    let name = Api.param call "name"
    let body = call.Body
    let storageType = J.string "storageType" body

    inTask q call.Now (Api.param call "taskId") (notFoundTask (Api.param call "taskId")) (fun t ->
        let run = getRun t (Api.param call "runId")

        let recentException =
            run.State = "exception"
            && run.Resolved
               |> Option.exists (fun r -> call.Now - r < TimeSpan.FromMinutes 25.0)

        if run.State <> "running" && not recentException then
            Fail.conflict $"Artifacts cannot be created for run {run.RunId} of task {t.TaskId}: it is {run.State}"

        let taskExpires = J.time' "expires" t.Definition

        let expires =
            match J.tryString "expires" body with
            | Some _ -> J.time' "expires" body
            | None -> taskExpires

        if expires > taskExpires then
            Fail.input "Artifact expires after the task"

        let key = struct (run.RunId, name)

        let existing =
            match t.Artifacts.TryGetValue key with
            | true, a ->
                if not (J.deepEquals a.Request body) then
                    Fail.conflict $"Artifact {name} already exists with different parameters"

                Some a
            | _ -> None

        let contentType =
            J.tryString "contentType" body |> Option.defaultValue "application/octet-stream"

        let remember target uploadId present =
            match existing with
            | Some a -> a
            | None ->
                let a =
                    {
                        Name = name
                        StorageType = storageType
                        ContentType = contentType
                        Expires = expires
                        Present = present
                        Request = body.DeepClone()
                        Target = target
                        UploadId = uploadId
                    }

                // stored only if `artifactInfo` and the lists can answer with it
                Api.mustAnswer call "artifactInfo" (artifactJson a)
                t.Artifacts[key] <- a
                a

        let record target uploadId present =
            let a = remember target uploadId present

            // the real queue announces every present artifact but an s3 one, again on a retry
            if a.Present && a.StorageType <> "s3" then
                announce q "artifact-created" t (Some run) true (fun () -> [ "artifact", artifactJson a ])

            a

        match storageType with
        | "s3" ->
            let blobKey = artifactKey t.TaskId run.RunId name
            record blobKey null true |> ignore
            let url, _ = env.BlobUrl("put", blobKey)

            Api.ok (
                J.obj
                    [
                        "storageType", J.str "s3"
                        "putUrl", J.str url
                        "expires", J.time expires
                        "contentType", J.str contentType
                    ]
            )
        | "object" ->
            let objectName = objectNameOf t.TaskId run.RunId name
            let a = record objectName (env.Random.SlugId()) false
            let projectId = J.string "projectId" t.Definition

            let credentials =
                Api.serviceCredentials
                    env
                    None
                    [ $"object:upload:{projectId}:{objectName}" ]
                    (call.Now - TimeSpan.FromMinutes 15.0)
                    (min expires (call.Now + TimeSpan.FromDays 1.0))

            Api.ok (
                J.obj
                    [
                        "storageType", J.str "object"
                        "name", J.str objectName
                        "projectId", J.str projectId
                        "uploadId", J.str a.UploadId
                        "expires", J.time expires
                        "credentials", credentials
                    ]
            )
        | "reference" ->
            record (J.string "url" body) null true |> ignore
            Api.ok (J.obj [ "storageType", J.str "reference" ])
        | "link" ->
            record (J.string "artifact" body) null true |> ignore
            Api.ok (J.obj [ "storageType", J.str "link" ])
        | "error" ->
            record null null true |> ignore
            Api.ok (J.obj [ "storageType", J.str "error" ])
        | other -> Fail.input $"Unknown storageType {other}")

let finishArtifact (call: Call) =
    let q = call.Env.Stores.Queue
    let name = Api.param call "name"

    inTask q call.Now (Api.param call "taskId") (notFoundTask (Api.param call "taskId")) (fun t ->
        let run = getRun t (Api.param call "runId")

        match t.Artifacts.TryGetValue(struct (run.RunId, name)) with
        | true, a when a.StorageType = "object" ->
            if a.UploadId <> J.string "uploadId" call.Body then
                Fail.conflict "uploadId does not match the artifact's uploadId"

            a.Present <- true
            announce q "artifact-created" t (Some run) true (fun () -> [ "artifact", artifactJson a ])
            Api.empty ()
        | true, a -> Fail.input $"Artifacts of storageType {a.StorageType} cannot be finished"
        | _ -> Fail.notFound $"Artifact {name} not found")

/// The artifact, following links (at most a few hops, as the real queue does).
let rec private findArtifact (t: TaskRec) (run: RunRec) (name: string) (hops: int) =
    match t.Artifacts.TryGetValue(struct (run.RunId, name)) with
    | true, a when a.Present ->
        if a.StorageType = "link" then
            if hops >= 10 then
                Fail.input $"Too many links to follow from artifact {name}"

            findArtifact t run a.Target (hops + 1)
        else
            a
    | _ -> Fail.notFound $"Artifact {name} not found for run {run.RunId} of task {t.TaskId}"

let private latestRun (t: TaskRec) =
    match Seq.tryLast t.Runs with
    | Some r -> r
    | None -> Fail.notFound $"Task {t.TaskId} has no runs"

let private authorizeArtifact (call: Call) =
    let name = Api.param call "name"
    let names = if name.StartsWith "public/" then [] else [ name ]
    Api.authorizeWith call [ "names", J.strs names ]

let private lookup (call: Call) (latest: bool) =
    let q = call.Env.Stores.Queue

    inTask q call.Now (Api.param call "taskId") (notFoundTask (Api.param call "taskId")) (fun t ->

        let run =
            if latest then
                latestRun t
            else
                getRun t (Api.param call "runId")

        findArtifact t run (Api.param call "name") 0)

/// A URL serving the artifact's bytes: a signed blob URL for s3 and object artifacts.
let private downloadUrl (call: Call) (a: ArtifactRec) =
    match a.StorageType with
    | "s3" -> fst (call.Env.BlobUrl("get", a.Target))
    | "object" -> fst (call.Env.BlobUrl("get", "object/" + a.Target))
    | _ -> a.Target

let private errorDetails (a: ArtifactRec) =
    J.tryString "reason" a.Request |> Option.defaultValue "", J.tryString "message" a.Request |> Option.defaultValue ""

let private getArtifactImpl (latest: bool) (call: Call) =
    authorizeArtifact call
    let a = lookup call latest

    match a.StorageType with
    | "error" ->
        let reason, message = errorDetails a
        Reply.Json(424, J.obj [ "reason", J.str reason; "message", J.str message ])
    | storageType ->
        let url = downloadUrl call a
        Reply.Redirect(url, J.obj [ "storageType", J.str storageType; "url", J.str url ])

let getArtifact call = getArtifactImpl false call
let getLatestArtifact call = getArtifactImpl true call

let private contentImpl (latest: bool) (call: Call) =
    authorizeArtifact call
    let a = lookup call latest
    let env = call.Env

    match a.StorageType with
    | "error" ->
        let reason, message = errorDetails a

        Api.ok (
            J.obj
                [
                    "storageType", J.str "error"
                    "reason", J.str reason
                    "message", J.str message
                ]
        )
    | "object" ->
        let credentials =
            Api.serviceCredentials
                env
                None
                [ $"object:download:{a.Target}" ]
                (call.Now - TimeSpan.FromMinutes 15.0)
                (call.Now + TimeSpan.FromHours 1.0)

        Api.ok (
            J.obj
                [
                    "storageType", J.str "object"
                    "name", J.str a.Target
                    "credentials", credentials
                ]
        )
    | storageType -> Api.ok (J.obj [ "storageType", J.str storageType; "url", J.str (downloadUrl call a) ])

let artifact call = contentImpl false call
let latestArtifact call = contentImpl true call

let artifactInfo (call: Call) =
    Api.ok (artifactJson (lookup call false))

let latestArtifactInfo (call: Call) =
    Api.ok (artifactJson (lookup call true))

let private listImpl (latest: bool) (call: Call) =
    let q = call.Env.Stores.Queue

    let items =
        inTask q call.Now (Api.param call "taskId") (notFoundTask (Api.param call "taskId")) (fun t ->

            let run =
                if latest then
                    latestRun t
                else
                    getRun t (Api.param call "runId")

            t.Artifacts
            |> Seq.choose (fun (KeyValue(struct (runId, _), a)) ->
                if runId = run.RunId && a.Present then Some a else None)
            |> Seq.sortWith (fun a b -> String.CompareOrdinal(a.Name, b.Name))
            |> Seq.map (fun a -> a.Name, artifactJson a)
            |> Seq.toArray)

    let page, token = Api.page call items
    Api.ok (Api.withToken token [ "artifacts", J.arr page ])

let listArtifacts call = listImpl false call
let listLatestArtifacts call = listImpl true call

let rerunTask (call: Call) =
    let q = call.Env.Stores.Queue

    inTask q call.Now (Api.param call "taskId") (notFoundTask (Api.param call "taskId")) (fun t ->
        Api.authorizeWith call (taskAuthParams t)

        if resolved t.State then
            if t.Runs.Count >= 50 then
                Fail.conflict $"Task {t.TaskId} cannot be rerun: it has reached 50 runs"

            addRun q t "rerun" call.Now
            // unresolved again, so its deadline is due again
            dueAt q t.TaskId -1 t.Deadline

        statusReply t)

/// A task group as `getTaskGroup` answers it.
let private groupJson (groupId: string) (g: TaskGroupRec) =
    J.obj
        [
            "taskGroupId", J.str groupId
            "schedulerId", J.str g.SchedulerId
            "expires", J.time g.Expires
            match g.Sealed with
            | Some at -> "sealed", J.time at
            | None -> ()
        ]

let private noGroup (groupId: string) =
    $"No task-group with taskGroupId: `{groupId}`"

let getTaskGroup (call: Call) =
    let q = call.Env.Stores.Queue
    let groupId = Api.param call "taskGroupId"
    inGroup q call.Now groupId (noGroup groupId) (fun g -> Api.ok (groupJson groupId g))

/// Seals the group once (a second call changes nothing): no task can join it afterwards.
let sealTaskGroup (call: Call) =
    let q = call.Env.Stores.Queue
    let groupId = Api.param call "taskGroupId"

    inGroup q call.Now groupId (noGroup groupId) (fun g ->
        Api.authorizeWith call [ "schedulerId", J.str g.SchedulerId ]

        if g.Sealed.IsNone then
            g.Sealed <- Some call.Now

        let reply = groupJson groupId g

        QueuePulse.group q "task-group-sealed" groupId g.SchedulerId (fun () ->
            [ "expires", J.time g.Expires; "sealed", J.time g.Sealed.Value ])

        Api.ok reply)

/// Cancels every unresolved task of a sealed group whose deadline is ahead, as `cancelTask`
/// does each, and names the tasks this call cancelled.
let cancelTaskGroup (call: Call) =
    let q = call.Env.Stores.Queue
    let groupId = Api.param call "taskGroupId"

    let reply, after =
        inGroup q call.Now groupId (noGroup groupId) (fun g ->
            if g.Sealed.IsNone then
                Fail.conflict $"Cannot cancel unsealed task group: `{groupId}`"

            Api.authorizeWith call [ "schedulerId", J.str g.SchedulerId ]

            let ids = g.Ids |> Seq.toArray
            let after = ResizeArray()

            let cancelled =
                ids
                |> Array.filter (fun id ->
                    let t = q.Tasks[id]

                    if not (resolved t.State) && t.Deadline > call.Now then
                        after.Add(cancelOne q t call.Now)
                        true
                    else
                        false)

            Api.ok (
                J.obj
                    [
                        "taskGroupId", J.str groupId
                        "taskGroupSize", J.int ids.Length
                        "cancelledCount", J.int cancelled.Length
                        "taskIds", J.strs (List.ofArray cancelled)
                    ]
            ),
            after)

    runAll after
    reply

let private priorityOf (call: Call) =
    let p = J.string "newPriority" call.Body

    if not (List.contains p priorityLevels) then
        Fail.input $"Unknown priority `{p}`."

    p

/// A new priority for an unresolved task before its deadline; a claimed run keeps its own.
let changeTaskPriority (call: Call) =
    let q = call.Env.Stores.Queue
    let taskId = Api.param call "taskId"
    let priority = priorityOf call

    inTask q call.Now taskId $"Task `{taskId}` not found. Are you sure it was created?" (fun t ->
        Api.authorizeWith call [ "taskQueueId", J.clone t.Definition["taskQueueId"] ]

        if t.Deadline <= call.Now then
            let deadline = defString t "deadline"
            Fail.conflict $"Task `{taskId}` can't be reprioritized past its deadline of {deadline}."

        if resolved t.State then
            Fail.conflict $"Task `{taskId}` is already resolved and cannot be reprioritized."

        let old = defString t "priority"
        t.Definition["priority"] <- J.str priority

        announce q "task-priority-changed" t None false (fun () ->
            [ "oldPriority", J.str old; "newPriority", J.str priority ])

        statusReply t)

/// A new priority for every unresolved task of the group before its deadline that has
/// another one.
let changeTaskGroupPriority (call: Call) =
    let q = call.Env.Stores.Queue
    let groupId = Api.param call "taskGroupId"

    inGroup q call.Now groupId $"Task group `{groupId}` not found." (fun g ->
        Api.authorizeWith call [ "schedulerId", J.str g.SchedulerId ]
        let priority = priorityOf call

        let changed =
            [
                for id in g.Ids do
                    let t = q.Tasks[id]

                    if
                        not (resolved t.State)
                        && t.Deadline > call.Now
                        && defString t "priority" <> priority
                    then
                        t.Definition["priority"] <- J.str priority
                        id
            ]

        QueuePulse.group q "task-group-priority-changed" groupId g.SchedulerId (fun () ->
            [ "newPriority", J.str priority; "tasksAffected", J.int changed.Length ])

        Api.ok (
            J.obj
                [
                    "taskGroupId", J.str groupId
                    "schedulerId", J.str g.SchedulerId
                    "newPriority", J.str priority
                    "tasksAffected", J.int changed.Length
                    "taskIds", J.strs changed
                ]
        ))

/// The pending and running runs of a task queue, from its own indexes (the pending list may
/// still hold runs that were cancelled before a worker came).
let private counts (q: QueueStore) (queueId: string) =
    match q.Runs.TryGetValue queueId with
    | true, runs ->
        // a run's state is read without its group's lock: a count is a moment's view anyway
        lock runs (fun () ->
            runs.Pending
            |> Seq.sumBy (fun (struct (_, run)) -> if run.State = "pending" then 1 else 0),
            runs.Running.Count)
    | _ -> 0, 0

let private queueIds (queueId: string) =
    match queueId.Split('/', 2) with
    | [| p; w |] -> p, w
    | _ -> queueId, ""

let private countsReply (call: Call) (withClaimed: bool) =
    let q = call.Env.Stores.Queue
    let queueId = Api.param call "taskQueueId"
    let p, w = queueIds queueId

    ensure q call.Now
    let pending, claimed = counts q queueId

    Api.ok (
        J.obj
            [
                "provisionerId", J.str p
                "workerType", J.str w
                "taskQueueId", J.str queueId
                "pendingTasks", J.int pending
                if withClaimed then
                    "claimedTasks", J.int claimed
            ]
    )

let pendingTasks (call: Call) = countsReply call false
let taskQueueCounts (call: Call) = countsReply call true

/// A task queue as `getWorkerType` answers it (its split fields added, no actions).
let private workerTypeJson (tq: TaskQueueRec) =
    let slash = tq.TaskQueueId.IndexOf '/'

    J.obj
        [
            "taskQueueId", J.str tq.TaskQueueId
            "expires", J.time tq.Expires
            "lastDateActive", J.time tq.LastDateActive
            "description", J.str tq.Description
            "stability", J.str tq.Stability
            "provisionerId", J.str (tq.TaskQueueId.Substring(0, slash))
            "workerType", J.str (tq.TaskQueueId.Substring(slash + 1))
            "actions", JsonArray()
        ]

/// A provisioner, which v106 derives from the unexpired task queues whose id starts with it.
let private provisioner (q: QueueStore) (provisionerId: string) (now: DateTimeOffset) =
    let queues =
        q.TaskQueues.Values
        |> Seq.filter (fun tq -> tq.Expires > now && tq.TaskQueueId.StartsWith(provisionerId + "/"))
        |> Seq.toList

    match queues with
    | [] -> Fail.notFound $"Provisioner `{provisionerId}` not found. Are you sure it was created?"
    | _ ->
        J.obj
            [
                "provisionerId", J.str provisionerId
                "expires", J.time (queues |> List.map _.Expires |> List.max)
                "lastDateActive", J.time (queues |> List.map _.LastDateActive |> List.max)
                "description", J.str ""
                "stability", J.str "experimental"
                "actions", JsonArray()
            ]

let getProvisioner (call: Call) =
    let q = call.Env.Stores.Queue
    withWorkers q call.Now (fun () -> Api.ok (provisioner q (Api.param call "provisionerId") call.Now))

/// Deprecated, and in v106 it changes nothing: it authorises each property of the body, then
/// answers the provisioner as it is.
let declareProvisioner (call: Call) =
    let q = call.Env.Stores.Queue
    let properties = [ for KeyValue(k, _) in call.Body.AsObject() -> k ]
    Api.authorizeWith call [ "properties", J.strs properties ]
    withWorkers q call.Now (fun () -> Api.ok (provisioner q (Api.param call "provisionerId") call.Now))

let getWorkerType (call: Call) =
    let q = call.Env.Stores.Queue
    let p = Api.param call "provisionerId"
    let w = Api.param call "workerType"

    withWorkers q call.Now (fun () ->
        match q.TaskQueues.TryGetValue $"{p}/{w}" with
        | true, tq when tq.Expires > call.Now -> Api.ok (workerTypeJson tq)
        | _ -> Fail.notFound $"Worker-type `{w}` with Provisioner `{p}` not found. Are you sure it was created?")

/// Deprecated: creates or updates the task queue `<provisionerId>/<workerType>` with the body's
/// description, stability and expiry (5 days from now without one).
let declareWorkerType (call: Call) =
    let q = call.Env.Stores.Queue
    let p = Api.param call "provisionerId"
    let w = Api.param call "workerType"
    let properties = [ for KeyValue(k, _) in call.Body.AsObject() -> k ]
    Api.authorizeWith call [ "properties", J.strs properties ]

    let expires =
        match J.tryString "expires" call.Body with
        | Some _ -> J.time' "expires" call.Body
        | None -> call.Now + TimeSpan.FromDays 5.0

    withWorkers q call.Now (fun () ->
        let tq =
            seen
                q
                $"{p}/{w}"
                call.Now
                expires
                (J.tryString "description" call.Body)
                (J.tryString "stability" call.Body)

        let reply = workerTypeJson tq
        Api.mustAnswer call "getWorkerType" reply
        store q tq
        Api.ok reply)

let handlers: (string * (Call -> Reply)) list =
    [
        "task", task
        "status", status
        "createTask", createTask
        "scheduleTask", scheduleTask
        "cancelTask", cancelTask
        "rerunTask", rerunTask
        "getTaskGroup", getTaskGroup
        "pendingTasks", pendingTasks
        "taskQueueCounts", taskQueueCounts
        "listTaskGroup", listTaskGroup
        "listDependentTasks", listDependentTasks
        "claimWork", claimWork
        "claimTask", claimTask
        "sealTaskGroup", sealTaskGroup
        "cancelTaskGroup", cancelTaskGroup
        "changeTaskPriority", changeTaskPriority
        "changeTaskGroupPriority", changeTaskGroupPriority
        "reclaimTask", reclaimTask
        "reportCompleted", reportCompleted
        "reportFailed", reportFailed
        "reportException", reportException
        "createArtifact", createArtifact
        "finishArtifact", finishArtifact
        "getArtifact", getArtifact
        "getLatestArtifact", getLatestArtifact
        "artifact", artifact
        "latestArtifact", latestArtifact
        "artifactInfo", artifactInfo
        "latestArtifactInfo", latestArtifactInfo
        "listArtifacts", listArtifacts
        "listLatestArtifacts", listLatestArtifacts
        "getProvisioner", getProvisioner
        "declareProvisioner", declareProvisioner
        "getWorkerType", getWorkerType
        "declareWorkerType", declareWorkerType
    ]
