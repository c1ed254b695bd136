namespace Taskcluster.Core

open System
open System.Globalization

module internal FromNowText =
    /// The seconds between `DateTimeOffset.MinValue` and `MaxValue`: no offset longer than this
    /// can land in range, whatever the reference.
    let maxSeconds =
        (DateTimeOffset.MaxValue.UtcTicks - DateTimeOffset.MinValue.UtcTicks)
        / TimeSpan.TicksPerSecond

    /// Seconds per unit, in the order the grammar requires.
    let unitSeconds =
        [| 365L * 86400L; 30L * 86400L; 7L * 86400L; 86400L; 3600L; 60L; 1L |]

    let unitNames =
        [| "years"; "months"; "weeks"; "days"; "hours"; "minutes"; "seconds" |]

    /// What JavaScript's `\s` matches: WhiteSpace and LineTerminator of ECMA-262 (Unicode `Zs`,
    /// tab, vertical tab, form feed, BOM, and the four line terminators).
    let isJsSpace (c: char) =
        match c with
        | ' '
        | '\t'
        | '\n'
        | '\011'
        | '\012'
        | '\r'
        | '\u00a0'
        | '\u1680'
        | '\u2028'
        | '\u2029'
        | '\u202f'
        | '\u205f'
        | '\u3000'
        | '\ufeff' -> true
        | c -> c >= '\u2000' && c <= '\u200a'

    /// The first index at or after `i` that is not whitespace.
    let skipSpaces (input: string) (i: int) =
        let mutable i = i

        while i < input.Length && isJsSpace input[i] do
            i <- i + 1

        i

    let isAsciiLetter (c: char) =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')

    let private spellings =
        [|
            [| "y"; "yr"; "year"; "years" |]
            [| "mo"; "month"; "months" |]
            [| "w"; "wk"; "week"; "weeks" |]
            [| "d"; "day"; "days" |]
            [| "h"; "hr"; "hour"; "hours" |]
            [| "m"; "min"; "minute"; "minutes" |]
            [| "s"; "sec"; "second"; "seconds" |]
        |]

    /// The index of the unit a run of ASCII letters spells, or -1. The JS regular expression is
    /// case-insensitive without the `u` flag, which folds only ASCII letters onto ASCII letters,
    /// so an ordinal ASCII comparison is exact.
    let unitIndex (word: ReadOnlySpan<char>) =
        let mutable found = -1

        if word.Length <= 7 then
            let mutable u = 0

            while found < 0 && u < spellings.Length do
                for spelling in spellings[u] do
                    if word.Equals(spelling.AsSpan(), StringComparison.OrdinalIgnoreCase) then
                        found <- u

                u <- u + 1

        found

[<RequireQualifiedAccess>]
type FromNowError =
    | UnexpectedCharacter of input: string * position: int
    | FractionalNumber of input: string * position: int
    | MissingUnit of input: string * position: int
    | UnknownUnit of input: string * unit: string
    | UnitOutOfOrder of input: string * unit: string * after: string
    | RepeatedUnit of input: string * unit: string
    | TooLarge of input: string
    | NegativePart of part: string * value: int64
    | OutOfRange of offset: string * reference: DateTimeOffset

    member this.Describe() =
        let q = Text.quote
        let order = "years, months, weeks, days, hours, minutes, seconds"

        match this with
        | UnexpectedCharacter(input, position) ->
            let c = input[position]

            let shown =
                if Char.IsControl c || Char.IsSurrogate c then
                    $"U+{int c:X4}"
                else
                    $"'{c}'"

            $"the offset {q input} has an unexpected character {shown} at position {position}"
        | FractionalNumber(input, position) ->
            $"the offset {q input} has a fraction at position {position}; counts are whole numbers"
        | MissingUnit(input, position) -> $"the offset {q input} has a number without a unit at position {position}"
        | UnknownUnit(input, unit) ->
            $"the offset {q input} has an unknown unit {q unit}; use y/yr/year(s), mo/month(s), w/wk/week(s), d/day(s), h/hr/hour(s), m/min/minute(s) or s/sec/second(s)"
        | UnitOutOfOrder(input, unit, after) ->
            $"the offset {q input} has {q unit} after {q after}; units must come in the order {order}"
        | RepeatedUnit(input, unit) -> $"the offset {q input} gives the unit {q unit} twice"
        | TooLarge input -> $"the offset {q input} is longer than the whole range of dates (years 0001-9999)"
        | NegativePart(part, value) ->
            $"the {part} of an offset cannot be negative ({value.ToString(CultureInfo.InvariantCulture)}); use the sign instead"
        | OutOfRange(offset, reference) ->
            let at = reference.ToString("o", CultureInfo.InvariantCulture)
            $"the offset {q offset} from {at} falls outside the years 0001-9999"

type OffsetParts =
    {
        Negative: bool
        Years: int64
        Months: int64
        Weeks: int64
        Days: int64
        Hours: int64
        Minutes: int64
        Seconds: int64
    }

[<Sealed>]
type Offset internal (parts: OffsetParts, totalSeconds: int64) =
    member _.Parts = parts
    member _.TotalSeconds = totalSeconds
    member _.Duration = TimeSpan(totalSeconds * TimeSpan.TicksPerSecond)

    override _.ToString() =
        let written =
            [
                for count, unit in
                    [
                        parts.Years, "y"
                        parts.Months, "mo"
                        parts.Weeks, "w"
                        parts.Days, "d"
                        parts.Hours, "h"
                        parts.Minutes, "min"
                        parts.Seconds, "s"
                    ] do
                    if count <> 0L then
                        count.ToString(CultureInfo.InvariantCulture) + unit
            ]

        match written with
        | [] -> "0s"
        | _ -> (if parts.Negative then "-" else "") + String.Join(" ", written)

    override _.Equals(other: obj) =
        match other with
        | :? Offset as o -> o.Parts = parts
        | _ -> false

    override _.GetHashCode() = hash parts

    interface IEquatable<Offset> with
        member _.Equals(other: Offset) =
            not (isNull (box other)) && other.Parts = parts

[<RequireQualifiedAccess>]
module FromNow =
    let private zeroParts =
        {
            Negative = false
            Years = 0L
            Months = 0L
            Weeks = 0L
            Days = 0L
            Hours = 0L
            Minutes = 0L
            Seconds = 0L
        }

    let zero = Offset(zeroParts, 0L)

    let private counts (p: OffsetParts) =
        [| p.Years; p.Months; p.Weeks; p.Days; p.Hours; p.Minutes; p.Seconds |]

    /// The unsigned total in seconds, or None past `maxSeconds` (checked before multiplying, so
    /// nothing overflows).
    let private totalOf (counts: int64 array) =
        let mutable total = 0L
        let mutable ok = true

        for u in 0 .. counts.Length - 1 do
            if ok then
                let limit = (FromNowText.maxSeconds - total) / FromNowText.unitSeconds[u]

                if counts[u] > limit then
                    ok <- false
                else
                    total <- total + counts[u] * FromNowText.unitSeconds[u]

        if ok then Some total else None

    let private build (input: string) (negative: bool) (counts: int64 array) =
        match totalOf counts with
        | None -> Error(FromNowError.TooLarge input)
        | Some total ->
            let parts =
                {
                    Negative = negative && total <> 0L
                    Years = counts[0]
                    Months = counts[1]
                    Weeks = counts[2]
                    Days = counts[3]
                    Hours = counts[4]
                    Minutes = counts[5]
                    Seconds = counts[6]
                }

            Ok(Offset(parts, (if parts.Negative then -total else total)))

    let ofParts (parts: OffsetParts) =
        let cs = counts parts

        match Array.tryFindIndex (fun c -> c < 0L) cs with
        | Some u -> Error(FromNowError.NegativePart(FromNowText.unitNames[u], cs[u]))
        | None ->
            // Render the request for the message only when it is too large.
            match totalOf cs with
            | None ->
                let sign = if parts.Negative then "-" else ""

                let text =
                    String.Join(" ", [ for u in 0..6 -> $"{cs[u]} {FromNowText.unitNames[u]}" ])

                Error(FromNowError.TooLarge(sign + text))
            | Some _ -> build "" parts.Negative cs

    let negate (offset: Offset) =
        if offset.TotalSeconds = 0L then
            offset
        else
            Offset(
                { offset.Parts with
                    Negative = not offset.Parts.Negative
                },
                -offset.TotalSeconds
            )

    let parse (offset: string) =
        let input = if isNull offset then "" else offset
        let n = input.Length
        let counts = Array.zeroCreate<int64> 7
        let mutable i = 0
        let mutable negative = false
        // The index and spelling of the last unit read, to enforce the order.
        let mutable lastUnit = -1
        let mutable lastSpelling = ""
        let mutable tooLarge = false
        let mutable error = None

        i <- FromNowText.skipSpaces input i

        if i < n && (input[i] = '-' || input[i] = '+') then
            negative <- input[i] = '-'
            i <- i + 1

        i <- FromNowText.skipSpaces input i

        while error.IsNone && i < n do
            let c = input[i]

            if c < '0' || c > '9' then
                error <- Some(FromNowError.UnexpectedCharacter(input, i))
            else
                // Accumulate while the value could still matter; digits past the limit are only
                // scanned, so a 100k-digit number costs one pass and no big integers.
                let mutable value = 0L

                while i < n && input[i] >= '0' && input[i] <= '9' do
                    if value <= FromNowText.maxSeconds then
                        value <- value * 10L + int64 (int input[i] - int '0')

                    i <- i + 1

                if value > FromNowText.maxSeconds then
                    tooLarge <- true

                if i < n && (input[i] = '.' || input[i] = ',') then
                    error <- Some(FromNowError.FractionalNumber(input, i))
                else
                    i <- FromNowText.skipSpaces input i
                    let start = i

                    while i < n && FromNowText.isAsciiLetter input[i] do
                        i <- i + 1

                    if i = start then
                        if i = n || (input[i] >= '0' && input[i] <= '9') then
                            error <- Some(FromNowError.MissingUnit(input, i))
                        else
                            error <- Some(FromNowError.UnexpectedCharacter(input, i))
                    else
                        let word = input.AsSpan(start, i - start)
                        let u = FromNowText.unitIndex word

                        if u < 0 then
                            error <- Some(FromNowError.UnknownUnit(input, word.ToString()))
                        elif u = lastUnit then
                            error <- Some(FromNowError.RepeatedUnit(input, word.ToString()))
                        elif u < lastUnit then
                            error <- Some(FromNowError.UnitOutOfOrder(input, word.ToString(), lastSpelling))
                        else
                            counts[u] <- value
                            lastUnit <- u
                            lastSpelling <- word.ToString()
                            i <- FromNowText.skipSpaces input i

        match error with
        | Some e -> Error e
        | None when tooLarge -> Error(FromNowError.TooLarge input)
        | None -> build input negative counts

    let apply (offset: Offset) (reference: DateTimeOffset) =
        // Both terms are bounded (ticks of the range, and the offset by `maxSeconds`), so the sum
        // cannot overflow an int64.
        let ticks = reference.UtcTicks + offset.Duration.Ticks

        if
            ticks < DateTimeOffset.MinValue.UtcTicks
            || ticks > DateTimeOffset.MaxValue.UtcTicks
        then
            Error(FromNowError.OutOfRange(offset.ToString(), reference))
        else
            Ok(DateTimeOffset(ticks, TimeSpan.Zero))

    let fromNow (offset: string) (reference: DateTimeOffset) =
        match parse offset with
        | Ok o ->
            match apply o reference with
            | Ok instant -> Ok instant
            | Error _ -> Error(FromNowError.OutOfRange(offset, reference))
        | Error e -> Error e

    let format (instant: DateTimeOffset) =
        instant.UtcDateTime.ToString("yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'fff'Z'", CultureInfo.InvariantCulture)

    let fromNowJSON (offset: string) (reference: DateTimeOffset) =
        fromNow offset reference |> Result.map format

    let render (offset: Offset) = offset.ToString()
