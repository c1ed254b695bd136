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

type private Marker = class end

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
        let rec up (dir: DirectoryInfo) =
            if isNull dir then
                failwith "the repository root was not found: pass --root"
            elif File.Exists(Path.Combine(dir.FullName, "Taskcluster.Functional.sln")) then
                dir.FullName
            else
                up dir.Parent

        up (DirectoryInfo AppContext.BaseDirectory)

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
            o, j, r

        let smallOurs, smallJs, smallRaw = transfers plan.SmallSize plan.SmallRuns
        let largeOurs, largeJs, largeRaw = transfers plan.LargeSize plan.LargeRuns

        let med (r: CaseResult) name =
            match r.Series.TryFind name with
            | Some values -> median values
            | None -> failwithf "no series %s" name

        let verdict ok = if ok then "met" else "**missed**"

        /// A figure of one implementation: its result and the name of its series.
        let at (r: CaseResult) (name: string) = r, name

        /// One row. `raw` is the ceiling, when the case has one; `cpuUnit` and `cpuScale` turn
        /// the CPU µs per operation into what the row shows (e.g. ms per MiB).
        let row
            (label: string)
            (unit: string)
            (ours: CaseResult * string)
            (js: CaseResult * string)
            (raw: (CaseResult * string) option)
            (cpuUnit: string)
            (cpuScale: float)
            (goal: string)
            (met: float -> float -> float -> bool)
            =
            let rate (r, n) = med r n
            let cpuOf (r, n) = med r (n + ".cpu") * cpuScale
            let o, j = rate ours, rate js
            let rr = raw |> Option.map rate |> Option.defaultValue nan
            let oc, jc = cpuOf ours, cpuOf js
            let rc = raw |> Option.map cpuOf |> Option.defaultValue nan

            let cpuCell =
                let show (v: float) =
                    if Double.IsNaN v then "—"
                    elif v >= 100.0 then v.ToString "N0"
                    elif v >= 10.0 then v.ToString "N1"
                    else v.ToString "N2"

                $"{show oc} / {show jc} / {show rc} {cpuUnit}"

            let peakOf (r: CaseResult, _) = Some r.PeakKiB

            [
                label
                figure unit o
                figure unit j
                figure unit rr
                ratio o j
                percent o rr
                cpuCell
                String.Join(" / ", [ mib (peakOf ours); mib (peakOf js); mib (raw |> Option.bind peakOf) ])
                goal
                verdict (met o j rr)
            ]

        let versusJs goal =
            fun (o: float) (j: float) (_: float) -> o / j >= goal

        let versusRaw = fun (o: float) (_: float) (r: float) -> o / r >= 0.9
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

        let transferRows size (o, j, r) =
            [
                row
                    $"upload {size} MiB"
                    "MiB/s"
                    (at o "upload")
                    (at j "upload")
                    (Some(at r "upload"))
                    "ms/MiB"
                    0.001
                    "≥ 90 % of raw"
                    versusRaw
                row
                    $"download {size} MiB (verified)"
                    "MiB/s"
                    (at o "download")
                    (at j "download")
                    (Some(at r "download"))
                    "ms/MiB"
                    0.001
                    "≥ 90 % of raw"
                    versusRaw
            ]

        let rows =
            [
                row
                    "Hawk `Authorization` header, 1 thread"
                    "/s"
                    (at hawkOurs "headers")
                    (at hawkJs "headers")
                    None
                    "µs"
                    1.0
                    "≥ 5× JS"
                    (versusJs 5.0)
                row
                    "scopes: AllOf 20 vs 10,000 held, prepared `ScopeSet`"
                    "/s"
                    (at scopesOurs "prepared")
                    (at scopesJs "satisfiesExpression")
                    None
                    "µs"
                    1.0
                    "≥ 5× JS"
                    (versusJs 5.0)
                row
                    "scopes: same, one-shot `Scope.satisfiesExpression` (list)"
                    "/s"
                    (at scopesOurs "one-shot")
                    (at scopesJs "satisfiesExpression")
                    None
                    "µs"
                    1.0
                    "≥ 5× JS"
                    (versusJs 5.0)
                row
                    "GET `queue.task`, sequential"
                    "req/s"
                    (at getOurs "sequential")
                    (at getJs "sequential")
                    (Some(at getRaw "sequential"))
                    "µs"
                    1.0
                    "≥ 3× JS"
                    (versusJs 3.0)
                row
                    "GET `queue.task`, 64 concurrent"
                    "req/s"
                    (at getOurs "concurrent")
                    (at getJs "concurrent")
                    (Some(at getRaw "concurrent"))
                    "µs"
                    1.0
                    "≥ 3× JS"
                    (versusJs 3.0)
                yield! transferRows smallMiB (smallOurs, smallJs, smallRaw)
                yield! transferRows largeMiB (largeOurs, largeJs, largeRaw)
                [
                    $"transfer peak memory growth, {smallMiB} → {largeMiB} MiB"
                    signed oursGrowth
                    signed (growth smallJs largeJs)
                    signed (growth smallRaw largeRaw)
                    "—"
                    "—"
                    "—"
                    "—"
                    "flat (< 16 MiB)"
                    verdict (oursGrowth < 16.0)
                ]
            ]

        let header =
            [
                "case"
                "ours"
                "JS"
                "raw"
                "ours ÷ JS"
                "ours ÷ raw"
                "CPU per op (ours / JS / raw)"
                "peak memory (ours / JS / raw)"
                "goal"
                ""
            ]

        let loadAfter = loadAverage ()

        let lines =
            [
                yield "## Side by side: Taskcluster.Functional, the official JS packages, raw HttpClient"
                yield ""
                yield
                    $"""Measured {started:``yyyy-MM-dd HH:mm``} UTC with `dotnet fsi build.fsx bench{(if plan.Quick then " --quick" else "")}`, one emulator process on loopback,"""
                yield
                    "each case in a process of its own; medians of the runs. CPU per op is the case process's CPU time"
                yield "(all threads) per operation, which other work on the machine disturbs much less than the rates;"
                yield "peak memory is the case process's VmHWM."
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
