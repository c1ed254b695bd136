namespace Taskcluster.Core

/// A parsed JSON-e expression. `Missing` is where the reference parser leaves a hole (an
/// operand it could not find but did not reject); evaluating it is a `TypeError`, as there.
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

/// The JSON-e expression parser: the reference implementation's recursive descent (its
/// precedence levels, its tolerance of holes, its messages), with a nesting limit.
[<RequireQualifiedAccess>]
module internal JsonEParser =
    /// Parses a whole expression; fails (with a `JsonEFailure`) as the reference does.
    val parse: maxDepth: int -> source: string -> JsonEExpr

    /// Parses an expression that starts at `start` and ends at a `}` (inside `${...}`); gives the
    /// tree and the offset of that `}` in `source`.
    val parseUntilBrace: maxDepth: int -> source: string -> start: int -> JsonEExpr * int
