/// The C# blocks, compiled in process with Roslyn against this program's own assemblies.
module Taskcluster.Readme.Tests.CSharpRunner

open System
open System.IO
open System.Reflection
open System.Text
open System.Text.RegularExpressions
open System.Threading.Tasks
open Microsoft.CodeAnalysis
open Microsoft.CodeAnalysis.CSharp
open Taskcluster.Readme.Tests.Snippets

/// The prelude split at its `//#locals` line: the shared source, and the locals by name.
type Prelude =
    {
        Source: string
        /// Each local's name and its declaration, in the prelude's order.
        Locals: (string * string) list
    }

let private localName = Regex(@"^\S.*?\s([A-Za-z_][A-Za-z0-9_]*)\s*=")

/// Reads the prelude text.
let prelude (text: string) =
    let lines = text.Replace("\r\n", "\n").Split '\n'
    let cut = Array.findIndex (fun (l: string) -> l.Trim() = "//#locals") lines

    {
        Source = String.Join("\n", lines[.. cut - 1])
        Locals =
            [
                for l in lines[cut + 1 ..] do
                    let m = localName.Match l

                    if m.Success then
                        m.Groups[1].Value, l
            ]
    }

let private uses (name: string) (code: string) =
    Regex.IsMatch(code, $@"(?<![\w.""]){Regex.Escape name}\b")

let private declares (name: string) (code: string) =
    Regex.IsMatch(code, $@"(\bvar|\bout\s+var|[\w>\]?])\s+{Regex.Escape name}\s*(=|;|\)|\bin\b)")

/// The locals a block needs: those it uses and does not declare, and the ones they use.
let localsFor (p: Prelude) (code: string) =
    let mutable chosen =
        p.Locals
        |> List.filter (fun (n, _) -> uses n code && not (declares n code))
        |> List.map fst
        |> Set.ofList

    let mutable changed = true

    while changed do
        let more =
            p.Locals
            |> List.filter (fun (n, _) -> not (chosen.Contains n))
            |> List.filter (fun (n, _) ->
                p.Locals
                |> List.exists (fun (m, decl) -> chosen.Contains m && uses n (decl.Substring(decl.IndexOf '=' + 1))))
            |> List.map fst

        changed <- not more.IsEmpty
        chosen <- Set.union chosen (Set.ofList more)

    p.Locals |> List.filter (fun (n, _) -> chosen.Contains n) |> List.map snd

/// One block as a source file: its `using` lines on top, the rest as the body of
/// `ReadmeSnippets.Snippet<id>.Run(ctx)`, with `#line` so errors name the Markdown file's lines.
let source (p: Prelude) (s: Snippet) =
    let lines = s.Code.Split '\n'

    let isUsing (l: string) =
        Regex.IsMatch(l, @"^using\s+[\w.]+\s*;")

    let out = StringBuilder()

    for l in lines |> Array.filter isUsing do
        out.Append(l).Append('\n') |> ignore

    out.Append("namespace ReadmeSnippets;\n") |> ignore
    out.Append($"public static class Snippet{s.Id}\n{{\n") |> ignore

    out.Append("    public static async Task Run(ReadmeContext ctx)\n    {\n")
    |> ignore

    for l in localsFor p s.Code do
        out.Append("        ").Append(l).Append('\n') |> ignore

    out.Append($"#line {s.Line + 1} \"{s.File}\"\n") |> ignore

    for l in lines do
        out.Append(if isUsing l then "" else l).Append('\n') |> ignore

    out.Append("#line default\n        await Task.CompletedTask;\n    }\n}\n")
    |> ignore

    out.ToString()

/// Every assembly this program can load (the framework's and ours), as references.
let private references =
    lazy
        (AppContext.GetData "TRUSTED_PLATFORM_ASSEMBLIES" :?> string).Split Path.PathSeparator
        |> Array.filter (fun p -> p.EndsWith ".dll")
        |> Array.map (fun p -> MetadataReference.CreateFromFile p :> MetadataReference)

/// Compiles the blocks with the prelude: the assembly, or the errors as `README.md(line,col): error CSxxxx: ...`.
let compile (p: Prelude) (snippets: Snippet list) : Result<Assembly, string list> =
    let parse (text: string) (path: string) =
        CSharpSyntaxTree.ParseText(text, CSharpParseOptions(LanguageVersion.Latest), path)

    let trees =
        parse p.Source "Prelude.cs"
        :: [ for s in snippets -> parse (source p s) $"Snippet{s.Id}.cs" ]

    let options =
        CSharpCompilationOptions(
            OutputKind.DynamicallyLinkedLibrary,
            nullableContextOptions = NullableContextOptions.Enable
        )

    let compilation =
        CSharpCompilation.Create($"ReadmeSnippets{Guid.NewGuid():N}", trees, references.Value, options)

    use pe = new MemoryStream()
    let emitted = compilation.Emit pe

    if emitted.Success then
        Ok(Assembly.Load(pe.ToArray()))
    else
        emitted.Diagnostics
        |> Seq.filter (fun d -> d.Severity = DiagnosticSeverity.Error)
        |> Seq.map (fun d ->
            let span = d.Location.GetMappedLineSpan()
            $"{span.Path}({span.StartLinePosition.Line + 1},{span.StartLinePosition.Character + 1}): error {d.Id}: {d.GetMessage()}")
        |> List.ofSeq
        |> Error

/// Runs one compiled block with the context; an exception (or no end within the timeout) is the
/// failure, named after the block.
let run (assembly: Assembly) (context: obj) (s: Snippet) (timeout: TimeSpan) : Task<Result<unit, string>> =
    task {
        let t = assembly.GetType $"ReadmeSnippets.Snippet{s.Id}"
        let m = t.GetMethod "Run"

        try
            let work = m.Invoke(null, [| context |]) :?> Task
            do! work.WaitAsync timeout
            return Ok()
        with e ->
            let e =
                match e with
                | :? TargetInvocationException as t when not (isNull t.InnerException) -> t.InnerException
                | e -> e

            return Error $"{s.Name} threw {e.GetType().Name}: {e.Message}"
    }

/// Makes the context object the prelude declares, by reflection (its type lives in the compiled assembly).
let context (assembly: Assembly) (values: (string * string) list) =
    let t = assembly.GetType "ReadmeSnippets.ReadmeContext"
    let o = Activator.CreateInstance t

    for name, value in values do
        t.GetProperty(name).SetValue(o, value)

    o
