module Taskcluster.Client.Tests.SignedUrlTests

open System
open System.Net.Http
open Expecto
open Taskcluster.Core
open Taskcluster.Client
open Taskcluster.Client.Tests.TestServer
open Taskcluster.Client.Tests.Fixtures

let private t0 = DateTimeOffset(2026, 11, 27, 12, 0, 0, TimeSpan.Zero)

/// Fetches a URL without credentials, as a browser would, and returns the status.
let private fetch (url: string) =
    use http = new HttpClient()
    int (http.GetAsync(url).Result.StatusCode)

let tests =
    testList
        "SignedUrls"
        [
            test "buildUrl is the unsigned URL" {
                use server = start ()
                let client = clientFor server id

                let url =
                    Client.buildUrl client fakeReference getThing [ "a b"; "c" ] [ "verbose", "1" ]
                    |> expectOk "buildUrl"

                Expect.equal url (server.Url + "/api/fake/v1/thing/a%20b/c?verbose=1") "URL"
            }

            test "a signed URL works for its lifetime and then fails" {
                use server = start ()
                let clientClock = FixedClock t0
                let serverClock = FixedClock t0
                server.Clock <- serverClock

                let client =
                    clientFor server (fun o ->
                        { o with
                            TimeProvider = clientClock
                            SignedUrlExpiration = TimeSpan.FromMinutes 15.0
                        })

                let url =
                    Client.buildSignedUrl client fakeReference getThing [ "a"; "b" ] [ "verbose", "1" ] None
                    |> expectOk "signed"

                Expect.stringContains url "bewit=" "has a bewit"

                for elapsed, expected in
                    [
                        TimeSpan.Zero, 200
                        TimeSpan.FromMinutes 14.0, 200
                        TimeSpan.FromSeconds 899.0, 200
                        TimeSpan.FromSeconds 900.0, 401
                        TimeSpan.FromHours 1.0, 401
                    ] do
                    serverClock.Now <- t0 + elapsed
                    Expect.equal (fetch url) expected $"after {elapsed}"

                for r in server.Requests do
                    Expect.equal r.Path "/api/fake/v1/thing/a/b" "path"
                    Expect.equal (r.Query.TryFind "verbose") (Some "1") "query kept"

                match server.Requests.Head.Auth with
                | Auth.Authenticated(id, _) -> Expect.equal id clientId "the client's bewit"
                | other -> failtestf "unexpected %A" other
            }

            test "the lifetime can be given per URL, and the clock offset counts" {
                use server = start ()
                let serverClock = FixedClock t0
                server.Clock <- serverClock

                let client =
                    clientFor server (fun o ->
                        { o with
                            TimeProvider = FixedClock(t0.AddMinutes -30.0)
                            ClockOffset = TimeSpan.FromMinutes 30.0
                        })

                let url =
                    Client.buildSignedUrl client fakeReference ping [] [] (Some(TimeSpan.FromSeconds 10.0))
                    |> expectOk "signed"

                serverClock.Now <- t0.AddSeconds 9.0
                Expect.equal (fetch url) 200 "valid"
                serverClock.Now <- t0.AddSeconds 10.0
                Expect.equal (fetch url) 401 "expired"
            }

            test "a signed URL carries the ext of temporary credentials" {
                use server = start ()
                server.Clients[clientId] <- accessToken

                let temporary =
                    Helpers.createTemporaryCredentialsFor
                        TimeProvider.System
                        credentials
                        (TimeSpan.FromHours 1.0)
                        [ "scope:x" ]
                        (Some "temp-name")
                    |> Result.defaultWith (fun e -> failtest (e.Describe()))

                let client =
                    createClient
                        { Options.create server.Url with
                            Credentials = Some(Helpers.credentialsOf temporary)
                        }

                let url =
                    Client.buildSignedUrl client fakeReference ping [] [] None |> expectOk "signed"

                Expect.equal (fetch url) 200 "accepted"

                match server.Requests.Head.Auth with
                | Auth.Authenticated(id, ext) ->
                    Expect.equal id "temp-name" "the named temporary client"
                    Expect.equal ext.Certificate (Some temporary.Certificate) "certificate in the bewit"
                | other -> failtestf "unexpected %A" other
            }

            test "refused: methods other than GET, no credentials, a lifetime that is not positive" {
                use server = start ()
                let client = clientFor server id

                match Client.buildSignedUrl client fakeReference deleteThing [ "t" ] [] None with
                | Error(TaskclusterError.InvalidRequest(_, RequestError.NotGet "DELETE")) -> ()
                | other -> failtestf "unexpected %A" other

                match Client.buildSignedUrl client fakeReference ping [] [] (Some TimeSpan.Zero) with
                | Error(TaskclusterError.InvalidRequest(_, RequestError.InvalidExpiration _)) -> ()
                | other -> failtestf "unexpected %A" other

                let anonymous = createClient (Options.create server.Url)

                match Client.buildSignedUrl anonymous fakeReference ping [] [] None with
                | Error(TaskclusterError.InvalidRequest(_, RequestError.NoCredentials)) -> ()
                | other -> failtestf "unexpected %A" other
            }
        ]
