module Taskcluster.Pulse.Tests.MessageTests

open System
open System.Collections.Generic
open System.Text
open System.Text.Json
open Expecto
open FsCheck
open FsCheck.FSharp
open Taskcluster.Core
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

/// Layouts of every shape the references could have: no parts, repeated names, constants,
/// none, one or several multi-word parts.
let private genParts =
    let part =
        gen {
            let! name = Gen.elements [ "taskId"; "runId"; "kind"; "reserved"; "taskId" ]
            let! constant = Gen.frequency [ 4, Gen.constant None; 1, Gen.elements [ Some "primary"; Some "_" ] ]
            let! multi = Gen.frequency [ 5, Gen.constant false; 1, Gen.constant true ]

            return
                ({
                    Name = name
                    Summary = ""
                    Constant = constant
                    MultipleWords = multi
                    Required = false
                }
                : RoutingKeyPart)
        }

    Gen.choose (0, 7) |> Gen.bind (fun n -> Gen.listOfLength n part)

/// Keys made of words that fit the constants or not, empty words included.
let private genKey =
    Gen.choose (0, 9)
    |> Gen.bind (fun n -> Gen.listOfLength n (Gen.elements [ "primary"; "_"; "abc"; ""; "0" ]))
    |> Gen.map (String.concat ".")

/// What the fields must be: the reference routing-key parser's answer, empty when it refuses.
let private oracle (parts: RoutingKeyPart list) (key: string) =
    let entry: ExchangeEntry =
        {
            Name = "e"
            Exchange = "e"
            Title = ""
            Description = ""
            RoutingKey = parts
            Schema = ""
        }

    match RoutingKey.parse entry key with
    | Ok fields -> fields
    | Error _ -> Map.empty

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

            testPropertyWithConfig
                { FsCheckConfig.defaultConfig with
                    maxTest = 2000
                }
                "the fields are what RoutingKey.parse gives, for any layout and key"
            <| Prop.forAll (Arb.fromGen (Gen.zip genParts genKey)) (fun (parts, key) ->
                // Asked twice: the second answer comes from the layout made ready by the first.
                let fields () =
                    match PulseMessage.ofDelivery (fun _ -> Some parts) completed key [] false (bytes "{}") with
                    | Ok m -> m.RoutingKeyFields
                    | Error e -> failtest (e.Describe())

                let expected = oracle parts key
                fields () = expected && fields () = expected)

            test "every known exchange's keys are split as RoutingKey.parse splits them" {
                for KeyValue(exchange, parts) in PulseMessage.knownExchanges do
                    let fitting =
                        parts
                        |> List.map (fun p ->
                            match p.Constant with
                            | Some c -> c
                            | None when p.MultipleWords -> "a.b.c"
                            | None -> "w")
                        |> String.concat "."

                    for key in [ fitting; fitting + ".extra"; "short"; "" ] do
                        match PulseMessage.ofDelivery lookup exchange key [] false (bytes "{}") with
                        | Ok m -> Expect.equal m.RoutingKeyFields (oracle parts key) $"{exchange} {key}"
                        | Error e -> failtest (e.Describe())
            }

            test "a body that is not JSON is a typed error naming the exchange and key" {
                match PulseMessage.ofDelivery lookup completed key [] false (bytes "not json") with
                | Error(PulseMessageError.NotJson(ex, rk, _) as e) ->
                    Expect.equal (ex, rk) (completed, key) "named"
                    Expect.stringContains (e.Describe()) completed "described"
                | Ok _ -> failtest "expected NotJson"

                // Trailing content after a value is refused as well, not cut off.
                match PulseMessage.ofDelivery lookup completed key [] false (bytes """{"a":1} x""") with
                | Error(PulseMessageError.NotJson _) -> ()
                | Ok _ -> failtest "expected NotJson for trailing content"
            }

            test "the body outlives the delivery's buffer, which the broker client reuses" {
                let buffer = Encoding.UTF8.GetBytes """{"taskId":"abc"}"""

                match PulseMessage.ofDelivery lookup completed key [] false (ReadOnlyMemory buffer) with
                | Ok m ->
                    Array.fill buffer 0 buffer.Length (byte ' ')
                    Expect.equal (m.Body.GetProperty("taskId").GetString()) "abc" "the body kept its own copy"
                | Error e -> failtest (e.Describe())
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
