/// The worker-manager service with the providers an emulator can honestly offer: `static`
/// (workers created through the API, registering with a shared secret and receiving
/// temporary credentials the emulator's auth accepts) and `null-provider` (a pool being
/// deleted). Worker pools, workers, registration, reregistration and worker pool errors.
module internal Taskcluster.Emulator.Services.WorkerManager

open System
open System.Text.Json
open System.Text.Json.Nodes
open Taskcluster.Emulator.Internal

/// The client the service signs workers' temporary credentials with.
let private issuer (env: Env) = env.ServiceClientId

/// `(providerId, providerType)` in the order `listProviders` gives them.
let private providers = [ "static", "static"; "null-provider", "null" ]

/// The service's default reregistration timeout (`interpretLifecycle`): 96 hours.
let private defaultReregistration = TimeSpan.FromSeconds 345600.0

let private workerKey (pool: string) (group: string) (id: string) = pool + "\u0000" + group + "\u0000" + id

let private store (call: Call) = call.Env.Stores.WorkerManager

/// Announces a change of a worker pool as the service does: `worker-pool-created` and
/// `worker-pool-updated` carry the pool and its provider (and the one before, for an update)
/// with no routing-key words. The static provider announces no worker transitions.
let private announcePool (call: Call) (exchange: string) (pool: WorkerPoolRec) (previous: string option) =
    call.Env.Publisher.Publish(
        "worker-manager",
        exchange,
        Map.empty,
        [],
        J.obj
            [
                "workerPoolId", J.str pool.WorkerPoolId
                "providerId", J.str pool.ProviderId
                match previous with
                | Some id -> "previousProviderId", J.str id
                | None -> ()
            ]
    )

// ---- worker pools ----

let private poolJson (call: Call) (p: WorkerPoolRec) =
    let workers =
        (store call).Workers.Values
        |> Seq.filter (fun w -> w.WorkerPoolId = p.WorkerPoolId)
        |> Seq.toArray

    let count state =
        workers |> Array.filter (fun w -> w.State = state) |> Array.length

    let capacity state =
        workers
        |> Array.filter (fun w -> w.State = state)
        |> Array.sumBy (fun w -> w.Capacity)

    J.obj
        [
            "workerPoolId", J.str p.WorkerPoolId
            "providerId", J.str p.ProviderId
            "description", J.str p.Description
            "config", J.clone p.Config
            "owner", J.str p.Owner
            "emailOnError", J.bool p.EmailOnError
            "created", J.time p.Created
            "lastModified", J.time p.LastModified
            // the service's current capacity counts every worker not yet stopped
            "currentCapacity",
            J.int (
                workers
                |> Array.filter (fun w -> w.State <> "stopped")
                |> Array.sumBy (fun w -> w.Capacity)
            )
            "requestedCount", J.int (count "requested")
            "runningCount", J.int (count "running")
            "stoppingCount", J.int (count "stopping")
            "stoppedCount", J.int (count "stopped")
            "requestedCapacity", J.int (capacity "requested")
            "runningCapacity", J.int (capacity "running")
            "stoppingCapacity", J.int (capacity "stopping")
            "stoppedCapacity", J.int (capacity "stopped")
        ]

/// Checks a pool's config against its provider's config schema (`config-static`: only
/// `lifecycle.reregistrationTimeout` and `workerConfig`); `Some message` when it does not fit.
let private validateConfig (providerId: string) (config: JsonNode) =
    // worker-lifecycle.json: an integer of at most 30 days (the credentials' lifetime); a
    // negative one would hand out credentials that expired before they were issued
    let isTimeout (v: JsonNode) =
        match v with
        | :? JsonValue as n when n.GetValueKind() = JsonValueKind.Number ->
            match n.TryGetValue<int64>() with
            | true, seconds -> seconds >= 0L && seconds <= 2592000L
            | _ -> false
        | _ -> false

    match providerId, config with
    | "static", (:? JsonObject as o) ->
        let unknown =
            o
            |> Seq.map (fun (KeyValue(k, _)) -> k)
            |> Seq.tryFind (fun k -> k <> "lifecycle" && k <> "workerConfig")

        let lifecycleOk =
            match o["lifecycle"] with
            | null -> true
            | :? JsonObject as l ->
                l
                |> Seq.forall (fun (KeyValue(k, v)) -> k = "reregistrationTimeout" && isTimeout v)
            | _ -> false

        let workerConfigOk =
            match o["workerConfig"] with
            | null
            | :? JsonObject -> true
            | _ -> false

        match unknown with
        | Some k -> Some $"config must NOT have additional properties: `{k}` is not allowed for the static provider"
        | None when not lifecycleOk ->
            Some
                "config.lifecycle must be an object holding only `reregistrationTimeout`, an integer number of seconds from 0 to 2592000 (30 days)"
        | None when not workerConfigOk -> Some "config.workerConfig must be an object"
        | None -> None
    | _, (:? JsonObject) -> None
    | _ -> Some "config must be an object"

/// The provider named in a request, or the service's `InputError` listing the valid ones.
let private checkProvider (providerId: string) =
    if not (providers |> List.exists (fun (id, _) -> id = providerId)) then
        let valid = String.Join(", ", providers |> List.map fst)
        Fail.input $"Invalid Provider: `{providerId}` (valid providerIds: {valid})"

let private poolFromBody
    (call: Call)
    (workerPoolId: string)
    (providerId: string)
    (previous: string list)
    created
    : WorkerPoolRec =
    {
        WorkerPoolId = workerPoolId
        ProviderId = providerId
        PreviousProviderIds = previous
        Description = J.string "description" call.Body
        Config = J.clone call.Body["config"]
        Owner = J.string "owner" call.Body
        EmailOnError =
            (match call.Body["emailOnError"] with
             | :? JsonValue as v when v.GetValueKind() = JsonValueKind.True -> true
             | _ -> false)
        Created = created
        LastModified = call.Now
    }

let private checkedProvider (call: Call) =
    let workerPoolId = Api.param call "workerPoolId"
    let providerId = J.string "providerId" call.Body
    Api.authorizeWith call [ "providerId", J.str providerId ]
    checkProvider providerId

    match validateConfig providerId call.Body["config"] with
    | Some message -> raise (ApiError("InputValidationError", 400, message))
    | None -> ()

    workerPoolId, providerId

let createWorkerPool (call: Call) =
    let workerPoolId, providerId = checkedProvider call
    let pool = poolFromBody call workerPoolId providerId [] call.Now
    let s = store call

    lock s.Gate (fun () ->
        if s.Pools.ContainsKey workerPoolId then
            Fail.conflict "Worker pool already exists"

        Api.mustAnswer call "workerPool" (poolJson call pool)
        s.Pools[workerPoolId] <- pool
        announcePool call "worker-pool-created" pool None
        Api.ok (poolJson call pool))

let updateWorkerPool (call: Call) =
    let workerPoolId, providerId = checkedProvider call

    match J.tryString "workerPoolId" call.Body with
    | Some id when id <> workerPoolId -> Fail.input $"Incorrect workerPoolId in request body: `{id}`"
    | _ -> ()

    let s = store call

    lock s.Gate (fun () ->
        match s.Pools.TryGetValue workerPoolId with
        | false, _ -> Fail.notFound $"Worker pool {workerPoolId} does not exist"
        | true, old ->
            let previous =
                if
                    old.ProviderId <> providerId
                    && not (List.contains old.ProviderId old.PreviousProviderIds)
                then
                    old.PreviousProviderIds @ [ old.ProviderId ]
                else
                    old.PreviousProviderIds

            let pool = poolFromBody call workerPoolId providerId previous old.Created
            Api.mustAnswer call "workerPool" (poolJson call pool)
            s.Pools[workerPoolId] <- pool
            announcePool call "worker-pool-updated" pool (Some old.ProviderId)
            Api.ok (poolJson call pool))

let deleteWorkerPool (call: Call) =
    let workerPoolId = Api.param call "workerPoolId"
    let s = store call

    // as in the service, deletion hands the pool to the null provider; it stays listed
    lock s.Gate (fun () ->
        match s.Pools.TryGetValue workerPoolId with
        | false, _ -> Fail.notFound $"Worker pool {workerPoolId} does not exist"
        | true, old ->
            let pool =
                { old with
                    ProviderId = "null-provider"
                    PreviousProviderIds =
                        if
                            old.ProviderId <> "null-provider"
                            && not (List.contains old.ProviderId old.PreviousProviderIds)
                        then
                            old.PreviousProviderIds @ [ old.ProviderId ]
                        else
                            old.PreviousProviderIds
                    LastModified = call.Now
                }

            s.Pools[workerPoolId] <- pool
            announcePool call "worker-pool-updated" pool (Some old.ProviderId)
            Api.ok (poolJson call pool))

let private tryPool (call: Call) (workerPoolId: string) =
    let s = store call

    lock s.Gate (fun () ->
        match s.Pools.TryGetValue workerPoolId with
        | true, p -> Some p
        | _ -> None)

let private pool (call: Call) (workerPoolId: string) =
    match tryPool call workerPoolId with
    | Some p -> p
    | None -> Fail.notFound $"Worker pool {workerPoolId} does not exist"

let workerPool (call: Call) =
    let s = store call
    let p = pool call (Api.param call "workerPoolId")
    lock s.Gate (fun () -> Api.ok (poolJson call p))

let listWorkerPools (call: Call) =
    let s = store call

    let items =
        lock s.Gate (fun () -> s.Pools |> Seq.map (fun (KeyValue(k, p)) -> k, poolJson call p) |> Seq.toArray)

    let page, token = Api.page call items
    Api.ok (Api.withToken token [ "workerPools", J.arr page ])

/// The counts of `workerPool`, for every pool.
let listWorkerPoolsStats (call: Call) =
    let s = store call

    let counts =
        set [ "workerPoolId"; "currentCapacity" ]
        + set
            [
                for st in [ "requested"; "running"; "stopping"; "stopped" ] do
                    yield st + "Count"
                    yield st + "Capacity"
            ]

    let items =
        lock s.Gate (fun () ->
            s.Pools
            |> Seq.map (fun (KeyValue(k, p)) ->
                let full = poolJson call p :?> JsonObject

                k,
                J.obj
                    [
                        for KeyValue(name, v) in full do
                            if counts.Contains name then
                                name, J.clone v
                    ])
            |> Seq.toArray)

    let page, token = Api.page call items
    Api.ok (Api.withToken token [ "workerPoolsStats", J.arr page ])

/// Paged as the service pages its configured providers: the continuation token is the offset
/// of the next page (the route checks allow digits only), 100 to a page unless `limit` says.
let listProviders (call: Call) =
    let number (name: string) fallback =
        match call.Query name with
        | Some text ->
            match Int64.TryParse text with
            | true, n -> int (min n (int64 Int32.MaxValue))
            | _ -> Int32.MaxValue
        | None -> fallback

    let all = providers |> List.toArray
    let start = min (number "continuationToken" 0) all.Length
    let limit = number "limit" 100
    // the service's `start + limit < length ? start + limit : undefined`
    let finish =
        if int64 start + int64 limit < int64 all.Length then
            Some(start + limit)
        else
            None

    let page =
        all[start .. (defaultArg finish all.Length) - 1]
        |> Array.map (fun (id, kind) -> J.obj [ "providerId", J.str id; "providerType", J.str kind ])

    let token =
        match finish with
        | Some f when f > 0 -> Some(string f)
        | _ -> None

    Api.ok (Api.withToken token [ "providers", J.arr page ])

/// Neither provider the emulator offers has launch configurations: the lists are empty for
/// every pool that exists.
let listWorkerPoolLaunchConfigs (call: Call) =
    pool call (Api.param call "workerPoolId") |> ignore
    Api.ok (J.obj [ "workerPoolLaunchConfigs", J.arr [] ])

let workerPoolStats (call: Call) =
    pool call (Api.param call "workerPoolId") |> ignore
    Api.ok (J.obj [ "launchConfigStats", J.arr [] ])

// ---- workers ----

let private workerJson (w: WorkerRec) =
    J.obj
        [
            "workerPoolId", J.str w.WorkerPoolId
            "workerGroup", J.str w.WorkerGroup
            "workerId", J.str w.WorkerId
            "providerId", J.str w.ProviderId
            "created", J.time w.Created
            "expires", J.time w.Expires
            "state", J.str w.State
            "capacity", J.int w.Capacity
            "lastModified", J.time w.LastModified
            "lastChecked", J.time w.LastChecked
        ]

let private ids (call: Call) =
    Api.param call "workerPoolId", Api.param call "workerGroup", Api.param call "workerId"

let private capacityOf (call: Call) =
    match J.tryInt64 "capacity" call.Body with
    | Some c when c >= 1L && c <= int64 Int32.MaxValue -> int c
    | Some c -> Fail.input $"capacity must be a positive integer, not {c}"
    | None -> 1

let private staticSecretOf (call: Call) =
    match J.tryField "providerInfo" call.Body |> Option.bind (J.tryString "staticSecret") with
    | Some s -> s
    | None -> Fail.input "no worker staticSecret provided"

let createWorker (call: Call) =
    let workerPoolId, workerGroup, workerId = ids call
    let p = pool call workerPoolId
    let expires = J.time' "expires" call.Body

    if expires < call.Now then
        Fail.input $"worker.expires must be in the future, not {Util.isoTime expires}"

    if p.ProviderId <> "static" then
        Fail.input $"the {p.ProviderId} provider of worker pool {workerPoolId} cannot create workers"

    let staticSecret = staticSecretOf call
    let capacity = capacityOf call
    let s = store call
    let key = workerKey workerPoolId workerGroup workerId

    let worker: WorkerRec =
        {
            WorkerPoolId = workerPoolId
            WorkerGroup = workerGroup
            WorkerId = workerId
            ProviderId = p.ProviderId
            Created = call.Now
            Expires = expires
            State = "running"
            Capacity = capacity
            LastModified = call.Now
            LastChecked = call.Now
            StaticSecret = staticSecret
            Secret = null
        }

    lock s.Gate (fun () ->
        match s.Workers.TryGetValue key with
        // the static provider answers a repeated creation with the same secret with the worker
        | true, w when
            w.ProviderId = p.ProviderId
            && Util.constantTimeEquals w.StaticSecret staticSecret
            ->
            Api.ok (workerJson w)
        | true, _ -> Fail.input "worker already exists"
        | _ ->
            Api.mustAnswer call "worker" (workerJson worker)
            s.Workers[key] <- worker
            Api.ok (workerJson worker))

let private tryWorker (call: Call) (workerPoolId, workerGroup, workerId) =
    let s = store call

    lock s.Gate (fun () ->
        match s.Workers.TryGetValue(workerKey workerPoolId workerGroup workerId) with
        | true, w -> Some w
        | _ -> None)

let updateWorker (call: Call) =
    let workerPoolId, workerGroup, workerId = ids call
    let p = pool call workerPoolId
    // unlike createWorker, an expiry in the past is allowed: it expires the worker at once
    let expires = J.time' "expires" call.Body

    if p.ProviderId <> "static" then
        Fail.input $"the {p.ProviderId} provider of worker pool {workerPoolId} cannot update workers"

    let staticSecret = staticSecretOf call
    let capacity = capacityOf call

    match tryWorker call (workerPoolId, workerGroup, workerId) with
    | None -> Fail.notFound $"Worker {workerPoolId}/{workerGroup}/{workerId} does not exist"
    | Some w ->
        lock (store call).Gate (fun () ->
            w.Expires <- expires
            w.Capacity <- capacity
            w.StaticSecret <- staticSecret
            w.LastModified <- call.Now
            Api.ok (workerJson w))

let removeWorker (call: Call) =
    match tryWorker call (ids call) with
    | None -> Fail.notFound "Worker not found"
    | Some w ->
        lock (store call).Gate (fun () ->
            w.State <- "stopped"
            w.LastModified <- call.Now)

        Api.empty ()

let worker (call: Call) =
    let workerPoolId, workerGroup, workerId = ids call

    match tryWorker call (workerPoolId, workerGroup, workerId) with
    | None ->
        Fail.notFound
            $"Worker with workerId `{workerId}`, workerGroup `{workerGroup}`, worker pool `{workerPoolId}` not found"
    | Some w -> lock (store call).Gate (fun () -> Api.ok (workerJson w))

/// The static provider never decides that a worker should terminate.
let shouldWorkerTerminate (call: Call) =
    match tryWorker call (ids call) with
    | None -> Fail.notFound "Worker not found"
    | Some _ -> Api.ok (J.obj [ "terminate", J.bool false; "reason", J.str "none" ])

let private listWorkers (call: Call) (keep: WorkerRec -> bool) =
    let s = store call

    let items =
        lock s.Gate (fun () ->
            s.Workers
            |> Seq.filter (fun (KeyValue(_, w)) -> keep w)
            |> Seq.map (fun (KeyValue(k, w)) -> k, workerJson w)
            |> Seq.toArray)

    let page, token = Api.page call items
    Api.ok (Api.withToken token [ "workers", J.arr page ])

let listWorkersForWorkerPool (call: Call) =
    let workerPoolId = Api.param call "workerPoolId"
    pool call workerPoolId |> ignore
    let state = call.Query "state"
    // no worker of these providers has a launch configuration
    let launchConfigId = call.Query "launchConfigId"

    listWorkers call (fun w ->
        w.WorkerPoolId = workerPoolId
        && launchConfigId.IsNone
        && (state |> Option.forall (fun s -> s = w.State)))

let listWorkersForWorkerGroup (call: Call) =
    let workerPoolId = Api.param call "workerPoolId"
    let workerGroup = Api.param call "workerGroup"
    listWorkers call (fun w -> w.WorkerPoolId = workerPoolId && w.WorkerGroup = workerGroup)

// ---- the queue-style view of workers ----

/// What the queue knows of a worker, copied under the lock of the queue's workers (its record is mutable).
type private SeenWorker =
    {
        Record: QueueWorkerRec
        Expires: DateTimeOffset
        LastDateActive: DateTimeOffset
        QuarantineUntil: DateTimeOffset
        /// The database's `quarantine_until` is null until the first quarantine.
        EverQuarantined: bool
        RecentTasks: struct (string * int) array
        QuarantineDetails: JsonNode array
    }

let private snapshot (w: QueueWorkerRec) =
    {
        Record = w
        Expires = w.Expires
        LastDateActive = w.LastDateActive
        QuarantineUntil = w.QuarantineUntil
        EverQuarantined = w.QuarantineDetails.Count > 0
        RecentTasks = w.RecentTasks.ToArray()
        QuarantineDetails = w.QuarantineDetails |> Seq.map J.clone |> Seq.toArray
    }

/// Alive until it expires or, quarantined, until its quarantine ends (as the queue's expiry
/// sweeps them away; the service reads the queue's table).
let private alive (now: DateTimeOffset) (w: SeenWorker) =
    w.Expires >= now || w.QuarantineUntil >= now

/// The worker-manager's own record of a queue worker: the service's outer join, on the pool,
/// group and id. Workers only worker-manager knows are not in the view (the queue's table
/// drives it), so a static worker appears once it has claimed work or been declared.
let private joined (call: Call) (poolId: string) (seen: SeenWorker array) =
    let s = store call

    lock s.Gate (fun () ->
        seen
        |> Array.map (fun w ->
            match s.Workers.TryGetValue(workerKey poolId w.Record.WorkerGroup w.Record.WorkerId) with
            | true, m -> w, Some(m.State, m.Capacity, m.ProviderId)
            | _ -> w, None))

let private managed (m: (string * int * string) option) =
    match m with
    | Some(state, capacity, providerId) -> state, capacity, providerId
    // what the service answers for a worker only the queue knows
    | None -> "standalone", 0, "none"

let private taskRunJson (struct (taskId: string, runId: int)) =
    J.obj [ "taskId", J.str taskId; "runId", J.int runId ]

let private poolOfRoute (call: Call) =
    Api.param call "provisionerId" + "/" + Api.param call "workerType"

/// The queue workers of a worker pool with worker-manager's state, capacity and provider,
/// sorted by worker group and id. As in the service, `quarantined=true` keeps the quarantined
/// ones and `quarantined=false` filters nothing; `workerState` and `launchConfigId` keep the
/// workers worker-manager knows in that state or launch configuration (none has one here).
let listQueueWorkers (call: Call) =
    let poolId = poolOfRoute call
    let now = call.Now
    let q = call.Env.Stores.Queue
    let onlyQuarantined = call.Query "quarantined" = Some "true"
    let workerState = call.Query "workerState"
    let launchConfigId = call.Query "launchConfigId"

    let seen =
        Queue.withWorkers q now (fun () ->
            match q.Workers.TryGetValue poolId with
            | true, ws -> ws.Values |> Seq.map snapshot |> Seq.toArray
            | _ -> [||])

    let items =
        joined call poolId seen
        |> Array.filter (fun (w, m) ->
            alive now w
            && (not onlyQuarantined || w.QuarantineUntil >= now)
            && (workerState
                |> Option.forall (fun st -> m |> Option.exists (fun (state, _, _) -> state = st)))
            && launchConfigId.IsNone)
        |> Array.map (fun (w, m) ->
            let state, capacity, providerId = managed m

            w.Record.WorkerGroup + "\u0000" + w.Record.WorkerId,
            J.obj
                [
                    "workerGroup", J.str w.Record.WorkerGroup
                    "workerId", J.str w.Record.WorkerId
                    "workerPoolId", J.str poolId
                    "firstClaim", J.time w.Record.FirstClaim
                    "lastDateActive", J.time w.LastDateActive
                    "state", J.str state
                    "capacity", J.int capacity
                    "providerId", J.str providerId
                    if w.EverQuarantined then
                        "quarantineUntil", J.time w.QuarantineUntil
                    if w.RecentTasks.Length > 0 then
                        "latestTask", taskRunJson w.RecentTasks[w.RecentTasks.Length - 1]
                ])

    let page, token = Api.page call items
    Api.ok (Api.withToken token [ "workers", J.arr page ])

/// One queue worker with worker-manager's data, its quarantine history and its 20 most recent
/// runs; 404 once it has expired (a quarantine keeps it).
let getQueueWorker (call: Call) =
    let provisionerId = Api.param call "provisionerId"
    let workerType = Api.param call "workerType"
    let workerGroup = Api.param call "workerGroup"
    let workerId = Api.param call "workerId"
    let poolId = poolOfRoute call
    let now = call.Now
    let q = call.Env.Stores.Queue

    let seen =
        Queue.withWorkers q now (fun () -> Queue.tryWorker q poolId workerGroup workerId |> Option.map snapshot)

    match seen with
    | Some w when alive now w ->
        let w, m = (joined call poolId [| w |])[0]
        let state, capacity, providerId = managed m

        Api.ok (
            J.obj
                [
                    "provisionerId", J.str provisionerId
                    "workerType", J.str workerType
                    "workerPoolId", J.str poolId
                    "workerGroup", J.str workerGroup
                    "workerId", J.str workerId
                    "providerId", J.str providerId
                    "state", J.str state
                    "capacity", J.int capacity
                    "expires", J.time w.Expires
                    "firstClaim", J.time w.Record.FirstClaim
                    "lastDateActive", J.time w.LastDateActive
                    "recentTasks", J.arr (w.RecentTasks |> Seq.map taskRunJson)
                    if w.EverQuarantined then
                        "quarantineUntil", J.time w.QuarantineUntil
                    "quarantineDetails", J.arr w.QuarantineDetails
                    // required by the response schema; worker-manager registers no actions
                    "actions", J.arr []
                ]
        )
    | _ ->
        Fail.notFound
            $"Worker with workerId `{workerId}`, workerGroup `{workerGroup}`, worker-type `{workerType}` and provisioner `{provisionerId}` not found. Are you sure it was created?"

// ---- the worker interface ----

/// Credentials named `worker/<providerId>/<workerPoolId>/<workerGroup>/<workerId>` with the
/// scopes the service gives a worker, valid from 15 minutes ago until `expires`.
let private credentials (call: Call) (w: WorkerRec) (expires: DateTimeOffset) =
    let who = $"{w.WorkerGroup}/{w.WorkerId}"
    let full = $"{w.WorkerPoolId}/{who}"

    let scopes =
        [
            $"assume:worker-type:{w.WorkerPoolId}"
            $"assume:worker-pool:{w.WorkerPoolId}"
            $"assume:worker-id:{who}"
            $"queue:worker-id:{who}"
            $"secrets:get:worker-type:{w.WorkerPoolId}"
            $"secrets:get:worker-pool:{w.WorkerPoolId}"
            $"queue:claim-work:{w.WorkerPoolId}"
            $"worker-manager:remove-worker:{full}"
            $"worker-manager:reregister-worker:{full}"
            $"worker-manager:should-worker-terminate:{full}"
        ]

    match call.Env.Stores.Auth.TryClient(issuer call.Env) with
    | Some c ->
        Api.temporaryCredentials
            call.Env
            c.ClientId
            c.AccessToken
            (Some $"worker/{w.ProviderId}/{full}")
            scopes
            (call.Now - TimeSpan.FromMinutes 15.0)
            expires
    | None -> raise (ApiError("InternalServerError", 500, "the worker-manager's own client is missing"))

let private newSecret (call: Call) =
    call.Env.Random.SlugId() + call.Env.Random.SlugId()

let private reregistrationTimeout (p: WorkerPoolRec) =
    match
        J.tryField "lifecycle" p.Config
        |> Option.bind (J.tryInt64 "reregistrationTimeout")
    with
    | Some seconds when seconds > 0L -> TimeSpan.FromSeconds(float seconds)
    | _ -> defaultReregistration

let registerWorker (call: Call) =
    let workerPoolId = J.string "workerPoolId" call.Body
    let providerId = J.string "providerId" call.Body
    let workerGroup = J.string "workerGroup" call.Body
    let workerId = J.string "workerId" call.Body

    let p =
        match tryPool call workerPoolId with
        | Some p -> p
        | None -> Fail.notFound $"Worker pool {workerPoolId} does not exist"

    if not (providers |> List.exists (fun (id, _) -> id = providerId)) then
        Fail.notFound $"Provider {providerId} does not exist"

    if
        p.ProviderId <> providerId
        && not (List.contains providerId p.PreviousProviderIds)
    then
        Fail.input $"Worker pool {workerPoolId} not associated with provider {providerId}"

    let w =
        match tryWorker call (workerPoolId, workerGroup, workerId) with
        | Some w -> w
        | None -> Fail.input $"Worker {workerGroup}/{workerId} in worker pool {workerPoolId} does not exist"

    if w.Expires < call.Now then
        Fail.input $"Worker {workerGroup}/{workerId} has expired"

    if w.ProviderId <> providerId then
        Fail.input $"Worker {workerGroup}/{workerId} does not have provider {providerId}"

    if providerId <> "static" then
        Fail.input $"the {providerId} provider does not register workers"

    if w.State <> "running" then
        Fail.input "worker is not running"

    // the proof is never echoed back, even in an error
    match
        J.tryField "workerIdentityProof" call.Body
        |> Option.bind (J.tryString "staticSecret")
    with
    | None -> Fail.input "missing staticSecret in workerIdentityProof"
    | Some proof when not (Util.constantTimeEquals proof w.StaticSecret) ->
        Fail.input "bad staticSecret in workerIdentityProof"
    | Some _ -> ()

    let expires = call.Now + reregistrationTimeout p
    let creds = credentials call w expires
    let secret = newSecret call
    lock (store call).Gate (fun () -> w.Secret <- secret)

    let workerConfig =
        match J.tryField "workerConfig" p.Config with
        | Some(:? JsonObject as c) -> c.DeepClone()
        | _ -> JsonObject()

    Api.ok (
        J.obj
            [
                "expires", J.time expires
                "credentials", creds
                "workerConfig", workerConfig
                "secret", J.str secret
            ]
    )

let reregisterWorker (call: Call) =
    let workerPoolId = J.string "workerPoolId" call.Body
    let workerGroup = J.string "workerGroup" call.Body
    let workerId = J.string "workerId" call.Body
    let secret = J.string "secret" call.Body

    Api.authorizeWith
        call
        [
            "workerPoolId", J.str workerPoolId
            "workerGroup", J.str workerGroup
            "workerId", J.str workerId
        ]

    // one answer for every mismatch, so that it tells nothing about the secret
    let refuse () =
        Fail.input "Could not generate credentials for this secret"

    let w =
        match tryWorker call (workerPoolId, workerGroup, workerId) with
        | Some w when not (isNull w.Secret) && Util.constantTimeEquals w.Secret secret -> w
        | _ -> refuse ()

    if w.State <> "running" then
        Fail.input $"Worker {workerGroup}/{workerId} is not running"

    if w.Expires < call.Now then
        Fail.input $"Worker {workerGroup}/{workerId} has expired"

    let expires = call.Now + defaultReregistration
    let creds = credentials call w expires
    let next = newSecret call

    lock (store call).Gate (fun () ->
        // a concurrent reregistration with the same secret may have won
        if w.Secret <> secret then
            refuse ()

        w.Secret <- next)

    Api.ok (J.obj [ "expires", J.time expires; "credentials", creds; "secret", J.str next ])

// ---- worker pool errors ----

let private errorJson (e: WorkerPoolErrorRec) =
    J.obj
        [
            "workerPoolId", J.str e.WorkerPoolId
            "errorId", J.str e.ErrorId
            "reported", J.time e.Reported
            "kind", J.str e.Kind
            "title", J.str e.Title
            "description", J.str e.Description
            "extra", J.clone e.Extra
            match e.LaunchConfigId with
            | Some id -> "launchConfigId", J.str id
            | None -> ()
        ]

let reportWorkerError (call: Call) =
    let workerPoolId = Api.param call "workerPoolId"
    let workerGroup = J.string "workerGroup" call.Body
    let workerId = J.string "workerId" call.Body
    Api.authorizeWith call [ "workerGroup", J.str workerGroup; "workerId", J.str workerId ]
    let p = pool call workerPoolId

    let extra =
        match J.clone call.Body["extra"] with
        | :? JsonObject as o -> o
        | _ -> JsonObject()

    extra["workerGroup"] <- J.str workerGroup
    extra["workerId"] <- J.str workerId

    let error: WorkerPoolErrorRec =
        {
            ErrorId = call.Env.Random.SlugId()
            WorkerPoolId = workerPoolId
            Reported = call.Now
            Kind = J.string "kind" call.Body
            Title = J.string "title" call.Body
            Description = J.string "description" call.Body
            Extra = extra
            LaunchConfigId = None
        }

    Api.mustAnswer call "listWorkerPoolErrors" (J.obj [ "workerPoolErrors", J.arr [ errorJson error ] ])
    let s = store call

    lock s.Gate (fun () ->
        s.Errors[error.ErrorId] <- error

        // the routing key names the pool (split), its provider and the worker
        let slash = workerPoolId.IndexOf '/'

        call.Env.Publisher.Publish(
            "worker-manager",
            "worker-pool-error",
            Map.ofList
                [
                    "providerId", p.ProviderId
                    if slash > 0 then
                        "provisionerId", workerPoolId.Substring(0, slash)
                        "workerType", workerPoolId.Substring(slash + 1)
                    "workerGroup", workerGroup
                    "workerId", workerId
                ],
            [],
            J.obj
                [
                    "workerPoolId", J.str workerPoolId
                    "providerId", J.str p.ProviderId
                    "errorId", J.str error.ErrorId
                    "kind", J.str error.Kind
                    "title", J.str error.Title
                    "timestamp", J.time call.Now
                    "workerGroup", J.str workerGroup
                    "workerId", J.str workerId
                ]
        ))

    // the owner hears of it by email when the pool asks for that (recorded by notify), once
    // for the same pool, description and extra among the last thousand emails, as the service
    // remembers them
    let sameKey =
        String.Join("\u0000", workerPoolId, error.Description, extra.ToJsonString())

    let fresh =
        p.EmailOnError
        && lock s.Gate (fun () ->
            if s.EmailsSent.Contains sameKey then
                false
            else
                s.EmailsSent.AddFirst sameKey |> ignore

                while s.EmailsSent.Count > 1000 do
                    s.EmailsSent.RemoveLast()

                true)

    if fresh then
        let n = call.Env.Stores.Notify

        lock n.Gate (fun () ->
            if not (n.Denylist.ContainsKey("email\u0000" + p.Owner)) then
                n.Sent.Enqueue
                    {
                        Time = call.Now
                        Kind = "email"
                        Address = p.Owner
                        ClientId = issuer call.Env
                        Request =
                            J.obj
                                [
                                    "address", J.str p.Owner
                                    "subject", J.str $"Taskcluster Worker Manager Error: {error.Title}"
                                    "content",
                                    J.str
                                        $"Worker pool {workerPoolId} reported an error (errorId {error.ErrorId}).\n\n{error.Description}"
                                ]
                    }

                while n.Sent.Count > 10_000 do
                    n.Sent.Dequeue() |> ignore)

    Api.ok (errorJson error)

let listWorkerPoolErrors (call: Call) =
    let workerPoolId = Api.param call "workerPoolId"
    let launchConfigId = call.Query "launchConfigId"
    let errorId = call.Query "errorId"
    let s = store call

    let items =
        lock s.Gate (fun () ->
            s.Errors.Values
            |> Seq.filter (fun e ->
                e.WorkerPoolId = workerPoolId
                && (errorId |> Option.forall (fun id -> id = e.ErrorId))
                && (launchConfigId |> Option.forall (fun id -> Some id = e.LaunchConfigId)))
            // newest first, as the service lists them
            |> Seq.map (fun e ->
                $"{DateTimeOffset.MaxValue.UtcTicks - e.Reported.UtcTicks:D20}{e.ErrorId}", errorJson e)
            |> Seq.sortWith (fun (a, _) (b, _) -> String.CompareOrdinal(a, b))
            |> Seq.toArray)

    let page, token = Api.page call items
    Api.ok (Api.withToken token [ "workerPoolErrors", J.arr page ])

/// Counts of the errors of one pool (or of all with no `workerPoolId`): per day for the last 7
/// days and per hour for the last 24 (every bucket present, UTC), per title, per
/// `extra.code` (`other` without one), per pool and, for one pool, per launch configuration.
let workerPoolErrorStats (call: Call) =
    let workerPoolId =
        match call.Query "workerPoolId" with
        | Some id when id <> "" -> Some id
        | _ -> None

    match workerPoolId with
    | Some id ->
        Api.authorizeWith call [ "workerPoolId", J.str id ]
        pool call id |> ignore
    | None -> Api.authorizeWith call [ "workerPoolId", J.str "*" ]

    let s = store call

    let errors =
        lock s.Gate (fun () ->
            s.Errors.Values
            |> Seq.filter (fun e -> workerPoolId |> Option.forall (fun id -> id = e.WorkerPoolId))
            |> Seq.toArray)

    let utc = call.Now.ToUniversalTime()
    let today = DateTimeOffset(utc.Year, utc.Month, utc.Day, 0, 0, 0, TimeSpan.Zero)
    let thisHour = today.AddHours(float utc.Hour)

    // the `count` buckets ending with the current one, oldest first
    let buckets (count: int) (bucketStart: int -> DateTimeOffset) (truncate: DateTimeOffset -> DateTimeOffset) =
        [
            for i in count - 1 .. -1 .. 0 ->
                let start = bucketStart i

                start,
                errors
                |> Array.filter (fun e -> truncate (e.Reported.ToUniversalTime()) = start)
                |> Array.length
        ]

    let daily =
        buckets 7 (fun i -> today.AddDays(float -i)) (fun t ->
            DateTimeOffset(t.Year, t.Month, t.Day, 0, 0, 0, TimeSpan.Zero))

    let hourly =
        buckets 24 (fun i -> thisHour.AddHours(float -i)) (fun t ->
            DateTimeOffset(t.Year, t.Month, t.Day, t.Hour, 0, 0, TimeSpan.Zero))

    let grouped (keyOf: WorkerPoolErrorRec -> string) =
        errors
        |> Array.countBy keyOf
        |> Array.sortBy fst
        |> Array.map (fun (k, n) -> k, J.int n)
        |> List.ofArray
        |> J.obj

    let code (e: WorkerPoolErrorRec) =
        match J.tryField "code" e.Extra with
        | Some(:? JsonValue as v) when v.GetValueKind() = JsonValueKind.String -> v.GetValue<string>()
        | Some v -> v.ToJsonString()
        | None -> "other"

    Api.ok (
        J.obj
            [
                "workerPoolId", J.str (defaultArg workerPoolId "")
                "totals",
                J.obj
                    [
                        "total", J.int (daily |> List.sumBy snd)
                        "daily", J.obj [ for t, n in daily -> Util.isoTime t, J.int n ]
                        "hourly", J.obj [ for t, n in hourly -> Util.isoTime t, J.int n ]
                        "title", grouped (fun e -> e.Title)
                        "code", grouped code
                        "workerPool", grouped (fun e -> e.WorkerPoolId)
                        "launchConfig",
                        (if workerPoolId.IsSome then
                             grouped (fun e -> defaultArg e.LaunchConfigId "unknown")
                         else
                             JsonObject())
                    ]
            ]
    )

let handlers: (string * (Call -> Reply)) list =
    [
        "listProviders", listProviders
        "createWorkerPool", createWorkerPool
        "updateWorkerPool", updateWorkerPool
        "deleteWorkerPool", deleteWorkerPool
        "workerPool", workerPool
        "listWorkerPools", listWorkerPools
        "listWorkerPoolsStats", listWorkerPoolsStats
        "listWorkerPoolLaunchConfigs", listWorkerPoolLaunchConfigs
        "workerPoolStats", workerPoolStats
        "createWorker", createWorker
        "updateWorker", updateWorker
        "removeWorker", removeWorker
        "worker", worker
        "shouldWorkerTerminate", shouldWorkerTerminate
        "listWorkersForWorkerPool", listWorkersForWorkerPool
        "listWorkersForWorkerGroup", listWorkersForWorkerGroup
        "listWorkers", listQueueWorkers
        "getWorker", getQueueWorker
        "registerWorker", registerWorker
        "reregisterWorker", reregisterWorker
        "reportWorkerError", reportWorkerError
        "listWorkerPoolErrors", listWorkerPoolErrors
        "workerPoolErrorStats", workerPoolErrorStats
    ]
