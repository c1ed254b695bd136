/// What both emitters need to write source text: an indenting line writer, string literals,
/// identifiers and XML documentation. Output is always `\n`-separated so that it is the same
/// on every platform (the staleness test compares bytes).
module Taskcluster.Generator.Code

open System
open System.Globalization
open System.Text

/// Accumulates lines at an indentation level (four spaces a level).
[<Sealed>]
type Writer() =
    let text = StringBuilder()
    let mutable level = 0

    /// Writes one line at the current level (an empty line carries no indentation).
    member _.Line(line: string) =
        if line.Length > 0 then
            text.Append(' ', 4 * level).Append(line) |> ignore

        text.Append('\n') |> ignore

    /// Writes several lines at the current level.
    member this.Lines(lines: string seq) =
        for line in lines do
            this.Line line

    /// Writes the lines `body` writes one level deeper.
    member _.Indented(body: unit -> unit) =
        level <- level + 1
        body ()
        level <- level - 1

    override _.ToString() = text.ToString()

/// Escapes a string for a double-quoted literal. F# and C# agree on these escapes; line and
/// paragraph separators are escaped too because C# refuses them inside a literal.
let private escape (value: string) =
    let sb = StringBuilder(value.Length + 2)
    sb.Append('"') |> ignore

    for c in value do
        match c with
        | '"' -> sb.Append("\\\"") |> ignore
        | '\\' -> sb.Append("\\\\") |> ignore
        | '\n' -> sb.Append("\\n") |> ignore
        | '\r' -> sb.Append("\\r") |> ignore
        | '\t' -> sb.Append("\\t") |> ignore
        | c when c < ' ' || c = '\u0085' || c = '\u2028' || c = '\u2029' || Char.IsSurrogate c ->
            sb.Append("\\u").Append((int c).ToString("X4", CultureInfo.InvariantCulture))
            |> ignore
        | c -> sb.Append(c) |> ignore

    sb.Append('"').ToString()

/// An F# string literal.
let fsString (value: string) = escape value

/// A C# string literal.
let csString (value: string) = escape value

let private isIdentifier (name: string) =
    name.Length > 0
    && (Char.IsAsciiLetter name[0] || name[0] = '_')
    && name |> Seq.forall (fun c -> Char.IsAsciiLetterOrDigit c || c = '_')

// Keywords and reserved words of F# (including those reserved for future use), where a name
// from the references needs double backticks.
let private fsKeywords =
    set
        [
            "abstract"
            "and"
            "as"
            "assert"
            "base"
            "begin"
            "class"
            "default"
            "delegate"
            "do"
            "done"
            "downcast"
            "downto"
            "elif"
            "else"
            "end"
            "exception"
            "extern"
            "false"
            "finally"
            "fixed"
            "for"
            "fun"
            "function"
            "global"
            "if"
            "in"
            "inherit"
            "inline"
            "interface"
            "internal"
            "lazy"
            "let"
            "match"
            "member"
            "module"
            "mutable"
            "namespace"
            "new"
            "not"
            "null"
            "of"
            "open"
            "or"
            "override"
            "private"
            "public"
            "rec"
            "return"
            "select"
            "sig"
            "static"
            "struct"
            "then"
            "to"
            "true"
            "try"
            "type"
            "upcast"
            "use"
            "val"
            "void"
            "when"
            "while"
            "with"
            "yield"
            "const"
            "atomic"
            "break"
            "checked"
            "component"
            "constraint"
            "constructor"
            "continue"
            "eager"
            "event"
            "external"
            "functor"
            "include"
            "method"
            "mixin"
            "object"
            "parallel"
            "process"
            "protected"
            "pure"
            "sealed"
            "tailcall"
            "trait"
            "virtual"
            "volatile"
            "params"
            "base"
        ]

let private csKeywords =
    set
        [
            "abstract"
            "as"
            "base"
            "bool"
            "break"
            "byte"
            "case"
            "catch"
            "char"
            "checked"
            "class"
            "const"
            "continue"
            "decimal"
            "default"
            "delegate"
            "do"
            "double"
            "else"
            "enum"
            "event"
            "explicit"
            "extern"
            "false"
            "finally"
            "fixed"
            "float"
            "for"
            "foreach"
            "goto"
            "if"
            "implicit"
            "in"
            "int"
            "interface"
            "internal"
            "is"
            "lock"
            "long"
            "namespace"
            "new"
            "null"
            "object"
            "operator"
            "out"
            "override"
            "params"
            "private"
            "protected"
            "public"
            "readonly"
            "ref"
            "return"
            "sbyte"
            "sealed"
            "short"
            "sizeof"
            "stackalloc"
            "static"
            "string"
            "struct"
            "switch"
            "this"
            "throw"
            "true"
            "try"
            "typeof"
            "uint"
            "ulong"
            "unchecked"
            "unsafe"
            "ushort"
            "using"
            "virtual"
            "void"
            "volatile"
            "while"
        ]

/// A name from the references as an F# identifier, or `Error` when it cannot be one.
let fsIdentifier (name: string) =
    if not (isIdentifier name) then
        Error $"'{name}' is not an identifier"
    elif fsKeywords.Contains name then
        Ok $"``{name}``"
    else
        Ok name

/// A name from the references as a C# identifier, or `Error` when it cannot be one.
let csIdentifier (name: string) =
    if not (isIdentifier name) then
        Error $"'{name}' is not an identifier"
    elif csKeywords.Contains name then
        Ok $"@{name}"
    else
        Ok name

/// `createTask` → `CreateTask`.
let pascalCase (name: string) =
    if name.Length = 0 then
        name
    else
        string (Char.ToUpperInvariant name[0]) + name.Substring 1

/// Text for an XML documentation comment.
let xml (text: string) =
    text.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;")

/// Markdown text as XML paragraphs: trimmed, split at blank lines, trailing spaces removed, each
/// paragraph a `<para>` (several lines kept as they are).
let paragraphs (markdown: string) =
    let lines =
        markdown.Trim().Replace("\r\n", "\n").Split('\n') |> Array.map _.TrimEnd()

    [
        let mutable current = []

        for line in lines do
            if line = "" then
                if not current.IsEmpty then
                    yield List.rev current
                    current <- []
            else
                current <- xml line :: current

        if not current.IsEmpty then
            yield List.rev current
    ]
    |> List.collect (fun para ->
        match para with
        | [ one ] -> [ $"<para>{one}</para>" ]
        | many -> [ "<para>" ] @ many @ [ "</para>" ])

/// Prefixes documentation lines with `///`.
let docLines (lines: string list) = lines |> List.map (fun l -> "/// " + l)

/// The header every generated source file starts with.
let header (comment: string) (source: string) (version: string) =
    [
        $"{comment} <auto-generated>"
        $"{comment}   Generated by scripts/generate.fsx from {source} (Taskcluster {version})."
        $"{comment}   Do not edit: change scripts/Taskcluster.Generator and run `dotnet fsi build.fsx generate`."
        $"{comment} </auto-generated>"
    ]
