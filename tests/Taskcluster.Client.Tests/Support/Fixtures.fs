/// What the client tests share: a small API reference, the real references, clocks, a log
/// capture, clients pointed at a test server, and result helpers.
module Taskcluster.Client.Tests.Fixtures

open System
open System.Collections.Concurrent
open System.IO
open System.Threading
open System.Threading.Tasks
open Expecto
open Microsoft.Extensions.Logging
open Taskcluster.Core
open Taskcluster.Client
open Taskcluster.Client.Tests.TestServer
open Taskcluster.TestSupport

/// Runs a task to completion (test bodies are synchronous).
let run (t: Task<'T>) = t.GetAwaiter().GetResult()

let private unwrap what (result: Result<'T, 'E>) =
    match result with
    | Ok v -> v
    | Error e -> failtestf "%s failed: %A" what e

/// A service with one method of each kind the client treats differently.
let fakeReference =
    """
{
  "$schema": "/schemas/common/api-reference-v0.json#",
  "serviceName": "fake",
  "apiVersion": "v1",
  "title": "Fake",
  "description": "A service for client tests.",
  "entries": [
    { "type": "function", "name": "ping", "title": "Ping", "description": "", "category": "Test",
      "stability": "stable", "method": "get", "route": "/ping", "args": [], "query": [] },
    { "type": "function", "name": "getThing", "title": "Get", "description": "", "category": "Test",
      "stability": "stable", "method": "get", "route": "/thing/<thingId>/<part>", "args": ["thingId", "part"],
      "query": ["verbose"], "output": "v1/thing.json#" },
    { "type": "function", "name": "createThing", "title": "Create", "description": "", "category": "Test",
      "stability": "stable", "method": "put", "route": "/thing/<thingId>", "args": ["thingId"], "query": [],
      "input": "v1/thing-request.json#", "output": "v1/thing.json#" },
    { "type": "function", "name": "deleteThing", "title": "Delete", "description": "", "category": "Test",
      "stability": "stable", "method": "delete", "route": "/thing/<thingId>", "args": ["thingId"], "query": [] },
    { "type": "function", "name": "listThings", "title": "List", "description": "", "category": "Test",
      "stability": "stable", "method": "get", "route": "/things", "args": [],
      "query": ["prefix", "continuationToken", "limit"], "output": "v1/thing-list.json#" },
    { "type": "function", "name": "searchThings", "title": "Search", "description": "", "category": "Test",
      "stability": "stable", "method": "post", "route": "/things/search", "args": [],
      "query": ["continuationToken", "limit"], "input": "v1/search.json#", "output": "v1/thing-list.json#" }
  ]
}
"""
    |> Reference.parseApiReference
    |> unwrap "parsing the fake reference"

let entry name =
    match Reference.tryFindEntry name fakeReference with
    | Some e -> e
    | None -> failtestf "no entry %s" name

let ping = entry "ping"
let getThing = entry "getThing"
let createThing = entry "createThing"
let deleteThing = entry "deleteThing"
let listThings = entry "listThings"
let searchThings = entry "searchThings"

/// Every real Taskcluster API reference (the bundle the emulator embeds).
let references =
    lazy
        (Path.Combine(RepoRoot.find (), "src", "Taskcluster.Emulator", "Generated", "references.json")
         |> File.ReadAllText
         |> Reference.parseReferences
         |> unwrap "parsing references.json")

let api name =
    match Reference.tryFindApi name (references.Force()) with
    | Some a -> a
    | None -> failtestf "no API %s" name

/// A real timer whose due times are divided by a factor (also when changed later, which is how
/// a `CancellationTokenSource` with a time provider sets its timeout).
type private ScaledTimer(inner: ITimer, scale: TimeSpan -> TimeSpan) =
    interface ITimer with
        member _.Change(dueTime, period) =
            inner.Change(scale dueTime, scale period)

        member _.Dispose() = inner.Dispose()
        member _.DisposeAsync() = inner.DisposeAsync()

/// A clock `offset` away from the real one whose timers run `speedUp` times faster, so retry
/// delays and timeouts take a fraction of their nominal time (and tests need no sleeps).
type TestClock(offset: TimeSpan, speedUp: float) =
    inherit TimeProvider()

    let scale (t: TimeSpan) =
        if t = Timeout.InfiniteTimeSpan || t <= TimeSpan.Zero then
            t
        else
            TimeSpan.FromTicks(max 1L (int64 (float t.Ticks / speedUp)))

    member val Offset = offset with get, set

    override this.GetUtcNow() =
        TimeProvider.System.GetUtcNow() + this.Offset

    override _.CreateTimer(callback, state, dueTime, period) =
        new ScaledTimer(TimeProvider.System.CreateTimer(callback, state, scale dueTime, scale period), scale)

/// A clock stopped at an instant (its timers are the real ones).
type FixedClock(now: DateTimeOffset) =
    inherit TimeProvider()
    member val Now = now with get, set
    override this.GetUtcNow() = this.Now

/// One captured log event, every part rendered as text.
type LogEvent =
    {
        Level: LogLevel
        EventName: string
        Message: string
        State: (string * string) list
        Exception: string
    }

    /// Everything the event carries, to search for secrets in.
    member this.AllText =
        String.Join(
            "\n",
            [ this.Message; this.Exception ]
            @ (this.State |> List.map (fun (k, v) -> k + "=" + v))
        )

/// A logger that keeps every event at every level.
type CapturingLogger() =
    let events = ConcurrentQueue<LogEvent>()
    member _.Events = events.ToArray() |> List.ofArray

    interface ILogger with
        member _.BeginScope(_state) = null
        member _.IsEnabled _ = true

        member _.Log(level, eventId, state, error, formatter) =
            let values =
                match box state with
                | :? seq<Collections.Generic.KeyValuePair<string, obj>> as pairs ->
                    pairs |> Seq.map (fun kv -> kv.Key, string kv.Value) |> List.ofSeq
                | _ -> []

            events.Enqueue
                {
                    Level = level
                    EventName = eventId.Name
                    Message = formatter.Invoke(state, error)
                    State = values
                    Exception = if isNull error then "" else string error
                }

let clientId = "tester"

/// An access token that is easy to search for in output.
let accessToken = "SECRETtokenSECRETtokenSECRETtokenSECRETtok44"

let credentials: Credentials =
    {
        ClientId = clientId
        AccessToken = accessToken
        Certificate = None
    }

/// A fast clock for retry tests: delays and timeouts run 1000 times faster.
let fastClock () = TestClock(TimeSpan.Zero, 1000.0)

/// Options for a test server: its URL, known credentials, a fast clock (so backoff and
/// `Retry-After` delays take milliseconds) and a day-long timeout (86 real seconds), so that
/// only the tests about timeouts see one.
let optionsFor (server: Server) =
    server.Clients[clientId] <- accessToken

    { Options.create server.Url with
        Credentials = Some credentials
        TimeProvider = fastClock ()
        Timeout = TimeSpan.FromDays 1.0
    }

let createClient options =
    Client.create options |> unwrap "Client.create"

let clientFor (server: Server) (configure: ClientOptions -> ClientOptions) =
    createClient (configure (optionsFor server))

let expectOk what (result: Result<'T, TaskclusterError>) =
    match result with
    | Ok v -> v
    | Error e -> failtestf "%s: expected success, got %s" what (e.Describe())

let expectError what (result: Result<'T, TaskclusterError>) =
    match result with
    | Ok v -> failtestf "%s: expected an error, got %A" what v
    | Error e -> e

/// Calls a method of the fake service.
let callFake client entry args query payload =
    Client.call client fakeReference entry args query payload CancellationToken.None
    |> run

/// Every request a server received was authenticated with the expected client id.
let expectAllAuthenticated (server: Server) =
    for r in server.Requests do
        match r.Auth with
        | Auth.Authenticated(id, _) -> Expect.equal id clientId "signed by the client id"
        | other -> failtestf "request %s %s was not authenticated: %A" r.Method r.RawTarget other

/// The action ends in an `OperationCanceledException` (or a subclass such as `TaskCanceledException`).
let expectCancelled what (action: unit -> unit) =
    let cancelled =
        try
            action ()
            false
        with :? OperationCanceledException ->
            true

    if not cancelled then
        failtestf "%s: expected an OperationCanceledException" what
