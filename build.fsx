// The repository's only entry point: `dotnet fsi build.fsx <target>`.
// A plain script on purpose (no FAKE): a table of targets and a small process runner.

// The tests' private RabbitMQ broker (plain .NET, no package), which the demo starts too.
#load "tests/Taskcluster.Pulse.TestBroker/PrivateBroker.fs"
// The .ipynb versions of scripts/notebooks/*.fsx (the notebooks' tests check they are current).
#load "scripts/notebooks/Ipynb.fs"

open System
open System.Diagnostics
open System.IO
open System.Text.RegularExpressions

let root = __SOURCE_DIRECTORY__
let solution = Path.Combine(root, "Taskcluster.Functional.sln")
let configuration = "Release"
let isCI = Environment.GetEnvironmentVariable "CI" = "true"

/// `--verbose` (anywhere after the target's name): every test's name and every tool's whole
/// output; without it each step is one line and only failures are shown in full.
let mutable verbose = false

exception BuildFailed of string

let fail message = raise (BuildFailed message)

/// True when the console is a terminal; escape codes (colours) are only written to one.
let toTerminal = not Console.IsOutputRedirected

/// Test runners colour their output whatever they are told; CI logs want the plain text.
let stripEscapes (line: string) =
    if toTerminal then
        line
    else
        Regex.Replace(line, @"\x1b\[[0-9;?]*[A-Za-z]", "")

/// Runs a program in the repository root; every output line goes to `onLine` and, when `echo`
/// is set, to the console.
let runQuiet (echo: bool) (onLine: string -> unit) (exe: string) (args: string list) =
    let psi =
        ProcessStartInfo(exe, args, WorkingDirectory = root, UseShellExecute = false)

    psi.RedirectStandardOutput <- true
    psi.RedirectStandardError <- true
    psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] <- "1"
    psi.Environment["DOTNET_NOLOGO"] <- "1"
    use p = new Process(StartInfo = psi)
    let gate = obj ()

    let handler (e: DataReceivedEventArgs) =
        if not (isNull e.Data) then
            let line = stripEscapes e.Data

            lock gate (fun () ->
                if echo then
                    Console.WriteLine line

                onLine line)

    p.OutputDataReceived.Add handler
    p.ErrorDataReceived.Add handler
    p.Start() |> ignore
    p.BeginOutputReadLine()
    p.BeginErrorReadLine()
    p.WaitForExit()
    p.ExitCode

/// Runs a program in the repository root, echoing its output; every line also goes to `onLine`.
let runWith onLine exe args = runQuiet true onLine exe args

let run exe args =
    match runWith ignore exe args with
    | 0 -> ()
    | code -> fail $"""'{exe} {String.Join(" ", (args: string list))}' exited with {code}"""

let dotnet args = run "dotnet" args

/// Projects under a folder, by extension.
let projects folder (pattern: string) =
    let dir = Path.Combine(root, folder)

    if Directory.Exists dir then
        Directory.GetFiles(dir, pattern, SearchOption.AllDirectories)
        |> Array.filter (fun p -> not (p.Contains $"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}"))
        |> Array.sort
        |> List.ofArray
    else
        []

let formattedPaths = [ "src"; "tests"; "scripts"; "build.fsx" ]

// ---------------------------------------------------------------------------------------------
// Targets

/// Runs one step of the build quietly under a one-line title; its output is shown when it
/// fails (and always with --verbose).
let quietly (title: string) (exe: string) (args: string list) =
    printfn "%s" title
    let output = ResizeArray<string>()

    match runQuiet verbose output.Add exe args with
    | 0 -> ()
    | code ->
        if not verbose then
            for line in output do
                Console.WriteLine line

        fail $"""'{exe} {String.Join(" ", args)}' exited with {code}"""

let restoreTools () =
    quietly "Restoring the local tools (fantomas, fsdocs)..." "dotnet" [ "tool"; "restore" ]

let restore () =
    restoreTools ()
    quietly "Restoring NuGet packages for the solution..." "dotnet" [ "restore"; solution; "-v:q" ]

/// The official JS packages (pinned in scripts/interop/package.json) go into the git-ignored
/// scripts/interop/node_modules at run time. No npm, no registry: the target fails, it never skips.
let interopFolder = Path.Combine(root, "scripts", "interop")

let npmInstall () =
    printfn "Installing the pinned official JS packages (npm)..."
    let output = ResizeArray<string>()

    let code =
        try
            runQuiet
                verbose
                output.Add
                "npm"
                [
                    "install"
                    "--no-package-lock"
                    "--no-fund"
                    "--no-audit"
                    "--prefix"
                    interopFolder
                ]
        with e ->
            fail $"npm could not be started ({e.Message}); the interop and bench targets need Node.js and npm"

    if code <> 0 then
        if not verbose then
            for line in output do
                Console.WriteLine line

        fail $"npm install exited with {code}: the official JS packages could not be installed"

/// Builds projects (Release) after restoring them; warnings are errors, so a quiet build
/// hides nothing that passes.
let buildProjects (what: string) (paths: string list) =
    restoreTools ()

    for path in paths do
        quietly $"Restoring {Path.GetFileName path}..." "dotnet" [ "restore"; path; "-v:q" ]

        quietly
            $"Building {what}: {Path.GetFileName path} (Release)..."
            "dotnet"
            [
                "build"
                path
                "-c"
                configuration
                "--no-restore"
                "-nologo"
                "-v:q"
                "-clp:NoSummary"
            ]

let build () = buildProjects "everything" [ solution ]

let format () =
    dotnet ([ "fantomas" ] @ formattedPaths)

/// Counts of one test run.
type Counts = { Passed: int; Failed: int }

/// One suite's line in the summary; a failed suite's whole output follows it.
let report (name: string) (counts: Counts) (elapsed: TimeSpan) (output: ResizeArray<string>) =
    let verdict = if counts.Failed = 0 then "ok  " else "FAIL"
    printfn "  %s %-38s %6d passed, %d failed  %5.1f s" verdict name counts.Passed counts.Failed elapsed.TotalSeconds

    if counts.Failed > 0 && not verbose then
        for line in output do
            Console.WriteLine line

/// Runs a test program quietly (everything when verbose), reads its counts with `parse` and
/// reports the suite in one line.
let runSuite (name: string) (parse: string -> Counts option) (exe: string) (args: string list) =
    let output = ResizeArray<string>()
    let mutable counts = None
    let watch = Stopwatch.StartNew()

    let code =
        runQuiet
            verbose
            (fun line ->
                output.Add line

                match parse line with
                | Some c -> counts <- Some c
                | None -> ())
            exe
            args

    let result =
        match counts with
        | Some c when code <> 0 && c.Failed = 0 -> { c with Failed = 1 }
        | Some c -> c
        | None -> { Passed = 0; Failed = 1 } // a runner that crashed before its summary is a failure

    report name result watch.Elapsed output
    result

let private number (s: string) = Int32.Parse(s.Replace(",", ""))

/// Runs an Expecto console project and reads its closing line.
let runExpecto (project: string) =
    let name = Path.GetFileNameWithoutExtension project

    let dll =
        Path.Combine(Path.GetDirectoryName project, "bin", configuration, "net10.0", name + ".dll")

    let parse (line: string) =
        let m =
            Regex.Match(line, @"([\d,]+) passed, ([\d,]+) ignored, ([\d,]+) failed, ([\d,]+) errored")

        if m.Success then
            Some
                {
                    Passed = number m.Groups[1].Value
                    Failed = number m.Groups[3].Value + number m.Groups[4].Value
                }
        else
            None

    // Expecto lists every passing test only with --summary: that is the verbose form.
    let listing = if verbose then [ "--summary" ] else []
    runSuite name parse "dotnet" ([ dll; "--colours"; "0"; "--no-spinner" ] @ listing)

/// Runs an xunit project (the C# facade's tests) through `dotnet test`.
let runXunit (project: string) =
    let parse (line: string) =
        let m = Regex.Match(line, @"Failed:\s+(\d+), Passed:\s+(\d+)")

        if m.Success then
            Some
                {
                    Passed = number m.Groups[2].Value
                    Failed = number m.Groups[1].Value
                }
        else
            None

    let listing =
        if verbose then
            [ "--logger"; "console;verbosity=normal" ]
        else
            []

    runSuite
        (Path.GetFileNameWithoutExtension project)
        parse
        "dotnet"
        ([ "test"; project; "-c"; configuration; "--no-build"; "--nologo" ] @ listing)

// ---------------------------------------------------------------------------------------------
// The documentation site (docs/ -> artifacts/docs)

let docsInput = Path.Combine(root, "docs")
let docsOutput = Path.Combine(root, "artifacts", "docs")

/// The links and sources of the site's pages (the API reference's included) that lead nowhere,
/// one `page: target` a line. External links (with a scheme) and fragments alone are not
/// followed; a template parameter fsdocs left unset (`{{...}}`) is reported as broken. Links to
/// the `unwritten` reference pages (file names) are not followed: fsdocs links every type it
/// knows, also those whose page it could not write.
let brokenLinks (site: string) (unwritten: Set<string>) =
    let attribute = Regex(@"(?:href|src)\s*=\s*""([^""]*)""", RegexOptions.IgnoreCase)

    [
        for page in Directory.GetFiles(site, "*.html", SearchOption.AllDirectories) do
            let text = File.ReadAllText page

            for m in attribute.Matches text do
                let target = Net.WebUtility.HtmlDecode(m.Groups[1].Value)
                let path = (target.Split('#')[0]).Split('?')[0]

                let external =
                    Regex.IsMatch(target, @"^[A-Za-z][A-Za-z0-9+.-]*:") || target.StartsWith "//"

                if not external && path <> "" then
                    let full =
                        if path.StartsWith "/" then
                            Path.Combine(site, path.TrimStart '/')
                        else
                            Path.Combine(Path.GetDirectoryName page, Uri.UnescapeDataString path)

                    let exists =
                        File.Exists full
                        || Directory.Exists full && File.Exists(Path.Combine(full, "index.html"))
                        || unwritten.Contains(Path.GetFileName full)

                    if not exists then
                        $"{Path.GetRelativePath(site, page)}: {target}"
    ]
    |> List.distinct

/// The `data-root` of a page's `<html>` element: where fsdocs' search script looks for the site root.
let dataRoot =
    Regex(@"(<html\b[^>]*\bdata-root\s*=\s*"")([^""]*)("")", RegexOptions.IgnoreCase)

/// The way up from a page at `depth` folders below the site root to the root: `.`, `..`, `../..`.
let upTo depth =
    if depth = 0 then
        "."
    else
        String.Join("/", Array.create depth "..")

/// fsdocs writes every link of its menu and template under one site root (`/` here); this makes
/// them relative to each page, so that the site works opened from disk or served under any
/// path. The page's `data-root`, which fsdocs' search script puts before `/index.json`, becomes
/// the way up to the site root the same way (see `relativeSearch` for the rest of the search).
let relativeLinks (site: string) =
    let siteAbsolute =
        Regex(@"((?:href|src)\s*=\s*"")/(?!/)([^""]*)""", RegexOptions.IgnoreCase)

    for page in Directory.GetFiles(site, "*.html", SearchOption.AllDirectories) do
        let depth =
            Path.GetRelativePath(site, page).Split(Path.DirectorySeparatorChar).Length - 1

        let up = String.replicate depth "../"
        let text = File.ReadAllText page

        let relative =
            siteAbsolute.Replace(
                text,
                fun (m: Match) ->
                    let rest = m.Groups[2].Value

                    let target =
                        if rest = "" || rest.StartsWith "#" then
                            "index.html" + rest
                        else
                            rest

                    $"{m.Groups[1].Value}{up}{target}\""
            )

        let relative =
            dataRoot.Replace(
                relative,
                fun (m: Match) ->
                    if m.Groups[2].Value = "/" then
                        $"{m.Groups[1].Value}{upTo depth}{m.Groups[3].Value}"
                    else
                        m.Value
            )

        if relative <> text then
            File.WriteAllText(page, relative)

/// fsdocs' search script, as fsdocs copies it into the site.
let searchScript (site: string) =
    Path.Combine(site, "content", "fsdocs-search.js")

/// How fsdocs' search script links a hit (its entry's `uri`, which fsdocs writes under the site
/// root), and how it links it here: under the page's way up to the root, like the index itself.
let hitLink = "a.setAttribute(\"href\", item.uri);"

let relativeHitLink =
    "a.setAttribute(\"href\", `${root}/${item.uri.replace(/^\\//, \"\")}`);"

/// Makes the search box work wherever the site is served: `relativeLinks` gave each page its way
/// up to the root as `data-root` (fsdocs' script fetches `${root}/index.json`); this makes the
/// script link each hit under that root too. Another fsdocs version without that line is left as
/// it is, and `searchProblems` says so.
let relativeSearch (site: string) =
    let script = searchScript site

    if File.Exists script then
        let text = File.ReadAllText script

        if text.Contains hitLink then
            File.WriteAllText(script, text.Replace(hitLink, relativeHitLink))

/// Why the search box would not work on some page, one line each: every page's `data-root` must
/// lead, relative to the page, to the site's `index.json` (pages at the root and below it
/// included), the script must fetch `${root}/index.json` and link hits under `${root}`, and every
/// hit's `uri` must be a page of the site.
let searchProblems (site: string) =
    let script = searchScript site
    let index = Path.Combine(site, "index.json")

    [
        if not (File.Exists script) then
            "content/fsdocs-search.js: missing"
        else
            let text = File.ReadAllText script

            if not (Regex.IsMatch(text, @"searchIndexUrl\s*=\s*`\$\{root\}/index\.json`")) then
                "content/fsdocs-search.js: does not fetch ${root}/index.json (a new fsdocs? see relativeSearch)"

            if not (text.Contains relativeHitLink) then
                "content/fsdocs-search.js: does not link hits under ${root} (a new fsdocs? see relativeSearch)"

        if not (File.Exists index) then
            "index.json: missing (fsdocs wrote no search index)"
        else
            let pages =
                [
                    for page in Directory.GetFiles(site, "*.html", SearchOption.AllDirectories) do
                        let m = dataRoot.Match(File.ReadAllText page)

                        if m.Success then
                            let depth =
                                Path.GetRelativePath(site, page).Split(Path.DirectorySeparatorChar).Length - 1

                            page, depth, m.Groups[2].Value
                ]

            let depths = pages |> List.map (fun (_, d, _) -> d) |> List.distinct

            if not (List.contains 0 depths) then
                "no page at the site root has a data-root"

            if not (depths |> List.exists (fun d -> d > 0)) then
                "no page below the site root has a data-root (the API reference's pages are there)"

            for page, _, up in pages do
                let name = Path.GetRelativePath(site, page)

                if up.StartsWith "/" || Regex.IsMatch(up, @"^[A-Za-z][A-Za-z0-9+.-]*:") then
                    $"{name}: data-root \"{up}\" is not relative to the page"
                elif
                    Path.GetFullPath(Path.Combine(Path.GetDirectoryName page, up, "index.json"))
                    <> Path.GetFullPath index
                then
                    $"{name}: data-root \"{up}\" does not lead to index.json"

            use entries = Text.Json.JsonDocument.Parse(File.ReadAllText index)

            for entry in entries.RootElement.EnumerateArray() do
                let uri = entry.GetProperty("uri").GetString()
                let path = (uri.Split('#')[0]).TrimStart('/')

                if not (File.Exists(Path.Combine(site, Uri.UnescapeDataString path))) then
                    $"index.json: the hit {uri} is not a page of the site"
    ]

/// The public types of the C# facade whose own attributes take a `typeof` argument, by full name,
/// in the build fsdocs documents (`docsReference`). fsdocs reads the packages through the F#
/// compiler service, which cannot evaluate a type argument of an attribute compiled by C# ("This
/// custom attribute has an argument that cannot yet be converted using this API"), so fsdocs
/// writes no page for such a type. The typed models' `[JsonConverter(typeof(...))]` (the one form
/// both the System.Text.Json source generator and the reflection serializer take: an attribute
/// derived from JsonConverterAttribute is refused by the source generator, SYSLIB1223) is compiled
/// out of that build (`#if !TASKCLUSTER_DOCS_REFERENCE`), so the models have their pages and are
/// not counted here. What is left is TaskclusterJsonContext: it is made of
/// `[JsonSerializable(typeof(...))]`, and without them it would be another type.
/// A member fails the same way when the compiler marks it (`async` and iterator methods: their
/// state machine's type): the facade's public members are not `async` themselves for that reason.
let typeofAttributedTypes () =
    let typeDeclaration =
        Regex(@"^\s*public\b[\w\s]*?\b(?:class|struct|record|interface|enum)\s+(\w+)")

    set
        [
            for file in
                Directory.GetFiles(Path.Combine(root, "src", "Taskcluster"), "*.cs", SearchOption.AllDirectories) do
                let mutable ns = ""
                let mutable typeofAttribute = false
                // Inside `#if !TASKCLUSTER_DOCS_REFERENCE`: not in the documented build.
                let mutable compiledOut = false

                for line in File.ReadLines file do
                    let trimmed = line.Trim()
                    let nsMatch = Regex.Match(trimmed, @"^namespace\s+([\w.]+)")

                    if nsMatch.Success then
                        ns <- nsMatch.Groups[1].Value
                    elif trimmed.StartsWith "#" then
                        if Regex.IsMatch(trimmed, @"^#if\s+!\s*TASKCLUSTER_DOCS_REFERENCE\b") then
                            compiledOut <- true
                        elif trimmed.StartsWith "#endif" then
                            compiledOut <- false
                    elif trimmed.StartsWith "[" then
                        typeofAttribute <- typeofAttribute || (not compiledOut && trimmed.Contains "typeof(")
                    elif not (trimmed.StartsWith "///") then
                        let m = typeDeclaration.Match line

                        if m.Success && typeofAttribute then
                            $"{ns}.{m.Groups[1].Value}"

                        typeofAttribute <- false
        ]

/// The MSBuild property that makes the facade's documentation build (its Taskcluster.csproj): the
/// models' typeof attributes compiled out, into bin/DocsReference and obj/DocsReference, so the
/// Release build that tests and packages use is left as it is.
let docsReference = "TaskclusterDocsReference=true"

/// The facade, the one project built a second time for fsdocs.
let facadeProject = Path.Combine(root, "src", "Taskcluster", "Taskcluster.csproj")

/// The project whose output folder gathers every package and dependency the F# pages reference.
let docsReferences = Path.Combine(docsInput, ".include", "Docs.References.csproj")

/// The shipped packages, whose API reference the site carries (every project under src/).
let documentedProjects = projects "src" "*.fsproj" @ projects "src" "*.csproj"

/// Runs every literate F# page of docs/ as a script, all in one `dotnet fsi`: an example that
/// throws or does not compile fails the run, with the page and line in its output.
let runPages (output: ResizeArray<string>) =
    let driver = Path.Combine(root, "artifacts", "docs-pages", "pages.fsx")
    Directory.CreateDirectory(Path.GetDirectoryName driver) |> ignore

    File.WriteAllLines(
        driver,
        [
            yield "// Written by build.fsx docs: every page of docs/, in order."
            for page in Directory.GetFiles(docsInput, "*.fsx") |> Array.sort -> $"#load @\"{page}\""
        ]
    )

    runQuiet verbose output.Add "dotnet" [ "fsi"; driver ]

/// Builds what the pages reference (docs/.include, over the packages' Release builds), runs the
/// F# pages as scripts (fsdocs' own evaluator drops a failing example silently, so `dotnet fsi`
/// is the judge), then renders the site and the API reference of every package with fsdocs
/// (strict: a page that does not compile fails it), makes the menu's links and the search box
/// relative and checks every internal link, the API reference's included, that every public item
/// has its reference page (but `typeofAttributedTypes`), and that every page's search finds the
/// index. Returns the exit code and every line of output.
let buildSite () =
    let output = ResizeArray<string>()

    let steps: (unit -> int) list =
        [
            fun () -> runQuiet verbose output.Add "dotnet" [ "restore"; docsReferences; "-v:q" ]
            fun () ->
                runQuiet
                    verbose
                    output.Add
                    "dotnet"
                    [
                        "build"
                        docsReferences
                        "-c"
                        configuration
                        "--no-restore"
                        "-nologo"
                        "-v:q"
                        "-clp:NoSummary"
                    ]
            // The facade's documentation build, over the Release builds of the packages it uses.
            fun () ->
                runQuiet
                    verbose
                    output.Add
                    "dotnet"
                    [
                        "build"
                        facadeProject
                        "-c"
                        configuration
                        $"-p:{docsReference}"
                        "--no-restore"
                        "--no-dependencies"
                        "-nologo"
                        "-v:q"
                        "-clp:NoSummary"
                    ]
            fun () -> runPages output
            fun () ->
                runQuiet
                    verbose
                    output.Add
                    "dotnet"
                    ([
                        "fsdocs"
                        "build"
                        "--input"
                        docsInput
                        "--output"
                        docsOutput
                        "--strict"
                        "--clean"
                        // The API reference of every package, read from the Release builds the
                        // steps above made (the emulator is an executable too: allowed).
                        "--projects"
                     ]
                     @ documentedProjects
                     @ [
                         "--properties"
                         $"Configuration={configuration}"
                         // The facade's from its documentation build (the others do not read it).
                         docsReference
                         "FsDocsAllowExecutableProject=true"
                         // The menu's links: one site root (made relative below), pages of the site.
                         "--parameters"
                         "root"
                         "/"
                         "fsdocs-collection-name"
                         "Taskcluster.Functional"
                         "fsdocs-logo-src"
                         "img/logo.svg"
                         "fsdocs-favicon-src"
                         "img/logo.svg"
                         "fsdocs-logo-link"
                         "/index.html"
                         "fsdocs-license-link"
                         "/license.html"
                         "fsdocs-release-notes-link"
                         "/release-notes.html"
                         // No public repository address is recorded; the menu hides the link (_head.html).
                         "fsdocs-repository-link"
                         "/index.html"
                     ])
            fun () ->
                relativeLinks docsOutput
                relativeSearch docsOutput
                0
            fun () ->
                // fsdocs prints this for an API item it writes no page for (and goes on).
                let unwritten =
                    output
                    |> Seq.choose (fun line ->
                        let m = Regex.Match(line, @"Could not read comments from entity '([^']+)'")
                        if m.Success then Some m.Groups[1].Value else None)
                    |> Set.ofSeq

                // Only the types that cannot do without a typeof attribute may lack a page.
                let allowed = Set.intersect unwritten (typeofAttributedTypes ())
                let missing = Set.difference unwritten allowed

                if not allowed.IsEmpty then
                    output.Add
                        $"{allowed.Count} API reference pages fsdocs cannot write (types whose attributes take a typeof argument; see build.fsx): links to them are not checked"

                for item in missing do
                    output.Add
                        $"no API reference page for {item}: fsdocs could not read it (an attribute with a typeof argument, an async or iterator member's included: see the lines above)"

                let unwrittenPages =
                    allowed
                    |> Set.map (fun name -> name.ToLowerInvariant().Replace('.', '-') + ".html")

                let broken = brokenLinks docsOutput unwrittenPages

                for link in broken do
                    output.Add $"broken link: {link}"

                let search = searchProblems docsOutput

                for problem in search do
                    output.Add $"search: {problem}"

                if missing.IsEmpty && broken.IsEmpty && search.IsEmpty then
                    0
                else
                    1
        ]

    // The first step that fails ends the build.
    let code =
        steps |> List.fold (fun code step -> if code <> 0 then code else step ()) 0

    code, output

/// `build.fsx docs`: builds the documented projects and the site.
let docs () =
    // Every package, through the project that gathers them for the pages.
    buildProjects "the documented packages" [ docsReferences ]
    printfn "Building the documentation site (fsdocs, every F# example executed)..."
    let watch = Stopwatch.StartNew()
    let code, output = buildSite ()

    if code <> 0 then
        if not verbose then
            for line in output do
                Console.WriteLine line

        fail $"the documentation site did not build (exit code {code})"

    printfn "Site written to %s in %.0f s (open index.html)" docsOutput watch.Elapsed.TotalSeconds

/// A check that is not a test suite (formatting, the site) counts as one test, by its exit code.
let oneCheck code =
    if code = 0 then
        { Passed = 1; Failed = 0 }
    else
        { Passed = 0; Failed = 1 }

let test () =
    build ()

    // Formatting is part of the contract: an unformatted file is one failed check.
    let formatting =
        let output = ResizeArray<string>()
        let watch = Stopwatch.StartNew()

        let code =
            runQuiet verbose output.Add "dotnet" ([ "fantomas"; "--check" ] @ formattedPaths)

        let counts = oneCheck code
        report "formatting (fantomas --check)" counts watch.Elapsed output

        if code <> 0 then
            eprintfn "Formatting check failed: run `dotnet fsi build.fsx format`."

        counts

    // The documentation site: its examples run and its links lead somewhere, or it is one failed check.
    let site =
        let watch = Stopwatch.StartNew()
        let code, output = buildSite ()
        let counts = oneCheck code
        report "documentation site (fsdocs, examples run)" counts watch.Elapsed output
        counts

    // The interop tests need the official JS packages; no npm fails the run, it never skips.
    npmInstall ()
    printfn "Running the test suites (--verbose lists every test):"

    let suites =
        [
            for p in projects "tests" "*.Tests.fsproj" -> runExpecto p
            for p in projects "tests" "*.Tests.csproj" -> runXunit p
        ]

    let total =
        formatting :: site :: suites
        |> List.fold
            (fun acc c ->
                {
                    Passed = acc.Passed + c.Passed
                    Failed = acc.Failed + c.Failed
                })
            { Passed = 0; Failed = 0 }

    printfn "%d passed, %d failed" total.Passed total.Failed

    if total.Failed > 0 || total.Passed = 0 then
        exit 1

/// Builds the interop tests alone, installs the pinned official JS packages into
/// scripts/interop/node_modules and runs the tests (the JS client against the emulator, hawk's
/// server against our core, differential checks).
let interop () =
    let project =
        Path.Combine(root, "tests", "Taskcluster.Interop.Tests", "Taskcluster.Interop.Tests.fsproj")

    buildProjects "the interop tests" [ project ]
    npmInstall ()
    let counts = runExpecto project
    printfn "%d passed, %d failed" counts.Passed counts.Failed

    if counts.Failed > 0 || counts.Passed = 0 then
        exit 1

/// The BenchmarkDotNet micro-benchmarks of the core and the client. Arguments after the target
/// name go to BenchmarkDotNet (default: every benchmark).
let microbench (extra: string list) =
    build ()
    let benchArgs = if extra.IsEmpty then [ "--filter"; "*" ] else extra

    dotnet (
        [
            "run"
            "-c"
            configuration
            "--no-build"
            "--project"
            Path.Combine(root, "tests", "Taskcluster.Benchmarks", "Taskcluster.Benchmarks.fsproj")
            "--"
        ]
        @ benchArgs
    )

/// Our client beside the official JS packages and raw HttpClient, against one emulator process
/// (tests/Taskcluster.SideBySide). Builds only the two projects it runs; `--quick` for a short
/// trial. The table is printed and written to artifacts/bench/side-by-side.md.
let bench (extra: string list) =
    npmInstall ()

    for project in
        [
            Path.Combine(root, "src", "Taskcluster.Emulator", "Taskcluster.Emulator.fsproj")
            Path.Combine(root, "tests", "Taskcluster.SideBySide", "Taskcluster.SideBySide.fsproj")
        ] do
        dotnet [ "build"; project; "-c"; configuration; "-nologo"; "-clp:NoSummary" ]

    let program =
        Path.Combine(
            root,
            "tests",
            "Taskcluster.SideBySide",
            "bin",
            configuration,
            "net10.0",
            "Taskcluster.SideBySide.dll"
        )

    dotnet ([ program; "--root"; root ] @ extra)

/// Pulse end to end (publish → broker → consumer → ack) through a private RabbitMQ broker: our
/// consumer beside a bare RabbitMQ.Client consumer with the same prefetch, and the heap as the
/// messages go through (tests/Taskcluster.Pulse.Bench; a report, never asserted). Extra
/// arguments go to the program (`--messages N`, `--prefetch N`, `--rounds N`; `--memory` for the
/// long memory run, `--micro` for the per-message cost without a broker).
let pulseBench (extra: string list) =
    let project =
        Path.Combine(root, "tests", "Taskcluster.Pulse.Bench", "Taskcluster.Pulse.Bench.fsproj")

    dotnet [ "build"; project; "-c"; configuration; "-nologo"; "-clp:NoSummary"; "-v:q" ]
    dotnet ([ "run"; "-c"; configuration; "--no-build"; "--project"; project; "--" ] @ extra)

/// A private RabbitMQ broker for the demo (the tests' own) when `rabbitmq-server` is installed;
/// otherwise one line says why not and the demo waits by polling.
let startDemoBroker () =
    try
        let broker =
            Taskcluster.Pulse.TestBroker.PrivateBroker.StartAsync().GetAwaiter().GetResult()

        printfn "Private RabbitMQ broker on 127.0.0.1:%d (stopped when the demo ends)" broker.AmqpPort
        Some broker
    with e ->
        printfn "No RabbitMQ broker for the demo, it waits for its task by polling: %s" (e.Message.Split('\n')[0])
        None

/// Runs scripts/demo.fsx. Without TASKCLUSTER_ROOT_URL it first starts the embedded emulator
/// (its command line prints the root URL and root credentials as its first line) and gives the
/// demo those credentials; with it, the demo runs its read-only steps against that deployment.
/// With `rabbitmq-server` installed, the embedded emulator publishes to a private broker and the
/// demo waits for its task over Pulse.
let demo () =
    // Only what the demo loads: the services (with the client and core), the transfers, Pulse
    // and the emulator.
    buildProjects
        "the demo"
        [
            Path.Combine(root, "src", "Taskcluster.Services", "Taskcluster.Services.fsproj")
            Path.Combine(root, "src", "Taskcluster.Transfers", "Taskcluster.Transfers.fsproj")
            Path.Combine(root, "src", "Taskcluster.Pulse", "Taskcluster.Pulse.fsproj")
            Path.Combine(root, "src", "Taskcluster.Emulator", "Taskcluster.Emulator.fsproj")
        ]

    let script = Path.Combine(root, "scripts", "demo.fsx")

    match Environment.GetEnvironmentVariable "TASKCLUSTER_ROOT_URL" with
    | null
    | "" ->
        let emulator =
            Path.Combine(
                root,
                "src",
                "Taskcluster.Emulator",
                "bin",
                configuration,
                "net10.0",
                "Taskcluster.Emulator.dll"
            )

        let broker = startDemoBroker ()

        // Whatever happens (a failure, Ctrl+C, SIGTERM), the broker and its epmd are stopped.
        let stopBroker () =
            match broker with
            | Some b -> (b :> IAsyncDisposable).DisposeAsync().AsTask().GetAwaiter().GetResult()
            | None -> ()

        use _ =
            Runtime.InteropServices.PosixSignalRegistration.Create(
                Runtime.InteropServices.PosixSignal.SIGINT,
                fun _ -> stopBroker ()
            )

        use _ =
            Runtime.InteropServices.PosixSignalRegistration.Create(
                Runtime.InteropServices.PosixSignal.SIGTERM,
                fun _ -> stopBroker ()
            )

        let pulseArgs =
            match broker with
            | Some b -> [ "--pulse-url"; b.AdminUrl.AbsoluteUri ]
            | None -> []

        let psi =
            ProcessStartInfo("dotnet", [ emulator; "--port"; "0" ] @ pulseArgs, WorkingDirectory = root)

        psi.RedirectStandardOutput <- true

        try
            use server = Process.Start psi

            try
                let first = server.StandardOutput.ReadLine()

                if isNull first then
                    fail "the emulator exited before printing its root URL"

                use doc = System.Text.Json.JsonDocument.Parse first

                let get (name: string) =
                    doc.RootElement.GetProperty(name).GetString()

                printfn "Embedded emulator listening on %s" (get "rootUrl")

                let demoProcess =
                    ProcessStartInfo("dotnet", [ "fsi"; script ], WorkingDirectory = root)

                demoProcess.Environment["TASKCLUSTER_ROOT_URL"] <- get "rootUrl"
                demoProcess.Environment["TASKCLUSTER_CLIENT_ID"] <- get "clientId"
                demoProcess.Environment["TASKCLUSTER_ACCESS_TOKEN"] <- get "accessToken"
                demoProcess.Environment["TASKCLUSTER_DEMO_EMULATOR"] <- "1"

                match broker with
                | Some b -> demoProcess.Environment["TASKCLUSTER_DEMO_PULSE_URL"] <- b.AdminUrl.AbsoluteUri
                | None -> ()

                use p = Process.Start demoProcess
                p.WaitForExit()

                if p.ExitCode <> 0 then
                    fail $"the demo exited with {p.ExitCode}"
            finally
                if not server.HasExited then
                    server.Kill true
        finally
            stopBroker ()
    | rootUrl ->
        printfn "Running the read-only demo steps against %s" rootUrl
        run "dotnet" [ "fsi"; script ]

/// The generator is a project (the Services tests use it to check that the committed output is
/// not stale); the script runs its Release build.
let generate () =
    dotnet
        [
            "build"
            Path.Combine(root, "scripts", "Taskcluster.Generator", "Taskcluster.Generator.fsproj")
            "-c"
            "Release"
            "-nologo"
            "-clp:NoSummary"
        ]

    dotnet [ "fsi"; Path.Combine(root, "scripts", "generate.fsx") ]

/// The soak run (tests/Taskcluster.Soak): 100,000 calls and 500 transfers through the client
/// with 5 % injected faults against the emulator; fails on any lost, duplicated or corrupted
/// result, untyped failure or memory growth. Extra arguments go to the program (`--calls N`).
let soak (extra: string list) =
    let project =
        Path.Combine(root, "tests", "Taskcluster.Soak", "Taskcluster.Soak.fsproj")

    dotnet [ "build"; project; "-c"; configuration; "-nologo"; "-clp:NoSummary" ]
    dotnet ([ "run"; "-c"; configuration; "--no-build"; "--project"; project; "--" ] @ extra)

/// What a package must carry: a description, tags, a licence expression, its README, its XML
/// docs beside each assembly and a symbols package beside it. The problems found, one a line.
let checkPackage (nupkg: string) =
    use zip = System.IO.Compression.ZipFile.OpenRead nupkg
    let entries = [ for e in zip.Entries -> e.FullName ]
    let name = Path.GetFileName nupkg

    let nuspec =
        zip.Entries
        |> Seq.tryFind (fun e -> e.FullName.EndsWith ".nuspec")
        |> Option.map (fun e ->
            use reader = new StreamReader(e.Open())
            reader.ReadToEnd())
        |> Option.defaultValue ""

    let has (element: string) =
        Regex.IsMatch(nuspec, $"<{element}[^>]*>[^<]+</{element}>")

    [
        if not (has "description") then
            $"{name}: no description"
        if not (has "tags") then
            $"{name}: no tags"
        if not (Regex.IsMatch(nuspec, @"<license type=""expression"">[^<]+</license>")) then
            $"{name}: no licence expression"
        if not (has "readme") || not (List.contains "README.md" entries) then
            $"{name}: no package README"
        for dll in entries |> List.filter (fun e -> e.StartsWith "lib/" && e.EndsWith ".dll") do
            if not (List.contains (Path.ChangeExtension(dll, ".xml")) entries) then
                $"{name}: {dll} has no XML documentation"
        if not (File.Exists(Path.ChangeExtension(nupkg, ".snupkg"))) then
            $"{name}: no symbols package (.snupkg) beside it"
    ]

let pack () =
    build ()
    let output = Path.Combine(root, "artifacts", "packages")

    for p in projects "src" "*.fsproj" @ projects "src" "*.csproj" do
        quietly $"Packing {Path.GetFileName p}..." "dotnet" [ "pack"; p; "-c"; configuration; "--no-build"; "-nologo" ]

    let packages = Directory.GetFiles(output, "*.nupkg") |> List.ofArray

    let problems = packages |> List.collect checkPackage

    for problem in problems do
        eprintfn "  %s" problem

    // Every public member documented and every public F# module signed: the suite loads the
    // same Release assemblies that were just packed.
    let api =
        runExpecto (Path.Combine(root, "tests", "Taskcluster.PublicApi.Tests", "Taskcluster.PublicApi.Tests.fsproj"))

    printfn "Packages written to %s (%d checked: metadata, README, XML docs, symbols)" output packages.Length

    if not problems.IsEmpty then
        fail $"{problems.Length} package problem(s)"

    if api.Failed > 0 then
        fail "the packed assemblies have undocumented public members or unsigned public F# files"

/// Rewrites the C# facade's public-API baseline (src/Taskcluster/PublicAPI.*.txt) from what the
/// public-API analyzer reports when every file is empty: each missing member's line (RS0016)
/// goes to PublicAPI.Shipped.Generated.txt when it is declared under Generated/ (or by a source
/// generator from it), to PublicAPI.Shipped.txt otherwise; PublicAPI.Unshipped.txt is left
/// empty. Run it after an intended change of the public C# surface (or after `generate` changed
/// it) and review the diff: a line that disappears is a breaking change.
let apiBaseline () =
    let dir = Path.Combine(root, "src", "Taskcluster")
    let project = Path.Combine(dir, "Taskcluster.csproj")
    let handWritten = Path.Combine(dir, "PublicAPI.Shipped.txt")
    let generated = Path.Combine(dir, "PublicAPI.Shipped.Generated.txt")
    let unshipped = Path.Combine(dir, "PublicAPI.Unshipped.txt")
    let header = "#nullable enable\n"

    for file in [ handWritten; generated; unshipped ] do
        File.WriteAllText(file, header)

    // With empty files the build fails, naming every public member as its baseline line.
    let missing =
        Regex(@"^(?<file>.+?)\(\d+,\d+\): error RS0016: Symbol '(?<api>.+)' is not part of the declared public API")

    let found = ResizeArray<string * string>()
    let other = ResizeArray<string>()

    let onLine (line: string) =
        let m = missing.Match line

        if m.Success then
            found.Add(m.Groups["file"].Value, m.Groups["api"].Value)
        elif line.Contains ": error " then
            other.Add line

    printfn "Building src/Taskcluster with an empty baseline (the analyzer lists every public member)..."

    runQuiet verbose onLine "dotnet" [ "build"; project; "-c"; configuration; "-nologo"; "-clp:NoSummary" ]
    |> ignore

    // Optional-parameter overload warnings (RS0026, RS0027) stop once a member is baselined;
    // anything else is a real failure.
    let blocking =
        other
        |> Seq.filter (fun l -> not (l.Contains "error RS0026" || l.Contains "error RS0027"))
        |> Seq.distinct
        |> List.ofSeq

    if not blocking.IsEmpty || found.Count = 0 then
        for line in blocking do
            Console.WriteLine line

        fail "src/Taskcluster did not build apart from its baseline; fix that first"

    // Generated/ and what source generators make of it under obj/ (the JSON context's members).
    let inGenerated (file: string) =
        let file = file.Replace('\\', '/')

        file.Contains "/src/Taskcluster/Generated/"
        || file.Contains "/src/Taskcluster/obj/"

    // A partial class declared in both places (QueueClient) has its type line with the generated part.
    let generatedApis = found |> Seq.filter (fst >> inGenerated) |> Seq.map snd |> set

    let handWrittenApis =
        found |> Seq.map snd |> Seq.filter (generatedApis.Contains >> not) |> set

    let write (file: string) (apis: Set<string>) =
        let lines = apis |> Seq.sortWith (fun a b -> String.CompareOrdinal(a, b))
        File.WriteAllText(file, header + String.Join("\n", lines) + "\n")
        printfn "wrote %s (%d members)" (Path.GetRelativePath(root, file)) apis.Count

    write generated generatedApis
    write handWritten handWrittenApis

    printfn "Checking that src/Taskcluster builds against the new baseline..."
    dotnet [ "build"; project; "-c"; configuration; "-nologo"; "-clp:NoSummary"; "-v:q" ]

/// Writes the Polyglot Notebooks (.ipynb) of scripts/notebooks/*.fsx beside them.
let notebooks () =
    for script in Taskcluster.Notebooks.Ipynb.scripts (Path.Combine(root, "scripts", "notebooks")) do
        let notebook = Taskcluster.Notebooks.Ipynb.notebookPath script
        File.WriteAllText(notebook, Taskcluster.Notebooks.Ipynb.render (File.ReadAllText script))
        printfn "wrote %s" (Path.GetRelativePath(root, notebook))

let targets: (string * string * (string list -> unit)) list =
    [
        "restore", "restore NuGet packages and local tools", (fun _ -> restore ())
        "build", "build the solution (Release)", (fun _ -> build ())
        "test",
        "build, check formatting, run every test project, one line a suite (--verbose: every test); ends with 'N passed, N failed'",
        (fun _ -> test ())
        "format", "format the F# sources with fantomas", (fun _ -> format ())
        "interop", "install the pinned official JS packages and run the interop tests", (fun _ -> interop ())
        "bench",
        "our client vs the official JS packages vs raw HttpClient on one emulator (--quick: a short trial)",
        bench
        "microbench",
        "the BenchmarkDotNet micro-benchmarks (extra arguments go to it, e.g. --filter *Hawk*)",
        microbench
        "pulse-bench",
        "Pulse messages/s through a private RabbitMQ: our consumer vs bare RabbitMQ.Client (--messages N, --rounds N; --memory; --micro)",
        pulseBench
        "demo", "start the embedded emulator and run scripts/demo.fsx against it", (fun _ -> demo ())
        "generate", "regenerate the committed code and data derived from ../shared/taskcluster", (fun _ -> generate ())
        "pack",
        "build NuGet packages (with symbols) into artifacts/packages and check their metadata, README, docs (every public member) and symbols",
        (fun _ -> pack ())
        "soak", "100,000 calls and 500 transfers with 5 % faults against the emulator", soak
        "notebooks", "write the .ipynb of every scripts/notebooks/*.fsx beside it", (fun _ -> notebooks ())
        "api-baseline",
        "rewrite the C# facade's public-API baseline (src/Taskcluster/PublicAPI.*.txt) after an intended change",
        (fun _ -> apiBaseline ())
        "docs",
        "build the documentation site into artifacts/docs (fsdocs; every F# example runs, links checked)",
        (fun _ -> docs ())
    ]

let listTargets () =
    printfn "usage: dotnet fsi build.fsx <target>\n\ntargets:"

    for name, description, _ in targets do
        printfn "  %-10s %s" name description

let args =
    let all = fsi.CommandLineArgs |> Array.skip 1 |> List.ofArray
    verbose <- List.contains "--verbose" all
    all |> List.filter ((<>) "--verbose")

match args with
| [] -> listTargets ()
| name :: rest ->
    match targets |> List.tryFind (fun (n, _, _) -> n = name) with
    | None ->
        eprintfn "unknown target '%s'\n" name
        listTargets ()
        exit 2
    | Some(_, _, f) ->
        try
            f rest
        with BuildFailed message ->
            eprintfn "build.fsx %s failed: %s" name message
            exit 1
