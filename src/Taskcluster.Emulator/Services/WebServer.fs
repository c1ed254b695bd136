/// The web-server's profiler methods: Firefox Profiler profiles of a task group (its runs as
/// markers) and of a resolved task's log, computed from the emulator's queue and artifacts.
module internal Taskcluster.Emulator.Services.WebServer

open System
open System.Globalization
open System.IO
open System.Text
open System.Text.Json.Nodes
open System.Text.RegularExpressions
open Taskcluster.Emulator.Internal

// ---- the profile's fixed parts (Firefox Profiler processed format, as the service writes it) ----

let private category (name: string) (color: string) =
    J.obj
        [
            "name", J.str name
            "color", J.str color
            "subcategories", J.strs [ "Other" ]
        ]

let private field (key: string) (label: string) (format: string) (searchable: bool) =
    J.obj
        [
            "key", J.str key
            "label", J.str label
            "format", J.str format
            if searchable then
                "searchable", J.bool true
        ]

let private markerSchema (name: string) (label: string) (fields: JsonNode list) =
    J.obj
        [
            "name", J.str name
            "tooltipLabel", J.str label
            "tableLabel", J.str label
            "chartLabel", J.str label
            "display", J.strs [ "marker-chart"; "marker-table"; "timeline-overview" ]
            "data", J.arr fields
        ]

let private groupCategories () =
    [
        category "Other" "grey"
        category "Idle" "transparent"
        category "Layout" "purple"
        category "JavaScript" "yellow"
        category "GC / CC" "orange"
        category "Network" "lightblue"
        category "Graphics" "green"
        category "DOM" "blue"
    ]

let private logCategoryNames =
    [ "none"; "fetches"; "vcs"; "setup"; "taskcluster"; "Task"; "Log" ]

let private logCategories () =
    List.zip logCategoryNames [ "grey"; "purple"; "orange"; "lightblue"; "green"; "lightblue"; "green" ]
    |> List.map (fun (n, c) -> category n c)

let private taskSchema () =
    markerSchema
        "Task"
        "{marker.data.name}"
        [
            field "startTime" "Start time" "string" false
            field "name" "Task Name" "string" true
            field "taskId" "Task ID" "string" false
            field "owner" "Owner" "string" false
            field "retries" "Retries" "string" false
            field "state" "State" "string" false
            field "reasonCreated" "Reason Created" "string" false
            field "reasonResolved" "Reason Resolved" "string" false
            field "description" "Description" "string" false
            field "taskURL" "Task URL" "url" false
            field "source" "Source URL" "url" false
            field "taskGroup" "Task Group URL" "url" false
            field "liveLog" "Live Log" "url" false
            field "taskProfile" "Task Profile" "url" false
        ]

let private taskGroupSchema () =
    markerSchema
        "TaskGroup"
        "{marker.data.name}"
        [
            field "startTime" "Start time" "string" false
            field "name" "Task Group ID" "string" true
            field "expires" "Expires" "string" false
            field "tasks" "Tasks" "integer" false
            field "url" "URL" "url" false
        ]

let private logRowSchema () =
    markerSchema
        "LiveLogRow"
        "{marker.data.message}"
        [
            field "startTime" "Start time" "string" false
            field "message" "Log Message" "unique-string" true
        ]

let private logTaskSchema () =
    markerSchema
        "Task"
        "{marker.data.taskName}"
        [
            field "startTime" "Start time" "string" false
            field "taskName" "Task Name" "string" true
            field "time" "Time" "time" false
            field "taskURL" "Task" "url" false
            field "taskGroupURL" "Task Group" "url" false
            field "taskId" "Task ID" "string" false
            field "taskGroupId" "Task Group ID" "string" false
            field "taskGroupProfile" "Task Group Profile" "url" false
        ]

/// A string table: each distinct string once, referred to by index.
type private Strings() =
    let items = ResizeArray<string>()
    let index = Collections.Generic.Dictionary<string, int>(StringComparer.Ordinal)

    member _.Index(s: string) =
        match index.TryGetValue s with
        | true, i -> i
        | _ ->
            let i = items.Count
            items.Add s
            index[s] <- i
            i

    member _.ToJson() = J.strs items

/// Markers of one thread, column by column.
type private Markers() =
    member val Data = JsonArray()
    member val Name = JsonArray()
    member val StartTime = JsonArray()
    member val EndTime = JsonArray()
    member val Phase = JsonArray()
    member val Category = JsonArray()

    member this.Add(name: int, start: int64, finish: int64 option, phase: int, cat: int, data: JsonNode) =
        this.Name.Add(J.int name)
        this.StartTime.Add(J.num start)

        let finishNode: JsonNode =
            match finish with
            | Some e -> J.num e
            | None -> null

        this.EndTime.Add finishNode

        this.Phase.Add(J.int phase)
        this.Category.Add(J.int cat)
        this.Data.Add(data: JsonNode)

    member this.ToJson() =
        J.obj
            [
                "data", this.Data
                "name", this.Name
                "startTime", this.StartTime
                "endTime", this.EndTime
                "phase", this.Phase
                "category", this.Category
                "length", J.int this.Name.Count
            ]

let private arr (items: JsonNode list) = J.arr items
let private nul: JsonNode = null

/// A thread with no samples and one empty frame, as the service starts every thread.
let private thread
    (name: string)
    (tid: int)
    (registerTime: int64)
    (unregisterTime: int64 option)
    (markers: Markers)
    (strings: Strings)
    =
    J.obj
        [
            "processType", J.str "default"
            "processName", J.str "Taskcluster"
            "processStartupTime", J.int 0
            "processShutdownTime", nul
            "registerTime", J.num registerTime
            "unregisterTime",
            (match unregisterTime with
             | Some t -> J.num t
             | None -> nul)
            "pausedRanges", arr []
            "name", J.str name
            "isMainThread", J.bool true
            "showMarkersInTimeline", J.bool true
            "pid", J.int tid
            "tid", J.int tid
            "samples",
            J.obj
                [
                    "weightType", J.str "samples"
                    "weight", nul
                    "stack", arr []
                    "time", arr []
                    "length", J.int 0
                ]
            "markers", markers.ToJson()
            "stackTable",
            J.obj
                [
                    "frame", arr [ J.int 0 ]
                    "prefix", arr [ nul ]
                    "category", arr [ J.int 0 ]
                    "subcategory", arr [ J.int 0 ]
                    "length", J.int 1
                ]
            "frameTable",
            J.obj
                [
                    "address", arr [ J.int (-1) ]
                    "inlineDepth", arr [ J.int 0 ]
                    "category", arr [ nul ]
                    "subcategory", arr [ J.int 0 ]
                    "func", arr [ J.int 0 ]
                    "nativeSymbol", arr [ nul ]
                    "innerWindowID", arr [ J.int 0 ]
                    "implementation", arr [ nul ]
                    "line", arr [ nul ]
                    "column", arr [ nul ]
                    "length", J.int 1
                ]
            "funcTable",
            J.obj
                [
                    "isJS", arr [ J.bool false ]
                    "relevantForJS", arr [ J.bool false ]
                    "name", arr [ J.int 0 ]
                    "resource", arr [ J.int (-1) ]
                    "fileName", arr [ nul ]
                    "lineNumber", arr [ nul ]
                    "columnNumber", arr [ nul ]
                    "length", J.int 1
                ]
            "resourceTable",
            J.obj
                [
                    "lib", arr []
                    "name", arr []
                    "host", arr []
                    "type", arr []
                    "length", J.int 0
                ]
            "nativeSymbols",
            J.obj
                [
                    "libIndex", arr []
                    "address", arr []
                    "name", arr []
                    "functionSize", arr []
                    "length", J.int 0
                ]
            "stringArray", strings.ToJson()
        ]

let private profile
    (product: string)
    (startTime: int64)
    (schemas: JsonNode list)
    (categories: JsonNode list)
    (threads: JsonNode list)
    =
    J.obj
        [
            "meta",
            J.obj
                [
                    "interval", J.int 1
                    "startTime", J.num startTime
                    "processType", J.int 0
                    "product", J.str product
                    "stackwalk", J.int 0
                    "version", J.int 27
                    "preprocessedProfileVersion", J.int 47
                    "physicalCPUs", J.int 0
                    "logicalCPUs", J.int 0
                    "symbolicationNotSupported", J.bool true
                    "usesOnlyOneStackType", J.bool true
                    "markerSchema", arr schemas
                    "categories", arr categories
                ]
            "libs", arr []
            "threads", arr threads
            "counters", arr []
        ]

// The service formats dates with the server's locale; deployments run in UTC with en-US.
let private usCulture = CultureInfo.GetCultureInfo "en-US"

let private localeDate (ms: int64) =
    DateTimeOffset.FromUnixTimeMilliseconds(ms).UtcDateTime.ToString("M/d/yyyy", usCulture)

let private localeTime (ms: int64) =
    DateTimeOffset.FromUnixTimeMilliseconds(ms).UtcDateTime.ToString("h:mm:ss tt", usCulture)

let private ms (t: DateTimeOffset) = t.ToUnixTimeMilliseconds()

/// The UI address of a path (`<rootUrl>/tasks/...`).
let private ui (env: Env) (path: string) = env.RootUrl + path

// ---- taskGroupProfile ----

let taskGroupProfile (call: Call) =
    let env = call.Env
    let q = env.Stores.Queue
    let groupId = Api.param call "taskGroupId"

    // (definition, runs) of each task of the group, in the queue's order
    let tasks =
        match q.Groups.TryGetValue groupId with
        | true, g ->
            lock g.Gate (fun () ->
                [
                    for id in g.Ids do
                        match q.Tasks.TryGetValue id with
                        | true, t ->
                            let runs =
                                [
                                    for r in t.Runs ->
                                        r.RunId, r.State, r.ReasonCreated, r.ReasonResolved, r.Started, r.Resolved
                                ]

                            t.TaskId, t.Definition.DeepClone() :?> JsonObject, runs
                        | _ -> ()
                ])
        | _ -> []

    if tasks.IsEmpty then
        Fail.notFound "Task group not found"

    let name (def: JsonObject) =
        J.tryString "name" def["metadata"] |> Option.defaultValue ""

    /// The earliest start and the latest resolution of the runs of the tasks `keep` admits.
    let range keep =
        let mutable start = None
        let mutable finish = None

        for _, def, runs in tasks do
            if keep def then
                for _, _, _, _, started, resolved in runs do
                    match Option.orElse resolved started with
                    | Some s -> start <- Some(min s (defaultArg start s))
                    | None -> ()

                    match resolved with
                    | Some r -> finish <- Some(max r (defaultArg finish r))
                    | None -> ()

        start |> Option.map ms, finish |> Option.map ms

    let all = range (fun _ -> true)
    let noActions = range (fun def -> not ((name def).StartsWith "Action:"))
    let origin = fst all |> Option.defaultValue 0L
    let strings = Strings()
    let markers = Markers()
    let _, first, _ = tasks.Head
    let markerTime = localeTime (origin + origin) // the service adds the start twice, so does this

    for (start, finish), label in [ all, "TaskGroup"; noActions, "TaskGroup (no actions)" ] do
        match start with
        | Some s when s <> 0L ->
            markers.Add(
                strings.Index label,
                s - origin,
                finish |> Option.map (fun f -> f - origin),
                (if finish.IsSome then 1 else 2),
                5,
                J.obj
                    [
                        "type", J.str "TaskGroup"
                        "startTime", J.str markerTime
                        "name", J.str groupId
                        "expires", J.clone first["expires"]
                        "tasks", J.int tasks.Length
                        "url", J.str (ui env $"/tasks/groups/{groupId}")
                    ]
            )
        | _ -> ()

    if (fst all).IsSome then
        // tasks whose first run never started first, then by the start of the first run
        let ordered =
            tasks
            |> List.sortBy (fun (_, _, runs) ->
                match runs with
                | (_, _, _, _, Some started, _) :: _ -> 1, ms started
                | _ -> 0, 0L)

        for taskId, def, runs in ordered do
            let retries = J.tryInt64 "retries" def |> Option.defaultValue 5L
            let taskName = name def

            let meta field =
                J.tryString field def["metadata"] |> Option.defaultValue ""

            for runId, state, reasonCreated, reasonResolved, started, resolved in runs do
                match started with
                | None -> ()
                | Some s ->
                    let finish =
                        match resolved with
                        | Some r -> Some(ms r)
                        | None when state = "running" -> Some(ms call.Now)
                        | None -> None

                    let grouping =
                        if String.IsNullOrEmpty reasonResolved then
                            state
                        else
                            reasonResolved

                    let label = if state = "completed" then "Task" else $"Task ({grouping})"

                    let shown =
                        if state = "completed" && runId = 0 && retries > 1L then
                            taskName
                        else
                            $"{taskName} (run {runId + 1}/{retries})"

                    markers.Add(
                        strings.Index label,
                        ms s - origin,
                        finish |> Option.map (fun f -> f - origin),
                        (if finish.IsSome then 1 else 2),
                        5,
                        J.obj
                            [
                                "type", J.str "Task"
                                "startTime", J.str markerTime
                                "name", J.str shown
                                "taskId", J.str taskId
                                "owner", J.str (meta "owner")
                                "description", J.str (meta "description")
                                "source", J.str (meta "source")
                                "retries", J.str $"{runId + 1} / {retries}"
                                "state", J.str state
                                "reasonCreated", J.str reasonCreated
                                if not (String.IsNullOrEmpty reasonResolved) then
                                    "reasonResolved", J.str reasonResolved
                                "taskURL", J.str (ui env $"/tasks/{taskId}/runs/{runId}")
                                "taskGroup", J.str (ui env $"/tasks/groups/{groupId}")
                                "liveLog", J.str (ui env $"/tasks/{taskId}/runs/{runId}/logs/live/public/logs/live.log")
                                "taskProfile", J.str (ui env $"/tasks/{taskId}/profiler")
                            ]
                    )

    let registerTime, unregisterTime =
        match all with
        | Some s, finish -> s - origin, finish |> Option.map (fun f -> f - origin)
        | None, _ -> -1L, Some -1L

    let threads = [ thread groupId 0 registerTime unregisterTime markers strings ]

    Api.ok (
        profile
            $"Task Group {groupId} - {localeDate origin}"
            origin
            [ taskSchema (); taskGroupSchema () ]
            (groupCategories ())
            threads
    )

// ---- taskProfile ----

/// The log names the service reads, in its order of preference.
let private logNames = [ "public/logs/live.log"; "public/logs/live_backing.log" ]

/// The largest log the service profiles.
let private maxLogBytes = 200L * 1024L * 1024L

/// The bytes of a task's log: the first of `logNames` on the latest run with stored content
/// (a reference artifact points elsewhere and is skipped).
let private readLog (env: Env) (t: TaskRec) : Stream option =
    match Seq.tryLast t.Runs with
    | None -> None
    | Some run ->
        logNames
        |> List.tryPick (fun name ->
            match t.Artifacts.TryGetValue(struct (run.RunId, name)) with
            | true, a when a.Present && a.StorageType = "s3" -> env.Blobs.OpenRead a.Target
            | true, a when a.Present && a.StorageType = "object" ->
                let store = env.Stores.Objects

                let data =
                    lock store.Gate (fun () ->
                        match store.Objects.TryGetValue a.Target with
                        | true, o -> Some o.Data
                        | _ -> None)

                match data with
                | Some(ObjectData.Inline bytes) -> Some(new MemoryStream(bytes, false) :> Stream)
                | Some(ObjectData.Blob(key, _)) -> env.Blobs.OpenRead key
                | _ -> None
            | _ -> None)

let private logLine =
    Regex(
        @"^\s*\[(?<component>\w+)(:(?<logLevel>\w+))?\s*(?<time>[\d\-T:.Z+]+)\]\s*(?<message>.*)",
        RegexOptions.CultureInvariant
    )

let private leadingStamp =
    Regex(@"^\s*\[[\d\-T:.Z+ ]+\]\s*", RegexOptions.CultureInvariant)

let taskProfile (call: Call) =
    let env = call.Env
    let q = env.Stores.Queue
    let taskId = Api.param call "taskId"

    let found =
        match q.Tasks.TryGetValue taskId with
        | true, t -> lock t.Group.Gate (fun () -> Some(t.State, t.Definition.DeepClone() :?> JsonObject, readLog env t))
        | _ -> None

    let state, def, log =
        match found with
        | Some f -> f
        | None -> Fail.notFound "Task not found"

    if state = "running" || state = "pending" || state = "unscheduled" then
        Fail.notFound "Profiling is only supported on resolved tasks. Wait for the task to finish and retry"

    let stream =
        match log with
        | Some s -> s
        | None -> Fail.notFound "Could not fetch task log. The task may not have logs or they may have expired."

    let text =
        use s = stream

        if s.CanSeek && s.Length > maxLogBytes then
            raise (ApiError("InputTooLarge", 413, $"Log exceeds {maxLogBytes / 1024L / 1024L}MB size limit"))

        use reader = new StreamReader(s, UTF8Encoding(false, false))
        reader.ReadToEnd()

    let taskName = J.tryString "name" def["metadata"] |> Option.defaultValue ""
    let groupId = J.tryString "taskGroupId" def |> Option.defaultValue taskId

    let created =
        J.tryString "created" def
        |> Option.bind Util.tryParseTime
        |> Option.defaultValue call.Now

    let strings = Strings()
    let markers = Markers()

    let categoryOf (c: string) =
        match List.tryFindIndex ((=) c) logCategoryNames with
        | Some i -> i
        | None -> List.findIndex ((=) "Log") logCategoryNames

    // slot 0: the task's whole duration, completed once the log is read
    markers.Add(strings.Index taskName, 0L, Some 0L, 1, categoryOf "Task", null)
    let mutable origin: int64 option = None
    let mutable last: int64 option = None
    let pending = ResizeArray<string>()

    let push (source: string) (at: int64) (message: string) =
        markers.Add(
            strings.Index source,
            at - origin.Value,
            None,
            0,
            categoryOf source,
            J.obj [ "type", J.str "LiveLogRow"; "message", J.int (strings.Index message) ]
        )

    let lines = text.Split('\n')
    // a final newline ends the last line rather than starting an empty one
    let lines =
        if text.EndsWith '\n' then
            Array.take (lines.Length - 1) lines
        else
            lines

    for line in lines do
        if line.Trim() <> "" then
            let m = logLine.Match line

            let time =
                if m.Success then
                    Util.tryParseTime m.Groups["time"].Value |> Option.map ms
                else
                    None

            match time with
            | Some at ->
                if origin.IsNone then
                    origin <- Some at

                    for p in pending do
                        push "no timestamp" at p

                    pending.Clear()

                last <- Some at
                push m.Groups["component"].Value at (leadingStamp.Replace(m.Groups["message"].Value, "", 1))
            | None when origin.IsNone -> pending.Add line
            | None -> push "no timestamp" last.Value line

    let startTime =
        match origin with
        | Some o ->
            markers.EndTime[0] <- J.num ((defaultArg last o) - o)
            o
        | None -> 0L

    markers.Data[0] <-
        J.obj
            [
                "type", J.str "Task"
                "name", J.str "Task"
                "taskName", J.str taskName
                "taskId", J.str taskId
                "taskGroupId", J.str groupId
                "taskGroupURL", J.str (ui env $"/tasks/groups/{groupId}")
                "taskURL", J.str (ui env $"/tasks/{taskId}")
                "taskGroupProfile", J.str (ui env $"/tasks/groups/{groupId}/profiler")
            ]

    let t = thread "Live Log" 0 0L None markers strings

    Api.ok (
        profile
            $"{taskName} {taskId} - {localeDate (ms created)}"
            startTime
            [ logRowSchema (); logTaskSchema () ]
            (logCategories ())
            [ t ]
    )

let handlers: (string * (Call -> Reply)) list =
    [ "taskGroupProfile", taskGroupProfile; "taskProfile", taskProfile ]
