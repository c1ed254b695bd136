namespace Taskcluster.Emulator.Internal

open System
open System.Security.Cryptography
open System.Text
open System.Text.RegularExpressions

/// The attributes of a Hawk `Authorization` header.
type internal HawkAttributes =
    {
        Id: string
        Ts: string
        Nonce: string
        Hash: string
        Ext: string
        Mac: string
        App: string
        Dlg: string
    }

/// The bits of a request the Hawk MAC covers.
type internal HawkRequest =
    {
        Method: string
        /// Path and query exactly as sent.
        Resource: string
        Host: string
        Port: int
    }

/// Server-side Hawk (hawk 9 as the Taskcluster services run it): header parsing, MACs,
/// payload hashes and bewits. Messages match hawk's where tools may read them.
// Private to the emulator until the core's Hawk module lands; pinned by the official vectors.
[<RequireQualifiedAccess>]
module internal Hawk =
    let private attributeRegex =
        Regex("""(\w+)="([^"\\]*)"\s*(?:,\s*|$)""", RegexOptions.Compiled)

    let private valueRegex =
        Regex("""^[ \w\!#\$%&'\(\)\*\+,\-\.\/\:;<\=>\?@\[\]\^`\{\|\}~]+$""", RegexOptions.Compiled)

    let private allowed =
        set [ "id"; "ts"; "nonce"; "hash"; "ext"; "mac"; "app"; "dlg" ]

    let parseHeader (header: string) : Result<HawkAttributes, string> =
        if isNull header then
            Error "Missing authorization"
        elif header.Length > 4096 then
            Error "Header length too long"
        else
            let m = Regex.Match(header, @"^(\w+)(?:\s+(.*))?$")

            if not m.Success then
                Error "Invalid header syntax"
            elif not (String.Equals(m.Groups[1].Value, "hawk", StringComparison.OrdinalIgnoreCase)) then
                Error "Unauthorized"
            elif not m.Groups[2].Success || m.Groups[2].Value = "" then
                Error "Invalid header syntax"
            else
                let attrs = Collections.Generic.Dictionary<string, string>()
                let rest = m.Groups[2].Value
                let mutable error = None

                let leftover =
                    attributeRegex.Replace(
                        rest,
                        MatchEvaluator(fun a ->
                            let key = a.Groups[1].Value
                            let value = a.Groups[2].Value

                            if error.IsNone then
                                if not (allowed.Contains key) then
                                    error <- Some "Unknown attribute"
                                elif not (valueRegex.IsMatch value) then
                                    error <- Some "Bad attribute value"
                                elif attrs.ContainsKey key then
                                    error <- Some "Duplicate attribute"
                                else
                                    attrs[key] <- value

                            "")
                    )

                match error with
                | Some e -> Error e
                | None when leftover.Trim() <> "" -> Error "Bad header format"
                | None ->
                    let get k =
                        match attrs.TryGetValue k with
                        | true, v -> v
                        | _ -> null

                    let a =
                        {
                            Id = get "id"
                            Ts = get "ts"
                            Nonce = get "nonce"
                            Hash = get "hash"
                            Ext = get "ext"
                            Mac = get "mac"
                            App = get "app"
                            Dlg = get "dlg"
                        }

                    if isNull a.Id || isNull a.Ts || isNull a.Nonce || isNull a.Mac then
                        Error "Missing attributes"
                    else
                        Ok a

    let private escape (s: string) =
        if isNull s then
            ""
        else
            s.Replace("\\", "\\\\").Replace("\n", "\\n")

    /// The text the MAC covers (`kind` is `header` or `bewit`).
    let normalized (kind: string) (req: HawkRequest) (a: HawkAttributes) =
        let sb = StringBuilder(128)
        let hash = if isNull a.Hash then "" else a.Hash

        sb
            .Append("hawk.1.")
            .Append(kind)
            .Append('\n')
            .Append(a.Ts)
            .Append('\n')
            .Append(a.Nonce)
            .Append('\n')
            .Append(req.Method.ToUpperInvariant())
            .Append('\n')
            .Append(req.Resource)
            .Append('\n')
            .Append(req.Host.ToLowerInvariant())
            .Append('\n')
            .Append(req.Port)
            .Append('\n')
            .Append(hash)
            .Append('\n')
            .Append(escape a.Ext)
            .Append('\n')
        |> ignore

        if not (isNull a.App) then
            let dlg = if isNull a.Dlg then "" else a.Dlg
            sb.Append(a.App).Append('\n').Append(dlg).Append('\n') |> ignore

        sb.ToString()

    let mac (key: string) (text: string) =
        Convert.ToBase64String(Util.hmacSha256 key text)

    /// `hawk.1.payload` hash of a body with its content type (parameters dropped, lower case).
    let payloadHash (contentType: string) (payload: ReadOnlySpan<byte>) =
        let mime =
            if String.IsNullOrEmpty contentType then
                ""
            else
                (contentType.Split(';')[0]).Trim().ToLowerInvariant()

        use h = IncrementalHash.CreateHash(HashAlgorithmName.SHA256)
        h.AppendData(Util.utf8.GetBytes("hawk.1.payload\n" + mime + "\n"))
        h.AppendData payload
        h.AppendData(Util.utf8.GetBytes "\n")
        Convert.ToBase64String(h.GetHashAndReset())

    /// The real services accept timestamps this far from their clock.
    let skew = TimeSpan.FromMinutes 15.0

    let private bewitRegex =
        Regex(@"^(/.*)([\?&])bewit\=([^&$]*)(?:&(.+))?$", RegexOptions.Compiled ||| RegexOptions.Singleline)

    /// The resource holds a `bewit` query parameter.
    let hasBewit (resource: string) =
        not (isNull resource)
        && resource.Contains("bewit=", StringComparison.Ordinal)
        && bewitRegex.IsMatch resource

    /// Splits a bewit out of the resource: the attributes (ts = expiry) and the resource
    /// without it, the way hawk's `uri.authenticate` does.
    let parseBewit (resource: string) : Result<HawkAttributes * string, string> =
        let m = bewitRegex.Match resource

        if not m.Success then
            Error "Missing bewit"
        elif m.Groups[3].Value = "" then
            Error "Empty bewit"
        elif not (Regex.IsMatch(m.Groups[3].Value, @"^[\w\-]*$")) then
            Error "Invalid bewit encoding"
        else
            match Util.tryDecodeBase64Url m.Groups[3].Value with
            | None -> Error "Invalid bewit encoding"
            | Some bytes ->
                let parts = Encoding.Latin1.GetString(bytes).Split('\\')

                if parts.Length <> 4 then
                    Error "Invalid bewit structure"
                elif parts[0] = "" || parts[1] = "" || parts[2] = "" then
                    Error "Missing bewit attributes"
                else
                    let url =
                        m.Groups[1].Value
                        + (if m.Groups[4].Success && m.Groups[4].Value <> "" then
                               m.Groups[2].Value + m.Groups[4].Value
                           else
                               "")

                    Ok(
                        {
                            Id = parts[0]
                            Ts = parts[1]
                            Nonce = ""
                            Hash = null
                            Ext = parts[3]
                            Mac = parts[2]
                            App = null
                            Dlg = null
                        },
                        url
                    )

    /// Signs a URL with a bewit (`?bewit=` or `&bewit=` appended), as `buildSignedUrl` does.
    let signUrl (clientId: string) (accessToken: string) (url: string) (expires: DateTimeOffset) =
        let uri = Uri url
        let exp = string (expires.ToUnixTimeSeconds())

        let attrs =
            {
                Id = clientId
                Ts = exp
                Nonce = ""
                Hash = null
                Ext = ""
                Mac = ""
                App = null
                Dlg = null
            }

        let req =
            {
                Method = "GET"
                Resource = uri.PathAndQuery
                Host = uri.Host
                Port = uri.Port
            }

        let mac' = mac accessToken (normalized "bewit" req attrs)

        let bewit =
            Util.base64Url (ReadOnlySpan(Util.utf8.GetBytes $"{clientId}\\{exp}\\{mac'}\\"))

        let sep = if url.Contains '?' then "&" else "?"
        $"{url}{sep}bewit={bewit}"
