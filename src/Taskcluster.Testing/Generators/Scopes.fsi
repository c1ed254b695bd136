namespace Taskcluster.Testing

open FsCheck

/// FsCheck generators for scopes, scope sets, scope expressions, scope expression templates and
/// roles. The scopes are drawn from a small alphabet so that generated sets overlap: prefixes,
/// `*` endings and `assume:` scopes meet often enough for the interesting cases to occur.
[<RequireQualifiedAccess>]
module Scopes =

    /// A valid scope without a trailing `*` rule in mind: printable ASCII from a small alphabet
    /// (`*` may still occur anywhere, also at the end).
    val plainScope: Gen<string>

    /// A scope ending in `*`, such as `a:*`, `*` or `a**`.
    val starScope: Gen<string>

    /// A scope `assume:<roleId>`, sometimes ending in `*`, sometimes a prefix of `assume:` with a
    /// `*` (such as `assu*`) that also assumes roles.
    val assumeScope: Gen<string>

    /// Any valid scope: plain, star-ending or `assume:`.
    val scope: Gen<string>

    /// A list of valid scopes (possibly empty, possibly with duplicates).
    val scopeSet: Gen<string list>

    /// A large list of distinct, realistic-looking scopes for performance checks.
    val largeScopeSet: count: int -> Gen<string list>

    /// A scope expression over scopes from the given generator: scopes, `AnyOf` and `AllOf`
    /// nested up to a depth that grows with the size.
    val expressionOf: scopes: Gen<string> -> Gen<Taskcluster.Core.ScopeExpression>

    /// A scope expression over valid scopes.
    val expression: Gen<Taskcluster.Core.ScopeExpression>

    /// A parameter name as templates allow it.
    val parameterName: Gen<string>

    /// A template node that `ScopeTemplate.create` accepts, using only the parameter names of
    /// `templateWithParameters`.
    val templateNode: Gen<Taskcluster.Core.ScopeTemplateNode>

    /// A checked template.
    val template: Gen<Taskcluster.Core.ScopeTemplate>

    /// Values for every parameter a generated template may read: valid scope text for strings,
    /// lists of it, and booleans.
    val templateParameters: Gen<Map<string, Taskcluster.Core.Json>>

    /// A template with values for all its parameters.
    val templateWithParameters: Gen<Taskcluster.Core.ScopeTemplate * Map<string, Taskcluster.Core.Json>>

    /// A role id: a short name, sometimes ending in `*` (a role that every matching `assume:`
    /// scope gets).
    val roleId: Gen<string>

    /// A role with an id from `roleId` and a few scopes, parameterized ones included.
    val role: Gen<Taskcluster.Core.Role>

    /// Role definitions without `<..>` parameters (any cycles among them are finite).
    val plainRole: Gen<Taskcluster.Core.Role>

    /// A handful of role definitions.
    val roles: Gen<Taskcluster.Core.Role list>
