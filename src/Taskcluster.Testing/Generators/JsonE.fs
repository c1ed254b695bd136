namespace Taskcluster.Testing

open FsCheck
open FsCheck.FSharp
open Taskcluster.Core

/// FsCheck generators for JSON-e: values, contexts, expressions (well formed and not) and
/// templates using every operator, for property tests and for differential tests against the
/// reference implementation.
[<RequireQualifiedAccess>]
module JsonE =
    /// The names `context` binds; expressions mostly refer to these.
    let contextNames =
        [ "a"; "b"; "n"; "s"; "arr"; "obj"; "flag"; "nul"; "words"; "nested" ]

    let private letters = "abcxyz_ ABé😀1-.$"

    /// Short strings over a small alphabet (with a non-ASCII letter and an astral emoji).
    let text: Gen<string> =
        Gen.frequency
            [
                3, Gen.elements [ ""; "a"; "abc"; "hello world"; " pad "; "x,y,z"; "1"; "2.5"; "é😀"; "A b" ]
                2,
                Gen.choose (0, 6)
                |> Gen.bind (fun n -> Gen.arrayOfLength n (Gen.elements (List.ofSeq letters)))
                |> Gen.map (fun chars -> System.String(Array.collect (fun (c: char) -> [| c |]) chars))
            ]

    /// Numbers: small integers mostly, some negative, some fractional, a few large.
    let number: Gen<float> =
        Gen.frequency
            [
                6, Gen.choose (-5, 20) |> Gen.map float
                2, Gen.elements [ 0.5; 1.25; -2.5; 3.75; 0.1; 1e21; 123456789.0; -0.0 ]
                1, Gen.choose (-1000000, 1000000) |> Gen.map (fun i -> float i / 8.0)
            ]

    /// Object keys: identifiers mostly, array-index keys and odd ones sometimes.
    let key: Gen<string> =
        Gen.frequency
            [
                6, Gen.elements [ "a"; "b"; "c"; "key"; "val"; "x"; "y"; "name" ]
                2, Gen.elements [ "0"; "1"; "10"; "2"; "01"; "-1" ]
                1, Gen.elements [ "a b"; "$$x"; "é"; "" ]
            ]

    /// JSON values (no functions), nested at most `depth` deep.
    let rec value (depth: int) : Gen<JsonEValue> =
        let leaf =
            Gen.frequency
                [
                    1, Gen.constant JsonEValue.Null
                    1, Gen.elements [ true; false ] |> Gen.map JsonEValue.Bool
                    3, number |> Gen.map JsonEValue.Number
                    3, text |> Gen.map JsonEValue.String
                ]

        if depth <= 0 then
            leaf
        else
            Gen.frequency
                [
                    4, leaf
                    1,
                    Gen.choose (0, 4)
                    |> Gen.bind (fun k -> Gen.arrayOfLength k (value (depth - 1)))
                    |> Gen.map JsonEValue.Array
                    1,
                    Gen.choose (0, 4)
                    |> Gen.bind (fun k -> Gen.listOfLength k (Gen.zip key (value (depth - 1))))
                    |> Gen.map JsonEValue.ofMembers
                ]

    /// A context binding every name of `contextNames`, with values of the types the names
    /// suggest most of the time.
    let context: Gen<JsonEValue> =
        gen {
            let! a = number
            let! b = text
            let! n = Gen.choose (0, 5)
            let! s = text
            let! arr = Gen.choose (0, 5) |> Gen.bind (fun k -> Gen.arrayOfLength k number)

            let! obj =
                Gen.choose (0, 4)
                |> Gen.bind (fun k -> Gen.listOfLength k (Gen.zip key (value 1)))

            let! flag = Gen.elements [ true; false ]
            let! words = Gen.choose (0, 4) |> Gen.bind (fun k -> Gen.arrayOfLength k text)
            let! nested = value 3

            return
                JsonEValue.ofMembers
                    [
                        "a", JsonEValue.Number a
                        "b", JsonEValue.String b
                        "n", JsonEValue.Number(float n)
                        "s", JsonEValue.String s
                        "arr", JsonEValue.Array(Array.map JsonEValue.Number arr)
                        "obj", JsonEValue.ofMembers obj
                        "flag", JsonEValue.Bool flag
                        "nul", JsonEValue.Null
                        "words", JsonEValue.Array(Array.map JsonEValue.String words)
                        "nested", nested
                    ]
        }

    let private quoteString (s: string) =
        if s.Contains "'" then
            "\"" + s.Replace("\"", "") + "\""
        else
            "'" + s + "'"

    let private builtinCalls =
        [
            "min"
            "max"
            "sqrt"
            "ceil"
            "floor"
            "abs"
            "lowercase"
            "uppercase"
            "len"
            "str"
            "number"
            "strip"
            "lstrip"
            "rstrip"
            "split"
            "join"
            "range"
            "typeof"
            "defined"
            "fromNow"
        ]

    let private binaryOperators =
        [
            "+"
            "-"
            "*"
            "/"
            "**"
            "=="
            "!="
            "<"
            ">"
            "<="
            ">="
            "&&"
            "||"
            " in "
        ]

    /// Well-formed expressions (which may still fail to evaluate: wrong types, unknown names).
    let rec expression (depth: int) : Gen<string> =
        let atom =
            Gen.frequency
                [
                    4, Gen.elements contextNames
                    2,
                    number
                    |> Gen.map (fun n ->
                        if n < 0.0 || n = 0.0 && 1.0 / n < 0.0 then
                            "0"
                        else
                            Encode.formatNumber n)
                    2, text |> Gen.map quoteString
                    1, Gen.elements [ "true"; "false"; "null"; "[]"; "{}"; "unknown" ]
                ]

        if depth <= 0 then
            atom
        else
            let sub = expression (depth - 1)

            Gen.frequency
                [
                    3, atom
                    4, Gen.map3 (fun l op r -> $"{l} {op} {r}") sub (Gen.elements binaryOperators) sub
                    1, Gen.map2 (fun op e -> op + e) (Gen.elements [ "-"; "+"; "!" ]) sub
                    1, sub |> Gen.map (fun e -> $"({e})")
                    2,
                    Gen.map2
                        (fun f (args: string list) -> $"""{f}({System.String.Join(", ", args)})""")
                        (Gen.elements builtinCalls)
                        (Gen.choose (0, 3) |> Gen.bind (fun k -> Gen.listOfLength k sub))
                    1, Gen.map2 (fun e i -> $"{e}[{i}]") sub sub
                    1,
                    Gen.map3
                        (fun e (l: string option) (r: string option) -> $"""{e}[{defaultArg l ""}:{defaultArg r ""}]""")
                        sub
                        (Gen.optionOf sub)
                        (Gen.optionOf sub)
                    1, Gen.map2 (fun e k -> $"{e}.{k}") sub (Gen.elements [ "a"; "b"; "key"; "x" ])
                    1,
                    Gen.choose (0, 3)
                    |> Gen.bind (fun k -> Gen.listOfLength k sub)
                    |> Gen.map (fun items -> $"""[{System.String.Join(", ", items)}]""")
                    1,
                    Gen.choose (0, 3)
                    |> Gen.bind (fun k -> Gen.listOfLength k (Gen.zip (Gen.elements [ "a"; "b"; "'c d'"; "x" ]) sub))
                    |> Gen.map (fun members ->
                        let parts = members |> List.map (fun (k, v) -> $"{k}: {v}")
                        $"""{{{System.String.Join(", ", parts)}}}""")
                ]

    /// Expression text that is often malformed: random runs of the language's tokens and a few
    /// characters outside it.
    let brokenExpression: Gen<string> =
        let tokens =
            [
                "a"
                "b"
                "arr"
                "1"
                "2.5"
                "'x'"
                "\"y\""
                "+"
                "-"
                "*"
                "**"
                "/"
                "("
                ")"
                "["
                "]"
                "{"
                "}"
                ":"
                ","
                "."
                "=="
                "!="
                "<"
                ">="
                "!"
                "&&"
                "||"
                "in"
                "true"
                "null"
                "="
                "&"
                "|"
                "@"
                "'open"
                " "
                "min"
                "len"
            ]

        Gen.choose (0, 8)
        |> Gen.bind (fun k -> Gen.listOfLength k (Gen.elements tokens))
        |> Gen.map (fun parts -> System.String.Join("", parts))

    /// An expression: mostly well formed, sometimes broken.
    let anyExpression: Gen<string> =
        Gen.frequency [ 5, expression 3; 1, brokenExpression ]

    let private str (s: string) = JsonEValue.String s
    let private obj members = JsonEValue.ofMembers members

    /// Expressions that mostly evaluate: each operand of the type its operator wants.
    let typedExpression: Gen<string> =
        let numeric =
            Gen.elements
                [
                    "a"
                    "n"
                    "len(words)"
                    "len(b)"
                    "2"
                    "0.5"
                    "max(n, 3)"
                    "floor(a)"
                    "abs(a - 7)"
                ]

        let stringy =
            Gen.elements
                [
                    "b"
                    "s"
                    "uppercase(b)"
                    "str(n)"
                    "b + s"
                    "join(words, ',')"
                    "s[1:]"
                    "lowercase(s)"
                    "strip(b)"
                ]

        let boolean =
            Gen.elements
                [
                    "flag"
                    "n > 2"
                    "'a' in b"
                    "flag && n < 3"
                    "typeof(a) == 'number'"
                    "!flag"
                    "defined('n')"
                ]

        Gen.frequency
            [
                3, Gen.map3 (fun x op y -> $"{x} {op} {y}") numeric (Gen.elements [ "+"; "-"; "*" ]) numeric
                2, Gen.map2 (fun x y -> $"{x} + {y}") stringy stringy
                2, Gen.map3 (fun c x y -> $"[{x}, {y}, {c}]") boolean numeric stringy
                2, boolean
                1, Gen.map2 (fun x y -> $"{{a: {x}, b: {y}}}") numeric stringy
                1, Gen.map (fun x -> $"str({x})") numeric
                1, Gen.constant "range(0, n)"
                1, Gen.constant "words"
                1, Gen.constant "obj"
            ]

    /// Templates using every operator, interpolation and escapes, nested at most `depth` deep,
    /// with expressions from `expressions`.
    let rec templateOf (expressions: Gen<string>) (depth: int) : Gen<JsonEValue> =
        let e = expressions

        let interpolated =
            Gen.frequency
                [
                    2, text |> Gen.map str
                    3, Gen.map2 (fun t x -> str $"{t}${{{x}}}") text (Gen.oneof [ expression 2; expressions ])
                    1, Gen.map2 (fun t x -> str $"$${{{t}}} ${{{x}}}!") text e
                ]

        if depth <= 0 then
            Gen.frequency
                [
                    3, value 1
                    3, interpolated
                    2, e |> Gen.map (fun x -> obj [ "$eval", str x ])
                ]
        else
            let sub = templateOf expressions (depth - 1)
            let each = Gen.elements [ "each(x)"; "each(x,i)"; "each(x, i)"; "each(1)"; "each" ]

            Gen.frequency
                [
                    2, value 2
                    2, interpolated
                    3, e |> Gen.map (fun x -> obj [ "$eval", str x ])
                    2,
                    Gen.choose (0, 3)
                    |> Gen.bind (fun k -> Gen.arrayOfLength k sub)
                    |> Gen.map JsonEValue.Array
                    2,
                    Gen.choose (0, 3)
                    |> Gen.bind (fun k -> Gen.listOfLength k (Gen.zip key sub))
                    |> Gen.map obj
                    2,
                    Gen.map3
                        (fun c t (f: JsonEValue option) ->
                            obj (
                                [ "$if", str c; "then", t ]
                                @ (f |> Option.map (fun f -> "else", f) |> Option.toList)
                            ))
                        e
                        sub
                        (Gen.optionOf sub)
                    1, sub |> Gen.map (fun t -> obj [ "$json", t ])
                    1, sub |> Gen.map (fun t -> obj [ "$flatten", t ])
                    1, sub |> Gen.map (fun t -> obj [ "$flattenDeep", t ])
                    1, sub |> Gen.map (fun t -> obj [ "$reverse", t ])
                    1, sub |> Gen.map (fun t -> obj [ "$merge", t ])
                    1, sub |> Gen.map (fun t -> obj [ "$mergeDeep", t ])
                    1,
                    Gen.map2
                        (fun (v: JsonEValue) t -> obj [ "$let", v; "in", t ])
                        (Gen.frequency
                            [
                                3, Gen.map2 (fun k v -> obj [ k, v ]) (Gen.elements [ "x"; "y"; "a"; "1x" ]) sub
                                1, sub
                            ])
                        sub
                    2, Gen.map3 (fun src k t -> obj [ "$map", src; k, t ]) sub each sub
                    1,
                    Gen.map3
                        (fun src init t -> obj [ "$reduce", src; "initial", init; "each(acc, x)", t ])
                        sub
                        (value 1)
                        sub
                    1, Gen.map2 (fun src c -> obj [ "$find", src; "each(x)", str c ]) sub e
                    1,
                    Gen.choose (0, 3)
                    |> Gen.bind (fun k -> Gen.listOfLength k (Gen.zip e sub))
                    |> Gen.map (fun cs -> obj [ "$match", obj cs ])
                    1,
                    Gen.map2
                        (fun (cs: (string * JsonEValue) list) (d: JsonEValue option) ->
                            obj
                                [
                                    "$switch", obj (cs @ (d |> Option.map (fun d -> "$default", d) |> Option.toList))
                                ])
                        (Gen.choose (0, 3) |> Gen.bind (fun k -> Gen.listOfLength k (Gen.zip e sub)))
                        (Gen.optionOf sub)
                    1,
                    Gen.map2
                        (fun src (by: string option) ->
                            obj ([ "$sort", src ] @ (by |> Option.map (fun b -> "by(x)", str b) |> Option.toList)))
                        sub
                        (Gen.optionOf e)
                    1,
                    Gen.map2
                        (fun o (from: string option) ->
                            obj (
                                [ "$fromNow", str o ]
                                @ (from |> Option.map (fun f -> "from", str f) |> Option.toList)
                            ))
                        (Gen.elements [ "1 day"; "-2 hours 3 minutes"; "1y 2mo"; "3 weeks"; "bogus"; ""; "10s" ])
                        (Gen.optionOf (
                            Gen.elements [ "2017-01-01T00:00:00.000Z"; "2020-02-29T12:00:00Z"; "not a date" ]
                        ))
                    1, Gen.map2 (fun k t -> obj [ k, t ]) (Gen.elements [ "$$eval"; "$$x"; "$x"; "$"; "${b}" ]) sub
                    1, Gen.map2 (fun x t -> obj [ "$if", str x; "then", t; "bogus", t ]) e sub
                ]

    /// Templates with expressions of every kind, most of which fail to evaluate.
    let template (depth: int) : Gen<JsonEValue> = templateOf anyExpression depth

    let private jsoneTokens =
        [
            "${"
            "$${"
            "}"
            "**"
            "[:"
            ":]"
            "(("
            "))"
            "fromNow("
            "range(0, 1e9)"
            "'"
            "\""
            "in"
            "."
            "\u2028"
            "\u00a0"
            "\ufeff"
        ]

    /// Expressions mutated by the hostile edits (characters replaced, tokens inserted, ranges
    /// repeated, long runs), plus long runs of single tokens: deep nesting and huge literals.
    let hostileExpression: Gen<string> =
        Gen.frequency
            [
                4, Hostile.mutationsOf (Hostile.tokensWith jsoneTokens) (expression 3)
                1, Hostile.longRun (Gen.elements [ "("; "["; "-"; "!"; "a."; "{a:"; "1+"; "2**"; "f("; "${" ])
            ]

    /// Templates meant to exhaust a renderer: deep nesting, doubling strings and arrays in
    /// `$reduce`, huge ranges, long interpolation chains; with a hostile expression somewhere.
    let bombTemplate: Gen<JsonEValue> =
        let deep (n: int) (wrap: JsonEValue -> JsonEValue) =
            Seq.fold (fun t _ -> wrap t) (str "x") (seq { 1..n })

        Gen.frequency
            [
                1,
                Gen.choose (1, 5000)
                |> Gen.map (fun n -> deep n (fun t -> JsonEValue.Array [| t |]))
                1, Gen.choose (1, 5000) |> Gen.map (fun n -> deep n (fun t -> obj [ "a", t ]))
                1,
                Gen.choose (1, 3000)
                |> Gen.map (fun n -> deep n (fun t -> obj [ "$let", obj [ "x", t ]; "in", t ]))
                1,
                Gen.elements [ "acc + acc"; "[acc, acc]"; "{a: acc, b: acc}"; "acc + [acc]" ]
                |> Gen.map (fun body ->
                    obj
                        [
                            "$reduce", obj [ "$eval", str "range(0, 200)" ]
                            "initial", str "ab"
                            "each(acc, x)", obj [ "$eval", str body ]
                        ])
                1,
                Gen.elements
                    [
                        "range(0, 100000000)"
                        "range(0, 1e15)"
                        "join(range(0, 10000000), 'xxxxxxxx')"
                    ]
                |> Gen.map (fun e -> obj [ "$eval", str e ])
                1,
                Gen.choose (1, 20000)
                |> Gen.map (fun n -> str (String.replicate n "${'ab'}$${x}"))
                1,
                Gen.map2
                    (fun depth body ->
                        obj
                            [
                                "$map", obj [ "$eval", str $"range(0, {depth})" ]
                                "each(x)", obj [ "$map", obj [ "$eval", str "range(0, 1000)" ]; "each(y)", str body ]
                            ])
                    (Gen.choose (1, 5000))
                    (Gen.elements [ "${x}${y}"; "abcdefghij" ])
                2, hostileExpression |> Gen.map (fun e -> obj [ "$eval", str e ])
                2, hostileExpression |> Gen.map (fun e -> str $"a${{{e}}}b")
                2,
                Gen.map2
                    (fun t e -> JsonEValue.Array [| t; obj [ "$if", str e; "then", t ] |])
                    (template 2)
                    hostileExpression
            ]
