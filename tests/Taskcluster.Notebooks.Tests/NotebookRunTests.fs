/// Every notebook script run with `dotnet fsi` the way a notebook loads our packages:
/// `#r "nuget: ..."` against the freshly packed packages, through a nuget.config that knows no
/// registry, with a private package cache.
module Taskcluster.Notebooks.Tests.NotebookRunTests

open System
open System.IO
open System.Text.RegularExpressions
open Expecto
open Taskcluster.Notebooks
open Taskcluster.Notebooks.Tests.Packages

/// `#r "nuget: Taskcluster.Functional.X, <version>"` lines: the version is the one packed.
let private ourReference =
    Regex(@"(#r\s+""nuget:\s*Taskcluster\.Functional[A-Za-z.]*)\s*,\s*[^""]*""")

/// The script with our package references pinned to `version`.
let pinned (version: string) (script: string) =
    ourReference.Replace(script, (fun m -> $"{m.Groups[1].Value}, {version}\""))

/// Runs `script` (text) as `name` in a folder of its own under the packed set's scratch folder.
let runScript (packed: Packed) (name: string) (script: string) =
    let folder = Path.Combine(packed.Scratch, Path.GetFileNameWithoutExtension name)
    Directory.CreateDirectory folder |> ignore
    File.WriteAllText(Path.Combine(folder, "nuget.config"), nugetConfig packed.Feed)
    File.WriteAllText(Path.Combine(folder, name), script)

    runProcess
        "dotnet"
        [ "fsi"; name ]
        folder
        [ "NUGET_PACKAGES", Path.Combine(packed.Scratch, "packages") ]
        (TimeSpan.FromMinutes 10.0)

let private notebookTest (script: string) =
    let name = Path.GetFileName script

    test name {
        let text = File.ReadAllText script
        Expect.isTrue (ourReference.IsMatch text) $"{name} loads none of our packages with #r \"nuget: ...\""
        let packed = packed.Force()
        let result = runScript packed name (pinned packed.Version text)
        Expect.equal result.ExitCode 0 $"dotnet fsi {name} failed:\n{result.Output}"
    }

let tests =
    testList
        "Notebooks"
        [
            test "our package references are pinned to the packed version, nothing else changes" {
                let script =
                    "#r \"nuget: Taskcluster.Functional.Emulator, 0.1.0\"\n#r \"nuget: FsCheck, 3.6.0\"\n#r \"nuget:Taskcluster.Functional.Core,1.0\"\n"

                Expect.equal
                    (pinned "9.9.9-x" script)
                    "#r \"nuget: Taskcluster.Functional.Emulator, 9.9.9-x\"\n#r \"nuget: FsCheck, 3.6.0\"\n#r \"nuget:Taskcluster.Functional.Core, 9.9.9-x\"\n"
                    "pinned"
            }

            test "a script that fails is reported as failed" {
                let scratch =
                    {
                        Version = "0.0.0"
                        Feed = Path.GetTempPath()
                        Scratch = Path.Combine(Path.GetTempPath(), $"taskcluster-notebooks-{Guid.NewGuid():N}")
                    }

                try
                    let result =
                        runScript
                            scratch
                            "broken.fsx"
                            "printfn \"before\"\nfailwith<unit> \"this notebook is broken\"\n"

                    Expect.notEqual result.ExitCode 0 "exit code"
                    Expect.stringContains result.Output "this notebook is broken" "the failure is in the output"
                finally
                    Directory.Delete(scratch.Scratch, true)
            }

            testSequenced (testList "run" [ for script in Ipynb.scripts notebooks -> notebookTest script ])
        ]
