/// The hooks service: hooks and their groups, trigger tokens, last fires, and tasks created
/// from a hook's JSON-e template in the emulator's queue, with the hook's role
/// `hook-id:<hookGroupId>/<hookId>`, when triggered or when its schedule comes due. Creations,
/// updates and removals are announced on the hooks exchanges when the emulator has a broker.
module internal Taskcluster.Emulator.Services.Hooks

open System
open System.Collections.Generic
open System.Text.Json
open System.Text.Json.Nodes
open System.Text.RegularExpressions
open Cronos
open Json.Schema
open Taskcluster.Core
open Taskcluster.Emulator.Internal

/// The client the hooks service creates tasks as (its scopes restricted to the hook's role).
let private hooksClientId = "static/taskcluster/hooks"

let private slugIdPattern =
    Regex(
        "^[A-Za-z0-9_-]{8}[Q-T][A-Za-z0-9_-][CGKOSWaeimquy26-][A-Za-z0-9_-]{10}[AQgw]$",
        RegexOptions.CultureInvariant
    )

/// The next date of a hook without a schedule: far in the future, as the service keeps it.
let private future = DateTimeOffset(4000, 2, 1, 0, 0, 0, TimeSpan.Zero)

let private key (hookGroupId: string) (hookId: string) =
    // NUL sorts before every character an id can hold, so the order is (group, id)
    hookGroupId + "\u0000" + hookId

/// A schedule entry as the service's cron parser reads it: five fields (minute first) or six
/// (seconds first), or a macro such as `@daily`; always in UTC.
let parseCron (pattern: string) : Result<CronExpression, string> =
    let fields = pattern.Split([| ' '; '\t' |], StringSplitOptions.RemoveEmptyEntries)

    let text = String.Join(' ', fields)

    try
        match fields.Length with
        | 1 when text.StartsWith '@' -> Ok(CronExpression.Parse(text, CronFormat.Standard))
        | 5 -> Ok(CronExpression.Parse(text, CronFormat.Standard))
        | 6 -> Ok(CronExpression.Parse(text, CronFormat.IncludeSeconds))
        | n -> Error $"Invalid cron expression: expected 5 or 6 fields, got {n}"
    with
    | :? CronFormatException as e -> Error e.Message
    | :? ArgumentException as e -> Error e.Message

/// The earliest date of any schedule entry strictly after `reference` (`future` for none).
let nextDate (schedule: string list) (reference: DateTimeOffset) =
    let dates =
        schedule
        |> List.choose (fun p ->
            match parseCron p with
            | Ok c -> c.GetNextOccurrence(reference.UtcDateTime, false) |> Option.ofNullable
            | Error _ -> None)

    match dates with
    | [] -> future
    | ds -> DateTimeOffset(List.min ds, TimeSpan.Zero)

let private definition (h: HookRec) =
    J.obj
        [
            "hookId", J.str h.HookId
            "hookGroupId", J.str h.HookGroupId
            "bindings", J.clone h.Bindings
            "metadata", J.clone h.Metadata
            "task", J.clone h.Task
            "schedule", J.strs h.Schedule
            "triggerSchema", J.clone h.TriggerSchema
        ]

let private getHook (call: Call) =
    let store = call.Env.Stores.Hooks
    let g, h = Api.param call "hookGroupId", Api.param call "hookId"

    lock store.Gate (fun () ->
        match store.Hooks.TryGetValue(key g h) with
        | true, hook -> hook
        | _ -> Fail.notFound "No such hook")

// ---- trigger schemas ----

let private schemaBase =
    Uri "http://taskcluster.emulator.invalid/hooks/trigger-schema.json"

/// A hook's trigger schema compiled, or why it is not a schema.
let private compileSchema (schema: JsonNode) : Result<JsonSchema, string> =
    try
        let options = BuildOptions(SchemaRegistry = SchemaRegistry())
        Ok(JsonSchema.Build(JsonSerializer.SerializeToElement schema, options, schemaBase))
    with ex ->
        Error ex.Message

/// `None` when the payload fits the hook's trigger schema, else the reasons.
let private checkPayload (schema: JsonNode) (payload: JsonNode) =
    match compileSchema schema with
    | Error message -> Some $"triggerSchema is not a valid JSON schema: {message}"
    | Ok s ->
        try
            Validation.validate "triggerSchema" s (JsonSerializer.SerializeToElement payload)
        with ex ->
            Some $"triggerSchema cannot be evaluated: {ex.Message}"

// ---- creating tasks ----

let private createTaskEntry =
    lazy
        (match ReferenceSet.Instance.TryService("queue", "v1") with
         | Some s -> s.Entries |> Array.find (fun e -> e.Name = "createTask")
         | None -> failwith "the queue's reference is missing")

let private toCore (n: JsonNode) : Json =
    let text = if isNull n then "null" else n.ToJsonString()

    match Decode.fromString Decode.json text with
    | Ok j -> j
    | Error e -> Fail.input $"the hook's task template is not JSON: {e.Describe()}"

let private ofCore (j: Json) : JsonNode = JsonNode.Parse(Encode.toString j)

/// Creates the task in the emulator's queue as the hooks service does: as its own client,
/// restricted to the hook's role. Raises the queue's `ApiError` on failure.
let private createTask (env: Env) (hook: HookRec) (taskId: string) (task: JsonNode) (now: DateTimeOffset) =
    let entry = createTaskEntry.Force()

    // the pipeline checks a request's body against the input schema before the handler; this
    // call does not pass through it
    match
        entry.Input
        |> Option.bind (fun id -> ReferenceSet.Instance.Schema id |> Option.map (fun s -> id, s))
    with
    | Some(id, schema) ->
        match Validation.validate id schema (JsonSerializer.SerializeToElement task) with
        | Some message ->
            let shown = id.Replace("http://taskcluster.emulator.invalid", env.RootUrl)
            raise (ApiError("InputValidationError", 400, message.Replace(id, shown)))
        | None -> ()
    | None -> ()

    let ps = Dictionary<string, string>(StringComparer.Ordinal)
    ps["taskId"] <- taskId

    let call =
        {
            Env = env
            Entry = entry
            Params = ps
            Query = fun _ -> None
            Body = task
            ClientId = hooksClientId
            Scopes = env.Stores.Auth.Expand [ $"assume:hook-id:{hook.HookGroupId}/{hook.HookId}" ]
            Now = now
        }

    Queue.createTask call |> ignore

/// Why a fire created no task.
type private FireError =
    /// The template did not render.
    | RenderFailed of message: string
    /// The queue refused the task.
    | CreateFailed of code: string * status: int * message: string

/// Renders the hook's task in `context` (plus `now` = `created` and `taskId`), creates it and
/// records the fire. `Ok None` when the template renders to nothing (declined: not recorded).
let private fire
    (env: Env)
    (hook: HookRec)
    (firedBy: string)
    (context: (string * Json) list)
    (taskId: string)
    (created: DateTimeOffset)
    (now: DateTimeOffset)
    =
    let ctx =
        Json.Object(
            [ "firedBy", Json.String firedBy ]
            @ context
            @ [ "now", Json.String(Util.isoTime created); "taskId", Json.String taskId ]
        )

    let outcome =
        match JsonE.renderJson (toCore hook.Task) ctx created with
        | Error e -> Error(RenderFailed(e.Describe()))
        // what JavaScript finds falsy: the template declined to make a task
        | Ok(Json.Null | Json.Bool false | Json.String "" | Json.Integer 0L) -> Ok None
        | Ok rendered ->
            let task = ofCore rendered

            match task with
            | :? JsonObject as o ->
                let unset (name: string) =
                    match o[name] with
                    | null -> true
                    | :? JsonValue as v ->
                        match v.GetValueKind() with
                        | JsonValueKind.False -> true
                        | JsonValueKind.String -> v.GetValue<string>() = ""
                        | _ -> false
                    | _ -> false

                let at (offset: string) =
                    match FromNow.fromNowJSON offset created with
                    | Ok t -> J.str t
                    | Error _ -> J.time created

                if unset "created" then
                    o["created"] <- J.time created

                if unset "deadline" then
                    o["deadline"] <- at "1 day"

                if unset "expires" then
                    o["expires"] <- at "1 month"

                if unset "taskGroupId" then
                    o["taskGroupId"] <- J.str taskId
            | _ -> ()

            try
                createTask env hook taskId task now
                Ok(Some taskId)
            with ApiError(code, status, message) ->
                Error(CreateFailed(code, status, message))

    let record result error =
        let store = env.Stores.Hooks
        let k = key hook.HookGroupId hook.HookId

        lock store.Gate (fun () ->
            store.NextSeq <- store.NextSeq + 1L

            let fire =
                {
                    Seq = store.NextSeq
                    FiredBy = firedBy
                    TaskId = taskId
                    TaskCreateTime = now
                    Result = result
                    Error = error
                }

            match store.LastFires.TryGetValue k with
            | true, fires -> fires.Add fire
            | _ -> store.LastFires[k] <- ResizeArray [ fire ])

    match outcome with
    | Ok None -> ()
    | Ok(Some _) -> record "success" ""
    | Error(RenderFailed message) -> record "error" message
    | Error(CreateFailed(code, status, message)) ->
        // the shape the service writes: the client's error, as JSON
        let error =
            J.obj
                [
                    "name", J.str "Error"
                    "message", J.str message
                    "code", J.str code
                    "statusCode", J.int status
                ]

        record "error" (error.ToJsonString(JsonSerializerOptions(WriteIndented = true)))

    outcome

// ---- scheduling ----

/// The email the scheduler sends a hook's owner when a scheduled fire fails (unless the hook's
/// metadata says `emailOnError: false`), recorded by the notify service as any email is.
let private emailOwner (env: Env) (hook: HookRec) (error: string) (now: DateTimeOffset) =
    let wanted =
        match J.tryField "emailOnError" hook.Metadata with
        | Some(:? JsonValue as v) -> v.GetValueKind() <> JsonValueKind.False
        | _ -> true

    match J.tryString "owner" hook.Metadata with
    | Some owner when wanted ->
        let store = env.Stores.Notify

        let request =
            J.obj
                [
                    "address", J.str owner
                    "subject", J.str $"[Taskcluster Hooks] Scheduled Hook failure: {hook.HookGroupId}/{hook.HookId}"
                    "content",
                    J.str
                        $"The hooks service was unable to create a task for hook {hook.HookGroupId}/{hook.HookId}, for which you are listed as owner.\n\nThe error was:\n\n{error}"
                ]

        lock store.Gate (fun () ->
            // a denylisted owner gets nothing, as from the service
            if not (store.Denylist.ContainsKey("email\u0000" + owner)) then
                store.Sent.Enqueue
                    {
                        Time = now
                        Kind = "email"
                        Address = owner
                        ClientId = hooksClientId
                        Request = request
                    }

                while store.Sent.Count > 10_000 do
                    store.Sent.Dequeue() |> ignore)
    | _ -> ()

/// Fires every hook whose next scheduled date has passed (as the service's scheduler does on
/// each poll), then moves its schedule on. Called before each API call and on a timer, so that
/// a test moving the emulator's clock sees the fires on its next call.
let fireDue (env: Env) (now: DateTimeOffset) =
    let store = env.Stores.Hooks

    if now.UtcTicks > store.Earliest then
        lock store.FireGate (fun () ->
            let due =
                lock store.Gate (fun () ->
                    store.Hooks.Values
                    |> Seq.filter (fun h -> h.NextScheduledDate < now)
                    |> Seq.toList)

            for h in due do
                let advance =
                    try
                        match fire env h "schedule" [] h.NextTaskId h.NextScheduledDate now with
                        // a server error is retried on the next poll, as the service does
                        | Error(CreateFailed(_, status, _)) when status >= 500 -> false
                        | Error(CreateFailed(code, _, message)) ->
                            emailOwner env h $"{code}: {message}" now
                            true
                        | Error(RenderFailed message) ->
                            emailOwner env h message now
                            true
                        | Ok _ -> true
                    with ex ->
                        env.LogError(ex, $"the scheduled fire of hook {h.HookGroupId}/{h.HookId} failed")
                        true

                if advance then
                    lock store.Gate (fun () ->
                        let k = key h.HookGroupId h.HookId

                        match store.Hooks.TryGetValue k with
                        // unless the hook changed meanwhile
                        | true, current when current.NextTaskId = h.NextTaskId ->
                            store.Hooks[k] <-
                                { current with
                                    NextTaskId = env.Random.SlugId()
                                    NextScheduledDate = nextDate current.Schedule now
                                }

                            store.Recompute()
                        | _ -> ()))

/// `fireDue` that never throws (for the timer and the pipeline).
let tick (env: Env) =
    try
        fireDue env (env.Now())
    with ex ->
        env.LogError(ex, "the hooks scheduler failed")

// ---- API methods ----

let listHookGroups (call: Call) =
    let store = call.Env.Stores.Hooks

    let groups =
        lock store.Gate (fun () ->
            store.Hooks.Values
            |> Seq.map (fun h -> h.HookGroupId)
            |> Seq.distinct
            |> Seq.toList)

    Api.ok (J.obj [ "groups", J.strs groups ])

let listHooks (call: Call) =
    let store = call.Env.Stores.Hooks
    let g = Api.param call "hookGroupId"

    let hooks =
        lock store.Gate (fun () ->
            store.Hooks.Values
            |> Seq.filter (fun h -> h.HookGroupId = g)
            |> Seq.map definition
            |> Seq.toList)

    if hooks.IsEmpty then
        Fail.notFound "No such group"

    Api.ok (J.obj [ "hooks", J.arr hooks ])

let hook (call: Call) = Api.ok (definition (getHook call))

/// The parts of a create or update request both check, in the service's order.
let private readRequest (call: Call) =
    let g, h = Api.param call "hookGroupId", Api.param call "hookId"
    let body = call.Body

    match J.tryString "hookGroupId" body with
    | Some b when b <> g -> Fail.input "Hook Group Ids do not match"
    | _ -> ()

    match J.tryString "hookId" body with
    | Some b when b <> h -> Fail.input "Hook Ids do not match"
    | _ -> ()

    let schedule = J.tryStrings "schedule" body |> Option.defaultValue []

    let triggerSchema =
        J.tryField "triggerSchema" body
        |> Option.map J.clone
        |> Option.defaultWith (fun () -> J.obj [ "type", J.str "object"; "additionalProperties", J.bool false ])

    g, h, schedule, triggerSchema

let private checkSchedule (schedule: string list) =
    for element in schedule do
        match parseCron element with
        | Error message -> Fail.input $"{message} in {element}"
        | Ok _ -> ()

let private checkTriggerSchema (schema: JsonNode) =
    match compileSchema schema with
    | Error message -> Fail.input $"triggerSchema is not a valid JSON schema:\n * {message}"
    | Ok _ -> ()

/// Announces a change of a hook on `exchange` (`hook-created`, `hook-updated`, `hook-deleted`):
/// the service's message is the hook's ids, with no routing-key words and no CCs.
let private announce (call: Call) (exchange: string) (hookGroupId: string) (hookId: string) =
    call.Env.Publisher.Publish(
        "hooks",
        exchange,
        Map.empty,
        [],
        J.obj [ "hookGroupId", J.str hookGroupId; "hookId", J.str hookId ]
    )

let createHook (call: Call) =
    let store = call.Env.Stores.Hooks
    let g, h, schedule, triggerSchema = readRequest call
    checkSchedule schedule
    checkTriggerSchema triggerSchema

    let hook =
        {
            HookGroupId = g
            HookId = h
            Metadata = J.clone call.Body["metadata"]
            Task = J.clone call.Body["task"]
            Bindings =
                J.tryField "bindings" call.Body
                |> Option.map J.clone
                |> Option.defaultWith (fun () -> JsonArray())
            Schedule = schedule
            TriggerSchema = triggerSchema
            TriggerToken = call.Env.Random.SlugId()
            NextTaskId = call.Env.Random.SlugId()
            NextScheduledDate = nextDate schedule call.Now
        }

    let reply = definition hook
    // stored only if `hook` can answer with it
    Api.mustAnswer call "hook" reply

    lock store.Gate (fun () ->
        match store.Hooks.TryGetValue(key g h) with
        | true, existing ->
            // an identical request is a retry; anything else a conflict
            if not (J.deepEquals (definition existing) reply) then
                Fail.conflict $"hook `{g}/{h}` already exists."
        | _ ->
            store.Hooks[key g h] <- hook
            store.Recompute()
            announce call "hook-created" g h)

    Api.ok reply

let updateHook (call: Call) =
    let store = call.Env.Stores.Hooks
    let g, h, schedule, triggerSchema = readRequest call
    let existing = getHook call
    checkTriggerSchema triggerSchema
    checkSchedule schedule

    let hook =
        { existing with
            Metadata = J.clone call.Body["metadata"]
            Task = J.clone call.Body["task"]
            Bindings =
                J.tryField "bindings" call.Body
                |> Option.map J.clone
                |> Option.defaultWith (fun () -> J.clone existing.Bindings)
            Schedule = schedule
            TriggerSchema = triggerSchema
            NextTaskId = call.Env.Random.SlugId()
            NextScheduledDate = nextDate schedule call.Now
        }

    let reply = definition hook
    Api.mustAnswer call "hook" reply

    lock store.Gate (fun () ->
        // the hook may have been removed meanwhile
        if not (store.Hooks.ContainsKey(key g h)) then
            Fail.notFound "No such hook"

        store.Hooks[key g h] <-
            { hook with
                TriggerToken = store.Hooks[key g h].TriggerToken
            }

        store.Recompute()
        announce call "hook-updated" g h)

    Api.ok reply

let removeHook (call: Call) =
    let store = call.Env.Stores.Hooks
    let g, h = Api.param call "hookGroupId", Api.param call "hookId"
    let k = key g h

    lock store.Gate (fun () ->
        store.Hooks.Remove k |> ignore
        store.LastFires.Remove k |> ignore
        store.Recompute()
        // as the service, which announces the deletion whether or not the hook was there
        announce call "hook-deleted" g h)

    Api.empty ()

let private lastFires (call: Call) (hook: HookRec) =
    let store = call.Env.Stores.Hooks

    lock store.Gate (fun () ->
        match store.LastFires.TryGetValue(key hook.HookGroupId hook.HookId) with
        | true, fires -> fires.ToArray()
        | _ -> [||])

let getHookStatus (call: Call) =
    let hook = getHook call

    let lastFire =
        match lastFires call hook |> Array.tryLast with
        | None -> J.obj [ "result", J.str "no-fire" ]
        | Some f when f.Result = "success" ->
            J.obj
                [
                    "result", J.str "success"
                    "taskId", J.str f.TaskId
                    "time", J.time f.TaskCreateTime
                ]
        | Some f ->
            // the error is JSON when the queue refused the task, text otherwise
            let error =
                match
                    (try
                        JsonNode.Parse f.Error
                     with _ ->
                         null)
                with
                | :? JsonObject as o -> o :> JsonNode
                | _ -> J.obj [ "message", J.str f.Error ]

            J.obj [ "result", J.str f.Result; "error", error; "time", J.time f.TaskCreateTime ]

    Api.ok (
        J.obj
            [
                "lastFire", lastFire
                if not hook.Schedule.IsEmpty then
                    "nextScheduledDate", J.time hook.NextScheduledDate
            ]
    )

/// What `triggerHook` and `triggerHookWithToken` share.
let private trigger (call: Call) (hook: HookRec) (firedBy: string) (clientId: string option) =
    let payload = call.Body

    match checkPayload hook.TriggerSchema payload with
    | Some message -> Fail.input message
    | None -> ()

    let taskId =
        match J.tryField "taskId" payload with
        | None -> call.Env.Random.SlugId()
        | Some t ->
            let text =
                match t with
                | :? JsonValue as v when v.GetValueKind() = JsonValueKind.String -> v.GetValue<string>()
                | other -> other.ToJsonString()

            if not (slugIdPattern.IsMatch text) then
                Fail.input $"Invalid taskId format: {text}"

            text

    let context =
        [
            "payload", toCore payload
            match clientId with
            | Some c -> "clientId", Json.String c
            | None -> ()
        ]

    match fire call.Env hook firedBy context taskId call.Now call.Now with
    | Ok None -> Api.empty ()
    | Ok(Some id) -> Api.ok (J.obj [ "taskId", J.str id; "status", J.obj [ "taskId", J.str id ] ])
    | Error(RenderFailed message) -> Fail.input $"While firing hook:\n\n{message}"
    | Error(CreateFailed("InsufficientScopes", _, message)) ->
        raise (
            ApiError(
                "InsufficientScopes",
                403,
                $"The role `hook-id:{hook.HookGroupId}/{hook.HookId}` does not have sufficient scopes to create the task:\n\n{message}"
            )
        )
    | Error(CreateFailed(code, _, message)) -> Fail.input $"While calling createTask: {code}\n\n{message}"

let triggerHook (call: Call) =
    trigger call (getHook call) "triggerHook" (Some call.ClientId)

let triggerHookWithToken (call: Call) =
    let hook = getHook call

    if not (Util.constantTimeEquals (Api.param call "token") hook.TriggerToken) then
        raise (ApiError("AuthenticationFailed", 401, "invalid hook token"))

    trigger call hook "triggerHookWithToken" None

let getTriggerToken (call: Call) =
    Api.ok (J.obj [ "token", J.str (getHook call).TriggerToken ])

let resetTriggerToken (call: Call) =
    let store = call.Env.Stores.Hooks
    let hook = getHook call
    let token = call.Env.Random.SlugId()

    lock store.Gate (fun () ->
        let k = key hook.HookGroupId hook.HookId

        match store.Hooks.TryGetValue k with
        | true, current -> store.Hooks[k] <- { current with TriggerToken = token }
        | _ -> Fail.notFound "No such hook")

    Api.ok (J.obj [ "token", J.str token ])

let listLastFires (call: Call) =
    let store = call.Env.Stores.Hooks
    let g, h = Api.param call "hookGroupId", Api.param call "hookId"

    let fires =
        lock store.Gate (fun () ->
            match store.LastFires.TryGetValue(key g h) with
            | true, fires -> fires.ToArray()
            | _ -> [||])

    // newest first: the key counts down
    let keyed =
        fires
        |> Array.map (fun f -> (Int64.MaxValue - f.Seq).ToString("D19"), f)
        |> Array.sortBy fst

    let page, token = Api.page call keyed

    if page.IsEmpty then
        Fail.notFound "No such hook or never fired"

    let q = call.Env.Stores.Queue

    let stateOf (taskId: string) =
        match q.Tasks.TryGetValue taskId with
        | true, t ->
            lock t.Group.Gate (fun () ->
                if t.Runs.Count > 0 then
                    t.Runs[t.Runs.Count - 1].State
                else
                    "unknown")
        | _ -> "unknown"

    let items =
        page
        |> List.map (fun f ->
            J.obj
                [
                    "hookGroupId", J.str g
                    "hookId", J.str h
                    "firedBy", J.str f.FiredBy
                    "taskId", J.str f.TaskId
                    "taskCreateTime", J.time f.TaskCreateTime
                    "result", J.str f.Result
                    "error", J.str f.Error
                    "taskState", J.str (stateOf f.TaskId)
                ])

    Api.ok (Api.withToken token [ "lastFires", J.arr items ])

let handlers: (string * (Call -> Reply)) list =
    [
        "listHookGroups", listHookGroups
        "listHooks", listHooks
        "hook", hook
        "getHookStatus", getHookStatus
        "createHook", createHook
        "updateHook", updateHook
        "removeHook", removeHook
        "triggerHook", triggerHook
        "triggerHookWithToken", triggerHookWithToken
        "getTriggerToken", getTriggerToken
        "resetTriggerToken", resetTriggerToken
        "listLastFires", listLastFires
    ]
