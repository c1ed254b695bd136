/// `ModelCredentials`: the credential models the services answer with become credentials in one
/// step, and the emulator (which checks temporary credentials as auth does) accepts them.
module Taskcluster.Services.Tests.ModelCredentialsTests

open System
open Expecto
open Taskcluster.Core
open Taskcluster.Client
open Taskcluster.Models
open Taskcluster.Emulator
open Taskcluster.Services
open Taskcluster.Services.Tests.Support

let private emulator = lazy (run (Emulator.start (EmulatorOptions())))

let private clientAs (credentials: Credentials) =
    { Options.create emulator.Value.RootUrl with
        Credentials = Some credentials
    }
    |> Client.create
    |> unwrap "creating the client"

let private root () =
    clientAs
        {
            Credentials.ClientId = emulator.Value.ClientId
            AccessToken = emulator.Value.AccessToken
            Certificate = None
        }

let private createTask (queue: Queue) (taskId: string) (taskQueueId: string) =
    let now = DateTimeOffset.UtcNow

    let request =
        CreateTaskRequest.Create(
            created = now,
            deadline = now.AddHours 1.0,
            expires = now.AddDays 1.0,
            metadata =
                TaskMetadata.Create(
                    description = "A task claimed by the F# credential-model tests.",
                    name = "claimed",
                    owner = "tests@example.com",
                    source = "https://example.com/taskcluster-functional/tests"
                ),
            payload = Json.Object [],
            taskQueueId = taskQueueId,
            schedulerId = "-",
            taskGroupId = taskId
        )

    run (queue.Typed.CreateTask(taskId, request))

let tests =
    testList
        "ModelCredentials"
        [
            test "a claim's credentials reclaim the task, and the reclaim's report it" {
                let queue = Queue(root ())
                let taskId = (Helpers.slugId ()).Value

                let taskQueueId =
                    "proj-test/fs-creds-"
                    + (Helpers.slugId ()).Value.Substring(0, 6).ToLowerInvariant().Replace('_', 'x').Replace('-', 'x')

                createTask queue taskId taskQueueId |> unwrap "createTask" |> ignore

                let claim =
                    run (queue.Typed.ClaimWork(taskQueueId, ClaimWorkRequest.Create(1L, "g", "w")))
                    |> unwrap "claimWork"

                let item = Expect.wantSome (List.tryExactlyOne claim.Tasks) "one task claimed"

                let claimed =
                    ModelCredentials.ofClaim item.Credentials |> unwrap "the claim's credentials"

                Expect.equal claimed.ClientId item.Credentials.ClientId "the client id"
                Expect.equal claimed.AccessToken item.Credentials.AccessToken "the access token"

                Expect.equal
                    claimed.Certificate
                    (Some(CertificateSource.Text item.Credentials.Certificate))
                    "the certificate as sent"

                let asWorker = Queue(clientAs claimed)
                let reclaim = run (asWorker.Typed.ReclaimTask(taskId, 0)) |> unwrap "reclaimTask"

                let reclaimed =
                    ModelCredentials.ofClaim reclaim.Credentials
                    |> unwrap "the reclaim's credentials"

                let completed =
                    run (Queue(clientAs reclaimed).Typed.ReportCompleted(taskId, 0))
                    |> unwrap "reportCompleted"

                Expect.equal completed.Status.State TaskStatusState.Completed "reported with the reclaim's credentials"

                // They hold the claim's scopes, not the root's.
                let other = (Helpers.slugId ()).Value

                match createTask asWorker other taskQueueId with
                | Error(TaskclusterError.InsufficientScopes _) -> ()
                | unexpected -> failtestf "expected InsufficientScopes, got %A" unexpected
            }

            test "a new client's credentials sign its calls" {
                let auth = Auth(root ())

                let clientId =
                    "tests/fs-model-credentials-"
                    + (Helpers.slugId ()).Value.Substring(0, 6).ToLowerInvariant().Replace('_', 'x').Replace('-', 'x')

                let created =
                    run (
                        auth.Typed.CreateClient(
                            clientId,
                            CreateClientRequest.Create(
                                description = "made by the F# credential-model tests",
                                expires = DateTimeOffset.UtcNow.AddDays 1.0,
                                scopes = [ "auth:current-scopes" ]
                            )
                        )
                    )
                    |> unwrap "createClient"

                let credentials = ModelCredentials.ofClient created
                Expect.isNone credentials.Certificate "permanent credentials"

                let scopes =
                    run (Auth(clientAs credentials).Typed.CurrentScopes()) |> unwrap "currentScopes"

                Expect.contains scopes.Scopes "auth:current-scopes" "the new client's own scopes"
            }

            test "an unreadable certificate is an error, an absent one makes permanent credentials" {
                match ModelCredentials.ofClaim (TaskCredentials.Create("very-secret-token", "not json", "worker")) with
                | Error(CertificateError.InvalidJson _) -> ()
                | other -> failtestf "expected InvalidJson, got %A" other

                let permanent =
                    ModelCredentials.ofWorker (RegisterWorkerResponseCredentials.Create("very-secret-token", "worker"))
                    |> unwrap "worker credentials"

                Expect.isNone permanent.Certificate "no certificate"
                Expect.isFalse (permanent.ToString().Contains "very-secret-token") "the token is not shown"
            }
        ]
