namespace Taskcluster.Core

open System
open System.Globalization
open System.Text
open FsToolkit.ErrorHandling

[<RequireQualifiedAccess>]
type TemplateParameterKind =
    | String
    | StringList
    | Boolean

[<RequireQualifiedAccess>]
type ScopeTemplateNode =
    | Pattern of string
    | AllOf of ScopeTemplateNode list
    | AnyOf of ScopeTemplateNode list
    | For of variable: string * items: string * each: string
    | If of condition: string * thenBranch: ScopeTemplateNode * elseBranch: ScopeTemplateNode option

[<RequireQualifiedAccess>]
type ScopeTemplateError =
    | InvalidTemplate of DecodeError
    | MissingParameter of name: string
    | WrongParameterType of name: string * expected: TemplateParameterKind * actual: Json
    | InvalidScope of parameter: string * scope: string

    member this.Describe() =
        let kind k =
            match k with
            | TemplateParameterKind.String -> "a string"
            | TemplateParameterKind.StringList -> "an array of strings"
            | TemplateParameterKind.Boolean -> "a boolean"

        match this with
        | InvalidTemplate e -> $"invalid scope expression template {e.Describe()}"
        | MissingParameter name -> $"the scope expression template needs the parameter {Text.quote name}"
        | WrongParameterType(name, expected, actual) ->
            $"the parameter {Text.quote name} must be {kind expected} but is {Text.quote (Encode.toString actual)}"
        | InvalidScope(parameter, scope) ->
            $"the parameter {Text.quote parameter} makes the scope {Text.quote scope}, which has characters outside 0x20-0x7E"

/// Patterns compiled once into literal text and placeholders, so rendering never re-parses.
[<RequireQualifiedAccess>]
type internal Part =
    | Literal of string
    | Placeholder of string

[<RequireQualifiedAccess>]
type internal Compiled =
    | Pattern of Part list
    | AllOf of Compiled list
    | AnyOf of Compiled list
    | For of variable: string * items: string * each: Part list
    | If of condition: string * thenBranch: Compiled * elseBranch: Compiled option

module private Syntax =
    let isNameStart (c: char) = Char.IsAsciiLetter c
    let isNameChar (c: char) = Char.IsAsciiLetterOrDigit c || c = '_'

    let isIdentifier (s: string) =
        not (String.IsNullOrEmpty s) && isNameStart s[0] && Seq.forall isNameChar s

    /// Splits like the JavaScript library's `/<([a-zA-Z][a-zA-Z0-9_]*)>/`: any other `<...>` is
    /// literal text.
    let parsePattern (text: string) : Part list =
        let parts = ResizeArray<Part>()
        let literal = StringBuilder()

        let flush () =
            if literal.Length > 0 then
                parts.Add(Part.Literal(literal.ToString()))
                literal.Clear() |> ignore

        let mutable i = 0

        while i < text.Length do
            let mutable placed = false

            if text[i] = '<' && i + 1 < text.Length && isNameStart text[i + 1] then
                let mutable j = i + 2

                while j < text.Length && isNameChar text[j] do
                    j <- j + 1

                if j < text.Length && text[j] = '>' then
                    flush ()
                    parts.Add(Part.Placeholder(text.Substring(i + 1, j - i - 1)))
                    i <- j + 1
                    placed <- true

            if not placed then
                literal.Append text[i] |> ignore
                i <- i + 1

        flush ()
        List.ofSeq parts

    let invalid (path: JsonPath) message : Result<'T, DecodeError> =
        Error
            {
                Path = path.ToString()
                Reason = DecodeReason.InvalidValue message
            }

    let kindText kind =
        match kind with
        | TemplateParameterKind.String -> "a string"
        | TemplateParameterKind.StringList -> "a list"
        | TemplateParameterKind.Boolean -> "a boolean"

    /// Adds parameters keeping the order of first use; a name used with two kinds is the error
    /// the JavaScript library raises when it builds the template.
    let merge path (first: (string * TemplateParameterKind) list) (second: (string * TemplateParameterKind) list) =
        let folder acc (name, kind) =
            match acc with
            | Error e -> Error e
            | Ok list ->
                match List.tryFind (fun (n, _) -> n = name) list with
                | Some(_, k) when k <> kind ->
                    invalid path $"the parameter {Text.quote name} is used both as {kindText k} and as {kindText kind}"
                | Some _ -> Ok list
                | None -> Ok(list @ [ name, kind ])

        List.fold folder (Ok first) second

    let checkName (path: JsonPath) (name: string) =
        if isIdentifier name then
            Ok name
        else
            invalid path $"{Text.quote name} is not a parameter name (a letter, then letters, digits or _)"

    let checkPattern (path: JsonPath) (text: string) =
        if isNull text then
            invalid path "a pattern is null"
        elif not (Scope.validScope text) then
            invalid path $"the pattern {Text.quote text} has characters outside 0x20-0x7E"
        else
            let parts = parsePattern text

            let names =
                parts
                |> List.choose (fun p ->
                    match p with
                    | Part.Placeholder n -> Some(n, TemplateParameterKind.String)
                    | Part.Literal _ -> None)

            Ok(parts, List.distinct names)

    let maxDepth = 256

    let rec check (depth: int) (path: JsonPath) (inList: bool) (node: ScopeTemplateNode) =
        match node with
        | _ when isNull (box node) -> invalid path "a template node is null"
        | _ when depth > maxDepth -> invalid path $"the template is nested deeper than {maxDepth} levels"
        | ScopeTemplateNode.Pattern text ->
            checkPattern path text
            |> Result.map (fun (parts, ps) -> Compiled.Pattern parts, ps)
        | ScopeTemplateNode.AllOf items -> checkList depth (path.Field "AllOf") items Compiled.AllOf
        | ScopeTemplateNode.AnyOf items -> checkList depth (path.Field "AnyOf") items Compiled.AnyOf
        | ScopeTemplateNode.For _ when not inList ->
            invalid path "a for loop is allowed only as an element of AllOf or AnyOf"
        | ScopeTemplateNode.For(variable, items, each) ->
            checkName (path.Field "for") variable
            |> Result.bind (fun _ -> checkName (path.Field "in") items)
            |> Result.bind (fun _ -> checkPattern (path.Field "each") each)
            |> Result.bind (fun (parts, eachParams) ->
                let free = eachParams |> List.filter (fun (n, _) -> n <> variable)

                merge path [ items, TemplateParameterKind.StringList ] free
                |> Result.map (fun ps -> Compiled.For(variable, items, parts), ps))
        | ScopeTemplateNode.If(condition, thenBranch, elseBranch) ->
            checkName (path.Field "if") condition
            |> Result.bind (fun _ -> check (depth + 1) (path.Field "then") false thenBranch)
            |> Result.bind (fun (compiledThen, thenParams) ->
                match elseBranch with
                | None -> Ok(None, thenParams)
                | Some e ->
                    check (depth + 1) (path.Field "else") false e
                    |> Result.bind (fun (compiledElse, elseParams) ->
                        merge path thenParams elseParams |> Result.map (fun ps -> Some compiledElse, ps))
                |> Result.bind (fun (compiledElse, branchParams) ->
                    merge path [ condition, TemplateParameterKind.Boolean ] branchParams
                    |> Result.map (fun ps -> Compiled.If(condition, compiledThen, compiledElse), ps)))

    and private checkList depth path items build =
        if isNull (box items) then
            invalid path "the list is null"
        else
            items
            |> List.mapi (fun i item -> check (depth + 1) (path.Index i) true item)
            |> List.sequenceResultM
            |> Result.bind (fun checkedItems ->
                let compiled = checkedItems |> List.map fst

                checkedItems
                |> List.map snd
                |> List.fold (fun acc ps -> acc |> Result.bind (fun a -> merge path a ps)) (Ok [])
                |> Result.map (fun ps -> build compiled, ps))

    let private jsonKind (json: Json) =
        match json with
        | Json.Null -> "null"
        | Json.Bool _ -> "a boolean"
        | Json.Integer _
        | Json.Number _ -> "a number"
        | Json.String _ -> "a string"
        | Json.Array _ -> "an array"
        | Json.Object _ -> "an object"

    let private expectString (path: JsonPath) (json: Json) =
        match json with
        | Json.String s -> Ok s
        | other ->
            Error
                {
                    Path = path.ToString()
                    Reason = DecodeReason.WrongType("a string", jsonKind other)
                }

    let rec ofJson (depth: int) (path: JsonPath) (json: Json) : Result<ScopeTemplateNode, DecodeError> =
        match json with
        | Json.String s -> Ok(ScopeTemplateNode.Pattern s)
        | Json.Object _ when depth >= maxDepth -> invalid path $"the template is nested deeper than {maxDepth} levels"
        | Json.Object members ->
            let keys = members |> List.map fst |> List.sort

            let get name =
                members |> List.find (fun (k, _) -> k = name) |> snd

            let listOf name build =
                let listPath = path.Field name

                match get name with
                | Json.Array items ->
                    items
                    |> List.mapi (fun i item -> ofJson (depth + 1) (listPath.Index i) item)
                    |> List.sequenceResultM
                    |> Result.map build
                | other ->
                    Error
                        {
                            Path = listPath.ToString()
                            Reason = DecodeReason.WrongType("an array", jsonKind other)
                        }

            match keys with
            | [ "AllOf" ] -> listOf "AllOf" ScopeTemplateNode.AllOf
            | [ "AnyOf" ] -> listOf "AnyOf" ScopeTemplateNode.AnyOf
            | [ "each"; "for"; "in" ] ->
                expectString (path.Field "for") (get "for")
                |> Result.bind (fun variable ->
                    expectString (path.Field "in") (get "in")
                    |> Result.bind (fun items ->
                        expectString (path.Field "each") (get "each")
                        |> Result.map (fun each -> ScopeTemplateNode.For(variable, items, each))))
            | [ "if"; "then" ]
            | [ "else"; "if"; "then" ] ->
                expectString (path.Field "if") (get "if")
                |> Result.bind (fun condition ->
                    ofJson (depth + 1) (path.Field "then") (get "then")
                    |> Result.bind (fun thenBranch ->
                        if List.contains "else" keys then
                            ofJson (depth + 1) (path.Field "else") (get "else")
                            |> Result.map (fun e -> ScopeTemplateNode.If(condition, thenBranch, Some e))
                        else
                            Ok(ScopeTemplateNode.If(condition, thenBranch, None))))
            | _ ->
                let found = keys |> List.map Text.quote |> String.concat ", "

                invalid
                    path
                    $"expected exactly the members AllOf, AnyOf, for/in/each or if/then[/else], but found [{found}]"
        | other ->
            Error
                {
                    Path = path.ToString()
                    Reason = DecodeReason.WrongType("a pattern string or a template object", jsonKind other)
                }

    let rec toJson (node: ScopeTemplateNode) =
        match node with
        | ScopeTemplateNode.Pattern s -> Json.String s
        | ScopeTemplateNode.AllOf items -> Json.Object [ "AllOf", Json.Array(List.map toJson items) ]
        | ScopeTemplateNode.AnyOf items -> Json.Object [ "AnyOf", Json.Array(List.map toJson items) ]
        | ScopeTemplateNode.For(variable, items, each) ->
            Json.Object
                [
                    "for", Json.String variable
                    "in", Json.String items
                    "each", Json.String each
                ]
        | ScopeTemplateNode.If(condition, thenBranch, elseBranch) ->
            Json.Object(
                [ "if", Json.String condition; "then", toJson thenBranch ]
                @ (elseBranch |> Option.map (fun e -> "else", toJson e) |> Option.toList)
            )

[<Sealed>]
type ScopeTemplate
    internal (node: ScopeTemplateNode, compiled: Compiled, parameters: (string * TemplateParameterKind) list) =
    member _.Node = node
    member internal _.Compiled = compiled
    member _.Parameters = parameters
    override _.ToString() = Encode.toString (Syntax.toJson node)

    override _.Equals(other: obj) =
        match other with
        | :? ScopeTemplate as t -> t.Node = node
        | _ -> false

    override _.GetHashCode() = hash node

    interface IEquatable<ScopeTemplate> with
        member this.Equals(other: ScopeTemplate) = this.Equals(box other)

/// What rendering yields for one node: a `for` contributes several elements to its list, a false
/// `if` without `else` contributes none.
[<RequireQualifiedAccess>]
type private Rendered =
    | One of ScopeExpression
    | Many of ScopeExpression list
    | Nothing

/// Parameter values plus the names to report for them: a loop variable is reported as the list
/// item it stands for, e.g. `scopes[2]`.
type private Environment =
    {
        Values: Map<string, Json>
        Names: Map<string, string>
    }

    member this.Name(name: string) =
        this.Names.TryFind name |> Option.defaultValue name

[<RequireQualifiedAccess>]
module ScopeTemplate =
    let private build path node =
        Syntax.check 0 path false node
        |> Result.map (fun (compiled, ps) -> ScopeTemplate(node, compiled, ps))
        |> Result.mapError ScopeTemplateError.InvalidTemplate

    let create (node: ScopeTemplateNode) =
        if isNull (box node) then
            Error(
                ScopeTemplateError.InvalidTemplate
                    {
                        Path = "$"
                        Reason = DecodeReason.InvalidValue "the template is null"
                    }
            )
        else
            build JsonPath.Root node

    let decoder: Decoder<ScopeTemplate> =
        fun path el ->
            Decode.json path el
            |> Result.bind (Syntax.ofJson 0 path)
            |> Result.bind (fun node ->
                Syntax.check 0 path false node
                |> Result.map (fun (compiled, ps) -> ScopeTemplate(node, compiled, ps)))

    let ofJson (json: Json) =
        Syntax.ofJson 0 JsonPath.Root json
        |> Result.mapError ScopeTemplateError.InvalidTemplate
        |> Result.bind (build JsonPath.Root)

    let parse (json: string) =
        Decode.fromString decoder json
        |> Result.mapError ScopeTemplateError.InvalidTemplate

    let toJson (template: ScopeTemplate) = Syntax.toJson template.Node

    let parameters (template: ScopeTemplate) = template.Parameters

    let parameterNames (template: ScopeTemplate) = template.Parameters |> List.map fst

    let private renderPattern (env: Environment) (parts: Part list) =
        let sb = StringBuilder()
        let mutable failure = None
        let mutable badParameter = None

        for part in parts do
            if failure.IsNone then
                match part with
                | Part.Literal text -> sb.Append text |> ignore
                | Part.Placeholder name ->
                    let shown = env.Name name

                    match env.Values.TryFind name with
                    | None -> failure <- Some(ScopeTemplateError.MissingParameter shown)
                    | Some value ->
                        // Numbers are accepted and written as JavaScript writes them, as upstream.
                        let text =
                            match value with
                            | Json.String s -> Some s
                            | Json.Integer i -> Some(i.ToString(CultureInfo.InvariantCulture))
                            | Json.Number f -> Some(Encode.formatNumber f)
                            | _ -> None

                        match text with
                        | None ->
                            failure <-
                                Some(ScopeTemplateError.WrongParameterType(shown, TemplateParameterKind.String, value))
                        | Some t ->
                            if badParameter.IsNone && not (Scope.validScope t) then
                                badParameter <- Some shown

                            sb.Append t |> ignore

        match failure, badParameter with
        | Some e, _ -> Error e
        | None, Some p -> Error(ScopeTemplateError.InvalidScope(p, sb.ToString()))
        | None, None -> Ok(sb.ToString())

    let rec private renderNode (env: Environment) (node: Compiled) : Result<Rendered, ScopeTemplateError> =
        match node with
        | Compiled.Pattern parts -> renderPattern env parts |> Result.map (ScopeExpression.Scope >> Rendered.One)
        | Compiled.AllOf items -> renderList env items |> Result.map (ScopeExpression.AllOf >> Rendered.One)
        | Compiled.AnyOf items -> renderList env items |> Result.map (ScopeExpression.AnyOf >> Rendered.One)
        | Compiled.For(variable, items, each) ->
            match env.Values.TryFind items with
            | None -> Error(ScopeTemplateError.MissingParameter(env.Name items))
            | Some(Json.Array values) ->
                let listName = env.Name items

                values
                |> List.mapi (fun i value ->
                    let inner =
                        {
                            Values = env.Values.Add(variable, value)
                            Names = env.Names.Add(variable, $"{listName}[{i}]")
                        }

                    renderPattern inner each |> Result.map ScopeExpression.Scope)
                |> List.sequenceResultM
                |> Result.map Rendered.Many
            | Some other ->
                Error(ScopeTemplateError.WrongParameterType(env.Name items, TemplateParameterKind.StringList, other))
        | Compiled.If(condition, thenBranch, elseBranch) ->
            match env.Values.TryFind condition with
            | None -> Error(ScopeTemplateError.MissingParameter(env.Name condition))
            | Some(Json.Bool true) -> renderNode env thenBranch
            | Some(Json.Bool false) ->
                match elseBranch with
                | Some e -> renderNode env e
                | None -> Ok Rendered.Nothing
            | Some other ->
                Error(ScopeTemplateError.WrongParameterType(env.Name condition, TemplateParameterKind.Boolean, other))

    and private renderList env items =
        let rec go acc items =
            match items with
            | [] -> Ok(List.rev acc)
            | item :: rest ->
                match renderNode env item with
                | Error e -> Error e
                | Ok(Rendered.One e) -> go (e :: acc) rest
                | Ok(Rendered.Many es) -> go (List.rev es @ acc) rest
                | Ok Rendered.Nothing -> go acc rest

        go [] items

    let render (parameters: Map<string, Json>) (template: ScopeTemplate) =
        let env =
            {
                Values = (if isNull (box parameters) then Map.empty else parameters)
                Names = Map.empty
            }

        renderNode env template.Compiled
        |> Result.map (fun rendered ->
            match rendered with
            | Rendered.One e -> e
            | Rendered.Many es -> ScopeExpression.AllOf es
            | Rendered.Nothing -> ScopeExpression.AllOf [])
