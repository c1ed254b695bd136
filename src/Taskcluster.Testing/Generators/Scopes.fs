namespace Taskcluster.Testing

open FsCheck
open FsCheck.FSharp
open Taskcluster.Core

/// FsCheck generators for scopes, scope sets, scope expressions, scope expression templates and
/// roles. The scopes are drawn from a small alphabet so that generated sets overlap: prefixes,
/// `*` endings and `assume:` scopes meet often enough for the interesting cases to occur.
[<RequireQualifiedAccess>]
module Scopes =
    let private alphabet = [ 'a'; 'b'; 'c'; ':'; '/'; '-'; '*'; ' '; '~' ]

    let private word =
        Gen.sized (fun size ->
            gen {
                let! length = Gen.choose (0, max 1 (min size 6))
                let! chars = Gen.listOfLength length (Gen.elements alphabet)
                return System.String(Array.ofList chars)
            })

    /// A valid scope without a trailing `*` rule in mind: printable ASCII from a small alphabet
    /// (`*` may still occur anywhere, also at the end).
    let plainScope: Gen<string> = word

    /// A scope ending in `*`, such as `a:*`, `*` or `a**`.
    let starScope: Gen<string> = word |> Gen.map (fun w -> w + "*")

    /// A scope `assume:<roleId>`, sometimes ending in `*`, sometimes a prefix of `assume:` with a
    /// `*` (such as `assu*`) that also assumes roles.
    let assumeScope: Gen<string> =
        Gen.frequency
            [
                6, word |> Gen.map (fun w -> "assume:" + w)
                2, word |> Gen.map (fun w -> "assume:" + w + "*")
                1, Gen.elements [ "*"; "a*"; "assu*"; "assume*"; "assume:*" ]
            ]

    /// Any valid scope: plain, star-ending or `assume:`.
    let scope: Gen<string> =
        Gen.frequency [ 5, plainScope; 3, starScope; 2, assumeScope ]

    /// A list of valid scopes (possibly empty, possibly with duplicates).
    let scopeSet: Gen<string list> =
        Gen.sized (fun size -> Gen.resize (min size 12) (Gen.listOf scope))

    /// A large list of distinct, realistic-looking scopes for performance checks.
    let largeScopeSet (count: int) : Gen<string list> =
        gen {
            let! seed = Gen.choose (0, 1_000_000)

            return
                [
                    for i in 0 .. count - 1 ->
                        let n = (seed + i) % 10_000_000

                        match i % 4 with
                        | 0 -> $"queue:create-task:highest:proj-{n}/worker-{i}"
                        | 1 -> $"assume:repo:github.com/org-{n}/repo-{i}:*"
                        | 2 -> $"secrets:get:project/{n}/{i}"
                        | _ -> $"index:insert-task:project.{n}.{i}.*"
                ]
        }

    /// A scope expression over scopes from the given generator: scopes, `AnyOf` and `AllOf`
    /// nested up to a depth that grows with the size.
    let expressionOf (scopes: Gen<string>) : Gen<ScopeExpression> =
        let rec build depth =
            if depth <= 0 then
                scopes |> Gen.map ScopeExpression.Scope
            else
                let children =
                    Gen.sized (fun s -> Gen.resize (min s 4) (Gen.listOf (build (depth - 1))))

                Gen.frequency
                    [
                        3, scopes |> Gen.map ScopeExpression.Scope
                        1, children |> Gen.map ScopeExpression.AnyOf
                        1, children |> Gen.map ScopeExpression.AllOf
                    ]

        Gen.sized (fun size -> build (min 4 (size / 10 + 1)))

    /// A scope expression over valid scopes.
    let expression: Gen<ScopeExpression> = expressionOf scope

    /// A parameter name as templates allow it.
    let parameterName: Gen<string> =
        gen {
            let! first = Gen.elements [ 'a' .. 'z' ]
            let! rest = Gen.listOf (Gen.elements ([ 'a' .. 'z' ] @ [ '0' .. '9' ] @ [ '_'; 'A'; 'Z' ]))
            return System.String(Array.ofList (first :: List.truncate 8 rest))
        }

    // Disjoint pools keep the kinds of parameters consistent, as a valid template needs.
    let private stringNames = [ "taskId"; "workerType"; "name" ]
    let private listNames = [ "scopes"; "routes" ]
    let private boolNames = [ "readOnly"; "force" ]
    let private loopVariables = [ "item"; "route" ]

    let private literal =
        Gen.elements [ ""; "queue:"; "a:b/"; ":"; "<..>"; "<not a-name>"; "x*"; "/" ]

    let private patternWith (names: string list) =
        gen {
            let! pieces =
                Gen.listOf (Gen.frequency [ 2, literal; 1, Gen.elements names |> Gen.map (fun n -> "<" + n + ">") ])

            return String.concat "" (List.truncate 5 pieces)
        }

    /// A template node that `ScopeTemplate.create` accepts, using only the parameter names of
    /// `templateWithParameters`.
    let templateNode: Gen<ScopeTemplateNode> =
        let pattern = patternWith stringNames |> Gen.map ScopeTemplateNode.Pattern

        let loop =
            gen {
                let! variable = Gen.elements loopVariables
                let! items = Gen.elements listNames
                let! each = patternWith (variable :: stringNames)
                return ScopeTemplateNode.For(variable, items, each)
            }

        let rec root depth =
            if depth <= 0 then
                pattern
            else
                let element = Gen.frequency [ 3, root (depth - 1); 1, loop ]
                let elements = Gen.sized (fun s -> Gen.resize (min s 4) (Gen.listOf element))

                let conditional =
                    gen {
                        let! condition = Gen.elements boolNames
                        let! thenBranch = root (depth - 1)
                        let! elseBranch = Gen.optionOf (root (depth - 1))
                        return ScopeTemplateNode.If(condition, thenBranch, elseBranch)
                    }

                Gen.frequency
                    [
                        2, pattern
                        2, elements |> Gen.map ScopeTemplateNode.AllOf
                        2, elements |> Gen.map ScopeTemplateNode.AnyOf
                        1, conditional
                    ]

        Gen.sized (fun size -> root (min 3 (size / 15 + 1)))

    /// A checked template.
    let template: Gen<ScopeTemplate> =
        templateNode
        |> Gen.map (fun node ->
            match ScopeTemplate.create node with
            | Ok t -> t
            | Error e -> failwithf "generator bug: %s" (e.Describe()))

    /// Values for every parameter a generated template may read: valid scope text for strings,
    /// lists of it, and booleans.
    let templateParameters: Gen<Map<string, Json>> =
        gen {
            let! strings = Gen.listOfLength stringNames.Length plainScope
            let! lists = Gen.listOfLength listNames.Length (Gen.resize 4 (Gen.listOf scope))
            let! bools = Gen.listOfLength boolNames.Length (Gen.elements [ true; false ])

            return
                Map(
                    List.zip stringNames (strings |> List.map Json.String)
                    @ List.zip listNames (lists |> List.map (List.map Json.String >> Json.Array))
                    @ List.zip boolNames (bools |> List.map Json.Bool)
                )
        }

    /// A template with values for all its parameters.
    let templateWithParameters: Gen<ScopeTemplate * Map<string, Json>> =
        Gen.zip template templateParameters

    /// A role id: a short name, sometimes ending in `*` (a role that every matching `assume:`
    /// scope gets).
    let roleId: Gen<string> =
        let name =
            gen {
                // Short ids over few letters, so that ids, prefixes and `assume:` scopes collide.
                let! length = Gen.frequency [ 3, Gen.constant 1; 2, Gen.constant 2; 1, Gen.constant 3 ]
                let! chars = Gen.listOfLength length (Gen.elements [ 'a'; 'b'; ':' ])
                return System.String(Array.ofList chars)
            }

        Gen.frequency [ 3, name; 1, name |> Gen.map (fun n -> n + "*") ]

    /// A role scope: a plain scope, an `assume:` scope naming roles like those of `roleId`, and
    /// for a `*` role sometimes a `<..>` parameter.
    let private roleScope (isStar: bool) =
        let assume =
            gen {
                let! id = roleId
                return "assume:" + id
            }

        let parameterized =
            gen {
                let! prefix = Gen.elements [ "x:"; "assume:"; "assume:c"; "y/" ]
                let! suffix = Gen.elements [ ""; ":z"; "*"; "/q*" ]
                return prefix + "<..>" + suffix
            }

        Gen.frequency
            [
                3, plainScope
                1, starScope
                3, assume
                (if isStar then 2 else 0), parameterized
            ]

    /// A role with an id from `roleId` and a few scopes, parameterized ones included.
    let role: Gen<Role> =
        gen {
            let! id = roleId
            let isStar = id.EndsWith '*'
            let! scopes = Gen.resize 4 (Gen.listOf (roleScope isStar))

            return
                match Role.create id scopes with
                | Ok r -> r
                | Error e -> failwithf "generator bug: %s" (e.Describe())
        }

    /// Role definitions without `<..>` parameters (any cycles among them are finite).
    let plainRole: Gen<Role> =
        gen {
            let! id = roleId
            let! scopes = Gen.resize 4 (Gen.listOf (roleScope false))

            return
                match Role.create id scopes with
                | Ok r -> r
                | Error e -> failwithf "generator bug: %s" (e.Describe())
        }

    /// A handful of role definitions.
    let roles: Gen<Role list> =
        Gen.sized (fun size -> Gen.resize (min size 8) (Gen.listOf role))
