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

        let peak (r: CaseResult) = Some r.PeakKiB

        let memory (o: CaseResult option) (j: CaseResult option) (r: CaseResult option) =
            String.Join(
                " / ",
                [
                    mib (o |> Option.bind peak)
                    mib (j |> Option.bind peak)
                    mib (r |> Option.bind peak)
                ]
            )

        let verdict ok = if ok then "met" else "**missed**"

        let versusJs (label: string) unit goal (o: float) (j: float) (mem: string) =
            [
                label
                figure unit o
                figure unit j
                "—"
                ratio o j
                "—"
                mem
                $"≥ {goal}× JS"
                verdict (o / j >= goal)
            ]

        let full (label: string) unit goal (o: float) (j: float) (r: float) (mem: string) =
            [
                label
                figure unit o
                figure unit j
                figure unit r
                ratio o j
                percent o r
                mem
                $"≥ {goal}× JS"
                verdict (o / j >= goal)
            ]

        let transferRow (label: string) (o: float) (j: float) (r: float) (mem: string) =
            [
                label
                figure "MiB/s" o
                figure "MiB/s" j
                figure "MiB/s" r
                ratio o j
                percent o r
                mem
                "≥ 90 % of raw"
                verdict (o / r >= 0.9)
            ]

        let smallMiB = plan.SmallSize / Pattern.MiB
        let largeMiB = plan.LargeSize / Pattern.MiB
        let getMem = memory (Some getOurs) (Some getJs) (Some getRaw)
        let smallMem = memory (Some smallOurs) (Some smallJs) (Some smallRaw)
        let largeMem = memory (Some largeOurs) (Some largeJs) (Some largeRaw)
        // flat: the peak grows by less than 16 MiB while the object grows by 3/4 of its size
        let growth = float (largeOurs.PeakKiB - smallOurs.PeakKiB) / 1024.0
        let jsGrowth = float (largeJs.PeakKiB - smallJs.PeakKiB) / 1024.0
        let rawGrowth = float (largeRaw.PeakKiB - smallRaw.PeakKiB) / 1024.0

        let rows =
            [
                versusJs
                    "Hawk `Authorization` headers, 1 thread"
                    "/s"
                    5.0
                    (med hawkOurs "headers")
                    (med hawkJs "headers")
                    (memory (Some hawkOurs) (Some hawkJs) None)
                versusJs
                    "scopes: AllOf 20 vs 10,000 held, prepared `ScopeSet`"
                    "/s"
                    5.0
                    (med scopesOurs "prepared")
                    (med scopesJs "satisfiesExpression")
                    (memory (Some scopesOurs) (Some scopesJs) None)
                versusJs
                    "scopes: same, one-shot `Scope.satisfiesExpression` (list)"
                    "/s"
                    5.0
                    (med scopesOurs "one-shot")
                    (med scopesJs "satisfiesExpression")
                    (memory (Some scopesOurs) (Some scopesJs) None)
                full
                    "GET `queue.task`, sequential"
                    "req/s"
                    3.0
                    (med getOurs "sequential")
                    (med getJs "sequential")
                    (med getRaw "sequential")
                    getMem
                full
                    "GET `queue.task`, 64 concurrent"
                    "req/s"
                    3.0
                    (med getOurs "concurrent")
                    (med getJs "concurrent")
                    (med getRaw "concurrent")
                    getMem
                transferRow
                    $"upload {smallMiB} MiB"
                    (med smallOurs "upload")
                    (med smallJs "upload")
                    (med smallRaw "upload")
                    smallMem
                transferRow
                    $"download {smallMiB} MiB (verified)"
                    (med smallOurs "download")
                    (med smallJs "download")
                    (med smallRaw "download")
                    smallMem
                transferRow
                    $"upload {largeMiB} MiB"
                    (med largeOurs "upload")
                    (med largeJs "upload")
                    (med largeRaw "upload")
                    largeMem
                transferRow
                    $"download {largeMiB} MiB (verified)"
                    (med largeOurs "download")
                    (med largeJs "download")
                    (med largeRaw "download")
                    largeMem
                [
                    $"transfer peak memory growth, {smallMiB} → {largeMiB} MiB"
                    $"%+.0f{growth} MiB"
                    $"%+.0f{jsGrowth} MiB"
                    $"%+.0f{rawGrowth} MiB"
                    "—"
                    "—"
                    "—"
                    "flat (< 16 MiB)"
                    verdict (growth < 16.0)
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
                yield "each case in a process of its own; medians of the runs; peak memory is the case process's VmHWM."
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
