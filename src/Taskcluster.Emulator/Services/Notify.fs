/// The notify service: email, pulse, matrix and slack requests are recorded (never sent) unless
/// their address is on the denylist, which the denylist methods manage; pulse requests are also
/// published when the emulator has a broker.
module internal Taskcluster.Emulator.Services.Notify

open System
open Taskcluster.Emulator.Internal

/// The most notifications kept for inspection.
let private kept = 10_000

let private key (notificationType: string) (address: string) =
    // NUL sorts before every character, so the order is (type, address)
    notificationType + "\u0000" + address

/// The denylist's notification type of each kind of request.
let private denylistType =
    function
    | "email" -> "email"
    | "pulse" -> "pulse"
    | "matrix" -> "matrix-room"
    | _ -> "slack-channel"

/// Authorises with the request's address, refuses a denylisted one, then records the request.
let private send (call: Call) (kind: string) (field: string) (describe: string -> string) =
    let store = call.Env.Stores.Notify
    let address = J.string field call.Body
    Api.authorizeWith call [ field, J.str address ]

    let denied =
        lock store.Gate (fun () -> store.Denylist.ContainsKey(key (denylistType kind) address))

    if denied then
        raise (ApiError("DenylistedAddress", 400, $"{describe address} is denylisted"))

    let record =
        {
            Time = call.Now
            Kind = kind
            Address = address
            ClientId = call.ClientId
            Request = J.clone call.Body
        }

    lock store.Gate (fun () ->
        store.Sent.Enqueue record

        while store.Sent.Count > kept do
            store.Sent.Dequeue() |> ignore)

    Api.empty ()

let email (call: Call) =
    send call "email" "address" (fun a -> $"Email {a}")

/// Records the request and, when the emulator has a broker, publishes its message on the
/// `notification` exchange as the service does: the routing key's words as the topic, and the
/// routing key itself as the one CC route.
let pulse (call: Call) =
    let reply =
        send call "pulse" "routingKey" (fun a -> $"Pulse routing key pattern {a}")

    let routingKey = J.string "routingKey" call.Body

    call.Env.Publisher.Publish(
        "notify",
        "notification",
        Map.ofList [ "topic", routingKey ],
        [ routingKey ],
        J.obj [ "message", J.clone call.Body["message"] ]
    )

    reply

let matrix (call: Call) =
    send call "matrix" "roomId" (fun a -> $"Matrix room {a}")

let slack (call: Call) =
    send call "slack" "channelId" (fun a -> $"Slack channel {a}")

let private address (call: Call) =
    J.string "notificationType" call.Body, J.string "notificationAddress" call.Body

let addDenylistAddress (call: Call) =
    let store = call.Env.Stores.Notify
    let t, a = address call
    lock store.Gate (fun () -> store.Denylist[key t a] <- struct (t, a))
    Api.empty ()

let deleteDenylistAddress (call: Call) =
    let store = call.Env.Stores.Notify
    let t, a = address call
    lock store.Gate (fun () -> store.Denylist.Remove(key t a) |> ignore)
    Api.empty ()

let listDenylist (call: Call) =
    let store = call.Env.Stores.Notify

    let items =
        lock store.Gate (fun () ->
            store.Denylist
            |> Seq.map (fun (KeyValue(k, struct (t, a))) ->
                k, J.obj [ "notificationType", J.str t; "notificationAddress", J.str a ])
            |> Seq.toArray)

    let page, token = Api.page call items
    Api.ok (Api.withToken token [ "addresses", J.arr page ])

let handlers: (string * (Call -> Reply)) list =
    [
        "email", email
        "pulse", pulse
        "matrix", matrix
        "slack", slack
        "addDenylistAddress", addDenylistAddress
        "deleteDenylistAddress", deleteDenylistAddress
        "listDenylist", listDenylist
    ]
