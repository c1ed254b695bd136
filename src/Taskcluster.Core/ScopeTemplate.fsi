namespace Taskcluster.Core

/// The kind of value a template parameter must have.
[<RequireQualifiedAccess>]
type TemplateParameterKind =
    /// Substituted into a `<name>` placeholder: a string (a number is written as JavaScript would).
    | String
    /// The list a `for` iterates over: an array of strings.
    | StringList
    /// The condition of an `if`: `true` or `false`.
    | Boolean

/// The syntax of a scope expression template, as the `scopes` field of an API reference entry
/// holds it. Build a usable `ScopeTemplate` with `ScopeTemplate.create`, which checks the rules
/// noted on each case.
[<RequireQualifiedAccess>]
type ScopeTemplateNode =
    /// A scope with `<name>` placeholders (a name is a letter then letters, digits or `_`; any
    /// other `<...>` is literal text).
    | Pattern of string
    /// Every element must be satisfied; a `For` element adds one scope per list item.
    | AllOf of ScopeTemplateNode list
    /// At least one element must be satisfied; a `For` element adds one scope per list item.
    | AnyOf of ScopeTemplateNode list
    /// `{"for": variable, "in": items, "each": pattern}`: allowed only as an element of
    /// `AllOf`/`AnyOf`; `each` is a pattern in which `<variable>` is the current item.
    | For of variable: string * items: string * each: string
    /// `{"if": condition, "then": ..., "else": ...}`: `then` and `else` may not be `For`. When the
    /// condition is false and there is no `else`, the branch is dropped from its enclosing
    /// `AllOf`/`AnyOf` (at the root, nothing is required).
    | If of condition: string * thenBranch: ScopeTemplateNode * elseBranch: ScopeTemplateNode option

/// Why a template could not be built, decoded or rendered.
[<RequireQualifiedAccess>]
type ScopeTemplateError =
    /// The template breaks a rule (the decode error names the path and the reason).
    | InvalidTemplate of DecodeError
    /// The parameters lack one the template needs.
    | MissingParameter of name: string
    /// A parameter has the wrong kind of value (`name` may be `list[i]` for an item of a list).
    | WrongParameterType of name: string * expected: TemplateParameterKind * actual: Json
    /// Substituting the parameter produced a scope with characters outside 0x20-0x7E.
    | InvalidScope of parameter: string * scope: string

    /// A one-line description naming the parameter and quoting the bad value.
    member Describe: unit -> string

/// A checked scope expression template: placeholders compiled, parameter kinds consistent.
[<Sealed>]
type ScopeTemplate =
    /// The template's syntax.
    member Node: ScopeTemplateNode
    /// The parameters the template reads with their kinds, in order of first use (a `for`
    /// variable is bound by the loop and is not listed).
    member Parameters: (string * TemplateParameterKind) list
    /// The template as compact JSON.
    override ToString: unit -> string
    /// Equal when the syntax is equal.
    override Equals: obj -> bool
    /// Consistent with `Equals`.
    override GetHashCode: unit -> int
    interface System.IEquatable<ScopeTemplate>

/// Scope expression templates (the `scopes` of API references) and their rendering into scope
/// expressions, as the Taskcluster API library does before checking a caller's scopes.
[<RequireQualifiedAccess>]
module ScopeTemplate =
    /// Checks the syntax: names of `for`/`in`/`if` are identifiers, `For` only inside
    /// `AllOf`/`AnyOf`, literal text is printable ASCII, no parameter is used with two kinds.
    val create: node: ScopeTemplateNode -> Result<ScopeTemplate, ScopeTemplateError>

    /// Decodes the JSON form (`"..."`, `{"AllOf": [...]}`, `{"AnyOf": [...]}`,
    /// `{"for", "in", "each"}`, `{"if", "then", "else"?}`) with the checks of `create`.
    val decoder: Decoder<ScopeTemplate>

    /// Decodes a `Json` value with `decoder`'s rules.
    val ofJson: json: Json -> Result<ScopeTemplate, ScopeTemplateError>

    /// Parses JSON text with `decoder`.
    val parse: json: string -> Result<ScopeTemplate, ScopeTemplateError>

    /// The JSON form of the template.
    val toJson: template: ScopeTemplate -> Json

    /// The parameters the template reads, with their kinds, in order of first use.
    val parameters: template: ScopeTemplate -> (string * TemplateParameterKind) list

    /// The names of the parameters the template reads, in order of first use.
    val parameterNames: template: ScopeTemplate -> string list

    /// Renders the template into a scope expression. `parameters` are the route parameters plus
    /// the values the service derives from the payload. Unlike the JavaScript library, a missing
    /// string parameter is an error rather than an empty string. When the root is an `if` that
    /// yields nothing, the result is `AllOf []` (nothing is required).
    val render: parameters: Map<string, Json> -> template: ScopeTemplate -> Result<ScopeExpression, ScopeTemplateError>
