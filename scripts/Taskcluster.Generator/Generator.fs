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

/// The emulator's embedded copy of the references: re-serialised compactly, so that a fresh
/// clone runs without ../shared.
let emulatorReferences (referencesText: string) =
    use doc = JsonDocument.Parse referencesText
    use stream = new MemoryStream()

    do
        use writer = new Utf8JsonWriter(stream, JsonWriterOptions(Indented = false))
        doc.RootElement.WriteTo writer

    Encoding.UTF8.GetString(stream.ToArray()) + "\n"

/// Every generated file, in a stable order.
let generate (referencesText: string) : Result<GeneratedFile list, string> =
    match Reference.parseReferences referencesText with
    | Error e -> Error $"the references cannot be read: {e.Describe()}"
    | Ok references ->
        Model.build references
        |> Result.map (fun model ->
            let file path content = { Path = path; Content = content }

            [
                file "src/Taskcluster.Emulator/Generated/references.json" (emulatorReferences referencesText)
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
