(**
---
title: The pure core
category: Capabilities
categoryindex: 2
index: 10
---
*)
(*** hide ***)
#load ".include/references.fsx"
(**
# The pure core: fromNow, slugIds, URLs, routing keys, backoff

`Taskcluster.Functional.Core` has no I/O, no clock and no randomness: time and random bytes come
in as arguments, and every function returns a `Result` with its module's error union, whose
`Describe()` quotes the bad value (never a credential). Hawk and temporary credentials are on
[their own page](credentials.html), scopes on [theirs](scopes.html), JSON-e on [its](json-e.html).

## fromNow

The JS client's grammar: an optional sign, then years, months, weeks, days, hours, minutes and
seconds in that order (`y`, `mo`, `w`, `d`, `h`, `m`, `s` and their long forms), case- and
whitespace-insensitive; a year is 365 days, a month 30.
*)
open System
open Taskcluster.Core
open Taskcluster.Services

let reference = DateTimeOffset(2026, 11, 27, 12, 0, 0, TimeSpan.Zero)

let deadline = FromNow.fromNowJSON "2 days 3 hours" reference // Ok "2026-11-29T15:00:00.000Z"
let canonical = FromNow.parse "-1y 2 mo" |> Result.map FromNow.render
let outOfOrder = FromNow.parse "3 hours 2 days" // Error (UnitOutOfOrder ...), quoting the input

if deadline <> Ok "2026-11-29T15:00:00.000Z" || Result.isOk outOfOrder then
    failwithf "unexpected: %A %A" deadline outOfOrder
(**
## slugIds
*)
let randomBytes = Array.init 16 byte
let nice = SlugId.nice (ReadOnlySpan randomBytes) // never starts with '-'
let decoded = SlugId.decode "kGPFCI7dTPiJ0axH4QmGxg" // Ok 9063c508-8edd-4cf8-89d1-ac47e10986c6

if decoded <> Ok(Guid "9063c508-8edd-4cf8-89d1-ac47e10986c6") then
    failwithf "unexpected: %A" decoded
(**
## Root URLs, API URLs and routing keys
*)
let root =
    RootUrl.parse "https://tc.example.com//" |> Result.defaultWith (fun e -> failwith (e.Describe()))

let taskUrl = RootUrl.api root "queue" "v1" "/task/abc" // https://tc.example.com/api/queue/v1/task/abc

// From the API references: each route argument is exactly one path segment.
let built =
    Route.buildUrl root QueueReference.reference QueueReference.task [ "fN1SbArXTPSVFNUvaOlinQ" ] []

// Exchange "exchange/taskcluster-queue/v1/task-defined", pattern "primary.fN1SbArXTPSVFNUvaOlinQ.*.*.*.*.*.*.*.#"
let binding =
    RoutingKey.binding
        QueueEventsReference.reference
        QueueEventsReference.taskDefined
        (BindingPattern.Values(Map [ ("taskId", "fN1SbArXTPSVFNUvaOlinQ") ]))

printfn "%s %A %A" taskUrl built (binding |> Result.map (fun b -> b.Exchange, b.RoutingKeyPattern))
(**
## Retry backoff

The official clients' formula: 100 ms × 2^(attempt−1), ±25 %, at most 30 s; the random draw is
an argument.
*)
let delay = Backoff.calculateSleepTime Backoff.defaults 3 0.5
