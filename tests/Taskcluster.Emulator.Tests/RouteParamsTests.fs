/// The services' route-parameter and query-string checks, read from the embedded
/// `route-params.json`, with JavaScript's regular-expression and decoding semantics.
module Taskcluster.Emulator.Tests.RouteParamsTests

open System.Collections.Generic
open Expecto
open Taskcluster.Emulator.Internal

let private pattern (p: string) =
    RouteParams.compile (
        System.Text.Json.JsonDocument
            .Parse($"""{{"pattern": {System.Text.Json.JsonSerializer.Serialize p}, "flags": ""}}""")
            .RootElement
    )

let tests =
    testList
        "RouteParams"
        [
            test "a JavaScript `$` is the very end and `.` refuses every line terminator" {
                let digits = pattern "^[0-9]+$"
                Expect.isTrue (RouteParams.passes digits "00") "00"
                Expect.isFalse (RouteParams.passes digits "5\n") "a final newline is not the end in JavaScript"
                Expect.isFalse (RouteParams.passes digits "+0") "+0"
                let any = pattern "."
                Expect.isTrue (RouteParams.passes any "a") "a"

                for terminator in [ "\n"; "\r"; "\u2028"; "\u2029" ] do
                    Expect.isFalse (RouteParams.passes any terminator) $"U+{int terminator[0]:X4}"
            }

            test "the queue's runId pattern refuses a sign or a space and accepts leading zeros" {
                let checks = RouteParams.forMethod "queue" "claimTask"

                let verdict runId =
                    RouteParams.checkParams
                        checks
                        (dict [ "taskId", "fN1SbArXTPSVFNUvaOlinQ"; "runId", runId ] :?> IReadOnlyDictionary<_, _>)

                Expect.isNone (verdict "0") "0"
                Expect.isNone (verdict "00") "00"

                Expect.equal
                    (verdict "+0")
                    (Some
                        "Invalid URL patterns:\nURL parameter 'runId' given as '+0' must match regular expression: '/^[1-9]*[0-9]+$/'")
                    "+0"

                Expect.isSome (verdict " 0") "space"
                Expect.isSome (verdict "\u0660") "an Arabic-Indic zero"
            }

            test "query keys: unknown ones refused (bewit aside), repeated ones and bad values named" {
                let checks = RouteParams.forMethod "auth" "listClients"
                Expect.isNone (RouteParams.checkQuery checks [ "limit", [| "5" |]; "bewit", [| "x" |] ]) "valid"

                Expect.equal
                    (RouteParams.checkQuery checks [ "x", [| "1" |]; "limit", [| "5"; "6" |]; "prefix", [| "a b" |] ])
                    (Some(
                        "Query-string parameter: x is not supported!\n"
                        + "Query-string parameter: limit must be a string!\n"
                        + "Query-string parameter: prefix=\"a b\" does not match expression: /^[A-Za-z0-9!@/:.+|_-]+$/"
                    ))
                    "messages"
            }

            test "every method of the references has its checks, and every pattern compiles" {
                let monitoring = set [ "ping"; "lbheartbeat"; "version" ]

                for s in ReferenceSet.Instance.Services do
                    for e in s.Entries do
                        if not (monitoring.Contains e.Name) then
                            let routeParams =
                                e.Segments
                                |> Array.choose (function
                                    | Segment.Param p -> Some p
                                    | _ -> None)

                            // a method with route parameters or query keys is listed in the table
                            if routeParams.Length > 0 || not e.Query.IsEmpty then
                                Expect.isFalse
                                    (obj.ReferenceEquals(e.Checks, RouteParams.empty))
                                    $"{s.Name}.{e.Name} is in route-params.json"

                            Expect.equal (set e.Checks.Query.Keys) (set e.Query) $"{s.Name}.{e.Name} query keys"
            }

            test "decodeURIComponent: UTF-8 escapes decode, malformed ones are refused" {
                Expect.equal (RouteParams.decodeComponent "%D9%A0") (Some "\u0660") "UTF-8"
                Expect.equal (RouteParams.decodeComponent "uni%2F%C3%A9") (Some "uni/é") "slash and é"
                Expect.equal (RouteParams.decodeComponent "a+b") (Some "a+b") "+ is not a space"

                for bad in [ "%"; "%Z0"; "%C3"; "%C3x"; "%ED%A0%80"; "%FF" ] do
                    Expect.isNone (RouteParams.decodeComponent bad) bad
            }
        ]
