module Taskcluster.Core.Tests.CertificateTests

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
        maxTest = 200
    }

let private ok context (result: Result<'T, CertificateError>) =
    match result with
    | Ok v -> v
    | Error e -> failtestf "%s: %s" context (e.Describe())

let private minutes (n: int64) = n * 60L * 1000L
let private days (n: int64) = n * 24L * 60L * 60L * 1000L

// The auth service's rule for scopes (taskcluster-lib-scopes validScope): printable ASCII.
let private validScope (scope: string) =
    scope |> Seq.forall (fun c -> c >= ' ' && c <= '~')

let private parsedJson (text: string) =
    match Decode.fromString Decode.json text with
    | Ok json -> json
    | Error e -> failtestf "not JSON: %s" (e.Describe())

// Independent oracles for what the auth service computes.
let private hmacBase64 (key: string) (text: string) =
    Convert.ToBase64String(HMACSHA256.HashData(Encoding.UTF8.GetBytes key, Encoding.UTF8.GetBytes text))

let private derivedToken (key: string) (seed: string) =
    (hmacBase64 key seed).TrimEnd('=').Replace('+', '-').Replace('/', '_')

let private seedOf (c: char) = String(c, 44)

let private create clientId accessToken start expiry scopes name seed =
    Certificate.createTemporaryCredentials clientId accessToken false start expiry scopes name seed

// ---- vectors ------------------------------------------------------------------------------

let private expectedDecoder =
    Decode.object (fun get ->
        get.Required "clientId" Decode.string,
        get.Required "accessToken" Decode.string,
        get.Required "certificate" Decode.string)

let vectorTests =
    Vectors.testCases "vectors (taskcluster-client createTemporaryCredentials)" "temp-credentials.json" (fun case ->
        let clientId = Vectors.get "clientId" Decode.string case
        let accessToken = Vectors.get "accessToken" Decode.string case
        let start = Vectors.get "start" Decode.int64 case
        let expiry = Vectors.get "expiry" Decode.int64 case
        let scopes = Vectors.get "scopes" (Decode.list Decode.string) case
        let seed = Vectors.get "seed" Decode.string case
        let name = Vectors.tryGet "name" Decode.string case

        let expectedClientId, expectedToken, expectedCertificate =
            Vectors.get "expected" expectedDecoder case

        // The signing itself agrees with the JS client on every case...
        let issued = Certificate.issue clientId accessToken start expiry scopes name seed
        Expect.equal issued.ClientId expectedClientId "clientId"
        Expect.equal issued.AccessToken expectedToken "accessToken"

        Expect.equal
            (parsedJson (Certificate.encode issued.Certificate))
            (parsedJson expectedCertificate)
            "certificate (parsed)"

        Expect.equal (Certificate.encode issued.Certificate) expectedCertificate "certificate (text)"
        let decoded = Certificate.decode expectedCertificate |> ok "decode"
        Expect.equal decoded issued.Certificate "decoded certificate"

        match scopes |> List.tryFind (validScope >> not) with
        | None ->
            Expect.equal (create clientId accessToken start expiry scopes name seed) (Ok issued) "created"

            let verified =
                Certificate.verify decoded expectedClientId accessToken start |> ok "verify"

            Expect.equal verified.AccessToken expectedToken "the Hawk key"
            Expect.equal (verified.Issuer, verified.Scopes) (clientId, scopes) "issuer and scopes"
        | Some bad ->
            // ...but where the JS client signs a scope the auth service refuses
            // (`ext.certificate.scopes must be an array of valid scopes`), we refuse to make it.
            Expect.equal
                (create clientId accessToken start expiry scopes name seed)
                (Error(CertificateError.InvalidScope bad))
                "refused"

            Expect.equal
                (Certificate.verify decoded expectedClientId accessToken start)
                (Error(CertificateError.InvalidScope bad))
                "the service refuses it too")

// ---- unit tests ---------------------------------------------------------------------------

let createTests =
    let seed = seedOf 'a'

    let refused expected result =
        Expect.equal result (Error expected) (sprintf "%A" expected)

    testList
        "createTemporaryCredentials"
        [
            testCase "an empty scope list is signed the way the auth service checks it"
            <| fun () ->
                let t = create "issuer" "token" 1000L 2000L [] None seed |> ok "create"
                let text = $"version:1\nseed:{seed}\nstart:1000\nexpiry:2000\nscopes:"
                Expect.equal t.Certificate.Signature (hmacBase64 "token" text) "lines joined, no trailing newline"
                Expect.notEqual t.Certificate.Signature (hmacBase64 "token" (text + "\n")) "not the JS client's text"
                Expect.isOk (Certificate.verify t.Certificate "issuer" "token" 1500L) "verified"

            testCase "named credentials sign clientId and issuer lines"
            <| fun () ->
                let t =
                    create "issuer" "token" 1000L 2000L [ "a"; "b" ] (Some "temp/x") seed
                    |> ok "create"

                let text =
                    $"version:1\nclientId:temp/x\nissuer:issuer\nseed:{seed}\nstart:1000\nexpiry:2000\nscopes:\na\nb"

                Expect.equal t.Certificate.Signature (hmacBase64 "token" text) "signed"
                Expect.equal (t.ClientId, t.Certificate.Issuer) ("temp/x", Some "issuer") "named"
                Expect.equal t.AccessToken (derivedToken "token" seed) "derived token"

            testCase "31 days is the longest allowed"
            <| fun () ->
                Expect.isOk (create "i" "t" 0L (days 31L) [] None seed) "31 days"

                refused
                    (CertificateError.LifetimeTooLong(0L, days 31L + 1L))
                    (create "i" "t" 0L (days 31L + 1L) [] None seed)

                refused
                    (CertificateError.LifetimeTooLong(Int64.MinValue, Int64.MaxValue))
                    (create "i" "t" Int64.MinValue Int64.MaxValue [] None seed)

            testCase "refuses an expiry not after the start"
            <| fun () ->
                refused (CertificateError.ExpiryNotAfterStart(5L, 5L)) (create "i" "t" 5L 5L [] None seed)
                refused (CertificateError.ExpiryNotAfterStart(5L, 4L)) (create "i" "t" 5L 4L [] None seed)

            testCase "refuses invalid scopes, naming the first"
            <| fun () ->
                refused (CertificateError.InvalidScope "a\tb") (create "i" "t" 0L 1L [ "ok"; "a\tb"; "é" ] None seed)
                refused (CertificateError.InvalidScope "é") (create "i" "t" 0L 1L [ "é" ] None seed)
                refused (CertificateError.InvalidScope null) (create "i" "t" 0L 1L [ null ] None seed)

            testCase "refuses a seed that is not 44 characters"
            <| fun () ->
                for s in [ String('a', 43); String('a', 45); ""; null ] do
                    refused (CertificateError.InvalidSeed s) (create "i" "t" 0L 1L [] None s)

            testCase "refuses bad client ids and names, and a name equal to the issuer"
            <| fun () ->
                for id in [ ""; "a b"; "é"; null ] do
                    refused (CertificateError.InvalidClientId id) (create id "t" 0L 1L [] None seed)

                for name in [ ""; "a b"; "x\n" ] do
                    refused (CertificateError.InvalidName name) (create "i" "t" 0L 1L [] (Some name) seed)

                refused (CertificateError.NameEqualsIssuer "i") (create "i" "t" 0L 1L [] (Some "i") seed)

            testCase "refuses temporary issuers and empty tokens"
            <| fun () ->
                refused
                    (CertificateError.AlreadyTemporary "i")
                    (Certificate.createTemporaryCredentials "i" "t" true 0L 1L [] None seed)

                refused CertificateError.EmptyAccessToken (create "i" "" 0L 1L [] None seed)
                refused CertificateError.EmptyAccessToken (create "i" null 0L 1L [] None seed)
        ]

// Issue 11: the errors printed epoch milliseconds ("spans 1796225281477 to 1799681281477"),
// and refusing temporary issuers said "the credentials of 'tester' are temporary", naming the
// permanent client that had issued them.
let messageTests =
    let start = 1_767_225_600_000L // 2026-01-01T00:00:00Z

    let described (e: CertificateError) = e.Describe()

    testList
        "messages"
        [
            testCase "times are ISO 8601 UTC, never epoch milliseconds"
            <| fun () ->
                for e, times in
                    [
                        CertificateError.LifetimeTooLong(start, start + days 40L),
                        [ "2026-01-01T00:00:00.000Z"; "2026-02-10T00:00:00.000Z"; "40 days" ]
                        CertificateError.ExpiryNotAfterStart(start, start - 1L),
                        [ "2025-12-31T23:59:59.999Z"; "2026-01-01T00:00:00.000Z" ]
                        CertificateError.NotYetValid(start + 3_600_000L, start),
                        [ "2026-01-01T01:00:00.000Z"; "2026-01-01T00:00:00.000Z" ]
                        CertificateError.Expired(start, start + 3_600_000L),
                        [ "2026-01-01T00:00:00.000Z"; "2026-01-01T01:00:00.000Z" ]
                    ] do
                    let text = described e

                    for time in times do
                        Expect.stringContains text time $"{e}"

                    Expect.isFalse (text.Contains(string start)) $"{text}: no epoch milliseconds"

            testCase "times outside the years 0001-9999 are printed as numbers, without throwing"
            <| fun () ->
                let text =
                    described (CertificateError.LifetimeTooLong(Int64.MinValue, Int64.MaxValue))

                Expect.stringContains text (string Int64.MaxValue) "the number, marked as such"
                Expect.stringContains text "ms since 1970" "its unit"

            testCase "refusing a temporary issuer does not call its issuing client temporary"
            <| fun () ->
                let text = described (CertificateError.AlreadyTemporary "tester")
                Expect.isFalse (text.Contains "credentials of 'tester' are temporary") text
                Expect.stringContains text "'tester'" "the client id the credentials were used as"
                Expect.stringContains text "certificate" "why they are temporary"
                Expect.stringContains text "permanent credentials" "what to use instead"
        ]

let verifyTests =
    let seed = seedOf 'b'
    let start = 1_700_000_000_000L
    let expiry = start + days 1L

    let unnamed =
        create "issuer" "token" start expiry [ "a:*" ] None seed |> ok "unnamed"

    let named =
        create "issuer" "token" start expiry [ "a:*" ] (Some "temp/x") seed
        |> ok "named"

    let refused expected result =
        Expect.equal result (Error expected) (sprintf "%A" expected)

    let withJson (certificate: Certificate) (change: string * Json -> string * Json) =
        match Certificate.toJson certificate with
        | Json.Object members -> Json.Object(List.map change members) |> Encode.toString |> Certificate.decode
        | other -> failtestf "not an object: %A" other
        |> ok "decode"

    testList
        "verify"
        [
            testCase "allows 5 minutes of slack on start and expiry"
            <| fun () ->
                let verify now =
                    Certificate.verify unnamed.Certificate "issuer" "token" now

                Expect.isOk (verify (start - minutes 5L)) "early edge"
                Expect.isOk (verify (expiry + minutes 5L)) "late edge"

                refused
                    (CertificateError.NotYetValid(start, start - minutes 5L - 1L))
                    (verify (start - minutes 5L - 1L))

                refused (CertificateError.Expired(expiry, expiry + minutes 5L + 1L)) (verify (expiry + minutes 5L + 1L))

            testCase "returns the Hawk key, scopes and issuer"
            <| fun () ->
                Expect.equal
                    (Certificate.verify named.Certificate "temp/x" "token" start)
                    (Ok
                        {
                            ClientId = "temp/x"
                            Issuer = "issuer"
                            AccessToken = derivedToken "token" seed
                            Scopes = [ "a:*" ]
                            Start = start
                            Expiry = expiry
                        })
                    "verified"

                Expect.equal (Certificate.issuingClientId named.Certificate "temp/x") "issuer" "named"
                Expect.equal (Certificate.issuingClientId unnamed.Certificate "issuer") "issuer" "unnamed"

            testCase "a named certificate is bound to its name and cannot be presented by its issuer"
            <| fun () ->
                refused CertificateError.BadSignature (Certificate.verify named.Certificate "temp/y" "token" start)

                refused
                    (CertificateError.NameEqualsIssuer "issuer")
                    (Certificate.verify named.Certificate "issuer" "token" start)

            testCase "the wrong issuer key or a changed certificate fails the signature"
            <| fun () ->
                refused CertificateError.BadSignature (Certificate.verify unnamed.Certificate "issuer" "other" start)

                let changed =
                    [
                        withJson unnamed.Certificate (function
                            | "scopes", _ -> "scopes", Encode.strings [ "*" ]
                            | m -> m)
                        withJson unnamed.Certificate (function
                            | "expiry", _ -> "expiry", Encode.int64 (expiry + 1L)
                            | m -> m)
                        withJson unnamed.Certificate (function
                            | "seed", _ -> "seed", Encode.string (seedOf 'c')
                            | m -> m)
                        withJson named.Certificate (function
                            | "issuer", _ -> "issuer", Encode.string "other"
                            | m -> m)
                    ]

                for c in changed do
                    refused CertificateError.BadSignature (Certificate.verify c "temp/x" "token" start)

            testCase "refuses what the auth service refuses before the signature"
            <| fun () ->
                let long = Certificate.issue "issuer" "token" start (start + days 32L) [] None seed

                refused
                    (CertificateError.LifetimeTooLong(start, start + days 32L))
                    (Certificate.verify long.Certificate "issuer" "token" start)

                let invalid = Certificate.issue "issuer" "token" start expiry [ "a\nb" ] None seed

                refused
                    (CertificateError.InvalidScope "a\nb")
                    (Certificate.verify invalid.Certificate "issuer" "token" start)

            testCase "isExpired counts anything within 20 minutes of expiry as expired"
            <| fun () ->
                Expect.isFalse (Certificate.isExpired unnamed.Certificate (expiry - minutes 20L)) "20 minutes left"

                Expect.isTrue
                    (Certificate.isExpired unnamed.Certificate (expiry - minutes 20L + 1L))
                    "less than 20 minutes"

                Expect.isTrue (Certificate.isExpired unnamed.Certificate (expiry + 1L)) "past"
        ]

let decodeTests =
    let valid =
        create "issuer" "token" 1000L 2000L [ "a" ] (Some "temp/x") (seedOf 'a')
        |> ok "create"

    let text = Certificate.encode valid.Certificate

    let replace (oldValue: string) (newValue: string) =
        let changed = text.Replace(oldValue, newValue)
        Expect.notEqual changed text $"the test changes {oldValue}"
        Certificate.decode changed

    let invalidJsonAt path result =
        match result with
        | Error(CertificateError.InvalidJson e) -> Expect.equal e.Path path (e.Describe())
        | other -> failtestf "expected a JSON error at %s, got %A" path other

    testList
        "decode"
        [
            testCase "encode and decode round-trip, members in the official order"
            <| fun () ->
                Expect.equal (Certificate.decode text) (Ok valid.Certificate) "round trip"
                Expect.stringStarts text """{"version":1,"scopes":["a"],"start":1000,"expiry":2000,"seed":""" "order"
                Expect.stringEnds text ""","issuer":"issuer"}""" "issuer last"
                Expect.equal (valid.Certificate.ToString()) text "ToString is the JSON"

            testCase "refuses other versions, bad seeds and bad issuers"
            <| fun () ->
                Expect.equal
                    (replace "\"version\":1" "\"version\":2")
                    (Error(CertificateError.UnsupportedVersion 2L))
                    "version"

                let shortSeed = String('a', 43)
                Expect.equal (replace (seedOf 'a') shortSeed) (Error(CertificateError.InvalidSeed shortSeed)) "seed"

                Expect.equal
                    (replace "\"issuer\":\"issuer\"" "\"issuer\":\"\"")
                    (Error(CertificateError.InvalidClientId ""))
                    "issuer"

                Expect.equal
                    (replace "\"issuer\":\"issuer\"" "\"clientId\":\"temp/x\"")
                    (Error CertificateError.UnexpectedClientId)
                    "clientId without issuer"

            testCase "wrong shapes name the path"
            <| fun () ->
                invalidJsonAt "$.scopes" (replace "[\"a\"]" "\"a\"")
                invalidJsonAt "$.scopes[0]" (replace "[\"a\"]" "[1]")
                invalidJsonAt "$.start" (replace "1000" "\"1000\"")
                invalidJsonAt "$.expiry" (replace "2000" "2000.5")
                invalidJsonAt "$" (Certificate.decode "[]")
                invalidJsonAt "$" (Certificate.decode "{")
                invalidJsonAt "$" (Certificate.decode null)
                invalidJsonAt "$" (Certificate.decode """{"version":1}""")
        ]

let extTests =
    let certificate =
        (create "issuer" "token" 1000L 2000L [ "a"; "b*" ] None (seedOf 'a')
         |> ok "create")
            .Certificate

    let base64 (text: string) =
        Convert.ToBase64String(Encoding.UTF8.GetBytes text)

    let decoded (ext: string) =
        Encoding.UTF8.GetString(Convert.FromBase64String ext)

    testList
        "Ext"
        [
            testCase "nothing to send is no ext; an empty authorizedScopes list is kept"
            <| fun () ->
                Expect.equal (Certificate.Ext.encode Certificate.Ext.empty) None "empty"

                Expect.equal
                    (Certificate.Ext.encode
                        {
                            Certificate = None
                            AuthorizedScopes = Some []
                        })
                    (Some(base64 """{"authorizedScopes":[]}"""))
                    "empty list"

            testCase "the certificate comes first, embedded as an object"
            <| fun () ->
                let ext =
                    Certificate.Ext.encode
                        {
                            Certificate = Some certificate
                            AuthorizedScopes = Some [ "a" ]
                        }
                    |> Option.map decoded

                Expect.equal
                    ext
                    (Some($"""{{"certificate":{Certificate.encode certificate},"authorizedScopes":["a"]}}"""))
                    "JSON"

            testCase "decode refuses bad base64, bad JSON and wrong shapes"
            <| fun () ->
                let refused ext check =
                    match Certificate.Ext.decode ext with
                    | Error e when check e -> ()
                    | other -> failtestf "%s: %A" ext other

                refused "!!!" (fun e -> e = CertificateError.InvalidBase64 "!!!")
                refused "eyJ" (fun e -> e = CertificateError.InvalidBase64 "eyJ")
                refused (base64 "not json") (fun e -> e.IsInvalidJson)
                refused (base64 "[1]") (fun e -> e.IsInvalidJson)
                refused (base64 """{"authorizedScopes":"a"}""") (fun e -> e.IsInvalidJson)
                refused (base64 """{"authorizedScopes":["a",1]}""") (fun e -> e.IsInvalidJson)
                refused (base64 """{"authorizedScopes":["é"]}""") (fun e -> e = CertificateError.InvalidScope "é")
                refused (base64 """{"certificate":5}""") (fun e -> e.IsInvalidJson)

                refused
                    (base64 (
                        """{"certificate":"""
                        + (Certificate.encode certificate).Replace("\"version\":1", "\"version\":3")
                        + "}"
                    ))
                    (fun e -> e = CertificateError.UnsupportedVersion 3L)

            testCase "decode reads what the official clients send"
            <| fun () ->
                Expect.equal (Certificate.Ext.decode "") (Ok Certificate.Ext.empty) "no ext"

                Expect.equal
                    (Certificate.Ext.decode (base64 $"""{{"certificate":{Certificate.encode certificate}}}"""))
                    (Ok
                        {
                            Certificate = Some certificate
                            AuthorizedScopes = None
                        })
                    "certificate"

                Expect.equal
                    (Certificate.Ext.decode (base64 """{"authorizedScopes":[],"other":1}"""))
                    (Ok
                        {
                            Certificate = None
                            AuthorizedScopes = Some []
                        })
                    "authorizedScopes"
        ]

// ---- properties ---------------------------------------------------------------------------

type private Issue =
    {
        ClientId: string
        AccessToken: string
        Start: int64
        Expiry: int64
        Scopes: string list
        Name: string option
        Seed: string
    }

    member i.Create() =
        create i.ClientId i.AccessToken i.Start i.Expiry i.Scopes i.Name i.Seed
        |> ok "create"

let private genScope =
    Gen.frequency
        [
            3, Gen.elements [ ""; "*"; "assume:role:x"; "queue:create-task:highest:proj/*"; "a b" ]
            5,
            Gen.arrayOf (Gen.choose (0x20, 0x7e) |> Gen.map char)
            |> Gen.resize 30
            |> Gen.map (fun cs -> String(cs))
        ]

let private genIssue =
    gen {
        let! clientId = Requests.clientId
        let! accessToken = Requests.accessToken
        let! start = Gen.choose64 (0L, 4_000_000_000_000L)
        let! lifetime = Gen.choose64 (1L, Certificate.maxLifetime)
        let! scopes = Gen.listOf genScope |> Gen.resize 6
        let! name = Gen.optionOf (Requests.clientId |> Gen.filter ((<>) clientId))

        let! seed =
            Gen.arrayOfLength
                44
                (Gen.elements (List.ofSeq "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"))

        return
            {
                ClientId = clientId
                AccessToken = accessToken
                Start = start
                Expiry = start + lifetime
                Scopes = scopes
                Name = name
                Seed = String(seed)
            }
    }

let private genExt =
    gen {
        let! issue = Gen.optionOf genIssue
        let! authorizedScopes = Gen.optionOf (Gen.listOf genScope |> Gen.resize 5)

        return
            ({
                Certificate = issue |> Option.map (fun i -> i.Create().Certificate)
                AuthorizedScopes = authorizedScopes
            }
            : Certificate.Ext)
    }

let properties =
    testList
        "properties"
        [
            testPropertyWithConfig config "create → verify round-trips within the slack"
            <| Prop.forAll (Arb.fromGen (Gen.zip genIssue (Gen.choose64 (-minutes 5L, minutes 5L)))) (fun (i, offset) ->
                let t = i.Create()
                Expect.equal t.ClientId (defaultArg i.Name i.ClientId) "clientId"
                Expect.equal t.AccessToken (derivedToken i.AccessToken i.Seed) "derived token"
                let now = if offset < 0L then i.Start + offset else i.Expiry + offset

                Expect.equal
                    (Certificate.verify t.Certificate t.ClientId i.AccessToken now)
                    (Ok
                        {
                            ClientId = t.ClientId
                            Issuer = i.ClientId
                            AccessToken = t.AccessToken
                            Scopes = i.Scopes
                            Start = i.Start
                            Expiry = i.Expiry
                        })
                    "verified")

            testPropertyWithConfig config "a certificate is only good with its issuer's key and its client id"
            <| Prop.forAll (Arb.fromGen (Gen.zip genIssue Requests.accessToken)) (fun (i, otherKey) ->
                let t = i.Create()

                if otherKey <> i.AccessToken then
                    Expect.equal
                        (Certificate.verify t.Certificate t.ClientId otherKey i.Start)
                        (Error CertificateError.BadSignature)
                        "other key"

                if i.Name.IsSome then
                    Expect.equal
                        (Certificate.verify t.Certificate (t.ClientId + "x") i.AccessToken i.Start)
                        (Error CertificateError.BadSignature)
                        "other name")

            testPropertyWithConfig config "certificates encode and decode round-trip"
            <| Prop.forAll (Arb.fromGen genIssue) (fun i ->
                let c = i.Create().Certificate
                Expect.equal (Certificate.decode (Certificate.encode c)) (Ok c) "round trip")

            testPropertyWithConfig config "ext encodes and decodes round-trip"
            <| Prop.forAll (Arb.fromGen genExt) (fun ext ->
                match Certificate.Ext.encode ext with
                | None -> Expect.equal ext Certificate.Ext.empty "only an empty ext is not sent"
                | Some text -> Expect.equal (Certificate.Ext.decode text) (Ok ext) "round trip")

            testPropertyWithConfig config "isExpired is expiry within 20 minutes"
            <| Prop.forAll (Arb.fromGen (Gen.zip genIssue (Gen.choose64 (-days 1L, days 1L)))) (fun (i, offset) ->
                let c = i.Create().Certificate
                let now = c.Expiry + offset
                Expect.equal (Certificate.isExpired c now) (c.Expiry - now < minutes 20L) "expired")

            testPropertyWithConfig config "decoders never throw"
            <| Prop.forAll
                (Arb.fromGen (
                    Gen.oneof
                        [
                            HawkTests.hostile
                                [
                                    """{"version":1,"scopes":["a"],"start":1000,"expiry":2000,"seed":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","signature":"x=","issuer":"i"}"""
                                    "eyJhdXRob3JpemVkU2NvcGVzIjpbImE6YjpjIl19"
                                ]
                            Gen.arrayOf (Gen.choose (0, 255) |> Gen.map byte)
                            |> Gen.map Convert.ToBase64String
                            HawkTests.hostile
                                [
                                    """{"certificate":{"version":1,"scopes":[],"start":1,"expiry":2,"seed":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","signature":"x"},"authorizedScopes":["a"]}"""
                                ]
                            |> Gen.map (fun json ->
                                Convert.ToBase64String(Encoding.UTF8.GetBytes(if isNull json then "" else json)))
                        ]
                ))
                (fun text ->
                    let describe (r: Result<'T, CertificateError>) =
                        r |> Result.mapError (fun e -> e.Describe()) |> ignore

                    describe (Certificate.decode text)
                    describe (Certificate.Ext.decode text))

            testPropertyWithConfig config "access tokens never show in ToString, %A or errors"
            <| Prop.forAll (Arb.fromGen (genIssue |> Gen.filter (fun i -> i.AccessToken.Length >= 8))) (fun i ->
                let t = i.Create()

                let verified =
                    Certificate.verify t.Certificate t.ClientId i.AccessToken i.Start |> ok "verify"

                for shown in
                    [
                        t.ToString()
                        sprintf "%A" t
                        sprintf "%O" t
                        sprintf "%A" [ t ]
                        verified.ToString()
                        sprintf "%A" verified
                        sprintf "%A" (Some verified)
                    ] do
                    Expect.isFalse (shown.Contains i.AccessToken) shown
                    Expect.isFalse (shown.Contains t.AccessToken) shown

                let errors =
                    [
                        Certificate.createTemporaryCredentials
                            i.ClientId
                            i.AccessToken
                            true
                            i.Start
                            i.Expiry
                            i.Scopes
                            i.Name
                            i.Seed
                        create i.ClientId i.AccessToken i.Expiry i.Start i.Scopes i.Name i.Seed
                        create i.ClientId i.AccessToken i.Start i.Expiry ("\n" :: i.Scopes) i.Name i.Seed
                        create i.ClientId i.AccessToken i.Start i.Expiry i.Scopes (Some i.ClientId) i.Seed
                        create i.ClientId i.AccessToken i.Start i.Expiry i.Scopes i.Name "short"
                    ]
                    |> List.map (Result.map ignore)
                    |> List.append
                        [
                            Certificate.verify t.Certificate t.ClientId (i.AccessToken + "x") i.Start
                            |> Result.map ignore
                            Certificate.verify t.Certificate t.ClientId i.AccessToken (i.Expiry + days 1L)
                            |> Result.map ignore
                        ]

                for e in errors do
                    match e with
                    | Ok() -> failtest "expected an error"
                    | Error e ->
                        Expect.isFalse (e.Describe().Contains i.AccessToken) (e.Describe())
                        Expect.isFalse (e.Describe().Contains t.AccessToken) (e.Describe())
                        Expect.isFalse ((sprintf "%A" e).Contains i.AccessToken) "%A of the error")
        ]

let tests =
    testList
        "Certificate"
        [
            vectorTests
            createTests
            messageTests
            verifyTests
            decodeTests
            extTests
            properties
        ]
