/// The notify service, through the generated `Notify` client: requests recorded (readable
/// through the emulator's state), never sent, and the denylist enforced.
module Taskcluster.Emulator.Tests.NotifyTests

open System
open Expecto
open Taskcluster.Client
open Taskcluster.Services
open Taskcluster.Emulator.Tests.Clients

let private email (address: string) =
    Payload.Text $$"""{"address": "{{address}}", "subject": "hello", "content": "a test email"}"""

let private denylisted (kind: string) (address: string) =
    Payload.Text $$"""{"notificationType": "{{kind}}", "notificationAddress": "{{address}}"}"""

let tests =
    testList
        "Notify"
        [
            test "email, pulse, matrix and slack requests are recorded with their address" {
                let emulator, _ = startWithClock DateTimeOffset.UtcNow
                use _ = emulator
                let notify = Notify(rootOf emulator)
                run (notify.Email(email "dev@example.com")) |> ok "email" |> ignore

                run (notify.Pulse(Payload.Text """{"routingKey": "project.builds", "message": {"ok": true}}"""))
                |> ok "pulse"
                |> ignore

                run (notify.Matrix(Payload.Text """{"roomId": "!room:example.com", "body": "hi"}"""))
                |> ok "matrix"
                |> ignore

                run (notify.Slack(Payload.Text """{"channelId": "C123", "text": "hi"}"""))
                |> ok "slack"
                |> ignore

                let recorded =
                    emulator.State.Notifications
                    |> Seq.map (fun n -> n.Kind, n.Address)
                    |> Seq.toList

                Expect.equal
                    recorded
                    [
                        "email", "dev@example.com"
                        "pulse", "project.builds"
                        "matrix", "!room:example.com"
                        "slack", "C123"
                    ]
                    "every request, in order"

                let first = emulator.State.Notifications[0]
                Expect.equal first.ClientId emulator.ClientId "who asked"
                Expect.stringContains first.RequestJson "a test email" "the request as sent"
            }

            test "a denylisted address is refused until it leaves the denylist" {
                let emulator, _ = startWithClock DateTimeOffset.UtcNow
                use _ = emulator
                let notify = Notify(rootOf emulator)

                run (notify.AddDenylistAddress(denylisted "email" "spam@example.com"))
                |> ok "add"
                |> ignore

                run (notify.AddDenylistAddress(denylisted "slack-channel" "C9"))
                |> ok "add"
                |> ignore

                let e =
                    run (notify.Email(email "spam@example.com"))
                    |> expectError 400 "DenylistedAddress"

                Expect.stringContains e.Message "spam@example.com" "names the address"

                run (notify.Slack(Payload.Text """{"channelId": "C9", "text": "hi"}"""))
                |> expectError 400 "DenylistedAddress"
                |> ignore

                // the type matters: the same text as a pulse routing key is not denied
                run (notify.Pulse(Payload.Text """{"routingKey": "spam@example.com", "message": {}}"""))
                |> ok "pulse"
                |> ignore

                let listed = run (notify.ListDenylist()) |> ok "listDenylist"

                Expect.equal
                    (items (prop "addresses" listed)
                     |> List.map (fun a ->
                         (prop "notificationType" a).GetString(), (prop "notificationAddress" a).GetString()))
                    [ "email", "spam@example.com"; "slack-channel", "C9" ]
                    "the denylist"

                run (notify.DeleteDenylistAddress(denylisted "email" "spam@example.com"))
                |> ok "delete"
                |> ignore

                run (notify.Email(email "spam@example.com")) |> ok "allowed again" |> ignore

                Expect.equal
                    (emulator.State.Notifications |> Seq.map (fun n -> n.Kind) |> Seq.toList)
                    [ "pulse"; "email" ]
                    "only what was allowed"
            }

            test "listDenylist pages" {
                let emulator, _ = startWithClock DateTimeOffset.UtcNow
                use _ = emulator
                let notify = Notify(rootOf emulator)
                let addresses = [ for i in 1..5 -> $"a{i}@example.com" ]

                for a in addresses do
                    run (notify.AddDenylistAddress(denylisted "email" a)) |> ok "add" |> ignore

                let first = run (notify.ListDenylist(limit = "3")) |> ok "page 1"
                let token = (prop "continuationToken" first).GetString()

                let second =
                    run (notify.ListDenylist(continuationToken = token, limit = "3")) |> ok "page 2"

                Expect.isFalse (fst (second.TryGetProperty "continuationToken")) "two pages"

                let all =
                    items (prop "addresses" first) @ items (prop "addresses" second)
                    |> List.map (fun a -> (prop "notificationAddress" a).GetString())

                Expect.equal all addresses "each once, in order"
            }

            test "each method needs its scopes" {
                let emulator, _ = startWithClock DateTimeOffset.UtcNow
                use _ = emulator
                let notify = Notify(withScopes emulator [ "notify:email:other@example.com" ])

                run (notify.Email(email "dev@example.com"))
                |> expectMissing "notify:email:dev@example.com"

                run (notify.Pulse(Payload.Text """{"routingKey": "a.b", "message": {}}"""))
                |> expectMissing "notify:pulse:a.b"

                run (notify.Matrix(Payload.Text """{"roomId": "!r", "body": "hi"}"""))
                |> expectMissing "notify:matrix-room:!r"

                run (notify.Slack(Payload.Text """{"channelId": "C1", "text": "hi"}"""))
                |> expectMissing "notify:slack-channel:C1"

                run (notify.AddDenylistAddress(denylisted "email" "x@example.com"))
                |> expectMissing "notify:manage-denylist"

                run (notify.DeleteDenylistAddress(denylisted "email" "x@example.com"))
                |> expectMissing "notify:manage-denylist"

                run (notify.ListDenylist()) |> expectMissing "notify:manage-denylist"
                run (notify.Email(email "other@example.com")) |> ok "its own address" |> ignore
                Expect.equal emulator.State.Notifications.Count 1 "only the authorised one recorded"
            }
        ]
