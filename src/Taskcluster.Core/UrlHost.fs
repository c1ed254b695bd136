namespace Taskcluster.Core

open System
open System.Globalization
open System.Text

/// The hosts of http(s) URLs as the WHATWG URL standard reads them: what `new URL` does in Node
/// and in browsers, so what an HTTP stack puts in the `Host` header and what `hawk` reads back
/// from it on the server (`new URL('http://' + host)`). Hawk signs the host, so a client must
/// sign exactly this form: `127.1`, `0x7f.0.0.1`, `0177.0.0.1`, `2130706433` and `127.0.0.1.`
/// all reach the server as `127.0.0.1`, and `[::FFFF:192.0.2.1]` as `[::ffff:c000:201]`.
/// `RootUrl.parse` and `Hawk` both read hosts through this module, so they cannot disagree.
[<RequireQualifiedAccess>]
module internal UrlHost =
    /// The characters a domain may have here: ASCII letters and digits, `-`, `.`, `_` and `~`.
    /// WHATWG allows more (it percent-decodes and maps Unicode through IDNA); hosts outside
    /// this set are refused by the callers rather than signed in a form that might differ.
    let isDomainChar (c: char) =
        Char.IsAsciiLetterOrDigit c || c = '-' || c = '.' || c = '_' || c = '~'

    // ---- IPv4 (WHATWG "IPv4 parser") ------------------------------------------------------

    /// Beyond every valid part; larger values are held at this so that a long run of digits
    /// cannot overflow.
    let private tooBig = 1L <<< 32

    /// A loop: `IndexOfAnyExceptInRange` allocated 96 bytes a call here, on every signed request.
    let private allDigits (text: ReadOnlySpan<char>) =
        let mutable i = 0

        while i < text.Length && Char.IsAsciiDigit text[i] do
            i <- i + 1

        i = text.Length

    let private digitValue (c: char) =
        if c >= '0' && c <= '9' then int c - int '0'
        elif c >= 'a' && c <= 'f' then int c - int 'a' + 10
        elif c >= 'A' && c <= 'F' then int c - int 'A' + 10
        else -1

    /// One part: decimal, `0x` hexadecimal or `0`-prefixed octal (a bare `0x` is 0). -1 when
    /// the part is empty or has a digit outside its radix.
    let private ipv4Number (part: ReadOnlySpan<char>) : int64 =
        if part.IsEmpty then
            -1L
        else
            let mutable text = part
            let mutable radix = 10

            if text.Length >= 2 && text[0] = '0' && (text[1] = 'x' || text[1] = 'X') then
                text <- text.Slice 2
                radix <- 16
            elif text.Length >= 2 && text[0] = '0' then
                text <- text.Slice 1
                radix <- 8

            let mutable value = 0L
            let mutable i = 0

            while value >= 0L && i < text.Length do
                let digit = digitValue text[i]

                if digit < 0 || digit >= radix then
                    value <- -1L
                else
                    value <- min tooBig (value * int64 radix + int64 digit)

                i <- i + 1

            value

    /// The text without one trailing dot, which WHATWG ignores when it looks for a number.
    let private withoutTrailingDot (host: ReadOnlySpan<char>) =
        if not host.IsEmpty && host[host.Length - 1] = '.' then
            host.Slice(0, host.Length - 1)
        else
            host

    /// WHATWG's "ends in a number": the last label (after one trailing dot) is all digits or
    /// parses as an IPv4 number. Such a host must then be an IPv4 address, or the URL is refused.
    let private endsInNumber (host: ReadOnlySpan<char>) =
        let trimmed = withoutTrailingDot host
        let last = trimmed.Slice(trimmed.LastIndexOf '.' + 1)

        (not last.IsEmpty && allDigits last) || ipv4Number last >= 0L

    /// The 32-bit address, or -1: at most four parts, each but the last at most 255, the last
    /// filling the bytes left (`127.1` is 127.0.0.1, `2130706433` is 127.0.0.1).
    let private ipv4Address (host: ReadOnlySpan<char>) : int64 =
        let text = withoutTrailingDot host
        let numbers = Array.zeroCreate<int64> 4
        let mutable count = 0
        let mutable failed = false
        let mutable rest = text
        let mutable finished = false

        while not failed && not finished do
            let dot = rest.IndexOf '.'
            let part = if dot < 0 then rest else rest.Slice(0, dot)
            let value = ipv4Number part

            if value < 0L || count = 4 then
                failed <- true
            else
                numbers[count] <- value
                count <- count + 1

            if dot < 0 then
                finished <- true
            else
                rest <- rest.Slice(dot + 1)

        if failed then
            -1L
        else
            let last = numbers[count - 1]
            let mutable address = last
            let mutable i = 0

            while address >= 0L && i < count - 1 do
                if numbers[i] > 255L then
                    address <- -1L
                else
                    address <- address + (numbers[i] <<< (8 * (3 - i)))

                i <- i + 1

            if address >= 0L && last >= (1L <<< (8 * (5 - count))) then
                -1L
            else
                address

    /// Already the serialised form: four decimal parts of 0-255 without leading zeros, no
    /// trailing dot. The usual spelling, so the common case (a root URL such as
    /// `http://127.0.0.1:8080`) is signed from its text without building a new one.
    let private isDottedDecimal (host: ReadOnlySpan<char>) =
        let mutable parts = 0
        let mutable ok = true
        let mutable rest = host

        while ok && parts < 4 do
            let dot = rest.IndexOf '.'
            let part = if dot < 0 then rest else rest.Slice(0, dot)
            parts <- parts + 1

            ok <-
                part.Length >= 1
                && part.Length <= 3
                && allDigits part
                && (part.Length = 1 || part[0] <> '0')
                && Int32.Parse(part, NumberStyles.None, CultureInfo.InvariantCulture) <= 255
                && (if parts < 4 then dot >= 0 else dot < 0)

            if dot >= 0 then
                rest <- rest.Slice(dot + 1)

        ok

    let private ipv4Text (address: int64) =
        String.Join(
            '.',
            (address >>> 24) &&& 255L,
            (address >>> 16) &&& 255L,
            (address >>> 8) &&& 255L,
            address &&& 255L
        )

    // ---- IPv6 (WHATWG "IPv6 parser" and "IPv6 serializer") --------------------------------

    /// The eight 16-bit pieces of an IPv6 literal's inside (hex pieces, at most one `::`
    /// standing for at least one zero piece, an optional dotted IPv4 tail in strict decimal),
    /// or None.
    let private ipv6Pieces (text: string) : int array option =
        let hexPiece (p: string) =
            if p.Length >= 1 && p.Length <= 4 && Seq.forall Char.IsAsciiHexDigit p then
                Some [ Int32.Parse(p, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture) ]
            else
                None

        let ipv4 (p: string) =
            let octets = p.Split '.'

            let valid (o: string) =
                o.Length >= 1
                && o.Length <= 3
                && Seq.forall Char.IsAsciiDigit o
                && (o.Length = 1 || o[0] <> '0')
                && Int32.Parse(o, CultureInfo.InvariantCulture) <= 255

            if octets.Length = 4 && Array.forall valid octets then
                let b = octets |> Array.map (fun o -> Int32.Parse(o, CultureInfo.InvariantCulture))
                Some [ (b[0] <<< 8) ||| b[1]; (b[2] <<< 8) ||| b[3] ]
            else
                None

        // a side of `::`: pieces separated by `:`, the last one possibly dotted
        let side (part: string) (mayEndInIPv4: bool) =
            if part = "" then
                Some []
            else
                let items = part.Split ':'

                items
                |> Array.mapi (fun i p ->
                    if mayEndInIPv4 && i = items.Length - 1 && p.Contains '.' then
                        ipv4 p
                    else
                        hexPiece p)
                |> Array.fold
                    (fun acc x ->
                        match acc, x with
                        | Some a, Some b -> Some(a @ b)
                        | _ -> None)
                    (Some [])

        match text.IndexOf "::" with
        | -1 ->
            match side text true with
            | Some pieces when pieces.Length = 8 -> Some(Array.ofList pieces)
            | _ -> None
        | at when text.IndexOf("::", at + 1) < 0 ->
            match side (text.Substring(0, at)) false, side (text.Substring(at + 2)) true with
            | Some left, Some right when left.Length + right.Length <= 7 ->
                Some(Array.ofList (left @ List.replicate (8 - left.Length - right.Length) 0 @ right))
            | _ -> None
        | _ -> None

    /// Lower-case hex without leading zeros, the first longest run of two or more zero pieces
    /// as `::`, in brackets.
    let private ipv6Text (pieces: int array) =
        let mutable compress = -1
        let mutable longest = 1
        let mutable i = 0

        while i < 8 do
            if pieces[i] = 0 then
                let start = i

                while i < 8 && pieces[i] = 0 do
                    i <- i + 1

                if i - start > longest then
                    compress <- start
                    longest <- i - start
            else
                i <- i + 1

        let sb = StringBuilder("[")
        let mutable j = 0

        while j < 8 do
            if j = compress then
                sb.Append(if j = 0 then "::" else ":") |> ignore
                j <- j + longest
            else
                sb.Append(pieces[j].ToString("x", CultureInfo.InvariantCulture)) |> ignore

                if j < 7 then
                    sb.Append(':') |> ignore

                j <- j + 1

        sb.Append(']').ToString()

    // ---- the host -------------------------------------------------------------------------

    /// Reads a host (as it stands between `//` and the port) the way WHATWG does: `Ok ValueNone`
    /// when its serialised form is its own text lower-cased, so that a caller need copy
    /// nothing (a domain, or an IPv4 address already in dotted decimal); `Ok(ValueSome text)`
    /// for an IP address in any other spelling, in its serialised form;
    /// `Error reason` when a WHATWG parser refuses the URL: an empty host, a bracketed text
    /// that is not an IPv6 address, or a host ending in a number that is not an IPv4 address
    /// (`256.0.0.1`, `1.2.3.4.5`, `example.123`). It does not check the characters of a domain
    /// (see `isDomainChar`): a server reads whatever `Host` it is sent.
    let read (host: ReadOnlySpan<char>) : Result<string voption, string> =
        if host.IsEmpty then
            Error "the host is empty"
        elif host[0] = '[' then
            if host.Length > 2 && host[host.Length - 1] = ']' then
                match ipv6Pieces (host.Slice(1, host.Length - 2).ToString()) with
                | Some pieces -> Ok(ValueSome(ipv6Text pieces))
                | None -> Error $"the host {Text.quote (host.ToString())} is not an IPv6 address"
            else
                Error $"the host {Text.quote (host.ToString())} is not a bracketed IPv6 address"
        elif isDottedDecimal host then
            Ok ValueNone
        elif endsInNumber host then
            match ipv4Address host with
            | address when address >= 0L -> Ok(ValueSome(ipv4Text address))
            | _ ->
                Error
                    $"the host {Text.quote (host.ToString())} ends in a number but is not an IPv4 address (at most four parts, each but the last at most 255, the last filling the rest of 32 bits)"
        else
            Ok ValueNone

    /// The serialised host as text (a domain lower-cased), or why a WHATWG parser refuses it.
    let serialize (host: string) : Result<string, string> =
        if isNull host then
            Error "the host is empty"
        else
            match read (host.AsSpan()) with
            | Ok(ValueSome text) -> Ok text
            | Ok ValueNone -> Ok(host.ToLowerInvariant())
            | Error reason -> Error reason
