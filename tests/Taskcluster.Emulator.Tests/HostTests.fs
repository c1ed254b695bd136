/// Starting and stopping: F#, the C#-shaped API, options and the command line.
module Taskcluster.Emulator.Tests.HostTests

open System
open System.Diagnostics
open System.IO
open System.Text.Json.Nodes
open System.Threading.Tasks
open Expecto
open Taskcluster.Emulator
open Taskcluster.Emulator.Tests.Harness

/// The emulator's own build output (for running it as a program).
let private emulatorDll () =
    let here = Path.GetDirectoryName(typeof<EmulatorOptions>.Assembly.Location)
    let local = Path.Combine(here, "Taskcluster.Emulator.dll")

    if File.Exists(Path.Combine(here, "Taskcluster.Emulator.runtimeconfig.json")) then
        local
    else
        // tests/X/bin/<config>/<tfm> -> src/Taskcluster.Emulator/bin/<config>/<tfm>
        let tfm = DirectoryInfo(here)
        let config = tfm.Parent
        let root = config.Parent.Parent.Parent.Parent.FullName
        Path.Combine(root, "src", "Taskcluster.Emulator", "bin", config.Name, tfm.Name, "Taskcluster.Emulator.dll")

/// Types that leak F# into the C# surface.
let private isFSharpType (t: Type) =
    let rec check (t: Type) =
        (not (isNull t.Namespace) && t.Namespace.StartsWith "Microsoft.FSharp")
        || (t.IsGenericType && t.GetGenericArguments() |> Array.exists check)
        || (t.HasElementType && check (t.GetElementType()))

    check t

let tests =
    testList
        "Host"
        [
            testCaseTask "the F# API starts on loopback, reports its root URL and stops" (fun () ->
                task {
                    let options =
                        EmulatorOptions(RootClientId = "my/root", RootAccessToken = "my-root-token")

                    let! e = Emulator.start options
                    Expect.stringStarts e.RootUrl "http://127.0.0.1:" "loopback root URL"
                    Expect.equal e.ClientId "my/root" "root clientId"
                    let c = Signer.creds "my/root" "my-root-token"
                    let! r = sendTo (Header c) "GET" $"{e.RootUrl}/api/auth/v1/scopes/current" None
                    expectStatus r 200
                    Expect.equal (e.State.Requests |> Seq.last).Method "currentScopes" "requests are recorded"
                    do! e.StopAsync()
                    do! e.StopAsync()

                    let! failed =
                        task {
                            try
                                let! _ = sendTo (Header c) "GET" $"{e.RootUrl}/api/auth/v1/scopes/current" None
                                return false
                            with :? Net.Http.HttpRequestException ->
                                return true
                        }

                    Expect.isTrue failed "stopped"
                })
            testCaseTask "the C# entry point starts with defaults and cleans its blob folder" (fun () ->
                task {
                    let! e = TaskclusterEmulator.StartAsync()
                    let dir = e.BlobDirectory
                    Expect.isTrue (Directory.Exists dir) "blob folder"
                    let! r = sendTo NoAuth "GET" $"{e.RootUrl}/api/auth/v1/ping" None
                    expectStatus r 200
                    do! (e :> IAsyncDisposable).DisposeAsync()
                    Expect.isFalse (Directory.Exists dir) "blob folder deleted"
                })
            test "the public surface is usable from C#: no F# types in any public signature" {
                let offenders =
                    [
                        for t in typeof<EmulatorOptions>.Assembly.GetExportedTypes() do
                            for m in
                                t.GetMethods(
                                    Reflection.BindingFlags.Public
                                    ||| Reflection.BindingFlags.Instance
                                    ||| Reflection.BindingFlags.Static
                                    ||| Reflection.BindingFlags.DeclaredOnly
                                ) do
                                let types = m.ReturnType :: [ for p in m.GetParameters() -> p.ParameterType ]

                                if types |> List.exists isFSharpType then
                                    $"{t.Name}.{m.Name}"
                    ]

                Expect.isEmpty offenders "F# types in public signatures"
            }
            test "the public surface is what users need: nothing internal, the F# entry point hidden from C#" {
                let exported =
                    typeof<EmulatorOptions>.Assembly.GetExportedTypes()
                    |> Array.map _.FullName
                    |> Array.sort
                    |> List.ofArray

                Expect.equal
                    exported
                    [
                        "Taskcluster.Emulator.AspNetCoreRuntimeMissingException"
                        "Taskcluster.Emulator.Emulator"
                        "Taskcluster.Emulator.EmulatorAzureAccount"
                        "Taskcluster.Emulator.EmulatorInstance"
                        "Taskcluster.Emulator.EmulatorOptions"
                        "Taskcluster.Emulator.EmulatorState"
                        "Taskcluster.Emulator.Fault"
                        "Taskcluster.Emulator.FaultInjector"
                        "Taskcluster.Emulator.FaultTarget"
                        "Taskcluster.Emulator.RecordedGithubComment"
                        "Taskcluster.Emulator.RecordedGithubStatus"
                        "Taskcluster.Emulator.RecordedNotification"
                        "Taskcluster.Emulator.RecordedRequest"
                        "Taskcluster.Emulator.TaskclusterEmulator"
                    ]
                    "exported types"

                let fsharpModule =
                    typeof<EmulatorOptions>.Assembly.GetType("Taskcluster.Emulator.Emulator")

                let browsable =
                    fsharpModule.GetCustomAttributes(typeof<ComponentModel.EditorBrowsableAttribute>, false)
                    |> Array.map (fun a -> (a :?> ComponentModel.EditorBrowsableAttribute).State)

                Expect.equal
                    browsable
                    [| ComponentModel.EditorBrowsableState.Never |]
                    "Emulator.start is not offered to C#"
            }
            test "invalid options are refused" {
                Expect.throwsT<ArgumentException>
                    (fun () -> (Emulator.start (EmulatorOptions(Port = -1))).GetAwaiter().GetResult() |> ignore)
                    "port"

                Expect.isNonEmpty (EmulatorOptions(MaxPageSize = 0).Validate()) "page size"
            }
            testCaseTask "state can be seeded and inspected" (fun () ->
                task {
                    use e = (Emulator.start (EmulatorOptions())).GetAwaiter().GetResult()
                    e.State.CreateRole("thing/*", [ "granted:<..>" ])
                    Expect.contains (e.State.ExpandScopes [ "assume:thing/x" ]) "granted:x" "role applied"
                    e.State.CreateClient("seeded", "seeded-token", [ "assume:thing/y" ])
                    Expect.contains e.State.ClientIds "seeded" "listed"

                    Expect.throwsT<ArgumentException>
                        (fun () -> e.State.CreateRole("loop", [ "assume:loop" ]))
                        "cycle refused"
                })
            testCaseTask "the command line prints one JSON line, a banner, and stops on SIGTERM" (fun () ->
                task {
                    let psi = ProcessStartInfo("dotnet", [ emulatorDll (); "--port"; "0" ])
                    psi.RedirectStandardOutput <- true
                    psi.UseShellExecute <- false
                    use p = Process.Start psi
                    let! first = p.StandardOutput.ReadLineAsync()
                    let json = JsonNode.Parse first
                    let rootUrl = string json.["rootUrl"]
                    Expect.stringStarts rootUrl "http://127.0.0.1:" "rootUrl"
                    let c = Signer.creds (string json.["clientId"]) (string json.["accessToken"])
                    let! r = sendTo (Header c) "GET" $"{rootUrl}/api/auth/v1/scopes/current" None
                    expectStatus r 200
                    let! banner = p.StandardOutput.ReadLineAsync()
                    Expect.equal banner "" "blank line before the banner"
                    let! title = p.StandardOutput.ReadLineAsync()
                    Expect.stringContains title "test double" "banner"
                    Process.Start("kill", [ "-TERM"; string p.Id ]).WaitForExit()
                    let exited = p.WaitForExit 15_000
                    Expect.isTrue exited "stopped on SIGTERM"
                    Expect.equal p.ExitCode 0 "clean exit"
                })
        ]
