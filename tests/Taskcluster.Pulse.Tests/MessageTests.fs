module Taskcluster.Pulse.Tests.MessageTests

open System
open System.Collections.Generic
open System.Text
open System.Text.Json
open Expecto
open Taskcluster.Pulse

let private completed = "exchange/taskcluster-queue/v1/task-completed"

let private key =
    "primary.fN1SbArXTPSVFNUvaOlinQ.0.wg.wid.prov.wt.sched.GroupIdAAAAAAAAAAAAAA._"

let private bytes (s: string) =
    ReadOnlyMemory(Encoding.UTF8.GetBytes s)

let private lookup (exchange: string) =
    match PulseMessage.knownExchanges.TryGetValue exchange with
    | true, p -> Some p
    | _ -> None

let tests =
    testList
        "PulseMessage"
        [
            test "the routing key is split into the exchange reference's named parts" {
                match PulseMessage.ofDelivery lookup completed key [] false (bytes """{"version":1}""") with
                | Ok m ->
                    Expect.equal m.RoutingKeyFields["taskId"] "fN1SbArXTPSVFNUvaOlinQ" "taskId"
                    Expect.equal m.RoutingKeyFields["runId"] "0" "runId"
                    Expect.equal m.RoutingKeyFields["workerType"] "wt" "workerType"
                    Expect.equal m.RoutingKeyFields["taskGroupId"] "GroupIdAAAAAAAAAAAAAA" "taskGroupId"
                    Expect.equal m.RoutingKeyFields["routingKeyKind"] "primary" "the constant"
                    Expect.equal (m.Body.GetProperty("version").GetInt32()) 1 "the body"
                    Expect.equal m.Exchange completed "exchange"
                    Expect.equal m.RoutingKey key "routing key"
                | Error e -> failtest (e.Describe())
            }

            test "CC routes lose their prefix; other CC entries are not routes" {
                let cc =
                    [ "route.index.project.x"; "route.notify.email.a@b.c.on-failed"; "other.thing" ]

                match PulseMessage.ofDelivery lookup completed key cc true (bytes "{}") with
                | Ok m ->
                    Expect.equal m.Routes [ "index.project.x"; "notify.email.a@b.c.on-failed" ] "routes"
                    Expect.isTrue m.Redelivered "the flag is carried"
                | Error e -> failtest (e.Describe())
            }

            test "the CC header as RabbitMQ.Client hands it over (byte arrays) or as strings" {
                let asBytes: obj =
                    List<obj>(
                        [
                            box (Encoding.UTF8.GetBytes "route.a")
                            box (Encoding.UTF8.GetBytes "route.b")
                        ]
                    )

                Expect.equal (PulseMessage.ccOfHeader asBytes) [ "route.a"; "route.b" ] "byte arrays"
                Expect.equal (PulseMessage.ccOfHeader (box [| "route.c" |])) [ "route.c" ] "strings"
                Expect.equal (PulseMessage.ccOfHeader (box (List<obj>()))) [] "present but empty"
            }

            test "an exchange no reference knows, or a key that does not fit, gives no fields" {
                match PulseMessage.ofDelivery lookup "exchange/someone/v1/custom" "a.b.c" [] false (bytes "[]") with
                | Ok m -> Expect.isEmpty m.RoutingKeyFields "unknown exchange"
                | Error e -> failtest (e.Describe())

                match PulseMessage.ofDelivery lookup completed "too.short" [] false (bytes "[]") with
                | Ok m -> Expect.isEmpty m.RoutingKeyFields "key that does not fit"
                | Error e -> failtest (e.Describe())
            }

            test "a body that is not JSON is a typed error naming the exchange and key" {
                match PulseMessage.ofDelivery lookup completed key [] false (bytes "not json") with
                | Error(PulseMessageError.NotJson(ex, rk, _) as e) ->
                    Expect.equal (ex, rk) (completed, key) "named"
                    Expect.stringContains (e.Describe()) completed "described"
                | Ok _ -> failtest "expected NotJson"
            }

            test "decode gives the typed form with the message beside it" {
                let m =
                    PulseMessage.ofDelivery lookup completed key [] false (bytes """{"status":{"taskId":"abc"}}""")
                    |> Result.defaultWith (fun e -> failtest (e.Describe()))

                let decoder (e: JsonElement) =
                    match e.TryGetProperty "status" with
                    | true, s -> Ok(s.GetProperty("taskId").GetString())
                    | _ -> Error "no status"

                match PulseMessage.decode decoder m with
                | Ok typed ->
                    Expect.equal typed.Body "abc" "typed body"
                    Expect.equal typed.Message m "the message"
                | Error e -> failtest e

                let m2 =
                    PulseMessage.ofDelivery lookup completed key [] false (bytes "{}")
                    |> Result.defaultWith (fun e -> failtest (e.Describe()))

                Expect.equal (PulseMessage.decode decoder m2) (Error "no status") "the decoder's error"
            }
        ]
