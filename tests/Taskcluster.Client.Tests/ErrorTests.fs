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

/// The message the services write for a 403, with the blocks they fence.
let private insufficientMessage (missing: string) =
    String.Join(
        "\n",
        [
            "Client ID tester does not have sufficient scopes and are missing the following scopes:"
            ""
            "```"
            missing
            "```"
            ""
            "You have the scopes:"
            ""
            "```"
            "[\n  \"queue:get-task:*\"\n]"
            "```"
            ""
            "This request requires you to satisfy this scope expression:"
            ""
            "```"
            missing
            "```"
        ]
    )

let private scopes =
    testList
        "missing scopes"
        [
            for missing, expected in
                [
                    "secrets:get:project/x", [ "secrets:get:project/x" ]
                    "[\n  \"a:b\",\n  \"c:<d>\"\n]", [ "a:b"; "c:<d>" ]
                    "{\n  \"AnyOf\": [\n    \"a\",\n    \"b\"\n  ]\n}", [ """{"AnyOf":["a","b"]}""" ]
                ] do
                test $"a 403 message's block is carried as data and shown on one line: {expected}" {
                    use server = start ()
                    server.Default <- Reply.error 403 "InsufficientScopes" (insufficientMessage missing)
                    let client = clientFor server id
                    let error = callFake client ping [] [] Payload.Empty |> expectError "403"
                    let s = serviceError error
                    Expect.equal s.MissingScopes expected "the missing scopes"
                    let line = error.Describe()

                    Expect.stringContains
                        line
                        ("missing the following scopes: " + String.concat ", " expected)
                        "the one-line form names them"

                    Expect.stringContains (string error) (List.head expected) "ToString too"
                    Expect.stringContains (sprintf "%A" error) (List.head expected) "%A too"

                    let logger = CapturingLogger()
                    Log.requestFailed logger "fake.ping" error

                    Expect.stringContains
                        (List.exactlyOne logger.Events).Message
                        (List.head expected)
                        "the log line too"
                }

            test "requiredScopes and details in the body win over the message" {
                use server = start ()

                server.Enqueue(
                    Reply.json 403 """{"code":"InsufficientScopes","message":"no","requiredScopes":["x:y","z"]}""",
                    Reply.json
                        403
                        """{"code":"InsufficientScopes","message":"no","details":{"required":{"AllOf":["p"]},"unsatisfied":["p"]}}""",
                    Reply.json 403 """{"code":"InsufficientScopes","message":"no","details":{"required":"q"}}"""
                )

                let client = clientFor server id

                let missing () =
                    (callFake client ping [] [] Payload.Empty |> expectError "403" |> serviceError).MissingScopes

                Expect.equal (missing ()) [ "x:y"; "z" ] "requiredScopes"
                Expect.equal (missing ()) [ "p" ] "details.unsatisfied"
                Expect.equal (missing ()) [ "q" ] "details.required"
            }

            test "other statuses and bodies without scopes carry none" {
                use server = start ()
                server.Enqueue(Reply.error 404 "ResourceNotFound" "missing the following scopes:\n\nnot:really")
                server.Enqueue(Reply.error 403 "InsufficientScopes" "You do not have sufficient scopes.")
                let client = clientFor server id

                for _ in 1..2 do
                    let s =
                        callFake client ping [] [] Payload.Empty |> expectError "4xx" |> serviceError

                    Expect.isEmpty s.MissingScopes "none"
            }
        ]

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

            test "a caller's HttpClient that follows redirects drops the credentials on the way, and is never a success" {
                use server = start ()
                use other = start ()
                other.Enforce <- false
                server.Default <- Reply.redirect 302 (other.Url + "/landing")
                use http = new HttpClient(new HttpClientHandler(AllowAutoRedirect = true))
                let client = clientFor server (fun o -> { o with HttpClient = Some http })

                match callFake client ping [] [] Payload.Empty with
                | Error(TaskclusterError.Redirect(e, Some location) as error) ->
                    Expect.equal location (other.Url + "/landing") "where it ended"
                    Expect.equal e.Status 200 "the final status"
                    Expect.stringContains (error.Describe()) "followed a redirect" "described"
                | result -> failtestf "expected a Redirect error, got %A" result

                match other.Requests with
                | [ landed ] -> Expect.isNone (landed.Header "Authorization") "no Authorization header"
                | rs -> failtestf "expected one request, got %d" rs.Length
            }

            for status in [ 307; 308 ] do
                test $"a body a caller's HttpClient re-sent to another host after a {status} is not a success" {
                    use server = start ()
                    use other = start ()
                    other.Enforce <- false
                    server.Default <- Reply.redirect status (other.Url + "/landing")
                    use http = new HttpClient(new SocketsHttpHandler(AllowAutoRedirect = true))
                    let client = clientFor server (fun o -> { o with HttpClient = Some http })

                    match callFake client createThing [ "t" ] [] (Payload.Text """{"secret":"hush"}""") with
                    | Error(TaskclusterError.Redirect(_, Some location)) ->
                        Expect.equal location (other.Url + "/landing") "where it ended"
                    | result -> failtestf "expected a Redirect error, got %A" result

                    Expect.equal server.Requests.Length 1 "not retried"
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

                    // Statuses that say the server will never serve this request are final.
                    let final = set [ 501; 505; 506; 508; 510; 511 ]

                    let retried =
                        (status >= 500 && not (final.Contains status)) || status = 429 || status = 408

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
                        MissingScopes = []
                        RequestId = None
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

// ---- redaction ------------------------------------------------------------------------------

/// What every secret in these tests starts with; it never appears in text without a secret.
let private marker = "S3CR3T"

/// Text that may carry a credential where services, storage and proxies put them: pre-signed
/// S3, GCS, Azure and CloudFront URLs, bewits, JSON credentials, Hawk headers; or plain text.
let private secretText: Gen<string> =
    let plain =
        Gen.elements (
            [ 'a' .. 'z' ]
            @ [ '0' .. '9' ]
            @ [ ' '; '/'; ':'; '.'; '-'; '\n'; '"'; '{'; '}'; '&'; '?'; '=' ]
        )
        |> Gen.arrayOf
        |> Gen.map String

    let secret =
        Gen.elements ([ 'A' .. 'Z' ] @ [ 'a' .. 'z' ] @ [ '0' .. '9' ])
        |> Gen.arrayOf
        |> Gen.map (fun cs -> marker + String cs)

    let templates =
        [
            fun s ->
                $"https://bucket.s3.us-east-1.amazonaws.com/t/x.bin?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential={s}%%2F20300101&X-Amz-Date=20300101T000000Z&X-Amz-Expires=900&X-Amz-Signature={s}"
            fun s -> $"https://bucket.s3.amazonaws.com/x?X-Amz-Security-Token={s}&X-Amz-SignedHeaders=host"
            fun s -> $"https://storage.googleapis.com/b/o?X-Goog-Algorithm=GOOG4-RSA-SHA256&X-Goog-Signature={s}"
            fun s -> $"https://account.blob.core.windows.net/c/b?sv=2021-08-06&se=2030-01-01&sig={s}"
            fun s -> $"https://d111.cloudfront.net/x?Expires=1&Signature={s}&Key-Pair-Id=K2"
            fun s -> $"https://tc.example.com/api/queue/v1/task/x/artifacts/public/y?bewit={s}"
            fun s -> $"signature={s}"
            fun s -> $"""{{"clientId":"c","accessToken":"{s}","certificate":"{{\"signature\":\"{s}\"}}"}}"""
            fun s -> $"""Authorization: Hawk id="c", ts="1", nonce="n", mac="{s}" """
            fun s -> $"https://tc.example.com/x?next=https%%3A%%2F%%2Fh%%2Fo%%3FX-Amz-Signature%%3D{s}%%26a%%3Db"
        ]

    let withSecret =
        gen {
            let! template = Gen.elements templates
            let! s = secret
            let! before = plain
            let! after = plain
            return before + template s + after
        }

    Gen.frequency [ 1, plain; 3, withSecret ]

type private SecretArbitraries =
    static member String() = Arb.fromGen secretText

let private arbitraries = ArbMap.defaults |> ArbMap.mergeWith<SecretArbitraries>

/// Every rendering of a value a person (or a log) may see.
let private renderings (describe: unit -> string) (value: obj) =
    [ describe (); string value; sprintf "%A" value; sprintf "%O" value ]

let private leaks (texts: string list) =
    texts |> List.filter (fun t -> t.Contains marker)

let private redactionProperty<'T> (describe: 'T -> string) =
    Prop.forAll (ArbMap.arbitrary<'T> arbitraries) (fun (value: 'T) ->
        match leaks (renderings (fun () -> describe value) (box value)) with
        | [] -> true
        | leaked -> failwithf "a secret shows in %A" leaked)

let private redaction =
    testList
        "redaction"
        [
            test "a Redirect to a pre-signed URL shows no signature in Describe, ToString or %A" {
                use server = start ()

                let location =
                    "https://bucket.s3.amazonaws.com/x?X-Amz-Credential=S3CR3Tcred&X-Amz-Signature=S3CR3Tsig"

                server.Default <- Reply.redirect 303 location |> Reply.withReason ("see " + location)
                let client = clientFor server id
                let error = callFake client ping [] [] Payload.Empty |> expectError "303"

                match error with
                | TaskclusterError.Redirect(_, Some l) -> Expect.equal l location "the data keeps the URL to fetch"
                | other -> failtestf "expected a Redirect, got %s" (other.Describe())

                Expect.isEmpty (leaks (renderings error.Describe (box error))) "no signature"
            }

            test "a body excerpt holding a pre-signed URL is kept without its signature" {
                use server = start ()

                server.Default <-
                    Reply.text
                        400
                        "text/html"
                        "<a href=\"https://b.s3.amazonaws.com/x?X-Amz-Signature=S3CR3Tabc&x=1\">here</a>"

                let client = clientFor server id
                let error = callFake client ping [] [] Payload.Empty |> expectError "400"
                let s = serviceError error
                Expect.stringContains s.Body.Value "X-Amz-Signature=***" "redacted in the data"
                Expect.isEmpty (leaks (renderings error.Describe (box error) @ [ string s; sprintf "%A" s ])) "nowhere"
            }

            testPropertyWithConfig
                { FsCheckConfig.defaultConfig with
                    maxTest = 400
                }
                "no case of TaskclusterError shows a secret in any rendering"
            <| redactionProperty<TaskclusterError> _.Describe()

            testPropertyWithConfig
                { FsCheckConfig.defaultConfig with
                    maxTest = 400
                }
                "no case of TransferError shows a secret in any rendering"
            <| redactionProperty<TransferError> _.Describe()

            testPropertyWithConfig
                { FsCheckConfig.defaultConfig with
                    maxTest = 200
                }
                "no case of ConfigError, OptionsError or RequestError shows a secret in any rendering"
            <| (fun () ->
                redactionProperty<ConfigError> _.Describe()
                .&. redactionProperty<OptionsError> _.Describe()
                .&. redactionProperty<RequestError> _.Describe())

            testPropertyWithConfig
                { FsCheckConfig.defaultConfig with
                    maxTest = 200
                }
                "ServiceError and RequestInfo show no secret in ToString or %A, nor in the log line of an error"
            <| (fun () ->
                redactionProperty<ServiceError> string
                .&. redactionProperty<RequestInfo> string
                .&. Prop.forAll (ArbMap.arbitrary<TaskclusterError> arbitraries) (fun error ->
                    let logger = CapturingLogger()
                    Log.requestFailed logger "fake.ping" error
                    Log.retryingRequest logger "fake.ping" (error.Describe()) 1 TimeSpan.Zero
                    logger.Events |> List.forall (fun e -> not (e.AllText.Contains marker))))
        ]

let tests = testList "Errors" [ bodies; scopes; redirects; model; redaction ]
