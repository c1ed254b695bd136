/// The helpers every generated decoder and encoder uses (src/Taskcluster.Models/ModelCodec.fs).
module Taskcluster.Models.Tests.ModelCodecTests

open System
open Expecto
open FsCheck
open FsCheck.FSharp
open Taskcluster.Core
open Taskcluster.Models

let private decode (decoder: Decoder<'T>) (text: string) = Decode.fromString decoder text

let private errorPath (result: Result<'T, DecodeError>) =
    match result with
    | Error e -> e.Path
    | Ok v -> failtestf "expected an error, decoded %A" v

let tests =
    testList
        "ModelCodec"
        [
            testList
                "timestamps"
                [
                    test "RFC 3339 timestamps decode to the same UTC instant, with or without fractions or offsets" {
                        let expected = DateTimeOffset(2026, 11, 29, 15, 0, 0, TimeSpan.Zero)

                        for text in
                            [
                                "\"2026-11-29T15:00:00.000Z\""
                                "\"2026-11-29T15:00:00Z\""
                                "\"2026-11-29T16:00:00+01:00\""
                                "\"2026-11-29T15:00:00.0000000Z\""
                            ] do
                            let decoded =
                                decode ModelCodec.dateTime text
                                |> Result.defaultWith (fun e -> failtest (e.Describe()))

                            Expect.equal decoded expected text
                            Expect.equal decoded.Offset TimeSpan.Zero $"{text} is UTC"
                    }

                    test "timestamps are written the way Taskcluster writes them" {
                        let value = DateTimeOffset(2026, 11, 29, 16, 0, 0, 7, TimeSpan.FromHours 1.0)

                        Expect.equal
                            (ModelCodec.encodeDateTime value)
                            (Json.String "2026-11-29T15:00:00.007Z")
                            "UTC, ms"
                    }

                    test "what is not an RFC 3339 timestamp is an error quoting it, at its path" {
                        for text in [ "1/2/2026"; "2026-11-29"; "yesterday"; "" ] do
                            match decode (Decode.field "at" ModelCodec.dateTime) $"{{\"at\":\"{text}\"}}" with
                            | Error e ->
                                Expect.equal e.Path "$.at" text
                                Expect.stringContains (e.Describe()) $"\"{text}\"" "quotes the value"
                            | Ok v -> failtestf "%s decoded as %O" text v

                        Expect.equal
                            (errorPath (decode (Decode.field "at" ModelCodec.dateTime) "{\"at\":5}"))
                            "$.at"
                            "a number"
                    }

                    testProperty "any millisecond instant survives encode then decode"
                    <| Prop.forAll
                        (Arb.fromGen (
                            Gen.choose (0, Int32.MaxValue)
                            |> Gen.map (fun ms ->
                                DateTimeOffset(1990, 1, 1, 0, 0, 0, TimeSpan.Zero)
                                    .AddMilliseconds(float ms * 1000.0 + float (ms % 1000)))
                        ))
                        (fun instant ->
                            let text = Encode.toString (ModelCodec.encodeDateTime instant)
                            decode ModelCodec.dateTime text = Ok instant)
                ]

            testList
                "members"
                [
                    test "extension data is every member the model does not name, in full" {
                        let known = ModelCodec.known [ "a"; "b" ]

                        let decoded =
                            decode (ModelCodec.extensionData known) """{"a":1,"x":{"y":[1,null]},"b":2,"z":"w"}"""

                        Expect.equal
                            decoded
                            (Ok(
                                Map
                                    [
                                        "x", Json.Object [ "y", Json.Array [ Json.Integer 1L; Json.Null ] ]
                                        "z", Json.String "w"
                                    ]
                            ))
                            "unknown members"
                    }

                    test "extension data never writes a member the model names" {
                        let known = ModelCodec.known [ "a" ]

                        Expect.equal
                            (ModelCodec.extension known (Map [ "a", Json.Integer 1L; "b", Json.Integer 2L ]))
                            [ "b", Json.Integer 2L ]
                            "a is written by the model"
                    }

                    test "a constant member must hold its value; the error names the member" {
                        let check = ModelCodec.constant "storageType" (Json.String "s3")
                        Expect.equal (decode check """{"storageType":"s3"}""") (Ok()) "equal"
                        Expect.equal (errorPath (decode check """{"storageType":"object"}""")) "$.storageType" "other"

                        match decode check "{}" with
                        | Error {
                                    Reason = DecodeReason.MissingField "storageType"
                                } -> ()
                        | other -> failtestf "missing: %A" other
                    }

                    test "an optional member keeping null tells absent, null and a value apart" {
                        let d = ModelCodec.optionalKeepingNull "x" (Decode.nullable Decode.int)
                        Expect.equal (decode d "{}") (Ok None) "absent"
                        Expect.equal (decode d """{"x":null}""") (Ok(Some None)) "null"
                        Expect.equal (decode d """{"x":3}""") (Ok(Some(Some 3))) "value"
                        Expect.equal (errorPath (decode d """{"x":"3"}""")) "$.x" "wrong type"

                        // A member missing deeper down is an error, not an absent `x`.
                        let deep = ModelCodec.optionalKeepingNull "x" (Decode.field "x" Decode.int)
                        Expect.equal (errorPath (decode deep """{"x":{}}""")) "$.x" "deeper"
                    }

                    test "maps decode every member and report a bad one at its path" {
                        Expect.equal
                            (decode (ModelCodec.dict Decode.int) """{"a":1,"b":2}""")
                            (Ok(Map [ "a", 1; "b", 2 ]))
                            "map"

                        Expect.equal (errorPath (decode (ModelCodec.dict Decode.int) """{"a":1,"b":"2"}""")) "$.b" "b"

                        Expect.equal
                            (ModelCodec.encodeDict Encode.int (Map [ "a", 1 ]))
                            (Json.Object [ "a", Json.Integer 1L ])
                            "encoded"
                    }

                    test "a free-form object must be an object" {
                        Expect.equal
                            (decode ModelCodec.anyObject """{"a":[1]}""")
                            (Ok(Json.Object [ "a", Json.Array [ Json.Integer 1L ] ]))
                            "object"

                        match decode ModelCodec.anyObject "[1]" with
                        | Error {
                                    Reason = DecodeReason.WrongType("an object", _)
                                } -> ()
                        | other -> failtestf "array: %A" other
                    }
                ]
        ]
