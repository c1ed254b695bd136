module Taskcluster.Client.Tests.RequestTests

open System
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
open Taskcluster.Client.Tests.TestServer
open Taskcluster.Client.Tests.Fixtures

/// Counts the requests that go through it.
type private CountingHandler() =
    inherit DelegatingHandler(new SocketsHttpHandler(AllowAutoRedirect = false))
    member val Count = 0 with get, set

    override this.SendAsync(request: HttpRequestMessage, token: CancellationToken) =
        this.Count <- this.Count + 1
        base.SendAsync(request, token)

/// A body that announces one length and holds fewer bytes, read synchronously (so that what
/// reading it allocates is counted on the calling thread).
type private ShortContent(announced: int64 option, actual: byte array) as this =
    inherit HttpContent()

    do
        match announced with
        | Some n -> this.Headers.ContentLength <- Nullable n
        | None -> ()

    override _.SerializeToStreamAsync(stream: IO.Stream, _context: Net.TransportContext) =
        stream.WriteAsync(actual, 0, actual.Length)

    override _.TryComputeLength(length: byref<int64>) =
        length <- 0L
        false

    override _.CreateContentReadStreamAsync() =
        Task.FromResult(new IO.MemoryStream(actual, false) :> IO.Stream)

/// The bytes `readBody` allocates for a body, and what it returns.
let private readCost (announced: int64 option) (actual: byte array) =
    use content = new ShortContent(announced, actual)
    let before = GC.GetAllocatedBytesForCurrentThread()

    let read =
        Transport.readBody Transport.MaxBodyBytes 200 content CancellationToken.None

    let after = GC.GetAllocatedBytesForCurrentThread()
    Expect.isTrue read.IsCompletedSuccessfully "read synchronously"
    after - before, read.Result

let private single (server: Server) =
    match server.Requests with
    | [ r ] -> r
    | rs -> failtestf "expected one request, got %d" rs.Length

let private signing =
    testList
        "signing"
        [
            test "an anonymous client sends no Authorization header, and a User-Agent naming the library" {
                use server = start ()
                let client = createClient (Options.create server.Url)
                let response = callFake client ping [] [] Payload.Empty |> expectOk "ping"
                Expect.equal response.ValueKind JsonValueKind.Object "the JSON reply"
                let r = single server
                Expect.equal r.Auth Auth.Anonymous "anonymous"
                Expect.isNone (r.Header "Authorization") "no header"

                let version = typeof<TaskclusterClient>.Assembly.GetName().Version

                Expect.equal
                    (r.Header "User-Agent")
                    (Some $"Taskcluster.Functional/{version.Major}.{version.Minor}.{version.Build}")
                    "User-Agent"
            }

            test "requests are signed with Hawk as the services verify it, arguments one segment each" {
                use server = start ()
                server.Default <- Reply.json 200 """{"thing":1}"""
                let client = clientFor server id

                let response =
                    callFake client getThing [ "a/b?c#d"; "é x" ] [ "verbose", "1 2" ] Payload.Empty
                    |> expectOk "getThing"

                Expect.equal (response.GetProperty("thing").GetInt32()) 1 "the reply"
                let r = single server
                Expect.equal r.Method "GET" "method"
                Expect.equal r.RawTarget "/api/fake/v1/thing/a%2Fb%3Fc%23d/%C3%A9%20x?verbose=1%202" "path and query"
                expectAllAuthenticated server
            }

            test "the trace id goes in x-taskcluster-trace-id" {
                use server = start ()

                let client = clientFor server (fun o -> { o with TraceId = Some "trace-123" })

                callFake client ping [] [] Payload.Empty |> expectOk "ping" |> ignore
                Expect.equal ((single server).Header "x-taskcluster-trace-id") (Some "trace-123") "trace id"
            }

            test "a certificate and authorized scopes travel in the ext" {
                use server = start ()
                server.Clients[clientId] <- accessToken

                let temporary =
                    Helpers.createTemporaryCredentialsFor
                        TimeProvider.System
                        credentials
                        (TimeSpan.FromHours 1.0)
                        [ "scope:a"; "scope:b" ]
                        None
                    |> Result.defaultWith (fun e -> failtest (e.Describe()))

                let client =
                    createClient
                        { Options.create server.Url with
                            Credentials = Some(Helpers.credentialsOf temporary)
                            AuthorizedScopes = Some [ "scope:a" ]
                        }

                callFake client ping [] [] Payload.Empty |> expectOk "ping" |> ignore

                match (single server).Auth with
                | Auth.Authenticated(id, ext) ->
                    Expect.equal id clientId "the temporary client id is the issuer's"
                    Expect.equal ext.Certificate (Some temporary.Certificate) "the certificate"
                    Expect.equal ext.AuthorizedScopes (Some [ "scope:a" ]) "the authorized scopes"
                | other -> failtestf "not authenticated: %A" other
            }

            test "an empty authorized scope list is sent, not dropped" {
                use server = start ()
                let client = clientFor server (fun o -> { o with AuthorizedScopes = Some [] })
                callFake client ping [] [] Payload.Empty |> expectOk "ping" |> ignore

                match (single server).Auth with
                | Auth.Authenticated(_, ext) -> Expect.equal ext.AuthorizedScopes (Some []) "empty list"
                | other -> failtestf "not authenticated: %A" other
            }

            test "a wrong access token is refused by the server and reported as an authentication failure" {
                use server = start ()

                let client =
                    clientFor server (fun o -> o |> Options.withCredentials clientId "wrong-token")

                match callFake client ping [] [] Payload.Empty |> expectError "wrong token" with
                | TaskclusterError.AuthenticationFailed e ->
                    Expect.equal e.Code (Some "AuthenticationFailed") "code"
                    Expect.stringStarts e.Message "Unauthorized: Bad mac" "message"
                    Expect.equal e.Attempts 1 "not retried"
                | other -> failtestf "unexpected %s" (other.Describe())
            }

            testPropertyWithConfig
                { FsCheckConfig.defaultConfig with
                    maxTest = 60
                }
                "any arguments and query reach the server as Route.buildUrl wrote them, correctly signed"
            <| (let server = lazy (start ())

                // Kestrel answers 400 to an encoded NUL in a path (`%00`), whoever sends it.
                let noNul = Gen.filter (fun (s: string) -> not (s.Contains '\000'))

                Prop.forAll
                    (Arb.fromGen (
                        Gen.zip3
                            (noNul ReferenceGen.safeArgument)
                            (noNul ReferenceGen.safeArgument)
                            ReferenceGen.queryValue
                    ))
                    (fun (a, b, v) ->
                        let server = server.Force()
                        let client = clientFor server id
                        let before = server.Requests.Length
                        let query = [ "verbose", v ]

                        let expected =
                            match Route.buildUrl client.RootUrl fakeReference getThing [ a; b ] query with
                            | Ok url -> url.Substring(server.Url.Length)
                            | Error e -> failtest (e.Describe())

                        callFake client getThing [ a; b ] query Payload.Empty
                        |> expectOk "getThing"
                        |> ignore

                        let r = server.Requests[before]

                        r.RawTarget = expected
                        && (match r.Auth with
                            | Auth.Authenticated _ -> true
                            | _ -> false)))
        ]

let private bodies =
    testList
        "bodies"
        [
            test "a payload is sent as application/json, byte for byte" {
                use server = start ()
                let client = clientFor server id
                let json = """{"name":"caf\u00e9","n":[1,2]}"""

                callFake client createThing [ "t1" ] [] (Payload.Text json)
                |> expectOk "create"
                |> ignore

                let r = single server
                Expect.equal r.Method "PUT" "method"
                Expect.equal r.BodyText json "body"
                Expect.equal (r.Header "Content-Type") (Some "application/json") "content type"
                expectAllAuthenticated server
            }

            test "a method without input sends no body" {
                use server = start ()
                let client = clientFor server id

                callFake client deleteThing [ "t1" ] [] Payload.Empty
                |> expectOk "delete"
                |> ignore

                let r = single server
                Expect.equal r.Method "DELETE" "method"
                Expect.isEmpty r.Body "no body"
            }

            test "an empty response body is a JSON null" {
                use server = start ()
                server.Default <- Reply.status 204
                let client = clientFor server id

                let response =
                    callFake client deleteThing [ "t1" ] [] Payload.Empty |> expectOk "delete"

                Expect.equal response.ValueKind JsonValueKind.Null "null"
            }

            test "a 200 that is not JSON is an InvalidResponse" {
                use server = start ()
                server.Default <- Reply.text 200 "text/html" "<html>"
                let client = clientFor server id

                match callFake client ping [] [] Payload.Empty |> expectError "html" with
                | TaskclusterError.InvalidResponse(info, 200, e) ->
                    Expect.equal info.Name "fake.ping" "name"
                    Expect.equal e.Path "$" "path"
                | other -> failtestf "unexpected %s" (other.Describe())
            }

            test "callUtf8 gives the body as it came, an empty body as null, and refuses one that is not UTF-8" {
                use server = start ()
                let body = """{"n": 1,  "s":"\u00e9t\u00e9"}"""
                server.Default <- Reply.json 200 body
                let client = clientFor server id

                let utf8 () =
                    Client.callUtf8 client fakeReference ping [] [] Payload.Empty CancellationToken.None
                    |> run

                let answered = utf8 () |> expectOk "utf8"
                Expect.equal (answered.ToArray()) (Encoding.UTF8.GetBytes body) "the bytes, unparsed"

                server.Default <- Reply.status 204
                let empty = utf8 () |> expectOk "empty"
                Expect.equal (Encoding.UTF8.GetString empty.Span) "null" "an empty body reads as null"

                server.Default <-
                    fun _ ctx ->
                        ctx.Response.StatusCode <- 200
                        ctx.Response.ContentType <- "application/json"
                        ctx.Response.Body.WriteAsync([| '"'B; 0xC3uy; '"'B |], 0, 3)

                match utf8 () with
                | Error(TaskclusterError.InvalidResponse(info, 200, e)) ->
                    Expect.equal info.Name "fake.ping" "name"
                    Expect.stringContains (e.Describe()) "not valid UTF-8 (byte 1)" "the first bad byte"
                | other -> failtestf "unexpected %A" other
            }

            test "callDecoded decodes, and reports the JSON path of a mismatch" {
                use server = start ()
                server.Default <- Reply.json 200 """{"items":[{"n":1},{"n":"two"}]}"""
                let client = clientFor server id
                let decoder = Decode.field "items" (Decode.list (Decode.field "n" Decode.int))

                match
                    Client.callDecoded decoder client fakeReference ping [] [] Payload.Empty CancellationToken.None
                    |> run
                with
                | Error(TaskclusterError.InvalidResponse(_, 200, e)) -> Expect.equal e.Path "$.items[1].n" "path"
                | other -> failtestf "unexpected %A" other

                server.Default <- Reply.json 200 """{"items":[{"n":1},{"n":2}]}"""

                let decoded =
                    Client.callDecoded decoder client fakeReference ping [] [] Payload.Empty CancellationToken.None
                    |> run
                    |> expectOk "decode"

                Expect.equal decoded [ 1; 2 ] "decoded"
            }
        ]

let private allocation =
    testList
        "allocation"
        [
            test "a body announced as 128 MiB that holds 10 bytes costs kilobytes, not 128 MiB" {
                let cost, body = readCost (Some 134217728L) (Array.create 10 1uy)
                Expect.equal body (Array.create 10 1uy) "the bytes that came"
                Expect.isLessThan cost (1024L * 1024L) "grown with what arrived"
            }

            test "a truthful announcement still ends in one array of exactly the body" {
                let data = Array.init 300_000 byte
                let _, body = readCost (Some(int64 data.Length)) data
                Expect.equal body data "the body"
            }

            test "an unannounced body grows to its size and stops at the limit" {
                let data = Array.init 100_000 byte
                let cost, body = readCost None data
                Expect.equal body data "the body"
                Expect.isLessThan cost (1024L * 1024L) "in proportion to the body"
            }
        ]

let private refusals =
    testList
        "refused before sending"
        [
            let expectInvalid (server: Server) (result: Result<JsonElement, TaskclusterError>) =
                match result with
                | Error(TaskclusterError.InvalidRequest(_, reason)) ->
                    Expect.isEmpty server.Requests "nothing was sent"
                    reason
                | other -> failtestf "expected InvalidRequest, got %A" other

            test "a missing payload" {
                use server = start ()
                let client = clientFor server id

                let reason =
                    callFake client createThing [ "t" ] [] Payload.Empty |> expectInvalid server

                Expect.equal reason RequestError.MissingPayload "missing"
            }

            test "an unexpected payload" {
                use server = start ()
                let client = clientFor server id
                let reason = callFake client ping [] [] (Payload.Text "{}") |> expectInvalid server
                Expect.equal reason RequestError.UnexpectedPayload "unexpected"
            }

            test "an invalid payload" {
                use server = start ()
                let client = clientFor server id

                match
                    callFake client createThing [ "t" ] [] (Payload.Text "{")
                    |> expectInvalid server
                with
                | RequestError.InvalidPayload _ -> ()
                | other -> failtestf "unexpected %A" other
            }

            test "wrong arguments, dot segments and unknown query parameters" {
                use server = start ()
                let client = clientFor server id

                for args, query in
                    [
                        [ "only-one" ], []
                        [ ".."; "x" ], []
                        [ "a"; "" ], []
                        [ "a"; "b" ], [ "nope", "1" ]
                    ] do
                    match callFake client getThing args query Payload.Empty |> expectInvalid server with
                    | RequestError.InvalidRoute _ -> ()
                    | other -> failtestf "unexpected %A" other
            }

            test "an unknown method name" {
                use server = start ()
                let client = clientFor server id

                let reason =
                    Client.callByName client fakeReference "nope" [] [] Payload.Empty CancellationToken.None
                    |> run
                    |> expectInvalid server

                Expect.equal reason (RequestError.UnknownMethod "nope") "unknown"
            }

            test "callByName finds the method" {
                use server = start ()
                let client = clientFor server id

                Client.callByName client fakeReference "ping" [] [] Payload.Empty CancellationToken.None
                |> run
                |> expectOk "ping"
                |> ignore

                Expect.equal (single server).Path "/api/fake/v1/ping" "path"
            }
        ]

let private http =
    testList
        "HttpClient"
        [
            test "a caller's handler is used" {
                use server = start ()
                let handler = new CountingHandler()

                let client =
                    clientFor server (fun o ->
                        { o with
                            HttpMessageHandler = Some handler
                        })

                callFake client ping [] [] Payload.Empty |> expectOk "ping" |> ignore
                Expect.equal handler.Count 1 "through the handler"
            }

            test "a caller's HttpClient is used" {
                use server = start ()
                let handler = new CountingHandler()
                use http = new HttpClient(handler)
                let client = clientFor server (fun o -> { o with HttpClient = Some http })
                callFake client ping [] [] Payload.Empty |> expectOk "ping" |> ignore
                Expect.equal handler.Count 1 "through the client"
            }

            test "64 concurrent calls on one client all succeed" {
                use server = start ()
                let client = clientFor server id

                let results =
                    Task.WhenAll(
                        [|
                            for i in 1..64 ->
                                Client.call
                                    client
                                    fakeReference
                                    getThing
                                    [ string i; "x" ]
                                    []
                                    Payload.Empty
                                    CancellationToken.None
                        |]
                    )
                    |> run

                for r in results do
                    expectOk "concurrent" r |> ignore

                Expect.equal server.Requests.Length 64 "64 requests"
                expectAllAuthenticated server
            }
        ]

let private urls =
    testList
        "URLs"
        [
            testPropertyWithConfig
                { FsCheckConfig.defaultConfig with
                    maxTest = 1000
                }
                "the cached-template URL equals Route.buildUrl, errors included, on every call"
            <| Prop.forAll
                (Arb.fromGen (
                    gen {
                        let! route, parameters = ReferenceGen.routeTemplate
                        let! args = Gen.listOfLength parameters.Length ReferenceGen.argument

                        let! extra =
                            Gen.frequency [ 9, Gen.constant []; 1, Gen.map List.singleton ReferenceGen.argument ]

                        let! allowed, query = ReferenceGen.queryParameters

                        let! root =
                            Gen.elements [ "https://tc.example.com"; "http://127.0.0.1:8080"; "http://taskcluster" ]

                        return route, parameters, args @ extra, allowed, query, root
                    }
                ))
                (fun (route, parameters, args, allowed, query, root) ->
                    let rootUrl =
                        match RootUrl.parse root with
                        | Ok r -> r
                        | Error e -> failtest (e.Describe())

                    let entry: ApiEntry =
                        {
                            Name = "m"
                            Title = ""
                            Description = ""
                            Category = ""
                            Stability = Stability.Stable
                            Method = RequestMethod.Get
                            Route = route
                            Args = parameters
                            Query = allowed
                            Input = None
                            Output = None
                            Scopes = None
                        }

                    let expected = Route.buildUrl rootUrl fakeReference entry args query

                    Client.urlOf rootUrl fakeReference entry args query = expected
                    && Client.urlOf rootUrl fakeReference entry args query = expected)
        ]

/// A validator that refuses bodies with a `bad` member and records what it was asked.
let private recordingValidator (asked: Collections.Concurrent.ConcurrentQueue<string * string>) =
    fun (schemaId: string) (body: JsonElement) ->
        asked.Enqueue(schemaId, body.GetRawText())

        match body.ValueKind, schemaId with
        | JsonValueKind.Object, "/schemas/fake/v1/thing-request.json#" ->
            match body.TryGetProperty "bad" with
            | true, _ ->
                Some
                    [
                        {
                            Path = "$.bad"
                            Keyword = "additionalProperties"
                            SchemaLocation = "/schemas/fake/v1/thing-request.json#"
                            Message = "no such member"
                        }
                    ]
            | _ -> Some []
        | _ -> None

let private validation =
    testList
        "validation before submit"
        [
            test "a body the validator refuses is an InvalidRequest and nothing is sent" {
                use server = start ()
                let asked = Collections.Concurrent.ConcurrentQueue()

                let client =
                    clientFor server id |> Client.withSchemaValidator (recordingValidator asked)

                match callFake client createThing [ "t" ] [] (Payload.Text """{"bad":1}""") with
                | Error(TaskclusterError.InvalidRequest(name, RequestError.SchemaViolations(schemaId, [ v ])) as e) ->
                    Expect.equal name "fake.createThing" "the method"
                    Expect.equal schemaId "/schemas/fake/v1/thing-request.json#" "the entry's input schema"
                    Expect.equal v.Path "$.bad" "the path"
                    Expect.stringContains (e.Describe()) "$.bad: no such member (additionalProperties)" "described"
                | other -> failtestf "expected schema violations, got %A" other

                Expect.isEmpty server.Requests "nothing was sent"

                Expect.equal
                    (List.ofSeq asked)
                    [ "/schemas/fake/v1/thing-request.json#", """{"bad":1}""" ]
                    "asked once, with the body"
            }

            test "a body the validator accepts is sent as it was given" {
                use server = start ()
                let asked = Collections.Concurrent.ConcurrentQueue()

                let client =
                    clientFor server id |> Client.withSchemaValidator (recordingValidator asked)

                callFake client createThing [ "t" ] [] (Payload.Text """{"name":"x"}""")
                |> expectOk "create"
                |> ignore

                Expect.equal (single server).BodyText """{"name":"x"}""" "sent byte for byte"
                Expect.equal asked.Count 1 "checked once"
            }

            test "a body that is not one JSON value is refused alike with or without the check, the validator not asked" {
                use server = start ()
                let asked = Collections.Concurrent.ConcurrentQueue()

                let checking =
                    clientFor server id |> Client.withSchemaValidator (recordingValidator asked)

                let unchecked = clientFor server (fun o -> { o with ValidateRequests = false })

                let reasonOf client payload =
                    match callFake client createThing [ "t" ] [] payload with
                    | Error(TaskclusterError.InvalidRequest(_, RequestError.InvalidPayload reason)) -> reason
                    | other -> failtestf "expected InvalidPayload, got %A" other

                let deep = String.replicate 65 "[" + String.replicate 65 "]"

                for text in [ "{"; ""; "  "; "{} {}"; """{"a":1,}"""; "// c\n{}"; "{'a':1}"; deep ] do
                    let withCheck = reasonOf checking (Payload.Text text)
                    Expect.equal withCheck (reasonOf unchecked (Payload.Text text)) $"text {text}: the same reason"

                    let bytes = Payload.Utf8(ReadOnlyMemory(Text.Encoding.UTF8.GetBytes text))
                    Expect.equal (reasonOf checking bytes) withCheck $"bytes {text}: the same reason"

                Expect.isEmpty asked "the validator never saw a malformed body"
                Expect.isEmpty server.Requests "nothing was sent"
            }

            test "UTF-8 bytes (the facade's typed bodies) are checked once and sent byte for byte" {
                use server = start ()
                let asked = Collections.Concurrent.ConcurrentQueue()

                let client =
                    clientFor server id |> Client.withSchemaValidator (recordingValidator asked)

                let body = """{"name":"x", "n":[1,2]}"""

                callFake client createThing [ "t" ] [] (Payload.Utf8(ReadOnlyMemory(Text.Encoding.UTF8.GetBytes body)))
                |> expectOk "create"
                |> ignore

                Expect.equal (single server).BodyText body "sent byte for byte"

                Expect.equal
                    (List.ofSeq asked)
                    [ "/schemas/fake/v1/thing-request.json#", body ]
                    "checked once, on the body"
            }

            test "with ValidateRequests false the validator is not asked and the body is sent" {
                use server = start ()
                let asked = Collections.Concurrent.ConcurrentQueue()

                let client =
                    clientFor server (fun o -> { o with ValidateRequests = false })
                    |> Client.withSchemaValidator (recordingValidator asked)

                callFake client createThing [ "t" ] [] (Payload.Text """{"bad":1}""")
                |> expectOk "create"
                |> ignore

                Expect.isEmpty asked "not asked"
                Expect.equal server.Requests.Length 1 "sent"
            }

            test "methods without input, and schemas the validator does not know, are sent unchecked" {
                use server = start ()
                let asked = Collections.Concurrent.ConcurrentQueue()

                let client =
                    clientFor server id |> Client.withSchemaValidator (recordingValidator asked)

                callFake client ping [] [] Payload.Empty |> expectOk "ping" |> ignore
                Expect.isEmpty asked "a method without input is not checked"

                callFake client searchThings [] [] (Payload.Text """{"bad":1}""")
                |> expectOk "search"
                |> ignore

                Expect.equal
                    (List.ofSeq asked |> List.map fst)
                    [ "/schemas/fake/v1/search.json#" ]
                    "asked about its schema"

                Expect.equal server.Requests.Length 2 "both sent"
            }

            test "a client without a validator sends bodies unchecked; the validator survives withOptions" {
                use server = start ()
                let plain = clientFor server id
                Expect.isFalse (Client.hasSchemaValidator plain) "none by default in the client layer"

                let asked = Collections.Concurrent.ConcurrentQueue()
                let validated = plain |> Client.withSchemaValidator (recordingValidator asked)

                let changed =
                    Client.withOptions (fun o -> { o with MaxRetries = 2 }) validated
                    |> Result.defaultWith (fun e -> failtestf "%s" (e.Describe()))

                Expect.isTrue (Client.hasSchemaValidator changed) "kept"

                match callFake changed createThing [ "t" ] [] (Payload.Text """{"bad":1}""") with
                | Error(TaskclusterError.InvalidRequest(_, RequestError.SchemaViolations _)) -> ()
                | other -> failtestf "expected schema violations, got %A" other

                callFake plain createThing [ "t" ] [] (Payload.Text """{"bad":1}""")
                |> expectOk "create"
                |> ignore
            }
        ]

let tests =
    testList "Requests" [ signing; bodies; allocation; refusals; http; urls; validation ]
