namespace Taskcluster.Core

open System

/// Why text is not a slugId, or why random bytes cannot make one.
[<RequireQualifiedAccess>]
type SlugIdError =
    /// The text is not 22 characters long (for `decode`: not counting up to two `=`).
    | WrongLength of slug: string * length: int
    /// A character outside the base64url alphabet `A-Z a-z 0-9 - _` (`decode` also takes the
    /// standard alphabet's `+` and `/`, as the JS package does).
    | InvalidCharacter of slug: string * position: int
    /// `=` padding, which a slugId never carries (`decode` tolerates it, `parse` does not).
    | Padded of slug: string
    /// The last character encodes bits beyond the 128 of a UUID (it must be one of `A Q g w`),
    /// so two different texts would decode to the same UUID.
    | NonCanonical of slug: string
    /// `v4` and `nice` need exactly 16 random bytes.
    | WrongRandomLength of length: int

    /// A one-line description quoting the bad value.
    member Describe: unit -> string

/// A slugId: the 22-character unpadded base64url form of a UUID's 16 bytes (RFC 4122 byte order),
/// as Taskcluster uses for task ids and many other names. The text is always a valid slug; the
/// default value is the nil UUID's slug `AAAAAAAAAAAAAAAAAAAAAA`, like `Guid.Empty`.
[<Struct; CustomEquality; CustomComparison>]
type SlugId =
    /// The 22 characters.
    member Value: string
    /// The UUID the slug encodes.
    member ToGuid: unit -> Guid
    /// True when the UUID is version 4 with the RFC 4122 variant (what `v4` makes).
    member IsV4: bool
    /// True when the slug is a v4 slug whose first bit is clear, so it never starts with `-`
    /// (what `nice` makes, and what the official clients generate).
    member IsNice: bool
    /// The 22 characters.
    override ToString: unit -> string
    /// Ordinal equality of the text (equivalently, of the UUID).
    override Equals: obj -> bool
    /// A hash of the text.
    override GetHashCode: unit -> int
    interface IEquatable<SlugId>
    interface IComparable<SlugId>
    interface IComparable

/// The functions of the `slugid` package (version 5), pure: random bytes come in as arguments.
[<RequireQualifiedAccess>]
module SlugId =
    /// The length of every slugId.
    [<Literal>]
    val Length: int = 22

    /// `encode`: the slug of a UUID, using its big-endian (RFC 4122, textual) byte order.
    val encode: uuid: Guid -> SlugId

    /// `decode`: the UUID a slug stands for. Accepts what the JS package decodes for
    /// well-formed input: the 22 base64url characters, optionally followed by `=` or `==`, with
    /// `+` and `/` allowed in place of `-` and `_`. Refuses every other length, any other
    /// character and a non-canonical last character (which the JS package silently ignores).
    val decode: slug: string -> Result<Guid, SlugIdError>

    /// A slugId from its text, strictly: exactly 22 base64url characters, canonical last one.
    val parse: slug: string -> Result<SlugId, SlugIdError>

    /// The UUID a slugId encodes.
    val toGuid: slugId: SlugId -> Guid

    /// `v4`: a version-4 UUID slug from exactly 16 random bytes (version and variant bits are
    /// overwritten, the other 122 bits come from the bytes). May start with `-`.
    val v4: random: ReadOnlySpan<byte> -> Result<SlugId, SlugIdError>

    /// `nice`: like `v4` but with the first bit cleared, so the slug starts with `[A-Za-f]` and
    /// is safe as a command-line argument. Allocates only the 22-character string.
    val nice: random: ReadOnlySpan<byte> -> Result<SlugId, SlugIdError>

    /// True when the text is a v4 slug: exactly what the official regular expression
    /// `^[A-Za-z0-9_-]{8}[Q-T][A-Za-z0-9_-][CGKOSWaeimquy26-][A-Za-z0-9_-]{10}[AQgw]$` accepts.
    val isV4: slug: string -> bool

    /// True when the text is a nice slug: exactly what the official regular expression
    /// `^[A-Za-f][A-Za-z0-9_-]{7}[Q-T][A-Za-z0-9_-][CGKOSWaeimquy26-][A-Za-z0-9_-]{10}[AQgw]$`
    /// accepts.
    val isNice: slug: string -> bool
