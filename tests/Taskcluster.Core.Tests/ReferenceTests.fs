module Taskcluster.Core.Tests.ReferenceTests

open System
open System.IO
open System.Text.Json
open Expecto
open FsCheck
open FsCheck.FSharp
open Taskcluster.Core

let private config =
    { FsCheckConfig.defaultConfig with
        maxTest = 300
    }

let private referencesText =
    lazy (File.ReadAllText(Vectors.sharedFile "taskcluster/references.json"))

/// The whole `references.json`, decoded once for every test that needs it.
let references =
    lazy
        (match Reference.parseReferences (referencesText.Force()) with
         | Ok r -> r
         | Error e -> failtestf "references.json does not decode: %s" (e.Describe()))

/// The API reference with this class name (e.g. `Queue`), failing the test when absent.
let api (className: string) =
    match Reference.tryFindApi className (references.Force()) with
    | Some a -> a
    | None -> failtestf "no API reference %s" className

/// The exchange reference with this class name (e.g. `QueueEvents`), failing the test when absent.
let exchanges (className: string) =
    match Reference.tryFindExchanges className (references.Force()) with
    | Some x -> x
    | None -> failtestf "no exchange reference %s" className

// An independent reading of the bundle with System.Text.Json alone: (schema kind, service, entry count).
let private rawDocuments () =
    use doc = JsonDocument.Parse(referencesText.Force())

    [
        for item in doc.RootElement.EnumerateArray() do
            let content = item.GetProperty "content"

            let schema =
                match content.TryGetProperty "$schema" with
                | true, s -> s.GetString()
                | _ -> ""

            let entries kind =
                content.GetProperty("entries").EnumerateArray()
                |> Seq.filter (fun e -> e.GetProperty("type").GetString() = kind)
                |> Seq.length

            if schema.EndsWith "api-reference-v0.json#" then
                "api", content.GetProperty("serviceName").GetString(), entries "function"
            elif schema.EndsWith "exchanges-reference-v0.json#" then
                "exchanges", content.GetProperty("serviceName").GetString(), entries "topic-exchange"
            else
                match content.TryGetProperty "$id" with
                | true, id -> "schema", id.GetString(), 0
                | _ -> "other", schema, 0
    ]

let private errorOf result =
    match result with
    | Ok v -> failtestf "decoded %A" v
    | Error(e: ReferenceError) -> e

let private bundleTests =
    testList
        "references.json"
        [
            testCase "decodes: every API and exchange reference and every schema"
            <| fun () ->
                let refs = references.Force()
                let raw = rawDocuments ()

                let count kind =
                    raw |> List.filter (fun (k, _, _) -> k = kind) |> List.length

                Expect.equal refs.Apis.Length (count "api") "API references"
                Expect.equal refs.Exchanges.Length (count "exchanges") "exchange references"
                Expect.equal refs.Schemas.Count (count "schema") "schemas"

                for kind, service, entries in raw do
                    match kind with
                    | "api" -> Expect.equal (api service).Entries.Length entries $"{service} API entries"
                    | "exchanges" ->
                        Expect.equal (exchanges service).Entries.Length entries $"{service} exchange entries"
                    | "schema" -> Expect.isSome (Reference.tryFindSchema service refs) service
                    | _ -> ()

            testCase
                "Taskcluster v106.0.0 holds 11 API references (194 methods), 6 exchange references and 191 service schemas"
            <| fun () ->
                let refs = references.Force()
                // Pinned for the v106.0.0 release bundle (with the deprecated queue.declareProvisioner
                // and declareWorkerType); a different bundle should be noticed, not absorbed.
                let expected =
                    Map
                        [
                            "auth", 36
                            "github", 12
                            "hooks", 16
                            "index", 11
                            "notify", 11
                            "object", 9
                            "purge-cache", 7
                            "queue", 51
                            "secrets", 8
                            "web-server", 6
                            "worker-manager", 27
                        ]

                let actual =
                    refs.Apis |> List.map (fun a -> a.ServiceName, a.Entries.Length) |> Map.ofList

                Expect.equal actual expected "entries per service"
                Expect.equal refs.Exchanges.Length 6 "exchange references"

                let serviceSchemas =
                    refs.Schemas.Keys
                    |> Seq.filter (fun id -> not (id.StartsWith "/schemas/common/"))
                    |> Seq.length

                Expect.isGreaterThanOrEqual serviceSchemas 191 "service schemas by $id"

            testCase "every entry's args are its route's parameters, in order"
            <| fun () ->
                for a in references.Force().Apis do
                    for e in a.Entries do
                        match Route.ofEntry e with
                        | Ok t -> Expect.equal t.Parameters e.Args $"{a.ServiceName}.{e.Name}"
                        | Error err -> failtestf "%s.%s: %s" a.ServiceName e.Name (err.Describe())

            testCase "every referenced schema is in the bundle, under its service"
            <| fun () ->
                let refs = references.Force()

                for a in refs.Apis do
                    for e in a.Entries do
                        let ids =
                            [
                                yield! Option.toList e.Input
                                match e.Output with
                                | Some(ApiOutput.Schema id) -> yield id
                                | _ -> ()
                            ]

                        for id in ids do
                            Expect.stringStarts id $"/schemas/{a.ServiceName}/" id
                            Expect.isSome (Reference.tryFindSchema id refs) id

                for x in refs.Exchanges do
                    for e in x.Entries do
                        Expect.isSome (Reference.tryFindSchema e.Schema refs) e.Schema

            testCase "schemas keep their JSON and a detached element"
            <| fun () ->
                let refs = references.Force()

                match Reference.tryFindSchema "/schemas/queue/v1/task.json#" refs with
                | Some s ->
                    Expect.equal s.Id "/schemas/queue/v1/task.json#" "id"
                    Expect.equal (s.Element.GetProperty("$id").GetString()) s.Id "element readable after parsing"

                    match s.Json with
                    | Json.Object members -> Expect.contains (List.map fst members) "properties" "json tree"
                    | other -> failtestf "%A" other
                | None -> failtest "queue task schema missing"

            testCase "entries keep methods, stability, query names, scopes and schema ids"
            <| fun () ->
                let createTask =
                    match Reference.tryFindEntry "createTask" (api "Queue") with
                    | Some e -> e
                    | None -> failtest "createTask"

                Expect.equal createTask.Method RequestMethod.Put "PUT"
                Expect.equal createTask.Method.Name "PUT" "wire name"
                Expect.equal createTask.Args [ "taskId" ] "args"
                Expect.equal createTask.Input (Some "/schemas/queue/v1/create-task-request.json#") "input"

                Expect.equal
                    createTask.Output
                    (Some(ApiOutput.Schema "/schemas/queue/v1/task-status-response.json#"))
                    "output"

                Expect.isSome createTask.Scopes "scopes kept as raw JSON"

                let refs = references.Force()

                let all =
                    [
                        for a in refs.Apis do
                            yield! a.Entries
                    ]

                let stabilities = all |> List.map (fun e -> e.Stability) |> List.distinct |> set

                Expect.equal
                    stabilities
                    (set [ Stability.Stable; Stability.Experimental; Stability.Deprecated ])
                    "stabilities"

                Expect.isTrue (all |> List.exists (fun e -> e.Scopes.IsNone)) "some entries need no scopes"
                Expect.isTrue (all |> List.exists (fun e -> not e.Query.IsEmpty)) "some entries take a query"

            testCase "routing-key parts keep constants and word kinds"
            <| fun () ->
                let taskDefined =
                    match Reference.tryFindExchange "taskDefined" (exchanges "QueueEvents") with
                    | Some e -> e
                    | None -> failtest "taskDefined"

                Expect.equal taskDefined.Exchange "task-defined" "exchange"
                Expect.equal (List.head taskDefined.RoutingKey).Constant (Some "primary") "constant"
                Expect.isTrue (List.last taskDefined.RoutingKey).MultipleWords "reserved is multi-word"
                Expect.equal (exchanges "QueueEvents").ExchangePrefix "exchange/taskcluster-queue/v1/" "prefix"

            testCase "class names are those of the official clients (the names the vectors use)"
            <| fun () ->
                let refs = references.Force()
                let apiNames = refs.Apis |> List.map (fun a -> a.ClassName) |> set
                let exchangeNames = refs.Exchanges |> List.map (fun x -> x.ClassName) |> set

                for case in Vectors.load "api-urls.json" do
                    Expect.contains apiNames (Vectors.get "service" Decode.string case) "API class name"

                for case in Vectors.load "bindings.json" do
                    Expect.contains exchangeNames (Vectors.get "service" Decode.string case) "exchange class name"

                Expect.equal (Reference.className "worker-manager") "WorkerManager" "kebab"
                Expect.equal (Reference.eventsClassName "purge-cache") "PurgeCacheEvents" "events"
        ]

// A small API reference whose one entry the error tests break in turn.
let private apiDoc (entry: string) =
    $"""{{"$schema":"/schemas/common/api-reference-v0.json#","serviceName":"svc","apiVersion":"v1",
       "title":"T","description":"D","entries":[{entry}]}}"""

let private goodEntry =
    """{"type":"function","name":"get","title":"t","description":"d","category":"c","stability":"stable",
        "method":"get","route":"/thing/<a>/sub/<b>","args":["a","b"],"query":["limit"]}"""

let private exchangeDoc (parts: string) =
    $"""{{"$schema":"/schemas/common/exchanges-reference-v0.json#","serviceName":"svc","apiVersion":"v1",
       "title":"T","description":"D","exchangePrefix":"exchange/svc/v1/",
       "entries":[{{"type":"topic-exchange","name":"done","exchange":"done","title":"t","description":"d",
       "schema":"v1/done.json#","routingKey":[{parts}]}}]}}"""

let private part name multi constant =
    let c =
        match constant with
        | Some c -> $""","constant":"{c}" """
        | None -> ""

    $"""{{"name":"{name}","summary":"s","multipleWords":{(if multi then "true" else "false")},"required":true{c}}}"""

let private errorTests =
    testList
        "errors"
        [
            testCase "a good document decodes"
            <| fun () ->
                match Reference.parseApiReference (apiDoc goodEntry) with
                | Ok r ->
                    Expect.equal r.ClassName "Svc" "class name"
                    Expect.equal (List.exactlyOne r.Entries).Args [ "a"; "b" ] "args"
                | Error e -> failtest (e.Describe())

            testCase "unknown HTTP method, with its path"
            <| fun () ->
                let e =
                    errorOf (
                        Reference.parseApiReference (
                            apiDoc (goodEntry.Replace("\"method\":\"get\"", "\"method\":\"brew\""))
                        )
                    )

                Expect.equal e (ReferenceError.UnknownMethod("$.entries[0].method", "brew")) "method"
                Expect.stringContains (e.Describe()) "brew" "quoted"

            testCase "unknown stability"
            <| fun () ->
                let e =
                    errorOf (Reference.parseApiReference (apiDoc (goodEntry.Replace("\"stable\"", "\"beta\""))))

                Expect.equal e (ReferenceError.UnknownStability("$.entries[0].stability", "beta")) "stability"

            testCase "args that differ from the route's parameters"
            <| fun () ->
                for args in [ "[\"b\",\"a\"]"; "[\"a\"]"; "[\"a\",\"b\",\"c\"]" ] do
                    match errorOf (Reference.parseApiReference (apiDoc (goodEntry.Replace("[\"a\",\"b\"]", args)))) with
                    | ReferenceError.RouteArgumentsMismatch(path, route, _, parameters) ->
                        Expect.equal path "$.entries[0].args" "path"
                        Expect.equal route "/thing/<a>/sub/<b>" "route"
                        Expect.equal parameters [ "a"; "b" ] "parameters"
                    | other -> failtestf "%s: %A" args other

            testCase "routes that are not templates"
            <| fun () ->
                for route in
                    [
                        "thing/<a>/sub/<b>"
                        "/thing/x<a>/sub/<b>"
                        "/thing/<a>/<b"
                        "/thing/<a>/<<b>>"
                        ""
                    ] do
                    match
                        errorOf (Reference.parseApiReference (apiDoc (goodEntry.Replace("/thing/<a>/sub/<b>", route))))
                    with
                    | ReferenceError.InvalidRoute(path, r, _) as e ->
                        Expect.equal path "$.entries[0].route" "path"
                        Expect.equal r route "route"
                        Expect.stringContains (e.Describe()) route "quoted"
                    | other -> failtestf "%s: %A" route other

            testCase "duplicate route parameters, entry names and query names"
            <| fun () ->
                let dupParam =
                    goodEntry
                        .Replace("/thing/<a>/sub/<b>", "/thing/<a>/sub/<a>")
                        .Replace("[\"a\",\"b\"]", "[\"a\",\"a\"]")

                Expect.equal
                    (errorOf (Reference.parseApiReference (apiDoc dupParam)))
                    (ReferenceError.DuplicateName("$.entries[0].route", "a"))
                    "parameter"

                Expect.equal
                    (errorOf (Reference.parseApiReference (apiDoc (goodEntry + "," + goodEntry))))
                    (ReferenceError.DuplicateName("$.entries", "get"))
                    "entry"

                let dupQuery = goodEntry.Replace("[\"limit\"]", "[\"limit\",\"limit\"]")

                Expect.equal
                    (errorOf (Reference.parseApiReference (apiDoc dupQuery)))
                    (ReferenceError.DuplicateName("$.entries[0].query", "limit"))
                    "query"

            testCase "service names and versions that would be unsafe in URLs"
            <| fun () ->
                for bad in [ "Svc"; "s/vc"; "s vc"; ""; "1svc"; "averyveryverylongservicename" ] do
                    match
                        errorOf (Reference.parseApiReference ((apiDoc goodEntry).Replace("\"svc\"", $"\"{bad}\"")))
                    with
                    | ReferenceError.InvalidServiceName("$.serviceName", name) -> Expect.equal name bad "name"
                    | other -> failtestf "%s: %A" bad other

                for bad in [ "1"; "v"; "v1/"; "V1"; "v1.0" ] do
                    match
                        errorOf (Reference.parseApiReference ((apiDoc goodEntry).Replace("\"v1\"", $"\"{bad}\"")))
                    with
                    | ReferenceError.InvalidApiVersion("$.apiVersion", v) -> Expect.equal v bad "version"
                    | other -> failtestf "%s: %A" bad other

            testCase "shape errors carry the JSON path"
            <| fun () ->
                match
                    errorOf (
                        Reference.parseApiReference (
                            apiDoc (goodEntry.Replace("\"args\":[\"a\",\"b\"]", "\"args\":[\"a\",2]"))
                        )
                    )
                with
                | ReferenceError.Malformed { Path = path } as e ->
                    Expect.equal path "$.entries[0].args[1]" "path"
                    Expect.stringContains (e.Describe()) path "described"
                | other -> failtestf "%A" other

                match errorOf (Reference.parseApiReference "[]") with
                | ReferenceError.Malformed { Path = "$" } -> ()
                | other -> failtestf "%A" other

                match errorOf (Reference.parseApiReference "{") with
                | ReferenceError.Malformed { Reason = DecodeReason.InvalidJson _ } -> ()
                | other -> failtestf "%A" other

            testCase "entries of other kinds are skipped, as the JS client skips them"
            <| fun () ->
                let other =
                    goodEntry.Replace("\"function\"", "\"stream\"").Replace("\"get\",\"title\"", "\"other\",\"title\"")

                match Reference.parseApiReference (apiDoc (goodEntry + "," + other)) with
                | Ok r -> Expect.equal (r.Entries |> List.map (fun e -> e.Name)) [ "get" ] "only functions"
                | Error e -> failtest (e.Describe())

            testCase "routing keys: duplicate parts, several multi-word parts, dotted constants"
            <| fun () ->
                let parse parts =
                    Reference.parseExchangeReference (exchangeDoc parts)

                match
                    parse (
                        String.Join(
                            ",",
                            [
                                part "kind" false (Some "primary")
                                part "id" false None
                                part "rest" true None
                            ]
                        )
                    )
                with
                | Ok x ->
                    Expect.equal x.ClassName "SvcEvents" "class name"
                    Expect.equal (List.exactlyOne x.Entries).Schema "/schemas/svc/v1/done.json#" "schema id"
                | Error e -> failtest (e.Describe())

                Expect.equal
                    (errorOf (parse (String.Join(",", [ part "id" false None; part "id" false None ]))))
                    (ReferenceError.DuplicateName("$.entries[0].routingKey", "id"))
                    "duplicate"

                Expect.equal
                    (errorOf (parse (String.Join(",", [ part "a" true None; part "b" true None ]))))
                    (ReferenceError.SeveralMultiWordParts("$.entries[0].routingKey", [ "a"; "b" ]))
                    "multi"

                Expect.equal
                    (errorOf (parse (String.Join(",", [ part "id" false None; part "kind" false (Some "a.b") ]))))
                    (ReferenceError.DottedConstant("$.entries[0].routingKey[1].constant", "kind", "a.b"))
                    "dotted"

            testCase "bundles: missing and duplicate schemas; other documents skipped"
            <| fun () ->
                let item (content: string) =
                    $"""{{"filename":"f","content":{content}}}"""

                let schema id =
                    $"""{{"$schema":"/schemas/common/metaschema.json#","$id":"{id}","type":"object"}}"""

                let metrics =
                    """{"$schema":"/schemas/common/metrics-reference-v0.json#","serviceName":"svc","metrics":[]}"""

                let manifest = """{"$schema":"/schemas/common/manifest-v3.json#","references":[]}"""

                let withInput =
                    goodEntry.Replace("\"query\"", "\"input\":\"v1/in.json#\",\"query\"")

                match Reference.parseReferences $"[{item metrics},{item manifest}]" with
                | Ok r -> Expect.isTrue (r.Apis.IsEmpty && r.Exchanges.IsEmpty && r.Schemas.IsEmpty) "skipped"
                | Error e -> failtest (e.Describe())

                match
                    Reference.parseReferences
                        $"""[{item (schema "/schemas/svc/v1/in.json#")},{item (apiDoc withInput)}]"""
                with
                | Ok r ->
                    Expect.equal
                        (List.exactlyOne (List.exactlyOne r.Apis).Entries).Input
                        (Some "/schemas/svc/v1/in.json#")
                        "input"
                | Error e -> failtest (e.Describe())

                Expect.equal
                    (errorOf (Reference.parseReferences $"[{item (apiDoc withInput)}]"))
                    (ReferenceError.MissingSchema("$[0].content.entries[0].input", "/schemas/svc/v1/in.json#"))
                    "missing"

                Expect.equal
                    (errorOf (Reference.parseReferences $"""[{item (schema "/a#")},{item (schema "/a#")}]"""))
                    (ReferenceError.DuplicateSchemaId("$[1].content.$id", "/a#"))
                    "duplicate"

                match
                    errorOf (
                        Reference.parseReferences
                            $"""[{item ((apiDoc goodEntry).Replace("\"get\",\"route\"", "\"nope\",\"route\""))}]"""
                    )
                with
                | ReferenceError.UnknownMethod(path, "nope") ->
                    Expect.equal path "$[0].content.entries[0].method" "bundle path"
                | other -> failtestf "%A" other
        ]

// Arbitrary JSON, and real references with one random change, for the never-throws laws.
let rec private genJson depth : Gen<Json> =
    let text =
        Gen.oneof
            [
                ArbMap.generate<string> ArbMap.defaults
                |> Gen.map (fun s -> if isNull s then "" else s)
                Gen.elements [ "get"; "function"; "topic-exchange"; "/a/<b>"; "<"; "v1"; "" ]
            ]

    let leaf =
        Gen.oneof
            [
                Gen.constant Json.Null
                ArbMap.generate<bool> ArbMap.defaults |> Gen.map Json.Bool
                ArbMap.generate<int64> ArbMap.defaults |> Gen.map Json.Integer
                ArbMap.generate<NormalFloat> ArbMap.defaults
                |> Gen.map (fun f -> Json.Number f.Get)
                text |> Gen.map Json.String
            ]

    if depth <= 0 then
        leaf
    else
        let names =
            Gen.elements
                [
                    "serviceName"
                    "apiVersion"
                    "entries"
                    "args"
                    "route"
                    "method"
                    "routingKey"
                    "content"
                    "$id"
                    "$schema"
                    "x"
                ]

        Gen.frequency
            [
                3, leaf
                1, Gen.listOfLength 3 (genJson (depth - 1)) |> Gen.map Json.Array
                1, Gen.listOfLength 3 (Gen.zip names (genJson (depth - 1))) |> Gen.map Json.Object
            ]

let rec private mutate (json: Json) : Gen<Json> =
    gen {
        let! here = Gen.frequency [ 1, Gen.constant true; 3, Gen.constant false ]

        match json with
        | _ when here -> return! genJson 2
        | Json.Array items when not items.IsEmpty ->
            let! i = Gen.choose (0, items.Length - 1)
            let! changed = mutate items[i]
            let! drop = Gen.frequency [ 1, Gen.constant true; 5, Gen.constant false ]

            return
                Json.Array
                    [
                        for j, x in List.indexed items do
                            if j <> i then
                                x
                            elif not drop then
                                changed
                    ]
        | Json.Object members when not members.IsEmpty ->
            let! i = Gen.choose (0, members.Length - 1)
            let! changed = mutate (snd members[i])
            let! drop = Gen.frequency [ 1, Gen.constant true; 5, Gen.constant false ]

            return
                Json.Object
                    [
                        for j, (k, v) in List.indexed members do
                            if j <> i then
                                k, v
                            elif not drop then
                                k, changed
                    ]
        | _ -> return! genJson 1
    }

let private realDocuments =
    lazy
        (match Decode.fromString (Decode.list (Decode.field "content" Decode.json)) (referencesText.Force()) with
         | Ok docs ->
             docs
             |> List.filter (fun d ->
                 match d with
                 | Json.Object members ->
                     members
                     |> List.exists (fun (k, v) ->
                         match v with
                         | Json.String s when k = "$schema" ->
                             s.EndsWith "api-reference-v0.json#" || s.EndsWith "exchanges-reference-v0.json#"
                         | _ -> false)
                 | _ -> false)
             |> Array.ofList
         | Error e -> failtest (e.Describe()))

let private neverThrows (text: string) =
    match Reference.parseApiReference text, Reference.parseExchangeReference text, Reference.parseReferences text with
    | _ -> true

let private hostileTests =
    testList
        "hostile input"
        [
            testPropertyWithConfig { config with maxTest = 1000 } "random text never throws"
            <| fun (text: string) -> neverThrows text

            testPropertyWithConfig config "random JSON of reference-like shape never throws"
            <| Prop.forAll (Arb.fromGen (genJson 4)) (fun json ->
                let text = Encode.toString json
                neverThrows text && neverThrows $"[{{\"filename\":\"f\",\"content\":{text}}}]")

            testPropertyWithConfig config "real references with one random change never throw"
            <| Prop.forAll
                (Arb.fromGen (
                    gen {
                        let docs = realDocuments.Force()
                        let! doc = Gen.elements docs
                        return! mutate doc
                    }
                ))
                (fun json ->
                    let text = Encode.toString json
                    neverThrows text && neverThrows $"[{{\"filename\":\"f\",\"content\":{text}}}]")

            testCase "real references with both kinds are found by the mutation source"
            <| fun () ->
                let refs = references.Force()
                Expect.equal (realDocuments.Force()).Length (refs.Apis.Length + refs.Exchanges.Length) "every reference"

            testCase "deep nesting is a typed error"
            <| fun () ->
                let deep = String('[', 10_000) + String(']', 10_000)

                for result in
                    [
                        Reference.parseReferences deep
                        Reference.parseReferences $"[{{\"filename\":\"f\",\"content\":{deep}}}]"
                    ] do
                    match result with
                    | Error(ReferenceError.Malformed _) -> ()
                    | other -> failtestf "%A" other

            testCase "null text is a typed error"
            <| fun () -> Expect.isError (Reference.parseApiReference null) "null"
        ]

let tests = testList "Reference" [ bundleTests; errorTests; hostileTests ]
