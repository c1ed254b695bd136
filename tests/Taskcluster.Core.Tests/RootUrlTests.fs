module Taskcluster.Core.Tests.RootUrlTests

open Expecto
open FsCheck
open FsCheck.FSharp
open Taskcluster.Core
open Taskcluster.Testing

let private parseOk text =
    match RootUrl.parse text with
    | Ok r -> r
    | Error e -> failtestf "root URL %s refused: %s" text (e.Describe())

// The vectors name functions as `taskcluster-lib-urls` spells them.
let private urlFunctions: Map<string, RootUrl -> System.Text.Json.JsonElement -> string> =
    let s name case = Vectors.get name Decode.string case

    Map
        [
            "api", (fun r c -> RootUrl.api r (s "service" c) (s "version" c) (s "path" c))
            "apiReference", (fun r c -> RootUrl.apiReference r (s "service" c) (s "version" c))
            "docs", (fun r c -> RootUrl.docs r (s "path" c))
            "exchangeReference", (fun r c -> RootUrl.exchangeReference r (s "service" c) (s "version" c))
            "schema", (fun r c -> RootUrl.schema r (s "service" c) (s "schema" c))
            "apiReferenceSchema", (fun r c -> RootUrl.apiReferenceSchema r (s "version" c))
            "exchangesReferenceSchema", (fun r c -> RootUrl.exchangesReferenceSchema r (s "version" c))
            "apiManifestSchema", (fun r c -> RootUrl.apiManifestSchema r (s "version" c))
            "metadataMetaschema", (fun r _ -> RootUrl.metadataMetaschema r)
            "ui", (fun r c -> RootUrl.ui r (s "path" c))
            "apiManifest", (fun r _ -> RootUrl.apiManifest r)
        ]

let vectorTests =
    Vectors.testCases "vectors (taskcluster-lib-urls)" "urls.json" (fun case ->
        let fn = Vectors.get "fn" Decode.string case
        let root = parseOk (Vectors.get "rootUrl" Decode.string case)

        if Vectors.expectsError case then
            // lib-urls has no such function (the manifest URL is `apiManifest` in JS and Python);
            // ours does not invent one either.
            Expect.isFalse (urlFunctions.ContainsKey fn) $"{fn} is rejected upstream"

            Expect.equal
                (RootUrl.apiManifest root)
                $"{root.Value}/references/manifest.json"
                "apiManifest is the real name"
        else
            match urlFunctions.TryFind fn with
            | Some f -> Expect.equal (f root case) (Vectors.get "result" Decode.string case) fn
            | None -> failtestf "no function %s" fn)

let parseTests =
    testList
        "parse"
        [
            testCase "normalises trailing and doubled slashes, case and default ports"
            <| fun () ->
                Expect.equal (parseOk "https://TC.Example.com//").Value "https://tc.example.com" "trimmed"
                Expect.equal (parseOk "http://localhost:8080/").Value "http://localhost:8080" "port kept"
                Expect.equal (parseOk "https://tc.example.com:443").Value "https://tc.example.com" "default port"
                Expect.equal (parseOk " https://tc.example.com ").Value "https://tc.example.com" "spaces"

            testCase "joins paths without doubled slashes"
            <| fun () ->
                let root = parseOk "https://tc.example.com/"

                Expect.equal
                    (RootUrl.api root "queue" "v1" "//task/x")
                    "https://tc.example.com/api/queue/v1/task/x"
                    "api"

            testCase "refuses what is not a root URL, naming the value"
            <| fun () ->
                let refused text expected =
                    match RootUrl.parse text with
                    | Ok r -> failtestf "%s accepted as %s" text r.Value
                    | Error e -> Expect.isTrue (expected e) $"{text}: {e.Describe()}"

                refused "" (fun e -> e = RootUrlError.Empty)
                refused null (fun e -> e = RootUrlError.Empty)
                refused "tc.example.com" (fun e -> e.Describe().Contains "tc.example.com")
                refused "/relative" (fun e -> e.Describe().Contains "/relative")
                refused "ftp://tc.example.com" (fun e -> e.Describe().Contains "ftp")
                refused "https://tc.example.com/api" (fun e -> e.Describe().Contains "/api")
                refused "https://tc.example.com?x=1" (fun e -> e.Describe().Contains "?x=1")
                refused "https://user:s3cret@tc.example.com" (fun e -> not (e.Describe().Contains "s3cret"))

            // Issue 11: one reading of hosts for root URLs and Hawk. System.Uri keeps
            // `127.0.0.1.`, `0x` and `[::ffff:1.2.3.4]` as written and takes `256.0.0.1` for a
            // DNS name, where WHATWG URL parsers (and so hawk's server) rewrite or refuse them.
            testCase "reads hosts as WHATWG URL parsers do, as Hawk does"
            <| fun () ->
                for written, serialised in UrlHostTests.rewritten do
                    Expect.equal
                        (RootUrl.parse $"http://{written}:8080" |> Result.map _.Value)
                        (Ok $"http://{serialised}:8080")
                        written

                for written, serialised in UrlHostTests.domains do
                    match RootUrl.parse $"https://{written}" with
                    | Ok root -> Expect.equal root.Value $"https://{serialised}" written
                    | Error _ -> () // System.Uri refuses some that WHATWG takes (`a..b`): refused, never rewritten

                for host in UrlHostTests.refused do
                    match RootUrl.parse $"https://{host}" with
                    | Ok root -> failtestf "%s accepted as %s" host root.Value
                    | Error e -> Expect.isNotEmpty (e.Describe()) host

            testPropertyWithConfig
                { FsCheckConfig.defaultConfig with
                    maxTest = 2_000
                }
                "an IPv4 address in any spelling becomes its dotted-decimal form"
            <| Prop.forAll (Arb.fromGen Requests.ipv4Spelling) (fun (spelled, dotted) ->
                RootUrl.parse $"http://{spelled}" |> Result.map _.Value = Ok $"http://{dotted}")

            testCase "testRootUrl parses"
            <| fun () -> Expect.equal (parseOk RootUrl.testRootUrl).Value RootUrl.testRootUrl "stable"
        ]

let tests = testList "RootUrl" [ vectorTests; parseTests ]
