module Taskcluster.Core.Tests.RoutingKeyTests

open System
open System.Text
open Expecto
open FsCheck
open FsCheck.FSharp
open Taskcluster.Core
open Taskcluster.Testing

let private config =
    { FsCheckConfig.defaultConfig with
        maxTest = 500
    }

let private exchangeEntry (className: string) (name: string) =
    let reference = ReferenceTests.exchanges className

    match Reference.tryFindExchange name reference with
    | Some e -> reference, e
    | None -> failtestf "no exchange %s.%s" className name

let private patternDecoder =
    Decode.oneOf
        [
            Decode.string |> Decode.map BindingPattern.Verbatim
            Decode.keyValuePairs Decode.string
            |> Decode.map (Map.ofList >> BindingPattern.Values)
        ]

let vectorTests =
    Vectors.testCases "vectors (taskcluster-client exchange methods)" "bindings.json" (fun case ->
        let reference, entry =
            exchangeEntry (Vectors.get "service" Decode.string case) (Vectors.get "exchange" Decode.string case)

        let pattern = Vectors.get "pattern" patternDecoder case
        let result = RoutingKey.binding reference entry pattern
        let strict = RoutingKey.bindingStrict reference entry pattern

        let unknown =
            match pattern with
            | BindingPattern.Values values ->
                values.Keys
                |> Seq.tryFind (fun k -> not (entry.RoutingKey |> List.exists (fun p -> p.Name = k)))
            | BindingPattern.Verbatim _ -> None

        if Vectors.expectsError case then
            match result with
            | Error(RoutingKeyError.DotInSingleWordPart(part, value) as e) ->
                Expect.isFalse
                    (entry.RoutingKey |> List.exists (fun p -> p.Name = part && p.MultipleWords))
                    "single-word part"

                Expect.stringContains (e.Describe()) value "quoted"
            | other -> failtestf "expected an error, got %A" other

            Expect.isError strict "strict refuses too"
        else
            let expected =
                Vectors.get
                    "result"
                    (Decode.object (fun get ->
                        get.Required "exchange" Decode.string, get.Required "routingKeyPattern" Decode.string))
                    case

            match result with
            | Ok b ->
                Expect.equal (b.Exchange, b.RoutingKeyPattern) expected "binding"
                Expect.equal b.RoutingKeyReference entry.RoutingKey "reference for parsing"
            | Error e -> failtest (e.Describe())

            // The JS client ignores names that are not parts; the strict variant names them instead.
            match unknown, strict with
            | None, Ok b -> Expect.equal (b.Exchange, b.RoutingKeyPattern) expected "strict agrees"
            | Some name, Error(RoutingKeyError.UnknownPart(part, known)) ->
                Expect.equal part name "unknown part named"
                Expect.equal known (entry.RoutingKey |> List.map (fun p -> p.Name)) "known parts listed"
            | _, other -> failtestf "strict: %A" other)

// The token each part contributes to a pattern, computed apart from the module.
let private expectedToken (values: Map<string, string>) (part: RoutingKeyPart) =
    match part.Constant, values.TryFind part.Name with
    | Some c, _ -> c
    | None, Some v -> v
    | None, None -> if part.MultipleWords then "#" else "*"

let private patternTests =
    let reference, taskDefined = exchangeEntry "QueueEvents" "taskDefined"

    testList
        "pattern"
        [
            testCase "constants win over given values, as in the JS client"
            <| fun () ->
                Expect.equal
                    (RoutingKey.pattern taskDefined (Map [ "routingKeyKind", "other"; "taskId", "t" ]))
                    (Ok "primary.t.*.*.*.*.*.*.*.#")
                    "constant kept"

            testCase "'#' is refused for a single-word part but allowed for a multi-word one"
            <| fun () ->
                Expect.equal
                    (RoutingKey.pattern taskDefined (Map [ "taskId", "#" ]))
                    (Error(RoutingKeyError.MultiWordWildcardInSingleWordPart "taskId"))
                    "single"

                Expect.equal
                    (RoutingKey.pattern taskDefined (Map [ "reserved", "#"; "taskId", "*" ]))
                    (Ok "primary.*.*.*.*.*.*.*.*.#")
                    "multi"

            testCase "null values and a null verbatim pattern match everything, as missing ones do in JS"
            <| fun () ->
                let everything =
                    RoutingKey.binding reference taskDefined (BindingPattern.Values Map.empty)

                Expect.equal
                    (RoutingKey.binding reference taskDefined (BindingPattern.Verbatim null))
                    everything
                    "null pattern"

                Expect.equal
                    (RoutingKey.binding reference taskDefined (BindingPattern.Values(Map [ "taskId", null ])))
                    everything
                    "null value"

            testCase "strict patterns name unknown parts"
            <| fun () ->
                match RoutingKey.patternStrict taskDefined (Map [ "taskID", "t" ]) with
                | Error(RoutingKeyError.UnknownPart("taskID", _) as e) ->
                    Expect.stringContains (e.Describe()) "'taskID'" "quoted"
                | other -> failtestf "%A" other

            testPropertyWithConfig
                config
                "exactly one word, '*' or '#' per part (the multi-word part's words in its place)"
            <| Prop.forAll
                (Arb.fromGen (
                    gen {
                        let! entry = ReferenceGen.exchangeEntry
                        let! values = ReferenceGen.patternValues entry
                        return entry, values
                    }
                ))
                (fun (entry, values) ->
                    match RoutingKey.pattern entry values with
                    | Error _ -> false
                    | Ok pattern ->
                        let words = pattern.Split('.')
                        let parts = Array.ofList entry.RoutingKey

                        match parts |> Array.tryFindIndex (fun p -> p.MultipleWords) with
                        | None ->
                            parts.Length = 0 && pattern = ""
                            || words.Length = parts.Length
                               && Array.forall2 (fun p w -> w = expectedToken values p) parts words
                        | Some at ->
                            let after = parts.Length - at - 1
                            let middle = words.Length - at - after

                            middle >= 1
                            && Seq.forall (fun i -> words[i] = expectedToken values parts[i]) [ 0 .. at - 1 ]
                            && String.Join('.', words, at, middle) = expectedToken values parts[at]
                            && Seq.forall
                                (fun j -> words[at + middle + j - 1] = expectedToken values parts[at + j])
                                [ 1..after ])

            testPropertyWithConfig config "a dot in a single-word value is always an error naming the part"
            <| Prop.forAll
                (Arb.fromGen (
                    gen {
                        let! entry =
                            ReferenceGen.exchangeEntry
                            |> Gen.filter (fun e ->
                                e.RoutingKey |> List.exists (fun p -> not p.MultipleWords && p.Constant.IsNone))

                        let candidates =
                            entry.RoutingKey
                            |> List.filter (fun p -> not p.MultipleWords && p.Constant.IsNone)

                        let! part = Gen.elements candidates
                        let! a = ReferenceGen.routingKeyWord
                        let! b = ReferenceGen.routingKeyWord
                        return entry, part.Name, $"{a}.{b}"
                    }
                ))
                (fun (entry, name, value) ->
                    RoutingKey.pattern entry (Map [ name, value ]) = Error(
                        RoutingKeyError.DotInSingleWordPart(name, value)
                    ))
        ]

let private concreteTests =
    let _, taskDefined = exchangeEntry "QueueEvents" "taskDefined"
    let _, notify = exchangeEntry "NotifyEvents" "notify"

    let values =
        Map
            [
                "taskId", "abc"
                "provisionerId", "prov"
                "workerType", "wt"
                "schedulerId", "sched"
                "taskGroupId", "group"
            ]

    testList
        "concrete keys"
        [
            testCase "render fills constants and '_' for missing optional parts"
            <| fun () ->
                Expect.equal
                    (RoutingKey.render taskDefined values)
                    (Ok "primary.abc._._._.prov.wt.sched.group._")
                    "task-defined"

            testCase "parse gives the parts back"
            <| fun () ->
                let expected =
                    values
                    |> Map.add "routingKeyKind" "primary"
                    |> Map.add "runId" "_"
                    |> Map.add "workerGroup" "_"
                    |> Map.add "workerId" "_"
                    |> Map.add "reserved" "_"

                Expect.equal
                    (RoutingKey.parse taskDefined "primary.abc._._._.prov.wt.sched.group._")
                    (Ok expected)
                    "parsed"

            testCase "a multi-word part takes the words between the single-word ones"
            <| fun () ->
                Expect.equal
                    (RoutingKey.parse notify "primary.a.b.c")
                    (Ok(Map [ "routingKeyKind", "primary"; "topic", "a.b.c" ]))
                    "topic"

                Expect.equal
                    (RoutingKey.parse notify "primary")
                    (Ok(Map [ "routingKeyKind", "primary"; "topic", "" ]))
                    "no words, as JS gives ''"

            testCase "typed errors: missing required part, dots, constants, unknown parts, word counts"
            <| fun () ->
                Expect.equal
                    (RoutingKey.render taskDefined (Map.remove "taskId" values))
                    (Error(RoutingKeyError.MissingRequiredPart "taskId"))
                    "required"

                Expect.equal
                    (RoutingKey.render taskDefined (Map.add "taskId" "a.b" values))
                    (Error(RoutingKeyError.DotInSingleWordPart("taskId", "a.b")))
                    "dot"

                Expect.equal
                    (RoutingKey.render taskDefined (Map.add "routingKeyKind" "secondary" values))
                    (Error(RoutingKeyError.ConstantMismatch("routingKeyKind", "primary", "secondary")))
                    "constant"

                match RoutingKey.render taskDefined (Map.add "taskID" "x" values) with
                | Error(RoutingKeyError.UnknownPart("taskID", _)) -> ()
                | other -> failtestf "%A" other

                Expect.equal
                    (RoutingKey.parse taskDefined "secondary.abc._._._.prov.wt.sched.group._")
                    (Error(RoutingKeyError.ConstantMismatch("routingKeyKind", "primary", "secondary")))
                    "parse constant"

                match RoutingKey.parse taskDefined "primary.abc" with
                | Error(RoutingKeyError.TooFewWords("primary.abc", 9, 2) as e) ->
                    Expect.stringContains (e.Describe()) "primary.abc" "quoted"
                | other -> failtestf "%A" other

                let _, push = exchangeEntry "GithubEvents" "push"

                Expect.equal
                    (RoutingKey.parse push "primary.org")
                    (Error(RoutingKeyError.WrongWordCount("primary.org", 3, 2)))
                    "too few"

                Expect.equal
                    (RoutingKey.parse push "primary.org.repo.x")
                    (Error(RoutingKeyError.WrongWordCount("primary.org.repo.x", 3, 4)))
                    "too many"

                Expect.equal
                    (RoutingKey.parse push "primary.org.repo")
                    (Ok(Map [ "routingKeyKind", "primary"; "organization", "org"; "repository", "repo" ]))
                    "exact"

                Expect.equal (RoutingKey.parse notify null) (Error RoutingKeyError.NullRoutingKey) "null"

            testCase "keys longer than 255 bytes are refused"
            <| fun () ->
                match RoutingKey.render notify (Map [ "topic", String('é', 130) ]) with
                | Error(RoutingKeyError.TooLong(_, bytes)) ->
                    Expect.equal bytes (Encoding.UTF8.GetByteCount("primary." + String('é', 130))) "bytes"
                | other -> failtestf "%A" other

            testCase "several multi-word parts cannot be parsed"
            <| fun () ->
                let part name =
                    {
                        Name = name
                        Summary = ""
                        Constant = None
                        MultipleWords = true
                        Required = true
                    }

                let entry =
                    { notify with
                        RoutingKey = [ part "a"; part "b" ]
                    }

                Expect.equal
                    (RoutingKey.parse entry "x.y.z")
                    (Error(RoutingKeyError.SeveralMultiWordParts [ "a"; "b" ]))
                    "ambiguous"

            testPropertyWithConfig config "parse after render gives the values back (missing optional parts as '_')"
            <| Prop.forAll
                (Arb.fromGen (
                    gen {
                        let! entry = ReferenceGen.exchangeEntry
                        let! values = ReferenceGen.concreteValues entry
                        return entry, values
                    }
                ))
                (fun (entry, values) ->
                    let expected =
                        entry.RoutingKey
                        |> List.map (fun p ->
                            p.Name,
                            match p.Constant, values.TryFind p.Name with
                            | Some c, _ -> c
                            | None, Some v -> v
                            | None, None -> "_")
                        |> Map.ofList

                    match RoutingKey.render entry values with
                    | Ok key -> RoutingKey.parse entry key = Ok expected
                    | Error(RoutingKeyError.TooLong(key, bytes)) ->
                        bytes > 255 && Encoding.UTF8.GetByteCount key = bytes
                    | Error _ -> false)

            testPropertyWithConfig config "render after parse gives the key back for keys of the right shape"
            <| Prop.forAll
                (Arb.fromGen (
                    gen {
                        let! entry = ReferenceGen.exchangeEntry
                        let! values = ReferenceGen.concreteValues entry
                        return entry, values
                    }
                ))
                (fun (entry, values) ->
                    match RoutingKey.render entry values with
                    | Ok key ->
                        match RoutingKey.parse entry key with
                        | Ok parsed ->
                            // Parts that were '_' come back as the value "_", which renders as '_' again.
                            RoutingKey.render entry parsed = Ok key
                        | Error _ -> false
                    | Error _ -> true)

            testPropertyWithConfig { config with maxTest = 1000 } "parse never throws on any text"
            <| fun (text: string) ->
                let _, taskDefined = exchangeEntry "QueueEvents" "taskDefined"

                match RoutingKey.parse taskDefined text, RoutingKey.parse notify text with
                | _ -> true

            testPropertyWithConfig config "any part values give a pattern and a key, or a typed error"
            <| fun (values: Map<string, string>) ->
                let _, taskDefined = exchangeEntry "QueueEvents" "taskDefined"

                let withParts =
                    values
                    |> Map.toList
                    |> List.mapi (fun i (_, v) ->
                        (List.item (i % taskDefined.RoutingKey.Length) taskDefined.RoutingKey).Name, v)
                    |> Map.ofList

                [ values; withParts ]
                |> List.forall (fun m ->
                    match
                        RoutingKey.pattern taskDefined m,
                        RoutingKey.patternStrict taskDefined m,
                        RoutingKey.render taskDefined m
                    with
                    | _ -> true)
        ]

let tests = testList "RoutingKey" [ vectorTests; patternTests; concreteTests ]
