namespace Taskcluster.Core

open System
open System.Text

[<RequireQualifiedAccess>]
type BindingPattern =
    | Verbatim of pattern: string
    | Values of values: Map<string, string>

type PulseBinding =
    {
        Exchange: string
        RoutingKeyPattern: string
        RoutingKeyReference: RoutingKeyPart list
    }

[<RequireQualifiedAccess>]
type RoutingKeyError =
    | DotInSingleWordPart of part: string * value: string
    | MultiWordWildcardInSingleWordPart of part: string
    | UnknownPart of part: string * known: string list
    | MissingRequiredPart of part: string
    | ConstantMismatch of part: string * constant: string * value: string
    | WrongWordCount of routingKey: string * expected: int * actual: int
    | TooFewWords of routingKey: string * minimum: int * actual: int
    | SeveralMultiWordParts of parts: string list
    | TooLong of routingKey: string * bytes: int
    | NullRoutingKey

    member this.Describe() =
        let names (xs: string list) =
            xs |> List.map (fun x -> $"'{x}'") |> String.concat ", "

        match this with
        | DotInSingleWordPart(part, value) ->
            $"the value '{value}' for routing-key part '{part}' contains a dot, but the part holds a single word"
        | MultiWordWildcardInSingleWordPart part ->
            $"the value '#' for routing-key part '{part}' would match several words, but the part holds a single word (use '*')"
        | UnknownPart(part, known) ->
            let known = if known.IsEmpty then "none" else names known
            $"'{part}' is not a routing-key part of this exchange (parts: {known})"
        | MissingRequiredPart part -> $"the routing-key part '{part}' is required but has no value"
        | ConstantMismatch(part, constant, value) ->
            $"the routing-key part '{part}' is always '{constant}' but got '{value}'"
        | WrongWordCount(key, expected, actual) ->
            $"the routing key '{key}' has {actual} word(s) where {expected} are expected"
        | TooFewWords(key, minimum, actual) ->
            $"the routing key '{key}' has {actual} word(s) where at least {minimum} are expected"
        | SeveralMultiWordParts parts -> $"several routing-key parts span multiple words ({names parts})"
        | TooLong(key, bytes) ->
            let shown =
                if key.Length > 40 then
                    key.Substring(0, 40) + "..."
                else
                    key

            $"the routing key '{shown}' is {bytes} bytes long; AMQP allows 255"
        | NullRoutingKey -> "the routing key is null"

[<RequireQualifiedAccess>]
module RoutingKey =
    let private maxBytes = 255

    let private partNames (entry: ExchangeEntry) =
        entry.RoutingKey |> List.map (fun p -> p.Name)

    let private firstUnknown (entry: ExchangeEntry) (values: Map<string, string>) =
        values
        |> Map.tryFindKey (fun name _ -> not (entry.RoutingKey |> List.exists (fun p -> p.Name = name)))

    // Parts are few (at most ten in every reference), so a list walk with one StringBuilder is
    // cheaper than anything cleverer.
    let private build (entry: ExchangeEntry) (word: RoutingKeyPart -> Result<string, RoutingKeyError>) =
        let sb = StringBuilder(16 * entry.RoutingKey.Length)

        let rec go first parts =
            match parts with
            | [] -> Ok(sb.ToString())
            | part :: rest ->
                match word part with
                | Error e -> Error e
                | Ok w ->
                    if not first then
                        sb.Append('.') |> ignore

                    sb.Append(w: string) |> ignore
                    go false rest

        go true entry.RoutingKey

    let private patternWord (values: Map<string, string>) (part: RoutingKeyPart) =
        let value =
            match part.Constant with
            | Some c -> Some c
            | None ->
                match values.TryFind part.Name with
                | Some v when not (isNull v) -> Some v
                | _ -> None

        match value with
        | None -> Ok(if part.MultipleWords then "#" else "*")
        | Some v when part.MultipleWords -> Ok v
        | Some v when v.Contains '.' -> Error(RoutingKeyError.DotInSingleWordPart(part.Name, v))
        | Some "#" -> Error(RoutingKeyError.MultiWordWildcardInSingleWordPart part.Name)
        | Some v -> Ok v

    // A null map can only come from C#; it means no values, as JS treats a missing pattern.
    let private orEmpty (values: Map<string, string>) =
        if isNull (box values) then Map.empty else values

    let pattern (entry: ExchangeEntry) (values: Map<string, string>) =
        build entry (patternWord (orEmpty values))

    let patternStrict (entry: ExchangeEntry) (values: Map<string, string>) =
        let values = orEmpty values

        match firstUnknown entry values with
        | Some name -> Error(RoutingKeyError.UnknownPart(name, partNames entry))
        | None -> pattern entry values

    let private bindWith
        patternOf
        (reference: ExchangeReference)
        (entry: ExchangeEntry)
        (bindingPattern: BindingPattern)
        =
        let routingKeyPattern =
            match bindingPattern with
            | BindingPattern.Verbatim null -> patternOf entry Map.empty
            | BindingPattern.Verbatim text -> Ok text
            | BindingPattern.Values values -> patternOf entry values

        routingKeyPattern
        |> Result.map (fun p ->
            {
                Exchange = reference.ExchangePrefix + entry.Exchange
                RoutingKeyPattern = p
                RoutingKeyReference = entry.RoutingKey
            })

    let private lenientPattern = pattern
    let private strictPattern = patternStrict

    let binding reference entry pattern =
        bindWith lenientPattern reference entry pattern

    let bindingStrict reference entry pattern =
        bindWith strictPattern reference entry pattern

    let render (entry: ExchangeEntry) (values: Map<string, string>) =
        let values = orEmpty values

        let word (part: RoutingKeyPart) =
            let given =
                match values.TryFind part.Name with
                | Some v when not (isNull v) -> Some v
                | _ -> None

            match part.Constant, given with
            | Some c, Some v when v <> c -> Error(RoutingKeyError.ConstantMismatch(part.Name, c, v))
            | Some c, _ -> Ok c
            | None, None when part.Required -> Error(RoutingKeyError.MissingRequiredPart part.Name)
            // The publishers' placeholder for an optional part without a value.
            | None, None -> Ok "_"
            | None, Some v when not part.MultipleWords && v.Contains '.' ->
                Error(RoutingKeyError.DotInSingleWordPart(part.Name, v))
            | None, Some v -> Ok v

        match firstUnknown entry values with
        | Some name -> Error(RoutingKeyError.UnknownPart(name, partNames entry))
        | None ->
            build entry word
            |> Result.bind (fun key ->
                let bytes = Encoding.UTF8.GetByteCount key

                if bytes > maxBytes then
                    Error(RoutingKeyError.TooLong(key, bytes))
                else
                    Ok key)

    let parse (entry: ExchangeEntry) (routingKey: string) =
        if isNull routingKey then
            Error RoutingKeyError.NullRoutingKey
        else
            let parts = Array.ofList entry.RoutingKey
            // A key of no parts is the empty string, not one empty word.
            let words =
                if parts.Length = 0 && routingKey.Length = 0 then
                    [||]
                else
                    routingKey.Split('.')

            let multi = parts |> Array.filter (fun p -> p.MultipleWords)

            let assign (part: RoutingKeyPart) (value: string) =
                match part.Constant with
                | Some c when c <> value -> Error(RoutingKeyError.ConstantMismatch(part.Name, c, value))
                | _ -> Ok(part.Name, value)

            let collect (pairs: Result<string * string, RoutingKeyError> seq) =
                let mutable result = Ok Map.empty

                for pair in pairs do
                    result <-
                        match result, pair with
                        | Ok m, Ok(name, value) -> Ok(Map.add name value m)
                        | Error e, _
                        | _, Error e -> Error e

                result

            match multi.Length with
            | 0 when words.Length <> parts.Length ->
                Error(RoutingKeyError.WrongWordCount(routingKey, parts.Length, words.Length))
            | 0 -> collect (Seq.map2 assign parts words)
            | 1 when words.Length < parts.Length - 1 ->
                Error(RoutingKeyError.TooFewWords(routingKey, parts.Length - 1, words.Length))
            | 1 ->
                let at = parts |> Array.findIndex (fun p -> p.MultipleWords)
                let after = parts.Length - at - 1
                let middle = words.Length - at - after

                collect (
                    seq {
                        for i in 0 .. at - 1 -> assign parts[i] words[i]
                        yield assign parts[at] (String.Join('.', words, at, middle))

                        for j in 1..after -> assign parts[at + j] words[at + middle + j - 1]
                    }
                )
            | _ -> Error(RoutingKeyError.SeveralMultiWordParts [ for p in multi -> p.Name ])
