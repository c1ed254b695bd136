/// `queue.task` against the emulator three ways: decoded into the typed model
/// (`Queue.Typed.Task`), answered as a `JsonElement` (`Queue.Task`), and raw `HttpClient` reading
/// the bytes (the ceiling); one call at a time and 64 at once. Report only: nothing is asserted.
module Taskcluster.Benchmarks.TypedBenchmarks

open System
open System.Net.Http
open System.Threading.Tasks
open BenchmarkDotNet.Attributes
open Taskcluster.Services
open Taskcluster.Benchmarks.Fixture

[<MemoryDiagnoser>]
[<GroupBenchmarksBy(BenchmarkDotNet.Configs.BenchmarkLogicalGroupRule.ByCategory)>]
[<CategoriesColumn>]
type QueueTaskBenchmarks() =
    let mutable fixture: QueueTask = Unchecked.defaultof<_>
    let mutable queue: Queue = Unchecked.defaultof<_>
    let mutable raw: HttpClient = null
    let mutable taskUrl = ""
    let mutable taskId = ""

    /// Concurrent calls per operation in the `Concurrent` benchmarks.
    static member Concurrency = 64

    [<GlobalSetup>]
    member _.Setup() =
        fixture <- QueueTask.Start()
        queue <- fixture.Queue
        taskId <- fixture.TaskId
        raw <- new HttpClient()
        // A bewit for raw HttpClient (the emulator refuses unsigned requests); valid for the run.
        taskUrl <-
            queue.BuildSignedUrl("task", [ taskId ], expiration = TimeSpan.FromHours 2.0)
            |> ok "building the URL"

    [<GlobalCleanup>]
    member _.Cleanup() =
        raw.Dispose()
        (fixture :> IDisposable).Dispose()

    member private _.Typed() =
        task {
            let! r = queue.Typed.Task taskId
            return r |> ok "typed" |> _.Metadata.Name.Length
        }

    member private _.Json() =
        task {
            let! r = queue.Task taskId
            return (r |> ok "json").GetProperty("metadata").GetProperty("name").GetString().Length
        }

    member private _.Raw() =
        task {
            let! bytes = raw.GetByteArrayAsync taskUrl
            return bytes.Length
        }

    member private _.Many(call: unit -> Task<int>) =
        task {
            let! all = Task.WhenAll(Array.init QueueTaskBenchmarks.Concurrency (fun _ -> call ()))
            return Array.sum all
        }

    /// The typed model, one call.
    [<Benchmark; BenchmarkCategory("Sequential")>]
    member this.TypedSequential() = this.Typed()

    /// The `JsonElement` form, one call.
    [<Benchmark(Baseline = true); BenchmarkCategory("Sequential")>]
    member this.JsonSequential() = this.Json()

    /// Raw `HttpClient` with a pre-signed URL, one call (no signing, no decoding).
    [<Benchmark; BenchmarkCategory("Sequential")>]
    member this.RawSequential() = this.Raw()

    /// The typed model, 64 calls at once.
    [<Benchmark; BenchmarkCategory("Concurrent")>]
    member this.TypedConcurrent() = this.Many this.Typed

    /// The `JsonElement` form, 64 calls at once.
    [<Benchmark(Baseline = true); BenchmarkCategory("Concurrent")>]
    member this.JsonConcurrent() = this.Many this.Json

    /// Raw `HttpClient`, 64 calls at once.
    [<Benchmark; BenchmarkCategory("Concurrent")>]
    member this.RawConcurrent() = this.Many this.Raw
