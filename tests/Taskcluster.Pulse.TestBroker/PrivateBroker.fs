namespace Taskcluster.Pulse.TestBroker

open System
open System.Diagnostics
open System.IO
open System.Net
open System.Net.Sockets
open System.Security.Cryptography
open System.Text
open System.Threading
open System.Threading.Tasks

/// Why a private broker could not be started or driven: the command and what it printed.
exception BrokerException of message: string with
    override this.Message = this.message

/// A program run to completion: its exit code and everything it printed.
type internal Completed = { ExitCode: int; Output: string }

/// A client connection as the broker lists it.
[<Sealed>]
type BrokerConnection internal (pid: string, user: string, name: string) =
    /// The broker's process id of the connection, which `rabbitmqctl close_connection` takes.
    member _.Pid = pid
    /// The user the client logged in as.
    member _.User = user
    /// The connection's name (its client and broker addresses).
    member _.Name = name

/// A RabbitMQ broker of its own for a test run: Debian's `rabbitmq-server` started through the
/// package's own start script (which runs as the caller, unlike the one on the PATH), with its
/// data, logs, configuration, Erlang cookie and `epmd` in a temporary folder on free ports, so
/// nothing system-wide is used and no two runs share anything. Dispose it to stop the broker and
/// its `epmd` and delete the folder.
[<Sealed; AllowNullLiteral>]
type PrivateBroker
    internal
    (
        folder: string,
        nodeName: string,
        amqpPort: int,
        sbin: string,
        environment: (string * string) list,
        broker: Process,
        epmd: Process,
        brokerOutput: StringBuilder
    ) =
    let mutable disposed = 0
    // A restart replaces the broker's process (on the same ports, node and data).
    let mutable broker = broker

    static let startupTimeout = TimeSpan.FromMinutes 2.0

    // A hang guard, not an expectation: each `rabbitmqctl` boots an Erlang VM, which takes well
    // over a minute on a machine as overloaded as shared CI runners can be.
    static let ctlTimeout = TimeSpan.FromMinutes 4.0

    static let freePort () =
        use listener = new TcpListener(IPAddress.Loopback, 0)
        listener.Start()
        let port = (listener.LocalEndpoint :?> IPEndPoint).Port
        listener.Stop()
        port

    /// The folder of the package's own scripts (`rabbitmq-server`, `rabbitmqctl`), which run as
    /// the caller; `TASKCLUSTER_TEST_RABBITMQ_SBIN` overrides the search.
    static let findSbin () =
        match Environment.GetEnvironmentVariable "TASKCLUSTER_TEST_RABBITMQ_SBIN" with
        | s when not (String.IsNullOrEmpty s) -> s
        | _ ->
            let lib = "/usr/lib/rabbitmq/lib"

            let candidates =
                if Directory.Exists lib then
                    Directory.GetDirectories(lib, "rabbitmq_server-*")
                    |> Array.map (fun d -> Path.Combine(d, "sbin"))
                    |> Array.filter (fun d -> File.Exists(Path.Combine(d, "rabbitmq-server")))
                    |> Array.sortDescending
                else
                    [||]

            if candidates.Length = 0 then
                raise (
                    BrokerException
                        $"RabbitMQ is not installed: no {lib}/rabbitmq_server-*/sbin/rabbitmq-server (install Debian's rabbitmq-server, e.g. `apt-get install -y rabbitmq-server`, or set TASKCLUSTER_TEST_RABBITMQ_SBIN)"
                )

            candidates[0]

    static let findEpmd () =
        let onPath =
            (Environment.GetEnvironmentVariable "PATH"
             |> Option.ofObj
             |> Option.defaultValue "")
                .Split(':')
            |> Array.map (fun d -> Path.Combine(d, "epmd"))
            |> Array.tryFind File.Exists

        match onPath with
        | Some p -> p
        | None ->
            let erts =
                if Directory.Exists "/usr/lib/erlang" then
                    Directory.GetDirectories("/usr/lib/erlang", "erts-*")
                    |> Array.map (fun d -> Path.Combine(d, "bin", "epmd"))
                    |> Array.filter File.Exists
                else
                    [||]

            if erts.Length = 0 then
                raise (BrokerException "epmd (Erlang) is not installed; it comes with Debian's rabbitmq-server")

            erts[0]

    static let startInfo (exe: string) (args: string list) (environment: (string * string) list) (folder: string) =
        let psi =
            ProcessStartInfo(exe, args, UseShellExecute = false, WorkingDirectory = folder)

        psi.RedirectStandardOutput <- true
        psi.RedirectStandardError <- true
        psi.RedirectStandardInput <- true

        for (k, v) in environment do
            psi.Environment[k] <- v

        psi

    /// Starts a process whose output is collected as it comes (so its pipes never fill up).
    static let spawn (psi: ProcessStartInfo) (output: StringBuilder) =
        let p = new Process(StartInfo = psi, EnableRaisingEvents = true)

        let add (e: DataReceivedEventArgs) =
            if not (isNull e.Data) then
                lock output (fun () -> output.AppendLine e.Data |> ignore)

        p.OutputDataReceived.Add add
        p.ErrorDataReceived.Add add

        try
            p.Start() |> ignore
        with e ->
            raise (BrokerException $"could not start {psi.FileName}: {e.Message}")

        p.StandardInput.Close()
        p.BeginOutputReadLine()
        p.BeginErrorReadLine()
        p

    /// Starts the broker; if it cannot start, the `epmd` started for it is stopped and the folder
    /// deleted first.
    static let spawnOrKill (epmd: Process) (folder: string) psi output =
        try
            spawn psi output
        with _ ->
            epmd.Kill true

            try
                Directory.Delete(folder, true)
            with _ ->
                ()

            reraise ()

    /// Runs a program to completion within a timeout (then it is killed and that is an error).
    static let runToEnd (psi: ProcessStartInfo) (timeout: TimeSpan) (ct: CancellationToken) =
        task {
            let output = StringBuilder()
            use p = spawn psi output
            use cts = CancellationTokenSource.CreateLinkedTokenSource ct
            cts.CancelAfter timeout

            try
                do! p.WaitForExitAsync cts.Token
            with :? OperationCanceledException ->
                p.Kill true
                ct.ThrowIfCancellationRequested()

                raise (
                    BrokerException
                        $"""'{psi.FileName} {String.Join(" ", psi.ArgumentList)}' did not finish within {timeout}: {output}"""
                )

            return
                {
                    ExitCode = p.ExitCode
                    Output = lock output (fun () -> output.ToString())
                }
        }

    static let lastLines (n: int) (text: string) =
        text.Split('\n')
        |> Array.filter (fun l -> l.Trim() <> "")
        |> Array.rev
        |> Array.truncate n
        |> Array.rev
        |> String.concat "\n"

    /// Waits for the broker process just started to boot; `Some reason` (with the broker's own
    /// output) when it exits or fails to boot first.
    member private this.WaitStartedAsync(ct: CancellationToken) : Task<string option> =
        task {
            let pidFile = Path.Combine(folder, "broker.pid")
            let proc = broker

            // `wait` blocks until the pid file exists and the node has booted; a broker that dies
            // first ends the wait with its own output instead.
            let waiting =
                this.CtlAsync([ "wait"; pidFile; "--timeout"; string (int startupTimeout.TotalSeconds) ], ct)

            try
                let! first = Task.WhenAny(waiting :> Task, proc.WaitForExitAsync ct)

                if first <> (waiting :> Task) then
                    return
                        Some
                            $"the private RabbitMQ broker exited with {proc.ExitCode} while starting: {lastLines 30 this.Output}"
                else
                    let! _ = waiting
                    return None
            with e ->
                return Some $"the private RabbitMQ broker did not start: {e.Message}\n{lastLines 30 this.Output}"
        }

    /// What the broker has printed so far (for diagnosing a failed test).
    member _.Output = lock brokerOutput (fun () -> brokerOutput.ToString())

    /// The node name, e.g. `tcpulse-1a2b3c@localhost`.
    member _.NodeName = nodeName

    /// The AMQP port on 127.0.0.1.
    member _.AmqpPort = amqpPort

    /// The temporary folder holding the broker's data, logs and configuration.
    member _.Folder = folder

    /// An AMQP URL with the administrator `guest`/`guest` (allowed from localhost), for
    /// publishers and set-up.
    member _.AdminUrl = Uri($"amqp://guest:guest@127.0.0.1:{amqpPort}/")

    /// An AMQP URL for a user and password.
    member _.UrlFor(user: string, password: string) =
        Uri($"amqp://{Uri.EscapeDataString user}:{Uri.EscapeDataString password}@127.0.0.1:{amqpPort}/")

    /// Runs `rabbitmqctl -n <node> <args>` against this broker; a non-zero exit is an error
    /// carrying the command's output.
    member this.CtlAsync(args: string seq) : Task<string> =
        this.CtlAsync(args, CancellationToken.None)

    /// `CtlAsync` with a cancellation token.
    member _.CtlAsync(args: string seq, ct: CancellationToken) : Task<string> =

        task {
            let args = [ "-n"; nodeName ] @ List.ofSeq args

            let! r = runToEnd (startInfo (Path.Combine(sbin, "rabbitmqctl")) args environment folder) ctlTimeout ct

            if r.ExitCode <> 0 then
                raise (
                    BrokerException
                        $"""rabbitmqctl {String.Join(" ", args)} exited with {r.ExitCode}: {lastLines 20 r.Output}"""
                )

            return r.Output
        }

    /// Adds a Pulse-like user: it may create and bind only queues and exchanges under
    /// `queue/<user>/` and `exchange/<user>/`, and read from any exchange, as Pulse's permissions
    /// are. Returns its AMQP URL.
    member this.AddPulseUserAsync(user: string, password: string) : Task<Uri> =
        this.AddPulseUserAsync(user, password, CancellationToken.None)

    /// `AddPulseUserAsync` with a cancellation token.
    member this.AddPulseUserAsync(user: string, password: string, ct: CancellationToken) : Task<Uri> =

        task {
            let! _ = this.CtlAsync([ "add_user"; user; password ], ct)
            let own = $"^(queue|exchange)/{user}/.*"
            let! _ = this.CtlAsync([ "set_permissions"; "-p"; "/"; user; own; own; "^(queue|exchange)/.*" ], ct)
            return this.UrlFor(user, password)
        }

    /// Closes every client connection from the broker's side, as an operator or a failing
    /// network would (`rabbitmqctl close_all_connections`).
    member this.CloseAllConnectionsAsync() : Task =
        this.CloseAllConnectionsAsync(CancellationToken.None)

    /// `CloseAllConnectionsAsync` with a cancellation token.
    member this.CloseAllConnectionsAsync(ct: CancellationToken) : Task =

        task {
            let! _ = this.CtlAsync([ "close_all_connections"; "closed by the test" ], ct)
            ()
        }

    /// How many connections the broker has open now (`rabbitmqctl list_connections`).
    member this.ConnectionCountAsync() : Task<int> =
        this.ConnectionCountAsync(CancellationToken.None)

    /// `ConnectionCountAsync` with a cancellation token.
    member this.ConnectionCountAsync(ct: CancellationToken) : Task<int> =

        task {
            let! out = this.CtlAsync([ "list_connections"; "--quiet"; "--no-table-headers"; "name" ], ct)
            return out.Split('\n') |> Array.filter (fun l -> l.Trim() <> "") |> Array.length
        }

    /// The client connections the broker has open now (`rabbitmqctl list_connections`).
    member this.ConnectionsAsync() : Task<BrokerConnection list> =
        this.ConnectionsAsync(CancellationToken.None)

    /// `ConnectionsAsync` with a cancellation token.
    member this.ConnectionsAsync(ct: CancellationToken) : Task<BrokerConnection list> =
        task {
            let! out = this.CtlAsync([ "list_connections"; "--quiet"; "--no-table-headers"; "pid"; "user"; "name" ], ct)

            return
                out.Split('\n')
                |> Array.map (fun l -> l.TrimEnd('\r'))
                |> Array.filter (fun l -> l.Trim() <> "")
                |> Array.map (fun l ->
                    match l.Split('\t') with
                    | [| pid; user; name |] -> BrokerConnection(pid, user, name)
                    | _ -> raise (BrokerException $"rabbitmqctl list_connections printed an unexpected line: '{l}'"))
                |> List.ofArray
        }

    /// Closes, from the broker's side, every connection a user has open (`rabbitmqctl
    /// close_connection`), as an operator or a failing network would; the other clients keep
    /// theirs. Returns how many were closed.
    member this.CloseConnectionsOfAsync(user: string) : Task<int> =
        this.CloseConnectionsOfAsync(user, CancellationToken.None)

    /// `CloseConnectionsOfAsync` with a cancellation token.
    member this.CloseConnectionsOfAsync(user: string, ct: CancellationToken) : Task<int> =
        task {
            let! all = this.ConnectionsAsync ct
            let mine = all |> List.filter (fun c -> c.User = user)

            for c in mine do
                let! _ = this.CtlAsync([ "close_connection"; c.Pid; "closed by the test" ], ct)
                ()

            return mine.Length
        }

    /// Stops the broker's node and starts it again on the same ports with the same data, as a
    /// broker restarted by its operator: clients lose their connections, and durable queues,
    /// persistent messages, users and permissions survive. Fails with the broker's own output
    /// when it does not come back.
    member this.RestartAsync() : Task =
        this.RestartAsync(CancellationToken.None)

    /// `RestartAsync` with a cancellation token.
    member this.RestartAsync(ct: CancellationToken) : Task =
        task {
            if Volatile.Read &disposed <> 0 then
                raise (ObjectDisposedException(nameof PrivateBroker))

            let! _ = this.CtlAsync([ "stop" ], ct)
            use cts = CancellationTokenSource.CreateLinkedTokenSource ct
            cts.CancelAfter startupTimeout

            try
                do! broker.WaitForExitAsync cts.Token
            with :? OperationCanceledException when not ct.IsCancellationRequested ->
                broker.Kill true

            broker.Dispose()
            // The old pid file would make `wait` watch the stopped process.
            File.Delete(Path.Combine(folder, "broker.pid"))
            lock brokerOutput (fun () -> brokerOutput.AppendLine "--- restarted by the test ---" |> ignore)
            broker <- spawn (startInfo (Path.Combine(sbin, "rabbitmq-server")) [] environment folder) brokerOutput
            let! failure = this.WaitStartedAsync ct

            match failure with
            | None -> ()
            | Some message -> raise (BrokerException message)
        }

    /// Starts a broker; fails with the broker's own output when it cannot start.
    static member StartAsync() : Task<PrivateBroker> =
        PrivateBroker.StartAsync(CancellationToken.None)

    /// `StartAsync` with a cancellation token. The free ports are only free when chosen: another
    /// program may take one before the broker binds it, so a failed start is tried again on fresh
    /// ports, twice; the error then lists every attempt's output.
    static member StartAsync(ct: CancellationToken) : Task<PrivateBroker> =
        task {
            let sbin = findSbin ()
            let epmdExe = findEpmd ()
            let errors = ResizeArray<string>()
            let mutable started: PrivateBroker = null

            while isNull started && errors.Count < 3 do
                try
                    let! b = PrivateBroker.StartOnce(sbin, epmdExe, ct)
                    started <- b
                with
                | :? BrokerException as e -> errors.Add e.Message
                | :? OperationCanceledException -> errors.Add "cancelled"

            ct.ThrowIfCancellationRequested()

            if isNull started then
                return raise (BrokerException(String.Join("\n--- next attempt ---\n", errors)))
            else
                return started
        }

    static member private StartOnce(sbin: string, epmdExe: string, ct: CancellationToken) : Task<PrivateBroker> =
        task {
            let folder = Directory.CreateTempSubdirectory("tc-pulse-broker-").FullName
            let id = Convert.ToHexString(RandomNumberGenerator.GetBytes 6).ToLowerInvariant()
            let nodeName = $"tcpulse-{id}@localhost"
            let amqpPort = freePort ()
            let distPort = freePort ()
            let epmdPort = freePort ()
            let path name = Path.Combine(folder, name)

            Directory.CreateDirectory(path "mnesia") |> ignore
            Directory.CreateDirectory(path "log") |> ignore
            File.WriteAllText(path "enabled_plugins", "[].")
            // Listen on loopback only: nothing outside this machine may reach a test broker.
            File.WriteAllText(path "rabbitmq.conf", $"listeners.tcp.1 = 127.0.0.1:{amqpPort}\n")
            // A cookie of our own in a HOME of our own: the CLI tools talk only to this node.
            let cookie = path ".erlang.cookie"
            File.WriteAllText(cookie, Convert.ToHexString(RandomNumberGenerator.GetBytes 20))
            File.SetUnixFileMode(cookie, UnixFileMode.UserRead)

            let environment =
                [
                    "HOME", folder
                    "RABBITMQ_HOME", Path.GetDirectoryName sbin
                    "RABBITMQ_MNESIA_BASE", path "mnesia"
                    "RABBITMQ_LOG_BASE", path "log"
                    "RABBITMQ_CONFIG_FILE", path "rabbitmq.conf"
                    "RABBITMQ_ENABLED_PLUGINS_FILE", path "enabled_plugins"
                    "RABBITMQ_FEATURE_FLAGS_FILE", path "feature_flags"
                    "RABBITMQ_PID_FILE", path "broker.pid"
                    "RABBITMQ_NODENAME", nodeName
                    "RABBITMQ_NODE_IP_ADDRESS", "127.0.0.1"
                    "RABBITMQ_NODE_PORT", string amqpPort
                    "RABBITMQ_DIST_PORT", string distPort
                    "ERL_EPMD_PORT", string epmdPort
                    "ERL_EPMD_ADDRESS", "127.0.0.1"
                ]

            let epmdOutput = StringBuilder()

            let epmd =
                spawn (startInfo epmdExe [ "-port"; string epmdPort ] environment folder) epmdOutput

            let brokerOutput = StringBuilder()

            let broker =
                spawnOrKill
                    epmd
                    folder
                    (startInfo (Path.Combine(sbin, "rabbitmq-server")) [] environment folder)
                    brokerOutput

            let started =
                new PrivateBroker(folder, nodeName, amqpPort, sbin, environment, broker, epmd, brokerOutput)

            let! failure = started.WaitStartedAsync ct

            match failure with
            | None -> return started
            | Some message ->
                do! (started :> IAsyncDisposable).DisposeAsync()
                return raise (BrokerException message)
        }

    interface IAsyncDisposable with
        /// Stops the broker (`rabbitmqctl stop`, then a kill if it does not exit in time), stops
        /// the `epmd` started for it and deletes the folder. Never throws.
        member this.DisposeAsync() =
            ValueTask(
                task {
                    if Interlocked.Exchange(&disposed, 1) = 0 then
                        if not broker.HasExited then
                            try
                                let! _ = this.CtlAsync([ "stop" ])
                                ()
                            with _ ->
                                ()

                            use cts = new CancellationTokenSource(TimeSpan.FromSeconds 30.0)

                            try
                                do! broker.WaitForExitAsync cts.Token
                            with _ ->
                                try
                                    broker.Kill true
                                with _ ->
                                    ()

                        try
                            if not epmd.HasExited then
                                epmd.Kill true
                                epmd.WaitForExit(10_000) |> ignore
                        with _ ->
                            ()

                        broker.Dispose()
                        epmd.Dispose()

                        try
                            Directory.Delete(folder, true)
                        with _ ->
                            ()
                }
            )
