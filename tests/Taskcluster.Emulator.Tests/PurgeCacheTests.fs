/// The purge-cache service, through the generated `PurgeCache` client.
module Taskcluster.Emulator.Tests.PurgeCacheTests

open System
open Expecto
open Taskcluster.Client
open Taskcluster.Services
open Taskcluster.Emulator.Tests.Clients

let private purge (cacheName: string) =
    Payload.Text $"""{{"cacheName": "{cacheName}"}}"""

let private cacheNames (answer: Text.Json.JsonElement) =
    items (prop "requests" answer)
    |> List.map (fun r ->
        (prop "provisionerId" r).GetString(), (prop "workerType" r).GetString(), (prop "cacheName" r).GetString())

let tests =
    testList
        "PurgeCache"
        [
            test "a purge is listed for its pool, with before = now, and a repeat moves before" {
                let start = DateTimeOffset(2030, 1, 2, 3, 4, 5, TimeSpan.Zero)
                let emulator, clock = startWithClock start
                use _ = emulator
                let pc = PurgeCache(rootOf emulator)
                run (pc.PurgeCache("proj/linux", purge "cargo")) |> ok "purgeCache" |> ignore
                run (pc.PurgeCache("proj/other", purge "npm")) |> ok "purgeCache" |> ignore

                let listed = run (pc.PurgeRequests "proj/linux") |> ok "purgeRequests"
                Expect.equal (cacheNames listed) [ "proj", "linux", "cargo" ] "only the pool's purge"

                Expect.equal
                    ((prop "before" (items (prop "requests" listed)).Head).GetDateTimeOffset())
                    start
                    "before is the time of the purge"

                clock.Advance(TimeSpan.FromMinutes 5.0)
                let since = (start + TimeSpan.FromMinutes 1.0).ToString("o")
                let none = run (pc.PurgeRequests("proj/linux", since = since)) |> ok "since"
                Expect.isEmpty (cacheNames none) "nothing purged since"

                run (pc.PurgeCache("proj/linux", purge "cargo")) |> ok "again" |> ignore
                let again = run (pc.PurgeRequests("proj/linux", since = since)) |> ok "since"
                Expect.equal (cacheNames again) [ "proj", "linux", "cargo" ] "one request, moved"

                Expect.equal
                    ((prop "before" (items (prop "requests" again)).Head).GetDateTimeOffset())
                    (start + TimeSpan.FromMinutes 5.0)
                    "before moved to the new purge"
            }

            test "a purge request is forgotten after a day" {
                let emulator, clock =
                    startWithClock (DateTimeOffset(2030, 1, 2, 0, 0, 0, TimeSpan.Zero))

                use _ = emulator
                let pc = PurgeCache(rootOf emulator)
                run (pc.PurgeCache("proj/linux", purge "cargo")) |> ok "purgeCache" |> ignore
                clock.Advance(TimeSpan.FromHours 25.0)
                Expect.isEmpty (cacheNames (run (pc.PurgeRequests "proj/linux") |> ok "list")) "expired"
                Expect.isEmpty (cacheNames (run (pc.AllPurgeRequests()) |> ok "all")) "expired"
            }

            test "allPurgeRequests pages through every request once, by pool then cache" {
                let emulator, _ = startWithClock DateTimeOffset.UtcNow
                use _ = emulator
                let pc = PurgeCache(rootOf emulator)

                let wanted =
                    [
                        for p in [ "a/x"; "a/y"; "b/x" ] do
                            for c in [ "c1"; "c2" ] -> p, c
                    ]

                for p, c in List.rev wanted do
                    run (pc.PurgeCache(p, purge c)) |> ok "purgeCache" |> ignore

                let rec pages token acc count =
                    let page =
                        match token with
                        | Some t -> run (pc.AllPurgeRequests(continuationToken = t, limit = "4"))
                        | None -> run (pc.AllPurgeRequests(limit = "4"))
                        |> ok "allPurgeRequests"

                    let acc = acc @ cacheNames page

                    match page.TryGetProperty "continuationToken" with
                    | true, t -> pages (Some(t.GetString())) acc (count + 1)
                    | _ -> acc, count + 1

                let all, count = pages None [] 0
                Expect.equal (all |> List.map (fun (p, w, c) -> $"{p}/{w}", c)) wanted "every request once, in order"
                Expect.equal count 2 "two pages of at most four"
            }

            test "each method needs its scopes" {
                let emulator, _ = startWithClock DateTimeOffset.UtcNow
                use _ = emulator
                let pc = PurgeCache(withScopes emulator [ "purge-cache:proj/linux:other" ])

                run (pc.PurgeCache("proj/linux", purge "cargo"))
                |> expectMissing "purge-cache:proj/linux:cargo"

                run (pc.PurgeRequests "proj/linux")
                |> expectMissing "purge-cache:purge-requests::proj/linux"

                run (pc.AllPurgeRequests()) |> expectMissing "purge-cache:all-purge-requests"
                // and the scope it holds is enough for its cache
                run (pc.PurgeCache("proj/linux", purge "other")) |> ok "purgeCache" |> ignore
            }

            test "a worker pool id that is not <provisioner>/<workerType> is refused" {
                let emulator, _ = startWithClock DateTimeOffset.UtcNow
                use _ = emulator
                let pc = PurgeCache(rootOf emulator)

                run (pc.PurgeRequests "no-slash")
                |> expectError 400 "InvalidRequestArguments"
                |> ignore
            }
        ]
