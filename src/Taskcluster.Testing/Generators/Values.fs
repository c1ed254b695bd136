namespace Taskcluster.Testing

open System
open FsCheck
open FsCheck.FSharp
open Taskcluster.Core

/// FsCheck generators for the small values of Taskcluster: slugIds, UUIDs, fromNow offsets (as
/// values and as text, canonical or messily spelled), durations and instants.
[<RequireQualifiedAccess>]
module Values =
    /// 16 arbitrary bytes, what a random source hands to `SlugId.v4` or `SlugId.nice`.
    let randomBytes: Gen<byte array> =
        Gen.arrayOfLength 16 (Gen.choose (0, 255) |> Gen.map byte)

    /// UUIDs with all 128 bits arbitrary (not only version 4), with the nil UUID now and then.
    let guid: Gen<Guid> =
        Gen.frequency
            [
                1, Gen.constant Guid.Empty
                20, randomBytes |> Gen.map (fun bytes -> Guid(ReadOnlySpan<byte> bytes, true))
            ]

    let private orFail (result: Result<'T, SlugIdError>) =
        match result with
        | Ok value -> value
        | Error e -> failwith (e.Describe())

    /// The slugIds of arbitrary UUIDs: any 22-character canonical slug, possibly starting with `-`.
    let slugId: Gen<SlugId> = guid |> Gen.map SlugId.encode

    /// Version-4 slugIds, as `SlugId.v4` makes them.
    let slugIdV4: Gen<SlugId> =
        randomBytes
        |> Gen.map (fun bytes -> orFail (SlugId.v4 (ReadOnlySpan<byte> bytes)))

    /// Nice slugIds (version 4, first character in `[A-Za-f]`), as the official clients make them.
    let slugIdNice: Gen<SlugId> =
        randomBytes
        |> Gen.map (fun bytes -> orFail (SlugId.nice (ReadOnlySpan<byte> bytes)))

    // Mostly small counts, often absent, sometimes large; the bounds keep any offset under about
    // 1,700 years so that it applies to every `instant` below.
    let private count (largest: int) =
        Gen.frequency
            [
                4, Gen.constant 0L
                4, Gen.choose (1, 100) |> Gen.map int64
                2, Gen.choose (0, largest) |> Gen.map int64
            ]

    /// fromNow offsets of every shape (any sign, any subset of units), all of which can be applied
    /// to every instant of `instant` without leaving the years 0001-9999.
    let offset: Gen<Offset> =
        gen {
            let! negative = Gen.elements [ false; true ]
            let! years = count 1000
            let! months = count 1000
            let! weeks = count 10000
            let! days = count 100000
            let! hours = count 1000000
            let! minutes = count 10000000
            let! seconds = count 100000000

            let parts =
                {
                    Negative = negative
                    Years = years
                    Months = months
                    Weeks = weeks
                    Days = days
                    Hours = hours
                    Minutes = minutes
                    Seconds = seconds
                }

            match FromNow.ofParts parts with
            | Ok o -> return o
            | Error e -> return failwith (e.Describe())
        }

    /// Offsets in their canonical spelling (`FromNow.render`), e.g. `-2d 3h 10min`.
    let offsetText: Gen<string> = offset |> Gen.map FromNow.render

    let private spellings =
        [|
            [ "y"; "yr"; "year"; "years" ]
            [ "mo"; "month"; "months" ]
            [ "w"; "wk"; "week"; "weeks" ]
            [ "d"; "day"; "days" ]
            [ "h"; "hr"; "hour"; "hours" ]
            [ "m"; "min"; "minute"; "minutes" ]
            [ "s"; "sec"; "second"; "seconds" ]
        |]

    // JavaScript whitespace of several kinds, including a non-breaking space and a line break.
    let private space =
        Gen.frequency
            [
                6, Gen.constant ""
                6, Gen.constant " "
                2, Gen.constant "  "
                2, Gen.constant "\t"
                1, Gen.constant "\n"
                1, Gen.constant "\u00a0"
                1, Gen.constant " \t "
            ]

    let private randomCase (word: string) =
        gen {
            let! upper = Gen.arrayOfLength word.Length (Gen.elements [ false; true ])

            return String(Array.init word.Length (fun i -> if upper[i] then Char.ToUpperInvariant word[i] else word[i]))
        }

    /// Messy spellings of the given offset that the JS client reads as that offset: any unit
    /// spelling in any case, whitespace (of several kinds) anywhere between tokens or none, an
    /// optional `+`, leading zeros, and zero counts written out or left out.
    let spell (offset: Offset) : Gen<string> =
        let p = offset.Parts
        let counts = [| p.Years; p.Months; p.Weeks; p.Days; p.Hours; p.Minutes; p.Seconds |]

        gen {
            let! lead = space

            let! sign =
                if p.Negative then
                    Gen.constant "-"
                else
                    Gen.elements [ ""; ""; "+" ]

            let! afterSign = space
            let! trail = space

            let! units =
                Gen.collectToArray
                    (fun u ->
                        gen {
                            let! writeZero = Gen.frequency [ 4, Gen.constant false; 1, Gen.constant true ]

                            if counts[u] = 0L && not writeZero then
                                return ""
                            else
                                let! zeros =
                                    Gen.frequency [ 5, Gen.constant ""; 1, Gen.constant "0"; 1, Gen.constant "00" ]

                                let! gap = space
                                let! unit = Gen.elements spellings[u] |> Gen.bind randomCase
                                let! after = space
                                return $"{zeros}{counts[u]}{gap}{unit}{after}"
                        })
                    [ 0..6 ]

            return lead + sign + afterSign + String.Concat(units: string array) + trail
        }

    /// Offsets paired with one of their messy spellings (see `spell`).
    let messyOffset: Gen<Offset * string> =
        offset |> Gen.bind (fun o -> spell o |> Gen.map (fun text -> o, text))

    /// Messily spelled offset text (see `spell`).
    let messyOffsetText: Gen<string> = messyOffset |> Gen.map snd

    /// Non-negative durations in whole milliseconds, up to 1,000 days (zero now and then).
    let duration: Gen<TimeSpan> =
        Gen.frequency
            [
                1, Gen.constant TimeSpan.Zero
                5,
                Gen.choose (0, 86_400_000)
                |> Gen.map (fun ms -> TimeSpan.FromMilliseconds(float ms))
                5,
                Gen.zip (Gen.choose (0, 999)) (Gen.choose (0, 86_399_999))
                |> Gen.map (fun (days, ms) -> TimeSpan.FromDays(float days) + TimeSpan.FromMilliseconds(float ms))
            ]

    /// UTC instants in whole milliseconds between 1900 and 2200, as JS dates carry them.
    let instant: Gen<DateTimeOffset> =
        let start = DateTimeOffset(1900, 1, 1, 0, 0, 0, TimeSpan.Zero)
        let days = (DateTimeOffset(2200, 1, 1, 0, 0, 0, TimeSpan.Zero) - start).Days

        Gen.zip (Gen.choose (0, days - 1)) (Gen.choose (0, 86_399_999))
        |> Gen.map (fun (d, ms) -> start.AddDays(float d).AddMilliseconds(float ms))
