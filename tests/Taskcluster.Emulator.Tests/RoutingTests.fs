/// Routing from the references, unimplemented methods, validation and size limits.
module Taskcluster.Emulator.Tests.RoutingTests

open System
open System.Net.Http
open System.Text
open Expecto
open Taskcluster.Emulator
open Taskcluster.Emulator.Internal
open Taskcluster.Emulator.Tests.Harness

/// Route parameters and query strings checked as the services check them, before any handler.
let private urlChecks =
    testList
        "URL checks"
        [
            testCaseTask "an invalid clientId answers 400 and stores nothing" (fun () ->
                task {
                    let body =
                        jobj [ "expires", jstr (fromNow (TimeSpan.FromHours 1.0)); "description", jstr "x" ]

                    let! r = rootCall "PUT" "auth" "/clients/a%20b" body
                    expectStatus r 400
                    Expect.equal r.Code "InvalidRequestArguments" "code"

                    Expect.stringStarts
                        r.Message
                        "Invalid URL patterns:\nURL parameter 'clientId' given as 'a b' must match regular expression: '/^[A-Za-z0-9!@/:.+|_-]+$/'"
                        "message"

                    let! again = rootCall "PUT" "auth" "/clients/a%20b" body
                    expectStatus again 400
                    let! list = rootCall "GET" "auth" "/clients/" null
                    expectStatus list 200
                })
            testCaseTask "a task with an invalid taskId is not stored and claimWork still works" (fun () ->
                task {
                    let queue = $"prov/q{Guid.NewGuid():N}".Substring(0, 20)
                    let! r = rootCall "PUT" "queue" "/task/not-a-slug" (taskDef queue [])
                    expectStatus r 400
                    Expect.equal r.Code "InvalidRequestArguments" "code"

                    let body =
                        jobj [ "workerGroup", jstr "wg"; "workerId", jstr "w1"; "tasks", jint 1L ]

                    let! c = rootCall "POST" "queue" $"/claim-work/{Uri.EscapeDataString queue}" body
                    expectStatus c 200
                    Expect.equal (c.Json.["tasks"].AsArray().Count) 0 "nothing was stored"
                })
            testCaseTask "runIds `+0` and ` 0` are refused, `00` is run 0" (fun () ->
                task {
                    let id = slugId ()
                    let! created = rootCall "PUT" "queue" $"/task/{id}" (taskDef "prov/wt" [])
                    expectStatus created 200

                    for runId in [ "%2B0"; "%200"; "0x0"; "%D9%A0" ] do
                        let! r = rootCall "GET" "queue" $"/task/{id}/runs/{runId}/artifacts" null
                        expectStatus r 400
                        Expect.equal r.Code "InvalidRequestArguments" runId

                    let! ok = rootCall "GET" "queue" $"/task/{id}/runs/00/artifacts" null
                    expectStatus ok 200
                })
            testCaseTask "`/task/<id>/b` is no method: a parameter is one segment" (fun () ->
                task {
                    let! r = rootCall "GET" "queue" $"/task/{slugId ()}/b" null
                    expectStatus r 404
                    Expect.stringContains r.Message "No such API method" "message"
                })
            testCaseTask "an artifact name outside printable ASCII is refused" (fun () ->
                task {
                    let id = slugId ()
                    let! r = rootCall "GET" "queue" $"/task/{id}/artifacts/public%%2F%%C3%%A9" null
                    expectStatus r 400
                    Expect.stringContains r.Message "URL parameter 'name' given as 'public/é'" "message"
                    let! ctl = rootCall "GET" "queue" $"/task/{id}/artifacts/public%%2Fa%%0Ab" null
                    expectStatus ctl 400
                })
            testCaseTask "a percent-escape that does not decode answers 400" (fun () ->
                task {
                    let e = shared.Force()

                    // sent exactly as written: `Uri` would otherwise re-escape `%ZZ` as `%25ZZ`
                    let raw (path: string) =
                        task {
                            let mutable options =
                                UriCreationOptions(DangerousDisablePathAndQueryCanonicalization = true)

                            let uri = Uri($"{e.RootUrl}/api/auth/v1{path}", &options)
                            use req = new HttpRequestMessage(HttpMethod.Get, uri)

                            let h = Signer.header (root ()) "GET" uri (nowSeconds ()) "n0nce" None None

                            req.Headers.TryAddWithoutValidation("Authorization", h) |> ignore
                            use! resp = http.SendAsync req
                            let! text = resp.Content.ReadAsStringAsync()
                            return int resp.StatusCode, text
                        }

                    for path in [ "/clients/a%ZZ"; "/roles/%C3"; "/roles/%ED%A0%80" ] do
                        let! status, text = raw path
                        Expect.equal status 400 $"{path}: {text}"
                        Expect.stringContains text "InvalidRequestArguments" path
                        Expect.stringContains text "Failed to decode param" path
                })
            testCaseTask "query values are checked against their patterns and may not repeat" (fun () ->
                task {
                    let! bad = rootCall "GET" "auth" "/clients/?limit=ten" null
                    expectStatus bad 400

                    Expect.stringStarts
                        bad.Message
                        "Query-string parameter: limit=\"ten\" does not match expression: /^[0-9]+$/"
                        "message"

                    let! twice = rootCall "GET" "auth" "/clients/?limit=1&limit=2" null
                    expectStatus twice 400
                    Expect.stringStarts twice.Message "Query-string parameter: limit must be a string!" "repeated"
                    let! unknown = call NoAuth "GET" "queue" "/ping?x=1" null
                    expectStatus unknown 400
                    Expect.stringStarts unknown.Message "Query-string parameter: x is not supported!" "unknown"
                })
            testCaseTask "routes answer with and without a trailing slash, as Express without strict routing" (fun () ->
                task {
                    for path in
                        [
                            "/roles"
                            "/roles/"
                            "/roleids"
                            "/roleids/"
                            "/roles2"
                            "/roles2/"
                            "/clients"
                            "/clients/"
                        ] do
                        let! r = rootCall "GET" "auth" path null
                        expectStatus r 200

                    // routed (only the tester's credentials pass it), not "No such API method"
                    for path in [ "/test-authenticate-get"; "/test-authenticate-get/" ] do
                        let! t = rootCall "GET" "auth" path null
                        Expect.equal (string t.Json.["requestInfo"].["method"]) "testAuthenticateGet" path

                    let! p = call NoAuth "GET" "queue" "/ping/" null
                    expectStatus p 200
                    // one slash only
                    let! two = rootCall "GET" "auth" "/roles//" null
                    expectStatus two 404
                })
        ]

let tests =
    testList
        "Routing"
        [
            urlChecks
            test "every method of every service in the references has a route" {
                let refs = ReferenceSet.Instance
                let count = refs.Services |> Array.sumBy (fun s -> s.Entries.Length)
                Expect.isGreaterThan count 150 "all API methods are loaded"

                for s in refs.Services do
                    for e in s.Entries do
                        let path =
                            e.Segments
                            |> Array.map (function
                                | Segment.Literal l -> l
                                | Segment.Param _ -> "p")
                            |> fun segs -> "/" + String.Join('/', segs)

                        match Routing.find s e.HttpMethod path with
                        | Ok(found, _) ->
                            Expect.equal (found.HttpMethod, found.Route) (e.HttpMethod, e.Route) $"{s.Name}.{e.Name}"
                        | Error _ -> failtestf "%s.%s is not routed" s.Name e.Name
            }
            test "every input schema named by a method is registered" {
                let refs = ReferenceSet.Instance

                for s in refs.Services do
                    for e in s.Entries do
                        for id in Option.toList e.Input @ Option.toList e.Output do
                            Expect.isSome (refs.Schema id) $"{s.Name}.{e.Name}: {id}"
            }
            testCaseTask "ping answers on every service" (fun () ->
                task {
                    for service in [ "auth"; "queue"; "hooks"; "worker-manager"; "secrets" ] do
                        let! r = call NoAuth "GET" service "/ping" null
                        expectStatus r 200
                        Expect.equal (r.Json.["alive"].GetValue<bool>()) true service
                })
            testCaseTask "a method's handler answers only after authentication" (fun () ->
                task {
                    let path = "/provisioners/proj-x/worker-types/wt/workers/wg/w1"
                    let! r = rootCall "GET" "worker-manager" path null
                    expectStatus r 404
                    Expect.equal r.Code "ResourceNotFound" "code"
                    let! bad = call (Header(Signer.creds "nobody/x" "y")) "GET" "worker-manager" path null
                    expectStatus bad 401
                })
            testCaseTask "an unknown path answers 404 with an error body" (fun () ->
                task {
                    let! r = rootCall "GET" "queue" "/no/such/route" null
                    expectStatus r 404
                    Expect.equal r.Code "ResourceNotFound" "code"
                    let! s = rootCall "GET" "no-such-service" "/ping" null
                    expectStatus s 404
                })
            testCaseTask "an invalid payload answers 400 naming the failing path" (fun () ->
                task {
                    let id = slugId ()
                    let bad = taskDef "prov/wt" [ "priority", jstr "urgent" ]
                    let! r = rootCall "PUT" "queue" $"/task/{id}" bad
                    expectStatus r 400
                    Expect.equal r.Code "InputValidationError" "code"
                    Expect.stringContains r.Message "$.priority" "path"
                    Expect.stringContains r.Message "/schemas/queue/v1/create-task-request.json" "schema"
                    let noMeta = taskDef "prov/wt" [ "metadata", jobj [ "name", jstr "x" ] ]
                    let! r2 = rootCall "PUT" "queue" $"/task/{slugId ()}" noMeta
                    expectStatus r2 400
                    Expect.stringContains r2.Message "$.metadata" "nested path"
                })
            testCaseTask "malformed JSON answers 400 MalformedPayload" (fun () ->
                task {
                    let e = shared.Force()
                    let! r = sendTo (Header(root ())) "PUT" $"{e.RootUrl}/api/secrets/v1/secret/x" (Some "{not json")
                    expectStatus r 400
                    Expect.equal r.Code "MalformedPayload" "code"
                })
            testCaseTask "a body over the limit answers 413 InputTooLarge" (fun () ->
                task {
                    use! e = Emulator.start (EmulatorOptions(MaxRequestBodyBytes = 64L * 1024L))

                    let big =
                        "{\"secret\":{\"x\":\""
                        + String('a', 200 * 1024)
                        + "\"},\"expires\":\"2100-01-01T00:00:00.000Z\"}"

                    let uri = Uri $"{e.RootUrl}/api/secrets/v1/secret/big"
                    use req = new HttpRequestMessage(HttpMethod.Put, uri)
                    req.Content <- new StringContent(big, Encoding.UTF8, "application/json")
                    // so that the answer can arrive before the body is sent, as with a real proxy
                    req.Headers.ExpectContinue <- true

                    req.Headers.TryAddWithoutValidation(
                        "Authorization",
                        Signer.header (Signer.creds e.ClientId e.AccessToken) "PUT" uri (nowSeconds ()) "big" None None
                    )
                    |> ignore

                    use! resp = http.SendAsync req
                    Expect.equal (int resp.StatusCode) 413 "status"
                    let! text = resp.Content.ReadAsStringAsync()
                    Expect.stringContains text "InputTooLarge" "code"
                })
            testCaseTask
                "a payload that is not a JSON object or array, or not application/json, is malformed"
                (fun () ->
                    task {
                        let e = shared.Force()
                        let url = $"{e.RootUrl}/api/secrets/v1/secret/x"
                        let! number = sendTo (Header(root ())) "PUT" url (Some "42")
                        expectStatus number 400
                        Expect.equal number.Code "MalformedPayload" "number"
                        let! empty = sendTo (Header(root ())) "PUT" url None
                        expectStatus empty 400
                        Expect.stringContains empty.Message "content-type" "no body"
                        let uri = Uri url
                        use req = new HttpRequestMessage(HttpMethod.Put, uri)

                        req.Content <-
                            new StringContent(
                                """{"secret":{},"expires":"2100-01-01T00:00:00.000Z"}""",
                                Encoding.UTF8,
                                "text/plain"
                            )

                        req.Headers.TryAddWithoutValidation(
                            "Authorization",
                            Signer.header (root ()) "PUT" uri (nowSeconds ()) "t" None None
                        )
                        |> ignore

                        use! resp = http.SendAsync req
                        Expect.equal (int resp.StatusCode) 400 "text/plain is not parsed"
                    })
            testCaseTask "the pipeline runs in taskcluster-lib-api's order" (fun () ->
                task {
                    let e = shared.Force()
                    // malformed JSON is refused before authentication
                    let! bad = sendTo NoAuth "PUT" $"{e.RootUrl}/api/secrets/v1/secret/x" (Some "{nope")
                    expectStatus bad 400
                    Expect.equal bad.Code "MalformedPayload" "parse first"
                    // then authorisation from the route, before the schema
                    let! denied = sendTo NoAuth "PUT" $"{e.RootUrl}/api/secrets/v1/secret/x" (Some "{}")
                    expectStatus denied 403
                    // then the query string
                    let! query = rootCall "GET" "secrets" "/secrets?color=blue" null
                    expectStatus query 400
                    Expect.equal query.Code "InvalidRequestArguments" "query"
                    Expect.stringContains query.Message "color" "names the parameter"
                    // then the schema
                    let! invalid = rootCall "PUT" "secrets" "/secret/x" (jobj [])
                    expectStatus invalid 400
                    Expect.equal invalid.Code "InputValidationError" "schema last"
                })
            testCaseTask "headers over the limit answer 431" (fun () ->
                task {
                    let e = shared.Force()
                    let req = new HttpRequestMessage(HttpMethod.Get, $"{e.RootUrl}/api/queue/v1/ping")

                    req.Headers.TryAddWithoutValidation("X-Padding", String('p', 64 * 1024))
                    |> ignore

                    let! resp = http.SendAsync req
                    Expect.equal (int resp.StatusCode) 431 "431"
                })
            testCaseTask "the references and schemas are served" (fun () ->
                task {
                    let e = shared.Force()
                    let! r = sendTo NoAuth "GET" $"{e.RootUrl}/references/queue/v1/api.json" None
                    expectStatus r 200
                    Expect.equal (string r.Json.["serviceName"]) "queue" "api reference"
                    let! s = sendTo NoAuth "GET" $"{e.RootUrl}/schemas/queue/v1/task.json" None
                    expectStatus s 200
                })
            testCaseTask "error bodies carry requestInfo like the real services" (fun () ->
                task {
                    let id = slugId ()
                    let! r = rootCall "GET" "queue" $"/task/{id}" null
                    expectStatus r 404
                    let info = r.Json.["requestInfo"]
                    Expect.equal (string info.["method"]) "task" "method"
                    Expect.equal (string info.["params"].["taskId"]) id "params"
                    Expect.isNotNull info.["time"] "time"
                    Expect.stringContains r.Message "* errorCode:  ResourceNotFound" "footer"
                })
        ]
