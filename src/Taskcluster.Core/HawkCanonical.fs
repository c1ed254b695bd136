namespace Taskcluster.Core

open System
open System.Globalization
open System.Security.Cryptography

/// Hawk's canonical forms of what it signs: the characters a header may carry, an absolute URI
/// read into the parts the MAC covers (without System.Uri, so nothing is re-escaped), the
/// `bewit` parameters of a query and the payload hash. Client signing and server verification
/// both read requests through here, so they cannot disagree.
module internal HawkCanonical =
    // ---- character classes ---------------------------------------------------------------

    // Hawk's attribute values: printable ASCII except the quote and the backslash.
    let isValueChar (c: char) =
        c >= ' ' && c <= '~' && c <> '"' && c <> '\\'

    let isWordChar (c: char) = Char.IsAsciiLetterOrDigit c || c = '_'

    // RFC 9110 token characters, which is what a method may be made of.
    let isTokenChar (c: char) =
        Char.IsAsciiLetterOrDigit c || "!#$%&'*+-.^_`|~".Contains c

    let inline forall ([<InlineIfLambda>] predicate: char -> bool) (text: ReadOnlySpan<char>) =
        let mutable ok = true
        let mutable i = 0

        while ok && i < text.Length do
            ok <- predicate text[i]
            i <- i + 1

        ok

    let isHawkValue (text: string) =
        not (String.IsNullOrEmpty text) && forall isValueChar (text.AsSpan())

    // ---- absolute URIs, read without System.Uri so that nothing is re-escaped --------------

    /// Where the parts of an absolute URI sit in its text.
    [<Struct>]
    type Target =
        {
            Text: string
            SchemeLength: int
            HostStart: int
            HostLength: int
            /// Start of `:port` (or of the path when there is no port text).
            PortTextStart: int
            Port: int
            ResourceStart: int
            ResourceLength: int
            /// WHATWG URLs give an empty path as `/`, and so must we.
            RootSlash: bool
            /// Start of `#fragment`, or the text's length.
            FragmentStart: int
            /// The host as a server reads it when that is not the text lower-cased (an IP
            /// address; see UrlHost), else null: a DNS name is signed from the text, uncopied.
            Rewritten: string
        }

        member t.Resource = t.Text.AsSpan(t.ResourceStart, t.ResourceLength)
        member t.Host = t.Text.AsSpan(t.HostStart, t.HostLength)

    let invalidUri uri reason =
        Error(HawkError.InvalidUri(uri, reason))

    // What is sent on the wire must be what was signed, so anything a URL library would escape
    // is refused instead of being signed raw.
    let private isResourceChar (c: char) = c > ' ' && c <= '~'

    let private parsePort (text: ReadOnlySpan<char>, defaultPort: int) =
        if text.IsEmpty then
            defaultPort
        elif text.Length > 5 || not (forall Char.IsAsciiDigit text) then
            -1
        else
            match Int32.Parse(text, NumberStyles.None, CultureInfo.InvariantCulture) with
            | p when p <= 65535 -> p
            | _ -> -1

    let parseTarget (uri: string) : Result<Target, HawkError> =
        if String.IsNullOrEmpty uri then
            invalidUri uri "it is empty"
        else
            let schemeLength = uri.IndexOf("://", StringComparison.Ordinal)

            let scheme =
                if schemeLength > 0 then
                    uri.AsSpan(0, schemeLength)
                else
                    ReadOnlySpan<char>.Empty

            let defaultPort =
                if MemoryExtensions.Equals(scheme, "http".AsSpan(), StringComparison.OrdinalIgnoreCase) then
                    80
                elif MemoryExtensions.Equals(scheme, "https".AsSpan(), StringComparison.OrdinalIgnoreCase) then
                    443
                else
                    -1

            if schemeLength <= 0 then
                invalidUri uri "it is not an absolute URI (scheme://host/path)"
            elif defaultPort < 0 then
                invalidUri uri "the scheme must be http or https"
            else
                let authorityStart = schemeLength + 3

                let authorityEnd =
                    match uri.AsSpan(authorityStart).IndexOfAny('/', '?', '#') with
                    | -1 -> uri.Length
                    | i -> authorityStart + i

                let authority = uri.AsSpan(authorityStart, authorityEnd - authorityStart)

                // hostLength, and the index in the authority where `:port` starts (-1: none).
                let hostLength, portAt =
                    if not authority.IsEmpty && authority[0] = '[' then
                        match authority.IndexOf(']') with
                        | -1 -> -1, -1
                        | close when close + 1 = authority.Length -> close + 1, -1
                        | close when authority[close + 1] = ':' -> close + 1, close + 1
                        | _ -> -1, -1
                    else
                        match authority.IndexOf(':') with
                        | -1 -> authority.Length, -1
                        | colon -> colon, colon

                let host =
                    if hostLength > 0 then
                        authority.Slice(0, hostLength)
                    else
                        ReadOnlySpan<char>.Empty

                // Bracketed hosts are IPv6 literals, which UrlHost.read checks.
                let hostOk = hostLength > 0 && (host[0] = '[' || forall UrlHost.isDomainChar host)

                let port =
                    if portAt < 0 then
                        defaultPort
                    else
                        parsePort (authority.Slice(portAt + 1), defaultPort)

                let fragmentStart =
                    match uri.AsSpan(authorityEnd).IndexOf('#') with
                    | -1 -> uri.Length
                    | i -> authorityEnd + i

                let resource = uri.AsSpan(authorityEnd, fragmentStart - authorityEnd)

                let at = authority.LastIndexOf('@')

                if at >= 0 then
                    // The user information may hold a password, so it is not repeated.
                    let redacted =
                        uri.Substring(0, authorityStart) + "***" + uri.Substring(authorityStart + at)

                    invalidUri redacted "user information (user@host) is not supported; pass credentials separately"
                elif not hostOk then
                    invalidUri uri "the host must be a DNS name, an IPv4 address or a bracketed IPv6 address"
                elif port < 0 then
                    invalidUri uri "the port must be a number from 0 to 65535"
                elif not (forall isResourceChar resource) then
                    let i = resource.IndexOfAnyExceptInRange('!', '~')

                    invalidUri
                        uri
                        $"the character {Text.quote (string resource[i])} in the path or query must be percent-encoded"
                else
                    match UrlHost.read host with
                    | Error reason -> invalidUri uri reason
                    | Ok rewritten ->
                        Ok
                            {
                                Text = uri
                                SchemeLength = schemeLength
                                HostStart = authorityStart
                                HostLength = hostLength
                                PortTextStart = authorityStart + hostLength
                                Port = port
                                ResourceStart = authorityEnd
                                ResourceLength = resource.Length
                                RootSlash = resource.IsEmpty || resource[0] <> '/'
                                FragmentStart = fragmentStart
                                Rewritten = ValueOption.toObj rewritten
                            }

    // ---- the bewit parameter of a query -------------------------------------------------

    let bewitParameter = "bewit="

    /// The `bewit=` parameters in a query, as (start, end) of each parameter.
    let bewitParameters (url: string) =
        let found = ResizeArray<struct (int * int)>()

        match url.IndexOf('?') with
        | -1 -> ()
        | q ->
            let queryEnd =
                match url.IndexOf('#', q) with
                | -1 -> url.Length
                | h -> h

            let mutable start = q + 1

            while start <= queryEnd do
                let stop =
                    match url.IndexOf('&', start, queryEnd - start) with
                    | -1 -> queryEnd
                    | amp -> amp

                if String.CompareOrdinal(url, start, bewitParameter, 0, bewitParameter.Length) = 0 then
                    found.Add(struct (start, stop))

                start <- stop + 1

        found

    // ---- payload hash -------------------------------------------------------------------

    /// Hawk's payload hash: base64 SHA-256 of `hawk.1.payload\n{content type}\n{payload}\n`.
    let payloadHash (contentType: string) (payload: byte array) =
        let mediaType =
            match contentType with
            | null -> ""
            | text ->
                let semicolon = text.IndexOf ';'

                let mediaType =
                    if semicolon >= 0 then
                        text.Substring(0, semicolon)
                    else
                        text

                mediaType.Trim().ToLowerInvariant()

        use hash = IncrementalHash.CreateHash HashAlgorithmName.SHA256
        hash.AppendData(Text.utf8.GetBytes $"hawk.1.payload\n{mediaType}\n")

        if not (isNull payload) then
            hash.AppendData payload

        hash.AppendData [| byte '\n' |]
        Convert.ToBase64String(hash.GetHashAndReset())
