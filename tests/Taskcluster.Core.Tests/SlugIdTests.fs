module Taskcluster.Core.Tests.SlugIdTests

open System
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

// The official patterns, verbatim from the slugid package, as oracles.
let private v4Pattern =
    "^[A-Za-z0-9_-]{8}[Q-T][A-Za-z0-9_-][CGKOSWaeimquy26-][A-Za-z0-9_-]{10}[AQgw]$"

let private nicePattern =
    "^[A-Za-f][A-Za-z0-9_-]{7}[Q-T][A-Za-z0-9_-][CGKOSWaeimquy26-][A-Za-z0-9_-]{10}[AQgw]$"

// .NET's `$` also matches before a final newline and JS's does not; `\z` is JS's `$` here.
let private jsRegex (pattern: string) =
    Regex(pattern.Replace("$", "\\z"), RegexOptions.CultureInvariant)

let private v4Regex = jsRegex v4Pattern
let private niceRegex = jsRegex nicePattern
let private slugRegex = jsRegex "^[A-Za-z0-9_-]{21}[AQgw]$"

let private alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

/// Valid slugs built character by character, independently of the encoder under test.
let private genSlugText =
    gen {
        let! body = Gen.arrayOfLength 21 (Gen.elements alphabet)
        let! last = Gen.elements [ 'A'; 'Q'; 'g'; 'w' ]
        return String(body) + string last
    }

/// Strings near the slug shape (lengths 20-24, mostly slug characters, a few strangers) and
/// arbitrary strings, so that both branches of every check are exercised.
let private genNearSlug =
    let strangers = [ '+'; '/'; '='; ' '; '\n'; 'é'; '\u0000'; '.'; '~' ]

    Gen.oneof
        [
            genSlugText
            gen {
                let! length = Gen.choose (20, 24)

                let! chars =
                    Gen.arrayOfLength length (Gen.frequency [ 30, Gen.elements alphabet; 1, Gen.elements strangers ])

                return String chars
            }
            // Version and variant characters chosen on purpose, to hit the v4 checks.
            gen {
                let! s = genSlugText
                let! c8 = Gen.elements alphabet
                let! c10 = Gen.elements alphabet
                let chars = s.ToCharArray()
                chars[8] <- c8
                chars[10] <- c10
                return String chars
            }
            ArbMap.generate<string> ArbMap.defaults
            |> Gen.map (fun s -> if isNull s then "" else s)
        ]

let private ok (result: Result<'T, SlugIdError>) =
    match result with
    | Ok v -> v
    | Error e -> failtestf "unexpected error: %s" (e.Describe())

let private bigEndian (g: Guid) = g.ToByteArray(true)

let vectorTests =
    Vectors.testCases "vectors (slugid 5)" "slugids.json" (fun case ->
        let id = Vectors.get "id" Decode.string case

        if Vectors.expectsError case then
            Expect.isError (SlugId.decode id) $"decode {id}"
            Expect.isError (SlugId.parse id) $"parse {id}"
        else
            let expected = Guid.Parse(Vectors.get "result" Decode.string case)
            Expect.equal (SlugId.decode id) (Ok expected) $"decode {id}"

            // Rows in the canonical form also parse strictly and encode back to themselves; the
            // padded and standard-alphabet rows are only decoded leniently.
            if slugRegex.IsMatch id then
                Expect.equal (SlugId.encode expected).Value id "encode"
                Expect.equal (ok (SlugId.parse id)).Value id "parse"
                Expect.equal ((ok (SlugId.parse id)).ToGuid()) expected "ToGuid"
            else
                Expect.isError (SlugId.parse id) $"parse refuses the lenient form {id}")

let lawTests =
    testList
        "laws"
        [
            testPropertyWithConfig config "decode (encode g) = g for any UUID"
            <| Prop.forAll (Arb.fromGen Values.guid) (fun g ->
                SlugId.decode (SlugId.encode g).Value = Ok g && (SlugId.encode g).ToGuid() = g)

            testPropertyWithConfig config "encode (decode s) = s for every valid slug"
            <| Prop.forAll (Arb.fromGen genSlugText) (fun s ->
                match SlugId.decode s, SlugId.parse s with
                | Ok g, Ok slug -> (SlugId.encode g).Value = s && slug.Value = s && slug.ToGuid() = g
                | _ -> false)

            testPropertyWithConfig config "encode writes the RFC 4122 byte order (as base64url of the bytes)"
            <| Prop.forAll (Arb.fromGen Values.guid) (fun g ->
                let expected =
                    Convert.ToBase64String(bigEndian g).TrimEnd('=').Replace('+', '-').Replace('/', '_')

                (SlugId.encode g).Value = expected)

            testPropertyWithConfig config "parse accepts exactly the canonical 22-character slugs"
            <| Prop.forAll (Arb.fromGen genNearSlug) (fun s -> Result.isOk (SlugId.parse s) = slugRegex.IsMatch s)

            testPropertyWithConfig config "decode accepts the canonical slugs plus padding and + /"
            <| Prop.forAll (Arb.fromGen genNearSlug) (fun s ->
                let normal = s.Replace('+', '-').Replace('/', '_')

                let unpadded =
                    if normal.EndsWith "==" && normal.Length = 24 then
                        normal.Substring(0, 22)
                    elif normal.EndsWith "=" && normal.Length = 23 then
                        normal.Substring(0, 22)
                    else
                        normal

                Result.isOk (SlugId.decode s) = slugRegex.IsMatch unpadded)

            testPropertyWithConfig config "isV4 and isNice agree with the official regular expressions"
            <| Prop.forAll (Arb.fromGen genNearSlug) (fun s ->
                SlugId.isV4 s = v4Regex.IsMatch s && SlugId.isNice s = niceRegex.IsMatch s)

            testPropertyWithConfig config "v4 from any 16 bytes matches the v4 pattern and keeps the random bits"
            <| Prop.forAll (Arb.fromGen Values.randomBytes) (fun bytes ->
                let slug = ok (SlugId.v4 (ReadOnlySpan bytes))
                let b = bigEndian (slug.ToGuid())

                let randomBitsKept =
                    [ 0..15 ]
                    |> List.forall (fun i ->
                        match i with
                        | 6 -> (b[6] &&& 0x0Fuy) = (bytes[6] &&& 0x0Fuy)
                        | 8 -> (b[8] &&& 0x3Fuy) = (bytes[8] &&& 0x3Fuy)
                        | _ -> b[i] = bytes[i])

                Regex(v4Pattern).IsMatch slug.Value
                && slug.IsV4
                && (b[6] >>> 4) = 4uy
                && (b[8] &&& 0xC0uy) = 0x80uy
                && randomBitsKept)

            testPropertyWithConfig config "nice from any 16 bytes matches the nice pattern and never starts with -"
            <| Prop.forAll (Arb.fromGen Values.randomBytes) (fun bytes ->
                let slug = ok (SlugId.nice (ReadOnlySpan bytes))
                let b = bigEndian (slug.ToGuid())

                Regex(nicePattern).IsMatch slug.Value
                && Regex(v4Pattern).IsMatch slug.Value
                && slug.IsNice
                && slug.Value[0] <> '-'
                && (b[0] &&& 0x80uy) = 0uy
                && (b[0] &&& 0x7Fuy) = (bytes[0] &&& 0x7Fuy)
                && (b[6] >>> 4) = 4uy
                && (b[8] &&& 0xC0uy) = 0x80uy)

            testPropertyWithConfig config "the public generators make what they promise"
            <| Prop.forAll
                (Arb.fromGen (Gen.zip3 Values.slugId Values.slugIdV4 Values.slugIdNice))
                (fun (any, v4, nice) ->
                    slugRegex.IsMatch any.Value
                    && v4Regex.IsMatch v4.Value
                    && niceRegex.IsMatch nice.Value)

            testPropertyWithConfig config "equality and order follow the text"
            <| Prop.forAll (Arb.fromGen (Gen.two Values.slugId)) (fun (a, b) ->
                (a = b) = (a.Value = b.Value)
                && sign (compare a b) = sign (String.CompareOrdinal(a.Value, b.Value))
                && (a.GetHashCode() = b.GetHashCode() || a <> b))
        ]

let errorTests =
    let errorOf text =
        match SlugId.parse text with
        | Ok s -> failtestf "%s parsed as %s" text s.Value
        | Error e -> e

    testList
        "errors"
        [
            testCase "each kind of bad slug gets its own error naming the input"
            <| fun () ->
                let good = (SlugId.encode (Guid.Parse "9063c508-8edd-4cf8-89d1-ac47e10986c6")).Value
                Expect.equal (errorOf "abc") (SlugIdError.WrongLength("abc", 3)) "short"
                Expect.equal (errorOf (good + "A")) (SlugIdError.WrongLength(good + "A", 23)) "long"
                Expect.equal (errorOf (good + "==")) (SlugIdError.Padded(good + "==")) "padded"
                let bad = good.Substring(0, 5) + "+" + good.Substring(6)
                Expect.equal (errorOf bad) (SlugIdError.InvalidCharacter(bad, 5)) "plus"
                let loose = good.Substring(0, 21) + "h"
                Expect.equal (errorOf loose) (SlugIdError.NonCanonical loose) "non-canonical last character"
                Expect.equal (SlugId.decode loose) (Error(SlugIdError.NonCanonical loose)) "decode too"
                Expect.equal (errorOf null) (SlugIdError.WrongLength("", 0)) "null"

                for e in [ errorOf "abc"; errorOf bad; errorOf loose; errorOf (good + "==") ] do
                    Expect.isNonEmpty (e.Describe()) "described"

                Expect.stringContains ((errorOf bad).Describe()) bad "quoted"

            testCase "huge and hostile input is refused and quoted only in part"
            <| fun () ->
                let huge = String('A', 100_000)
                let e = errorOf huge
                Expect.equal e (SlugIdError.WrongLength(huge, 100_000)) "huge"
                Expect.isLessThan (e.Describe().Length) 300 "short message"
                Expect.isError (SlugId.decode "\u0000\u0001\uffff\ud800AAAAAAAAAAAAAAAAAA") "control characters"
                Expect.isError (SlugId.decode "ÀAAAAAAAAAAAAAAAAAAAAA") "non-ASCII letter"

            testCase "v4 and nice need exactly 16 random bytes"
            <| fun () ->
                Expect.equal
                    (SlugId.v4 (ReadOnlySpan(Array.zeroCreate<byte> 15)))
                    (Error(SlugIdError.WrongRandomLength 15))
                    "15"

                Expect.equal
                    (SlugId.nice (ReadOnlySpan(Array.zeroCreate<byte> 17)))
                    (Error(SlugIdError.WrongRandomLength 17))
                    "17"

                Expect.isOk (SlugId.nice (ReadOnlySpan(Array.zeroCreate<byte> 16))) "16"

            testPropertyWithConfig config "parse and decode never throw"
            <| fun (s: string) ->
                let parsed = SlugId.parse s
                let decoded = SlugId.decode s

                (Result.isOk parsed
                 || (match parsed with
                     | Error e -> e.Describe() <> ""
                     | _ -> false))
                && (Result.isOk decoded
                    || (match decoded with
                        | Error e -> e.Describe() <> ""
                        | _ -> false))
        ]

let valueTests =
    testList
        "values"
        [
            testCase "the default value is the nil UUID's slug"
            <| fun () ->
                let d = Unchecked.defaultof<SlugId>
                Expect.equal d.Value (SlugId.encode Guid.Empty).Value "text"
                Expect.equal d (SlugId.encode Guid.Empty) "equal"
                Expect.equal (d.ToGuid()) Guid.Empty "guid"
                Expect.equal (d.GetHashCode()) ((SlugId.encode Guid.Empty).GetHashCode()) "hash"
                Expect.isFalse d.IsV4 "not v4"

            testCase "ToString is the slug"
            <| fun () ->
                let s = SlugId.encode (Guid.Parse "2e3c41e0-0fba-41ae-b756-d77447fef6c0")
                Expect.equal (string s) s.Value "ToString"
                Expect.equal (SlugId.toGuid s) (s.ToGuid()) "toGuid"

            testCase "nice allocates only its string"
            <| fun () ->
                let bytes = Array.init 16 byte

                let run () =
                    for _ in 1..1000 do
                        SlugId.nice (ReadOnlySpan bytes) |> ignore

                run ()

                // The least of a few rounds: while other tests allocate on other threads, this
                // thread's counter can take in a few KiB that are not the calls' own (about 8
                // bytes per call here), which would not come back in every round.
                let perCall =
                    List.init 5 (fun _ ->
                        let before = GC.GetAllocatedBytesForCurrentThread()
                        run ()
                        (GC.GetAllocatedBytesForCurrentThread() - before) / 1000L)
                    |> List.min

                // A 22-character string is 66 bytes of payload plus the object header: 72 in all.
                Expect.isLessThanOrEqual perCall 72L "bytes per call"
        ]

let tests = testList "SlugId" [ vectorTests; lawTests; errorTests; valueTests ]
