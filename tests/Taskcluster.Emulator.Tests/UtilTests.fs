/// The shared helpers: JSON read as `JSON.parse` reads it.
module Taskcluster.Emulator.Tests.UtilTests

open System.Text
open Expecto
open Taskcluster.Emulator.Internal

let private parse (text: string) = J.parse (Encoding.UTF8.GetBytes text)

let tests =
    testList
        "Util"
        [
            test "of repeated keys the last wins, in the place of the first" {
                match parse """{"a":1,"b":2,"a":3}""" with
                | Ok n -> Expect.equal (n.ToJsonString()) """{"a":3,"b":2}""" "last wins"
                | Error e -> failtest e

                match parse """{"x":{"s":["a"],"s":["*"]}}""" with
                | Ok n -> Expect.equal (n.ToJsonString()) """{"x":{"s":["*"]}}""" "nested"
                | Error e -> failtest e
            }

            test "a lone surrogate escape is refused with a reason, in a value or a name" {
                for text in [ """{"a":"\ud800"}"""; """["\udc00x"]"""; """{"\ud800":1}""" ] do
                    match parse text with
                    | Error message -> Expect.stringContains message "lone UTF-16 surrogate" text
                    | Ok n -> failtestf "%s parsed as %s" text (n.ToJsonString())

                match parse "{\"a\":\"\\ud83d\\ude00\"}" with
                | Ok n -> Expect.equal (string n.["a"]) "\U0001F600" "a pair is one character"
                | Error e -> failtest e
            }

            test "malformed JSON is an error, not an exception" {
                for text in [ "{"; ""; "[1,]"; "{\"a\":01}" ] do
                    Expect.isError (parse text) text
            }
        ]
