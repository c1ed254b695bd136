namespace Taskcluster.Core

open System

[<RequireQualifiedAccess>]
module internal JsonEInterpreter =
    let private fail message =
        JsonEFail.raise JsonEErrorKind.InterpreterError message

    let private expectation operator expected = fail $"{operator} expects {expected}"

    let private isInteger (n: float) = Double.IsFinite n && Math.Floor n = n

    // JavaScript's ToNumber, only as far as the relational comparisons of slicing need it.
    let private toNumber (state: JsonEState) (v: JsonEValue) =
        match v with
        | JsonEValue.Number n -> n
        | JsonEValue.Bool b -> if b then 1.0 else 0.0
        | JsonEValue.Null -> 0.0
        | JsonEValue.String s -> JsonEBuiltins.stringToNumber s
        | JsonEValue.Array _ -> JsonEBuiltins.stringToNumber (JsonEBuiltins.toJsString state v)
        | JsonEValue.Object _
        | JsonEValue.Function _ -> nan

    /// The reference's `slice_or_index`, JavaScript coercions included, over a sequence of
    /// `length` items; `Choice1Of2 i` is an index, `Choice2Of2 (a, b)` a slice.
    let private sliceOrIndex state isInterval (length: int) (left: JsonEValue) (right: JsonEValue) =
        let len = float length

        if isInterval then
            // `left < 0` turns a non-number into a string (len + left), which then never compares.
            let mutable leftNum =
                match left with
                | JsonEValue.Number n ->
                    let n = if n < 0.0 then len + n else n
                    Some(if n < 0.0 then 0.0 else n)
                | v when toNumber state v < 0.0 -> None
                | _ -> None

            let leftCompare =
                match left with
                | JsonEValue.Number _ -> leftNum.Value
                | v when toNumber state v < 0.0 -> nan
                | v -> toNumber state v

            let rightNum =
                match right with
                | JsonEValue.Null -> Some len
                | JsonEValue.Number n ->
                    let n = if n < 0.0 then len + n else n
                    Some(if n < 0.0 then 0.0 else n)
                | _ -> None

            match rightNum with
            | Some r when leftCompare > r -> leftNum <- Some r
            | _ -> ()

            match leftNum, rightNum with
            | Some l, Some r when isInteger l && isInteger r ->
                let a = int (min l len)
                let b = int (min r len)
                Choice2Of2(a, max a b)
            | _ -> fail "cannot perform interval access with non-integers"
        else
            match left with
            | JsonEValue.Number n ->
                let n = if n < 0.0 then len + n else n
                let n = if n < 0.0 then 0.0 else n

                if not (isInteger n) then
                    fail "should only use integers to access arrays or strings"

                if n >= len then
                    fail "index out of bounds"

                Choice1Of2(int n)
            | _ -> fail "should only use integers to access arrays or strings"

    let rec private eval (state: JsonEState) (scope: JsonEScope) (depth: int) (expr: JsonEExpr) : JsonEValue =
        state.CheckDepth(depth, "expression")
        state.Charge 1L
        let next = depth + 1

        match expr with
        | JsonEExpr.Missing ->
            JsonEFail.raise JsonEErrorKind.TypeError "Cannot read properties of undefined (reading 'constructorName')"
        | JsonEExpr.Literal v -> v
        | JsonEExpr.ContextValue name ->
            let mutable v = JsonEValue.Null

            if scope.TryFind(name, &v) then
                v
            else
                fail $"unknown context value {name}"
        | JsonEExpr.Unary(op, operand) ->
            let v = eval state scope next operand

            match op, v with
            | JsonETokenKind.Plus, JsonEValue.Number _ -> v
            | JsonETokenKind.Plus, _ -> expectation "unary +" "number"
            | JsonETokenKind.Minus, JsonEValue.Number n -> JsonEValue.Number(-n)
            | JsonETokenKind.Minus, _ -> expectation "unary -" "number"
            | _ -> JsonEValue.Bool(not (JsonEBuiltins.isTruthy v))
        | JsonEExpr.Binary(JsonETokenKind.Or, l, r) ->
            let lv = eval state scope next l
            JsonEValue.Bool(JsonEBuiltins.isTruthy lv || JsonEBuiltins.isTruthy (eval state scope next r))
        | JsonEExpr.Binary(JsonETokenKind.And, l, r) ->
            let lv = eval state scope next l
            JsonEValue.Bool(JsonEBuiltins.isTruthy lv && JsonEBuiltins.isTruthy (eval state scope next r))
        | JsonEExpr.Binary(JsonETokenKind.Pow, b, e) ->
            // The reference keeps the exponent as the left operand and evaluates it first.
            let ev = eval state scope next e
            let bv = eval state scope next b

            match ev, bv with
            | JsonEValue.Number x, JsonEValue.Number y ->
                // Math.pow differs from IEEE pow on these: NaN exponents and |base| = 1 with an
                // infinite exponent give NaN.
                if Double.IsNaN x || (Double.IsInfinity x && abs y = 1.0) then
                    JsonEValue.Number nan
                else
                    JsonEValue.Number(Math.Pow(y, x))
            | _ -> expectation "infix: **" "number ** number"
        | JsonEExpr.Binary(op, l, r) ->
            let lv = eval state scope next l
            let rv = eval state scope next r
            let name = JsonELexer.kindName op

            match op with
            | JsonETokenKind.Plus ->
                match lv, rv with
                | JsonEValue.Number x, JsonEValue.Number y -> JsonEValue.Number(x + y)
                | JsonEValue.String x, JsonEValue.String y ->
                    state.Charge(int64 x.Length + int64 y.Length)
                    JsonEValue.String(x + y)
                | _ -> expectation "infix: +" "numbers/strings + numbers/strings"
            | JsonETokenKind.Minus
            | JsonETokenKind.Star
            | JsonETokenKind.Slash ->
                match lv, rv with
                | JsonEValue.Number x, JsonEValue.Number y ->
                    match op with
                    | JsonETokenKind.Minus -> JsonEValue.Number(x - y)
                    | JsonETokenKind.Star -> JsonEValue.Number(x * y)
                    | _ when y = 0.0 -> fail "division by zero"
                    | _ -> JsonEValue.Number(x / y)
                | _ -> expectation $"infix: {name}" $"number {name} number"
            | JsonETokenKind.Less
            | JsonETokenKind.Greater
            | JsonETokenKind.LessEqual
            | JsonETokenKind.GreaterEqual ->
                let c =
                    match lv, rv with
                    | JsonEValue.Number x, JsonEValue.Number y ->
                        if Double.IsNaN x || Double.IsNaN y then None
                        elif x < y then Some -1
                        elif x > y then Some 1
                        else Some 0
                    | JsonEValue.String x, JsonEValue.String y -> Some(sign (String.CompareOrdinal(x, y)))
                    | _ -> expectation $"infix: {name}" $"numbers/strings {name} numbers/strings"

                match c with
                | None -> JsonEValue.Bool false
                | Some c ->
                    match op with
                    | JsonETokenKind.Less -> JsonEValue.Bool(c < 0)
                    | JsonETokenKind.Greater -> JsonEValue.Bool(c > 0)
                    | JsonETokenKind.LessEqual -> JsonEValue.Bool(c <= 0)
                    | _ -> JsonEValue.Bool(c >= 0)
            | JsonETokenKind.Equal -> JsonEValue.Bool(JsonEBuiltins.isEqual state lv rv)
            | JsonETokenKind.NotEqual -> JsonEValue.Bool(not (JsonEBuiltins.isEqual state lv rv))
            | JsonETokenKind.In ->
                match rv with
                | JsonEValue.Object o ->
                    match lv with
                    | JsonEValue.String key -> JsonEValue.Bool(o.ContainsKey key)
                    | _ -> expectation "Infix: in-object" "string on left side"
                | JsonEValue.String s ->
                    match lv with
                    | JsonEValue.String part ->
                        state.Charge(int64 s.Length)
                        JsonEValue.Bool(s.Contains(part, StringComparison.Ordinal))
                    | _ -> expectation "Infix: in-string" "string on left side"
                | JsonEValue.Array items -> JsonEValue.Bool(items |> Array.exists (JsonEBuiltins.isEqual state lv))
                | _ -> expectation "Infix: in" "Array, string, or object on right side"
            | _ -> fail $"unknown operator {name}"
        | JsonEExpr.Dot(target, name) ->
            match eval state scope next target with
            | JsonEValue.Object o ->
                match o.TryFind name with
                | Some v -> v
                | None -> fail $"object has no property \"{name}\""
            | _ -> expectation "infix: ." "objects"
        | JsonEExpr.Call(callee, args) ->
            match eval state scope next callee with
            | JsonEValue.Function f ->
                let values = args |> List.map (eval state scope next)
                JsonEBuiltins.call state scope f values
            | v -> fail $"{JsonEBuiltins.toJsString state v} is not callable"
        | JsonEExpr.Access(target, isInterval, left, right) ->
            let value = eval state scope next target

            let l =
                match left with
                | Some e -> eval state scope next e
                | None -> JsonEValue.Number 0.0

            let r =
                match right with
                | Some e -> eval state scope next e
                | None -> JsonEValue.Null

            match value with
            | JsonEValue.Array items ->
                match sliceOrIndex state isInterval items.Length l r with
                | Choice1Of2 i -> items[i]
                | Choice2Of2(a, b) ->
                    state.Charge(int64 (b - a))
                    JsonEValue.Array(Array.sub items a (b - a))
            | JsonEValue.String s when s |> Seq.forall (fun c -> c < '\u0080') ->
                match sliceOrIndex state isInterval s.Length l r with
                | Choice1Of2 i -> JsonEValue.String(string s[i])
                | Choice2Of2(a, b) -> JsonEValue.String(s.Substring(a, b - a))
            | JsonEValue.String s ->
                state.Charge(int64 s.Length)
                let points = JsonEBuiltins.codePoints s

                match sliceOrIndex state isInterval points.Length l r with
                | Choice1Of2 i -> JsonEValue.String points[i]
                | Choice2Of2(a, b) -> JsonEValue.String(String.Join("", points, a, b - a))
            | JsonEValue.Object o ->
                match l with
                | JsonEValue.String key -> o.TryFind key |> Option.defaultValue JsonEValue.Null
                | _ -> fail "object keys must be strings"
            | _ -> expectation "infix: \"[..]\"" "object, array, or string"
        | JsonEExpr.List items ->
            match items with
            // The reference returns an empty list when the first item is a hole, without
            // evaluating the rest.
            | []
            | JsonEExpr.Missing :: _ -> JsonEValue.Array [||]
            | _ ->
                state.Charge(int64 items.Length)
                JsonEValue.Array(items |> List.map (eval state scope next) |> List.toArray)
        | JsonEExpr.ObjectLiteral members ->
            let b = JsonEObjectBuilder()

            for key, e in members do
                b.Set(key, eval state scope next e)

            JsonEValue.Object(b.Build())

    let evaluate state scope expr = eval state scope 0 expr
