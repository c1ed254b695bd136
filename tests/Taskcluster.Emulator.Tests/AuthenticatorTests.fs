/// The authenticator where it used to differ from the auth service's validator: timestamps
/// compared in milliseconds, the ext's members judged by JavaScript truthiness, and the port
/// a reverse proxy forwards.
module Taskcluster.Emulator.Tests.AuthenticatorTests

open System
open System.Text
open System.Text.Json.Nodes
open Expecto
open Microsoft.AspNetCore.Http
open Taskcluster.Emulator.Internal
open Taskcluster.Emulator.Tests.Signer

let private issuer =
    creds "issuer/client" "issuer-token-issuer-token-issuer-token-abcd"

let private loader (id: string) =
    if id = issuer.ClientId then
        Ok
            {
                ClientId = id
                AccessToken = issuer.AccessToken
                Scopes = [| "*" |]
                Expires = DateTimeOffset.MaxValue
            }
    else
        Error $"Client with clientId '{id}' not found"

let private url = Uri "http://127.0.0.1:8080/api/queue/v1/ping"

let private request (authorization: string) =
    {
        Hawk =
            {
                Method = "GET"
                Resource = url.PathAndQuery
                Host = url.Host
                Port = url.Port
            }
        Authorization = authorization
        ContentType = null
        Body = ReadOnlyMemory.Empty
    }

let private authenticate (now: DateTimeOffset) (authorization: string) =
    Authenticator.authenticate loader Array.ofSeq now (request authorization)

/// A header from the issuer's credentials with this ext JSON text (base64-encoded here).
let private withExt (c: Creds) (extJson: string) (ts: int64) =
    header c "GET" url ts "n0nce" None (Some(Convert.ToBase64String(Encoding.UTF8.GetBytes extJson)))

let private failedWith (outcome: AuthOutcome) =
    match outcome with
    | AuthOutcome.Failed message -> message
    | other -> failtestf "expected a failure, got %A" other

let private succeeded (outcome: AuthOutcome) =
    match outcome with
    | AuthOutcome.Success(id, _, _, _) -> id
    | other -> failtestf "expected success, got %A" other

let tests =
    testList
        "Authenticator"
        [
            test "a timestamp exactly 900 s old is stale unless the clock is on a whole second" {
                let whole = DateTimeOffset.FromUnixTimeSeconds 1_800_000_000L
                let ts = whole.ToUnixTimeSeconds() - 900L
                let h = header issuer "GET" url ts "n0nce" None None
                Expect.equal (succeeded (authenticate whole h)) issuer.ClientId "on the second: 900 000 ms, accepted"

                Expect.equal
                    (failedWith (authenticate (whole.AddMilliseconds 1.0) h))
                    "Unauthorized: Stale timestamp"
                    "900 001 ms"

                let future =
                    header issuer "GET" url (whole.ToUnixTimeSeconds() + 900L) "n0nce" None None

                Expect.equal (succeeded (authenticate (whole.AddMilliseconds 999.0) future)) issuer.ClientId "ahead"
            }

            test "a certificate whose issuer is \"\" (or another falsy value) is an unnamed certificate" {
                let now = DateTimeOffset.UtcNow
                let start = now.AddMinutes(-1.0).ToUnixTimeMilliseconds()
                let expiry = now.AddHours(1.0).ToUnixTimeMilliseconds()
                let temp = temporary issuer None [ "a:b" ] start expiry (seed ())

                for falsy in [ "\"\""; "null"; "0"; "false" ] do
                    let cert = JsonNode.Parse(temp.Certificate.Value).AsObject()
                    cert["issuer"] <- JsonNode.Parse falsy
                    let ext = $"""{{"certificate":{cert.ToJsonString()}}}"""
                    let h = withExt temp ext (now.ToUnixTimeSeconds())
                    Expect.equal (succeeded (authenticate now h)) issuer.ClientId falsy

                let cert = JsonNode.Parse(temp.Certificate.Value).AsObject()
                cert["issuer"] <- JsonValue.Create 5

                let h =
                    withExt temp $"""{{"certificate":{cert.ToJsonString()}}}""" (now.ToUnixTimeSeconds())

                Expect.equal (failedWith (authenticate now h)) "ext.certificate.issuer must be a string" "5"
            }

            test "ext members judged by truthiness: falsy ones are absent, wrong types fail as the service says" {
                let now = DateTimeOffset.UtcNow
                let ts = now.ToUnixTimeSeconds()

                for ext in
                    [
                        "5"
                        "[]"
                        "\"text\""
                        """{"certificate":0}"""
                        """{"certificate":""}"""
                        """{"certificate":null,"authorizedScopes":false}"""
                        """{"authorizedScopes":0}"""
                    ] do
                    Expect.equal (succeeded (authenticate now (withExt issuer ext ts))) issuer.ClientId ext

                for ext, message in
                    [
                        """{"authorizedScopes":5}""", "ext.authorizedScopes must be an array"
                        """{"authorizedScopes":{"a":1}}""", "ext.authorizedScopes must be an array"
                        """{"certificate":[]}""", "ext.certificate.version must be 1"
                        """{"certificate":5}""", "ext.certificate must be a JSON object"
                        "null", "Cannot read properties of null (reading 'certificate')"
                    ] do
                    Expect.equal (failedWith (authenticate now (withExt issuer ext ts))) message ext

                // an empty authorizedScopes is truthy: only assume:anonymous is left
                match authenticate now (withExt issuer """{"authorizedScopes":[]}""" ts) with
                | AuthOutcome.Success(_, scopes, _, _) -> Expect.equal scopes [| "assume:anonymous" |] "scopes"
                | other -> failtestf "%A" other
            }

            test "X-Forwarded-Port, else X-Forwarded-Proto: https, else the Host header's port" {
                let headers (pairs: (string * string) list) =
                    let h = HeaderDictionary()

                    for k, v in pairs do
                        h.Append(k, Microsoft.Extensions.Primitives.StringValues v)

                    h :> IHeaderDictionary

                let host = HostString("127.0.0.1", 8080)
                Expect.equal (Forwarded.port (headers []) host) 8080 "own port"
                Expect.equal (Forwarded.port (headers []) (HostString "127.0.0.1")) 80 "no port"
                Expect.equal (Forwarded.port (headers [ "X-Forwarded-Proto", "https" ]) host) 443 "https"
                Expect.equal (Forwarded.port (headers [ "X-Forwarded-Proto", "http" ]) host) 8080 "http"
                Expect.equal (Forwarded.port (headers [ "X-Forwarded-Proto", "HTTPS" ]) host) 8080 "exact"

                Expect.equal
                    (Forwarded.port (headers [ "X-Forwarded-Port", " 8443abc"; "X-Forwarded-Proto", "https" ]) host)
                    8443
                    "the port wins, parsed as parseInt"

                Expect.equal (Forwarded.port (headers [ "X-Forwarded-Port", "x" ]) host) -1 "NaN matches nothing"
            }

            testCaseTask "a request signed for the proxy's port is accepted behind X-Forwarded-Proto" (fun () ->
                task {
                    let e = Harness.shared.Force()
                    let root = creds e.ClientId e.AccessToken
                    let target = Uri $"{e.RootUrl}/api/auth/v1/scopes/current"
                    // what the client signed: the public https URL, port 443
                    let public' = UriBuilder(target, Scheme = "https", Port = 443).Uri

                    let send (extra: (string * string) list) =
                        task {
                            use req = new Net.Http.HttpRequestMessage(Net.Http.HttpMethod.Get, target)

                            let h = header root "GET" public' (Harness.nowSeconds ()) "n0nce" None None
                            req.Headers.TryAddWithoutValidation("Authorization", h) |> ignore

                            for k, v in extra do
                                req.Headers.TryAddWithoutValidation(k, v) |> ignore

                            use! resp = Harness.http.SendAsync req
                            return int resp.StatusCode
                        }

                    let! behind = send [ "X-Forwarded-Proto", "https" ]
                    Expect.equal behind 200 "signed for 443 behind an https proxy"
                    let! port = send [ "X-Forwarded-Port", "443" ]
                    Expect.equal port 200 "X-Forwarded-Port"
                    let! direct = send []
                    Expect.equal direct 401 "without the proxy's headers the port differs"
                })
        ]
