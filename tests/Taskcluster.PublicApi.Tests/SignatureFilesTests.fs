module Taskcluster.PublicApi.Tests.SignatureFilesTests

open System
open System.IO
open Expecto
open Taskcluster.TestSupport

/// The repository root: the folder above this program's that holds the solution.
let repoRoot = RepoRoot.find ()

/// Every F# project under src/.
let sourceProjects () =
    Directory.GetFiles(Path.Combine(repoRoot, "src"), "*.fsproj", SearchOption.AllDirectories)
    |> Array.sort
    |> List.ofArray

let tests =
    testList
        "signature files"
        [
            test "a public type, module or exception at the top level is found" {
                let source =
                    "namespace A\n\n[<RequireQualifiedAccess>]\ntype Shown = | X\n\ntype internal Hidden = int\n"
                    + "[<AutoOpen>] module Open =\n    let x = 1\nexception Oops of string\n"
                    + "type private P() = class end\nand Q() = class end\n"

                Expect.equal
                    (SignatureFiles.publicDeclarations source)
                    [
                        "type Shown = | X"
                        "[<AutoOpen>] module Open ="
                        "exception Oops of string"
                        "and Q() = class end"
                    ]
                    "each public top-level declaration, by its first line"
            }

            test "internal and private declarations, nested ones and internal file modules are not public" {
                let namespaced =
                    "namespace A\n\ntype internal T() =\n    member _.X = 1\n\n[<RequireQualifiedAccess>]\n"
                    + "module private M =\n    type Inner = int\n"

                let fileModule = "module internal A.B\n\nmodule Nested =\n    let y = 2\n"
                Expect.isEmpty (SignatureFiles.publicDeclarations namespaced) "internal and private"
                Expect.isEmpty (SignatureFiles.publicDeclarations fileModule) "module internal A.B"
            }

            test "a public file-level module is public" {
                Expect.equal
                    (SignatureFiles.publicDeclarations "module A.B\n\nlet f x = x\n")
                    [ "module A.B" ]
                    "module A.B"
            }

            test "generated code is recognised by its folder" {
                Expect.isTrue (SignatureFiles.isGenerated "Generated/Queue.fs") "Generated/"
                Expect.isFalse (SignatureFiles.isGenerated "Queue.fs") "hand-written"
            }

            test "every src project is read, with its compile items" {
                let projects = sourceProjects ()
                Expect.isGreaterThanOrEqual projects.Length 7 "the F# projects under src"

                for p in projects do
                    Expect.isNonEmpty (SignatureFiles.compileItems p) $"{Path.GetFileName p} compiles files"
            }

            test "every public F# module and type in src has a signature file (generated code aside)" {
                let problems =
                    [
                        for p in sourceProjects () do
                            for file, declarations in SignatureFiles.unsignedPublicFiles p do
                                let project = Path.GetFileNameWithoutExtension p
                                $"""{project}/{file}: {String.Join("; ", declarations)}"""
                    ]

                let listing = String.Join("\n  ", problems)

                Expect.isEmpty
                    problems
                    $"these files declare public modules or types but have no .fsi (add one, or make them internal):\n  {listing}"
            }
        ]
