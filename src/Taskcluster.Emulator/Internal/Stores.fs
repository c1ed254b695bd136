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

/// A task and its runs.
type internal TaskRec =
    {
        TaskId: string
        /// The task definition as `queue.task` returns it (defaults filled in).
        Definition: JsonObject
        /// The definition's deadline, parsed once.
        Deadline: DateTimeOffset
        mutable State: string
        mutable RetriesLeft: int
        Runs: ResizeArray<RunRec>
        Artifacts: Dictionary<struct (int * string), ArtifactRec>
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

/// The queue's tasks, with the indexes its list methods need.
[<Sealed>]
type internal QueueStore() =
    member val Gate = obj ()
    member val Tasks = Dictionary<string, TaskRec>(StringComparer.Ordinal)
    /// taskGroupId → task ids
    member val Groups = Dictionary<string, SortedSet<string>>(StringComparer.Ordinal)
    /// taskId → ids of the tasks that depend on it
    member val Dependents = Dictionary<string, SortedSet<string>>(StringComparer.Ordinal)
    /// taskQueueId → pending (taskId, runId) in the order they became pending
    member val Pending = Dictionary<string, LinkedList<struct (string * int)>>(StringComparer.Ordinal)
    /// taskQueueId → what the queue knows of it (`task_queue_seen`)
    member val TaskQueues = Dictionary<string, TaskQueueRec>(StringComparer.Ordinal)

    /// Where the queue announces its transitions on Pulse: (exchange, routing-key values, task
    /// routes, message). `None` until the emulator is given a broker, so no message is even built.
    member val Announce: (string -> Map<string, string> -> string list -> JsonNode -> unit) option =
        None with get, set

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

    member _.Record(r: RequestRecord) =
        log.Enqueue r

        // bounded, so that a long benchmark does not grow the log without end
        while log.Count > 10_000 do
            log.TryDequeue() |> ignore

    member _.Requests() = log.ToArray()
