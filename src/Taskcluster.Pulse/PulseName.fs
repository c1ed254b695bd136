namespace Taskcluster.Pulse

open System
open System.Text

[<RequireQualifiedAccess>]
type PulseNameError =
    | EmptyNamespace
    | InvalidNamespace of ns: string
    | EmptyName of kind: string
    | InvalidCharacter of name: string
    | QueueOutsideNamespace of queue: string * ns: string
    | NotAnExchangeName of exchange: string
    | TooLong of name: string * bytes: int

    member this.Describe() =
        match this with
        | EmptyNamespace -> "the Pulse namespace (user name) is empty"
        | InvalidNamespace ns -> $"the Pulse namespace '{ns}' must be 1 to 64 ASCII letters, digits, '-', '_' or '.'"
        | EmptyName kind -> $"the {kind} name is empty"
        | InvalidCharacter name -> $"the name '{name}' contains whitespace or a control character"
        | QueueOutsideNamespace(queue, ns) ->
            $"the queue '{queue}' is not under 'queue/{ns}/': a Pulse user may only use queues of its own namespace"
        | NotAnExchangeName exchange -> $"'{exchange}' is not a Pulse exchange name (exchange/<namespace>/<name>)"
        | TooLong(name, bytes) -> $"the name '{name}' is {bytes} bytes long; AMQP allows 255"

[<RequireQualifiedAccess>]
module PulseName =
    let private validNamespaceChar (c: char) =
        Char.IsAsciiLetterOrDigit c || c = '-' || c = '_' || c = '.'

    let checkNamespace (ns: string) =
        if String.IsNullOrEmpty ns then
            Error PulseNameError.EmptyNamespace
        elif ns.Length > 64 || not (Seq.forall validNamespaceChar ns) then
            Error(PulseNameError.InvalidNamespace ns)
        else
            Ok ns

    let private checkFull (full: string) =
        let bytes = Encoding.UTF8.GetByteCount full

        if full |> Seq.exists (fun c -> Char.IsControl c || Char.IsWhiteSpace c) then
            Error(PulseNameError.InvalidCharacter full)
        elif bytes > 255 then
            Error(PulseNameError.TooLong(full, bytes))
        else
            Ok full

    let private under (prefix: string) (kind: string) (ns: string) (name: string) =
        match checkNamespace ns with
        | Error e -> Error e
        | Ok ns ->
            if String.IsNullOrEmpty name then
                Error(PulseNameError.EmptyName kind)
            else
                checkFull $"{prefix}/{ns}/{name}"

    let queue (ns: string) (name: string) =
        match name with
        | null -> Error(PulseNameError.EmptyName "queue")
        | n when n.StartsWith("queue/", StringComparison.Ordinal) ->
            match checkNamespace ns with
            | Error e -> Error e
            | Ok ns ->
                let rest = n.Substring($"queue/{ns}/".Length |> min n.Length)

                if not (n.StartsWith($"queue/{ns}/", StringComparison.Ordinal)) then
                    Error(PulseNameError.QueueOutsideNamespace(n, ns))
                elif rest = "" then
                    Error(PulseNameError.EmptyName "queue")
                else
                    checkFull n
        | n -> under "queue" "queue" ns n

    let exchange (ns: string) (name: string) =
        match name with
        | null -> Error(PulseNameError.EmptyName "exchange")
        | n -> under "exchange" "exchange" ns n

    let exchangeNamespace (exchange: string) =
        match exchange with
        | null -> Error(PulseNameError.NotAnExchangeName "")
        | e ->
            match e.Split('/', 3) with
            | [| "exchange"; ns; rest |] when rest <> "" ->
                match checkNamespace ns with
                | Ok ns -> checkFull e |> Result.map (fun _ -> ns)
                | Error _ -> Error(PulseNameError.NotAnExchangeName e)
            | _ -> Error(PulseNameError.NotAnExchangeName e)
