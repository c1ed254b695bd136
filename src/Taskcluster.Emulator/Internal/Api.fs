namespace Taskcluster.Emulator.Internal

open System
open System.Collections.Generic
open System.Text.Json
open System.Text.Json.Nodes
open Taskcluster.Core
open Taskcluster.Emulator

/// Everything a handler may use: state, clock, randomness, blob URLs and limits.
[<Sealed>]
type internal Env(options: EmulatorOptions, random: RandomSource, blobs: BlobStore, faults: FaultInjector) =
    let stores = Stores()
    let mutable rootUrl = ""
    let mutable publisher = NoPublisher.Instance

    member _.Stores = stores
    member _.Random = random
    member _.Blobs = blobs
    member _.Faults = faults
    member _.Options = options
    member _.Now() = options.TimeProvider.GetUtcNow()
    member _.MaxPageSize = options.MaxPageSize

    /// `http://127.0.0.1:<port>`, known once Kestrel has bound.
    member _.RootUrl
        with get () = rootUrl
        and set v = rootUrl <- v

    /// Checks a reply against the output schema of a method (`service`, `method`): `None` when
    /// valid, or the method has no output schema. Set by the pipeline, which owns the schemas.
    member val OutputCheck: string -> string -> JsonNode -> string option = (fun _ _ _ -> None) with get, set

    /// Where the services publish their Pulse messages (nowhere unless the emulator was given a
    /// broker); setting it also routes the queue's announcements there.
    member this.Publisher
        with get () = publisher
        and set (p: IPublisher) =
            publisher <- p

            stores.Queue.Announce <-
                Some(fun exchange routing routes message -> p.Publish("queue", exchange, routing, routes, message))

    /// The client the queue and the object service sign temporary credentials with.
    member val ServiceClientId = "static/taskcluster/queue" with get, set

    /// Reports a failure of the emulator itself (never a request's query, body or credentials).
    member _.LogError(ex: exn, message: string) =
        match options.Logger with
        | null ->
            let detail = if isNull ex then "" else "\n" + string ex
            eprintfn "taskcluster-emulator: %s%s" message detail
        | logger -> Microsoft.Extensions.Logging.LoggerExtensions.LogError(logger, ex, "{Message}", message)

    /// A signed blob URL for `op` (`get`/`put`) valid for the configured lifetime.
    member this.BlobUrl(op: string, key: string) =
        let expires = this.Now() + options.BlobUrlLifetime
        this.RootUrl + blobs.Sign(op, key, expires), expires

/// What a handler answers.
[<RequireQualifiedAccess>]
type internal Reply =
    | Json of status: int * body: JsonNode
    /// A 303 to the location, with a JSON body as the real queue sends.
    | Redirect of location: string * body: JsonNode
    /// Bytes of a content type with extra headers, sent as they are: not checked against the
    /// method's output schema (the real services send these past their reply validation).
    | Content of status: int * contentType: string * headers: (string * string) list * body: byte array

/// One authenticated call of an API method.
type internal Call =
    {
        Env: Env
        Entry: Entry
        Params: IReadOnlyDictionary<string, string>
        Query: string -> string option
        /// The parsed payload, `null` without one.
        Body: JsonNode
        ClientId: string
        Scopes: string array
        Now: DateTimeOffset
    }

[<RequireQualifiedAccess>]
module internal Api =
    let ok (body: JsonNode) = Reply.Json(200, body)
    let empty () = Reply.Json(200, JsonObject())

    let private pretty (n: JsonNode) =
        n.ToJsonString(JsonSerializerOptions(WriteIndented = true))

    /// `InsufficientScopes` with the message the real services write.
    let insufficient (clientId: string) (scopes: string array) (required: ScopeExpression) =
        let missing =
            // Never an empty block: if nothing is left to remove, the whole expression is missing.
            match Scopes.removeGiven scopes required with
            | Some e -> Scopes.describe e
            | None -> Scopes.describe required

        let message =
            String.Join(
                "\n",
                [
                    $"Client ID {clientId} does not have sufficient scopes and are missing the following scopes:"
                    ""
                    "```"
                    missing
                    "```"
                    ""
                    "You have the scopes:"
                    ""
                    "```"
                    pretty (J.strs scopes)
                    "```"
                    ""
                    "This request requires you to satisfy this scope expression:"
                    ""
                    "```"
                    Scopes.describe required
                    "```"
                ]
            )

        raise (ApiError("InsufficientScopes", 403, message))

    let private renderWith (call: Call) (extra: (string * JsonNode) list) =
        match call.Entry.Scopes with
        | None -> Ok None
        | Some template ->
            let ps = Dictionary<string, JsonNode>(StringComparer.Ordinal)

            for KeyValue(k, v) in call.Params do
                ps[k] <- J.str v

            for k, v in extra do
                ps[k] <- v

            Templates.render template ps

    /// Whether the method's scope expression renders with the route parameters plus `extra`.
    let renders (call: Call) (extra: (string * JsonNode) list) = Result.isOk (renderWith call extra)

    /// Checks the method's scope expression rendered with the route parameters plus `extra`.
    let authorizeWith (call: Call) (extra: (string * JsonNode) list) =
        match renderWith call extra with
        | Ok None -> ()
        | Ok(Some expr) ->
            if not (Scopes.satisfies call.Scopes expr) then
                insufficient call.ClientId call.Scopes expr
        // the template is the reference's and parses, so only the caller's values (a scope
        // that is not printable ASCII) can make it fail: their fault, a 400
        | Error message ->
            raise (ApiError("InputError", 400, $"the scopes of {call.Entry.Name} cannot be rendered: {message}"))

    let param (call: Call) (name: string) = call.Params[name]

    /// Checks `reply` against the output schema of `methodName` (of the call's service) before
    /// the handler stores anything. The emulator's own values are valid, so a failure comes
    /// from the request (a route parameter the route pattern allows but the output schema
    /// does not, such as an upper-case workerType): it is the caller's 400, and nothing is
    /// stored. (The real service stores such a write, then answers 500 to it and to every
    /// later read.)
    let mustAnswer (call: Call) (methodName: string) (reply: JsonNode) =
        match call.Env.OutputCheck call.Entry.Service methodName reply with
        | None -> ()
        | Some message ->
            raise (
                ApiError(
                    "InputError",
                    400,
                    $"The request cannot be stored: {methodName} could not answer with the result.\n{message}"
                )
            )

    /// A list's `continuationToken` and `limit`, paged over items sorted by key.
    let page (call: Call) (items: (string * 'T) array) =
        let limit = Pagination.limit (call.Query "limit") call.Env.MaxPageSize
        Pagination.page items (call.Query "continuationToken") limit

    let withToken (token: string option) (members: (string * JsonNode) list) =
        J.obj (
            members
            @ (match token with
               | Some t -> [ "continuationToken", J.str t ]
               | None -> [])
        )

    /// Temporary credentials signed by `issuer` (what the queue hands to workers and
    /// uploaders), in the `{clientId, accessToken, certificate}` shape of the references.
    let temporaryCredentials
        (env: Env)
        (issuerId: string)
        (issuerToken: string)
        (name: string option)
        (scopes: string list)
        (start: DateTimeOffset)
        (expiry: DateTimeOffset)
        =
        match
            Certificate.createTemporaryCredentials
                issuerId
                issuerToken
                false
                (start.ToUnixTimeMilliseconds())
                (expiry.ToUnixTimeMilliseconds())
                scopes
                name
                (env.Random.AccessToken())
        with
        | Ok t ->
            J.obj
                [
                    "clientId", J.str t.ClientId
                    "accessToken", J.str t.AccessToken
                    "certificate", J.str (Certificate.encode t.Certificate)
                ]
        | Error e -> raise (ApiError("InternalServerError", 500, $"cannot issue temporary credentials: {e.Describe()}"))

    /// Temporary credentials issued by the emulator's own service client (the queue's), as the
    /// queue hands them to workers, uploaders and downloaders.
    let serviceCredentials
        (env: Env)
        (name: string option)
        (scopes: string list)
        (start: DateTimeOffset)
        (expiry: DateTimeOffset)
        =
        match env.Stores.Auth.TryClient env.ServiceClientId with
        | Some issuer -> temporaryCredentials env issuer.ClientId issuer.AccessToken name scopes start expiry
        | None -> raise (ApiError("InternalServerError", 500, "the queue's own client is missing"))
