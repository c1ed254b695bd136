namespace Taskcluster.Core

open System
open System.Collections.Generic
open System.Text.Json

[<RequireQualifiedAccess>]
type RoleError =
    | InvalidRoleId of roleId: string
    | InvalidScope of roleId: string * scope: string
    | MultipleParameters of roleId: string * scope: string
    | AmbiguousKleene of roleId: string * scope: string
    | DependencyCycle of roleIds: string list
    | InvalidInputScope of scope: string
    | InvalidJson of DecodeError

    member this.Describe() =
        let q = Text.quote

        match this with
        | InvalidRoleId roleId ->
            $"the roleId {q roleId} is not valid: it must be non-empty printable ASCII (0x20-0x7E)"
        | InvalidScope(roleId, scope) ->
            $"the role {q roleId} has the scope {q scope}, which has characters outside 0x20-0x7E"
        | MultipleParameters(roleId, scope) ->
            $"the role {q roleId} has the scope {q scope}, which holds more than one <..>"
        | AmbiguousKleene(roleId, scope) ->
            $"the role {q roleId} has the scope {q scope}, which ends with *<..> and so has an ambiguous *"
        | DependencyCycle roleIds ->
            let cycle = roleIds |> List.map q |> String.concat " -> "
            $"roles may not form a dependency cycle, found: {cycle}"
        | InvalidInputScope scope -> $"the scope {q scope} has characters outside 0x20-0x7E"
        | InvalidJson e -> $"not a list of roles {e.Describe()}"

[<Sealed>]
type Role internal (roleId: string, scopes: string list) =
    member _.RoleId = roleId
    member _.Scopes = scopes

    override _.ToString() =
        let listed = scopes |> List.map Text.quote |> String.concat "; "
        $"Role({Text.quote roleId}, [{listed}])"

    override _.Equals(other: obj) =
        match other with
        | :? Role as r -> String.Equals(r.RoleId, roleId) && r.Scopes = scopes
        | _ -> false

    override _.GetHashCode() = hash (roleId, scopes)

    interface IEquatable<Role> with
        member this.Equals(other: Role) = this.Equals(box other)

/// A role as the resolver uses it. `Key` is the roleId without its trailing `*` for a `*` role.
type internal Rule =
    {
        Index: int
        Role: Role
        Key: string
        IsStar: bool
        /// Scopes granted as they are.
        Matched: string array
        /// Scopes of a `*` role split around their `<..>`.
        Parameterized: struct (string * string) array
    }

/// Finds the roles an `assume:` input matches without scanning all of them: exact ids by hash,
/// `*` roles by looking up each prefix of the input, and the roles under a trailing `*` of the
/// input by a binary search over the sorted keys.
[<Sealed>]
type internal RuleIndex(rules: Rule array) =
    let exact = Dictionary<string, ResizeArray<Rule>>(StringComparer.Ordinal)
    let stars = Dictionary<string, ResizeArray<Rule>>(StringComparer.Ordinal)

    do
        for rule in rules do
            let table = if rule.IsStar then stars else exact

            match table.TryGetValue rule.Key with
            | true, list -> list.Add rule
            | _ -> table[rule.Key] <- ResizeArray [ rule ]

    let starLookup = stars.GetAlternateLookup<ReadOnlySpan<char>>()

    let sorted =
        let copy = Array.copy rules
        Array.sortInPlaceWith (fun a b -> String.CompareOrdinal(a.Key, b.Key)) copy
        copy

    member _.Rules = rules

    /// Calls `visit rule parameter` for every role the input matches; `parameter` is what `<..>`
    /// stands for (unused for roles without `*`).
    member _.Visit(input: string, visit: Rule -> string -> unit) =
        let kleene = input.Length > 0 && input[input.Length - 1] = '*'

        let core =
            if kleene then
                input.Substring(0, input.Length - 1)
            else
                input

        if not kleene then
            match exact.TryGetValue input with
            | true, list ->
                for rule in list do
                    visit rule ""
            | _ -> ()

        let mutable found = null

        for k in 0 .. core.Length do
            if starLookup.TryGetValue(core.AsSpan(0, k), &found) then
                let parameter = if kleene then core.Substring k + "*" else input.Substring k

                for rule in found do
                    visit rule parameter

        if kleene then
            let mutable lo = 0
            let mutable hi = sorted.Length

            while lo < hi do
                let mid = (lo + hi) >>> 1

                if String.CompareOrdinal(sorted[mid].Key, core) < 0 then
                    lo <- mid + 1
                else
                    hi <- mid

            let mutable i = lo

            while i < sorted.Length && sorted[i].Key.StartsWith(core, StringComparison.Ordinal) do
                let rule = sorted[i]

                // A `*` role whose key is the input's prefix itself was visited above.
                if not rule.IsStar || rule.Key.Length > core.Length then
                    visit rule "*"

                i <- i + 1

[<Sealed>]
type RoleResolver internal (roles: Role list, index: RuleIndex) =
    member _.Roles = roles
    member internal _.Index = index

[<RequireQualifiedAccess>]
module Role =
    let private parameter = "<..>"
    let private assumePrefix = "assume:"

    let create (roleId: string) (scopes: string seq) =
        let scopes = if isNull scopes then [] else List.ofSeq scopes

        if String.IsNullOrEmpty roleId || not (Scope.validScope roleId) then
            Error(RoleError.InvalidRoleId roleId)
        else
            let isStar = roleId.EndsWith '*'

            let problem (scope: string) =
                if not (Scope.validScope scope) then
                    Some(RoleError.InvalidScope(roleId, scope))
                elif not isStar then
                    None
                else
                    let first = scope.IndexOf(parameter, StringComparison.Ordinal)

                    if first < 0 then
                        None
                    elif
                        scope.IndexOf(parameter, first + parameter.Length, StringComparison.Ordinal)
                        >= 0
                    then
                        Some(RoleError.MultipleParameters(roleId, scope))
                    elif scope.EndsWith("*" + parameter, StringComparison.Ordinal) then
                        Some(RoleError.AmbiguousKleene(roleId, scope))
                    else
                        None

            match List.tryPick problem scopes with
            | Some e -> Error e
            | None -> Ok(Role(roleId, scopes))

    let private roleFields =
        Decode.object (fun get ->
            get.Required "roleId" Decode.string, get.Required "scopes" (Decode.list Decode.string))

    let decoder: Decoder<Role> =
        roleFields
        |> Decode.validate (fun (roleId, scopes) -> create roleId scopes |> Result.mapError (fun e -> e.Describe()))

    let private listOrPage (item: Decoder<'T>) : Decoder<'T list> =
        fun path el ->
            match el.ValueKind with
            | JsonValueKind.Object -> Decode.field "roles" (Decode.list item) path el
            | _ -> Decode.list item path el

    let rolesDecoder: Decoder<Role list> = listOrPage decoder

    let parseRoles (json: string) =
        match Decode.fromString (listOrPage roleFields) json with
        | Error e -> Error(RoleError.InvalidJson e)
        | Ok pairs ->
            let rec build acc pairs =
                match pairs with
                | [] -> Ok(List.rev acc)
                | (roleId, scopes) :: rest ->
                    match create roleId scopes with
                    | Ok role -> build (role :: acc) rest
                    | Error e -> Error e

            build [] pairs

    let toJson (role: Role) =
        Json.Object [ "roleId", Json.String role.RoleId; "scopes", Encode.strings role.Scopes ]

    let private toRule index (role: Role) =
        let isStar = role.RoleId.EndsWith '*'

        let isParameterized (s: string) =
            isStar && s.Contains(parameter, StringComparison.Ordinal)

        {
            Index = index
            Role = role
            Key =
                if isStar then
                    role.RoleId.Substring(0, role.RoleId.Length - 1)
                else
                    role.RoleId
            IsStar = isStar
            Matched = role.Scopes |> List.filter (isParameterized >> not) |> Array.ofList
            Parameterized =
                role.Scopes
                |> List.filter isParameterized
                |> List.map (fun s ->
                    let at = s.IndexOf(parameter, StringComparison.Ordinal)
                    struct (s.Substring(0, at), s.Substring(at + parameter.Length)))
                |> Array.ofList
        }

    /// The text after `assume:` that the scope assumes roles with, or null. A `*` scope that is a
    /// prefix of `assume:` assumes everything.
    let private assumedBy (scope: string) =
        if scope.StartsWith(assumePrefix, StringComparison.Ordinal) then
            scope.Substring assumePrefix.Length
        elif
            scope.Length > 0
            && scope[scope.Length - 1] = '*'
            && assumePrefix.AsSpan().StartsWith(scope.AsSpan(0, scope.Length - 1))
        then
            "*"
        else
            null

    let private grant (rule: Rule) (param: string) (add: string -> unit) =
        for s in rule.Matched do
            add s

        if rule.Parameterized.Length > 0 then
            // A parameter ending in `*` already covers whatever followed `<..>`.
            let starred = param.Length > 0 && param[param.Length - 1] = '*'

            for struct (prefix, suffix) in rule.Parameterized do
                add (if starred then prefix + param else prefix + param + suffix)

    /// Edges between roles: `a -> b` when a scope `a` grants (with `*` standing for any `<..>`)
    /// assumes `b`. The flag tells whether the edge comes from a parameterized scope.
    let private dependencies (index: RuleIndex) =
        index.Rules
        |> Array.map (fun rule ->
            let edges = Dictionary<int, bool>()

            let follow isParameterized (scope: string) =
                match assumedBy scope with
                | null -> ()
                | input ->
                    index.Visit(
                        input,
                        fun target _ ->
                            match edges.TryGetValue target.Index with
                            | true, true -> ()
                            | _ -> edges[target.Index] <- isParameterized
                    )

            for s in rule.Matched do
                follow false s

            for struct (prefix, _) in rule.Parameterized do
                follow true (prefix + "*")

            edges |> Seq.map (fun kv -> struct (kv.Key, kv.Value)) |> Array.ofSeq)

    /// Tarjan's strongly connected components, iterative so that long chains of roles cannot
    /// exhaust the stack.
    let private components (edges: struct (int * bool) array array) =
        let n = edges.Length
        let order = Array.create n -1
        let low = Array.zeroCreate<int> n
        let onStack = Array.zeroCreate<bool> n
        let membership = Array.create n -1
        let stack = Stack<int>()
        let mutable counter = 0
        let mutable count = 0

        let enter v (work: Stack<struct (int * int)>) =
            order[v] <- counter
            low[v] <- counter
            counter <- counter + 1
            stack.Push v
            onStack[v] <- true
            work.Push(struct (v, 0))

        for root in 0 .. n - 1 do
            if order[root] < 0 then
                let work = Stack<struct (int * int)>()
                enter root work

                while work.Count > 0 do
                    let struct (v, i) = work.Pop()

                    if i < edges[v].Length then
                        work.Push(struct (v, i + 1))
                        let struct (w, _) = edges[v][i]

                        if order[w] < 0 then
                            enter w work
                        elif onStack[w] then
                            low[v] <- min low[v] order[w]
                    else
                        if low[v] = order[v] then
                            let mutable finished = false

                            while not finished do
                                let w = stack.Pop()
                                onStack[w] <- false
                                membership[w] <- count
                                finished <- w = v

                            count <- count + 1

                        if work.Count > 0 then
                            let struct (parent, _) = work.Peek()
                            low[parent] <- min low[parent] low[v]

        membership

    /// The roles of a cycle through the edge `u -> v`: a shortest path from `v` back to `u`.
    let private cycleThrough (index: RuleIndex) (edges: struct (int * bool) array array) (comp: int array) u v =
        let previous = Dictionary<int, int>()
        let queue = Queue<int>()
        queue.Enqueue v
        previous[v] <- -1

        while queue.Count > 0 && not (previous.ContainsKey u && u <> v) do
            let x = queue.Dequeue()

            for struct (y, _) in edges[x] do
                if comp[y] = comp[u] && not (previous.ContainsKey y) then
                    previous[y] <- x
                    queue.Enqueue y

        let rec path x acc =
            if x = v then v :: acc else path previous[x] (x :: acc)

        let route = if u = v then [ v ] else path u []
        let ids = route |> List.map (fun i -> index.Rules[i].Role.RoleId)
        index.Rules[u].Role.RoleId :: ids

    let private findCycle (index: RuleIndex) (onlyParameterized: bool) =
        let edges = dependencies index
        let comp = components edges

        let offending =
            seq {
                for u in 0 .. edges.Length - 1 do
                    for struct (v, isParameterized) in edges[u] do
                        if comp[u] = comp[v] && (isParameterized || not onlyParameterized) then
                            yield u, v
            }
            |> Seq.tryHead

        match offending with
        | None -> Ok()
        | Some(u, v) -> Error(RoleError.DependencyCycle(cycleThrough index edges comp u v))

    let private indexOf (roles: Role list) =
        let roles = if isNull (box roles) then [] else roles
        RuleIndex(roles |> List.filter (box >> isNull >> not) |> List.mapi toRule |> Array.ofList)

    let validateRoles (roles: Role list) = findCycle (indexOf roles) false

    let resolver (roles: Role list) =
        let index = indexOf roles

        findCycle index true
        |> Result.map (fun () -> RoleResolver(index.Rules |> Array.map (fun r -> r.Role) |> List.ofArray, index))

    let expandWith (resolver: RoleResolver) (scopes: string seq) =
        let scopes = if isNull scopes then [||] else Array.ofSeq scopes

        match scopes |> Array.tryFind (Scope.validScope >> not) with
        | Some bad -> Error(RoleError.InvalidInputScope bad)
        | None ->
            let seen = HashSet<string>(StringComparer.Ordinal)
            let queue = Queue<string>()

            let add scope =
                if seen.Add scope then
                    queue.Enqueue scope

            for s in scopes do
                add s

            // Without a cycle through `<..>`, only finitely many scopes can be generated, so the
            // fixed point is reached.
            while queue.Count > 0 do
                match assumedBy (queue.Dequeue()) with
                | null -> ()
                | input -> resolver.Index.Visit(input, fun rule param -> grant rule param add)

            Ok(Scope.normalizeScopeSet seen)

    let expand (roles: Role list) (scopes: string seq) =
        resolver roles |> Result.bind (fun r -> expandWith r scopes)
