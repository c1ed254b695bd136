namespace Taskcluster.Core

open System

/// Why an offset such as `2 days 3 hours` was refused, or could not be applied.
[<RequireQualifiedAccess>]
type FromNowError =
    /// A character that has no place in an offset at that position.
    | UnexpectedCharacter of input: string * position: int
    /// A number with a fractional part; every count is a whole number.
    | FractionalNumber of input: string * position: int
    /// A number not followed by a unit.
    | MissingUnit of input: string * position: int
    /// A word that is not one of the unit spellings.
    | UnknownUnit of input: string * unit: string
    /// A unit written after a smaller one (units go years, months, weeks, days, hours, minutes,
    /// seconds).
    | UnitOutOfOrder of input: string * unit: string * after: string
    /// The same unit twice.
    | RepeatedUnit of input: string * unit: string
    /// The offset spans more time than lies between the earliest and latest `DateTimeOffset`.
    | TooLarge of input: string
    /// A negative count given to `ofParts` (the sign belongs in `Negative`).
    | NegativePart of part: string * value: int64
    /// The offset moves the reference outside the years 0001-9999.
    | OutOfRange of offset: string * reference: DateTimeOffset

    /// A one-line description quoting the bad value.
    member Describe: unit -> string

/// The counts of an offset, each zero or more, and whether the whole offset points backwards.
type OffsetParts =
    {
        /// True when the offset points into the past (a leading `-`).
        Negative: bool
        /// Years of 365 days.
        Years: int64
        /// Months of 30 days.
        Months: int64
        /// Weeks of 7 days.
        Weeks: int64
        /// Days of 24 hours.
        Days: int64
        /// Hours.
        Hours: int64
        /// Minutes.
        Minutes: int64
        /// Seconds.
        Seconds: int64
    }

/// A parsed offset: counts of years (365 days), months (30 days), weeks, days, hours, minutes and
/// seconds, and a sign applying to all of them. Every unit has a fixed length, so an offset is an
/// exact duration. A zero offset is never negative, so equal durations with equal counts are
/// equal values.
[<Sealed>]
type Offset =
    /// The counts and the sign.
    member Parts: OffsetParts
    /// The signed total length.
    member Duration: TimeSpan
    /// The signed total length in whole seconds.
    member TotalSeconds: int64
    /// The canonical spelling (see `FromNow.render`).
    override ToString: unit -> string
    /// Equal signs and counts.
    override Equals: obj -> bool
    /// A hash of the sign and counts.
    override GetHashCode: unit -> int
    interface IEquatable<Offset>

/// `fromNow` and `fromNowJSON` of the official clients, with the JS client's grammar (a superset
/// of the Python client's): an optional `+` or `-`, then in this order and each optional, a whole
/// number followed by `y yr year years`, `mo month months`, `w wk week weeks`, `d day days`,
/// `h hr hour hours`, `m min minute minutes`, `s sec second seconds`. Letters may be in any case
/// (so `1 M` is a minute) and JavaScript whitespace may surround every token. An empty offset is
/// zero. The reference instant is always an argument: this module reads no clock.
[<RequireQualifiedAccess>]
module FromNow =
    /// The zero offset.
    val zero: Offset

    /// An offset from its parts; negative counts and totals beyond the `DateTimeOffset` range
    /// are refused. A negative sign on all-zero counts is dropped.
    val ofParts: parts: OffsetParts -> Result<Offset, FromNowError>

    /// The same counts pointing the other way (zero stays zero).
    val negate: offset: Offset -> Offset

    /// `parseTime`: reads an offset in one left-to-right pass (no regular expression), so any
    /// input, however long or hostile, costs linear time and gives either an offset or a typed
    /// error. `null` reads as the empty offset, as in JS.
    val parse: offset: string -> Result<Offset, FromNowError>

    /// Moves an instant by an offset. The result is in UTC; it is `OutOfRange` outside the years
    /// 0001-9999 (JS would go on to ±275760; a `DateTimeOffset` cannot).
    val apply: offset: Offset -> reference: DateTimeOffset -> Result<DateTimeOffset, FromNowError>

    /// `fromNow`: the instant `offset` away from `reference`.
    val fromNow: offset: string -> reference: DateTimeOffset -> Result<DateTimeOffset, FromNowError>

    /// `Date.prototype.toJSON`: UTC, `yyyy-MM-ddTHH:mm:ss.fffZ` (sub-millisecond ticks are
    /// dropped, as a JS date has none).
    val format: instant: DateTimeOffset -> string

    /// `fromNowJSON`: `fromNow` then `format`.
    val fromNowJSON: offset: string -> reference: DateTimeOffset -> Result<string, FromNowError>

    /// A canonical spelling, e.g. `-1y 2mo 3w 4d 5h 6min 7s` (zero counts left out, `0s` for the
    /// zero offset), such that `parse (render o) = Ok o`.
    val render: offset: Offset -> string
