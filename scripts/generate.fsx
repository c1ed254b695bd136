// Generates the committed files derived from the Taskcluster references
// (`../shared/taskcluster/references.json`, or the path in TASKCLUSTER_REFERENCES).
// Run through `dotnet fsi build.fsx generate`. Output is deterministic: running it twice
// changes nothing, and a test fails when the committed output is stale.

open System
open System.IO
open System.Text.Json

let root = Path.GetFullPath(Path.Combine(__SOURCE_DIRECTORY__, ".."))

let referencesPath =
    match Environment.GetEnvironmentVariable "TASKCLUSTER_REFERENCES" with
    | null
    | "" -> Path.GetFullPath(Path.Combine(root, "..", "shared", "taskcluster", "references.json"))
    | p -> p

if not (File.Exists referencesPath) then
    eprintfn "references not found at %s (set TASKCLUSTER_REFERENCES)" referencesPath
    exit 1

/// Writes a file only when its content changes, so timestamps stay put for unchanged output.
let write (relative: string) (content: string) =
    let path = Path.Combine(root, relative)
    Directory.CreateDirectory(Path.GetDirectoryName path) |> ignore

    let existing = if File.Exists path then File.ReadAllText path else null

    if existing <> content then
        File.WriteAllText(path, content)
        printfn "wrote %s" relative
    else
        printfn "unchanged %s" relative

// 1. The emulator embeds the references (API/exchange references and JSON schemas) so that a
//    fresh clone runs without ../shared. Re-serialised compactly with a stable layout.
let referencesText =
    use doc = JsonDocument.Parse(File.ReadAllText referencesPath)
    let options = JsonWriterOptions(Indented = false)
    use stream = new MemoryStream()

    do
        use writer = new Utf8JsonWriter(stream, options)
        doc.RootElement.WriteTo writer

    Text.Encoding.UTF8.GetString(stream.ToArray()) + "\n"

write "src/Taskcluster.Emulator/Generated/references.json" referencesText
