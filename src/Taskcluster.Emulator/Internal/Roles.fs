namespace Taskcluster.Emulator.Internal

open System
open System.Collections.Generic

/// A role as the auth service stores it: `assume:<roleId>` grants `Scopes`.
type internal RoleDef =
    { RoleId: string; Scopes: string array }

/// Role expansion with the auth service's rules: `assume:<roleId>` grants the role's scopes,
/// a role whose id ends in `*` is granted to every `assume:` scope it prefixes, and in such a
/// role `<..>` is replaced by the part of the assumed scope its `*` matched (a replacement
/// ending in `*` swallows the rest of the scope).
// Kept private to the emulator until the core's Role module lands.
[<RequireQualifiedAccess>]
module internal Roles =
    let private assumePrefix = "assume:"

    let private withParam (param: string) (scope: string) =
        match scope.IndexOf("<..>", StringComparison.Ordinal) with
        | -1 -> scope
        | i when param.EndsWith '*' -> scope.Substring(0, i) + param
        | i -> scope.Substring(0, i) + param + scope.Substring(i + 4)

    /// The scopes the role grants to one scope (empty when it grants nothing).
    let grants (role: RoleDef) (scope: string) : string seq =
        let pattern = assumePrefix + role.RoleId

        if pattern.EndsWith '*' then
            let prefix = pattern.Substring(0, pattern.Length - 1)

            if scope.StartsWith(prefix, StringComparison.Ordinal) then
                let param = scope.Substring prefix.Length
                role.Scopes |> Seq.map (withParam param)
            elif
                scope.EndsWith '*'
                && prefix.StartsWith(scope.Substring(0, scope.Length - 1), StringComparison.Ordinal)
            then
                role.Scopes |> Seq.map (withParam "*")
            else
                Seq.empty
        elif Scopes.patternMatch scope pattern then
            role.Scopes
        else
            Seq.empty

    /// A scope that may grant roles: it assumes something, or is a `*` pattern covering `assume:`.
    let private mayAssume (scope: string) =
        scope.StartsWith(assumePrefix, StringComparison.Ordinal)
        || (scope.EndsWith '*'
            && assumePrefix.StartsWith(scope.Substring(0, scope.Length - 1), StringComparison.Ordinal))

    /// Safety net against runaway expansion (cycles are refused when roles are written).
    let private maxScopes = 100_000

    /// The scopes plus every scope the roles grant to them, transitively, normalised.
    let expand (roles: RoleDef array) (scopes: string seq) : string array =
        let result = HashSet<string>(StringComparer.Ordinal)
        let pending = Queue<string>()

        for s in scopes do
            if result.Add s then
                pending.Enqueue s

        while pending.Count > 0 && result.Count < maxScopes do
            let s = pending.Dequeue()

            if mayAssume s then
                for role in roles do
                    for g in grants role s do
                        if result.Add g then
                            pending.Enqueue g

        Scopes.normalize result

    /// A dependency cycle among the roles, as the role ids along it, if there is one. Role A
    /// depends on role B when one of A's scopes (with `<..>` taken as `*`) grants B.
    let findCycle (roles: RoleDef array) : string list option =
        let depends (a: RoleDef) =
            let worst = a.Scopes |> Array.map (withParam "*")

            roles
            |> Array.filter (fun b -> worst |> Array.exists (fun s -> mayAssume s && not (Seq.isEmpty (grants b s))))

        let deps = roles |> Array.map (fun r -> r.RoleId, depends r) |> dict
        let done' = HashSet<string>()
        let onStack = List<string>()

        let rec visit (r: RoleDef) : string list option =
            if done'.Contains r.RoleId then
                None
            elif onStack.Contains r.RoleId then
                let start = onStack.IndexOf r.RoleId
                Some(List.ofSeq (Seq.append (onStack |> Seq.skip start) [ r.RoleId ]))
            else
                onStack.Add r.RoleId
                let found = deps[r.RoleId] |> Array.tryPick visit
                onStack.RemoveAt(onStack.Count - 1)
                done'.Add r.RoleId |> ignore
                found

        roles |> Array.tryPick visit

    /// `<..>` may appear once, only in roles ending with `*`, and never right after a `*`.
    let validateRole (roleId: string) (scopes: string seq) : Result<unit, string> =
        let bad =
            scopes
            |> Seq.tryPick (fun s ->
                let i = s.IndexOf("<..>", StringComparison.Ordinal)

                if i < 0 then
                    None
                elif not (roleId.EndsWith '*') then
                    None
                elif s.IndexOf("<..>", i + 4, StringComparison.Ordinal) >= 0 then
                    Some $"parameterized scope '{s}' contains multiple '<..>'"
                elif s.EndsWith("*<..>", StringComparison.Ordinal) then
                    Some $"parameterized scope '{s}' ends with '*<..>' which implies an ambiguous kleene"
                else
                    None)

        match bad with
        | Some m -> Error m
        | None -> Ok()
