namespace Taskcluster.Core

open System
open System.Collections.Generic
open System.Text.Json

[<RequireQualifiedAccess>]
type ScopeExpression =
    | Scope of string
    | AnyOf of ScopeExpression list
    | AllOf of ScopeExpression list

[<RequireQualifiedAccess>]
type ScopeError =
    | InvalidScope of scope: string
    | InvalidExpression of DecodeError

    member this.Describe() =
        match this with
        | InvalidScope scope ->
            $"the scope {Text.quote scope} is not valid: scopes are printable ASCII characters (0x20-0x7E) only"
        | InvalidExpression e -> $"not a scope expression {e.Describe()}"

/// The primitives shared by `ScopeSet` and `Scope`; all comparisons are ordinal on UTF-16 code
/// units, as JavaScript compares strings.
module private Algebra =
    let inline endsWithStar (s: string) = s.Length > 0 && s[s.Length - 1] = '*'

    let validScope (scope: string) =
        not (isNull scope)
        && not (scope.AsSpan().ContainsAnyExceptInRange('\u0020', '\u007e'))

    let compare (a: string) (b: string) =
        match a, b with
        | null, null -> 0
        | null, _ -> -1
        | _, null -> 1
        | _ ->
            let aStar = endsWithStar a
            let bStar = endsWithStar b
            let aCore = if aStar then a.AsSpan(0, a.Length - 1) else a.AsSpan()
            let bCore = if bStar then b.AsSpan(0, b.Length - 1) else b.AsSpan()
            let c = aCore.SequenceCompareTo bCore

            if c <> 0 then sign c
            elif aStar = bStar then 0
            elif aStar then -1
            else 1

    let comparer =
        { new IComparer<string> with
            member _.Compare(a, b) = compare a b
        }

    let orEmpty (scopes: string seq) =
        if isNull scopes then Seq.empty else scopes

    /// Sorted with `compare`, every star scope comes right before the scopes it satisfies, so one
    /// sweep drops them.
    let normalizeSorted (sorted: string array) =
        let result = ResizeArray<string>(sorted.Length)
        let n = sorted.Length
        let mutable i = 0

        while i < n do
            let scope = sorted[i]
            result.Add scope
            i <- i + 1

            while i < n && String.Equals(sorted[i], scope) do
                i <- i + 1

            if endsWithStar scope then
                let prefix = scope.AsSpan(0, scope.Length - 1)

                while i < n && sorted[i].AsSpan().StartsWith prefix do
                    i <- i + 1

        result

    let normalize (scopes: string seq) =
        let sorted = orEmpty scopes |> Seq.filter (isNull >> not) |> Array.ofSeq
        Array.Sort(sorted, comparer)
        normalizeSorted sorted

    let rec leaves (acc: HashSet<string>) expression =
        match expression with
        | ScopeExpression.Scope s ->
            if not (isNull s) then
                acc.Add s |> ignore
        | ScopeExpression.AnyOf es
        | ScopeExpression.AllOf es ->
            for e in es do
                leaves acc e

    /// The first index whose text is not ordinally below `prefix`.
    let lowerBound (sorted: string array) (prefix: ReadOnlySpan<char>) =
        let mutable lo = 0
        let mutable hi = sorted.Length

        while lo < hi do
            let mid = (lo + hi) >>> 1

            if sorted[mid].AsSpan().SequenceCompareTo prefix < 0 then
                lo <- mid + 1
            else
                hi <- mid

        lo

    /// Which of a few required scopes some held scope satisfies, in one pass over the held
    /// scopes: each held scope costs a binary search among the required ones, not a scan.
    let satisfiedAmong (held: string seq) (required: HashSet<string>) : string -> bool =
        let sorted = Array.ofSeq required
        Array.Sort(sorted, StringComparer.Ordinal)
        let satisfied = HashSet<string>(StringComparer.Ordinal)
        let mutable remaining = sorted.Length
        use e = (orEmpty held).GetEnumerator()

        while remaining > 0 && e.MoveNext() do
            let h = e.Current

            if not (isNull h) then
                if endsWithStar h then
                    let prefix = h.AsSpan(0, h.Length - 1)
                    let mutable i = lowerBound sorted prefix

                    while i < sorted.Length && sorted[i].AsSpan().StartsWith prefix do
                        if satisfied.Add sorted[i] then
                            remaining <- remaining - 1

                        i <- i + 1
                else if Array.BinarySearch(sorted, h, StringComparer.Ordinal) >= 0 && satisfied.Add h then
                    remaining <- remaining - 1

        fun s -> not (isNull s) && satisfied.Contains s

    let rec satisfiesWith (isSatisfied: string -> bool) expression =
        match expression with
        | ScopeExpression.Scope s -> isSatisfied s
        | ScopeExpression.AllOf es -> es |> List.forall (satisfiesWith isSatisfied)
        | ScopeExpression.AnyOf es -> es |> List.exists (satisfiesWith isSatisfied)

    let scopesSatisfyingWith (isSatisfied: string -> bool) expression =
        let used = ResizeArray<string>()

        // Every branch of an AnyOf is explored (not just the first that holds) so that the result
        // names all the scopes that contributed, as upstream does.
        let rec visit expression =
            match expression with
            | ScopeExpression.Scope s ->
                if isSatisfied s then
                    used.Add s
                    true
                else
                    false
            | ScopeExpression.AllOf es ->
                let start = used.Count
                let ok = es |> List.forall visit

                if not ok then
                    used.RemoveRange(start, used.Count - start)

                ok
            | ScopeExpression.AnyOf es ->
                let start = used.Count
                let mutable found = false

                for e in es do
                    if visit e then
                        found <- true

                if not found then
                    used.RemoveRange(start, used.Count - start)

                found

        if visit expression then
            Some(List.ofSeq (normalize used))
        else
            None

    let rec removeGivenWith (isSatisfied: string -> bool) expression =
        match expression with
        | ScopeExpression.Scope s -> if isSatisfied s then None else Some expression
        | ScopeExpression.AllOf es ->
            match List.choose (removeGivenWith isSatisfied) es with
            | [] -> None
            | [ one ] -> Some one
            | rest -> Some(ScopeExpression.AllOf rest)
        | ScopeExpression.AnyOf es ->
            let remaining = List.map (removeGivenWith isSatisfied) es

            if List.exists Option.isNone remaining then
                None
            else
                match List.choose id remaining with
                | [ one ] -> Some one
                | rest -> Some(ScopeExpression.AnyOf rest)

[<Sealed>]
type ScopeSet internal (normalized: string array) =
    let exact = HashSet<string>(normalized, StringComparer.Ordinal)

    // Normalised star prefixes never prefix one another, so the only one that can prefix a scope
    // is the greatest one ordinally at or below it. `scopeCompare` orders star scopes by their
    // prefixes, so they come out of the normalised array already sorted.
    let starPrefixes =
        normalized
        |> Array.filter Algebra.endsWithStar
        |> Array.map (fun s -> s.Substring(0, s.Length - 1))

    let coveredByStar (scope: string) =
        let mutable lo = 0
        let mutable hi = starPrefixes.Length - 1
        let mutable candidate = -1

        while lo <= hi do
            let mid = (lo + hi) >>> 1

            if String.CompareOrdinal(starPrefixes[mid], scope) <= 0 then
                candidate <- mid
                lo <- mid + 1
            else
                hi <- mid - 1

        candidate >= 0
        && scope.StartsWith(starPrefixes[candidate], StringComparison.Ordinal)

    member internal _.Normalized = normalized
    member _.Scopes = List.ofArray normalized
    member _.Count = normalized.Length

    member _.Satisfies(scope: string) =
        not (isNull scope) && (exact.Contains scope || coveredByStar scope)

    member this.SatisfiesExpression(expression: ScopeExpression) =
        Algebra.satisfiesWith this.Satisfies expression

    override _.ToString() =
        normalized
        |> Seq.map Text.quote
        |> String.concat "; "
        |> sprintf "ScopeSet [%s]"

    override _.Equals(other: obj) =
        match other with
        | :? ScopeSet as s ->
            s.Normalized.Length = normalized.Length
            && Array.forall2 (fun (a: string) b -> String.Equals(a, b)) s.Normalized normalized
        | _ -> false

    override _.GetHashCode() =
        let mutable h = HashCode()

        for s in normalized do
            h.Add(s, StringComparer.Ordinal)

        h.ToHashCode()

    interface IEquatable<ScopeSet> with
        member this.Equals(other: ScopeSet) = this.Equals(box other)

[<RequireQualifiedAccess>]
module ScopeSet =
    let empty = ScopeSet [||]

    let ofSeq (scopes: string seq) =
        ScopeSet((Algebra.normalize scopes).ToArray())

    let toList (set: ScopeSet) = set.Scopes

    let satisfies (set: ScopeSet) (scope: string) = set.Satisfies scope

    let satisfiesExpression (set: ScopeSet) expression = set.SatisfiesExpression expression

    let scopesSatisfying (set: ScopeSet) expression =
        Algebra.scopesSatisfyingWith set.Satisfies expression

    let removeGivenScopes (set: ScopeSet) expression =
        Algebra.removeGivenWith set.Satisfies expression

[<RequireQualifiedAccess>]
module Scope =
    let validScope (scope: string) = Algebra.validScope scope

    let validateScope (scope: string) =
        if validScope scope then
            Ok scope
        else
            Error(ScopeError.InvalidScope scope)

    let rec private firstInvalid expression =
        match expression with
        | ScopeExpression.Scope s -> if validScope s then None else Some s
        | ScopeExpression.AnyOf es
        | ScopeExpression.AllOf es -> List.tryPick firstInvalid es

    let validExpression expression = (firstInvalid expression).IsNone

    let validateExpression expression =
        match firstInvalid expression with
        | None -> Ok expression
        | Some bad -> Error(ScopeError.InvalidScope bad)

    let patternMatch (pattern: string) (scope: string) =
        if isNull pattern || isNull scope then
            false
        elif String.Equals(pattern, scope) then
            true
        else
            Algebra.endsWithStar pattern
            && scope.AsSpan().StartsWith(pattern.AsSpan(0, pattern.Length - 1))

    // JsonDocument already caps nesting, but an element may come from a document parsed with a
    // larger limit; recursion stays bounded either way.
    let private maxDepth = 256

    let private kindName (kind: JsonValueKind) =
        match kind with
        | JsonValueKind.Object -> "an object"
        | JsonValueKind.Array -> "an array"
        | JsonValueKind.String -> "a string"
        | JsonValueKind.Number -> "a number"
        | JsonValueKind.True
        | JsonValueKind.False -> "a boolean"
        | JsonValueKind.Null -> "null"
        | _ -> "nothing"

    let rec private decodeAt (strict: bool) (depth: int) : Decoder<ScopeExpression> =
        fun path el ->
            match el.ValueKind with
            | JsonValueKind.String ->
                // Decode.string, not GetString: the text may not be Unicode at all.
                match Decode.string path el with
                | Error e -> Error e
                | Ok s when strict && not (validScope s) ->
                    Decode.failAt path $"the scope {Text.quote s} has characters outside 0x20-0x7E"
                | Ok s -> Ok(ScopeExpression.Scope s)
            | JsonValueKind.Object when depth >= maxDepth ->
                Decode.failAt path $"the expression is nested deeper than {maxDepth} levels"
            | JsonValueKind.Object ->
                let inner = Decode.list (decodeAt strict (depth + 1))

                match Decode.keyValuePairs (fun _ value -> Ok value) path el with
                | Error e -> Error e
                | Ok [ "AnyOf", value ] -> inner (path.Field "AnyOf") value |> Result.map ScopeExpression.AnyOf
                | Ok [ "AllOf", value ] -> inner (path.Field "AllOf") value |> Result.map ScopeExpression.AllOf
                | Ok members ->
                    let names = members |> List.map (fst >> Text.quote) |> String.concat ", "

                    Decode.failAt path $"expected exactly one member, AnyOf or AllOf, but found [{names}]"
            | kind ->
                Error
                    {
                        Path = path.ToString()
                        Reason = DecodeReason.WrongType("a scope or an {AnyOf|AllOf: [...]} object", kindName kind)
                    }

    let expressionDecoder: Decoder<ScopeExpression> = decodeAt true 0

    let lenientExpressionDecoder: Decoder<ScopeExpression> = decodeAt false 0

    let parseExpression (json: string) =
        Decode.fromString expressionDecoder json
        |> Result.mapError ScopeError.InvalidExpression

    let rec encodeExpression expression =
        match expression with
        | ScopeExpression.Scope s -> Json.String s
        | ScopeExpression.AnyOf es -> Json.Object [ "AnyOf", Json.Array(List.map encodeExpression es) ]
        | ScopeExpression.AllOf es -> Json.Object [ "AllOf", Json.Array(List.map encodeExpression es) ]

    let private predicateFor (scopes: string seq) expression =
        let required = HashSet<string>(StringComparer.Ordinal)
        Algebra.leaves required expression
        Algebra.satisfiedAmong scopes required

    let satisfiesExpression (scopes: string seq) expression =
        Algebra.satisfiesWith (predicateFor scopes expression) expression

    let scopesSatisfying (scopes: string seq) expression =
        Algebra.scopesSatisfyingWith (predicateFor scopes expression) expression

    let removeGivenScopes (scopes: string seq) expression =
        Algebra.removeGivenWith (predicateFor scopes expression) expression

    let scopeCompare (a: string) (b: string) = Algebra.compare a b

    let normalizeScopeSet (scopes: string seq) = List.ofSeq (Algebra.normalize scopes)

    let scopeUnion (scopes1: string seq) (scopes2: string seq) =
        normalizeScopeSet (Seq.append (Algebra.orEmpty scopes1) (Algebra.orEmpty scopes2))

    let scopeIntersection (scopes1: string seq) (scopes2: string seq) =
        let first = Algebra.orEmpty scopes1 |> Array.ofSeq
        let second = Algebra.orEmpty scopes2 |> Array.ofSeq
        let set1 = ScopeSet.ofSeq first
        let set2 = ScopeSet.ofSeq second
        let seen = HashSet<string>(StringComparer.Ordinal)

        [
            for s in first do
                if set2.Satisfies s && seen.Add s then
                    yield s
            for s in second do
                if set1.Satisfies s && seen.Add s then
                    yield s
        ]

    let scopeMatch (assumedScopes: string seq) (requiredScopeSets: string list list) =
        let requiredScopeSets =
            if isNull (box requiredScopeSets) then
                []
            else
                requiredScopeSets

        let required = HashSet<string>(StringComparer.Ordinal)

        for set in requiredScopeSets do
            for s in set do
                if not (isNull s) then
                    required.Add s |> ignore

        let isSatisfied = Algebra.satisfiedAmong assumedScopes required
        requiredScopeSets |> List.exists (List.forall isSatisfied)
