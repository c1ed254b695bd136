/// The authentication matrix and the auth service, over loopback HTTP.
module Taskcluster.Emulator.Tests.AuthTests

open System
open System.Net.Http
open System.Text
open System.Text.Json.Nodes
open Expecto
open Taskcluster.Emulator
open Taskcluster.Emulator.Tests.Harness
open Taskcluster.Emulator.Tests.Signer

let private current (auth: Auth) =
    call auth "GET" "auth" "/scopes/current" null

let private nowMs () =
    DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()

let private hour = 3600_000L

let private expect401 (r: Response) (fragment: string) =
    expectStatus r 401
    Expect.equal r.Code "AuthenticationFailed" "code"
    Expect.stringContains r.Message fragment "message"
    Expect.isNotNull r.Json.["requestInfo"] "requestInfo"

let private hawkTests =
    testList
        "hawk"
        [
            testCaseTask "a good MAC authenticates" (fun () ->
                task {
                    let! r = current (Header(root ()))
                    expectStatus r 200
                    Expect.contains (strings r.Json.["scopes"]) "*" "root holds *"
                })
            testCaseTask "a bad MAC is refused" (fun () ->
                task {
                    let! r =
                        current (
                            Header
                                { root () with
                                    AccessToken = "not-the-token"
                                }
                        )

                    expect401 r "Bad mac"
                })
            testCaseTask "an unknown client is refused" (fun () ->
                task {
                    let! r = current (Header(creds "nobody/at-all" "whatever"))
                    expect401 r "not found"
                })
            testCaseTask "a disabled client is refused" (fun () ->
                task {
                    let c = clientWith [ "auth:current-scopes" ]
                    let! d = rootCall "POST" "auth" $"/clients/{Uri.EscapeDataString c.ClientId}/disable" null
                    expectStatus d 200
                    let! r = current (Header c)
                    expect401 r "disabled"
                })
            testCaseTask "an expired client is refused" (fun () ->
                task {
                    let id = "test/expired/" + slugId ()

                    let body =
                        jobj
                            [
                                "description", jstr "expired"
                                "expires", jstr (fromNow (TimeSpan.FromDays -1.0))
                                "scopes", jstrs [ "auth:current-scopes" ]
                            ]

                    let! created = rootCall "PUT" "auth" $"/clients/{Uri.EscapeDataString id}" body
                    expectStatus created 200
                    let! r = current (Header(creds id (string created.Json.["accessToken"])))
                    expect401 r "has expired"
                })
            testCaseTask "15 minutes of skew are tolerated, more is stale" (fun () ->
                task {
                    let! ok = current (Skewed(root (), -14L * 60L))
                    expectStatus ok 200
                    let! late = current (Skewed(root (), 16L * 60L))
                    expect401 late "Stale timestamp"
                    let! early = current (Skewed(root (), -16L * 60L))
                    expect401 early "Stale timestamp"
                })
            testCaseTask "a malformed header is refused" (fun () ->
                task {
                    let! r = current (RawHeader "Hawk id=\"x\"")
                    expect401 r "Missing attributes"
                })
            testCaseTask "a signed payload hash must match the body" (fun () ->
                task {
                    let e = shared.Force()
                    let uri = Uri $"{e.RootUrl}/api/auth/v1/scopes/expand"
                    let body = """{"scopes":["a"]}"""
                    let req = new HttpRequestMessage(HttpMethod.Post, uri)
                    req.Content <- new StringContent(body, Encoding.UTF8, "application/json")
                    let wrong = payloadHash "application/json" """{"scopes":["b"]}"""

                    req.Headers.TryAddWithoutValidation(
                        "Authorization",
                        header (root ()) "POST" uri (nowSeconds ()) "x" (Some wrong) None
                    )
                    |> ignore

                    let! resp = http.SendAsync req
                    Expect.equal (int resp.StatusCode) 401 "wrong hash"

                    let req2 = new HttpRequestMessage(HttpMethod.Post, uri)
                    req2.Content <- new StringContent(body, Encoding.UTF8, "application/json")
                    let right = payloadHash "application/json" body

                    req2.Headers.TryAddWithoutValidation(
                        "Authorization",
                        header (root ()) "POST" uri (nowSeconds ()) "x" (Some right) None
                    )
                    |> ignore

                    let! resp2 = http.SendAsync req2
                    Expect.equal (int resp2.StatusCode) 200 "right hash"
                })
        ]

let private bewitTests =
    testList
        "bewit"
        [
            testCaseTask "a bewit authenticates a GET" (fun () ->
                task {
                    let e = shared.Force()

                    let url =
                        bewit (root ()) (Uri $"{e.RootUrl}/api/auth/v1/scopes/current") (nowSeconds () + 60L)

                    let! r = sendTo NoAuth "GET" (string url) None
                    expectStatus r 200
                })
            testCaseTask "an expired bewit is refused" (fun () ->
                task {
                    let e = shared.Force()

                    let url =
                        bewit (root ()) (Uri $"{e.RootUrl}/api/auth/v1/scopes/current") (nowSeconds () - 1L)

                    let! r = sendTo NoAuth "GET" (string url) None
                    expect401 r "Access expired"
                })
            testCaseTask "a bewit with a bad MAC is refused" (fun () ->
                task {
                    let e = shared.Force()

                    let url =
                        bewit
                            { root () with AccessToken = "wrong" }
                            (Uri $"{e.RootUrl}/api/auth/v1/scopes/current")
                            (nowSeconds () + 60L)

                    let! r = sendTo NoAuth "GET" (string url) None
                    expect401 r "Bad mac"
                })
            testCaseTask "a bewit keeps the rest of the query" (fun () ->
                task {
                    let e = shared.Force()
                    let prefix = "test/" + slugId ()

                    let url =
                        bewit (root ()) (Uri $"{e.RootUrl}/api/auth/v1/clients/?prefix={prefix}") (nowSeconds () + 60L)

                    let! r = sendTo NoAuth "GET" (string url) None
                    expectStatus r 200
                })
        ]

let private certificateTests =
    let issue (issuer: Creds) name scopes start expiry =
        temporary issuer name scopes start expiry (seed ())

    testList
        "certificates"
        [
            testCaseTask "valid unnamed temporary credentials get the certificate's scopes" (fun () ->
                task {
                    let issuer = clientWith [ "auth:current-scopes"; "cert:*" ]

                    let t =
                        issue issuer None [ "auth:current-scopes"; "cert:a" ] (nowMs () - 1000L) (nowMs () + hour)

                    let! r = current (Header t)
                    expectStatus r 200
                    let scopes = strings r.Json.["scopes"]
                    Expect.contains scopes "cert:a" "cert scope"
                    Expect.isFalse (List.contains "cert:*" scopes) "narrowed to the certificate"
                })
            testCaseTask "valid named temporary credentials need auth:create-client:<name>" (fun () ->
                task {
                    let name = "test/named/" + slugId ()
                    let issuer = clientWith [ "auth:current-scopes"; $"auth:create-client:{name}" ]

                    let t =
                        issue issuer (Some name) [ "auth:current-scopes" ] (nowMs ()) (nowMs () + hour)

                    let! r = current (Header t)
                    expectStatus r 200
                    let! who = call (Header t) "POST" "auth" "/test-authenticate" null
                    Expect.isTrue (who.Status = 400 || who.Status = 401) "tester endpoints ignore real clients"
                })
            testCaseTask "a named certificate from an issuer without auth:create-client is refused" (fun () ->
                task {
                    let issuer = clientWith [ "auth:current-scopes" ]

                    let t =
                        issue
                            issuer
                            (Some("test/other/" + slugId ()))
                            [ "auth:current-scopes" ]
                            (nowMs ())
                            (nowMs () + hour)

                    let! r = current (Header t)
                    expect401 r "auth:create-client:"
                })
            testCaseTask "an expired certificate is refused (after 5 minutes of slack)" (fun () ->
                task {
                    let issuer = clientWith [ "auth:current-scopes" ]

                    let t =
                        issue issuer None [ "auth:current-scopes" ] (nowMs () - 2L * hour) (nowMs () - 6L * 60_000L)

                    let! r = current (Header t)
                    expect401 r "ext.certificate.expiry < now"

                    let slack =
                        issue issuer None [ "auth:current-scopes" ] (nowMs () - 2L * hour) (nowMs () - 4L * 60_000L)

                    let! ok = current (Header slack)
                    expectStatus ok 200
                })
            testCaseTask "a certificate that has not started is refused" (fun () ->
                task {
                    let issuer = clientWith [ "auth:current-scopes" ]

                    let t =
                        issue issuer None [ "auth:current-scopes" ] (nowMs () + hour) (nowMs () + 2L * hour)

                    let! r = current (Header t)
                    expect401 r "ext.certificate.start > now"
                })
            testCaseTask "a certificate longer than 31 days is refused" (fun () ->
                task {
                    let issuer = clientWith [ "auth:current-scopes" ]

                    let t =
                        issue issuer None [ "auth:current-scopes" ] (nowMs ()) (nowMs () + 32L * 24L * hour)

                    let! r = current (Header t)
                    expect401 r "31 days"
                })
            testCaseTask "a certificate with a wrong signature is refused" (fun () ->
                task {
                    let issuer = clientWith [ "auth:current-scopes" ]
                    let t = issue issuer None [ "auth:current-scopes" ] (nowMs ()) (nowMs () + hour)
                    let cert = JsonNode.Parse t.Certificate.Value
                    cert.["signature"] <- jstr (Convert.ToBase64String(Array.zeroCreate 32))

                    let! r =
                        current (
                            Header
                                { t with
                                    Certificate = Some(cert.ToJsonString())
                                }
                        )

                    expect401 r "ext.certificate.signature is not valid"
                })
            testCaseTask "certificate scopes beyond the issuer's are refused" (fun () ->
                task {
                    let issuer = clientWith [ "auth:current-scopes" ]

                    let t =
                        issue issuer None [ "auth:current-scopes"; "beyond" ] (nowMs ()) (nowMs () + hour)

                    let! r = current (Header t)
                    expect401 r "doesn't satisfy all certificate scopes"
                })
            testCaseTask "a certificate whose seed is not 44 characters is refused" (fun () ->
                task {
                    let issuer = clientWith [ "auth:current-scopes" ]
                    let t = issue issuer None [ "auth:current-scopes" ] (nowMs ()) (nowMs () + hour)
                    let cert = JsonNode.Parse t.Certificate.Value
                    cert.["seed"] <- jstr "short"

                    let! r =
                        current (
                            Header
                                { t with
                                    Certificate = Some(cert.ToJsonString())
                                }
                        )

                    expect401 r "44 characters"
                })
            testCaseTask "a certificate of a different version is refused" (fun () ->
                task {
                    let issuer = clientWith [ "auth:current-scopes" ]
                    let t = issue issuer None [ "auth:current-scopes" ] (nowMs ()) (nowMs () + hour)
                    let cert = JsonNode.Parse t.Certificate.Value
                    cert.["version"] <- jint 2L

                    let! r =
                        current (
                            Header
                                { t with
                                    Certificate = Some(cert.ToJsonString())
                                }
                        )

                    expect401 r "version must be 1"
                })
        ]

let private authorizedScopesTests =
    testList
        "authorizedScopes"
        [
            testCaseTask "authorizedScopes narrow the scopes" (fun () ->
                task {
                    let c =
                        { root () with
                            AuthorizedScopes = Some [ "auth:current-scopes"; "narrow:x" ]
                        }

                    let! r = current (Header c)
                    expectStatus r 200
                    let scopes = strings r.Json.["scopes"]
                    Expect.contains scopes "narrow:x" "kept"
                    Expect.isFalse (List.contains "*" scopes) "narrowed"
                    let! denied = call (Header c) "GET" "secrets" "/secret/anything" null
                    expectStatus denied 403
                })
            testCaseTask "authorizedScopes beyond the client's scopes are refused" (fun () ->
                task {
                    let c =
                        { clientWith [ "auth:current-scopes" ] with
                            AuthorizedScopes = Some [ "auth:current-scopes"; "more" ]
                        }

                    let! r = current (Header c)
                    expect401 r "do not satisfy authorizedScopes"
                })
            testCaseTask "empty authorizedScopes leave only assume:anonymous" (fun () ->
                task {
                    let c =
                        { root () with
                            AuthorizedScopes = Some []
                        }

                    let! r = current (Header c)
                    expectStatus r 403
                })
            testCaseTask "authorizedScopes apply to temporary credentials too" (fun () ->
                task {
                    let issuer = clientWith [ "auth:current-scopes"; "t:*" ]

                    let t =
                        temporary issuer None [ "auth:current-scopes"; "t:a" ] (nowMs ()) (nowMs () + hour) (seed ())

                    let! ok =
                        current (
                            Header
                                { t with
                                    AuthorizedScopes = Some [ "auth:current-scopes" ]
                                }
                        )

                    expectStatus ok 200

                    let! bad =
                        current (
                            Header
                                { t with
                                    AuthorizedScopes = Some [ "auth:current-scopes"; "t:b" ]
                                }
                        )

                    expect401 bad "authorizedScopes"
                })
        ]

let private scopeTests =
    testList
        "authorisation"
        [
            testCaseTask "missing scopes answer 403 naming the missing expression" (fun () ->
                task {
                    let c = clientWith [ "secrets:get:mine" ]
                    let! r = call (Header c) "GET" "secrets" "/secret/theirs" null
                    expectStatus r 403
                    Expect.equal r.Code "InsufficientScopes" "code"
                    Expect.stringContains r.Message "```\nsecrets:get:theirs\n```" "missing expression"
                    Expect.stringContains r.Message c.ClientId "clientId"
                })
            testCaseTask "the missing part of an AllOf is only what is missing" (fun () ->
                task {
                    let c = clientWith [ "queue:create-task:project:none"; "queue:scheduler-id:-" ]
                    let id = slugId ()

                    let! r =
                        call
                            (Header c)
                            "PUT"
                            "queue"
                            $"/task/{id}"
                            (taskDef "prov/wt" [ "routes", jstrs [ "index.x" ] ])

                    expectStatus r 403
                    Expect.stringContains r.Message "queue:route:index.x" "route scope named"
                    let missingPart = r.Message.Split("You have the scopes")[0]

                    Expect.isFalse
                        (missingPart.Contains "queue:scheduler-id")
                        "satisfied parts are not listed as missing"
                })
            testCaseTask "roles expand assume: scopes for authorisation" (fun () ->
                task {
                    let e = shared.Force()
                    let roleId = "test-role-" + slugId ()
                    e.State.CreateRole(roleId, [ "secrets:get:via-role/*" ])
                    let c = clientWith [ $"assume:{roleId}" ]
                    let! r = call (Header c) "GET" "secrets" "/secret/via-role%2Fx" null
                    expectStatus r 404
                })
            testCaseTask "anonymous requests get the anonymous role" (fun () ->
                task {
                    use e = (Emulator.start (EmulatorOptions())).GetAwaiter().GetResult()
                    e.State.CreateRole("anonymous", [ "secrets:get:public/*" ])
                    let! denied = sendTo NoAuth "GET" $"{e.RootUrl}/api/secrets/v1/secret/private" None
                    expectStatus denied 403
                    let! allowed = sendTo NoAuth "GET" $"{e.RootUrl}/api/secrets/v1/secret/public%%2Fx" None
                    expectStatus allowed 404
                    // authenticated clients hold assume:anonymous too, even under empty authorizedScopes
                    e.State.CreateClient("plain", "plain-token", [])

                    let plain =
                        { creds "plain" "plain-token" with
                            AuthorizedScopes = Some []
                        }

                    let! viaRole = sendTo (Header plain) "GET" $"{e.RootUrl}/api/secrets/v1/secret/public%%2Fy" None
                    expectStatus viaRole 404
                })
        ]

let private serviceTests =
    testList
        "service"
        [
            testCaseTask "createClient, client, resetAccessToken, deleteClient" (fun () ->
                task {
                    let id = "test/created/" + slugId ()

                    let body =
                        jobj
                            [
                                "description", jstr "made by a test"
                                "expires", jstr (fromNow (TimeSpan.FromDays 1.0))
                                "scopes", jstrs [ "auth:current-scopes"; "made:*" ]
                            ]

                    let! created = rootCall "PUT" "auth" $"/clients/{Uri.EscapeDataString id}" body
                    expectStatus created 200
                    let c = creds id (string created.Json.["accessToken"])
                    let! me = current (Header c)
                    expectStatus me 200
                    Expect.contains (strings me.Json.["scopes"]) "made:*" "scopes"
                    let! again = rootCall "PUT" "auth" $"/clients/{Uri.EscapeDataString id}" body
                    expectStatus again 409
                    let! got = rootCall "GET" "auth" $"/clients/{Uri.EscapeDataString id}" null
                    expectStatus got 200
                    Expect.isNull got.Json.["accessToken"] "no token in client"
                    let! reset = rootCall "POST" "auth" $"/clients/{Uri.EscapeDataString id}/reset" null
                    expectStatus reset 200
                    let! old = current (Header c)
                    expectStatus old 401
                    let! fresh = current (Header(creds id (string reset.Json.["accessToken"])))
                    expectStatus fresh 200
                    let! deleted = rootCall "DELETE" "auth" $"/clients/{Uri.EscapeDataString id}" null
                    expectStatus deleted 200
                    let! gone = rootCall "GET" "auth" $"/clients/{Uri.EscapeDataString id}" null
                    expectStatus gone 404
                })
            testCaseTask "createClient needs the scopes it grants" (fun () ->
                task {
                    let c = clientWith [ "auth:create-client:test/*" ]

                    let body =
                        jobj
                            [
                                "description", jstr "d"
                                "expires", jstr (fromNow (TimeSpan.FromDays 1.0))
                                "scopes", jstrs [ "not-mine" ]
                            ]

                    let! r = call (Header c) "PUT" "auth" $"/clients/test%%2F{slugId ()}" body
                    expectStatus r 403
                    Expect.stringContains r.Message "not-mine" "missing scope named"
                })
            testCaseTask "roles: create, get, list, expand, cycles refused" (fun () ->
                task {
                    let a = "test-a-" + slugId ()
                    let b = "test-b-" + slugId ()

                    let! ra =
                        rootCall
                            "PUT"
                            "auth"
                            $"/roles/{a}"
                            (jobj [ "description", jstr "a"; "scopes", jstrs [ "x:a"; $"assume:{b}" ] ])

                    expectStatus ra 200

                    let! rb =
                        rootCall
                            "PUT"
                            "auth"
                            $"/roles/{b}"
                            (jobj [ "description", jstr "b"; "scopes", jstrs [ "x:b" ] ])

                    expectStatus rb 200
                    let! got = rootCall "GET" "auth" $"/roles/{a}" null
                    Expect.contains (strings got.Json.["expandedScopes"]) "x:b" "expanded through b"

                    let! expanded =
                        rootCall "POST" "auth" "/scopes/expand" (jobj [ "scopes", jstrs [ $"assume:{a}" ] ])

                    expectStatus expanded 200

                    Expect.containsAll
                        (strings expanded.Json.["scopes"])
                        [ "x:a"; "x:b"; $"assume:{b}" ]
                        "expandScopes"

                    let! cycle =
                        rootCall
                            "POST"
                            "auth"
                            $"/roles/{b}"
                            (jobj [ "description", jstr "b"; "scopes", jstrs [ $"assume:{a}" ] ])

                    expectStatus cycle 400
                    let! list = rootCall "GET" "auth" "/roles/" null
                    expectStatus list 200
                    Expect.isTrue (list.Json.AsArray() |> Seq.exists (fun r -> string r.["roleId"] = a)) "listed"
                    let! deleted = rootCall "DELETE" "auth" $"/roles/{a}" null
                    expectStatus deleted 200
                })
            testCaseTask "testAuthenticate uses the tester client" (fun () ->
                task {
                    let e = shared.Force()
                    let tester = creds "tester" "no-secret"

                    let body =
                        jobj [ "clientScopes", jstrs [ "test:*" ]; "requiredScopes", jstrs [ "test:a" ] ]

                    let! r = call (Header tester) "POST" "auth" "/test-authenticate" body
                    expectStatus r 200
                    Expect.equal (string r.Json.["clientId"]) "tester" "clientId"

                    let body2 =
                        jobj [ "clientScopes", jstrs [ "test:*" ]; "requiredScopes", jstrs [ "other" ] ]

                    let! denied = call (Header tester) "POST" "auth" "/test-authenticate" body2
                    expectStatus denied 403
                    let! wrong = call (Header(creds "tester" "wrong")) "POST" "auth" "/test-authenticate" body
                    expectStatus wrong 401
                    let! get = call (Header tester) "GET" "auth" "/test-authenticate-get/" null
                    expectStatus get 200
                    ignore e
                })
            testCaseTask "authenticateHawk validates a described request" (fun () ->
                task {
                    let e = shared.Force()
                    let uri = Uri $"{e.RootUrl}/api/queue/v1/task/abc"
                    let h = header (root ()) "GET" uri (nowSeconds ()) "n" None None

                    let body =
                        jobj
                            [
                                "method", jstr "get"
                                "resource", jstr uri.PathAndQuery
                                "host", jstr uri.Host
                                "port", jint (int64 uri.Port)
                                "authorization", jstr h
                            ]

                    let! r = call NoAuth "POST" "auth" "/authenticate-hawk" body
                    expectStatus r 200
                    Expect.equal (string r.Json.["status"]) "auth-success" "status"
                    Expect.equal (string r.Json.["clientId"]) e.ClientId "clientId"
                })
        ]

let tests =
    testList
        "Auth"
        [
            hawkTests
            bewitTests
            certificateTests
            authorizedScopesTests
            scopeTests
            serviceTests
        ]
