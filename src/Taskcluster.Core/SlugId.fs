namespace Taskcluster.Core

open System
open System.Buffers
open System.Buffers.Binary

/// Helpers shared by the error messages and the slug codec.
module internal SlugIdText =
    [<Literal>]
    let NilSlug = "AAAAAAAAAAAAAAAAAAAAAA"

    let alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

    /// The 6-bit value of a base64url character, or -1. `lenient` adds the standard alphabet's
    /// `+` and `/`, which the JS decoder (Node's base64) accepts too.
    let inline sixBits (lenient: bool) (c: char) =
        if c >= 'A' && c <= 'Z' then int c - int 'A'
        elif c >= 'a' && c <= 'z' then int c - int 'a' + 26
        elif c >= '0' && c <= '9' then int c - int '0' + 52
        elif c = '-' || (lenient && c = '+') then 62
        elif c = '_' || (lenient && c = '/') then 63
        else -1

    // A UUID is kept as two big-endian halves: `hi` holds bytes 0-7, `lo` bytes 8-15. Character
    // i of the slug carries bits 6i..6i+5 counted from the most significant bit; character 10
    // straddles the halves and character 21 carries only the last two bits (then four zeros).

    /// The 6-bit value of character i.
    let inline charValue (hi: uint64) (lo: uint64) (i: int) =
        if i < 10 then
            int ((hi >>> (58 - 6 * i)) &&& 63UL)
        elif i = 10 then
            int (((hi &&& 0xFUL) <<< 2) ||| (lo >>> 62))
        elif i < 21 then
            int ((lo >>> (122 - 6 * i)) &&& 63UL)
        else
            int ((lo &&& 3UL) <<< 4)

    // One cached delegate, so that making a slug allocates only its string.
    let private writeSlug =
        SpanAction<char, struct (uint64 * uint64)>(fun chars (struct (hi, lo)) ->
            for i in 0 .. chars.Length - 1 do
                chars[i] <- alphabet[charValue hi lo i])

    let toText (hi: uint64) (lo: uint64) =
        String.Create(22, struct (hi, lo), writeSlug)

    /// The position of the first of the 22 characters outside the alphabet, or -1.
    let firstInvalid (lenient: bool) (text: string) =
        let mutable bad = -1
        let mutable i = 0

        while bad < 0 && i < 22 do
            if sixBits lenient text[i] < 0 then
                bad <- i

            i <- i + 1

        bad

    /// The last character leaves the four bits past the UUID's 128 clear.
    let isCanonicalEnd (lenient: bool) (text: string) = sixBits lenient text[21] &&& 0xF = 0

    /// The bits of 22 characters already known to be in the alphabet.
    let readBits (lenient: bool) (text: string) =
        let mutable hi = 0UL
        let mutable lo = 0UL

        for i in 0..21 do
            let v = uint64 (sixBits lenient text[i] &&& 63)

            if i < 10 then
                hi <- hi ||| (v <<< (58 - 6 * i))
            elif i = 10 then
                hi <- hi ||| (v >>> 2)
                lo <- lo ||| ((v &&& 3UL) <<< 62)
            elif i < 21 then
                lo <- lo ||| (v <<< (122 - 6 * i))
            else
                lo <- lo ||| (v >>> 4)

        struct (hi, lo)

    let toGuid (hi: uint64) (lo: uint64) =
        // This constructor takes the fields in the textual (big-endian) order.
        Guid(
            uint32 (hi >>> 32),
            uint16 (hi >>> 16),
            uint16 hi,
            byte (lo >>> 56),
            byte (lo >>> 48),
            byte (lo >>> 40),
            byte (lo >>> 32),
            byte (lo >>> 24),
            byte (lo >>> 16),
            byte (lo >>> 8),
            byte lo
        )

    /// The checks of the official v4 regular expression, on a 22-character text.
    let isV4Text (text: string) =
        not (isNull text)
        && text.Length = 22
        && firstInvalid false text < 0
        // Version nibble 4 leaves 010000-010011 in character 8: Q, R, S or T.
        && (text[8] >= 'Q' && text[8] <= 'T')
        // Variant bits 10 are the low two bits of character 10.
        && (sixBits false text[10] &&& 3 = 2)
        && isCanonicalEnd false text

    // A first character below 'g' (value < 32) is exactly a clear first bit.
    let isNiceText (text: string) =
        isV4Text text && sixBits false text[0] < 32

[<RequireQualifiedAccess>]
type SlugIdError =
    | WrongLength of slug: string * length: int
    | InvalidCharacter of slug: string * position: int
    | Padded of slug: string
    | NonCanonical of slug: string
    | WrongRandomLength of length: int

    member this.Describe() =
        let q = Text.quote

        match this with
        | WrongLength(slug, length) -> $"the slugId {q slug} has {length} characters; a slugId has 22"
        | InvalidCharacter(slug, position) ->
            $"the slugId {q slug} has the character {q (string slug[position])} at position {position}; only A-Z a-z 0-9 - _ are allowed"
        | Padded slug -> $"the slugId {q slug} ends with '=' padding; slugIds are unpadded"
        | NonCanonical slug ->
            $"the slugId {q slug} does not end in A, Q, g or w, so it encodes more than the 128 bits of a UUID"
        | WrongRandomLength length -> $"a slugId needs exactly 16 random bytes, not {length}"

[<Struct; CustomEquality; CustomComparison>]
type SlugId internal (value: string) =
    // `null` only in the default value, which stands for the nil UUID as `Guid.Empty` does.
    member _.Value = if isNull value then SlugIdText.NilSlug else value

    member this.ToGuid() =
        let struct (hi, lo) = SlugIdText.readBits false this.Value
        SlugIdText.toGuid hi lo

    member this.IsV4 = SlugIdText.isV4Text this.Value
    member this.IsNice = SlugIdText.isNiceText this.Value
    override this.ToString() = this.Value

    override this.Equals(other: obj) =
        match other with
        | :? SlugId as s -> String.Equals(this.Value, s.Value, StringComparison.Ordinal)
        | _ -> false

    override this.GetHashCode() =
        StringComparer.Ordinal.GetHashCode this.Value

    interface IEquatable<SlugId> with
        member this.Equals(other: SlugId) =
            String.Equals(this.Value, other.Value, StringComparison.Ordinal)

    interface IComparable<SlugId> with
        member this.CompareTo(other: SlugId) =
            String.CompareOrdinal(this.Value, other.Value)

    interface IComparable with
        member this.CompareTo(other: obj) =
            match other with
            | :? SlugId as s -> String.CompareOrdinal(this.Value, s.Value)
            | null -> 1
            | _ -> invalidArg "other" "a SlugId can only be compared with another SlugId"

[<RequireQualifiedAccess>]
module SlugId =
    [<Literal>]
    let Length = 22

    let encode (uuid: Guid) =
        let bytes = uuid.ToByteArray(true)
        let hi = BinaryPrimitives.ReadUInt64BigEndian(ReadOnlySpan(bytes, 0, 8))
        let lo = BinaryPrimitives.ReadUInt64BigEndian(ReadOnlySpan(bytes, 8, 8))
        SlugId(SlugIdText.toText hi lo)

    let private check (lenient: bool) (text: string) =
        match SlugIdText.firstInvalid lenient text with
        | -1 when SlugIdText.isCanonicalEnd lenient text -> Ok(SlugIdText.readBits lenient text)
        | -1 -> Error(SlugIdError.NonCanonical text)
        | position -> Error(SlugIdError.InvalidCharacter(text, position))

    let decode (slug: string) =
        let text = if isNull slug then "" else slug

        // Node's base64 decoder stops at padding; one or two '=' after the 22 characters are
        // what a padded slug can carry.
        let length =
            if text.Length = 24 && text.EndsWith("==", StringComparison.Ordinal) then
                22
            elif text.Length = 23 && text[22] = '=' then
                22
            else
                text.Length

        if length <> 22 then
            Error(SlugIdError.WrongLength(text, text.Length))
        else
            match check true text with
            | Ok(struct (hi, lo)) -> Ok(SlugIdText.toGuid hi lo)
            | Error e -> Error e

    let parse (slug: string) =
        let text = if isNull slug then "" else slug

        if text.Length > 0 && text[text.Length - 1] = '=' then
            Error(SlugIdError.Padded text)
        elif text.Length <> 22 then
            Error(SlugIdError.WrongLength(text, text.Length))
        else
            match check false text with
            | Ok _ -> Ok(SlugId text)
            | Error e -> Error e

    let toGuid (slugId: SlugId) = slugId.ToGuid()

    let private make (random: ReadOnlySpan<byte>) (clearFirstBit: bool) =
        if random.Length <> 16 then
            Error(SlugIdError.WrongRandomLength random.Length)
        else
            let hi = BinaryPrimitives.ReadUInt64BigEndian(random.Slice(0, 8))
            let lo = BinaryPrimitives.ReadUInt64BigEndian(random.Slice(8, 8))
            // Byte 6's high nibble is the version (4); byte 8's top two bits the variant (10).
            let hi = (hi &&& ~~~0xF000UL) ||| 0x4000UL
            let lo = (lo &&& ~~~(0xC0UL <<< 56)) ||| (0x80UL <<< 56)
            let hi = if clearFirstBit then hi &&& ~~~(1UL <<< 63) else hi
            Ok(SlugId(SlugIdText.toText hi lo))

    let v4 (random: ReadOnlySpan<byte>) = make random false

    let nice (random: ReadOnlySpan<byte>) = make random true

    let isV4 (slug: string) = SlugIdText.isV4Text slug

    let isNice (slug: string) = SlugIdText.isNiceText slug
