module Taskcluster.Core.Tests.HawkTests

open System
open System.Security.Cryptography
open System.Text
open Expecto
open FsCheck
open FsCheck.FSharp
open Taskcluster.Core
open Taskcluster.Testing

let private config =
    { FsCheckConfig.defaultConfig with
        maxTest = 300
    }

let private ok context (result: Result<'T, HawkError>) =
    match result with
    | Ok v -> v
    | Error e -> failtestf "%s: %s" context (e.Describe())

let private credentials clientId accessToken =
    Hawk.credentials clientId accessToken |> ok "credentials"

let private request method resource host port : Hawk.Request =
    {
        Method = method
        Resource = resource
        Host = host
        Port = port
    }

let private credentialsDecoder =
    Decode.object (fun get -> get.Required "clientId" Decode.string, get.Required "accessToken" Decode.string)

// An independent oracle: the MAC as the Hawk specification defines it, from the plain text.
let private macOf (accessToken: string) (normalized: string) =
    Convert.ToBase64String(HMACSHA256.HashData(Encoding.UTF8.GetBytes accessToken, Encoding.UTF8.GetBytes normalized))

// ---- vectors ------------------------------------------------------------------------------

let headerVectors =
    Vectors.testCases "vectors (hawk 9 headers)" "hawk-headers.json" (fun case ->
        let clientId, accessToken = Vectors.get "credentials" credentialsDecoder case
        let method = Vectors.get "method" Decode.string case
        let url = Vectors.get "url" Decode.string case
        let timestamp = Vectors.get "timestamp" Decode.int64 case
        let nonce = Vectors.get "nonce" Decode.string case
        let expectedExt = Vectors.tryGet "ext" Decode.string case

        let ext =
            match Vectors.tryGet "authorizedScopes" (Decode.list Decode.string) case with
            | Some scopes ->
                let ext =
                    Certificate.Ext.encode
                        {
                            Certificate = None
                            AuthorizedScopes = Some scopes
                        }

                Expect.equal ext expectedExt "the Taskcluster ext sent"
                ext
            | None -> expectedExt

        let hash =
            Vectors.tryGet "payload" Decode.string case
            |> Option.map (fun payload ->
                Hawk.payloadHash (Vectors.get "contentType" Decode.string case) (Encoding.UTF8.GetBytes payload))

        let expectedHeader = Vectors.get "header" Decode.string case

        let normalized =
            Hawk.normalized method url timestamp nonce ext hash |> ok "normalized"

        Expect.equal normalized (Vectors.get "normalized" Decode.string case) "normalized string"

        let header =
            Hawk.header (credentials clientId accessToken) method url timestamp nonce ext hash
            |> ok "header"

        Expect.equal header expectedHeader "header"

        // The server side accepts what the official client sent.
        let parsed = Hawk.parseHeader expectedHeader |> ok "parse"
        let target = Hawk.request method url |> ok "request"

        Expect.equal
            (Hawk.verifyHeader parsed target accessToken hash timestamp Hawk.defaultSkewSeconds)
            (Ok())
            "verified")

let bewitVectors =
    Vectors.testCases "vectors (hawk 9 bewits)" "bewits.json" (fun case ->
        let clientId, accessToken = Vectors.get "credentials" credentialsDecoder case
        let creds = credentials clientId accessToken
        let url = Vectors.get "url" Decode.string case
        let ext = Vectors.tryGet "ext" Decode.string case

        let expiry =
            Vectors.get "now" Decode.int64 case / 1000L
            + Vectors.get "ttlSec" Decode.int64 case

        Expect.equal expiry (Vectors.get "exp" Decode.int64 case) "expiry"
        Expect.equal (Hawk.bewit creds url expiry ext |> ok "bewit") (Vectors.get "bewit" Decode.string case) "bewit"
        let signedUrl = Vectors.get "signedUrl" Decode.string case
        Expect.equal (Hawk.signUrl creds url expiry ext |> ok "signUrl") signedUrl "signed URL"

        let bewit, stripped = Hawk.parseBewit signedUrl |> ok "parseBewit"
        Expect.equal (bewit.Id, bewit.Expiry, bewit.Ext) (clientId, expiry, ext) "bewit parts"
        let target = Hawk.request "GET" stripped |> ok "request"
        Expect.equal (Hawk.verifyBewit bewit target accessToken (expiry - 1L)) (Ok()) "valid before expiry"

        Expect.equal
            (Hawk.verifyBewit bewit target accessToken expiry)
            (Error(HawkError.ExpiredBewit(expiry, expiry)))
            "expired at expiry")

// ---- generators ---------------------------------------------------------------------------

type private Signed =
    {
        ClientId: string
        AccessToken: string
        Method: string
        Sample: SampleUri
        Timestamp: int64
        Nonce: string
        Ext: string option
        Hash: string option
    }

    member s.Credentials = credentials s.ClientId s.AccessToken

    member s.Header =
        Hawk.header s.Credentials s.Method s.Sample.Uri s.Timestamp s.Nonce s.Ext s.Hash
        |> ok "header"

    member s.Request = request s.Method s.Sample.Resource s.Sample.Host s.Sample.Port

let private genHash =
    Gen.arrayOfLength 32 (Gen.choose (0, 255) |> Gen.map byte)
    |> Gen.map Convert.ToBase64String

let private genSigned =
    gen {
        let! clientId = Requests.clientId
        let! accessToken = Requests.accessToken
        let! method = Requests.method
        let! sample = Requests.sampleUri
        let! timestamp = Requests.timestamp
        let! nonce = Requests.nonce
        let! ext = Gen.optionOf Requests.ext
        let! hash = Gen.optionOf genHash

        return
            {
                ClientId = clientId
                AccessToken = accessToken
                Method = method
                Sample = sample
                Timestamp = timestamp
                Nonce = nonce
                Ext = ext
                Hash = hash
            }
    }

let private anotherMethod (method: string) =
    if method.Equals("PATCH", StringComparison.OrdinalIgnoreCase) then
        "GET"
    else
        "PATCH"

let private mutateChar (text: string) =
    let c = if text[0] = 'A' then 'B' else 'A'
    string c + text.Substring 1

// Strings no parser should choke on: arbitrary Unicode, controls, unbalanced quotes, huge
// inputs, and small mutations of well-formed values.
let hostile (wellFormed: string list) =
    let mutate (text: string) =
        gen {
            let! position = Gen.choose (0, text.Length)
            let! kind = Gen.choose (0, 3)
            let! c = Gen.elements [ '"'; '\\'; ','; '='; ' '; '\n'; '\000'; 'é'; '\ud800'; '&'; '?'; '#'; '%' ]

            return
                match kind with
                | 0 -> text.Insert(position, string c)
                | 1 when position < text.Length -> text.Remove(position, 1)
                | 2 -> text.Substring(0, position)
                | _ -> text.Insert(position, String(c, 3))
        }

    let rec mutateTimes n text =
        if n = 0 then
            Gen.constant text
        else
            mutate text |> Gen.bind (mutateTimes (n - 1))

    Gen.frequency
        [
            2, ArbMap.generate<string> ArbMap.defaults
            2,
            Gen.arrayOf (Gen.choose (0, 0xFFFF) |> Gen.map char)
            |> Gen.map (fun cs -> String(cs))
            2,
            gen {
                let! n = Gen.choose (4000, 200_000)
                let! c = Gen.elements [ 'a'; '"'; '='; ','; ' ' ]
                let! prefix = Gen.elements ("" :: wellFormed)
                return prefix + String(c, n)
            }
            6,
            gen {
                let! text = Gen.elements wellFormed
                let! n = Gen.choose (1, 4)
                return! mutateTimes n text
            }
        ]

// ---- unit tests ---------------------------------------------------------------------------

let requestTests =
    testList
        "request"
        [
            testCase "takes the path and query byte for byte and drops the fragment"
            <| fun () ->
                Expect.equal
                    (Hawk.request "get" "HTTPS://TC.Example.COM/a%2Fb/../c;x?q=%20y+z&&#frag"
                     |> ok "request")
                    (request "GET" "/a%2Fb/../c;x?q=%20y+z&&" "tc.example.com" 443)
                    "request"

            testCase "defaults ports by scheme and keeps explicit ones"
            <| fun () ->
                let port uri = (Hawk.request "GET" uri |> ok uri).Port
                Expect.equal (port "http://h/") 80 "http"
                Expect.equal (port "https://h/") 443 "https"
                Expect.equal (port "http://h:443/") 443 "explicit"
                Expect.equal (port "https://h:/") 443 "empty port text"
                Expect.equal (port "http://[::1]:8080/") 8080 "IPv6"

            testCase "an empty path is /, a trailing ? is kept"
            <| fun () ->
                let resource uri =
                    (Hawk.request "GET" uri |> ok uri).Resource

                Expect.equal (resource "http://h") "/" "no path"
                Expect.equal (resource "http://h?a=1") "/?a=1" "query only"
                Expect.equal (resource "http://h/p?") "/p?" "trailing ?"
                Expect.equal (resource "http://h#x") "/" "fragment only"

            testCase "IPv6 hosts keep their brackets and are lower-cased"
            <| fun () ->
                Expect.equal (Hawk.request "GET" "http://[2001:DB8::1]/" |> ok "ipv6").Host "[2001:db8::1]" "host"

            // Found by the interop tests: `hawk` reads hosts through WHATWG `URL`, which rewrites
            // IPv6 literals, so a MAC over the literal as written failed its check.
            testCase "IPv6 literals are signed as WHATWG URLs serialise them (as hawk does)"
            <| fun () ->
                for written, canonical in
                    [
                        "[::ffff:192.0.2.1]", "[::ffff:c000:201]"
                        "[2001:DB8:0:0:1:0:0:1]", "[2001:db8::1:0:0:1]"
                        "[0:0:0:0:0:0:0:1]", "[::1]"
                        "[2001:db8:0:1:1:1:1:1]", "[2001:db8:0:1:1:1:1:1]"
                        "[1:0:0:2:0:0:0:3]", "[1:0:0:2::3]"
                        "[2001:0db8::0001]", "[2001:db8::1]"
                        "[::]", "[::]"
                    ] do
                    let url = $"http://{written}:8080/p"
                    Expect.equal (Hawk.request "GET" url |> ok written).Host canonical written

                    let normalized = Hawk.normalized "GET" url 1L "n" None None |> ok written
                    Expect.stringContains normalized $"\n{canonical}\n8080\n" written

            testCase "a header signed for an IPv6 literal verifies against the host as a server reads it"
            <| fun () ->
                let creds = Hawk.credentials "id" "key" |> ok "credentials"
                let url = "http://[::ffff:192.0.2.1]/p"
                let header = Hawk.header creds "GET" url 100L "n" None None |> ok "header"
                let parsed = Hawk.parseHeader header |> ok "parse"

                let asWritten: Hawk.Request =
                    {
                        Method = "GET"
                        Resource = "/p"
                        Host = "[::ffff:192.0.2.1]"
                        Port = 80
                    }

                Expect.isOk (Hawk.verifyHeader parsed asWritten "key" None 100L 60L) "literal as written"

                Expect.isOk
                    (Hawk.verifyHeader
                        parsed
                        { asWritten with
                            Host = "[::ffff:c000:201]"
                        }
                        "key"
                        None
                        100L
                        60L)
                    "canonical literal"

            // Issue 11: an HTTP stack sends `http://127.1:8080/x` with `Host: 127.0.0.1:8080`,
            // and hawk's server reads the Host header through WHATWG URL rules too, so a MAC
            // over `127.1` was refused by the real validator.
            testCase "IPv4 addresses in every spelling are signed as WHATWG URLs serialise them"
            <| fun () ->
                let creds = Hawk.credentials "id" "key" |> ok "credentials"

                for written, serialised in UrlHostTests.rewritten @ UrlHostTests.domains do
                    let url = $"http://{written}:8080/p"
                    let asServed = $"http://{serialised}:8080/p"
                    Expect.equal (Hawk.request "GET" url |> ok written).Host serialised written

                    let normalized = Hawk.normalized "GET" url 1L "n" None None |> ok written
                    Expect.stringContains normalized $"\n{serialised}\n8080\n" written

                    Expect.equal
                        (Hawk.header creds "GET" url 1L "n" None None)
                        (Hawk.header creds "GET" asServed 1L "n" None None)
                        $"{written}: the header signed for the host the server sees"

                    Expect.equal
                        (Hawk.bewit creds url 100L None)
                        (Hawk.bewit creds asServed 100L None)
                        $"{written}: the bewit signed for the host the server sees"

            testCase "refuses hosts a WHATWG URL parser refuses, naming the URI"
            <| fun () ->
                for host in UrlHostTests.refused do
                    let uri = $"http://{host}/p"

                    match Hawk.request "GET" uri, Hawk.header (credentials "id" "key") "GET" uri 1L "n" None None with
                    | Error(HawkError.InvalidUri(u, reason)), Error(HawkError.InvalidUri _) ->
                        Expect.equal u uri "the URI is named"
                        Expect.stringContains reason host "the reason quotes the host"
                    | other -> failtestf "%s: expected InvalidUri, got %A" uri other

            testCase "a header verifies against the host a server reads, however the Host header spells it"
            <| fun () ->
                let creds = Hawk.credentials "id" "key" |> ok "credentials"

                let header =
                    Hawk.header creds "GET" "http://127.0.0.1:8080/p" 100L "n" None None
                    |> ok "header"

                let parsed = Hawk.parseHeader header |> ok "parse"

                for spelling in [ "127.0.0.1"; "127.1"; "0x7f.0.0.1"; "2130706433"; "127.0.0.1." ] do
                    let request: Hawk.Request =
                        {
                            Method = "GET"
                            Resource = "/p"
                            Host = spelling
                            Port = 8080
                        }

                    Expect.isOk (Hawk.verifyHeader parsed request "key" None 100L 60L) spelling

                // hawk answers a Host header that `new URL` refuses 400, whatever the MAC.
                for host in [ "256.0.0.1"; "1.2.3.4.5"; "[1:2]" ] do
                    let request: Hawk.Request =
                        {
                            Method = "GET"
                            Resource = "/p"
                            Host = host
                            Port = 8080
                        }

                    Expect.equal
                        (Hawk.verifyHeader parsed request "key" None 100L 60L)
                        (Error(HawkError.InvalidValue("host", host)))
                        host

            testCase "refuses what cannot be signed byte for byte, naming the URI"
            <| fun () ->
                for uri in
                    [
                        ""
                        "/relative/path"
                        "tc.example.com/x"
                        "ftp://h/"
                        "http:///path"
                        "http://h:99999/"
                        "http://h:8x/"
                        "http://h:80:80/"
                        "http://[::1/"
                        "http://[::1]x/"
                        "http://h/a b"
                        "http://h/é"
                        "http://h/a\tb"
                        "http://bad host/"
                    ] do
                    match Hawk.request "GET" uri with
                    | Error(HawkError.InvalidUri(u, _) as e) ->
                        Expect.equal u uri "the URI is named"
                        Expect.isNotEmpty (e.Describe()) "described"
                    | other -> failtestf "%s: expected InvalidUri, got %A" uri other

            testCase "refuses user information without repeating the password"
            <| fun () ->
                match Hawk.request "GET" "https://user:s3cret@h/" with
                | Error e -> Expect.isFalse (e.Describe().Contains "s3cret") (e.Describe())
                | Ok r -> failtestf "accepted %A" r

            testCase "refuses methods that are not tokens"
            <| fun () ->
                for m in [ ""; "GE T"; "GET\n"; "GÉT" ] do
                    Expect.equal (Hawk.request m "http://h/") (Error(HawkError.InvalidValue("method", m))) m
        ]

let signingTests =
    let creds = credentials "tester" "no-secret"

    testList
        "sign"
        [
            testCase "payloadHash hashes the media type without parameters, lower-cased"
            <| fun () ->
                let payload = Encoding.UTF8.GetBytes """{"k": 1}"""

                let expected =
                    Convert.ToBase64String(
                        SHA256.HashData(Encoding.UTF8.GetBytes "hawk.1.payload\napplication/json\n{\"k\": 1}\n")
                    )

                Expect.equal (Hawk.payloadHash "application/json" payload) expected "plain"
                Expect.equal (Hawk.payloadHash " Application/JSON ; charset=UTF-8" payload) expected "parameters"

                let empty =
                    Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes "hawk.1.payload\n\n\n"))

                Expect.equal (Hawk.payloadHash null [||]) empty "no content type, no payload"

            testCase "an empty ext or hash is left out of the header"
            <| fun () ->
                let plain = Hawk.header creds "GET" "http://h/" 1L "n" None None |> ok "plain"
                Expect.equal (Hawk.header creds "GET" "http://h/" 1L "n" (Some "") (Some "") |> ok "empty") plain "same"
                Expect.isFalse (plain.Contains "ext=") "no ext"
                Expect.isFalse (plain.Contains "hash=") "no hash"

            testCase "attributes come in hawk's order"
            <| fun () ->
                let header =
                    Hawk.header creds "GET" "http://h/" 1L "n" (Some "e") (Some "h") |> ok "header"

                Expect.stringStarts
                    header
                    "Hawk id=\"tester\", ts=\"1\", nonce=\"n\", hash=\"h\", ext=\"e\", mac=\""
                    "order"

            testCase "long values sign correctly on both sides of the stack buffer size"
            <| fun () ->
                // Found when the buffers were sized exactly: the header length bound was too small.
                let check (uri: string) (ext: string) timestamp =
                    let header =
                        Hawk.header creds "GET" uri timestamp "n" (Some ext) None |> ok "header"

                    let normalized =
                        Hawk.normalized "GET" uri timestamp "n" (Some ext) None |> ok "normalized"

                    let parsed = Hawk.parseHeader header |> ok "parse"
                    Expect.equal parsed.Mac (macOf "no-secret" normalized) $"ext of {ext.Length}, URI of {uri.Length}"
                    Expect.equal parsed.Ext (Some ext) "ext"

                for length in 850..1150 do
                    check "http://h/" (String('e', length)) Int64.MaxValue

                for length in 280..420 do
                    check ("http://h/" + String('p', length)) "x" 1L

            testCase "refuses values a header cannot carry"
            <| fun () ->
                let refused name result =
                    match result with
                    | Error(HawkError.InvalidValue(n, _)) -> Expect.equal n name name
                    | other -> failtestf "%s: %A" name other

                refused "nonce" (Hawk.header creds "GET" "http://h/" 1L "" None None)
                refused "nonce" (Hawk.header creds "GET" "http://h/" 1L "a\"b" None None)
                refused "ext" (Hawk.header creds "GET" "http://h/" 1L "n" (Some "a\\b") None)
                refused "ext" (Hawk.header creds "GET" "http://h/" 1L "n" (Some "é") None)
                refused "payload hash" (Hawk.header creds "GET" "http://h/" 1L "n" None (Some "a\nb"))
                refused "method" (Hawk.header creds "G T" "http://h/" 1L "n" None None)
                refused "timestamp" (Hawk.header creds "GET" "http://h/" -1L "n" None None)

            testCase "credentials refuse ids a header cannot carry and empty tokens"
            <| fun () ->
                for id in [ ""; "a\"b"; "a\\b"; "é"; "a\nb"; null ] do
                    Expect.equal (Hawk.credentials id "t") (Error(HawkError.InvalidClientId id)) $"{id}"

                Expect.equal (Hawk.credentials "a" "") (Error HawkError.EmptyAccessToken) "empty"
                Expect.equal (Hawk.credentials "a" null) (Error HawkError.EmptyAccessToken) "null"

            testCase "bewits refuse a backslash in the ext, a non-positive expiry and a second bewit"
            <| fun () ->
                Expect.equal
                    (Hawk.bewit creds "http://h/" 10L (Some "a\\b"))
                    (Error(HawkError.InvalidValue("ext", "a\\b")))
                    "ext"

                Expect.equal
                    (Hawk.bewit creds "http://h/" 0L None)
                    (Error(HawkError.InvalidValue("expiry", "0")))
                    "expiry"

                match Hawk.signUrl creds "http://h/?a=1&bewit=x" 10L None with
                | Error(HawkError.InvalidUri _) -> ()
                | other -> failtestf "%A" other

            testCase "signUrl appends with ? or & and keeps the fragment last"
            <| fun () ->
                let token = Hawk.bewit creds "http://h/p" 10L None |> ok "bewit"
                Expect.equal (Hawk.signUrl creds "http://h/p" 10L None) (Ok $"http://h/p?bewit={token}") "?"
                let token = Hawk.bewit creds "http://h/p?a=1" 10L None |> ok "bewit"
                Expect.equal (Hawk.signUrl creds "http://h/p?a=1" 10L None) (Ok $"http://h/p?a=1&bewit={token}") "&"
                let token = Hawk.bewit creds "http://h/p?a#f" 10L None |> ok "bewit"
                Expect.equal (Hawk.signUrl creds "http://h/p?a#f" 10L None) (Ok $"http://h/p?a&bewit={token}#f") "#"
        ]

let parseHeaderTests =
    let valid = "Hawk id=\"a\", ts=\"1\", nonce=\"n\", mac=\"m\""

    let refused header expected =
        Expect.equal (Hawk.parseHeader header) (Error expected) header

    testList
        "parseHeader"
        [
            testCase "reads every known attribute"
            <| fun () ->
                let parsed =
                    Hawk.parseHeader
                        "Hawk id=\"a b\", ts=\"12\", nonce=\"n\", hash=\"h=\", ext=\"e\", mac=\"m\", app=\"p\", dlg=\"d\""
                    |> ok "parse"

                Expect.equal
                    parsed
                    {
                        Id = "a b"
                        Timestamp = 12L
                        Nonce = "n"
                        Hash = Some "h="
                        Ext = Some "e"
                        Mac = "m"
                        App = Some "p"
                        Dlg = Some "d"
                    }
                    "attributes"

            testCase "the scheme is case-insensitive and a trailing comma is tolerated, as in hawk"
            <| fun () ->
                Expect.isOk (Hawk.parseHeader ("hawk" + valid.Substring 4)) "lower-case scheme"
                Expect.isOk (Hawk.parseHeader (valid + ",")) "trailing comma"
                Expect.isOk (Hawk.parseHeader "Hawk\tid=\"a\",ts=\"1\",   nonce=\"n\" ,mac=\"m\"") "blanks"

            testCase "refuses other schemes and empty headers"
            <| fun () ->
                refused "Basic dXNlcjpwdw==" (HawkError.UnsupportedScheme "Basic")
                Expect.isError (Hawk.parseHeader "") "empty"
                Expect.isError (Hawk.parseHeader null) "null"
                Expect.isError (Hawk.parseHeader "Hawk") "no attributes"
                Expect.isError (Hawk.parseHeader "Hawk   ") "blank attributes"
                Expect.isError (Hawk.parseHeader " Hawk id=\"a\"") "leading blank"
                Expect.isError (Hawk.parseHeader "Hawk,id=\"a\"") "no blank after the scheme"

            testCase "names the offending attribute"
            <| fun () ->
                refused (valid + ", foo=\"b\"") (HawkError.UnknownAttribute "foo")
                refused (valid + ", foo=\"é\"") (HawkError.UnknownAttribute "foo")
                refused (valid + ", id=\"b\"") (HawkError.DuplicateAttribute "id")
                refused (valid + ", ext=\"\"") (HawkError.BadAttributeValue "ext")
                refused (valid + ", ext=\"a\\\"b\"") (HawkError.BadAttributeValue "ext")
                refused (valid + ", ext=\"é\"") (HawkError.BadAttributeValue "ext")
                refused (valid + ", ext=\"a\tb\"") (HawkError.BadAttributeValue "ext")
                refused "Hawk id=\"a\", ts=\"x1\", nonce=\"n\", mac=\"m\"" (HawkError.BadAttributeValue "ts")
                refused "Hawk id=\"a\", ts=\"1\", nonce=\"n\"" (HawkError.MissingAttribute "mac")
                refused "Hawk ts=\"1\", nonce=\"n\", mac=\"m\"" (HawkError.MissingAttribute "id")
                // Found by "parseHeader never throws": a missing ts was read before being checked.
                refused "Hawk id=\"tester\"" (HawkError.MissingAttribute "ts")

            testCase "refuses broken syntax"
            <| fun () ->
                for header in
                    [
                        valid + " ext=\"e\""
                        valid + ", ext=\"e"
                        valid + ", ext=e"
                        valid + ", ext"
                        valid + ", =\"e\""
                        valid + ",, ext=\"e\""
                        valid + ", ext = \"e\""
                    ] do
                    match Hawk.parseHeader header with
                    | Error(HawkError.MalformedHeader _) -> ()
                    | other -> failtestf "%s: %A" header other

            testCase "refuses headers longer than hawk does"
            <| fun () ->
                let long = valid + ", ext=\"" + String('a', 4096) + "\""

                match Hawk.parseHeader long with
                | Error(HawkError.MalformedHeader _) -> ()
                | other -> failtestf "%A" other
        ]

let parseBewitTests =
    let creds = credentials "tester" "no-secret"

    let token =
        Hawk.bewit creds "http://h/p?a=1&b=2" 2_000_000_000L (Some "x") |> ok "bewit"

    let malformed url =
        match Hawk.parseBewit url with
        | Error(HawkError.MalformedBewit reason) -> Expect.isNotEmpty reason url
        | other -> failtestf "%s: %A" url other

    let encode (text: string) =
        Convert.ToBase64String(Encoding.UTF8.GetBytes text).TrimEnd('=').Replace('+', '-').Replace('/', '_')

    testList
        "parseBewit"
        [
            testCase "finds the bewit anywhere in the query and removes it"
            <| fun () ->
                for url in
                    [
                        $"/p?bewit={token}&a=1&b=2"
                        $"/p?a=1&bewit={token}&b=2"
                        $"/p?a=1&b=2&bewit={token}"
                    ] do
                    match Hawk.parseBewit url with
                    | Ok(bewit, stripped) ->
                        Expect.equal stripped "/p?a=1&b=2" url
                        Expect.equal (bewit.Id, bewit.Expiry, bewit.Ext) ("tester", 2_000_000_000L, Some "x") url
                    | Error e -> failtestf "%s: %s" url (e.Describe())

                Expect.equal (Hawk.parseBewit $"/p?bewit={token}" |> Result.map snd) (Ok "/p") "only parameter"

            testCase "refuses a missing, repeated, padded or malformed bewit"
            <| fun () ->
                Expect.equal (Hawk.parseBewit "/p?a=1") (Error HawkError.MissingBewit) "missing"
                Expect.equal (Hawk.parseBewit "/p") (Error HawkError.MissingBewit) "no query"
                Expect.equal (Hawk.parseBewit "/p?xbewit=1") (Error HawkError.MissingBewit) "other parameter"
                malformed $"/p?bewit={token}&bewit={token}"
                malformed "/p?bewit="
                malformed $"/p?bewit={token}="
                malformed $"/p?bewit={token}=="
                malformed "/p?bewit=a+b/"
                malformed "/p?bewit=a"
                malformed $"""/p?bewit={encode "a\\1\\m"}"""
                malformed $"""/p?bewit={encode "a\\1\\m\\e\\f"}"""
                malformed $"""/p?bewit={encode "\\1\\m\\"}"""
                malformed $"""/p?bewit={encode "a\\0\\m\\"}"""
                malformed $"""/p?bewit={encode "a\\x\\m\\"}"""
                malformed $"""/p?bewit={encode "a\\1\\\\"}"""
                malformed $"/p?bewit={Convert.ToBase64String([| 0xffuy; 0xfeuy; 0x5cuy |]).TrimEnd('=')}"
        ]

let verifyTests =
    let creds = credentials "tester" "no-secret"
    let uri = "https://tc.example.com/api/queue/v1/task/x?a=1"
    let target = Hawk.request "GET" uri |> ok "request"

    testList
        "verify"
        [
            testCase "checks a payload hash only when both sides have one"
            <| fun () ->
                let payload = Hawk.payloadHash "application/json" (Encoding.UTF8.GetBytes "{}")
                let other = Hawk.payloadHash "application/json" (Encoding.UTF8.GetBytes "[]")

                let parsed hash =
                    Hawk.header creds "GET" uri 100L "n" None hash
                    |> ok "header"
                    |> Hawk.parseHeader
                    |> ok "parse"

                let verify header received =
                    Hawk.verifyHeader header target "no-secret" received 100L 0L

                Expect.equal (verify (parsed (Some payload)) (Some payload)) (Ok()) "same"
                Expect.equal (verify (parsed (Some payload)) (Some other)) (Error HawkError.BadPayloadHash) "different"
                Expect.equal (verify (parsed (Some payload)) None) (Ok()) "server does not check"
                Expect.equal (verify (parsed None) (Some other)) (Ok()) "client sent none"

            testCase "bewits are for GET and HEAD only"
            <| fun () ->
                let bewit, stripped =
                    Hawk.signUrl creds uri 100L None |> ok "sign" |> Hawk.parseBewit |> ok "parse"

                let verify method =
                    Hawk.verifyBewit bewit (Hawk.request method stripped |> ok "request") "no-secret" 99L

                Expect.equal (verify "GET") (Ok()) "GET"
                Expect.equal (verify "head") (Ok()) "HEAD"
                Expect.equal (verify "POST") (Error(HawkError.BewitMethodNotAllowed "POST")) "POST"

                Expect.equal (Hawk.verifyBewit bewit target "other-secret" 99L) (Error HawkError.BadMac) "wrong key"

            testCase "a stale timestamp reports the server time"
            <| fun () ->
                let header =
                    Hawk.header creds "GET" uri 100L "n" None None
                    |> ok "header"
                    |> Hawk.parseHeader
                    |> ok "parse"

                Expect.equal
                    (Hawk.verifyHeader header target "no-secret" None 2000L Hawk.defaultSkewSeconds)
                    (Error(HawkError.StaleTimestamp(100L, 2000L)))
                    "stale"

            // Issue 11: errors printed raw Unix seconds.
            testCase "stale timestamps and expired bewits are described in ISO 8601 UTC"
            <| fun () ->
                let stale = (HawkError.StaleTimestamp(1_800_000_000L, 1_800_001_200L)).Describe()
                Expect.stringContains stale "2027-01-15T08:00:00Z" "the request's time"
                Expect.stringContains stale "2027-01-15T08:20:00Z" "the server's time"
                Expect.stringContains stale "1200 s" "how far apart"
                Expect.isFalse (stale.Contains "1800000000") stale

                let expired = (HawkError.ExpiredBewit(1_800_000_000L, 1_800_000_060L)).Describe()
                Expect.stringContains expired "2027-01-15T08:00:00Z" "the expiry"
                Expect.stringContains expired "2027-01-15T08:01:00Z" "the server's time"

                let far = (HawkError.StaleTimestamp(Int64.MaxValue, 0L)).Describe()
                Expect.stringContains far (string Int64.MaxValue) "out of range: the number"

            testCase "the default skew is 15 minutes"
            <| fun () -> Expect.equal Hawk.defaultSkewSeconds 900L "seconds"
        ]

// ---- properties ---------------------------------------------------------------------------

let properties =
    testList
        "properties"
        [
            testPropertyWithConfig config "request parts agree with an independent reading of the URI"
            <| Prop.forAll (Arb.fromGen (Gen.zip Requests.method Requests.sampleUri)) (fun (method, sample) ->
                Hawk.request method sample.Uri = Ok(
                    request (method.ToUpperInvariant()) sample.Resource sample.Host sample.Port
                ))

            testPropertyWithConfig config "the header's MAC is HMAC-SHA256 of the normalized string"
            <| Prop.forAll (Arb.fromGen genSigned) (fun s ->
                let expected =
                    String.Join(
                        "\n",
                        [
                            "hawk.1.header"
                            string s.Timestamp
                            s.Nonce
                            s.Method.ToUpperInvariant()
                            s.Sample.Resource
                            s.Sample.Host
                            string s.Sample.Port
                            defaultArg s.Hash ""
                            defaultArg s.Ext ""
                            ""
                        ]
                    )

                let normalized =
                    Hawk.normalized s.Method s.Sample.Uri s.Timestamp s.Nonce s.Ext s.Hash
                    |> ok "normalized"

                Expect.equal normalized expected "normalized"
                let parsed = Hawk.parseHeader s.Header |> ok "parse"
                Expect.equal parsed.Mac (macOf s.AccessToken expected) "MAC")

            testPropertyWithConfig config "sign → parse → verify round-trips"
            <| Prop.forAll (Arb.fromGen genSigned) (fun s ->
                let parsed = Hawk.parseHeader s.Header |> ok "parse"

                Expect.equal
                    (parsed.Id, parsed.Timestamp, parsed.Nonce, parsed.Ext, parsed.Hash)
                    (s.ClientId, s.Timestamp, s.Nonce, s.Ext, s.Hash)
                    "attributes"

                Expect.equal (Hawk.verifyHeader parsed s.Request s.AccessToken s.Hash s.Timestamp 0L) (Ok()) "verified")

            testPropertyWithConfig config "changing any signed field breaks verification"
            <| Prop.forAll (Arb.fromGen genSigned) (fun s ->
                let parsed = Hawk.parseHeader s.Header |> ok "parse"
                let r = s.Request
                let key = s.AccessToken

                let tampered: (string * Hawk.Header * Hawk.Request * string) list =
                    [
                        "method",
                        parsed,
                        { r with
                            Method = anotherMethod r.Method
                        },
                        key
                        "path", parsed, { r with Resource = r.Resource + "x" }, key
                        "query",
                        parsed,
                        { r with
                            Resource = r.Resource + (if r.Resource.Contains '?' then "&" else "?") + "x=1"
                        },
                        key
                        // Another host a server can read (`x` + an IPv4 address is not one).
                        "host",
                        parsed,
                        { r with
                            Host = (if r.Host = "x.example" then "y.example" else "x.example")
                        },
                        key
                        "port", parsed, { r with Port = (r.Port + 1) % 65536 }, key
                        "ts",
                        { parsed with
                            Timestamp = parsed.Timestamp + 1L
                        },
                        r,
                        key
                        "nonce",
                        { parsed with
                            Nonce = parsed.Nonce + "x"
                        },
                        r,
                        key
                        "ext",
                        { parsed with
                            Ext = Some(defaultArg parsed.Ext "" + "x")
                        },
                        r,
                        key
                        "no ext", { parsed with Ext = None }, r, key
                        "hash",
                        { parsed with
                            Hash = Some(defaultArg parsed.Hash "" + "x")
                        },
                        r,
                        key
                        "mac",
                        { parsed with
                            Mac = mutateChar parsed.Mac
                        },
                        r,
                        key
                        "key", parsed, r, key + "x"
                    ]

                for name, header, target, key in tampered do
                    if name <> "no ext" || parsed.Ext.IsSome then
                        Expect.equal
                            (Hawk.verifyHeader header target key None header.Timestamp 0L)
                            (Error HawkError.BadMac)
                            name)

            testPropertyWithConfig config "the skew window is honoured at its edges"
            <| Prop.forAll (Arb.fromGen (Gen.zip genSigned (Gen.choose64 (0L, 7200L)))) (fun (s, skew) ->
                let parsed = Hawk.parseHeader s.Header |> ok "parse"

                let verify now =
                    Hawk.verifyHeader parsed s.Request s.AccessToken None now skew

                let ts = s.Timestamp
                Expect.equal (verify (ts + skew)) (Ok()) "late edge"
                Expect.equal (verify (ts - skew)) (Ok()) "early edge"
                Expect.equal (verify (ts + skew + 1L)) (Error(HawkError.StaleTimestamp(ts, ts + skew + 1L))) "too late"

                Expect.equal
                    (verify (ts - skew - 1L))
                    (Error(HawkError.StaleTimestamp(ts, ts - skew - 1L)))
                    "too early")

            testPropertyWithConfig config "a bewit is valid before its expiry and refused at and after it"
            <| Prop.forAll
                (Arb.fromGen (
                    gen {
                        let! s = genSigned
                        let! expiry = Gen.choose64 (1L, 4_000_000_000L)
                        let! before = Gen.choose64 (1L, 1_000_000L)
                        let! after = Gen.choose64 (0L, 1_000_000L)
                        return s, expiry, before, after
                    }
                ))
                (fun (s, expiry, before, after) ->
                    let signed = Hawk.signUrl s.Credentials s.Sample.Uri expiry s.Ext |> ok "signUrl"
                    let bewit, stripped = Hawk.parseBewit signed |> ok "parseBewit"
                    Expect.equal bewit.Ext s.Ext "ext"
                    let target = Hawk.request "GET" stripped |> ok "request"
                    Expect.equal target (request "GET" s.Sample.Resource s.Sample.Host s.Sample.Port) "stripped URL"

                    let verify now =
                        Hawk.verifyBewit bewit target s.AccessToken now

                    Expect.equal (verify (expiry - before)) (Ok()) "before"
                    Expect.equal (verify expiry) (Error(HawkError.ExpiredBewit(expiry, expiry))) "at"

                    Expect.equal
                        (verify (expiry + after))
                        (Error(HawkError.ExpiredBewit(expiry, expiry + after)))
                        "after"

                    Expect.equal
                        (Hawk.verifyBewit
                            bewit
                            { target with
                                Resource = target.Resource + "x"
                            }
                            s.AccessToken
                            0L)
                        (Error HawkError.BadMac)
                        "tampered")

            testPropertyWithConfig config "a bewit anywhere in the query verifies against the URL without it"
            <| Prop.forAll (Arb.fromGen (Gen.zip genSigned (Gen.choose (0, 10)))) (fun (s, at) ->
                let uri = s.Sample.Uri.Split('#').[0]
                let token = Hawk.bewit s.Credentials uri 2_000_000_000L s.Ext |> ok "bewit"
                let q = uri.IndexOf '?'

                let path, query =
                    if q < 0 then
                        uri, ""
                    else
                        uri.Substring(0, q), uri.Substring(q + 1)

                let parameters = ResizeArray(if q < 0 then [||] else query.Split('&'))
                parameters.Insert(min at parameters.Count, "bewit=" + token)
                let url = path + "?" + String.Join("&", parameters)
                let bewit, stripped = Hawk.parseBewit url |> ok url
                Expect.equal stripped uri "stripped"
                let target = request "GET" s.Sample.Resource s.Sample.Host s.Sample.Port
                Expect.equal (Hawk.verifyBewit bewit target s.AccessToken 0L) (Ok()) "verified")

            testPropertyWithConfig config "a padded bewit is refused"
            <| Prop.forAll (Arb.fromGen (Gen.zip genSigned (Gen.elements [ "="; "=="; "===" ]))) (fun (s, padding) ->
                let token = Hawk.bewit s.Credentials s.Sample.Uri 2_000_000_000L s.Ext |> ok "bewit"

                match Hawk.parseBewit ("/p?bewit=" + token + padding) with
                | Error(HawkError.MalformedBewit _) -> ()
                | other -> failtestf "%A" other)

            testPropertyWithConfig config "parseHeader never throws"
            <| Prop.forAll
                (Arb.fromGen (
                    hostile
                        [
                            "Hawk id=\"tester\", ts=\"1353832234\", nonce=\"j4h3g2\", ext=\"some-app-ext-data\", mac=\"6R4rV5iE+NPoym+WwjeHzjAGXUtLNIxmo1vpMofpLAE=\""
                            "Hawk id=\"a\", ts=\"1\", nonce=\"n\", hash=\"h\", mac=\"m\", app=\"p\", dlg=\"d\""
                        ]
                ))
                (fun text ->
                    match Hawk.parseHeader text with
                    | Ok _ -> ()
                    | Error e -> Expect.isNotEmpty (e.Describe()) "described")

            testPropertyWithConfig config "parseBewit never throws"
            <| Prop.forAll
                (Arb.fromGen (
                    Gen.oneof
                        [
                            hostile
                                [
                                    "https://tc.example.com/p?a=1&bewit=dGVzdGVyXDIyNjI5OTY2NzhcUG1KWUMzQWdscjVQRDk2ZzhVVGkzb004RVpRWmN3dTdnOUQydllHZGlkMD1c&b"
                                    "/p?bewit=dGVzdGVyXDI0OTMwNzA0MDFcQ1o3TldWV0NkN04yMEduUXYwcVJ3SkFoU3o4WE1JN1FoL0RWWWtrZ0dFVT1c"
                                ]
                            Gen.arrayOf (Gen.choose (0, 255) |> Gen.map byte)
                            |> Gen.map (fun bytes ->
                                "/p?bewit="
                                + Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_'))
                        ]
                ))
                (fun text ->
                    match Hawk.parseBewit text with
                    | Ok _ -> ()
                    | Error e -> Expect.isNotEmpty (e.Describe()) "described")

            testPropertyWithConfig config "signing never throws on hostile input"
            <| Prop.forAll
                (Arb.fromGen (
                    Gen.zip3
                        (hostile [ "https://tc.example.com/api/queue/v1/task/x?a=1"; "http://[::1]:80/" ])
                        (hostile [ "GET"; "j4h3g2" ])
                        (hostile [ "some-app-ext-data" ])
                ))
                (fun (uri, word, ext) ->
                    let creds = credentials "tester" "no-secret"

                    let describe (r: Result<string, HawkError>) =
                        r |> Result.mapError (fun e -> e.Describe()) |> ignore

                    describe (Hawk.header creds word uri 1L word (Some ext) (Some ext))
                    describe (Hawk.header creds "GET" uri 1L "n" (Some ext) None)
                    describe (Hawk.normalized word uri 1L word (Some ext) None)
                    describe (Hawk.bewit creds uri 10L (Some ext))
                    describe (Hawk.signUrl creds uri 10L (Some ext))
                    Hawk.request word uri |> Result.mapError (fun e -> e.Describe()) |> ignore)

            testPropertyWithConfig config "access tokens never show in ToString, %A or errors"
            <| Prop.forAll
                (Arb.fromGen (Gen.zip genSigned (Requests.accessToken |> Gen.filter (fun t -> t.Length >= 8))))
                (fun (s, token) ->
                    let creds = credentials s.ClientId token

                    for shown in
                        [
                            creds.ToString()
                            sprintf "%A" creds
                            sprintf "%O" creds
                            sprintf "%A" [ creds ]
                        ] do
                        Expect.isFalse (shown.Contains token) shown

                    let parsed = Hawk.parseHeader s.Header |> ok "parse"

                    let errors =
                        [
                            Hawk.verifyHeader parsed s.Request token None s.Timestamp 0L
                            Hawk.verifyHeader parsed s.Request s.AccessToken None (s.Timestamp + 10_000L) 0L
                            Hawk.credentials "bad\"id" token |> Result.map ignore
                            Hawk.credentials s.ClientId "" |> Result.map ignore
                        ]
                        |> List.choose (function
                            | Error e -> Some e
                            | Ok() -> None)

                    Expect.isNonEmpty errors "errors produced"

                    for e in errors do
                        Expect.isFalse (e.Describe().Contains token) (e.Describe())
                        Expect.isFalse ((sprintf "%A" e).Contains token) "%A of the error")
        ]

let tests =
    testList
        "Hawk"
        [
            headerVectors
            bewitVectors
            requestTests
            signingTests
            parseHeaderTests
            parseBewitTests
            verifyTests
            properties
        ]
