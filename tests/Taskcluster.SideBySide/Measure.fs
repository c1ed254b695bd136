/// Timing loops and the one line a case process reports its figures on.
module Taskcluster.SideBySide.Measure

open System
open System.Diagnostics
open System.IO
open System.Text.Json
open System.Threading
open System.Threading.Tasks

/// The prefix of the line a case process prints its result on (the JS script prints the same).
[<Literal>]
let ResultPrefix = "SIDE-BY-SIDE-RESULT "

/// CPU time used so far by the whole process (every thread: JIT, GC, the thread pool).
let cpu () =
    Process.GetCurrentProcess().TotalProcessorTime

/// Bytes allocated so far by the whole process, every thread (exact, not sampled).
let allocated () = GC.GetTotalAllocatedBytes true

/// One timed run: the rate per wall-clock second, the process CPU time per operation (µs),
/// which a machine shared with other work disturbs much less than the rate, and the bytes the
/// process allocated per operation.
[<Struct>]
type Run =
    {
        Rate: float
        CpuPerOp: float
        AllocPerOp: float
    }

let private runOf (count: float) (wall: TimeSpan) (cpuUsed: TimeSpan) (bytes: int64) =
    {
        Rate = count / wall.TotalSeconds
        CpuPerOp = cpuUsed.TotalMicroseconds / count
        AllocPerOp = float bytes / count
    }

/// A synchronous operation repeated for `seconds` (the clock is read every 32 operations, so a
/// cheap operation is not dominated by reading it).
let rate (seconds: float) (operation: unit -> unit) =
    let bytesBefore = allocated ()
    let cpuBefore = cpu ()
    let watch = Stopwatch.StartNew()
    let limit = TimeSpan.FromSeconds seconds
    let mutable count = 0L

    while watch.Elapsed < limit do
        for _ in 1..32 do
            operation ()

        count <- count + 32L

    let cpuUsed = cpu () - cpuBefore
    runOf (float count) watch.Elapsed cpuUsed (allocated () - bytesBefore)

/// `workers` loops each awaiting `operation` until `seconds` have passed.
let rateAsync (seconds: float) (workers: int) (operation: unit -> Task) =
    task {
        let bytesBefore = allocated ()
        let cpuBefore = cpu ()
        let watch = Stopwatch.StartNew()
        let limit = TimeSpan.FromSeconds seconds
        let mutable count = 0L

        let worker () =
            task {
                while watch.Elapsed < limit do
                    do! operation ()
                    Interlocked.Increment(&count) |> ignore
            }
            :> Task

        do! Task.WhenAll [ for _ in 1..workers -> Task.Run(Func<Task> worker) ]
        let cpuUsed = cpu () - cpuBefore
        return runOf (float (Interlocked.Read &count)) watch.Elapsed cpuUsed (allocated () - bytesBefore)
    }

/// One transfer of `bytes`: MiB per second, and CPU µs per MiB.
let throughput (bytes: int64) (transfer: unit -> Task) =
    task {
        let bytesBefore = allocated ()
        let cpuBefore = cpu ()
        let watch = Stopwatch.StartNew()
        do! transfer ()
        let cpuUsed = cpu () - cpuBefore
        return runOf (float bytes / float Pattern.MiB) watch.Elapsed cpuUsed (allocated () - bytesBefore)
    }

/// The series of a list of runs: `name` (the rates), `name.cpu` (CPU per operation) and
/// `name.alloc` (bytes allocated per operation; the JS cases have no such figure).
let series (name: string) (runs: Run list) =
    [
        name, [ for r in runs -> r.Rate ]
        name + ".cpu", [ for r in runs -> r.CpuPerOp ]
        name + ".alloc", [ for r in runs -> r.AllocPerOp ]
    ]

/// The process's peak resident set (`VmHWM`) in KiB, from /proc/self/status; elsewhere the
/// peak working set the runtime reports.
let peakKiB () =
    let fromProc =
        try
            File.ReadAllLines "/proc/self/status"
            |> Array.tryFind (fun l -> l.StartsWith "VmHWM:")
            |> Option.map (fun l -> Int64.Parse(l.Substring(6).Trim().Split(' ')[0]))
        with _ ->
            None

    match fromProc with
    | Some kib -> kib
    | None -> Process.GetCurrentProcess().PeakWorkingSet64 / 1024L

/// Prints the result line: every series of figures by name, and the peak memory.
let report (series: (string * float list) list) =
    let payload =
        dict
            [
                "series", box (dict [ for name, values in series -> name, Array.ofList values ])
                "peakKiB", box (peakKiB ())
            ]

    Console.Out.WriteLine(ResultPrefix + JsonSerializer.Serialize payload)
    Console.Out.Flush()

/// One case's figures as read back by the driver.
type CaseResult =
    {
        Series: Map<string, float list>
        PeakKiB: int64
    }

/// Reads a result line (without its prefix).
let parse (json: string) =
    use doc = JsonDocument.Parse json
    let root = doc.RootElement

    {
        Series =
            root.GetProperty("series").EnumerateObject()
            |> Seq.map (fun p -> p.Name, [ for v in p.Value.EnumerateArray() -> v.GetDouble() ])
            |> Map.ofSeq
        PeakKiB = root.GetProperty("peakKiB").GetInt64()
    }

/// The median of a non-empty list.
let median (values: float list) =
    let sorted = List.sort values |> Array.ofList
    let n = sorted.Length

    if n = 0 then nan
    elif n % 2 = 1 then sorted[n / 2]
    else (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
