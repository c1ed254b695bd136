/// Hostile responses for everything the client decodes: error bodies, 2xx bodies (raw and
/// through a decoder), pages and continuation tokens. Each must end in a value or a typed
/// `TaskclusterError` (never an exception), quickly, with allocation linear in the body.
module Taskcluster.Client.Tests.HostileTests

open System
open System.Diagnostics
open System.Net
open System.Net.Http
open System.Text
open System.Text.Json
open System.Threading
open System.Threading.Tasks
open Expecto
open FsCheck
open FsCheck.FSharp
open Taskcluster.Core
open Taskcluster.Client
open Taskcluster.Testing
open Taskcluster.Client.Tests.Fixtures

let private cases n =
    { FsCheckConfig.defaultConfig with
        maxTest = n
    }

/// A hang guard, not a speed check (speed is the bench's business): far above any honest case
/// even on a loaded machine, far below a runaway loop's time.
let private perCaseLimit = TimeSpan.FromSeconds 30.0

/// An element the client handed out, read through `Decode.json` (what a caller's decoders do),
/// gives a value or an `InvalidValue` (a string that is not Unicode, a number out of range):
/// both are valid JSON a service may send, e.g. a stored lone surrogate escaped as `\udXXX`.
let private readThrough (element: JsonElement) =
    match Decode.fromElement Decode.json element with
    | Ok _ -> ()
    | Error({ Reason = DecodeReason.InvalidValue _ }) -> ()
    | Error e -> failtestf "an element handed out cannot be read: %s" (e.Describe())

/// 64 bytes per body byte plus a constant for the request itself (HttpClient, Polly, headers).
let private allocationBound (bytes: int64) = 64L * bytes + 256L * 1024L

let private show (bytes: byte array) =
    let cut = if bytes.Length > 200 then bytes[..199] else bytes
    let text = BitConverter.ToString cut

    if bytes.Length > 200 then
        $"{text}… ({bytes.Length} bytes)"
    else
        text

/// Runs one call and fails the case unless it returned within the time bound and the bound on
/// allocation (measured on this thread: the canned handler completes synchronously, so the
/// whole call runs here), and an error describes itself.
let private guardWithin
    (limit: TimeSpan)
    (what: string)
    (body: byte array)
    (run: unit -> Result<'T, TaskclusterError>)
    =
    let before = GC.GetAllocatedBytesForCurrentThread()
    let clock = Stopwatch.StartNew()

    let outcome =
        try
            Choice1Of2(run ())
        with e ->
            Choice2Of2 e

    clock.Stop()
    let allocated = GC.GetAllocatedBytesForCurrentThread() - before

    match outcome with
    | Choice2Of2 e -> failtestf "%s threw %s (%s) on %s" what (e.GetType().Name) e.Message (show body)
    | Choice1Of2 result ->
        // Timed again before failing, so that one GC pause on a loaded machine is not a hang.
        if clock.Elapsed > limit then
            let again = Stopwatch.StartNew()
            run () |> ignore
            again.Stop()

            if again.Elapsed > limit then
                failtestf
                    "%s took %.0f ms, then %.0f ms, on %s"
                    what
                    clock.Elapsed.TotalMilliseconds
                    again.Elapsed.TotalMilliseconds
                    (show body)

        // A thread's allocation counter also takes in costs that are not the call's own and do
        // not come back on the next run (one-off initialisation on a path's first use, slack while
        // other threads allocate), so a call over the bound is measured again, keeping the least:
        // an allocation the body causes comes back every time, as the canned answer is the same.
        let bound = allocationBound (int64 body.Length)
        let measured = ResizeArray [ allocated ]

        while measured.Count < 5 && Seq.min measured > bound do
            let before = GC.GetAllocatedBytesForCurrentThread()
            run () |> ignore
            measured.Add(GC.GetAllocatedBytesForCurrentThread() - before)

        if Seq.min measured > bound then
            failtestf
                "%s allocated %d bytes for a body of %d bytes (measured %A): %s"
                what
                (Seq.min measured)
                body.Length
                (List.ofSeq measured)
                (show body)

        match result with
        | Error e when String.IsNullOrWhiteSpace(e.Describe()) ->
            failtestf "%s: empty description on %s" what (show body)
        | _ -> ()

        result

let private guard what body run = guardWithin perCaseLimit what body run

/// Answers every request at once (synchronously) with what `respond` says.
type private Canned(respond: HttpRequestMessage -> int * byte array) =
    inherit HttpMessageHandler()

    override _.SendAsync(request: HttpRequestMessage, _: CancellationToken) =
        let status, body = respond request

        let response =
            new HttpResponseMessage(enum<HttpStatusCode> status, RequestMessage = request)

        response.Content <- new ByteArrayContent(body)
        Task.FromResult response

/// A client whose every request is answered by `respond`, without retries.
let private cannedClient (respond: HttpRequestMessage -> int * byte array) =
    { Options.create "https://tc.example.com" with
        HttpMessageHandler = Some(new Canned(respond))
        MaxRetries = 0
    }
    |> createClient

/// A client answering with whatever `answer` holds when the request arrives.
let private settable () =
    let answer = ref (200, [||])
    answer, cannedClient (fun _ -> answer.Value)

let private info: RequestInfo =
    {
        Name = "fake.ping"
        Method = "GET"
        Url = "https://tc.example.com/api/fake/v1/ping"
    }

let private received status (body: byte array) : Received =
    {
        Status = status
        ReasonPhrase = "Reason"
        Body = body
        Date = Some(DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero))
        ReceivedAt = DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero)
        RetryAfter = None
        Location = None
        RequestId = None
    }

let private utf8 (text: string) = Encoding.UTF8.GetBytes text

/// Bodies: wrong-shaped JSON (as text, then UTF-8), the same with byte-level damage, and noise.
let private bodies (valid: Gen<Json>) : Gen<byte array> =
    Gen.frequency
        [
            6, Hostile.jsonText valid |> Gen.map utf8
            3, Hostile.utf8Mutations (valid |> Gen.map Encode.toString)
            1, Gen.arrayOf (Gen.choose (0, 255) |> Gen.map byte)
        ]

// ---- error bodies -------------------------------------------------------------------------

let private errorJson: Gen<Json> =
    gen {
        let! code =
            Gen.elements
                [
                    "ResourceNotFound"
                    "InsufficientScopes"
                    "AuthenticationFailed"
                    "InputError"
                ]

        let! message = Hostile.noise

        return
            Encode.object
                [
                    "code", Encode.string code
                    "message", Encode.string message
                    "requestInfo",
                    Encode.object
                        [
                            "method", Encode.string "ping"
                            "params", Encode.object []
                            "payload", Encode.object []
                        ]
                ]
    }

let private errorBodyTests =
    testList
        "error bodies"
        [
            testPropertyWithConfig
                (cases 20_000)
                "serviceError reads any body into a service error with at most 512 bytes of excerpt"
            <| Prop.forAll
                (Arb.fromGen (Gen.zip (bodies errorJson) (Gen.elements [ 400; 401; 403; 404; 500; 502 ])))
                (fun (body, status) ->
                    let r = received status body

                    let e =
                        guard "serviceError" body (fun () -> Ok(Transport.serviceError info 1 r))
                        |> Result.defaultWith (fun _ -> failtest "unreachable")

                    Expect.equal e.Status status "status kept"

                    match e.Body with
                    | Some excerpt ->
                        Expect.isLessThanOrEqual
                            (Encoding.UTF8.GetByteCount excerpt)
                            (3 * Transport.excerptLength)
                            "excerpt"
                    | None -> ()

                    guard "staleTimestampServerTime" body (fun () -> Ok(Transport.staleTimestampServerTime r))
                    |> ignore)

            testPropertyWithConfig (cases 5_000) "an error status with any body ends as the matching service error"
            <| Prop.forAll
                (Arb.fromGen (Gen.zip (bodies errorJson) (Gen.elements [ 302; 400; 401; 403; 404; 409; 500; 503 ])))
                (fun (body, status) ->
                    let answer, client = settable ()
                    answer.Value <- status, body

                    match guard "call" body (fun () -> callFake client ping [] [] Payload.Empty) with
                    | Error e -> Expect.equal e.Status (Some status) $"status in {e.Describe()}"
                    | Ok v -> failtestf "status %d accepted: %A" status v)
        ]

// ---- 2xx bodies ---------------------------------------------------------------------------

/// A `queue.status`-like answer, and a decoder for it as a generated client would write one.
type private TaskStatus =
    {
        TaskId: string
        State: string
        Runs: (int * string * int64 option) list
        Deadline: string
    }

let private statusDecoder: Decoder<TaskStatus> =
    Decode.field
        "status"
        (Decode.object (fun get ->
            {
                TaskId = get.Required "taskId" Decode.string
                State = get.Required "state" Decode.string
                Runs =
                    get.Required
                        "runs"
                        (Decode.list (
                            Decode.object (fun run ->
                                run.Required "runId" Decode.int,
                                run.Required "state" Decode.string,
                                run.Optional "takenUntilMs" Decode.int64)
                        ))
                Deadline = get.Required "deadline" Decode.string
            }))

let private statusJson: Gen<Json> =
    gen {
        let! taskId = Values.slugIdNice |> Gen.map string
        let! state = Gen.elements [ "unscheduled"; "pending"; "running"; "completed"; "failed"; "exception" ]
        let! runs = Gen.choose (0, 3)

        return
            Encode.object
                [
                    "status",
                    Encode.object
                        [
                            "taskId", Encode.string taskId
                            "state", Encode.string state
                            "runs",
                            Encode.list
                                [
                                    for i in 0 .. runs - 1 ->
                                        Encode.object
                                            [
                                                "runId", Encode.int i
                                                "state", Encode.string state
                                                "takenUntilMs", Encode.int64 1_900_000_000_000L
                                            ]
                                ]
                            "deadline", Encode.string "2030-01-01T00:00:00.000Z"
                        ]
                ]
    }

let private responseTests =
    testList
        "2xx bodies"
        [
            testPropertyWithConfig (cases 10_000) "call gives a fully readable element or InvalidResponse"
            <| Prop.forAll (Arb.fromGen (bodies statusJson)) (fun body ->
                let answer, client = settable ()
                answer.Value <- 200, body

                match guard "call" body (fun () -> callFake client ping [] [] Payload.Empty) with
                | Ok element ->
                    // JSON text is UTF-8 (RFC 8259): anything else is refused, not handed out.
                    Expect.isTrue (Unicode.Utf8.IsValid(ReadOnlySpan body)) "only a UTF-8 body gives an element"
                    readThrough element
                | Error(TaskclusterError.InvalidResponse(_, 200, _)) -> ()
                | Error e -> failtestf "unexpected %s" (e.Describe()))

            testPropertyWithConfig
                (cases 10_000)
                "callDecoded with a status decoder gives a value or InvalidResponse with a JSON path"
            <| Prop.forAll (Arb.fromGen (bodies statusJson)) (fun body ->
                let answer, client = settable ()
                answer.Value <- 200, body

                let result =
                    guard "callDecoded" body (fun () ->
                        Client.callDecoded
                            statusDecoder
                            client
                            fakeReference
                            ping
                            []
                            []
                            Payload.Empty
                            CancellationToken.None
                        |> run)

                match result with
                | Ok status -> Expect.isNotNull status.TaskId "decoded"
                | Error(TaskclusterError.InvalidResponse(_, 200, e)) -> Expect.stringStarts e.Path "$" "a JSON path"
                | Error e -> failtestf "unexpected %s" (e.Describe()))
        ]

// ---- object-service answers ---------------------------------------------------------------

let private objectAnswerJson: Gen<Json> =
    gen {
        let! inlined = Gen.elements [ true; false ]
        let! hashes = Gen.subListOf [ "sha256", "ab12"; "sha512", "cd34"; "md5", "ef56" ]

        return
            Encode.object
                [
                    "uploadMethod",
                    (if inlined then
                         Encode.object [ "dataInline", Encode.bool true ]
                     else
                         Encode.object
                             [
                                 "putUrl",
                                 Encode.object
                                     [
                                         "url", Encode.string "https://bucket.example.com/x?sig=1"
                                         "expires", Encode.string "2030-01-01T00:00:00.000Z"
                                         "headers",
                                         Encode.object [ "content-type", Encode.string "application/octet-stream" ]
                                     ]
                             ])
                    "hashes", Encode.object [ for name, value in hashes -> name, Encode.string value ]
                ]
    }

let private objectAnswerTests =
    testList
        "object-service answers"
        [
            testPropertyWithConfig (cases 10_000) "the upload-method and hashes decoders give a value or a DecodeError"
            <| Prop.forAll (Arb.fromGen (bodies objectAnswerJson)) (fun body ->
                let decode () =
                    let memory = ReadOnlyMemory body

                    [
                        Decode.fromUtf8 DataTransfer.uploadChoice memory |> Result.map ignore
                        Decode.fromUtf8 DataTransfer.optionalHashes memory |> Result.map ignore
                    ]
                    |> List.tryPick (function
                        | Error e -> Some(Error(TaskclusterError.InvalidResponse(info, 200, e)))
                        | Ok() -> None)
                    |> Option.defaultValue (Ok())

                guard "object-service decoders" body decode |> ignore)
        ]

// ---- secrets (TaskclusterConfig) ----------------------------------------------------------

let private secretJson: Gen<Json> =
    gen {
        let! keys = Gen.subListOf [ "a"; "b"; "k"; "token" ]

        return
            Encode.object
                [
                    "secret",
                    Encode.object
                        [
                            for key in keys -> key, Encode.object [ "k", Encode.string "v"; "x", Encode.int 1 ]
                        ]
                    "expires", Encode.string "2030-01-01T00:00:00.000Z"
                ]
    }

let private secretsTests =
    testList
        "secrets"
        [
            testPropertyWithConfig
                (cases 5_000)
                "loadSecrets over wrong-shaped secrets gives the merged keys or a ConfigError"
            <| Prop.forAll
                (Arb.fromGen (Gen.zip (Hostile.jsonText secretJson) (Gen.elements [ []; [ "a" ]; [ "a"; "b" ] ])))
                (fun (text, prefixes) ->
                    // Only answers that are JSON reach loadSecrets; the rest is the client's business.
                    match Decode.fromString Decode.element text with
                    | Error _ -> ()
                    | Ok answer ->
                        let secrets: SecretsApi =
                            {
                                Get = fun _ _ -> Task.FromResult(Ok answer)
                            }

                        let body = utf8 text

                        guard "loadSecrets" body (fun () ->
                            Secrets.loadSecrets
                                secrets
                                (Some "project/x")
                                prefixes
                                [ "k" ]
                                Map.empty
                                None
                                CancellationToken.None
                            |> run
                            |> Result.mapError (fun e ->
                                TaskclusterError.InvalidResponse(
                                    info,
                                    200,
                                    {
                                        Path = "$"
                                        Reason = DecodeReason.InvalidValue(e.Describe())
                                    }
                                )))
                        |> ignore)
        ]

// ---- pages --------------------------------------------------------------------------------

let private pageJson: Gen<Json> =
    gen {
        let! count = Gen.choose (0, 3)
        let! token = Gen.elements [ "next"; "a+b/c=="; String('t', 2000) ]

        return
            Encode.object
                [
                    "things", Encode.list [ for i in 1..count -> Encode.object [ "n", Encode.int i ] ]
                    "continuationToken", Encode.string token
                ]
    }

let private lastPage = utf8 """{"things":[{"n":0}]}"""

/// Serves the hostile page for the first `hostile` requests, then a last page: a listing whose
/// tokens keep coming still ends.
let private pagedClient (page: byte array) (hostile: int) =
    let served = ref 0

    cannedClient (fun _ ->
        served.Value <- served.Value + 1
        200, (if served.Value <= hostile then page else lastPage))

let private pageTests =
    testList
        "pages"
        [
            testPropertyWithConfig
                (cases 5_000)
                "pages and items over wrong-shaped pages and tokens end with values or a typed error"
            <| Prop.forAll (Arb.fromGen (Gen.zip (bodies pageJson) (Gen.choose (1, 3)))) (fun (page, hostile) ->
                let listAll (source: Collections.Generic.IAsyncEnumerable<Result<JsonElement, TaskclusterError>>) () =
                    let results = Pages.toList source CancellationToken.None |> run

                    // Every element handed out can be read through.
                    for element in results |> Result.defaultValue [] do
                        readThrough element

                    results |> Result.map List.length

                // The hostile page is served `hostile` times (its token goes into the next URL).
                let served = Array.concat (List.replicate (hostile + 1) page)
                let guard what run = guard what served run
                let client = pagedClient page hostile

                let pages =
                    guard "pages" (listAll (Client.pages client fakeReference listThings [] [] Payload.Empty))

                match pages with
                | Ok n -> Expect.isLessThanOrEqual n (hostile + 1) "at most one page per answer"
                | Error _ -> ()

                let client = pagedClient page hostile

                guard "items" (listAll (Client.items None client fakeReference listThings [] [] Payload.Empty))
                |> ignore

                let client = pagedClient page hostile

                guard
                    "items things"
                    (listAll (Client.items (Some "things") client fakeReference listThings [] [] Payload.Empty))
                |> ignore)
        ]

// ---- huge, deep and odd bodies ------------------------------------------------------------

/// Reading a huge body is the transport's work (tens of milliseconds on an idle machine, seconds
/// on a loaded one); the parse fails within the first 65 bytes. Hence the per-call limit.
let private bigBodyLimit = TimeSpan.FromSeconds 20.0

let private bigBody (name: string) (decoded: bool) (makeBody: unit -> byte array) =
    test name {
        // Made when the test runs, not when the test list is built.
        let body = makeBody ()
        let answer, client = settable ()
        answer.Value <- 200, "{}"B
        callFake client ping [] [] Payload.Empty |> ignore // warm up on a small body
        answer.Value <- 200, body

        match guardWithin bigBodyLimit name body (fun () -> callFake client ping [] [] Payload.Empty) with
        | Error(TaskclusterError.InvalidResponse(_, 200, { Reason = DecodeReason.InvalidJson _ })) -> ()
        | other -> failtestf "expected InvalidResponse, got %A" other

        if decoded then
            match
                guardWithin bigBodyLimit name body (fun () ->
                    Client.callDecoded
                        statusDecoder
                        client
                        fakeReference
                        ping
                        []
                        []
                        Payload.Empty
                        CancellationToken.None
                    |> run)
            with
            | Error(TaskclusterError.InvalidResponse(_, 200, { Reason = DecodeReason.InvalidJson _ })) -> ()
            | other -> failtestf "expected InvalidResponse from callDecoded, got %A" other

        // The same body as an error answer keeps only an excerpt.
        answer.Value <- 500, body

        match guardWithin bigBodyLimit name body (fun () -> callFake client ping [] [] Payload.Empty) with
        | Error(TaskclusterError.ServerError s) ->
            Expect.isLessThanOrEqual (defaultArg (s.Body |> Option.map _.Length) 0) Transport.excerptLength "excerpt"
        | other -> failtestf "expected ServerError, got %A" other
    }

let private oddBodyTests =
    testList
        "odd bodies"
        [
            // callDecoded parses like Decode.fromUtf8, which the core tests give 50 MiB of '['.
            bigBody "50 MiB of '[' is InvalidResponse, or a server error with an excerpt" false (fun () ->
                Array.create (50 * 1024 * 1024) '['B)
            bigBody "arrays nested 100,000 deep are InvalidResponse" true (fun () ->
                Array.append (Array.create 100_000 '['B) (Array.create 100_000 ']'B))
            bigBody "objects nested 100,000 deep are InvalidResponse" true (fun () ->
                utf8 (String.replicate 100_000 "{\"a\":" + "1" + String('}', 100_000)))

            test "invalid UTF-8 in a 2xx body is InvalidResponse naming the byte" {
                let answer, client = settable ()
                answer.Value <- 200, Array.concat [ utf8 "{\"a\":\"x"; [| 0xC3uy; 0x28uy |]; utf8 "\"}" ]

                match callFake client ping [] [] Payload.Empty with
                | Error(TaskclusterError.InvalidResponse(_, 200, e)) ->
                    Expect.stringContains (e.Describe()) "byte 7" "the offset"
                | other -> failtestf "expected InvalidResponse, got %A" other
            }

            test "NUL bytes: raw in a string is InvalidResponse, escaped is a value" {
                let answer, client = settable ()
                answer.Value <- 200, Array.concat [ utf8 "\"a"; [| 0uy |]; utf8 "b\"" ]
                Expect.isError (callFake client ping [] [] Payload.Empty) "raw NUL"
                answer.Value <- 200, utf8 "\"a\\u0000b\""

                match callFake client ping [] [] Payload.Empty with
                | Ok element -> Expect.equal (element.GetString()) "a\u0000b" "escaped NUL"
                | Error e -> failtestf "refused: %s" (e.Describe())
            }

            test "an error body whose code is an escaped lone surrogate is still a service error" {
                let answer, client = settable ()
                answer.Value <- 404, utf8 """{"code":"\ud800","message":"gone"}"""

                match callFake client ping [] [] Payload.Empty with
                | Error(TaskclusterError.ClientError s) ->
                    Expect.isNone s.Code "the unreadable code is left out"
                    Expect.equal s.Message "gone" "the message is kept"
                | other -> failtestf "expected ClientError, got %A" other
            }

            test "a continuation token that is an escaped lone surrogate ends the listing" {
                let client =
                    pagedClient (utf8 """{"things":[{"n":1}],"continuationToken":"\udc00"}""") 1

                match
                    Pages.toList
                        (Client.items None client fakeReference listThings [] [] Payload.Empty)
                        CancellationToken.None
                    |> run
                with
                | Ok items -> Expect.equal items.Length 1 "the one item, then the end"
                | Error e -> failtestf "expected the items, got %s" (e.Describe())
            }

            test "a page with a member name that is an escaped lone surrogate is a NoItems error" {
                // Two array members, so the names are read to say which one to name.
                let client = pagedClient (utf8 """{"\udc00":[],"things":[{"n":1}]}""") 1

                match
                    Pages.toList
                        (Client.items None client fakeReference listThings [] [] Payload.Empty)
                        CancellationToken.None
                    |> run
                with
                | Error(TaskclusterError.InvalidRequest(_, RequestError.NoItems reason)) ->
                    Expect.stringContains reason "Unicode" "reason"
                | other -> failtestf "expected a NoItems error, got %A" other
            }

            test "duplicate continuation tokens: the last one is followed" {
                let seen = Collections.Concurrent.ConcurrentQueue<string>()

                let client =
                    cannedClient (fun request ->
                        seen.Enqueue request.RequestUri.Query

                        if request.RequestUri.Query.Contains "continuationToken" then
                            200, lastPage
                        else
                            200, utf8 """{"things":[],"continuationToken":"first","continuationToken":"second"}""")

                Pages.toList (Client.pages client fakeReference listThings [] [] Payload.Empty) CancellationToken.None
                |> run
                |> ignore

                Expect.sequenceEqual seen [ ""; "?continuationToken=second" ] "queries"
            }

            test "a number of a million digits decoded as an integer is InvalidResponse with a short description" {
                let answer, client = settable ()

                answer.Value <-
                    200,
                    utf8 (
                        "{\"status\":{\"taskId\":\"a\",\"state\":\"s\",\"runs\":[{\"runId\":"
                        + String('9', 1_000_000)
                        + ",\"state\":\"s\"}],\"deadline\":\"d\"}}"
                    )

                match
                    Client.callDecoded
                        statusDecoder
                        client
                        fakeReference
                        ping
                        []
                        []
                        Payload.Empty
                        CancellationToken.None
                    |> run
                with
                | Error(TaskclusterError.InvalidResponse(_, _, e)) ->
                    Expect.equal e.Path "$.status.runs[0].runId" "path"
                    Expect.isLessThan (e.Describe().Length) 1024 "short"
                | other -> failtestf "expected InvalidResponse, got %A" other
            }
        ]

// ---- options ------------------------------------------------------------------------------

let private certificateText: Gen<string> =
    gen {
        let! start = Gen.choose64 (1_500_000_000_000L, 1_900_000_000_000L)
        let! scopes = Scopes.scopeSet

        let temporary =
            Certificate.createTemporaryCredentials
                "issuer"
                "issuer-token"
                false
                start
                (start + 3_600_000L)
                (scopes |> List.filter (String.forall (fun c -> c >= ' ' && c <= '~')))
                None
                (String('s', 44))

        match temporary with
        | Ok t -> return! Hostile.jsonText (Gen.constant (Certificate.toJson t.Certificate))
        | Error e -> return failwith (e.Describe())
    }

/// Options with hostile values everywhere, and a distinctive access token to look for.
let private hostileOptions: Gen<ClientOptions * string> =
    gen {
        let! rootUrl =
            Hostile.mutationsOf Hostile.token (Gen.elements [ "https://tc.example.com"; "http://localhost:8080" ])

        let! clientId = Hostile.mutationsOf Hostile.token (Gen.elements [ "tester"; "project/x/ci" ])

        let! secret =
            Gen.arrayOfLength 24 (Gen.elements "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
            |> Gen.map String

        let! certificate = Gen.optionOf certificateText
        let! scopes = Gen.optionOf (Gen.listOf (Hostile.mutationsOf Hostile.token Scopes.scope))
        let! traceId = Gen.optionOf (Hostile.mutationsOf Hostile.token (Gen.constant "trace-1"))
        let token = "secret-" + secret

        return
            { Options.create rootUrl with
                Credentials =
                    Some
                        {
                            ClientId = clientId
                            AccessToken = token
                            Certificate = certificate |> Option.map CertificateSource.Text
                        }
                AuthorizedScopes = scopes
                TraceId = traceId
            },
            token
    }

let private optionsTests =
    testList
        "options"
        [
            testPropertyWithConfig
                (cases 2_000)
                "Options.validate with hostile option values gives options or an OptionsError, and neither shows the access token"
            <| Prop.forAll (Arb.fromGen hostileOptions) (fun (options, token) ->
                let clock = Stopwatch.StartNew()

                let result =
                    try
                        Options.validate options
                    with e ->
                        failtestf "Options.validate threw %s (%s) on %s" (e.GetType().Name) e.Message options.Display

                clock.Stop()
                Expect.isLessThan clock.Elapsed perCaseLimit "time"
                // `%A` of the options is their Display (StructuredFormatDisplay).
                Expect.isFalse (options.Display.Contains token) "the options' display"

                match result with
                | Ok _ -> ()
                | Error e ->
                    Expect.isFalse (e.Describe().Contains token) $"the error: {e.Describe()}"
                    Expect.isFalse (e.Field.Contains token) "the field")
        ]

// ---- response size ---------------------------------------------------------------------

/// `produced` bytes of 'x', made as they are read, never held; not seekable, so its length is
/// only known if a test announces one.
type private Produced(produced: int64) =
    inherit IO.Stream()
    let mutable given = 0L
    override _.CanRead = true
    override _.CanSeek = false
    override _.CanWrite = false
    override _.Length = raise (NotSupportedException())

    override _.Position
        with get () = given
        and set _ = raise (NotSupportedException())

    override _.Flush() = ()

    override _.Read(buffer: byte array, offset: int, count: int) =
        let n = int (min (int64 count) (produced - given))
        Array.fill buffer offset n 'x'B
        given <- given + int64 n
        n

    override _.Seek(_, _) = raise (NotSupportedException())
    override _.SetLength _ = raise (NotSupportedException())
    override _.Write(_, _, _) = raise (NotSupportedException())

let private producedContent (announced: int64 option) (produced: int64) : HttpContent =
    let content = new StreamContent(new Produced(produced))
    announced |> Option.iter (fun n -> content.Headers.ContentLength <- Nullable n)
    content

/// Answers every request with 200 and the content `make` gives; counts the requests.
type private Producing(make: unit -> HttpContent) =
    inherit HttpMessageHandler()
    member val Requests = 0 with get, set

    override this.SendAsync(request: HttpRequestMessage, _: CancellationToken) =
        this.Requests <- this.Requests + 1
        Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK, RequestMessage = request, Content = make ()))

let private readWithin limit announced produced =
    try
        Ok((Transport.readBody limit 200 (producedContent announced produced) CancellationToken.None).Result)
    with :? AggregateException as e when (e.InnerException :? ResponseTooLargeException) ->
        Error(e.InnerException :?> ResponseTooLargeException)

let private responseSizeTests =
    testList
        "response size"
        [
            test "a body within the limit is read whole, announced or not" {
                Expect.equal (readWithin 1000L (Some 1000L) 1000L |> Result.map _.Length) (Ok 1000) "announced"
                Expect.equal (readWithin 1000L None 1000L |> Result.map _.Length) (Ok 1000) "chunked"
                Expect.equal (readWithin 1000L None 0L |> Result.map _.Length) (Ok 0) "empty"
                // A HEAD-style answer: a length announced, no bytes.
                Expect.equal (readWithin 1000L (Some 10L) 0L |> Result.map _.Length) (Ok 0) "announced, none sent"
            }

            test "a body over the limit is refused, before reading when its length is announced" {
                match readWithin 1000L (Some 1001L) 0L with
                | Error e -> Expect.equal e.Limit 1000L "limit"
                | Ok body -> failtestf "read %d bytes" body.Length

                match readWithin 1000L None 1001L with
                | Error e -> Expect.stringContains e.Message "1000 bytes" "message"
                | Ok body -> failtestf "read %d bytes" body.Length
            }

            test "an API answer over MaxBodyBytes is InvalidResponse, at once and not retried" {
                for announced in [ Some(Transport.MaxBodyBytes + 1L); None ] do
                    let handler =
                        new Producing(fun () ->
                            producedContent announced (if announced.IsSome then 0L else Transport.MaxBodyBytes + 1L))

                    let client =
                        { Options.create "https://tc.example.com" with
                            HttpMessageHandler = Some handler
                            MaxRetries = 3
                        }
                        |> createClient

                    match callFake client ping [] [] Payload.Empty with
                    | Error(TaskclusterError.InvalidResponse(_,
                                                             200,
                                                             {
                                                                 Reason = DecodeReason.InvalidJson message
                                                             })) ->
                        Expect.stringContains message $"{Transport.MaxBodyBytes} bytes" "names the limit"
                    | other -> failtestf "expected InvalidResponse, got %A" other

                    Expect.equal handler.Requests 1 "one request, no retries"
            }
        ]

let tests =
    testList
        "Hostile"
        [
            errorBodyTests
            responseTests
            objectAnswerTests
            secretsTests
            pageTests
            oddBodyTests
            optionsTests
            responseSizeTests
        ]
