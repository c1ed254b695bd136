/// The GitHub service: `.taskcluster.yml` (version 1) rendered with JSON-e for push, pull
/// request, release and comment events as the service renders it; webhook deliveries (signed
/// with the configured secret) that create a repository's tasks in the emulator's queue and
/// record a build; builds, their cancellation, badges and the latest build; and statuses and
/// comments recorded for tests instead of being sent to GitHub.
module internal Taskcluster.Emulator.Services.Github

open System
open System.Collections.Generic
open System.IO
open System.Security.Cryptography
open System.Text
open System.Text.Json
open System.Text.Json.Nodes
open System.Text.RegularExpressions
open Taskcluster.Core
open Taskcluster.Emulator.Internal
open YamlDotNet.Core
open YamlDotNet.RepresentationModel

/// The client the GitHub service acts as (its scopes restricted to the repository's roles).
let githubClientId = "static/taskcluster/github"

/// The service's configured scheduler id and status routes (its defaults).
let private schedulerId = "taskcluster-github"
let private statusTaskRoute = "statuses"
let private checkTaskRoute = "checks"
let private statusContext = "Taskcluster"

// ---- YAML (the subset JSON can hold) ----

/// YAML text as JSON: plain scalars resolved by YAML 1.2's core schema (as js-yaml does),
/// merge keys applied, and the expansion of aliases bounded so a small file cannot grow without
/// limit.
module private Yaml =
    let private maxNodes = 1_000_000
    let private maxDepth = 256

    let private intPattern = Regex(@"^[-+]?[0-9]+$", RegexOptions.CultureInvariant)

    let private floatPattern =
        Regex(@"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$", RegexOptions.CultureInvariant)

    let private plain (text: string) : JsonNode =
        match text with
        | ""
        | "~"
        | "null"
        | "Null"
        | "NULL" -> null
        | "true"
        | "True"
        | "TRUE" -> JsonValue.Create true
        | "false"
        | "False"
        | "FALSE" -> JsonValue.Create false
        | t when intPattern.IsMatch t ->
            match
                Int64.TryParse(
                    t,
                    Globalization.NumberStyles.AllowLeadingSign,
                    Globalization.CultureInfo.InvariantCulture
                )
            with
            | true, n -> JsonValue.Create n
            | _ -> JsonValue.Create(Double.Parse(t, Globalization.CultureInfo.InvariantCulture))
        | t when
            t.StartsWith "0x"
            && t.Length > 2
            && t.Substring(2) |> Seq.forall Char.IsAsciiHexDigit
            && t.Length <= 17
            ->
            JsonValue.Create(Convert.ToInt64(t.Substring 2, 16))
        | t when floatPattern.IsMatch t ->
            JsonValue.Create(
                Double.Parse(t, Globalization.NumberStyles.Float, Globalization.CultureInfo.InvariantCulture)
            )
        | t -> JsonValue.Create t

    let parse (text: string) : Result<JsonNode, string> =
        try
            let stream = YamlStream()
            stream.Load(MergingParser(Parser(new StringReader(text))))

            if stream.Documents.Count = 0 then
                Ok null
            else
                let mutable count = 0

                let rec convert (depth: int) (node: YamlNode) : JsonNode =
                    count <- count + 1

                    if count > maxNodes then
                        failwith $"the document expands to more than {maxNodes} values"

                    if depth > maxDepth then
                        failwith $"the document is nested more than {maxDepth} levels deep"

                    match node with
                    | :? YamlScalarNode as s ->
                        let value = if isNull s.Value then "" else s.Value

                        if s.Style = ScalarStyle.Plain && (s.Tag.IsEmpty || s.Tag.Value = "?") then
                            plain value
                        else
                            JsonValue.Create value
                    | :? YamlSequenceNode as a ->
                        let arr = JsonArray()

                        for child in a.Children do
                            arr.Add(convert (depth + 1) child)

                        arr
                    | :? YamlMappingNode as m ->
                        let o = JsonObject()

                        for KeyValue(k, v) in m.Children do
                            let key =
                                match k with
                                | :? YamlScalarNode as s -> if isNull s.Value then "null" else s.Value
                                | _ -> failwith "a mapping key must be a scalar"

                            o[key] <- convert (depth + 1) v

                        o
                    | _ -> null

                Ok(convert 0 stream.Documents[0].RootNode)
        with
        | :? YamlException as e -> Error e.Message
        | e -> Error e.Message

// ---- calling the queue as the service ----

let private entryOf (service: string) (methodName: string) =
    match ReferenceSet.Instance.TryService(service, "v1") with
    | Some s -> s.Entries |> Array.find (fun e -> e.Name = methodName)
    | None -> failwith $"the reference of {service} is missing"

/// Calls a queue handler as the GitHub service would, with `scopes` (already expanded): the
/// body is checked against the method's input schema first, as the pipeline checks it.
let private callQueue
    (env: Env)
    (handler: Call -> Reply)
    (methodName: string)
    (ps: (string * string) list)
    (body: JsonNode)
    (scopes: string array)
    (now: DateTimeOffset)
    =
    let entry = entryOf "queue" methodName

    match body, entry.Input with
    | null, _
    | _, None -> ()
    | _, Some id ->
        match ReferenceSet.Instance.Schema id with
        | Some schema ->
            match Validation.validate id schema (JsonSerializer.SerializeToElement body) with
            | Some message ->
                let shown = id.Replace("http://taskcluster.emulator.invalid", env.RootUrl)
                raise (ApiError("InputValidationError", 400, message.Replace(id, shown)))
            | None -> ()
        | None -> ()

    let d = Dictionary<string, string>(StringComparer.Ordinal)

    for k, v in ps do
        d[k] <- v

    handler
        {
            Env = env
            Entry = entryOf "queue" methodName
            Params = d
            Query = fun _ -> None
            Body = body
            ClientId = githubClientId
            Scopes = scopes
            Now = now
        }

/// The state of a task in the queue, `None` when there is no such task.
let private taskState (env: Env) (taskId: string) (now: DateTimeOffset) =
    try
        match callQueue env Queue.status "status" [ "taskId", taskId ] null [| $"queue:status:{taskId}" |] now with
        | Reply.Json(200, body) -> J.tryField "status" body |> Option.bind (J.tryString "state")
        | _ -> None
    with ApiError _ ->
        None

/// A build's state: fixed once cancelled or failed to start, else what its tasks say.
let private buildState (env: Env) (b: GithubBuildRec) (now: DateTimeOffset) =
    match b.FixedState with
    | null ->
        let states = b.TaskIds |> List.map (fun id -> taskState env id now)

        if states |> List.exists (fun s -> s = Some "failed" || s = Some "exception") then
            "failure"
        elif not states.IsEmpty && states |> List.forall (fun s -> s = Some "completed") then
            "success"
        else
            "pending"
    | s -> s

// ---- .taskcluster.yml, version 1 ----

/// What rendering a `.taskcluster.yml` gives: the tasks (`{taskId, task}`) and the scopes the
/// service creates them with.
type internal Rendered =
    {
        Tasks: JsonObject list
        Scopes: string list
    }

/// The event's details the service derives (the `details` of its Pulse messages) that the
/// rendering needs: the branch, the tag and the event type.
type private Details =
    {
        EventType: string
        Branch: string
        Tag: string
    }

let private refName (ref: string) =
    ref.Split('/')
    |> Array.skip (min 2 (ref.Split('/').Length))
    |> fun parts -> String.Join("/", parts)

let private detailsOf (tasksFor: string) (event: JsonNode) =
    match tasksFor with
    | "github-push" ->
        let ref = J.tryString "ref" event |> Option.defaultValue ""
        let isTag = ref.Split('/').Length > 1 && ref.Split('/')[1] = "tags"

        {
            EventType = (if isTag then "tag" else "push")
            Branch = (if isTag then null else refName ref)
            Tag = (if isTag then refName ref else null)
        }
    | "github-pull-request"
    | "github-pull-request-untrusted" ->
        let pr = J.tryField "pull_request" event

        let branch =
            pr
            |> Option.bind (J.tryField "base")
            |> Option.bind (J.tryString "ref")
            |> Option.toObj

        {
            EventType = "pull_request." + (J.tryString "action" event |> Option.defaultValue "")
            Branch = branch
            Tag = null
        }
    | "github-release" ->
        {
            EventType = "release"
            Branch =
                J.tryField "release" event
                |> Option.bind (J.tryString "target_commitish")
                |> Option.toObj
            Tag = null
        }
    | _ ->
        {
            EventType = "issue_comment." + (J.tryString "action" event |> Option.defaultValue "")
            Branch = null
            Tag = null
        }

let private v1SchemaId =
    Uri(Uri "http://taskcluster.emulator.invalid", "/schemas/github/v1/taskcluster-github-config.v1.json").GetLeftPart
        UriPartial.Path

/// The tasks in an order where each task's dependencies (among them) come first.
let private topoSort (tasks: (string * JsonObject) list) : Result<(string * JsonObject) list, string> =
    let byId = dict tasks
    let visited = HashSet<string>(StringComparer.Ordinal)
    let onPath = HashSet<string>(StringComparer.Ordinal)
    let order = ResizeArray()

    let rec visit (id: string) =
        if onPath.Contains id then
            Error $"the tasks' dependencies form a cycle through {id}"
        elif visited.Contains id || not (byId.ContainsKey id) then
            Ok()
        else
            onPath.Add id |> ignore

            let deps = J.tryStrings "dependencies" byId[id] |> Option.defaultValue []

            let result =
                deps |> List.fold (fun acc d -> acc |> Result.bind (fun () -> visit d)) (Ok())

            onPath.Remove id |> ignore
            visited.Add id |> ignore
            order.Add(id, byId[id])
            result

    tasks
    |> List.fold (fun acc (id, _) -> acc |> Result.bind (fun () -> visit id)) (Ok())
    |> Result.map (fun () -> List.ofSeq order)

/// Renders a parsed `.taskcluster.yml` for an event as the service's version-1 renderer does:
/// validated against the version-1 schema, rendered with JSON-e in the context
/// `{taskcluster_root_url, tasks_for, event, as_slugid}` (plus JSON-e's `now`), each task given
/// a taskId, a taskGroupId, `created`, the scheduler id and the status route, sorted so that
/// dependencies come first, and the scopes of the repository's role for the event.
let render
    (env: Env)
    (config: JsonNode)
    (tasksFor: string)
    (event: JsonNode)
    (organization: string)
    (repository: string)
    (branch: string)
    (now: DateTimeOffset)
    : Result<Rendered, string> =
    let version =
        match config with
        | :? JsonObject as o -> J.tryInt64 "version" o
        | _ -> None

    match config with
    | :? JsonObject as o when version = Some 0L ->
        ignore o
        Error "version 0 of .taskcluster.yml is deprecated; the emulator renders version 1 only"
    | :? JsonObject as o ->
        let validation =
            match ReferenceSet.Instance.Schema v1SchemaId with
            | Some schema -> Validation.validate v1SchemaId schema (JsonSerializer.SerializeToElement o)
            | None -> Some "the .taskcluster.yml schema is missing"

        match validation with
        | Some message -> Error message
        | None when
            not (isNull branch)
            && not (branch |> Seq.forall (fun c -> c >= ' ' && c <= '~'))
            ->
            Error "Must have only ascii-printable chars in branch names!"
        | None ->
            let template = o.DeepClone().AsObject()
            template.Remove "version" |> ignore
            template.Remove "hooks" |> ignore
            let reporting = J.tryString "reporting" o

            let slugids = Dictionary<string, string>(StringComparer.Ordinal)

            let asSlugid =
                JsonEFunction.Create(
                    "as_slugid",
                    fun args ->
                        match args with
                        | [ JsonEValue.String label ] ->
                            lock slugids (fun () ->
                                match slugids.TryGetValue label with
                                | true, id -> Ok(JsonEValue.String id)
                                | _ ->
                                    let id = env.Random.SlugId()
                                    slugids[label] <- id
                                    Ok(JsonEValue.String id))
                        | _ -> Error "as_slugid expects one string"
                )

            let toCore (n: JsonNode) =
                let text = if isNull n then "null" else n.ToJsonString()

                match Decode.fromString Decode.json text with
                | Ok j -> JsonEValue.ofJson j
                | Error e -> JsonEValue.String(e.Describe())

            let context =
                JsonEValue.ofMembers
                    [
                        "taskcluster_root_url", JsonEValue.String env.RootUrl
                        "tasks_for", JsonEValue.String tasksFor
                        "event", toCore event
                        "as_slugid", JsonEValue.Function asSlugid
                    ]

            match JsonE.render (toCore template) context now with
            | Error e -> Error(e.Describe())
            | Ok rendered ->
                match JsonEValue.toJson rendered with
                | Error message -> Error message
                | Ok json ->
                    let out = JsonNode.Parse(Encode.toString json)

                    let tasks =
                        match out with
                        | :? JsonObject as r ->
                            match r["tasks"] with
                            | null -> Ok []
                            | :? JsonArray as a ->
                                a
                                |> Seq.map (function
                                    | :? JsonObject as t -> Ok(t.DeepClone().AsObject())
                                    | _ -> Error "each task of .taskcluster.yml must render to an object")
                                |> Seq.fold
                                    (fun acc t -> acc |> Result.bind (fun xs -> t |> Result.map (fun x -> x :: xs)))
                                    (Ok [])
                                |> Result.map List.rev
                            | _ -> Error "tasks field  of .taskcluster.yml must be array of tasks or empty array"
                        | _ -> Ok []

                    tasks
                    |> Result.bind (fun tasks ->
                        let route = if reporting.IsSome then checkTaskRoute else statusTaskRoute

                        let fixedIds (t: JsonObject) =
                            J.tryString "taskId" t, J.tryString "taskGroupId" t

                        let firstTaskId, defaultGroupId =
                            match tasks with
                            | [ sole ] ->
                                match fixedIds sole with
                                | Some _, Some _ -> null, null
                                | Some id, None -> null, id
                                | None, Some group -> group, null
                                | None, None ->
                                    let id = env.Random.SlugId()
                                    id, id
                            | _ -> env.Random.SlugId(), env.Random.SlugId()

                        let mutable defaultTaskId = firstTaskId

                        let prepared =
                            tasks
                            |> List.map (fun t ->
                                let routes =
                                    (J.tryStrings "routes" t |> Option.defaultValue []) @ [ route ] |> List.distinct

                                let task = JsonObject()
                                task["schedulerId"] <- J.str schedulerId
                                task["taskId"] <- J.str defaultTaskId
                                task["taskGroupId"] <- J.str defaultGroupId
                                task["created"] <- J.time now

                                for KeyValue(k, v) in t do
                                    task[k] <- J.clone v

                                task["routes"] <- J.strs routes
                                defaultTaskId <- env.Random.SlugId()
                                let taskId = J.string "taskId" task
                                task.Remove "taskId" |> ignore
                                taskId, task)

                        topoSort prepared
                        |> Result.map (fun sorted ->
                            let details = detailsOf tasksFor event
                            let repo = $"assume:repo:github.com/{organization}/{repository}"

                            let roleScope =
                                match tasksFor with
                                | "github-pull-request"
                                | "github-issue-comment" -> [ repo + ":pull-request" ]
                                | "github-pull-request-untrusted" -> [ repo + ":pull-request-untrusted" ]
                                | "github-push" when details.EventType = "tag" -> [ repo + ":tag:" + details.Tag ]
                                | "github-push" -> [ repo + ":branch:" + details.Branch ]
                                | "github-release" ->
                                    [
                                        repo
                                        + ":release:"
                                        + (J.tryString "action" event |> Option.defaultValue "published")
                                    ]
                                | _ -> []

                            {
                                Tasks =
                                    sorted
                                    |> List.map (fun (id, task) ->
                                        J.obj [ "taskId", J.str id; "task", task ] :?> JsonObject)
                                Scopes = roleScope @ [ $"queue:route:{route}"; $"queue:scheduler-id:{schedulerId}" ]
                            }))
    | _ -> Error "a .taskcluster.yml must be a mapping with a version"

// ---- fake events for renderTaskclusterYml ----

let private repositoryJson (organization: string) (repository: string) =
    J.obj
        [
            "id", J.num 68761376L
            "name", J.str repository
            "full_name", J.str $"{organization}/{repository}"
            "owner", J.obj [ "login", J.str organization; "name", J.str organization ]
            "private", J.bool false
            "html_url", J.str $"https://github.com/{organization}/{repository}"
            "clone_url", J.str $"https://github.com/{organization}/{repository}.git"
            "url", J.str $"https://api.github.com/repos/{organization}/{repository}"
            "default_branch", J.str "main"
        ]

let private sender () =
    J.obj [ "login", J.str "octocat"; "id", J.num 583231L; "type", J.str "User" ]

/// A plausible event of the type, as the service's fake payloads give (shallow overrides on top).
let private fakeEvent
    (eventType: string)
    (action: string)
    (organization: string)
    (repository: string)
    (branch: string)
    (overrides: JsonObject)
    =
    let before = "7a257a6d139708a3188bf2e0cd1f15e466a88d0e"
    let after = "b79ce60be819cdc482c9c6a84dc3c457959aa66f"
    let repo () = repositoryJson organization repository

    let side (ref: string) (sha: string) =
        J.obj
            [
                "label", J.str $"{organization}:{ref}"
                "ref", J.str ref
                "sha", J.str sha
                "user", J.obj [ "login", J.str organization ]
                "repo", repo ()
            ]

    let members =
        match eventType with
        | "github-push" ->
            [
                "ref", J.str ("refs/heads/" + Uri.EscapeDataString(branch).Replace("%2F", "/"))
                "before", J.str before
                "after", J.str after
                "commits", J.arr [ J.obj [ "id", J.str after; "message", J.str "Update README.md" ] ]
                "head_commit", J.obj [ "id", J.str after; "message", J.str "Update README.md" ]
                "repository", repo ()
                "pusher", J.obj [ "name", J.str "octocat" ]
                "sender", sender ()
            ]
        | "github-pull-request"
        | "github-pull-request-untrusted" ->
            [
                "number", J.num 1L
                "pull_request",
                J.obj
                    [
                        "number", J.num 1L
                        "title", J.str "Update the README"
                        "state", J.str "open"
                        "html_url", J.str $"https://github.com/{organization}/{repository}/pull/1"
                        "head", side "feature" after
                        "base", side branch before
                    ]
                "repository", repo ()
                "sender", sender ()
            ]
        | "github-release" ->
            [
                "release",
                J.obj
                    [
                        "tag_name", J.str "v1.0.0"
                        "name", J.str "v1.0.0"
                        "target_commitish", J.str branch
                        "draft", J.bool false
                        "prerelease", J.bool false
                        "url", J.str $"https://api.github.com/repos/{organization}/{repository}/releases/1"
                        "tarball_url", J.str $"https://api.github.com/repos/{organization}/{repository}/tarball/v1.0.0"
                        "zipball_url", J.str $"https://api.github.com/repos/{organization}/{repository}/zipball/v1.0.0"
                    ]
                "repository", repo ()
                "sender", sender ()
            ]
        | _ ->
            [
                "issue",
                J.obj
                    [
                        "number", J.num 1L
                        "state", J.str "open"
                        "pull_request", J.obj [ "url", J.str "" ]
                    ]
                "comment", J.obj [ "body", J.str "/taskcluster run"; "user", J.obj [ "login", J.str "octocat" ] ]
                "repository", repo ()
                "sender", sender ()
            ]

    let event = J.obj members :?> JsonObject

    if not (isNull action) then
        event["action"] <- J.str action

    if not (isNull overrides) then
        for KeyValue(k, v) in overrides do
            event[k] <- J.clone v

    event

/// `renderTaskclusterYml`: renders the given `.taskcluster.yml` for a fake event.
let renderTaskclusterYml (call: Call) =
    let body = call.Body

    let organization =
        J.tryString "organization" body |> Option.defaultValue "taskcluster"

    let repository = J.tryString "repository" body |> Option.defaultValue "testing"
    let fake = J.tryField "fakeEvent" body |> Option.defaultValue (JsonObject())
    let eventType = J.string "type" fake
    let action = J.tryString "action" fake |> Option.toObj

    let overrides =
        match J.tryField "overrides" fake with
        | Some(:? JsonObject as o) -> o
        | _ -> null

    let branch =
        if isNull overrides then
            None
        else
            J.tryString "branch" overrides
        |> Option.defaultValue "main"

    let event = fakeEvent eventType action organization repository branch overrides

    if eventType = "github-issue-comment" then
        event["taskcluster_comment"] <- J.str "run"

    let outcome =
        Yaml.parse (J.string "body" body)
        |> Result.bind (fun config -> render call.Env config eventType event organization repository branch call.Now)

    match outcome with
    | Ok r ->
        Api.ok (
            J.obj
                [
                    "tasks", J.arr (r.Tasks |> List.map (fun t -> t :> JsonNode))
                    "scopes", J.strs (List.distinct r.Scopes)
                ]
        )
    | Error message -> Fail.input message

// ---- builds ----

let private buildJson (state: string) (b: GithubBuildRec) =
    J.obj
        [
            "organization", J.str b.Organization
            "repository", J.str b.Repository
            "sha", J.str b.Sha
            "state", J.str state
            "taskGroupId", J.str b.TaskGroupId
            "eventType", J.str b.EventType
            "eventId", J.str b.EventId
            "created", J.time b.Created
            "updated", J.time b.Updated
            match b.PullRequestNumber with
            | Some n -> "pullRequestNumber", J.int n
            | None -> ()
        ]

let private checkFilters
    (organization: string option)
    (repository: string option)
    (sha: string option)
    (pr: string option)
    =
    let given (o: string option) = o |> Option.exists (fun s -> s <> "")

    if given repository && not (given organization) then
        Fail.input "Must provide `organization` if querying `repository`"

    if given sha && not (given repository) then
        Fail.input "Must provide `repository` if querying `sha`"

    if given pr && not (given repository) then
        Fail.input "Must provide `repository` if querying `pullRequest`"

let private matches
    (organization: string option)
    (repository: string option)
    (sha: string option)
    (pr: string option)
    (b: GithubBuildRec)
    =
    let eq (o: string option) (v: string) =
        match o with
        | None
        | Some "" -> true
        | Some x -> x = v

    eq organization b.Organization
    && eq repository b.Repository
    && eq sha b.Sha
    && (match pr with
        | None
        | Some "" -> true
        | Some n ->
            match Int32.TryParse n with
            | true, wanted -> b.PullRequestNumber = Some wanted
            | _ -> false)

/// `builds`: every build, oldest first, filtered and paged.
let builds (call: Call) =
    let organization = call.Query "organization"
    let repository = call.Query "repository"
    let sha = call.Query "sha"
    let pr = call.Query "pullRequest"
    checkFilters organization repository sha pr
    let store = call.Env.Stores.Github

    let items =
        lock store.Gate (fun () ->
            store.Builds
            |> Seq.mapi (fun i b -> i.ToString("D10"), b)
            |> Seq.filter (fun (_, b) -> matches organization repository sha pr b)
            |> Seq.toArray)

    let page, token = Api.page call items

    Api.ok (
        Api.withToken
            token
            [
                "builds", J.arr (page |> List.map (fun b -> buildJson (buildState call.Env b call.Now) b))
            ]
    )

/// `cancelBuilds`: cancels the tasks of the repository's pending builds, as the repository's
/// roles allow (`assume:repo:github.com/<owner>/<repo>:*`).
let cancelBuilds (call: Call) =
    let organization = Api.param call "owner"
    let repository = Api.param call "repo"
    let sha = call.Query "sha"
    let pr = call.Query "pullRequest"
    let store = call.Env.Stores.Github

    let pending =
        lock store.Gate (fun () ->
            store.Builds
            |> Seq.filter (fun b -> matches (Some organization) (Some repository) sha pr b)
            |> Seq.toList)
        |> List.filter (fun b -> buildState call.Env b call.Now = "pending")

    if pending.IsEmpty then
        Fail.notFound "No cancellable builds found"

    let scopes =
        call.Env.Stores.Auth.Expand [ $"assume:repo:github.com/{organization}/{repository}:*" ]

    for b in pending do
        for taskId in b.TaskIds do
            try
                callQueue call.Env Queue.cancelTask "cancelTask" [ "taskId", taskId ] null scopes call.Now
                |> ignore
            with
            | ApiError("InsufficientScopes", _, message) -> raise (ApiError("InsufficientScopes", 403, message))
            | ApiError(_, _, message) -> Fail.input message

        lock store.Gate (fun () ->
            b.FixedState <- "cancelled"
            b.Updated <- call.Now)

    Api.ok (J.obj [ "builds", J.arr (pending |> List.map (buildJson "cancelled")) ])

// ---- repository, badge, latest ----

let private installed (env: Env) (owner: string) =
    let lower = owner.ToLowerInvariant()

    env.Options.GithubInstallations
    |> Seq.exists (fun o -> o.ToLowerInvariant() = lower)
    || lock env.Stores.Github.Gate (fun () -> env.Stores.Github.Installed.Contains lower)

/// The latest build for a branch of a repository.
let private latestBuild (env: Env) (owner: string) (repo: string) (branch: string) =
    let store = env.Stores.Github

    lock store.Gate (fun () ->
        store.Builds
        |> Seq.filter (fun b ->
            String.Equals(b.Organization, owner, StringComparison.OrdinalIgnoreCase)
            && String.Equals(b.Repository, repo, StringComparison.OrdinalIgnoreCase)
            && b.Branch = branch)
        |> Seq.tryLast)

/// `repository`: installed when the app is installed for the owner.
let repository (call: Call) =
    Api.ok (J.obj [ "installed", J.bool (installed call.Env (Api.param call "owner")) ])

let private badgeSvg (label: string) (color: string) =
    $"""<svg xmlns="http://www.w3.org/2000/svg" width="150" height="20" role="img" aria-label="taskcluster: {label}"><rect width="80" height="20" fill="#555"/><rect x="80" width="70" height="20" fill="{color}"/><g fill="#fff" font-family="Verdana,sans-serif" font-size="11" text-anchor="middle"><text x="40" y="14">taskcluster</text><text x="115" y="14">{label}</text></g></svg>"""

/// `badge`: an SVG of the branch's latest build state; `X-Taskcluster-Status` names it.
let badge (call: Call) =
    let owner = Api.param call "owner"

    let status =
        if not (installed call.Env owner) then
            "nogithub"
        else
            match latestBuild call.Env owner (Api.param call "repo") (Api.param call "branch") with
            | Some b -> buildState call.Env b call.Now
            | None -> "newrepo"

    let label, color =
        match status with
        | "success" -> "passing", "#4c1"
        | "failure" -> "failing", "#e05d44"
        | "pending" -> "pending", "#dfb317"
        | "cancelled" -> "cancelled", "#9f9f9f"
        | "error" -> "error", "#e05d44"
        | _ -> "new repo", "#9f9f9f"

    Reply.Content(
        200,
        "image/svg+xml",
        [
            "X-Taskcluster-Status", status
            "Content-Security-Policy", "default-source 'none'; style-source 'unsafe-inline'"
        ],
        Encoding.UTF8.GetBytes(badgeSvg label color)
    )

let private taskGroupUrl (env: Env) (taskGroupId: string) =
    $"{env.RootUrl}/tasks/groups/{taskGroupId}"

/// `latest`: a redirect to the task group of the branch's latest build.
let latest (call: Call) =
    let owner = Api.param call "owner"

    let found =
        if installed call.Env owner then
            latestBuild call.Env owner (Api.param call "repo") (Api.param call "branch")
        else
            None

    match found with
    | Some b ->
        let url = taskGroupUrl call.Env b.TaskGroupId
        // Express's `res.redirect`: a 302 with a short text body
        Reply.Content(
            302,
            "text/plain; charset=utf-8",
            [ "Location", url ],
            Encoding.UTF8.GetBytes $"Found. Redirecting to {url}"
        )
    | None -> Fail.notFound "Status not found"

// ---- statuses and comments (recorded, never sent) ----

let private keepLast (q: Queue<'T>) (item: 'T) =
    q.Enqueue item

    while q.Count > 10_000 do
        q.Dequeue() |> ignore

let private recordStatus (env: Env) (s: GithubStatusRec) =
    lock env.Stores.Github.Gate (fun () -> keepLast env.Stores.Github.Statuses s)

let private recordComment (env: Env) (c: GithubCommentRec) =
    lock env.Stores.Github.Gate (fun () -> keepLast env.Stores.Github.Comments c)

/// `createStatus`: recorded when the app is installed for the owner.
let createStatus (call: Call) =
    let owner = Api.param call "owner"

    if not (installed call.Env owner) then
        Fail.notFound "Installation not found"

    recordStatus
        call.Env
        {
            Time = call.Now
            Owner = owner
            Repo = Api.param call "repo"
            Sha = Api.param call "sha"
            State = J.string "state" call.Body
            TargetUrl = J.tryString "target_url" call.Body |> Option.toObj
            Description = J.tryString "description" call.Body |> Option.toObj
            Context = J.tryString "context" call.Body |> Option.defaultValue "default"
            ClientId = call.ClientId
        }

    Api.empty ()

/// `createComment`: recorded when the app is installed for the owner.
let createComment (call: Call) =
    let owner = Api.param call "owner"

    if not (installed call.Env owner) then
        Fail.notFound "Issue not found"

    recordComment
        call.Env
        {
            Time = call.Now
            Owner = owner
            Repo = Api.param call "repo"
            Number = Api.param call "number"
            Sha = null
            Body = J.string "body" call.Body
            ClientId = call.ClientId
        }

    Api.empty ()

// ---- webhook deliveries ----

let private ciSkip =
    Regex(@"\[(skip ci|ci skip)\]", RegexOptions.IgnoreCase ||| RegexOptions.CultureInvariant)

let private guid =
    Regex(
        @"^[a-zA-Z0-9]{8}-[a-zA-Z0-9]{4}-[a-zA-Z0-9]{4}-[a-zA-Z0-9]{4}-[a-zA-Z0-9]{12}$",
        RegexOptions.CultureInvariant
    )

/// GitHub's names may hold characters Taskcluster's do not: dropped, and `.` becomes `%`.
let private sanitize (field: string) =
    let kept =
        field
        |> String.filter (fun c -> Char.IsAsciiLetterOrDigit c || c = '-' || c = '_' || c = '.')

    kept.Replace('.', '%')

/// `X-Hub-Signature-256` (`sha256=<hex>`) or the older `X-Hub-Signature` (`sha1=<hex>`) of the
/// body with the secret, compared in constant time.
let signatureMatches (secret: string) (body: byte array) (signature: string) =
    let key = Encoding.UTF8.GetBytes secret

    let expected =
        match signature.Split('=', 2)[0] with
        | "sha256" -> Some("sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(key, body)))
        | "sha1" -> Some("sha1=" + Convert.ToHexStringLower(HMACSHA1.HashData(key, body)))
        | _ -> None

    match expected with
    | Some e ->
        CryptographicOperations.FixedTimeEquals(
            ReadOnlySpan(Encoding.ASCII.GetBytes e),
            ReadOnlySpan(Encoding.ASCII.GetBytes signature)
        )
    | None -> false

/// Posts the service's own comment: on the pull request when there is one, else on the commit;
/// a `summary` with `details` folds into a `<details>` block. Like the service, it skips a
/// comment it has already posted (among its last 1,000) on the same commit.
let private serviceComment
    (env: Env)
    (organization: string)
    (repository: string)
    (sha: string)
    (pr: int option)
    (summary: string)
    (details: string)
    =
    let body =
        String.Join(
            "\n",
            [|
                "<details>\n"
                $"<summary>{summary}</summary>"
                ""
                details
                ""
                "</details>"
            |]
        )

    let number = pr |> Option.map string |> Option.toObj
    let key = JsonSerializer.Serialize [| organization; repository; sha; body; number |]
    let store = env.Stores.Github

    let fresh =
        lock store.Gate (fun () ->
            if store.PostedComments.Contains key then
                false
            else
                store.PostedComments.Enqueue key

                while store.PostedComments.Count > 1_000 do
                    store.PostedComments.Dequeue() |> ignore

                true)

    if fresh then
        recordComment
            env
            {
                Time = env.Now()
                Owner = organization
                Repo = repository
                Number = number
                Sha = (if pr.IsSome then null else sha)
                Body = body
                ClientId = githubClientId
            }

/// Posts an error as the service does when a `.taskcluster.yml` cannot make tasks.
let private exceptionComment env organization repository sha pr (message: string) =
    serviceComment env organization repository sha pr "Uh oh! Looks like an error!" message

// ---- pull-request policies ----

/// The `policy.pullRequests` values of `.taskcluster.yml` (version 0's `allowPullRequests`).
[<RequireQualifiedAccess>]
module private Policy =
    let collaborators = "collaborators"
    let collaboratorsQuiet = "collaborators_quiet"
    let publicRestricted = "public_restricted"

/// The policy a parsed `.taskcluster.yml` sets, read as the service reads it: `collaborators`
/// unless a (version 1) `policy.pullRequests` or (version 0) `allowPullRequests` says otherwise;
/// `Error` for a value that is not a string, on which the service's handler fails.
let private policyOf (config: JsonNode) : Result<string, unit> =
    let field =
        match config with
        | :? JsonObject as o ->
            match J.tryInt64 "version" o with
            | Some 0L -> J.tryField "allowPullRequests" o
            | Some 1L ->
                match J.tryField "policy" o with
                | Some(:? JsonObject as p) -> J.tryField "pullRequests" p
                | _ -> None
            | _ -> None
        | _ -> None

    // JavaScript's `policy || default`: a falsy value gives the default
    match field with
    | None -> Ok Policy.collaborators
    | Some(:? JsonValue as v) ->
        match v.GetValueKind() with
        | JsonValueKind.String ->
            match v.GetValue<string>() with
            | "" -> Ok Policy.collaborators
            | p -> Ok p
        | JsonValueKind.False
        | JsonValueKind.Null -> Ok Policy.collaborators
        | JsonValueKind.Number when v.GetValue<double>() = 0.0 -> Ok Policy.collaborators
        | _ -> Error()
    | Some _ -> Error()

/// Whether GitHub counts `login` as a collaborator of the repository (as the test set it).
let private isCollaborator (env: Env) (organization: string) (repository: string) (login: string) =
    not (isNull login)
    && lock env.Stores.Github.Gate (fun () ->
        match env.Stores.Github.Collaborators.TryGetValue(GithubStore.RepoKey(organization, repository)) with
        | true, logins -> logins.Contains login
        | _ -> false)

/// What the service does with a pull request under its repository's policy.
type private PullRequestDecision =
    /// Tasks are created for `tasks_for` (`github-pull-request` or, for an untrusted pull
    /// request under `public_restricted`, `github-pull-request-untrusted`).
    | CreateTasks of tasksFor: string
    /// No tasks; `comment` when the service explains it on the pull request.
    | Refuse of comment: bool
    /// The service's handler fails (a default-branch file it cannot read): nothing happens.
    | HandlerFails

/// The service's decision for a pull request: the policy comes from the `.taskcluster.yml` on
/// the repository's default branch (so a pull request cannot loosen its own), and the pull
/// request is trusted when its opener is a collaborator and its head is a collaborator's or
/// the base repository's own.
let private decidePullRequest (env: Env) (event: JsonNode) (organization: string) (repository: string) =
    let str path =
        path
        |> List.fold (fun n name -> n |> Option.bind (J.tryField name)) (Some event)
        |> Option.bind (function
            | :? JsonValue as v when v.GetValueKind() = JsonValueKind.String -> Some(v.GetValue<string>())
            | _ -> None)
        |> Option.toObj

    // GitHub's repository (what the service asks GitHub for) is in every delivery
    let defaultBranch =
        str [ "repository"; "default_branch" ]
        |> Option.ofObj
        |> Option.defaultValue "main"

    let defaultFile =
        lock env.Stores.Github.Gate (fun () ->
            match
                env.Stores.Github.Files.TryGetValue(
                    GithubStore.FileKey(organization, repository, defaultBranch, ".taskcluster.yml")
                )
            with
            | true, text -> Some text
            | _ -> None)

    let policy =
        match defaultFile |> Option.map Yaml.parse with
        // no file (or an empty one): collaborators may try before adding one, quietly
        | None
        | Some(Ok null) -> Ok Policy.collaboratorsQuiet
        | Some(Ok config) -> policyOf config
        | Some(Error _) -> Error()

    match policy with
    | Error() -> HandlerFails
    | Ok policy ->
        let opener = str [ "pull_request"; "user"; "login" ]
        let head = str [ "pull_request"; "head"; "user"; "login" ]
        let baseOwner = str [ "pull_request"; "base"; "user"; "login" ]
        let openerIsCollaborator = isCollaborator env organization repository opener

        let headIsCollaborator =
            if head = opener then
                openerIsCollaborator
            else
                isCollaborator env organization repository head

        let trusted =
            openerIsCollaborator
            && (headIsCollaborator || (not (isNull head) && head = baseOwner))

        if trusted then
            CreateTasks "github-pull-request"
        elif policy.StartsWith Policy.collaborators then
            Refuse(
                J.tryString "action" event = Some "opened"
                && policy <> Policy.collaboratorsQuiet
            )
        elif policy = Policy.publicRestricted then
            CreateTasks "github-pull-request-untrusted"
        else
            // `public`, and any other value the service does not know, lets everyone in
            CreateTasks "github-pull-request"

/// What the service does with an event it publishes: find the `.taskcluster.yml` at the
/// commit, apply the repository's pull-request policy, render the file, create the tasks with
/// the repository's role and record the build and its pending status.
let private runEvent
    (env: Env)
    (tasksFor: string)
    (event: JsonNode)
    (organization: string)
    (repository: string)
    (sha: string)
    (branch: string)
    (pr: int option)
    (eventId: string)
    =
    let now = env.Now()
    let store = env.Stores.Github

    let file =
        lock store.Gate (fun () ->
            match store.Files.TryGetValue(GithubStore.FileKey(organization, repository, sha, ".taskcluster.yml")) with
            | true, text -> Some text
            | _ -> None)

    match file |> Option.map Yaml.parse with
    // no .taskcluster.yml (or an empty one): the repository does not use Taskcluster
    | None
    | Some(Ok null) -> ()
    | Some(Error message) -> exceptionComment env organization repository sha pr message
    | Some(Ok config) ->
        let decision =
            if tasksFor = "github-pull-request" then
                decidePullRequest env event organization repository
            else
                CreateTasks tasksFor

        match decision with
        | HandlerFails
        | Refuse false -> ()
        | Refuse true ->
            serviceComment
                env
                organization
                repository
                sha
                pr
                "No Taskcluster jobs started for this pull request"
                ("The `allowPullRequests` configuration for this repository (in `.taskcluster.yml` on the "
                 + "default branch) does not allow starting tasks for this pull request.")
        | CreateTasks tasksFor ->
            let details = detailsOf tasksFor event

            match render env config tasksFor event organization repository branch now with
            | Error message -> exceptionComment env organization repository sha pr message
            | Ok r when r.Tasks.IsEmpty -> ()
            | Ok r ->
                let taskGroupId = J.string "taskGroupId" r.Tasks.Head["task"]
                let taskIds = r.Tasks |> List.map (J.string "taskId")

                let build =
                    {
                        Organization = organization
                        Repository = repository
                        Sha = sha
                        Branch = branch
                        TaskGroupId = taskGroupId
                        TaskIds = taskIds
                        EventType = details.EventType
                        EventId = eventId
                        PullRequestNumber = pr
                        Created = now
                        FixedState = null
                        Updated = now
                    }

                // the output schema wants a full sha: a release for a branch name records no build
                if sha.Length = 40 then
                    lock store.Gate (fun () -> store.Builds.Add build)

                let scopes = env.Stores.Auth.Expand r.Scopes

                let failure =
                    r.Tasks
                    |> List.tryPick (fun t ->
                        try
                            callQueue
                                env
                                Queue.createTask
                                "createTask"
                                [ "taskId", J.string "taskId" t ]
                                t["task"]
                                scopes
                                now
                            |> ignore

                            None
                        with ApiError(code, _, message) ->
                            Some $"{code}: {message}")

                match failure with
                | Some message ->
                    lock store.Gate (fun () ->
                        build.FixedState <- "error"
                        build.Updated <- now)

                    // the service names no pull request here: the comment goes on the commit
                    exceptionComment env organization repository sha None message
                | None ->
                    let kind = details.EventType.Split('.')[0]

                    recordStatus
                        env
                        {
                            Time = now
                            Owner = organization
                            Repo = repository
                            Sha = sha
                            State = "pending"
                            TargetUrl = taskGroupUrl env taskGroupId
                            Description = $"TaskGroup: Pending (for {details.EventType})"
                            Context = $"{statusContext} ({kind})"
                            ClientId = githubClientId
                        }

/// A webhook delivery (`POST /api/github/v1/github`, a route the references do not publish):
/// the status and text to answer.
let webhook (env: Env) (header: string -> string option) (body: byte array) : int * string =
    let eventId =
        match header "X-GitHub-Delivery" with
        | Some id when guid.IsMatch id -> id
        | _ -> "Unknown"

    let parsed =
        if body.Length = 0 then
            None
        else
            match J.parse body with
            | Ok(:? JsonObject as o) -> Some o
            | _ -> None

    let signature =
        header "X-Hub-Signature-256" |> Option.orElse (header "X-Hub-Signature")

    let secret = env.Options.GithubWebhookSecret

    match header "X-GitHub-Event", parsed with
    | None, _ -> 400, "Missing X-GitHub-Event"
    | _, None -> 400, "Request missing a body"
    | Some _, Some _ when signature.IsSome && isNull secret -> 400, "Server is not setup to handle secrets"
    | Some _, Some _ when signature.IsNone && not (isNull secret) -> 400, "Request missing a secret"
    | Some _, Some _ when signature.IsSome && not (signatureMatches secret body signature.Value) ->
        403, "X-hub-signature does not match; bad webhook secret?"
    | Some eventType, Some event ->
        let str path =
            path
            |> List.fold
                (fun (n: JsonNode) name -> if isNull n then null else J.tryField name n |> Option.toObj)
                (event :> JsonNode)
            |> fun n ->
                match n with
                | :? JsonValue as v when v.GetValueKind() = JsonValueKind.String -> v.GetValue<string>()
                | :? JsonValue as v when v.GetValueKind() = JsonValueKind.Number -> v.ToJsonString()
                | _ -> null

        let repository = str [ "repository"; "name" ]

        let run tasksFor organization sha branch pr =
            if isNull organization || isNull repository || isNull sha then
                400, "The event is missing its repository, owner or commit"
            else
                // the service's handler turns the sanitised `%` back into `.`
                let restore (name: string) = (sanitize name).Replace('%', '.')
                runEvent env tasksFor event (restore organization) (restore repository) sha branch pr eventId
                204, ""

        match eventType with
        | "ping" -> 200, "Received ping event!"
        | "installation" ->
            match str [ "installation"; "account"; "login" ] with
            | null -> 400, "The installation event names no account"
            | login ->
                lock env.Stores.Github.Gate (fun () ->
                    env.Stores.Github.Installed.Add(login.ToLowerInvariant()) |> ignore)

                200, "Created table row!"
        | "push" ->
            let message =
                str [ "head_commit"; "message" ]
                |> Option.ofObj
                |> Option.orElse (
                    match J.tryField "commits" event with
                    | Some(:? JsonArray as a) when a.Count > 0 -> J.tryString "message" a[a.Count - 1]
                    | _ -> None
                )

            if message |> Option.exists ciSkip.IsMatch then
                200, "Skipping push event"
            else
                let ref = str [ "ref" ] |> Option.ofObj |> Option.defaultValue ""
                run "github-push" (str [ "repository"; "owner"; "name" ]) (str [ "after" ]) (refName ref) None
        | "pull_request" ->
            if str [ "pull_request"; "title" ] |> Option.ofObj |> Option.exists ciSkip.IsMatch then
                200, "Skipping pull_request event"
            else
                let pr =
                    match J.tryInt64 "number" event with
                    | Some n -> Some(int n)
                    | None -> None

                run
                    "github-pull-request"
                    (str [ "repository"; "owner"; "login" ])
                    (str [ "pull_request"; "head"; "sha" ])
                    (str [ "pull_request"; "head"; "ref" ])
                    pr
        | "release" ->
            let target = str [ "release"; "target_commitish" ]
            run "github-release" (str [ "repository"; "owner"; "login" ]) target target None
        | other -> 200, $"No publisher available for X-GitHub-Event: {other}"

let handlers: (string * (Call -> Reply)) list =
    [
        "renderTaskclusterYml", renderTaskclusterYml
        "builds", builds
        "cancelBuilds", cancelBuilds
        "badge", badge
        "repository", repository
        "latest", latest
        "createStatus", createStatus
        "createComment", createComment
    ]
