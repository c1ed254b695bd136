/// The purge-cache service: purge requests recorded (one per worker pool and cache name, the
/// latest `before` winning) and listed, each living a day as in the service.
module internal Taskcluster.Emulator.Services.PurgeCache

open System
open Taskcluster.Emulator.Internal

/// How long a purge request is kept (the service's `fromNow('1 day')`).
let private lifetime = TimeSpan.FromDays 1.0

let private key (workerPoolId: string) (cacheName: string) =
    // NUL sorts before every character a cache name can hold, so the order is (pool, cache)
    workerPoolId + "\u0000" + cacheName

let private requestJson (r: PurgeRec) =
    let provisionerId, workerType =
        match r.WorkerPoolId.Split('/', 2) with
        | [| p; w |] -> p, w
        | _ -> r.WorkerPoolId, ""

    J.obj
        [
            "provisionerId", J.str provisionerId
            "workerType", J.str workerType
            "cacheName", J.str r.CacheName
            "before", J.time r.Before
        ]

let purgeCache (call: Call) =
    let store = call.Env.Stores.PurgeCache
    let workerPoolId = Api.param call "workerPoolId"
    let cacheName = J.string "cacheName" call.Body
    Api.authorizeWith call [ "cacheName", J.str cacheName ]

    let entry =
        {
            WorkerPoolId = workerPoolId
            CacheName = cacheName
            Before = call.Now
            Expires = call.Now + lifetime
        }

    // stored only if the lists can answer with it
    Api.mustAnswer call "purgeRequests" (J.obj [ "requests", J.arr [ requestJson entry ] ])
    lock store.Gate (fun () -> store.Requests[key workerPoolId cacheName] <- entry)
    Api.empty ()

let private live (call: Call) =
    let store = call.Env.Stores.PurgeCache

    lock store.Gate (fun () ->
        store.Requests
        |> Seq.filter (fun (KeyValue(_, r)) -> r.Expires >= call.Now)
        |> Seq.map (fun (KeyValue(k, r)) -> k, r)
        |> Seq.toArray)

let allPurgeRequests (call: Call) =
    let page, token =
        Api.page call (live call |> Array.map (fun (k, r) -> k, requestJson r))

    Api.ok (Api.withToken token [ "requests", J.arr page ])

let purgeRequests (call: Call) =
    let workerPoolId = Api.param call "workerPoolId"

    // the service reads `since` with `new Date(since || 0)`; the route checks already refused
    // text that is not a date
    let since =
        call.Query "since"
        |> Option.bind Util.tryParseTime
        |> Option.defaultValue DateTimeOffset.UnixEpoch

    let requests =
        live call
        |> Array.filter (fun (_, r) -> r.WorkerPoolId = workerPoolId && r.Before >= since)
        |> Array.map (snd >> requestJson)

    Api.ok (J.obj [ "requests", J.arr requests ])

let handlers: (string * (Call -> Reply)) list =
    [
        "purgeCache", purgeCache
        "allPurgeRequests", allPurgeRequests
        "purgeRequests", purgeRequests
    ]
