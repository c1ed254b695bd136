namespace Taskcluster.Core

open System
open System.Collections.Generic

/// A JSON-e value: what templates and contexts are made of and what a render gives back. It is
/// not the core's `Json` because JSON-e needs what JSON lacks: functions as values (the
/// built-ins, or the caller's own), every number a double (as in JavaScript), and objects whose
/// keys are ordered the JavaScript way.
///
/// Equality is JSON-e's `==`: deep, member order ignored, numbers by IEEE equality (so `NaN`
/// differs from itself), functions by identity.
[<RequireQualifiedAccess; CustomEquality; NoComparison>]
type JsonEValue =
    /// JSON `null`.
    | Null
    /// `true` or `false`.
    | Bool of bool
    /// A number (JSON-e has one number type, IEEE double).
    | Number of float
    /// A string.
    | String of string
    /// The items; never mutated once the value is built.
    | Array of JsonEValue array
    /// An object.
    | Object of JsonEObject
    /// A built-in or context function, callable from expressions.
    | Function of JsonEFunction

    override Equals: obj -> bool
    override GetHashCode: unit -> int
    static member internal Same: a: JsonEValue * b: JsonEValue -> bool

/// An immutable object. Keys are ordered as JavaScript orders an object's own keys: array-index
/// keys (`"0"`, `"17"`, ...) first in numeric order, then the others in insertion order; a key
/// set twice keeps its first position and its last value.
and [<Sealed>] JsonEObject =
    /// The number of members.
    member Count: int
    /// The keys, in JavaScript order.
    member Keys: IReadOnlyList<string>
    /// The members, in JavaScript order.
    member Members: seq<KeyValuePair<string, JsonEValue>>
    /// The value of a key, if present.
    member TryFind: key: string -> JsonEValue option
    /// Whether the key is present.
    member ContainsKey: key: string -> bool
    /// The object with no members.
    static member Empty: JsonEObject
    /// An object from members in insertion order (later duplicates win, in the first one's place).
    static member OfSeq: members: seq<string * JsonEValue> -> JsonEObject
    internal new: keys: string array * values: JsonEValue array * index: Dictionary<string, int> -> JsonEObject
    member internal KeyAt: index: int -> string
    member internal ValueAt: index: int -> JsonEValue
    member internal TryGet: key: string * value: byref<JsonEValue> -> bool

/// Collects members with JavaScript's property semantics, then orders the keys.
and [<Sealed>] internal JsonEObjectBuilder =
    new: unit -> JsonEObjectBuilder
    /// A builder with room for `capacity` members.
    new: capacity: int -> JsonEObjectBuilder
    member Count: int
    member Set: key: string * value: JsonEValue -> unit
    member Build: unit -> JsonEObject

/// A function value. The built-ins are functions; a caller may put its own in the context.
and [<Sealed>] JsonEFunction =
    /// The name it is known by (used in messages).
    member Name: string
    /// A function of the caller's: it gets the evaluated arguments and answers a value or a
    /// message, which becomes an `InterpreterError`. It must be pure and must not throw.
    static member Create: name: string * invoke: (JsonEValue list -> Result<JsonEValue, string>) -> JsonEFunction

    internal new:
        name: string * builtin: string * custom: (JsonEValue list -> Result<JsonEValue, string>) -> JsonEFunction

    member internal Builtin: string
    member internal Custom: (JsonEValue list -> Result<JsonEValue, string>)

/// What went wrong, as the reference implementation names it.
[<RequireQualifiedAccess>]
type JsonEErrorKind =
    /// An expression that does not parse (or an unterminated `${`).
    | SyntaxError
    /// Where the reference implementation fails with a JavaScript `TypeError` (an expression
    /// that is empty or ends too early, surplus arguments to a built-in, ...).
    | TypeError
    /// An expression that parses but cannot be evaluated (wrong operand types, unknown names...).
    | InterpreterError
    /// A template that is not well formed (bad operator properties, wrong value types...).
    | TemplateError
    /// A built-in given the wrong number or types of arguments.
    | BuiltinError
    /// Where the reference implementation throws a plain JavaScript `Error` (an offset that
    /// `fromNow` cannot read); described as `Error`, as there.
    | PlainError
    /// One of the `JsonELimits` was exceeded: nesting too deep, too much work, output too large.
    | LimitExceeded

/// A render or evaluation failure: the kind, the message, and where in the template it happened.
[<StructuralEquality; NoComparison>]
type JsonEError =
    {
        /// The class of failure, as the reference implementation names its errors.
        Kind: JsonEErrorKind
        /// The message, worded as the reference implementation words it.
        Message: string
        /// The path inside the template, as steps such as `.task`, `[0]` or `["a b"]`, outermost
        /// first (empty at the top).
        Location: string list
    }

    /// The path as the reference implementation writes it, e.g. `template.tasks[0]`.
    member Path: string
    /// `Kind at template.path: message`, or `Kind: message` at the top, as the reference
    /// implementation's `toString` gives it.
    member Describe: unit -> string

/// Bounds that keep every render finite whatever the template and context.
type JsonELimits =
    {
        /// The deepest nesting accepted in templates, expressions and values.
        MaxDepth: int
        /// A budget of work units (roughly one per node visited, item copied or character
        /// written); a render that needs more fails with `LimitExceeded`.
        MaxWork: int64
        /// The largest result: values plus characters of strings and keys.
        MaxOutputSize: int64
    }

/// How a JSON-e failure travels inside the renderer; it never leaves the `JsonE` module.
[<Sealed>]
type internal JsonEFailure =
    inherit Exception
    new: error: JsonEError -> JsonEFailure
    member Error: JsonEError

/// Raising a JSON-e failure.
[<RequireQualifiedAccess>]
module internal JsonEFail =
    /// Fails with the kind and message, at no location yet.
    val raise: kind: JsonEErrorKind -> message: string -> 'T

/// Conversions and helpers for JSON-e values.
[<RequireQualifiedAccess>]
module JsonEValue =
    /// Depth 256, work 50,000,000, output 10,000,000.
    val defaultLimits: JsonELimits

    /// A core JSON value as a JSON-e value (integers become doubles, as in JavaScript).
    val ofJson: json: Json -> JsonEValue

    /// A JSON-e value as core JSON: integral numbers within ±2^53 become `Integer`, other finite
    /// numbers `Number`, `NaN` and infinities `null` (as `JSON.stringify` writes them). A function
    /// anywhere is refused.
    val toJson: value: JsonEValue -> Result<Json, string>

    /// An object value from members.
    val ofMembers: members: (string * JsonEValue) list -> JsonEValue
