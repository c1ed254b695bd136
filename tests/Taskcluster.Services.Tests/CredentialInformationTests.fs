/// `CredentialInformation.get` against a fake auth service: which requests it sends (and with
/// which credentials), and how it combines the answers.
module Taskcluster.Services.Tests.CredentialInformationTests

open System
open System.Collections.Concurrent
open System.Net
open System.Net.Http
open System.Text
open System.Threading
open System.Threading.Tasks
open Expecto
open Taskcluster.Client
open Taskcluster.Services
open Taskcluster.Services.Tests.Support

/// Answers `auth.client` with `client` (or a 403 to anonymous requests when `anonymousRefused`)
/// and `auth.currentScopes` with `scopes`; records each request's path and whether it was signed.
type private FakeAuth(client: string, scopes: string, anonymousRefused: bool) =
    inherit HttpMessageHandler()

    member val Seen = ConcurrentQueue<string * bool>()

    override this.SendAsync(request, _) =
        let path = request.RequestUri.AbsolutePath
        let signed = not (isNull request.Headers.Authorization)
        this.Seen.Enqueue((path, signed))

        let status, body =
            if path.Contains "/clients/" && anonymousRefused && not signed then
                HttpStatusCode.Forbidden,
                """{"code": "InsufficientScopes", "message": "no", "requestInfo": {}, "details": {"required": ["auth:get-client:issuer"]}}"""
            elif path.Contains "/clients/" then
                HttpStatusCode.OK, client
            else
                HttpStatusCode.OK, scopes

        Task.FromResult(
            new HttpResponseMessage(status, Content = new StringContent(body, Encoding.UTF8, "application/json"))
        )

let private clientJson (expires: string) (disabled: bool) =
    $$"""{"clientId": "issuer", "created": "2030-01-01T00:00:00.000Z", "deleteOnExpiration": false, "description": "",
         "disabled": {{(if disabled then "true" else "false")}}, "expandedScopes": [], "expires": "{{expires}}",
         "lastDateUsed": "2030-01-01T00:00:00.000Z", "lastModified": "2030-01-01T00:00:00.000Z",
         "lastRotated": "2030-01-01T00:00:00.000Z", "scopes": []}"""

let private start = DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero)

let private clientWith (handler: HttpMessageHandler) (credentials: Credentials option) =
    { Options.create "https://tc.example.com" with
        MaxRetries = 0
        Credentials = credentials
        HttpMessageHandler = Some handler
    }
    |> Client.create
    |> unwrap "creating the client"

let private permanent =
    {
        ClientId = "issuer"
        AccessToken = "issuer-token"
        Certificate = None
    }

let private temporary =
    Helpers.createTemporaryCredentials permanent start (start.AddHours 1.0) [ "a:b" ] None
    |> unwrap "creating temporary credentials"
    |> Helpers.credentialsOf

let tests =
    testList
        "CredentialInformation"
        [
            test "temporary credentials: the certificate's dates, the earlier expiry, the granted scopes" {
                let handler =
                    new FakeAuth(clientJson "2030-06-01T00:00:00.000Z" false, """{"scopes": ["a:b"]}""", false)

                let info =
                    CredentialInformation.get (clientWith handler (Some temporary)) CancellationToken.None
                    |> run
                    |> unwrap "credentialInformation"

                Expect.equal info.Type CredentialType.Temporary "temporary"
                Expect.equal info.Start (Some start) "the certificate's start"
                Expect.equal info.Expiry (start.AddHours 1.0) "the certificate expires before its client"
                Expect.equal info.Scopes [ "a:b" ] "the granted scopes"
                Expect.isTrue info.Active "an enabled client"
                // The client lookup went out anonymously, the scope lookup signed.
                Expect.containsAll
                    (handler.Seen |> Seq.toList)
                    [
                        ("/api/auth/v1/clients/issuer", false)
                        ("/api/auth/v1/scopes/current", true)
                    ]
                    "requests"
            }

            test "a disabled client expiring first: inactive, the client's expiry" {
                let handler =
                    new FakeAuth(clientJson "2030-01-01T00:30:00.000Z" true, """{"scopes": []}""", false)

                let info =
                    CredentialInformation.get (clientWith handler (Some temporary)) CancellationToken.None
                    |> run
                    |> unwrap "credentialInformation"

                Expect.isFalse info.Active "disabled"
                Expect.equal info.Expiry (start.AddMinutes 30.0) "the client expires before the certificate"
            }

            test "permanent credentials; a refused anonymous lookup is asked again with the credentials" {
                let handler =
                    new FakeAuth(clientJson "2030-06-01T00:00:00.000Z" false, """{"scopes": ["*"]}""", true)

                let info =
                    CredentialInformation.get (clientWith handler (Some permanent)) CancellationToken.None
                    |> run
                    |> unwrap "credentialInformation"

                Expect.equal info.Type CredentialType.Permanent "permanent"
                Expect.equal info.Start None "no start"
                Expect.equal info.Expiry (DateTimeOffset(2030, 6, 1, 0, 0, 0, TimeSpan.Zero)) "the client's expiry"
                Expect.contains (handler.Seen |> Seq.toList) ("/api/auth/v1/clients/issuer", true) "asked again, signed"
            }

            test "no credentials: an InvalidRequest, nothing sent" {
                let handler = new FakeAuth("{}", "{}", false)

                match
                    CredentialInformation.get (clientWith handler None) CancellationToken.None
                    |> run
                with
                | Error(TaskclusterError.InvalidRequest(_, RequestError.NoCredentials)) -> ()
                | other -> failtestf "expected InvalidRequest NoCredentials, got %A" other

                Expect.isEmpty handler.Seen "nothing sent"
            }
        ]
