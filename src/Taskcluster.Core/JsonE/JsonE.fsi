namespace Taskcluster.Core

open System

/// JSON-e 4.8.4 (https://json-e.js.org), the template language of Taskcluster hooks and of
/// `.taskcluster.yml`: every operator, `$$` escapes, `${...}` interpolation, the expression
/// language and every built-in, with the reference implementation's errors. Pure and total: the
/// caller passes "now", nothing throws, and `JsonELimits` bound depth, work and output.
[<RequireQualifiedAccess>]
module JsonE =
    /// Renders a template in a context (an object whose keys are identifiers) at the instant
    /// `now` (the context's `now` unless the context sets one), within the default limits.
    val render: template: JsonEValue -> context: JsonEValue -> now: DateTimeOffset -> Result<JsonEValue, JsonEError>

    /// `render` within the given limits.
    val renderWith:
        limits: JsonELimits ->
        template: JsonEValue ->
        context: JsonEValue ->
        now: DateTimeOffset ->
            Result<JsonEValue, JsonEError>

    /// `render` over core JSON values, giving core JSON back.
    val renderJson: template: Json -> context: Json -> now: DateTimeOffset -> Result<Json, JsonEError>

    /// Evaluates one expression (what `$eval` does) in a context at the instant `now`.
    val evaluate: expression: string -> context: JsonEValue -> now: DateTimeOffset -> Result<JsonEValue, JsonEError>

    /// The size `MaxOutputSize` measures: one per value, plus the characters of strings and keys.
    val size: value: JsonEValue -> int64
