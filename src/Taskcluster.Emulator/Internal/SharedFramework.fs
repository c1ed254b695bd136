namespace Taskcluster.Emulator.Internal

open System
open System.IO
open System.Reflection
open System.Runtime.InteropServices
open System.Runtime.Loader

/// Finds the ASP.NET Core shared framework at run time for hosts that did not load it.
//
// A compiled application inherits the package's FrameworkReference and runs with
// Microsoft.AspNetCore.App on its probing list. `dotnet fsi` (a script or a notebook with
// `#r "nuget: ..."`) cannot honour a FrameworkReference: it runs on Microsoft.NETCore.App alone,
// so Kestrel's assemblies fail to load. The shared framework is installed beside the runtime
// that runs us, so a Resolving handler loads them from there. The handler only sees names the
// host could not bind itself: a compiled application never reaches it.
[<RequireQualifiedAccess>]
module internal SharedFramework =
    /// The numeric part of a framework folder's name (`10.0.12`, `10.0.0-rc.1.x` → 10.0.0).
    let private numeric (name: string) =
        match Version.TryParse(name.Split('-').[0]) with
        | true, v -> Some v
        | _ -> None

    /// The version folder to use among `available` for a runtime of version `runtime`: the same
    /// version when it is installed (the pair ships together), else the newest of the same major
    /// version. None when the major version has no ASP.NET Core framework.
    let pickVersion (runtime: string) (available: string seq) : string option =
        let available = Seq.toList available

        if List.contains runtime available then
            Some runtime
        else
            match numeric runtime with
            | None -> None
            | Some r ->
                available
                |> List.choose (fun name -> numeric name |> Option.map (fun v -> v, name))
                |> List.filter (fun (v, _) -> v.Major = r.Major)
                |> List.sortByDescending fst
                |> List.tryHead
                |> Option.map snd

    /// The Microsoft.AspNetCore.App folder beside `runtimeDirectory` (a
    /// `.../shared/Microsoft.NETCore.App/<version>/` folder) that matches it, if installed.
    let folderBeside (runtimeDirectory: string) : string option =
        let runtimeDirectory =
            runtimeDirectory.TrimEnd(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar)

        match Path.GetDirectoryName runtimeDirectory with
        | null -> None
        | netCore ->
            match Path.GetDirectoryName netCore with
            | null -> None
            | shared ->
                let aspNet = Path.Combine(shared, "Microsoft.AspNetCore.App")

                if Directory.Exists aspNet then
                    Directory.GetDirectories aspNet
                    |> Array.map Path.GetFileName
                    |> pickVersion (Path.GetFileName runtimeDirectory)
                    |> Option.map (fun v -> Path.Combine(aspNet, v))
                else
                    None

    /// Loads `name` from `folder` when the folder has it at the requested version or newer;
    /// null (the next handler's turn, then the usual FileNotFoundException) otherwise.
    let private resolve (folder: string) (context: AssemblyLoadContext) (name: AssemblyName) : Assembly =
        let path = Path.Combine(folder, name.Name + ".dll")

        if isNull name.Name || not (File.Exists path) then
            null
        else
            try
                let found = AssemblyName.GetAssemblyName path

                if isNull name.Version || found.Version >= name.Version then
                    context.LoadFromAssemblyPath path
                else
                    null
            with
            | :? IOException
            | :? BadImageFormatException -> null

    /// The shared framework's name, as `dotnet --list-runtimes` shows it.
    [<Literal>]
    let Name = "Microsoft.AspNetCore.App"

    /// What could not be found: the runtime that runs us and the folder where its ASP.NET Core
    /// should have been.
    type Missing =
        {
            /// The .NET runtime's version (`10.0.1`), from its folder's name.
            RuntimeVersion: string
            /// The major version an ASP.NET Core framework must have.
            MajorVersion: int
            /// `.../shared/Microsoft.AspNetCore.App`, where the framework was looked for.
            SearchedFolder: string
        }

    /// Where Kestrel's assemblies come from in this process.
    type Located =
        /// The host put the framework on its trusted list (a compiled application with the
        /// framework in its runtimeconfig): nothing to do.
        | Host
        /// The folder of the installed framework, for the Resolving handler.
        | Folder of string

    /// Whether a host's trusted platform assemblies (the `TRUSTED_PLATFORM_ASSEMBLIES` list,
    /// path-separated) hold ASP.NET Core.
    let trusts (trustedPlatformAssemblies: string) =
        not (String.IsNullOrEmpty trustedPlatformAssemblies)
        && trustedPlatformAssemblies.Split(Path.PathSeparator)
           |> Array.exists (fun p ->
               String.Equals(Path.GetFileName p, "Microsoft.AspNetCore.dll", StringComparison.OrdinalIgnoreCase))

    /// Where ASP.NET Core comes from for a host that has it already (`hostHasIt`) or not, running
    /// on the runtime in `runtimeDirectory`; `Missing` when the host lacks it and no framework of
    /// the runtime's major version is installed beside the runtime.
    let locate (hostHasIt: bool) (runtimeDirectory: string) : Result<Located, Missing> =
        if hostHasIt then
            Ok Host
        else
            match folderBeside runtimeDirectory with
            | Some folder -> Ok(Folder folder)
            | None ->
                let trimmed =
                    runtimeDirectory.TrimEnd(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar)

                let version = Path.GetFileName trimmed

                let shared =
                    match Path.GetDirectoryName trimmed with
                    | null -> trimmed
                    | netCore ->
                        match Path.GetDirectoryName netCore with
                        | null -> netCore
                        | shared -> shared

                Error
                    {
                        RuntimeVersion = version
                        MajorVersion =
                            match numeric version with
                            | Some v -> v.Major
                            | None -> Environment.Version.Major
                        SearchedFolder = Path.Combine(shared, Name)
                    }

    // The handler goes in once per process, on the first folder found.
    let mutable private registered = 0

    let private register (folder: string) =
        if Threading.Interlocked.Exchange(&registered, 1) = 0 then
            let handler =
                Func<AssemblyLoadContext, AssemblyName, Assembly>(fun context name -> resolve folder context name)

            AssemblyLoadContext.Default.add_Resolving handler

            // A host may load us into a context of its own; its misses are resolved there.
            match AssemblyLoadContext.GetLoadContext(Assembly.GetExecutingAssembly()) with
            | null -> ()
            | own when obj.ReferenceEquals(own, AssemblyLoadContext.Default) -> ()
            | own -> own.add_Resolving handler

    /// `locate`, then the Resolving handler when the framework has to be loaded from its folder.
    let ensureFor (hostHasIt: bool) (runtimeDirectory: string) : Result<unit, Missing> =
        locate hostHasIt runtimeDirectory
        |> Result.map (function
            | Host -> ()
            | Folder folder -> register folder)

    let private current =
        lazy
            (let trusted =
                match AppContext.GetData "TRUSTED_PLATFORM_ASSEMBLIES" with
                | :? string as s -> trusts s
                | _ -> false

             // A script may have loaded the assemblies from a folder of its own (`#r`).
             let loaded =
                 AppDomain.CurrentDomain.GetAssemblies()
                 |> Array.exists (fun a -> a.GetName().Name = "Microsoft.AspNetCore")

             ensureFor (trusted || loaded) (RuntimeEnvironment.GetRuntimeDirectory()))

    /// Makes ASP.NET Core loadable in this process (once); called before anything touches an
    /// ASP.NET Core type. `Missing` when it is not installed.
    let ensure () = current.Force()
