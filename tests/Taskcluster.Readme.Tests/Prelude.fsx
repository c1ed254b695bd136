// Loaded before the F# blocks of README.md by the README test (not part of any project): the
// values the blocks use without defining them, against the emulator named by TASKCLUSTER_ROOT_URL.
// The test puts it in a module of its own, opened for every block.

open System
open System.IO
open System.Threading
open Taskcluster.Core
open Taskcluster.Client
open Taskcluster.Models

let private orFail describe result =
    match result with
    | Ok value -> value
    | Error e -> failwith (describe e)

let ct = CancellationToken.None
let client = Client.fromEnvironment () |> orFail (fun e -> e.Describe())
let clientId = Environment.GetEnvironmentVariable "TASKCLUSTER_CLIENT_ID"
let accessToken = Environment.GetEnvironmentVariable "TASKCLUSTER_ACCESS_TOKEN"
let taskId = Environment.GetEnvironmentVariable "README_TASK_ID"
let groupId = Environment.GetEnvironmentVariable "README_TASK_GROUP_ID"
let taskGroupId = groupId
let expires = DateTimeOffset.UtcNow.AddDays 1.0

let private metadata =
    TaskMetadata.Create(
        description = "A task of the README's examples.",
        name = "readme",
        owner = "readme@example.com",
        source = "https://example.com/readme"
    )

/// A create-task request in the README's task group.
let request =
    CreateTaskRequest.Create(
        DateTimeOffset.UtcNow,
        DateTimeOffset.UtcNow.AddHours 1.0,
        metadata,
        Json.Object [ "image", Json.String "ubuntu:24.04"; "maxRunTime", Json.Number 600.0 ],
        expires = DateTimeOffset.UtcNow.AddDays 1.0,
        schedulerId = "-",
        taskGroupId = groupId,
        taskQueueId = "proj-readme/worker"
    )

let queue = Taskcluster.Services.Queue client

/// The same task as a plain object, for `Payload.ofObj`.
let definition =
    {|
        taskQueueId = "proj-readme/worker"
        schedulerId = "-"
        taskGroupId = groupId
        created = DateTimeOffset.UtcNow
        deadline = DateTimeOffset.UtcNow.AddHours 1.0
        expires = DateTimeOffset.UtcNow.AddDays 1.0
        payload =
            {|
                image = "ubuntu:24.04"
                maxRunTime = 600
            |}
        metadata =
            {|
                name = "readme"
                description = "A task of the README's examples."
                owner = "readme@example.com"
                source = "https://example.com/readme"
            |}
    |}

let build = request
let test = request

// The files the transfer examples upload.
File.WriteAllBytes("file.bin", Array.init 10_000 byte)

// A Pulse connection for the blocks that are only compiled (nothing connects to it).
let connection =
    Taskcluster.Pulse.PulseConnection.parseUrl "amqp://guest:guest@127.0.0.1:5672/"
    |> orFail (fun e -> e.Describe())

// The core's examples: values a program would have at hand.
let now = DateTimeOffset.UtcNow.ToUnixTimeSeconds()
let nowMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()
let startMs = nowMs
let expiryMs = nowMs + 3_600_000L
let seed = "kGPFCI7dTPiJ0axH4QmGxgfN1SbArXTPSVFNUvaOlinQ"
let randomBytes = Array.init 16 byte
let guid = Guid "9063c508-8edd-4cf8-89d1-ac47e10986c6"

let text =
    """{"status": {"taskId": "fN1SbArXTPSVFNUvaOlinQ", "provisionerId": "p", "workerType": "w", "taskQueueId": "p/w", "schedulerId": "-", "projectId": "none", "taskGroupId": "fN1SbArXTPSVFNUvaOlinQ", "deadline": "2026-11-29T15:00:00.000Z", "expires": "2027-11-29T15:00:00.000Z", "retriesLeft": 5, "state": "completed", "runs": []}}"""

let tenThousandScopes = List.init 10_000 (sprintf "queue:get-artifact:proj-%d/*")
let a = [ "queue:create-task:*" ]
let b = [ "queue:create-task:highest:*"; "secrets:get:x" ]
let expression = ScopeExpression.AnyOf [ ScopeExpression.Scope "secrets:get:x" ]
let clientScopes = [ "assume:repo:github.com/acme/app" ]

let listRolesJson =
    """[{"roleId": "repo:github.com/acme/*", "scopes": ["secrets:get:acme/*"], "description": "", "created": "2026-01-01T00:00:00.000Z", "lastModified": "2026-01-01T00:00:00.000Z", "expandedScopes": []}]"""

let entryScopesJson = """{"AllOf": ["queue:get-task:<taskId>"]}"""
let parameters = Map [ "taskId", Json.String "fN1SbArXTPSVFNUvaOlinQ" ]

let headerValue =
    Hawk.credentials "project/ci/builder" accessToken
    |> Result.bind (fun c ->
        Hawk.header c "GET" "https://tc.example.com/api/queue/v1/task/fN1SbArXTPSVFNUvaOlinQ" now "k3j4h2" None None)
    |> orFail (fun e -> e.Describe())

let referencesJson =
    File.ReadAllText(Environment.GetEnvironmentVariable "README_REFERENCES_JSON")

let attempt = 3
let random = 0.5
