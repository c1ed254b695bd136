/// The official JS client calling the emulator: every API method both sides know, temporary
/// credentials, `authorizedScopes` and signed URLs.
module Taskcluster.Interop.Tests.ApiTests

open System
open System.Net.Http
open System.Text.Json.Nodes
open Expecto
open Taskcluster.Core
open Taskcluster.Interop.Tests.Node

/// A function entry of the JS client's built-in references.
type JsEntry =
    {
        ClassName: string
        ServiceName: string
        Name: string
        Method: string
        Route: string
        Args: string list
        HasInput: bool
    }

/// The JS client's references, as `driver.mjs` reports them.
let jsReferences =
    lazy (runOp (jobj [ "op", jstr "references" ]) |> fun r -> r.AsArray() |> Seq.toList)

let private strings (n: JsonNode) =
    [ for x in n.AsArray() -> x.GetValue<string>() ]

let jsEntries =
    lazy
        [
            for api in jsReferences.Force() do
                if isNull api["exchangePrefix"] then
                    for e in api["entries"].AsArray() do
                        if text e "type" = "function" then
                            {
                                ClassName = text api "className"
                                ServiceName = text api "serviceName"
                                Name = text e "name"
                                Method = text e "method"
                                Route = text e "route"
                                Args = strings e["args"]
                                HasInput = e["input"].GetValue<bool>()
                            }
        ]

/// JS methods with a same-named method in our references, and our entry.
let shared =
    lazy
        [
            for js in jsEntries.Force() do
                match Reference.tryFindApi js.ServiceName (references.Force()) with
                | Some api ->
                    match Reference.tryFindEntry js.Name api with
                    | Some ours -> yield js, ours
                    | None -> ()
                | None -> ()
        ]

/// A value for a route argument that any route accepts.
let argument (name: string) =
    match name with
    | "taskId"
    | "taskGroupId" -> "fN1SbArXTPSVFNUvaOlinQ"
    | "runId" -> "0"
    | _ -> "interop-" + name

let sweepEmulator = emulator ()

/// auth.testAuthenticate(Get) check signatures against the fixed test client of the real auth
/// service (`tester` / `no-secret`), whatever credentials the deployment has.
let private tester =
    Map.ofList
        [
            "testAuthenticate", jobj [ "clientScopes", jstrs [ "test:*" ]; "requiredScopes", jstrs [ "test:a" ] ]
            "testAuthenticateGet", null
        ]

/// The clientId the emulator must have authenticated for a method, if it authenticates at all.
let expectedClientId (e: Taskcluster.Emulator.EmulatorInstance) (js: JsEntry, ours: ApiEntry) =
    if js.ServiceName = "auth" && tester.ContainsKey js.Name then
        Some "tester"
    elif ours.Scopes.IsSome then
        Some e.ClientId
    else
        None

/// Every shared method called once, in one Node process.
let sweep =
    lazy
        (let e = sweepEmulator.Force()

         let ops =
             [
                 for js, _ in shared.Force() ->
                     let isTester = js.ServiceName = "auth" && tester.ContainsKey js.Name

                     let options =
                         if isTester then
                             jobj
                                 [
                                     "rootUrl", jstr e.RootUrl
                                     "credentials", jobj [ "clientId", jstr "tester"; "accessToken", jstr "no-secret" ]
                                 ]
                         else
                             rootOptions e []

                     let payload =
                         match tester.TryFind js.Name with
                         | Some(p: JsonNode) when isTester && not (isNull p) -> [ p.DeepClone() ]
                         | _ when js.HasInput -> [ jobj [] ]
                         | _ -> []

                     jobj
                         [
                             "op", jstr "call"
                             "className", jstr js.ClassName
                             "options", options
                             "method", jstr js.Name
                             "args", jarr ([ for a in js.Args -> jstr (argument a) ] @ payload)
                         ]
             ]

         let answers = runOps ops
         Map.ofList (List.zip [ for js, _ in shared.Force() -> js.ServiceName, js.Name ] answers))

let private methodTest (js: JsEntry, ours: ApiEntry) =
    let e = sweepEmulator
    let expected = lazy (expectedClientId (e.Force()) (js, ours))

    let label =
        if
            ours.Scopes.IsNone
            && not (js.ServiceName = "auth" && tester.ContainsKey js.Name)
        then
            $"{js.ServiceName}.{js.Name} (no scopes: routed only)"
        else
            $"{js.ServiceName}.{js.Name}"

    test label {
        let answer = sweep.Force()[js.ServiceName, js.Name]
        let e = e.Force()

        let status =
            if has answer "error" then
                match answer["status"] with
                | null -> failtestf "no HTTP answer: %s" (text answer "error")
                | s -> s.GetValue<int>()
            else
                200

        Expect.notEqual status 401 ("the JS client's request was not authenticated: " + text answer "error")

        let records =
            e.State.Requests
            |> Seq.filter (fun r -> r.Service = js.ServiceName && r.Method = js.Name)
            |> Seq.toList

        Expect.isNonEmpty records "the request never reached the method's route"

        for r in records do
            Expect.equal r.Status status "the emulator's log and the JS client disagree on the status"
            Expect.equal r.HttpMethod (js.Method.ToUpperInvariant()) "HTTP method"

            // The emulator records the client whose Hawk signature it verified; a failed check
            // records none.
            match expected.Force() with
            | Some id -> Expect.equal r.ClientId id "the emulator did not authenticate the JS client's signature"
            | None -> ()
    }

/// JS methods our references lack or route differently (reported, and the difference checked).
let private referenceTests () =
    testList
        "references"
        [
            test "the JS client and our references route shared methods the same way" {
                let differing =
                    [
                        for js, ours in shared.Force() do
                            if js.Route <> ours.Route || js.Method <> ours.Method.Name.ToLowerInvariant() then
                                $"{js.ServiceName}.{js.Name}: JS {js.Method} {js.Route}, ours {ours.Method.Name} {ours.Route}"
                    ]

                for d in differing do
                    printfn "route difference: %s" d

                Expect.isEmpty differing "shared methods with different routes"
            }
            test "most JS methods are shared" {
                let all = jsEntries.Force()

                let missing =
                    all
                    |> List.filter (fun js -> not (List.exists (fun (j, _) -> j = js) (shared.Force())))

                for m in missing do
                    printfn "only in the JS client: %s.%s" m.ServiceName m.Name

                // Our references are newer (v106); the JS client v87 may only have a few we lack.
                Expect.isLessThan missing.Length 10 "JS methods missing from our references"
                Expect.isGreaterThan (shared.Force()).Length 180 "shared methods"
            }
        ]

let scenarioEmulator = emulator ()

let private expires () =
    DateTimeOffset.UtcNow.AddDays(1.0).ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'")

/// Temporary credentials, authorizedScopes and signed URLs, in one Node process.
let scenarios =
    lazy
        (let e = scenarioEmulator.Force()
         let root = rootOptions e
         let secretA = [ "secrets:get:interop/a" ]

         let call className method (options: JsonNode) (args: JsonNode list) =
             jobj
                 [
                     "op", jstr "call"
                     "className", jstr className
                     "options", options
                     "method", jstr method
                     "args", jarr args
                 ]

         let signed method (options: JsonNode) (args: JsonNode list) =
             jobj
                 [
                     "op", jstr "signedUrl"
                     "className", jstr "Secrets"
                     "options", options
                     "method", jstr method
                     "args", jarr args
                 ]

         let temporary scopes name =
             "temporary",
             jobj
                 [
                     "scopes", jstrs scopes
                     "clientId", (if isNull name then null else jstr name)
                 ]

         let setSecret name value =
             call
                 "Secrets"
                 "set"
                 (root [])
                 [
                     jstr name
                     jobj [ "secret", jobj [ "v", jstr value ]; "expires", jstr (expires ()) ]
                 ]

         let ops =
             [
                 "set a", setSecret "interop/a" "a"
                 "set b", setSecret "interop/b" "b"
                 "temp allowed", call "Secrets" "get" (root [ temporary secretA null ]) [ jstr "interop/a" ]
                 "temp denied", call "Secrets" "get" (root [ temporary secretA null ]) [ jstr "interop/b" ]
                 "named temp",
                 call "Secrets" "get" (root [ temporary secretA "interop/named-temp" ]) [ jstr "interop/a" ]
                 "temp scopes",
                 call "Auth" "currentScopes" (root [ temporary [ "interop:x:*"; "auth:current-scopes" ] null ]) []
                 "authorized allowed",
                 call "Secrets" "get" (root [ "authorizedScopes", jstrs secretA ]) [ jstr "interop/a" ]
                 "authorized denied",
                 call "Secrets" "get" (root [ "authorizedScopes", jstrs secretA ]) [ jstr "interop/b" ]
                 "authorized current",
                 call
                     "Auth"
                     "currentScopes"
                     (root [ "authorizedScopes", jstrs [ "auth:current-scopes"; "secrets:get:interop/a" ] ])
                     []
                 "signed root", signed "get" (root []) [ jstr "interop/a" ]
                 "signed temp", signed "get" (root [ temporary secretA null ]) [ jstr "interop/a" ]
                 "signed named temp",
                 signed "get" (root [ temporary secretA "interop/named-temp2" ]) [ jstr "interop/a" ]
                 "signed denied", signed "get" (root [ "authorizedScopes", jstrs secretA ]) [ jstr "interop/b" ]
             ]

         let answers = runOps (List.map snd ops)
         Map.ofList (List.zip (List.map fst ops) answers))

let private statusOf (answer: JsonNode) =
    if has answer "error" then
        match answer["status"] with
        | null -> failtestf "no HTTP answer: %s" (text answer "error")
        | s -> s.GetValue<int>()
    else
        200

let private http = new HttpClient(new SocketsHttpHandler(AllowAutoRedirect = false))

let private fetch (url: string) =
    let resp = http.GetAsync(url) |> run
    int resp.StatusCode, resp.Content.ReadAsStringAsync() |> run

let private scopesOf (a: JsonNode) =
    let scopes = a["body"]["scopes"]
    [ for s in scopes.AsArray() -> string s ]

let private secretValue (body: JsonNode) =
    let secret = body["secret"]
    string secret["v"]

let private scenarioTests () =
    let answer name = scenarios.Force()[name]

    let lastRecord (service: string) (methodName: string) =
        scenarioEmulator.Force().State.Requests
        |> Seq.filter (fun r -> r.Service = service && r.Method = methodName)
        |> Seq.toList

    testList
        "credentials"
        [
            test "secrets.set as root" {
                Expect.equal (statusOf (answer "set a")) 200 "set a"
                Expect.equal (statusOf (answer "set b")) 200 "set b"
            }
            test "temporary credentials (tc.createTemporaryCredentials) are accepted" {
                let a = answer "temp allowed"
                Expect.equal (statusOf a) 200 (text a "error")
                Expect.equal (secretValue a["body"]) "a" "the secret"
            }
            test "temporary credentials carry only their own scopes: 403 outside them" {
                let a = answer "temp denied"
                Expect.equal (statusOf a) 403 (text a "error")
                Expect.equal (text a "code") "InsufficientScopes" "error code"
            }
            test "named temporary credentials authenticate as their name" {
                let a = answer "named temp"
                Expect.equal (statusOf a) 200 (text a "error")

                let ids = lastRecord "secrets" "get" |> List.map (fun r -> r.ClientId)
                Expect.contains ids "interop/named-temp" "the emulator saw the named clientId"
            }
            test "auth.currentScopes with temporary credentials is exactly the certificate's scopes" {
                let a = answer "temp scopes"
                Expect.equal (statusOf a) 200 (text a "error")

                Expect.equal
                    (List.sort (scopesOf a))
                    [ "assume:anonymous"; "auth:current-scopes"; "interop:x:*" ]
                    "scopes (every client holds assume:anonymous)"
            }
            test "authorizedScopes: allowed" {
                let a = answer "authorized allowed"
                Expect.equal (statusOf a) 200 (text a "error")
                Expect.equal (secretValue a["body"]) "a" "the secret"
            }
            test "authorizedScopes: denied is 403" {
                let a = answer "authorized denied"
                Expect.equal (statusOf a) 403 (text a "error")
                Expect.equal (text a "code") "InsufficientScopes" "error code"
            }
            test "authorizedScopes restrict auth.currentScopes" {
                let a = answer "authorized current"
                Expect.equal (statusOf a) 200 (text a "error")

                Expect.equal
                    (List.sort (scopesOf a))
                    [ "assume:anonymous"; "auth:current-scopes"; "secrets:get:interop/a" ]
                    "scopes (every client holds assume:anonymous)"
            }
            for name in [ "signed root"; "signed temp"; "signed named temp" ] do
                test $"buildSignedUrl ({name}) fetched by a plain GET" {
                    let url = text (answer name) "url"
                    Expect.stringContains url "bewit=" "a bewit"
                    let status, body = fetch url
                    Expect.equal status 200 body
                    Expect.equal (secretValue (JsonNode.Parse body)) "a" "the secret"
                }
            test "buildSignedUrl with authorizedScopes outside them: 403" {
                let status, body = fetch (text (answer "signed denied") "url")
                Expect.equal status 403 body
            }
            test "a tampered bewit is refused with 401" {
                let url = text (answer "signed root") "url"
                let i = url.IndexOf "bewit=" + 10
                let flipped = if url[i] = 'A' then 'B' else 'A'

                let status, body =
                    fetch (url.Substring(0, i) + string flipped + url.Substring(i + 1))

                Expect.equal status 401 body
            }
        ]

let tests () =
    requireInstalled ()

    testList
        "api"
        [
            referenceTests ()
            scenarioTests ()
            testList "every shared method, as root" [ for pair in shared.Force() -> methodTest pair ]
        ]
