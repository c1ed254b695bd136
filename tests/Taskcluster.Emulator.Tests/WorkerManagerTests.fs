/// The worker-manager service (worker pools, static workers, registration with credentials the
/// emulator's auth accepts, worker pool errors), through the generated `WorkerManager` client.
module Taskcluster.Emulator.Tests.WorkerManagerTests

open System
open System.Text.Json
open System.Text.Json.Nodes
open Expecto
open Taskcluster.Client
open Taskcluster.Services
open Taskcluster.Emulator.Tests.Harness
open Taskcluster.Emulator.Tests.Clients

/// A 44-character static secret.
let private staticSecret () = slugId () + slugId ()

let private poolBody (providerId: string) (config: JsonNode) =
    Payload.Node(
        jobj
            [
                "providerId", jstr providerId
                "description", jstr "a pool of the emulator tests"
                "config", config
                "owner", jstr "owner@example.com"
                "emailOnError", JsonValue.Create false
            ]
    )

let private workerBody (secret: string) (expires: DateTimeOffset) (capacity: int64) =
    Payload.Node(
        jobj
            [
                "expires", jstr (iso expires)
                "capacity", jint capacity
                "providerInfo", jobj [ "staticSecret", jstr secret ]
            ]
    )

let private registerBody (pool: string) (group: string) (id: string) (secret: string) =
    Payload.Node(
        jobj
            [
                "workerPoolId", jstr pool
                "providerId", jstr "static"
                "workerGroup", jstr group
                "workerId", jstr id
                "workerIdentityProof", jobj [ "staticSecret", jstr secret ]
            ]
    )

let private str (e: JsonElement) = e.GetString()

let private workerIds (answer: JsonElement) =
    items (prop "workers" answer) |> List.map (fun w -> str (prop "workerId" w))

/// A client signing with the temporary credentials in `creds` (an answer's `credentials`).
let private clientWithCertificate (emulator: Taskcluster.Emulator.EmulatorInstance) clock (creds: JsonElement) =
    match
        { Options.create emulator.RootUrl with
            MaxRetries = 0
            TimeProvider = clock
            Credentials =
                Some
                    {
                        ClientId = str (prop "clientId" creds)
                        AccessToken = str (prop "accessToken" creds)
                        Certificate = Some(CertificateSource.Text(str (prop "certificate" creds)))
                    }
        }
        |> Client.create
    with
    | Ok c -> c
    | Error e -> failtestf "cannot create a client: %A" e

let tests =
    testList
        "WorkerManager"
        [
            test "listProviders names the static and null providers, and needs its scope" {
                let emulator, _ = startWithClock DateTimeOffset.UtcNow
                use _ = emulator
                let wm = WorkerManager(rootOf emulator)
                let answer = run (wm.ListProviders()) |> ok "listProviders"

                let listed =
                    items (prop "providers" answer)
                    |> List.map (fun p -> str (prop "providerId" p), str (prop "providerType" p))

                Expect.equal listed [ "static", "static"; "null-provider", "null" ] "the providers"

                let one = run (wm.ListProviders(limit = "1")) |> ok "first page"
                Expect.equal (items (prop "providers" one)).Length 1 "one per page"
                let token = str (prop "continuationToken" one)

                let two =
                    run (wm.ListProviders(continuationToken = token, limit = "1"))
                    |> ok "second page"

                Expect.equal (str (prop "providerId" (items (prop "providers" two)).Head)) "null-provider" "the second"

                run (WorkerManager(withScopes emulator []).ListProviders())
                |> expectMissing "worker-manager:list-providers"
            }

            test "a worker pool is created, read, listed, updated and deleted (handed to the null provider)" {
                let start = DateTimeOffset(2030, 3, 4, 5, 6, 7, TimeSpan.Zero)
                let emulator, clock = startWithClock start
                use _ = emulator
                let wm = WorkerManager(rootOf emulator)

                let config () =
                    jobj [ "workerConfig", jobj [ "answer", jint 42L ] ]

                let created =
                    run (wm.CreateWorkerPool("proj/pool-a", poolBody "static" (config ())))
                    |> ok "create"

                Expect.equal (str (prop "providerId" created)) "static" "provider"
                Expect.equal ((prop "created" created).GetDateTimeOffset()) start "created now"
                Expect.equal ((prop "currentCapacity" created).GetInt32()) 0 "no workers yet"

                run (wm.CreateWorkerPool("proj/pool-a", poolBody "static" (config ())))
                |> expectError 409 "RequestConflict"
                |> ignore

                run (wm.CreateWorkerPool("proj/pool-b", poolBody "static" (jobj [])))
                |> ok "create b"
                |> ignore

                let read = run (wm.WorkerPool "proj/pool-a") |> ok "workerPool"

                Expect.equal
                    ((prop "answer" (prop "workerConfig" (prop "config" read))).GetInt32())
                    42
                    "the config as given"

                let listed = run (wm.ListWorkerPools()) |> ok "list"

                Expect.equal
                    (items (prop "workerPools" listed)
                     |> List.map (fun p -> str (prop "workerPoolId" p)))
                    [ "proj/pool-a"; "proj/pool-b" ]
                    "both pools, in order"

                clock.Advance(TimeSpan.FromMinutes 1.0)

                let updated =
                    run (wm.UpdateWorkerPool("proj/pool-a", poolBody "static" (jobj [])))
                    |> ok "update"

                Expect.equal ((prop "created" updated).GetDateTimeOffset()) start "created kept"

                Expect.equal
                    ((prop "lastModified" updated).GetDateTimeOffset())
                    (start + TimeSpan.FromMinutes 1.0)
                    "modified now"

                let deleted = run (wm.DeleteWorkerPool "proj/pool-a") |> ok "delete"
                Expect.equal (str (prop "providerId" deleted)) "null-provider" "the null provider takes it"

                run (wm.UpdateWorkerPool("proj/missing", poolBody "static" (jobj [])))
                |> expectError 404 "ResourceNotFound"
                |> ignore

                run (wm.WorkerPool "proj/missing")
                |> expectError 404 "ResourceNotFound"
                |> ignore
            }

            test "a pool with an unknown provider or a config the static provider refuses is a 400" {
                let emulator, _ = startWithClock DateTimeOffset.UtcNow
                use _ = emulator
                let wm = WorkerManager(rootOf emulator)

                let e =
                    run (wm.CreateWorkerPool("proj/p", poolBody "aws" (jobj [])))
                    |> expectError 400 "InputError"

                Expect.stringContains e.Message "aws" "names the provider"

                let e =
                    run (wm.CreateWorkerPool("proj/p", poolBody "static" (jobj [ "launchConfigs", jarr [] ])))
                    |> expectError 400 "InputValidationError"

                Expect.stringContains e.Message "launchConfigs" "names the property"

                for timeout in [ -1L; 2592001L ] do
                    let config = jobj [ "lifecycle", jobj [ "reregistrationTimeout", jint timeout ] ]

                    let e =
                        run (wm.CreateWorkerPool("proj/p", poolBody "static" config))
                        |> expectError 400 "InputValidationError"

                    Expect.stringContains e.Message "reregistrationTimeout" "names the lifecycle member"

                run (wm.WorkerPool "proj/p") |> expectError 404 "ResourceNotFound" |> ignore
            }

            test "creating a pool needs the pool's and the provider's scopes" {
                let emulator, _ = startWithClock DateTimeOffset.UtcNow
                use _ = emulator

                let wm =
                    WorkerManager(withScopes emulator [ "worker-manager:manage-worker-pool:proj/*" ])

                run (wm.CreateWorkerPool("proj/p", poolBody "static" (jobj [])))
                |> expectMissing "worker-manager:provider:static"

                run (wm.CreateWorkerPool("other/p", poolBody "static" (jobj [])))
                |> expectMissing "worker-manager:manage-worker-pool:other/p"

                run (wm.WorkerPool "proj/p")
                |> expectMissing "worker-manager:get-worker-pool:proj/p"

                run (WorkerManager(rootOf emulator).WorkerPool "proj/p")
                |> expectError 404 "ResourceNotFound"
                |> ignore
            }

            test "static workers are created, counted in their pool, listed, updated and removed" {
                let emulator, _ =
                    startWithClock (DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero))

                use _ = emulator
                let wm = WorkerManager(rootOf emulator)
                let expires = DateTimeOffset(2030, 2, 1, 0, 0, 0, TimeSpan.Zero)

                run (wm.CreateWorkerPool("proj/pool", poolBody "static" (jobj [])))
                |> ok "pool"
                |> ignore

                let secret = staticSecret ()

                let w =
                    run (wm.CreateWorker("proj/pool", "g1", "w1", workerBody secret expires 2L))
                    |> ok "create"

                Expect.equal (str (prop "state" w)) "running" "a static worker runs at once"
                Expect.equal ((prop "capacity" w).GetInt32()) 2 "capacity"

                // the same creation again answers the same worker; another secret is refused
                run (wm.CreateWorker("proj/pool", "g1", "w1", workerBody secret expires 2L))
                |> ok "again"
                |> ignore

                run (wm.CreateWorker("proj/pool", "g1", "w1", workerBody (staticSecret ()) expires 2L))
                |> expectError 400 "InputError"
                |> ignore

                run (wm.CreateWorker("proj/pool", "g2", "w2", workerBody secret expires 1L))
                |> ok "w2"
                |> ignore

                run (wm.CreateWorker("proj/none", "g1", "w1", workerBody secret expires 1L))
                |> expectError 404 "ResourceNotFound"
                |> ignore

                let past = DateTimeOffset(2029, 1, 1, 0, 0, 0, TimeSpan.Zero)

                run (wm.CreateWorker("proj/pool", "g1", "w9", workerBody secret past 1L))
                |> expectError 400 "InputError"
                |> ignore

                let pool = run (wm.WorkerPool "proj/pool") |> ok "pool"
                Expect.equal ((prop "runningCount" pool).GetInt32()) 2 "two running"
                Expect.equal ((prop "currentCapacity" pool).GetInt32()) 3 "capacity 2 + 1"

                let stats = run (wm.ListWorkerPoolsStats()) |> ok "listWorkerPoolsStats"
                let poolStats = (items (prop "workerPoolsStats" stats)).Head
                Expect.equal (str (prop "workerPoolId" poolStats)) "proj/pool" "the pool"
                Expect.equal ((prop "runningCapacity" poolStats).GetInt32()) 3 "its running capacity"

                Expect.equal
                    (workerIds (run (wm.ListWorkersForWorkerPool "proj/pool") |> ok "list"))
                    [ "w1"; "w2" ]
                    "both"

                Expect.equal
                    (workerIds (run (wm.ListWorkersForWorkerGroup("proj/pool", "g2")) |> ok "group"))
                    [ "w2" ]
                    "g2"

                let later = DateTimeOffset(2030, 3, 1, 0, 0, 0, TimeSpan.Zero)

                let u =
                    run (wm.UpdateWorker("proj/pool", "g1", "w1", workerBody secret later 5L))
                    |> ok "update"

                Expect.equal ((prop "expires" u).GetDateTimeOffset()) later "new expiry"
                Expect.equal ((prop "capacity" u).GetInt32()) 5 "new capacity"

                let t =
                    run (wm.ShouldWorkerTerminate("proj/pool", "g1", "w1")) |> ok "should terminate"

                Expect.isFalse ((prop "terminate" t).GetBoolean()) "a static worker is never told to stop"

                run (wm.RemoveWorker("proj/pool", "g1", "w1")) |> ok "remove" |> ignore

                Expect.equal
                    (str (prop "state" (run (wm.Worker("proj/pool", "g1", "w1")) |> ok "worker")))
                    "stopped"
                    "stopped"

                Expect.equal
                    (workerIds (
                        run (wm.ListWorkersForWorkerPool("proj/pool", state = "running"))
                        |> ok "running"
                    ))
                    [ "w2" ]
                    "only w2 runs"

                run (wm.RemoveWorker("proj/pool", "g1", "nobody"))
                |> expectError 404 "ResourceNotFound"
                |> ignore

                run (wm.Worker("proj/pool", "g1", "nobody"))
                |> expectError 404 "ResourceNotFound"
                |> ignore
            }

            test "a registered static worker gets credentials that claim work from the queue, and reregisters" {
                // now, on a whole millisecond (the precision of the service's dates)
                let now = DateTimeOffset.UtcNow

                let emulator, clock =
                    startWithClock (now.AddTicks(-(now.Ticks % TimeSpan.TicksPerMillisecond)))

                use _ = emulator
                let root = rootOf emulator
                let wm = WorkerManager(root)
                let pool = "wm-proj/static-pool"

                let config =
                    jobj
                        [
                            "workerConfig", jobj [ "shell", jstr "bash" ]
                            "lifecycle", jobj [ "reregistrationTimeout", jint 3600L ]
                        ]

                run (wm.CreateWorkerPool(pool, poolBody "static" config)) |> ok "pool" |> ignore
                let secret = staticSecret ()

                run (wm.CreateWorker(pool, "grp", "wkr", workerBody secret (DateTimeOffset.UtcNow.AddDays 10.0) 1L))
                |> ok "worker"
                |> ignore

                // a wrong proof gets nothing
                let bad =
                    run (wm.RegisterWorker(registerBody pool "grp" "wkr" (staticSecret ())))
                    |> expectError 400 "InputError"

                Expect.isFalse (bad.Message.Contains secret) "the secret is not echoed"

                let reg =
                    run (wm.RegisterWorker(registerBody pool "grp" "wkr" secret)) |> ok "register"

                Expect.equal (str (prop "shell" (prop "workerConfig" reg))) "bash" "the pool's workerConfig"

                Expect.equal
                    ((prop "expires" reg).GetDateTimeOffset())
                    (clock.GetUtcNow() + TimeSpan.FromHours 1.0)
                    "valid for the pool's reregistration timeout"

                let creds = prop "credentials" reg
                Expect.equal (str (prop "clientId" creds)) $"worker/static/{pool}/grp/wkr" "named for the worker"

                // the credentials work against the queue: claim a pending task of the pool
                let taskId = slugId ()
                let queue = Queue(root)

                run (queue.CreateTask(taskId, Payload.Node(taskDef pool [])))
                |> ok "createTask"
                |> ignore

                let asWorker = Queue(clientWithCertificate emulator clock creds)

                let claim =
                    run (
                        asWorker.ClaimWork(
                            pool,
                            Payload.Node(jobj [ "workerGroup", jstr "grp"; "workerId", jstr "wkr"; "tasks", jint 1L ])
                        )
                    )
                    |> ok "claimWork with the worker's credentials"

                Expect.equal
                    (items (prop "tasks" claim)
                     |> List.map (fun t -> str (prop "taskId" (prop "status" t))))
                    [ taskId ]
                    "the task is claimed"

                // but not as another worker
                run (
                    asWorker.ClaimWork(
                        pool,
                        Payload.Node(jobj [ "workerGroup", jstr "grp"; "workerId", jstr "other"; "tasks", jint 1L ])
                    )
                )
                |> expectMissing "queue:worker-id:grp/other"

                // reregistration with the secret gives new credentials and a new secret, once
                let wmAsWorker = WorkerManager(clientWithCertificate emulator clock creds)
                let first = str (prop "secret" reg)

                let rereg =
                    Payload.Node(
                        jobj
                            [
                                "workerPoolId", jstr pool
                                "workerGroup", jstr "grp"
                                "workerId", jstr "wkr"
                                "secret", jstr first
                            ]
                    )

                let again = run (wmAsWorker.ReregisterWorker rereg) |> ok "reregister"
                Expect.notEqual (str (prop "secret" again)) first "a new secret"

                Expect.equal
                    (str (prop "clientId" (prop "credentials" again)))
                    $"worker/static/{pool}/grp/wkr"
                    "same name"

                run (wmAsWorker.ReregisterWorker rereg)
                |> expectError 400 "InputError"
                |> ignore

                // the worker may ask whether to stop, but not read other pools
                run (wmAsWorker.ShouldWorkerTerminate(pool, "grp", "wkr"))
                |> ok "should terminate"
                |> ignore

                run (wmAsWorker.WorkerPool pool)
                |> expectMissing $"worker-manager:get-worker-pool:{pool}"
            }

            test "reregisterWorker needs the worker's scope" {
                let emulator, _ = startWithClock DateTimeOffset.UtcNow
                use _ = emulator

                let wm =
                    WorkerManager(withScopes emulator [ "worker-manager:reregister-worker:proj/pool/g/other" ])

                let body =
                    Payload.Node(
                        jobj
                            [
                                "workerPoolId", jstr "proj/pool"
                                "workerGroup", jstr "g"
                                "workerId", jstr "w"
                                "secret", jstr (staticSecret ())
                            ]
                    )

                run (wm.ReregisterWorker body)
                |> expectMissing "worker-manager:reregister-worker:proj/pool/g/w"
            }

            test
                "a worker's reported error is listed for its pool, newest first, counted, and emails an owner who asked once" {
                let emulator, clock =
                    startWithClock (DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero))

                use _ = emulator
                let wm = WorkerManager(rootOf emulator)

                let body =
                    jobj
                        [
                            "providerId", jstr "static"
                            "description", jstr "d"
                            "config", jobj []
                            "owner", jstr "owner@example.com"
                            "emailOnError", JsonValue.Create true
                        ]

                run (wm.CreateWorkerPool("proj/pool", Payload.Node body)) |> ok "pool" |> ignore

                let report title description =
                    Payload.Node(
                        jobj
                            [
                                "workerGroup", jstr "g"
                                "workerId", jstr "w"
                                "kind", jstr "worker-error"
                                "title", jstr title
                                "description", jstr description
                                "extra", jobj [ "n", jint 1L ]
                            ]
                    )

                let asWorker =
                    WorkerManager(withScopes emulator [ "assume:worker-pool:proj/pool"; "assume:worker-id:g/w" ])

                let first =
                    run (asWorker.ReportWorkerError("proj/pool", report "first" "it broke"))
                    |> ok "report"

                Expect.equal (str (prop "workerId" (prop "extra" first))) "w" "the worker added to extra"
                clock.Advance(TimeSpan.FromSeconds 1.0)

                // the same error again is recorded, but the owner is not emailed twice
                run (asWorker.ReportWorkerError("proj/pool", report "second" "it broke"))
                |> ok "report"
                |> ignore

                clock.Advance(TimeSpan.FromHours 2.0)

                run (asWorker.ReportWorkerError("proj/pool", report "third" "it broke again"))
                |> ok "report"
                |> ignore

                run (asWorker.ReportWorkerError("other/pool", report "x" "y"))
                |> expectMissing "assume:worker-pool:other/pool"

                let listed = run (wm.ListWorkerPoolErrors "proj/pool") |> ok "list"

                Expect.equal
                    (items (prop "workerPoolErrors" listed)
                     |> List.map (fun e -> str (prop "title" e)))
                    [ "third"; "second"; "first" ]
                    "newest first"

                let one =
                    run (wm.ListWorkerPoolErrors("proj/pool", errorId = str (prop "errorId" first)))
                    |> ok "one"

                Expect.equal (items (prop "workerPoolErrors" one)).Length 1 "by errorId"

                let mails =
                    emulator.State.Notifications
                    |> Seq.filter (fun n -> n.Kind = "email" && n.Address = "owner@example.com")
                    |> Seq.length

                Expect.equal mails 2 "one email per distinct error"

                let stats =
                    run (wm.WorkerPoolErrorStats(workerPoolId = "proj/pool"))
                    |> ok "workerPoolErrorStats"

                let totals = prop "totals" stats
                Expect.equal ((prop "total" totals).GetInt32()) 3 "three errors this week"

                let counts (name: string) =
                    [ for p in (prop name totals).EnumerateObject() -> p.Name, p.Value.GetInt32() ]

                Expect.equal (counts "title") [ "first", 1; "second", 1; "third", 1 ] "by title"
                Expect.equal (counts "code") [ "other", 3 ] "no code in extra"
                Expect.equal (counts "launchConfig") [ "unknown", 3 ] "no launch configuration"
                Expect.equal (counts "workerPool") [ "proj/pool", 3 ] "by pool"
                let daily = counts "daily"
                Expect.equal daily.Length 7 "seven days"
                Expect.equal (List.last daily) ("2030-01-01T00:00:00.000Z", 3) "all today"
                let hourly = counts "hourly"
                Expect.equal hourly.Length 24 "twenty-four hours"

                Expect.equal
                    (hourly |> List.filter (fun (_, n) -> n > 0))
                    [ "2030-01-01T00:00:00.000Z", 2; "2030-01-01T02:00:00.000Z", 1 ]
                    "by hour"

                run (
                    WorkerManager(withScopes emulator [ "worker-manager:list-worker-pool-errors:proj/pool" ])
                        .WorkerPoolErrorStats()
                )
                |> expectMissing "worker-manager:list-worker-pool-errors:*"

                run (wm.WorkerPoolErrorStats(workerPoolId = "proj/none"))
                |> expectError 404 "ResourceNotFound"
                |> ignore
            }

            test "listWorkers and getWorker show the queue's workers with worker-manager's state, capacity and provider" {
                let emulator, clock = startWithClock DateTimeOffset.UtcNow
                use _ = emulator
                let wm = WorkerManager(rootOf emulator)
                let queue = Queue(rootOf emulator)
                let poolId = newQueueId ()
                let p, wt = poolId.Split('/')[0], poolId.Split('/')[1]
                let start = clock.GetUtcNow()

                run (wm.CreateWorkerPool(poolId, poolBody "static" (jobj [])))
                |> ok "pool"
                |> ignore

                run (wm.CreateWorker(poolId, "g", "w1", workerBody (staticSecret ()) (start.AddDays 30.0) 3L))
                |> ok "create"
                |> ignore

                // only worker-manager knows it yet: the view is the queue's
                run (wm.GetWorker(p, wt, "g", "w1"))
                |> expectError 404 "ResourceNotFound"
                |> ignore

                Expect.equal (workerIds (run (wm.ListWorkers(p, wt)) |> ok "empty")) [] "nothing listed yet"

                let claim (workerId: string) =
                    let body =
                        Payload.Node(jobj [ "workerGroup", jstr "g"; "workerId", jstr workerId; "tasks", jint 1L ])

                    run (queue.ClaimWork(poolId, body))
                    |> ok "claimWork"
                    |> prop "tasks"
                    |> items
                    |> List.map (fun c -> str (prop "taskId" (prop "status" c)))

                let taskId = createTaskIn queue poolId []
                Expect.equal (claim "w1") [ taskId ] "the static worker claims the task"
                clock.Advance(TimeSpan.FromMinutes 1.0)
                Expect.equal (claim "w0") [] "a worker only the queue knows"

                let w1 = run (wm.GetWorker(p, wt, "g", "w1")) |> ok "getWorker w1"
                Expect.equal (str (prop "provisionerId" w1)) p "provisionerId"
                Expect.equal (str (prop "workerType" w1)) wt "workerType"
                Expect.equal (str (prop "workerPoolId" w1)) poolId "workerPoolId"
                Expect.equal (str (prop "state" w1)) "running" "worker-manager's state"
                Expect.equal ((prop "capacity" w1).GetInt32()) 3 "worker-manager's capacity"
                Expect.equal (str (prop "providerId" w1)) "static" "worker-manager's provider"
                Expect.equal (str (prop "firstClaim" w1)) (iso start) "first claim"
                Expect.equal (str (prop "expires" w1)) (iso (start.AddDays 1.0)) "the queue's expiry"

                Expect.equal
                    (items (prop "recentTasks" w1)
                     |> List.map (fun r -> str (prop "taskId" r), (prop "runId" r).GetInt32()))
                    [ taskId, 0 ]
                    "its runs"

                Expect.isFalse (fst (w1.TryGetProperty "quarantineUntil")) "never quarantined"
                Expect.equal (items (prop "quarantineDetails" w1)) [] "no quarantine history"

                let w0 = run (wm.GetWorker(p, wt, "g", "w0")) |> ok "getWorker w0"
                Expect.equal (str (prop "state" w0)) "standalone" "only the queue knows it"
                Expect.equal ((prop "capacity" w0).GetInt32()) 0 "capacity unknown"
                Expect.equal (str (prop "providerId" w0)) "none" "no provider"
                Expect.equal (str (prop "lastDateActive" w0)) (iso (start.AddMinutes 1.0)) "active at its claim"

                let listed = run (wm.ListWorkers(p, wt)) |> ok "listWorkers"
                Expect.equal (workerIds listed) [ "w0"; "w1" ] "both, sorted"
                let entries = items (prop "workers" listed)

                Expect.equal
                    (entries |> List.map (fun w -> str (prop "state" w), str (prop "providerId" w)))
                    [ "standalone", "none"; "running", "static" ]
                    "states and providers"

                Expect.equal (str (prop "taskId" (prop "latestTask" entries[1]))) taskId "the latest task"
                Expect.isFalse (fst (entries[0].TryGetProperty "latestTask")) "none for w0"

                let only (state: string) =
                    workerIds (run (wm.ListWorkers(p, wt, workerState = state)) |> ok state)

                Expect.equal (only "running") [ "w1" ] "running workers"
                Expect.equal (only "stopped") [] "no stopped worker"

                Expect.equal
                    (workerIds (run (wm.ListWorkers(p, wt, launchConfigId = "lc-1")) |> ok "launch config"))
                    []
                    "no worker has a launch configuration"

                let page = run (wm.ListWorkers(p, wt, limit = "1")) |> ok "page 1"
                Expect.equal (workerIds page) [ "w0" ] "one per page"

                let next =
                    run (wm.ListWorkers(p, wt, continuationToken = str (prop "continuationToken" page), limit = "1"))
                    |> ok "page 2"

                Expect.equal (workerIds next) [ "w1" ] "then the next"
                Expect.isFalse (fst (next.TryGetProperty "continuationToken")) "and no more"

                run (wm.RemoveWorker(poolId, "g", "w1")) |> ok "removeWorker" |> ignore
                Expect.equal (only "stopped") [ "w1" ] "stopped once removed"

                let limited =
                    WorkerManager(withScopes emulator [ $"worker-manager:get-worker:{p}/{wt}/g/w0" ])

                run (limited.ListWorkers(p, wt))
                |> expectMissing $"worker-manager:list-workers:{p}/{wt}"

                run (limited.GetWorker(p, wt, "g", "w1"))
                |> expectMissing $"worker-manager:get-worker:{p}/{wt}/g/w1"

                run (limited.GetWorker(p, wt, "g", "w0")) |> ok "with the scope" |> ignore
            }

            test "the queue-style view keeps a quarantined worker past its expiry and forgets an expired one" {
                let emulator, clock = startWithClock DateTimeOffset.UtcNow
                use _ = emulator
                let wm = WorkerManager(rootOf emulator)
                let queue = Queue(rootOf emulator)
                let poolId = newQueueId ()
                let p, wt = poolId.Split('/')[0], poolId.Split('/')[1]

                for id in [ "w1"; "w2" ] do
                    let body =
                        Payload.Node(jobj [ "workerGroup", jstr "g"; "workerId", jstr id; "tasks", jint 1L ])

                    run (queue.ClaimWork(poolId, body)) |> ok "claimWork" |> ignore

                let until = clock.GetUtcNow().AddDays 2.0

                run (
                    queue.QuarantineWorker(
                        p,
                        wt,
                        "g",
                        "w1",
                        Payload.Node(jobj [ "quarantineUntil", jstr (iso until); "quarantineInfo", jstr "bad disk" ])
                    )
                )
                |> ok "quarantineWorker"
                |> ignore

                let quarantined =
                    run (wm.ListWorkers(p, wt, quarantined = "true")) |> ok "quarantined"

                Expect.equal (workerIds quarantined) [ "w1" ] "only the quarantined worker"

                Expect.equal
                    (str (prop "quarantineUntil" (items (prop "workers" quarantined)).Head))
                    (iso until)
                    "until when"

                // as in the service, `false` is no filter
                Expect.equal
                    (workerIds (run (wm.ListWorkers(p, wt, quarantined = "false")) |> ok "false"))
                    [ "w1"; "w2" ]
                    "every worker"

                let w1 = run (wm.GetWorker(p, wt, "g", "w1")) |> ok "getWorker"
                Expect.equal (str (prop "quarantineUntil" w1)) (iso until) "quarantineUntil"

                Expect.equal
                    (items (prop "quarantineDetails" w1)
                     |> List.map (fun d -> str (prop "quarantineInfo" d), str (prop "clientId" d)))
                    [ "bad disk", emulator.ClientId ]
                    "the quarantine history"

                // the queue keeps a worker a day after it was last seen
                clock.Advance(TimeSpan.FromDays 1.0 + TimeSpan.FromMinutes 1.0)

                run (wm.GetWorker(p, wt, "g", "w2"))
                |> expectError 404 "ResourceNotFound"
                |> ignore

                run (wm.GetWorker(p, wt, "g", "w1")) |> ok "still quarantined" |> ignore
                Expect.equal (workerIds (run (wm.ListWorkers(p, wt)) |> ok "list")) [ "w1" ] "the quarantined one"

                clock.Advance(TimeSpan.FromDays 1.0)
                let e = run (wm.GetWorker(p, wt, "g", "w1")) |> expectError 404 "ResourceNotFound"
                Expect.stringContains e.Message "w1" "names the worker"
                Expect.equal (workerIds (run (wm.ListWorkers(p, wt)) |> ok "list")) [] "none left"
            }
        ]
