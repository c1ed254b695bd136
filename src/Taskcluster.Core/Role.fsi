namespace Taskcluster.Core

/// Why role definitions or scopes to expand were refused.
[<RequireQualifiedAccess>]
type RoleError =
    /// A roleId must be non-empty printable ASCII (0x20-0x7E).
    | InvalidRoleId of roleId: string
    /// A scope of the role has characters outside 0x20-0x7E.
    | InvalidScope of roleId: string * scope: string
    /// A scope of a `*` role holds more than one `<..>`.
    | MultipleParameters of roleId: string * scope: string
    /// A scope of a `*` role ends with `*<..>`, which makes the `*` ambiguous.
    | AmbiguousKleene of roleId: string * scope: string
    /// The roles depend on each other in a cycle (the roleIds of the cycle, first repeated last).
    /// The auth service refuses every such cycle; expansion refuses only cycles through a `<..>`
    /// scope, whose expansion could grow without end.
    | DependencyCycle of roleIds: string list
    /// A scope given to `expand` has characters outside 0x20-0x7E.
    | InvalidInputScope of scope: string
    /// The JSON is not a list of roles (the decode error names the path).
    | InvalidJson of DecodeError

    /// A one-line description quoting the bad value.
    member Describe: unit -> string

/// A role: holding `assume:<roleId>` grants its scopes. A roleId ending in `*` is granted to every
/// `assume:` scope it prefix-matches, and `<..>` in its scopes stands for the matched remainder.
[<Sealed>]
type Role =
    /// The roleId, e.g. `repo:github.com/org/*`.
    member RoleId: string
    /// The scopes the role grants directly.
    member Scopes: string list
    /// `Role(roleId, [scopes])`.
    override ToString: unit -> string
    /// Equal when roleId and scopes are.
    override Equals: obj -> bool
    /// Consistent with `Equals`.
    override GetHashCode: unit -> int
    interface System.IEquatable<Role>

/// Role definitions prepared for repeated expansion: matching is indexed and the roles are
/// checked for cycles once.
[<Sealed>]
type RoleResolver =
    /// The roles the resolver was built from.
    member Roles: Role list

/// Role expansion as the Taskcluster auth service does it (`services/auth/src/scoperesolver.js`).
/// A scope assumes roles when it starts with `assume:`, or when it is a `*` scope whose prefix
/// is a prefix of `assume:` (`*`, `a*`, ..., `assume*`), which assumes every role. A held scope
/// `assume:X` gets a role `R` when `X = R`, when `X` ends in `*` and `R` starts with the text before
/// it, or when `R` ends in `*` and `X` starts with the text before it. For a `*` role matched by
/// `X` = prefix + rest, each `<..>` becomes rest, and when rest ends in `*` that `*` also ends the
/// scope (`A<..>B` with `ab*` gives `Aab*`); a `*` role reached only through a shorter `*` scope
/// gets `*` for its `<..>` and whatever follows it. Granted scopes are expanded in turn.
[<RequireQualifiedAccess>]
module Role =
    /// Validates a role: the roleId and scopes are printable ASCII, and in a `*` role every scope
    /// has at most one `<..>` and does not end with `*<..>` (the service's rules).
    val create: roleId: string -> scopes: string seq -> Result<Role, RoleError>

    /// Decodes one role object `{"roleId": ..., "scopes": [...], ...}` (other members ignored).
    val decoder: Decoder<Role>

    /// Decodes the output of `listRoles` (an array of roles) or of `listRoles2`
    /// (`{"roles": [...], ...}`).
    val rolesDecoder: Decoder<Role list>

    /// Parses `listRoles` / `listRoles2` output so effective scopes can be computed offline.
    val parseRoles: json: string -> Result<Role list, RoleError>

    /// The role as `{"roleId": ..., "scopes": [...]}`.
    val toJson: role: Role -> Json

    /// The auth service's `validateRoles`: refuses any dependency cycle among the roles (one
    /// role granting scopes that assume another, directly or through `*`), as `createRole` and
    /// `updateRole` do.
    val validateRoles: roles: Role list -> Result<unit, RoleError>

    /// Prepares roles for expansion. Cycles of plain scopes are fine (the expansion is a fixed
    /// point); a cycle through a `<..>` scope is refused since its expansion may never end.
    val resolver: roles: Role list -> Result<RoleResolver, RoleError>

    /// Expands scopes with a prepared resolver: the normalised set of the scopes plus every scope
    /// the roles they assume grant, transitively.
    val expandWith: resolver: RoleResolver -> scopes: string seq -> Result<string list, RoleError>

    /// `resolver` then `expandWith`.
    val expand: roles: Role list -> scopes: string seq -> Result<string list, RoleError>
