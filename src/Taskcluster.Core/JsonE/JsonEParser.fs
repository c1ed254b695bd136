namespace Taskcluster.Core

open System
open System.Runtime.CompilerServices

[<RequireQualifiedAccess>]
type internal JsonEExpr =
    | Missing
    | Literal of JsonEValue
    | ContextValue of name: string
    | Unary of op: JsonETokenKind * operand: JsonEExpr
    | Binary of op: JsonETokenKind * left: JsonEExpr * right: JsonEExpr
    | Dot of target: JsonEExpr * name: string
    | Call of callee: JsonEExpr * arguments: JsonEExpr list
    | Access of target: JsonEExpr * isInterval: bool * left: JsonEExpr option * right: JsonEExpr option
    | List of items: JsonEExpr list
    | ObjectLiteral of members: (string * JsonEExpr) list

[<RequireQualifiedAccess>]
module internal JsonEParser =
    // The tokens that may start an operand, as the reference lists them in its messages.
    let private expectedOperand =
        "!, (, +, -, [, false, identifier, null, number, string, true, {"

    // What may follow a complete expression, as the reference's top level lists it.
    let private expectedOperator =
        "!=, &&, (, *, **, +, -, ., /, <, <=, ==, >, >=, [, in, ||"

    let private syntax message =
        JsonEFail.raise JsonEErrorKind.SyntaxError message

    // The reference dereferences a missing token in these places; JavaScript then throws a
    // TypeError, which we keep as its own kind.
    let private nullDeref property =
        JsonEFail.raise JsonEErrorKind.TypeError $"Cannot read properties of null (reading '{property}')"

    let private level kind =
        match kind with
        | JsonETokenKind.Or -> 0
        | JsonETokenKind.And -> 1
        | JsonETokenKind.In -> 2
        | JsonETokenKind.Equal
        | JsonETokenKind.NotEqual -> 3
        | JsonETokenKind.Less
        | JsonETokenKind.Greater
        | JsonETokenKind.LessEqual
        | JsonETokenKind.GreaterEqual -> 4
        | JsonETokenKind.Plus
        | JsonETokenKind.Minus -> 5
        | JsonETokenKind.Star
        | JsonETokenKind.Slash -> 6
        | JsonETokenKind.Pow -> 7
        | _ -> -1

    type private Parser(source: string, start: int, maxDepth: int) =
        let lex offset =
            match JsonELexer.next source start offset with
            | Ok t -> t
            | Error message -> syntax message

        let mutable current: JsonEToken option = lex start
        let mutable depth = 0

        let ruleError (token: JsonEToken option) (expected: string) : 'T =
            match token with
            | None -> nullDeref "value"
            | Some t -> syntax $"Found: {t.Value} token, expected one of: {expected}"

        let kindOf () =
            match current with
            | None -> nullDeref "kind"
            | Some t -> t.Kind

        let take (kinds: JsonETokenKind list) =
            match current with
            | None -> syntax "Unexpected end of input"
            | Some t ->
                if not (List.isEmpty kinds) && not (List.contains t.Kind kinds) then
                    let names =
                        kinds
                        |> List.map JsonELexer.kindName
                        |> List.sortWith (fun a b -> String.CompareOrdinal(a, b))

                    ruleError current (String.Join(", ", names))

                current <- lex t.End

        let enter () =
            depth <- depth + 1

            if depth > maxDepth || not (RuntimeHelpers.TryEnsureSufficientExecutionStack()) then
                JsonEFail.raise JsonEErrorKind.LimitExceeded $"expression nested deeper than {maxDepth} levels"

        let leave () = depth <- depth - 1

        member _.Current = current

        member this.Expression(minLevel: int) : JsonEExpr =
            enter ()
            let mutable node = this.Postfix()
            let mutable go = true

            while go do
                match current with
                | Some t when level t.Kind >= minLevel ->
                    let l = level t.Kind
                    take []

                    if l = 7 then
                        node <- JsonEExpr.Binary(t.Kind, node, this.Expression 7)
                    else
                        node <- JsonEExpr.Binary(t.Kind, node, this.Expression(l + 1))
                | _ -> go <- false

            leave ()
            node

        member this.Postfix() : JsonEExpr =
            let mutable node = this.Unit()
            let mutable go = true

            while go do
                match current with
                | Some t when t.Kind = JsonETokenKind.LBracket -> node <- this.Brackets node
                | Some t when t.Kind = JsonETokenKind.Dot ->
                    take []

                    let name =
                        match current with
                        | Some t -> t.Value
                        | None -> ""

                    take [ JsonETokenKind.Identifier ]
                    node <- JsonEExpr.Dot(node, name)
                | Some t when t.Kind = JsonETokenKind.LParen -> node <- this.Call node
                | _ -> go <- false

            node

        member this.Unit() : JsonEExpr =
            match kindOf () with
            | JsonETokenKind.Minus
            | JsonETokenKind.Plus
            | JsonETokenKind.Not as op ->
                take []
                enter ()
                let operand = this.Unit()
                leave ()
                JsonEExpr.Unary(op, operand)
            | JsonETokenKind.Number ->
                let text = current.Value.Value
                take []
                JsonEExpr.Literal(JsonEValue.Number(Double.Parse(text, Globalization.CultureInfo.InvariantCulture)))
            | JsonETokenKind.String ->
                let text = current.Value.Value
                take []
                JsonEExpr.Literal(JsonEValue.String(text.Substring(1, text.Length - 2)))
            | JsonETokenKind.True ->
                take []
                JsonEExpr.Literal(JsonEValue.Bool true)
            | JsonETokenKind.False ->
                take []
                JsonEExpr.Literal(JsonEValue.Bool false)
            | JsonETokenKind.Null ->
                take []
                JsonEExpr.Literal JsonEValue.Null
            | JsonETokenKind.Identifier ->
                let name = current.Value.Value
                take []
                JsonEExpr.ContextValue name
            | JsonETokenKind.LParen ->
                take []
                let node = this.Expression 0

                match node with
                | JsonEExpr.Missing -> ruleError current expectedOperand
                | _ -> ()

                take [ JsonETokenKind.RParen ]
                node
            | JsonETokenKind.LBracket -> this.List()
            | JsonETokenKind.LBrace -> this.Object()
            | _ -> JsonEExpr.Missing

        member this.Call(callee: JsonEExpr) : JsonEExpr =
            take []
            let args = ResizeArray()

            if kindOf () <> JsonETokenKind.RParen then
                args.Add(this.Expression 0)

                while (match current with
                       | Some t -> t.Kind = JsonETokenKind.Comma
                       | None -> false) do
                    if args[args.Count - 1].IsMissing then
                        ruleError current expectedOperand

                    take []
                    args.Add(this.Expression 0)

            take [ JsonETokenKind.RParen ]
            JsonEExpr.Call(callee, List.ofSeq args)

        member this.List() : JsonEExpr =
            take []
            let items = ResizeArray()

            if kindOf () <> JsonETokenKind.RBracket then
                items.Add(this.Expression 0)

                while kindOf () = JsonETokenKind.Comma do
                    if items[items.Count - 1].IsMissing then
                        ruleError current expectedOperand

                    take []
                    items.Add(this.Expression 0)

            take [ JsonETokenKind.RBracket ]
            JsonEExpr.List(List.ofSeq items)

        member this.Brackets(target: JsonEExpr) : JsonEExpr =
            take []

            if kindOf () = JsonETokenKind.RBracket then
                ruleError current expectedOperand

            let mutable left = JsonEExpr.Missing
            let mutable right = JsonEExpr.Missing
            let mutable interval = false

            if kindOf () <> JsonETokenKind.Colon then
                left <- this.Expression 0

            if kindOf () = JsonETokenKind.Colon then
                interval <- true
                take []

            if kindOf () <> JsonETokenKind.RBracket then
                right <- this.Expression 0

            if interval && right.IsMissing && kindOf () <> JsonETokenKind.RBracket then
                ruleError current expectedOperand

            take [ JsonETokenKind.RBracket ]
            let some (e: JsonEExpr) = if e.IsMissing then None else Some e
            JsonEExpr.Access(target, interval, some left, some right)

        member this.Object() : JsonEExpr =
            take []
            // The builder gives JavaScript's key order (array indices first, a repeated key in its
            // first place); each member's value is the index of its expression.
            let order = JsonEObjectBuilder()
            let exprs = ResizeArray<JsonEExpr>()
            let mutable go = true

            while go
                  && (match current with
                      | Some t -> t.Kind = JsonETokenKind.String || t.Kind = JsonETokenKind.Identifier
                      | None -> false) do
                let t = current.Value

                let key =
                    if t.Kind = JsonETokenKind.String then
                        t.Value.Substring(1, t.Value.Length - 2)
                    else
                        t.Value

                take []
                take [ JsonETokenKind.Colon ]
                let value = this.Expression 0

                match value with
                | JsonEExpr.Missing -> ruleError current expectedOperand
                | _ -> ()

                exprs.Add value
                order.Set(key, JsonEValue.Number(float (exprs.Count - 1)))

                match current with
                | Some t when t.Kind = JsonETokenKind.RBrace -> go <- false
                | _ -> take [ JsonETokenKind.Comma ]

            take [ JsonETokenKind.RBrace ]
            let built = order.Build()

            JsonEExpr.ObjectLiteral
                [
                    for i in 0 .. built.Count - 1 ->
                        match built.ValueAt i with
                        | JsonEValue.Number n -> built.KeyAt i, exprs[int n]
                        | _ -> built.KeyAt i, JsonEExpr.Missing
                ]

    let parse maxDepth (source: string) =
        let p = Parser(source, 0, maxDepth)
        let tree = p.Expression 0

        match p.Current with
        | Some t ->
            JsonEFail.raise JsonEErrorKind.SyntaxError $"Found: {t.Value} token, expected one of: {expectedOperator}"
        | None -> tree

    let parseUntilBrace maxDepth (source: string) (start: int) =
        let p = Parser(source, start, maxDepth)
        let tree = p.Expression 0

        match p.Current with
        | None -> JsonEFail.raise JsonEErrorKind.SyntaxError "unterminated ${..} expression"
        | Some t when t.Kind <> JsonETokenKind.RBrace ->
            JsonEFail.raise JsonEErrorKind.SyntaxError $"Found: {t.Value} token, expected one of: {expectedOperator}"
        | Some t -> tree, t.Start
