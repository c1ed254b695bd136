namespace Taskcluster.Emulator.Internal

open System
open System.Collections.Concurrent
open System.Collections.Generic
open System.Text.Json.Nodes
open Taskcluster.Core

/// A client of the auth service.
type internal ClientRec =
    {
        ClientId: string
        Description: string
        AccessToken: string
        Scopes: string array
        Expires: DateTimeOffset
        Created: DateTimeOffset
        LastModified: DateTimeOffset
        LastDateUsed: DateTimeOffset
        LastRotated: DateTimeOffset
        Disabled: bool
        DeleteOnExpiration: bool
    }

/// A role of the auth service.
type internal RoleRec =
    {
        RoleId: string
        Description: string
        Scopes: string array
        Created: DateTimeOffset
        LastModified: DateTimeOffset
    }

/// What authentication needs to know about a client.
type internal Credentials =
    {
        ClientId: string
        AccessToken: string
        /// Expanded (roles applied).
        Scopes: string array
        Expires: DateTimeOffset
    }

/// Clients and roles, with the expansion of scope sets cached until the roles change.
[<Sealed>]
type internal AuthStore() =
    let gate = obj ()
    let clients = Dictionary<string, ClientRec>(StringComparer.Ordinal)
    let roles = Dictionary<string, RoleRec>(StringComparer.Ordinal)

    // The resolver and the cache of its results travel together and are swapped as one, so an
    // expansion computed with old roles can never land in the cache of new ones.
    let mutable roleState =
        match Role.resolver [] with
        | Ok r -> r, ConcurrentDictionary<string, string array>(StringComparer.Ordinal)
        | Error e -> failwith (e.Describe())
    // Keyed by the scope set joined with newlines; cleared whenever a role changes.

    member _.Gate = gate

    member _.TryClient(clientId: string) =
        lock gate (fun () ->
            match clients.TryGetValue clientId with
            | true, c -> Some c
            | _ -> None)

    member _.PutClient(c: ClientRec) =
        lock gate (fun () -> clients[c.ClientId] <- c)

    member _.RemoveClient(clientId: string) =
        lock gate (fun () -> clients.Remove clientId)

    member _.Clients() =
        lock gate (fun () ->
            clients.Values
            |> Seq.sortWith (fun a b -> String.CompareOrdinal(a.ClientId, b.ClientId))
            |> Seq.toArray)

    member _.TryRole(roleId: string) =
        lock gate (fun () ->
            match roles.TryGetValue roleId with
            | true, r -> Some r
            | _ -> None)

    member _.Roles() =
        lock gate (fun () ->
            roles.Values
            |> Seq.sortWith (fun a b -> String.CompareOrdinal(a.RoleId, b.RoleId))
            |> Seq.toArray)

    /// Writes (or with `None` deletes) a role unless that would create a dependency cycle.
    member _.ChangeRole(roleId: string, role: RoleRec option) : Result<unit, string> =
        lock gate (fun () ->
            let next = Dictionary(roles)

            match role with
            | Some r -> next[roleId] <- r
            | None -> next.Remove roleId |> ignore

            let prepared =
                next.Values
                |> Seq.sortWith (fun a b -> String.CompareOrdinal(a.RoleId, b.RoleId))
                |> Seq.map (fun r -> Role.create r.RoleId r.Scopes)
                |> Seq.toList

            let checkedRoles =
                match
                    prepared
                    |> List.tryPick (function
                        | Error e -> Some e
                        | Ok _ -> None)
                with
                | Some e -> Error e
                | None ->
                    let roles = prepared |> List.choose Result.toOption

                    Role.validateRoles roles |> Result.bind (fun () -> Role.resolver roles)

            match checkedRoles with
            | Error e -> Error(e.Describe())
            | Ok r ->
                roles.Clear()

                for KeyValue(k, v) in next do
                    roles[k] <- v

                roleState <- r, ConcurrentDictionary<string, string array>(StringComparer.Ordinal)
                Ok())

    /// The scopes with every role applied (cached).
    member _.Expand(scopes: string seq) : string array =
        let arr = scopes |> Seq.toArray
        let key = String.Join('\n', arr)

        let resolver, expansions = roleState

        match expansions.TryGetValue key with
        | true, v -> v
        | _ ->
            let v =
                match Role.expandWith resolver arr with
                | Ok scopes -> Array.ofList scopes
                // scopes a role cannot parse (not printable ASCII) still count as themselves
                | Error _ -> Scopes.normalize arr

            expansions[key] <- v
            v

    /// A client's credentials for authentication, or the reason it cannot authenticate.
    member this.Credentials(clientId: string, now: DateTimeOffset) : Result<Credentials, string> =
        match this.TryClient clientId with
        | None -> Error $"Client with clientId '{clientId}' not found"
        | Some c when c.Disabled -> Error $"Client with clientId '{clientId}' is disabled"
        | Some c when c.Expires < now -> Error $"Client with clientId: '{clientId}' has expired"
        | Some c ->
            Ok
                {
                    ClientId = c.ClientId
                    AccessToken = c.AccessToken
                    Scopes = this.Expand c.Scopes
                    Expires = c.Expires
                }

/// One run of a task.
type internal RunRec =
    {
        RunId: int
        mutable State: string
        ReasonCreated: string
        mutable ReasonResolved: string
        mutable WorkerGroup: string
        mutable WorkerId: string
        mutable TakenUntil: DateTimeOffset option
        Scheduled: DateTimeOffset
        mutable Started: DateTimeOffset option
        mutable Resolved: DateTimeOffset option
    }

/// An artifact of a run.
type internal ArtifactRec =
    {
        Name: string
        StorageType: string
        ContentType: string
        Expires: DateTimeOffset
        mutable Present: bool
        /// The createArtifact request, kept to tell an idempotent retry from a conflict.
        Request: JsonNode
        /// s3: the blob key; object: the object name; reference: the URL; link: the target.
        Target: string
        UploadId: string
    }

/// A task group (`task_groups`) and the lock that guards it and every task in it.
[<Sealed; AllowNullLiteral>]
type internal TaskGroupRec(taskGroupId: string) =
    member _.TaskGroupId = taskGroupId
    /// Guards the group's fields, its tasks' mutable state (runs, artifacts, priority) and
    /// their definitions.
    member val Gate = obj ()
    /// `null` until the group's first task is stored: before that the group does not exist.
    member val SchedulerId: string = null with get, set
    /// The latest expiry of its tasks.
    member val Expires = DateTimeOffset.MinValue with get, set
    member val Sealed: DateTimeOffset option = None with get, set
    /// Its task ids, in order.
    member val Ids = SortedSet<string>(StringComparer.Ordinal)
    /// Set (under `Gate`) when the group, left without a task by a failed create, was dropped
    /// from the store: whoever locked it meanwhile looks it up again.
    member val Retired = false with get, set

/// A task and its runs.
type internal TaskRec =
    {
        TaskId: string
        /// The group it belongs to, whose lock guards the mutable parts of the task.
        Group: TaskGroupRec
        /// The task definition as `queue.task` returns it (defaults filled in).
        Definition: JsonObject
        /// The definition's deadline, parsed once.
        Deadline: DateTimeOffset
        mutable State: string
        mutable RetriesLeft: int
        Runs: ResizeArray<RunRec>
        Artifacts: Dictionary<struct (int * string), ArtifactRec>
        /// Ids of the tasks that depend on it; guarded by locking the set itself (they may
        /// belong to other groups).
        Dependents: SortedSet<string>
    }

/// A task queue the queue has seen (a worker type, in the deprecated terms).
type internal TaskQueueRec =
    {
        TaskQueueId: string
        Expires: DateTimeOffset
        LastDateActive: DateTimeOffset
        Description: string
        Stability: string
    }

/// A worker as the queue records it when it claims work or is declared (`queue_workers`).
type internal QueueWorkerRec =
    {
        TaskQueueId: string
        WorkerGroup: string
        WorkerId: string
        FirstClaim: DateTimeOffset
        mutable Expires: DateTimeOffset
        mutable LastDateActive: DateTimeOffset
        /// In the past when the worker is not quarantined.
        mutable QuarantineUntil: DateTimeOffset
        /// The runs it claimed last, oldest first, at most 20.
        RecentTasks: Queue<struct (string * int)>
        /// Every quarantine, oldest first (`clientId`, `updatedAt`, `quarantineUntil`, `quarantineInfo`).
        QuarantineDetails: ResizeArray<JsonNode>
    }

/// What falls due at a time: a task's deadline (`RunId` -1) or the claim of a run expiring.
[<Struct>]
type internal DueEntry = { TaskId: string; RunId: int }

/// The runs of one task queue waiting for or held by workers; guarded by locking the object.
[<Sealed>]
type internal TaskQueueRuns() =
    /// Pending (task, run) in the order they became pending (it may still hold runs that were
    /// cancelled or claimed by `claimTask` before a worker came).
    member val Pending = LinkedList<struct (TaskRec * RunRec)>()
    /// The (taskId, runId) of its running runs.
    member val Running = HashSet<struct (string * int)>()

/// The queue's tasks, with the indexes its list methods need.
///
/// Locks, so that independent entities do not wait on one another, in the only order they are
/// ever nested:
///   1. `SweepGate`: taken by a call, holding nothing, only when something has fallen due;
///   2. one task group's `Gate`: a call (or the sweep, or the scheduling of dependents) holds at
///      most one at a time: work that crosses groups (dependents in other groups) is done in
///      separate steps after the first group's lock is released;
///   3. leaves, held briefly and never while taking any other lock: a task's `Dependents`, a task
///      queue's `TaskQueueRuns`, `DueGate`, `WorkersGate`.
/// Every nesting goes down this list, so no two threads can each hold what the other waits for:
/// the calls cannot deadlock. Tasks and groups are found in concurrent dictionaries without a lock.
[<Sealed>]
type internal QueueStore() =
    let mutable nextDue = Int64.MaxValue

    member val Tasks = ConcurrentDictionary<string, TaskRec>(StringComparer.Ordinal)
    /// taskGroupId → the group (with its lock)
    member val Groups = ConcurrentDictionary<string, TaskGroupRec>(StringComparer.Ordinal)
    /// taskQueueId → its pending and running runs
    member val Runs = ConcurrentDictionary<string, TaskQueueRuns>(StringComparer.Ordinal)
    /// Guards `TaskQueues` and `Workers`.
    member val WorkersGate = obj ()
    /// taskQueueId → (`<workerGroup>` NUL `<workerId>` → worker)
    member val Workers = Dictionary<string, SortedDictionary<string, QueueWorkerRec>>(StringComparer.Ordinal)
    /// taskQueueId → what the queue knows of it (`task_queue_seen`)
    member val TaskQueues = Dictionary<string, TaskQueueRec>(StringComparer.Ordinal)
    /// Guards `Due`.
    member val DueGate = obj ()
    /// Deadlines and claim expiries by UTC ticks; an entry that time or a reclaim has overtaken
    /// is dropped when it comes up, so nothing else needs scanning to find what is due.
    member val Due = PriorityQueue<DueEntry, int64>()
    /// Serialises the sweeps, so that a call that finds something due waits until all of it is
    /// resolved.
    member val SweepGate = obj ()

    /// UTC ticks at or before which something may be due and not yet resolved (read without a
    /// lock by every call; lowered under `DueGate`, raised only by the sweep once it is done).
    member _.NextDue
        with get () = Threading.Volatile.Read(&nextDue)
        and set (v: int64) = Threading.Volatile.Write(&nextDue, v)

    /// Test seam: called with a task's id while its group's lock is held, in the middle of a
    /// create or a resolution of the task.
    member val OnLocked: Action<string> = null with get, set

    /// Where the queue announces its transitions on Pulse: (exchange, routing-key values, task
    /// routes, message). `None` until the emulator is given a broker, so no message is even built.
    member val Announce: (string -> Map<string, string> -> string list -> JsonNode -> unit) option = None with get, set

/// Where an object's bytes are.
[<RequireQualifiedAccess>]
type internal ObjectData =
    | Missing
    | Inline of byte array
    | Blob of key: string * length: int64

/// An object of the object service.
type internal ObjectRec =
    {
        Name: string
        ProjectId: string
        UploadId: string
        Expires: DateTimeOffset
        mutable Hashes: Map<string, string>
        mutable Finished: bool
        mutable Data: ObjectData
        mutable ContentType: string
        /// What the putUrl upload method promised, checked when the bytes arrive.
        mutable ExpectedLength: int64 option
    }

[<Sealed>]
type internal ObjectStore() =
    member val Gate = obj ()
    member val Objects = Dictionary<string, ObjectRec>(StringComparer.Ordinal)

/// A secret of the secrets service.
type internal SecretRec =
    {
        Secret: JsonNode
        Expires: DateTimeOffset
    }

[<Sealed>]
type internal SecretStore() =
    member val Gate = obj ()
    member val Secrets = SortedDictionary<string, SecretRec>(StringComparer.Ordinal)

/// A task indexed under a namespace.
type internal IndexedTask =
    {
        Namespace: string
        TaskId: string
        Rank: int64
        Data: JsonNode
        Expires: DateTimeOffset
    }

[<Sealed>]
type internal IndexStore() =
    member val Gate = obj ()
    /// Full index path → task
    member val Tasks = SortedDictionary<string, IndexedTask>(StringComparer.Ordinal)
    /// Namespace → latest expiry of anything under it
    member val Namespaces = SortedDictionary<string, DateTimeOffset>(StringComparer.Ordinal)

/// A cache purge request: workers of the pool purge caches named so that are older than `Before`.
type internal PurgeRec =
    {
        WorkerPoolId: string
        CacheName: string
        Before: DateTimeOffset
        Expires: DateTimeOffset
    }

[<Sealed>]
type internal PurgeCacheStore() =
    member val Gate = obj ()
    /// `<workerPoolId>` NUL `<cacheName>` → request (one per pair, as the service's primary key)
    member val Requests = SortedDictionary<string, PurgeRec>(StringComparer.Ordinal)

/// A hook of the hooks service.
type internal HookRec =
    {
        HookGroupId: string
        HookId: string
        Metadata: JsonNode
        /// The JSON-e template of the task.
        Task: JsonNode
        Bindings: JsonNode
        Schedule: string list
        TriggerSchema: JsonNode
        TriggerToken: string
        /// The taskId of the next scheduled fire, fixed in advance so a retried fire is idempotent.
        NextTaskId: string
        NextScheduledDate: DateTimeOffset
    }

/// One fire of a hook (successful or not).
type internal LastFireRec =
    {
        /// Increasing with every fire, so that the newest sorts first.
        Seq: int64
        FiredBy: string
        TaskId: string
        TaskCreateTime: DateTimeOffset
        Result: string
        Error: string
    }

[<Sealed>]
type internal HookStore() =
    /// Ticks of the earliest next scheduled date (read without the lock on every call).
    let mutable earliest = Int64.MaxValue

    member val Gate = obj ()
    /// Serialises the scheduled fires (taken before `Gate`, never while holding it).
    member val FireGate = obj ()
    /// `<hookGroupId>` NUL `<hookId>` → hook (sorted by group, then id)
    member val Hooks = SortedDictionary<string, HookRec>(StringComparer.Ordinal)
    /// Same key → fires, oldest first
    member val LastFires = Dictionary<string, ResizeArray<LastFireRec>>(StringComparer.Ordinal)
    member val NextSeq = 0L with get, set

    /// The earliest next scheduled date, in UTC ticks.
    member _.Earliest = Threading.Volatile.Read(&earliest)

    /// Recomputes `Earliest`. Call under `Gate` after any change of a hook.
    member this.Recompute() =
        let mutable e = Int64.MaxValue

        for h in this.Hooks.Values do
            if h.NextScheduledDate.UtcTicks < e then
                e <- h.NextScheduledDate.UtcTicks

        Threading.Volatile.Write(&earliest, e)

/// A notification the notify service accepted (recorded, never sent).
type internal NotificationRec =
    {
        Time: DateTimeOffset
        /// `email`, `pulse`, `matrix` or `slack`.
        Kind: string
        /// The address, routing key, room id or channel id.
        Address: string
        ClientId: string
        /// The request as given.
        Request: JsonNode
    }

[<Sealed>]
type internal NotifyStore() =
    member val Gate = obj ()
    /// `<notificationType>` NUL `<notificationAddress>` → (type, address)
    member val Denylist = SortedDictionary<string, struct (string * string)>(StringComparer.Ordinal)
    /// Oldest first, at most 10,000.
    member val Sent = Queue<NotificationRec>()

/// A worker pool of the worker-manager service.
type internal WorkerPoolRec =
    {
        WorkerPoolId: string
        ProviderId: string
        /// Providers the pool had before, whose workers may still register.
        PreviousProviderIds: string list
        Description: string
        Config: JsonNode
        Owner: string
        EmailOnError: bool
        Created: DateTimeOffset
        LastModified: DateTimeOffset
    }

/// A worker of the worker-manager service.
type internal WorkerRec =
    {
        WorkerPoolId: string
        WorkerGroup: string
        WorkerId: string
        ProviderId: string
        Created: DateTimeOffset
        mutable Expires: DateTimeOffset
        mutable State: string
        mutable Capacity: int
        mutable LastModified: DateTimeOffset
        mutable LastChecked: DateTimeOffset
        /// The static provider's shared secret (`providerInfo.staticSecret`).
        mutable StaticSecret: string
        /// The reregistration secret handed out last, `null` before the first registration.
        mutable Secret: string
    }

/// An error reported for a worker pool.
type internal WorkerPoolErrorRec =
    {
        ErrorId: string
        WorkerPoolId: string
        Reported: DateTimeOffset
        Kind: string
        Title: string
        Description: string
        Extra: JsonNode
        LaunchConfigId: string option
    }

[<Sealed>]
type internal WorkerManagerStore() =
    member val Gate = obj ()
    member val Pools = SortedDictionary<string, WorkerPoolRec>(StringComparer.Ordinal)
    /// `<workerPoolId>` NUL `<workerGroup>` NUL `<workerId>` → worker
    member val Workers = SortedDictionary<string, WorkerRec>(StringComparer.Ordinal)
    /// errorId → error
    member val Errors = Dictionary<string, WorkerPoolErrorRec>(StringComparer.Ordinal)
    /// The last 1,000 error emails sent (pool, description, extra): a repeat is not sent again.
    member val EmailsSent = LinkedList<string>()

/// One entry of the auth service's audit history.
type internal AuditRec =
    {
        /// Increasing with every entry: the history's order and its paging key.
        Seq: int64
        EntityType: string
        EntityId: string
        ClientId: string
        ActionType: string
        Created: DateTimeOffset
    }

[<Sealed>]
type internal AuditStore() =
    member val Gate = obj ()
    /// Oldest first.
    member val Entries = ResizeArray<AuditRec>()
    member val NextSeq = 0L with get, set

    /// Records an action on an entity (at most the last 100,000 are kept).
    member this.Add(entityType: string, entityId: string, clientId: string, actionType: string, now: DateTimeOffset) =
        lock this.Gate (fun () ->
            this.NextSeq <- this.NextSeq + 1L

            this.Entries.Add
                {
                    Seq = this.NextSeq
                    EntityType = entityType
                    EntityId = entityId
                    ClientId = clientId
                    ActionType = actionType
                    Created = now
                }

            if this.Entries.Count > 100_000 then
                this.Entries.RemoveRange(0, this.Entries.Count - 100_000))

/// What the auth service's cloud-credential methods created or drew (the configuration itself
/// stays in the options).
[<Sealed>]
type internal CloudStore() =
    member val Gate = obj ()
    /// `<account>/<table>` of the tables a read-write SAS created.
    member val CreatedTables = HashSet<string>(StringComparer.Ordinal)
    /// `<account>/<container>` of the containers a read-write SAS created.
    member val CreatedContainers = HashSet<string>(StringComparer.Ordinal)
    /// Sentry project → (project number, public key, secret key, expiry of the key).
    member val SentryKeys = Dictionary<string, struct (int * string * string * DateTimeOffset)>(StringComparer.Ordinal)
    /// The websocktunnel secret drawn when none was configured.
    member val WebsocktunnelSecret: string = null with get, set

/// A build of the GitHub service: one task group created for one event.
type internal GithubBuildRec =
    {
        Organization: string
        Repository: string
        Sha: string
        /// The branch the event was for (what `latest` and `badge` look up).
        Branch: string
        TaskGroupId: string
        TaskIds: string list
        EventType: string
        EventId: string
        PullRequestNumber: int option
        Created: DateTimeOffset
        /// `cancelled` once cancelled, `error` when its tasks could not be created; `null` while
        /// the state follows the tasks.
        mutable FixedState: string
        mutable Updated: DateTimeOffset
    }

/// A commit status the GitHub service posted (recorded, never sent to GitHub).
type internal GithubStatusRec =
    {
        Time: DateTimeOffset
        Owner: string
        Repo: string
        Sha: string
        State: string
        TargetUrl: string
        Description: string
        Context: string
        /// Who asked for it: a clientId, or `taskcluster-github` for the service's own.
        ClientId: string
    }

/// A comment the GitHub service posted (recorded, never sent to GitHub).
type internal GithubCommentRec =
    {
        Time: DateTimeOffset
        Owner: string
        Repo: string
        /// The issue or pull request number; `null` for a comment on a commit.
        Number: string
        /// The commit, for a comment on a commit; else `null`.
        Sha: string
        Body: string
        ClientId: string
    }

[<Sealed>]
type internal GithubStore() =
    member val Gate = obj ()
    /// Oldest first.
    member val Builds = ResizeArray<GithubBuildRec>()
    /// Oldest first, at most 10,000.
    member val Statuses = Queue<GithubStatusRec>()
    /// Oldest first, at most 10,000.
    member val Comments = Queue<GithubCommentRec>()
    /// `<owner>/<repo>@<sha>:<path>` (owner and repo lower-cased) → file text
    member val Files = Dictionary<string, string>(StringComparer.Ordinal)
    /// Owners (lower-cased) the app was installed for by an `installation` delivery.
    member val Installed = HashSet<string>(StringComparer.Ordinal)
    /// `<owner>/<repo>` (lower-cased) → the logins of its collaborators (GitHub's logins are
    /// case-insensitive).
    member val Collaborators = Dictionary<string, HashSet<string>>(StringComparer.Ordinal)
    /// The service's own comments, as keys, newest last (at most 1,000): it skips a comment it
    /// has already posted.
    member val PostedComments = Queue<string>()

    static member RepoKey(owner: string, repo: string) =
        $"{owner.ToLowerInvariant()}/{repo.ToLowerInvariant()}"

    static member FileKey(owner: string, repo: string, sha: string, path: string) =
        $"{owner.ToLowerInvariant()}/{repo.ToLowerInvariant()}@{sha}:{path}"

/// One request the emulator answered, for inspection by tests.
type internal RequestRecord =
    {
        Time: DateTimeOffset
        HttpMethod: string
        Path: string
        Service: string
        Method: string
        ClientId: string
        Status: int
    }

/// All of an emulator's state.
[<Sealed>]
type internal Stores() =
    let log = ConcurrentQueue<RequestRecord>()
    member val Auth = AuthStore()
    member val Queue = QueueStore()
    member val Objects = ObjectStore()
    member val Secrets = SecretStore()
    member val Index = IndexStore()
    member val PurgeCache = PurgeCacheStore()
    member val Hooks = HookStore()
    member val Notify = NotifyStore()
    member val WorkerManager = WorkerManagerStore()
    member val Audit = AuditStore()
    member val Cloud = CloudStore()
    member val Github = GithubStore()

    member _.Record(r: RequestRecord) =
        log.Enqueue r

        // bounded, so that a long benchmark does not grow the log without end
        while log.Count > 10_000 do
            log.TryDequeue() |> ignore

    member _.Requests() = log.ToArray()
