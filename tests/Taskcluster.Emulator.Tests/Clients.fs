/// The generated F# service clients pointed at an emulator, and what their results are checked with.
module Taskcluster.Emulator.Tests.Clients

open System
open System.Security.Cryptography
open System.Text.Json
open System.Threading.Tasks
open Expecto
open Taskcluster.Client
open Taskcluster.Emulator
open Taskcluster.Emulator.Tests.Harness
open Taskcluster.Services

/// Runs a task to completion (test bodies are synchronous).
let run (t: Task<'T>) = t.GetAwaiter().GetResult()

/// The clock each emulator was started with, so that its clients sign by the same time.
let private clocks =
    System.Runtime.CompilerServices.ConditionalWeakTable<EmulatorInstance, TimeProvider>()

/// A client of `emulator` signing with these credentials (by the emulator's clock), without
/// retries (a 5xx shows at once).
let clientAs (emulator: EmulatorInstance) (clientId: string) (accessToken: string) =
    let clock =
        match clocks.TryGetValue emulator with
        | true, c -> c
        | _ -> TimeProvider.System

    match
        { Options.create emulator.RootUrl with
            MaxRetries = 0
            TimeProvider = clock
        }
        |> Options.withCredentials clientId accessToken
        |> Client.create
    with
    | Ok c -> c
    | Error e -> failtestf "cannot create a client: %A" e

/// The root client of `emulator` (scope `*`).
let rootOf (emulator: EmulatorInstance) =
    clientAs emulator emulator.ClientId emulator.AccessToken

/// A client of `emulator` holding exactly these scopes.
let withScopes (emulator: EmulatorInstance) (scopes: string list) =
    let id = "test/" + slugId ()
    let token = Signer.base64Url (RandomNumberGenerator.GetBytes 33)
    emulator.State.CreateClient(id, token, scopes)
    clientAs emulator id token

/// The value of an `Ok`, failing the test with the error otherwise.
let ok what (result: Result<'T, TaskclusterError>) =
    match result with
    | Ok v -> v
    | Error e -> failtestf "%s failed: %s" what (e.Describe())

/// Expects a 403 whose missing scopes name `scope`.
let expectMissing (scope: string) (result: Result<'T, TaskclusterError>) =
    match result with
    | Error(TaskclusterError.InsufficientScopes e) ->
        Expect.isTrue
            (e.MissingScopes |> List.exists (fun s -> s.Contains scope))
            $"the missing scopes {e.MissingScopes} name {scope}"
    | Error e -> failtestf "expected 403 InsufficientScopes naming %s, got %s" scope (e.Describe())
    | Ok _ -> failtestf "expected 403 InsufficientScopes naming %s, got a success" scope

/// Expects a service error with this status and Taskcluster code.
let expectError (status: int) (code: string) (result: Result<'T, TaskclusterError>) : ServiceError =
    match result with
    | Error(TaskclusterError.AuthenticationFailed e | TaskclusterError.InsufficientScopes e | TaskclusterError.ClientError e | TaskclusterError.ServerError e) when
        e.Status = status && e.Code = Some code
        ->
        e
    | Error e -> failtestf "expected %d %s, got %s" status code (e.Describe())
    | Ok _ -> failtestf "expected %d %s, got a success" status code

/// A member of a JSON answer.
let prop (name: string) (e: JsonElement) =
    match e.TryGetProperty name with
    | true, v -> v
    | _ -> failtestf "no member %s in %s" name (e.GetRawText())

/// The items of a JSON array.
let items (e: JsonElement) = [ for x in e.EnumerateArray() -> x ]

/// A started emulator of its own with these options, and a clock the test moves.
let startWithOptions (options: EmulatorOptions) (start: DateTimeOffset) =
    let clock = ManualClock start
    options.TimeProvider <- clock
    let emulator = run (Emulator.start options)
    clocks.Add(emulator, clock)
    emulator, clock

/// A started emulator of its own, with a clock the test moves.
let startWithClock (start: DateTimeOffset) =
    startWithOptions (EmulatorOptions()) start

/// A task queue of the test's own (`prov-<8 chars>/wt`), so that its claims take only its tasks.
let newQueueId () =
    "prov-"
    + (slugId ()).Substring(0, 8).Replace("_", "x").ToLowerInvariant()
    + "/wt"

/// Creates a task in the queue with these members of the definition changed; its taskId.
let createTaskIn (queue: Queue) (taskQueueId: string) (extra: (string * Nodes.JsonNode) list) =
    let taskId = slugId ()

    run (queue.CreateTask(taskId, Payload.Node(taskDef taskQueueId extra)))
    |> ok "createTask"
    |> ignore

    taskId

/// A string member of a JSON object.
let propString (name: string) (e: JsonElement) = (prop name e).GetString()
