/// `dotnet fsi build.fsx bench`: our client beside the official JS packages and beside raw
/// `HttpClient`, against one emulator process, every case in a process of its own.
///
/// Without `--case`, this program is the driver: it starts the emulator, creates the task the
/// GETs read, runs every case (`--case <name> --impl ours|raw` of itself, or
/// `node scripts/interop/bench-side-by-side.mjs --case <name>`), and prints and writes the table.
module Taskcluster.SideBySide.Program

open System
open System.Diagnostics
open System.IO
open System.Text.Json
open Taskcluster.Core
open Taskcluster.Client
open Taskcluster.Services
open Taskcluster.SideBySide.Measure
open Taskcluster.SideBySide.Report
open Taskcluster.TestSupport

type private Marker = class end

/// One figure of ours, JS, raw and the floor (NaN where a row has none).
type private Four =
    {
        Ours: float
        Js: float
        Raw: float
        Floor: float
    }

/// A row's medians: rates, CPU per operation in the row's unit, bytes allocated per operation.
type private Figures = { Rate: Four; Cpu: Four; Alloc: Four }

/// How much the driver measures.
type private Plan =
    {
        Quick: bool
        Runs: int
        Seconds: float
        GetSeconds: float
        SmallSize: int64
        LargeSize: int64
        SmallRuns: int
        LargeRuns: int
    }

let private plan quick =
    if quick then
        {
            Quick = true
            Runs = 3
            Seconds = 0.3
            GetSeconds = 0.5
            SmallSize = 16L * Pattern.MiB
            LargeSize = 64L * Pattern.MiB
            SmallRuns = 2
            LargeRuns = 3
        }
    else
        {
            Quick = false
            Runs = 5
            Seconds = 1.0
            GetSeconds = 2.0
            SmallSize = 64L * Pattern.MiB
            LargeSize = 256L * Pattern.MiB
            SmallRuns = 3
            LargeRuns = 5
        }

let private option (argv: string list) name =
    argv
    |> List.pairwise
    |> List.tryPick (fun (a, b) -> if a = name then Some b else None)

/// The repository root: `--root`, or the first folder above this program holding the solution.
let private findRoot (argv: string list) =
    match option argv "--root" with
    | Some r -> Path.GetFullPath r
    | None ->
        RepoRoot.tryFindFrom AppContext.BaseDirectory
        |> Option.defaultWith (fun () -> failwith $"no {RepoRoot.Marker} at or above this program: pass --root")

/// The emulator, started once as its own process.
type private Emulator =
    {
        Process: Process
        RootUrl: string
        ClientId: string
        AccessToken: string
        BlobDirectory: string
    }

let private startEmulator (root: string) (maxBlob: int64) =
    let dll =
        Path.Combine(root, "src", "Taskcluster.Emulator", "bin", "Release", "net10.0", "Taskcluster.Emulator.dll")

    if not (File.Exists dll) then
        failwith "the emulator is not built: dotnet build src/Taskcluster.Emulator -c Release"

    let blobs =
        Path.Combine(root, "artifacts", "bench", $"blobs-{Environment.ProcessId}")

    Directory.CreateDirectory blobs |> ignore

    let psi =
        ProcessStartInfo(
            "dotnet",
            [ dll; "--port"; "0"; "--max-blob-bytes"; string maxBlob; "--blob-dir"; blobs ],
            RedirectStandardOutput = true,
            UseShellExecute = false,
            WorkingDirectory = root
        )

    let p = Process.Start psi

    try
        let first = p.StandardOutput.ReadLine()

        if isNull first then
            failwith "the emulator exited before printing its root URL"

        // the banner that follows is not needed; keep the pipe drained
        p.StandardOutput.ReadToEndAsync() |> ignore
        use doc = JsonDocument.Parse first

        let get (name: string) =
            doc.RootElement.GetProperty(name).GetString()

        {
            Process = p
            RootUrl = get "rootUrl"
            ClientId = get "clientId"
            AccessToken = get "accessToken"
            BlobDirectory = blobs
        }
    with _ ->
        if not p.HasExited then
            p.Kill true

        reraise ()

let private createTask (emulator: Emulator) =
    let client =
        Client.create (
            Options.create emulator.RootUrl
            |> Options.withCredentials emulator.ClientId emulator.AccessToken
        )
        |> Result.defaultWith (fun e -> failwith (e.Describe()))

    let taskId = (Helpers.slugId ()).Value
    let now = DateTimeOffset.UtcNow

    let definition =
        Encode.object
            [
                "taskQueueId", Encode.string "bench/side-by-side"
                "created", Encode.string (FromNow.format now)
                "deadline", Encode.string (FromNow.format (now.AddHours 2.0))
                "payload", Encode.object []
                "metadata",
                Encode.object
                    [
                        "name", Encode.string "side-by-side benchmark task"
                        "description", Encode.string "the task every GET of the benchmark reads"
                        "owner", Encode.string "bench@example.com"
                        "source", Encode.string "https://example.com/side-by-side"
                    ]
            ]

    match (Queue(client).CreateTask(taskId, Payload.Json definition)).GetAwaiter().GetResult() with
    | Ok _ -> taskId
    | Error e -> failwithf "queue.createTask failed: %s" (e.Describe())

/// Runs one case process and reads its result line; any failure stops the benchmark.
let private runCase
    (root: string)
    (emulator: Emulator)
    (taskId: string)
    (label: string)
    (exe: string)
    (args: string list)
    =
    printfn "  %s ..." label

    let psi =
        ProcessStartInfo(exe, args, RedirectStandardOutput = true, UseShellExecute = false, WorkingDirectory = root)

    psi.Environment["TASKCLUSTER_ROOT_URL"] <- emulator.RootUrl
    psi.Environment["TASKCLUSTER_CLIENT_ID"] <- emulator.ClientId
    psi.Environment["TASKCLUSTER_ACCESS_TOKEN"] <- emulator.AccessToken
    psi.Environment.Remove "TASKCLUSTER_CERTIFICATE" |> ignore
    psi.Environment["SIDE_BY_SIDE_TASK_ID"] <- taskId
    psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] <- "1"
    use p = Process.Start psi
    let mutable result = None

    let mutable line = p.StandardOutput.ReadLine()

    while not (isNull line) do
        if line.StartsWith ResultPrefix then
            result <- Some(parse (line.Substring ResultPrefix.Length))
        else
            printfn "    %s" line

        line <- p.StandardOutput.ReadLine()

    p.WaitForExit()

    match p.ExitCode, result with
    | 0, Some r ->
        for KeyValue(name, values) in r.Series do
            printfn "    %-20s %s" name (String.Join("  ", [ for v in values -> v.ToString "N1" ]))

        printfn "    peak memory %s" (mib (Some r.PeakKiB))
        r
    | 0, None -> failwithf "%s printed no result" label
    | code, _ -> failwithf "%s exited with %d" label code

let private packageVersions (root: string) =
    [
        for name in [ "taskcluster-client"; "hawk"; "taskcluster-lib-scopes" ] ->
            let file =
                Path.Combine(root, "scripts", "interop", "node_modules", name, "package.json")

            let version =
                try
                    use doc = JsonDocument.Parse(File.ReadAllText file)
                    doc.RootElement.GetProperty("version").GetString()
                with _ ->
                    failwithf
                        "%s is not installed in scripts/interop/node_modules (dotnet fsi build.fsx bench installs it)"
                        name

            name, version
    ]

let private drive (argv: string list) =
    let root = findRoot argv
    let plan = plan (List.contains "--quick" argv)
    let versions = packageVersions root
    let facts = machine versions
    let loadBefore = loadAverage ()
    let started = DateTimeOffset.UtcNow
    printfn "Side-by-side benchmarks%s" (if plan.Quick then " (--quick)" else "")

    for f in facts do
        printfn "  %s" f

    let emulator = startEmulator root (plan.LargeSize * 2L)

    try
        let taskId = createTask emulator
        printfn "Emulator at %s (its own process), task %s" emulator.RootUrl taskId
        let self = typeof<Marker>.Assembly.Location
        let script = Path.Combine(root, "scripts", "interop", "bench-side-by-side.mjs")

        let common (runs: int) (seconds: float) (size: int64) =
            [
                "--runs"
                string runs
                "--seconds"
                seconds.ToString "R"
                "--size"
                string size
            ]

        let ours case impl runs seconds size =
            runCase
                root
                emulator
                taskId
                $"{case}, {impl}"
                "dotnet"
                ([ self; "--case"; case; "--impl"; impl ] @ common runs seconds size)

        let js case runs seconds size =
            runCase root emulator taskId $"{case}, js" "node" ([ script; "--case"; case ] @ common runs seconds size)

        let s = plan.Seconds
        let hawkOurs = ours "hawk" "ours" plan.Runs s 0L
        let hawkJs = js "hawk" plan.Runs s 0L
        let hawkFloor = ours "hawk" "floor" plan.Runs s 0L
        let scopesOurs = ours "scopes" "ours" plan.Runs s 0L
        let scopesJs = js "scopes" plan.Runs s 0L
        let getOurs = ours "get" "ours" plan.Runs plan.GetSeconds 0L
        let getJs = js "get" plan.Runs plan.GetSeconds 0L
        let getRaw = ours "get" "raw" plan.Runs plan.GetSeconds 0L

        let transfers size runs =
            let label = $"transfer {size / Pattern.MiB} MiB"
            printfn "%s" label
            let o = ours "transfer" "ours" runs s size
            let j = js "transfer" runs s size
            let r = ours "transfer" "raw" runs s size
            let f = ours "transfer" "floor" runs s size
            o, j, r, f

        let smallOurs, smallJs, smallRaw, smallFloor =
            transfers plan.SmallSize plan.SmallRuns

        let largeOurs, largeJs, largeRaw, largeFloor =
            transfers plan.LargeSize plan.LargeRuns

        /// The median of a series, NaN when the case has no such series (JS reports no
        /// allocation) or there is no such case in the row.
        let med (r: (CaseResult * string) option) (suffix: string) =
            match r with
            | Some(result, name) ->
                match result.Series.TryFind(name + suffix) with
                | Some values -> median values
                | None when suffix = ".alloc" -> nan
                | None -> failwithf "no series %s%s" name suffix
            | None -> nan

        /// A figure of one implementation: its result and the name of its series.
        let at (r: CaseResult) (name: string) = Some(r, name)

        /// The rates (`Rate`), CPU per operation in the row's unit (`Cpu`) and bytes allocated
        /// per operation (`Alloc`) of ours, JS, raw and the floor, NaN where there is none.
        let figures ours js raw floor cpuScale =
            let pick suffix scale =
                {
                    Ours = med ours suffix * scale
                    Js = med js suffix * scale
                    Raw = med raw suffix * scale
                    Floor = med floor suffix * scale
                }

            {
                Rate = pick "" 1.0
                Cpu = pick ".cpu" cpuScale
                Alloc = pick ".alloc" 1.0
            }

        let show (v: float) =
            if Double.IsNaN v then "—"
            elif v >= 100.0 then v.ToString "N0"
            elif v >= 10.0 then v.ToString "N1"
            else v.ToString "N2"

        let kb (bytes: float) =
            if Double.IsNaN bytes then
                "—"
            else
                $"{bytes / 1024.0:N2} KB"

        /// One row. `raw` is the ceiling and `floor` the least work ours must do, when the case
        /// has them; `cpuUnit` and `cpuScale` turn the CPU µs per operation into what the row
        /// shows (e.g. ms per MiB). Each goal is a text and a test of the row's figures; the
        /// last cell lists the goals missed.
        let row label unit ours js raw floor cpuUnit cpuScale goals =
            let f = figures ours js raw floor cpuScale
            let peakOf = Option.map (fun (r: CaseResult, _) -> r.PeakKiB)

            let missed =
                [
                    for (text: string), ok in goals do
                        if not (ok f) then
                            yield text
                ]

            [
                label
                figure unit f.Rate.Ours
                figure unit f.Rate.Js
                figure unit f.Rate.Raw
                figure unit f.Rate.Floor
                ratio f.Rate.Ours f.Rate.Js
                percent f.Rate.Ours f.Rate.Raw
                $"{show f.Cpu.Ours} / {show f.Cpu.Js} / {show f.Cpu.Raw} / {show f.Cpu.Floor} {cpuUnit}"
                ratio f.Cpu.Ours f.Cpu.Floor
                $"{kb f.Alloc.Ours} / {kb f.Alloc.Raw} / {kb f.Alloc.Floor}"
                String.Join(" / ", [ for r in [ ours; js; raw; floor ] -> mib (peakOf r) ])
                String.Join("; ", List.map fst goals)
                (if missed.IsEmpty then
                     "met"
                 else
                     "**missed**: " + String.Join("; ", missed))
            ]

        // The goals of issue 12 (and the older ones it does not replace), as tests of a row's
        // figures; a NaN figure fails its test, so a goal without its figure shows as missed.
        let goal (text: string) (test: Figures -> bool) = text, test

        let timesJs (times: float) =
            goal $"≥ {times}× JS" (fun f -> f.Rate.Ours / f.Rate.Js >= times)

        let cpuBelowJs = goal "less CPU per MiB than JS" (fun f -> f.Cpu.Ours < f.Cpu.Js)

        let cpuTimesFloor (times: float) =
            goal $"CPU ≤ {times}× floor" (fun f -> f.Cpu.Ours / f.Cpu.Floor <= times)

        let shareOfRaw (share: int) =
            goal $"≥ {share} %% of raw" (fun f -> f.Rate.Ours / f.Rate.Raw >= float share / 100.0)

        let allocAtMost (kb: int) =
            goal $"≤ {kb} KB allocated per call" (fun f -> f.Alloc.Ours <= float kb * 1024.0)

        let smallMiB = plan.SmallSize / Pattern.MiB
        let largeMiB = plan.LargeSize / Pattern.MiB
        // flat: the peak grows by less than 16 MiB while the object grows by 3/4 of its size
        let growth (small: CaseResult) (large: CaseResult) =
            float (large.PeakKiB - small.PeakKiB) / 1024.0

        let oursGrowth = growth smallOurs largeOurs

        let signed (mib: float) =
            match Math.Round mib with
            | 0.0 -> "±0 MiB"
            | r -> $"%+.0f{r} MiB"

        let transferRows size (o, j, r, f) =
            [
                row
                    $"upload {size} MiB"
                    "MiB/s"
                    (at o "upload")
                    (at j "upload")
                    (at r "upload")
                    (at f "upload")
                    "ms/MiB"
                    0.001
                    [ timesJs 1.3; cpuBelowJs; cpuTimesFloor 1.1 ]
                row
                    $"download {size} MiB (verified)"
                    "MiB/s"
                    (at o "download")
                    (at j "download")
                    (at r "download")
                    (at f "download")
                    "ms/MiB"
                    0.001
                    [ timesJs 2.0; cpuTimesFloor 1.1 ]
            ]

        let rows =
            [
                row
                    "Hawk `Authorization` header, 1 thread"
                    "/s"
                    (at hawkOurs "headers")
                    (at hawkJs "headers")
                    None
                    (at hawkFloor "headers")
                    "µs"
                    1.0
                    [ timesJs 5.0; cpuTimesFloor 1.2 ]
                row
                    "scopes: AllOf 20 vs 10,000 held, prepared `ScopeSet`"
                    "/s"
                    (at scopesOurs "prepared")
                    (at scopesJs "satisfiesExpression")
                    None
                    None
                    "µs"
                    1.0
                    [ timesJs 5.0 ]
                row
                    "scopes: same, one-shot `Scope.satisfiesExpression` (list)"
                    "/s"
                    (at scopesOurs "one-shot")
                    (at scopesJs "satisfiesExpression")
                    None
                    None
                    "µs"
                    1.0
                    [ timesJs 5.0 ]
                row
                    "GET `queue.task`, sequential"
                    "req/s"
                    (at getOurs "sequential")
                    (at getJs "sequential")
                    (at getRaw "sequential")
                    None
                    "µs"
                    1.0
                    [ timesJs 3.0 ]
                row
                    "GET `queue.task`, 64 concurrent"
                    "req/s"
                    (at getOurs "concurrent")
                    (at getJs "concurrent")
                    (at getRaw "concurrent")
                    None
                    "µs"
                    1.0
                    [ shareOfRaw 85; allocAtMost 4 ]
                yield! transferRows smallMiB (smallOurs, smallJs, smallRaw, smallFloor)
                yield! transferRows largeMiB (largeOurs, largeJs, largeRaw, largeFloor)
                [
                    $"transfer peak memory growth, {smallMiB} → {largeMiB} MiB"
                    signed oursGrowth
                    signed (growth smallJs largeJs)
                    signed (growth smallRaw largeRaw)
                    signed (growth smallFloor largeFloor)
                    "—"
                    "—"
                    "—"
                    "—"
                    "—"
                    "—"
                    "flat (< 16 MiB)"
                    (if oursGrowth < 16.0 then
                         "met"
                     else
                         "**missed**: flat (< 16 MiB)")
                ]
            ]

        let header =
            [
                "case"
                "ours"
                "JS"
                "raw"
                "floor"
                "ours ÷ JS"
                "ours ÷ raw"
                "CPU per op (ours / JS / raw / floor)"
                "ours CPU ÷ floor"
                "allocated per op (ours / raw / floor)"
                "peak memory (ours / JS / raw / floor)"
                "goal"
                ""
            ]

        let loadAfter = loadAverage ()

        let lines =
            [
                yield "## Side by side: Taskcluster.Functional, the official JS packages, raw HttpClient, the floor"
                yield ""
                yield
                    $"""Measured {started:``yyyy-MM-dd HH:mm``} UTC with `dotnet fsi build.fsx bench{(if plan.Quick then " --quick" else "")}`, one emulator process on loopback,"""
                yield
                    "each case in a process of its own; medians of the runs. CPU per op is the case process's CPU time"
                yield "(all threads) per operation, which other work on the machine disturbs much less than the rates;"
                yield "allocated per op is the bytes the .NET case process allocated (all threads) per operation;"
                yield "peak memory is the case process's VmHWM. The floor is the least work ours must do: a keyed"
                yield "HMAC-SHA256 with the key set up once (Hawk), raw streaming plus SHA-256 and SHA-512 of the"
                yield "same bytes (transfers)."
                yield ""
                yield! [ for f in facts -> $"- {f}" ]
                yield $"- Load average (1 min): {loadBefore} at the start, {loadAfter} at the end"
                yield ""
                yield! table header rows
            ]

        printfn ""

        for l in lines do
            printfn "%s" l

        let outDir = Path.Combine(root, "artifacts", "bench")
        Directory.CreateDirectory outDir |> ignore
        let out = Path.Combine(outDir, "side-by-side.md")
        File.WriteAllLines(out, lines)
        printfn "\nWritten to %s" (Path.GetRelativePath(root, out))
        0
    finally
        if not emulator.Process.HasExited then
            emulator.Process.Kill true
            emulator.Process.WaitForExit()

        emulator.Process.Dispose()

        try
            Directory.Delete(emulator.BlobDirectory, true)
        with _ ->
            ()

[<EntryPoint>]
let main argv =
    let args = List.ofArray argv

    match option args "--case" with
    | Some case ->
        let impl = option args "--impl" |> Option.defaultValue "ours"

        let number name fallback =
            option args name |> Option.map float |> Option.defaultValue fallback

        let settings: Cases.Settings =
            {
                Runs = int (number "--runs" 5.0)
                Seconds = number "--seconds" 1.0
                Size = int64 (number "--size" (float (64L * Pattern.MiB)))
            }

        if Cases.run case impl settings then
            0
        else
            eprintfn "unknown case '%s' for '%s'" case impl
            2
    | None ->
        try
            drive args
        with e ->
            eprintfn "side-by-side benchmark failed: %s" e.Message
            1
