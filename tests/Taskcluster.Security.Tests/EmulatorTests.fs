/// The emulator listens on loopback only, and refuses oversized bodies (413) and headers (431)
/// with Taskcluster-style JSON error bodies.
module Taskcluster.Security.Tests.EmulatorTests

open System
open System.Diagnostics
open System.IO
open System.Net
open System.Net.Http
open System.Net.NetworkInformation
open System.Net.Sockets
open System.Text
open System.Text.Json
open Expecto
open Taskcluster.Client
open Taskcluster.Services
open Taskcluster.Emulator
open Taskcluster.Security.Tests.Support
open Taskcluster.TestSupport

let private portOf (e: EmulatorInstance) = Uri(e.RootUrl).Port

/// Every address listening on the port.
let private listeners (port: int) =
    IPGlobalProperties.GetIPGlobalProperties().GetActiveTcpListeners()
    |> Array.filter (fun ep -> ep.Port = port)
    |> Array.map (fun ep -> ep.Address)

/// This machine's addresses that are not loopback.
let private externalAddresses () =
    NetworkInterface.GetAllNetworkInterfaces()
    |> Seq.collect (fun n -> n.GetIPProperties().UnicastAddresses)
    |> Seq.map (fun a -> a.Address)
    |> Seq.filter (fun a -> not (IPAddress.IsLoopback a) && a.AddressFamily = AddressFamily.InterNetwork)
    |> List.ofSeq

let private expectLoopbackOnly (e: EmulatorInstance) =
    let host = Uri(e.RootUrl).Host
    Expect.equal host "127.0.0.1" "the root URL is on loopback"
    let bound = listeners (portOf e)
    Expect.isNonEmpty bound "the port is listening"

    for a in bound do
        Expect.isTrue (IPAddress.IsLoopback a) $"bound to {a}"

    for a in externalAddresses () do
        use socket =
            new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp)

        let connected =
            try
                socket.ConnectAsync(IPEndPoint(a, portOf e)).Wait(TimeSpan.FromSeconds 2.0)
                && socket.Connected
            with _ ->
                false

        Expect.isFalse connected $"reachable on {a}"

/// A Taskcluster error body: `{"code": …, "message": …}`.
let private expectErrorBody (text: string) (code: string) =
    use doc =
        try
            JsonDocument.Parse text
        with ex ->
            failtestf "not a JSON error body (%s): %s" ex.Message text

    Expect.equal (doc.RootElement.GetProperty("code").GetString()) code "code"
    Expect.isNonEmpty (doc.RootElement.GetProperty("message").GetString()) "message"

let tests =
    testList
        "The emulator's exposure"
        [
            test "it binds to loopback only" { expectLoopbackOnly (emulator.Force()) }

            testSequenced
            <| test "hosting settings asking for every interface are ignored" {
                let names = [ "ASPNETCORE_URLS"; "URLS"; "DOTNET_URLS"; "ASPNETCORE_HTTP_PORTS" ]
                let saved = names |> List.map (fun n -> n, Environment.GetEnvironmentVariable n)

                try
                    for n in names do
                        Environment.SetEnvironmentVariable(
                            n,
                            if n.EndsWith "PORTS" then
                                "0"
                            else
                                "http://0.0.0.0:0;http://[::]:0"
                        )

                    use e = (Emulator.start (EmulatorOptions())).GetAwaiter().GetResult()
                    expectLoopbackOnly e
                finally
                    for n, v in saved do
                        Environment.SetEnvironmentVariable(n, v)
            }

            test "the command line has no way to bind elsewhere" {
                let dll =
                    Path.Combine(
                        RepoRoot.find (),
                        "src",
                        "Taskcluster.Emulator",
                        "bin",
                        "Release",
                        "net10.0",
                        "Taskcluster.Emulator.dll"
                    )

                Expect.isTrue (File.Exists dll) "the emulator is built"

                for args in
                    [
                        [ "--host"; "0.0.0.0" ]
                        [ "--urls"; "http://0.0.0.0:0" ]
                        [ "--bind"; "0.0.0.0" ]
                    ] do
                    let psi = ProcessStartInfo("dotnet", dll :: args)
                    psi.RedirectStandardOutput <- true
                    psi.RedirectStandardError <- true
                    use p = Process.Start psi
                    let finished = p.WaitForExit 30_000

                    if not finished then
                        p.Kill true

                    Expect.isTrue finished $"{args} exits"
                    Expect.equal p.ExitCode 2 $"{args} is refused"
            }

            test "an oversized API body gets 413 with a JSON error body, and the client a typed error" {
                use e =
                    (Emulator.start (EmulatorOptions(MaxRequestBodyBytes = 16L * 1024L))).GetAwaiter().GetResult()

                let handler = new RecordingHandler()
                let client = createClient (optionsWith e handler)
                let big = String('x', 64 * 1024)

                let payload =
                    Payload.Text $"""{{"secret":{{"x":"{big}"}},"expires":"2100-01-01T00:00:00.000Z"}}"""

                match Secrets(client).Set("security/big", payload) |> run with
                | Error(TaskclusterError.ClientError err) ->
                    Expect.equal err.Status 413 "status"
                    Expect.equal err.Code (Some "InputTooLarge") "code"
                | other -> failtestf "expected a 413 ClientError, got %A" other

                let answer = handler.Exchanges |> List.last
                Expect.equal answer.Status (Some 413) "413 on the wire"
                expectErrorBody answer.ResponseBody.Value "InputTooLarge"
                Expect.isEmpty e.State.SecretNames "nothing stored"
            }

            test "an oversized blob upload gets 413 with a JSON error body" {
                use e =
                    (Emulator.start (EmulatorOptions(MaxBlobBytes = 32L * 1024L))).GetAwaiter().GetResult()

                let handler = new RecordingHandler()
                let client = createClient (optionsWith e handler)
                let objects = ObjectApi.ofService (Object client)

                let result =
                    Transfer.uploadFromBuf
                        objects
                        Transfer.defaults
                        (Transfer.uploadRequest "security" "security/too-big" (expires ()))
                        (ReadOnlyMemory(Array.zeroCreate<byte> (100 * 1024)))
                        Threading.CancellationToken.None
                    |> run

                Expect.equal (result |> Result.mapError (fun e -> e.Status)) (Error(Some 413)) "a 413 error"

                let put =
                    handler.Exchanges
                    |> List.find (fun x -> x.Method = "PUT" && x.Url.Contains "/__blobs/")

                Expect.equal put.Status (Some 413) "413 on the wire"
                expectErrorBody put.ResponseBody.Value "413"
            }

            test "oversized headers get 431 with a JSON error body" {
                let e = emulator.Force()
                use http = new HttpClient()

                for target in [ "/api/queue/v1/ping"; "/api/secrets/v1/secret/x"; "/__blobs/x"; "/nowhere" ] do
                    use request = new HttpRequestMessage(HttpMethod.Get, e.RootUrl + target)

                    request.Headers.TryAddWithoutValidation("X-Padding", String('p', 40 * 1024))
                    |> ignore

                    use response = http.SendAsync request |> run
                    Expect.equal (int response.StatusCode) 431 $"{target}: status"
                    let text = response.Content.ReadAsStringAsync() |> run
                    expectErrorBody text "RequestHeaderFieldsTooLarge"

                // just under the limit is served
                use request =
                    new HttpRequestMessage(HttpMethod.Get, e.RootUrl + "/api/queue/v1/ping")

                request.Headers.TryAddWithoutValidation("X-Padding", String('p', 30 * 1024))
                |> ignore

                use response = http.SendAsync request |> run
                Expect.equal (int response.StatusCode) 200 "under the limit"
            }

            test "through the client, oversized headers are a typed 431 error" {
                let e = emulator.Force()
                let handler = new RecordingHandler()
                // a trace id is the one header a caller controls
                let client =
                    createClient (
                        { optionsWith e handler with
                            TraceId = Some(String('t', 40 * 1024))
                        }
                    )

                match Queue(client).Ping() |> run with
                | Error(TaskclusterError.ClientError err) ->
                    Expect.equal err.Status 431 "status"
                    Expect.equal err.Code (Some "RequestHeaderFieldsTooLarge") "code"
                | other -> failtestf "expected a 431 ClientError, got %A" other
            }
        ]
