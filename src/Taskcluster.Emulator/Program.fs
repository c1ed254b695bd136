/// The command line: `taskcluster-emulator --port 0` prints one JSON line with the root URL and
/// root credentials, then a banner, and serves until SIGINT or SIGTERM.
module internal Taskcluster.Emulator.Program

open System
open System.Runtime.InteropServices
open System.Text.Json
open System.Threading

let private usage =
    """usage: taskcluster-emulator [options]

  --port N                 loopback port to bind (default 0: a free port)
  --client-id ID           root clientId (default static/taskcluster/root)
  --access-token TOKEN     root accessToken (default: a fresh random token)
  --max-body-bytes N       largest API request body (default 10485760)
  --max-blob-bytes N       largest blob upload (default 1073741824)
  --blob-dir DIR           where uploaded blobs are kept (default: a fresh temporary folder)
  --pulse-url URL          publish Pulse messages to this AMQP broker (amqp://user:pass@host:port/vhost)
  --help                   this text

The first line printed is one JSON object {"rootUrl","clientId","accessToken"} for scripts."""

let private parse (argv: string array) : Result<EmulatorOptions, string> =
    let options = EmulatorOptions()

    let rec go (args: string list) =
        match args with
        | [] -> Ok options
        | "--port" :: v :: rest ->
            match Int32.TryParse v with
            | true, p ->
                options.Port <- p
                go rest
            | _ -> Error $"--port needs a number, got '{v}'"
        | "--client-id" :: v :: rest ->
            options.RootClientId <- v
            go rest
        | "--access-token" :: v :: rest ->
            options.RootAccessToken <- v
            go rest
        | "--max-body-bytes" :: v :: rest ->
            match Int64.TryParse v with
            | true, n ->
                options.MaxRequestBodyBytes <- n
                go rest
            | _ -> Error $"--max-body-bytes needs a number, got '{v}'"
        | "--max-blob-bytes" :: v :: rest ->
            match Int64.TryParse v with
            | true, n ->
                options.MaxBlobBytes <- n
                go rest
            | _ -> Error $"--max-blob-bytes needs a number, got '{v}'"
        | "--blob-dir" :: v :: rest ->
            options.BlobDirectory <- v
            go rest
        | "--pulse-url" :: v :: rest ->
            options.PulseUrl <- v
            go rest
        | other :: _ -> Error $"unknown or incomplete option '{other}'"

    go (List.ofArray argv)

[<EntryPoint>]
let main argv =
    if argv |> Array.exists (fun a -> a = "--help" || a = "-h") then
        printfn "%s" usage
        0
    else
        match parse argv with
        | Error message ->
            eprintfn "%s\n\n%s" message usage
            2
        | Ok options ->
            match options.Validate() with
            | problems when problems.Count > 0 ->
                for p in problems do
                    eprintfn "%s" p

                2
            | _ ->
                use stop = new ManualResetEventSlim(false)

                let instance =
                    try
                        (Emulator.start options).GetAwaiter().GetResult()
                    with :? InvalidOperationException as e when not (isNull options.PulseUrl) ->
                        // the broker could not be reached: its message names it (never the password)
                        eprintfn "%s" e.Message
                        exit 1

                // registered before the first line is printed, so a script that reads the line and
                // signals at once still gets a clean stop
                use _term =
                    PosixSignalRegistration.Create(
                        PosixSignal.SIGTERM,
                        fun ctx ->
                            ctx.Cancel <- true
                            stop.Set()
                    )

                use _int =
                    PosixSignalRegistration.Create(
                        PosixSignal.SIGINT,
                        fun ctx ->
                            ctx.Cancel <- true
                            stop.Set()
                    )

                let line =
                    JsonSerializer.Serialize(
                        dict
                            [
                                "rootUrl", instance.RootUrl
                                "clientId", instance.ClientId
                                "accessToken", instance.AccessToken
                            ]
                    )

                Console.Out.WriteLine line
                Console.Out.WriteLine()

                Console.Out.WriteLine
                    "Taskcluster emulator (a test double for offline use, not a Taskcluster deployment)"

                Console.Out.WriteLine $"  root URL:     {instance.RootUrl}"
                Console.Out.WriteLine $"  clientId:     {instance.ClientId}"
                Console.Out.WriteLine "  accessToken:  (in the JSON line above)"
                Console.Out.WriteLine $"  blobs:        {instance.BlobDirectory}"

                if not (isNull options.PulseUrl) then
                    Console.Out.WriteLine "  pulse:        publishing the queue's messages to the given broker"

                Console.Out.WriteLine "  services:     all 11"

                Console.Out.WriteLine "Press Ctrl+C (or send SIGTERM) to stop."
                Console.Out.Flush()

                stop.Wait()
                instance.StopAsync().GetAwaiter().GetResult()
                Console.Out.WriteLine "Taskcluster emulator stopped."
                0
