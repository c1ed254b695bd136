/// The F# blocks, run as one `dotnet fsi` script against the built assemblies.
module Taskcluster.Readme.Tests.FSharpRunner

open System
open System.Diagnostics
open System.IO
open System.Text
open System.Text.RegularExpressions
open Taskcluster.Readme.Tests.Snippets

/// The assemblies a snippet may use, in load order, from this program's own folder.
let assemblies =
    [
        "FsToolkit.ErrorHandling"
        "Polly.Core"
        "Microsoft.Extensions.Logging.Abstractions"
        "Json.More"
        "JsonPointer.Net"
        "JsonSchema.Net"
        "Cronos"
        "RabbitMQ.Client"
        "Taskcluster.Core"
        "Taskcluster.Client"
        "Taskcluster.Models"
        "Taskcluster.Services"
        "Taskcluster.Transfers"
        "Taskcluster.Pulse"
        "Taskcluster.Emulator"
    ]

/// The namespaces every block starts with (the README opens them in its first examples).
let defaultOpens =
    [
        "System"
        "System.Threading.Tasks"
        "Taskcluster.Core"
        "Taskcluster.Client"
        "Taskcluster.Services"
    ]

/// A block that awaits at its top level is the body of a task (README blocks show the inside of
/// a `task { }` to stay short).
let private awaits =
    Regex(@"^(let!|match!|use!|do!|and!)\s", RegexOptions.Multiline)

/// Where each block starts in the script, to map compiler messages back to README lines.
type Placement =
    {
        Snippet: Snippet
        /// The 1-based script line of the block's first line.
        FirstLine: int
        /// How far its lines were indented.
        Indent: int
    }

/// The script: references, the prelude, then each block in a module of its own (so their names
/// do not clash), run in README order. `#r` lines of a block are resolved against `repoRoot`.
let script (binDir: string) (repoRoot: string) (prelude: string) (snippets: Snippet list) =
    let out = StringBuilder()
    let mutable line = 0
    let placements = ResizeArray<Placement>()

    let emit (text: string) =
        out.Append(text).Append('\n') |> ignore
        line <- line + 1

    // The emulator needs ASP.NET Core, which fsi does not load by itself.
    let aspNet =
        Path.GetDirectoryName(typeof<Microsoft.AspNetCore.Builder.WebApplication>.Assembly.Location)

    emit $"#I @\"{aspNet}\""
    let reference (path: string) = emit ("#r @\"" + path + "\"")
    reference (Path.Combine(aspNet, "Microsoft.AspNetCore.dll"))

    // Ours and our packages' are beside this program; the ones ASP.NET Core also ships are
    // taken from the framework, as this program takes them.
    for name in assemblies do
        let local = Path.Combine(binDir, name + ".dll")

        reference (
            if File.Exists local then
                local
            else
                Path.Combine(aspNet, name + ".dll")
        )

    // A block's own `#r` lines, with the README's repository-relative paths.
    for s in snippets do
        for l in s.Code.Split '\n' do
            if l.StartsWith "#r \"" then
                let path = l.Substring(4).TrimEnd().TrimEnd('"')
                reference (Path.GetFullPath(Path.Combine(repoRoot, path)))

    // The prelude's values are seen by every block; its opens are its own.
    emit "[<AutoOpen>]"
    emit "module ReadmePrelude ="

    for l in prelude.Replace("\r\n", "\n").Split '\n' do
        emit (if l = "" then "" else "    " + l)

    emit "    let private preludeEnd = ()"

    for s in snippets do
        let lines = s.Code.Split '\n'
        let opens = lines |> Array.filter (fun l -> l.StartsWith "open ")

        emit $"// {s.Name}"
        emit $"module Snippet{s.Line} ="

        // What a README section has opened before its blocks; a block's own opens come after.
        for o in defaultOpens do
            emit $"    open {o}"

        for o in opens do
            emit ("    " + o)

        // The opens are hoisted above the body; their lines stay as blank ones, so that a
        // script line maps back to its README line.
        if awaits.IsMatch s.Code then
            emit "    let run () ="
            emit "        task {"

            placements.Add
                {
                    Snippet = s
                    FirstLine = line + 1
                    Indent = 12
                }

            for l in lines do
                if l.StartsWith "#r \"" || l.StartsWith "open " then
                    emit ""
                else
                    emit ("            " + l)

            emit "            return ()"
            emit "        }"

            if s.Mode = Run then
                emit "    run().GetAwaiter().GetResult()"
        else
            // A block that is only compiled becomes the body of a function never called.
            let indent = if s.Mode = Run then "    " else "        "

            if s.Mode <> Run then
                emit "    let compileOnly () ="

            placements.Add
                {
                    Snippet = s
                    FirstLine = line + 1
                    Indent = indent.Length
                }

            for l in lines do
                if l.StartsWith "#r \"" || l.StartsWith "open " then
                    emit ""
                else
                    emit (indent + l)

            if s.Mode <> Run then
                emit "        ()"

        if s.Mode = Run then
            emit $"printfn \"ran {s.Name}\""

    out.ToString(), List.ofSeq placements

let private diagnostic =
    Regex(@"\.fsx\((\d+),(\d+)\):\s*(error|warning)\s+(FS\d+):\s*(.*)$")

/// Rewrites `script.fsx(120,5): error FS0039: ...` as `README.md:57 (fsharp), line 3: error FS0039: ...`.
let describe (placements: Placement list) (line: string) =
    let m = diagnostic.Match line

    if not m.Success then
        line
    else
        let scriptLine = int m.Groups[1].Value

        match placements |> List.filter (fun p -> p.FirstLine <= scriptLine) |> List.tryLast with
        | Some p ->
            let inBlock = scriptLine - p.FirstLine + 1
            $"README.md:{p.Snippet.Line + inBlock} ({p.Snippet.Name}, line {inBlock}): {m.Groups[3].Value} {m.Groups[4].Value}: {m.Groups[5].Value}"
        | None -> $"the prelude, line {scriptLine}: {m.Groups[3].Value} {m.Groups[4].Value}: {m.Groups[5].Value}"

/// Runs the script with `dotnet fsi` and the environment given; the exit code and every line.
let run (scriptText: string) (environment: (string * string) list) (timeout: TimeSpan) =
    let dir = Directory.CreateTempSubdirectory "readme-snippets-"

    try
        let path = Path.Combine(dir.FullName, "snippets.fsx")
        File.WriteAllText(path, scriptText)

        let psi =
            ProcessStartInfo("dotnet", [ "fsi"; "--quiet"; "--exec"; path ], WorkingDirectory = dir.FullName)

        psi.RedirectStandardOutput <- true
        psi.RedirectStandardError <- true
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] <- "1"
        psi.Environment["DOTNET_NOLOGO"] <- "1"

        for name, value in environment do
            psi.Environment[name] <- value

        use p = new Process(StartInfo = psi)
        let lines = ResizeArray<string>()
        let gate = obj ()

        let add (e: DataReceivedEventArgs) =
            if not (isNull e.Data) then
                lock gate (fun () -> lines.Add e.Data)

        p.OutputDataReceived.Add add
        p.ErrorDataReceived.Add add
        p.Start() |> ignore
        p.BeginOutputReadLine()
        p.BeginErrorReadLine()

        // A bound, so a snippet that never ends fails the test instead of hanging it.
        if not (p.WaitForExit timeout) then
            p.Kill true
            p.WaitForExit()
            -1, List.ofSeq lines @ [ $"dotnet fsi did not finish within {timeout}" ]
        else
            p.WaitForExit()
            p.ExitCode, List.ofSeq lines
    finally
        try
            dir.Delete true
        with _ ->
            ()
