/// Benchmarks of the pure core (report only; nothing here asserts a speed).
module Taskcluster.Benchmarks.CoreBenchmarks

open System
open BenchmarkDotNet.Attributes
open Taskcluster.Core

let private unwrap result =
    match result with
    | Ok v -> v
    | Error e -> failwithf "benchmark setup failed: %A" e

[<MemoryDiagnoser>]
type SlugIdBenchmarks() =
    let random = Guid.NewGuid().ToByteArray()

    [<Benchmark(Description = "SlugId.nice")>]
    member _.Nice() = SlugId.nice (ReadOnlySpan random)

    [<Benchmark(Description = "SlugId.decode")>]
    member _.Decode() = SlugId.decode "kGPFCI7dTPiJ0axH4QmGxg"

[<MemoryDiagnoser>]
type FromNowBenchmarks() =
    let reference = DateTimeOffset(2026, 11, 27, 12, 0, 0, TimeSpan.Zero)

    [<Benchmark(Description = "FromNow.parse '2 years 3 mo 1w 4 days 3h 2min 1s'")>]
    member _.Parse() =
        FromNow.parse "2 years 3 mo 1w 4 days 3h 2min 1s"

    [<Benchmark(Description = "FromNow.fromNowJSON '-3 days'")>]
    member _.FromNowJson() =
        FromNow.fromNowJSON "-3 days" reference |> unwrap

/// The physical floor of a Hawk header is one HMAC-SHA256 over the normalized string with a key
/// already set up (the core keeps one per thread); the header benchmark shows how close the whole
/// header gets to it, and the one-shot HMAC what setting the key up every time would add.
[<MemoryDiagnoser>]
type HawkBenchmarks() =
    let clientId = "project/ci/benchmark"
    let accessToken = "aB3_-aB3_-aB3_-aB3_-aB3_-aB3_-aB3_-aB3_-aB3_-"
    let credentials = Hawk.credentials clientId accessToken |> unwrap

    let uri =
        "https://tc.example.com/api/queue/v1/task-group/ZgmJBXVIQtqyhaRUXpAOzg/list?limit=5&continuationToken=x"

    let ts = 1_800_000_000L
    let nonce = "kehlhi"
    let key = Text.Encoding.UTF8.GetBytes accessToken

    let macInput =
        Hawk.normalized "GET" uri ts nonce None None
        |> unwrap
        |> Text.Encoding.UTF8.GetBytes

    let keyed =
        Security.Cryptography.IncrementalHash.CreateHMAC(Security.Cryptography.HashAlgorithmName.SHA256, key)

    [<Benchmark(Baseline = true, Description = "floor: keyed HMAC-SHA256 of the normalized string")>]
    member _.Floor() =
        keyed.AppendData macInput
        keyed.GetHashAndReset()

    [<Benchmark(Description = "one-shot HMACSHA256.HashData (key set up per call)")>]
    member _.OneShot() =
        Security.Cryptography.HMACSHA256.HashData(key, macInput)

    [<Benchmark(Description = "Hawk.header")>]
    member _.Header() =
        Hawk.header credentials "GET" uri ts nonce None None

    [<Benchmark(Description = "Hawk.bewit")>]
    member _.Bewit() = Hawk.bewit credentials uri ts None

/// Satisfaction of a 20-scope AllOf against 10,000 held scopes: the prepared `ScopeSet`, the
/// one-shot list form, and the naive nested loop (every required against every held scope).
[<MemoryDiagnoser>]
type ScopeBenchmarks() =
    // Deterministic data: a seeded generator keeps runs comparable.
    let random = Random(42)

    let held =
        [
            for i in 0..9_999 ->
                match i % 4 with
                | 0 -> $"queue:create-task:highest:proj-{i}/*"
                | 1 -> $"secrets:get:project/{i}/ci"
                | 2 -> $"assume:repo:github.com/org/repo-{i}:*"
                | _ -> $"index:insert-task:project.{i}.*"
        ]

    let required =
        [
            for _ in 1..20 ->
                let i = random.Next(0, 2_500) * 4
                $"queue:create-task:highest:proj-{i}/worker-{random.Next()}"
        ]

    let expression =
        ScopeExpression.AllOf [ for r in required -> ScopeExpression.Scope r ]

    let prepared = ScopeSet.ofSeq held
    let heldArray = Array.ofList held

    // Satisfaction by hand: exact match, or a held `prefix*` covering the required scope.
    let naiveSatisfies (scope: string) =
        heldArray
        |> Array.exists (fun h ->
            h = scope
            || (h.EndsWith '*'
                && scope.AsSpan().StartsWith(h.AsSpan(0, h.Length - 1), StringComparison.Ordinal)))

    [<Benchmark(Baseline = true, Description = "naive nested loop (20 x 10,000)")>]
    member _.Naive() = required |> List.forall naiveSatisfies

    [<Benchmark(Description = "ScopeSet.satisfiesExpression (prepared)")>]
    member _.Prepared() =
        ScopeSet.satisfiesExpression prepared expression

    [<Benchmark(Description = "Scope.satisfiesExpression (list, prepares each call)")>]
    member _.OneShot() =
        Scope.satisfiesExpression held expression

    [<Benchmark(Description = "Scope.normalizeScopeSet (10,000 scopes)")>]
    member _.Normalize() = Scope.normalizeScopeSet held
