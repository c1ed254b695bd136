namespace Taskcluster.Core

/// Evaluates parsed JSON-e expressions, as the reference interpreter does (operand checks,
/// messages, evaluation order), charging work and bounding depth.
[<RequireQualifiedAccess>]
module internal JsonEInterpreter =
    /// The value of an expression in a scope; failures are `JsonEFailure`s.
    val evaluate: state: JsonEState -> scope: JsonEScope -> expr: JsonEExpr -> JsonEValue
