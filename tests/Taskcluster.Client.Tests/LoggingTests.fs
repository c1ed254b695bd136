/// Everything the client logs, at every level, through a whole session of calls that exercise
/// every path (temporary credentials, authorized scopes, retries, clock correction, errors,
/// redirects to pre-signed URLs, signed URLs): no secret may appear in any of it.
module Taskcluster.Client.Tests.LoggingTests

open System
open System.Threading
open Expecto
open Microsoft.Extensions.Logging
open Taskcluster.Core
open Taskcluster.Client
open Taskcluster.Client.Tests.TestServer
open Taskcluster.Client.Tests.Fixtures

let tests =
    testList
        "Logging"
        [
            test "no token, signature, Authorization header, certificate or bewit in any log line" {
                use server = start ()
                server.Clients[clientId] <- accessToken
                let logger = CapturingLogger()

                let temporary =
                    Helpers.createTemporaryCredentialsFor
                        TimeProvider.System
                        credentials
                        (TimeSpan.FromHours 1.0)
                        [ "scope:a" ]
                        None
                    |> Result.defaultWith (fun e -> failtest (e.Describe()))

                let client =
                    createClient
                        { Options.create server.Url with
                            Credentials = Some(Helpers.credentialsOf temporary)
                            AuthorizedScopes = Some [ "scope:a" ]
                            Logger = Some logger
                            TimeProvider = TestClock(TimeSpan.FromMinutes -20.0, 1000.0)
                            // 30 s at 1000 times the speed is 30 real ms: too little on a busy
                            // machine, and this test is not about timeouts.
                            Timeout = TimeSpan.FromDays 1.0
                            MaxRetries = 2
                        }

                // Clock correction, a retried 500, a dropped connection, then success.
                server.Enqueue(Reply.error 500 "InternalServerError" "boom", Reply.abort)
                callFake client ping [] [] Payload.Empty |> expectOk "ping" |> ignore
                // A payload, and an error that echoes it.
                server.Enqueue(Reply.error 400 "InputError" "bad input")

                callFake client createThing [ "t" ] [] (Payload.Text """{"x":1}""")
                |> expectError "400"
                |> ignore
                // A redirect to a pre-signed URL.
                server.Enqueue(Reply.redirect 303 "https://bucket.example.com/o?X-Amz-Signature=PRESIGNEDsecret")
                callFake client ping [] [] Payload.Empty |> expectError "redirect" |> ignore
                // Exhausted retries and a signed URL.
                server.Default <- Reply.status 503
                callFake client ping [] [] Payload.Empty |> expectError "503" |> ignore

                let signed =
                    Client.buildSignedUrl client fakeReference ping [] [] None
                    |> expectOk "signed URL"

                let bewit = signed.Substring(signed.IndexOf "bewit=" + 6)

                let macs =
                    server.Requests
                    |> List.choose (fun r -> r.Header "Authorization")
                    |> List.map (fun h ->
                        match Hawk.parseHeader h with
                        | Ok parsed -> parsed
                        | Error e -> failtest (e.Describe()))

                Expect.isGreaterThan macs.Length 5 "several signed requests"

                let secrets =
                    [
                        "access token", accessToken
                        "temporary access token", temporary.AccessToken
                        "certificate signature", temporary.Certificate.Signature
                        "certificate seed", temporary.Certificate.Seed
                        "bewit", bewit
                        "pre-signed query", "PRESIGNEDsecret"
                        "Hawk scheme", "Hawk id="
                    ]
                    @ [ for h in macs -> "MAC", h.Mac ]
                    @ [
                        for h in macs do
                            match h.Ext with
                            | Some ext -> "ext", ext
                            | None -> ()
                    ]

                let events = logger.Events
                Expect.isGreaterThan events.Length 10 "the session was logged"

                for e in [ "Sending"; "Retrying"; "ClockSkew"; "Failed"; "SignedUrl"; "Succeeded" ] do
                    Expect.exists events (fun x -> x.EventName = e) $"logged {e}"

                for event in events do
                    for what, secret in secrets do
                        if event.AllText.Contains(secret: string) then
                            failtestf "the %s appears in a %A log line: %s" what event.Level event.AllText
            }
        ]
