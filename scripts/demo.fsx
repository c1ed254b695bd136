// The main job: a short tour of Taskcluster.Functional against a deployment.
// `dotnet fsi build.fsx demo` starts the embedded emulator and runs this with its root
// credentials; with TASKCLUSTER_ROOT_URL set (and TASKCLUSTER_DEMO_EMULATOR unset) it runs only
// the read-only steps against that deployment. Exits non-zero when a step fails. When
// TASKCLUSTER_DEMO_PULSE_URL names a broker the emulator publishes to, the demo waits for its
// last task over Pulse; without it, by polling the queue.
//
// The same lines work in a notebook: build once (`dotnet fsi build.fsx build`), then `#r` these.
#r "../src/Taskcluster.Services/bin/Release/net10.0/FsToolkit.ErrorHandling.dll"
#r "../src/Taskcluster.Services/bin/Release/net10.0/Polly.Core.dll"
#r "../src/Taskcluster.Services/bin/Release/net10.0/Microsoft.Extensions.Logging.Abstractions.dll"
#r "../src/Taskcluster.Services/bin/Release/net10.0/Taskcluster.Core.dll"
#r "../src/Taskcluster.Services/bin/Release/net10.0/Taskcluster.Client.dll"
#r "../src/Taskcluster.Services/bin/Release/net10.0/Taskcluster.Models.dll"
#r "../src/Taskcluster.Services/bin/Release/net10.0/Taskcluster.Services.dll"
#r "../src/Taskcluster.Transfers/bin/Release/net10.0/Taskcluster.Transfers.dll"
// A library's output folder holds no packages: the emulator's holds the same RabbitMQ.Client.
#r "../src/Taskcluster.Emulator/bin/Release/net10.0/RabbitMQ.Client.dll"
#r "../src/Taskcluster.Pulse/bin/Release/net10.0/Taskcluster.Pulse.dll"

open System
open System.IO
open System.Net.Http
open System.Text.Json
open System.Threading.Tasks
open Taskcluster.Core
open Taskcluster.Client
open Taskcluster.Services

// RabbitMQ.Client (for the Pulse step) needs System.Threading.RateLimiting, which ships with
// ASP.NET Core's shared framework (the emulator runs on it) but not with the base framework a
// script runs on: load it from there, the same version of .NET first.
Runtime.Loader.AssemblyLoadContext.Default.add_Resolving (fun context name ->
    if name.Name = "System.Threading.RateLimiting" then
        let core = Path.GetDirectoryName(typeof<obj>.Assembly.Location)

        let aspnet =
            Path.GetFullPath(Path.Combine(core, "..", "..", "Microsoft.AspNetCore.App"))

        let candidates =
            if Directory.Exists aspnet then
                Directory.GetDirectories aspnet
                |> Array.sortByDescending (fun d -> Path.GetFileName d = Path.GetFileName core, d)
                |> Array.map (fun d -> Path.Combine(d, "System.Threading.RateLimiting.dll"))
                |> Array.filter File.Exists
            else
                [||]

        if candidates.Length > 0 then
            context.LoadFromAssemblyPath candidates[0]
        else
            null
    else
        null)

let onEmulator =
    Environment.GetEnvironmentVariable "TASKCLUSTER_DEMO_EMULATOR" = "1"

let mutable failures = 0

/// Runs one step, printing a line for it; a failure is counted and the demo goes on.
let step (title: string) (work: unit -> Task<Result<string, string>>) =
    let outcome =
        try
            work().GetAwaiter().GetResult()
        with e ->
            Error $"{e.GetType().Name}: {e.Message}"

    match outcome with
    | Ok detail -> printfn "  ok   %-44s %s" title detail
    | Error reason ->
        failures <- failures + 1
        printfn "  FAIL %-44s %s" title reason

let describe (r: Result<'T, TaskclusterError>) =
    r |> Result.mapError (fun e -> e.Describe())

let str (el: JsonElement) (name: string) = el.GetProperty(name).GetString()

let client =
    match Client.create (Options.fromEnvironment ()) with
    | Ok c -> c
    | Error e ->
        eprintfn "cannot configure the client: %s" (e.Describe())
        exit 2

printfn
    "Taskcluster.Functional demo against %s (%s)"
    client.RootUrl.Value
    (if onEmulator then "embedded emulator" else "read-only")

let queue = Queue client
let auth = Auth client

step "queue.ping" (fun () ->
    task {
        let! r = queue.Ping()
        return describe r |> Result.map (fun _ -> "the queue answers")
    })

step "auth.currentScopes" (fun () ->
    task {
        let! r = auth.CurrentScopes()

        return
            describe r
            |> Result.map (fun el -> $"""{el.GetProperty("scopes").GetArrayLength()} scope(s) held""")
    })

step "buildUrl" (fun () -> task { return queue.BuildUrl("task", [ "fN1SbArXTPSVFNUvaOlinQ" ]) |> describe })

if onEmulator then
    let root =
        match (Options.fromEnvironment ()).Credentials with
        | Some c -> c
        | None -> failwith "the emulator demo needs the root credentials"

    let taskQueueId = "proj-demo/worker"
    let taskGroupId = (Helpers.slugId ()).Value
    let taskIds = List.init 3 (fun _ -> (Helpers.slugId ()).Value)

    // 1. Temporary credentials that can only create and list this group's tasks.
    let temporary =
        Helpers.createTemporaryCredentialsFor
            TimeProvider.System
            root
            (TimeSpan.FromHours 1.0)
            [
                $"queue:create-task:lowest:{taskQueueId}"
                "queue:scheduler-id:-"
                "queue:create-task:project:none"
                $"queue:list-task-group:{taskGroupId}"
            ]
            None

    let temporaryQueue =
        match temporary with
        | Ok t ->
            printfn "  ok   %-44s %s" "createTemporaryCredentials" "valid for 1 hour, 4 scopes"

            match
                Client.withOptions
                    (fun o ->
                        { o with
                            Credentials = Some(Helpers.credentialsOf t)
                        })
                    client
            with
            | Ok c -> Queue c
            | Error e -> failwith (e.Describe())
        | Error e -> failwith (e.Describe())

    let now = DateTimeOffset.UtcNow

    let definition (i: int) =
        Encode.object
            [
                "taskQueueId", Encode.string taskQueueId
                "schedulerId", Encode.string "-"
                "taskGroupId", Encode.string taskGroupId
                "created", Encode.string (FromNow.format now)
                "deadline", Encode.string (FromNow.fromNowJSON "1 day" now |> Result.defaultValue "")
                "payload", Encode.object [ ("command", Encode.strings [ "echo"; $"hello {i}" ]) ]
                "metadata",
                Encode.object
                    [
                        "name", Encode.string $"demo task {i}"
                        "description", Encode.string "created by the Taskcluster.Functional demo"
                        "owner", Encode.string "demo@example.com"
                        "source", Encode.string "https://example.com/taskcluster-functional/demo"
                    ]
            ]

    // 2. Create three tasks with the temporary credentials.
    for i, taskId in List.indexed taskIds do
        step $"queue.createTask #{i + 1}" (fun () ->
            task {
                let! r = temporaryQueue.CreateTask(taskId, Payload.Json(definition i))

                return
                    describe r
                    |> Result.map (fun el -> $"""{taskId} is {str (el.GetProperty "status") "state"}""")
            })

    // 3. Page through the group, one task per page.
    step "queue.listTaskGroup (pages of 1)" (fun () ->
        task {
            let! all =
                Pages.toList
                    (temporaryQueue.ListTaskGroupItems(taskGroupId, limit = "1"))
                    Threading.CancellationToken.None

            return
                describe all
                |> Result.map (fun tasks -> $"{tasks.Length} tasks found by following continuationToken")
        })

    // 4. Claim one and complete it (the root client acts as the worker).
    step "queue.claimWork + reportCompleted" (fun () ->
        task {
            let request =
                Encode.object
                    [
                        "workerGroup", Encode.string "demo"
                        "workerId", Encode.string "worker-1"
                        "tasks", Encode.int 1
                    ]

            let! claimed = queue.ClaimWork(taskQueueId, Payload.Json request)

            match describe claimed with
            | Error e -> return Error e
            | Ok el when el.GetProperty("tasks").GetArrayLength() = 0 -> return Error "no pending task to claim"
            | Ok el ->
                let claim = el.GetProperty("tasks")[0]
                let taskId = str (claim.GetProperty "status") "taskId"
                let! done' = queue.ReportCompleted(taskId, string (claim.GetProperty("runId").GetInt32()))

                return
                    describe done'
                    |> Result.map (fun el -> $"""{taskId} is {str (el.GetProperty "status") "state"}""")
        })

    // 5. An artifact: claim the next task, upload through the object service, read it back.
    step "artifact upload + download" (fun () ->
        task {
            let request =
                Encode.object
                    [
                        "workerGroup", Encode.string "demo"
                        "workerId", Encode.string "worker-1"
                        "tasks", Encode.int 1
                    ]

            let! claimed = queue.ClaimWork(taskQueueId, Payload.Json request)

            match describe claimed with
            | Error e -> return Error e
            | Ok el when el.GetProperty("tasks").GetArrayLength() = 0 -> return Error "no pending task to claim"
            | Ok el ->
                let claim = el.GetProperty("tasks")[0]
                let taskId = str (claim.GetProperty "status") "taskId"
                let runId = claim.GetProperty("runId").GetInt32()
                let artifacts = QueueApi.ofService (Queue client)
                let content = Text.Encoding.UTF8.GetBytes "hello from Taskcluster.Functional\n"
                let expires = now.AddDays 1.0

                let upload =
                    { Artifact.uploadRequest taskId runId "public/demo/hello.txt" expires with
                        ContentType = "text/plain"
                    }

                let! uploaded =
                    Artifact.uploadFromBuf
                        artifacts
                        Transfer.defaults
                        upload
                        (ReadOnlyMemory content)
                        Threading.CancellationToken.None

                match uploaded with
                | Error e -> return Error(e.Describe())
                | Ok _ ->
                    let! downloaded =
                        Artifact.downloadToBuf
                            artifacts
                            Transfer.defaults
                            taskId
                            None
                            "public/demo/hello.txt"
                            Threading.CancellationToken.None

                    match downloaded with
                    | Error e -> return Error(e.Describe())
                    | Ok(bytes, info) when bytes = content ->
                        return Ok $"{bytes.Length} bytes, {info.ContentType}, hashes verified ({taskId})"
                    | Ok(bytes, _) -> return Error $"downloaded {bytes.Length} bytes that differ from the upload"
        })

    // 6. A secret.
    let secrets = Secrets client
    let secretName = "project/demo/greeting"

    step "secrets.set + secrets.get" (fun () ->
        task {
            let secret =
                Encode.object
                    [
                        "secret", Encode.object [ ("greeting", Encode.string "hello") ]
                        "expires", Encode.string (FromNow.fromNowJSON "1 hour" now |> Result.defaultValue "")
                    ]

            let! set = secrets.Set(secretName, Payload.Json secret)

            match describe set with
            | Error e -> return Error e
            | Ok _ ->
                let! got = secrets.Get secretName

                return
                    describe got
                    |> Result.map (fun el -> $"""greeting = {str (el.GetProperty "secret") "greeting"}""")
        })

    // 7. Index a task and find it again.
    let index = Index client
    let ns = "project.demo.latest"

    step "index.insertTask + index.findTask" (fun () ->
        task {
            let entry =
                Encode.object
                    [
                        "taskId", Encode.string taskIds[0]
                        "rank", Encode.int 1
                        "data", Encode.object []
                        "expires", Encode.string (FromNow.fromNowJSON "1 day" now |> Result.defaultValue "")
                    ]

            let! inserted = index.InsertTask(ns, Payload.Json entry)

            match describe inserted with
            | Error e -> return Error e
            | Ok _ ->
                let! found = index.FindTask ns
                return describe found |> Result.map (fun el -> $"""{ns} -> {str el "taskId"}""")
        })

    // 8. A signed URL (bewit) for the secret, fetched with a plain HttpClient.
    step "buildSignedUrl + plain GET" (fun () ->
        task {
            match
                secrets.BuildSignedUrl("get", [ secretName ], expiration = TimeSpan.FromMinutes 5.0)
                |> describe
            with
            | Error e -> return Error e
            | Ok url ->
                use http = new HttpClient()
                let! response = http.GetAsync url

                return
                    if response.IsSuccessStatusCode then
                        Ok $"HTTP {int response.StatusCode} without an Authorization header"
                    else
                        Error $"HTTP {int response.StatusCode}"
        })

    // 9. Wait for a task to resolve: over Pulse when the emulator publishes to a broker, else by
    // polling. The subscription is in place before the task's state is read, so completing the
    // task at any moment after the wait starts is never missed.
    step "Wait.forTask" (fun () ->
        task {
            let pulse =
                match Environment.GetEnvironmentVariable "TASKCLUSTER_DEMO_PULSE_URL" with
                | null
                | "" -> None
                | url -> Some url

            let listening =
                TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)

            let! options =
                match pulse with
                | None ->
                    listening.SetResult()

                    Task.FromResult(
                        Ok
                            { Taskcluster.Pulse.Wait.defaults with
                                PollInterval = TimeSpan.FromMilliseconds 100.0
                                MaxPollInterval = TimeSpan.FromSeconds 1.0
                            }
                    )
                | Some url ->
                    match Taskcluster.Pulse.PulseConnection.parseUrl url with
                    | Error e -> Task.FromResult(Error(e.Describe()))
                    | Ok connection ->
                        Task.FromResult(
                            Ok
                                { Taskcluster.Pulse.Wait.overPulse connection with
                                    OnListening = fun _ -> listening.TrySetResult() |> ignore
                                }
                        )

            let request =
                Encode.object
                    [
                        "workerGroup", Encode.string "demo"
                        "workerId", Encode.string "worker-1"
                        "tasks", Encode.int 1
                    ]

            let! claimed = queue.ClaimWork(taskQueueId, Payload.Json request)

            match options, describe claimed with
            | Error e, _
            | _, Error e -> return Error e
            | _, Ok el when el.GetProperty("tasks").GetArrayLength() = 0 -> return Error "no pending task to claim"
            | Ok options, Ok el ->
                let claim = el.GetProperty("tasks")[0]
                let taskId = str (claim.GetProperty "status") "taskId"

                let waiting =
                    Taskcluster.Pulse.Wait.forTask
                        queue
                        { options with
                            Timeout = TimeSpan.FromMinutes 5.0
                        }
                        taskId
                        Threading.CancellationToken.None

                // Complete the task once the wait listens (at once when polling).
                let! _ = Task.WhenAny(listening.Task, waiting :> Task)
                let! completed = queue.ReportCompleted(taskId, string (claim.GetProperty("runId").GetInt32()))

                match describe completed with
                | Error e -> return Error e
                | Ok _ ->
                    let! outcome = waiting

                    let how =
                        if pulse.IsSome then
                            "over Pulse"
                        else
                            "by polling the queue"

                    return
                        match outcome with
                        | Ok(Taskcluster.Pulse.TaskOutcome.Completed runId) ->
                            Ok $"{taskId} run {runId} completed, seen {how}"
                        | Ok other -> Error $"{taskId} resolved as {other}, not completed"
                        | Error e -> Error(e.Describe())
        })

printfn
    "%s"
    (if failures = 0 then
         "demo finished: every step passed"
     else
         $"demo finished: {failures} step(s) failed")

exit (if failures = 0 then 0 else 1)
