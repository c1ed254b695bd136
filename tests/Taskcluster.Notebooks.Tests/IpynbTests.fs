module Taskcluster.Notebooks.Tests.IpynbTests

open System.IO
open System.Text.Json
open Expecto
open Taskcluster.Notebooks
open Taskcluster.Notebooks.Tests.Packages

let tests =
    testList
        "Ipynb"
        [
            test "a literate script splits into Markdown and code cells, in order" {
                let script =
                    "(**\n# Title\n\ntext\n*)\n#r \"nuget: X, 1.0\"\n\nlet a = 1\n(**\nmore\n*)\n\nprintfn \"%d\" a\n"

                Expect.equal
                    (Ipynb.cells script)
                    [
                        Ipynb.Markdown "# Title\n\ntext"
                        Ipynb.Code "#r \"nuget: X, 1.0\"\n\nlet a = 1"
                        Ipynb.Markdown "more"
                        Ipynb.Code "printfn \"%d\" a"
                    ]
                    "cells"
            }

            test "an unclosed Markdown block is refused" {
                Expect.throws (fun () -> Ipynb.cells "(**\nnever closed\nlet a = 1\n" |> ignore) "unclosed block"
            }

            test "a notebook is nbformat 4 for the .NET F# kernel, one source line per element" {
                use doc = JsonDocument.Parse(Ipynb.render "(**\nhello\n*)\nlet a = 1\nlet b = 2\n")
                let root = doc.RootElement
                Expect.equal (root.GetProperty("nbformat").GetInt32()) 4 "nbformat"

                Expect.equal
                    (root.GetProperty("metadata").GetProperty("kernelspec").GetProperty("name").GetString())
                    ".net-fsharp"
                    "kernel"

                let cells = root.GetProperty "cells"
                Expect.equal (cells.GetArrayLength()) 2 "two cells"
                Expect.equal (cells[0].GetProperty("cell_type").GetString()) "markdown" "first cell"
                let code = cells[1]
                Expect.equal (code.GetProperty("cell_type").GetString()) "code" "second cell"

                Expect.equal
                    [ for line in code.GetProperty("source").EnumerateArray() -> line.GetString() ]
                    [ "let a = 1\n"; "let b = 2" ]
                    "source lines"
            }

            test "there are notebooks, each with an .ipynb equal to the one generated from its script" {
                let scripts = Ipynb.scripts notebooks
                Expect.isGreaterThanOrEqual scripts.Length 3 "at least three notebooks"

                for script in scripts do
                    let notebook = Ipynb.notebookPath script

                    Expect.isTrue
                        (File.Exists notebook)
                        $"{Path.GetFileName notebook} is missing: run `dotnet fsi build.fsx notebooks`"

                    Expect.equal
                        (File.ReadAllText notebook)
                        (Ipynb.render (File.ReadAllText script))
                        $"{Path.GetFileName notebook} is stale: run `dotnet fsi build.fsx notebooks`"
            }
        ]
