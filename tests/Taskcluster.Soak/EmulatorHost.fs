/// The emulator side of the soak run, in a process of its own (so that the memory the soak
/// measures is the client's, not the emulator's growing state). It prints one JSON line with the
/// root URL and credentials, then answers one line per command read from standard input:
///
/// - `route <service> <method> <count> <fault>`: inject a fault into the next calls of a method;
/// - `schedule <service> <method> <fault>,<fault>,...`: one fault per next call, in order;
/// - `blob <objectName> <count> <fault>`: inject a fault into the next requests to a blob;
/// - `clear`: forget every programmed fault;
/// - `state`: the state as JSON (task ids, secret names, object names, index paths, faults left);
/// - `memory`: how many entities it stores, its working set and managed heap;
/// - `quit`.
///
/// A fault is `status:<code>`, `drop`, `truncate:<bytes>`, `corrupt`, `expired`, `delay:<ms>`
/// or `pass`.
module Taskcluster.Soak.EmulatorHost

open System
open System.Text.Json
open Taskcluster.Emulator

/// Parses a fault specification.
let parseFault (spec: string) =
    match spec.Split(':', 2) with
    | [| "status"; code |] -> Fault.Status(int code)
    | [| "drop" |] -> Fault.DropConnection
    | [| "truncate"; n |] -> Fault.TruncateBody(int n)
    | [| "corrupt" |] -> Fault.CorruptBytes
    | [| "expired" |] -> Fault.ExpiredUrl
    | [| "delay"; ms |] -> Fault.Delay(TimeSpan.FromMilliseconds(float ms))
    | [| "pass" |] -> Fault.Pass
    | _ -> failwithf "unknown fault '%s'" spec

let private stateJson (e: EmulatorInstance) =
    use p = Diagnostics.Process.GetCurrentProcess()

    JsonSerializer.Serialize(
        dict
            [
                "tasks", box e.State.TaskIds
                "secrets", box e.State.SecretNames
                "objects", box e.State.ObjectNames
                "index", box e.State.IndexPaths
                "remainingFaults", box e.Faults.Remaining
                "workingSet", box p.WorkingSet64
            ]
    )

/// What the emulator holds and the memory it uses, cheap enough to ask every few seconds during
/// the load: no collection is forced, so the heap figure includes garbage not yet collected.
let private memoryJson (e: EmulatorInstance) =
    use p = Diagnostics.Process.GetCurrentProcess()

    JsonSerializer.Serialize(
        dict
            [
                "stored",
                box (
                    e.State.TaskIds.Count
                    + e.State.SecretNames.Count
                    + e.State.ObjectNames.Count
                    + e.State.IndexPaths.Count
                )
                "workingSet", box p.WorkingSet64
                "managedHeap", box (GC.GetTotalMemory false)
            ]
    )

/// Serves until `quit` or the end of standard input; the exit code.
let serve () =
    // a large page size is not needed: the soak pages through task groups on purpose
    use e =
        (Emulator.start (EmulatorOptions(MaxPageSize = 1000))).GetAwaiter().GetResult()

    let line =
        JsonSerializer.Serialize(dict [ "rootUrl", e.RootUrl; "clientId", e.ClientId; "accessToken", e.AccessToken ])

    Console.Out.WriteLine line
    Console.Out.Flush()
    let mutable go = true

    while go do
        match Console.In.ReadLine() with
        | null
        | "quit" -> go <- false
        | command ->
            let reply =
                try
                    match command.Split(' ') with
                    | [| "route"; service; methodName; count; fault |] ->
                        e.Faults.Inject(FaultTarget.Route(service, methodName), parseFault fault, int count)
                        "ok"
                    | [| "schedule"; service; methodName; faults |] ->
                        e.Faults.Schedule(
                            FaultTarget.Route(service, methodName),
                            faults.Split(',') |> Array.map parseFault
                        )

                        "ok"
                    | [| "blob"; name; count; fault |] ->
                        e.Faults.Inject(FaultTarget.Blob name, parseFault fault, int count)
                        "ok"
                    | [| "clear" |] ->
                        e.Faults.Clear()
                        "ok"
                    | [| "state" |] -> stateJson e
                    | [| "memory" |] -> memoryJson e
                    | _ -> $"error unknown command {command}"
                with ex ->
                    $"error {ex.Message}"

            Console.Out.WriteLine reply
            Console.Out.Flush()

    0
