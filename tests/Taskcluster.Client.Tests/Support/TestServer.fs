/// A scripted Kestrel server on loopback: each request gets the next scripted reply (status
/// sequences, headers, delays, dropped connections, truncated bodies, redirects, pages), is
/// recorded, and is authenticated as the Taskcluster services do it, with the core's Hawk and
/// Certificate functions (an independent check of what the client signs).
module Taskcluster.Client.Tests.TestServer

open System
open System.Collections.Concurrent
open System.Collections.Generic
open System.IO
open System.Net
open System.Text
open System.Threading
open System.Threading.Tasks
open Microsoft.AspNetCore.Builder
open Microsoft.AspNetCore.Hosting
open Microsoft.AspNetCore.Hosting.Server
open Microsoft.AspNetCore.Hosting.Server.Features
open Microsoft.AspNetCore.Http
open Microsoft.AspNetCore.Http.Features
open Microsoft.Extensions.DependencyInjection
open Microsoft.Extensions.Logging
open Taskcluster.Core

/// How the server judged a request's credentials.
type Auth =
    /// No `Authorization` header and no bewit.
    | Anonymous
    /// A valid Hawk header or bewit, with the ext it carried.
    | Authenticated of clientId: string * ext: Certificate.Ext
    /// Refused, with the message the auth service would give.
    | Rejected of message: string

/// One request as the server received it.
type Recorded =
    {
        Method: string
        /// Path and query exactly as sent.
        RawTarget: string
        Path: string
        Query: Map<string, string>
        /// Header names lower-cased.
        Headers: IReadOnlyDictionary<string, string>
        Body: byte array
        Auth: Auth
        ReceivedAt: DateTimeOffset
    }

    member this.Header(name: string) =
        match this.Headers.TryGetValue(name.ToLowerInvariant()) with
        | true, v -> Some v
        | _ -> None

    member this.BodyText = Encoding.UTF8.GetString this.Body

/// What the server does with one request.
type Reply = Recorded -> HttpContext -> Task

[<RequireQualifiedAccess>]
module Reply =
    let private write (ctx: HttpContext) (status: int) (contentType: string) (body: string) =
        task {
            ctx.Response.StatusCode <- status

            if not (isNull contentType) then
                ctx.Response.ContentType <- contentType

            let bytes = Encoding.UTF8.GetBytes body

            // No Content-Length at all on an empty body: 204 and 304 must not announce one.
            if bytes.Length > 0 then
                ctx.Response.ContentLength <- int64 bytes.Length
                do! ctx.Response.Body.WriteAsync(bytes, 0, bytes.Length)
        }
        :> Task

    /// A JSON body with a status.
    let json (status: int) (body: string) : Reply =
        fun _ ctx -> write ctx status "application/json; charset=utf-8" body

    /// A Taskcluster error body `{code, message, requestInfo}`.
    let error (status: int) (code: string) (message: string) : Reply =
        let body =
            Encode.object
                [
                    "code", Encode.string code
                    "message", Encode.string (message + "\n\n---\n\n* method:     test\n* errorCode:  " + code)
                    "requestInfo", Encode.object [ "method", Encode.string "test" ]
                ]
            |> Encode.toString

        json status body

    /// Any body.
    let text (status: int) (contentType: string) (body: string) : Reply =
        fun _ ctx -> write ctx status contentType body

    /// A status with an empty body.
    let status (code: int) : Reply = fun _ ctx -> write ctx code null ""

    /// Adds response headers before replying.
    let withHeaders (headers: (string * string) list) (reply: Reply) : Reply =
        fun r ctx ->
            for name, value in headers do
                ctx.Response.Headers[name] <- Microsoft.Extensions.Primitives.StringValues(value)

            reply r ctx

    /// Replaces the reason phrase.
    let withReason (reason: string) (reply: Reply) : Reply =
        fun r ctx ->
            ctx.Features.Get<IHttpResponseFeature>().ReasonPhrase <- reason
            reply r ctx

    /// Waits before replying (or until the client goes away).
    let delayed (delay: TimeSpan) (reply: Reply) : Reply =
        fun r ctx ->
            task {
                try
                    do! Task.Delay(delay, ctx.RequestAborted)
                    do! reply r ctx
                with :? OperationCanceledException ->
                    ()
            }

    /// Drops the connection without answering.
    let abort: Reply =
        fun _ ctx ->
            ctx.Abort()
            Task.CompletedTask

    /// Announces a body, sends part of it and drops the connection.
    let truncated: Reply =
        fun _ ctx ->
            task {
                ctx.Response.StatusCode <- 200
                ctx.Response.ContentType <- "application/json"
                ctx.Response.ContentLength <- 1000L
                do! ctx.Response.Body.WriteAsync(Encoding.UTF8.GetBytes """{"partial":""", 0, 12)
                do! ctx.Response.Body.FlushAsync()
                ctx.Abort()
            }

    /// A redirect.
    let redirect (status: int) (location: string) : Reply =
        withHeaders [ "Location", location ] (text status "text/plain" "redirecting")

/// The mutable state behind a server: its script, its log and its settings.
[<Sealed; AllowNullLiteral>]
type ServerState() =
    member val Script = ConcurrentQueue<Reply>()
    member val Requests = ConcurrentQueue<Recorded>()
    member val Default: Reply = Reply.json 200 "{}" with get, set
    member val Enforce = true with get, set
    member val Clock = TimeProvider.System with get, set

    static member Authenticate
        (clients: ConcurrentDictionary<string, string>, clock: TimeProvider, ctx: HttpContext, rawTarget: string)
        =
        let now = clock.GetUtcNow()
        let host = ctx.Request.Host

        let request: Hawk.Request =
            {
                Method = ctx.Request.Method
                Resource = rawTarget
                Host = host.Host
                Port = if host.Port.HasValue then host.Port.Value else 80
            }

        let keyFor (clientId: string) (ext: string option) =
            let decoded =
                match ext with
                | Some e -> Certificate.Ext.decode e |> Result.mapError (fun e -> e.Describe())
                | None -> Ok Certificate.Ext.empty

            decoded
            |> Result.bind (fun ext ->
                match ext.Certificate with
                | None ->
                    match clients.TryGetValue clientId with
                    | true, token -> Ok(token, ext)
                    | _ -> Error $"Client ID {clientId} not found"
                | Some certificate ->
                    let issuer = Certificate.issuingClientId certificate clientId

                    match clients.TryGetValue issuer with
                    | true, token ->
                        Certificate.verify certificate clientId token (now.ToUnixTimeMilliseconds())
                        |> Result.map (fun v -> v.AccessToken, ext)
                        |> Result.mapError (fun e -> e.Describe())
                    | _ -> Error $"Client ID {issuer} not found")

        let hawkMessage (e: HawkError) =
            match e with
            | HawkError.StaleTimestamp _ -> "Unauthorized: Stale timestamp"
            | HawkError.BadMac -> "Unauthorized: Bad mac"
            | HawkError.ExpiredBewit _ -> "Unauthorized: Access expired"
            | other -> other.Describe()

        match ctx.Request.Headers.Authorization.ToString() with
        | "" ->
            if rawTarget.Contains "bewit=" then
                match Hawk.parseBewit rawTarget with
                | Error e -> Rejected(hawkMessage e)
                | Ok(bewit, resource) ->
                    match keyFor bewit.Id bewit.Ext with
                    | Error m -> Rejected m
                    | Ok(key, ext) ->
                        match
                            Hawk.verifyBewit bewit { request with Resource = resource } key (now.ToUnixTimeSeconds())
                        with
                        | Ok() -> Authenticated(bewit.Id, ext)
                        | Error e -> Rejected(hawkMessage e)
            else
                Anonymous
        | header ->
            match Hawk.parseHeader header with
            | Error e -> Rejected(hawkMessage e)
            | Ok parsed ->
                match keyFor parsed.Id parsed.Ext with
                | Error m -> Rejected m
                | Ok(key, ext) ->
                    match
                        Hawk.verifyHeader parsed request key None (now.ToUnixTimeSeconds()) Hawk.defaultSkewSeconds
                    with
                    | Ok() -> Authenticated(parsed.Id, ext)
                    | Error e -> Rejected(hawkMessage e)

    static member Handle(state: ServerState, clients, ctx: HttpContext) : Task =
        task {
            let rawTarget = ctx.Features.Get<IHttpRequestFeature>().RawTarget
            use body = new MemoryStream()
            do! ctx.Request.Body.CopyToAsync(body, ctx.RequestAborted)

            let headers =
                ctx.Request.Headers
                |> Seq.map (fun kv -> KeyValuePair(kv.Key.ToLowerInvariant(), kv.Value.ToString()))
                |> Dictionary

            let query =
                ctx.Request.Query
                |> Seq.map (fun kv -> kv.Key, kv.Value.ToString())
                |> Map.ofSeq

            let recorded =
                {
                    Method = ctx.Request.Method
                    RawTarget = rawTarget
                    Path = ctx.Request.Path.Value
                    Query = query
                    Headers = headers
                    Body = body.ToArray()
                    Auth = ServerState.Authenticate(clients, state.Clock, ctx, rawTarget)
                    ReceivedAt = DateTimeOffset.UtcNow
                }

            state.Requests.Enqueue recorded

            match recorded.Auth with
            | Rejected message when state.Enforce ->
                ctx.Response.Headers.WWWAuthenticate <- Microsoft.Extensions.Primitives.StringValues("hawk")
                do! Reply.error 401 "AuthenticationFailed" message recorded ctx
            | _ ->
                let reply =
                    match state.Script.TryDequeue() with
                    | true, r -> r
                    | _ -> state.Default

                do! reply recorded ctx
        }

/// A scripted loopback server. Dispose it to stop it.
[<Sealed>]
type Server
    private (app: WebApplication, url: string, clients: ConcurrentDictionary<string, string>, state: ServerState) =
    /// `http://127.0.0.1:<port>`: use it as a root URL.
    member _.Url = url
    /// The access token of each client id the server knows.
    member _.Clients = clients

    /// Replies for the next requests, in order; when none is left, `Default` answers.
    member _.Enqueue([<ParamArray>] replies: Reply array) =
        for r in replies do
            state.Script.Enqueue r

    /// The reply when the script is empty (200 `{}` to begin with).
    member _.Default
        with get () = state.Default
        and set value = state.Default <- value

    /// Whether a request whose credentials are refused is answered 401 before the script runs.
    member _.Enforce
        with get () = state.Enforce
        and set value = state.Enforce <- value

    /// The server's clock for authentication (the `Date` header is always the real time).
    member _.Clock
        with get () = state.Clock
        and set value = state.Clock <- value

    /// Every request so far, in arrival order.
    member _.Requests = state.Requests.ToArray() |> List.ofArray

    static member StartAsync() : Task<Server> =
        task {
            let builder = WebApplication.CreateEmptyBuilder(WebApplicationOptions())

            builder.WebHost.UseKestrelCore().ConfigureKestrel(fun o -> o.Listen(IPAddress.Loopback, 0))
            |> ignore

            builder.Services.AddLogging(fun l -> l.ClearProviders() |> ignore) |> ignore
            let app = builder.Build()
            let clients = ConcurrentDictionary<string, string>()
            let state = ServerState()
            app.Run(RequestDelegate(fun ctx -> ServerState.Handle(state, clients, ctx)))
            do! app.StartAsync()

            let addresses =
                app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>().Addresses

            let url = addresses |> Seq.head |> _.TrimEnd('/')
            return new Server(app, url, clients, state)
        }

    interface IDisposable with
        member _.Dispose() =
            app.StopAsync().Wait()
            (app :> IDisposable).Dispose()

/// Starts a server (synchronously, for test bodies).
let start () =
    Server.StartAsync().GetAwaiter().GetResult()
