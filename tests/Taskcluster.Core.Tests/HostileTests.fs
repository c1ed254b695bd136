/// Hostile input for every parser and decoder of the core: each must answer with a typed error
/// (never an exception), quickly, and allocate no more than a fixed multiple of its input.
module Taskcluster.Core.Tests.HostileTests

open System
open System.Diagnostics
open System.Text
open Expecto
open FsCheck
open FsCheck.FSharp
open Taskcluster.Core
open Taskcluster.Testing

let private cases n =
    { FsCheckConfig.defaultConfig with
        maxTest = n
    }

/// A hang guard, not a speed check (speed is the bench's business): inputs are at most a few
/// hundred kilobytes, so an honest parse takes milliseconds even on a loaded machine, and a
/// parse over the bound is timed again before the case fails. Work that grows too fast is
/// caught by the allocation bounds, which do not depend on the machine's load.
let private perCaseLimit = TimeSpan.FromSeconds 30.0

/// Allocation allowed for an input of `bytes` bytes: linear, with a constant for small inputs.
let allocationBoundWith (factor: int64) (bytes: int64) = factor * bytes + 65_536L

/// The usual bound: 64 bytes per input byte plus 64 KiB.
let allocationBound = allocationBoundWith 64L

/// Bytes allocated on this thread while `run` runs.
let allocatedBy (run: unit -> 'T) =
    let before = GC.GetAllocatedBytesForCurrentThread()
    run () |> ignore
    GC.GetAllocatedBytesForCurrentThread() - before

/// How many times a call over its bound is measured again before the bound counts as broken.
let private remeasurements = 4

/// The allocation of a deterministic call: `first` (already measured) if it is within `bound`,
/// else the least of it and up to `remeasurements` further runs, with every measurement for
/// the failure message. A thread's allocation counter is not a pure function of the call: it
/// also takes in costs that are not the call's own and do not come back on the next run, such
/// as one-off initialisation when a path runs for the first time, or allocation-context slack
/// while other threads allocate (a parse that allocates 8.4 KB was measured at up to 16.5 KB
/// that way, with no GC in between). An allocation the input causes comes back on every run,
/// since the code under test is pure, so the least of a few runs is the call's own cost.
let leastAllocation (bound: int64) (first: int64) (run: unit -> 'T) =
    let measured = ResizeArray [ first ]

    while measured.Count <= remeasurements && Seq.min measured > bound do
        measured.Add(allocatedBy run)

    Seq.min measured, List.ofSeq measured

let private show (input: string) =
    let cut =
        if input.Length > 300 then
            input.Substring(0, 300) + $"… ({input.Length} chars)"
        else
            input

    // Escape everything outside printable ASCII so the failure message shows the exact input.
    let sb = StringBuilder()

    for c in cut do
        if c >= ' ' && c <= '~' then
            sb.Append c |> ignore
        else
            sb.Append($"\\u{int c:x4}") |> ignore

    sb.ToString()

/// Runs one parse and fails the case unless it returned within the time bound, allocated at
/// most `allocationBoundWith factor inputBytes` (see `leastAllocation`), and (on failure)
/// described itself without throwing. Returns the result for further checks.
let guardWith
    (factor: int64)
    (what: string)
    (inputBytes: int64)
    (input: unit -> string)
    (parse: unit -> Result<'T, 'E>)
    (describe: 'E -> string)
    : Result<'T, 'E> =
    let before = GC.GetAllocatedBytesForCurrentThread()
    let clock = Stopwatch.StartNew()

    let outcome =
        try
            Choice1Of2(parse ())
        with e ->
            Choice2Of2 e

    clock.Stop()
    let allocated = GC.GetAllocatedBytesForCurrentThread() - before

    match outcome with
    | Choice2Of2 e -> failtestf "%s threw %s (%s) on %s" what (e.GetType().Name) e.Message (show (input ()))
    | Choice1Of2 result ->
        if clock.Elapsed > perCaseLimit then
            let again = Stopwatch.StartNew()
            parse () |> ignore
            again.Stop()

            if again.Elapsed > perCaseLimit then
                failtestf
                    "%s took %.0f ms, then %.0f ms, on %s"
                    what
                    clock.Elapsed.TotalMilliseconds
                    again.Elapsed.TotalMilliseconds
                    (show (input ()))

        let bound = allocationBoundWith factor inputBytes

        match leastAllocation bound allocated parse with
        | least, measured when least > bound ->
            failtestf
                "%s allocated %d bytes for %d input bytes (bound %d; measured %A) on %s"
                what
                least
                inputBytes
                bound
                measured
                (show (input ()))
        | _ -> ()

        match result with
        | Ok _ -> ()
        | Error e ->
            let text =
                try
                    describe e
                with ex ->
                    failtestf "describing the error of %s threw %s on %s" what (ex.GetType().Name) (show (input ()))

            if String.IsNullOrWhiteSpace text then
                failtestf "%s gave an error with an empty description on %s" what (show (input ()))

        result

/// `guardWith` the usual 64 bytes per input byte.
let guard what inputBytes input parse describe =
    guardWith 64L what inputBytes input parse describe

let private textBytes (text: string) = int64 text.Length * 2L

// Issue 11: a ScopeTemplate.parse of 218 bytes failed once at 106,840 bytes (bound 79,488)
// although that parse allocates 8.4-8.6 KB every time; one run's count was taken as the call's.
let private measurementTests =
    testList
        "measurement"
        [
            testCase "a one-off allocation on a call's first run is not charged to its input"
            <| fun () ->
                let once = lazy (Array.zeroCreate<byte> 200_000)

                let parse () : Result<unit, string> =
                    once.Force() |> ignore
                    Ok()

                guard "once" 0L (fun () -> "") parse id |> ignore

            testCase "an allocation that comes back on every run breaks the bound"
            <| fun () ->
                let parse () : Result<byte array, string> = Ok(Array.zeroCreate<byte> 200_000)

                Expect.throwsT<AssertException>
                    (fun () -> guard "always" 0L (fun () -> "") parse id |> ignore)
                    "200,000 bytes on every run"
        ]

/// A property over generated text: the parse is guarded, then `check` looks at the result.
let private textPropertyWith
    (factor: int64)
    (count: int)
    (name: string)
    (inputs: Gen<string>)
    (warmUp: string)
    (parse: string -> Result<'T, 'E>)
    (describe: 'E -> string)
    (check: string -> Result<'T, 'E> -> unit)
    =
    // Static initialisation happens once, outside the measured calls.
    let warm = lazy (parse warmUp |> ignore)

    testPropertyWithConfig (cases count) name
    <| Prop.forAll (Arb.fromGen inputs) (fun input ->
        warm.Force()

        let result =
            guardWith factor name (textBytes input) (fun () -> input) (fun () -> parse input) describe

        check input result)

let private textProperty count name inputs warmUp parse describe check =
    textPropertyWith 64L count name inputs warmUp parse describe check

let private noCheck _ _ = ()

let private orFail (result: Result<'T, 'E>) =
    match result with
    | Ok v -> v
    | Error e -> failwithf "generator: %A" e

// ---- Hawk ---------------------------------------------------------------------------------

let private hawkTokens =
    Hostile.tokensWith
        [
            "id=\""
            "ts=\""
            "nonce=\""
            "hash=\""
            "ext=\""
            "mac=\""
            "app=\""
            "dlg=\""
            "x=\"y\""
            "Hawk"
            "Basic "
            "Bearer "
            ", "
            "\" "
            "ts=\"-1\""
            "ts=\"99999999999999999999\""
            "ts=\"1e3\""
        ]

let private signedHeader: Gen<string * Hawk.Credentials * string> =
    gen {
        let! clientId = Requests.clientId
        let! accessToken = Requests.accessToken
        let! uri = Requests.uri
        let! ts = Requests.timestamp
        let! nonce = Requests.nonce
        let! ext = Gen.optionOf Requests.ext
        let! hash = Gen.optionOf (Gen.constant (Hawk.payloadHash "application/json" "{}"B))
        let credentials = Hawk.credentials clientId accessToken |> orFail
        let header = Hawk.header credentials "GET" uri ts nonce ext hash |> orFail
        return header, credentials, uri
    }

let private hawkChar (c: char) =
    c >= ' ' && c <= '~' && c <> '"' && c <> '\\'

let private hawkTests =
    testList
        "Hawk"
        [
            textProperty
                10_000
                "parseHeader: mutated real headers give a header or a HawkError; parsed attributes are in Hawk's character set"
                (Hostile.mutationsOf hawkTokens (signedHeader |> Gen.map (fun (h, _, _) -> h)))
                "Hawk id=\"a\", ts=\"1\", nonce=\"n\", mac=\"m\""
                Hawk.parseHeader
                _.Describe()
                (fun _ result ->
                    match result with
                    | Ok h ->
                        for value in [ h.Id; h.Nonce; h.Mac ] do
                            Expect.isTrue (value.Length > 0 && String.forall hawkChar value) $"attribute {show value}"
                    | Error _ -> ())

            // The parsed header goes on to the server-side check, which must not throw either.
            testPropertyWithConfig (cases 5_000) "verifyHeader on mutated real headers never throws"
            <| Prop.forAll
                (Arb.fromGen (
                    gen {
                        let! header, credentials, uri = signedHeader
                        let! mutated = Hostile.mutate hawkTokens header
                        let! skew = Gen.choose64 (0L, 1000L)
                        return mutated, credentials, uri, skew
                    }
                ))
                (fun (mutated, credentials, uri, skew) ->
                    match Hawk.parseHeader mutated, Hawk.request "GET" uri with
                    | Ok parsed, Ok request ->
                        guard
                            "verifyHeader"
                            (textBytes mutated)
                            (fun () -> mutated)
                            (fun () ->
                                Hawk.verifyHeader parsed request credentials.AccessToken None parsed.Timestamp skew)
                            _.Describe()
                        |> ignore
                    | _ -> ())
        ]

// Bewits: mutated as URL text, and mutated inside the base64url token (decoded, edited,
// re-encoded) so the edits reach the `id\exp\mac\ext` structure.
let private toBase64Url (text: string) =
    Convert.ToBase64String(Encoding.UTF8.GetBytes text).TrimEnd('=').Replace('+', '-').Replace('/', '_')

let private fromBase64Url (token: string) =
    let s = token.Replace('-', '+').Replace('_', '/')
    let padded = s + String('=', (4 - s.Length % 4) % 4)
    Encoding.UTF8.GetString(Convert.FromBase64String padded)

let private signedUrl: Gen<string * Hawk.Credentials> =
    gen {
        let! clientId = Requests.clientId
        let! accessToken = Requests.accessToken
        let! uri = Requests.uri
        let! expiry = Requests.timestamp
        let! ext = Gen.optionOf Requests.ext
        let credentials = Hawk.credentials clientId accessToken |> orFail
        return Hawk.signUrl credentials uri expiry ext |> orFail, credentials
    }

let private bewitTokens =
    Hostile.tokensWith [ "\\"; "\\\\"; "bewit="; "&bewit=x"; "?bewit="; "-"; "_"; "AAAA"; "=" ]

let private structurallyMutatedBewit: Gen<string> =
    gen {
        let! url, _ = signedUrl
        // signUrl appends the bewit last (before any fragment).
        let start = url.LastIndexOf "bewit=" + "bewit=".Length

        let stop =
            url.IndexOfAny([| '&'; '#' |], start)
            |> fun i -> if i < 0 then url.Length else i

        let decoded = fromBase64Url (url.Substring(start, stop - start))
        let! mutated = Hostile.mutate bewitTokens decoded
        return url.Substring(0, start) + toBase64Url mutated + url.Substring stop
    }

let private bewitTests =
    testList
        "bewit"
        [
            textProperty
                10_000
                "parseBewit: mutated signed URLs give a bewit or a HawkError, and a URL over 4096 characters is refused"
                (Gen.oneof
                    [
                        Hostile.mutationsOf bewitTokens (signedUrl |> Gen.map fst)
                        structurallyMutatedBewit
                    ])
                "https://h/p?bewit=YVwxXG1cZQ"
                Hawk.parseBewit
                _.Describe()
                (fun input result ->
                    match result with
                    | Ok(bewit, _) ->
                        Expect.isLessThanOrEqual input.Length 4096 "only URLs within hawk's limit are accepted"
                        Expect.isTrue (bewit.Id.Length > 0) "a parsed bewit has a client id"
                    | Error _ -> ())

            testPropertyWithConfig (cases 5_000) "verifyBewit on structurally mutated bewits never throws"
            <| Prop.forAll (Arb.fromGen (Gen.zip structurallyMutatedBewit Requests.accessToken)) (fun (url, token) ->
                match Hawk.parseBewit url with
                | Ok(bewit, resource) ->
                    let request: Hawk.Request =
                        {
                            Method = "GET"
                            Resource = resource
                            Host = "h"
                            Port = 443
                        }

                    guard
                        "verifyBewit"
                        (textBytes url)
                        (fun () -> url)
                        (fun () -> Hawk.verifyBewit bewit request token 0L)
                        _.Describe()
                    |> ignore
                | Error _ -> ())
        ]

// ---- certificates -------------------------------------------------------------------------

let private seed =
    Gen.arrayOfLength 44 (Gen.elements "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    |> Gen.map String

let private temporaryCredentials: Gen<TemporaryCredentials> =
    gen {
        let! clientId = Gen.elements [ "tester"; "project/x/ci"; "mozilla-auth0/ad|Mozilla-LDAP|dev" ]
        let! start = Gen.choose64 (1_500_000_000_000L, 1_900_000_000_000L)
        let! length = Gen.choose64 (1L, Certificate.maxLifetime)
        let! scopes = Scopes.scopeSet
        let! named = Gen.elements [ true; false ]
        let! s = seed

        return
            Certificate.createTemporaryCredentials
                clientId
                "issuer-token"
                false
                start
                (start + length)
                (scopes |> List.filter (String.forall (fun c -> c >= ' ' && c <= '~')))
                (if named then Some "temp/name" else None)
                s
            |> orFail
    }

let private certificateTests =
    testList
        "certificate"
        [
            textProperty
                10_000
                "decode: wrong-shaped and mutated certificates give a certificate or a CertificateError; a decoded one is version 1 with a 44-character seed"
                (Hostile.jsonText (temporaryCredentials |> Gen.map (fun t -> Certificate.toJson t.Certificate)))
                """{"version":1,"scopes":[],"start":0,"expiry":1,"seed":"x","signature":"y"}"""
                Certificate.decode
                _.Describe()
                (fun _ result ->
                    match result with
                    | Ok c ->
                        Expect.equal c.Version 1 "version"
                        Expect.equal c.Seed.Length 44 "seed length"

                        // What a server does next with it must not throw either.
                        Certificate.verify c "tester" "issuer-token" c.Start |> ignore
                    | Error _ -> ())

            // The ext: base64 text mutated as text, and JSON reshaped before the base64.
            textProperty
                10_000
                "Ext.decode: mutated base64 and wrong-shaped JSON inside give an ext or a CertificateError"
                (Gen.oneof
                    [
                        temporaryCredentials
                        |> Gen.bind (fun t ->
                            Gen.optionOf Scopes.scopeSet
                            |> Gen.map (fun scopes ->
                                Certificate.Ext.encode
                                    {
                                        Certificate = Some t.Certificate
                                        AuthorizedScopes = scopes
                                    }
                                |> Option.get))
                        |> Hostile.mutationsOf (Hostile.tokensWith [ "="; "=="; "+"; "/"; "-"; "_"; "AAAA"; " " ])
                        Hostile.jsonText (
                            Gen.zip temporaryCredentials (Gen.optionOf Scopes.scopeSet)
                            |> Gen.map (fun (t, scopes) ->
                                Encode.object (
                                    [ "certificate", Certificate.toJson t.Certificate ]
                                    @ (scopes
                                       |> Option.map (fun s -> [ "authorizedScopes", Encode.strings s ])
                                       |> Option.defaultValue [])
                                ))
                        )
                        |> Gen.map (fun json -> Convert.ToBase64String(Encoding.UTF8.GetBytes json))
                    ])
                "e30="
                Certificate.Ext.decode
                _.Describe()
                noCheck
        ]

// ---- fromNow, slugIds, root URLs ----------------------------------------------------------

let private fromNowTokens =
    Hostile.tokensWith
        [
            "y"
            "yr"
            "years"
            "mo"
            "months"
            "w"
            "wk"
            "d"
            "day"
            "h"
            "hr"
            "m"
            "min"
            "s"
            "sec"
            "1"
            "0"
            " "
            "-"
            "+"
            "\u00a0"
            "\u2028"
            "99999999999999999999"
            "9223372036854775807"
        ]

let private valueTests =
    testList
        "values"
        [
            textProperty
                20_000
                "FromNow.parse: mutated offsets give an offset that renders back to itself, or a FromNowError"
                (Hostile.mutationsOf fromNowTokens (Gen.oneof [ Values.offsetText; Values.messyOffsetText ]))
                "1 day"
                FromNow.parse
                _.Describe()
                (fun _ result ->
                    match result with
                    | Ok offset ->
                        Expect.equal (FromNow.parse (FromNow.render offset)) (Ok offset) "render/parse round trip"
                    | Error _ -> ())

            textProperty
                30_000
                "SlugId.decode: mutated slugIds give the UUID whose slug is the input (normalised), or a SlugIdError"
                (Hostile.mutationsOf
                    (Hostile.tokensWith [ "="; "=="; "+"; "/"; "-"; "_"; "A"; "Q"; "g"; "w" ])
                    (Values.slugId |> Gen.map string))
                "AAAAAAAAAAAAAAAAAAAAAA"
                SlugId.decode
                _.Describe()
                (fun input result ->
                    match result with
                    | Ok guid ->
                        let normalised = input.TrimEnd('=').Replace('+', '-').Replace('/', '_')
                        Expect.equal (SlugId.encode guid).Value normalised "the slug of the decoded UUID"
                    | Error _ -> ())

            textProperty
                30_000
                "SlugId.parse: mutated slugIds give a slugId equal to the input, or a SlugIdError"
                (Hostile.mutationsOf
                    (Hostile.tokensWith [ "="; "-"; "_"; "A"; "Q" ])
                    (Values.slugIdNice |> Gen.map string))
                "AAAAAAAAAAAAAAAAAAAAAA"
                SlugId.parse
                _.Describe()
                (fun input result ->
                    match result with
                    | Ok slug -> Expect.equal slug.Value input "the text is kept"
                    | Error _ -> ())

            // System.Uri escapes each non-ASCII character as `%XX%XX%XX` and copies the text
            // several times, renting big buffers: 27-36 bytes per input byte for a run of lone
            // surrogates when the pool has them, 67 when it does not. Still linear (see
            // "allocation grows linearly").
            textPropertyWith
                128L
                10_000
                "RootUrl.parse: mutated URLs give a root URL that parses to itself, or a RootUrlError"
                (Hostile.mutationsOf
                    (Hostile.tokensWith
                        [
                            "/"
                            "//"
                            ":"
                            ":443"
                            ":99999"
                            "@"
                            "user:pw@"
                            "?"
                            "#"
                            "http://"
                            "https://"
                            "file://"
                            "%2F"
                            "[::1]"
                            "xn--"
                        ])
                    (Gen.oneof
                        [
                            Requests.uri
                            Gen.elements
                                [
                                    "https://tc.example.com"
                                    "http://localhost:8080/"
                                    "https://community-tc.services.mozilla.com"
                                ]
                        ]))
                "https://tc.example.com"
                RootUrl.parse
                _.Describe()
                (fun _ result ->
                    match result with
                    | Ok root ->
                        Expect.equal
                            (RootUrl.parse root.Value |> Result.map _.Value)
                            (Ok root.Value)
                            "normalised form is stable"

                        Expect.isFalse (root.Value.EndsWith "/") "no trailing slash"
                    | Error _ -> ())
        ]

// ---- scopes, expressions and templates ----------------------------------------------------

let private scopeTests =
    testList
        "scopes"
        [
            textProperty
                20_000
                "validateScope: mutated scopes are accepted exactly when they are printable ASCII"
                (Hostile.mutationsOf Hostile.token Scopes.scope)
                "a:b"
                Scope.validateScope
                _.Describe()
                (fun input result ->
                    let printable = input |> String.forall (fun c -> c >= ' ' && c <= '~')
                    Expect.equal (Result.isOk result) printable "accepted iff printable ASCII")

            textProperty
                20_000
                "parseExpression: wrong-shaped expressions give an expression that encodes back to itself, or a ScopeError"
                (Hostile.jsonText (Scopes.expression |> Gen.map Scope.encodeExpression))
                """{"AllOf":["a"]}"""
                Scope.parseExpression
                _.Describe()
                (fun _ result ->
                    match result with
                    | Ok e ->
                        Expect.equal
                            (Scope.parseExpression (Encode.toString (Scope.encodeExpression e)))
                            (Ok e)
                            "encode/parse round trip"
                    | Error _ -> ())

            textProperty
                10_000
                "ScopeTemplate.parse: wrong-shaped templates give a template or a ScopeTemplateError, and rendering never throws"
                (Hostile.jsonText (Scopes.template |> Gen.map ScopeTemplate.toJson))
                """{"AllOf":["a:<x>"]}"""
                ScopeTemplate.parse
                _.Describe()
                (fun input result ->
                    match result with
                    | Ok template ->
                        let parameters =
                            ScopeTemplate.parameterNames template
                            |> List.map (fun name -> name, Json.String "v")
                            |> Map.ofList

                        guard
                            "ScopeTemplate.render"
                            (textBytes input)
                            (fun () -> input)
                            (fun () -> ScopeTemplate.render parameters template)
                            _.Describe()
                        |> ignore
                    | Error _ -> ())
        ]

// ---- references, routes and routing keys --------------------------------------------------

let private apiReference =
    """{"$schema":"/schemas/common/api-reference-v0.json#","serviceName":"queue","apiVersion":"v1","title":"Queue","description":"d","entries":[{"type":"function","name":"task","title":"t","description":"d","category":"c","stability":"stable","method":"get","route":"/task/<taskId>","args":["taskId"],"query":[],"output":"v1/task.json#","scopes":{"AllOf":["queue:get-task:<taskId>"]}},{"type":"function","name":"listTaskGroup","title":"t","description":"d","category":"c","stability":"experimental","method":"get","route":"/task-group/<taskGroupId>/list","args":["taskGroupId"],"query":["continuationToken","limit"],"output":"v1/list.json#"},{"type":"function","name":"createTask","title":"t","description":"d","category":"c","stability":"stable","method":"put","route":"/task/<taskId>","args":["taskId"],"query":[],"input":"v1/create.json#","output":"v1/task.json#"}]}"""

let private exchangeReference =
    """{"$schema":"/schemas/common/exchanges-reference-v0.json#","serviceName":"queue","apiVersion":"v1","title":"Q","description":"d","exchangePrefix":"exchange/taskcluster-queue/v1/","entries":[{"type":"topic-exchange","exchange":"task-defined","name":"taskDefined","title":"t","description":"d","schema":"v1/task-defined-message.json#","routingKey":[{"name":"routingKeyKind","summary":"s","constant":"primary","multipleWords":false,"required":true},{"name":"taskId","summary":"s","multipleWords":false,"required":true},{"name":"reserved","summary":"s","multipleWords":true,"required":false}]}]}"""

let private parsedJson (text: string) =
    Decode.fromString Decode.json text |> orFail

let private referenceTests =
    testList
        "references"
        [
            textProperty
                5_000
                "parseApiReference: wrong-shaped references give a reference or a ReferenceError naming a path"
                (Hostile.jsonText (Gen.constant (parsedJson apiReference)))
                apiReference
                Reference.parseApiReference
                _.Describe()
                (fun _ result ->
                    match result with
                    | Error e -> Expect.stringStarts e.Path "$" "the error names a JSON path"
                    | Ok reference ->
                        for entry in reference.Entries do
                            Route.ofEntry entry |> ignore)

            textProperty
                5_000
                "parseExchangeReference: wrong-shaped references give a reference or a ReferenceError naming a path"
                (Hostile.jsonText (Gen.constant (parsedJson exchangeReference)))
                exchangeReference
                Reference.parseExchangeReference
                _.Describe()
                (fun _ result ->
                    match result with
                    | Error e -> Expect.stringStarts e.Path "$" "the error names a JSON path"
                    | Ok _ -> ())

            // Every empty segment of `////…` becomes a list cell and a segment value: about 90
            // bytes per input byte, still linear (see "allocation grows linearly").
            textPropertyWith
                128L
                10_000
                "Route.parse: mutated route templates give a template or a RouteError"
                (Hostile.mutationsOf
                    (Hostile.tokensWith [ "<"; ">"; "<>"; "<a>"; "/"; "//"; "<a/b>"; "<<a>>" ])
                    (ReferenceGen.routeTemplate |> Gen.map fst))
                "/task/<taskId>"
                Route.parse
                _.Describe()
                noCheck

            testPropertyWithConfig
                (cases 10_000)
                "RoutingKey.parse: mutated routing keys give values that render back to the key, or a RoutingKeyError"
            <| Prop.forAll
                (Arb.fromGen (
                    gen {
                        let! entry = ReferenceGen.exchangeEntry

                        let! key =
                            ReferenceGen.concreteValues entry
                            |> Gen.map (RoutingKey.render entry)
                            |> Gen.filter Result.isOk
                            |> Gen.map orFail

                        let! mutated =
                            Hostile.mutationsOf (Hostile.tokensWith [ "."; ".."; "_"; "#"; "*"; "" ]) (Gen.constant key)

                        return entry, mutated
                    }
                ))
                (fun (entry, key) ->
                    match
                        guard
                            "RoutingKey.parse"
                            (textBytes key)
                            (fun () -> key)
                            (fun () -> RoutingKey.parse entry key)
                            _.Describe()
                    with
                    | Ok values ->
                        guard
                            "RoutingKey.render"
                            (textBytes key)
                            (fun () -> key)
                            (fun () -> RoutingKey.render entry values)
                            _.Describe()
                        |> ignore
                    | Error _ -> ())

            testPropertyWithConfig
                (cases 10_000)
                "RoutingKey.pattern and binding: hostile values give a pattern or a RoutingKeyError"
            <| Prop.forAll
                (Arb.fromGen (
                    gen {
                        let! entry = ReferenceGen.exchangeEntry
                        let! values = ReferenceGen.patternValues entry

                        let! hostile =
                            Hostile.mutationsOf (Hostile.tokensWith [ "."; "#"; "*"; "_" ]) ReferenceGen.routingKeyValue

                        let! name = Gen.elements ((entry.RoutingKey |> List.map _.Name) @ [ "unknown" ])
                        return entry, values |> Map.add name hostile
                    }
                ))
                (fun (entry, values) ->
                    let size = values |> Seq.sumBy (fun kv -> textBytes kv.Key + textBytes kv.Value)
                    let input () = sprintf "%A" (Map.toList values)

                    guard "RoutingKey.pattern" size input (fun () -> RoutingKey.pattern entry values) _.Describe()
                    |> ignore

                    guard
                        "RoutingKey.patternStrict"
                        size
                        input
                        (fun () -> RoutingKey.patternStrict entry values)
                        _.Describe()
                    |> ignore)
        ]

// ---- Json decoders ------------------------------------------------------------------------

type private Shaped =
    {
        Name: string
        Count: int
        Tags: string list
        Extra: (string * Json) list
        Limit: int64 option
    }

let private shapedDecoder: Decoder<Shaped> =
    Decode.object (fun get ->
        {
            Name = get.Required "name" Decode.string
            Count = get.Required "count" Decode.int
            Tags = get.Required "tags" (Decode.list Decode.string)
            Extra = get.Required "extra" (Decode.keyValuePairs Decode.json)
            Limit = get.Optional "limit" (Decode.oneOf [ Decode.int64; Decode.float |> Decode.map int64 ])
        })

let private shapedJson: Gen<Json> =
    gen {
        let! name = Hostile.noise
        let! count = Gen.choose (-1000, 1000)
        let! tags = Gen.listOf Scopes.scope
        let! extra = Gen.listOfLength 2 Hostile.jsonValue
        let! limit = Gen.optionOf (Gen.choose64 (0L, Int64.MaxValue))

        return
            Encode.object (
                [
                    "name", Encode.string name
                    "count", Encode.int count
                    "tags", Encode.strings tags
                    "extra", Encode.object (extra |> List.mapi (fun i v -> $"k{i}", v))
                ]
                @ (limit
                   |> Option.map (fun l -> [ "limit", Encode.int64 l ])
                   |> Option.defaultValue [])
            )
    }

let private describeDecode (e: DecodeError) = e.Describe()

let private decodeAll (text: string) =
    [
        Decode.fromString shapedDecoder text |> Result.map ignore
        Decode.fromString Decode.json text |> Result.map ignore
        Decode.fromString Decode.element text |> Result.map ignore
        Decode.fromString (Decode.keyValuePairs Decode.string) text |> Result.map ignore
        Decode.fromString (Decode.array Decode.float) text |> Result.map ignore
    ]
    |> List.tryPick (function
        | Error e -> Some(Error e)
        | Ok _ -> None)
    |> Option.defaultValue (Ok())

let private decodeAllUtf8 (bytes: byte array) =
    let memory = ReadOnlyMemory bytes

    [
        Decode.fromUtf8 shapedDecoder memory |> Result.map ignore
        Decode.fromUtf8 Decode.json memory |> Result.map ignore
        Decode.fromUtf8 (Decode.field "name" Decode.string) memory |> Result.map ignore
        Decode.fromUtf8 (Decode.keyValuePairs Decode.json) memory |> Result.map ignore
    ]
    |> List.tryPick (function
        | Error e -> Some(Error e)
        | Ok _ -> None)
    |> Option.defaultValue (Ok())

let private decodeTests =
    testList
        "Json"
        [
            textProperty
                10_000
                "Decode.fromString: wrong-shaped JSON gives a value or a DecodeError with a path"
                (Hostile.jsonText shapedJson)
                """{"name":"a","count":1,"tags":[],"extra":{}}"""
                decodeAll
                describeDecode
                (fun _ result ->
                    match result with
                    | Error e -> Expect.stringStarts e.Path "$" "the path starts at the root"
                    | Ok() -> ())

            testPropertyWithConfig
                (cases 10_000)
                "Decode.fromUtf8: invalid UTF-8, NUL bytes and a BOM give a value or a DecodeError"
            <| Prop.forAll (Arb.fromGen (Hostile.utf8Mutations (shapedJson |> Gen.map Encode.toString))) (fun bytes ->
                let input () = BitConverter.ToString bytes

                guard "Decode.fromUtf8" (int64 bytes.Length) input (fun () -> decodeAllUtf8 bytes) describeDecode
                |> ignore)

            // Strings the parser accepts as JSON but that are not Unicode: lone surrogate
            // escapes in values and in member names.
            test "escaped lone surrogates in values and member names are decode errors" {
                for text in
                    [
                        "\"\\ud800\""
                        "[\"a\\udc00b\"]"
                        """{"\udbff":1}"""
                        """{"name":"\ud800","count":1,"tags":[],"extra":{}}"""
                        """{"extra":{"\udfff":1},"name":"a","count":1,"tags":[]}"""
                    ] do
                    for result in [ decodeAll text ] do
                        match guard "decode" (textBytes text) (fun () -> text) (fun () -> result) describeDecode with
                        | Error _ -> ()
                        | Ok() -> failtestf "accepted %s" text
            }
        ]

// ---- huge and deep documents --------------------------------------------------------------

/// A whole decode of a large input: no exception, within `seconds` (timed again before failing,
/// as in `guardWith`), at most `allocationBound` bytes allocated (see `leastAllocation`), and an
/// `InvalidJson` error.
let private bigInput (name: string) (seconds: float) (makeBytes: unit -> byte array) =
    test name {
        // Made when the test runs, not when the test list is built.
        let bytes = makeBytes ()

        let decode () =
            Decode.fromUtf8 Decode.json (ReadOnlyMemory bytes)

        decode () |> ignore // warm up on the same path
        let before = GC.GetAllocatedBytesForCurrentThread()
        let clock = Stopwatch.StartNew()
        let result = decode ()
        clock.Stop()
        let allocated = GC.GetAllocatedBytesForCurrentThread() - before

        match result with
        | Error { Reason = DecodeReason.InvalidJson _ } -> ()
        | other -> failtestf "expected InvalidJson, got %A" other

        if clock.Elapsed.TotalSeconds >= seconds then
            let again = Stopwatch.StartNew()
            decode () |> ignore
            Expect.isLessThan again.Elapsed.TotalSeconds seconds $"time (first run {clock.Elapsed.TotalSeconds:F1} s)"

        let bound = allocationBound (int64 bytes.Length)
        let least, measured = leastAllocation bound allocated decode
        Expect.isLessThanOrEqual least bound $"allocation (measured {measured})"
    }

let private bigTests =
    testList
        "big documents"
        [
            bigInput "50 MiB of '[' is an InvalidJson error" 60.0 (fun () -> Array.create (50 * 1024 * 1024) '['B)
            bigInput "arrays nested 100,000 deep are an InvalidJson error" 30.0 (fun () ->
                Array.append (Array.create 100_000 '['B) (Array.create 100_000 ']'B))
            bigInput "objects nested 100,000 deep are an InvalidJson error" 30.0 (fun () ->
                Encoding.ASCII.GetBytes(String.replicate 100_000 "{\"a\":" + "1" + String('}', 100_000)))

            test "a number of a million digits is a decode error with a short description" {
                let digits = Encoding.ASCII.GetBytes(String('9', 1_000_000))

                for name, decode in
                    [
                        "int64", (fun () -> Decode.fromUtf8 Decode.int64 (ReadOnlyMemory digits) |> Result.map ignore)
                        "int", (fun () -> Decode.fromUtf8 Decode.int (ReadOnlyMemory digits) |> Result.map ignore)
                        "float", (fun () -> Decode.fromUtf8 Decode.float (ReadOnlyMemory digits) |> Result.map ignore)
                        "json", (fun () -> Decode.fromUtf8 Decode.json (ReadOnlyMemory digits) |> Result.map ignore)
                    ] do
                    match guard name (int64 digits.Length) (fun () -> "9999…") decode describeDecode with
                    | Ok() -> failtestf "%s accepted a million digits" name
                    | Error e ->
                        Expect.isLessThan
                            (e.Describe().Length)
                            1024
                            $"{name}: the description quotes only the start of the number"
            }
        ]

// ---- linear growth ------------------------------------------------------------------------

/// Allocation and time of a call: the least of three runs after a warm-up run on the same
/// input, for the reasons given at `leastAllocation`.
let private measure (run: unit -> 'T) =
    run () |> ignore

    let runs =
        [
            for _ in 1..3 ->
                let clock = Stopwatch.StartNew()
                let allocated = allocatedBy run
                clock.Stop()
                allocated, clock.Elapsed
        ]

    List.min (List.map fst runs), List.min (List.map snd runs)

/// The parse of a degenerate input 16 times longer allocates at most 24 times as much (16 for
/// linear growth, with room for buffers that grow by doubling), so nothing is quadratic.
let private linear (name: string) (input: int -> string) (parse: string -> Result<'T, 'E>) =
    test name {
        let smallInput, largeInput = input 2_000, input 32_000
        let small, _ = measure (fun () -> parse smallInput)
        let large, elapsed = measure (fun () -> parse largeInput)

        Expect.isLessThanOrEqual
            large
            (24L * small + 65_536L)
            $"allocation: {small} bytes for n = 2,000, {large} for n = 32,000"

        Expect.isLessThan elapsed perCaseLimit "time for n = 32,000"
    }

let private linearTests =
    testList
        "allocation grows linearly"
        [
            linear "Route.parse on ////…" (fun n -> String('/', n)) Route.parse
            linear "Route.parse on /<a>/<a>…" (fun n -> String.replicate (n / 4) "/<a>") Route.parse
            linear "RootUrl.parse on lone surrogates" (fun n -> "https://h/" + String(char 0xD800, n)) RootUrl.parse
            linear "RootUrl.parse on a long host" (fun n -> "https://" + String('a', n)) RootUrl.parse
            linear
                "Hawk.parseHeader on many attributes"
                (fun n -> "Hawk " + String.replicate (n / 8) "id=\"a\", ")
                Hawk.parseHeader
            linear "FromNow.parse on many spaces" (fun n -> "1 d" + String(' ', n) + "x") FromNow.parse
            linear "FromNow.parse on a long number" (fun n -> String('9', n) + " days") FromNow.parse
            linear "SlugId.decode on a long text" (fun n -> String('A', n)) SlugId.decode
            linear
                "Scope.parseExpression on a long AnyOf"
                (fun n -> "{\"AnyOf\":[" + String.replicate (n / 4) "\"a\"," + "1]}")
                Scope.parseExpression
            linear
                "Scope.parseExpression on many members"
                (fun n -> "{" + String.concat "," [ for i in 1 .. n / 8 -> $"\"m{i}\":1" ] + "}")
                Scope.parseExpression
            linear
                "Certificate.decode on many scopes"
                (fun n ->
                    """{"version":1,"scopes":["""
                    + String.replicate (n / 4) "\"a\","
                    + "\"a\"],"
                    + "\"start\":0,\"expiry\":1,\"seed\":\""
                    + String('a', 44)
                    + "\",\"signature\":\"s\"}")
                Certificate.decode
            linear
                "Decode.json on a long array"
                (fun n -> "[" + String.replicate (n / 2) "1," + "1]")
                (Decode.fromString Decode.json)
        ]

// ---- inputs the properties found, pinned ------------------------------------------------

let private pinnedTests =
    testList
        "found"
        [
            test
                "a root URL whose host ends in a no-break space is refused (it was accepted and did not parse back to itself)" {
                match RootUrl.parse "http://localhostH808\u00a0/" with
                | Error(RootUrlError.InvalidHost(_, host)) ->
                    Expect.equal host "localhosth808\u00a0" "the host is named"
                | other -> failtestf "expected InvalidHost, got %A" other
            }

            test "international host names are refused, their xn-- form is accepted" {
                Expect.isError (RootUrl.parse "https://tc.ex\u00e4mple.com") "non-ASCII"

                Expect.equal
                    (RootUrl.parse "https://tc.xn--exmple-cua.com" |> Result.map _.Value)
                    (Ok "https://tc.xn--exmple-cua.com")
                    "xn--"

                Expect.equal (RootUrl.parse "http://[::1]:8080" |> Result.map _.Value) (Ok "http://[::1]:8080") "IPv6"

                Expect.equal
                    (RootUrl.parse "http://127.0.0.1:8080/" |> Result.map _.Value)
                    (Ok "http://127.0.0.1:8080")
                    "IPv4"
            }

            test "invalid UTF-8 inside a string or a member name is a decode error at its path" {
                let bytes (parts: byte array list) = ReadOnlyMemory(Array.concat parts)

                match
                    Decode.fromUtf8
                        (Decode.field "a" (Decode.list Decode.string))
                        (bytes [ "{\"a\":[\"ok\",\""B; [| 0xC0uy; 0xAFuy |]; "\"]}"B ])
                with
                | Error e -> Expect.equal e.Path "$.a[1]" "path of the bad string"
                | Ok v -> failtestf "accepted %A" v

                match Decode.fromUtf8 Decode.json (bytes [ "{\"x\":{\""B; [| 0xFFuy |]; "\":1}}"B ]) with
                | Error e -> Expect.equal e.Path "$.x" "path of the object with the bad name"
                | Ok v -> failtestf "accepted %A" v
            }

            test "a number out of range nested in an array is an error, not a null" {
                match Decode.fromString Decode.json "[1, [1e400]]" with
                | Error e ->
                    Expect.equal e.Path "$[1][0]" "path"
                    Expect.stringContains (e.Describe()) "1e400" "names the number"
                | Ok v -> failtestf "accepted %A" v
            }

            test "escaped lone surrogates in a scope expression are an error at their path" {
                match Scope.parseExpression """{"AnyOf":["a","\udc00"]}""" with
                | Error(ScopeError.InvalidExpression e) -> Expect.equal e.Path "$.AnyOf[1]" "path"
                | other -> failtestf "expected InvalidExpression, got %A" other

                match Scope.parseExpression """{"\ud800":[]}""" with
                | Error(ScopeError.InvalidExpression _) -> ()
                | other -> failtestf "expected InvalidExpression, got %A" other
            }
        ]

let tests =
    testList
        "Hostile"
        [
            measurementTests
            hawkTests
            bewitTests
            certificateTests
            valueTests
            scopeTests
            referenceTests
            decodeTests
            bigTests
            linearTests
            pinnedTests
        ]
