/// A long session of calls that succeed and fail in every way the client knows, with logging at
/// the most verbose level and the console captured: no access token (permanent or temporary),
/// Hawk MAC, certificate signature, bewit or pre-signed URL signature may appear in any log
/// line, console line, exception, error description or `ToString`/`%A` rendering.
module Taskcluster.Security.Tests.LeakTests

open System
open System.IO
open System.Net.Http
open System.Security.Cryptography
open System.Text.Json
open System.Threading
open Expecto
open Taskcluster.Core
open Taskcluster.Client
open Taskcluster.Services
open Taskcluster.Emulator
open Taskcluster.Security.Tests.Support

/// Everything rendered during the session, by where it came from.
type private Outputs() =
    let texts = ResizeArray<string * string>()
    member _.Texts = List.ofSeq texts
    member _.Add(location: string, text: string) = texts.Add(location, text)

    /// The value's `ToString` and `%A`.
    member this.Render(location: string, value: obj) =
        this.Add(location + " ToString", string value)
        this.Add(location + " %A", sprintf "%A" value)

    member this.Error(location: string, e: TaskclusterError) =
        this.Add(location + " Describe", e.Describe())
        this.Render(location, e)

    member this.Transfer(location: string, e: TransferError) =
        this.Add(location + " Describe", e.Describe())
        this.Render(location, e)

    member this.Exception(location: string, ex: exn) =
        this.Add(location + " Message", ex.Message)
        this.Add(location + " ToString", ex.ToString())

    /// Records the error of a call's result (what a caller would print); success renders nothing
    /// secret by itself (the auth service's answers may hold tokens on purpose).
    member this.Call(location: string, result: Result<'T, TaskclusterError>) =
        match result with
        | Ok _ -> ()
        | Error e -> this.Error(location, e)

        result

    member this.TransferCall(location: string, result: Result<'T, TransferError>) =
        match result with
        | Ok _ -> ()
        | Error e -> this.Transfer(location, e)

        result

let private expectOk what (result: Result<'T, TaskclusterError>) =
    match result with
    | Ok v -> v
    | Error e -> failtestf "%s: expected success, got %s" what (e.Describe())

let private expectErr what (result: Result<'T, 'E>) =
    match result with
    | Ok _ -> failtestf "%s: expected an error" what
    | Error e -> e

let private token () =
    base64Url (RandomNumberGenerator.GetBytes 33)

let private session () =
    let e = emulator.Force()
    let handler = new RecordingHandler()
    let logger = CapturingLogger()
    let out = Outputs()
    let none = CancellationToken.None
    let secrets = ResizeArray<string * string>()
    secrets.Add("root accessToken", e.AccessToken)

    let rootOptions =
        { optionsWith e handler with
            Logger = Some logger
            TraceId = Some "security-session"
        }

    let root = createClient rootOptions
    out.Render("root client", root)
    out.Render("root options", rootOptions)
    out.Render("root credentials", rootOptions.Credentials.Value)
    let queue = Queue root
    let secretsApi = Secrets root
    let index = Index root

    // successes
    queue.Ping() |> run |> expectOk "ping" |> ignore
    let taskId = slugId ()

    queue.CreateTask(taskId, taskDefinition (taskQueueFor taskId) "leak check")
    |> run
    |> expectOk "createTask"
    |> ignore

    queue.Task taskId |> run |> expectOk "task" |> ignore
    let secretName = $"security/{slugId ()}"

    secretsApi.Set(
        secretName,
        Payload.Text
            $"""{{"secret":{{"password":"hunter2hunter2hunter2"}},"expires":"{FromNow.format (expires ())}"}}"""
    )
    |> run
    |> expectOk "secrets.set"
    |> ignore

    secretsApi.Get secretName |> run |> expectOk "secrets.get" |> ignore

    index.InsertTask(
        $"security.leaks.{taskId.ToLowerInvariant().Replace('-', 'x').Replace('_', 'y')}",
        Payload.Text $"""{{"taskId":"{taskId}","rank":1,"data":{{}},"expires":"{FromNow.format (expires ())}"}}"""
    )
    |> run
    |> expectOk "index.insertTask"
    |> ignore

    // 404, 400
    queue.Task(slugId ())
    |> run
    |> fun r -> out.Call("404", r) |> expectErr "404" |> ignore

    queue.CreateTask(slugId (), Payload.Text "{}")
    |> run
    |> fun r -> out.Call("400", r)
    |> expectErr "400"
    |> ignore

    // 401: an unknown token for a known client, and an unknown client
    let wrongToken = token ()
    secrets.Add("wrong accessToken", wrongToken)

    for id in [ e.ClientId; "security/nobody" ] do
        let c =
            createClient (
                { rootOptions with
                    Credentials =
                        Some
                            {
                                ClientId = id
                                AccessToken = wrongToken
                                Certificate = None
                            }
                }
            )

        out.Render("wrong-token client", c)

        Secrets(c).Get secretName
        |> run
        |> fun r -> out.Call("401", r)
        |> expectErr "401"
        |> ignore

    // 403: a real client without the scope, and authorized scopes that leave nothing
    let limitedToken = token ()
    secrets.Add("limited client accessToken", limitedToken)
    let limitedId = $"security/limited-{slugId ()}"
    e.State.CreateClient(limitedId, limitedToken, [ "queue:get-artifact:*" ])

    let limited =
        createClient (
            { rootOptions with
                Credentials =
                    Some
                        {
                            ClientId = limitedId
                            AccessToken = limitedToken
                            Certificate = None
                        }
            }
        )

    Secrets(limited).Get secretName
    |> run
    |> fun r -> out.Call("403", r)
    |> expectErr "403"
    |> ignore

    let restricted =
        createClient (
            { rootOptions with
                AuthorizedScopes = Some []
            }
        )

    out.Render("restricted client", restricted)

    Secrets(restricted).Get secretName
    |> run
    |> fun r -> out.Call("403 authorizedScopes", r)
    |> expectErr "403 authorizedScopes"
    |> ignore

    // retries: two 500s then success; 500s until the retries run out; dropped connections; a
    // truncated answer
    e.Faults.FailNext("queue", "task", 500, 2)
    queue.Task taskId |> run |> expectOk "task after 2 x 500" |> ignore
    e.Faults.FailNext("queue", "task", 500, 3)

    queue.Task taskId
    |> run
    |> fun r -> out.Call("500", r) |> expectErr "500" |> ignore

    e.Faults.DropNext("queue", "task", 3)

    queue.Task taskId
    |> run
    |> fun r -> out.Call("drop", r) |> expectErr "drop" |> ignore

    e.Faults.Inject(FaultTarget.Route("queue", "task"), Fault.TruncateBody 10, 3)

    queue.Task taskId
    |> run
    |> fun r -> out.Call("truncated", r)
    |> expectErr "truncated"
    |> ignore

    e.Faults.FailNext("secrets", "get", 429, 1)
    secretsApi.Get secretName |> run |> expectOk "get after 429" |> ignore

    // a timeout
    let impatient =
        createClient (
            { rootOptions with
                Timeout = TimeSpan.FromMilliseconds 50.0
                MaxRetries = 1
            }
        )

    // both attempts stall beyond the 50 ms attempt timeout
    e.Faults.DelayNext("queue", "task", TimeSpan.FromMilliseconds 400.0, 2)

    match Queue(impatient).Task taskId |> run |> (fun r -> out.Call("timeout", r)) with
    | Error(TaskclusterError.Timeout _) -> ()
    | other -> failtestf "expected a Timeout, got %A" other

    // cancellation
    let cancelled =
        try
            use cts = new CancellationTokenSource(TimeSpan.FromMilliseconds 50.0)
            e.Faults.DelayNext("queue", "status", TimeSpan.FromMilliseconds 500.0, 1)
            queue.Status(taskId, cts.Token) |> run |> ignore
            false
        with ex ->
            out.Exception("cancelled", ex)
            true

    Expect.isTrue cancelled "the cancelled call threw"

    // temporary credentials, unnamed and named, permanent issuer
    let issuer = rootOptions.Credentials.Value

    let temporaries =
        [
            Helpers.createTemporaryCredentialsFor
                TimeProvider.System
                issuer
                (TimeSpan.FromHours 1.0)
                [ "secrets:get:security/*" ]
                None
            Helpers.createTemporaryCredentialsFor
                TimeProvider.System
                issuer
                (TimeSpan.FromHours 1.0)
                [ "secrets:get:security/*" ]
                (Some $"security/named-{slugId ()}")
        ]
        |> List.map (function
            | Ok t -> t
            | Error err -> failtestf "temporary credentials: %s" (err.Describe()))

    for t in temporaries do
        secrets.Add("temporary accessToken", t.AccessToken)
        secrets.Add("certificate signature", t.Certificate.Signature)
        out.Render("temporary credentials", t)
        let credentials = Helpers.credentialsOf t
        out.Render("temporary Credentials", credentials)

        let tc =
            createClient (
                { rootOptions with
                    Credentials = Some credentials
                }
            )

        out.Render("temporary client", tc)

        Secrets(tc).Get secretName
        |> run
        |> expectOk "get with temporary credentials"
        |> ignore

        Queue(tc).CreateTask(slugId (), taskDefinition "sec-x/y" "denied")
        |> run
        |> fun r -> out.Call("403 temporary", r)
        |> expectErr "403 temporary"
        |> ignore

        // a temporary certificate with a signature that does not match
        let forged =
            { credentials with
                AccessToken = wrongToken
            }

        Secrets(
            createClient
                { rootOptions with
                    Credentials = Some forged
                }
        )
            .Get
            secretName
        |> run
        |> fun r -> out.Call("401 temporary", r)
        |> expectErr "401 temporary"
        |> ignore

    // bad options and certificates
    for bad in
        [
            { rootOptions with
                Credentials =
                    Some
                        {
                            ClientId = ""
                            AccessToken = e.AccessToken
                            Certificate = None
                        }
            }
            { rootOptions with
                Credentials =
                    Some
                        {
                            ClientId = e.ClientId
                            AccessToken = e.AccessToken
                            Certificate = Some(CertificateSource.Text "{not a certificate")
                        }
            }
            { rootOptions with
                Credentials =
                    Some
                        {
                            ClientId = "ümlaut"
                            AccessToken = e.AccessToken
                            Certificate = None
                        }
            }
        ] do
        match Client.create bad with
        | Ok _ -> failtest "bad options were accepted"
        | Error err ->
            out.Add("options error", err.Describe())
            out.Render("options error", err)
            out.Render("bad options", bad)

    // signed URLs: one that works, one refused before it is built
    let signed =
        secretsApi.BuildSignedUrl("get", [ secretName ], expiration = TimeSpan.FromMinutes 5.0)
        |> expectOk "signed URL"

    let bewit =
        let query = Uri(signed).Query
        let afterBewit = query.Substring(query.IndexOf "bewit=" + 6)
        afterBewit.Split('&')[0]

    secrets.Add("bewit", Uri.UnescapeDataString bewit)

    let decodedBewit =
        Text.Encoding.UTF8.GetString(fromBase64Url (Uri.UnescapeDataString bewit))

    secrets.Add("bewit mac", decodedBewit.Split('\\')[2])

    (use http = new HttpClient()
     let fetched = http.GetAsync(signed) |> run
     Expect.equal (int fetched.StatusCode) 200 "the signed URL works")

    secretsApi.BuildSignedUrl("get", [ secretName ], expiration = TimeSpan.FromMinutes -1.0)
    |> fun r -> out.Call("signed URL error", r)
    |> ignore

    secretsApi.BuildSignedUrl("set", [ secretName ])
    |> fun r -> out.Call("signed URL of a PUT", r)
    |> ignore

    // transfers: success, retried blob requests, corrupted bytes, a missing object
    let objects = ObjectApi.ofService (Object root)
    let data = RandomNumberGenerator.GetBytes 100_000
    let objectName = $"security/{slugId ()}"

    let upload name =
        Transfer.uploadFromBuf
            objects
            Transfer.defaults
            (Transfer.uploadRequest "security" name (expires ()))
            (ReadOnlyMemory data)
            none
        |> run

    e.Faults.Inject(FaultTarget.Blob objectName, Fault.Status 500, 1)
    upload objectName |> fun r -> out.TransferCall("upload", r) |> ignore
    e.Faults.Inject(FaultTarget.Blob objectName, Fault.DropConnection, 1)

    match Transfer.downloadToBuf objects Transfer.defaults objectName none |> run with
    | Ok(bytes, _) -> Expect.equal bytes data "downloaded bytes"
    | Error err -> failtestf "download: %s" (err.Describe())

    e.Faults.Inject(FaultTarget.Blob objectName, Fault.CorruptBytes, 10)

    Transfer.downloadToBuf objects Transfer.defaults objectName none
    |> run
    |> fun r -> out.TransferCall("corrupt download", r)
    |> expectErr "corrupt download"
    |> ignore

    e.Faults.Clear()

    Transfer.downloadToBuf objects Transfer.defaults $"security/missing-{slugId ()}" none
    |> run
    |> fun r -> out.TransferCall("missing object", r)
    |> expectErr "missing object"
    |> ignore

    let failing = $"security/{slugId ()}"
    e.Faults.Inject(FaultTarget.Blob failing, Fault.Status 503, 10)

    upload failing
    |> fun r -> out.TransferCall("upload 503", r)
    |> expectErr "upload 503"
    |> ignore

    e.Faults.Clear()

    // artifacts: an object artifact (temporary credentials from the queue), and a missing one
    let queueApi = QueueApi.ofService (Queue root)

    let running = runningTask root |> run

    Artifact.uploadFromBuf
        queueApi
        Transfer.defaults
        (Artifact.uploadRequest running 0 "public/data.bin" (expires ()))
        (ReadOnlyMemory data)
        none
    |> run
    |> fun r -> out.TransferCall("artifact upload", r)
    |> ignore

    Artifact.downloadToBuf queueApi Transfer.defaults running None "public/data.bin" none
    |> run
    |> fun r -> out.TransferCall("artifact download", r)
    |> ignore

    Artifact.downloadToBuf queueApi Transfer.defaults running None "public/none.bin" none
    |> run
    |> fun r -> out.TransferCall("missing artifact", r)
    |> expectErr "missing artifact"
    |> ignore

    // the config helper: credentials from the environment, a missing secret, missing keys
    let env =
        Map.ofList
            [
                "TASKCLUSTER_ROOT_URL", e.RootUrl
                "TASKCLUSTER_CLIENT_ID", e.ClientId
                "TASKCLUSTER_ACCESS_TOKEN", e.AccessToken
            ]

    let getEnv name = Map.tryFind name env

    let config =
        match TaskclusterConfig.create None getEnv with
        | Ok c -> TaskclusterConfig.auth None getEnv c
        | Error err -> failtestf "config: %s" (err.Describe())

    out.Render("config", config)

    for name, required in [ $"security/missing-{slugId ()}", []; secretName, [ "absent" ] ] do
        match
            TaskclusterConfig.loadSecrets (Some name) [] required Map.empty None config none
            |> run
        with
        | Ok _ -> failtest "loadSecrets should fail"
        | Error err ->
            out.Add("config error Describe", err.Describe())
            out.Render("config error", err)

    // the C# facade: an error result, the exception it throws, credentials
    let facadeCredentials = Taskcluster.TaskclusterCredentials(e.ClientId, wrongToken)
    out.Render("facade credentials", facadeCredentials)
    let temporaryFacade = Taskcluster.TaskclusterCredentials(e.ClientId, e.AccessToken)

    let temporaryFacade =
        temporaryFacade.CreateTemporary(TimeSpan.FromHours 1.0, [ "secrets:get:security/*" ])

    secrets.Add("facade temporary accessToken", temporaryFacade.AccessToken)
    out.Render("facade temporary credentials", temporaryFacade)

    let facadeOptions =
        Taskcluster.TaskclusterClientOptions(Logger = logger, HttpMessageHandler = handler, MaxRetries = 1)

    for credentials in [ facadeCredentials; temporaryFacade ] do
        let facade = Taskcluster.SecretsClient(Uri e.RootUrl, credentials, facadeOptions)

        out.Render("facade client", facade)
        let result = facade.GetAsync($"security/missing-{slugId ()}") |> run

        if result.IsSuccess then
            failtest "the facade call should fail"

        out.Render("facade error", result.Error)
        out.Add("facade error Description", result.Error.Description)
        out.Add("facade error Message", result.Error.Message)
        out.Render("facade result", result)

        try
            result.GetValueOrThrow() |> ignore
            failtest "GetValueOrThrow should throw"
        with :? Taskcluster.TaskclusterException as ex ->
            out.Exception("facade exception", ex)

    // every MAC and every pre-signed URL signature that went on the wire
    for x in handler.Exchanges do
        match x.Authorization with
        | Some header ->
            secrets.Add("Authorization header", header)

            match macOf header with
            | Some mac -> secrets.Add("Hawk mac", mac)
            | None -> ()
        | None -> ()

        let query = Uri(x.Url).Query

        for part in query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries) do
            match part.Split('=', 2) with
            | [| "signature"; value |] when value.Length >= 16 ->
                secrets.Add("pre-signed URL signature", Uri.UnescapeDataString value)
            | _ -> ()

    handler, logger, out, List.ofSeq secrets

let tests =
    testSequenced
    <| testList
        "No secret in any output"
        [
            test "no token, MAC, certificate signature, bewit or URL signature in logs, console, errors or renderings" {
                let console = new StringWriter()
                let savedOut, savedError = Console.Out, Console.Error
                let savedDebug = Environment.GetEnvironmentVariable Options.DebugVariable

                let handler, logger, out, secrets =
                    try
                        Console.SetOut console
                        Console.SetError console
                        // clients without a logger write to the console when this is set
                        Environment.SetEnvironmentVariable(Options.DebugVariable, "1")
                        let handler, logger, out, secrets = session ()

                        // the same kinds of calls through the console logger
                        let e = emulator.Force()

                        let consoleClient =
                            createClient (
                                { optionsWith e (new RecordingHandler()) with
                                    Logger = None
                                }
                            )

                        e.Faults.FailNext("queue", "ping", 500, 1)
                        Queue(consoleClient).Ping() |> run |> ignore
                        Queue(consoleClient).Task(slugId ()) |> run |> ignore
                        handler, logger, out, secrets
                    finally
                        Console.SetOut savedOut
                        Console.SetError savedError
                        Environment.SetEnvironmentVariable(Options.DebugVariable, savedDebug)

                let consoleText = console.ToString()

                let texts =
                    [
                        yield! logger.Lines |> List.mapi (fun i l -> $"log line {i}", l)
                        yield "console", consoleText
                        yield! out.Texts
                    ]

                // the session must have exercised what it claims to
                let macs = secrets |> List.filter (fun (w, _) -> w = "Hawk mac")
                Expect.isGreaterThan macs.Length 40 "many signed requests"

                Expect.isGreaterThan
                    (secrets |> List.filter (fun (w, _) -> w = "pre-signed URL signature")).Length
                    0
                    "pre-signed URLs were used"

                Expect.isGreaterThan logger.Lines.Length 100 "the logger saw the session"

                Expect.stringContains consoleText "taskcluster-client" "the console logger wrote"

                Expect.isGreaterThan
                    (out.Texts |> List.filter (fun (l, _) -> l.EndsWith " Describe")).Length
                    20
                    "many errors were rendered"

                Expect.isTrue (logger.Lines |> List.exists (fun l -> l.Contains "retry")) "retries were logged"

                // the scanner finds what it looks for
                let planted = snd macs.Head

                Expect.equal
                    (scan [ "planted", planted ] [ "planted text", $"x{planted}y" ]).Length
                    1
                    "the scanner finds a planted MAC"

                let hits = scan secrets texts

                if not hits.IsEmpty then
                    let shown =
                        hits
                        |> List.distinctBy (fun h -> h.What, h.Location)
                        |> List.map (fun h -> $"  {h.What} ({h.Secret}) in {h.Location}")

                    failtestf "%d secret(s) found in output:\n%s" hits.Length (String.Join("\n", shown))

                ignore handler
            }
        ]
