/// What the security tests share: an emulator, clients whose every request and response is
/// recorded, a logger that keeps every line, "other host" listeners on loopback, and a scanner
/// that looks for secrets in text.
module Taskcluster.Security.Tests.Support

open System
open System.Collections.Concurrent
open System.Net
open System.Net.Http
open System.Threading
open System.Threading.Tasks
open Expecto
open Microsoft.AspNetCore.Builder
open Microsoft.AspNetCore.Hosting
open Microsoft.AspNetCore.Http
open Microsoft.AspNetCore.Server.Kestrel.Core
open Microsoft.Extensions.Logging
open Taskcluster.Client
open Taskcluster.Emulator

/// Runs a task to completion (test bodies are synchronous).
let run (t: Task<'T>) = t.GetAwaiter().GetResult()

/// The emulator most tests share.
let emulator = lazy ((Emulator.start (EmulatorOptions())).GetAwaiter().GetResult())

/// One exchange a client had: what it sent and what came back.
type Exchange =
    {
        Method: string
        /// The URL as sent on the wire (escaped).
        Url: string
        /// The raw path and query as sent on the wire.
        PathAndQuery: string
        Authorization: string option
        Status: int option
        /// The response body, when it was read without error.
        ResponseBody: string option
    }

/// A handler that records every request and its response (body included) on its way.
type RecordingHandler() =
    inherit DelegatingHandler(new SocketsHttpHandler(AllowAutoRedirect = false, UseCookies = false))
    let exchanges = ConcurrentQueue<Exchange>()
    member _.Exchanges = exchanges.ToArray() |> List.ofArray

    member private _.Forward(request: HttpRequestMessage, cancellationToken) =
        base.SendAsync(request, cancellationToken)

    override this.SendAsync(request, cancellationToken) =
        task {
            let authorization =
                match request.Headers.TryGetValues "Authorization" with
                | true, values -> Some(String.Join(",", values))
                | _ -> None

            let uri = request.RequestUri

            let sent =
                {
                    Method = request.Method.Method
                    Url = uri.AbsoluteUri
                    PathAndQuery = uri.GetComponents(UriComponents.PathAndQuery, UriFormat.UriEscaped)
                    Authorization = authorization
                    Status = None
                    ResponseBody = None
                }

            let! response =
                task {
                    try
                        return! this.Forward(request, cancellationToken)
                    with ex ->
                        exchanges.Enqueue sent
                        Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(ex).Throw()
                        return null
                }

            let! body =
                task {
                    try
                        do! response.Content.LoadIntoBufferAsync()
                        let! text = response.Content.ReadAsStringAsync()
                        return Ok text
                    with e ->
                        return Error e
                }

            exchanges.Enqueue
                { sent with
                    Status = Some(int response.StatusCode)
                    ResponseBody = Result.toOption body
                }

            // A body that fails to arrive (a truncation fault) fails the send, as it would
            // without this handler: handing on a consumed response would be a different error.
            match body with
            | Error e ->
                response.Dispose()
                Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e).Throw()
            | Ok _ -> ()

            return response
        }

/// A logger that keeps every line at every level, with the exception text and the structured
/// values (so that a secret hidden in a value that the message template does not show is
/// still found).
type CapturingLogger() =
    let lines = ConcurrentQueue<string>()
    member _.Lines = lines.ToArray() |> List.ofArray

    interface ILogger with
        member _.BeginScope(state) =
            lines.Enqueue(sprintf "scope: %O" (box state))

            { new IDisposable with
                member _.Dispose() = ()
            }

        member _.IsEnabled _ = true

        member _.Log(level, eventId, state, error, formatter) =
            lines.Enqueue $"{level} {eventId}: {formatter.Invoke(state, error)}"

            match box state with
            | :? Collections.Generic.IEnumerable<Collections.Generic.KeyValuePair<string, obj>> as values ->
                for KeyValue(k, v) in values do
                    lines.Enqueue $"  {k} = {v}"
            | _ -> ()

            if not (isNull error) then
                lines.Enqueue(error.ToString())

/// One HTTP request an "other host" listener received.
type Received =
    {
        Method: string
        PathAndQuery: string
        Headers: Map<string, string>
    }

/// A Kestrel listener on 127.0.0.1 with a port of its own, standing for another host: it
/// records what it receives and answers with `respond`.
type OtherHost(respond: HttpContext -> Task) =
    let received = ConcurrentQueue<Received>()

    let app =
        let builder = WebApplication.CreateEmptyBuilder(WebApplicationOptions())
        builder.WebHost.UseKestrelCore() |> ignore

        builder.WebHost.ConfigureKestrel(fun (k: KestrelServerOptions) -> k.Listen(IPAddress.Loopback, 0))
        |> ignore

        let app = builder.Build()

        app.Run(
            RequestDelegate(fun ctx ->
                received.Enqueue
                    {
                        Method = ctx.Request.Method
                        PathAndQuery = ctx.Request.Path.Value + ctx.Request.QueryString.Value
                        Headers =
                            ctx.Request.Headers
                            |> Seq.map (fun (KeyValue(k, v)) -> k.ToLowerInvariant(), string v)
                            |> Map.ofSeq
                    }

                respond ctx)
        )

        app.StartAsync().GetAwaiter().GetResult()
        app

    member _.Url =
        let server =
            app.Services.GetService(typeof<Microsoft.AspNetCore.Hosting.Server.IServer>)
            :?> Microsoft.AspNetCore.Hosting.Server.IServer

        server.Features.Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>().Addresses
        |> Seq.head
        |> fun s -> s.TrimEnd('/')

    member _.Received = received.ToArray() |> List.ofArray

    interface IDisposable with
        member _.Dispose() =
            app.StopAsync().GetAwaiter().GetResult()
            (app :> IDisposable).Dispose()

/// Answers 200 with a fixed text body.
let answerText (text: string) (ctx: HttpContext) : Task =
    ctx.Response.StatusCode <- 200
    ctx.Response.ContentType <- "text/plain"
    ctx.Response.WriteAsync text

/// Answers a redirect to `location`.
let answerRedirect (status: int) (location: string) (ctx: HttpContext) : Task =
    ctx.Response.StatusCode <- status
    ctx.Response.Headers.Location <- location
    Task.CompletedTask

/// Retry delays of a millisecond or two.
let fastBackoff =
    match
        Taskcluster.Core.Backoff.create
            { Taskcluster.Core.Backoff.defaultOptions with
                BaseDelay = TimeSpan.FromMilliseconds 1.0
                MaxDelay = TimeSpan.FromMilliseconds 5.0
            }
    with
    | Ok b -> b
    | Error e -> failwithf "backoff: %A" e

/// Client options for the emulator's root client through a recording handler, with a short
/// backoff so that retries take milliseconds.
let optionsWith (e: EmulatorInstance) (handler: HttpMessageHandler) =
    { (Options.create e.RootUrl |> Options.withCredentials e.ClientId e.AccessToken) with
        HttpMessageHandler = Some handler
        Backoff = fastBackoff
        MaxRetries = 2
    }

let createClient (options: ClientOptions) =
    match Client.create options with
    | Ok c -> c
    | Error e -> failtestf "Client.create: %s" (e.Describe())

/// Base64url without padding.
let base64Url (bytes: byte array) =
    Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_')

/// Decodes base64url with or without padding.
let fromBase64Url (text: string) =
    let s = text.Replace('-', '+').Replace('_', '/')
    Convert.FromBase64String(s.PadRight(s.Length + (4 - s.Length % 4) % 4, '='))

/// A fresh slugId.
let slugId () = (Helpers.slugId ()).Value

/// Where a secret was found.
type Hit =
    {
        Secret: string
        What: string
        Location: string
    }

/// Every place (`location`, `text`) where one of the secrets (`what`, `value`) occurs. Short
/// values would match by chance, so each secret must be at least 16 characters.
let scan (secrets: (string * string) list) (texts: (string * string) list) =
    [
        for what, value in secrets do
            if String.IsNullOrEmpty value || value.Length < 16 then
                failtestf "secret %s is too short to scan for (%d characters)" what (String.length value)

            for location, text in texts do
                if not (isNull text) && text.Contains(value, StringComparison.Ordinal) then
                    {
                        Secret = value.Substring(0, 6) + "…"
                        What = what
                        Location = location
                    }
    ]

/// The `mac="…"` attribute of a Hawk Authorization header.
let macOf (header: string) =
    let m = Text.RegularExpressions.Regex.Match(header, "mac=\"([^\"]+)\"")
    if m.Success then Some m.Groups[1].Value else None

let expires () = DateTimeOffset.UtcNow.AddDays 1.0

/// A task definition on a task queue of its own.
let taskDefinition (taskQueueId: string) (name: string) =
    let now = DateTimeOffset.UtcNow

    Payload.Text(
        Text.Json.JsonSerializer.Serialize(
            dict
                [
                    "taskQueueId", box taskQueueId
                    "projectId", box "security"
                    "created", box (Taskcluster.Core.FromNow.format now)
                    "deadline", box (Taskcluster.Core.FromNow.format (now.AddHours 1.0))
                    "expires", box (Taskcluster.Core.FromNow.format (now.AddDays 2.0))
                    "payload", box (dict [])
                    "metadata",
                    box (
                        dict
                            [
                                "name", name
                                "description", "a task of the security tests"
                                "owner", "security@example.com"
                                "source", "https://example.com/security"
                            ]
                    )
                ]
        )
    )

/// A task queue id unique to this task.
let taskQueueFor (taskId: string) =
    $"sec-{taskId.Substring(0, 8).Replace('_', 'x').Replace('-', 'x')}/tests"

/// Creates a task and claims it, so that run 0 is running; returns its id.
let runningTask (client: TaskclusterClient) =
    task {
        let queue = Taskcluster.Services.Queue client
        let taskId = slugId ()
        let taskQueueId = taskQueueFor taskId
        let! created = queue.CreateTask(taskId, taskDefinition taskQueueId "running task")

        match created with
        | Error e -> failtestf "createTask: %s" (e.Describe())
        | Ok _ -> ()

        let! claimed = queue.ClaimWork(taskQueueId, Payload.Text """{"workerGroup":"wg","workerId":"w1","tasks":1}""")

        match claimed with
        | Ok c when c.GetProperty("tasks").GetArrayLength() = 1 -> ()
        | Ok _ -> failtest "claimWork claimed nothing"
        | Error e -> failtestf "claimWork: %s" (e.Describe())

        return taskId
    }
