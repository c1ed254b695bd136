namespace Taskcluster.Testing

open FsCheck

/// FsCheck generators for JSON-e: values, contexts, expressions (well formed and not) and
/// templates using every operator, for property tests and for differential tests against the
/// reference implementation.
[<RequireQualifiedAccess>]
module JsonE =

    /// The names `context` binds; expressions mostly refer to these.
    val contextNames: string list

    /// Short strings over a small alphabet (with a non-ASCII letter and an astral emoji).
    val text: Gen<string>

    /// Numbers: small integers mostly, some negative, some fractional, a few large.
    val number: Gen<float>

    /// Object keys: identifiers mostly, array-index keys and odd ones sometimes.
    val key: Gen<string>

    /// JSON values (no functions), nested at most `depth` deep.
    val value: depth: int -> Gen<Taskcluster.Core.JsonEValue>

    /// A context binding every name of `contextNames`, with values of the types the names
    /// suggest most of the time.
    val context: Gen<Taskcluster.Core.JsonEValue>

    /// Well-formed expressions (which may still fail to evaluate: wrong types, unknown names).
    val expression: depth: int -> Gen<string>

    /// Expression text that is often malformed: random runs of the language's tokens and a few
    /// characters outside it.
    val brokenExpression: Gen<string>

    /// An expression: mostly well formed, sometimes broken.
    val anyExpression: Gen<string>

    /// Expressions that mostly evaluate: each operand of the type its operator wants.
    val typedExpression: Gen<string>

    /// Templates using every operator, interpolation and escapes, nested at most `depth` deep,
    /// with expressions from `expressions`.
    val templateOf: expressions: Gen<string> -> depth: int -> Gen<Taskcluster.Core.JsonEValue>

    /// Templates with expressions of every kind, most of which fail to evaluate.
    val template: depth: int -> Gen<Taskcluster.Core.JsonEValue>

    /// Expressions mutated by the hostile edits (characters replaced, tokens inserted, ranges
    /// repeated, long runs), plus long runs of single tokens: deep nesting and huge literals.
    val hostileExpression: Gen<string>

    /// Templates meant to exhaust a renderer: deep nesting, doubling strings and arrays in
    /// `$reduce`, huge ranges, long interpolation chains; with a hostile expression somewhere.
    val bombTemplate: Gen<Taskcluster.Core.JsonEValue>
