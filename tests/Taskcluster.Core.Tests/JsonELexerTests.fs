/// The JSON-e tokenizer: the reference's regular-expression alternation, written out by hand.
module Taskcluster.Core.Tests.JsonELexerTests

open Expecto
open Taskcluster.Core

let private tokens (source: string) =
    let rec go offset acc =
        match JsonELexer.next source 0 offset with
        | Ok(Some t) -> go t.End ((t.Kind, t.Value) :: acc)
        | Ok None -> Ok(List.rev acc)
        | Error message -> Error message

    go 0 []

let tests =
    testList
        "JsonELexer"
        [
            testCase "the first alternative wins, as in the reference's regular expression"
            <| fun () ->
                Expect.equal
                    (tokens "a**b*c<=d!=e!f")
                    (Ok
                        [
                            JsonETokenKind.Identifier, "a"
                            JsonETokenKind.Pow, "**"
                            JsonETokenKind.Identifier, "b"
                            JsonETokenKind.Star, "*"
                            JsonETokenKind.Identifier, "c"
                            JsonETokenKind.LessEqual, "<="
                            JsonETokenKind.Identifier, "d"
                            JsonETokenKind.NotEqual, "!="
                            JsonETokenKind.Identifier, "e"
                            JsonETokenKind.Not, "!"
                            JsonETokenKind.Identifier, "f"
                        ])
                    "operators"

            testCase "keywords are whole words; numbers take a fraction only with digits after the point"
            <| fun () ->
                Expect.equal
                    (tokens "in inx true1 null 1.5 2. 3")
                    (Ok
                        [
                            JsonETokenKind.In, "in"
                            JsonETokenKind.Identifier, "inx"
                            JsonETokenKind.Identifier, "true1"
                            JsonETokenKind.Null, "null"
                            JsonETokenKind.Number, "1.5"
                            JsonETokenKind.Number, "2"
                            JsonETokenKind.Dot, "."
                            JsonETokenKind.Number, "3"
                        ])
                    "words and numbers"

            testCase "JavaScript's whitespace separates tokens (no-break space, line separator, BOM)"
            <| fun () ->
                Expect.equal
                    (tokens "a\u00a0b\u2028c\ufeffd")
                    (Ok [ for n in [ "a"; "b"; "c"; "d" ] -> JsonETokenKind.Identifier, n ])
                    "separated"

            testCase "strings run to the same quote, over newlines, without escapes"
            <| fun () ->
                Expect.equal
                    (tokens "'a\"b\nc' \"d\\\"")
                    (Ok [ JsonETokenKind.String, "'a\"b\nc'"; JsonETokenKind.String, "\"d\\\"" ])
                    "strings"

            testCase "anything else is the reference's 'Unexpected input' message, quoting the rest"
            <| fun () ->
                Expect.equal (tokens "a = b") (Error "Unexpected input for 'a = b' at '= b'") "lone ="
                Expect.equal (tokens "'open") (Error "Unexpected input for ''open' at ''open'") "unterminated"
                Expect.equal (tokens "a & b") (Error "Unexpected input for 'a & b' at '& b'") "lone &"
        ]
