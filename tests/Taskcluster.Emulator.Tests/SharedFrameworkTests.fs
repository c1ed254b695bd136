/// Finding ASP.NET Core for hosts that do not load it (scripts, notebooks), and the typed error
/// when it is not installed, over fake .NET installations in temporary folders.
module Taskcluster.Emulator.Tests.SharedFrameworkTests

open System
open System.IO
open System.Threading
open Expecto
open Taskcluster.Emulator
open Taskcluster.Emulator.Internal

/// A fake .NET installation: `shared/Microsoft.NETCore.App/<runtime>` plus the ASP.NET Core
/// versions given (each an empty folder). Returns its root and the runtime's folder.
let private installation (runtime: string) (aspNetCore: string list) =
    let root =
        Path.Combine(Path.GetTempPath(), "tc-emulator-fx-" + Guid.NewGuid().ToString("N"))

    let runtimeDirectory =
        Path.Combine(root, "shared", "Microsoft.NETCore.App", runtime)

    Directory.CreateDirectory runtimeDirectory |> ignore

    for v in aspNetCore do
        Directory.CreateDirectory(Path.Combine(root, "shared", "Microsoft.AspNetCore.App", v))
        |> ignore

    root, runtimeDirectory + string Path.DirectorySeparatorChar

let private cleanUp (root: string) =
    if Directory.Exists root then
        Directory.Delete(root, true)

let tests =
    testList
        "SharedFramework"
        [
            test "the framework of the runtime's own version is picked, else the newest of its major version" {
                Expect.equal
                    (SharedFramework.pickVersion "10.0.2" [ "10.0.1"; "10.0.2"; "10.0.3" ])
                    (Some "10.0.2")
                    "same version"

                Expect.equal
                    (SharedFramework.pickVersion "10.0.2" [ "9.0.9"; "10.0.1"; "10.0.3"; "11.0.0" ])
                    (Some "10.0.3")
                    "newest 10.x"

                Expect.equal (SharedFramework.pickVersion "10.0.2" [ "9.0.9"; "11.0.0" ]) None "no 10.x"
            }

            test "an installed framework is found beside the runtime" {
                let root, runtime = installation "10.0.2" [ "9.0.4"; "10.0.2" ]

                try
                    match SharedFramework.locate false runtime with
                    | Ok(SharedFramework.Folder folder) ->
                        Expect.equal
                            folder
                            (Path.Combine(root, "shared", "Microsoft.AspNetCore.App", "10.0.2"))
                            "the 10.0.2 folder"
                    | other -> failtestf "expected the folder, got %A" other
                finally
                    cleanUp root
            }

            test "a host that holds the framework needs no folder" {
                let root, runtime = installation "10.0.2" []

                try
                    Expect.equal (SharedFramework.locate true runtime) (Ok SharedFramework.Host) "host"

                    let trusted =
                        String.Join(
                            string Path.PathSeparator,
                            [ "/x/System.Runtime.dll"; "/y/Microsoft.AspNetCore.dll" ]
                        )

                    Expect.isTrue (SharedFramework.trusts trusted) "on the trusted list"
                    Expect.isFalse (SharedFramework.trusts "/x/System.Runtime.dll") "not on it"
                    Expect.isFalse (SharedFramework.trusts "") "empty list"
                finally
                    cleanUp root
            }

            test "no framework of the runtime's major version is Missing, naming the version and the folder" {
                for others in [ []; [ "9.0.4"; "11.0.0" ] ] do
                    let root, runtime = installation "10.0.2" others

                    try
                        match SharedFramework.locate false runtime with
                        | Error missing ->
                            Expect.equal missing.RuntimeVersion "10.0.2" "runtime"
                            Expect.equal missing.MajorVersion 10 "major"

                            Expect.equal
                                missing.SearchedFolder
                                (Path.Combine(root, "shared", "Microsoft.AspNetCore.App"))
                                "folder"
                        | Ok found -> failtestf "found %A among %A" found others
                    finally
                        cleanUp root
            }

            testCaseTask
                "starting without the framework fails with the typed error, not FileNotFoundException"
                (fun () ->
                    task {
                        let root, runtime = installation "10.0.2" []

                        try
                            let! outcome =
                                task {
                                    try
                                        let! instance =
                                            Emulator.startOn false runtime (EmulatorOptions()) CancellationToken.None

                                        do! instance.StopAsync()
                                        return None
                                    with e ->
                                        return Some e
                                }

                            match outcome with
                            | Some(:? AspNetCoreRuntimeMissingException as e) ->
                                Expect.equal e.Framework "Microsoft.AspNetCore.App" "framework"
                                Expect.equal e.MajorVersion 10 "major"
                                Expect.equal e.RuntimeVersion "10.0.2" "runtime"

                                for part in
                                    [
                                        "Microsoft.AspNetCore.App 10.x"
                                        "10.0.2"
                                        Path.Combine(root, "shared", "Microsoft.AspNetCore.App")
                                        "Install the ASP.NET Core Runtime 10.0"
                                    ] do
                                    Expect.stringContains
                                        e.Message
                                        part
                                        "the message says what is missing and how to fix it"
                            | Some e -> failtestf "expected AspNetCoreRuntimeMissingException, got %O" e
                            | None -> failtest "the emulator started without ASP.NET Core"
                        finally
                            cleanUp root
                    })
        ]
