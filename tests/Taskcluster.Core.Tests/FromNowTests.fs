module Taskcluster.Core.Tests.FromNowTests

open System
open System.Diagnostics
open System.Globalization
open System.Numerics
open System.Text.RegularExpressions
open Expecto
open FsCheck
open FsCheck.FSharp
open Taskcluster.Core
open Taskcluster.Testing

let private config =
    { FsCheckConfig.defaultConfig with
        maxTest = 1000
    }

// The seconds between DateTimeOffset.MinValue and MaxValue.
let private maxSeconds = 315_537_897_599L

let private instantOf (text: string) =
    DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal)

let private ok (result: Result<'T, FromNowError>) =
    match result with
    | Ok v -> v
    | Error e -> failtestf "unexpected error: %s" (e.Describe())

let private parseOk text = ok (FromNow.parse text)

let private parts negative y mo w d h m s =
    {
        Negative = negative
        Years = y
        Months = mo
        Weeks = w
        Days = d
        Hours = h
        Minutes = m
        Seconds = s
    }

let private seconds (p: OffsetParts) =
    (p.Years * 365L + p.Months * 30L + p.Weeks * 7L + p.Days) * 86400L
    + p.Hours * 3600L
    + p.Minutes * 60L
    + p.Seconds

let vectorTests =
    Vectors.testCases "vectors (taskcluster-client fromNow)" "from-now.json" (fun case ->
        let offset = Vectors.get "offset" Decode.string case
        let reference = instantOf (Vectors.get "reference" Decode.string case)

        if Vectors.expectsError case then
            match FromNow.fromNowJSON offset reference with
            | Ok result -> failtestf "%s accepted: %s" offset result
            | Error e -> Expect.isNonEmpty (e.Describe()) "described"
        else
            let expected = Vectors.get "result" Decode.string case
            Expect.equal (FromNow.fromNowJSON offset reference) (Ok expected) offset
            // The canonical spelling of what was read means the same.
            let parsed = parseOk offset
            Expect.equal (FromNow.parse (FromNow.render parsed)) (Ok parsed) "render round-trips")

let referenceTests =
    testCase "format agrees with Date.toJSON on every instant of the vectors"
    <| fun () ->
        let instants =
            Vectors.load "from-now.json"
            |> List.collect (fun case ->
                Vectors.get "reference" Decode.string case
                :: Option.toList (Vectors.tryGet "result" Decode.string case))
            |> List.distinct

        for text in instants do
            Expect.equal (FromNow.format (instantOf text)) text "toJSON"

// The JS client's regular expression, as an oracle for which strings are accepted and what they
// mean. With RegexOptions.ECMAScript, .NET's `\d` and `\s` are ASCII like JS's (the generator
// below only uses ASCII whitespace); `\z` is JS's `$`.
let private jsTimeExp =
    Regex(
        String.Join(
            "",
            [
                @"^(\s*(-|\+))?"
                @"(\s*(\d+)\s*y((ears?)|r)?)?"
                @"(\s*(\d+)\s*mo(nths?)?)?"
                @"(\s*(\d+)\s*w((eeks?)|k)?)?"
                @"(\s*(\d+)\s*d(ays?)?)?"
                @"(\s*(\d+)\s*h((ours?)|r)?)?"
                @"(\s*(\d+)\s*m(in(utes?)?)?)?"
                @"(\s*(\d+)\s*s(ec(onds?)?)?)?"
                @"\s*\z"
            ]
        ),
        RegexOptions.ECMAScript ||| RegexOptions.IgnoreCase
    )

/// What the JS client reads: None when it throws, Some(None) when the counts are past our range
/// (JS would go on with imprecise doubles), Some(Some parts) otherwise.
let private jsParse (text: string) =
    let m = jsTimeExp.Match text

    if not m.Success then
        None
    else
        let count (group: int) =
            if m.Groups[group].Success then
                BigInteger.Parse m.Groups[group].Value
            else
                BigInteger.Zero

        // The JS client reads the seconds from group 25, the whole `\s*(\d+)\s*s...` group, and
        // relies on parseInt skipping the spaces and the unit; group 26 is the same number.
        let counts = [ for g in [ 4; 8; 11; 15; 18; 22; 26 ] -> count g ]
        let unitSeconds = [ 31_536_000L; 2_592_000L; 604_800L; 86_400L; 3_600L; 60L; 1L ]

        let total =
            List.fold2 (fun sum (c: BigInteger) (u: int64) -> sum + c * BigInteger u) BigInteger.Zero counts unitSeconds

        if total > BigInteger maxSeconds then
            Some None
        else
            let c = counts |> List.map int64 |> List.toArray
            Some(Some(parts (m.Groups[2].Value = "-" && not total.IsZero) c[0] c[1] c[2] c[3] c[4] c[5] c[6]))

/// Strings made of the grammar's own pieces in any order: unit spellings and near misses, short
/// numbers, signs, dots and ASCII whitespace.
let private genTokens =
    let units =
        [
            "y"
            "yr"
            "year"
            "years"
            "mo"
            "month"
            "months"
            "w"
            "wk"
            "week"
            "weeks"
            "d"
            "day"
            "days"
        ]
        @ [
            "h"
            "hr"
            "hour"
            "hours"
            "m"
            "min"
            "minute"
            "minutes"
            "s"
            "sec"
            "second"
            "seconds"
        ]
        @ [ "mon"; "ms"; "x"; "yrs"; "mins"; "M"; "MO"; "Y"; "Days"; "HR" ]

    let token =
        Gen.frequency
            [
                6, Gen.elements units
                6, Gen.choose (0, 999) |> Gen.map string
                4, Gen.elements [ " "; "  "; "\t" ]
                1, Gen.elements [ "+"; "-"; "."; "0"; "1.5" ]
            ]

    let loose =
        Gen.choose (0, 8)
        |> Gen.bind (fun n -> Gen.listOfLength n token)
        |> Gen.map (fun ts -> String.Join("", ts))

    // Number-unit pairs, in order or shuffled, so that about half of these are accepted.
    let pairs =
        gen {
            let! sign = Gen.elements [ ""; ""; "-"; "+"; " - " ]
            let! chosen = Gen.subListOf [ 0..6 ]
            let! order = Gen.frequency [ 3, Gen.constant chosen; 1, Gen.shuffle chosen |> Gen.map List.ofArray ]

            let spelled u =
                Gen.zip3 (Gen.choose (0, 999)) (Gen.elements [ ""; " "; "\t" ]) (Gen.elements units)
                |> Gen.map (fun (n, gap, unit) ->
                    // Bias the unit toward the intended one.
                    let intended = [| "y"; "mo"; "w"; "d"; "h"; "m"; "s" |][u]
                    $"{n}{gap}{if n % 3 = 0 then unit else intended} ")

            let! written = order |> List.map spelled |> Gen.sequenceToList
            return sign + String.Join("", written)
        }

    Gen.oneof [ loose; pairs ]

let private hostile =
    Gen.oneof
        [
            ArbMap.generate<string> ArbMap.defaults
            |> Gen.map (fun s -> if isNull s then "" else s)
            genTokens
            Values.messyOffsetText
            // A valid offset with one character spliced in at a random place.
            gen {
                let! text = Values.messyOffsetText
                let! at = Gen.choose (0, text.Length)
                let! c = Gen.elements [ '\u0000'; '\u0007'; '\u200b'; 'é'; '٣'; '１'; '.'; '-'; 'x'; '\ud800' ]
                return text.Insert(at, string c)
            }
        ]

let lawTests =
    testList
        "laws"
        [
            testPropertyWithConfig config "parse agrees with the JS regular expression on the grammar's pieces"
            <| Prop.forAll (Arb.fromGen genTokens) (fun text ->
                match jsParse text, FromNow.parse text with
                | None, Error _ -> true
                | Some None, Error(FromNowError.TooLarge _) -> true
                | Some(Some expected), Ok o -> o.Parts = expected
                | expected, actual -> failtestf "%A: JS %A, ours %A" text expected actual)

            testPropertyWithConfig config "render then parse gives the same offset"
            <| Prop.forAll (Arb.fromGen Values.offset) (fun o -> FromNow.parse (FromNow.render o) = Ok o)

            testPropertyWithConfig config "render then parse round-trips up to the largest offsets"
            <| Prop.forAll
                (Arb.fromGen (
                    Gen.zip
                        (Gen.elements [ false; true ])
                        // Each count up to a sixth of the range in its unit, so most totals fit and
                        // some do not.
                        (Gen.arrayOfLength 7 (Gen.choose (0, 1_000_000)))
                ))
                (fun (negative, fractions) ->
                    let unitSeconds = [| 31_536_000L; 2_592_000L; 604_800L; 86_400L; 3_600L; 60L; 1L |]

                    let cs =
                        Array.init 7 (fun u -> maxSeconds / unitSeconds[u] / 6L * int64 fractions[u] / 1_000_000L)

                    let p = parts negative cs[0] cs[1] cs[2] cs[3] cs[4] cs[5] cs[6]

                    match FromNow.ofParts p with
                    | Ok o ->
                        FromNow.parse (FromNow.render o) = Ok o
                        && o.TotalSeconds = (if o.Parts.Negative then -1L else 1L) * seconds p
                    | Error(FromNowError.TooLarge _) -> seconds p > maxSeconds
                    | Error e -> failtestf "%A: %s" p (e.Describe()))

            testPropertyWithConfig config "any messy spelling (case, whitespace, unit names, +) means the same"
            <| Prop.forAll (Arb.fromGen Values.messyOffset) (fun (o, text) -> FromNow.parse text = Ok o)

            testPropertyWithConfig config "changing the case of ASCII letters changes nothing"
            <| Prop.forAll (Arb.fromGen hostile) (fun text ->
                let asciiCase upper =
                    String.map (fun c ->
                        if c >= 'a' && c <= 'z' && upper then
                            Char.ToUpperInvariant c
                        elif c >= 'A' && c <= 'Z' && not upper then
                            Char.ToLowerInvariant c
                        else
                            c)

                let same a b =
                    match a, b with
                    | Ok x, Ok y -> x = y
                    | Error _, Error _ -> true
                    | _ -> false

                let a = FromNow.parse text

                same a (FromNow.parse (asciiCase true text))
                && same a (FromNow.parse (asciiCase false text)))

            testPropertyWithConfig config "the duration is the sum of fixed-length units"
            <| Prop.forAll (Arb.fromGen (Gen.zip Values.offset Values.instant)) (fun (o, reference) ->
                let expected = seconds o.Parts * (if o.Parts.Negative then -1L else 1L)
                let moved = ok (FromNow.apply o reference)

                o.TotalSeconds = expected
                && o.Duration = TimeSpan.FromTicks(expected * TimeSpan.TicksPerSecond)
                && moved - reference = o.Duration)

            testPropertyWithConfig config "a minus sign negates every unit: apply -o undoes apply o"
            <| Prop.forAll (Arb.fromGen (Gen.zip Values.offset Values.instant)) (fun (o, reference) ->
                let back = FromNow.negate o
                let moved = ok (FromNow.apply o reference)
                let text = FromNow.render o
                let negatedText = if text.StartsWith "-" then text.Substring 1 else "-" + text

                FromNow.apply back moved = Ok reference
                && FromNow.parse negatedText = Ok back
                && back.Duration = -o.Duration
                && FromNow.negate back = o)

            testPropertyWithConfig config "units out of order are refused"
            <| Prop.forAll
                (Arb.fromGen (Gen.zip (Gen.two (Gen.choose (0, 6))) (Gen.two (Gen.choose (0, 99)))))
                (fun ((a, b), (x, y)) ->
                    let spelling = [| "y"; "mo"; "w"; "d"; "h"; "m"; "s" |]
                    let result = FromNow.parse $"{x}{spelling[a]} {y}{spelling[b]}"

                    match compare a b with
                    | c when c < 0 -> Result.isOk result
                    | 0 ->
                        (match result with
                         | Error(FromNowError.RepeatedUnit _) -> true
                         | _ -> false)
                    | _ ->
                        match result with
                        | Error(FromNowError.UnitOutOfOrder _) -> true
                        | _ -> false)

            testPropertyWithConfig
                config
                "random and hostile strings give an offset or a typed error, never an exception"
            <| Prop.forAll (Arb.fromGen hostile) (fun text ->
                match FromNow.fromNowJSON text (DateTimeOffset(2017, 1, 19, 16, 27, 20, 974, TimeSpan.Zero)) with
                | Ok result -> result.EndsWith "Z"
                | Error e -> e.Describe().Length > 0)

            testPropertyWithConfig config "format is toJSON: parsing it back gives the instant to the millisecond"
            <| Prop.forAll (Arb.fromGen Values.instant) (fun instant ->
                let text = FromNow.format (instant.ToOffset(TimeSpan.FromHours 5.5))

                DateTimeOffset.ParseExact(
                    text,
                    "yyyy-MM-dd'T'HH:mm:ss.fff'Z'",
                    CultureInfo.InvariantCulture,
                    DateTimeStyles.AssumeUniversal
                ) = instant
                && text.Length = 24)
        ]

let private errorOf text =
    match FromNow.parse text with
    | Ok o -> failtestf "%A parsed as %s" text (FromNow.render o)
    | Error e -> e

let errorTests =
    testList
        "errors"
        [
            testCase "each mistake gets its own error, quoting the input"
            <| fun () ->
                Expect.equal
                    (errorOf "3 hours 2 days")
                    (FromNowError.UnitOutOfOrder("3 hours 2 days", "days", "hours"))
                    "order"

                Expect.equal (errorOf "1 d 1 d") (FromNowError.RepeatedUnit("1 d 1 d", "d")) "repeated"
                Expect.equal (errorOf "1.5 days") (FromNowError.FractionalNumber("1.5 days", 1)) "fraction"
                Expect.equal (errorOf "abc") (FromNowError.UnexpectedCharacter("abc", 0)) "letters first"
                Expect.equal (errorOf "1 dayx") (FromNowError.UnknownUnit("1 dayx", "dayx")) "unknown unit"
                Expect.equal (errorOf "365week 3") (FromNowError.MissingUnit("365week 3", 9)) "no unit"
                Expect.equal (errorOf "1d -2h") (FromNowError.UnexpectedCharacter("1d -2h", 3)) "inner sign"
                Expect.equal (errorOf "--1d") (FromNowError.UnexpectedCharacter("--1d", 1)) "double sign"
                Expect.equal (errorOf "1 ms") (FromNowError.UnknownUnit("1 ms", "ms")) "ms"

                for text in [ "3 hours 2 days"; "1 d 1 d"; "1.5 days"; "abc"; "1 dayx"; "365week 3" ] do
                    Expect.stringContains ((errorOf text).Describe()) text "quoted"

            testCase "only ASCII digits and JS whitespace count"
            <| fun () ->
                // JS's \d is [0-9]: other scripts' digits are not numbers.
                Expect.isError (FromNow.parse "٣d") "Arabic-Indic digit"
                Expect.isError (FromNow.parse "１d") "full-width digit"
                Expect.isError (FromNow.parse "1\u200bd") "zero-width space is not \\s"
                Expect.isError (FromNow.parse "1\u0085d") "NEL is not \\s in JS"
                Expect.equal (FromNow.parse "\u00a01\u3000d\ufeff\u2028") (FromNow.parse "1d") "Unicode \\s is"
                // JS folds only ASCII letters onto ASCII letters without the `u` flag.
                Expect.isError (FromNow.parse "1 ſec") "long s"
                Expect.isError (FromNow.parse "1 w\u212A") "Kelvin sign"

            testCase "an empty offset, or a bare sign, is zero; a negative zero is zero"
            <| fun () ->
                for text in [ ""; " "; "-"; "+"; " - "; "-0d"; "+0s"; null ] do
                    Expect.equal (FromNow.parse text) (Ok FromNow.zero) $"{text}"

                Expect.isFalse (parseOk "-0d").Parts.Negative "not negative"
                Expect.equal (FromNow.render FromNow.zero) "0s" "zero renders"

            testCase "absurd sizes are refused without exceptions"
            <| fun () ->
                let digits = String('9', 100_000)
                Expect.equal (errorOf (digits + "s")) (FromNowError.TooLarge(digits + "s")) "100k digits"
                Expect.equal (errorOf (digits + "x")) (FromNowError.UnknownUnit(digits + "x", "x")) "syntax first"
                Expect.isLessThan ((errorOf (digits + "s")).Describe().Length) 300 "short message"
                Expect.equal (FromNow.parse (String('0', 100_000) + "7d")) (FromNow.parse "7d") "leading zeros"
                Expect.isError (FromNow.parse "10000000 years") "ten million years"
                Expect.isError (FromNow.parse ("1" + String('0', 400) + " seconds")) "a googol of seconds"
                // Every count fits, but together they pass the range.
                Expect.isOk (FromNow.parse "9000y 9000mo 9000w") "each and all fit"
                Expect.isError (FromNow.parse "9000y 9000mo 90000w") "sum too large"

            testCase "applying past the DateTimeOffset range is a typed error"
            <| fun () ->
                let reference = instantOf "2017-01-19T16:27:20.974Z"

                match FromNow.fromNow "9999 years" reference with
                | Error(FromNowError.OutOfRange(offset, at)) ->
                    Expect.equal offset "9999 years" "offset"
                    Expect.equal at reference "reference"
                | other -> failtestf "expected OutOfRange, got %A" other

                Expect.isError (FromNow.fromNow "-1s" DateTimeOffset.MinValue) "before year 1"
                Expect.isError (FromNow.fromNow "1s" DateTimeOffset.MaxValue) "after year 9999"
                Expect.isOk (FromNow.fromNow "-1s" DateTimeOffset.MaxValue) "just inside"
                Expect.isError (FromNow.fromNow "-2018y" reference) "JS would give a negative year"

            testCase "ofParts refuses negative counts and totals past the range"
            <| fun () ->
                Expect.equal
                    (FromNow.ofParts (parts false 0L 0L 0L -1L 0L 0L 0L))
                    (Error(FromNowError.NegativePart("days", -1L)))
                    "negative"

                Expect.isError (FromNow.ofParts (parts true Int64.MaxValue 0L 0L 0L 0L 0L 0L)) "huge"
                Expect.equal (FromNow.ofParts (parts true 0L 0L 0L 0L 0L 0L 0L)) (Ok FromNow.zero) "negative zero"

            testCase "apply gives UTC and keeps sub-millisecond ticks; format drops them"
            <| fun () ->
                let reference =
                    DateTimeOffset(2020, 1, 1, 12, 0, 0, TimeSpan.FromHours 2.0).AddTicks 1234L

                let moved = ok (FromNow.fromNow "1h" reference)
                Expect.equal moved.Offset TimeSpan.Zero "UTC"
                Expect.equal moved (reference.AddHours 1.0) "same instant"
                Expect.equal (FromNow.format moved) "2020-01-01T11:00:00.000Z" "formatted in UTC"

            testCase "parsing is linear: a megabyte of hostile input takes moments"
            <| fun () ->
                // Inputs that make backtracking regular expressions explode.
                let inputs =
                    [
                        String.replicate 100_000 "1 " + "x"
                        String.replicate 50_000 "1d" + "!"
                        String(' ', 1_000_000) + "1"
                        "1" + String(' ', 1_000_000) + "d x"
                        "1" + String('0', 1_000_000) + "d"
                    ]

                let watch = Stopwatch.StartNew()

                for text in inputs do
                    Expect.isError (FromNow.parse text) "refused"

                // a hang guard: quadratic work on these inputs would take hours
                Expect.isLessThan watch.Elapsed.TotalSeconds 60.0 "no runaway work"
        ]

let tests = testList "FromNow" [ vectorTests; referenceTests; lawTests; errorTests ]
