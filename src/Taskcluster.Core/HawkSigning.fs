namespace Taskcluster.Core

// Headers and MACs are built in stackalloc'd buffers (see HawkMac).
#nowarn "9"

open System
open System.Buffers.Text
open System.Globalization
open System.Text
open Microsoft.FSharp.NativeInterop
open Taskcluster.Core.HawkCanonical
open Taskcluster.Core.HawkMac

/// The client side of Hawk: `Authorization` headers and bewits (signed URLs) for a client id and
/// its key bytes, after checking that every value can be carried.
[<RequireQualifiedAccess>]
module internal HawkSigning =
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

    /// The normalized string a header MAC covers, as text (for tests and debugging).
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

    /// The `Authorization` header value for a request, signed with `key`.
    let header (clientId: string) (key: byte array) method uri timestamp nonce ext payloadHash =
        match checkHeaderValues method timestamp nonce ext payloadHash with
        | Error e -> Error e
        | Ok(struct (ext, hash)) ->
            match parseTarget uri with
            | Error e -> Error e
            | Ok target ->
                let macPointer = NativePtr.stackalloc<byte> 32
                let mac = Span<byte>(NativePtr.toVoidPtr macPointer, 32)
                computeMac (key, inputFor "header" target method timestamp nonce hash ext, mac)
                Ok(renderHeader (clientId, timestamp, nonce, hash, ext, readOnly mac))

    // ---- bewits -------------------------------------------------------------------------

    let private bewitToken (clientId: string) (key: byte array) (target: Target) (expiry: int64) (ext: string) =
        let macPointer = NativePtr.stackalloc<byte> 32
        let mac = Span<byte>(NativePtr.toVoidPtr macPointer, 32)
        computeMac (key, inputFor "bewit" target "GET" expiry "" null ext, mac)
        let macTextPointer = NativePtr.stackalloc<char> macBase64Length
        let macText = Span<char>(NativePtr.toVoidPtr macTextPointer, macBase64Length)
        toBase64 (readOnly mac, macText)
        let plain = $"{clientId}\\{expiry}\\{macText.ToString()}\\{ext}"
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

    /// The bewit token for a GET of `uri` valid until `expiry`.
    let bewit clientId key uri expiry ext =
        match checkBewit uri expiry ext with
        | Error e -> Error e
        | Ok(struct (target, ext)) -> Ok(bewitToken clientId key target expiry ext)

    /// `uri` with `bewit=<token>` appended to its query; scheme and host lower-cased.
    let signUrl clientId key uri expiry ext =
        match checkBewit uri expiry ext with
        | Error e -> Error e
        | Ok(struct (target, ext)) ->
            let token = bewitToken clientId key target expiry ext
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
