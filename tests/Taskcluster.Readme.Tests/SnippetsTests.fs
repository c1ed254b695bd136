module Taskcluster.Readme.Tests.SnippetsTests

open System
open System.IO
open Expecto
open Taskcluster.Core
open Taskcluster.Client
open Taskcluster.Emulator
open Taskcluster.Models
open Taskcluster.Services
open Taskcluster.Readme.Tests.Snippets
open Taskcluster.TestSupport

/// The repository root: the folder above this program's that holds README.md and the solution.
let repoRoot = RepoRoot.find ()

let readme = lazy (extract (File.ReadAllText(Path.Combine(repoRoot, "README.md"))))

/// The C# blocks of the documentation site's pages (`docs/*.md` and the Markdown comments of the
/// literate `docs/*.fsx`, whose F# is executed by the docs build itself).
let docsCSharp =
    lazy
        [
            let folder = Path.Combine(repoRoot, "docs")

            for path in
                Array.append (Directory.GetFiles(folder, "*.md")) (Directory.GetFiles(folder, "*.fsx"))
                |> Array.sort do
                let file = "docs/" + Path.GetFileName path

                yield!
                    extractFrom file (File.ReadAllText path)
                    |> List.filter (fun s -> s.Language = CSharp)
        ]

/// Every C# block: the README's, then the site's.
let private allCSharp () =
    (readme.Value |> List.filter (fun s -> s.Language = CSharp)) @ docsCSharp.Value

let private compiled (snippets: Snippet list) =
    snippets |> List.filter (fun s -> s.Mode <> Partial)

/// A running emulator with one task in it, for the blocks to read.
let private withEmulator (body: EmulatorInstance -> string -> string -> Threading.Tasks.Task<unit>) =
    task {
        use! tc = Emulator.start (EmulatorOptions())

        let client =
            Options.create tc.RootUrl
            |> Options.withCredentials tc.ClientId tc.AccessToken
            |> Client.create
            |> Result.defaultWith (fun e -> failwith (e.Describe()))

        let groupId = Taskcluster.SlugIds.NewSlugId()
        let taskId = Taskcluster.SlugIds.NewSlugId()

        let request =
            CreateTaskRequest.Create(
                DateTimeOffset.UtcNow,
                DateTimeOffset.UtcNow.AddHours 1.0,
                TaskMetadata.Create(
                    description = "d",
                    name = "readme",
                    owner = "readme@example.com",
                    source = "https://example.com/readme"
                ),
                Json.Object [],
                // After the artifacts the blocks upload (a week).
                expires = DateTimeOffset.UtcNow.AddDays 30.0,
                schedulerId = "-",
                taskGroupId = groupId,
                taskQueueId = "proj-readme/worker"
            )

        let! created = Queue(client).Typed.CreateTask(taskId, request)

        match created with
        | Ok _ -> ()
        | Error e -> failwith (e.Describe())

        // Claimed, so that the blocks can upload artifacts to its run 0.
        let! claimed =
            Queue(client)
                .ClaimWork(
                    "proj-readme/worker",
                    Payload.ofObj
                        {|
                            workerGroup = "readme"
                            workerId = "w1"
                            tasks = 1
                        |}
                )

        match claimed with
        | Ok json when json.GetProperty("tasks").GetArrayLength() = 1 -> ()
        | Ok json -> failwith $"the README's task was not claimed: {json}"
        | Error e -> failwith (e.Describe())

        do! body tc taskId groupId
    }

let private csharpPrelude =
    lazy (CSharpRunner.prelude (File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Prelude.cs.txt"))))

let private fsharpPrelude =
    lazy (File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Prelude.fsx")))

let private sample =
    String.Join(
        "\n",
        [
            "# Title"
            "```fsharp"
            "let a = 1"
            "```"
            "<!-- snippet: partial -->"
            ""
            "```csharp"
            "var b = ;"
            "```"
            "```sh"
            "ls"
            "```"
            "<!-- snippet: compile-only -->"
            "```fsharp"
            "let c = 3"
            "```"
        ]
    )

/// The same block with a line using a name no one defines at its end: what a renamed API does
/// to a snippet. The line's README line number comes with it.
let private broken (s: Snippet) =
    let lines = s.Code.Split '\n'

    let bad =
        match s.Language with
        | FSharp -> "let brokenOnPurpose = undefinedNameOfTheReadmeTest 1"
        | CSharp -> "var brokenOnPurpose = UndefinedNameOfTheReadmeTest(1);"

    { s with
        Code = String.Join("\n", Array.append lines [| bad |])
    },
    s.Line + lines.Length + 1

// Sequenced: the C# blocks run in this process, with its environment and current folder set to
// the emulator's, which nothing else may see change under it.
let tests =
    testSequenced
    <| testList
        "README snippets"
        [
            testList
                "extraction"
                [
                    test "finds the F# and C# blocks with their lines and markers, and skips the others" {
                        let found = extract sample

                        Expect.equal
                            [ for s in found -> s.Language, s.Line, s.Mode, s.Code ]
                            [
                                FSharp, 2, Run, "let a = 1"
                                CSharp, 7, Partial, "var b = ;"
                                FSharp, 14, CompileOnly, "let c = 3"
                            ]
                            "the blocks"
                    }

                    test "an unknown marker is an error naming it" {
                        let text = "<!-- snippet: skip -->\n```fsharp\nlet a = 1\n```"

                        Expect.throwsC (fun () -> extract text |> ignore) (fun e ->
                            Expect.stringContains e.Message "skip" "names the marker")
                    }

                    test "an unclosed fence is an error naming its line" {
                        Expect.throwsC (fun () -> extract "a\n```fsharp\nlet a = 1\n" |> ignore) (fun e ->
                            Expect.stringContains e.Message "line 2" "names the line")
                    }

                    test "the README and the site's pages have their blocks, and few that are not run" {
                        let all = readme.Value @ docsCSharp.Value

                        let count language =
                            all |> List.filter (fun s -> s.Language = language) |> List.length

                        Expect.isGreaterThanOrEqual (count FSharp) 2 "F# blocks of the README"
                        Expect.isGreaterThanOrEqual (count CSharp) 15 "C# blocks of the README and the site"

                        Expect.isGreaterThanOrEqual
                            docsCSharp.Value.Length
                            10
                            $"""C# blocks of the site: {[ for s in docsCSharp.Value -> s.Name ]}"""

                        let partial = all |> List.filter (fun s -> s.Mode = Partial)
                        // The README's and the site's limits apart, so that neither hides the other's.
                        let compileOnly = readme.Value |> List.filter (fun s -> s.Mode = CompileOnly)

                        let siteCompileOnly =
                            docsCSharp.Value |> List.filter (fun s -> s.Mode = CompileOnly)

                        Expect.isLessThanOrEqual
                            siteCompileOnly.Length
                            2
                            $"""compile-only blocks of the site: {[ for s in siteCompileOnly -> s.Name ]}"""

                        Expect.isLessThanOrEqual
                            partial.Length
                            2
                            $"""partial blocks: {[ for s in partial -> s.Name ]}"""

                        Expect.isLessThanOrEqual
                            compileOnly.Length
                            5
                            $"""compile-only blocks: {[ for s in compileOnly -> s.Name ]}"""
                    }
                ]

            testSequenced
            <| testList
                "C#"
                [
                    testTask "every C# block of the README and the site compiles, and runs against an emulator" {
                        let snippets = allCSharp () |> compiled

                        match CSharpRunner.compile csharpPrelude.Value snippets with
                        | Error errors -> failtestf "the C# blocks do not compile:\n%s" (String.Join("\n", errors))
                        | Ok assembly ->
                            do!
                                withEmulator (fun tc taskId groupId ->
                                    task {
                                        let folder = Directory.CreateTempSubdirectory "readme-csharp-"
                                        let previous = Environment.CurrentDirectory

                                        // The blocks' relative paths (`.taskcluster.json`) and their
                                        // environment (TaskclusterConfig.FromEnvironment) are the
                                        // emulator's; the suite runs this test alone.
                                        let variables =
                                            [
                                                "TASKCLUSTER_ROOT_URL", tc.RootUrl
                                                "TASKCLUSTER_CLIENT_ID", tc.ClientId
                                                "TASKCLUSTER_ACCESS_TOKEN", tc.AccessToken
                                            ]

                                        let saved =
                                            [ for n, _ in variables -> n, Environment.GetEnvironmentVariable n ]

                                        try
                                            Environment.CurrentDirectory <- folder.FullName

                                            for n, v in variables do
                                                Environment.SetEnvironmentVariable(n, v)

                                            File.WriteAllBytes(
                                                Path.Combine(folder.FullName, "app.tar.gz"),
                                                Array.init 20_000 byte
                                            )

                                            File.WriteAllText(
                                                Path.Combine(folder.FullName, ".taskcluster.json"),
                                                """{"tasks": [{"$if": "tasks_for == 'github-push'", "then": {"commit": "${event.after}"}}]}"""
                                            )

                                            let context =
                                                CSharpRunner.context
                                                    assembly
                                                    [
                                                        "RootUrl", tc.RootUrl
                                                        "ClientId", tc.ClientId
                                                        "AccessToken", tc.AccessToken
                                                        "TaskId", taskId
                                                        "TaskGroupId", groupId
                                                        "Folder", folder.FullName
                                                    ]

                                            let failures = ResizeArray<string>()

                                            for s in snippets |> List.filter (fun s -> s.Mode = Run) do
                                                match!
                                                    CSharpRunner.run assembly context s (TimeSpan.FromSeconds 60.0)
                                                with
                                                | Ok() -> ()
                                                | Error e -> failures.Add e

                                            let listed = String.Join(Environment.NewLine, failures)
                                            Expect.isEmpty failures $"every C# block runs: {listed}"
                                        finally
                                            Environment.CurrentDirectory <- previous

                                            for n, v in saved do
                                                Environment.SetEnvironmentVariable(n, v)

                                            folder.Delete true
                                    })
                    }

                    test "a C# block that stops compiling fails, naming its README line" {
                        let snippets =
                            readme.Value |> List.filter (fun s -> s.Language = CSharp) |> compiled

                        let victim, line = broken snippets.Head
                        let changed = victim :: snippets.Tail

                        match CSharpRunner.compile csharpPrelude.Value changed with
                        | Ok _ -> failtest "a block with an undefined name compiled"
                        | Error errors ->
                            Expect.exists
                                errors
                                (fun e ->
                                    e.StartsWith $"README.md({line}," && e.Contains "UndefinedNameOfTheReadmeTest")
                                $"an error on README line {line}: {errors}"
                    }

                    test "a C# block of a page that stops compiling fails, naming the page and its line" {
                        let snippets = allCSharp () |> compiled

                        let target =
                            docsCSharp.Value |> List.filter (fun s -> s.Mode <> Partial) |> List.last

                        let victim, line = broken target

                        let changed = snippets |> List.map (fun s -> if s.Id = target.Id then victim else s)

                        match CSharpRunner.compile csharpPrelude.Value changed with
                        | Ok _ -> failtest "a block with an undefined name compiled"
                        | Error errors ->
                            Expect.exists
                                errors
                                (fun e ->
                                    e.StartsWith $"{target.File}({line},"
                                    && e.Contains "UndefinedNameOfTheReadmeTest")
                                $"an error on {target.File} line {line}: {errors}"
                    }
                ]

            testList
                "F#"
                [
                    testTask "every F# block compiles, and runs against an emulator (dotnet fsi)" {
                        let snippets =
                            readme.Value |> List.filter (fun s -> s.Language = FSharp) |> compiled

                        do!
                            withEmulator (fun tc taskId groupId ->
                                task {
                                    let text, placements =
                                        FSharpRunner.script
                                            AppContext.BaseDirectory
                                            repoRoot
                                            fsharpPrelude.Value
                                            snippets

                                    let code, lines =
                                        FSharpRunner.run
                                            text
                                            [
                                                "TASKCLUSTER_ROOT_URL", tc.RootUrl
                                                "TASKCLUSTER_CLIENT_ID", tc.ClientId
                                                "TASKCLUSTER_ACCESS_TOKEN", tc.AccessToken
                                                "README_TASK_ID", taskId
                                                "README_TASK_GROUP_ID", groupId
                                                "README_REFERENCES_JSON",
                                                Path.Combine(
                                                    repoRoot,
                                                    "src",
                                                    "Taskcluster.Emulator",
                                                    "Generated",
                                                    "references.json"
                                                )
                                            ]
                                            (TimeSpan.FromMinutes 5.0)

                                    let report =
                                        String.Join("\n", lines |> List.map (FSharpRunner.describe placements))

                                    Expect.equal code 0 $"dotnet fsi failed:\n{report}"

                                    for s in snippets |> List.filter (fun s -> s.Mode = Run) do
                                        Expect.contains lines $"ran {s.Name}" $"{s.Name} ran to its end"
                                })
                    }

                    testTask "an F# block that stops compiling fails, naming its README line" {
                        let snippets =
                            readme.Value |> List.filter (fun s -> s.Language = FSharp) |> compiled

                        // Compiled only: the error must stop it before anything runs.
                        let victim, line = broken (snippets |> List.last)

                        let text, placements =
                            FSharpRunner.script
                                AppContext.BaseDirectory
                                repoRoot
                                fsharpPrelude.Value
                                [ { victim with Mode = CompileOnly } ]

                        let code, lines = FSharpRunner.run text [] (TimeSpan.FromMinutes 2.0)
                        let described = lines |> List.map (FSharpRunner.describe placements)
                        Expect.notEqual code 0 "dotnet fsi failed"

                        Expect.exists
                            described
                            (fun l -> l.StartsWith $"README.md:{line} " && l.Contains "undefinedNameOfTheReadmeTest")
                            $"an error on README line {line}: {described}"
                    }
                ]
        ]
