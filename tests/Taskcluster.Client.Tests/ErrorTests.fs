module Taskcluster.Client.Tests.ErrorTests

open System
open System.Net.Http
open System.Text
open Expecto
open FsCheck
open FsCheck.FSharp
open Taskcluster.Client
open Taskcluster.Client.Tests.TestServer
open Taskcluster.Client.Tests.Fixtures

let private serviceError (e: TaskclusterError) =
    match e with
    | TaskclusterError.AuthenticationFailed s
    | TaskclusterError.InsufficientScopes s
    | TaskclusterError.ClientError s
    | TaskclusterError.ServerError s
    | TaskclusterError.Redirect(s, _) -> s
    | other -> failtestf "not a service error: %s" (other.Describe())

let private bodies =
    testList
        "error bodies"
        [
            test "a 502 page from a proxy keeps status, reason phrase and the first 512 bytes" {
                use server = start ()
                let page = "<html><body>" + String('x', 2000) + "</body></html>"
                server.Default <- Reply.text 502 "text/html" page
                let client = clientFor server (fun o -> { o with MaxRetries = 1 })
                let e = callFake client ping [] [] Payload.Empty |> expectError "502"

                match e with
                | TaskclusterError.ServerError s ->
                    Expect.equal s.Status 502 "status"
                    Expect.equal s.ReasonPhrase "Bad Gateway" "reason phrase"
                    Expect.isNone s.Code "no Taskcluster code"
                    Expect.equal s.Message "HTTP 502 Bad Gateway" "message"
                    Expect.equal s.Body (Some(page.Substring(0, 512))) "the first 512 bytes"
                    Expect.equal s.Attempts 2 "retried"
                | other -> failtestf "unexpected %s" (other.Describe())

                Expect.equal e.Status (Some 502) "Status"
                Expect.isNone e.Code "Code"
            }

            test "a body cut inside a multi-byte character loses the broken character" {
                use server = start ()
                server.Default <- Reply.text 400 "text/plain" (String('\u00e9', 400))
                let client = clientFor server id

                let s =
                    callFake client ping [] [] Payload.Empty |> expectError "400" |> serviceError

                Expect.equal s.Body (Some(String('\u00e9', 256))) "256 whole characters"
            }

            test "a custom reason phrase is kept" {
                use server = start ()
                server.Default <- Reply.withReason "Teapot Trouble" (Reply.text 418 "text/plain" "short and stout")
                let client = clientFor server id

                let s =
                    callFake client ping [] [] Payload.Empty |> expectError "418" |> serviceError

                Expect.equal s.ReasonPhrase "Teapot Trouble" "reason"
                Expect.equal s.Body (Some "short and stout") "body"
            }

            test "a Taskcluster error keeps code and message, and describes itself on one line" {
                use server = start ()
                server.Default <- Reply.error 404 "ResourceNotFound" "Task not found"
                let client = clientFor server id

                let e =
                    callFake client getThing [ "abc"; "x" ] [] Payload.Empty |> expectError "404"

                let s = serviceError e
                Expect.equal s.Code (Some "ResourceNotFound") "code"
                Expect.stringStarts s.Message "Task not found\n\n---" "the whole message"
                Expect.isNone s.Body "no excerpt for a Taskcluster error"

                Expect.equal
                    e.Request
                    (Some
                        {
                            Name = "fake.getThing"
                            Method = "GET"
                            Url = server.Url + "/api/fake/v1/thing/abc/x"
                        })
                    "request"

                let line = e.Describe()
                Expect.isFalse (line.Contains '\n') "one line"

                for part in
                    [
                        "fake.getThing"
                        "GET"
                        "/thing/abc/x"
                        "404"
                        "ResourceNotFound"
                        "Task not found"
                    ] do
                    Expect.stringContains line part "described"
            }

            test "JSON without code or message is kept as an excerpt" {
                use server = start ()
                server.Default <- Reply.json 400 """{"error":"nope"}"""
                let client = clientFor server id

                let s =
                    callFake client ping [] [] Payload.Empty |> expectError "400" |> serviceError

                Expect.isNone s.Code "no code"
                Expect.equal s.Body (Some """{"error":"nope"}""") "excerpt"
            }
        ]

let private redirects =
    testList
        "redirects"
        [
            test "a redirect is returned, never followed" {
                use server = start ()
                use other = start ()
                let target = other.Url + "/elsewhere?X-Amz-Signature=abc"
                server.Default <- Reply.redirect 302 target
                let client = clientFor server id

                match callFake client ping [] [] Payload.Empty |> expectError "redirect" with
                | TaskclusterError.Redirect(s, location) as e ->
                    Expect.equal s.Status 302 "status"
                    Expect.equal location (Some target) "location"
                    Expect.isFalse ((e.Describe()).Contains "X-Amz-Signature") "a signed target's query is not shown"
                | other -> failtestf "unexpected %s" (other.Describe())

                Expect.isEmpty other.Requests "the other host saw nothing"
                Expect.equal server.Requests.Length 1 "not retried"
            }

            test "a relative Location is made absolute" {
                use server = start ()
                server.Default <- Reply.redirect 303 "/api/fake/v1/other"
                let client = clientFor server id

                match callFake client ping [] [] Payload.Empty |> expectError "redirect" with
                | TaskclusterError.Redirect(_, location) ->
                    Expect.equal location (Some(server.Url + "/api/fake/v1/other")) "absolute"
                | other -> failtestf "unexpected %s" (other.Describe())
            }

            test "a caller's HttpClient that follows redirects drops the credentials on the way" {
                use server = start ()
                use other = start ()
                other.Enforce <- false
                server.Default <- Reply.redirect 302 (other.Url + "/landing")
                use http = new HttpClient(new HttpClientHandler(AllowAutoRedirect = true))
                let client = clientFor server (fun o -> { o with HttpClient = Some http })

                callFake client ping [] [] Payload.Empty
                |> expectOk "followed by the caller's client"
                |> ignore

                match other.Requests with
                | [ landed ] -> Expect.isNone (landed.Header "Authorization") "no Authorization header"
                | rs -> failtestf "expected one request, got %d" rs.Length
            }
        ]

let private model =
    testList
        "model"
        [
            testPropertyWithConfig
                { FsCheckConfig.defaultConfig with
                    maxTest = 150
                }
                "every status from 200 to 599 gets its case and its number of attempts"
            <| (let server = lazy (start ())

                Prop.forAll (Arb.fromGen (Gen.choose (200, 599))) (fun status ->
                    let server = server.Force()
                    server.Default <- Reply.status status
                    let client = clientFor server (fun o -> { o with MaxRetries = 2 })
                    let before = server.Requests.Length
                    let result = callFake client ping [] [] Payload.Empty
                    let attempts = server.Requests.Length - before

                    let retried = status >= 500 || status = 429
                    let expectedAttempts = if retried then 3 else 1

                    let rightCase =
                        match result with
                        | Ok element -> status < 300 && element.ValueKind = Text.Json.JsonValueKind.Null
                        | Error(TaskclusterError.Redirect(e, None)) -> status >= 300 && status < 400 && e.Attempts = 1
                        | Error(TaskclusterError.AuthenticationFailed e) -> status = 401 && e.Attempts = 1
                        | Error(TaskclusterError.InsufficientScopes e) -> status = 403 && e.Attempts = 1
                        | Error(TaskclusterError.ClientError e) ->
                            status >= 400
                            && status < 500
                            && status <> 401
                            && status <> 403
                            && e.Attempts = expectedAttempts
                        | Error(TaskclusterError.ServerError e) -> status >= 500 && e.Attempts = expectedAttempts
                        | Error _ -> false

                    rightCase && attempts = expectedAttempts))

            testPropertyWithConfig
                { FsCheckConfig.defaultConfig with
                    maxTest = 300
                }
                "descriptions are one line whatever the server says"
            <| fun (message: string) (body: string) (code: string) ->
                let info =
                    {
                        Name = "fake.ping"
                        Method = "GET"
                        Url = "https://tc.example.com/api/fake/v1/ping"
                    }

                let service: ServiceError =
                    {
                        Request = info
                        Status = 500
                        ReasonPhrase = "Internal Server Error"
                        Code = Option.ofObj code
                        Message = if isNull message then "" else message
                        Body = Option.ofObj body
                        Attempts = 3
                    }

                [
                    TaskclusterError.ServerError service
                    TaskclusterError.ClientError service
                    TaskclusterError.Redirect(service, Option.ofObj body)
                    TaskclusterError.ConnectionFailed(info, (if isNull message then "" else message), 2)
                ]
                |> List.forall (fun e ->
                    let d = e.Describe()
                    not (d.Contains '\n' || d.Contains '\r'))
        ]

let tests = testList "Errors" [ bodies; redirects; model ]
