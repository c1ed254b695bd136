namespace Taskcluster.Core

// The MAC and its base64 form live in stackalloc'd buffers: every request is signed, so the hot
// path avoids heap allocations other than the final header string.
#nowarn "9"

open System
open System.Buffers
open System.Buffers.Text
open System.Globalization
open System.Runtime.InteropServices
open System.Security.Cryptography
open System.Text
open Microsoft.FSharp.NativeInterop

[<RequireQualifiedAccess>]
type HawkError =
    | InvalidClientId of clientId: string
    | EmptyAccessToken
    | InvalidUri of uri: string * reason: string
    | InvalidValue of name: string * value: string
    | MalformedHeader of reason: string
    | UnsupportedScheme of scheme: string
    | UnknownAttribute of name: string
    | DuplicateAttribute of name: string
    | BadAttributeValue of name: string
    | MissingAttribute of name: string
    | MissingBewit
    | MalformedBewit of reason: string
    | BewitMethodNotAllowed of method: string
    | BadMac
    | BadPayloadHash
    | StaleTimestamp of timestamp: int64 * serverTime: int64
    | ExpiredBewit of expiry: int64 * serverTime: int64

    member this.Describe() =
        let q = Text.quote

        match this with
        | InvalidClientId clientId ->
            $"the client id {q clientId} is empty or has a character a Hawk header cannot carry"
        | EmptyAccessToken -> "the access token is empty"
        | InvalidUri(uri, reason) -> $"the URI {q uri} cannot be signed: {reason}"
        | InvalidValue(name, value) -> $"the {name} {q value} cannot be carried by a Hawk header or bewit"
        | MalformedHeader reason -> $"malformed Hawk header: {reason}"
        | UnsupportedScheme scheme -> $"the authorization scheme {q scheme} is not Hawk"
        | UnknownAttribute name -> $"unknown Hawk attribute {q name}"
        | DuplicateAttribute name -> $"the Hawk attribute {q name} appears more than once"
        | BadAttributeValue name -> $"the Hawk attribute {q name} has an empty or invalid value"
        | MissingAttribute name -> $"the Hawk header lacks the required attribute {q name}"
        | MissingBewit -> "the URL has no bewit parameter"
        | MalformedBewit reason -> $"malformed bewit: {reason}"
        | BewitMethodNotAllowed method -> $"bewits authenticate GET and HEAD requests only, not {q method}"
        | BadMac -> "bad MAC: the request was signed with another key or changed after signing"
        | BadPayloadHash -> "the payload hash in the header does not match the payload"
        | StaleTimestamp(ts, now) ->
            let apart = abs (decimal now - decimal ts)

            $"stale timestamp: signed at {Text.unixSecondsText ts}, but the server time is {Text.unixSecondsText now} ({apart} s apart)"
        | ExpiredBewit(expiry, now) ->
            $"the bewit expired at {Text.unixSecondsText expiry}; the server time is {Text.unixSecondsText now}"

/// One keyed HMAC-SHA256 per thread, kept for the last key it was given. Setting a key up costs
/// about as much as hashing a header's normalized string, and a client signs every request with
/// the same key, so reusing it halves the cost of a signature.
[<Sealed; AbstractClass>]
type internal MacCache =
    [<ThreadStatic; DefaultValue>]
    static val mutable private key: byte array

    [<ThreadStatic; DefaultValue>]
    static val mutable private hmac: IncrementalHash

    /// Writes HMAC-SHA256(key, data) into `mac` (32 bytes).
    static member Compute(key: byte array, data: ReadOnlySpan<byte>, mac: Span<byte>) =
        if not (obj.ReferenceEquals(MacCache.key, key)) then
            MacCache.Forget()
            MacCache.hmac <- IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, key)
            MacCache.key <- key

        try
            MacCache.hmac.AppendData data
            MacCache.hmac.GetHashAndReset mac |> ignore
        with _ ->
            // A half-fed HMAC must never sign the next message.
            MacCache.Forget()
            reraise ()

    static member private Forget() =
        if not (isNull MacCache.hmac) then
            MacCache.hmac.Dispose()

        MacCache.hmac <- null
        MacCache.key <- null

/// A scratch buffer of `size` elements: the caller's stack space when it is big enough (the
/// caller stackallocs `Scratch.StackSize size`: a helper cannot stackalloc for its caller),
/// else an array rented from the shared pool and given back by `Return`. Either way its
/// contents start unspecified: only what was written is ever read.
[<Struct; System.Runtime.CompilerServices.IsByRefLike>]
type internal Scratch<'T> =
    val Buffer: Span<'T>
    val private rented: 'T array

    new(stack: Span<'T>, size: int) =
        if size <= stack.Length then
            {
                Buffer = stack.Slice(0, size)
                rented = null
            }
        else
            let rented = ArrayPool<'T>.Shared.Rent size

            {
                Buffer = Span<'T>(rented, 0, size)
                rented = rented
            }

    /// The elements most worth taking from the stack; bigger buffers are rented.
    static member Limit = 1024

    /// How much stack to allocate for a scratch buffer of `size` elements: all of it when it
    /// is within the limit, else none.
    static member StackSize(size: int) =
        if size > Scratch<'T>.Limit then 0 else size

    /// Gives a rented array back to the pool.
    member this.Return() =
        if not (isNull this.rented) then
            ArrayPool<'T>.Shared.Return this.rented

[<RequireQualifiedAccess>]
module Hawk =
    [<Sealed>]
    type Credentials internal (clientId: string, accessToken: string) =
        let key = Text.utf8.GetBytes accessToken
        member _.ClientId = clientId
        member _.AccessToken = accessToken
        member internal _.Key = key

        override _.ToString() =
            $"Credentials(clientId={clientId}, accessToken=***)"

    type Header =
        {
            Id: string
            Timestamp: int64
            Nonce: string
            Hash: string option
            Ext: string option
            Mac: string
            App: string option
            Dlg: string option
        }

    type Bewit =
        {
            Id: string
            Expiry: int64
            Mac: string
            Ext: string option
        }

    type Request =
        {
            Method: string
            Resource: string
            Host: string
            Port: int
        }

    let defaultSkewSeconds = 15L * 60L

    // ---- character classes ---------------------------------------------------------------

    // Hawk's attribute values: printable ASCII except the quote and the backslash.
    let private isValueChar (c: char) =
        c >= ' ' && c <= '~' && c <> '"' && c <> '\\'

    let private isWordChar (c: char) = Char.IsAsciiLetterOrDigit c || c = '_'

    // RFC 9110 token characters, which is what a method may be made of.
    let private isTokenChar (c: char) =
        Char.IsAsciiLetterOrDigit c || "!#$%&'*+-.^_`|~".Contains c

    let inline private forall ([<InlineIfLambda>] predicate: char -> bool) (text: ReadOnlySpan<char>) =
        let mutable ok = true
        let mutable i = 0

        while ok && i < text.Length do
            ok <- predicate text[i]
            i <- i + 1

        ok

    let private isHawkValue (text: string) =
        not (String.IsNullOrEmpty text) && forall isValueChar (text.AsSpan())

    let credentials (clientId: string) (accessToken: string) =
        if not (isHawkValue clientId) then
            Error(HawkError.InvalidClientId clientId)
        elif String.IsNullOrEmpty accessToken then
            Error HawkError.EmptyAccessToken
        else
            Ok(Credentials(clientId, accessToken))

    // ---- absolute URIs, read without System.Uri so that nothing is re-escaped --------------

    /// Where the parts of an absolute URI sit in its text.
    [<Struct>]
    type private Target =
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

    let private invalidUri uri reason =
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

    let private parseTarget (uri: string) : Result<Target, HawkError> =
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

    let request (method: string) (uri: string) =
        if String.IsNullOrEmpty method || not (forall isTokenChar (method.AsSpan())) then
            Error(HawkError.InvalidValue("method", method))
        else
            match parseTarget uri with
            | Error e -> Error e
            | Ok t ->
                Ok
                    {
                        Method = method.ToUpperInvariant()
                        Resource = (if t.RootSlash then "/" else "") + t.Resource.ToString()
                        Host =
                            (if isNull t.Rewritten then
                                 t.Host.ToString().ToLowerInvariant()
                             else
                                 t.Rewritten)
                        Port = t.Port
                    }

    // ---- the normalized string and its MAC ----------------------------------------------

    /// Everything the MAC covers. Strings that are absent are null; the resource and host are
    /// slices of a text so that signing a URI copies nothing.
    [<Struct>]
    type private MacInput =
        {
            Kind: string
            Timestamp: int64
            Nonce: string
            Method: string
            ResourceText: string
            ResourceStart: int
            ResourceLength: int
            RootSlash: bool
            HostText: string
            HostStart: int
            HostLength: int
            Port: int
            Hash: string
            Ext: string
            App: string
            Dlg: string
        }

    let private length (text: string) = if isNull text then 0 else text.Length

    // Fixed text, a 20-character timestamp, an 11-character port and newlines fit in 64 bytes;
    // a UTF-16 unit never takes more than 3 UTF-8 bytes; an escaped ext character takes 2.
    let private maxNormalizedBytes (input: MacInput) =
        64
        + 3
          * (length input.Nonce
             + length input.Method
             + input.ResourceLength
             + input.HostLength
             + length input.Hash
             + 2 * length input.Ext
             + length input.App
             + length input.Dlg)

    let private write (destination: Span<byte>, position: int, text: ReadOnlySpan<char>) =
        position + Text.utf8.GetBytes(text, destination.Slice position)

    let private writeByte (destination: Span<byte>, position: int, value: byte) =
        destination[position] <- value
        position + 1

    let private writeInt64 (destination: Span<byte>, position: int, value: int64) =
        let mutable written = 0
        Utf8Formatter.TryFormat(value, destination.Slice position, &written) |> ignore
        position + written

    // Hawk escapes every backslash and newline of the ext before signing it.
    let private writeEscapedExt (destination: Span<byte>, position: int, ext: string) =
        let mutable p = position
        let mutable rest = ext.AsSpan()
        let mutable i = rest.IndexOfAny('\\', '\n')

        while i >= 0 do
            p <- write (destination, p, rest.Slice(0, i))
            p <- writeByte (destination, p, byte '\\')
            p <- writeByte (destination, p, (if rest[i] = '\n' then byte 'n' else byte '\\'))
            rest <- rest.Slice(i + 1)
            i <- rest.IndexOfAny('\\', '\n')

        write (destination, p, rest)

    let private changeCase (span: Span<byte>, upper: bool) =
        for i in 0 .. span.Length - 1 do
            let b = span[i]

            if upper && b >= byte 'a' && b <= byte 'z' then
                span[i] <- b - 32uy
            elif not upper && b >= byte 'A' && b <= byte 'Z' then
                span[i] <- b + 32uy

    let private newline = byte '\n'

    let private writeNormalized (input: MacInput, destination: Span<byte>) =
        let mutable p = write (destination, 0, "hawk.1.".AsSpan())
        p <- write (destination, p, input.Kind.AsSpan())
        p <- writeByte (destination, p, newline)
        p <- writeInt64 (destination, p, input.Timestamp)
        p <- writeByte (destination, p, newline)
        p <- write (destination, p, input.Nonce.AsSpan())
        p <- writeByte (destination, p, newline)
        let methodStart = p
        p <- write (destination, p, input.Method.AsSpan())
        changeCase (destination.Slice(methodStart, p - methodStart), true)
        p <- writeByte (destination, p, newline)

        if input.RootSlash then
            p <- writeByte (destination, p, byte '/')

        p <- write (destination, p, input.ResourceText.AsSpan(input.ResourceStart, input.ResourceLength))
        p <- writeByte (destination, p, newline)
        let hostStart = p
        p <- write (destination, p, input.HostText.AsSpan(input.HostStart, input.HostLength))
        changeCase (destination.Slice(hostStart, p - hostStart), false)
        p <- writeByte (destination, p, newline)
        p <- writeInt64 (destination, p, int64 input.Port)
        p <- writeByte (destination, p, newline)

        if not (isNull input.Hash) then
            p <- write (destination, p, input.Hash.AsSpan())

        p <- writeByte (destination, p, newline)

        if not (String.IsNullOrEmpty input.Ext) then
            p <- writeEscapedExt (destination, p, input.Ext)

        p <- writeByte (destination, p, newline)

        if not (String.IsNullOrEmpty input.App) then
            p <- write (destination, p, input.App.AsSpan())
            p <- writeByte (destination, p, newline)

            if not (isNull input.Dlg) then
                p <- write (destination, p, input.Dlg.AsSpan())

            p <- writeByte (destination, p, newline)

        p

    // Stack buffers are allocated in the function that uses them, never through a helper: debug
    // builds do not inline `inline` functions, and a helper's stack frame is gone once it returns.
    // `Scratch` only chooses between that stack space and a rented array.

    let inline private readOnly (span: Span<'T>) : ReadOnlySpan<'T> = Span<'T>.op_Implicit span

    /// Writes the HMAC-SHA256 of the normalized string into `mac` (32 bytes).
    [<System.Runtime.CompilerServices.SkipLocalsInit>]
    let private computeMac (key: byte array, input: MacInput, mac: Span<byte>) =
        let size = maxNormalizedBytes input
        // Only what is needed; the buffer is not zeroed (SkipLocalsInit) since only what was
        // written is ever read.
        let stackSize = Scratch<byte>.StackSize size
        let stackPointer = NativePtr.stackalloc<byte> stackSize

        let scratch =
            Scratch<byte>(Span<byte>(NativePtr.toVoidPtr stackPointer, stackSize), size)

        let buffer = scratch.Buffer

        let written = writeNormalized (input, buffer)

        MacCache.Compute(key, readOnly (buffer.Slice(0, written)), mac)
        scratch.Return()

    let private macBase64Length = 44

    let private toBase64 (mac: ReadOnlySpan<byte>, destination: Span<char>) =
        let mutable written = 0
        Convert.TryToBase64Chars(mac, destination, &written) |> ignore

    let private inputFor (kind: string) (target: Target) (method: string) timestamp nonce hash ext =
        // IP addresses are the one host form that needs a copy (see UrlHost.read)
        let literal = target.Rewritten

        {
            Kind = kind
            Timestamp = timestamp
            Nonce = nonce
            Method = method
            ResourceText = target.Text
            ResourceStart = target.ResourceStart
            ResourceLength = target.ResourceLength
            RootSlash = target.RootSlash
            HostText = (if isNull literal then target.Text else literal)
            HostStart = (if isNull literal then target.HostStart else 0)
            HostLength = (if isNull literal then target.HostLength else literal.Length)
            Port = target.Port
            Hash = hash
            Ext = ext
            App = null
            Dlg = null
        }

    /// The MAC input for a request as a server received it. The host is read as `hawk` reads
    /// the Host header (through WHATWG URL rules: `127.1` is 127.0.0.1); one such a parser
    /// refuses is refused here too, as `hawk` answers it 400.
    let private inputForRequest (kind: string) (request: Request) timestamp nonce hash ext app dlg =
        let resource = if isNull request.Resource then "" else request.Resource

        let host =
            if String.IsNullOrEmpty request.Host then
                Ok ""
            else
                match UrlHost.read (request.Host.AsSpan()) with
                | Ok(ValueSome rewritten) -> Ok rewritten
                | Ok ValueNone -> Ok request.Host
                | Error _ -> Error(HawkError.InvalidValue("host", request.Host))

        host
        |> Result.map (fun host ->
            {
                Kind = kind
                Timestamp = timestamp
                Nonce = nonce
                Method = (if isNull request.Method then "" else request.Method)
                ResourceText = resource
                ResourceStart = 0
                ResourceLength = resource.Length
                RootSlash = false
                HostText = host
                HostStart = 0
                HostLength = host.Length
                Port = request.Port
                Hash = hash
                Ext = ext
                App = app
                Dlg = dlg
            })

    // ---- signing ------------------------------------------------------------------------

    let private presentOrNull (value: string option) =
        match value with
        | Some v when not (String.IsNullOrEmpty v) -> v
        | _ -> null

    /// Checks what goes into a header besides the URI; returns the ext and hash, null if absent.
    let private checkHeaderValues (method: string) (timestamp: int64) (nonce: string) ext hash =
        let ext = presentOrNull ext
        let hash = presentOrNull hash

        if String.IsNullOrEmpty method || not (forall isTokenChar (method.AsSpan())) then
            Error(HawkError.InvalidValue("method", method))
        elif timestamp < 0L then
            Error(HawkError.InvalidValue("timestamp", string timestamp))
        elif not (isHawkValue nonce) then
            Error(HawkError.InvalidValue("nonce", nonce))
        elif not (isNull ext || isHawkValue ext) then
            Error(HawkError.InvalidValue("ext", ext))
        elif not (isNull hash || isHawkValue hash) then
            Error(HawkError.InvalidValue("payload hash", hash))
        else
            Ok(struct (ext, hash))

    let normalized method uri timestamp nonce ext payloadHash =
        match checkHeaderValues method timestamp nonce ext payloadHash with
        | Error e -> Error e
        | Ok(struct (ext, hash)) ->
            match parseTarget uri with
            | Error e -> Error e
            | Ok target ->
                let input = inputFor "header" target method timestamp nonce hash ext
                let buffer = Array.zeroCreate<byte> (maxNormalizedBytes input)
                let written = writeNormalized (input, Span buffer)
                Ok(Text.utf8.GetString(buffer, 0, written))

    let private append (destination: Span<char>, position: int, text: string) =
        text.AsSpan().CopyTo(destination.Slice position)
        position + text.Length

    [<System.Runtime.CompilerServices.SkipLocalsInit>]
    let private renderHeader
        (id: string, timestamp: int64, nonce: string, hash: string, ext: string, mac: ReadOnlySpan<byte>)
        =
        // 116 characters of fixed text, a 20-digit timestamp at most and the 44-character MAC.
        let size = 128 + id.Length + nonce.Length + length hash + length ext
        // Only what is needed; the buffer is not zeroed (SkipLocalsInit) since only what was
        // written is ever read.
        let stackSize = Scratch<char>.StackSize size
        let stackPointer = NativePtr.stackalloc<char> stackSize

        let scratch =
            Scratch<char>(Span<char>(NativePtr.toVoidPtr stackPointer, stackSize), size)

        let buffer = scratch.Buffer
        let mutable p = append (buffer, 0, "Hawk id=\"")
        p <- append (buffer, p, id)
        p <- append (buffer, p, "\", ts=\"")
        let mutable written = 0

        timestamp.TryFormat(buffer.Slice p, &written, ReadOnlySpan<char>.Empty, CultureInfo.InvariantCulture)
        |> ignore

        p <- p + written
        p <- append (buffer, p, "\", nonce=\"")
        p <- append (buffer, p, nonce)

        if not (isNull hash) then
            p <- append (buffer, p, "\", hash=\"")
            p <- append (buffer, p, hash)

        if not (isNull ext) then
            p <- append (buffer, p, "\", ext=\"")
            p <- append (buffer, p, ext)

        p <- append (buffer, p, "\", mac=\"")
        toBase64 (mac, buffer.Slice p)
        p <- p + macBase64Length
        p <- append (buffer, p, "\"")
        let header = String(readOnly (buffer.Slice(0, p)))
        scratch.Return()

        header

    let header (credentials: Credentials) method uri timestamp nonce ext payloadHash =
        match checkHeaderValues method timestamp nonce ext payloadHash with
        | Error e -> Error e
        | Ok(struct (ext, hash)) ->
            match parseTarget uri with
            | Error e -> Error e
            | Ok target ->
                let macPointer = NativePtr.stackalloc<byte> 32
                let mac = Span<byte>(NativePtr.toVoidPtr macPointer, 32)
                computeMac (credentials.Key, inputFor "header" target method timestamp nonce hash ext, mac)
                Ok(renderHeader (credentials.ClientId, timestamp, nonce, hash, ext, readOnly mac))

    // ---- bewits -------------------------------------------------------------------------

    let private bewitParameter = "bewit="

    /// The `bewit=` parameters in a query, as (start, end) of each parameter.
    let private bewitParameters (url: string) =
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

    let private bewitToken (credentials: Credentials) (target: Target) (expiry: int64) (ext: string) =
        let macPointer = NativePtr.stackalloc<byte> 32
        let mac = Span<byte>(NativePtr.toVoidPtr macPointer, 32)
        computeMac (credentials.Key, inputFor "bewit" target "GET" expiry "" null ext, mac)
        let macTextPointer = NativePtr.stackalloc<char> macBase64Length
        let macText = Span<char>(NativePtr.toVoidPtr macTextPointer, macBase64Length)
        toBase64 (readOnly mac, macText)
        let plain = $"{credentials.ClientId}\\{expiry}\\{macText.ToString()}\\{ext}"
        Base64Url.EncodeToString(ReadOnlySpan(Text.utf8.GetBytes plain))

    let private checkBewit (uri: string) (expiry: int64) (ext: string option) =
        let ext =
            match ext with
            | Some e when not (isNull e) -> e
            | _ -> ""

        if expiry <= 0L then
            Error(HawkError.InvalidValue("expiry", string expiry))
        elif ext.Contains '\\' then
            // `\` separates the parts of a bewit, so an ext holding one could not be read back.
            Error(HawkError.InvalidValue("ext", ext))
        elif not (isNull uri) && (bewitParameters uri).Count > 0 then
            invalidUri uri "it already has a bewit parameter"
        else
            match parseTarget uri with
            | Error e -> Error e
            | Ok target -> Ok(struct (target, ext))

    let bewit credentials uri expiry ext =
        match checkBewit uri expiry ext with
        | Error e -> Error e
        | Ok(struct (target, ext)) -> Ok(bewitToken credentials target expiry ext)

    let signUrl credentials uri expiry ext =
        match checkBewit uri expiry ext with
        | Error e -> Error e
        | Ok(struct (target, ext)) ->
            let token = bewitToken credentials target expiry ext
            let text = target.Text
            let resource = target.Resource
            let separator = if resource.IndexOf('?') >= 0 then "&" else "?"

            let url =
                StringBuilder(text.Length + token.Length + 8)
                    .Append(text.AsSpan(0, target.SchemeLength).ToString().ToLowerInvariant())
                    .Append("://")
                    .Append(target.Host.ToString().ToLowerInvariant())
                    .Append(text, target.PortTextStart, target.ResourceStart - target.PortTextStart)
                    .Append(if target.RootSlash then "/" else "")
                    .Append(text, target.ResourceStart, target.ResourceLength)
                    .Append(separator)
                    .Append(bewitParameter)
                    .Append(token)
                    .Append(text, target.FragmentStart, text.Length - target.FragmentStart)

            Ok(url.ToString())

    // ---- parsing ------------------------------------------------------------------------

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
                                Header.Id = values[0]
                                Timestamp = ts
                                Nonce = values[2]
                                Hash = Option.ofObj values[3]
                                Ext = Option.ofObj values[4]
                                Mac = values[5]
                                App = Option.ofObj values[6]
                                Dlg = Option.ofObj values[7]
                            }

    let private strictUtf8 = UTF8Encoding(false, true)

    let private decodeBewit (token: string) : Result<Bewit, HawkError> =
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
                                Bewit.Id = id
                                Expiry = expiry
                                Mac = mac
                                Ext = if ext.Length = 0 then None else Some ext
                            }
                    | _ -> Error(HawkError.MalformedBewit $"the expiry {Text.quote exp} is not a positive number")
                | _ -> Error(HawkError.MalformedBewit "expected four parts: id\\expiry\\mac\\ext")

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

    // ---- verification -------------------------------------------------------------------

    let private macMatches (accessToken: string) (input: MacInput) (expected: string) =
        let key = Text.utf8.GetBytes(if isNull accessToken then "" else accessToken)
        let macPointer = NativePtr.stackalloc<byte> 32
        let mac = Span<byte>(NativePtr.toVoidPtr macPointer, 32)
        computeMac (key, input, mac)
        let textPointer = NativePtr.stackalloc<char> macBase64Length
        let text = Span<char>(NativePtr.toVoidPtr textPointer, macBase64Length)
        toBase64 (readOnly mac, text)

        Text.constantTimeEqualsSpan (readOnly text) (expected.AsSpan())

    let verifyHeader (header: Header) (request: Request) accessToken payloadHash now skewSeconds =
        match
            inputForRequest
                "header"
                request
                header.Timestamp
                header.Nonce
                (Option.toObj header.Hash)
                (Option.toObj header.Ext)
                (Option.toObj header.App)
                (Option.toObj header.Dlg)
        with
        | Error e -> Error e
        | Ok input when not (macMatches accessToken input header.Mac) -> Error HawkError.BadMac
        | Ok _ ->
            match header.Hash, payloadHash with
            | Some sent, Some received when not (Text.constantTimeEquals sent received) ->
                Error HawkError.BadPayloadHash
            | _ ->
                if header.Timestamp > now + skewSeconds || header.Timestamp < now - skewSeconds then
                    Error(HawkError.StaleTimestamp(header.Timestamp, now))
                else
                    Ok()

    let verifyBewit (bewit: Bewit) (request: Request) accessToken now =
        let method = if isNull request.Method then "" else request.Method

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
                inputForRequest
                    "bewit"
                    { request with Method = "GET" }
                    bewit.Expiry
                    ""
                    null
                    (Option.toObj bewit.Ext)
                    null
                    null
            with
            | Error e -> Error e
            | Ok input when macMatches accessToken input bewit.Mac -> Ok()
            | Ok _ -> Error HawkError.BadMac

    // ---- payload hash -------------------------------------------------------------------

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

        hash.AppendData [| newline |]
        Convert.ToBase64String(hash.GetHashAndReset())
