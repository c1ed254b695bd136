namespace Taskcluster.Core

/// The mutable bookkeeping of one render: the work spent against the limits, and the one piece
/// of state the reference's built-ins keep between calls. Never shared between renders.
[<Sealed>]
type internal JsonEState =
    new: limits: JsonELimits -> JsonEState
    member Limits: JsonELimits
    /// Spends work; fails with `LimitExceeded` past `MaxWork`.
    member Charge: units: int64 -> unit
    /// Fails with `LimitExceeded` when `depth` is past `MaxDepth` or the stack runs low.
    member CheckDepth: depth: int * what: string -> unit
    /// The argument types `range` currently checks (see `JsonEBuiltins.call`).
    member RangeTests: string array with get, set
    /// The render's "now" (a `toJSON` timestamp), used where the reference would read the clock.
    member Now: JsonEValue with get, set

/// The names an expression can see: a chain of frames, innermost first.
[<Sealed; AllowNullLiteral>]
type internal JsonEScope =
    /// A frame of one object's members.
    new: members: JsonEObject * parent: JsonEScope -> JsonEScope
    /// A frame of a few bindings (later names win).
    new: names: string array * values: JsonEValue array * parent: JsonEScope -> JsonEScope
    member TryFind: name: string * value: byref<JsonEValue> -> bool

/// JavaScript's conversions as JSON-e relies on them, and the built-in functions.
[<RequireQualifiedAccess>]
module internal JsonEBuiltins =
    /// The built-ins, as the outermost frame of every context.
    val scope: JsonEScope
    /// `Number.prototype.toString`.
    val numberToString: n: float -> string
    /// `String(value)` (arrays joined with commas, objects `[object Object]`).
    val toJsString: state: JsonEState -> value: JsonEValue -> string
    /// JavaScript's `Number(string)`.
    val stringToNumber: text: string -> float
    /// JSON-e truthiness.
    val isTruthy: value: JsonEValue -> bool
    /// JSON-e's `==`, charging work for every node compared.
    val isEqual: state: JsonEState -> a: JsonEValue -> b: JsonEValue -> bool
    /// The code points of a string (lone surrogates on their own), as `[...s]` splits it.
    val codePoints: s: string -> string array
    /// The reference's `fromNow(offset, reference)`: a `toJSON` timestamp, or `null` for an
    /// invalid or out-of-range date; an unreadable offset is a `PlainError`.
    val fromNow: state: JsonEState -> offset: string -> reference: JsonEValue -> JsonEValue
    /// Calls a function value with evaluated arguments in a scope.
    val call: state: JsonEState -> scope: JsonEScope -> f: JsonEFunction -> args: JsonEValue list -> JsonEValue
