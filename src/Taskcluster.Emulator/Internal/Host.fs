namespace Taskcluster.Emulator.Internal

open System
open System.Buffers
open System.Collections.Generic
open System.IO
open System.Net
open System.Text.Json
open System.Text.Json.Nodes
open System.Threading
open System.Threading.Tasks
open Microsoft.AspNetCore.Builder
open Microsoft.AspNetCore.Hosting
open Microsoft.AspNetCore.Hosting.Server
open Microsoft.AspNetCore.Hosting.Server.Features
open Microsoft.AspNetCore.Http
open Microsoft.AspNetCore.Http.Features
open Microsoft.AspNetCore.Server.Kestrel.Core
open Microsoft.Extensions.DependencyInjection
open Taskcluster.Emulator
open Taskcluster.Emulator.Services

/// The port a request was signed for behind a reverse proxy, as taskcluster-lib-api reads it.
[<RequireQualifiedAccess>]
module internal Forwarded =
    /// JavaScript's `parseInt(text, 10)`: leading white space, a sign, then the digits up to the
    /// first other character; `None` for NaN (and for a number no port can be).
    let parseInt (text: string) : int option =
        let t = text.TrimStart()

        let sign, rest =
            if t.StartsWith '-' then -1L, t.Substring 1
            elif t.StartsWith '+' then 1L, t.Substring 1
            else 1L, t

        let digits =
            rest |> Seq.takeWhile Char.IsAsciiDigit |> Seq.truncate 12 |> Seq.toArray

        if digits.Length = 0 then
            None
        else
            let n = sign * Int64.Parse(String digits)

            if n >= int64 Int32.MinValue && n <= int64 Int32.MaxValue then
                Some(int n)
            else
                None

    /// `X-Forwarded-Port` (its first value) wins; else `X-Forwarded-Proto: https` means 443;
    /// else the Host header's port (80 without one). A port that does not parse matches no
    /// signature, as NaN matches none in the service.
    let port (headers: IHeaderDictionary) (host: HostString) : int =
        let own = if host.Port.HasValue then host.Port.Value else 80

        match headers.TryGetValue "X-Forwarded-Port" with
        | true, v when v.Count > 0 ->
            // Node joins repeated headers with ", "
            parseInt (String.Join(", ", v.ToArray())) |> Option.defaultValue -1
        | _ ->
            match headers.TryGetValue "X-Forwarded-Proto" with
            | true, v when v.Count > 0 ->
                if String.Join(", ", v.ToArray()) = "https" then
                    443
                else
                    own
            | _ -> own

/// The last line of defence: an exception no step turned into an answer is logged with an
/// incident id and answered 500 with a Taskcluster-style JSON body naming that id (as
/// taskcluster-lib-api does), never Kestrel's empty 500.
[<RequireQualifiedAccess>]
module internal Guard =
    let run (env: Env) (inner: HttpContext -> Task) (ctx: HttpContext) : Task =
        task {
            try
                do! inner ctx
            with
            // the client went away (an aborted upload): no one to answer, and not our failure
            | _ when ctx.RequestAborted.IsCancellationRequested -> ()
            | ex ->
                let incident = Guid.NewGuid().ToString()
                // the path only: a query string may hold a bewit
                env.LogError(ex, $"incident {incident}: {ctx.Request.Method} {ctx.Request.Path.Value} failed")

                if ctx.Response.HasStarted then
                    ctx.Abort()
                else
                    ctx.Response.Clear()
                    ctx.Response.StatusCode <- 500
                    ctx.Response.ContentType <- "application/json; charset=utf-8"

                    let body =
                        J.obj
                            [
                                "code", J.str "InternalServerError"
                                "message", J.str $"Internal Server Error, incidentId {incident}."
                                "requestInfo", J.obj [ "time", J.time (env.Now()) ]
                            ]

                    do! ctx.Response.Body.WriteAsync(ReadOnlyMemory(J.toBytes body))
        }

/// The request pipeline: routing, faults, limits, authentication, validation, authorisation,
/// handlers and Taskcluster-style errors; plus blob URLs and the reference documents.
[<Sealed>]
type internal Pipeline(env: Env, refs: ReferenceSet) =
    let started = env.Now()

    let handlers =
        let d = Dictionary<struct (string * string), Call -> Reply>()

        let add service (hs: (string * (Call -> Reply)) list) =
            for name, h in hs do
                d[struct (service, name)] <- h

        add "auth" Auth.handlers
        add "queue" Queue.handlers
        add "queue" QueueViews.handlers
        add "object" Object.handlers
        add "secrets" Secrets.handlers
        add "index" Index.handlers
        add "purge-cache" PurgeCache.handlers
        add "hooks" Hooks.handlers
        add "notify" Notify.handlers
        add "web-server" WebServer.handlers
        add "worker-manager" WorkerManager.handlers
        add "github" Github.handlers
        d

    let services =
        refs.Services |> Array.map (fun s -> struct (s.Name, s.Version), s) |> dict

    let monitoring (entry: Entry) =
        match entry.Name with
        | "ping" ->
            Some(
                J.obj
                    [
                        "alive", J.bool true
                        "uptime", JsonValue.Create((env.Now() - started).TotalSeconds)
                    ]
            )
        | "lbheartbeat"
        | "heartbeat" -> Some(JsonObject())
        | "version" -> Some(J.obj [ "source", J.str "taskcluster-emulator"; "version", J.str "106.0.0" ])
        | _ -> None

    // Outputs already found valid, by schema and content hash: a GET answered a thousand times
    // is validated once (the real services validate every reply; the answer is the same).
    let validOutputs =
        Collections.Concurrent.ConcurrentDictionary<struct (string * Guid), bool>()

    let checkOutput (schemaId: string) (schema: Json.Schema.JsonSchema) (bytes: byte array) =
        let key =
            struct (schemaId, Guid(ReadOnlySpan(Security.Cryptography.SHA256.HashData(bytes), 0, 16)))

        if not (validOutputs.ContainsKey key) then
            use doc = JsonDocument.Parse(bytes)

            match Validation.validate schemaId schema doc.RootElement with
            | Some message -> raise (ApiError("InternalServerError", 500, $"Output schema validation error: {message}"))
            | None ->
                if validOutputs.Count > 10_000 then
                    validOutputs.Clear()

                validOutputs[key] <- true

    // handlers check what they are about to store with this, before storing it
    do
        env.OutputCheck <-
            fun service methodName reply ->
                match services |> Seq.tryFind (fun (KeyValue(struct (name, _), _)) -> name = service) with
                | None -> None
                | Some(KeyValue(_, s)) ->
                    s.Entries
                    |> Array.tryFind (fun e -> e.Name = methodName)
                    |> Option.bind (fun e -> e.Output)
                    |> Option.bind (fun id -> refs.Schema id |> Option.map (fun schema -> id, schema))
                    |> Option.bind (fun (id, schema) ->
                        use doc = JsonDocument.Parse(J.toBytes reply)
                        Validation.validate id schema doc.RootElement)

    let writeBytes (ctx: HttpContext) (status: int) (bytes: byte array) (truncateTo: int option) =
        task {
            ctx.Response.StatusCode <- status
            ctx.Response.ContentType <- "application/json; charset=utf-8"
            ctx.Response.ContentLength <- Nullable(int64 bytes.Length)

            match truncateTo with
            | Some n ->
                do! ctx.Response.Body.WriteAsync(bytes.AsMemory(0, min n bytes.Length))
                do! ctx.Response.Body.FlushAsync()
                ctx.Abort()
            | None -> do! ctx.Response.Body.WriteAsync(bytes.AsMemory())
        }

    let writeJson (ctx: HttpContext) (status: int) (body: JsonNode) (truncateTo: int option) =
        writeBytes ctx status (J.toBytes body) truncateTo

    let errorBody
        (code: string)
        (status: int)
        (message: string)
        (methodName: string)
        (ps: IReadOnlyDictionary<string, string>)
        (payload: JsonNode)
        =
        let time = Util.isoTime (env.Now())

        let footer =
            String.Join(
                "\n",
                [
                    "\n\n---\n"
                    $"* method:     {methodName}"
                    $"* errorCode:  {code}"
                    $"* statusCode: {status}"
                    $"* time:       {time}"
                ]
            )

        J.obj
            [
                "code", J.str code
                "message", J.str (message + footer)
                "requestInfo",
                J.obj
                    [
                        "method", J.str methodName
                        "params",
                        J.obj
                            [
                                if not (isNull ps) then
                                    for KeyValue(k, v) in ps -> k, J.str v
                            ]
                        "payload",
                        (match payload with
                         | null -> JsonObject() :> JsonNode
                         // the secrets service never echoes a secret back, even in an error
                         | :? JsonObject as o when methodName = "set" && o.ContainsKey "secret" ->
                             let c = o.DeepClone().AsObject()
                             c["secret"] <- J.str "(OMITTED)"
                             c :> JsonNode
                         | p -> J.clone p)
                        "time", J.str time
                    ]
            ]

    // Recorded before the answer is written: a caller that has read the whole answer must find
    // its request in the log.
    let record (ctx: HttpContext) (status: int) (service: string) (methodName: string) (clientId: string) =
        env.Stores.Record
            {
                Time = env.Now()
                HttpMethod = ctx.Request.Method
                Path = ctx.Request.Path.Value
                Service = service
                Method = methodName
                ClientId = clientId
                Status = status
            }

    /// Lifts Kestrel's body limit for this request: the caller counts the bytes itself.
    let unlimitBody (ctx: HttpContext) =
        let feature = ctx.Features.Get<IHttpMaxRequestBodySizeFeature>()

        if not (isNull feature) && not feature.IsReadOnly then
            feature.MaxRequestBodySize <- Nullable()

    /// Reads the body within the configured cap; `None` when it is too large.
    let readBody (ctx: HttpContext) : Task<byte array option> =
        task {
            let limit = env.Options.MaxRequestBodyBytes
            let declared = ctx.Request.ContentLength

            // the cap is enforced here by counting, so that the answer is our JSON 413 and not
            // the empty one Kestrel sends once its own limit throws
            unlimitBody ctx

            if declared.HasValue && declared.Value > limit then
                return None
            elif declared.HasValue && declared.Value = 0L then
                return Some [||]
            else
                use ms = new MemoryStream()
                let buffer = ArrayPool<byte>.Shared.Rent 16384
                let mutable total = 0L
                let mutable reading = true
                let mutable tooLarge = false

                try
                    while reading do
                        let! n = ctx.Request.Body.ReadAsync(buffer.AsMemory(0, buffer.Length))

                        if n = 0 then
                            reading <- false
                        else
                            total <- total + int64 n

                            if total > limit then
                                tooLarge <- true
                                reading <- false
                            else
                                ms.Write(buffer, 0, n)
                with :? Microsoft.AspNetCore.Http.BadHttpRequestException ->
                    tooLarge <- true

                ArrayPool<byte>.Shared.Return buffer
                return if tooLarge then None else Some(ms.ToArray())
        }

    let testLoader (entry: Entry) (body: JsonNode) =
        let expand = env.Stores.Auth.Expand

        match entry.Name with
        | "testAuthenticate" ->
            Some(Auth.testerCredentials (J.tryStrings "clientScopes" body |> Option.defaultValue []) expand)
        | "testAuthenticateGet" -> Some(Auth.testerCredentials Auth.testGetClientScopes expand)
        | _ -> None

    /// The query string's keys in order, each with every value it was given.
    let queryOf (ctx: HttpContext) =
        [ for KeyValue(k, v) in ctx.Request.Query -> k, v.ToArray() ]

    let handleApi (ctx: HttpContext) (rawPath: string) (rawTarget: string) : Task =
        task {
            // scheduled hooks that came due fire before the call, so that a test moving the
            // emulator's clock sees their tasks on its next call
            Hooks.tick env

            // /api/<service>/<version>/<route>
            let parts = rawPath.Split('/', 5)
            ctx.Response.Headers.CacheControl <- "no-store no-cache must-revalidate"
            ctx.Response.Headers.AccessControlAllowOrigin <- "*"

            let found =
                if parts.Length >= 4 then
                    match services.TryGetValue(struct (parts[2], parts[3])) with
                    | true, s ->
                        let rest = if parts.Length = 5 then "/" + parts[4] else "/"
                        Some(s, Routing.find s ctx.Request.Method rest)
                    | _ -> None
                else
                    None

            match found with
            | None
            | Some(_, Error _) ->
                record ctx 404 "" "" null

                do!
                    writeJson
                        ctx
                        404
                        (errorBody
                            "ResourceNotFound"
                            404
                            $"No such API method: {ctx.Request.Method} {rawPath}"
                            "unknown"
                            null
                            null)
                        None
            | Some(service, Ok(entry, m)) when not m.Undecodable.IsEmpty ->
                // Express decodes route parameters while routing, before any middleware runs
                let name, raw = m.Undecodable.Head
                record ctx 400 service.Name entry.Name null

                do!
                    writeJson
                        ctx
                        400
                        (errorBody
                            "InvalidRequestArguments"
                            400
                            $"Failed to decode param '{raw}' (URL parameter '{name}')"
                            entry.Name
                            null
                            null)
                        None
            | Some(service, Ok(entry, m)) ->
                let ps = m.Params :> IReadOnlyDictionary<string, string>
                let faults = env.Faults.TakeRoute(service.Name, entry.Name)
                let mutable truncate = None
                let mutable status = None
                let mutable drop = false

                for f in faults do
                    match env.Faults.IsDelay f with
                    | Some d -> do! Task.Delay(d, ctx.RequestAborted)
                    | None -> ()

                    match env.Faults.IsStatus f with
                    | Some s -> status <- Some s
                    | None -> ()

                    if env.Faults.IsDrop f then
                        drop <- true

                    match env.Faults.IsTruncate f with
                    | Some n -> truncate <- Some n
                    | None -> ()

                let fail (code: string) (statusCode: int) (message: string) (payload: JsonNode) (clientId: string) =
                    task {
                        if code = "InternalServerError" then
                            env.LogError(null, $"{service.Name}.{entry.Name} answered 500: {message}")

                        if statusCode = 401 then
                            ctx.Response.Headers["www-authenticate"] <- "hawk"

                        record ctx statusCode service.Name entry.Name clientId
                        do! writeJson ctx statusCode (errorBody code statusCode message entry.Name ps payload) truncate
                    }

                if drop then
                    record ctx 0 service.Name entry.Name null
                    ctx.Abort()
                else
                    match status with
                    | Some s -> do! fail "InjectedFault" s $"The emulator was told to answer {s} to this call" null null
                    | None ->
                        let! body = readBody ctx

                        match body with
                        | None ->
                            do!
                                fail
                                    "InputTooLarge"
                                    413
                                    $"The request body is larger than {env.Options.MaxRequestBodyBytes} bytes"
                                    null
                                    null
                        | Some bytes ->
                            let now = env.Now()

                            // as taskcluster-lib-api: only an application/json body is parsed, and it
                            // must be an object or an array (checked before authentication)
                            let jsonBody =
                                match ctx.Request.ContentType with
                                | null -> false
                                | ct ->
                                    String.Equals(
                                        (ct.Split(';')[0]).Trim(),
                                        "application/json",
                                        StringComparison.OrdinalIgnoreCase
                                    )

                            let payload, malformed =
                                if bytes.Length = 0 || not jsonBody then
                                    null, None
                                else
                                    match J.parse bytes with
                                    | Ok(:? JsonObject as n) -> n :> JsonNode, None
                                    | Ok(:? JsonArray as n) -> n :> JsonNode, None
                                    | Ok _ -> null, Some "Must be an object or array"
                                    | Error message -> null, Some message

                            let host = ctx.Request.Host

                            let authRequest =
                                {
                                    Hawk =
                                        {
                                            Method = ctx.Request.Method
                                            Resource = rawTarget
                                            Host = host.Host
                                            Port = Forwarded.port ctx.Request.Headers host
                                        }
                                    Authorization =
                                        match ctx.Request.Headers.Authorization with
                                        | v when v.Count > 0 -> v[0]
                                        | _ -> null
                                    ContentType = ctx.Request.ContentType
                                    Body = ReadOnlyMemory bytes
                                }

                            let outcome =
                                match testLoader entry payload with
                                | Some loader ->
                                    Authenticator.authenticate loader env.Stores.Auth.Expand now authRequest
                                | None when entry.Scopes.IsNone -> AuthOutcome.Anonymous [||]
                                | None ->
                                    Authenticator.authenticate
                                        (fun id -> env.Stores.Auth.Credentials(id, now))
                                        env.Stores.Auth.Expand
                                        now
                                        authRequest

                            match outcome with
                            | _ when malformed.IsSome ->
                                do! fail "MalformedPayload" 400 $"Failed to parse JSON: {malformed.Value}" null null
                            | AuthOutcome.Failed message -> do! fail "AuthenticationFailed" 401 message payload null
                            | outcome ->
                                let clientId, scopes =
                                    match outcome with
                                    | AuthOutcome.Success(id, s, _, _) -> id, s
                                    | AuthOutcome.Anonymous s -> "auth-failed:no-auth", s
                                    | AuthOutcome.Failed _ -> null, [||]

                                let call =
                                    {
                                        Env = env
                                        Entry = entry
                                        Params = ps
                                        Query =
                                            fun name ->
                                                match ctx.Request.Query.TryGetValue name with
                                                | true, v when v.Count > 0 -> Some v[0]
                                                | _ -> None
                                        Body = payload
                                        ClientId = clientId
                                        Scopes = scopes
                                        Now = now
                                    }

                                try
                                    // the services' order: authorisation from the route (in the
                                    // authentication step), route parameters, query string, schema
                                    let paramsVerdict = RouteParams.checkParams entry.Checks ps

                                    if entry.AuthorizeFromRoute && not (entry.Scopes.IsNone) then
                                        match paramsVerdict with
                                        // a value no scope can hold (not printable ASCII) cannot be
                                        // authorised; the parameter check says what is wrong with it
                                        | Some message when not (Api.renders call []) ->
                                            raise (ApiError("InvalidRequestArguments", 400, message))
                                        | _ -> Api.authorizeWith call []

                                    match paramsVerdict with
                                    | Some message -> raise (ApiError("InvalidRequestArguments", 400, message))
                                    | None -> ()

                                    match RouteParams.checkQuery entry.Checks (queryOf ctx) with
                                    | Some message -> raise (ApiError("InvalidRequestArguments", 400, message))
                                    | None -> ()

                                    match entry.Input with
                                    | Some _ when isNull payload ->
                                        let shown =
                                            match ctx.Request.ContentType with
                                            | null -> "null"
                                            | ct -> ct

                                        raise (
                                            ApiError(
                                                "MalformedPayload",
                                                400,
                                                $"Payload must be JSON with content-type: application/json got content-type: {shown}"
                                            )
                                        )
                                    | Some schemaId ->
                                        let element = JsonSerializer.SerializeToElement payload

                                        match refs.Schema schemaId with
                                        | Some schema ->
                                            match Validation.validate schemaId schema element with
                                            | Some message ->
                                                let shown =
                                                    schemaId.Replace("http://taskcluster.emulator.invalid", env.RootUrl)

                                                let message = message.Replace(schemaId, shown)
                                                raise (ApiError("InputValidationError", 400, message))
                                            | None -> ()
                                        | None -> ()
                                    | None -> ()

                                    let reply =
                                        match monitoring entry with
                                        | Some body when entry.Scopes.IsNone && service.Name <> "" ->
                                            match handlers.TryGetValue(struct (service.Name, entry.Name)) with
                                            | true, h -> h call
                                            | _ -> Api.ok body
                                        | _ ->
                                            match handlers.TryGetValue(struct (service.Name, entry.Name)) with
                                            | true, h -> h call
                                            | _ ->
                                                // authorise what can be authorised before admitting the gap
                                                if not entry.AuthorizeFromRoute && not (entry.Scopes.IsNone) then
                                                    let extra =
                                                        match payload with
                                                        | :? JsonObject as o -> [ for KeyValue(k, v) in o -> k, v ]
                                                        | _ -> []

                                                    let ps' = Dictionary<string, JsonNode>()

                                                    for KeyValue(k, v) in ps do
                                                        ps'[k] <- J.str v

                                                    for k, v in extra do
                                                        ps'[k] <- v

                                                    match Templates.render entry.Scopes.Value ps' with
                                                    | Ok _ -> Api.authorizeWith call extra
                                                    | Error _ -> ()

                                                raise (
                                                    ApiError(
                                                        "NotImplemented",
                                                        501,
                                                        $"The emulator does not implement {service.Name}.{entry.Name}"
                                                    )
                                                )

                                    match reply with
                                    | Reply.Json(statusCode, body) ->
                                        let bytes = J.toBytes body

                                        // the real services validate their own output too
                                        match entry.Output |> Option.bind refs.Schema, statusCode with
                                        | Some schema, 200 -> checkOutput entry.Output.Value schema bytes
                                        | _ -> ()

                                        record ctx statusCode service.Name entry.Name clientId
                                        do! writeBytes ctx statusCode bytes truncate
                                    | Reply.Redirect(location, body) ->
                                        ctx.Response.Headers.Location <- location
                                        record ctx 303 service.Name entry.Name clientId
                                        do! writeJson ctx 303 body truncate
                                    | Reply.Content(statusCode, contentType, headers, bytes) ->
                                        for name, value in headers do
                                            ctx.Response.Headers[name] <- value

                                        record ctx statusCode service.Name entry.Name clientId
                                        ctx.Response.StatusCode <- statusCode
                                        ctx.Response.ContentType <- contentType
                                        ctx.Response.ContentLength <- Nullable(int64 bytes.Length)

                                        match truncate with
                                        | Some n ->
                                            do! ctx.Response.Body.WriteAsync(bytes.AsMemory(0, min n bytes.Length))
                                            do! ctx.Response.Body.FlushAsync()
                                            ctx.Abort()
                                        | None -> do! ctx.Response.Body.WriteAsync(bytes.AsMemory())
                                with ApiError(code, statusCode, message) ->
                                    do! fail code statusCode message payload clientId
        }

    let blobFaultName (key: string) =
        let slash = key.IndexOf '/'
        if slash < 0 then key else key.Substring(slash + 1)

    let handleBlob (ctx: HttpContext) (rawPath: string) : Task =
        task {
            let key =
                rawPath.Substring("/__blobs/".Length).Split('/')
                |> Array.map Uri.UnescapeDataString
                |> fun segs -> String.Join('/', segs)

            let query name =
                match ctx.Request.Query.TryGetValue name with
                | true, v when v.Count > 0 -> v[0]
                | _ -> null

            let faults = env.Faults.TakeBlob(blobFaultName key)
            let mutable status = None
            let mutable drop = false
            let mutable truncate = None
            let mutable corrupt = false
            let mutable expired = false

            for f in faults do
                match env.Faults.IsDelay f with
                | Some d -> do! Task.Delay(d, ctx.RequestAborted)
                | None -> ()

                status <- env.Faults.IsStatus f |> Option.orElse status
                truncate <- env.Faults.IsTruncate f |> Option.orElse truncate
                drop <- drop || env.Faults.IsDrop f
                corrupt <- corrupt || env.Faults.IsCorrupt f
                expired <- expired || env.Faults.IsExpired f

            let plain (code: int) (message: string) =
                task {
                    ctx.Response.StatusCode <- code
                    ctx.Response.ContentType <- "application/json; charset=utf-8"

                    do!
                        ctx.Response.WriteAsync(
                            J.obj([ "code", J.str (string code); "message", J.str message ]).ToJsonString()
                        )
                }

            let op =
                match ctx.Request.Method with
                | "PUT" -> "put"
                | "GET"
                | "HEAD" -> "get"
                | _ -> ""

            if drop then
                ctx.Abort()
            else
                match status with
                | Some s -> do! plain s $"The emulator was told to answer {s} to this request"
                | None ->
                    match env.Blobs.Verify(op, key, query "expires", query "signature", env.Now()) with
                    | Error(code, message) -> do! plain code message
                    | Ok() when expired -> do! plain 403 "Request has expired"
                    | Ok() when
                        op = "put"
                        && ctx.Request.ContentLength.HasValue
                        && ctx.Request.ContentLength.Value > env.Options.MaxBlobBytes
                        ->
                        do! plain 413 $"The object is larger than {env.Options.MaxBlobBytes} bytes"
                    | Ok() when op = "put" ->
                        // the blob store counts the bytes against MaxBlobBytes itself
                        unlimitBody ctx

                        let expected =
                            if key.StartsWith "object/" then
                                let store = env.Stores.Objects

                                lock store.Gate (fun () ->
                                    match store.Objects.TryGetValue(key.Substring 7) with
                                    | true, o -> o.ExpectedLength
                                    | _ -> None)
                            else
                                None

                        let! result =
                            try
                                env.Blobs.WriteAsync(
                                    key,
                                    ctx.Request.ContentType,
                                    expected,
                                    ctx.Request.Body,
                                    ctx.RequestAborted
                                )
                            with :? Microsoft.AspNetCore.Http.BadHttpRequestException ->
                                Task.FromResult(Error(BlobWriteError.TooLarge env.Options.MaxBlobBytes))

                        match result with
                        | Ok info ->
                            ctx.Response.StatusCode <- 200
                            ctx.Response.Headers.ETag <- $"\"{info.Sha256}\""
                        | Error(BlobWriteError.TooLarge limit) ->
                            do! plain 413 $"The object is larger than {limit} bytes"
                        | Error(BlobWriteError.LengthMismatch(e, a)) ->
                            do! plain 400 $"Expected {e} bytes as announced, received {a}"
                    | Ok() ->
                        let inlineData =
                            if key.StartsWith "object/" then
                                let store = env.Stores.Objects

                                lock store.Gate (fun () ->
                                    match store.Objects.TryGetValue(key.Substring 7) with
                                    | true, o ->
                                        match o.Data with
                                        | ObjectData.Inline bytes -> Some(bytes, o.ContentType)
                                        | _ -> None
                                    | _ -> None)
                            else
                                None

                        let source, length, contentType =
                            match inlineData with
                            | Some(bytes, ct) -> Some(new MemoryStream(bytes, false) :> Stream), int64 bytes.Length, ct
                            | None ->
                                match env.Blobs.OpenRead key, env.Blobs.TryInfo key with
                                | Some s, Some info -> Some s, info.Length, info.ContentType
                                | _ -> None, 0L, null

                        match source with
                        | None -> do! plain 404 "The specified key does not exist."
                        | Some stream ->
                            use stream = stream
                            ctx.Response.StatusCode <- 200

                            ctx.Response.ContentType <-
                                (if String.IsNullOrEmpty contentType then
                                     "application/octet-stream"
                                 else
                                     contentType)

                            ctx.Response.ContentLength <- Nullable length

                            if ctx.Request.Method <> "HEAD" then
                                let buffer = ArrayPool<byte>.Shared.Rent 65536
                                let mutable sent = 0L
                                let limit = truncate |> Option.map int64 |> Option.defaultValue Int64.MaxValue
                                let mutable go = true

                                try
                                    while go do
                                        let! n = stream.ReadAsync(buffer.AsMemory(0, 65536), ctx.RequestAborted)

                                        if n = 0 || sent >= limit then
                                            go <- false
                                        else
                                            let n = int (min (int64 n) (limit - sent))

                                            if corrupt then
                                                buffer[0] <- buffer[0] ^^^ 0xFFuy

                                            do! ctx.Response.Body.WriteAsync(buffer.AsMemory(0, n), ctx.RequestAborted)
                                            sent <- sent + int64 n
                                finally
                                    ArrayPool<byte>.Shared.Return buffer

                                if truncate.IsSome then
                                    do! ctx.Response.Body.FlushAsync()
                                    ctx.Abort()
        }

    /// A GitHub webhook delivery: not in the references (the service does not publish the
    /// method), unauthenticated, checked by its signature; answered with text as there.
    let handleWebhook (ctx: HttpContext) (rawPath: string) : Task =
        task {
            let! body = readBody ctx

            let header (name: string) =
                match ctx.Request.Headers.TryGetValue name with
                | true, v when v.Count > 0 -> Some v[0]
                | _ -> None

            let status, text =
                match body with
                | None -> 413, $"The request body is larger than {env.Options.MaxRequestBodyBytes} bytes"
                | Some bytes -> Github.webhook env header bytes

            record ctx status "github" "githubWebHookConsumer" null
            ctx.Response.StatusCode <- status

            if status <> 204 then
                ctx.Response.ContentType <- "text/html; charset=utf-8"
                do! ctx.Response.WriteAsync text
        }

    let dispatch (ctx: HttpContext) : Task =
        let rawTarget =
            match ctx.Features.Get<IHttpRequestFeature>() with
            | null -> ctx.Request.Path.Value + ctx.Request.QueryString.Value
            | f -> f.RawTarget

        let q = rawTarget.IndexOf '?'
        let rawPath = if q < 0 then rawTarget else rawTarget.Substring(0, q)

        if rawPath = "/api/github/v1/github" && ctx.Request.Method = "POST" then
            handleWebhook ctx rawPath
        elif rawPath.StartsWith("/api/", StringComparison.Ordinal) then
            handleApi ctx rawPath rawTarget
        elif rawPath.StartsWith("/__blobs/", StringComparison.Ordinal) then
            handleBlob ctx rawPath
        else
            match refs.Document rawPath with
            | Some bytes when ctx.Request.Method = "GET" ->
                ctx.Response.ContentType <- "application/json"
                ctx.Response.ContentLength <- Nullable(int64 bytes.Length)
                ctx.Response.Body.WriteAsync(bytes.AsMemory()).AsTask()
            | _ -> writeJson ctx 404 (errorBody "ResourceNotFound" 404 $"Not found: {rawPath}" "unknown" null null) None

    /// The request headers' total size, counted as Kestrel counts it (names and values).
    let headerBytes (ctx: HttpContext) =
        let mutable total = 0L

        for KeyValue(name, values) in ctx.Request.Headers do
            for v in values do
                total <- total + int64 name.Length + int64 (if isNull v then 0 else v.Length)

        total

    /// Fires the scheduled hooks that came due.
    member _.Tick() = Hooks.tick env

    member this.Handle(ctx: HttpContext) : Task =
        Guard.run env (fun c -> this.Route c) ctx

    member _.Route(ctx: HttpContext) : Task =
        // Kestrel's own header limit is set well above the configured one (see `Server.start`), so
        // that an oversized request reaches this point and gets a Taskcluster-style error body
        // instead of Kestrel's empty 431.
        if headerBytes ctx > int64 env.Options.MaxRequestHeadersBytes then
            let body =
                errorBody
                    "RequestHeaderFieldsTooLarge"
                    431
                    $"The request headers are larger than {env.Options.MaxRequestHeadersBytes} bytes"
                    "unknown"
                    null
                    null

            task {
                record ctx 431 "" "" null
                do! writeJson ctx 431 body None
            }
        else
            dispatch ctx

/// Starting and stopping Kestrel on loopback.
[<RequireQualifiedAccess>]
module internal Server =
    let start (options: EmulatorOptions) (pipeline: Pipeline) (ct: CancellationToken) : Task<WebApplication * string> =
        task {
            let builder = WebApplication.CreateEmptyBuilder(WebApplicationOptions())
            builder.WebHost.UseKestrelCore() |> ignore

            builder.WebHost.ConfigureKestrel(fun (k: KestrelServerOptions) ->
                k.AddServerHeader <- false
                k.Limits.MaxRequestBodySize <- Nullable options.MaxRequestBodyBytes
                // headers over the configured limit are answered by the pipeline with a JSON
                // body; Kestrel's (empty) 431 is kept for requests four times over it
                k.Limits.MaxRequestHeadersTotalSize <-
                    int (min (4L * int64 options.MaxRequestHeadersBytes) (256L <<< 20))

                k.Listen(IPAddress.Loopback, options.Port))
            |> ignore

            let app = builder.Build()
            app.Run(RequestDelegate(fun ctx -> pipeline.Handle ctx))

            // scheduled hooks also fire when no call comes (on the emulator's clock)
            let scheduler =
                options.TimeProvider.CreateTimer(
                    (fun _ -> pipeline.Tick()),
                    null,
                    TimeSpan.FromSeconds 1.0,
                    TimeSpan.FromSeconds 1.0
                )

            app.Lifetime.ApplicationStopping.Register(fun () -> scheduler.Dispose())
            |> ignore

            do! app.StartAsync ct

            let addresses =
                app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>().Addresses

            let url = addresses |> Seq.head
            return app, url.TrimEnd('/')
        }
