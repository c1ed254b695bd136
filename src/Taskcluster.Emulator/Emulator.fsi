namespace Taskcluster.Emulator

open System
open System.Collections.Generic
open System.Threading
open System.Threading.Tasks

/// One request the emulator answered.
[<Sealed>]
type RecordedRequest =
    /// When it was answered (by the emulator's clock).
    member Time: DateTimeOffset
    /// The HTTP method.
    member HttpMethod: string
    /// The request path.
    member Path: string
    /// The service name (`queue`, ...), empty for unknown paths.
    member Service: string
    /// The API method name (`createTask`, ...), empty for unknown paths.
    member Method: string
    /// The authenticated clientId, or `null`.
    member ClientId: string
    /// The status code answered.
    member Status: int

/// A notification the notify service accepted: recorded for tests, never sent anywhere.
[<Sealed>]
type RecordedNotification =
    /// When it was accepted (by the emulator's clock).
    member Time: DateTimeOffset
    /// `email`, `pulse`, `matrix` or `slack`.
    member Kind: string
    /// The email address, Pulse routing key, Matrix room id or Slack channel id.
    member Address: string
    /// The clientId that asked for it.
    member ClientId: string
    /// The request as it was sent (JSON).
    member RequestJson: string

/// A commit status the GitHub service posted: recorded for tests, never sent to GitHub.
[<Sealed>]
type RecordedGithubStatus =
    /// When it was posted (by the emulator's clock).
    member Time: DateTimeOffset
    /// The repository's owner.
    member Owner: string
    /// The repository.
    member Repo: string
    /// The commit.
    member Sha: string
    /// `pending`, `success`, `error` or `failure`.
    member State: string
    /// The link of the status, or `null`.
    member TargetUrl: string
    /// The description, or `null`.
    member Description: string
    /// The status's context (its label).
    member Context: string
    /// Who posted it: the caller of `createStatus`, or `static/taskcluster/github` for the
    /// service's own statuses of builds.
    member ClientId: string

/// A comment the GitHub service posted: recorded for tests, never sent to GitHub.
[<Sealed>]
type RecordedGithubComment =
    /// When it was posted (by the emulator's clock).
    member Time: DateTimeOffset
    /// The repository's owner.
    member Owner: string
    /// The repository.
    member Repo: string
    /// The issue or pull request number, or `null` for a comment on a commit.
    member Number: string
    /// The commit of a comment on a commit, else `null`.
    member Sha: string
    /// The comment's text (Markdown).
    member Body: string
    /// Who posted it: the caller of `createComment`, or `static/taskcluster/github` for the
    /// service's own comments (a `.taskcluster.yml` that failed to render or create tasks).
    member ClientId: string

/// A view of an emulator's state for tests: seed clients and roles, inspect what calls did.
[<Sealed>]
type EmulatorState =
    /// Adds (or replaces) a client directly, without an API call. It never expires.
    member CreateClient: clientId: string * accessToken: string * scopes: IEnumerable<string> -> unit
    /// Adds (or replaces) a role directly. Fails with `ArgumentException` on a role cycle.
    member CreateRole: roleId: string * scopes: IEnumerable<string> -> unit
    /// Every clientId, sorted.
    member ClientIds: IReadOnlyList<string>
    /// Every roleId, sorted.
    member RoleIds: IReadOnlyList<string>
    /// The scopes `scopes` expand to under the current roles (what the auth service computes).
    member ExpandScopes: scopes: IEnumerable<string> -> IReadOnlyList<string>
    /// Every taskId, sorted.
    member TaskIds: IReadOnlyList<string>
    /// A task's state (`unscheduled`, `pending`, `running`, `completed`, `failed`,
    /// `exception`), or `null` when there is no such task.
    member TaskState: taskId: string -> string
    /// A task's definition as `queue.task` returns it (JSON), or `null`.
    member TaskDefinitionJson: taskId: string -> string
    /// Every secret name (expired ones included), sorted.
    member SecretNames: IReadOnlyList<string>
    /// Every object name of the object service, sorted.
    member ObjectNames: IReadOnlyList<string>
    /// Every indexed path of the index, sorted.
    member IndexPaths: IReadOnlyList<string>
    /// The most recent requests (at most 10,000), oldest first.
    member Requests: IReadOnlyList<RecordedRequest>
    /// The notifications the notify service accepted (at most the last 10,000), oldest first.
    member Notifications: IReadOnlyList<RecordedNotification>
    /// Puts a file in a repository at a commit (or ref), where the GitHub service's webhook
    /// handling looks for `.taskcluster.yml` (at a push's `after`, a pull request's head sha,
    /// a release's `target_commitish`).
    member SetRepositoryFile: owner: string * repo: string * sha: string * path: string * text: string -> unit
    /// Sets who collaborates on a repository (replacing the previous list; logins compare
    /// case-insensitively), as GitHub's collaborator check answers the GitHub service when it
    /// applies the `policy.pullRequests` of the `.taskcluster.yml` on the default branch.
    /// A repository never set has no collaborators.
    member SetCollaborators: owner: string * repo: string * logins: IEnumerable<string> -> unit
    /// The commit statuses the GitHub service posted (at most the last 10,000), oldest first.
    member GithubStatuses: IReadOnlyList<RecordedGithubStatus>
    /// The comments the GitHub service posted (at most the last 10,000), oldest first.
    member GithubComments: IReadOnlyList<RecordedGithubComment>

/// A running emulator. Dispose it (or call `StopAsync`) to stop it.
[<Sealed>]
type EmulatorInstance =
    /// `http://127.0.0.1:<port>`: the root URL to give a Taskcluster client.
    member RootUrl: string
    /// The same root URL as a `Uri`, the form the C# clients' constructors take.
    member RootUri: Uri
    /// The root client's id; it holds the scope `*`.
    member ClientId: string
    /// The root client's access token.
    member AccessToken: string
    /// Inspect and seed state.
    member State: EmulatorState
    /// Program faults into routes and blob URLs.
    member Faults: FaultInjector
    /// The folder where uploaded blobs are stored.
    member BlobDirectory: string
    /// The queue's state (for tests of its locking).
    member internal QueueStore: Taskcluster.Emulator.Internal.QueueStore
    /// Stops the server and deletes the blob folder it created. Safe to call twice.
    member StopAsync: unit -> Task
    /// Stops the server (waiting for requests in flight until the token fires) and deletes the
    /// blob folder it created. Safe to call twice.
    member StopAsync: cancellationToken: CancellationToken -> Task
    interface IAsyncDisposable
    interface IDisposable

/// Starting an emulator failed because the ASP.NET Core runtime it runs on
/// (`Microsoft.AspNetCore.App` of the running .NET's major version) is not installed beside the
/// .NET runtime. The message says what is missing and how to install it.
[<Sealed; Class>]
type AspNetCoreRuntimeMissingException =
    inherit Exception
    /// `Microsoft.AspNetCore.App`: the shared framework that is missing.
    member Framework: string
    /// The major version the framework must have: the running .NET's (`10`).
    member MajorVersion: int
    /// The version of the .NET runtime running the process (`10.0.1`).
    member RuntimeVersion: string
    /// Where the framework was looked for (`.../shared/Microsoft.AspNetCore.App`).
    member SearchedFolder: string

/// Starting emulators from F#.
// Hidden from C# completion, where `TaskclusterEmulator.StartAsync` is the form to use.
[<RequireQualifiedAccess; System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)>]
module Emulator =
    /// Starts an emulator with the options (`EmulatorOptions()` for every default).
    val start: options: EmulatorOptions -> Task<EmulatorInstance>

    /// Starts an emulator, honouring cancellation while it binds.
    val startWith: options: EmulatorOptions -> cancellationToken: CancellationToken -> Task<EmulatorInstance>

    /// `startWith` as if the process ran on the .NET runtime in `runtimeDirectory`, with the
    /// host holding ASP.NET Core already (`hostHasIt`) or not: the seam that tests the error
    /// given when the framework is not installed.
    val internal startOn:
        hostHasIt: bool ->
        runtimeDirectory: string ->
        options: EmulatorOptions ->
        cancellationToken: CancellationToken ->
            Task<EmulatorInstance>

/// Starting emulators from C#: `await using var tc = await TaskclusterEmulator.StartAsync();`.
[<AbstractClass; Sealed>]
type TaskclusterEmulator =
    /// Starts an emulator with every default.
    static member StartAsync: unit -> Task<EmulatorInstance>
    /// Starts an emulator; `options` may be null for every default.
    static member StartAsync: options: EmulatorOptions -> Task<EmulatorInstance>
    /// Starts an emulator, honouring cancellation while it binds; `options` may be null.
    static member StartAsync: options: EmulatorOptions * cancellationToken: CancellationToken -> Task<EmulatorInstance>
