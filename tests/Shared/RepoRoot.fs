/// The repository's root as a test or benchmark program finds it: the folder holding the
/// solution file, at or above the program's own folder. One source file, linked into every
/// project that reads the repository's files, so that the search is written once.
[<RequireQualifiedAccess>]
module internal Taskcluster.TestSupport.RepoRoot

open System
open System.IO

/// The file that marks the root.
[<Literal>]
let Marker = "Taskcluster.Functional.sln"

/// The folder holding `Marker` at or above `start`, if there is one.
let tryFindFrom (start: string) : string option =
    let rec up (dir: DirectoryInfo) =
        match dir with
        | null -> None
        | d when File.Exists(Path.Combine(d.FullName, Marker)) -> Some d.FullName
        | d -> up d.Parent

    up (DirectoryInfo start)

/// The root above the running program; fails naming the folder it searched from, since without
/// the repository's files there is nothing to check.
let find () : string =
    match tryFindFrom AppContext.BaseDirectory with
    | Some root -> root
    | None -> failwith $"cannot find {Marker} at or above {AppContext.BaseDirectory}"

/// The environment variable that points at the reference folder when it is not beside the root.
[<Literal>]
let SharedVariable = "TASKCLUSTER_SHARED"

/// The folder of reference material (the references, schemas, JSON-e specification and vectors
/// made by the official implementations): `SharedVariable` when set, else `shared` beside the root.
let shared () : string =
    match Environment.GetEnvironmentVariable SharedVariable with
    | null
    | "" -> Path.GetFullPath(Path.Combine(find (), "..", "shared"))
    | dir -> dir

/// The full path of a file under `shared ()`, or, when it is missing, a message naming it and
/// saying how to put the folder in place. A result, so that each suite fails in its own way.
let sharedFile (relative: string) : Result<string, string> =
    let path = Path.Combine(shared (), relative)

    if File.Exists path then
        Ok path
    else
        Error $"reference file {path} is missing: put the shared folder beside the repository (or set {SharedVariable})"
