/// The secrets service: set, get, remove and list, with expiry honoured.
module internal Taskcluster.Emulator.Services.Secrets

open System
open Taskcluster.Emulator.Internal

let set (call: Call) =
    let store = call.Env.Stores.Secrets
    let secret = J.tryField "secret" call.Body |> Option.map J.clone |> Option.toObj
    let expires = J.time' "expires" call.Body

    // stored only if `get` can answer with it
    Api.mustAnswer call "get" (J.obj [ "secret", J.clone secret; "expires", J.time expires ])
    lock store.Gate (fun () -> store.Secrets[Api.param call "name"] <- { Secret = secret; Expires = expires })

    Api.empty ()

let get (call: Call) =
    let store = call.Env.Stores.Secrets
    let name = Api.param call "name"

    let s =
        lock store.Gate (fun () ->
            match store.Secrets.TryGetValue name with
            | true, s -> s
            | _ -> Fail.notFound $"Secret {name} not found")

    if s.Expires < call.Now then
        Fail.expired $"The requested resource has expired."

    Api.ok (J.obj [ "secret", J.clone s.Secret; "expires", J.time s.Expires ])

let remove (call: Call) =
    let store = call.Env.Stores.Secrets
    let name = Api.param call "name"

    let removed = lock store.Gate (fun () -> store.Secrets.Remove name)

    if not removed then
        Fail.notFound $"Secret {name} not found"

    Api.empty ()

let list (call: Call) =
    let store = call.Env.Stores.Secrets

    let names =
        lock store.Gate (fun () ->
            store.Secrets
            |> Seq.filter (fun (KeyValue(_, s)) -> s.Expires >= call.Now)
            |> Seq.map (fun (KeyValue(k, _)) -> k, k)
            |> Seq.toArray)

    let page, token = Api.page call names
    Api.ok (Api.withToken token [ "secrets", J.strs page ])

let handlers: (string * (Call -> Reply)) list =
    [ "set", set; "get", get; "remove", remove; "list", list ]
