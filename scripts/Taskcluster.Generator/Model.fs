/// What is generated, decided once from the references and shared by every emitter: names in
/// both languages, parameters, pagination, documentation. Typed request/response models built
/// from the JSON schemas belong here later (a `Schemas` step beside `itemsField`), and the
/// emitters would read them from `Method` without changing how the rest is built.
module Taskcluster.Generator.Model

open System
open FsToolkit.ErrorHandling
open Taskcluster.Core

/// A route argument, query parameter or routing-key part.
type Parameter =
    {
        /// The name in the references (in URLs and routing keys).
        Name: string
        /// As an F# identifier.
        FSharp: string
        /// As a C# identifier.
        CSharp: string
    }

/// One API method.
type Method =
    {
        /// The entry as the references give it.
        Entry: ApiEntry
        /// The member name, e.g. `CreateTask`.
        Member: string
        /// The route arguments, in route order.
        Args: Parameter list
        /// The query-string parameters, in reference order.
        Query: Parameter list
        /// Whether the method takes a JSON body.
        HasPayload: bool
        /// Whether the method pages with `continuationToken`.
        Paginated: bool
        /// The array member of a page holding the items (from the output schema), when it is certain.
        ItemsField: string option
        /// The required scopes rendered for people, one line each, indented by nesting.
        Scopes: string list
    }

/// One API (one service client).
type Service =
    {
        /// The reference.
        Reference: ApiReference
        /// The official clients' class name, e.g. `WorkerManager`.
        Name: string
        /// The methods, in reference order.
        Methods: Method list
    }

/// One exchange of an exchange set.
type Exchange =
    {
        /// The entry as the references give it.
        Entry: ExchangeEntry
        /// The member name, e.g. `TaskCompleted`.
        Member: string
        /// The routing-key parts a caller may give (every part without a constant).
        Parts: Parameter list
    }

/// One exchange set.
type ExchangeSet =
    {
        /// The reference.
        Reference: ExchangeReference
        /// The official clients' class name, e.g. `QueueEvents`.
        Name: string
        /// The exchanges, in reference order.
        Exchanges: Exchange list
    }

/// Everything to generate.
type Model =
    {
        /// The API clients.
        Services: Service list
        /// The exchange sets.
        ExchangeSets: ExchangeSet list
    }

/// The query parameter the client pages with.
[<Literal>]
let ContinuationToken = "continuationToken"

/// Names the generated members use for their own parameters; a reference name equal to one of
/// them would make a method that cannot be compiled.
let reservedParameterNames =
    set
        [
            "payload"
            "cancellationToken"
            "handler"
            "pattern"
            "routingKeyValues"
            "routingKeyPattern"
        ]

let private parameter (context: string) (name: string) =
    match Code.fsIdentifier name, Code.csIdentifier name with
    | Ok fs, Ok cs ->
        if reservedParameterNames.Contains name then
            Error $"{context}: the parameter name '{name}' is used by the generated members"
        else
            Ok
                {
                    Name = name
                    FSharp = fs
                    CSharp = cs
                }
    | Error e, _
    | _, Error e -> Error $"{context}: {e}"

/// The scope template as indented lines for documentation: `all of:` / `any of:` groups, loops
/// as `for each <x> in <xs>: pattern`, conditions as `if <c>:` (and `else:`).
let renderScopes (scopes: Json option) : Result<string list, string> =
    let rec lines (indent: string) (node: ScopeTemplateNode) =
        match node with
        | ScopeTemplateNode.Pattern p -> [ indent + p ]
        | ScopeTemplateNode.AllOf [ only ] -> lines indent only
        | ScopeTemplateNode.AnyOf [ only ] -> lines indent only
        | ScopeTemplateNode.AllOf [] -> [ indent + "(none)" ]
        | ScopeTemplateNode.AnyOf [] -> [ indent + "(impossible: any of nothing)" ]
        | ScopeTemplateNode.AllOf items -> (indent + "all of:") :: List.collect (lines (indent + "  ")) items
        | ScopeTemplateNode.AnyOf items -> (indent + "any of:") :: List.collect (lines (indent + "  ")) items
        | ScopeTemplateNode.For(variable, items, each) -> [ $"{indent}for each <{variable}> in <{items}>: {each}" ]
        | ScopeTemplateNode.If(condition, thenBranch, elseBranch) ->
            [
                yield $"{indent}if <{condition}>:"
                yield! lines (indent + "  ") thenBranch
                match elseBranch with
                | Some e ->
                    yield $"{indent}else:"
                    yield! lines (indent + "  ") e
                | None -> ()
            ]

    match scopes with
    | None -> Ok []
    | Some json ->
        match ScopeTemplate.ofJson json with
        | Ok template -> Ok(lines "" template.Node)
        | Error e -> Error(e.Describe())

/// The `$id` a `$ref` inside the schema `baseId` points to (references are relative to `$id`).
let private resolveRef (baseId: string) (reference: string) =
    let resolved = Uri(Uri("https://schemas.invalid" + baseId), reference)

    resolved.AbsolutePath
    + (if resolved.Fragment = "" then "#" else resolved.Fragment)

let private members (json: Json) =
    match json with
    | Json.Object members -> members
    | _ -> []

let private isArraySchema (references: References) (schemaId: string) (property: Json) =
    let isArray (schema: Json) =
        members schema
        |> List.exists (fun (k, v) -> k = "type" && v = Json.String "array")

    if isArray property then
        true
    else
        match members property |> List.tryFind (fun (k, _) -> k = "$ref") with
        | Some(_, Json.String target) ->
            match Reference.tryFindSchema (resolveRef schemaId target) references with
            | Some schema -> isArray schema.Json
            | None -> false
        | _ -> false

/// The one array member of a paginated method's output schema (following a `$ref` one level),
/// or `None` when the schema has none or several (the client then finds it at run time).
let itemsField (references: References) (entry: ApiEntry) =
    match entry.Output with
    | Some(ApiOutput.Schema id) ->
        match Reference.tryFindSchema id references with
        | Some schema ->
            let properties =
                members schema.Json
                |> List.tryFind (fun (k, _) -> k = "properties")
                |> Option.map (snd >> members)
                |> Option.defaultValue []

            match properties |> List.filter (fun (_, p) -> isArraySchema references id p) with
            | [ (name, _) ] -> Some name
            | _ -> None
        | None -> None
    | _ -> None

let private method (references: References) (service: string) (entry: ApiEntry) =
    let context = $"{service}.{entry.Name}"

    // The first error wins in this order: arguments, query, name, then scopes.
    result {
        let! args = entry.Args |> List.traverseResultM (parameter context)
        let! query = entry.Query |> List.traverseResultM (parameter context)

        do!
            if entry.Name = "reference" then
                Error $"{context}: the name 'reference' is used by the generated reference module"
            else
                Code.fsIdentifier entry.Name |> Result.ignore

        let! scopes =
            renderScopes entry.Scopes
            |> Result.mapError (fun e -> $"{context}: scopes: {e}")

        let clash =
            args |> List.map _.Name |> List.filter (fun a -> List.contains a entry.Query)

        if not clash.IsEmpty then
            return! Error $"{context}: {clash} are both route arguments and query parameters"
        else
            let paginated = List.contains ContinuationToken entry.Query

            return
                {
                    Entry = entry
                    Member = Code.pascalCase entry.Name
                    Args = args
                    Query = query
                    HasPayload = entry.Input.IsSome
                    Paginated = paginated
                    ItemsField = if paginated then itemsField references entry else None
                    Scopes = scopes
                }
    }

// Names the generated types give their own members and values.
let private reservedMembers =
    set
        [
            "Reference"
            "TaskclusterClient"
            "ApiReference"
            "RootUrl"
            "ServiceName"
            "Call"
            "CallAsync"
            "BuildUrl"
            "BuildSignedUrl"
            "Equals"
            "GetHashCode"
            "GetType"
            "ToString"
        ]

let private checkNames (context: string) (names: string list) =
    let duplicates =
        names |> List.countBy id |> List.filter (fun (_, n) -> n > 1) |> List.map fst

    let reserved = names |> List.filter reservedMembers.Contains

    if not duplicates.IsEmpty then
        Error $"{context}: member names {duplicates} would repeat"
    elif not reserved.IsEmpty then
        Error $"{context}: member names {reserved} are taken by the generated types"
    else
        Ok()

let private service (references: References) (reference: ApiReference) =
    reference.Entries
    |> List.traverseResultM (method references reference.ServiceName)
    |> Result.bind (fun methods ->
        let names =
            methods
            |> List.collect (fun m ->
                [
                    m.Member
                    m.Member + "Async"
                    if m.Paginated then
                        for suffix in [ "Pages"; "Items"; "ForEachPage" ] do
                            m.Member + suffix
                            m.Member + suffix + "Async"
                ])

        checkNames reference.ServiceName names
        |> Result.map (fun () ->
            {
                Reference = reference
                Name = reference.ClassName
                Methods = methods
            }))

let private exchangeSet (reference: ExchangeReference) =
    let exchange (entry: ExchangeEntry) =
        entry.RoutingKey
        |> List.filter (fun p -> p.Constant.IsNone)
        |> List.traverseResultM (fun p -> parameter $"{reference.ServiceName}.{entry.Name}" p.Name)
        |> Result.bind (fun parts ->
            Code.fsIdentifier entry.Name
            |> Result.map (fun _ ->
                {
                    Entry = entry
                    Member = Code.pascalCase entry.Name
                    Parts = parts
                }))

    reference.Entries
    |> List.traverseResultM exchange
    |> Result.bind (fun exchanges ->
        let names =
            exchanges |> List.collect (fun e -> [ e.Member; e.Member + "WithPattern" ])

        checkNames reference.ClassName names
        |> Result.map (fun () ->
            {
                Reference = reference
                Name = reference.ClassName
                Exchanges = exchanges
            }))

/// The model of everything generated from a references bundle.
let build (references: References) : Result<Model, string> =
    result {
        let! services = references.Apis |> List.traverseResultM (service references)
        let! exchangeSets = references.Exchanges |> List.traverseResultM exchangeSet

        return
            {
                Services = services |> List.sortBy _.Reference.ServiceName
                ExchangeSets = exchangeSets |> List.sortBy _.Reference.ServiceName
            }
    }

/// Documentation shared by the emitters (XML doc lines without the `///`).
module Docs =
    let private stability (s: Stability) =
        match s with
        | Stability.Stable -> "stable"
        | Stability.Experimental -> "experimental"
        | Stability.Deprecated -> "deprecated"

    /// The request line, e.g. `PUT /task/<taskId>`.
    let requestLine (m: Method) =
        $"{m.Entry.Method.Name} {m.Entry.Route}"

    /// `<summary>` and `<remarks>` of a method: title, description, request line, stability,
    /// schemas and the required scopes.
    let methodDoc (service: Service) (m: Method) =
        [
            $"<summary>{Code.xml (m.Entry.Title.Trim())}</summary>"
            "<remarks>"
            yield! Code.paragraphs m.Entry.Description
            $"<para><c>{Code.xml (requestLine m)}</c> ({service.Reference.ServiceName}.{m.Entry.Name}, {stability m.Entry.Stability})</para>"
            match m.Entry.Input with
            | Some id -> $"<para>Request body: <c>{Code.xml id}</c></para>"
            | None -> ()
            match m.Entry.Output with
            | Some(ApiOutput.Schema id) -> $"<para>Response: <c>{Code.xml id}</c></para>"
            | Some ApiOutput.Blob -> "<para>Response: not JSON (a blob).</para>"
            | None -> ()
            match m.Scopes with
            | [] -> "<para>Required scopes: none.</para>"
            | lines ->
                "<para>Required scopes:</para>"
                "<code>"
                yield! lines |> List.map Code.xml
                "</code>"
            "</remarks>"
        ]

    /// `<summary>` and `<remarks>` of an exchange.
    let exchangeDoc (set: ExchangeSet) (e: Exchange) =
        [
            $"<summary>{Code.xml (e.Entry.Title.Trim())}</summary>"
            "<remarks>"
            yield! Code.paragraphs e.Entry.Description
            $"<para>Exchange <c>{Code.xml (set.Reference.ExchangePrefix + e.Entry.Exchange)}</c>, message <c>{Code.xml e.Entry.Schema}</c>.</para>"
            "<para>Routing key: <c>"
            + (e.Entry.RoutingKey
               |> List.map (fun p ->
                   match p.Constant with
                   | Some c -> c
                   | None -> "<" + p.Name + ">" + (if p.MultipleWords then "..." else ""))
               |> String.concat "."
               |> Code.xml)
            + "</c></para>"
            "</remarks>"
        ]

    /// The `<param>` of a routing-key part.
    let partDoc (e: Exchange) (p: Parameter) =
        let summary =
            e.Entry.RoutingKey
            |> List.tryFind (fun k -> k.Name = p.Name)
            |> Option.map (fun k -> k.Summary.Trim().Replace("\r\n", " ").Replace("\n", " "))
            |> Option.defaultValue ""

        $"<param name=\"{p.Name}\">{Code.xml summary} (any when not given)</param>"
