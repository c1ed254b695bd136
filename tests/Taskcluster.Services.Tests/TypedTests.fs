/// The typed forms of the generated service methods (`Queue(client).Typed`, ...): typed requests
/// are sent as their models encode them, responses come back as models, and a response of another
/// shape is `InvalidResponse` naming the JSON path.
module Taskcluster.Services.Tests.TypedTests

open System
open System.Net
open System.Net.Http
open System.Text
open System.Threading.Tasks
open Expecto
open Taskcluster.Core
open Taskcluster.Client
open Taskcluster.Emulator
open Taskcluster.Models
open Taskcluster.Services
open Taskcluster.Services.Tests.Support

/// Answers every request with the same JSON body.
type private Canned(status: HttpStatusCode, body: string) =
    inherit HttpMessageHandler()

    override _.SendAsync(_, _) =
        Task.FromResult(
            new HttpResponseMessage(status, Content = new StringContent(body, Encoding.UTF8, "application/json"))
        )

let private emulatorClient =
    lazy
        (let emulator = run (Emulator.start (EmulatorOptions()))

         Options.create emulator.RootUrl
         |> Options.withCredentials emulator.ClientId emulator.AccessToken
         |> Client.create
         |> unwrap "creating the client")

let private cannedClient (body: string) =
    { Options.create "https://tc.example.com" with
        MaxRetries = 0
        HttpMessageHandler = Some(new Canned(HttpStatusCode.OK, body) :> HttpMessageHandler)
    }
    |> Client.create
    |> unwrap "creating the client"

let private request (taskId: string) (name: string) =
    let now = DateTimeOffset.UtcNow
    let at (d: DateTimeOffset) = ModelCodec.encodeDateTime d

    Json.Object
        [
            "taskQueueId", Json.String "proj-test/worker"
            "schedulerId", Json.String "-"
            "taskGroupId", Json.String taskId
            "created", at now
            "deadline", at (now.AddHours 1.0)
            "expires", at (now.AddDays 1.0)
            "payload", Json.Object [ "env", Json.Object [ "MOZ_BUILD_DATE", Json.String "1" ] ]
            "metadata",
            Json.Object
                [
                    "name", Json.String name
                    "description", Json.String "typed"
                    "owner", Json.String "tests@example.com"
                    "source", Json.String "https://example.com/typed"
                ]
        ]
    |> Encode.toString
    |> Decode.fromString CreateTaskRequest.Decode
    |> unwrap "decoding the request"

let tests =
    testList
        "Typed methods"
        [
            test "a task created through the typed form reads back as models" {
                let queue = Queue(emulatorClient.Force())
                let taskId = (Helpers.slugId ()).Value

                let created =
                    run (queue.Typed.CreateTask(taskId, request taskId "typed"))
                    |> unwrap "createTask"

                Expect.equal created.Status.TaskId taskId "the status names the task"
                Expect.equal created.Status.State TaskStatusState.Pending "a new task without dependencies is pending"

                let definition = run (queue.Typed.Task taskId) |> unwrap "task"
                Expect.equal definition.Metadata.Name "typed" "metadata"

                Expect.equal
                    definition.Payload
                    (Json.Object [ "env", Json.Object [ "MOZ_BUILD_DATE", Json.String "1" ] ])
                    "the payload as sent, names unchanged"

                let status = run (queue.Typed.Status taskId) |> unwrap "status"
                Expect.equal status.Status.Runs.Length 1 "one run"
            }

            test "a response that does not fit its model is InvalidResponse naming the path" {
                let queue = Queue(cannedClient """{"status":{"taskId":5}}""")

                match run (queue.Typed.Status "fN1SbArXTPSVFNUvaOlinQ") with
                | Error(TaskclusterError.InvalidResponse(_, 200, e)) ->
                    Expect.stringStarts e.Path "$.status" (e.Describe())
                | other -> failtestf "expected InvalidResponse, got %A" other
            }

            test "a method without a response schema answers unit; its typed request round-trips" {
                let secrets = Secrets(emulatorClient.Force())
                let name = $"project/typed/{(Helpers.slugId ()).Value}"
                let expires = DateTimeOffset.UtcNow.AddDays(1.0)
                // Taskcluster keeps milliseconds.
                let expires = expires.AddTicks(-(expires.Ticks % TimeSpan.TicksPerMillisecond))

                let secret =
                    Secret.Create(expires, Json.Object [ "URL", Json.String "x"; "RUST_LOG", Json.String "debug" ])

                Expect.equal (run (secrets.Typed.Set(name, secret))) (Ok()) "set answers unit"
                let back = run (secrets.Typed.Get name) |> unwrap "get"
                Expect.equal back.Secret secret.Secret "the secret, names unchanged"
                Expect.equal back.Expires expires "the expiry"
            }
        ]
