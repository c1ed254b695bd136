namespace Taskcluster.Testing

open System
open System.Text
open FsCheck
open FsCheck.FSharp
open Taskcluster.Core

/// Generators of hostile input for parsers and decoders: structured mutations of valid input
/// (characters flipped, inserted and deleted, truncations, repeated pieces, tokens that mean
/// something to the format), wrong-shaped JSON, broken UTF-8 and plain noise. Random text rarely
/// gets past a parser's first check; a valid input edited a few times reaches its deeper states.
[<RequireQualifiedAccess>]
module Hostile =
    // Lone surrogates are built from code units: the compiler would replace them in literals.
    let private highSurrogate = string (char 0xD800)
    let private lowSurrogate = string (char 0xDC00)

    let rec private repeat (times: int) (step: 'T -> Gen<'T>) (value: 'T) : Gen<'T> =
        if times <= 0 then
            Gen.constant value
        else
            step value |> Gen.bind (repeat (times - 1) step)

    let private anyString =
        ArbMap.generate<string> ArbMap.defaults
        |> Gen.map (fun s -> if isNull s then "" else s)

    /// Characters parsers trip over: NUL and other controls, quotes, backslash, separators,
    /// `=` and base64 characters, non-ASCII letters, combining marks, a BOM, lone surrogates,
    /// and now and then any UTF-16 code unit.
    let char: Gen<char> =
        Gen.frequency
            [
                6,
                Gen.elements (
                    "\u0000\t\n\r\u000b\u000c\u001f\u007f \"'\\/=+-_.,:;*?#&%<>{}[]()~`!@$^|"
                    + "\u00e9\u00a0\u0085\u2028\u2029\u200b\u0301\ufeff\uffff\ufffd"
                )
                2, Gen.elements (highSurrogate + lowSurrogate)
                3, Gen.choose (0, 0xFFFF) |> Gen.map Operators.char
                3, Gen.choose (32, 126) |> Gen.map Operators.char
            ]

    /// Text with special meaning in the formats Taskcluster parses (JSON, Hawk headers, bewits,
    /// base64, fromNow offsets, scopes, URLs), for insertion into valid input.
    let commonTokens: string list =
        [
            "\""
            "\\"
            "\\\""
            ","
            ", "
            "="
            "=="
            "==="
            "id=\"x\""
            "mac=\"\""
            "ts=\"1\""
            "Hawk "
            "\\u"
            "\\ud800"
            "\\udc00"
            "\\u0000"
            "\\uZZZZ"
            "{"
            "}"
            "["
            "]"
            ":"
            "null"
            "true"
            "-0"
            "1e400"
            "-1e400"
            "1.5"
            "99999999999999999999999999"
            "-9223372036854775809"
            "9223372036854775808"
            "0x1F"
            "NaN"
            "Infinity"
            "/* */"
            "//"
            "?"
            "&"
            "#"
            "%"
            "%00"
            "bewit="
            "&bewit="
            "*"
            "assume:"
            "<"
            ">"
            "<x>"
            "${"
            "${x}"
            "."
            ".."
            "y"
            "mo"
            "1 "
            " -"
            "+"
            highSurrogate
            lowSurrogate
            "\u0000"
            "\r\n"
            "\ufeff"
            "\u00e9"
            "\U0001F600"
        ]

    /// One of `commonTokens`, or a hostile character.
    let token: Gen<string> =
        Gen.frequency [ 4, Gen.elements commonTokens; 1, char |> Gen.map string ]

    /// `token` with the given extra tokens mixed in (format-specific keywords, valid parts).
    let tokensWith (extra: string list) : Gen<string> =
        match extra with
        | [] -> token
        | _ -> Gen.frequency [ 2, token; 1, Gen.elements extra ]

    /// Short strings of hostile characters, or arbitrary strings.
    let noise: Gen<string> =
        Gen.oneof
            [
                anyString
                gen {
                    let! length = Gen.choose (0, 40)
                    let! chars = Gen.arrayOfLength length char
                    return String(chars)
                }
            ]

    /// A long run (up to 20,000 characters) of one hostile token or character.
    let longRun (tokens: Gen<string>) : Gen<string> =
        gen {
            let! piece = tokens
            let! count = Gen.choose (100, 20_000)
            let piece = if piece.Length = 0 then "a" else piece
            return String.replicate (max 1 (count / piece.Length)) piece
        }

    /// One edit of the text: a character replaced, a token inserted, a range deleted, a
    /// truncation, a range repeated, a case flip, a long run inserted, or two ranges swapped.
    let edit (tokens: Gen<string>) (text: string) : Gen<string> =
        let n = text.Length

        let position = Gen.choose (0, n)

        let range =
            gen {
                let! a = position
                let! b = position
                return min a b, max a b
            }

        let ops =
            [
                // Replace one character.
                4,
                gen {
                    if n = 0 then
                        return! char |> Gen.map string
                    else
                        let! i = Gen.choose (0, n - 1)
                        let! c = char
                        return text.Substring(0, i) + string c + text.Substring(i + 1)
                }
                // Insert a token.
                5,
                gen {
                    let! i = position
                    let! t = tokens
                    return text.Insert(i, t)
                }
                // Delete a range (often a single character).
                3,
                gen {
                    let! i, j = range
                    let! single = Gen.elements [ true; false ]

                    return
                        if single && i < n then
                            text.Remove(i, 1)
                        else
                            text.Remove(i, j - i)
                }
                // Truncate.
                2, position |> Gen.map (fun i -> text.Substring(0, i))
                // Drop a prefix.
                1, position |> Gen.map (fun i -> text.Substring i)
                // Repeat a range.
                2,
                gen {
                    let! i, j = range
                    let! times = Gen.choose (2, 50)

                    return
                        text.Substring(0, j)
                        + String.replicate times (text.Substring(i, j - i))
                        + text.Substring j
                }
                // Flip the case of a range.
                1,
                gen {
                    let! i, j = range

                    let flipped =
                        text.Substring(i, j - i)
                        |> String.map (fun c ->
                            if Char.IsUpper c then
                                Char.ToLowerInvariant c
                            else
                                Char.ToUpperInvariant c)

                    return text.Substring(0, i) + flipped + text.Substring j
                }
                // Insert a very long value.
                1,
                gen {
                    let! i = position
                    let! run = longRun tokens
                    return text.Insert(i, run)
                }
                // Swap two ranges.
                1,
                gen {
                    let! i, j = range
                    let! k = Gen.choose (j, n)
                    let! l = Gen.choose (k, n)

                    return
                        text.Substring(0, i)
                        + text.Substring(k, l - k)
                        + text.Substring(j, k - j)
                        + text.Substring(i, j - i)
                        + text.Substring l
                }
            ]

        Gen.frequency ops

    /// One to four edits in a row.
    let mutate (tokens: Gen<string>) (text: string) : Gen<string> =
        gen {
            let! count = Gen.frequency [ 6, Gen.constant 1; 3, Gen.constant 2; 2, Gen.constant 3; 1, Gen.constant 4 ]
            return! repeat count (edit tokens) text
        }

    /// Mostly mutations of valid inputs, plus the valid inputs themselves, noise, long runs
    /// and the empty string.
    let mutationsOf (tokens: Gen<string>) (valid: Gen<string>) : Gen<string> =
        Gen.frequency
            [
                14, valid |> Gen.bind (mutate tokens)
                1, valid
                2, noise
                1, longRun tokens
                1, Gen.constant ""
            ]

    // ---- JSON -----------------------------------------------------------------------------

    let private hostileString =
        Gen.frequency
            [
                3, noise
                1, Gen.elements [ ""; highSurrogate; "a" + lowSurrogate; "\u0000"; "\ufeff"; String('x', 5000) ]
            ]

    /// Small JSON values of every kind, with hostile strings, extreme numbers, duplicate
    /// member names and nesting.
    let jsonValue: Gen<Json> =
        let leaf =
            Gen.frequency
                [
                    2, Gen.constant Json.Null
                    2, Gen.elements [ true; false ] |> Gen.map Json.Bool
                    2,
                    Gen.elements [ 0L; 1L; -1L; Int64.MaxValue; Int64.MinValue; 2147483648L; 1_700_000_000_000L ]
                    |> Gen.map Json.Integer
                    2,
                    Gen.elements [ 0.5; -0.0; 1e308; -1e308; 5e-324; 1e21; 1.7976931348623157e308 ]
                    |> Gen.map Json.Number
                    4, hostileString |> Gen.map Json.String
                ]

        let rec tree depth =
            if depth <= 0 then
                leaf
            else
                Gen.frequency
                    [
                        4, leaf
                        1, Gen.listOfLength 3 (tree (depth - 1)) |> Gen.map Json.Array
                        1,
                        gen {
                            let! names =
                                Gen.listOfLength
                                    3
                                    (Gen.frequency
                                        [
                                            3, Gen.elements [ "a"; "code"; "message"; "scopes"; "version" ]
                                            1, hostileString
                                        ])

                            let! values = Gen.listOfLength 3 (tree (depth - 1))
                            return Json.Object(List.zip names values)
                        }
                    ]

        tree 3

    let rec private size json =
        match json with
        | Json.Array items -> 1 + List.sumBy size items
        | Json.Object members -> 1 + List.sumBy (snd >> size) members
        | _ -> 1

    // Rewrites the node numbered `target` in depth-first pre-order.
    let private rewriteAt (target: int) (f: Json -> Json) (json: Json) =
        let counter = ref -1

        let rec go node =
            counter.Value <- counter.Value + 1

            if counter.Value = target then
                f node
            else
                match node with
                | Json.Array items -> Json.Array(List.map go items)
                | Json.Object members -> Json.Object(members |> List.map (fun (k, v) -> k, go v))
                | other -> other

        go json

    let private nested (depth: int) (inner: Json) =
        Seq.fold (fun acc _ -> Json.Array [ acc ]) inner (Seq.replicate depth ())

    /// One structural change to a JSON value: a node replaced by a value of another kind
    /// (or deeply nested), wrapped in an array, an object member dropped, duplicated with
    /// another value, renamed or added, an array emptied or extended with a stray value.
    let reshape (json: Json) : Gen<Json> =
        gen {
            let! target = Gen.choose (0, size json - 1)

            let! change =
                Gen.frequency
                    [
                        5, jsonValue |> Gen.map (fun v -> fun (_: Json) -> v)
                        1, Gen.choose (10, 200) |> Gen.map (fun d -> fun node -> nested d node)
                        1, Gen.constant (fun node -> Json.Array [ node ])
                        3,
                        gen {
                            let! pick = Gen.choose (0, 1000)
                            let! value = jsonValue
                            let! name = hostileString
                            let! op = Gen.choose (0, 4)

                            return
                                fun node ->
                                    match node with
                                    | Json.Object [] -> Json.Object [ name, value ]
                                    | Json.Object members ->
                                        let i = pick % members.Length
                                        let k, v = members[i]

                                        match op with
                                        | 0 -> Json.Object(List.removeAt i members)
                                        | 1 -> Json.Object(members @ [ k, value ])
                                        | 2 -> Json.Object(List.insertAt i (k, value) members)
                                        | 3 -> Json.Object(List.updateAt i (name, v) members)
                                        | _ -> Json.Object(members @ [ name, value ])
                                    | Json.Array [] -> Json.Array [ value ]
                                    | Json.Array items ->
                                        match op with
                                        | 0
                                        | 1 -> Json.Array []
                                        | _ -> Json.Array(List.insertAt (pick % (items.Length + 1)) value items)
                                    | _ -> value
                        }
                    ]

            return rewriteAt target change json
        }

    /// JSON text of the wrong shape: valid values reshaped one to three times, then sometimes
    /// edited as text (broken syntax, escapes of lone surrogates, overlong numbers, comments).
    let jsonText (valid: Gen<Json>) : Gen<string> =
        let reshaped =
            gen {
                let! value = valid
                let! times = Gen.choose (1, 3)
                return! repeat times reshape value
            }

        Gen.frequency
            [
                6, reshaped |> Gen.map Encode.toString
                4, valid |> Gen.map Encode.toString |> Gen.bind (mutate token)
                1, jsonValue |> Gen.map Encode.toString
                1, noise
            ]

    // ---- bytes ----------------------------------------------------------------------------

    /// Byte sequences that are not UTF-8 (stray continuation bytes, overlong forms, encoded
    /// surrogates, code points past U+10FFFF, cut sequences), NUL and a BOM.
    let badUtf8: byte array list =
        [
            [| 0xFFuy |]
            [| 0xFEuy |]
            [| 0x80uy |]
            [| 0xC0uy; 0xAFuy |]
            [| 0xE0uy; 0x80uy; 0xAFuy |]
            [| 0xEDuy; 0xA0uy; 0x80uy |]
            [| 0xF4uy; 0x90uy; 0x80uy; 0x80uy |]
            [| 0xE2uy; 0x82uy |]
            [| 0xF0uy; 0x9Fuy |]
            [| 0x00uy |]
            [| 0xEFuy; 0xBBuy; 0xBFuy |]
        ]

    /// The UTF-8 bytes of the text with one to three byte-level edits: a bad sequence inserted,
    /// a byte replaced by any byte, or a truncation (which may cut a character in two).
    let utf8Mutations (text: Gen<string>) : Gen<byte array> =
        let editBytes (bytes: byte array) =
            let n = bytes.Length

            Gen.frequency
                [
                    4,
                    gen {
                        let! i = Gen.choose (0, n)
                        let! bad = Gen.elements badUtf8
                        return Array.concat [ bytes[.. i - 1]; bad; bytes[i..] ]
                    }
                    2,
                    gen {
                        if n = 0 then
                            return [| 0xFFuy |]
                        else
                            let! i = Gen.choose (0, n - 1)
                            let! b = Gen.choose (0, 255)
                            let copy = Array.copy bytes
                            copy[i] <- byte b
                            return copy
                    }
                    1, Gen.choose (0, n) |> Gen.map (fun i -> bytes[.. i - 1])
                ]

        gen {
            let! value = text
            let! times = Gen.choose (1, 3)
            return! repeat times editBytes (Encoding.UTF8.GetBytes value)
        }
