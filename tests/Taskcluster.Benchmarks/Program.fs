module Taskcluster.Benchmarks.Program

open BenchmarkDotNet.Configs
open BenchmarkDotNet.Jobs
open BenchmarkDotNet.Running
open BenchmarkDotNet.Toolchains.InProcess.Emit

[<EntryPoint>]
let main argv =
    // In-process: no child project builds, so a run fits in a few minutes on a small machine.
    let job =
        Job.ShortRun.WithToolchain(InProcessEmitToolchain.Instance).WithWarmupCount(3).WithIterationCount(8)

    let config = DefaultConfig.Instance.AddJob(job)

    BenchmarkSwitcher.FromAssembly(typeof<CoreBenchmarks.SlugIdBenchmarks>.Assembly).Run(argv, config)
    |> ignore

    0
