module Taskcluster.Core.Tests.UrlHostTests

open System
open Expecto
open FsCheck
open FsCheck.FSharp
open Taskcluster.Core
open Taskcluster.Testing

// Worked out by hand from the WHATWG URL standard's host parser (its "ends in a number" check,
// IPv4 parser and number parser, IPv6 parser and serializer), and checked against `new URL` in
// Node 20. The Hawk and RootUrl tests use the same tables.

/// Hosts a WHATWG URL parser rewrites, and the form it serialises them to.
let rewritten =
    [
        "127.1", "127.0.0.1" // the last part fills the bytes left
        "0x7f.0.0.1", "127.0.0.1" // hexadecimal
        "0177.0.0.1", "127.0.0.1" // octal
        "2130706433", "127.0.0.1" // one 32-bit number
        "127.0.0.1.", "127.0.0.1" // one trailing dot
        "0x7F.1", "127.0.0.1"
        "0X7f.0x0.00.0x1", "127.0.0.1" // 0X, and a bare 0x is 0
        "0x", "0.0.0.0"
        "0x.0x.0", "0.0.0.0"
        "1.0x", "1.0.0.0"
        "4294967295", "255.255.255.255"
        "0xffffffff.", "255.255.255.255"
        "1.16777215", "1.255.255.255"
        "1.1.65535", "1.1.255.255"
        "00000000000000000000000001", "0.0.0.1" // any number of leading zeros
        "0x00000000000000000001", "0.0.0.1"
        "192.168.0.010", "192.168.0.8" // a leading zero makes any part octal
        "[::FFFF:1.2.3.4]", "[::ffff:102:304]"
        "[1:2:3:4:5:6:1.2.3.4]", "[1:2:3:4:5:6:102:304]"
        "[0:0:0:0:0:0:0:0]", "[::]"
    ]

/// Hosts that stay domains: only lower-cased.
let domains =
    [
        "Tc.Example.com", "tc.example.com"
        "Example.COM.", "example.com." // a domain keeps its trailing dot
        "127.0.0.1..", "127.0.0.1.." // two dots: the last label is empty, not a number
        "1.2.3.4..", "1.2.3.4.."
        "a.1e1", "a.1e1" // not a number in any radix
        "0xg", "0xg"
        "a..b", "a..b"
        "localhost", "localhost"
        "a_b~c.d-e", "a_b~c.d-e"
    ]

/// Hosts for which a WHATWG URL parser refuses the whole URL.
let refused =
    [
        "256.0.0.1" // a part other than the last above 255
        "0x100.1"
        "256.1"
        "1.1.1.256" // the last part beyond the bytes left
        "1.16777216"
        "4294967296"
        "0x100000000"
        "99999999999999999999999"
        "1.2.3.4.5" // more than four parts
        "1.2.3.4.5."
        "0x1.0x2.0x3.0x4.0x5"
        "example.123" // ends in a number, so it must be an IPv4 address
        "a.0x1"
        "example.0x"
        "1.2.3.09" // 9 is not an octal digit
        "09"
        ".1" // an empty part
        "[1::2:3:4:5:6:7:8]" // `::` stands for at least one zero piece
        "[::01.2.3.4]" // no leading zeros in an embedded IPv4 address
        "[::1.2.3]"
        "[a::b::c]"
        "[1:2]"
        "[]"
    ]

let tests =
    testList
        "UrlHost"
        [
            testCase "rewrites IPv4 and IPv6 addresses as WHATWG serialises them"
            <| fun () ->
                for written, serialised in rewritten do
                    Expect.equal (UrlHost.serialize written) (Ok serialised) written

            testCase "keeps domains as they are, lower-cased, without copying them"
            <| fun () ->
                for written, serialised in domains do
                    Expect.equal (UrlHost.serialize written) (Ok serialised) written
                    Expect.equal (UrlHost.read (written.AsSpan())) (Ok ValueNone) $"{written}: nothing to rewrite"

            testCase "an IPv4 address already in dotted decimal needs no copy"
            <| fun () ->
                for host in [ "127.0.0.1"; "0.0.0.0"; "255.255.255.255"; "10.0.20.200" ] do
                    Expect.equal (UrlHost.read (host.AsSpan())) (Ok ValueNone) host

                for host, serialised in [ "127.0.0.01", "127.0.0.1"; "127.0.0.1.", "127.0.0.1"; "127.0.1", "127.0.0.1" ] do
                    Expect.equal (UrlHost.read (host.AsSpan())) (Ok(ValueSome serialised)) host

            testCase "refuses what a WHATWG URL parser refuses, quoting the host"
            <| fun () ->
                for host in refused do
                    match UrlHost.serialize host with
                    | Error reason -> Expect.stringContains reason $"'{host}'" host
                    | Ok text -> failtestf "%s accepted as %s" host text

                Expect.isError (UrlHost.serialize "") "empty"
                Expect.isError (UrlHost.serialize null) "null"

            testPropertyWithConfig
                { FsCheckConfig.defaultConfig with
                    maxTest = 5_000
                }
                "every spelling of an IPv4 address is read as the address"
            <| Prop.forAll (Arb.fromGen Requests.ipv4Spelling) (fun (spelled, dotted) ->
                UrlHost.serialize spelled = Ok dotted)

            testPropertyWithConfig
                { FsCheckConfig.defaultConfig with
                    maxTest = 5_000
                }
                "the serialised form of a host reads back as itself"
            <| Prop.forAll
                (Arb.fromGen (Gen.oneof [ Requests.host; Requests.ipv4Spelling |> Gen.map fst ]))
                (fun host ->
                    match UrlHost.serialize host with
                    | Ok text -> UrlHost.serialize text = Ok text
                    | Error _ -> true)
        ]
