/// `queue.task` reads against the emulator while creates of other task groups run at the same
/// time: what the queue's locks cost a reader when writers are busy elsewhere. Report only:
/// nothing is asserted.
module Taskcluster.Benchmarks.QueueLockBenchmarks

open System
open System.Threading.Tasks
open BenchmarkDotNet.Attributes
open Taskcluster.Core
open Taskcluster.Client
open Taskcluster.Services
open Taskcluster.Benchmarks.Fixture

[<MemoryDiagnoser>]
type QueueLockBenchmarks() =
    let mutable fixture: QueueTask = Unchecked.defaultof<_>
    let mutable queue: Queue = Unchecked.defaultof<_>
    let mutable taskId = ""

    /// Reads of the fixture's task per operation.
    static member Reads = 32

    /// Creates, each in a task group of its own, running beside the reads.
    static member Creates = 8

    [<GlobalSetup>]
    member _.Setup() =
        fixture <- QueueTask.Start()
        queue <- fixture.Queue
        taskId <- fixture.TaskId

    [<GlobalCleanup>]
    member _.Cleanup() = (fixture :> IDisposable).Dispose()

    member private _.Read() : Task =
        task {
            let! r = queue.Task taskId
            r |> ok "task" |> ignore
        }

    member private _.Create() : Task =
        task {
            let id = (Helpers.slugId ()).Value
            let now = DateTimeOffset.UtcNow
            let iso (d: DateTimeOffset) = d.ToString("yyyy-MM-ddTHH:mm:ss.fffZ")

            let body =
                $$"""{"taskQueueId":"proj-bench/lock","schedulerId":"-","taskGroupId":"{{id}}",
                      "created":"{{iso now}}","deadline":"{{iso (now.AddDays 1.0)}}","payload":{},
                      "metadata":{"name":"bench","description":"a create beside reads","owner":"bench@example.com","source":"https://example.com/"} }"""

            let! r = queue.CreateTask(id, Payload.Text body)
            r |> ok "createTask" |> ignore
        }

    /// 32 reads alone.
    [<Benchmark(Baseline = true)>]
    member this.ReadsAlone() =
        Task.WhenAll(Array.init QueueLockBenchmarks.Reads (fun _ -> this.Read()))

    /// The same 32 reads with 8 creates of other groups running at once.
    [<Benchmark>]
    member this.ReadsBesideCreates() =
        Task.WhenAll(
            Array.append
                (Array.init QueueLockBenchmarks.Reads (fun _ -> this.Read()))
                (Array.init QueueLockBenchmarks.Creates (fun _ -> this.Create()))
        )
