/// The retry matrix: what is retried, how often, with which delays, and how cancellation and
/// timeouts end a call. Timers run 1000 times faster (`fastClock`), so no test sleeps.
module Taskcluster.Client.Tests.RetryTests

open System
open System.Diagnostics
open System.Net.Http
open System.Threading
open System.Threading.Tasks
open Expecto
open Taskcluster.Core
open Taskcluster.Client
open Taskcluster.Client.Tests.TestServer
open Taskcluster.Client.Tests.Fixtures

let private retryDelays (logger: CapturingLogger) =
    logger.Events
    |> List.filter (fun e -> e.EventName = "Retrying")
    |> List.map (fun e -> e.State |> List.find (fun (k, _) -> k = "Delay") |> snd |> TimeSpan.Parse)

let private nonces (server: Server) =
    server.Requests
    |> List.map (fun r ->
        match r.Header "Authorization" |> Option.map Hawk.parseHeader with
        | Some(Ok h) -> h.Nonce, h.Mac
        | other -> failtestf "no Hawk header: %A" other)

let private statusTests =
    testList
        "statuses"
        [
            for status in [ 500; 502; 503; 504 ] do
                test $"{status} then success is retried, re-signed each time" {
                    use server = start ()
                    server.Enqueue(Reply.error status "InternalServerError" "boom")
                    server.Default <- Reply.json 200 """{"ok":true}"""
                    let client = clientFor server id
                    let response = callFake client ping [] [] Payload.Empty |> expectOk "retried"
                    Expect.isTrue (response.GetProperty("ok").GetBoolean()) "the second answer"
                    Expect.equal server.Requests.Length 2 "two attempts"
                    expectAllAuthenticated server
                    let signatures = nonces server
                    Expect.equal (List.distinct signatures).Length 2 "a fresh nonce and MAC per attempt"
                }

            for status in [ 501; 505; 511 ] do
                test $"{status} says the server will never serve the request: one attempt, no retry" {
                    use server = start ()
                    server.Default <- Reply.error status "NotImplemented" "no such method here"
                    let client = clientFor server id

                    match callFake client ping [] [] Payload.Empty |> expectError "final" with
                    | TaskclusterError.ServerError e ->
                        Expect.equal e.Attempts 1 "one attempt"
                        Expect.equal e.Status status "status"
                    | other -> failtestf "unexpected %s" (other.Describe())

                    Expect.equal server.Requests.Length 1 "one request"
                }

            test "5xx on every attempt ends as ServerError after maxRetries + 1 attempts" {
                use server = start ()
                server.Default <- Reply.error 503 "InternalServerError" "down"
                let client = clientFor server (fun o -> { o with MaxRetries = 3 })

                match callFake client ping [] [] Payload.Empty |> expectError "exhausted" with
                | TaskclusterError.ServerError e ->
                    Expect.equal e.Attempts 4 "attempts"
                    Expect.equal e.Status 503 "status"
                    Expect.equal e.Code (Some "InternalServerError") "code"
                | other -> failtestf "unexpected %s" (other.Describe())

                Expect.equal server.Requests.Length 4 "4 requests"
            }

            test "the default is 5 retries" {
                use server = start ()
                server.Default <- Reply.status 500
                let client = clientFor server id

                match callFake client ping [] [] Payload.Empty |> expectError "exhausted" with
                | TaskclusterError.ServerError e -> Expect.equal e.Attempts 6 "6 attempts"
                | other -> failtestf "unexpected %s" (other.Describe())
            }

            test "no retries at all with maxRetries 0" {
                use server = start ()
                server.Default <- Reply.status 500
                let client = clientFor server (fun o -> { o with MaxRetries = 0 })
                callFake client ping [] [] Payload.Empty |> expectError "once" |> ignore
                Expect.equal server.Requests.Length 1 "one request"
            }

            for status, code in
                [
                    400, "InputError"
                    401, "AuthenticationFailed"
                    403, "InsufficientScopes"
                    404, "ResourceNotFound"
                    409, "RequestConflict"
                    410, "ResourceExpired"
                    413, "InputTooLarge"
                ] do
                test $"{status} is never retried" {
                    use server = start ()
                    server.Default <- Reply.error status code "no"
                    let client = clientFor server id
                    let e = callFake client ping [] [] Payload.Empty |> expectError "4xx"
                    Expect.equal server.Requests.Length 1 "one request"
                    Expect.equal e.Status (Some status) "status"
                    Expect.equal e.Code (Some code) "code"

                    match status, e with
                    | 401, TaskclusterError.AuthenticationFailed _
                    | 403, TaskclusterError.InsufficientScopes _
                    | _, TaskclusterError.ClientError _ -> ()
                    | _ -> failtestf "wrong case %A" e
                }

            test "429 is retried after Retry-After seconds" {
                use server = start ()
                let logger = CapturingLogger()
                server.Enqueue(Reply.withHeaders [ "Retry-After", "7" ] (Reply.status 429))
                let client = clientFor server (fun o -> { o with Logger = Some logger })
                callFake client ping [] [] Payload.Empty |> expectOk "429" |> ignore
                Expect.equal server.Requests.Length 2 "retried"
                Expect.equal (retryDelays logger) [ TimeSpan.FromSeconds 7.0 ] "waited what Retry-After said"
            }

            test "429 is retried after a Retry-After date, measured on the server's clock" {
                use server = start ()
                let logger = CapturingLogger()

                // The server's Date and Retry-After are 12 s apart, whatever our clock says.
                let date = DateTimeOffset.UtcNow.AddHours 3.0

                server.Enqueue(
                    Reply.withHeaders
                        [
                            "Date", date.ToString "R"
                            "Retry-After", (date.AddSeconds 12.0).ToString "R"
                        ]
                        (Reply.status 429)
                )

                let client = clientFor server (fun o -> { o with Logger = Some logger })
                callFake client ping [] [] Payload.Empty |> expectOk "429" |> ignore
                Expect.equal (retryDelays logger) [ TimeSpan.FromSeconds 12.0 ] "12 s"
            }

            test "a 503 with Retry-After also waits that long" {
                use server = start ()
                let logger = CapturingLogger()
                server.Enqueue(Reply.withHeaders [ "Retry-After", "3" ] (Reply.status 503))
                let client = clientFor server (fun o -> { o with Logger = Some logger })
                callFake client ping [] [] Payload.Empty |> expectOk "503" |> ignore
                Expect.equal (retryDelays logger) [ TimeSpan.FromSeconds 3.0 ] "3 s"
            }

            test "429 exhausted is a ClientError with the attempts" {
                use server = start ()
                server.Default <- Reply.withHeaders [ "Retry-After", "1" ] (Reply.status 429)
                let client = clientFor server (fun o -> { o with MaxRetries = 2 })

                match callFake client ping [] [] Payload.Empty |> expectError "429" with
                | TaskclusterError.ClientError e ->
                    Expect.equal e.Status 429 "status"
                    Expect.equal e.Attempts 3 "attempts"
                | other -> failtestf "unexpected %s" (other.Describe())
            }

            test "a Retry-After beyond 5 minutes is not waited for" {
                use server = start ()
                server.Default <- Reply.withHeaders [ "Retry-After", "3600" ] (Reply.status 429)
                let client = clientFor server id
                callFake client ping [] [] Payload.Empty |> expectError "429" |> ignore
                Expect.equal server.Requests.Length 1 "not retried"
            }

            test "delays follow the official backoff with the injected random source" {
                use server = start ()
                server.Default <- Reply.status 500
                let logger = CapturingLogger()
                let randoms = Collections.Generic.Queue [ 0.0; 0.25; 0.5; 0.75; 0.99 ]

                let client =
                    clientFor server (fun o ->
                        { o with
                            Logger = Some logger
                            Random = fun () -> randoms.Dequeue()
                        })

                callFake client ping [] [] Payload.Empty |> expectError "exhausted" |> ignore

                let expected =
                    [ 0.0; 0.25; 0.5; 0.75; 0.99 ]
                    |> List.mapi (fun i r -> Backoff.calculateSleepTime Backoff.defaults (i + 1) r)

                Expect.equal (retryDelays logger) expected "Backoff.calculateSleepTime for retries 1..5"
            }
        ]

let private transportTests =
    testList
        "transport"
        [
            test "a dropped connection is retried" {
                use server = start ()
                server.Enqueue(Reply.abort)
                let client = clientFor server id
                callFake client ping [] [] Payload.Empty |> expectOk "after a drop" |> ignore
                Expect.equal server.Requests.Length 2 "two attempts"
            }

            test "a truncated body is retried" {
                use server = start ()
                server.Enqueue(Reply.truncated)
                server.Default <- Reply.json 200 """{"whole":true}"""
                let client = clientFor server id

                let response =
                    callFake client ping [] [] Payload.Empty |> expectOk "after truncation"

                Expect.isTrue (response.GetProperty("whole").GetBoolean()) "the whole body"
            }

            test "connections dropped on every attempt end as ConnectionFailed" {
                use server = start ()
                server.Default <- Reply.abort
                let client = clientFor server (fun o -> { o with MaxRetries = 2 })

                match callFake client ping [] [] Payload.Empty |> expectError "drops" with
                | TaskclusterError.ConnectionFailed(info, _, attempts) ->
                    Expect.equal attempts 3 "attempts"
                    Expect.equal info.Url (server.Url + "/api/fake/v1/ping") "URL"
                | other -> failtestf "unexpected %s" (other.Describe())
            }

            test "a refused connection ends as ConnectionFailed" {
                let port =
                    let l = new Net.Sockets.TcpListener(Net.IPAddress.Loopback, 0)
                    l.Start()
                    let p = (l.LocalEndpoint :?> Net.IPEndPoint).Port
                    l.Stop()
                    p

                let client =
                    // A day's timeout is 86 real seconds on the fast clock: a refused connect on a
                    // loaded machine must not lose the race to the per-attempt timeout.
                    createClient
                        { Options.create $"http://127.0.0.1:{port}" with
                            MaxRetries = 1
                            TimeProvider = fastClock ()
                            Timeout = TimeSpan.FromDays 1.0
                        }

                match callFake client ping [] [] Payload.Empty |> expectError "refused" with
                | TaskclusterError.ConnectionFailed(_, _, 2) -> ()
                | other -> failtestf "unexpected %s" (other.Describe())
            }

            test "a slow attempt times out and is retried" {
                use server = start ()
                // A 3,000 s timeout runs as 3 s, room for the second, prompt reply on a loaded
                // machine; the first reply would take 30 real seconds.
                server.Enqueue(Reply.delayed (TimeSpan.FromSeconds 30.0) (Reply.json 200 "{}"))

                let client =
                    clientFor server (fun o ->
                        { o with
                            Timeout = TimeSpan.FromSeconds 3000.0
                        })

                callFake client ping [] [] Payload.Empty |> expectOk "after a timeout" |> ignore
                Expect.equal server.Requests.Length 2 "two attempts"
            }

            test "timeouts on every attempt end as Timeout" {
                use server = start ()
                server.Default <- Reply.delayed (TimeSpan.FromSeconds 5.0) (Reply.json 200 "{}")

                let client =
                    clientFor server (fun o ->
                        { o with
                            MaxRetries = 2
                            Timeout = TimeSpan.FromSeconds 300.0
                        })

                match callFake client ping [] [] Payload.Empty |> expectError "timeouts" with
                | TaskclusterError.Timeout(_, timeout, attempts) ->
                    Expect.equal timeout (TimeSpan.FromSeconds 300.0) "the configured timeout"
                    Expect.equal attempts 3 "attempts"
                | other -> failtestf "unexpected %s" (other.Describe())
            }
        ]

let private cancellationTests =
    testList
        "cancellation"
        [
            test "an already cancelled token sends nothing and throws" {
                use server = start ()
                let client = clientFor server id
                use cts = new CancellationTokenSource()
                cts.Cancel()

                let call () =
                    Client.call client fakeReference ping [] [] Payload.Empty cts.Token
                    |> run
                    |> ignore

                expectCancelled "cancelled" call
                Expect.isEmpty server.Requests "nothing sent"
            }

            test "cancelling during a slow response ends the call promptly" {
                use server = start ()
                server.Default <- Reply.delayed (TimeSpan.FromSeconds 30.0) (Reply.json 200 "{}")

                let client =
                    createClient
                        { optionsFor server with
                            TimeProvider = TimeProvider.System
                        }

                use cts = new CancellationTokenSource(TimeSpan.FromMilliseconds 200.0)
                let watch = Stopwatch.StartNew()

                let call () =
                    Client.call client fakeReference ping [] [] Payload.Empty cts.Token
                    |> run
                    |> ignore

                expectCancelled "cancelled" call
                Expect.isLessThan watch.Elapsed (TimeSpan.FromSeconds 60.0) "well before the 120 s delay"
                Expect.equal server.Requests.Length 1 "not retried"
            }

            test "cancelling during a backoff delay ends the call promptly" {
                use server = start ()
                server.Default <- Reply.withHeaders [ "Retry-After", "120" ] (Reply.status 503)
                // A real clock: the 120 s delay would really be waited for.
                let client =
                    createClient
                        { optionsFor server with
                            TimeProvider = TimeProvider.System
                        }

                use cts = new CancellationTokenSource(TimeSpan.FromMilliseconds 300.0)
                let watch = Stopwatch.StartNew()

                let call () =
                    Client.call client fakeReference ping [] [] Payload.Empty cts.Token
                    |> run
                    |> ignore

                expectCancelled "cancelled" call
                Expect.isLessThan watch.Elapsed (TimeSpan.FromSeconds 60.0) "well before the 120 s delay"
                Expect.equal server.Requests.Length 1 "one attempt, then the delay was cut short"
            }

            test "a request cancelled by a caller's HttpClient is Cancelled, not an exception" {
                use server = start ()
                server.Default <- Reply.delayed (TimeSpan.FromSeconds 30.0) (Reply.json 200 "{}")
                use http = new HttpClient()

                let client =
                    createClient
                        { optionsFor server with
                            HttpClient = Some http
                            TimeProvider = TimeProvider.System
                        }

                let call =
                    Client.call client fakeReference ping [] [] Payload.Empty CancellationToken.None

                while server.Requests.IsEmpty do
                    Thread.Sleep 10

                http.CancelPendingRequests()

                match call |> run with
                | Error(TaskclusterError.Cancelled info) -> Expect.equal info.Name "fake.ping" "name"
                | other -> failtestf "unexpected %A" other
            }

            test "a caller's HttpClient.Timeout counts as a timeout and is retried" {
                use server = start ()
                server.Enqueue(Reply.delayed (TimeSpan.FromSeconds 30.0) (Reply.json 200 "{}"))
                use http = new HttpClient(Timeout = TimeSpan.FromMilliseconds 500.0)
                let client = clientFor server (fun o -> { o with HttpClient = Some http })
                callFake client ping [] [] Payload.Empty |> expectOk "after a timeout" |> ignore
                Expect.equal server.Requests.Length 2 "retried"
            }
        ]

let tests = testList "Retries" [ statusTests; transportTests; cancellationTests ]
