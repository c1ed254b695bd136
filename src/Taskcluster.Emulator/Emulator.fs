namespace Taskcluster.Emulator

open System
open System.Collections.Generic
open System.IO
open System.Threading
open System.Threading.Tasks
open Microsoft.AspNetCore.Builder
open Taskcluster.Emulator.Internal

[<Sealed>]
type RecordedRequest internal (r: RequestRecord) =
    member _.Time = r.Time
    member _.HttpMethod = r.HttpMethod
    member _.Path = r.Path
    member _.Service = r.Service
    member _.Method = r.Method
    member _.ClientId = r.ClientId
    /// The status answered; 0 when the connection was dropped without an answer (an injected fault).
    member _.Status = r.Status

    override _.ToString() =
        $"{r.HttpMethod} {r.Path} -> {r.Status} ({r.Service}.{r.Method})"

[<Sealed>]
type RecordedNotification internal (n: NotificationRec) =
    let json = n.Request.ToJsonString()
    member _.Time = n.Time
    member _.Kind = n.Kind
    member _.Address = n.Address
    member _.ClientId = n.ClientId
    member _.RequestJson = json

    override _.ToString() = $"{n.Kind} to {n.Address}"

[<Sealed>]
type RecordedGithubStatus internal (s: GithubStatusRec) =
    member _.Time = s.Time
    member _.Owner = s.Owner
    member _.Repo = s.Repo
    member _.Sha = s.Sha
    member _.State = s.State
    member _.TargetUrl = s.TargetUrl
    member _.Description = s.Description
    member _.Context = s.Context
    member _.ClientId = s.ClientId

    override _.ToString() =
        $"{s.State} on {s.Owner}/{s.Repo}@{s.Sha} ({s.Context})"

[<Sealed>]
type RecordedGithubComment internal (c: GithubCommentRec) =
    member _.Time = c.Time
    member _.Owner = c.Owner
    member _.Repo = c.Repo
    member _.Number = c.Number
    member _.Sha = c.Sha
    member _.Body = c.Body
    member _.ClientId = c.ClientId

    override _.ToString() =
        let target = if isNull c.Number then c.Sha else "#" + c.Number
        $"comment on {c.Owner}/{c.Repo} {target}"

[<Sealed>]
type EmulatorState internal (env: Env) =
    let stores = env.Stores

    let sorted (xs: string seq) : IReadOnlyList<string> =
        let a = Seq.toArray xs
        Array.Sort(a, StringComparer.Ordinal)
        a

    member _.CreateClient(clientId: string, accessToken: string, scopes: IEnumerable<string>) =
        if String.IsNullOrEmpty clientId then
            nullArg "clientId"

        if String.IsNullOrEmpty accessToken then
            nullArg "accessToken"

        if isNull scopes then
            nullArg "scopes"

        let now = env.Now()

        stores.Auth.PutClient
            {
                ClientId = clientId
                Description = "created through the emulator's state handle"
                AccessToken = accessToken
                Scopes = Scopes.normalize scopes
                Expires = DateTimeOffset(9999, 12, 31, 0, 0, 0, TimeSpan.Zero)
                Created = now
                LastModified = now
                LastDateUsed = now
                LastRotated = now
                Disabled = false
                DeleteOnExpiration = false
            }

    member _.CreateRole(roleId: string, scopes: IEnumerable<string>) =
        if String.IsNullOrEmpty roleId then
            nullArg "roleId"

        if isNull scopes then
            nullArg "scopes"

        let now = env.Now()

        let role =
            {
                RoleId = roleId
                Description = "created through the emulator's state handle"
                Scopes = Scopes.normalize scopes
                Created = now
                LastModified = now
            }

        match stores.Auth.ChangeRole(roleId, Some role) with
        | Ok() -> ()
        | Error m -> invalidArg "scopes" m

    member _.ClientIds = stores.Auth.Clients() |> Seq.map (fun c -> c.ClientId) |> sorted
    member _.RoleIds = stores.Auth.Roles() |> Seq.map (fun r -> r.RoleId) |> sorted

    member _.ExpandScopes(scopes: IEnumerable<string>) : IReadOnlyList<string> =
        if isNull scopes then
            nullArg "scopes"

        stores.Auth.Expand scopes

    member _.TaskIds = stores.Queue.Tasks.Keys |> sorted

    member _.TaskState(taskId: string) =
        match stores.Queue.Tasks.TryGetValue taskId with
        | true, t -> lock t.Group.Gate (fun () -> t.State)
        | _ -> null

    member _.TaskDefinitionJson(taskId: string) =
        match stores.Queue.Tasks.TryGetValue taskId with
        | true, t -> lock t.Group.Gate (fun () -> t.Definition.ToJsonString())
        | _ -> null

    member _.SecretNames =
        lock stores.Secrets.Gate (fun () -> stores.Secrets.Secrets.Keys |> sorted)

    member _.ObjectNames =
        lock stores.Objects.Gate (fun () -> stores.Objects.Objects.Keys |> sorted)

    member _.IndexPaths =
        lock stores.Index.Gate (fun () -> stores.Index.Tasks.Keys |> sorted)

    member _.Requests: IReadOnlyList<RecordedRequest> =
        stores.Requests() |> Array.map RecordedRequest :> _

    member _.Notifications: IReadOnlyList<RecordedNotification> =
        lock stores.Notify.Gate (fun () -> stores.Notify.Sent.ToArray())
        |> Array.map RecordedNotification
        :> _

    member _.SetRepositoryFile(owner: string, repo: string, sha: string, path: string, text: string) =
        for name, value in [ "owner", owner; "repo", repo; "sha", sha; "path", path ] do
            if String.IsNullOrEmpty value then
                nullArg name

        if isNull text then
            nullArg "text"

        lock stores.Github.Gate (fun () -> stores.Github.Files[GithubStore.FileKey(owner, repo, sha, path)] <- text)

    member _.SetCollaborators(owner: string, repo: string, logins: IEnumerable<string>) =
        for name, value in [ "owner", owner; "repo", repo ] do
            if String.IsNullOrEmpty value then
                nullArg name

        if isNull logins then
            nullArg "logins"

        let set = HashSet<string>(StringComparer.OrdinalIgnoreCase)

        for login in logins do
            if String.IsNullOrEmpty login then
                invalidArg "logins" "a login must not be null or empty"

            set.Add login |> ignore

        lock stores.Github.Gate (fun () -> stores.Github.Collaborators[GithubStore.RepoKey(owner, repo)] <- set)

    member _.GithubStatuses: IReadOnlyList<RecordedGithubStatus> =
        lock stores.Github.Gate (fun () -> stores.Github.Statuses.ToArray())
        |> Array.map RecordedGithubStatus
        :> _

    member _.GithubComments: IReadOnlyList<RecordedGithubComment> =
        lock stores.Github.Gate (fun () -> stores.Github.Comments.ToArray())
        |> Array.map RecordedGithubComment
        :> _

[<Sealed>]
type EmulatorInstance internal (app: WebApplication, env: Env, clientId: string, accessToken: string, blobs: BlobStore)
    =
    let mutable stopped = 0
    let state = EmulatorState env

    member _.RootUrl = env.RootUrl
    member _.RootUri = Uri env.RootUrl
    member _.ClientId = clientId
    member _.AccessToken = accessToken
    member _.State = state
    member _.Faults = env.Faults
    member _.BlobDirectory = blobs.Directory
    member internal _.QueueStore = env.Stores.Queue

    member this.StopAsync() : Task = this.StopAsync CancellationToken.None

    member _.StopAsync(cancellationToken: CancellationToken) : Task =
        task {
            if Interlocked.Exchange(&stopped, 1) = 0 then
                try
                    do! app.StopAsync(cancellationToken)
                    do! app.DisposeAsync()
                    // what the last calls announced still goes out, for a bounded time
                    do! env.Publisher.StopAsync(TimeSpan.FromSeconds 10.0)
                finally
                    (blobs :> IDisposable).Dispose()
        }

    override _.ToString() =
        $"Taskcluster emulator at {env.RootUrl}"

    interface IAsyncDisposable with
        member this.DisposeAsync() = ValueTask(this.StopAsync())

    interface IDisposable with
        member this.Dispose() =
            this.StopAsync().GetAwaiter().GetResult()

[<Sealed>]
type AspNetCoreRuntimeMissingException internal (missing: SharedFramework.Missing) =
    inherit
        Exception(
            $"The Taskcluster emulator runs on ASP.NET Core, and the shared framework {SharedFramework.Name} "
            + $"{missing.MajorVersion}.x (for the .NET runtime {missing.RuntimeVersion}) is not installed: "
            + $"no {missing.MajorVersion}.x version of it is in {missing.SearchedFolder}. Install the ASP.NET Core Runtime {missing.MajorVersion}.0 "
            + "beside that .NET runtime (the .NET SDK includes it; or your system's package of it, such as "
            + $"aspnetcore-runtime-{missing.MajorVersion}.0; or `dotnet-install.sh --runtime aspnetcore --channel {missing.MajorVersion}.0`), "
            + "then start the emulator again. `dotnet --list-runtimes` shows what is installed."
        )

    member _.Framework = SharedFramework.Name
    member _.MajorVersion = missing.MajorVersion
    member _.RuntimeVersion = missing.RuntimeVersion
    member _.SearchedFolder = missing.SearchedFolder

// Hidden from C# completion, where `TaskclusterEmulator.StartAsync` is the form to use.
[<RequireQualifiedAccess; System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)>]
module Emulator =
    // Kept apart from `startWith` so that the shared-framework handler is in place before the
    // JIT compiles anything that names a Kestrel type (this state machine does).
    [<Runtime.CompilerServices.MethodImpl(Runtime.CompilerServices.MethodImplOptions.NoInlining)>]
    let private startCore (options: EmulatorOptions) (cancellationToken: CancellationToken) : Task<EmulatorInstance> =
        task {
            let options = if isNull options then EmulatorOptions() else options

            match options.Validate() with
            | problems when problems.Count > 0 -> invalidArg "options" (String.Join("; ", problems))
            | _ -> ()

            let random = RandomSource options.Random

            let directory, owns =
                match options.BlobDirectory with
                | null -> Path.Combine(Path.GetTempPath(), "taskcluster-emulator-" + random.SlugId()), true
                | d -> d, false

            let blobs = new BlobStore(directory, owns, random.Bytes 32, options.MaxBlobBytes)
            let env = Env(options, random, blobs, FaultInjector())
            let now = env.Now()

            let rootToken =
                match options.RootAccessToken with
                | null -> random.AccessToken()
                | t -> t

            let staticClient id token =
                env.Stores.Auth.PutClient
                    {
                        ClientId = id
                        Description = "static client of the emulator"
                        AccessToken = token
                        Scopes = [| "*" |]
                        Expires = DateTimeOffset(9999, 12, 31, 0, 0, 0, TimeSpan.Zero)
                        Created = now
                        LastModified = now
                        LastDateUsed = now
                        LastRotated = now
                        Disabled = false
                        DeleteOnExpiration = false
                    }

            staticClient options.RootClientId rootToken

            if options.RootClientId <> env.ServiceClientId then
                staticClient env.ServiceClientId (random.AccessToken())

            try
                if not (isNull options.PulseUrl) then
                    let! publisher =
                        AmqpPublisher.StartAsync(
                            Uri options.PulseUrl,
                            (fun ex message -> env.LogError(ex, message)),
                            cancellationToken
                        )

                    env.Publisher <- publisher

                let pipeline = Pipeline(env, ReferenceSet.Instance)
                let! app, url = Server.start options pipeline cancellationToken
                env.RootUrl <- url
                return new EmulatorInstance(app, env, options.RootClientId, rootToken, blobs)
            with ex ->
                do! env.Publisher.StopAsync TimeSpan.Zero
                (blobs :> IDisposable).Dispose()
                Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(ex).Throw()
                return Unchecked.defaultof<_>
        }

    // A missing framework is a faulted task, as invalid options are: the caller's await throws.
    let private startAfter (found: Result<unit, SharedFramework.Missing>) options cancellationToken =
        match found with
        | Ok() -> startCore options cancellationToken
        | Error missing -> Task.FromException<EmulatorInstance>(AspNetCoreRuntimeMissingException missing)

    let startWith (options: EmulatorOptions) (cancellationToken: CancellationToken) : Task<EmulatorInstance> =
        startAfter (SharedFramework.ensure ()) options cancellationToken

    let internal startOn (hostHasIt: bool) (runtimeDirectory: string) options cancellationToken =
        startAfter (SharedFramework.ensureFor hostHasIt runtimeDirectory) options cancellationToken

    let start (options: EmulatorOptions) =
        startWith options CancellationToken.None

[<AbstractClass; Sealed>]
type TaskclusterEmulator =
    static member StartAsync() =
        Emulator.startWith null CancellationToken.None

    static member StartAsync(options: EmulatorOptions) =
        Emulator.startWith options CancellationToken.None

    static member StartAsync(options: EmulatorOptions, cancellationToken: CancellationToken) =
        Emulator.startWith options cancellationToken
