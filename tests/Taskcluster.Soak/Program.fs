/// `Taskcluster.Soak [--calls N] [--transfers N] [--fault-rate F] [--workers N] [--seed N]`;
/// `--emulator` serves the emulator side (started by the soak run itself).
module Taskcluster.Soak.Program

open System

let private usage =
    "usage: Taskcluster.Soak [--calls N] [--transfers N] [--fault-rate F] [--workers N] [--transfer-workers N] [--seed N]"

[<EntryPoint>]
let main argv =
    match List.ofArray argv with
    | [ "--emulator" ] -> EmulatorHost.serve ()
    | args ->
        let rec parse (settings: Soak.Settings) args =
            match args with
            | [] -> Some settings
            | "--calls" :: v :: rest -> parse { settings with Calls = int v } rest
            | "--transfers" :: v :: rest -> parse { settings with Transfers = int v } rest
            | "--fault-rate" :: v :: rest ->
                parse
                    { settings with
                        FaultRate = Double.Parse(v, Globalization.CultureInfo.InvariantCulture)
                    }
                    rest
            | "--workers" :: v :: rest -> parse { settings with Workers = int v } rest
            | "--transfer-workers" :: v :: rest ->
                parse
                    { settings with
                        TransferWorkers = int v
                    }
                    rest
            | "--seed" :: v :: rest -> parse { settings with Seed = int v } rest
            | _ -> None

        match parse Soak.defaults args with
        | Some settings -> Soak.run settings
        | None ->
            eprintfn "%s" usage
            2
