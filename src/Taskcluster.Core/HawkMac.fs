namespace Taskcluster.Core

// The MAC and its base64 form live in stackalloc'd buffers: every request is signed, so the hot
// path avoids heap allocations other than the final header string.
#nowarn "9"

open System
open System.Buffers.Text
open System.Security.Cryptography
open Microsoft.FSharp.NativeInterop

/// Hawk's MAC: the normalized string (`hawk.1.header\n{ts}\n…`) written into a scratch buffer and
/// its keyed HMAC-SHA256, for a URI a client signs or a request a server received.
module internal HawkMac =
    /// One keyed HMAC-SHA256 per thread, kept for the last key it was given. Setting a key up costs
    /// about as much as hashing a header's normalized string, and a client signs every request with
    /// the same key, so reusing it halves the cost of a signature.
    [<Sealed; AbstractClass>]
    type MacCache =
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

    // ---- the normalized string and its MAC ----------------------------------------------

    /// Everything the MAC covers. Strings that are absent are null; the resource and host are
    /// slices of a text so that signing a URI copies nothing.
    [<Struct>]
    type MacInput =
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

    let length (text: string) = if isNull text then 0 else text.Length

    // Fixed text, a 20-character timestamp, an 11-character port and newlines fit in 64 bytes;
    // a UTF-16 unit never takes more than 3 UTF-8 bytes; an escaped ext character takes 2.
    let maxNormalizedBytes (input: MacInput) =
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

    let writeNormalized (input: MacInput, destination: Span<byte>) =
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

    let inline readOnly (span: Span<'T>) : ReadOnlySpan<'T> = Span<'T>.op_Implicit span

    /// Writes the HMAC-SHA256 of the normalized string into `mac` (32 bytes).
    [<System.Runtime.CompilerServices.SkipLocalsInit>]
    let computeMac (key: byte array, input: MacInput, mac: Span<byte>) =
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

    let macBase64Length = 44

    let toBase64 (mac: ReadOnlySpan<byte>, destination: Span<char>) =
        let mutable written = 0
        Convert.TryToBase64Chars(mac, destination, &written) |> ignore

    let inputFor (kind: string) (target: HawkCanonical.Target) (method: string) timestamp nonce hash ext =
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

    /// The MAC input for a request as a server received it (its method, path and query, Host
    /// and port). The host is read as `hawk` reads the Host header (through WHATWG URL rules:
    /// `127.1` is 127.0.0.1); one such a parser refuses is refused here too, as `hawk` answers it
    /// 400.
    let inputForRequest
        (kind: string)
        (struct (method: string, resource: string, host: string, port: int))
        timestamp
        nonce
        hash
        ext
        app
        dlg
        =
        let resource = if isNull resource then "" else resource

        let host =
            if String.IsNullOrEmpty host then
                Ok ""
            else
                match UrlHost.read (host.AsSpan()) with
                | Ok(ValueSome rewritten) -> Ok rewritten
                | Ok ValueNone -> Ok host
                | Error _ -> Error(HawkError.InvalidValue("host", host))

        host
        |> Result.map (fun host ->
            {
                Kind = kind
                Timestamp = timestamp
                Nonce = nonce
                Method = (if isNull method then "" else method)
                ResourceText = resource
                ResourceStart = 0
                ResourceLength = resource.Length
                RootSlash = false
                HostText = host
                HostStart = 0
                HostLength = host.Length
                Port = port
                Hash = hash
                Ext = ext
                App = app
                Dlg = dlg
            })

    /// Whether `expected` is the base64 MAC of the input under the access token, compared in
    /// constant time.
    let macMatches (accessToken: string) (input: MacInput) (expected: string) =
        let key = Text.utf8.GetBytes(if isNull accessToken then "" else accessToken)
        let macPointer = NativePtr.stackalloc<byte> 32
        let mac = Span<byte>(NativePtr.toVoidPtr macPointer, 32)
        computeMac (key, input, mac)
        let textPointer = NativePtr.stackalloc<char> macBase64Length
        let text = Span<char>(NativePtr.toVoidPtr textPointer, macBase64Length)
        toBase64 (readOnly mac, text)

        Text.constantTimeEqualsSpan (readOnly text) (expected.AsSpan())
