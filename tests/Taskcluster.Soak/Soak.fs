/// The soak run: a long, concurrent, realistic mix of calls and transfers through the F# client
/// and the generated service clients against an emulator (in a child process) that injects
/// faults of every kind into a share of them. It checks that nothing is lost, duplicated or
/// corrupted, that every failure is a typed error, and that the client's memory does not grow.
module Taskcluster.Soak.Soak

open System
open System.Collections.Concurrent
open System.Collections.Generic
open System.Diagnostics
open System.IO
open System.Net.Http
open System.Security.Cryptography
open System.Text.Json
open System.Threading
open System.Threading.Tasks
open Microsoft.Extensions.Logging
open Taskcluster.Core
open Taskcluster.Client
open Taskcluster.Services

/// What a run does.
type Settings =
    {
        Calls: int
        Transfers: int
        FaultRate: float
        Workers: int
        TransferWorkers: int
        Seed: int
        /// Allowed growth of the working set: last quarter's median over the first quarter's
        /// (after warm-up), as a fraction, plus `MemorySlackBytes`.
        MemoryGrowth: float
        MemorySlackBytes: int64
    }

let defaults =
    {
        Calls = 100_000
        Transfers = 500
        FaultRate = 0.05
        Workers = 12
        TransferWorkers = 3
        Seed = 20261128
        MemoryGrowth = 0.20
        MemorySlackBytes = 8L <<< 20
    }

// ---------------------------------------------------------------------------------------------
// The emulator process

/// The emulator in a child process (this program with `--emulator`), driven through its
/// standard input.
type EmulatorProcess() =
    let dll = typeof<EmulatorProcess>.Assembly.Location

    let psi = ProcessStartInfo("dotnet", [ dll; "--emulator" ], UseShellExecute = false)

    do
        psi.RedirectStandardInput <- true
        psi.RedirectStandardOutput <- true

    let proc = Process.Start psi
    let gate = new SemaphoreSlim(1)

    let first =
        match proc.StandardOutput.ReadLine() with
        | null -> failwith "the emulator process exited before printing its root URL"
        | line -> JsonDocument.Parse(line).RootElement

    member _.RootUrl = first.GetProperty("rootUrl").GetString()
    member _.ClientId = first.GetProperty("clientId").GetString()
    member _.AccessToken = first.GetProperty("accessToken").GetString()

    /// Sends a command and returns the answer line.
    member _.Command(line: string) : Task<string> =
        task {
            do! gate.WaitAsync()

            try
                do! proc.StandardInput.WriteLineAsync line
                do! proc.StandardInput.FlushAsync()
                let! answer = proc.StandardOutput.ReadLineAsync()

                if isNull answer || answer.StartsWith "error" then
                    failwithf "the emulator refused '%s': %s" line answer

                return answer
            finally
                gate.Release() |> ignore
        }

    interface IDisposable with
        member _.Dispose() =
            try
                proc.StandardInput.WriteLine "quit"
                proc.StandardInput.Flush()

                if not (proc.WaitForExit 20_000) then
                    proc.Kill true
            with _ ->
                ()

            proc.Dispose()

// ---------------------------------------------------------------------------------------------
// Counters

/// Thread-safe counters by name.
type Counters() =
    let values = ConcurrentDictionary<string, int64 ref>()

    member _.Add(name: string, n: int64) =
        let cell = values.GetOrAdd(name, fun _ -> ref 0L)
        Interlocked.Add(&cell.contents, n) |> ignore

    member this.Incr(name: string) = this.Add(name, 1L)

    member _.Get(name: string) =
        match values.TryGetValue name with
        | true, cell -> cell.Value
        | _ -> 0L

    member _.WithPrefix(prefix: string) =
        values
        |> Seq.filter (fun kv -> kv.Key.StartsWith(prefix: string))
        |> Seq.map (fun kv -> kv.Key.Substring prefix.Length, kv.Value.Value)
        |> Seq.sortBy fst
        |> List.ofSeq

/// Counts the HTTP requests the client sends (every attempt is one): API calls and blob data.
type CountingHandler(counters: Counters) =
    inherit
        DelegatingHandler(
            new SocketsHttpHandler(AllowAutoRedirect = false, UseCookies = false, MaxConnectionsPerServer = 64)
        )

    override _.SendAsync(request, cancellationToken) =
        let path = request.RequestUri.AbsolutePath

        counters.Incr(
            if path.StartsWith "/api/" then "http.api"
            elif path.StartsWith "/__blobs/" then "http.blob"
            else "http.other"
        )

        base.SendAsync(request, cancellationToken)

/// Reads the client's "succeeded after N attempts" and "retrying" log events.
type AttemptLogger(counters: Counters) =
    interface ILogger with
        member _.BeginScope _ = null
        member _.IsEnabled level = level >= LogLevel.Debug

        member _.Log(_level, eventId, state, _error, _formatter) =
            match eventId.Id, box state with
            | 2, (:? IReadOnlyList<KeyValuePair<string, obj>> as values) ->
                for kv in values do
                    if kv.Key = "Attempts" then
                        let attempts = Convert.ToInt64 kv.Value

                        if attempts > 1L then
                            counters.Incr "retry.succeededAfterRetry"
                            counters.Add("retry.extraAttemptsOfSucceeded", attempts - 1L)
            | 3, _ -> counters.Incr "retry.events"
            | _ -> ()

// ---------------------------------------------------------------------------------------------
// What was created, and what it should contain

/// Whether the service confirmed a write, or the write failed (it may or may not have happened:
/// a response can be lost after the service acted).
type Outcome =
    | Confirmed
    | Ambiguous

type TaskRecord =
    {
        TaskId: string
        Group: string
        Nonce: string
        mutable Outcome: Outcome
    }

/// A registry of created things with random access to the confirmed ones.
type Registry<'T>() =
    let all = ConcurrentDictionary<string, 'T * Outcome>()
    let confirmed = ResizeArray<string>()
    let gate = obj ()

    member _.Add(key: string, value: 'T, outcome: Outcome) =
        if not (all.TryAdd(key, (value, outcome))) then
            failwithf "duplicate key %s" key

        if outcome = Confirmed then
            lock gate (fun () -> confirmed.Add key)

    member _.TryPick(random: Random) =
        lock gate (fun () ->
            if confirmed.Count = 0 then
                None
            else
                let key = confirmed[random.Next confirmed.Count]
                Some(key, fst all[key]))

    member _.All =
        all |> Seq.map (fun kv -> kv.Key, fst kv.Value, snd kv.Value) |> List.ofSeq

    member _.Count = all.Count

    /// Forgets everything (at the end, to measure what the records took).
    member _.Clear() =
        all.Clear()
        lock gate (fun () -> confirmed.Clear())

/// The kind of a typed error, for the tables.
let errorKind (e: TaskclusterError) =
    match e with
    | TaskclusterError.InvalidRequest _ -> "InvalidRequest"
    | TaskclusterError.AuthenticationFailed _ -> "AuthenticationFailed (401)"
    | TaskclusterError.InsufficientScopes _ -> "InsufficientScopes (403)"
    | TaskclusterError.ClientError s -> $"ClientError ({s.Status})"
    | TaskclusterError.ServerError s -> $"ServerError ({s.Status})"
    | TaskclusterError.Redirect _ -> "Redirect"
    | TaskclusterError.ConnectionFailed _ -> "ConnectionFailed"
    | TaskclusterError.Timeout _ -> "Timeout"
    | TaskclusterError.Cancelled _ -> "Cancelled"
    | TaskclusterError.InvalidResponse _ -> "InvalidResponse"
    | TaskclusterError.ClockSkew _ -> "ClockSkew"

let transferErrorKind (e: TransferError) =
    match e with
    | TransferError.Request inner -> "Request/" + errorKind inner
    | TransferError.HashMismatch _ -> "HashMismatch"
    | TransferError.LengthMismatch _ -> "LengthMismatch"
    | TransferError.NoAcceptableHash _ -> "NoAcceptableHash"
    | TransferError.UnsupportedMethod _ -> "UnsupportedMethod"
    | TransferError.ArtifactError _ -> "ArtifactError"
    | TransferError.InvalidArgument _ -> "InvalidArgument"
    | TransferError.FileError _ -> "FileError"

/// Attempts a failed call made (1 for an error raised before sending).
let attemptsOf (e: TaskclusterError) =
    match e with
    | TaskclusterError.AuthenticationFailed s
    | TaskclusterError.InsufficientScopes s
    | TaskclusterError.ClientError s
    | TaskclusterError.ServerError s
    | TaskclusterError.Redirect(s, _) -> s.Attempts
    | TaskclusterError.ConnectionFailed(_, _, n)
    | TaskclusterError.Timeout(_, _, n) -> n
    | _ -> 1

// ---------------------------------------------------------------------------------------------
// Faults

/// Route faults, by weight: retried statuses, drops, truncated answers, delays, schedules,
/// retries exhausted, a refused request, and a timeout.
let private routeFaults =
    [
        25, (fun (_: Random) -> "status:500", 1)
        12, (fun _ -> "status:503", 1)
        5, (fun _ -> "status:429", 1)
        15, (fun _ -> "drop", 1)
        15, (fun (r: Random) -> $"truncate:{r.Next(0, 40)}", 1)
        10, (fun (r: Random) -> $"delay:{r.Next(20, 150)}", 1)
        6, (fun _ -> "schedule:status:503,drop,truncate:5", 3)
        4, (fun _ -> "exhaust:status:502", 6)
        5, (fun _ -> "status:400", 1)
        3, (fun _ -> "delay:1500", 1)
    ]

/// Blob faults, by weight.
let private blobFaults =
    [
        20, (fun (_: Random) -> "status:500")
        10, (fun _ -> "status:503")
        20, (fun _ -> "drop")
        15, (fun (r: Random) -> $"truncate:{r.Next(0, 4096)}")
        15, (fun _ -> "corrupt")
        10, (fun _ -> "expired")
        10, (fun (r: Random) -> $"delay:{r.Next(20, 200)}")
    ]

let private pick (random: Random) (weighted: (int * 'T) list) =
    let total = weighted |> List.sumBy fst
    let mutable n = random.Next total

    weighted
    |> List.find (fun (w, _) ->
        if n < w then
            true
        else
            n <- n - w
            false)
    |> snd

/// The per-attempt timeout; the `delay:1500` fault is beyond it.
let attemptTimeout = TimeSpan.FromSeconds 1.0

// ---------------------------------------------------------------------------------------------
// The run

type Violations() =
    let items = ConcurrentQueue<string>()
    member _.Add(message: string) = items.Enqueue message
    member _.All = items.ToArray() |> List.ofArray

type private Context =
    {
        Settings: Settings
        Emulator: EmulatorProcess
        Client: TaskclusterClient
        Counters: Counters
        Violations: Violations
        Tasks: Registry<TaskRecord>
        Secrets: Registry<string>
        IndexPaths: Registry<string>
        /// Task ids by group, as created by the group's worker.
        Groups: ConcurrentDictionary<string, ConcurrentDictionary<string, Outcome>>
        CallsMade: int64 ref
        Clock: Stopwatch
        /// When each quarter of `Settings.Calls` was reached, in seconds since the start.
        QuarterEnds: float[]
    }

let private expiresIn (days: float) =
    FromNow.format (DateTimeOffset.UtcNow.AddDays days)

let private newSlugId () = (Helpers.slugId ()).Value

/// Injects a route fault into the next call(s) of the method, with the run's probability.
let private maybeFault (ctx: Context) (random: Random) (service: string) (methodName: string) =
    task {
        if random.NextDouble() < ctx.Settings.FaultRate then
            let spec, count = (pick random routeFaults) random

            let kind, command =
                match spec.Split(':', 2) with
                | [| "schedule"; faults |] -> "schedule", $"schedule {service} {methodName} {faults}"
                | [| "exhaust"; fault |] -> "retries exhausted", $"route {service} {methodName} {count} {fault}"
                | _ ->
                    spec.Split(':')[0] + (if spec = "delay:1500" then " (timeout)" else ""),
                    $"route {service} {methodName} 1 {spec}"

            let kind =
                if kind = "status" then
                    "status " + spec.Substring 7
                else
                    kind

            let! _ = ctx.Emulator.Command command
            ctx.Counters.Incr("fault.route." + kind)
    }

/// Records a call's outcome; returns the value when it succeeded.
let private called (ctx: Context) (op: string) (result: Result<'T, TaskclusterError>) =
    let made = Interlocked.Increment(&ctx.CallsMade.contents)
    let quarter = max 1L (int64 ctx.Settings.Calls / 4L)

    if made % quarter = 0L && made / quarter <= 4L then
        ctx.QuarterEnds[int (made / quarter) - 1] <- ctx.Clock.Elapsed.TotalSeconds

    ctx.Counters.Incr("calls." + op)

    match result with
    | Ok v ->
        ctx.Counters.Incr "calls.ok"
        Some v
    | Error e ->
        ctx.Counters.Incr("failed." + errorKind e)

        if attemptsOf e > 1 then
            ctx.Counters.Incr "retry.failedAfterRetry"

        None

let private taskDefinition (record: TaskRecord) (worker: int) =
    let now = DateTimeOffset.UtcNow

    Encode.object
        [
            "taskQueueId", Encode.string $"soak-prov/soak-w{worker}"
            "taskGroupId", Encode.string record.Group
            "projectId", Encode.string "soak"
            "created", Encode.string (FromNow.format now)
            "deadline", Encode.string (FromNow.format (now.AddHours 2.0))
            "expires", Encode.string (FromNow.format (now.AddDays 3.0))
            "payload", Encode.object [ "nonce", Encode.string record.Nonce; "taskId", Encode.string record.TaskId ]
            "metadata",
            Encode.object
                [
                    "name", Encode.string $"soak {record.Nonce}"
                    "description", Encode.string "a task of the soak run"
                    "owner", Encode.string "soak@example.com"
                    "source", Encode.string "https://example.com/soak"
                ]
        ]

/// The task read back is the one created: its payload and name carry the nonce.
let private sameTask (record: TaskRecord) (definition: JsonElement) =
    let payload = definition.GetProperty "payload"

    payload.GetProperty("nonce").GetString() = record.Nonce
    && payload.GetProperty("taskId").GetString() = record.TaskId
    && definition.GetProperty("metadata").GetProperty("name").GetString() = $"soak {record.Nonce}"
    && definition.GetProperty("taskGroupId").GetString() = record.Group

/// One API worker: a realistic mix until the run's call budget is spent.
let private apiWorker (ctx: Context) (worker: int) =
    task {
        let random = Random(ctx.Settings.Seed + worker)
        let queue = Queue ctx.Client
        let secrets = Secrets ctx.Client
        let index = Index ctx.Client
        let mutable group = newSlugId ()
        let mutable inGroup = 0
        let mutable n = 0
        let ownGroups = ResizeArray<string>()

        let operations =
            [
                14, "queue.createTask"
                28, "queue.task"
                8, "queue.status"
                3, "queue.listTaskGroup"
                10, "secrets.set"
                14, "secrets.get"
                8, "index.insertTask"
                11, "index.findTask"
                4, "queue.ping"
            ]

        while Volatile.Read(&ctx.CallsMade.contents) < int64 ctx.Settings.Calls do
            n <- n + 1

            match pick random operations with
            | "queue.createTask" ->
                if inGroup >= 40 then
                    ownGroups.Add group
                    group <- newSlugId ()
                    inGroup <- 0

                inGroup <- inGroup + 1

                let record =
                    {
                        TaskId = newSlugId ()
                        Group = group
                        Nonce = newSlugId ()
                        Outcome = Ambiguous
                    }

                do! maybeFault ctx random "queue" "createTask"
                let! r = queue.CreateTask(record.TaskId, Payload.Json(taskDefinition record worker))

                let outcome =
                    match called ctx "queue.createTask" r with
                    | Some _ -> Confirmed
                    | None -> Ambiguous

                record.Outcome <- outcome
                ctx.Tasks.Add(record.TaskId, record, outcome)

                ctx.Groups.GetOrAdd(group, fun _ -> ConcurrentDictionary()).TryAdd(record.TaskId, outcome)
                |> ignore
            | "queue.task" ->
                match ctx.Tasks.TryPick random with
                | None -> ()
                | Some(taskId, record) ->
                    do! maybeFault ctx random "queue" "task"
                    let! r = queue.Task taskId

                    match called ctx "queue.task" r with
                    | Some definition when not (sameTask record definition) ->
                        ctx.Violations.Add $"queue.task {taskId}: the definition read back differs from the one created"
                    | _ -> ()
            | "queue.status" ->
                match ctx.Tasks.TryPick random with
                | None -> ()
                | Some(taskId, _) ->
                    do! maybeFault ctx random "queue" "status"
                    let! r = queue.Status taskId

                    match called ctx "queue.status" r with
                    | Some s when s.GetProperty("status").GetProperty("taskId").GetString() <> taskId ->
                        ctx.Violations.Add $"queue.status {taskId}: the status of another task"
                    | _ -> ()
            | "queue.listTaskGroup" when ownGroups.Count > 0 ->
                // a finished group of this worker: its membership is known and no longer changes
                let g = ownGroups[random.Next ownGroups.Count]
                let members = ctx.Groups[g]
                do! maybeFault ctx random "queue" "listTaskGroup"
                let seen = HashSet<string>()
                let mutable failed = false
                use pages = queue.ListTaskGroupPages(g, limit = "7").GetAsyncEnumerator()
                let mutable go = true

                while go do
                    let! more = pages.MoveNextAsync()

                    if not more then
                        go <- false
                    else
                        match called ctx "queue.listTaskGroup" pages.Current with
                        | None ->
                            failed <- true
                            go <- false
                        | Some page ->
                            for t in page.GetProperty("tasks").EnumerateArray() do
                                let id = t.GetProperty("status").GetProperty("taskId").GetString()

                                if not (seen.Add id) then
                                    ctx.Violations.Add $"listTaskGroup {g}: task {id} listed twice"

                                if not (members.ContainsKey id) then
                                    ctx.Violations.Add $"listTaskGroup {g}: task {id} was never created in this group"

                if not failed then
                    for KeyValue(id, outcome) in members do
                        if outcome = Confirmed && not (seen.Contains id) then
                            ctx.Violations.Add $"listTaskGroup {g}: confirmed task {id} missing from the listing"
            | "secrets.set" ->
                let name = $"soak/w{worker}/s{n}"
                let value = newSlugId () + newSlugId ()
                do! maybeFault ctx random "secrets" "set"

                let! r =
                    secrets.Set(
                        name,
                        Payload.Json(
                            Encode.object
                                [
                                    "secret", Encode.object [ "value", Encode.string value; "name", Encode.string name ]
                                    "expires", Encode.string (expiresIn 2.0)
                                ]
                        )
                    )

                let outcome =
                    match called ctx "secrets.set" r with
                    | Some _ -> Confirmed
                    | None -> Ambiguous

                ctx.Secrets.Add(name, value, outcome)
            | "secrets.get" ->
                match ctx.Secrets.TryPick random with
                | None -> ()
                | Some(name, value) ->
                    do! maybeFault ctx random "secrets" "get"
                    let! r = secrets.Get name

                    match called ctx "secrets.get" r with
                    | Some s when
                        s.GetProperty("secret").GetProperty("value").GetString() <> value
                        || s.GetProperty("secret").GetProperty("name").GetString() <> name
                        ->
                        ctx.Violations.Add $"secrets.get {name}: the value read back differs from the one set"
                    | _ -> ()
            | "index.insertTask" ->
                match ctx.Tasks.TryPick random with
                | None -> ()
                | Some(taskId, _) ->
                    let path = $"soak.w{worker}.n{n}"
                    do! maybeFault ctx random "index" "insertTask"

                    let! r =
                        index.InsertTask(
                            path,
                            Payload.Json(
                                Encode.object
                                    [
                                        "taskId", Encode.string taskId
                                        "rank", Encode.int 0
                                        "data", Encode.object []
                                        "expires", Encode.string (expiresIn 2.0)
                                    ]
                            )
                        )

                    let outcome =
                        match called ctx "index.insertTask" r with
                        | Some _ -> Confirmed
                        | None -> Ambiguous

                    ctx.IndexPaths.Add(path, taskId, outcome)
            | "index.findTask" ->
                match ctx.IndexPaths.TryPick random with
                | None -> ()
                | Some(path, taskId) ->
                    do! maybeFault ctx random "index" "findTask"
                    let! r = index.FindTask path

                    match called ctx "index.findTask" r with
                    | Some found when found.GetProperty("taskId").GetString() <> taskId ->
                        ctx.Violations.Add $"index.findTask {path}: another task"
                    | _ -> ()
            | _ ->
                do! maybeFault ctx random "queue" "ping"
                let! r = queue.Ping()
                called ctx "queue.ping" r |> ignore
    }

/// The sizes uploaded: the edges (empty, around the 8 KiB inline limit, 1 MiB) and
/// log-uniform sizes in between.
let private transferSize (random: Random) =
    match random.Next 10 with
    | 0 -> [| 0; 1; 8191; 8192; 8193; 1 <<< 20 |][random.Next 6]
    | _ -> int (Math.Pow(2.0, random.NextDouble() * 20.0))

type private Uploaded =
    {
        Name: string
        Sha256: string
        Length: int
        Outcome: Outcome
    }

let private transferWorker (ctx: Context) (worker: int) (next: int ref) (uploads: ConcurrentQueue<Uploaded>) =
    task {
        let random = Random(ctx.Settings.Seed * 7 + worker)
        let objects = ObjectApi.ofService (Object ctx.Client)
        let none = CancellationToken.None

        let maybeBlobFault (name: string) =
            task {
                if random.NextDouble() < ctx.Settings.FaultRate then
                    let spec = (pick random blobFaults) random
                    let! _ = ctx.Emulator.Command $"blob {name} 1 {spec}"
                    ctx.Counters.Incr("fault.blob." + spec.Split(':')[0])
            }

        let mutable k = Interlocked.Increment(&next.contents)

        while k <= ctx.Settings.Transfers do
            let name = $"soak/t{k}"
            let length = transferSize random
            let data = Array.zeroCreate<byte> length
            random.NextBytes data
            let sha = Convert.ToHexStringLower(SHA256.HashData data)
            do! maybeFault ctx random "object" "createUpload"
            do! maybeFault ctx random "object" "finishUpload"
            do! maybeBlobFault name

            let! up =
                Transfer.uploadFromBuf
                    objects
                    Transfer.defaults
                    (Transfer.uploadRequest "soak" name (DateTimeOffset.UtcNow.AddDays 2.0))
                    (ReadOnlyMemory data)
                    none

            let outcome =
                match up with
                | Ok u ->
                    ctx.Counters.Incr "transfer.upload.ok"

                    if u.Sha256 <> sha || u.Length <> int64 length then
                        ctx.Violations.Add $"upload {name}: reported {u.Sha256}/{u.Length}, sent {sha}/{length}"

                    Confirmed
                | Error e ->
                    ctx.Counters.Incr("transfer.upload.failed." + transferErrorKind e)
                    Ambiguous

            uploads.Enqueue
                {
                    Name = name
                    Sha256 = sha
                    Length = length
                    Outcome = outcome
                }

            do! maybeFault ctx random "object" "startDownload"
            do! maybeBlobFault name
            let! down = Transfer.downloadToBuf objects Transfer.defaults name none

            match down with
            | Ok(bytes, _) ->
                ctx.Counters.Incr "transfer.download.ok"

                if Convert.ToHexStringLower(SHA256.HashData bytes) <> sha then
                    ctx.Violations.Add $"download {name}: bytes differ from those uploaded"
            | Error e ->
                ctx.Counters.Incr("transfer.download.failed." + transferErrorKind e)

                if outcome = Confirmed then
                    match e with
                    | TransferError.Request(TaskclusterError.ClientError s) when s.Status = 404 ->
                        ctx.Violations.Add $"download {name}: a confirmed upload is missing"
                    | _ -> ()

            k <- Interlocked.Increment(&next.contents)
    }

// ---------------------------------------------------------------------------------------------
// Memory

type Sample =
    {
        Seconds: float
        /// Calls made when the sample was taken.
        Calls: int64
        WorkingSet: int64
        ManagedHeap: int64
    }

/// Samples the working set after a full, compacting collection, every `period`.
let private sampleMemory
    (started: Stopwatch)
    (calls: int64 ref)
    (period: TimeSpan)
    (samples: ConcurrentQueue<Sample>)
    (stop: CancellationToken)
    =
    task {
        while not stop.IsCancellationRequested do
            GC.Collect(2, GCCollectionMode.Forced, true, true)
            GC.WaitForPendingFinalizers()
            GC.Collect(2, GCCollectionMode.Forced, true, true)
            use p = Process.GetCurrentProcess()

            samples.Enqueue
                {
                    Seconds = started.Elapsed.TotalSeconds
                    Calls = Volatile.Read(&calls.contents)
                    WorkingSet = p.WorkingSet64
                    ManagedHeap = GC.GetTotalMemory false
                }

            try
                do! Task.Delay(period, stop)
            with :? OperationCanceledException ->
                ()
    }

/// The emulator's side, asked during the load (no forced collection there).
type EmulatorSample =
    {
        Seconds: float
        Stored: int
        WorkingSet: int64
        ManagedHeap: int64
    }

let private sampleEmulator (emulator: EmulatorProcess) (started: Stopwatch) =
    task {
        let! json = emulator.Command "memory"
        use doc = JsonDocument.Parse json
        let root = doc.RootElement

        return
            {
                Seconds = started.Elapsed.TotalSeconds
                Stored = root.GetProperty("stored").GetInt32()
                WorkingSet = root.GetProperty("workingSet").GetInt64()
                ManagedHeap = root.GetProperty("managedHeap").GetInt64()
            }
    }

let private median (xs: int64 list) =
    let a = List.sort xs |> Array.ofList
    if a.Length = 0 then 0L else a[a.Length / 2]

let private mib (b: int64) = float b / 1048576.0

// ---------------------------------------------------------------------------------------------
// Verification

type private State =
    {
        Tasks: HashSet<string>
        Secrets: HashSet<string>
        Objects: HashSet<string>
        Index: HashSet<string>
        RemainingFaults: int
        WorkingSet: int64
    }

let private readState (emulator: EmulatorProcess) =
    task {
        let! json = emulator.Command "state"
        use doc = JsonDocument.Parse json
        let root = doc.RootElement

        let set (name: string) =
            HashSet<string>(root.GetProperty(name).EnumerateArray() |> Seq.map (fun e -> e.GetString()))

        return
            {
                Tasks = set "tasks"
                Secrets = set "secrets"
                Objects = set "objects"
                Index = set "index"
                RemainingFaults = root.GetProperty("remainingFaults").GetInt32()
                WorkingSet = root.GetProperty("workingSet").GetInt64()
            }
    }

/// Runs `f` over the items with `workers` in parallel.
let private parallelFor (workers: int) (items: 'T list) (f: 'T -> Task<unit>) =
    task {
        let queue = ConcurrentQueue<'T>(items)

        let worker () =
            task {
                let mutable item = Unchecked.defaultof<'T>

                while queue.TryDequeue(&item) do
                    do! f item
            }

        let! _ = Task.WhenAll [ for _ in 1..workers -> worker () ]
        ()
    }

/// A row of the verification table.
type VerifyRow =
    {
        What: string
        Attempted: int
        Confirmed: int
        AmbiguousPresent: int
        InEmulator: int
        Lost: int
        Corrupted: int
        Unexpected: int
    }

/// Reads back everything with faults off and compares with what was confirmed and what the
/// emulator holds.
let private verify (ctx: Context) (uploads: Uploaded list) (state: State) =
    task {
        let client = ctx.Client
        let queue = Queue client
        let secretsApi = Secrets client
        let index = Index client
        let objects = ObjectApi.ofService (Object client)

        let check
            (what: string)
            (items: (string * Outcome) list)
            (inEmulator: HashSet<string>)
            (read: string -> Task<Result<bool, string>>)
            =
            task {
                let present = ConcurrentDictionary<string, bool>()
                let corrupted = ConcurrentQueue<string>()
                let errors = ConcurrentQueue<string>()

                do!
                    parallelFor 8 items (fun (key, _) ->
                        task {
                            match! read key with
                            | Ok true -> present[key] <- true
                            | Ok false -> present[key] <- false
                            | Error "corrupted" ->
                                present[key] <- true
                                corrupted.Enqueue key
                            | Error message -> errors.Enqueue $"{what} {key}: {message}"
                        })

                for e in errors do
                    ctx.Violations.Add $"verification: {e}"

                let attempted = items |> List.map fst |> HashSet
                let confirmed = items |> List.filter (fun (_, o) -> o = Confirmed)

                let lost =
                    confirmed
                    |> List.filter (fun (k, _) ->
                        match present.TryGetValue k with
                        | true, p -> not p
                        | _ -> true)

                let ambiguousPresent =
                    items
                    |> List.filter (fun (k, o) ->
                        o = Ambiguous
                        && (match present.TryGetValue k with
                            | true, p -> p
                            | _ -> false))

                let unexpected =
                    inEmulator |> Seq.filter (fun k -> not (attempted.Contains k)) |> List.ofSeq

                for k, _ in lost do
                    ctx.Violations.Add $"{what} {k}: confirmed but lost"

                for k in corrupted do
                    ctx.Violations.Add $"{what} {k}: content differs from what was written"

                for k in unexpected do
                    ctx.Violations.Add $"{what} {k}: in the emulator but never written"

                // what reads found must be exactly what the emulator holds
                for KeyValue(k, p) in present do
                    if p <> inEmulator.Contains k then
                        ctx.Violations.Add $"{what} {k}: read says present={p}, the emulator's state says {not p}"

                let expected = confirmed.Length + ambiguousPresent.Length

                if what <> "object" && inEmulator.Count <> expected then
                    ctx.Violations.Add
                        $"{what}: the emulator holds {inEmulator.Count}, expected {expected} ({confirmed.Length} confirmed + {ambiguousPresent.Length} ambiguous writes that happened)"

                return
                    {
                        What = what
                        Attempted = items.Length
                        Confirmed = confirmed.Length
                        AmbiguousPresent = ambiguousPresent.Length
                        InEmulator = inEmulator.Count
                        Lost = lost.Length
                        Corrupted = corrupted.Count
                        Unexpected = unexpected.Length
                    }
            }

        let notFound (e: TaskclusterError) =
            match e with
            | TaskclusterError.ClientError s when s.Status = 404 -> true
            | _ -> false

        let tasks = ctx.Tasks.All |> List.map (fun (k, r, o) -> k, (r, o))
        let taskRecords = dict [ for k, (r, _) in tasks -> k, r ]

        let! taskRow =
            check "task" [ for k, (_, o) in tasks -> k, o ] state.Tasks (fun id ->
                task {
                    match! queue.Task id with
                    | Ok d ->
                        return
                            (if sameTask taskRecords[id] d then
                                 Ok true
                             else
                                 Error "corrupted")
                    | Error e when notFound e -> return Ok false
                    | Error e -> return Error(e.Describe())
                })

        let secrets = ctx.Secrets.All
        let secretValues = dict [ for k, v, _ in secrets -> k, v ]

        let! secretRow =
            check "secret" [ for k, _, o in secrets -> k, o ] state.Secrets (fun name ->
                task {
                    match! secretsApi.Get name with
                    | Ok s ->
                        return
                            if s.GetProperty("secret").GetProperty("value").GetString() = secretValues[name] then
                                Ok true
                            else
                                Error "corrupted"
                    | Error e when notFound e -> return Ok false
                    | Error e -> return Error(e.Describe())
                })

        let paths = ctx.IndexPaths.All
        let pathTasks = dict [ for k, v, _ in paths -> k, v ]

        let! indexRow =
            check "index path" [ for k, _, o in paths -> k, o ] state.Index (fun path ->
                task {
                    match! index.FindTask path with
                    | Ok t ->
                        return
                            if t.GetProperty("taskId").GetString() = pathTasks[path] then
                                Ok true
                            else
                                Error "corrupted"
                    | Error e when notFound e -> return Ok false
                    | Error e -> return Error(e.Describe())
                })

        // objects: an upload that failed after createUpload leaves an unfinished object, which
        // the state lists but no download can read; so only "confirmed ⊆ state ⊆ attempted" and
        // exact bytes are required
        let uploadsByName = dict [ for u in uploads -> u.Name, u ]

        let! objectRow =
            check "object" [ for u in uploads -> u.Name, u.Outcome ] state.Objects (fun name ->
                task {
                    match! Transfer.downloadToBuf objects Transfer.defaults name CancellationToken.None with
                    | Ok(bytes, _) ->
                        return
                            if Convert.ToHexStringLower(SHA256.HashData bytes) = uploadsByName[name].Sha256 then
                                Ok true
                            else
                                Error "corrupted"
                    | Error(TransferError.Request e) when notFound e ->
                        // unfinished objects answer 404 too; presence is the state's word
                        return Ok(state.Objects.Contains name && uploadsByName[name].Outcome = Ambiguous)
                    | Error e -> return Error(e.Describe())
                })

        return [ taskRow; secretRow; indexRow; objectRow ]
    }

// ---------------------------------------------------------------------------------------------
// Entry

/// Reads the emulator's state and verifies every write against it. A function of its own so
/// that the state and the lists it builds are garbage once it returns (the memory figures
/// taken after it must not count them).
[<System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)>]
let private verifyAll (ctx: Context) (uploads: ConcurrentQueue<Uploaded>) =
    let state = (readState ctx.Emulator).GetAwaiter().GetResult()
    let uploadList = List.ofSeq uploads
    let rows = (verify ctx uploadList state).GetAwaiter().GetResult()

    rows, state.RemainingFaults, state.WorkingSet, uploadList.Length, uploadList |> List.sumBy (fun u -> int64 u.Length)

let private printTable (title: string) (rows: (string * string) list) =
    printfn ""
    printfn "%s" title
    let width = rows |> List.map (fst >> String.length) |> List.fold max 10

    for k, v in rows do
        printfn "  %-*s %12s" width k v

/// Runs the soak; the exit code (0 when every check held).
let run (settings: Settings) =
    let started = Stopwatch.StartNew()
    use emulator = new EmulatorProcess()
    let counters = Counters()
    let violations = Violations()

    let backoff =
        match
            Backoff.create
                { Backoff.defaultOptions with
                    BaseDelay = TimeSpan.FromMilliseconds 2.0
                    MaxDelay = TimeSpan.FromMilliseconds 50.0
                }
        with
        | Ok b -> b
        | Error e -> failwithf "backoff: %A" e

    let client =
        match
            Client.create
                { (Options.create emulator.RootUrl
                   |> Options.withCredentials emulator.ClientId emulator.AccessToken) with
                    HttpMessageHandler = Some(new CountingHandler(counters))
                    Logger = Some(AttemptLogger counters)
                    Backoff = backoff
                    Timeout = attemptTimeout
                    MaxRetries = 5
                }
        with
        | Ok c -> c
        | Error e -> failwith (e.Describe())

    let ctx =
        {
            Settings = settings
            Emulator = emulator
            Client = client
            Counters = counters
            Violations = violations
            Tasks = Registry()
            Secrets = Registry()
            IndexPaths = Registry()
            Groups = ConcurrentDictionary()
            CallsMade = ref 0L
            Clock = started
            QuarterEnds = Array.create 4 nan
        }

    printfn
        "Soak: %d calls and %d transfers against the emulator at %s, %.0f %% faults, %d + %d workers"
        settings.Calls
        settings.Transfers
        emulator.RootUrl
        (settings.FaultRate * 100.0)
        settings.Workers
        settings.TransferWorkers

    let samples = ConcurrentQueue<Sample>()
    use stopSampling = new CancellationTokenSource()

    let sampler =
        sampleMemory started ctx.CallsMade (TimeSpan.FromSeconds 1.0) samples stopSampling.Token

    let uploads = ConcurrentQueue<Uploaded>()
    let nextTransfer = ref 0
    let unexpected = ConcurrentQueue<exn>()

    let guarded (work: unit -> Task<unit>) =
        task {
            try
                do! work ()
            with ex ->
                unexpected.Enqueue ex
        }

    let emulatorSamples = ConcurrentQueue<EmulatorSample>()

    let progress =
        task {
            while not stopSampling.IsCancellationRequested do
                try
                    do! Task.Delay(TimeSpan.FromSeconds 10.0, stopSampling.Token)
                    let! e = sampleEmulator emulator started
                    emulatorSamples.Enqueue e

                    printfn
                        "  %5.0f s: %d calls, %d transfers; emulator stores %d, heap %.0f MiB"
                        started.Elapsed.TotalSeconds
                        ctx.CallsMade.Value
                        (min nextTransfer.Value settings.Transfers)
                        e.Stored
                        (float e.ManagedHeap / 1048576.0)
                with :? OperationCanceledException ->
                    ()
        }

    let loadStarted = started.Elapsed.TotalSeconds

    let workload =
        Task.WhenAll
            [
                for w in 1 .. settings.Workers -> guarded (fun () -> apiWorker ctx w)
                for w in 1 .. settings.TransferWorkers -> guarded (fun () -> transferWorker ctx w nextTransfer uploads)
            ]

    workload.GetAwaiter().GetResult() |> ignore
    let loadSeconds = started.Elapsed.TotalSeconds
    // the verification below sends requests too; the tables count the load only
    let apiHttp = counters.Get "http.api"
    let blobHttp = counters.Get "http.blob"
    stopSampling.Cancel()
    sampler.GetAwaiter().GetResult()
    progress.GetAwaiter().GetResult()

    for ex in unexpected do
        violations.Add $"an exception escaped instead of a typed error: {ex.GetType().Name}: {ex.Message}"

    // verification, with every fault forgotten
    emulator.Command("clear").GetAwaiter().GetResult() |> ignore

    let rows, remainingFaults, emulatorWorkingSet, uploadCount, uploadBytes =
        verifyAll ctx uploads

    // The soak keeps a record of every write so that it can read it back: at a million calls
    // that is tens of MiB that grow with the calls, and it is the soak's memory, not the
    // client's. Released here and measured, then prorated by the calls made at each sample.
    let fullHeap () =
        GC.Collect(2, GCCollectionMode.Forced, true, true)
        GC.WaitForPendingFinalizers()
        GC.Collect(2, GCCollectionMode.Forced, true, true)
        GC.GetTotalMemory false

    let heapWithRecords = fullHeap ()
    let callsAtEnd = max 1L ctx.CallsMade.Value
    ctx.Tasks.Clear()
    ctx.Secrets.Clear()
    ctx.IndexPaths.Clear()
    ctx.Groups.Clear()
    uploads.Clear()
    let heapAfterRecords = fullHeap ()
    let recordBytes = max 0L (heapWithRecords - heapAfterRecords)

    let lessRecords (s: Sample) (bytes: int64) =
        bytes - int64 (float recordBytes * float s.Calls / float callsAtEnd)

    // memory: after a warm-up of 15 % of the samples, the last quarter against the first
    let all = samples.ToArray() |> List.ofArray
    let warm = all |> List.skip (all.Length * 15 / 100)
    let quarter = max 1 (warm.Length / 4)
    let firstQ = warm |> List.truncate quarter
    let lastQ = warm |> List.skip (max 0 (warm.Length - quarter))
    let firstWs = median (firstQ |> List.map (fun s -> lessRecords s s.WorkingSet))
    let lastWs = median (lastQ |> List.map (fun s -> lessRecords s s.WorkingSet))
    let firstHeap = median (firstQ |> List.map (fun s -> lessRecords s s.ManagedHeap))
    let lastHeap = median (lastQ |> List.map (fun s -> lessRecords s s.ManagedHeap))

    let rawWs (q: Sample list) =
        median (q |> List.map (fun s -> s.WorkingSet))

    let allowed =
        int64 (float firstWs * (1.0 + settings.MemoryGrowth))
        + settings.MemorySlackBytes

    if warm.Length < 8 then
        violations.Add $"too few memory samples ({all.Length}) to judge growth"
    elif lastWs > allowed then
        violations.Add
            $"working set grew from {mib firstWs:F1} MiB to {mib lastWs:F1} MiB (allowed {mib allowed:F1} MiB)"

    // throughput: the calls of each quarter over the time that quarter took. Transfers run
    // beside the first calls, so they weigh on the first quarter, not the last.
    let quarterStarts = Array.append [| loadStarted |] ctx.QuarterEnds[0..2]

    let quarterRates =
        Array.map2 (fun s e -> float (settings.Calls / 4) / (e - s)) quarterStarts ctx.QuarterEnds

    if quarterRates |> Array.exists Double.IsNaN then
        violations.Add "the calls did not reach every quarter of --calls"
    elif quarterRates[3] < 0.8 * quarterRates[0] then
        violations.Add
            $"throughput fell from {quarterRates[0]:F0} calls/s in the first quarter to {quarterRates[3]:F0} in the last (allowed 80 %%)"

    // the tables
    let calls =
        counters.Get "calls.ok" + (counters.WithPrefix "failed." |> List.sumBy snd)

    printTable
        "Calls (API, through the generated clients)"
        [
            "calls made", string calls
            "completed", string (counters.Get "calls.ok")
            "failed with a typed error", string (calls - counters.Get "calls.ok")
            "HTTP attempts (API, transfers included)", string apiHttp
            "HTTP attempts (blob data)", string blobHttp
            "calls that succeeded after retries", string (counters.Get "retry.succeededAfterRetry")
            "extra attempts of those", string (counters.Get "retry.extraAttemptsOfSucceeded")
            "failed calls that had been retried", string (counters.Get "retry.failedAfterRetry")
            "retries logged (API and data)", string (counters.Get "retry.events")
            "calls per second", $"{float calls / loadSeconds:F0}"
        ]

    let emulatorAt (until: float) =
        emulatorSamples.ToArray()
        |> Array.filter (fun e -> e.Seconds <= until)
        |> Array.tryLast

    printTable
        "Per quarter of the calls: throughput, and the emulator at the quarter's end (heap not collected)"
        [
            for q in 0..3 ->
                let emulatorSide =
                    match emulatorAt ctx.QuarterEnds[q] with
                    | Some e ->
                        $"stores {e.Stored}, working set {mib e.WorkingSet:F0} MiB, heap {mib e.ManagedHeap:F0} MiB"
                        + (if e.Stored > 0 then
                               $" ({float e.ManagedHeap / float e.Stored / 1024.0:F1} KiB per stored entity)"
                           else
                               "")
                    | None -> "no sample"

                $"quarter {q + 1}",
                $"{quarterRates[q]:F0} calls/s in {ctx.QuarterEnds[q] - quarterStarts[q]:F0} s; {emulatorSide}"
            yield "last quarter ÷ first", $"{quarterRates[3] / quarterRates[0]:F2} (at least 0.80)"
        ]

    printTable
        "Calls by method"
        [
            for k, v in counters.WithPrefix "calls." do
                if k <> "ok" then
                    k, string v
        ]

    printTable "Typed errors by kind (calls)" [ for k, v in counters.WithPrefix "failed." -> k, string v ]

    printTable
        "Faults injected"
        [
            for k, v in counters.WithPrefix "fault." -> k, string v
            yield "left unconsumed at the end", string remainingFaults
        ]

    printTable
        "Transfers (0 B to 1 MiB, SHA-256 checked)"
        [
            yield "uploads", string uploadCount
            yield "bytes uploaded", $"{mib uploadBytes:F1} MiB"
            for k, v in counters.WithPrefix "transfer." -> k, string v
        ]

    printfn ""
    printfn "Verification (faults off): read back every write, compare with the emulator's state"

    printfn
        "  %-11s %9s %9s %9s %9s %6s %9s %10s"
        "what"
        "attempted"
        "confirmed"
        "ambiguous"
        "emulator"
        "lost"
        "corrupted"
        "unexpected"

    for r in rows do
        printfn
            "  %-11s %9d %9d %9d %9d %6d %9d %10d"
            r.What
            r.Attempted
            r.Confirmed
            r.AmbiguousPresent
            r.InEmulator
            r.Lost
            r.Corrupted
            r.Unexpected

    printTable
        "Memory (client process, after full GC; less the soak's own records of its writes)"
        [
            "samples", string all.Length
            "the soak's records at the end (released and measured)", $"{mib recordBytes:F1} MiB"
            "working set as measured, first / last quarter", $"{mib (rawWs firstQ):F1} / {mib (rawWs lastQ):F1} MiB"
            "working set less records, first quarter (median)", $"{mib firstWs:F1} MiB"
            "working set less records, last quarter (median)", $"{mib lastWs:F1} MiB"
            "allowed",
            $"{mib allowed:F1} MiB (+{settings.MemoryGrowth * 100.0:F0} %% + {mib settings.MemorySlackBytes:F0} MiB)"
            "managed heap less records, first / last quarter", $"{mib firstHeap:F1} / {mib lastHeap:F1} MiB"
            "managed heap at the end, records released", $"{mib heapAfterRecords:F1} MiB"
            "emulator process working set", $"{mib emulatorWorkingSet:F1} MiB"
        ]

    printfn ""
    printfn "Load %.0f s, total %.0f s." loadSeconds started.Elapsed.TotalSeconds
    let found = violations.All

    if found.IsEmpty then
        printfn "SOAK PASSED: nothing lost, duplicated or corrupted; every failure typed; memory flat."
        0
    else
        printfn "SOAK FAILED: %d violation(s)" found.Length

        for v in found |> List.truncate 50 do
            printfn "  %s" v

        1
