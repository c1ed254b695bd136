namespace Taskcluster.Emulator.Internal

open System
open System.Collections.Generic
open System.Text
open System.Text.Json
open System.Text.RegularExpressions

/// How one route parameter or query-string value is checked.
[<RequireQualifiedAccess>]
type internal ValueCheck =
    /// A JavaScript regular expression, shown as JavaScript prints it (`/…/flags`).
    | Pattern of shown: string * regex: Regex
    /// Any text JavaScript's `Date.parse` reads as a date.
    | DateParse

/// What a method checks in its URL before the handler runs.
type internal UrlChecks =
    {
        /// By route parameter name: the method's own patterns over the service-wide ones.
        Params: IReadOnlyDictionary<string, ValueCheck>
        /// The only query-string keys the method accepts (`bewit` aside).
        Query: IReadOnlyDictionary<string, ValueCheck>
    }

/// The services' route-parameter and query-string checks (`Generated/route-params.json`, read
/// from the services' sources: the references do not carry them), applied in the services'
/// order and with their messages.
[<RequireQualifiedAccess>]
module internal RouteParams =
    /// A JavaScript pattern (no `u` flag) as a .NET one with the same meaning on UTF-16 text:
    /// JavaScript's `$` is the very end (.NET's also matches before a final `\n`) and its `.`
    /// refuses all four line terminators (.NET's refuses only `\n`).
    let translate (pattern: string) =
        let sb = StringBuilder()
        let mutable inClass = false
        let mutable i = 0

        while i < pattern.Length do
            let c = pattern[i]

            if c = '\\' && i + 1 < pattern.Length then
                sb.Append(c).Append(pattern[i + 1]) |> ignore
                i <- i + 2
            else
                match c with
                | '[' when not inClass ->
                    inClass <- true
                    sb.Append c |> ignore
                | ']' when inClass ->
                    inClass <- false
                    sb.Append c |> ignore
                | '$' when not inClass -> sb.Append @"\z" |> ignore
                | '.' when not inClass -> sb.Append @"[^\n\r\u2028\u2029]" |> ignore
                | c -> sb.Append c |> ignore

                i <- i + 1

        sb.ToString()

    /// The check a `route-params.json` entry describes.
    let compile (node: JsonElement) : ValueCheck =
        match node.TryGetProperty "check" with
        | true, v when v.GetString() = "Date.parse" -> ValueCheck.DateParse
        | _ ->
            let pattern = node.GetProperty("pattern").GetString()

            let flags =
                match node.TryGetProperty "flags" with
                | true, f -> f.GetString()
                | _ -> ""

            let options =
                // ECMAScript keeps `\d`, `\w` and `\s` to their ASCII meaning, as in JavaScript.
                RegexOptions.ECMAScript
                ||| RegexOptions.CultureInvariant
                ||| (if flags.Contains 'i' then
                         RegexOptions.IgnoreCase
                     else
                         RegexOptions.None)

            ValueCheck.Pattern($"/{pattern}/{flags}", Regex(translate pattern, options))

    /// Whether a value passes: `RegExp.prototype.test` (anywhere in the value unless anchored).
    let passes (check: ValueCheck) (value: string) =
        match check with
        | ValueCheck.Pattern(_, regex) -> regex.IsMatch value
        | ValueCheck.DateParse -> (Util.tryParseTime value).IsSome

    let private none: IReadOnlyDictionary<string, ValueCheck> =
        Dictionary<string, ValueCheck>() :> _

    /// No parameters, no query keys: `ping`, `lbheartbeat`, `version`, `heartbeat`.
    let empty = { Params = none; Query = none }

    let private load () =
        use stream =
            typeof<UrlChecks>.Assembly.GetManifestResourceStream("Taskcluster.Emulator.route-params.json")

        use doc = JsonDocument.Parse(stream)
        let table = Dictionary<struct (string * string), UrlChecks>()

        let read (obj: JsonElement) =
            let d = Dictionary<string, ValueCheck>(StringComparer.Ordinal)

            for p in obj.EnumerateObject() do
                d[p.Name] <- compile p.Value

            d

        for service in doc.RootElement.EnumerateObject() do
            let shared =
                match service.Value.TryGetProperty "params" with
                | true, ps -> read ps
                | _ -> Dictionary()

            for m in service.Value.GetProperty("methods").EnumerateObject() do
                let own = read (m.Value.GetProperty "params")
                let ps = Dictionary<string, ValueCheck>(shared, StringComparer.Ordinal)

                for KeyValue(k, v) in own do
                    ps[k] <- v

                table[struct (service.Name, m.Name)] <-
                    {
                        Params = ps
                        Query = read (m.Value.GetProperty "query")
                    }

        table

    let private table = lazy (load ())

    /// A method's checks; a method the table does not list takes no parameters.
    let forMethod (service: string) (methodName: string) =
        match table.Force().TryGetValue(struct (service, methodName)) with
        | true, c -> c
        | _ -> empty

    /// The route parameters' verdict: `None`, or the service's `InvalidRequestArguments` message.
    let checkParams (checks: UrlChecks) (ps: IReadOnlyDictionary<string, string>) : string option =
        let errors =
            [
                for KeyValue(name, value) in ps do
                    match checks.Params.TryGetValue name with
                    | true, check when not (passes check value) ->
                        match check with
                        | ValueCheck.Pattern(shown, _) ->
                            $"URL parameter '{name}' given as '{value}' must match regular expression: '{shown}'"
                        | ValueCheck.DateParse -> $"URL parameter '{name}' given  as '{value}' is not valid: not a date"
                    | _ -> ()
            ]

        if errors.IsEmpty then
            None
        else
            Some("Invalid URL patterns:\n" + String.Join("\n", errors))

    /// The query string's verdict, over its keys in order with every value each was given.
    let checkQuery (checks: UrlChecks) (query: (string * string array) seq) : string option =
        let errors =
            [
                for key, values in query do
                    match checks.Query.TryGetValue key with
                    | false, _ ->
                        if key <> "bewit" then
                            $"Query-string parameter: {key} is not supported!"
                    // a repeated key is an array to the service's query parser
                    | true, _ when values.Length <> 1 -> $"Query-string parameter: {key} must be a string!"
                    | true, check when not (passes check values[0]) ->
                        match check with
                        | ValueCheck.Pattern(shown, _) ->
                            $"Query-string parameter: {key}=\"{values[0]}\" does not match expression: {shown}"
                        | ValueCheck.DateParse ->
                            $"Query-string parameter: {key}=\"{values[0]}\" is not valid, error: not a date"
                    | true, _ -> ()
            ]

        if errors.IsEmpty then
            None
        else
            Some(String.Join("\n", errors))

    /// JavaScript's `decodeURIComponent`: `None` where it throws (a `%` not followed by two hex
    /// digits, or escapes that are not UTF-8).
    let decodeComponent (text: string) : string option =
        if not (text.Contains '%') then
            Some text
        else
            let strict = UTF8Encoding(false, true)
            let sb = StringBuilder()
            let bytes = ResizeArray<byte>()
            let mutable ok = true
            let mutable i = 0

            let flush () =
                if bytes.Count > 0 then
                    try
                        sb.Append(strict.GetString(bytes.ToArray())) |> ignore
                    with :? DecoderFallbackException ->
                        ok <- false

                    bytes.Clear()

            while ok && i < text.Length do
                if text[i] = '%' then
                    if i + 2 < text.Length && Uri.IsHexDigit text[i + 1] && Uri.IsHexDigit text[i + 2] then
                        bytes.Add(Convert.ToByte(text.Substring(i + 1, 2), 16))
                        i <- i + 3
                    else
                        ok <- false
                else
                    flush ()
                    sb.Append text[i] |> ignore
                    i <- i + 1

            flush ()
            if ok then Some(sb.ToString()) else None
