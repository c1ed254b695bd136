/// The index: insertTask, findTask, listNamespaces, listTasks and findArtifactFromTask.
module internal Taskcluster.Emulator.Services.Index

open System
open Taskcluster.Core
open Taskcluster.Emulator.Internal

let private taskJson (t: IndexedTask) =
    J.obj
        [
            "namespace", J.str t.Namespace
            "taskId", J.str t.TaskId
            "rank", J.num t.Rank
            "data", J.clone t.Data
            "expires", J.time t.Expires
        ]

let private parent (path: string) =
    match path.LastIndexOf '.' with
    | -1 -> ""
    | i -> path.Substring(0, i)

let insertTask (call: Call) =
    let store = call.Env.Stores.Index
    let ns = Api.param call "namespace"

    if ns = "" || ns.Split('.') |> Array.exists (fun p -> p = "") then
        Fail.input $"Invalid namespace '{ns}'"

    let body = call.Body

    let entry =
        {
            Namespace = ns
            TaskId = J.string "taskId" body
            Rank = J.tryInt64 "rank" body |> Option.defaultValue 0L
            Data = J.tryField "data" body |> Option.map J.clone |> Option.toObj
            Expires = J.time' "expires" body
        }

    // stored only if `findTask` can answer with it
    Api.mustAnswer call "findTask" (taskJson entry)

    let stored =
        lock store.Gate (fun () ->
            let keep =
                match store.Tasks.TryGetValue ns with
                | true, old when old.Rank > entry.Rank && old.Expires >= call.Now -> old
                | _ -> entry

            store.Tasks[ns] <- keep

            // every ancestor namespace lives at least as long as what it holds
            let mutable p = parent ns

            while p <> "" do
                match store.Namespaces.TryGetValue p with
                | true, e when e >= keep.Expires -> ()
                | _ -> store.Namespaces[p] <- keep.Expires

                p <- parent p

            keep)

    Api.ok (taskJson stored)

let private find (call: Call) (path: string) =
    let store = call.Env.Stores.Index

    lock store.Gate (fun () ->
        match store.Tasks.TryGetValue path with
        | true, t when t.Expires >= call.Now -> t
        | _ -> Fail.notFound $"Indexed task not found: {path}")

let findTask (call: Call) =
    Api.ok (taskJson (find call (Api.param call "indexPath")))

let private childrenOf (ns: string) (path: string) =
    if ns = "" then
        path.IndexOf '.' < 0
    else
        path.StartsWith(ns + ".", StringComparison.Ordinal)
        && path.IndexOf('.', ns.Length + 1) < 0

let listNamespaces (call: Call) =
    let store = call.Env.Stores.Index
    let ns = Api.param call "namespace"

    let items =
        lock store.Gate (fun () ->
            store.Namespaces
            |> Seq.filter (fun (KeyValue(p, e)) -> childrenOf ns p && e >= call.Now)
            |> Seq.map (fun (KeyValue(p, e)) ->
                p,
                J.obj
                    [
                        "namespace", J.str p
                        "name", J.str (p.Substring(p.LastIndexOf '.' + 1))
                        "expires", J.time e
                    ])
            |> Seq.toArray)

    let page, token = Api.page call items
    Api.ok (Api.withToken token [ "namespaces", J.arr page ])

let listTasks (call: Call) =
    let store = call.Env.Stores.Index
    let ns = Api.param call "namespace"

    let items =
        lock store.Gate (fun () ->
            store.Tasks
            |> Seq.filter (fun (KeyValue(p, t)) -> childrenOf ns p && t.Expires >= call.Now)
            |> Seq.map (fun (KeyValue(p, t)) -> p, taskJson t)
            |> Seq.toArray)

    let page, token = Api.page call items
    Api.ok (Api.withToken token [ "tasks", J.arr page ])

let deleteTask (call: Call) =
    let store = call.Env.Stores.Index
    let ns = Api.param call "namespace"
    lock store.Gate (fun () -> store.Tasks.Remove ns |> ignore)
    Api.empty ()

let findArtifactFromTask (call: Call) =
    let env = call.Env
    let t = find call (Api.param call "indexPath")
    let name = Api.param call "name"

    let url =
        $"{env.RootUrl}/api/queue/v1/task/{Uri.EscapeDataString t.TaskId}/artifacts/{Uri.EscapeDataString name}"

    let url =
        if name.StartsWith "public/" then
            url
        else
            match env.Stores.Auth.TryClient env.ServiceClientId with
            | Some c ->
                let expiry = (call.Now + TimeSpan.FromMinutes 15.0).ToUnixTimeSeconds()

                match
                    Hawk.credentials c.ClientId c.AccessToken
                    |> Result.bind (fun k -> Hawk.signUrl k url expiry None)
                with
                | Ok signed -> signed
                | Error e -> raise (ApiError("InternalServerError", 500, $"cannot sign the URL: {e.Describe()}"))
            | None -> url

    Reply.Redirect(url, J.obj [ "url", J.str url ])

let findTasksAtIndex (call: Call) =
    let store = call.Env.Stores.Index
    let indexes = J.tryStrings "indexes" call.Body |> Option.defaultValue []
    Api.authorizeWith call [ "indexPaths", J.strs indexes ]

    // zero or one task per path given, in the order given; a path needs a namespace and a name
    let found =
        lock store.Gate (fun () ->
            indexes
            |> List.filter (fun p -> p.IndexOf '.' > 0 && not (p.EndsWith '.'))
            |> List.choose (fun p ->
                match store.Tasks.TryGetValue p with
                | true, t when t.Expires >= call.Now -> Some(taskJson t)
                | _ -> None))

    let keyed = found |> List.mapi (fun i t -> i.ToString("D10"), t) |> List.toArray
    let page, token = Api.page call keyed
    Api.ok (Api.withToken token [ "tasks", J.arr page ])

let handlers: (string * (Call -> Reply)) list =
    [
        "insertTask", insertTask
        "findTask", findTask
        "listNamespaces", listNamespaces
        "listTasks", listTasks
        "deleteTask", deleteTask
        "findArtifactFromTask", findArtifactFromTask
        "findTasksAtIndex", findTasksAtIndex
    ]
