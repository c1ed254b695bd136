namespace Taskcluster.Testing

open System
open FsCheck
open FsCheck.FSharp
open Taskcluster.Core

/// Generators for route templates, route arguments (hostile ones included), query strings and
/// Pulse routing keys.
[<RequireQualifiedAccess>]
module ReferenceGen =
    let private anyString =
        ArbMap.generate<string> ArbMap.defaults
        |> Gen.map (fun s -> if isNull s then "" else s)

    let private fromChars (chars: string) (minLength: int) (maxLength: int) =
        gen {
            let! length = Gen.choose (minLength, maxLength)
            let! picked = Gen.arrayOfLength length (Gen.elements chars)
            return String(picked)
        }

    /// A route parameter name such as `taskId` (an identifier).
    let parameterName: Gen<string> =
        gen {
            let! head = Gen.elements "abcdefghijklmnopqrstuvwxyz"
            let! tail = fromChars "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_" 0 10
            return string head + tail
        }

    /// A literal route segment such as `artifacts` or `badge.svg`.
    let routeLiteral: Gen<string> =
        fromChars "abcdefghijklmnopqrstuvwxyz0123456789-_." 1 12
        |> Gen.filter (fun s -> s <> "." && s <> "..")

    /// A route template and its parameter names in order, e.g. `/task/<taskId>/runs/<runId>`,
    /// `["taskId"; "runId"]`. Parameters are unique; a trailing `/` appears now and then.
    let routeTemplate: Gen<string * string list> =
        gen {
            let! count = Gen.choose (0, 6)

            let! segments =
                Gen.listOfLength
                    count
                    (Gen.frequency [ 3, Gen.map Choice1Of2 routeLiteral; 2, Gen.map Choice2Of2 parameterName ])

            let! trailingSlash = Gen.frequency [ 5, Gen.constant false; 1, Gen.constant true ]

            // Number the parameters so that they stay unique whatever names were drawn.
            let texts, parameters =
                segments
                |> List.mapi (fun i s ->
                    match s with
                    | Choice1Of2 literal -> literal, None
                    | Choice2Of2 name -> $"<{name}{i}>", Some $"{name}{i}")
                |> List.unzip

            let route =
                "/" + String.Join("/", texts) + (if trailingSlash && count > 0 then "/" else "")

            return route, List.choose id parameters
        }

    /// Arguments chosen to break naive URL building: dot segments, slashes raw and pre-encoded,
    /// query and fragment marks, percent signs, spaces, non-ASCII text, control characters,
    /// lone surrogates and the empty string.
    let hostileArgument: Gen<string> =
        Gen.elements
            [
                ".."
                "."
                ""
                "/"
                "//"
                "../.."
                "..%2F"
                "%2F"
                "%2f"
                "%2E%2E"
                "%"
                "%25"
                "%zz"
                "?"
                "#"
                "x?y#z"
                "a/b"
                "a\\b"
                "p+q&r=s"
                " "
                "tok en"
                "café"
                "\u0301"
                "日本語"
                "😀"
                "\u0000"
                "\r\n"
                "\uFEFF"
                "．．"
                // Surrogates are built from code units: the compiler would replace lone ones in literals.
                string (char 0xD800)
                "a" + string (char 0xDC00)
                String([| char 0xDBFF; char 0xDFFF |])
                "~!*'()"
                "<taskId>"
            ]

    /// Any argument: arbitrary strings (lone surrogates included), hostile ones and plain ids.
    let argument: Gen<string> =
        Gen.frequency
            [
                3, anyString
                3, hostileArgument
                2, fromChars "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_" 22 22
            ]

    /// True for text that is valid UTF-16 (no lone surrogates), so it has a UTF-8 encoding.
    let isWellFormed (text: string) =
        let mutable ok = true
        let mutable i = 0

        while ok && i < text.Length do
            let c = text[i]

            if Char.IsHighSurrogate c && i + 1 < text.Length && Char.IsLowSurrogate text[i + 1] then
                i <- i + 2
            elif Char.IsSurrogate c then
                ok <- false
            else
                i <- i + 1

        ok

    /// An argument that `Route.render` accepts: well-formed, not empty, not `.` or `..`.
    let safeArgument: Gen<string> =
        argument
        |> Gen.filter (fun s -> isWellFormed s && s <> "" && s <> "." && s <> "..")

    /// A query-string value: any well-formed text, hostile characters included.
    let queryValue: Gen<string> = argument |> Gen.filter isWellFormed

    /// Allowed query names and some of them (in a random order) paired with values.
    let queryParameters: Gen<string list * (string * string) list> =
        gen {
            let! count = Gen.choose (0, 5)
            let allowed = [ for i in 1..count -> $"q{i}" ] @ [ "continuationToken"; "limit" ]
            let! chosen = Gen.subListOf allowed |> Gen.map List.ofSeq
            let! shuffled = Gen.shuffle chosen |> Gen.map List.ofArray
            let! values = Gen.listOfLength shuffled.Length queryValue
            return allowed, List.zip shuffled values
        }

    /// A routing-key word: no dot; may be `*`, `_` or empty, never exactly `#`.
    let routingKeyWord: Gen<string> =
        Gen.frequency
            [
                4, fromChars "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_" 1 22
                1, Gen.elements [ "*"; "_"; ""; "a#b"; "é"; "😀" ]
                1,
                anyString
                |> Gen.map (fun s -> s.Replace(".", ""))
                |> Gen.filter (fun s -> s <> "#")
            ]

    /// A multi-word routing-key value: one or more words joined by dots.
    let routingKeyValue: Gen<string> =
        gen {
            let! count = Gen.choose (1, 4)
            let! words = Gen.listOfLength count routingKeyWord
            return String.Join(".", words)
        }

    /// The parts of a routing key as references declare them: unique names, at most one
    /// multi-word part, some constants (single words).
    let routingKeyParts: Gen<RoutingKeyPart list> =
        gen {
            let! count = Gen.choose (0, 8)
            let! multiAt = Gen.choose (-1, count - 1)

            let! parts =
                Gen.listOfLength
                    count
                    (gen {
                        let! required = ArbMap.generate<bool> ArbMap.defaults
                        let! constant = Gen.frequency [ 4, Gen.constant None; 1, Gen.constant (Some "primary") ]
                        return required, constant
                    })

            return
                parts
                |> List.mapi (fun i (required, constant) ->
                    let multi = i = multiAt

                    {
                        Name = $"part{i}"
                        Summary = $"Part {i}."
                        Constant = (if multi then None else constant)
                        MultipleWords = multi
                        Required = required
                    })
        }

    /// An exchange entry with generated routing-key parts.
    let exchangeEntry: Gen<ExchangeEntry> =
        gen {
            let! parts = routingKeyParts
            let! exchange = routeLiteral

            return
                {
                    Name = "someExchange"
                    Exchange = exchange
                    Title = "Some exchange"
                    Description = "Generated."
                    RoutingKey = parts
                    Schema = "/schemas/some-service/v1/message.json#"
                }
        }

    /// Values for a concrete routing key of the entry: every required part, some optional ones,
    /// constants left out or given equal to the constant.
    let concreteValues (entry: ExchangeEntry) : Gen<Map<string, string>> =
        gen {
            let! values =
                entry.RoutingKey
                |> List.map (fun part ->
                    gen {
                        let! isIncluded =
                            if part.Required then
                                Gen.constant true
                            else
                                ArbMap.generate<bool> ArbMap.defaults

                        let! value =
                            if part.MultipleWords then
                                routingKeyValue
                            else
                                routingKeyWord

                        match part.Constant with
                        | Some c -> return (if isIncluded then Some(part.Name, c) else None)
                        | None -> return (if isIncluded then Some(part.Name, value) else None)
                    })
                |> Gen.sequenceToList

            return values |> List.choose id |> Map.ofList
        }

    /// Values for a binding pattern of the entry: some parts, each a word (or words), `*` or `#`
    /// where the part allows it.
    let patternValues (entry: ExchangeEntry) : Gen<Map<string, string>> =
        gen {
            let! values =
                entry.RoutingKey
                |> List.map (fun part ->
                    gen {
                        let! isIncluded = ArbMap.generate<bool> ArbMap.defaults

                        let! value =
                            if part.MultipleWords then
                                Gen.frequency [ 4, routingKeyValue; 1, Gen.constant "#" ]
                            else
                                routingKeyWord

                        return if isIncluded then Some(part.Name, value) else None
                    })
                |> Gen.sequenceToList

            return values |> List.choose id |> Map.ofList
        }
