(**
---
title: Names, side by side with the official clients
category: Reference
categoryindex: 3
index: 1
---
*)
(*** hide ***)
#load ".include/references.fsx"
(**
# Names, side by side with the official clients

The official Python (`taskcluster`) and JavaScript (`taskcluster-client`) clients name every API
method and exchange as the Taskcluster references do: `queue.createTask`,
`queueEvents.taskCompleted`. Ours keep those names in .NET casing:

| | Python | JavaScript | F# (`Taskcluster.Services`) | C# (`Taskcluster`) |
|---|---|---|---|---|
| a client | `taskcluster.Queue(options)` | `new taskcluster.Queue(options)` | `Queue client` | `new QueueClient(rootUrl, credentials)` |
| a method | `queue.createTask(taskId, payload)` | `queue.createTask(taskId, payload)` | `queue.CreateTask(taskId, payload)`, typed: `queue.Typed.CreateTask` | `queue.CreateTaskAsync(taskId, payload)`, blocking `CreateTask`, JSON `CreateTaskJsonAsync` |
| pagination | `paginationHandler=` | a `continuationToken` loop | `ListTaskGroupItems`, `…Pages`, `…ForEachPage` | `ListTaskGroupItemsAsync` (`IAsyncEnumerable`) |
| an exchange | `QueueEvents().taskCompleted(...)` | `queueEvents.taskCompleted(...)` | `QueueEvents.TaskCompleted(...)` | `new QueueEvents().TaskCompleted(...)` |
| any method by name | `_makeApiCall` | `client.request` | `queue.Call("createTask", ...)`, `Client.callByName` | `queue.CallAsync("createTask", ...)` |
| a service of your own | `createApiClient` | `createClient` | `ApiClient` over an `ApiReference` | `TaskclusterApiClient` |

## Every method and exchange

[Every API method and exchange, side by side](api-names.html) is generated when this site is
built, by this page, from the references the clients are generated from; each name in its F# and
C# columns is looked up by reflection in the built assemblies, and a method missing from either
client fails the site's build.
*)
(*** hide ***)
open System
open System.Reflection
open Taskcluster.Core

let servicesAssembly = typeof<Taskcluster.Services.Queue>.Assembly
let facadeAssembly = typeof<Taskcluster.QueueClient>.Assembly

/// The values of the generated `<Name>Reference` modules whose `reference` has type `'T`.
let referencesOf<'T> () =
    servicesAssembly.GetTypes()
    |> Array.filter (fun t -> t.IsAbstract && t.IsSealed && t.Name.EndsWith "Reference")
    |> Array.choose (fun t ->
        match t.GetProperty("reference", BindingFlags.Public ||| BindingFlags.Static) with
        | null -> None
        | p when p.PropertyType = typeof<'T> -> Some(p.GetValue null :?> 'T)
        | _ -> None)
    |> List.ofArray

let pascal (name: string) = string (Char.ToUpperInvariant name[0]) + name.Substring 1
let camel (name: string) = string (Char.ToLowerInvariant name[0]) + name.Substring 1

let hasMethod (typeName: string) (assembly: Assembly) (methodName: string) =
    match assembly.GetType typeName with
    | null -> false
    | t -> t.GetMethods() |> Array.exists (fun m -> m.Name = methodName)

let missing = ResizeArray<string>()

let check (found: bool) (what: string) =
    if not found then
        missing.Add what

let code (s: string) = $"`{s}`"

/// One service's table: its heading and columns, the F# and C# types its members are on, and
/// per entry the cells of its row with the F# and C# members that must exist for it.
type Table =
    {
        Heading: string
        Columns: string list
        FSharpType: string
        CSharpType: string
        Rows: (string list * string * string) list
    }

/// The tables of every reference of type `'R`, by service name, in Markdown; each row's members
/// are checked in the built assemblies on the way.
let tables<'R> (serviceName: 'R -> string) (tableOf: 'R -> Table) =
    let out = Text.StringBuilder()
    let line (cells: string list) = "| " + String.Join(" | ", cells) + " |\n"

    for table in referencesOf<'R> () |> List.sortBy serviceName |> List.map tableOf do
        out.Append($"\n## {table.Heading}\n\n").Append(line table.Columns) |> ignore
        out.Append("|").Append(String.replicate table.Columns.Length "---|").Append("\n") |> ignore

        for cells, fsharpMember, csharpMember in table.Rows do
            check (hasMethod table.FSharpType servicesAssembly fsharpMember) $"F# {table.FSharpType}.{fsharpMember}"
            check (hasMethod table.CSharpType facadeAssembly csharpMember) $"C# {table.CSharpType}.{csharpMember}"
            out.Append(line cells) |> ignore

    out.ToString()

let apiTables =
    tables<ApiReference> _.ServiceName (fun api ->
        {
            Heading = api.ServiceName
            Columns = [ "Python / JavaScript"; "F#"; "C#" ]
            FSharpType = $"Taskcluster.Services.{api.ClassName}"
            CSharpType = $"Taskcluster.{api.ClassName}Client"
            Rows =
                [
                    for entry in api.Entries do
                        let name = pascal entry.Name

                        [
                            code (camel api.ClassName + "." + entry.Name)
                            code (api.ClassName + "." + name)
                            code (api.ClassName + "Client." + name + "Async")
                        ],
                        name,
                        name + "Async"
                ]
        })

let exchangeTables =
    tables<ExchangeReference> _.ServiceName (fun exchanges ->
        {
            Heading = $"{exchanges.ServiceName} events"
            Columns = [ "Python / JavaScript"; "exchange"; "F#"; "C#" ]
            FSharpType = $"Taskcluster.Services.{exchanges.ClassName}"
            CSharpType = $"Taskcluster.{exchanges.ClassName}"
            Rows =
                [
                    for entry in exchanges.Entries do
                        let name = pascal entry.Name

                        [
                            code (camel exchanges.ClassName + "." + entry.Name)
                            code (exchanges.ExchangePrefix + entry.Exchange)
                            code (exchanges.ClassName + "." + name)
                            code ("new " + exchanges.ClassName + "()." + name)
                        ],
                        name,
                        name
                ]
        })

if missing.Count > 0 then
    failwithf "names in the references that the clients lack: %s" (String.Join(", ", missing))
// The generated page (git-ignored; fsdocs renders it with the others).
IO.File.WriteAllText(
    IO.Path.Combine(__SOURCE_DIRECTORY__, "api-names.md"),
    String.concat
        "\n"
        [
            "---"
            "title: Every API method and exchange, side by side"
            "category: Reference"
            "categoryindex: 3"
            "index: 2"
            "---"
            "# Every API method and exchange, side by side"
            ""
            "Generated from the Taskcluster references when the site is built; every F# and C# name is checked to exist."
            "See [the names, side by side](name-mapping.html) for how they are formed."
            ""
            "# API methods"
            apiTables
            ""
            "# Exchanges"
            exchangeTables
        ]
)
(**
## The core and the helpers

| Taskcluster.Functional (F#) | Python `taskcluster` | JS `taskcluster-client` and libraries |
|---|---|---|
| `Hawk.header`, `Hawk.bewit`, `Hawk.signUrl` | (inside `Client`, via `mohawk`) | `hawk.client.header`, `hawk.client.getBewit` |
| `Hawk.parseHeader`, `Hawk.verifyHeader`, `Hawk.verifyBewit` | — | `hawk.server.authenticate`, `authenticateBewit` |
| `Certificate.createTemporaryCredentials`, C# `credentials.CreateTemporary` | `createTemporaryCredentials` | `createTemporaryCredentials` |
| `Certificate.isExpired`, C# `credentials.IsExpired` | `Client._credentialsExpired` (20 min) | — |
| `FromNow.fromNow`, `FromNow.fromNowJSON`, `FromNow.parse` | `fromNow`, `fromNowJSON`, `utils.parseTime` | `fromNow`, `fromNowJSON`, `parseTime` |
| `SlugId.nice`, `SlugId.v4`, `SlugId.decode`, `SlugId.encode`; C# `SlugIds` | `slugId`, `slugid.nice`, `slugid.decode` | `slugid.nice`, `slugid.v4`, `slugid.decode` |
| `Scope.scopeMatch` | `scopeMatch` | — |
| `Scope.satisfiesExpression`, `scopesSatisfying`, `removeGivenScopes`, `normalizeScopeSet`, `scopeUnion`, `scopeIntersection` | — | `taskcluster-lib-scopes`: same names |
| `RootUrl.api`, `apiReference`, `docs`, `schema`, `ui`, `apiManifest` | `taskcluster_urls.api`, `api_reference`, … | `taskcluster-lib-urls`: same names |
| `Client.buildUrl`, `queue.BuildUrl(...)` | `Client.buildUrl` | `client.buildUrl` |
| `Client.buildSignedUrl`, `queue.BuildSignedUrl(...)` | `Client.buildSignedUrl` | `client.buildSignedUrl` |
| `Options.fromEnvironment`, `Options.proxyFromEnvironment` | `optionsFromEnvironment` | `fromEnvVars` |
| `Helpers.slugId`, `Helpers.stableSlugId` | `slugId`, `stableSlugId` | `slugid.nice` |
| `Transfer.upload`, `uploadFromBuf`, `uploadFromFile` | `upload.upload`, `uploadFromBuf`, `uploadFromFile` | `upload` |
| `Transfer.download`, `downloadToBuf`, `downloadToFile` | `download.download`, `downloadToBuf`, `downloadToFile` | `download` |
| `Artifact.download…`, `Artifact.upload…` | `downloadArtifact…` | `downloadArtifact` |
| `TaskclusterConfig`, `Secrets.loadSecrets` | `helper.TaskclusterConfig`, `load_secrets` | — |
| `RoutingKey.binding` | `QueueEvents().taskDefined(...)` | `queueEvents.taskDefined(...)` |
| `Backoff.calculateSleepTime` | `utils.calculateSleepTime` | (inside `retry`) |
| `JsonE.render`, `JsonE.renderJson`, C# `JsonE.Render` | `jsone.render` | `jsone(template, context)` |

Where we differ from the official clients on purpose — route arguments that cannot escape their
segment, bounded clock corrections, redirects never followed, stricter slugId decoding and more —
is listed in the repository's README.
*)
