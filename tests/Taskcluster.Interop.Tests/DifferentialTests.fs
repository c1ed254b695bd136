/// The same generated inputs through our core and through the official JS packages, one Node
/// process per function, answers compared one by one.
module Taskcluster.Interop.Tests.DifferentialTests

open System
open System.Text.Json.Nodes
open Expecto
open FsCheck.FSharp
open Taskcluster.Core
open Taskcluster.Testing
open Taskcluster.Interop.Tests.Node

/// What one side answered: a canonical JSON text, or a refusal.
type Answer =
    | Value of string
    | Refused

let private theirs (answer: JsonNode) =
    if has answer "threw" then
        Refused
    else
        match answer["ok"] with
        | null -> Value "null"
        | v -> Value(v.ToJsonString())

let private asJson (s: string) = (jstr s).ToJsonString()

let private listJson (items: string list) = (jstrs items).ToJsonString()

/// Compares every answer; prints and fails on each disagreement. `expected` may accept a
/// documented, deliberate difference (and must then say so by returning true).
let private compare
    (name: string)
    (inputs: 'T list)
    (show: 'T -> string)
    (ours: 'T -> Answer)
    (js: JsonNode list)
    (expected: 'T -> Answer -> Answer -> bool)
    =
    let mutable deliberate = 0

    let disagreements =
        [
            for input, answer in List.zip inputs js do
                let o = ours input
                let t = theirs answer

                if o <> t then
                    if expected input o t then
                        deliberate <- deliberate + 1
                    else
                        yield $"{name} {show input}: ours {o}, theirs {t}"
        ]

    for d in disagreements do
        printfn "disagreement: %s" d

    printfn
        "%s: %d inputs, %d deliberate differences, %d disagreements"
        name
        inputs.Length
        deliberate
        disagreements.Length

    Expect.isEmpty disagreements $"{disagreements.Length} of {inputs.Length} {name} answers differ"

let private batch (op: string) (extra: (string * JsonNode) list) (inputs: JsonNode list) =
    runOp (jobj ([ "op", jstr op; "inputs", jarr inputs ] @ extra))
    |> fun a -> a.AsArray() |> Seq.toList

let private sample n g = Gen.sample n g |> List.ofArray

let private unquote (json: string) = JsonNode.Parse(json).GetValue<string>()

let reference = DateTimeOffset(2026, 11, 27, 12, 0, 0, TimeSpan.Zero)

/// Text that is mostly not a fromNow expression, from the grammar's own alphabet.
let private invalidOffset =
    Gen.frequency
        [
            3,
            Gen.elements (List.ofSeq "0123456789 +-ydhmswkornisecYHMD.,")
            |> Gen.listOf
            |> Gen.map (fun cs -> String(Array.ofList cs))
            2, Gen.map2 (fun (a: string) (b: string) -> b + " " + a) Values.offsetText Values.offsetText
            1,
            Gen.elements
                [
                    ""
                    "  "
                    "1"
                    "1.5 days"
                    "2 days 3 days"
                    "3 hours 2 days"
                    "1 fortnight"
                    "- 1 day"
                ]
        ]

let private fromNowTest () =
    test "fromNow (taskcluster-client fromNow(expr, reference))" {
        // beyond years 0001-9999: JS prints six-digit or negative years, we refuse (README)
        let farAway =
            [
                "8000 years"
                "9000 y"
                "-2027 years"
                "+7974 years 2 days"
                "3000000 days"
                "-740000 days"
            ]

        let inputs =
            sample 2000 Values.messyOffsetText @ sample 1500 invalidOffset @ farAway

        let js =
            batch "fromNow" [ "reference", jstr "2026-11-27T12:00:00.000Z" ] (inputs |> List.map jstr)

        let ours (input: string) =
            match FromNow.fromNowJSON input reference with
            | Ok s -> Value(asJson s)
            | Error _ -> Refused

        let outOfRange (input: string) ours theirs =
            match FromNow.fromNowJSON input reference, ours, theirs with
            | Error(FromNowError.OutOfRange _), Refused, Value t ->
                let iso = unquote t
                iso.StartsWith '+' || iso.StartsWith '-' || iso.StartsWith "0000"
            | _ -> false

        compare "fromNow" inputs asJson ours js outOfRange
    }

/// The uuid package's (v9) validity rule, which the JS slugid package applies when it decodes
/// and encodes: RFC 4122 versions 1-5 with the 10xx variant, or the nil UUID.
let private jsValidUuid (uuid: string) =
    Text.RegularExpressions.Regex.IsMatch(
        uuid,
        "^(?:[0-9a-f]{8}-[0-9a-f]{4}-[1-5][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}|00000000-0000-0000-0000-000000000000)$"
    )

/// Deliberate decode differences (README, "Where we differ"): we decode every 128-bit value,
/// where JS refuses UUIDs that are not RFC 4122 v1-v5; and we refuse the spellings JS lets
/// through (standard-base64 `+` and `/`, padding, and non-zero trailing bits, all of which
/// would give two slugIds for one UUID). Each such case must be exactly that.
let private expectedDecodeDifference (input: string) (ours: Answer) (theirs: Answer) =
    match ours, theirs with
    | Value o, Refused -> not (jsValidUuid (unquote o))
    | Refused, Value t ->
        let canonical = (SlugId.encode (Guid.Parse(unquote t))).Value

        match SlugId.decode input with
        | Error(SlugIdError.NonCanonical _) -> input <> canonical && input.Substring(0, 21) = canonical.Substring(0, 21)
        | Error(SlugIdError.InvalidCharacter _) ->
            (input.Contains '+' || input.Contains '/')
            && (match SlugId.decode (input.Replace('+', '-').Replace('/', '_')) with
                | Ok g -> g = Guid.Parse(unquote t)
                | Error(SlugIdError.NonCanonical _) -> true
                | Error _ -> false)
        | Error(SlugIdError.Padded _) -> input.TrimEnd('=') = canonical
        | _ -> false
    | _ -> false

let private slugIdTests () =
    let text22 =
        Gen.elements (List.ofSeq "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        |> Gen.listOfLength 22
        |> Gen.map (fun cs -> String(Array.ofList cs))

    let oddText =
        Gen.elements
            [
                ""
                "abc"
                "kGPFCI7dTPiJ0axH4QmGxg=="
                "kGPFCI7dTPiJ0axH4QmGx+"
                "kGPFCI7dTPiJ0axH4QmGx/"
            ]

    [
        test "slugid.decode" {
            let inputs =
                sample 700 (Values.slugId |> Gen.map (fun s -> s.Value))
                @ sample 700 (Values.slugIdNice |> Gen.map (fun s -> s.Value))
                @ sample 700 text22
                @ sample 50 oddText

            let js = batch "slugDecode" [] (inputs |> List.map jstr)

            let ours (input: string) =
                match SlugId.decode input with
                | Ok g -> Value(asJson (g.ToString "D"))
                | Error _ -> Refused

            compare "slugid.decode" inputs asJson ours js expectedDecodeDifference
        }
        test "slugid.nice() and slugid.v4() pass our isNice and isV4, ours decode in JS as v4 UUIDs" {
            let generated = runOp (jobj [ "op", jstr "slugGenerate"; "count", jint 1000L ])

            let ids (name: string) =
                [ for x in generated[name].AsArray() -> x.GetValue<string>() ]

            let notNice =
                ids "nice" |> List.filter (fun s -> not (SlugId.isNice s && SlugId.isV4 s))

            let notV4 = ids "v4" |> List.filter (fun s -> not (SlugId.isV4 s))
            Expect.isEmpty notNice "JS nice slugIds that are not nice (and v4) to us"
            Expect.isEmpty notV4 "JS v4 slugIds that are not v4 to us"

            let ours =
                sample 500 (Values.slugIdNice |> Gen.map (fun s -> s.Value))
                @ sample 500 (Values.slugIdV4 |> Gen.map (fun s -> s.Value))

            let decoded = batch "slugDecode" [] (ours |> List.map jstr)

            let refused =
                [
                    for id, answer in List.zip ours decoded do
                        match theirs answer with
                        | Value uuid when (unquote uuid)[14] = '4' -> ()
                        | other -> yield $"{id}: {other}"
                ]

            Expect.isEmpty refused "our nice/v4 slugIds that JS does not decode as v4 UUIDs"
        }
        test "slugid.encode" {
            let inputs = sample 2000 Values.guid
            let js = batch "slugEncode" [] (inputs |> List.map (fun g -> jstr (g.ToString "D")))
            let ours (g: Guid) = Value(asJson (SlugId.encode g).Value)
            // Deliberate: JS refuses to encode UUIDs that are not RFC 4122 v1-v5; we encode any.
            compare "slugid.encode" inputs (fun g -> g.ToString "D") ours js (fun g o t ->
                o <> Refused && t = Refused && not (jsValidUuid (g.ToString "D")))
        }
    ]

let private scopeTests () =
    let expr (e: ScopeExpression) = ofJson (Scope.encodeExpression e)

    let scopeList (items: string list option) =
        match items with
        | Some l -> Value(listJson l)
        | None -> Value "null"

    let pairs = sample 1500 (Gen.zip Scopes.scopeSet Scopes.expression)
    let setPairs = sample 1500 (Gen.zip Scopes.scopeSet Scopes.scopeSet)
    let sets = sample 1500 Scopes.scopeSet

    let showPair (s: string list, e) =
        $"{listJson s} {(expr e).ToJsonString()}"

    let showSets (a: string list, b: string list) = $"{listJson a} {listJson b}"

    let exprCase fn (ours: string list * ScopeExpression -> Answer) =
        test fn {
            let js =
                batch "scopes" [ "fn", jstr fn ] [ for s, e in pairs -> jarr [ jstrs s; expr e ] ]

            compare fn pairs showPair ours js (fun _ _ _ -> false)
        }

    let setCase fn (ours: string list * string list -> string list) =
        test fn {
            let js =
                batch "scopes" [ "fn", jstr fn ] [ for a, b in setPairs -> jarr [ jstrs a; jstrs b ] ]

            compare fn setPairs showSets (fun p -> Value(listJson (ours p))) js (fun _ _ _ -> false)
        }

    [
        exprCase "satisfiesExpression" (fun (s, e) -> Value(if Scope.satisfiesExpression s e then "true" else "false"))
        exprCase "scopesSatisfying" (fun (s, e) -> scopeList (Scope.scopesSatisfying s e))
        exprCase "removeGivenScopes" (fun (s, e) ->
            match Scope.removeGivenScopes s e with
            | Some rest -> Value((expr rest).ToJsonString())
            | None -> Value "null")
        setCase "scopeUnion" (fun (a, b) -> Scope.scopeUnion a b)
        setCase "scopeIntersection" (fun (a, b) -> Scope.scopeIntersection a b)
        test "normalizeScopeSet" {
            // JS's normalizeScopeSet takes a set sorted by scopeCompare (its documented contract);
            // ours takes any order, so JS gets the sorted input.
            let js =
                batch
                    "scopes"
                    [ "fn", jstr "normalizeScopeSet" ]
                    [ for s in sets -> jarr [ jstrs (List.sortWith Scope.scopeCompare s) ] ]

            compare
                "normalizeScopeSet"
                sets
                listJson
                (fun s -> Value(listJson (Scope.normalizeScopeSet s)))
                js
                (fun _ _ _ -> false)
        }
        test "satisfiesExpression with ScopeSet (prepared)" {
            let js =
                batch "scopes" [ "fn", jstr "satisfiesExpression" ] [ for s, e in pairs -> jarr [ jstrs s; expr e ] ]

            compare
                "ScopeSet.satisfiesExpression"
                pairs
                showPair
                (fun (s, e) ->
                    Value(
                        if ScopeSet.satisfiesExpression (ScopeSet.ofSeq s) e then
                            "true"
                        else
                            "false"
                    ))
                js
                (fun _ _ _ -> false)
        }
    ]

/// Hosts for `new URL`: every spelling of IPv4 addresses, numbers out of range, too many parts,
/// names ending in a number, IPv6 literals well and badly formed, DNS names.
let private hostText =
    let numberish =
        Gen.elements
            [
                "0"
                "00"
                "0x"
                "0X"
                "1"
                "9"
                "08"
                "010"
                "0x1F"
                "0xg"
                "255"
                "256"
                "65535"
                "65536"
                "16777215"
                "16777216"
                "4294967295"
                "4294967296"
                "0xffffffff"
                "0x100000000"
                "99999999999999999999"
                "a"
                "ab"
                "1e1"
                ""
            ]

    let dotted =
        gen {
            let! parts = Gen.choose (1, 6) |> Gen.bind (fun n -> Gen.listOfLength n numberish)
            let! trailing = Gen.elements [ ""; ""; "."; ".." ]
            return String.Join(".", parts) + trailing
        }

    let ipv6 =
        gen {
            let! pieces =
                Gen.choose (0, 9)
                |> Gen.bind (fun n ->
                    Gen.listOfLength n (Gen.elements [ "0"; "1"; "ffff"; "FFFF"; "0db8"; "12345"; ""; "g" ]))

            let! tail = Gen.elements [ ""; ""; "1.2.3.4"; "127.1"; "01.2.3.4"; "256.1.1.1" ]
            let! compress = Gen.choose (-1, pieces.Length)

            let text =
                pieces
                |> List.mapi (fun i p -> if i = compress then ":" + p else p)
                |> fun ps -> String.Join(":", ps @ (if tail = "" then [] else [ tail ]))

            return $"[{text}]"
        }

    Gen.frequency
        [
            3, Requests.ipv4Spelling |> Gen.map fst
            4, dotted
            2, Requests.host
            2, ipv6
        ]

let private urlHostTest () =
    test "new URL(...).hostname and Hawk.request's host" {
        let inputs = sample 3000 hostText
        let js = batch "urlHost" [] (inputs |> List.map jstr)

        let ours (host: string) =
            match Hawk.request "GET" $"http://{host}/" with
            | Ok r -> Value(asJson r.Host)
            | Error _ -> Refused

        compare "URL host" inputs asJson ours js (fun _ _ _ -> false)
    }

let private routingKeyTest () =
    test "routing-key patterns of every exchange (JS <Service>Events().<exchange>(pattern))" {
        let refs = references.Force()

        // Exchanges both sides know (our v106 references add some the v87 JS client lacks).
        let jsClasses =
            [
                for api in ApiTests.jsReferences.Force() do
                    if not (isNull api["exchangePrefix"]) then
                        let names = set [ for e in api["entries"].AsArray() -> text e "name" ]
                        text api "serviceName", text api "className", names
            ]

        let inputs =
            [
                for service, className, names in jsClasses do
                    match Reference.tryFindExchanges service refs with
                    | Some reference ->
                        for entry in reference.Entries do
                            if names.Contains entry.Name then
                                for values in sample 40 (ReferenceGen.patternValues entry) do
                                    yield className, reference, entry, values
                            else
                                printfn "exchange only in our references: %s.%s" className entry.Name
                    | None -> failtestf "no exchanges %s in our references" service
            ]

        let js =
            batch
                "bindings"
                []
                [
                    for className, _, entry, values in inputs ->
                        jobj
                            [
                                "className", jstr className
                                "exchange", jstr entry.Name
                                "pattern", jobj [ for KeyValue(k, v) in values -> k, jstr v ]
                            ]
                ]

        // Only exchange and pattern are compared (the JS answer also carries the reference).
        let js =
            js
            |> List.map (fun a ->
                if has a "ok" then
                    let ok = a["ok"]

                    jobj
                        [
                            "ok",
                            jobj
                                [
                                    "exchange", ok["exchange"].DeepClone()
                                    "routingKeyPattern", ok["routingKeyPattern"].DeepClone()
                                ]
                        ]
                else
                    a)

        let ours (_, reference, entry, values) =
            match RoutingKey.binding reference entry (BindingPattern.Values values) with
            | Ok b ->
                Value(
                    (jobj [ "exchange", jstr b.Exchange; "routingKeyPattern", jstr b.RoutingKeyPattern ]).ToJsonString()
                )
            | Error _ -> Refused

        let show (className, _, entry: ExchangeEntry, values: Map<string, string>) =
            $"{className}.{entry.Name} %A{values}"

        compare "routing keys" inputs show ours js (fun _ _ _ -> false)
    }

let tests () =
    testList
        "differential"
        [
            fromNowTest ()
            yield! slugIdTests ()
            yield! scopeTests ()
            routingKeyTest ()
            urlHostTest ()
        ]
