namespace Taskcluster.Core

open System
open System.Globalization
open System.Text
open Taskcluster.Core.HawkCanonical
open Taskcluster.Core.HawkMac

/// The server side of Hawk: strict parsing of `Authorization` headers and bewits, and the checks
/// of a received request against them (MAC in constant time, payload hash, clock skew, expiry).
/// Results come back as parts; `Hawk` builds its public records from them.
[<RequireQualifiedAccess>]
module internal HawkVerification =
    /// The attributes of a parsed header; those it lacks are null.
    [<Struct; NoComparison; NoEquality>]
    type HeaderParts =
        {
            Id: string
            Timestamp: int64
            Nonce: string
            Hash: string
            Ext: string
            Mac: string
            App: string
            Dlg: string
        }

    /// The parts of a parsed bewit; `Ext` is null when it is empty.
    [<Struct; NoComparison; NoEquality>]
    type BewitParts =
        {
            Id: string
            Expiry: int64
            Mac: string
            Ext: string
        }

    /// A request as the server received it: method, path and query, Host and port.
    type Received = (struct (string * string * string * int))

    let private maxLength = 4096

    let private attributeNames =
        [| "id"; "ts"; "nonce"; "hash"; "ext"; "mac"; "app"; "dlg" |]

    let private isBlank (c: char) = c = ' ' || c = '\t'

    let private parseTimestamp (text: string) =
        match Int64.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture) with
        | true, value when text.Length <= 19 -> ValueSome value
        | _ -> ValueNone

    /// Reads `name="value"` pairs after the scheme into `values` (indexed like `attributeNames`).
    let private parseAttributes (header: string) (start: int) (values: string array) : Result<unit, HawkError> =
        let mutable i = start
        let mutable result = Ok()
        let mutable finished = false

        while not finished do
            let nameStart = i

            while i < header.Length && isWordChar header[i] do
                i <- i + 1

            let name = header.Substring(nameStart, i - nameStart)

            if name.Length = 0 then
                result <- Error(HawkError.MalformedHeader $"expected an attribute name at position {i}")
                finished <- true
            elif i + 1 >= header.Length || header[i] <> '=' || header[i + 1] <> '"' then
                result <- Error(HawkError.MalformedHeader $"expected =\"…\" after the attribute {Text.quote name}")
                finished <- true
            else
                let valueStart = i + 2

                match header.IndexOfAny([| '"'; '\\' |], valueStart) with
                | -1 ->
                    result <- Error(HawkError.MalformedHeader $"the value of {Text.quote name} is not terminated")
                    finished <- true
                | close when header[close] = '\\' ->
                    result <- Error(HawkError.BadAttributeValue name)
                    finished <- true
                | close ->
                    let value = header.Substring(valueStart, close - valueStart)
                    let index = Array.IndexOf(attributeNames, name)

                    if index < 0 then
                        result <- Error(HawkError.UnknownAttribute name)
                        finished <- true
                    elif not (isHawkValue value) then
                        result <- Error(HawkError.BadAttributeValue name)
                        finished <- true
                    elif not (isNull values[index]) then
                        result <- Error(HawkError.DuplicateAttribute name)
                        finished <- true
                    else
                        values[index] <- value
                        i <- close + 1

                        while i < header.Length && isBlank header[i] do
                            i <- i + 1

                        if i >= header.Length then
                            finished <- true
                        elif header[i] = ',' then
                            i <- i + 1

                            while i < header.Length && isBlank header[i] do
                                i <- i + 1

                            // hawk accepts a trailing comma; so do we.
                            finished <- i >= header.Length
                        else
                            result <-
                                Error(HawkError.MalformedHeader $"expected ',' after the attribute {Text.quote name}")

                            finished <- true

        result

    /// Parses an `Authorization` header strictly into its attributes.
    let parseHeader (header: string) =
        if String.IsNullOrEmpty header then
            Error(HawkError.MalformedHeader "the header is empty")
        elif header.Length > maxLength then
            Error(HawkError.MalformedHeader $"the header is longer than {maxLength} characters")
        else
            let mutable schemeEnd = 0

            while schemeEnd < header.Length && isWordChar header[schemeEnd] do
                schemeEnd <- schemeEnd + 1

            let scheme = header.Substring(0, schemeEnd)
            let mutable start = schemeEnd

            while start < header.Length && isBlank header[start] do
                start <- start + 1

            if schemeEnd = 0 then
                Error(HawkError.MalformedHeader "expected an authentication scheme")
            elif not (scheme.Equals("hawk", StringComparison.OrdinalIgnoreCase)) then
                Error(HawkError.UnsupportedScheme scheme)
            elif start = schemeEnd && start < header.Length then
                Error(HawkError.MalformedHeader "expected a space after the scheme")
            elif start >= header.Length then
                Error(HawkError.MalformedHeader "the header has no attributes")
            else
                let values = Array.zeroCreate<string> attributeNames.Length

                match parseAttributes header start values with
                | Error e -> Error e
                | Ok() ->
                    let required = [ 0; 1; 2; 5 ] |> List.tryFind (fun i -> isNull values[i])

                    match required, parseTimestamp values[1] with
                    | Some missing, _ -> Error(HawkError.MissingAttribute attributeNames[missing])
                    | None, ValueNone -> Error(HawkError.BadAttributeValue "ts")
                    | None, ValueSome ts ->
                        Ok
                            {
                                HeaderParts.Id = values[0]
                                Timestamp = ts
                                Nonce = values[2]
                                Hash = values[3]
                                Ext = values[4]
                                Mac = values[5]
                                App = values[6]
                                Dlg = values[7]
                            }

    let private strictUtf8 = UTF8Encoding(false, true)

    let private decodeBewit (token: string) : Result<BewitParts, HawkError> =
        if token.Length = 0 then
            Error(HawkError.MalformedBewit "the bewit is empty")
        elif token.Contains '=' then
            Error(HawkError.MalformedBewit "padding ('=') is not allowed")
        else
            let text =
                match Text.tryDecodeBase64Url token with
                | None -> None
                | Some bytes ->
                    try
                        Some(strictUtf8.GetString bytes)
                    with :? DecoderFallbackException ->
                        None

            match text with
            | None -> Error(HawkError.MalformedBewit "it is not base64url text")
            | Some text ->
                match text.Split('\\') with
                | [| id; exp; mac; ext |] ->
                    match parseTimestamp exp with
                    | _ when id.Length = 0 -> Error(HawkError.MalformedBewit "the client id is empty")
                    | _ when mac.Length = 0 -> Error(HawkError.MalformedBewit "the MAC is empty")
                    | ValueSome expiry when expiry > 0L ->
                        Ok
                            {
                                BewitParts.Id = id
                                Expiry = expiry
                                Mac = mac
                                Ext = if ext.Length = 0 then null else ext
                            }
                    | _ -> Error(HawkError.MalformedBewit $"the expiry {Text.quote exp} is not a positive number")
                | _ -> Error(HawkError.MalformedBewit "expected four parts: id\\expiry\\mac\\ext")

    /// The single bewit of a URL and the URL without it (what its MAC covers).
    let parseBewit (url: string) =
        if String.IsNullOrEmpty url then
            Error HawkError.MissingBewit
        elif url.Length > maxLength then
            Error(HawkError.MalformedBewit $"the URL is longer than {maxLength} characters")
        else
            let found = bewitParameters url

            match found.Count with
            | 0 -> Error HawkError.MissingBewit
            | 1 ->
                let struct (start, stop) = found[0]

                let token =
                    url.Substring(start + bewitParameter.Length, stop - start - bewitParameter.Length)

                match decodeBewit token with
                | Error e -> Error e
                | Ok bewit ->
                    // Drop the parameter and the separator before it (or, if it comes first in
                    // the query, the one after it); an emptied query loses its `?` too.
                    let before, after =
                        if url[start - 1] = '&' then
                            start - 1, stop
                        elif stop < url.Length && url[stop] = '&' then
                            start, stop + 1
                        else
                            start - 1, stop

                    Ok(bewit, url.Remove(before, after - before))
            | _ -> Error(HawkError.MalformedBewit "the URL has more than one bewit parameter")

    /// Checks a header against the request received: MAC, then payload hash, then clock skew.
    let verifyHeader (header: HeaderParts) (request: Received) accessToken payloadHash now skewSeconds =
        match
            inputForRequest "header" request header.Timestamp header.Nonce header.Hash header.Ext header.App header.Dlg
        with
        | Error e -> Error e
        | Ok input when not (macMatches accessToken input header.Mac) -> Error HawkError.BadMac
        | Ok _ ->
            match Option.ofObj header.Hash, payloadHash with
            | Some sent, Some received when not (Text.constantTimeEquals sent received) ->
                Error HawkError.BadPayloadHash
            | _ ->
                if header.Timestamp > now + skewSeconds || header.Timestamp < now - skewSeconds then
                    Error(HawkError.StaleTimestamp(header.Timestamp, now))
                else
                    Ok()

    /// Checks a bewit against the request received without it: method, expiry, then MAC.
    let verifyBewit (bewit: BewitParts) (request: Received) accessToken now =
        let struct (method, resource, host, port) = request
        let method = if isNull method then "" else method

        if
            not (
                method.Equals("GET", StringComparison.OrdinalIgnoreCase)
                || method.Equals("HEAD", StringComparison.OrdinalIgnoreCase)
            )
        then
            Error(HawkError.BewitMethodNotAllowed method)
        elif bewit.Expiry <= now then
            Error(HawkError.ExpiredBewit(bewit.Expiry, now))
        else
            match
                inputForRequest "bewit" (struct ("GET", resource, host, port)) bewit.Expiry "" null bewit.Ext null null
            with
            | Error e -> Error e
            | Ok input when macMatches accessToken input bewit.Mac -> Ok()
            | Ok _ -> Error HawkError.BadMac
