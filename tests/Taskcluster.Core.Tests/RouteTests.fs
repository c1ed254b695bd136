module Taskcluster.Core.Tests.RouteTests

open System
open Expecto
open FsCheck
open FsCheck.FSharp
open Taskcluster.Core
open Taskcluster.Testing

let private config =
    { FsCheckConfig.defaultConfig with
        maxTest = 500
    }

// Lone surrogates from code units: the compiler replaces them in string literals.
let private high = string (char 0xD800)
let private low = string (char 0xDC00)

let private parseOk route =
    match Route.parse route with
    | Ok t -> t
    | Error e -> failtestf "%s refused: %s" route (e.Describe())

let private rootUrl text =
    match RootUrl.parse text with
    | Ok r -> r
    | Error e -> failtest (e.Describe())

// Arguments the JS client sends as they are but that we refuse (see `Route`'s documentation).
let private refusedByUs (arg: string) = arg = "" || arg = "." || arg = ".."

let vectorTests =
    Vectors.testCases "vectors (taskcluster-client buildUrl)" "api-urls.json" (fun case ->
        let reference = ReferenceTests.api (Vectors.get "service" Decode.string case)
        let methodName = Vectors.get "method" Decode.string case
        let args = Vectors.get "args" (Decode.list Decode.string) case

        let query =
            Vectors.tryGet "query" (Decode.keyValuePairs Decode.string) case
            |> Option.defaultValue []

        let root = rootUrl (Vectors.get "rootUrl" Decode.string case)
        let expected = Vectors.get "result" Decode.string case

        let entry =
            match Reference.tryFindEntry methodName reference with
            | Some e -> e
            | None -> failtestf "no method %s" methodName

        match args |> List.tryFindIndex refusedByUs with
        | None ->
            match Route.buildUrl root reference entry args query with
            | Ok url -> Expect.equal url expected "URL"
            | Error e -> failtest (e.Describe())
        | Some index ->
            // Ours refuses the argument, naming the parameter...
            let parameter = entry.Args[index]

            match Route.buildUrl root reference entry args query with
            | Error(RouteError.DotSegment(p, value)) ->
                Expect.equal p parameter "parameter named"
                Expect.equal value args[index] "value quoted"
            | Error(RouteError.EmptyArgument p) -> Expect.equal p parameter "parameter named"
            | other -> failtestf "expected a refusal, got %A" other

            // ...while the same encoding without that check gives the JS client's URL exactly.
            let template =
                match Route.ofEntry entry with
                | Ok t -> t
                | Error e -> failtest (e.Describe())

            let url =
                Route.renderAsJsClient template args
                |> Result.bind (fun path ->
                    Route.query entry.Query query
                    |> Result.map (fun q -> RootUrl.api root reference.ServiceName reference.ApiVersion path + q))

            Expect.equal url (Ok expected) "the JS client's URL")

// An oracle independent of our encoder: .NET escapes RFC 3986 reserved characters, and
// `encodeURIComponent` additionally keeps `! * ' ( )`.
let private oracle (text: string) =
    Uri
        .EscapeDataString(text)
        .Replace("%21", "!")
        .Replace("%2A", "*")
        .Replace("%27", "'")
        .Replace("%28", "(")
        .Replace("%29", ")")

let private encodeTests =
    testList
        "encodeUriComponent"
        [
            testCase "matches encodeURIComponent on known values"
            <| fun () ->
                let cases =
                    [
                        "abc", "abc"
                        "a b", "a%20b"
                        "a/b", "a%2Fb"
                        "%2F", "%252F"
                        "x?y#z", "x%3Fy%23z"
                        "p+q&r=s", "p%2Bq%26r%3Ds"
                        "café", "caf%C3%A9"
                        "😀", "%F0%9F%98%80"
                        "-_.!~*'()", "-_.!~*'()"
                        "\u0000\u007f", "%00%7F"
                        "\u0800", "%E0%A0%80"
                    ]

                for input, expected in cases do
                    Expect.equal (Route.encodeUriComponent input) (Ok expected) input

            testCase "lone surrogates are errors at their index"
            <| fun () ->
                Expect.equal (Route.encodeUriComponent ("ab" + high)) (Error 2) "high"
                Expect.equal (Route.encodeUriComponent low) (Error 0) "low"
                Expect.equal (Route.encodeUriComponent ("\U0001F600" + low)) (Error 2) "after a pair"

            testPropertyWithConfig config "agrees with an independent oracle on well-formed text"
            <| Prop.forAll (Arb.fromGen ReferenceGen.queryValue) (fun text ->
                Route.encodeUriComponent text = Ok(oracle text))

            testPropertyWithConfig config "decodes back to the input"
            <| Prop.forAll (Arb.fromGen ReferenceGen.queryValue) (fun text ->
                match Route.encodeUriComponent text with
                | Ok encoded -> Uri.UnescapeDataString encoded = text
                | Error _ -> false)
        ]

let private templateTests =
    testList
        "parse"
        [
            testCase "segments of a route template"
            <| fun () ->
                let t = parseOk "/task/<taskId>/runs/<runId>/artifacts/<name>"

                Expect.equal
                    t.Segments
                    [
                        RouteSegment.Literal "task"
                        RouteSegment.Parameter "taskId"
                        RouteSegment.Literal "runs"
                        RouteSegment.Parameter "runId"
                        RouteSegment.Literal "artifacts"
                        RouteSegment.Parameter "name"
                    ]
                    "segments"

                Expect.equal t.Parameters [ "taskId"; "runId"; "name" ] "parameters"
                Expect.equal (string t) "/task/<taskId>/runs/<runId>/artifacts/<name>" "text"
                Expect.equal t (parseOk "/task/<taskId>/runs/<runId>/artifacts/<name>") "equality"

            testCase "a trailing slash is an empty last segment and survives rendering"
            <| fun () ->
                let t = parseOk "/clients/"
                Expect.equal t.Segments [ RouteSegment.Literal "clients"; RouteSegment.Literal "" ] "segments"
                Expect.equal (Route.render t []) (Ok "/clients/") "rendered"
                Expect.equal (Route.render (parseOk "/") []) (Ok "/") "root"

            testCase "invalid templates are typed errors naming the route"
            <| fun () ->
                for route in
                    [
                        ""
                        "task/<id>"
                        "/task/x<id>"
                        "/task/<id>x"
                        "/task/<id"
                        "/task/<>"
                        "/<a>/<a>"
                        "/<<a>>"
                        null
                    ] do
                    match Route.parse route with
                    | Error(RouteError.InvalidTemplate(r, _) as e) ->
                        Expect.equal r (if isNull route then "" else route) "route named"
                        Expect.isNonEmpty (e.Describe()) "described"
                    | other -> failtestf "%s: %A" route other

            testPropertyWithConfig config "generated templates parse with their parameters"
            <| Prop.forAll (Arb.fromGen ReferenceGen.routeTemplate) (fun (route, parameters) ->
                match Route.parse route with
                | Ok t -> t.Parameters = parameters && t.Route = route
                | Error _ -> false)

            testPropertyWithConfig { config with maxTest = 1000 } "any text parses or is a typed error"
            <| fun (text: string) ->
                match Route.parse text with
                | Ok t -> t.Route = text
                | Error(RouteError.InvalidTemplate _) -> true
                | Error _ -> false
        ]

// The rendered path's segments after the leading `/`.
let private segmentsOf (path: string) = path.Substring(1).Split('/')

let private renderTests =
    let template = parseOk "/task/<taskId>/runs/<runId>"

    testList
        "render"
        [
            testCase "arguments are encoded into their segments"
            <| fun () ->
                Expect.equal (Route.render template [ "a/b"; "0" ]) (Ok "/task/a%2Fb/runs/0") "slash"

                Expect.equal
                    (Route.render template [ "%2F"; "x?y#z" ])
                    (Ok "/task/%252F/runs/x%3Fy%23z")
                    "percent, query, fragment"

            testCase "dot segments, empty and null arguments are refused, naming the parameter"
            <| fun () ->
                Expect.equal (Route.render template [ ".."; "0" ]) (Error(RouteError.DotSegment("taskId", ".."))) ".."
                Expect.equal (Route.render template [ "a"; "." ]) (Error(RouteError.DotSegment("runId", "."))) "."
                Expect.equal (Route.render template [ "a"; "" ]) (Error(RouteError.EmptyArgument "runId")) "empty"
                Expect.equal (Route.render template [ null; "0" ]) (Error(RouteError.NullArgument "taskId")) "null"

                match Route.render template [ ".."; "0" ] with
                | Error e -> Expect.stringContains (e.Describe()) "'..'" "quoted"
                | Ok _ -> ()

            testCase "lone surrogates are refused with the parameter and index"
            <| fun () ->
                Expect.equal
                    (Route.render template [ "ok"; "x" + high ])
                    (Error(RouteError.LoneSurrogate("runId", 1)))
                    "lone"

            testCase "the wrong number of arguments names the parameters"
            <| fun () ->
                match Route.render template [ "a" ] with
                | Error(RouteError.WrongArgumentCount(route, parameters, 1) as e) ->
                    Expect.equal route "/task/<taskId>/runs/<runId>" "route"
                    Expect.equal parameters [ "taskId"; "runId" ] "parameters"
                    Expect.stringContains (e.Describe()) "runId" "described"
                | other -> failtestf "%A" other

                Expect.isError (Route.render template [ "a"; "b"; "c" ]) "too many"

            testCase "named arguments: unknown, missing and duplicate names"
            <| fun () ->
                Expect.equal
                    (Route.renderNamed template [ "runId", "0"; "taskId", "a" ])
                    (Route.render template [ "a"; "0" ])
                    "any order"

                Expect.equal
                    (Route.renderNamed template [ "taskId", "a"; "runID", "0" ])
                    (Error(RouteError.UnknownArgument(template.Route, "runID")))
                    "unknown"

                Expect.equal
                    (Route.renderNamed template [ "taskId", "a" ])
                    (Error(RouteError.MissingArgument(template.Route, "runId")))
                    "missing"

                Expect.equal
                    (Route.renderNamed template [ "taskId", "a"; "taskId", "b"; "runId", "0" ])
                    (Error(RouteError.DuplicateArgument "taskId"))
                    "duplicate"

            testPropertyWithConfig config "each argument fills exactly its segment and decodes back, or is refused"
            <| Prop.forAll
                (Arb.fromGen (
                    gen {
                        let! route, parameters = ReferenceGen.routeTemplate
                        let! args = Gen.listOfLength parameters.Length ReferenceGen.argument
                        return parseOk route, args
                    }
                ))
                (fun (template, args) ->
                    let refused =
                        args
                        |> List.tryFindIndex (fun a -> refusedByUs a || not (ReferenceGen.isWellFormed a))

                    match Route.render template args, refused with
                    | Ok path, None ->
                        let segments = segmentsOf path
                        let mutable remaining = args

                        segments.Length = template.Segments.Length
                        && List.forall2
                            (fun (segment: RouteSegment) (rendered: string) ->
                                match segment with
                                | RouteSegment.Literal text -> rendered = text
                                | RouteSegment.Parameter _ ->
                                    let arg = List.head remaining
                                    remaining <- List.tail remaining
                                    Uri.UnescapeDataString rendered = arg)
                            template.Segments
                            (List.ofArray segments)
                    | Error(RouteError.EmptyArgument p), Some i
                    | Error(RouteError.DotSegment(p, _)), Some i
                    | Error(RouteError.LoneSurrogate(p, _)), Some i -> p = template.Parameters[i]
                    | _ -> false)

            testPropertyWithConfig config "hostile arguments never move the path, even after URL normalisation"
            <| Prop.forAll
                (Arb.fromGen (
                    gen {
                        let! route, parameters = ReferenceGen.routeTemplate
                        let! args = Gen.listOfLength parameters.Length ReferenceGen.hostileArgument
                        return parseOk route, args
                    }
                ))
                (fun (template, args) ->
                    match Route.render template args with
                    | Ok path ->
                        // System.Uri removes dot segments and unescapes what is safe to unescape.
                        let normalised = Uri("https://tc.example.com" + path).AbsolutePath
                        let segments = segmentsOf normalised

                        segments.Length = template.Segments.Length
                        && List.forall2
                            (fun (segment: RouteSegment) (rendered: string) ->
                                match segment with
                                | RouteSegment.Literal text -> rendered = text
                                | RouteSegment.Parameter _ -> rendered <> "" && rendered <> "." && rendered <> "..")
                            template.Segments
                            (List.ofArray segments)
                    | Error(RouteError.EmptyArgument _)
                    | Error(RouteError.DotSegment _)
                    | Error(RouteError.LoneSurrogate _) -> true
                    | Error _ -> false)

            testPropertyWithConfig config "named rendering agrees with positional rendering"
            <| Prop.forAll
                (Arb.fromGen (
                    gen {
                        let! route, parameters = ReferenceGen.routeTemplate
                        let! args = Gen.listOfLength parameters.Length ReferenceGen.argument
                        let! order = Gen.shuffle (List.zip parameters args)
                        return parseOk route, args, List.ofArray order
                    }
                ))
                (fun (template, args, named) -> Route.renderNamed template named = Route.render template args)
        ]

// Splits a rendered query string back into pairs (an independent parser).
let private parseQuery (query: string) =
    if query = "" then
        []
    else
        query.Substring(1).Split('&')
        |> Array.map (fun pair ->
            let i = pair.IndexOf '='
            Uri.UnescapeDataString(pair.Substring(0, i)), Uri.UnescapeDataString(pair.Substring(i + 1)))
        |> List.ofArray

let private queryTests =
    testList
        "query"
        [
            testCase "names and values encoded, in the order given"
            <| fun () ->
                Expect.equal
                    (Route.query [ "limit"; "continuationToken" ] [ "continuationToken", "tok en"; "limit", "5" ])
                    (Ok "?continuationToken=tok%20en&limit=5")
                    "given order"

                Expect.equal
                    (Route.query [ "limit"; "continuationToken" ] [ "limit", "5"; "continuationToken", "tok en" ])
                    (Ok "?limit=5&continuationToken=tok%20en")
                    "other order"

                Expect.equal (Route.query [ "limit" ] []) (Ok "") "nothing"
                Expect.equal (Route.query [ "limit" ] [ "limit", "" ]) (Ok "?limit=") "empty value"

            testCase "unknown, duplicate and null parameters are typed errors"
            <| fun () ->
                match Route.query [ "limit" ] [ "limt", "5" ] with
                | Error(RouteError.UnknownQueryParameter("limt", [ "limit" ]) as e) ->
                    Expect.stringContains (e.Describe()) "'limt'" "quoted"
                | other -> failtestf "%A" other

                Expect.equal
                    (Route.query [] [ "limit", "5" ])
                    (Error(RouteError.UnknownQueryParameter("limit", [])))
                    "none accepted"

                Expect.equal
                    (Route.query [ "limit" ] [ "limit", "5"; "limit", "6" ])
                    (Error(RouteError.DuplicateQueryParameter "limit"))
                    "duplicate"

                Expect.equal
                    (Route.query [ "limit" ] [ "limit", null ])
                    (Error(RouteError.NullQueryValue "limit"))
                    "null"

                Expect.equal
                    (Route.query [ "limit" ] [ "limit", "a" + low ])
                    (Error(RouteError.LoneSurrogateInQuery("limit", 1)))
                    "lone surrogate"

            testPropertyWithConfig config "any names and values give a query or a typed error"
            <| fun (pairs: (string * string) list) ->
                let allowed = pairs |> List.map fst |> List.filter (fun n -> not (isNull n))

                match Route.query allowed pairs with
                | Ok q -> q = "" = pairs.IsEmpty
                | Error(RouteError.UnknownQueryParameter _)
                | Error(RouteError.DuplicateQueryParameter _)
                | Error(RouteError.NullQueryValue _)
                | Error(RouteError.LoneSurrogateInQuery _) -> true
                | Error _ -> false

            testPropertyWithConfig config "round-trips through an independent parser"
            <| Prop.forAll (Arb.fromGen ReferenceGen.queryParameters) (fun (allowed, pairs) ->
                match Route.query allowed pairs with
                | Ok q -> parseQuery q = pairs && (pairs.IsEmpty = (q = ""))
                | Error _ -> false)

            testPropertyWithConfig config "never leaves the query: no raw '#', '&' or '=' inside names and values"
            <| Prop.forAll (Arb.fromGen ReferenceGen.queryParameters) (fun (allowed, pairs) ->
                match Route.query allowed pairs with
                | Ok q ->
                    not (q.Contains '#')
                    && (q = "" || q.Substring(1).Split('&').Length = pairs.Length)
                    && q.Split('&') |> Array.forall (fun p -> p = "" || p.Split('=').Length = 2)
                | Error _ -> false)
        ]

let private urlTests =
    testList
        "buildUrl"
        [
            testCase "unknown query names are refused for a real method"
            <| fun () ->
                let queue = ReferenceTests.api "Queue"

                let entry =
                    match Reference.tryFindEntry "listTaskGroup" queue with
                    | Some e -> e
                    | None -> failtest "listTaskGroup"

                match Route.buildUrl (rootUrl "https://tc.example.com") queue entry [ "g" ] [ "page", "2" ] with
                | Error(RouteError.UnknownQueryParameter("page", allowed)) ->
                    Expect.equal allowed entry.Query "allowed names"
                | other -> failtestf "%A" other

            testCase "an entry whose args disagree with its route is refused"
            <| fun () ->
                let queue = ReferenceTests.api "Queue"

                let entry =
                    match Reference.tryFindEntry "task" queue with
                    | Some e -> { e with Args = [ "other" ] }
                    | None -> failtest "task"

                match Route.buildUrl (rootUrl "https://tc.example.com") queue entry [ "x" ] [] with
                | Error(RouteError.InvalidTemplate _) -> ()
                | other -> failtestf "%A" other
        ]

let tests =
    testList "Route" [ vectorTests; encodeTests; templateTests; renderTests; queryTests; urlTests ]
