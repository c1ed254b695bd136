/// Writes the F# service clients and binding builders (`src/Taskcluster.Services/Generated`).
/// Each file holds the reference as literal data and a type whose members build a request value
/// and call one `Client` function (or `RoutingKey.binding`); the logic lives in the client.
module Taskcluster.Generator.FSharpEmitter

open System
open System.Globalization
open Taskcluster.Core
open Taskcluster.Generator.Code
open Taskcluster.Generator.Model

let private list (items: string list) =
    if items.IsEmpty then
        "[]"
    else
        "[ " + String.concat "; " items + " ]"

let private option (f: 'T -> string) (value: 'T option) =
    match value with
    | Some v -> $"Some({f v})"
    | None -> "None"

let rec private json (value: Json) =
    match value with
    | Json.Null -> "Json.Null"
    | Json.Bool true -> "Json.Bool true"
    | Json.Bool false -> "Json.Bool false"
    | Json.Integer i -> $"Json.Integer({i}L)"
    | Json.Number f -> $"""Json.Number({f.ToString("0.0###############", CultureInfo.InvariantCulture)})"""
    | Json.String s -> $"Json.String {fsString s}"
    | Json.Array items -> $"Json.Array {list (List.map json items)}"
    | Json.Object members ->
        let pairs = members |> List.map (fun (k, v) -> $"({fsString k}, {json v})")
        $"Json.Object {list pairs}"

let private stability (s: Stability) =
    match s with
    | Stability.Stable -> "Stability.Stable"
    | Stability.Experimental -> "Stability.Experimental"
    | Stability.Deprecated -> "Stability.Deprecated"

let private requestMethod (m: RequestMethod) =
    match m with
    | RequestMethod.Get -> "RequestMethod.Get"
    | RequestMethod.Post -> "RequestMethod.Post"
    | RequestMethod.Put -> "RequestMethod.Put"
    | RequestMethod.Delete -> "RequestMethod.Delete"
    | RequestMethod.Patch -> "RequestMethod.Patch"
    | RequestMethod.Head -> "RequestMethod.Head"
    | RequestMethod.Options -> "RequestMethod.Options"
    | RequestMethod.Trace -> "RequestMethod.Trace"

let private output (o: ApiOutput) =
    match o with
    | ApiOutput.Schema id -> $"ApiOutput.Schema {fsString id}"
    | ApiOutput.Blob -> "ApiOutput.Blob"

let private opens =
    [
        "open System"
        "open System.Collections.Generic"
        "open System.Text.Json"
        "open System.Threading"
        "open System.Threading.Tasks"
        "open Taskcluster.Core"
        "open Taskcluster.Client"
    ]

let private start (w: Writer) (source: string) (version: string) =
    w.Lines(header "//" source version)
    w.Line "namespace Taskcluster.Services"
    w.Line ""
    w.Lines opens
    w.Line ""

/// A field of a record literal: one line, or a list written one item a line.
type private Field =
    | Scalar of name: string * value: string
    | Items of name: string * items: string list

/// `let name: Type = { … }`, one field a line.
let private recordValue (w: Writer) (name: string) (typeName: string) (fields: Field list) =
    w.Line $"let {name}: {typeName} ="

    w.Indented(fun () ->
        w.Line "{"

        w.Indented(fun () ->
            for field in fields do
                match field with
                | Scalar(n, v) -> w.Line $"{n} = {v}"
                | Items(n, items) ->
                    w.Line $"{n} ="

                    w.Indented(fun () ->
                        w.Line "["
                        w.Indented(fun () -> w.Lines items)
                        w.Line "]"))

        w.Line "}")

let private entryValue (w: Writer) (service: Service) (m: Method) =
    let e = m.Entry

    w.Lines(
        docLines
            [
                $"<summary>The <c>{service.Reference.ServiceName}.{e.Name}</c> entry: {xml e.Title}</summary>"
            ]
    )

    recordValue
        w
        (fsIdentifier e.Name |> Result.defaultValue e.Name)
        "ApiEntry"
        [
            Scalar("Name", fsString e.Name)
            Scalar("Title", fsString e.Title)
            Scalar("Description", fsString e.Description)
            Scalar("Category", fsString e.Category)
            Scalar("Stability", stability e.Stability)
            Scalar("Method", requestMethod e.Method)
            Scalar("Route", fsString e.Route)
            Scalar("Args", list (List.map fsString e.Args))
            Scalar("Query", list (List.map fsString e.Query))
            Scalar("Input", option fsString e.Input)
            Scalar("Output", option output e.Output)
            Scalar("Scopes", option json e.Scopes)
        ]

    w.Line ""

let private entryName (m: Method) =
    fsIdentifier m.Entry.Name |> Result.defaultValue m.Entry.Name

/// The F# parameters of a method: route arguments, then the payload, then optional query
/// parameters (`extra` goes between the payload and the query).
let private parameters (m: Method) (extra: string list) (withToken: bool) =
    [
        for a in m.Args do
            $"{a.FSharp}: string"
        if m.HasPayload then
            "payload: Payload"
        yield! extra
        for q in m.Query do
            $"?{q.FSharp}: string"
        if withToken then
            "?cancellationToken: CancellationToken"
    ]
    |> String.concat ", "

let private argsList (m: Method) = list (m.Args |> List.map _.FSharp)

let private queryList (m: Method) =
    if m.Query.IsEmpty then
        "[]"
    else
        let pairs = m.Query |> List.map (fun q -> $"{fsString q.Name}, {q.FSharp}")
        $"(Taskcluster.Services.Arguments.query {list pairs})"

let private payloadArg (m: Method) =
    if m.HasPayload then "payload" else "Payload.Empty"

let private paramDocs (m: Method) (extra: string list) (withToken: bool) =
    [
        for a in m.Args do
            $"<param name=\"{a.Name}\">The <c>{a.Name}</c> route argument (sent as one path segment).</param>"
        if m.HasPayload then
            let schema = m.Entry.Input |> Option.defaultValue ""
            $"<param name=\"payload\">The request body (schema <c>{xml schema}</c>).</param>"
        yield! extra
        for q in m.Query do
            $"<param name=\"{q.Name}\">The optional <c>{q.Name}</c> query parameter.</param>"
        if withToken then
            "<param name=\"cancellationToken\">Cancels the call (it then ends with an <c>OperationCanceledException</c>).</param>"
    ]

let private methodMembers (w: Writer) (service: Service) (m: Method) =
    let reference = $"{service.Name}Reference.reference"
    let entry = $"{service.Name}Reference.{entryName m}"
    let doc = Docs.methodDoc service m

    let call fn =
        $"{fn} client {reference} {entry} {argsList m} {queryList m} {payloadArg m}"

    w.Lines(docLines doc)
    w.Lines(docLines (paramDocs m [] true))
    w.Lines(docLines [ "<returns>The response as JSON, or why the call failed.</returns>" ])

    w.Line $"member _.{m.Member}({parameters m [] true}) : Task<Result<JsonElement, TaskclusterError>> ="

    let callFn = "Client.call"
    w.Indented(fun () -> w.Line $"{call callFn} (Taskcluster.Services.Arguments.token cancellationToken)")
    w.Line ""

    // The body unparsed, for readers of their own (the C# models read it in one pass, with no
    // JsonElement in between).
    if m.Entry.Output.IsSome then
        w.Lines(
            docLines
                [
                    $"<summary><c>{m.Member}</c> with the response's body unparsed: the UTF-8 bytes of the JSON, for a reader of its own (see <c>Client.callUtf8</c>).</summary>"
                ]
        )

        w.Lines(docLines (paramDocs m [] true))

        w.Lines(
            docLines
                [
                    "<returns>The response's body (checked UTF-8, not parsed), or why the call failed.</returns>"
                ]
        )

        w.Line
            $"member _.{m.Member}Utf8({parameters m [] true}) : Task<Result<ReadOnlyMemory<byte>, TaskclusterError>> ="

        let utf8Fn = "Client.callUtf8"

        w.Indented(fun () -> w.Line $"{call utf8Fn} (Taskcluster.Services.Arguments.token cancellationToken)")

        w.Line ""

    // The variants of a paginated method point at the method rather than repeat its documentation.
    let variant (what: string) =
        [
            $"<summary>{xml (m.Entry.Title.Trim())}: {what}.</summary>"
            $"<remarks>The pages of <c>{m.Member}</c> (<c>{xml (Docs.requestLine m)}</c>), following <c>continuationToken</c>; see <c>{m.Member}</c> for the method and its scopes.</remarks>"
        ]

    if m.Paginated then
        let items =
            match m.ItemsField with
            | Some f -> $"(Some {fsString f})"
            | None -> "None"

        let what = "every page, lazily"
        w.Lines(docLines (variant what))
        w.Lines(docLines (paramDocs m [] false))

        w.Lines(
            docLines
                [
                    "<returns>Every page, lazily, following <c>continuationToken</c>; a failure is the last element.</returns>"
                ]
        )

        w.Line
            $"member _.{m.Member}Pages({parameters m [] false}) : IAsyncEnumerable<Result<JsonElement, TaskclusterError>> ="

        w.Indented(fun () -> w.Line(call "Client.pages"))
        w.Line ""

        let what = "every item of every page, lazily"
        w.Lines(docLines (variant what))
        w.Lines(docLines (paramDocs m [] false))

        let itemsDoc =
            match m.ItemsField with
            | Some f -> $"the elements of each page's <c>{f}</c>"
            | None -> "the elements of each page's array member"

        w.Lines(
            docLines
                [
                    $"<returns>Every item ({itemsDoc}), lazily, page after page; a failure is the last element.</returns>"
                ]
        )

        w.Line
            $"member _.{m.Member}Items({parameters m [] false}) : IAsyncEnumerable<Result<JsonElement, TaskclusterError>> ="

        w.Indented(fun () ->
            w.Line $"Client.items {items} client {reference} {entry} {argsList m} {queryList m} {payloadArg m}")

        w.Line ""

        let what = "a handler called with every page"
        w.Lines(docLines (variant what))

        w.Lines(
            docLines (
                paramDocs
                    m
                    [
                        "<param name=\"handler\">Called with every page in order (the official clients' <c>paginationHandler</c>).</param>"
                    ]
                    true
            )
        )

        w.Lines(
            docLines
                [
                    "<returns>Unit once a page has no <c>continuationToken</c>, or the first failure.</returns>"
                ]
        )

        let handlerParam = [ "handler: JsonElement -> Task" ]

        w.Line
            $"member _.{m.Member}ForEachPage({parameters m handlerParam true}) : Task<Result<unit, TaskclusterError>> ="

        let paginateFn = "Client.paginate"

        w.Indented(fun () ->
            w.Line $"{call paginateFn} handler (Taskcluster.Services.Arguments.token cancellationToken)")

        w.Line ""

/// The typed form of a route argument or query parameter whose meaning is known: its F# type and
/// the `Arguments` function that renders it (run ids, page sizes and pull-request numbers are
/// integers; the listing filters `quarantined` and `includeArchived` are booleans).
let private typedArgument (name: string) =
    match name with
    | "runId"
    | "limit"
    | "pullRequest" -> Some("int", "Taskcluster.Services.Arguments.int")
    | "quarantined"
    | "includeArchived" -> Some("bool", "Taskcluster.Services.Arguments.bool")
    | _ -> None

/// A GET method whose documentation says it answers with a redirect (`queue.getArtifact`,
/// `index.findArtifactFromTask`, ...): its typed form returns the target URL.
let answersWithRedirect (m: Method) =
    m.Entry.Method = RequestMethod.Get
    && m.Entry.Description.Contains("redirect", StringComparison.OrdinalIgnoreCase)

/// The typed form of a method: the input and output models instead of JSON, when the method has
/// an input schema or a JSON output schema (a blob or no output without input has nothing to type).
let rec private typedMember (w: Writer) (models: Schema.SchemaModel) (service: Service) (m: Method) =
    // Model types are written qualified: the services' own names (Payload, Client, ...) stay theirs.
    let q (name: string) = "Taskcluster.Models." + name

    let modelOf (id: string) =
        models.Roots.TryFind id
        |> Option.map (fun shape ->
            ModelEmitter.typeWith q models.Types shape,
            ModelEmitter.decoderWith q models.Types shape,
            ModelEmitter.encoderWith q models.Types shape)

    let input = m.Entry.Input |> Option.bind modelOf
    let redirects = answersWithRedirect m

    let output =
        match m.Entry.Output with
        | _ when redirects -> Some("string", "")
        | Some(ApiOutput.Schema id) -> modelOf id |> Option.map (fun (t, d, _) -> t, d)
        | Some ApiOutput.Blob -> None
        | None -> Some("unit", "(Decode.succeed ())")

    match input, output, m.Entry.Output with
    | _ when redirects -> typedMemberOf w service m input "string" "Client.callLocation"
    | None, _, Some ApiOutput.Blob
    | None, _, None -> ()
    | _, None, _ -> ()
    | _, Some(outputType, decoder), _ -> typedMemberOf w service m input outputType $"Client.callDecoded {decoder}"

/// Writes one typed member: typed route arguments and query parameters, the input model, and
/// `call` (a Client function taking the usual arguments) for the answer.
and private typedMemberOf
    (w: Writer)
    (service: Service)
    (m: Method)
    (input: (string * string * string) option)
    (outputType: string)
    (call: string)
    =
    let reference = $"{service.Name}Reference.reference"
    let entry = $"{service.Name}Reference.{entryName m}"

    let parameters =
        [
            for a in m.Args do
                match typedArgument a.Name with
                | Some(t, _) -> $"{a.FSharp}: {t}"
                | None -> $"{a.FSharp}: string"
            match input with
            | Some(t, _, _) -> $"payload: {t}"
            | None when m.HasPayload -> "payload: Payload"
            | None -> ()
            for q in m.Query do
                match typedArgument q.Name with
                | Some(t, _) -> $"?{q.FSharp}: {t}"
                | None -> $"?{q.FSharp}: string"
            "?cancellationToken: CancellationToken"
        ]
        |> String.concat ", "

    let args =
        m.Args
        |> List.map (fun a ->
            match typedArgument a.Name with
            | Some(_, render) -> $"({render} {a.FSharp})"
            | None -> a.FSharp)
        |> list

    let query =
        if m.Query.IsEmpty then
            "[]"
        else
            let pairs =
                m.Query
                |> List.map (fun q ->
                    match typedArgument q.Name with
                    | Some(_, render) -> $"{fsString q.Name}, ({q.FSharp} |> Option.map {render})"
                    | None -> $"{fsString q.Name}, {q.FSharp}")

            $"(Taskcluster.Services.Arguments.query {list pairs})"

    let payload =
        match input with
        | Some(_, _, encoder) -> $"(Payload.Json({encoder} payload))"
        | None -> payloadArg m

    w.Lines(docLines (Docs.methodDoc service m))
    w.Lines(docLines (paramDocs m [] true))

    w.Lines(
        docLines
            [
                if call = "Client.callLocation" then
                    "<returns>The URL the service redirects to (its <c>Location</c>, not followed: fetch it without Taskcluster credentials), or why the call failed.</returns>"
                elif outputType = "unit" then
                    "<returns>Unit once the service answered, or why the call failed.</returns>"
                else
                    $"<returns>The response decoded as <c>{xml outputType}</c> (a response of another shape is <c>InvalidResponse</c> naming the JSON path), or why the call failed.</returns>"
            ]
    )

    w.Line $"member _.{m.Member}({parameters}) : Task<Result<{outputType}, TaskclusterError>> ="

    w.Indented(fun () ->
        w.Line
            $"{call} client {reference} {entry} {args} {query} {payload} (Taskcluster.Services.Arguments.token cancellationToken)")

    w.Line ""

/// The F# file of one service: its reference as literal data, the typed client, then the client.
let service (source: string) (version: string) (models: Schema.SchemaModel) (service: Service) =
    let w = Writer()
    let r = service.Reference
    start w source version

    w.Lines(
        docLines
            [
                $"<summary>The {xml r.ServiceName} API reference ({xml r.ApiVersion}) as literal data: one value per method, then the whole reference.</summary>"
            ]
    )

    w.Line "[<RequireQualifiedAccess>]"
    w.Line $"module {service.Name}Reference ="

    w.Indented(fun () ->
        w.Line ""

        for m in service.Methods do
            entryValue w service m

        w.Lines(docLines [ $"<summary>The whole {xml r.ServiceName} API reference.</summary>" ])

        recordValue
            w
            "reference"
            "ApiReference"
            [
                Scalar("ServiceName", fsString r.ServiceName)
                Scalar("ApiVersion", fsString r.ApiVersion)
                Scalar("Title", fsString r.Title)
                Scalar("Description", fsString r.Description)
                Items("Entries", service.Methods |> List.map entryName)
            ])

    w.Line ""

    w.Lines(
        docLines
            [
                $"<summary>{xml (r.Title.Trim())}: the typed form of every method with a request or response schema, taking and returning the models of <c>Taskcluster.Models</c>.</summary>"
                $"<remarks>Reached as <c>{service.Name}(client).Typed</c>; the JSON forms stay on <c>{service.Name}</c>.</remarks>"
            ]
    )

    w.Line "[<Sealed>]"
    w.Line $"type {service.Name}Typed(client: TaskclusterClient) ="

    w.Indented(fun () ->
        w.Line "// Request bodies are checked against their schemas before sending (ClientOptions.ValidateRequests)."
        w.Line "let client = Taskcluster.Services.RequestSchemas.attach client"
        w.Line ""

        for m in service.Methods do
            typedMember w models service m

        w.Lines(docLines [ "<summary>The client requests are sent with.</summary>" ])
        w.Line "member _.TaskclusterClient: TaskclusterClient = client")

    w.Line ""

    w.Lines(
        docLines (
            [
                $"<summary>{xml (r.Title.Trim())}: a client for every method of the {xml r.ServiceName} service.</summary>"
                "<remarks>"
            ]
            @ paragraphs r.Description
            @ [
                $"<para>Create one over a <see cref=\"T:Taskcluster.Client.TaskclusterClient\"/>: <c>{service.Name}(client)</c>. Its methods answer JSON; <c>Typed</c> has the same methods with typed models.</para>"
                "</remarks>"
            ]
        )
    )

    w.Line "[<Sealed>]"
    w.Line $"type {service.Name}(client: TaskclusterClient) ="

    w.Indented(fun () ->
        w.Line $"inherit Taskcluster.Services.ApiClient(client, {service.Name}Reference.reference)"
        w.Line "// Request bodies are checked against their schemas before sending (ClientOptions.ValidateRequests)."
        w.Line "let client = Taskcluster.Services.RequestSchemas.attach client"
        w.Line ""
        w.Lines(docLines [ $"<summary>The {xml r.ServiceName} API reference.</summary>" ])
        w.Line $"static member Reference: ApiReference = {service.Name}Reference.reference"
        w.Line ""

        w.Lines(
            docLines
                [
                    "<summary>The same methods taking and returning typed models (<c>Taskcluster.Models</c>).</summary>"
                ]
        )

        w.Line $"member val Typed: {service.Name}Typed = {service.Name}Typed(client)"
        w.Line ""

        for m in service.Methods do
            methodMembers w service m)

    w.ToString()

let private part (p: RoutingKeyPart) =
    let constant = option fsString p.Constant
    let multiple = if p.MultipleWords then "true" else "false"
    let required = if p.Required then "true" else "false"

    $"{{ Name = {fsString p.Name}; Summary = {fsString p.Summary}; Constant = {constant}; MultipleWords = {multiple}; Required = {required} }}"

/// The F# source of one exchange set.
let exchangeSet (source: string) (version: string) (models: Schema.SchemaModel) (set: ExchangeSet) =
    let w = Writer()
    let r = set.Reference
    start w source version
    let moduleName = $"{set.Name}Reference"

    w.Lines(
        docLines
            [
                $"<summary>The {xml r.ServiceName} exchange reference ({xml r.ApiVersion}) as literal data: one value per exchange, then the whole reference.</summary>"
            ]
    )

    w.Line "[<RequireQualifiedAccess>]"
    w.Line $"module {moduleName} ="

    w.Indented(fun () ->
        w.Line ""

        for e in set.Exchanges do
            w.Lines(
                docLines
                    [
                        $"<summary>The <c>{xml e.Entry.Name}</c> exchange: {xml e.Entry.Title}</summary>"
                    ]
            )

            recordValue
                w
                (fsIdentifier e.Entry.Name |> Result.defaultValue e.Entry.Name)
                "ExchangeEntry"
                [
                    Scalar("Name", fsString e.Entry.Name)
                    Scalar("Exchange", fsString e.Entry.Exchange)
                    Scalar("Title", fsString e.Entry.Title)
                    Scalar("Description", fsString e.Entry.Description)
                    Items("RoutingKey", e.Entry.RoutingKey |> List.map part)
                    Scalar("Schema", fsString e.Entry.Schema)
                ]

            w.Line ""

        w.Lines(docLines [ $"<summary>The whole {xml r.ServiceName} exchange reference.</summary>" ])

        recordValue
            w
            "reference"
            "ExchangeReference"
            [
                Scalar("ServiceName", fsString r.ServiceName)
                Scalar("ApiVersion", fsString r.ApiVersion)
                Scalar("Title", fsString r.Title)
                Scalar("Description", fsString r.Description)
                Scalar("ExchangePrefix", fsString r.ExchangePrefix)
                Items(
                    "Entries",
                    set.Exchanges
                    |> List.map (fun e -> fsIdentifier e.Entry.Name |> Result.defaultValue e.Entry.Name)
                )
            ])

    w.Line ""

    w.Lines(
        docLines (
            [
                $"<summary>{xml (r.Title.Trim())}: the Pulse bindings of every {xml r.ServiceName} exchange.</summary>"
                "<remarks>"
            ]
            @ paragraphs r.Description
            @ [
                "<para>Each exchange takes routing-key values as optional named arguments (a part not given matches anything) or a <see cref=\"T:Taskcluster.Core.BindingPattern\"/> (values by name, or a verbatim pattern).</para>"
                "</remarks>"
            ]
        )
    )

    w.Line "[<AbstractClass; Sealed>]"
    w.Line $"type {set.Name} ="

    w.Indented(fun () ->
        w.Lines(docLines [ $"<summary>The {xml r.ServiceName} exchange reference.</summary>" ])
        w.Line $"static member Reference: ExchangeReference = {moduleName}.reference"
        w.Line ""

        for e in set.Exchanges do
            let entry =
                $"{moduleName}.{(fsIdentifier e.Entry.Name |> Result.defaultValue e.Entry.Name)}"

            let doc = Docs.exchangeDoc set e
            w.Lines(docLines doc)
            w.Lines(docLines (e.Parts |> List.map (Docs.partDoc e)))

            w.Lines(
                docLines
                    [
                        "<returns>The exchange and routing-key pattern to bind to, or why a value cannot be used.</returns>"
                    ]
            )

            let ps = e.Parts |> List.map (fun p -> $"?{p.FSharp}: string") |> String.concat ", "
            w.Line $"static member {e.Member}({ps}) : Result<PulseBinding, RoutingKeyError> ="

            let values = e.Parts |> List.map (fun p -> $"{fsString p.Name}, {p.FSharp}") |> list

            w.Indented(fun () ->
                w.Line
                    $"RoutingKey.binding {moduleName}.reference {entry} (Taskcluster.Services.Arguments.values {values})")

            w.Line ""

            w.Lines(docLines doc)

            w.Lines(
                docLines
                    [
                        "<param name=\"pattern\">Routing-key values by part name (names that are not parts are ignored, as the JS client ignores them), or a pattern used verbatim.</param>"
                        "<returns>The exchange and routing-key pattern to bind to, or why a value cannot be used.</returns>"
                    ]
            )

            w.Line $"static member {e.Member}(pattern: BindingPattern) : Result<PulseBinding, RoutingKeyError> ="
            w.Indented(fun () -> w.Line $"RoutingKey.binding {moduleName}.reference {entry} pattern")
            w.Line ""

            // The typed body of the exchange's messages, for a consumer (`Message.decode`).
            match models.Roots.TryFind e.Entry.Schema with
            | Some shape ->
                let q (name: string) = "Taskcluster.Models." + name
                let model = ModelEmitter.typeWith q models.Types shape
                let decoder = ModelEmitter.decoderWith q models.Types shape

                w.Lines(
                    docLines
                        [
                            $"<summary>Decodes the body of a <c>{xml e.Entry.Exchange}</c> message into <c>{xml model}</c> (schema <c>{xml e.Entry.Schema}</c>); pass it to the Pulse consumer's <c>Message.decode</c>.</summary>"
                            "<param name=\"body\">The message body.</param>"
                            "<returns>The typed body, or the decoding error with its JSON path (unknown members are kept, never an error).</returns>"
                        ]
                )

                w.Line $"static member Decode{e.Member}(body: JsonElement) : Result<{model}, DecodeError> ="
                w.Indented(fun () -> w.Line $"Decode.fromElement {decoder} body")
                w.Line ""
            | None -> ())

    w.ToString()
