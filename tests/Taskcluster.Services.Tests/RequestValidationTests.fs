/// Validation before submit: request bodies are checked against their method's schema (and a
/// task's payload against its worker's payload schema) before any request is made.
module Taskcluster.Services.Tests.RequestValidationTests

open System
open System.Text.Json
open Expecto
open Taskcluster.Core
open Taskcluster.Client
open Taskcluster.Emulator
open Taskcluster.Models
open Taskcluster.Services
open Taskcluster.Services.Tests.Support

let private emulator = lazy (run (Emulator.start (EmulatorOptions())))

let private clientWith (update: ClientOptions -> ClientOptions) =
    let e = emulator.Force()

    Options.create e.RootUrl
    |> Options.withCredentials e.ClientId e.AccessToken
    |> update
    |> Client.create
    |> unwrap "creating the client"

/// How many requests the emulator has answered whose path holds `fragment` (a fresh task id or
/// name, so that tests running beside each other do not count one another's requests).
let private requestsFor (fragment: string) =
    emulator.Force().State.Requests
    |> Seq.filter (fun r -> r.Path.Contains(fragment, StringComparison.Ordinal))
    |> Seq.length

let private at (d: DateTimeOffset) = ModelCodec.encodeDateTime d

/// A createTask body; `change` edits its members (replace, add, or drop with `None`).
let private taskJson (taskId: string) (payload: Json) (change: (string * Json option) list) =
    let now = DateTimeOffset.UtcNow

    let members =
        [
            "taskQueueId", Json.String "proj-test/worker"
            "schedulerId", Json.String "-"
            "taskGroupId", Json.String taskId
            "created", at now
            "deadline", at (now.AddHours 1.0)
            "expires", at (now.AddDays 1.0)
            "payload", payload
            "metadata",
            Json.Object
                [
                    "name", Json.String "validation"
                    "description", Json.String "validation before submit"
                    "owner", Json.String "tests@example.com"
                    "source", Json.String "https://example.com/validation"
                ]
        ]

    let changed =
        change
        |> List.fold
            (fun ms (name, value) ->
                let kept = ms |> List.filter (fun (n, _) -> n <> name)

                match value with
                | Some v -> kept @ [ name, v ]
                | None -> kept)
            members

    Json.Object changed

let private dockerPayload =
    Json.Object
        [
            "image", Json.String "ubuntu:24.04"
            "command", Json.Array [ Json.String "true" ]
            "maxRunTime", Json.Integer 600L
        ]

let private violationsOf (result: Result<'T, TaskclusterError>) =
    match result with
    | Error(TaskclusterError.InvalidRequest(name, RequestError.SchemaViolations(schemaId, violations))) ->
        name, schemaId, violations
    | Error e -> failtestf "expected schema violations, got %s" (e.Describe())
    | Ok _ -> failtest "expected schema violations, the call succeeded"

let private has (path: string) (keyword: string) (violations: SchemaViolation list) =
    Expect.isTrue
        (violations |> List.exists (fun v -> v.Path = path && v.Keyword = keyword))
        $"a {keyword} violation at {path} among: {violations}"

let tests =
    testList
        "Validation before submit"
        [
            test "an invalid createTask fails before the network, naming each path and rule" {
                let queue = Queue(clientWith id)
                let taskId = (Helpers.slugId ()).Value

                let body =
                    taskJson
                        taskId
                        dockerPayload
                        [
                            "metadata", None
                            "priority", Some(Json.String "urgent")
                            "routes", Some(Json.Array [ Json.String "ok"; Json.Integer 5L ])
                        ]

                let result = run (queue.CreateTask(taskId, Payload.Json body))
                let name, schemaId, violations = violationsOf result

                Expect.equal (requestsFor taskId) 0 "no request reached the emulator"
                Expect.equal name "queue.createTask" "the method"
                Expect.equal schemaId "/schemas/queue/v1/create-task-request.json#" "the input schema"
                has "$" "required" violations
                has "$.priority" "enum" violations
                has "$.routes[1]" "type" violations

                Expect.isTrue
                    (violations
                     |> List.exists (fun v ->
                         v.SchemaLocation.StartsWith "/schemas/queue/v1/"
                         && v.SchemaLocation.Contains "#"))
                    $"schema locations name the schema and the rule: {violations}"

                match result with
                | Error e ->
                    Expect.stringContains (e.Describe()) "$.priority" "the description names the path"
                    Expect.isNone e.Status "no status: nothing was sent"
                | Ok _ -> ()
            }

            test "a valid createTask is sent and answered" {
                let queue = Queue(clientWith id)
                let taskId = (Helpers.slugId ()).Value

                let result =
                    run (queue.CreateTask(taskId, Payload.Json(taskJson taskId dockerPayload [])))

                Expect.isOk result "the valid task is created"
                Expect.equal (requestsFor taskId) 1 "one request was made"
            }

            test "with ValidateRequests off the invalid body is sent, and the service refuses it" {
                let queue = Queue(clientWith (fun o -> { o with ValidateRequests = false }))
                let taskId = (Helpers.slugId ()).Value

                let result =
                    run (queue.CreateTask(taskId, Payload.Json(taskJson taskId dockerPayload [ "metadata", None ])))

                Expect.equal (requestsFor taskId) 1 "the request was made"

                match result with
                | Error(TaskclusterError.ClientError e) -> Expect.equal e.Status 400 "the emulator refused the body"
                | other -> failtestf "expected the service's 400, got %A" other
            }

            test "the typed form is checked too: a model with a bad string format or pattern is not sent" {
                let queue = Queue(clientWith id)
                let taskId = (Helpers.slugId ()).Value

                let model =
                    taskJson taskId dockerPayload [ "taskGroupId", Some(Json.String "not a slug!") ]
                    |> Encode.toString
                    |> Decode.fromString CreateTaskRequest.Decode
                    |> unwrap "decoding the request"

                let _, _, violations = violationsOf (run (queue.Typed.CreateTask(taskId, model)))
                Expect.equal (requestsFor taskId) 0 "no request reached the emulator"
                has "$.taskGroupId" "pattern" violations
            }

            test "the generic Call by method name is checked too" {
                let queue = Queue(clientWith id)
                let taskId = (Helpers.slugId ()).Value

                let result =
                    run (queue.Call("createTask", [ taskId ], Payload.Text """{"payload": {}}"""))

                let _, _, violations = violationsOf result
                Expect.equal (requestsFor taskId) 0 "no request reached the emulator"
                has "$" "required" violations
            }

            test "a docker-worker payload is checked against its schema when the worker is named" {
                let queue = Queue(clientWith id)
                let taskId = (Helpers.slugId ()).Value

                let bad =
                    Json.Object
                        [
                            "image", Json.Integer 5L
                            "maxRunTime", Json.String "an hour"
                            "env", Json.Object [ "RUST_LOG", Json.Integer 1L ]
                        ]

                let body = Payload.Json(taskJson taskId bad [])

                let name, schemaId, violations =
                    violationsOf (run (queue.CreateTaskFor(WorkerPayload.DockerWorker, taskId, body)))

                Expect.equal (requestsFor taskId) 0 "no request reached the emulator"
                Expect.equal name "queue.createTask" "the method"
                Expect.equal schemaId "/schemas/docker-worker/v1/payload.json#" "the worker's payload schema"
                has "$.payload.maxRunTime" "type" violations
                has "$.payload.env.RUST_LOG" "type" violations

                Expect.isTrue
                    (violations |> List.exists (fun v -> v.Path = "$.payload.image"))
                    $"the image is named: {violations}"

                // Without naming the worker, the queue's own schema accepts any payload object.
                let plain = run (queue.CreateTask(taskId, body))
                Expect.isOk plain "the queue's schema does not constrain the payload"
            }

            test "a valid docker-worker payload is sent, typed or JSON" {
                let queue = Queue(clientWith id)
                let taskId = (Helpers.slugId ()).Value
                let json = taskJson taskId dockerPayload []

                Expect.isOk
                    (run (queue.CreateTaskFor(WorkerPayload.DockerWorker, taskId, Payload.Json json)))
                    "the JSON form is created"

                let other = (Helpers.slugId ()).Value

                let model =
                    Decode.fromString CreateTaskRequest.Decode (Encode.toString (taskJson other dockerPayload []))
                    |> unwrap "decoding"

                Expect.isOk
                    (run (queue.Typed.CreateTaskFor(WorkerPayload.DockerWorker, other, model)))
                    "the typed form is created"
            }

            test "a generic-worker payload is checked against the multiuser schema" {
                let queue = Queue(clientWith id)
                let taskId = (Helpers.slugId ()).Value

                let bad =
                    Json.Object [ "command", Json.String "echo hi"; "maxRunTime", Json.Integer -1L ]

                let _, schemaId, violations =
                    violationsOf (
                        run (
                            queue.CreateTaskFor(
                                WorkerPayload.GenericWorkerMultiuserPosix,
                                taskId,
                                Payload.Json(taskJson taskId bad [])
                            )
                        )
                    )

                Expect.equal (requestsFor taskId) 0 "no request reached the emulator"
                Expect.equal schemaId "/schemas/generic-worker/multiuser_posix.json#" "the worker's payload schema"

                Expect.isTrue
                    (violations |> List.exists (fun v -> v.Path = "$.payload.command"))
                    $"the command is named: {violations}"

                let good =
                    Json.Object
                        [
                            "command", Json.Array [ Json.Array [ Json.String "echo"; Json.String "hi" ] ]
                            "maxRunTime", Json.Integer 60L
                        ]

                Expect.isEmpty
                    (RequestSchemas.validateTaskPayload
                        WorkerPayload.GenericWorkerMultiuserPosix
                        (JsonSerializer.Deserialize<JsonElement>(Encode.toString (taskJson taskId good []))))
                    "a valid generic-worker payload has no violations"
            }

            test "a refused body's values never appear in the error, only its paths" {
                let secrets = Secrets(clientWith id)
                let token = "s3cr3t-" + Guid.NewGuid().ToString "N"

                let body =
                    Json.Object
                        [
                            "secret", Json.Object [ "token", Json.String token ]
                            "expires", Json.String token
                        ]

                let result = run (secrets.Set("validation/secret", Payload.Json body))
                let _, _, violations = violationsOf result
                has "$.expires" "format" violations

                match result with
                | Error e ->
                    Expect.isFalse ((e.Describe()).Contains token) "the description holds no value of the body"
                    Expect.isFalse ((sprintf "%A" e).Contains token) "nor does %A"
                | Ok _ -> ()
            }

            test "every bundled schema id the references name for an input is known to the validator" {
                for reference in references.Force().Apis do
                    for entry in reference.Entries do
                        match entry.Input with
                        | Some schemaId ->
                            Expect.isSome
                                (RequestSchemas.validate schemaId (JsonSerializer.Deserialize<JsonElement> "{}"))
                                $"{reference.ServiceName}.{entry.Name}: {schemaId}"
                        | None -> ()
            }

            test "threads validating at once get the answers one thread gets" {
                let createTask = "/schemas/queue/v1/create-task-request.json#"
                let taskId = (Helpers.slugId ()).Value

                let element (json: Json) =
                    JsonSerializer.Deserialize<JsonElement>(Encode.toUtf8 json)

                let bodies =
                    [|
                        createTask, element (taskJson taskId dockerPayload [])
                        createTask, element (taskJson taskId dockerPayload [ "created", Some(Json.String "yesterday") ])
                        createTask,
                        element (taskJson taskId dockerPayload [ "metadata", None; "extra", Some(Json.Integer 1L) ])
                        WorkerPayload.DockerWorker.SchemaId, element dockerPayload
                        WorkerPayload.DockerWorker.SchemaId,
                        element (Json.Object [ "image", Json.Integer 3L; "maxRunTime", Json.String "long" ])
                        "/schemas/secrets/v1/secret.json#", JsonSerializer.Deserialize<JsonElement> """{"secret": 1}"""
                    |]

                let expected =
                    bodies |> Array.map (fun (id, body) -> RequestSchemas.validate id body)

                Expect.isTrue (expected |> Array.exists (fun r -> r = Some [])) "some bodies are valid"

                Expect.isTrue
                    (expected |> Array.filter (fun r -> r <> Some []) |> Array.length >= 3)
                    "and some are refused"

                let rounds = 400

                let answers =
                    Array.Parallel.init (rounds * bodies.Length) (fun i ->
                        let k = i % bodies.Length
                        let id, body = bodies[k]
                        k, RequestSchemas.validate id body)

                for k, answer in answers do
                    Expect.equal answer expected[k] $"body {k}, on any thread"
            }

            test "a member named like an index stays a member in the path" {
                let violations =
                    RequestSchemas.validateTaskPayload
                        WorkerPayload.DockerWorker
                        (JsonSerializer.Deserialize<JsonElement>
                            """{"payload": {"image": "x", "maxRunTime": 1, "env": {"0": 1, "a-b": 2}}}""")

                has "$.payload.env['0']" "type" violations
                has "$.payload.env['a-b']" "type" violations
            }

            test "the validator stays with a client whose options change" {
                let client = RequestSchemas.attach (clientWith id)
                Expect.isTrue (Client.hasSchemaValidator client) "attached"

                let changed =
                    Client.withOptions (fun o -> { o with MaxRetries = 1 }) client
                    |> unwrap "changing the options"

                Expect.isTrue (Client.hasSchemaValidator changed) "still attached"
                Expect.isFalse (Client.hasSchemaValidator (clientWith id)) "a fresh client has none of its own"
            }
        ]
