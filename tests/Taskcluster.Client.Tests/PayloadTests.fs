module Taskcluster.Client.Tests.PayloadTests

open System
open System.Text
open System.Text.Json
open System.Text.Json.Nodes
open Expecto
open FsCheck
open FsCheck.FSharp
open Taskcluster.Core
open Taskcluster.Client

type Thing =
    {
        Name: string
        Count: int
        Missing: string
    }

let private text (payload: Payload) =
    match Payload.toUtf8 payload with
    | Ok(Some bytes) -> Encoding.UTF8.GetString(bytes.Span)
    | Ok None -> failtest "expected a body"
    | Error e -> failtestf "expected JSON, got %s" e

/// Equal as JSON (member order aside).
let private sameJson (written: string) (expected: string) =
    use a = JsonDocument.Parse written
    use b = JsonDocument.Parse expected
    Expect.isTrue (JsonElement.DeepEquals(a.RootElement, b.RootElement)) $"{written} is not {expected}"

let private refused (payload: Payload) =
    match Payload.toUtf8 payload with
    | Error _ -> ()
    | Ok b -> failtestf "expected a refusal, got %A" b

let tests =
    testList
        "Payload"
        [
            test "every form gives the same JSON" {
                let json = """{"a":[1,2.5,"x"],"b":null}"""
                use doc = JsonDocument.Parse json

                let forms =
                    [
                        Payload.Text json
                        Payload.Utf8(ReadOnlyMemory(Encoding.UTF8.GetBytes json))
                        Payload.Element doc.RootElement
                        Payload.Node(JsonNode.Parse json)
                        Payload.Json(
                            Encode.object
                                [
                                    "a", Encode.list [ Encode.int 1; Encode.float 2.5; Encode.string "x" ]
                                    "b", Encode.nil
                                ]
                        )
                    ]

                for form in forms do
                    let written = text form
                    use parsed = JsonDocument.Parse written
                    Expect.isTrue (JsonElement.DeepEquals(parsed.RootElement, doc.RootElement)) $"{form}"
            }

            test "a record keeps its property names as written and leaves nulls out" {
                let written =
                    text (
                        Payload.ofObj
                            {
                                Name = "n"
                                Count = 3
                                Missing = null
                            }
                    )

                Expect.equal written """{"Name":"n","Count":3}""" "names as written"
            }

            test "an anonymous record keeps its property names as written" {
                let written =
                    text (
                        Payload.ofObj
                            {|
                                secret = {| MOZ_BUILD_DATE = "1"; URL = "x" |}
                                taskId = "t"
                            |}
                    )

                sameJson written """{"secret":{"MOZ_BUILD_DATE":"1","URL":"x"},"taskId":"t"}"""
            }

            test "a dictionary keeps its keys as written" {
                let env =
                    dict [ "MOZ_BUILD_DATE", box "1"; "URL", box "x"; "rust_LOG", box "debug" ]

                let written = text (Payload.ofObj (dict [ "env", box env; "Image", box "ubuntu" ]))
                sameJson written """{"env":{"MOZ_BUILD_DATE":"1","URL":"x","rust_LOG":"debug"},"Image":"ubuntu"}"""
            }

            test "ofObj dispatches on the runtime type" {
                Expect.equal (Payload.ofObj null) Payload.Empty "null is no body"
                Expect.equal (text (Payload.ofObj "[1]")) "[1]" "a string is JSON text"
                Expect.equal (text (Payload.ofObj [| byte '2' |])) "2" "bytes are UTF-8 JSON"
                Expect.equal (text (Payload.ofObj (JsonNode.Parse "true"))) "true" "a node"
                Expect.equal (text (Payload.ofObj (Encode.string "é"))) "\"é\"" "a core Json value"
            }

            test "Empty has no body" { Expect.equal (Payload.toUtf8 Payload.Empty) (Ok None) "no body" }

            test "malformed JSON text is refused" {
                for bad in [ ""; "{"; "{} {}"; "[1,]"; "// comment\n1"; "nope" ] do
                    refused (Payload.Text bad)

                refused (Payload.Text null)
                refused (Payload.Element Unchecked.defaultof<JsonElement>)
            }

            testPropertyWithConfig
                { FsCheckConfig.defaultConfig with
                    maxTest = 500
                }
                "any text is accepted exactly when System.Text.Json parses it, and never throws"
            <| fun (s: string) ->
                let parses =
                    try
                        use _ = JsonDocument.Parse(s: string)
                        true
                    with _ ->
                        false

                match Payload.toUtf8 (Payload.Text s) with
                | Ok(Some _) -> parses
                | Ok None -> false
                | Error _ -> not parses
        ]
