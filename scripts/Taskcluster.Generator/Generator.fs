/// The generator's entry point: references text in, every generated file out (paths relative
/// to the repository root). Pure, so the staleness test can compare its output with the
/// committed files without writing anything.
module Taskcluster.Generator.Generator

open System.IO
open System.Text
open System.Text.Json
open Taskcluster.Core

/// One generated file.
type GeneratedFile =
    {
        /// The path relative to the repository root, with `/` separators.
        Path: string
        /// The content (UTF-8, `\n` line ends).
        Content: string
    }

/// The Taskcluster release the references describe.
[<Literal>]
let TaskclusterVersion = "v106.0.0"

/// The input, as the headers name it.
[<Literal>]
let Source = "../shared/taskcluster/references.json"

/// The route-parameter and query-string patterns, as the headers name them.
[<Literal>]
let RouteParamsSource = "../shared/taskcluster/route-params.json"

/// A JSON document re-serialised compactly, for the emulator to embed.
let private compact (text: string) =
    use doc = JsonDocument.Parse text
    use stream = new MemoryStream()

    do
        use writer = new Utf8JsonWriter(stream, JsonWriterOptions(Indented = false))
        doc.RootElement.WriteTo writer

    Encoding.UTF8.GetString(stream.ToArray()) + "\n"

/// The emulator's embedded copy of the references: re-serialised compactly, so that a fresh
/// clone runs without ../shared.
let emulatorReferences (referencesText: string) = compact referencesText

/// The emulator's embedded copy of the services' route-parameter and query-string patterns
/// (which the references do not carry), compact like the references.
let emulatorRouteParams (routeParamsText: string) : Result<string, string> =
    try
        Ok(compact routeParamsText)
    with :? JsonException as e ->
        Error $"the route parameters cannot be read: {e.Message}"

/// Every generated file, in a stable order, from the references and the route parameters.
let generate (referencesText: string) (routeParamsText: string) : Result<GeneratedFile list, string> =
    match Reference.parseReferences referencesText, emulatorRouteParams routeParamsText with
    | Error e, _ -> Error $"the references cannot be read: {e.Describe()}"
    | _, Error message -> Error message
    | Ok references, Ok routeParams ->
        Model.build references
        |> Result.map (fun model ->
            let file path content = { Path = path; Content = content }

            [
                file "src/Taskcluster.Emulator/Generated/references.json" (emulatorReferences referencesText)
                file "src/Taskcluster.Emulator/Generated/route-params.json" routeParams
                for s in model.Services do
                    file
                        $"src/Taskcluster.Services/Generated/{s.Name}.fs"
                        (FSharpEmitter.service Source TaskclusterVersion s)
                for e in model.ExchangeSets do
                    file
                        $"src/Taskcluster.Services/Generated/{e.Name}.fs"
                        (FSharpEmitter.exchangeSet Source TaskclusterVersion e)
                for s in model.Services do
                    file
                        $"src/Taskcluster/Generated/{CSharpEmitter.serviceClassName s}.cs"
                        (CSharpEmitter.service Source TaskclusterVersion s)
                for e in model.ExchangeSets do
                    file
                        $"src/Taskcluster/Generated/{e.Name}.cs"
                        (CSharpEmitter.exchangeSet Source TaskclusterVersion e)
                file
                    "src/Taskcluster/Generated/GeneratedRegistrations.cs"
                    (CSharpEmitter.registrations Source TaskclusterVersion model)
            ])

/// The folders whose every file the generator owns (a file there that it no longer writes is stale).
let generatedFolders =
    [ "src/Taskcluster.Services/Generated"; "src/Taskcluster/Generated" ]
