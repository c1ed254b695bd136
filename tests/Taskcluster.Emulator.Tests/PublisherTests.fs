/// The Pulse messages the emulator prepares: routing keys by the exchange references, `route.`
/// CCs, `version: 1`, and a check against the exchange's schema before anything is sent.
module Taskcluster.Emulator.Tests.PublisherTests

open System.Text
open System.Text.Json.Nodes
open Expecto
open Taskcluster.Emulator
open Taskcluster.Emulator.Internal

let private status (taskId: string) =
    JsonNode.Parse(
        $"""{{"taskId":"{taskId}","provisionerId":"p","workerType":"w","taskQueueId":"p/w","schedulerId":"-",
             "projectId":"none","taskGroupId":"{taskId}","deadline":"2030-01-01T00:00:00.000Z",
             "expires":"2031-01-01T00:00:00.000Z","priority":"lowest","retriesLeft":5,"state":"pending",
             "runs":[{{"runId":0,"state":"pending","reasonCreated":"scheduled","scheduled":"2030-01-01T00:00:00.000Z"}}]}}"""
    )

let private routing (taskId: string) (runId: string option) =
    Map.ofList
        [
            "taskId", taskId
            "provisionerId", "p"
            "workerType", "w"
            "schedulerId", "-"
            "taskGroupId", taskId
            match runId with
            | Some r -> "runId", r
            | None -> ()
        ]

let tests =
    testList
        "Publisher"
        [
            test
                "a task-pending message gets its primary routing key, `_` for the words it lacks, its CCs and version 1" {
                let taskId = "fN1SbArXTPSVFNUvaOlinQ"
                let message = JsonObject()
                message["status"] <- status taskId
                message["runId"] <- JsonValue.Create 0

                match
                    Exchanges.prepare "queue" "task-pending" (routing taskId (Some "0")) [ "index.a.b"; "x" ] message
                with
                | Ok m ->
                    Expect.equal m.Exchange "exchange/taskcluster-queue/v1/task-pending" "the exchange"
                    Expect.equal m.RoutingKey $"primary.{taskId}.0._._.p.w.-.{taskId}._" "the routing key"
                    Expect.equal m.CC [ "route.index.a.b"; "route.x" ] "one CC per route"
                    let body = JsonNode.Parse(Encoding.UTF8.GetString m.Body)
                    Expect.equal (body["version"].GetValue<int>()) 1 "version 1"
                    Expect.isNull message["version"] "the caller's message is left as it was"
                | Error e -> failtest e
            }

            test "a message that does not fit its exchange's schema is refused, naming the exchange" {
                let taskId = "fN1SbArXTPSVFNUvaOlinQ"
                // task-pending needs a runId
                let message = JsonObject()
                message["status"] <- status taskId

                match Exchanges.prepare "queue" "task-pending" (routing taskId (Some "0")) [] message with
                | Ok m -> failtestf "accepted %s" m.RoutingKey
                | Error e -> Expect.stringContains e "exchange/taskcluster-queue/v1/task-pending" e
            }

            test "a routing key without a required word, or an unknown exchange, is refused" {
                let taskId = "fN1SbArXTPSVFNUvaOlinQ"
                let message = JsonObject()
                message["status"] <- status taskId
                message["runId"] <- JsonValue.Create 0

                match Exchanges.prepare "queue" "task-pending" (routing taskId None) [] message with
                | Ok m -> failtestf "accepted %s" m.RoutingKey
                | Error e -> Expect.stringContains e "runId" e

                match Exchanges.prepare "queue" "task-vanished" Map.empty [] message with
                | Ok m -> failtestf "accepted %s" m.RoutingKey
                | Error e -> Expect.stringContains e "task-vanished" e
            }

            test "a worker-manager or hooks message gets no version, as their services build them; notify's does" {
                let pool = JsonObject()
                pool["workerPoolId"] <- JsonValue.Create "proj/pool"
                pool["providerId"] <- JsonValue.Create "static"

                match Exchanges.prepare "worker-manager" "worker-pool-created" Map.empty [] pool with
                | Ok m ->
                    Expect.equal m.RoutingKey "primary._._._._._._._" "no words for a pool"
                    let body = JsonNode.Parse(Encoding.UTF8.GetString m.Body)
                    Expect.isNull body["version"] "no version: the schema allows no other member"
                | Error e -> failtest e

                let hook = JsonObject()
                hook["hookGroupId"] <- JsonValue.Create "g"
                hook["hookId"] <- JsonValue.Create "h"

                match Exchanges.prepare "hooks" "hook-deleted" Map.empty [] hook with
                | Ok m ->
                    Expect.equal m.RoutingKey "_" "only the reserved tail"
                    Expect.isNull (JsonNode.Parse(Encoding.UTF8.GetString m.Body)["version"]) "no version"
                | Error e -> failtest e

                let note = JsonObject()
                note["message"] <- JsonObject()

                match Exchanges.prepare "notify" "notification" (Map [ "topic", "a.b" ]) [ "a.b" ] note with
                | Ok m ->
                    Expect.equal m.RoutingKey "primary.a.b" "the topic's words"
                    Expect.equal m.CC [ "route.a.b" ] "the CC"
                    let body = JsonNode.Parse(Encoding.UTF8.GetString m.Body)
                    Expect.equal (body["version"].GetValue<int>()) 1 "version 1"
                | Error e -> failtest e
            }

            test "every exchange of the references is declared, the queue's among them" {
                let names = Exchanges.names ()
                Expect.contains names "exchange/taskcluster-queue/v1/task-group-resolved" "queue"
                Expect.contains names "exchange/taskcluster-hooks/v1/hook-created" "hooks"
                Expect.contains names "exchange/taskcluster-worker-manager/v1/worker-running" "worker-manager"
            }

            test "PulseUrl must be an amqp or amqps URL, and a bad one is not repeated (it may hold a password)" {
                Expect.isEmpty (EmulatorOptions(PulseUrl = "amqps://u:p@host/vhost").Validate()) "amqps"
                Expect.isEmpty (EmulatorOptions(PulseUrl = null).Validate()) "none"
                let problems = EmulatorOptions(PulseUrl = "http://u:secret@host/").Validate()
                Expect.hasLength problems 1 "one problem"
                Expect.stringContains problems[0] "'http'" "names the scheme"
                Expect.isFalse (problems[0].Contains "secret") "not the password"
                Expect.hasLength (EmulatorOptions(PulseUrl = "not a url secret").Validate()) 1 "not a URL"
            }
        ]
