/// Reading the fenced code blocks of a Markdown file.
module Taskcluster.Readme.Tests.Snippets

open System
open System.Text.RegularExpressions

/// The languages whose blocks are compiled.
type Language =
    | FSharp
    | CSharp

/// What the README says about a block, by an HTML comment on the line just before its fence.
type Mode =
    /// Compiled and run against an emulator (no marker).
    | Run
    /// `<!-- snippet: compile-only -->`: compiled, not run (it needs a Pulse broker or runs forever).
    | CompileOnly
    /// `<!-- snippet: partial -->`: deliberately incomplete, neither compiled nor run.
    | Partial

/// One fenced block.
type Snippet =
    {
        /// The Markdown file's path from the repository root, e.g. `README.md` or `docs/pulse.fsx`.
        File: string
        Language: Language
        /// The 1-based line of the opening fence.
        Line: int
        Mode: Mode
        /// The lines between the fences.
        Code: string
    }

    /// `README.md:50 (fsharp)`, for messages.
    member s.Name =
        let language =
            match s.Language with
            | FSharp -> "fsharp"
            | CSharp -> "csharp"

        $"{s.File}:{s.Line} ({language})"

    /// An identifier unique among the blocks of every file: the file's name and the line.
    member s.Id =
        let file = Regex.Replace(s.File, "[^A-Za-z0-9]", "_")
        $"{file}_{s.Line}"

let private fence = Regex(@"^\s*```\s*([A-Za-z0-9#+-]*)\s*$")
let private marker = Regex(@"^\s*<!--\s*snippet:\s*([a-z-]+)\s*-->\s*$")

/// An error in the Markdown itself: an unknown marker or an unclosed fence.
exception MarkdownError of string

/// Every fenced `fsharp` and `csharp` block of `markdown` (the text of `file`), in order, with
/// its marker. The Markdown comments of a literate `.fsx` page are read the same way.
let extractFrom (file: string) (markdown: string) : Snippet list =
    let lines = markdown.Replace("\r\n", "\n").Split '\n'
    let result = ResizeArray<Snippet>()
    let mutable i = 0

    while i < lines.Length do
        let m = fence.Match lines[i]

        if m.Success then
            let start = i
            let info = m.Groups[1].Value.ToLowerInvariant()
            let mutable j = i + 1

            while j < lines.Length && not (lines[j].TrimStart().StartsWith "```") do
                j <- j + 1

            if j >= lines.Length then
                raise (MarkdownError $"the fence on line {start + 1} is never closed")

            let language =
                match info with
                | "fsharp"
                | "f#"
                | "fs" -> Some FSharp
                | "csharp"
                | "c#"
                | "cs" -> Some CSharp
                | _ -> None

            // The marker is the closest non-blank line above the fence.
            let mutable k = start - 1

            while k >= 0 && String.IsNullOrWhiteSpace lines[k] do
                k <- k - 1

            let mode =
                if k < 0 then
                    Run
                else
                    let mm = marker.Match lines[k]

                    if not mm.Success then
                        Run
                    else
                        match mm.Groups[1].Value with
                        | "partial" -> Partial
                        | "compile-only" -> CompileOnly
                        | other -> raise (MarkdownError $"unknown snippet marker '{other}' on line {k + 1}")

            match language with
            | Some language ->
                result.Add
                    {
                        File = file
                        Language = language
                        Line = start + 1
                        Mode = mode
                        Code = String.Join("\n", lines[start + 1 .. j - 1])
                    }
            | None -> ()

            i <- j + 1
        else
            i <- i + 1

    List.ofSeq result

/// Every fenced `fsharp` and `csharp` block of the README's text.
let extract (markdown: string) : Snippet list = extractFrom "README.md" markdown
