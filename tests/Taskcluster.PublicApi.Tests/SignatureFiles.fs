/// Which F# source files of a project need a signature file. The `.fsi` files are the F# public
/// API baseline: a file without one must declare nothing public, so that every public module and
/// type is reviewed through its signature.
[<RequireQualifiedAccess>]
module Taskcluster.PublicApi.Tests.SignatureFiles

open System
open System.IO
open System.Text.RegularExpressions
open System.Xml.Linq

/// A top-level declaration that is public: at column 0 (the namespace's level), a `type`,
/// `module`, `exception` or `and` whose access is neither `internal` nor `private`. Nested
/// declarations inherit the access of the enclosing one, so only the top level is read.
let private topLevel =
    Regex(
        @"^(?:\[<[^>]*>\]\s*)*(type|module|exception|and)\s+(?:\[<[^>]*>\]\s*)*(?<access>internal|private)?",
        RegexOptions.Compiled
    )

/// The public top-level declarations of an implementation file's text, as their first lines.
/// `module internal X.Y` (or `private`) at the top hides the whole file.
let publicDeclarations (source: string) =
    let lines = source.Split('\n') |> Array.map (fun l -> l.TrimEnd '\r')

    lines
    |> Array.choose (fun line ->
        let m = topLevel.Match line

        if m.Success && not m.Groups["access"].Success then
            Some(line.Trim())
        else
            None)
    |> List.ofArray
    |> function
        // A file-level `module internal A.B` makes everything after it internal too.
        | _ when
            lines
            |> Array.exists (fun l -> Regex.IsMatch(l, @"^module\s+(internal|private)\s+[\w.]+\s*$"))
            ->
            []
        | declarations -> declarations

/// The compiled files of a project, in order, as paths relative to the project's folder.
let compileItems (fsproj: string) =
    let doc = XDocument.Load fsproj

    [
        for e in doc.Descendants() do
            if e.Name.LocalName = "Compile" then
                match e.Attribute(XName.Get "Include") with
                | null -> ()
                | a -> a.Value.Replace('\\', '/')
    ]

/// Generated code has no signature files: it is regenerated, never edited, and reviewed through
/// the generator.
let isGenerated (relativePath: string) =
    relativePath.Split('/') |> Array.contains "Generated"

/// For one project: each `.fs` file (generated code aside) that has no `.fsi` beside it in the
/// compile list yet declares something public, with the public declarations found.
let unsignedPublicFiles (fsproj: string) =
    let dir = Path.GetDirectoryName fsproj
    let items = compileItems fsproj
    let signed = items |> List.filter (fun i -> i.EndsWith ".fsi") |> set

    [
        for item in items do
            if
                item.EndsWith ".fs"
                && not (isGenerated item)
                && not (signed.Contains(item + "i"))
            then
                match publicDeclarations (File.ReadAllText(Path.Combine(dir, item))) with
                | [] -> ()
                | declarations -> item, declarations
    ]
