/// Our packages, packed afresh for the notebooks' run: a unique prerelease version in a
/// temporary folder, so that no cached copy of an older package can stand in for a broken one.
module Taskcluster.Notebooks.Tests.Packages

open System
open System.Diagnostics
open System.IO
open System.Text
open Taskcluster.TestSupport

/// The repository's root: the folder holding Taskcluster.Functional.sln above this program.
let root = RepoRoot.find ()

/// The notebooks' folder.
let notebooks = Path.Combine(root, "scripts", "notebooks")

/// What the notebooks load, with what those depend on (the Services bring Client and Models).
let projects =
    [ "Core"; "Client"; "Models"; "Services"; "Transfers"; "Emulator"; "Testing" ]
    |> List.map (fun p -> Path.Combine(root, "src", $"Taskcluster.{p}", $"Taskcluster.{p}.fsproj"))

/// A finished process: its exit code and its interleaved output.
type Finished = { ExitCode: int; Output: string }

/// Runs a program to its end; `environment` entries are added to (or override) ours. A run that
/// outlives `limit` is killed and reported as a failure (a hang guard, not a timing assertion).
let runProcess
    (exe: string)
    (args: string list)
    (workingDirectory: string)
    (environment: (string * string) list)
    (limit: TimeSpan)
    =
    let psi =
        ProcessStartInfo(exe, args, WorkingDirectory = workingDirectory, UseShellExecute = false)

    psi.RedirectStandardOutput <- true
    psi.RedirectStandardError <- true
    psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] <- "1"
    psi.Environment["DOTNET_NOLOGO"] <- "1"

    for name, value in environment do
        psi.Environment[name] <- value

    use p = new Process(StartInfo = psi)
    let output = StringBuilder()
    let gate = obj ()

    let add (e: DataReceivedEventArgs) =
        if not (isNull e.Data) then
            lock gate (fun () -> output.AppendLine e.Data |> ignore)

    p.OutputDataReceived.Add add
    p.ErrorDataReceived.Add add
    p.Start() |> ignore
    p.BeginOutputReadLine()
    p.BeginErrorReadLine()

    if p.WaitForExit limit then
        p.WaitForExit()

        {
            ExitCode = p.ExitCode
            Output = lock gate (fun () -> output.ToString())
        }
    else
        p.Kill true
        p.WaitForExit()

        {
            ExitCode = -1
            Output =
                lock gate (fun () -> output.ToString())
                + $"\n(killed: still running after {limit})"
        }

/// The user's global packages folder: a valid local feed for the third-party dependencies
/// (restored there by the solution's own restore), so the notebooks never ask a registry.
let globalPackages =
    match Environment.GetEnvironmentVariable "NUGET_PACKAGES" with
    | null
    | "" -> Path.Combine(Environment.GetFolderPath Environment.SpecialFolder.UserProfile, ".nuget", "packages")
    | folder -> folder

/// A packed set: its version, the folder of .nupkg files and a scratch folder for the run.
type Packed =
    {
        Version: string
        Feed: string
        Scratch: string
    }

/// Packs every project (from their Release builds: `build.fsx test` builds the solution first)
/// with a version unique to this run. Fails with the tool's output when a pack fails.
let pack () : Packed =
    let stamp = DateTime.UtcNow.ToString "yyyyMMddHHmmss"
    let version = $"0.1.0-nb{stamp}{Environment.ProcessId}"

    let scratch =
        Path.Combine(Path.GetTempPath(), $"taskcluster-notebooks-{Guid.NewGuid():N}")

    let feed = Path.Combine(scratch, "feed")
    Directory.CreateDirectory feed |> ignore

    for project in projects do
        let result =
            runProcess
                "dotnet"
                [
                    "pack"
                    project
                    "-c"
                    "Release"
                    "--no-build"
                    "-nologo"
                    "-v:q"
                    $"-p:Version={version}"
                    // Validation and symbols are `build.fsx pack`'s business; here they only cost time.
                    "-p:EnablePackageValidation=false"
                    "-p:IncludeSymbols=false"
                    "-o"
                    feed
                ]
                root
                []
                (TimeSpan.FromMinutes 5.0)

        if result.ExitCode <> 0 then
            failwith
                $"dotnet pack {Path.GetFileName project} failed ({result.ExitCode}); is the Release build there?\n{result.Output}"

    {
        Version = version
        Feed = feed
        Scratch = scratch
    }

/// Packed once for every notebook of the run.
let packed = lazy (pack ())

/// A nuget.config that knows only the fresh packages and the global packages folder.
let nugetConfig (feed: string) =
    $"""<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <clear />
    <add key="fresh" value="{feed}" />
    <add key="global-packages-folder" value="{globalPackages}" />
  </packageSources>
</configuration>
"""
