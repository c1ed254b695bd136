/// End to end against the embedded Taskcluster emulator, which authenticates and authorises as
/// the real services do: temporary credentials, authorized scopes, signed URL lifetime,
/// pagination over a real listing, and retries through programmed faults.
module Taskcluster.Client.Tests.EmulatorTests

open System
open System.Net.Http
open System.Text.Json
open System.Threading
open Expecto
open Taskcluster.Core
open Taskcluster.Client
open Taskcluster.Emulator
open Taskcluster.Client.Tests.Fixtures

let private auth = lazy (api "auth")

let private authEntry name =
    match Reference.tryFindEntry name (auth.Force()) with
    | Some e -> e
    | None -> failtestf "no auth.%s" name

let private startEmulator (configure: EmulatorOptions -> unit) =
    let options = EmulatorOptions()
    configure options
    Emulator.start options |> run

let private rootCredentials (emulator: EmulatorInstance) : Credentials =
    {
        ClientId = emulator.ClientId
        AccessToken = emulator.AccessToken
        Certificate = None
    }

let private clientOf (emulator: EmulatorInstance) (configure: ClientOptions -> ClientOptions) =
    createClient (
        configure
            { Options.create emulator.RootUrl with
                Credentials = Some(rootCredentials emulator)
                TimeProvider = fastClock ()
                Timeout = TimeSpan.FromDays 1.0
            }
    )

let private currentScopes client =
    Client.call client (auth.Force()) (authEntry "currentScopes") [] [] Payload.Empty CancellationToken.None
    |> run
    |> Result.map (fun e -> e.GetProperty("scopes").EnumerateArray() |> Seq.map _.GetString() |> Set.ofSeq)

let private temporary (emulator: EmulatorInstance) scopes name =
    Helpers.createTemporaryCredentialsFor
        TimeProvider.System
        (rootCredentials emulator)
        (TimeSpan.FromHours 1.0)
        scopes
        name
    |> Result.defaultWith (fun e -> failtest (e.Describe()))

let tests =
    testList
        "Emulator"
        [
            test "temporary credentials carry exactly their certificate's scopes" {
                use emulator = startEmulator ignore

                let t = temporary emulator [ "auth:current-scopes"; "queue:get-artifact:x/*" ] None

                let client =
                    clientOf emulator (fun o ->
                        { o with
                            Credentials = Some(Helpers.credentialsOf t)
                        })

                let scopes = currentScopes client |> expectOk "currentScopes"
                Expect.contains scopes "auth:current-scopes" "a certificate scope"
                Expect.contains scopes "queue:get-artifact:x/*" "another certificate scope"
                Expect.isFalse (scopes.Contains "*") "not the issuer's scopes"
            }

            test "named temporary credentials present their own client id" {
                use emulator = startEmulator ignore
                let t = temporary emulator [ "auth:current-scopes" ] (Some "project/temp-named")

                let client =
                    clientOf emulator (fun o ->
                        { o with
                            Credentials = Some(Helpers.credentialsOf t)
                        })

                currentScopes client |> expectOk "currentScopes" |> ignore

                Expect.exists
                    emulator.State.Requests
                    (fun r -> r.ClientId = "project/temp-named")
                    "the emulator saw the named client"
            }

            test "authorized scopes restrict a request, and must be held by the credentials" {
                use emulator = startEmulator ignore

                let restricted =
                    clientOf emulator (fun o ->
                        { o with
                            AuthorizedScopes = Some [ "auth:current-scopes" ]
                        })

                let scopes = currentScopes restricted |> expectOk "currentScopes"
                Expect.contains scopes "auth:current-scopes" "the authorized scope"
                Expect.isFalse (scopes.Contains "*") "not the root scopes"

                let t = temporary emulator [ "auth:current-scopes" ] None

                let overreaching =
                    clientOf emulator (fun o ->
                        { o with
                            Credentials = Some(Helpers.credentialsOf t)
                            AuthorizedScopes = Some [ "auth:create-client:*" ]
                        })

                match currentScopes overreaching with
                | Error(TaskclusterError.AuthenticationFailed e) ->
                    Expect.equal e.Code (Some "AuthenticationFailed") "code"
                    Expect.equal e.Attempts 1 "not retried"
                | other -> failtestf "unexpected %A" other
            }

            test "temporary credentials without a method's scope get InsufficientScopes" {
                use emulator = startEmulator ignore
                let t = temporary emulator [ "nothing:useful" ] None

                let client =
                    clientOf emulator (fun o ->
                        { o with
                            Credentials = Some(Helpers.credentialsOf t)
                        })

                match
                    Client.call
                        client
                        (auth.Force())
                        (authEntry "listClients")
                        []
                        []
                        Payload.Empty
                        CancellationToken.None
                    |> run
                with
                | Error(TaskclusterError.InsufficientScopes e as error) ->
                    Expect.equal e.Status 403 "status"
                    Expect.equal e.Code (Some "InsufficientScopes") "code"
                    Expect.equal e.MissingScopes [ "auth:list-clients" ] "the missing scope, as data"

                    Expect.stringContains
                        (error.Describe())
                        "missing the following scopes: auth:list-clients"
                        "and on the line"
                | other -> failtestf "unexpected %A" other
            }

            test "a signed URL works for its lifetime and then fails" {
                let t0 = DateTimeOffset.UtcNow
                let emulatorClock = FixedClock t0
                use emulator = startEmulator (fun o -> o.TimeProvider <- emulatorClock)

                let client =
                    clientOf emulator (fun o ->
                        { o with
                            TimeProvider = FixedClock t0
                            SignedUrlExpiration = TimeSpan.FromMinutes 15.0
                        })

                let url =
                    Client.buildSignedUrl client (auth.Force()) (authEntry "currentScopes") [] [] None
                    |> expectOk "signed"

                use http = new HttpClient()

                for elapsed, expected in
                    [
                        TimeSpan.Zero, 200
                        TimeSpan.FromMinutes 14.0, 200
                        TimeSpan.FromMinutes 15.0, 401
                        TimeSpan.FromHours 2.0, 401
                    ] do
                    emulatorClock.Now <- t0 + elapsed
                    let status = int (http.GetAsync(url).Result.StatusCode)
                    Expect.equal status expected $"after {elapsed}"
            }

            test "pagination over auth.listClients returns every client exactly once" {
                use emulator = startEmulator ignore

                for i in 1..23 do
                    emulator.State.CreateClient(
                        $"paging/client-{i:D2}",
                        "token-token-token-token-token-token-token1",
                        []
                    )

                let client = clientOf emulator id

                let clients =
                    Pages.toList
                        (Client.items
                            None
                            client
                            (auth.Force())
                            (authEntry "listClients")
                            []
                            [ "prefix", "paging/"; "limit", "4" ]
                            Payload.Empty)
                        CancellationToken.None
                    |> run
                    |> expectOk "listClients"
                    |> List.map (fun c -> c.GetProperty("clientId").GetString())

                let expected =
                    emulator.State.ClientIds
                    |> Seq.filter (fun c -> c.StartsWith "paging/")
                    |> List.ofSeq

                Expect.equal clients expected "every client, in order, once"
                Expect.equal expected.Length 23 "all 23"

                let listCalls =
                    emulator.State.Requests
                    |> Seq.filter (fun r -> r.Method = "listClients")
                    |> Seq.length

                Expect.equal listCalls 6 "ceil(23 / 4) pages"
            }

            test "tasks created through the client are listed by queue.listTaskGroup, page by page" {
                use emulator = startEmulator ignore
                let client = clientOf emulator id
                let queue = api "queue"

                let queueEntry name =
                    Reference.tryFindEntry name queue
                    |> Option.defaultWith (fun () -> failtestf "no queue.%s" name)

                let group = Helpers.slugId ()
                let now = DateTimeOffset.UtcNow
                let stable = Helpers.stableSlugId ()

                let task (i: int) =
                    Encode.object
                        [
                            "taskQueueId", Encode.string "client-tests/worker"
                            "taskGroupId", Encode.string group.Value
                            "created", Encode.string (now.ToString "yyyy-MM-ddTHH:mm:ss.fffZ")
                            "deadline", Encode.string (now.AddHours(1.0).ToString "yyyy-MM-ddTHH:mm:ss.fffZ")
                            "payload", Encode.object []
                            "metadata",
                            Encode.object
                                [
                                    "name", Encode.string $"task {i}"
                                    "description", Encode.string "made by the client tests"
                                    "owner", Encode.string "tests@example.com"
                                    "source", Encode.string "https://example.com/client-tests"
                                ]
                        ]

                for i in 1..7 do
                    Client.call
                        client
                        queue
                        (queueEntry "createTask")
                        [ (stable $"task-{i}").Value ]
                        []
                        (Payload.Json(task i))
                        CancellationToken.None
                    |> run
                    |> expectOk $"createTask {i}"
                    |> ignore

                let listed =
                    Pages.toList
                        (Client.items
                            None
                            client
                            queue
                            (queueEntry "listTaskGroup")
                            [ group.Value ]
                            [ "limit", "3" ]
                            Payload.Empty)
                        CancellationToken.None
                    |> run
                    |> expectOk "listTaskGroup"
                    |> List.map (fun t -> t.GetProperty("status").GetProperty("taskId").GetString())

                let created = [ for i in 1..7 -> (stable $"task-{i}").Value ]
                Expect.equal (List.sort listed) (List.sort created) "every task once"

                let pages =
                    emulator.State.Requests
                    |> Seq.filter (fun r -> r.Method = "listTaskGroup")
                    |> Seq.length

                Expect.equal pages 3 "ceil(7 / 3) pages"
            }

            test "programmed 5xx faults are retried to success" {
                use emulator = startEmulator ignore
                emulator.Faults.FailNext("auth", "currentScopes", 503, 2)
                let client = clientOf emulator id
                currentScopes client |> expectOk "after two 503s" |> ignore

                let calls =
                    emulator.State.Requests
                    |> Seq.filter (fun r -> r.Method = "currentScopes")
                    |> List.ofSeq

                Expect.equal (calls |> List.map _.Status) [ 503; 503; 200 ] "two failures, then success"
            }

            test "a dropped connection is retried, exhausted 5xx are reported" {
                use emulator = startEmulator ignore
                emulator.Faults.DropNext("auth", "currentScopes", 1)
                let client = clientOf emulator (fun o -> { o with MaxRetries = 2 })
                currentScopes client |> expectOk "after a drop" |> ignore

                emulator.Faults.FailNext("auth", "currentScopes", 500, 3)

                match currentScopes client with
                | Error(TaskclusterError.ServerError e) -> Expect.equal e.Attempts 3 "attempts"
                | other -> failtestf "unexpected %A" other
            }
        ]
