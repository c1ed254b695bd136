/// Clock skew: a stale-timestamp 401 makes the client measure the offset from the response's
/// `Date`, re-sign and retry once, and keep the offset.
module Taskcluster.Client.Tests.ClockSkewTests

open System
open Expecto
open Taskcluster.Client
open Taskcluster.Client.Tests.TestServer
open Taskcluster.Client.Tests.Fixtures

let private skewed (server: Server) (offset: TimeSpan) (logger: CapturingLogger) =
    clientFor server (fun o ->
        { o with
            TimeProvider = TestClock(offset, 1000.0)
            Logger = Some logger
        })

let private near (expected: TimeSpan) (actual: TimeSpan) what =
    // The Date header has whole seconds.
    Expect.isLessThan ((actual - expected).Duration()) (TimeSpan.FromSeconds 3.0) what

let private received status (body: string) (date: DateTimeOffset option) : Received =
    {
        Status = status
        ReasonPhrase = ""
        Body = Text.Encoding.UTF8.GetBytes body
        Date = date
        ReceivedAt = DateTimeOffset.UtcNow
        RetryAfter = None
        Location = None
        RequestId = None
    }

let tests =
    testList
        "ClockSkew"
        [
            for offset in
                [
                    TimeSpan.FromMinutes -20.0
                    TimeSpan.FromMinutes 20.0
                    TimeSpan.FromHours -7.0
                ] do
                test $"a clock {offset} off is corrected after one stale-timestamp rejection" {
                    use server = start ()
                    let logger = CapturingLogger()
                    let client = skewed server offset logger
                    callFake client ping [] [] Payload.Empty |> expectOk "corrected" |> ignore

                    match server.Requests with
                    | [ first; second ] ->
                        Expect.equal first.Auth (Auth.Rejected "Unauthorized: Stale timestamp") "first refused"
                        Expect.isTrue second.Auth.IsAuthenticated "second accepted"
                    | rs -> failtestf "expected 2 requests, got %d" rs.Length

                    near -offset client.ClockOffset "the measured offset"
                    near -offset (Client.clockOffset client) "exposed"
                    near -offset client.Options.ClockOffset "and in the options"

                    Expect.exists logger.Events (fun e -> e.EventName = "ClockSkew") "the correction is logged"

                    // Later calls are signed with the offset from the start.
                    callFake client ping [] [] Payload.Empty |> expectOk "later" |> ignore
                    Expect.equal server.Requests.Length 3 "one more request"
                    Expect.isTrue (List.last server.Requests).Auth.IsAuthenticated "accepted at once"
                }

            test "a server Date beyond MaxClockOffset is not adopted: a ClockSkew error names both times" {
                use server = start ()
                server.Enforce <- false
                let year2100 = DateTimeOffset(2100, 1, 1, 0, 0, 0, TimeSpan.Zero)

                server.Enqueue(
                    Reply.error 401 "AuthenticationFailed" "Unauthorized: Stale timestamp"
                    |> Reply.withHeaders [ "Date", "Fri, 01 Jan 2100 00:00:00 GMT" ]
                )

                let logger = CapturingLogger()
                let client = skewed server TimeSpan.Zero logger

                match callFake client ping [] [] Payload.Empty |> expectError "skew" with
                | TaskclusterError.ClockSkew(request, clientTime, serverTime, limit) as error ->
                    Expect.equal request.Name "fake.ping" "the call"
                    Expect.equal serverTime year2100 "the server's Date"
                    near TimeSpan.Zero (clientTime - DateTimeOffset.UtcNow) "our clock"
                    Expect.equal limit (TimeSpan.FromHours 24.0) "the default bound"
                    let text = error.Describe()
                    Expect.stringContains text "2100-01-01T00:00:00Z" "the server's time, ISO"
                    Expect.stringContains text (clientTime.UtcDateTime.ToString "yyyy-MM-dd'T'HH:mm") "our time, ISO"
                | other -> failtestf "expected ClockSkew, got %s" (other.Describe())

                Expect.equal server.Requests.Length 1 "nothing re-signed for 2100"
                Expect.equal client.ClockOffset TimeSpan.Zero "the offset is unchanged"

                Expect.isFalse
                    (logger.Events |> List.exists (fun e -> e.EventName = "ClockSkew"))
                    "no correction logged"

                // Later calls and signed URLs still use our own clock.
                callFake client ping [] [] Payload.Empty |> expectOk "later" |> ignore
            }

            test "MaxClockOffset is an option: a larger bound adopts a larger offset" {
                use server = start ()

                let client =
                    clientFor server (fun o ->
                        { o with
                            TimeProvider = TestClock(TimeSpan.FromDays -3.0, 1000.0)
                            MaxClockOffset = TimeSpan.FromDays 4.0
                        })

                callFake client ping [] [] Payload.Empty |> expectOk "corrected" |> ignore
                near (TimeSpan.FromDays 3.0) client.ClockOffset "adopted"

                let strict =
                    clientFor server (fun o ->
                        { o with
                            TimeProvider = TestClock(TimeSpan.FromDays -3.0, 1000.0)
                        })

                match callFake strict ping [] [] Payload.Empty with
                | Error(TaskclusterError.ClockSkew _) -> ()
                | other -> failtestf "expected ClockSkew with the default bound, got %A" other
            }

            test "the correction is tried once: a server that still refuses gives AuthenticationFailed" {
                use server = start ()
                // The server checks against a clock an hour ahead but sends the real Date.
                server.Clock <- TestClock(TimeSpan.FromHours 1.0, 1.0)
                let client = skewed server TimeSpan.Zero (CapturingLogger())

                match callFake client ping [] [] Payload.Empty |> expectError "stale" with
                | TaskclusterError.AuthenticationFailed e ->
                    Expect.stringContains e.Message "Stale timestamp" "message"
                    Expect.equal e.Attempts 2 "two attempts"
                | other -> failtestf "unexpected %s" (other.Describe())

                Expect.equal server.Requests.Length 2 "one retry"
            }

            test "another 401 is not retried and leaves the offset alone" {
                use server = start ()

                let client =
                    clientFor server (fun o -> o |> Options.withCredentials clientId "wrong")

                callFake client ping [] [] Payload.Empty |> expectError "bad mac" |> ignore
                Expect.equal server.Requests.Length 1 "no retry"
                Expect.equal client.ClockOffset TimeSpan.Zero "no offset"
            }

            test "a configured offset is used from the first request" {
                use server = start ()

                let client =
                    clientFor server (fun o ->
                        { o with
                            TimeProvider = TestClock(TimeSpan.FromMinutes -30.0, 1000.0)
                            ClockOffset = TimeSpan.FromMinutes 30.0
                        })

                callFake client ping [] [] Payload.Empty |> expectOk "offset" |> ignore
                Expect.equal server.Requests.Length 1 "accepted at once"
            }

            test "withOptions keeps the measured offset" {
                use server = start ()
                let client = skewed server (TimeSpan.FromMinutes 20.0) (CapturingLogger())
                callFake client ping [] [] Payload.Empty |> expectOk "corrected" |> ignore

                let other =
                    Client.withOptions (fun o -> { o with TraceId = Some "t" }) client
                    |> Result.defaultWith (fun e -> failtest (e.Describe()))

                Expect.equal other.ClockOffset client.ClockOffset "kept"
                callFake other ping [] [] Payload.Empty |> expectOk "with the offset" |> ignore
                Expect.equal server.Requests.Length 3 "accepted at once"
            }

            test "only a 401 saying 'Stale timestamp' with a Date header triggers the correction" {
                let date = Some DateTimeOffset.UtcNow

                let stale =
                    """{"code":"AuthenticationFailed","message":"Unauthorized: Stale timestamp\n\n---"}"""

                Expect.isSome (Transport.staleTimestampServerTime (received 401 stale date)) "stale"
                Expect.isNone (Transport.staleTimestampServerTime (received 401 stale None)) "no Date"
                Expect.isNone (Transport.staleTimestampServerTime (received 403 stale date)) "not a 401"

                Expect.isNone
                    (Transport.staleTimestampServerTime (
                        received 401 """{"code":"AuthenticationFailed","message":"Unauthorized: Bad mac"}""" date
                    ))
                    "another message"

                Expect.isNone (Transport.staleTimestampServerTime (received 401 "Stale timestamp" date)) "not JSON"
            }
        ]
