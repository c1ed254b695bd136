module Taskcluster.Core.Tests.JsonTests

open System
open System.Text.Json
open Expecto
open FsCheck
open FsCheck.FSharp
open Taskcluster.Core

let private config =
    { FsCheckConfig.defaultConfig with
        maxTest = 500
    }

// Arbitrary JSON trees of bounded depth (finite numbers only: JSON has no NaN).
let rec private genJson depth : Gen<Json> =
    let leaf =
        Gen.oneof
            [
                Gen.constant Json.Null
                ArbMap.generate<bool> ArbMap.defaults |> Gen.map Json.Bool
                ArbMap.generate<int64> ArbMap.defaults |> Gen.map Json.Integer
                ArbMap.generate<NormalFloat> ArbMap.defaults
                |> Gen.map (fun f -> Json.Number f.Get)
                ArbMap.generate<string> ArbMap.defaults
                |> Gen.map (fun s -> Json.String(if isNull s then "" else s))
            ]

    if depth <= 0 then
        leaf
    else
        Gen.frequency
            [
                3, leaf
                1, Gen.listOfLength 3 (genJson (depth - 1)) |> Gen.map Json.Array
                1,
                Gen.listOfLength 3 (Gen.zip (ArbMap.generate<string> ArbMap.defaults) (genJson (depth - 1)))
                |> Gen.map (fun members -> Json.Object [ for k, v in members -> (if isNull k then "" else k), v ])
            ]

// Integral floats decode as integers; compare numerically so the law is about values.
let rec private sameValue (a: Json) (b: Json) =
    match a, b with
    | Json.Number x, Json.Integer y
    | Json.Integer y, Json.Number x -> x = float y
    | Json.Number x, Json.Number y -> x = y
    | Json.Array xs, Json.Array ys -> xs.Length = ys.Length && List.forall2 sameValue xs ys
    | Json.Object xs, Json.Object ys ->
        xs.Length = ys.Length
        && List.forall2 (fun (k1, v1) (k2, v2) -> k1 = k2 && sameValue v1 v2) xs ys
    | _ -> a = b

let encodeTests =
    testList
        "encode"
        [
            testPropertyWithConfig config "toString then decode gives the same value"
            <| Prop.forAll (Arb.fromGen (genJson 3)) (fun value ->
                match Decode.fromString Decode.json (Encode.toString value) with
                | Ok decoded -> sameValue value decoded
                | Error _ -> false)

            testPropertyWithConfig config "toString is valid JSON for System.Text.Json too"
            <| Prop.forAll (Arb.fromGen (genJson 3)) (fun value ->
                use doc = JsonDocument.Parse(Encode.toString value)
                doc.RootElement.ValueKind <> JsonValueKind.Undefined)

            testCase "escapes like JSON.stringify"
            <| fun () ->
                let s = Encode.toString (Json.String "a\"b\\c\n\t\u0001\u001f é 😀 <>&'+")
                Expect.equal s "\"a\\\"b\\\\c\\n\\t\\u0001\\u001f é 😀 <>&'+\"" "escapes"
                let lone = Encode.toString (Json.String(string '\ud800'))
                Expect.equal lone "\"\\ud800\"" "lone surrogate escaped"

            testCase "keeps member order and is compact"
            <| fun () ->
                let value =
                    Encode.object [ "z", Encode.int 1; "a", Encode.list [ Encode.bool true; Encode.nil ] ]

                Expect.equal (Encode.toString value) """{"z":1,"a":[true,null]}""" "compact"

            testCase "numbers are written as JavaScript writes them"
            <| fun () ->
                let cases =
                    [
                        0.0, "0"
                        -0.0, "0"
                        1.5, "1.5"
                        -1.5, "-1.5"
                        1e20, "100000000000000000000"
                        1e21, "1e+21"
                        1.5e21, "1.5e+21"
                        0.000001, "0.000001"
                        1e-7, "1e-7"
                        1.2345e-8, "1.2345e-8"
                        123.456, "123.456"
                        0.1, "0.1"
                        5e-324, "5e-324"
                        1.7976931348623157e308, "1.7976931348623157e+308"
                        Double.NaN, "null"
                    ]

                for value, expected in cases do
                    Expect.equal (Encode.formatNumber value) expected $"{value}"

            testPropertyWithConfig config "formatted numbers parse back to the same number"
            <| fun (f: NormalFloat) ->
                Double.Parse(Encode.formatNumber f.Get, Globalization.CultureInfo.InvariantCulture) = f.Get
        ]

type private Sample =
    {
        Name: string
        Count: int
        Tags: string list
        Note: string option
    }

let private sampleDecoder =
    Decode.object (fun get ->
        {
            Name = get.Required "name" Decode.string
            Count = get.Required "count" Decode.int
            Tags = get.Required "tags" (Decode.list Decode.string)
            Note = get.Optional "note" Decode.string
        })

let decodeTests =
    let errorOf text =
        match Decode.fromString sampleDecoder text with
        | Ok v -> failtestf "decoded %A" v
        | Error e -> e

    testList
        "decode"
        [
            testCase "object builder reads required and optional members"
            <| fun () ->
                let v =
                    Decode.fromString sampleDecoder """{"name":"a","count":2,"tags":["x"],"note":null}"""

                Expect.equal
                    v
                    (Ok
                        {
                            Name = "a"
                            Count = 2
                            Tags = [ "x" ]
                            Note = None
                        })
                    "decoded"

            testCase "errors carry the path of the bad value"
            <| fun () ->
                let e = errorOf """{"name":"a","count":2,"tags":["x",3]}"""
                Expect.equal e.Path "$.tags[1]" "path"
                Expect.equal e.Reason (DecodeReason.WrongType("a string", "a number")) "reason"
                Expect.stringContains (e.Describe()) "$.tags[1]" "described"

            testCase "missing members are named"
            <| fun () ->
                let e = errorOf """{"name":"a","tags":[]}"""
                Expect.equal e.Reason (DecodeReason.MissingField "count") "missing"

            testCase "members that are not identifiers are quoted in paths"
            <| fun () ->
                let d = Decode.field "a.b" (Decode.field "c d" Decode.int)

                match Decode.fromString d """{"a.b":{"c d":"x"}}""" with
                | Error e -> Expect.equal e.Path "$['a.b']['c d']" "quoted"
                | Ok v -> failtestf "decoded %d" v

            testCase "integers: integral doubles accepted, fractions and overflow refused"
            <| fun () ->
                Expect.equal (Decode.fromString Decode.int64 "1e3") (Ok 1000L) "1e3"
                Expect.equal (Decode.fromString Decode.int64 "2.0") (Ok 2L) "2.0"
                Expect.isError (Decode.fromString Decode.int64 "2.5") "2.5"
                Expect.isError (Decode.fromString Decode.int "4294967296") "overflow"
                Expect.isError (Decode.fromString Decode.int64 "1e300") "far overflow"

            testCase "oneOf reports every alternative"
            <| fun () ->
                match
                    Decode.fromString
                        (Decode.oneOf [ Decode.string |> Decode.map ignore; Decode.int |> Decode.map ignore ])
                        "true"
                with
                | Error {
                            Reason = DecodeReason.NoAlternative errors
                        } -> Expect.equal errors.Length 2 "two"
                | other -> failtestf "%A" other

            testCase "deep nesting is a typed error, not a stack overflow"
            <| fun () ->
                let deep = String('[', 100_000) + String(']', 100_000)

                match Decode.fromString Decode.json deep with
                | Error { Reason = DecodeReason.InvalidJson _ } -> ()
                | other -> failtestf "%A" other

            testPropertyWithConfig
                { config with maxTest = 2000 }
                "any text gives a value or a typed error, never an exception"
            <| fun (text: string) ->
                match Decode.fromString sampleDecoder text with
                | Ok _
                | Error _ -> true

            testPropertyWithConfig config "element decoder detaches from the document"
            <| Prop.forAll (Arb.fromGen (genJson 2)) (fun value ->
                match Decode.fromString Decode.element (Encode.toString value) with
                | Ok el -> el.GetRawText().Length > 0
                | Error _ -> false)
        ]

let tests = testList "Json" [ encodeTests; decodeTests ]
