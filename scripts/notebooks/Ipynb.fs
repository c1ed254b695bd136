/// Polyglot Notebooks (.ipynb) from the notebook scripts (.fsx), so that the two cannot drift:
/// `dotnet fsi build.fsx notebooks` writes them and the notebooks' tests compare.
///
/// A script is literate: each `(** ... *)` block (its opening and closing markers on lines of
/// their own) is a Markdown cell, and the code between two blocks is one F# cell.
module Taskcluster.Notebooks.Ipynb

open System
open System.IO
open System.Text
open System.Text.Json

/// One cell of a notebook.
type Cell =
    | Markdown of string
    | Code of string

/// The cells of a literate script, in order; blank lines around a cell are dropped, and so
/// are cells left empty.
let cells (script: string) : Cell list =
    let lines = script.Replace("\r\n", "\n").Split('\n')
    let result = ResizeArray<Cell>()
    let current = ResizeArray<string>()

    let flush (make: string -> Cell) =
        let text = String.Join("\n", current).Trim('\n')

        if text.Trim() <> "" then
            result.Add(make text)

        current.Clear()

    let mutable inMarkdown = false

    for line in lines do
        if not inMarkdown && line.Trim() = "(**" then
            flush Code
            inMarkdown <- true
        elif inMarkdown && line.Trim() = "*)" then
            flush Markdown
            inMarkdown <- false
        else
            current.Add line

    if inMarkdown then
        failwith "a '(**' block is not closed by a '*)' line"

    flush Code
    List.ofSeq result

let private write (w: Utf8JsonWriter) (script: string) =
    let source (text: string) =
        w.WriteStartArray "source"
        let lines = text.Split('\n')

        lines
        |> Array.iteri (fun i line -> w.WriteStringValue(if i < lines.Length - 1 then line + "\n" else line))

        w.WriteEndArray()

    let obj (name: string) (body: unit -> unit) =
        w.WriteStartObject name
        body ()
        w.WriteEndObject()

    w.WriteStartObject()
    w.WriteStartArray "cells"

    for cell in cells script do
        w.WriteStartObject()

        match cell with
        | Markdown text ->
            w.WriteString("cell_type", "markdown")
            obj "metadata" ignore
            source text
        | Code text ->
            w.WriteString("cell_type", "code")
            w.WriteNull "execution_count"

            obj "metadata" (fun () ->
                obj "dotnet_interactive" (fun () -> w.WriteString("language", "fsharp"))
                obj "polyglot_notebook" (fun () -> w.WriteString("kernelName", "fsharp")))

            w.WriteStartArray "outputs"
            w.WriteEndArray()
            source text

        w.WriteEndObject()

    w.WriteEndArray()

    obj "metadata" (fun () ->
        obj "kernelspec" (fun () ->
            w.WriteString("display_name", ".NET (F#)")
            w.WriteString("language", "F#")
            w.WriteString("name", ".net-fsharp"))

        obj "language_info" (fun () ->
            w.WriteString("file_extension", ".fs")
            w.WriteString("mimetype", "text/x-fsharp")
            w.WriteString("name", "F#")
            w.WriteString("pygments_lexer", "fsharp"))

        obj "polyglot_notebook" (fun () -> obj "kernelInfo" (fun () -> w.WriteString("defaultKernelName", "fsharp"))))

    w.WriteNumber("nbformat", 4)
    w.WriteNumber("nbformat_minor", 4)
    w.WriteEndObject()

/// The notebook (nbformat 4, kernel `.net-fsharp`) of a literate script, as indented JSON with
/// a final newline.
let render (script: string) : string =
    use buffer = new MemoryStream()

    // Notebook files are read by people too: quotes, backticks and arrows stay as they are.
    let options =
        JsonWriterOptions(
            Indented = true,
            IndentSize = 1,
            Encoder = Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping
        )

    do
        use w = new Utf8JsonWriter(buffer, options)
        write w script

    Encoding.UTF8.GetString(buffer.ToArray()) + "\n"

/// The notebook scripts of a folder (`NN-name.fsx`), sorted.
let scripts (folder: string) : string list =
    Directory.GetFiles(folder, "*.fsx") |> Array.sort |> List.ofArray

/// Where a script's notebook goes: beside it, with the `.ipynb` extension.
let notebookPath (script: string) = Path.ChangeExtension(script, ".ipynb")
