namespace Taskcluster.Emulator.Internal

open System
open System.Collections.Generic
open System.Text
open System.Text.Json
open System.Text.Json.Nodes

/// A scope expression, as taskcluster-lib-scopes defines it.
[<RequireQualifiedAccess>]
type internal Expr =
    | Scope of string
    | AllOf of Expr list
    | AnyOf of Expr list

/// The scope algebra the emulator needs, following taskcluster-lib-scopes.
// Written here because the core's Scope module was not available when the emulator was built;
// the tests pin it to the official vectors so the two cannot drift apart unnoticed.
[<RequireQualifiedAccess>]
module internal Scopes =
    /// Printable ASCII only, as `validScope` requires.
    let valid (scope: string) =
        not (isNull scope) && scope |> Seq.forall (fun c -> c >= ' ' && c <= '~')

    /// `scope` is granted by `pattern` (equal, or `pattern` ends in `*` and prefixes it).
    let patternMatch (pattern: string) (scope: string) =
        String.Equals(pattern, scope, StringComparison.Ordinal)
        || (pattern.Length > 0
            && pattern[pattern.Length - 1] = '*'
            && scope.AsSpan().StartsWith(pattern.AsSpan(0, pattern.Length - 1), StringComparison.Ordinal))

    let satisfiesScope (scopes: string array) (scope: string) =
        let mutable found = false
        let mutable i = 0

        while not found && i < scopes.Length do
            found <- patternMatch scopes[i] scope
            i <- i + 1

        found

    let rec satisfies (scopes: string array) (expr: Expr) =
        match expr with
        | Expr.Scope s -> satisfiesScope scopes s
        | Expr.AllOf xs -> xs |> List.forall (satisfies scopes)
        | Expr.AnyOf xs -> xs |> List.exists (satisfies scopes)

    /// The part of the expression the scopes do not satisfy (`None` when satisfied).
    let rec removeGiven (scopes: string array) (expr: Expr) : Expr option =
        match expr with
        | Expr.Scope s -> if satisfiesScope scopes s then None else Some expr
        | Expr.AllOf xs ->
            match xs |> List.choose (removeGiven scopes) with
            | [] -> None
            | [ one ] -> Some one
            | rest -> Some(Expr.AllOf rest)
        | Expr.AnyOf xs ->
            let rest = xs |> List.map (removeGiven scopes)

            if rest |> List.exists Option.isNone then
                None
            else
                match rest |> List.choose id with
                | [ one ] -> Some one
                | many -> Some(Expr.AnyOf many)

    let rec toJson (expr: Expr) : JsonNode =
        match expr with
        | Expr.Scope s -> J.str s
        | Expr.AllOf xs -> J.obj [ "AllOf", J.arr (xs |> List.map toJson) ]
        | Expr.AnyOf xs -> J.obj [ "AnyOf", J.arr (xs |> List.map toJson) ]

    /// An expression as readable text, e.g. `{"AllOf":["a","b"]}` (JSON, pretty when nested).
    let describe (expr: Expr) =
        match expr with
        | Expr.Scope s -> s
        | e -> (toJson e).ToJsonString(JsonSerializerOptions(WriteIndented = true))

    /// Orders scopes so that a `*`-terminated scope comes right before those it covers.
    let compare (a: string) (b: string) =
        let strip (s: string) =
            if s.EndsWith '*' then
                s.Substring(0, s.Length - 1), 0
            else
                s, 1

        let a', sa = strip a
        let b', sb = strip b

        match String.CompareOrdinal(a', b') with
        | 0 -> Operators.compare sa sb
        | c -> sign c

    /// Sorted, without duplicates and without scopes covered by a `*` scope of the set.
    let normalize (scopes: string seq) : string array =
        let sorted = scopes |> Seq.distinct |> Seq.toArray
        Array.Sort(sorted, Comparison compare)
        let result = ResizeArray(sorted.Length)
        let mutable cover: string = null

        for s in sorted do
            if isNull cover || not (patternMatch cover s) then
                result.Add s

                if s.EndsWith '*' then
                    cover <- s

        result.ToArray()

    let rec tryParseExpr (node: JsonNode) : Expr option =
        match node with
        | :? JsonValue as v ->
            match v.TryGetValue<string>() with
            | true, s -> Some(Expr.Scope s)
            | _ -> None
        | :? JsonObject as o when o.Count = 1 ->
            let parseAll (n: JsonNode) =
                match n with
                | :? JsonArray as a ->
                    let items = a |> Seq.map tryParseExpr |> Seq.toList

                    if items |> List.forall Option.isSome then
                        Some(items |> List.choose id)
                    else
                        None
                | _ -> None

            match J.tryField "AllOf" o, J.tryField "AnyOf" o with
            | Some n, _ -> parseAll n |> Option.map Expr.AllOf
            | _, Some n -> parseAll n |> Option.map Expr.AnyOf
            | _ -> None
        | _ -> None

/// Why a templated scope expression could not be rendered.
exception internal TemplateError of string

/// Templated scope expressions as the references carry them (`<param>` placeholders,
/// `{for, in, each}` and `{if, then, else}`), rendered like taskcluster-lib-api does.
[<RequireQualifiedAccess>]
module internal ScopeTemplate =
    type Params = IReadOnlyDictionary<string, JsonNode>

    let private lookup (ps: Params) (name: string) : JsonNode =
        let parts = name.Split '.'

        let first =
            match ps.TryGetValue parts[0] with
            | true, v -> v
            | _ -> raise (TemplateError $"missing parameter `{parts[0]}`")

        parts
        |> Array.skip 1
        |> Array.fold
            (fun (n: JsonNode) p ->
                match J.tryField p n with
                | Some v -> v
                | None -> raise (TemplateError $"missing parameter `{name}`"))
            first

    let private substitute (ps: Params) (s: string) =
        if s.IndexOf '<' < 0 then
            s
        else
            let sb = StringBuilder()
            let mutable i = 0

            while i < s.Length do
                let close = if s[i] = '<' then s.IndexOf('>', i) else -1

                if close > i then
                    let name = s.Substring(i + 1, close - i - 1)

                    if
                        name.Length > 0
                        && name |> Seq.forall (fun c -> Char.IsAsciiLetterOrDigit c || c = '_' || c = '.')
                    then
                        match lookup ps name with
                        | :? JsonValue as v when v.GetValueKind() = JsonValueKind.String ->
                            sb.Append(v.GetValue<string>()) |> ignore
                        | _ -> raise (TemplateError $"parameter `{name}` must be a string")

                        i <- close + 1
                    else
                        sb.Append s[i] |> ignore
                        i <- i + 1
                else
                    sb.Append s[i] |> ignore
                    i <- i + 1

            sb.ToString()

    let rec private render (ps: Params) (node: JsonNode) : Expr option =
        match node with
        | :? JsonValue as v ->
            match v.TryGetValue<string>() with
            | true, s -> Some(Expr.Scope(substitute ps s))
            | _ -> raise (TemplateError "a scope must be a string")
        | :? JsonObject as o when o.ContainsKey "if" ->
            let cond =
                match lookup ps (string o["if"]) with
                | :? JsonValue as v when v.GetValueKind() = JsonValueKind.True -> true
                | :? JsonValue as v when v.GetValueKind() = JsonValueKind.False -> false
                | _ ->
                    let name = string o["if"]
                    raise (TemplateError $"parameter `{name}` must be a boolean")

            match cond, J.tryField "then" o, J.tryField "else" o with
            | true, Some t, _ -> render ps t
            | false, _, Some e -> render ps e
            | _ -> None
        | :? JsonObject as o ->
            let items (key: string) (a: JsonNode) =
                match a with
                | :? JsonArray as arr ->
                    [
                        for item in arr do
                            match item with
                            | :? JsonObject as each when each.ContainsKey "for" ->
                                let var = string each["for"]

                                match lookup ps (string each["in"]) with
                                | :? JsonArray as values ->
                                    for value in values do
                                        let inner = Dictionary<string, JsonNode>(ps)
                                        inner[var] <- value

                                        match render inner each["each"] with
                                        | Some e -> e
                                        | None -> ()
                                | _ ->
                                    let name = string each["in"]
                                    raise (TemplateError $"parameter `{name}` must be an array")
                            | item ->
                                match render ps item with
                                | Some e -> e
                                | None -> ()
                    ]
                | _ -> raise (TemplateError $"{key} must hold an array")

            match J.tryField "AllOf" o, J.tryField "AnyOf" o with
            | Some a, _ -> Some(Expr.AllOf(items "AllOf" a))
            | _, Some a -> Some(Expr.AnyOf(items "AnyOf" a))
            | _ -> raise (TemplateError "unknown scope template form")
        | _ -> raise (TemplateError "unknown scope template form")

    /// Renders the template; `None` means no scopes are required.
    let tryRender (template: JsonNode) (ps: Params) : Result<Expr option, string> =
        try
            Ok(render ps template)
        with TemplateError message ->
            Error message
