/// Running the official JS packages (installed into scripts/interop/node_modules by
/// `dotnet fsi build.fsx interop`) from the tests, and the emulators they talk to.
module Taskcluster.Interop.Tests.Node

open System
open System.Diagnostics
open System.IO
open System.Text
open System.Text.Json.Nodes
open System.Threading.Tasks
open Expecto
open Taskcluster.Core
open Taskcluster.Emulator
open Taskcluster.TestSupport

/// The repository root, found once, when a test first needs it.
let repoRoot = lazy (RepoRoot.find ())

let interopDir () =
    Path.Combine(repoRoot.Force(), "scripts", "interop")

/// Fails (never skips) when the official packages are not installed.
let requireInstalled () =
    let modules = Path.Combine(interopDir (), "node_modules")

    for package in [ "taskcluster-client"; "hawk"; "taskcluster-lib-scopes" ] do
        if not (File.Exists(Path.Combine(modules, package, "package.json"))) then
            failtestf
                "scripts/interop/node_modules/%s is missing: run `dotnet fsi build.fsx interop` (it installs the pinned official JS packages)"
                package

/// Starts `node <script>` in scripts/interop with stdin, stdout and stderr redirected.
let start (script: string) =
    requireInstalled ()

    let psi =
        ProcessStartInfo("node", [ script ], WorkingDirectory = interopDir (), UseShellExecute = false)

    psi.RedirectStandardInput <- true
    psi.RedirectStandardOutput <- true
    psi.RedirectStandardError <- true
    psi.StandardOutputEncoding <- UTF8Encoding false
    psi.StandardInputEncoding <- UTF8Encoding false

    try
        Process.Start psi
    with e ->
        failtestf "node could not be started (%s); the interop tests need Node.js on PATH" e.Message

/// Sends one batch of operations to scripts/interop/driver.mjs and returns its answers, in order.
let runOps (ops: JsonNode list) : JsonNode list =
    use p = start "driver.mjs"
    let input = JsonObject()
    let array = JsonArray()

    for op in ops do
        array.Add op

    input["ops"] <- array
    let stderr = p.StandardError.ReadToEndAsync()
    let stdout = p.StandardOutput.ReadToEndAsync()
    p.StandardInput.Write(input.ToJsonString())
    p.StandardInput.Close()
    p.WaitForExit()
    let out = stdout.Result

    if p.ExitCode <> 0 then
        failtestf "driver.mjs exited with %d: %s" p.ExitCode stderr.Result

    let answers = JsonNode.Parse(out).AsArray() |> Seq.toList

    if answers.Length <> ops.Length then
        failtestf "driver.mjs answered %d of %d operations" answers.Length ops.Length

    answers

/// One operation.
let runOp (op: JsonNode) = runOps [ op ] |> List.head

// JSON building.
let jstr (s: string) : JsonNode = JsonValue.Create s
let jint (i: int64) : JsonNode = JsonValue.Create i

let jobj (members: (string * JsonNode) list) : JsonNode =
    let o = JsonObject()

    for k, v in members do
        o[k] <- v

    o

let jarr (items: JsonNode seq) : JsonNode =
    let a = JsonArray()

    for i in items do
        a.Add i

    a

let jstrs (items: string seq) = jarr (items |> Seq.map jstr)

/// A core `Json` value as a `JsonNode`.
let ofJson (json: Json) : JsonNode = JsonNode.Parse(Encode.toString json)

/// The text of a string property, or null.
let text (node: JsonNode) (name: string) =
    match node with
    | :? JsonObject as o when o.ContainsKey name && not (isNull o[name]) ->
        match o[name] with
        | :? JsonValue as v when v.GetValueKind() = Text.Json.JsonValueKind.String -> v.GetValue<string>()
        | v -> v.ToJsonString()
    | _ -> null

let has (node: JsonNode) (name: string) =
    match node with
    | :? JsonObject as o -> o.ContainsKey name
    | _ -> false

/// Runs a task to completion (test bodies are synchronous).
let run (t: Task<'T>) = t.GetAwaiter().GetResult()

/// A fresh emulator, started lazily, one per use site.
let emulator () =
    lazy ((Emulator.start (EmulatorOptions())).GetAwaiter().GetResult())

/// Client options (for the JS driver) with an emulator's root credentials.
let rootOptions (e: EmulatorInstance) (extra: (string * JsonNode) list) =
    jobj (
        [
            "rootUrl", jstr e.RootUrl
            "credentials", jobj [ "clientId", jstr e.ClientId; "accessToken", jstr e.AccessToken ]
        ]
        @ extra
    )

/// The API references the emulator embeds (the same v106 references our generated clients use).
let references =
    lazy
        (use stream =
            typeof<EmulatorInstance>.Assembly.GetManifestResourceStream "Taskcluster.Emulator.references.json"

         use reader = new StreamReader(stream)

         match Reference.parseReferences (reader.ReadToEnd()) with
         | Ok r -> r
         | Error e -> failtestf "parsing the emulator's references: %s" (e.Describe()))

/// A fresh slugId.
let slugId () =
    let b = Security.Cryptography.RandomNumberGenerator.GetBytes 16

    match SlugId.nice (ReadOnlySpan b) with
    | Ok s -> s.Value
    | Error e -> failtestf "%s" (e.Describe())
