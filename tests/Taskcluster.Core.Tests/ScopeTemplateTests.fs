module Taskcluster.Core.Tests.ScopeTemplateTests

open System.IO
open Expecto
open FsCheck
open FsCheck.FSharp
open Taskcluster.Core
open Taskcluster.Testing

let private config =
    { FsCheckConfig.defaultConfig with
        maxTest = 500
    }

let private parse text =
    match ScopeTemplate.parse text with
    | Ok t -> t
    | Error e -> failtestf "template refused: %s" (e.Describe())

let private s = ScopeExpression.Scope
let private str (value: string) = Json.String value
let private strs (values: string list) = Json.Array(List.map Json.String values)

/// Every `scopes` field of the API references, with the entry's name.
let private referenceTemplates =
    lazy
        (let text =
            File.ReadAllText(Vectors.sharedFile (Path.Combine("taskcluster", "references.json")))

         let documents =
             match Decode.fromString (Decode.list (Decode.field "content" Decode.json)) text with
             | Ok d -> d
             | Error e -> failtestf "references.json: %s" (e.Describe())

         [
             for document in documents do
                 match document with
                 | Json.Object members ->
                     match List.tryFind (fst >> (=) "entries") members with
                     | Some(_, Json.Array entries) ->
                         for entry in entries do
                             match entry with
                             | Json.Object fields ->
                                 match List.tryFind (fst >> (=) "scopes") fields with
                                 | Some(_, scopes) ->
                                     let name =
                                         match List.tryFind (fst >> (=) "name") fields with
                                         | Some(_, Json.String n) -> n
                                         | _ -> "?"

                                     yield name, scopes
                                 | None -> ()
                             | _ -> ()
                     | _ -> ()
                 | _ -> ()
         ])

let rec private canonical (json: Json) =
    match json with
    | Json.Object members -> Json.Object(members |> List.map (fun (k, v) -> k, canonical v) |> List.sortBy fst)
    | Json.Array items -> Json.Array(List.map canonical items)
    | other -> other

/// A value of the right kind for every parameter, as a service would pass them.
let private sampleParameters (template: ScopeTemplate) (flag: bool) =
    Map
        [
            for name, kind in ScopeTemplate.parameters template ->
                name,
                match kind with
                | TemplateParameterKind.String -> str $"v-{name}"
                | TemplateParameterKind.StringList -> strs [ $"{name}-1"; $"{name}-2" ]
                | TemplateParameterKind.Boolean -> Json.Bool flag
        ]

let private referenceTests =
    testList
        "API references"
        [
            testCase "every scopes field decodes, re-encodes and renders"
            <| fun () ->
                let templates = referenceTemplates.Force()
                Expect.isGreaterThan templates.Length 50 "the references hold scope templates"

                for name, json in templates do
                    match ScopeTemplate.ofJson json with
                    | Error e -> failtestf "%s: %s" name (e.Describe())
                    | Ok t ->
                        Expect.equal (canonical (ScopeTemplate.toJson t)) (canonical json) $"{name} re-encodes"
                        Expect.equal (ScopeTemplate.parse (string t)) (Ok t) $"{name} parses back"

                        for flag in [ true; false ] do
                            match ScopeTemplate.render (sampleParameters t flag) t with
                            | Ok e -> Expect.isTrue (Scope.validExpression e) $"{name} renders valid scopes"
                            | Error e -> failtestf "%s: %s" name (e.Describe())

            testCase "createTask renders loops, literals and nested AnyOf"
            <| fun () ->
                let t =
                    parse
                        """{"AllOf": [{"each": "<scope>", "for": "scope", "in": "scopes"},
                                    {"each": "queue:route:<route>", "for": "route", "in": "routes"},
                                    "queue:create-task:project:<projectId>", "queue:scheduler-id:<schedulerId>",
                                    {"AnyOf": [{"each": "queue:create-task:<priority>:<provisionerId>/<workerType>",
                                                "for": "priority", "in": "priorities"}]}]}"""

                Expect.equal
                    (ScopeTemplate.parameters t)
                    [
                        "scopes", TemplateParameterKind.StringList
                        "routes", TemplateParameterKind.StringList
                        "projectId", TemplateParameterKind.String
                        "schedulerId", TemplateParameterKind.String
                        "priorities", TemplateParameterKind.StringList
                        "provisionerId", TemplateParameterKind.String
                        "workerType", TemplateParameterKind.String
                    ]
                    "parameters in order of use, loop variables bound"

                let parameters =
                    Map
                        [
                            "scopes", strs [ "a"; "b:*" ]
                            "routes", strs [ "index.x" ]
                            "projectId", str "proj"
                            "schedulerId", str "sched"
                            "priorities", strs [ "high"; "low" ]
                            "provisionerId", str "prov"
                            "workerType", Json.Integer 3L
                        ]

                Expect.equal
                    (ScopeTemplate.render parameters t)
                    (Ok(
                        ScopeExpression.AllOf
                            [
                                s "a"
                                s "b:*"
                                s "queue:route:index.x"
                                s "queue:create-task:project:proj"
                                s "queue:scheduler-id:sched"
                                ScopeExpression.AnyOf
                                    [ s "queue:create-task:high:prov/3"; s "queue:create-task:low:prov/3" ]
                            ]
                    ))
                    "rendered"

            testCase "if/then/else picks a branch"
            <| fun () ->
                let t =
                    parse
                        """{"if": "levelIsReadOnly",
                          "then": {"AnyOf": ["auth:aws-s3:read-only:<bucket>/<prefix>", "auth:aws-s3:read-write:<bucket>/<prefix>"]},
                          "else": "auth:aws-s3:read-write:<bucket>/<prefix>"}"""

                let withLevel flag =
                    Map [ "levelIsReadOnly", Json.Bool flag; "bucket", str "b"; "prefix", str "p/" ]

                Expect.equal
                    (ScopeTemplate.render (withLevel true) t)
                    (Ok(ScopeExpression.AnyOf [ s "auth:aws-s3:read-only:b/p/"; s "auth:aws-s3:read-write:b/p/" ]))
                    "then"

                Expect.equal (ScopeTemplate.render (withLevel false) t) (Ok(s "auth:aws-s3:read-write:b/p/")) "else"

                Expect.equal
                    (ScopeTemplate.parameterNames t)
                    [ "levelIsReadOnly"; "bucket"; "prefix" ]
                    "the condition first"
        ]

let private formTests =
    testList
        "forms"
        [
            testCase "a false if without else requires nothing at the root and is dropped in lists"
            <| fun () ->
                let root = parse """{"if": "p", "then": "a"}"""

                Expect.equal
                    (ScopeTemplate.render (Map [ "p", Json.Bool false ]) root)
                    (Ok(ScopeExpression.AllOf []))
                    "root"

                Expect.equal (ScopeTemplate.render (Map [ "p", Json.Bool true ]) root) (Ok(s "a")) "true"

                // As in the API library: the dropped branch leaves the AnyOf to the others.
                let inList = parse """{"AnyOf": [{"if": "p", "then": "a"}, "b"]}"""

                Expect.equal
                    (ScopeTemplate.render (Map [ "p", Json.Bool false ]) inList)
                    (Ok(ScopeExpression.AnyOf [ s "b" ]))
                    "dropped"

            testCase "a loop over an empty list adds nothing"
            <| fun () ->
                let empty = Map [ "xs", strs [] ]

                Expect.equal
                    (ScopeTemplate.render empty (parse """{"AllOf": [{"for": "x", "in": "xs", "each": "q:<x>"}]}"""))
                    (Ok(ScopeExpression.AllOf []))
                    "AllOf [] is always satisfied"

                Expect.equal
                    (ScopeTemplate.render empty (parse """{"AnyOf": [{"for": "x", "in": "xs", "each": "q:<x>"}]}"""))
                    (Ok(ScopeExpression.AnyOf []))
                    "AnyOf [] never is"

            testCase "only <identifier> is a placeholder"
            <| fun () ->
                let t = parse "\"a:<..>:<not-a-name>:<_x>:<x1>:<<y>>\""
                Expect.equal (ScopeTemplate.parameterNames t) [ "x1"; "y" ] "placeholders"

                Expect.equal
                    (ScopeTemplate.render (Map [ "x1", str "X"; "y", Json.Number 1.5 ]) t)
                    (Ok(s "a:<..>:<not-a-name>:<_x>:X:<1.5>"))
                    "rendered"

            testCase "a loop variable shadows a parameter of the same name"
            <| fun () ->
                let t = parse """{"AllOf": ["<x>", {"for": "x", "in": "xs", "each": "in:<x>"}]}"""
                Expect.equal (ScopeTemplate.parameterNames t) [ "x"; "xs" ] "both listed"

                Expect.equal
                    (ScopeTemplate.render (Map [ "x", str "out"; "xs", strs [ "1" ] ]) t)
                    (Ok(ScopeExpression.AllOf [ s "out"; s "in:1" ]))
                    "inner binding"
        ]

let private errorTests =
    let t =
        parse
            """{"AllOf": ["queue:get-task:<taskId>", {"for": "scope", "in": "scopes", "each": "<scope>"},
                          {"if": "force", "then": "x"}]}"""

    let complete =
        Map [ "taskId", str "abc"; "scopes", strs [ "a"; "b" ]; "force", Json.Bool true ]

    let renderWith (name: string) value =
        ScopeTemplate.render (complete.Add(name, value)) t

    testList
        "errors"
        [
            testCase "each parameter problem is a typed error naming the parameter"
            <| fun () ->
                Expect.isOk (ScopeTemplate.render complete t) "complete"

                Expect.equal
                    (ScopeTemplate.render (complete.Remove "taskId") t)
                    (Error(ScopeTemplateError.MissingParameter "taskId"))
                    "missing string"

                Expect.equal
                    (ScopeTemplate.render (complete.Remove "scopes") t)
                    (Error(ScopeTemplateError.MissingParameter "scopes"))
                    "missing list"

                Expect.equal
                    (ScopeTemplate.render (complete.Remove "force") t)
                    (Error(ScopeTemplateError.MissingParameter "force"))
                    "missing boolean"

                Expect.equal
                    (renderWith "taskId" (Json.Bool true))
                    (Error(
                        ScopeTemplateError.WrongParameterType("taskId", TemplateParameterKind.String, Json.Bool true)
                    ))
                    "non-string"

                Expect.equal
                    (renderWith "scopes" (str "a"))
                    (Error(ScopeTemplateError.WrongParameterType("scopes", TemplateParameterKind.StringList, str "a")))
                    "non-list"

                Expect.equal
                    (renderWith "scopes" (Json.Array [ str "a"; Json.Null ]))
                    (Error(ScopeTemplateError.WrongParameterType("scopes[1]", TemplateParameterKind.String, Json.Null)))
                    "non-string item"

                Expect.equal
                    (renderWith "force" (str "true"))
                    (Error(ScopeTemplateError.WrongParameterType("force", TemplateParameterKind.Boolean, str "true")))
                    "non-boolean"

                Expect.equal
                    (renderWith "taskId" (str "caf\u00e9"))
                    (Error(ScopeTemplateError.InvalidScope("taskId", "queue:get-task:caf\u00e9")))
                    "invalid character"

                Expect.equal
                    (renderWith "scopes" (strs [ "ok"; "tab\t" ]))
                    (Error(ScopeTemplateError.InvalidScope("scopes[1]", "tab\t")))
                    "invalid item"

            testCase "Describe names the parameter and quotes the value on one line"
            <| fun () ->
                match renderWith "taskId" (str "new\nline") with
                | Error e ->
                    let text = e.Describe()
                    Expect.stringContains text "'taskId'" "named"
                    Expect.stringContains text "new\\nline" "quoted"
                    Expect.isFalse (text.Contains "\n") "one line"
                | Ok x -> failtestf "rendered %A" x

            testCase "templates that break the rules are refused with a path"
            <| fun () ->
                let refused (text: string) (path: string) (mentions: string) =
                    match ScopeTemplate.parse text with
                    | Error(ScopeTemplateError.InvalidTemplate e) ->
                        Expect.equal e.Path path text
                        Expect.stringContains (e.Describe()) mentions text
                    | other -> failtestf "%s gave %A" text other

                refused """{"for": "x", "in": "xs", "each": "<x>"}""" "$" "AllOf or AnyOf"
                refused """{"AllOf": [{"for": "1x", "in": "xs", "each": "<x>"}]}""" "$.AllOf[0].for" "1x"
                refused """{"AllOf": [{"for": "x", "in": "xs", "each": {"AllOf": []}}]}""" "$.AllOf[0].each" "a string"
                refused """{"if": "p", "then": {"for": "x", "in": "xs", "each": "a"}}""" "$.then" "AllOf or AnyOf"
                refused """{"if": "p", "then": "a", "extra": 1}""" "$" "extra"
                refused """{"AllOf": ["<x>", {"if": "x", "then": "a"}]}""" "$.AllOf" "'x'"
                refused """{"AllOf": [{"for": "i", "in": "xs", "each": "a"}, "<xs>"]}""" "$.AllOf" "'xs'"
                refused """{"AnyOf": ["ok", "caf\u00e9"]}""" "$.AnyOf[1]" "caf"
                refused """{"AnyOf": "a"}""" "$.AnyOf" "an array"
                refused "3" "$" "a number"

            testCase "create checks templates built in code"
            <| fun () ->
                let bad = ScopeTemplateNode.If("p", ScopeTemplateNode.For("x", "xs", "a"), None)

                match ScopeTemplate.create bad with
                | Error(ScopeTemplateError.InvalidTemplate e) -> Expect.equal e.Path "$.then" "path"
                | other -> failtestf "got %A" other

                Expect.isError (ScopeTemplate.create Unchecked.defaultof<_>) "null"

                Expect.isError
                    (ScopeTemplate.create (
                        ScopeTemplateNode.AllOf [ ScopeTemplateNode.AnyOf [ Unchecked.defaultof<_> ] ]
                    ))
                    "null inside"

                let mutable deep = ScopeTemplateNode.Pattern "a"

                for _ in 1..100_000 do
                    deep <- ScopeTemplateNode.AnyOf [ deep ]

                Expect.isError (ScopeTemplate.create deep) "too deep"
        ]

let private propertyTests =
    let generated = Arb.fromGen Scopes.templateWithParameters

    testList
        "laws"
        [
            testPropertyWithConfig config "rendering with every parameter gives valid scopes"
            <| Prop.forAll generated (fun (t, parameters) ->
                match ScopeTemplate.render parameters t with
                | Ok e -> Scope.validExpression e
                | Error _ -> false)

            testPropertyWithConfig config "a missing parameter is reported by name, or not needed"
            <| Prop.forAll generated (fun (t, parameters) ->
                ScopeTemplate.parameterNames t
                |> List.forall (fun name ->
                    match ScopeTemplate.render (parameters.Remove name) t with
                    | Ok _ -> true
                    | Error(ScopeTemplateError.MissingParameter n) -> n = name
                    | Error _ -> false))

            testPropertyWithConfig config "a value of the wrong kind is reported by name and kind, or not needed"
            <| Prop.forAll generated (fun (t, parameters) ->
                ScopeTemplate.parameters t
                |> List.forall (fun (name, kind) ->
                    match ScopeTemplate.render (parameters.Add(name, Json.Object [])) t with
                    | Ok _ -> true
                    | Error(ScopeTemplateError.WrongParameterType(n, k, _)) -> n = name && k = kind
                    | Error _ -> false))

            testPropertyWithConfig config "a value that is no scope text is reported by name, or not needed"
            <| Prop.forAll generated (fun (t, parameters) ->
                ScopeTemplate.parameters t
                |> List.filter (snd >> (=) TemplateParameterKind.String)
                |> List.forall (fun (name, _) ->
                    match ScopeTemplate.render (parameters.Add(name, str "\u0001")) t with
                    | Ok _ -> true
                    | Error(ScopeTemplateError.InvalidScope(n, scope)) -> n = name && scope.Contains "\u0001"
                    | Error _ -> false))

            testPropertyWithConfig config "parameters are those the generator supplies, with their kinds"
            <| Prop.forAll generated (fun (t, parameters) ->
                ScopeTemplate.parameters t
                |> List.forall (fun (name, kind) ->
                    match parameters.TryFind name, kind with
                    | Some(Json.String _), TemplateParameterKind.String
                    | Some(Json.Array _), TemplateParameterKind.StringList
                    | Some(Json.Bool _), TemplateParameterKind.Boolean -> true
                    | _ -> false))

            testPropertyWithConfig config "a loop gives one scope per item"
            <| Prop.forAll (Arb.fromGen (Gen.listOf Scopes.plainScope)) (fun items ->
                let t = parse """{"AllOf": [{"for": "x", "in": "xs", "each": "p:<x>"}]}"""

                ScopeTemplate.render (Map [ "xs", strs items ]) t = Ok(
                    ScopeExpression.AllOf [ for i in items -> s ("p:" + i) ]
                ))

            testPropertyWithConfig config "templates round-trip through JSON"
            <| Prop.forAll (Arb.fromGen Scopes.template) (fun t ->
                ScopeTemplate.ofJson (ScopeTemplate.toJson t) = Ok t
                && ScopeTemplate.parse (string t) = Ok t)

            testPropertyWithConfig config "hostile JSON is a typed error or a template, never an exception"
            <| Prop.forAll (Arb.fromGen ScopeTests.hostileJson) (fun json ->
                match ScopeTemplate.ofJson json, ScopeTemplate.parse (Encode.toString json) with
                | Ok a, Ok b -> a = b
                | Error a, Error b -> a.Describe().Length > 0 && b.Describe().Length > 0
                | _ -> false)

            testPropertyWithConfig config "hostile text never throws"
            <| fun (text: string) ->
                match ScopeTemplate.parse text with
                | Ok _ -> true
                | Error e -> e.Describe().Length > 0

            testPropertyWithConfig config "hostile parameters never throw"
            <| Prop.forAll
                (Arb.fromGen (Gen.zip Scopes.template (Gen.listOf ScopeTests.hostileJson)))
                (fun (t, values) ->
                    let names = ScopeTemplate.parameterNames t

                    let parameters =
                        Map(List.zip (List.truncate values.Length names) (List.truncate names.Length values))

                    match ScopeTemplate.render parameters t with
                    | Ok e -> Scope.validExpression e
                    | Error e -> e.Describe().Length > 0)

            testCase "deep or huge input is a typed error"
            <| fun () ->
                let deep =
                    String.replicate 10_000 "{\"AnyOf\":[" + "\"a\"" + String.replicate 10_000 "]}"

                Expect.isError (ScopeTemplate.parse deep) "deep"

                let mutable nested = Json.String "a"

                for _ in 1..1000 do
                    nested <- Json.Object [ "AllOf", Json.Array [ nested ] ]

                Expect.isError (ScopeTemplate.ofJson nested) "deep tree"
                let wide = "{\"AllOf\":[" + String.replicate 100_000 "\"<a>\"," + "{}]}"
                Expect.isError (ScopeTemplate.parse wide) "wide with a bad element"
        ]

let tests =
    testList "ScopeTemplate" [ referenceTests; formTests; errorTests; propertyTests ]
