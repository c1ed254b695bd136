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
