module Taskcluster.Core.Tests.RoleTests

open Expecto
open FsCheck
open FsCheck.FSharp
open Taskcluster.Core
open Taskcluster.Testing

let private config =
    { FsCheckConfig.defaultConfig with
        maxTest = 300
    }

let private role roleId scopes =
    match Role.create roleId scopes with
    | Ok r -> r
    | Error e -> failtestf "role refused: %s" (e.Describe())

let private expandOk roles scopes =
    match Role.expand roles scopes with
    | Ok result -> result
    | Error e -> failtestf "expansion refused: %s" (e.Describe())

let private sameSet (actual: string list) (expected: string list) message =
    Expect.equal (List.sort actual) (List.sort (Scope.normalizeScopeSet expected)) message

/// Expected expansions the auth service's resolver produces (its `buildResolver` tests):
/// roles, held scopes, and the expanded set.
let private resolverCases =
    [
        "scopes pass through", [], [ "a"; "b"; "c*" ], [ "a"; "b"; "c*" ]
        "passed through scopes are normalised", [], [ "a*"; "ab"; "ac*"; "a" ], [ "a*" ]
        "assume:a* matches a, aa, ab and a*",
        [ "a", [ "A" ]; "aa", [ "AA" ]; "ab", [ "AB" ]; "a*", [ "ASTAR" ] ],
        [ "assume:a*" ],
        [ "assume:a*"; "A"; "AA"; "AB"; "ASTAR" ]
        "ab* matches ab and abc",
        [ "a", [ "A" ]; "ab", [ "AB" ]; "abc", [ "ABC" ] ],
        [ "assume:ab*" ],
        [ "assume:ab*"; "AB"; "ABC" ]
        "a gets a*", [ "a*", [ "ASTAR" ]; "ab*", [ "ABSTAR" ] ], [ "assume:a" ], [ "assume:a"; "ASTAR" ]
        "ab gets ab* and a*",
        [ "ab*", [ "ABSTAR" ]; "a*", [ "ASTAR" ] ],
        [ "assume:ab" ],
        [ "assume:ab"; "ABSTAR"; "ASTAR" ]
        "a gets * and a*", [ "*", [ "STAR" ]; "a*", [ "ASTAR" ] ], [ "assume:a" ], [ "assume:a"; "STAR"; "ASTAR" ]
        "aa* gets a* and aabc",
        [ "a*", [ "ASTAR" ]; "aabc", [ "AABC" ] ],
        [ "assume:aa*" ],
        [ "assume:aa*"; "ASTAR"; "AABC" ]
        "* gets everything (and covers it)", [ "a", [ "A" ]; "b", [ "B" ] ], [ "*" ], [ "*" ]
        "a* assumes every role", [ "a", [ "A" ]; "b", [ "B" ]; "c", [ "C" ] ], [ "a*" ], [ "a*"; "A"; "B"; "C" ]
        "assume* assumes every role", [ "a", [ "A" ]; "b", [ "B" ] ], [ "assume*" ], [ "assume*"; "A"; "B" ]
        "assum* assumes every role", [ "a", [ "A" ]; "b", [ "B" ] ], [ "assum*" ], [ "assum*"; "A"; "B" ]
        "assume:* assumes every role", [ "a", [ "A" ]; "b", [ "B" ] ], [ "assume:*" ], [ "assume:*"; "A"; "B" ]
        "exact match", [ "a", [ "A" ]; "ab", [ "AB" ]; "abc", [ "ABC" ] ], [ "assume:ab" ], [ "assume:ab"; "AB" ]
        "a star inside a roleId is literal",
        [
            "a", [ "A" ]
            "a*b", [ "ASTARB" ]
            "a*bc", [ "ASTARBC" ]
            "ab", [ "AB" ]
            "b*", [ "BSTAR" ]
            "ab*", [ "ABSTAR" ]
        ],
        [ "assume:a*b*" ],
        [ "assume:a*b*"; "ASTARB"; "ASTARBC" ]
        "a*b gets a* and a*b",
        [
            "a*", [ "ASTAR" ]
            "a*b", [ "ASTARB" ]
            "a*bc", [ "ASTARBC" ]
            "ab*", [ "ABSTAR" ]
        ],
        [ "assume:a*b" ],
        [ "assume:a*b"; "ASTARB"; "ASTAR" ]
        "parameterized role", [ "a*", [ "A<..>" ] ], [ "assume:abc" ], [ "assume:abc"; "Abc" ]
        "parameterized role matched with *", [ "a*", [ "A<..>" ] ], [ "assume:abc*" ], [ "assume:abc*"; "Abc*" ]
        "parameterized role with suffix", [ "a*", [ "A<..>X" ] ], [ "assume:abc" ], [ "assume:abc"; "AbcX" ]
        "parameterized role with suffix matched with *",
        [ "a*", [ "A<..>X" ] ],
        [ "assume:abc*" ],
        [ "assume:abc*"; "Abc*" ]
        "parameterized role matched with a shorter *",
        [ "abc*", [ "ABC<..>DEF" ] ],
        [ "assume:a*" ],
        [ "assume:a*"; "ABC*" ]
        "namespacing with a parameterized role",
        [ "ns:*", [ "index:user.<..>.*"; "notify:irc:<..>" ] ],
        [ "assume:ns:jonas" ],
        [ "assume:ns:jonas"; "index:user.jonas.*"; "notify:irc:jonas" ]
        "namespacing, the whole namespace",
        [ "ns:*", [ "index:user.<..>.*"; "notify:irc:<..>" ] ],
        [ "assume:ns:*" ],
        [ "assume:ns:*"; "index:user.*"; "notify:irc:*" ]
        "namespacing, a prefix",
        [ "ns:*", [ "index:user.<..>.*"; "notify:irc:<..>" ] ],
        [ "assume:ns:evil*" ],
        [ "assume:ns:evil*"; "index:user.evil*"; "notify:irc:evil*" ]
        "repo roles",
        [
            "repo:github.com/org/*", [ "queue:route:index.<..>.*"; "assume:project:org" ]
            "project:org", [ "secrets:get:org/*" ]
        ],
        [ "assume:repo:github.com/org/app:branch:main" ],
        [
            "assume:repo:github.com/org/app:branch:main"
            "queue:route:index.app:branch:main.*"
            "assume:project:org"
            "secrets:get:org/*"
        ]
    ]

let private generic (text: string) =
    text.Split(' ', System.StringSplitOptions.RemoveEmptyEntries) |> List.ofArray

/// The auth service's trie cases are rules on raw scopes; with `assume:` in front of every
/// pattern, granted scope and input they become role cases with the same answers.
let private trieCases =
    [
        "chain of rules",
        [
            "a", "b"
            "b", "c"
            "c", "d"
            "d", "abc"
            "abc", "1"
            "1", "12"
            "12", "123"
            "123", "GOAL"
            "num", "1*"
        ],
        [
            "a", "b c d abc 1 12 123 GOAL"
            "d", "abc 1 12 123 GOAL"
            "num", "1* GOAL"
            "num*", "1* GOAL"
            "n*", "1* GOAL"
            "???", ""
        ]
        "chain of star rules",
        [
            "a", "b"
            "b", "c*"
            "c", "d--"
            "d*", "e*YY"
            "e**", "f"
            "f", "g"
            "g", "abc"
            "abc", "1"
            "1", "12"
            "12", "123*"
            "123", "GOAL"
        ],
        [
            "a", "b c* d-- e*YY f g abc 1 12 123* GOAL"
            "d", "e*YY f g abc 1 12 123* GOAL"
        ]
        "chain of parameterized rules",
        [ "aa*", "b<..>C"; "bb", "cYY"; "c*", "d**/<..>/" ],
        [
            "a", ""
            "aa", "bC"
            "aab", "bbC"
            "aab*", "bb* cYY d**/YY/"
            "a*", "b* cYY d**/YY/"
            "*", "b* cYY d**/*"
        ]
        "kleene in parameterization", [ "a*", "A<..>B*" ], [ "a", "AB*"; "a*", "A*"; "*", "A*" ]
        "exact match through a parameterized role",
        [
            "a*", "A<..>B*"
            "param:*", "A<..>B"
            "A-123-B", "GOAL"
            "ATB", "TARGET"
            "ATB*", "TARGET++"
            "AT*", "prefix"
        ],
        [
            "a", "AB*"
            "a-123", "A-123B*"
            "a-123-", "A-123-B* GOAL"
            "a*", "A* GOAL prefix TARGET TARGET++"
            "param:T", "ATB prefix TARGET TARGET++"
        ]
        "acyclic parameterized rules",
        [
            "a", "START"
            "aaa*", "bb<..>BB"
            "b*", "ccc<..>*"
            "cc*", "dd<..>C"
            "ddcbXBB", "C"
            "dd*", "eee<..>D*"
            "ddXC", "hello-world you-made-it"
        ],
        [
            "aaaX", "bbXBB cccbXBB* ddcbXBB* C eeecbXBB*"
            "ccX", "ddXC eeeXCD* hello-world you-made-it"
            "ddd", "eeedD*"
        ]
        "parameterized rule variations",
        [ "A*", "b c* d<..> e<..>* f<..>g h<..>i*" ],
        [
            "A", "b c* d e* fg hi*"
            "AX", "b c* dX eX* fXg hXi*"
            "AX*X", "b c* dX*X eX*X* fX*Xg hX*Xi*"
            "AZZ*", "b c* dZZ* eZZ* fZZ* hZZ*"
            "AZZ***", "b c* dZZ*** eZZ*** fZZ*** hZZ***"
            "A*", "b c* d* e* f* h*"
            "A*X", "b c* d*X e*X* f*Xg h*Xi*"
        ]
        "hierarchy of chained rules",
        [ "a", "A"; "aa", "AA"; "aaa", "AAA"; "a*", "A_"; "aa*", "AA_"; "aaa*", "AAA_" ],
        [ "a", "A A_"; "aaaa", "AAA_ AA_ A_"; "aaa", "A_ AA_ AAA_ AAA" ]
        "star in the middle of a pattern",
        [ "a*a", "A" ],
        [ "a", ""; "a*", "A"; "a*a", "A"; "a*a*", "A"; "a*aa*", ""; "*", "A" ]
    ]

let private casesTests =
    testList
        "behaviour of the auth service"
        [
            for name, roles, scopes, expected in resolverCases ->
                testCase name
                <| fun () ->
                    let roles = [ for id, s in roles -> role id s ]
                    sameSet (expandOk roles scopes) expected name
            for name, rules, results in trieCases do
                for input, granted in results ->
                    testCase $"{name}: {input}"
                    <| fun () ->
                        let assume s = "assume:" + s

                        let roles =
                            rules
                            |> List.groupBy fst
                            |> List.map (fun (pattern, grants) ->
                                role pattern (grants |> List.collect (snd >> generic) |> List.map assume))

                        let expected = assume input :: (generic granted |> List.map assume)
                        sameSet (expandOk roles [ assume input ]) expected $"{name}: {input}"
        ]

/// Role sets the auth service accepts or refuses (`validateRoles`).
let private validationCases =
    [
        "simple roles", [ "a", [ "A" ]; "b", [ "B" ] ], None
        "role DAG", [ "a", [ "assume:c" ]; "b", [ "assume:c" ]; "c", [ "assume:e" ] ], None
        "role cycle", [ "a", [ "assume:c" ]; "b", [ "assume:c" ]; "c", [ "assume:a" ] ], Some false
        "prefix DAG", [ "a*", [ "assume:c" ]; "b*", [ "assume:c" ]; "c*", [ "assume:e" ] ], None
        "prefix cycle", [ "a*", [ "assume:c" ]; "b*", [ "assume:c" ]; "c*", [ "assume:a" ] ], Some false
        "parameterized (1)", [ "a*", [ "assume:b" ] ], None
        "parameterized (2)", [ "a*", [ "assume:b<..>" ] ], None
        "parameterized (3)", [ "a*", [ "assume:b<..>c*" ] ], None
        "parameterized DAG",
        [
            "a*", [ "assume:c<..>A" ]
            "b*", [ "assume:c<..>B*" ]
            "c*", [ "assume:e<..>" ]
        ],
        None
        "parameterized cycle (1)",
        [
            "a*", [ "assume:c<..>A" ]
            "b*", [ "assume:c<..>B*" ]
            "c*", [ "assume:a<..>" ]
        ],
        Some true
        "parameterized cycle (2)",
        [
            "a*", [ "assume:c<..>A" ]
            "b*", [ "assume:c<..>B*" ]
            "c*", [ "assume:<..>" ]
        ],
        Some true
        "parameterized cycle (3)",
        [ "a*", [ "assume:c<..>A" ]; "b*", [ "assume:c<..>B*" ]; "c*", [ "assume:b" ] ],
        Some true
        "self-reference", [ "abc", [ "assume:abc" ] ], Some false
        "self-reference through * in scopes", [ "abc", [ "assume:ab*" ] ], Some false
        "self-reference through * in roleId", [ "ab*", [ "assume:abc" ] ], Some false
        "chain without cycle",
        [
            "abc", [ "assume:def" ]
            "def", [ "assume:ghi" ]
            "ghi", [ "assume:jkl" ]
            "jkl", [ "assume:abcd" ]
        ],
        None
        "four roles with *s",
        [
            "abc", [ "assume:d*" ]
            "def", [ "assume:ghi" ]
            "g*", [ "assume:jkl" ]
            "jkl", [ "assume:ab" ]
        ],
        None
        "growing parameterized self-cycle", [ "a*", [ "assume:ab<..>" ] ], Some true
        "parameterized self-cycle with suffix", [ "a*", [ "assume:a<..>x" ] ], Some true
        "two parameterized roles", [ "a*", [ "assume:b<..>x" ]; "b*", [ "assume:a<..>" ] ], Some true
        "partial appearance of assume:", [ "b*", [ "as<..>" ] ], Some true
        "some parameters, no cycle",
        [
            "bb*", [ "assume:cd<..>" ]
            "cde*", [ "assume:de<..>x" ]
            "d*", [ "assume:b" ]
        ],
        None
        "some parameters and a cycle",
        [
            "b*", [ "assume:cd<..>" ]
            "cde*", [ "assume:de<..>x" ]
            "d*", [ "assume:bx" ]
        ],
        Some true
    ]

let private cycleTests =
    [
        for name, roles, cycle in validationCases ->
            testCase name
            <| fun () ->
                let roles = [ for id, s in roles -> role id s ]

                match cycle, Role.validateRoles roles with
                | None, Ok() -> ()
                | Some _, Error(RoleError.DependencyCycle ids) ->
                    Expect.isGreaterThanOrEqual ids.Length 2 "cycle named"
                    Expect.equal (List.head ids) (List.last ids) "cycle closes"
                | _, other -> failtestf "validateRoles gave %A" other

                // Plain cycles expand to a fixed point; cycles through <..> are refused.
                match cycle, Role.resolver roles with
                | Some true, Error(RoleError.DependencyCycle _) -> ()
                | (None | Some false), Ok _ -> ()
                | _, other -> failtestf "resolver gave %A" (other |> Result.map (fun r -> r.Roles))
    ]

let private definitionTests =
    [
        testCase "invalid role definitions are refused with the service's reasons"
        <| fun () ->
            let refused roleId scopes expected =
                match Role.create roleId scopes with
                | Error e -> Expect.isTrue (expected e) $"{roleId}: {e.Describe()}"
                | Ok r -> failtestf "accepted %O" r

            refused "" [] (fun e -> e = RoleError.InvalidRoleId "")
            refused null [] (fun e -> e = RoleError.InvalidRoleId null)
            refused "r\n" [] (fun e -> e.Describe().Contains "'r\\n'")
            refused "r" [ "ok"; "caf\u00e9" ] (fun e -> e = RoleError.InvalidScope("r", "caf\u00e9"))
            refused "a*" [ "assume:b*<..>" ] (fun e -> e = RoleError.AmbiguousKleene("a*", "assume:b*<..>"))
            refused "a*" [ "b<..>c<..>" ] (fun e -> e = RoleError.MultipleParameters("a*", "b<..>c<..>"))
            refused "a*" [ "b<..><..>" ] (fun e -> e = RoleError.MultipleParameters("a*", "b<..><..>"))
            // Only `*` roles have parameters; elsewhere `<..>` is literal text.
            Expect.isOk (Role.create "a" [ "b<..>c<..>" ]) "literal in a plain role"

        testCase "expansion refuses invalid input scopes"
        <| fun () ->
            Expect.equal (Role.expand [] [ "ok"; "tab\t" ]) (Error(RoleError.InvalidInputScope "tab\t")) "named"

        testCase "a cycle of plain roles terminates with everything on it"
        <| fun () ->
            let roles =
                [
                    role "a" [ "assume:b"; "A" ]
                    role "b" [ "assume:c"; "B" ]
                    role "c" [ "assume:a"; "C" ]
                    role "self*" [ "assume:self-more"; "S" ]
                ]

            sameSet (expandOk roles [ "assume:b" ]) [ "assume:a"; "assume:b"; "assume:c"; "A"; "B"; "C" ] "cycle"
            sameSet (expandOk roles [ "assume:self" ]) [ "assume:self"; "assume:self-more"; "S" ] "self"

        testCase "a long chain expands without exhausting the stack"
        <| fun () ->
            let n = 5000

            let roles =
                [ for i in 0 .. n - 1 -> role $"ch-{i}" [ $"assume:ch-{i + 1}" ] ]
                @ [ role $"ch-{n}" [ "goal" ] ]

            let expanded = expandOk roles [ "assume:ch-0" ]
            Expect.equal expanded.Length (n + 2) "every role plus the goal"
            Expect.contains expanded "goal" "reached the end"
            Expect.isOk (Role.validateRoles roles) "a chain is no cycle"
    ]

let private validationTests =
    testList "validateRoles and resolver" (cycleTests @ definitionTests)

let private parseTests =
    testList
        "parseRoles"
        [
            testCase "reads listRoles and listRoles2 output"
            <| fun () ->
                let listed =
                    """[{"roleId":"repo:*","scopes":["a<..>"],"description":"d","created":"2020-01-01T00:00:00.000Z",
                      "lastModified":"2020-01-01T00:00:00.000Z","expandedScopes":["x"]},
                     {"roleId":"b","scopes":[]}]"""

                match Role.parseRoles listed with
                | Ok [ a; b ] ->
                    Expect.equal a.RoleId "repo:*" "first"
                    Expect.equal a.Scopes [ "a<..>" ] "scopes"
                    Expect.equal b (role "b" []) "second"
                | other -> failtestf "got %A" other

                let paged = """{"roles":[{"roleId":"b","scopes":["c"]}],"continuationToken":"x"}"""
                Expect.equal (Role.parseRoles paged) (Ok [ role "b" [ "c" ] ]) "listRoles2"

            testCase "invalid roles in JSON are refused as roles"
            <| fun () ->
                Expect.equal
                    (Role.parseRoles """[{"roleId":"","scopes":[]}]""")
                    (Error(RoleError.InvalidRoleId ""))
                    "empty roleId"

                match Role.parseRoles """[{"roleId":"a","scopes":[3]}]""" with
                | Error(RoleError.InvalidJson e) -> Expect.equal e.Path "$[0].scopes[0]" "path"
                | other -> failtestf "got %A" other

            testCase "decoder reports the path of an invalid role"
            <| fun () ->
                match
                    Decode.fromString Role.rolesDecoder """[{"roleId":"a","scopes":[]},{"roleId":"","scopes":[]}]"""
                with
                | Error e -> Expect.equal e.Path "$[1]" "path"
                | Ok r -> failtestf "decoded %A" r

            testCase "toJson round-trips"
            <| fun () ->
                let r = role "a*" [ "x<..>"; "y" ]
                let text = Encode.toString (Role.toJson r)
                Expect.equal (Decode.fromString Role.decoder text) (Ok r) "round trip"

            testPropertyWithConfig config "hostile JSON never throws"
            <| Prop.forAll (Arb.fromGen ScopeTests.hostileJson) (fun json ->
                let text = Encode.toString json
                Role.parseRoles text |> ignore
                Decode.fromString Role.rolesDecoder text |> ignore
                true)

            testPropertyWithConfig config "hostile text never throws"
            <| fun (text: string) ->
                match Role.parseRoles text with
                | Ok roles -> roles |> List.forall (fun r -> Scope.validScope r.RoleId)
                | Error e -> e.Describe().Length > 0

            testCase "deeply nested or huge input is a typed error"
            <| fun () ->
                let deep = String.replicate 100_000 "[" + String.replicate 100_000 "]"
                Expect.isError (Role.parseRoles deep) "deep"

                let huge =
                    "[" + String.replicate 100_000 "{\"roleId\":\"r\",\"scopes\":[\"s\"]}," + "3]"

                Expect.isError (Role.parseRoles huge) "huge"
        ]

/// A slow, obviously correct fixed point: every scope is checked against every role on every
/// round until nothing changes.
let private naiveExpand (roles: Role list) (scopes: string list) =
    let grantsOf (scope: string) (r: Role) =
        let id = r.RoleId
        let isStar = id.EndsWith '*'
        let pattern = "assume:" + (if isStar then id.Substring(0, id.Length - 1) else id)
        let scopeIsStar = scope.EndsWith '*'

        let scopeCore =
            if scopeIsStar then
                scope.Substring(0, scope.Length - 1)
            else
                scope

        let startsWith (prefix: string) (s: string) =
            s.StartsWith(prefix, System.StringComparison.Ordinal)

        // The role's `assume:` pattern matched by the scope itself, or covered by a `*` scope.
        let parameter =
            if isStar && startsWith pattern scope then
                Some(scope.Substring pattern.Length)
            elif not isStar && scope = pattern then
                Some ""
            elif scopeIsStar && startsWith scopeCore pattern then
                Some "*"
            else
                None

        match parameter with
        | None -> []
        | Some p ->
            [
                for s in r.Scopes ->
                    let at = s.IndexOf("<..>", System.StringComparison.Ordinal)

                    if not isStar || at < 0 then s
                    elif p.EndsWith '*' then s.Substring(0, at) + p
                    else s.Substring(0, at) + p + s.Substring(at + 4)
            ]

    let rec go (current: Set<string>) rounds =
        let next =
            current
            |> Seq.collect (fun s -> roles |> Seq.collect (grantsOf s))
            |> Set.ofSeq
            |> Set.union current

        if next = current || rounds > 50 then
            current
        else
            go next (rounds + 1)

    go (Set.ofList scopes) 0 |> Scope.normalizeScopeSet

// Mostly `assume:` scopes naming the generated roles (a `*` roleId gives a `*` scope), so that
// expansion has work to do.
let private heldFor (roles: Role list) =
    let named =
        match roles with
        | [] -> Scopes.assumeScope
        | _ -> Gen.elements [ for r in roles -> "assume:" + r.RoleId ]

    let other = Scopes.roleId |> Gen.map (fun id -> "assume:" + id)

    Gen.resize 4 (Gen.listOf (Gen.frequency [ 4, named; 2, other; 1, Scopes.assumeScope; 1, Scopes.scope ]))

let private withHeld (roles: Gen<Role list>) =
    gen {
        let! rs = roles
        let! held = heldFor rs
        return rs, held
    }

let private propertyTests =
    let rolesAndScopes = Arb.fromGen (withHeld Scopes.roles)

    let withResolver roles f =
        match Role.resolver roles with
        | Ok r -> f r
        | Error(RoleError.DependencyCycle _) -> true
        | Error e -> failwithf "unexpected %s" (e.Describe())

    let expandWith r scopes =
        match Role.expandWith r scopes with
        | Ok x -> x
        | Error e -> failwithf "unexpected %s" (e.Describe())

    testList
        "laws"
        [
            testPropertyWithConfig config "agrees with a naive fixed point"
            <| Prop.forAll rolesAndScopes (fun (roles, scopes) ->
                withResolver roles (fun r -> expandWith r scopes = naiveExpand roles scopes))

            testPropertyWithConfig config "plain roles always expand, cycles included"
            <| Prop.forAll (Arb.fromGen (withHeld (Gen.resize 8 (Gen.listOf Scopes.plainRole)))) (fun (roles, scopes) ->
                match Role.expand roles scopes with
                | Ok result -> result = naiveExpand roles scopes
                | Error _ -> false)

            testPropertyWithConfig config "the result is closed: every role it assumes is satisfied"
            <| Prop.forAll rolesAndScopes (fun (roles, scopes) ->
                withResolver roles (fun r ->
                    let expanded = expandWith r scopes
                    let set = ScopeSet.ofSeq expanded

                    expanded
                    |> List.forall (fun s -> expandWith r [ s ] |> List.forall set.Satisfies)))

            testPropertyWithConfig config "idempotent"
            <| Prop.forAll rolesAndScopes (fun (roles, scopes) ->
                withResolver roles (fun r ->
                    let once = expandWith r scopes
                    expandWith r once = once))

            testPropertyWithConfig config "monotone: more held scopes never expand to fewer"
            <| Prop.forAll
                (Arb.fromGen (
                    gen {
                        let! roles, a = withHeld Scopes.roles
                        let! b = heldFor roles
                        return roles, a, b
                    }
                ))
                (fun (roles, a, b) ->
                    withResolver roles (fun r ->
                        let small = expandWith r a
                        let large = ScopeSet.ofSeq (expandWith r (a @ b))
                        small |> List.forall large.Satisfies))

            testPropertyWithConfig config "held scopes are kept (up to normalisation)"
            <| Prop.forAll rolesAndScopes (fun (roles, scopes) ->
                withResolver roles (fun r ->
                    let set = ScopeSet.ofSeq (expandWith r scopes)
                    scopes |> List.forall set.Satisfies))

            testPropertyWithConfig config "<..> is replaced by the matched remainder"
            <| Prop.forAll (Arb.fromGen (Gen.zip Scopes.plainScope Scopes.plainScope)) (fun (rest, suffix) ->
                let rest = rest.TrimEnd '*'
                let roles = [ role "ns:*" [ "x:<..>:" + suffix ] ]
                let expanded = ScopeSet.ofSeq (expandOk roles [ "assume:ns:" + rest ])
                expanded.Satisfies("x:" + rest + ":" + suffix))

            testPropertyWithConfig config "transitive chains reach their end"
            <| Prop.forAll (Arb.fromGen (Gen.choose (1, 60))) (fun n ->
                let roles =
                    [ for i in 0 .. n - 1 -> role $"c{i}" [ $"assume:c{i + 1}" ] ]
                    @ [ role $"c{n}" [ "end" ] ]

                List.contains "end" (expandOk roles [ "assume:c0" ]))
        ]

let tests =
    testList "Role" [ casesTests; validationTests; parseTests; propertyTests ]
