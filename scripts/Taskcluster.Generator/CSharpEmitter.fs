/// Writes the C# facade (`src/Taskcluster/Generated`): one class per service and per exchange
/// set, every member a one-line adaptation of the generated F# member (F# types in, .NET types
/// out) through the hand-written `Adapt` and `Sync` helpers.
module Taskcluster.Generator.CSharpEmitter

open Taskcluster.Core
open Taskcluster.Generator.Code
open Taskcluster.Generator.Model

[<Literal>]
let private JsonElement = "global::System.Text.Json.JsonElement"

[<Literal>]
let private CancellationToken = "global::System.Threading.CancellationToken"

let private start (w: Writer) (source: string) (version: string) =
    w.Lines(header "//" source version)
    w.Line ""
    // Generated files default to a disabled nullable context; the facade is annotated.
    w.Line "#nullable enable"
    w.Line ""
    w.Line "namespace Taskcluster"
    w.Line "{"

// Parameters whose meaning is known get their .NET type: a run number, a page size.
let private isRunId (p: Parameter) = p.Name = "runId"

let private isLimit (p: Parameter) = p.Name = "limit"

let private rangeDocs (m: Method) =
    if List.exists isRunId m.Args || List.exists isLimit m.Query then
        [
            "<exception cref=\"T:System.ArgumentOutOfRangeException\">A run number is negative or a page size is not positive.</exception>"
        ]
    else
        []

let private payloadDoc (m: Method) =
    let schema = m.Entry.Input |> Option.defaultValue ""

    $"<param name=\"payload\">The request body (schema <c>{xml schema}</c>): JSON text (a string), a <see cref=\"T:System.Text.Json.JsonElement\"/>, a <see cref=\"T:System.Text.Json.Nodes.JsonNode\"/>, UTF-8 bytes, or any object (serialised with its property names exactly as written).</param>"

let private paramDocs (m: Method) =
    [
        for a in m.Args do
            if isRunId a then
                $"<param name=\"{a.Name}\">The <c>{a.Name}</c> route argument: a run of the task (0 or more).</param>"
            else
                $"<param name=\"{a.Name}\">The <c>{a.Name}</c> route argument (sent as one path segment).</param>"
        if m.HasPayload then
            payloadDoc m
        for q in m.Query do
            if isLimit q then
                $"<param name=\"{q.Name}\">The most results a page holds (1 or more); <c>null</c> for the service's default.</param>"
            else
                $"<param name=\"{q.Name}\">The optional <c>{q.Name}</c> query parameter.</param>"
        "<param name=\"cancellationToken\">Cancels the call (it then throws <see cref=\"T:System.OperationCanceledException\"/>).</param>"
    ]

/// The C# types of a method's models: the input's and the output's (when the schemas name them).
type private Typed =
    {
        Input: string option
        Output: string option
        /// The type of a page's items, when the output is a record whose items member is a list.
        Item: string option
    }

let private typedOf (models: Schema.SchemaModel) (m: Method) =
    let root id = models.Roots.TryFind id

    let output =
        match m.Entry.Output with
        | Some(ApiOutput.Schema id) -> root id
        | _ -> None

    let item =
        match output, m.ItemsField with
        | Some(Schema.Shape.Named l), Some field ->
            match models.Types[l].Kind with
            | Schema.Kind.Record(fields, _) ->
                fields
                |> List.tryPick (fun f ->
                    match f.Shape with
                    | Schema.Shape.List s when f.JsonName = field && f.Required ->
                        Some(CSharpModelEmitter.typeOf models.Types s)
                    | _ -> None)
            | _ -> None
        | _ -> None

    {
        Input =
            m.Entry.Input
            |> Option.bind root
            |> Option.map (CSharpModelEmitter.typeOf models.Types)
        Output = output |> Option.map (CSharpModelEmitter.typeOf models.Types)
        Item = item
    }

let private parametersWith (payloadType: string) (m: Method) =
    [
        for a in m.Args do
            if isRunId a then
                $"int {a.CSharp}"
            else
                $"string {a.CSharp}"
        if m.HasPayload then
            $"{payloadType} payload"
        for q in m.Query do
            if isLimit q then
                $"int? {q.CSharp} = null"
            else
                $"string? {q.CSharp} = null"
        $"{CancellationToken} cancellationToken = default"
    ]
    |> String.concat ", "

let private parameters (m: Method) = parametersWith "object" m

/// The arguments of the F# member: route arguments checked for null, the payload, the query
/// parameters as options, the token (as an option unless `token` is false).
let private fsharpArgumentsWith (payload: string) (m: Method) (token: bool) =
    [
        for a in m.Args do
            if isRunId a then
                $"ModelAdapt.RunId({a.CSharp}, nameof({a.CSharp}))"
            else
                $"Adapt.NotNull({a.CSharp}, nameof({a.CSharp}))"
        if m.HasPayload then
            payload
        for q in m.Query do
            if isLimit q then
                $"ModelAdapt.Limit({q.CSharp}, nameof({q.CSharp}))"
            else
                $"Adapt.Option({q.CSharp})"
        if token then
            "Adapt.Token(cancellationToken)"
    ]
    |> String.concat ", "

let private fsharpArguments (m: Method) (token: bool) =
    fsharpArgumentsWith "Adapt.Payload(payload, nameof(payload))" m token

let private member' (w: Writer) (doc: string list) (signature: string) (body: string) =
    w.Lines(docLines doc)
    w.Line signature
    w.Indented(fun () -> w.Line $"=> {body};")
    w.Line ""

let private pagedDocs (m: Method) =
    let itemsWhat =
        match m.ItemsField with
        | Some f -> $"the elements of each page's <c>{f}</c>"
        | None -> "the elements of each page's array member"

    // A failed page is reported like every other failed call, as a result (said in <returns>:
    // a <remarks> here would hide the inherited one with the route and scopes).
    let failure =
        "A page that could not be fetched ends the enumeration as a failed result."

    let summary what =
        $"<summary>{xml (m.Entry.Title.Trim())}: {what}, following <c>continuationToken</c>.</summary>"

    let pagesReturns =
        $"<returns>Every page as a result, fetched lazily while enumerating, following <c>continuationToken</c>. {failure}</returns>"

    let itemsReturns =
        $"<returns>Every item ({itemsWhat}) as a result, fetched page by page while enumerating. {failure}</returns>"

    summary, pagesReturns, itemsReturns

/// The JSON forms of a method (named `…Json…` when a typed form takes the plain name).
let private jsonMembers (w: Writer) (service: Service) (m: Method) (infix: string) =
    let doc = Docs.methodDoc service m @ paramDocs m
    let call = $"_service.{m.Member}({fsharpArguments m true})"

    member'
        w
        (doc
         @ [
             "<returns>The response as JSON, or why the call failed.</returns>"
             "<exception cref=\"T:System.ArgumentNullException\">A route argument or the payload is null.</exception>"
         ]
         @ rangeDocs m)
        $"public virtual global::System.Threading.Tasks.Task<TaskclusterResult<{JsonElement}>> {m.Member}{infix}Async({parameters m})"
        $"Adapt.ResultAsync({call})"

    let inherit' = $"<inheritdoc cref=\"{m.Member}{infix}Async\"/>"

    member'
        w
        [ inherit' ]
        $"public virtual TaskclusterResult<{JsonElement}> {m.Member}{infix}({parameters m})"
        $"Adapt.Result(Sync.Run(() => {call}))"

    if m.Paginated then
        let pagesCall suffix =
            $"_service.{m.Member}{suffix}({fsharpArguments m false})"

        let summary, pagesReturns, itemsReturns = pagedDocs m

        for kind, what, returns in
            [
                "Pages", "every page", pagesReturns
                "Items", "every item of every page", itemsReturns
            ] do
            member'
                w
                [ inherit'; summary what; returns ]
                $"public virtual global::System.Collections.Generic.IAsyncEnumerable<TaskclusterResult<{JsonElement}>> {m.Member}{infix}{kind}Async({parameters m})"
                $"Adapt.Values({pagesCall kind}, cancellationToken)"

            member'
                w
                [ inherit'; summary what; returns ]
                $"public virtual global::System.Collections.Generic.IEnumerable<TaskclusterResult<{JsonElement}>> {m.Member}{infix}{kind}({parameters m})"
                $"Adapt.Blocking({pagesCall kind}, cancellationToken)"

/// The typed forms of a method: its models in and out.
let private typedMembers (w: Writer) (service: Service) (m: Method) (typed: Typed) =
    let apiMethod = csString $"{service.Reference.ServiceName}.{m.Entry.Name}"
    let payloadType = typed.Input |> Option.defaultValue "object"

    let payload =
        match typed.Input with
        | Some _ -> "ModelAdapt.Payload(payload, nameof(payload))"
        | None -> "Adapt.Payload(payload, nameof(payload))"

    let ps = parametersWith payloadType m

    let call token =
        $"_service.{m.Member}({fsharpArgumentsWith payload m token})"

    // A model is read from the body's bytes in one pass (no JsonElement parsed first).
    let callUtf8 token =
        $"_service.{m.Member}Utf8({fsharpArgumentsWith payload m token})"

    let payloadDocs =
        match typed.Input with
        | Some _ ->
            paramDocs m
            |> List.map (fun d ->
                if d.StartsWith "<param name=\"payload\">" then
                    let schema = m.Entry.Input |> Option.defaultValue ""
                    $"<param name=\"payload\">The request body (schema <c>{xml schema}</c>), written with the schema's member names.</param>"
                else
                    d)
        | None -> paramDocs m

    let doc = Docs.methodDoc service m @ payloadDocs

    let returns, asyncBody, syncBody, resultType =
        match typed.Output with
        | Some t ->
            "<returns>The response as its model, or why the call failed (a response that does not fit the model is <see cref=\"F:Taskcluster.TaskclusterErrorKind.InvalidResponse\"/> with its JSON path).</returns>",
            $"ModelAdapt.ResultAsync<{t}>({callUtf8 true}, {apiMethod})",
            $"ModelAdapt.Result<{t}>(Sync.Run(() => {callUtf8 true}), {apiMethod})",
            t
        | None ->
            "<returns>The response as JSON, or why the call failed.</returns>",
            $"Adapt.ResultAsync({call true})",
            $"Adapt.Result(Sync.Run(() => {call true}))",
            JsonElement

    member'
        w
        (doc
         @ [
             returns.Replace("</returns>", $" The JSON form is <see cref=\"{m.Member}JsonAsync\"/>.</returns>")
             "<exception cref=\"T:System.ArgumentNullException\">A route argument or the payload is null.</exception>"
         ]
         @ rangeDocs m)
        $"public virtual global::System.Threading.Tasks.Task<TaskclusterResult<{resultType}>> {m.Member}Async({ps})"
        asyncBody

    let inherit' = $"<inheritdoc cref=\"{m.Member}Async\"/>"

    member' w [ inherit' ] $"public virtual TaskclusterResult<{resultType}> {m.Member}({ps})" syncBody

    if m.Paginated then
        let pagesCall suffix =
            $"_service.{m.Member}{suffix}({fsharpArgumentsWith payload m false})"

        let summary, pagesReturns, itemsReturns = pagedDocs m

        let paged (kind: string) (what: string) (returns: string) (t: string option) =
            match t with
            | Some t ->
                member'
                    w
                    [ inherit'; summary what; returns ]
                    $"public virtual global::System.Collections.Generic.IAsyncEnumerable<TaskclusterResult<{t}>> {m.Member}{kind}Async({ps})"
                    $"ModelAdapt.Values<{t}>({pagesCall kind}, {apiMethod}, cancellationToken)"

                member'
                    w
                    [ inherit'; summary what; returns ]
                    $"public virtual global::System.Collections.Generic.IEnumerable<TaskclusterResult<{t}>> {m.Member}{kind}({ps})"
                    $"ModelAdapt.Blocking<{t}>({pagesCall kind}, {apiMethod}, cancellationToken)"
            | None ->
                member'
                    w
                    [ inherit'; summary what; returns ]
                    $"public virtual global::System.Collections.Generic.IAsyncEnumerable<TaskclusterResult<{JsonElement}>> {m.Member}{kind}Async({ps})"
                    $"Adapt.Values({pagesCall kind}, cancellationToken)"

                member'
                    w
                    [ inherit'; summary what; returns ]
                    $"public virtual global::System.Collections.Generic.IEnumerable<TaskclusterResult<{JsonElement}>> {m.Member}{kind}({ps})"
                    $"Adapt.Blocking({pagesCall kind}, cancellationToken)"

        paged "Pages" "every page" pagesReturns typed.Output
        paged "Items" "every item of every page" itemsReturns typed.Item

/// The form of a method that answers with a redirect (`queue.getArtifact`, `index.findArtifactFromTask`,
/// ... as the F# emitter picks them): the target URL as a `Uri`, through the F# typed member.
let private redirectMembers (w: Writer) (service: Service) (m: Method) =
    let apiMethod = csString $"{service.Reference.ServiceName}.{m.Entry.Name}"

    // The F# typed member takes run ids as `int` and other route arguments as strings; nothing
    // else (a body, a query) is expected of a redirecting GET, and a new one must be looked at.
    if m.HasPayload || not m.Query.IsEmpty then
        failwith $"{apiMethod}: a redirecting method with a body or query parameters has no C# form yet"

    let ps =
        [
            for a in m.Args do
                if isRunId a then
                    $"int {a.CSharp}"
                else
                    $"string {a.CSharp}"
            $"{CancellationToken} cancellationToken = default"
        ]
        |> String.concat ", "

    let args =
        [
            for a in m.Args do
                if isRunId a then
                    $"ModelAdapt.RunNumber({a.CSharp}, nameof({a.CSharp}))"
                else
                    $"Adapt.NotNull({a.CSharp}, nameof({a.CSharp}))"
            "Adapt.Token(cancellationToken)"
        ]
        |> String.concat ", "

    let call = $"_service.Typed.{m.Member}({args})"

    member'
        w
        (Docs.methodDoc service m
         @ paramDocs m
         @ [
             $"<returns>The URL the service redirects to (not followed: fetch it without Taskcluster credentials), or why the call failed. The JSON form is <see cref=\"{m.Member}JsonAsync\"/>.</returns>"
             "<exception cref=\"T:System.ArgumentNullException\">A route argument is null.</exception>"
         ]
         @ rangeDocs m)
        $"public virtual global::System.Threading.Tasks.Task<TaskclusterResult<global::System.Uri>> {m.Member}Async({ps})"
        $"ModelAdapt.LocationAsync({call}, {apiMethod})"

    member'
        w
        [ $"<inheritdoc cref=\"{m.Member}Async\"/>" ]
        $"public virtual TaskclusterResult<global::System.Uri> {m.Member}({ps})"
        $"ModelAdapt.Location(Sync.Run(() => {call}), {apiMethod})"

let private methodMembers (w: Writer) (models: Schema.SchemaModel) (service: Service) (m: Method) =
    let typed = typedOf models m

    if FSharpEmitter.answersWithRedirect m then
        redirectMembers w service m
        jsonMembers w service m "Json"
    elif typed.Input.IsSome || typed.Output.IsSome then
        typedMembers w service m typed
        jsonMembers w service m "Json"
    else
        jsonMembers w service m ""

/// The facade class name of a service, e.g. `QueueClient`.
let serviceClassName (service: Service) = service.Name + "Client"

/// The C# source of one service's facade class.
let service (source: string) (version: string) (models: Schema.SchemaModel) (service: Service) =
    let w = Writer()
    let r = service.Reference
    let name = serviceClassName service
    let fsharpType = $"global::Taskcluster.Services.{service.Name}"
    start w source version

    w.Indented(fun () ->
        w.Lines(
            docLines (
                [
                    $"<summary>{xml (r.Title.Trim())}: every method of the {xml r.ServiceName} service.</summary>"
                    "<remarks>"
                ]
                @ paragraphs r.Description
                @ [
                    "<para>Each method comes as <c>…Async</c> and as a blocking counterpart; both return a <see cref=\"T:Taskcluster.TaskclusterResult`1\"/> instead of throwing for failed calls. Thread-safe: create one and share it.</para>"
                    "</remarks>"
                ]
            )
        )

        w.Line $"public partial class {name} : TaskclusterServiceClient"
        w.Line "{"

        w.Indented(fun () ->
            w.Line $"private readonly {fsharpType} _service;"
            w.Line ""

            w.Lines(
                docLines
                    [
                        $"<summary>Creates a client of the {xml r.ServiceName} service of a deployment.</summary>"
                        "<param name=\"rootUrl\">The deployment's root URL, e.g. <c>https://tc.example.com</c>.</param>"
                        "<param name=\"credentials\">The credentials to sign requests with; <c>null</c> for unauthenticated requests.</param>"
                        "<param name=\"options\">Retries, timeouts, HTTP client, logging; <c>null</c> for the defaults.</param>"
                        "<exception cref=\"T:System.ArgumentNullException\"><paramref name=\"rootUrl\"/> is null.</exception>"
                        "<exception cref=\"T:System.ArgumentException\">An option is invalid (the message names it).</exception>"
                    ]
            )

            w.Line
                $"public {name}(global::System.Uri rootUrl, TaskclusterCredentials? credentials = null, TaskclusterClientOptions? options = null)"

            w.Indented(fun () -> w.Line $": this(new {fsharpType}(Connection.Create(rootUrl, credentials, options)))")
            w.Line "{"
            w.Line "}"
            w.Line ""
            w.Line $"internal {name}({fsharpType} service)"
            w.Indented(fun () -> w.Line ": base(service)")
            w.Line "{"
            w.Indented(fun () -> w.Line "_service = service;")
            w.Line "}"
            w.Line ""

            w.Lines(
                docLines
                    [
                        "<summary>For mocking: a client without a connection, whose members a test double overrides.</summary>"
                    ]
            )

            w.Line $"protected {name}()"
            w.Line "{"
            w.Indented(fun () -> w.Line "_service = null!;")
            w.Line "}"
            w.Line ""

            for m in service.Methods do
                methodMembers w models service m)

        w.Line "}")

    w.Line "}"
    w.ToString()

/// The C# source of one exchange set's facade class.
let exchangeSet (source: string) (version: string) (models: Schema.SchemaModel) (set: ExchangeSet) =
    let w = Writer()
    let r = set.Reference
    let fsharpType = $"global::Taskcluster.Services.{set.Name}"
    start w source version

    w.Indented(fun () ->
        w.Lines(
            docLines (
                [
                    $"<summary>{xml (r.Title.Trim())}: the Pulse bindings of every {xml r.ServiceName} exchange.</summary>"
                    "<remarks>"
                ]
                @ paragraphs r.Description
                @ [
                    "<para>Each exchange takes routing-key values as optional named arguments (a part not given matches anything), as a dictionary, or as a verbatim pattern (<c>…WithPattern</c>). A value that cannot be used (a dot in a single-word part) throws <see cref=\"T:System.ArgumentException\"/>.</para>"
                    "</remarks>"
                ]
            )
        )

        w.Line $"public partial class {set.Name}"
        w.Line "{"

        w.Indented(fun () ->
            w.Lines(docLines [ $"<summary>The bindings of the {xml r.ServiceName} exchanges.</summary>" ])
            w.Line $"public {set.Name}()"
            w.Line "{"
            w.Line "}"
            w.Line ""

            for e in set.Exchanges do
                let doc = Docs.exchangeDoc set e

                let returns =
                    [
                        "<returns>The exchange and routing-key pattern to bind to.</returns>"
                        "<exception cref=\"T:System.ArgumentException\">A value cannot be used in the routing key.</exception>"
                    ]

                let args =
                    e.Parts |> List.map (fun p -> $"Adapt.Option({p.CSharp})") |> String.concat ", "

                match e.Parts with
                | [ part ] ->
                    // One part: a form without it and one with it, instead of one optional
                    // parameter, which would have no more parameters than the dictionary form
                    // (the public-API analyzer's RS0027); every call compiles as before.
                    member'
                        w
                        (doc @ [ List.head returns ])
                        $"public virtual PulseBinding {e.Member}()"
                        $"Adapt.Binding({fsharpType}.{e.Member}(Adapt.Option(null)))"

                    member'
                        w
                        (doc @ [ Docs.partDoc e part ] @ returns)
                        $"public virtual PulseBinding {e.Member}(string? {part.CSharp})"
                        $"Adapt.Binding({fsharpType}.{e.Member}({args}))"
                | parts ->
                    let ps =
                        parts |> List.map (fun p -> $"string? {p.CSharp} = null") |> String.concat ", "

                    member'
                        w
                        (doc @ (parts |> List.map (Docs.partDoc e)) @ returns)
                        $"public virtual PulseBinding {e.Member}({ps})"
                        $"Adapt.Binding({fsharpType}.{e.Member}({args}))"

                member'
                    w
                    (doc
                     @ [
                         "<param name=\"routingKeyValues\">Routing-key values by part name; parts not given match anything, names that are not parts are ignored (as the JS client ignores them).</param>"
                     ]
                     @ returns
                     @ [
                         "<exception cref=\"T:System.ArgumentNullException\"><paramref name=\"routingKeyValues\"/> is null.</exception>"
                     ])
                    $"public virtual PulseBinding {e.Member}(global::System.Collections.Generic.IReadOnlyDictionary<string, string?> routingKeyValues)"
                    $"Adapt.Binding({fsharpType}.{e.Member}(Adapt.Values(routingKeyValues, nameof(routingKeyValues))))"

                member'
                    w
                    (doc
                     @ [
                         "<param name=\"routingKeyPattern\">An AMQP topic pattern used verbatim, e.g. <c>route.index.my-project.#</c>.</param>"
                         "<returns>The exchange and routing-key pattern to bind to.</returns>"
                         "<exception cref=\"T:System.ArgumentNullException\"><paramref name=\"routingKeyPattern\"/> is null.</exception>"
                     ])
                    $"public virtual PulseBinding {e.Member}WithPattern(string routingKeyPattern)"
                    $"Adapt.Binding({fsharpType}.{e.Member}(Adapt.Verbatim(routingKeyPattern, nameof(routingKeyPattern))))"

                // The typed body of the exchange's messages, read through the models' serializer context.
                match models.Roots.TryFind e.Entry.Schema with
                | Some shape ->
                    let model = CSharpModelEmitter.typeOf models.Types shape
                    let exchange = csString (r.ExchangePrefix + e.Entry.Exchange)

                    let cref = xml (model.Replace("global::", ""))

                    let summary =
                        $"<summary>Decodes the body of a <c>{xml e.Entry.Exchange}</c> message into <see cref=\"T:{cref}\"/> (schema <c>{xml e.Entry.Schema}</c>).</summary>"

                    let returns =
                        "<returns>The typed body, or an <see cref=\"F:Taskcluster.TaskclusterErrorKind.InvalidResponse\"/> error naming the JSON path of what does not fit (members the schema does not name are kept, never an error).</returns>"

                    member'
                        w
                        [ summary; "<param name=\"body\">The message body.</param>"; returns ]
                        $"public virtual TaskclusterResult<{model}> Decode{e.Member}({JsonElement} body)"
                        $"ModelAdapt.Message<{model}>(body, {exchange})"

                    member'
                        w
                        [
                            summary
                            "<param name=\"body\">The message body as UTF-8 JSON.</param>"
                            returns
                        ]
                        $"public virtual TaskclusterResult<{model}> Decode{e.Member}(global::System.ReadOnlyMemory<byte> body)"
                        $"ModelAdapt.Message<{model}>(body, {exchange})"

                    member'
                        w
                        [
                            summary
                            "<param name=\"message\">A message a <see cref=\"T:Taskcluster.PulseConsumer\"/> read from this exchange.</param>"
                            "<returns>The message with its typed body, or an <see cref=\"F:Taskcluster.TaskclusterErrorKind.InvalidResponse\"/> error: the message came from another exchange, or its body does not fit (the error names the JSON path).</returns>"
                            "<exception cref=\"T:System.ArgumentNullException\"><paramref name=\"message\"/> is null.</exception>"
                        ]
                        $"public virtual TaskclusterResult<PulseMessage<{model}>> Decode{e.Member}(PulseMessage message)"
                        $"ModelAdapt.Message<{model}>(Adapt.NotNull(message, nameof(message)), {exchange})"
                | None -> ())

        w.Line "}")

    w.Line "}"
    w.ToString()

/// The C# source registering every facade class with dependency injection.
let registrations (source: string) (version: string) (model: Model) =
    let w = Writer()
    start w source version

    w.Indented(fun () ->
        w.Lines(
            docLines
                [
                    "<summary>Every generated facade class, for <c>AddTaskcluster</c>.</summary>"
                ]
        )

        w.Line "internal static class GeneratedRegistrations"
        w.Line "{"

        w.Indented(fun () ->
            w.Lines(
                docLines
                    [
                        "<summary>Registers every service client (transient, over the client <paramref name=\"client\"/> makes) and every exchange set (singleton).</summary>"
                        "<param name=\"services\">The service collection.</param>"
                        "<param name=\"client\">Makes the F# client a facade class sends with.</param>"
                    ]
            )

            w.Line
                "internal static void AddClients(global::Microsoft.Extensions.DependencyInjection.IServiceCollection services, global::System.Func<global::System.IServiceProvider, global::Taskcluster.Client.TaskclusterClient> client)"

            w.Line "{"

            w.Indented(fun () ->
                for s in model.Services do
                    let name = serviceClassName s

                    w.Line
                        $"global::Microsoft.Extensions.DependencyInjection.Extensions.ServiceCollectionDescriptorExtensions.TryAddTransient(services, provider => new {name}(new global::Taskcluster.Services.{s.Name}(client(provider))));"

                for e in model.ExchangeSets do
                    w.Line
                        $"global::Microsoft.Extensions.DependencyInjection.Extensions.ServiceCollectionDescriptorExtensions.TryAddSingleton<{e.Name}>(services);")

            w.Line "}")

        w.Line "}")

    w.Line "}"
    w.ToString()
