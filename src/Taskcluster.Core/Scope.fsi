namespace Taskcluster.Core

/// A scope expression as `taskcluster-lib-scopes` defines it: a required scope, or `AnyOf` /
/// `AllOf` of further expressions. `AnyOf []` is never satisfied, `AllOf []` always is.
[<RequireQualifiedAccess>]
type ScopeExpression =
    /// One required scope.
    | Scope of string
    /// Satisfied when at least one of the expressions is.
    | AnyOf of ScopeExpression list
    /// Satisfied when every one of the expressions is.
    | AllOf of ScopeExpression list

/// Why a scope or a scope expression was refused.
[<RequireQualifiedAccess>]
type ScopeError =
    /// The scope has characters outside printable ASCII (0x20-0x7E), or is null.
    | InvalidScope of scope: string
    /// The JSON is not a scope expression (the decode error names the path).
    | InvalidExpression of DecodeError

    /// A one-line description quoting the bad value.
    member Describe: unit -> string

/// A prepared, immutable set of held scopes: normalised once, then every satisfaction check is a
/// hash lookup plus one binary search over the star prefixes instead of a scan of every held
/// scope. Build one with `ScopeSet.ofSeq` when the same scopes are checked more than once.
[<Sealed>]
type ScopeSet =
    /// The normalised scopes, sorted with `Scope.scopeCompare`.
    member Scopes: string list
    /// The number of scopes left after normalisation.
    member Count: int
    /// True when some held scope satisfies the required scope (a null scope is never satisfied).
    member Satisfies: scope: string -> bool
    /// True when the held scopes satisfy the expression.
    member SatisfiesExpression: expression: ScopeExpression -> bool
    /// The normalised scopes, e.g. `ScopeSet ["a*"; "b"]`.
    override ToString: unit -> string
    /// Two sets are equal when their normalised scopes are.
    override Equals: obj -> bool
    /// Consistent with `Equals`.
    override GetHashCode: unit -> int
    interface System.IEquatable<ScopeSet>

/// Operations on prepared scope sets.
[<RequireQualifiedAccess>]
module ScopeSet =
    /// The set holding no scope.
    val empty: ScopeSet

    /// Prepares held scopes (O(n log n)); null entries are ignored.
    val ofSeq: scopes: string seq -> ScopeSet

    /// The normalised scopes, sorted with `Scope.scopeCompare`.
    val toList: set: ScopeSet -> string list

    /// True when some held scope satisfies the required scope.
    val satisfies: set: ScopeSet -> scope: string -> bool

    /// `satisfiesExpression` against prepared scopes.
    val satisfiesExpression: set: ScopeSet -> expression: ScopeExpression -> bool

    /// `scopesSatisfying` against prepared scopes.
    val scopesSatisfying: set: ScopeSet -> expression: ScopeExpression -> string list option

    /// `removeGivenScopes` against prepared scopes.
    val removeGivenScopes: set: ScopeSet -> expression: ScopeExpression -> ScopeExpression option

/// The scope algebra of `taskcluster-lib-scopes` (and the Python client's `scopeMatch`).
/// A held scope ending in `*` satisfies every scope that starts with the text before the `*`;
/// any other held scope satisfies only itself. Functions taking held scopes as a sequence make
/// one pass over them; for repeated checks prepare a `ScopeSet`.
[<RequireQualifiedAccess>]
module Scope =
    /// `validScope`: true when the scope is made of printable ASCII (0x20-0x7E) only.
    val validScope: scope: string -> bool

    /// Returns the scope when it is valid, else `InvalidScope` quoting it.
    val validateScope: scope: string -> Result<string, ScopeError>

    /// `validExpression`: true when every scope in the expression is valid.
    val validExpression: expression: ScopeExpression -> bool

    /// Returns the expression when it is valid, else `InvalidScope` naming the first bad scope.
    val validateExpression: expression: ScopeExpression -> Result<ScopeExpression, ScopeError>

    /// `patternMatch`: true when the held scope (the pattern) satisfies the required scope.
    val patternMatch: pattern: string -> scope: string -> bool

    /// Decodes `"scope"`, `{"AnyOf": [...]}` or `{"AllOf": [...]}` (exactly one member), refusing
    /// scopes that are not valid, as `validExpression` does.
    val expressionDecoder: Decoder<ScopeExpression>

    /// Decodes the shape of an expression but accepts any string as a scope, as the evaluation
    /// functions of `taskcluster-lib-scopes` do.
    val lenientExpressionDecoder: Decoder<ScopeExpression>

    /// Parses JSON text with `expressionDecoder`.
    val parseExpression: json: string -> Result<ScopeExpression, ScopeError>

    /// The expression as JSON (`"scope"`, `{"AnyOf":[...]}`, `{"AllOf":[...]}`).
    val encodeExpression: expression: ScopeExpression -> Json

    /// `satisfiesExpression`: true when the held scopes satisfy the expression.
    val satisfiesExpression: scopes: string seq -> expression: ScopeExpression -> bool

    /// `scopesSatisfying`: when the held scopes satisfy the expression, the required scopes of the
    /// expression that were satisfied (every satisfied branch of an `AnyOf`), normalised; else
    /// `None`. As upstream, these are scopes of the expression, not of the held set.
    val scopesSatisfying: scopes: string seq -> expression: ScopeExpression -> string list option

    /// `removeGivenScopes`: the part of the expression the held scopes do not satisfy, or `None`
    /// when they satisfy it. Satisfied scopes are dropped, a one-element `AnyOf`/`AllOf` becomes
    /// its element; this names the missing scopes of an `InsufficientScopes` error.
    val removeGivenScopes: scopes: string seq -> expression: ScopeExpression -> ScopeExpression option

    /// `scopeCompare`: ordinal order except that a trailing `*` sorts before the end of the text,
    /// so `a*` < `a` < `a(` < `aa`. Returns -1, 0 or 1.
    val scopeCompare: a: string -> b: string -> int

    /// `normalizeScopeSet`: sorts with `scopeCompare` and removes duplicates and every scope
    /// satisfied by another star scope in the set (so `a*` absorbs `a`, `ab` and `a**`).
    /// The input need not be sorted; the result is. Null entries are dropped.
    val normalizeScopeSet: scopes: string seq -> string list

    /// `scopeUnion`: the normalised union of two scope sets.
    val scopeUnion: scopes1: string seq -> scopes2: string seq -> string list

    /// `scopeIntersection`: the scopes of either set that the other set satisfies, without
    /// duplicates, first set first. Not normalised, as upstream: the intersection of
    /// `["a:*"; "a:b*"]` and `["a:*"]` is both scopes.
    val scopeIntersection: scopes1: string seq -> scopes2: string seq -> string list

    /// `scopeMatch` (Python client): `requiredScopeSets` is in disjunctive normal form; true when
    /// the held scopes satisfy every scope of at least one inner list.
    val scopeMatch: assumedScopes: string seq -> requiredScopeSets: string list list -> bool
