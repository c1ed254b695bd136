(**
---
title: Calling the services
category: Capabilities
categoryindex: 2
index: 1
---
*)
(*** hide ***)
#load ".include/references.fsx"
open System
open Taskcluster.Emulator
let tc = (Emulator.start (EmulatorOptions())).Result
System.Environment.SetEnvironmentVariable("TASKCLUSTER_ROOT_URL", tc.RootUrl)
System.Environment.SetEnvironmentVariable("TASKCLUSTER_CLIENT_ID", tc.ClientId)
System.Environment.SetEnvironmentVariable("TASKCLUSTER_ACCESS_TOKEN", tc.AccessToken)
let ct = System.Threading.CancellationToken.None
(**
# Calling the services

## From F#

A `TaskclusterClient` is configured once and shared: from values (`Options.create rootUrl |>
Options.withCredentials clientId accessToken |> Client.create`) or from the environment
(`TASKCLUSTER_ROOT_URL`, `TASKCLUSTER_CLIENT_ID`, `TASKCLUSTER_ACCESS_TOKEN`,
`TASKCLUSTER_CERTIFICATE`). Bad options are an `OptionsError` naming the field, before anything
is sent.
*)
open Taskcluster.Core
open Taskcluster.Client
open Taskcluster.Services // after Taskcluster.Client, so that `Secrets` is the generated client

let client =
    Client.fromEnvironment () |> Result.defaultWith (fun e -> failwith (e.Describe()))
(**
`Taskcluster.Functional.Services` has one generated client per API (auth, github, hooks, index,
notify, object, purge-cache, queue, secrets, web-server, worker-manager): route arguments
positionally, a payload for the methods that take one, optional query parameters by name, the
cancellation token last. The JSON forms answer `Result<JsonElement, TaskclusterError>`; the same
methods with typed models are on `.Typed` (see [typed models](typed-models.html)).

A payload can be JSON text, UTF-8 bytes, a `JsonElement`, a `JsonNode`, a core `Json` value or
any object through `Payload.ofObj`. Objects are serialised with their property names exactly as
written (a task's `env = {| MOZ_BUILD_DATE = "1" |}` stays `MOZ_BUILD_DATE`) and null properties
are left out.
*)
let queue = Queue client
let groupId = Helpers.slugId().Value

let definition =
    {|
        taskQueueId = "proj-docs/worker"
        schedulerId = "-"
        taskGroupId = groupId
        created = DateTimeOffset.UtcNow
        deadline = DateTimeOffset.UtcNow.AddHours 1.0
        payload = {| env = {| MOZ_BUILD_DATE = "1" |} |}
        metadata =
            {|
                name = "docs"
                description = "A task of the docs"
                owner = "docs@example.com"
                source = "https://example.com/docs"
            |}
    |}

let taskIds = [ for _ in 1..3 -> Helpers.slugId().Value ]

for taskId in taskIds do
    match (queue.CreateTask(taskId, Payload.ofObj definition)).Result with
    | Ok json -> printfn "%s is %s" taskId (json.GetProperty("status").GetProperty("state").GetString())
    | Error e -> failwith (e.Describe())
(**
Paginated methods also come as `…Pages` and `…Items` (an `IAsyncEnumerable` that follows
`continuationToken` lazily) and `…ForEachPage` (the Python client's `paginationHandler`):
*)
let listed =
    (Pages.toList (queue.ListTaskGroupItems(groupId, limit = "2")) ct).Result
    |> Result.map List.length

(**
`Client.call` calls any method of any API reference; the generated clients are that, one method
each. Every client also has the generic `Call(methodName, args, payload, query)`, `BuildUrl` and
`BuildSignedUrl` (a bewit URL, for `GET` methods only):
*)
let byReference =
    (Client.call client QueueReference.reference QueueReference.task [ taskIds.Head ] [] Payload.Empty ct).Result

match byReference with
| Ok json -> printfn "%s" (json.GetProperty("metadata").GetProperty("name").GetString())
| Error(TaskclusterError.InsufficientScopes e) -> printfn "missing scopes: %s" e.Message
| Error e -> printfn "%s" (e.Describe())

let signed =
    Secrets(client).BuildSignedUrl("get", [ "project/x/token" ], expiration = TimeSpan.FromMinutes 5.0)

printfn "signed: %b" (signed |> Result.exists (fun url -> url.Contains "bewit="))
(**
## Options

| option | default | environment variable |
|---|---|---|
| `RootUrl` | required (validated and normalised) | `TASKCLUSTER_ROOT_URL` |
| `Credentials.ClientId` / `AccessToken` | none; give both or neither | `TASKCLUSTER_CLIENT_ID` / `TASKCLUSTER_ACCESS_TOKEN` |
| `Credentials.Certificate` | none; JSON text, a `JsonElement` or a decoded `Certificate` | `TASKCLUSTER_CERTIFICATE` |
| `AuthorizedScopes` | none; `Some []` leaves only `assume:anonymous` | — |
| `MaxRetries` | 5 | — |
| `Timeout` (per attempt) | 30 s | — |
| `SignedUrlExpiration` | 15 min | — |
| `Backoff` | 100 ms × 2^(n−1), ±25 %, at most 30 s | — |
| `HttpClient` / `HttpMessageHandler` | one shared pooled client that never follows redirects; yours must not follow them either | — |
| `Logger` | none; console debug output when `DEBUG_TASKCLUSTER_CLIENT` is set | — |
| `TraceId` | none; sent as `x-taskcluster-trace-id` | — |
| `ClockOffset` | 0; measured automatically; within ±`MaxClockOffset` | — |
| `MaxClockOffset` | 24 h; the largest offset a stale-timestamp correction adopts | — |
| `ValidateRequests` | on: request bodies are checked against their schemas before sending | — |
| `TimeProvider`, `Random` | system clock, `Random.Shared` | — |

Credentials never appear in `ToString`, `%A`, errors or logs.

**Redirects are never followed**, also with your own `HttpClient`: a client that follows
redirects re-sends a request (and its body: a secret, a task definition) to whatever host a
server names. A redirecting `HttpClientHandler` or `SocketsHttpHandler` is refused by
`Options.validate` (`OptionsError.RedirectingHandler`); a request an `HttpClient` followed anyway
is a `Redirect` error. Give `new HttpClient(new SocketsHttpHandler(AllowAutoRedirect = false))`
or leave the default.

**Inside a task or outside?** Outside a task use `Options.fromEnvironment ()` with your own
credentials. Inside a task whose payload enables the Taskcluster proxy, use
`Options.proxyFromEnvironment ()`: requests go unsigned to `TASKCLUSTER_PROXY_URL` (default
`http://taskcluster`), which signs them with the task's own scopes.

## Retries, cancellation and clock skew

- Every attempt is a fresh request with a fresh Hawk signature. 5xx, 408, 429 (honouring
  `Retry-After`), connection failures and per-attempt timeouts are retried with the official
  backoff; other 4xx never are, nor are the 5xx that say the server will never serve the request
  (501, 505, 506, 508, 510, 511). API calls and data transfers share this one table.
- Cancelling your token throws `OperationCanceledException` at once, even during a backoff delay;
  a per-attempt timeout is a `Timeout` error.
- After a 401 "stale timestamp", the client measures its clock offset from the response's `Date`,
  re-signs and retries once, and keeps the offset for later calls and signed URLs. An offset
  beyond `MaxClockOffset` is not adopted: the call ends in a `ClockSkew` error naming both times.
- A 403 carries the scopes the service says are missing as data (`ServiceError.MissingScopes`,
  C# `TaskclusterError.MissingScopes`).

## Traces and metrics

The client has one `ActivitySource` and one `Meter`, both named `Telemetry.SourceName`
(`Taskcluster.Functional`): pass it to OpenTelemetry's `AddSource` and `AddMeter`. There is one
client span per API call (`queue.createTask`) and per transfer, a `retry` event per retry, and
the instruments `taskcluster.client.call.duration`, `taskcluster.client.retries` and
`taskcluster.client.transfer.bytes`. No tag holds a URL's query, a signature or a credential.
`x-taskcluster-trace-id` is the configured `TraceId`, else the current `Activity`'s trace id.

## From C#

The C# clients are the same calls with .NET types: `Task<TaskclusterResult<T>>`, a blocking twin
of each method, `IAsyncEnumerable<TaskclusterResult<T>>` for paginated methods (a page that fails
is the last element, a failed result, never an exception), and a JSON form of each method
(`…JsonAsync`, `…Json`, `…JsonPagesAsync`, `…JsonItemsAsync`) that takes any object payload.

```csharp
var queue = new QueueClient(new Uri(rootUrl), credentials);

await foreach (var task in queue.ListTaskGroupItemsAsync(taskGroupId, limit: 100, cancellationToken: cancellationToken))
{
    if (!task.IsSuccess) { Console.WriteLine(task.Error.Description); break; }
    Console.WriteLine(task.Value.Status.TaskId);             // TaskDefinitionAndStatus
}

var json = await queue.StatusJsonAsync(taskId);             // the same call as a JsonElement
var signed = queue.BuildSignedUrl("getLatestArtifact", [taskId, "public/logs/live.log"]);
```

A service this package has no class for is called from its API reference, like Python's
`createApiClient`:

```csharp
var custom = new TaskclusterApiClient(apiReferenceJson, new Uri(rootUrl), credentials);
var thing = await custom.CallAsync("getThing", ["thing-1"], cancellationToken: cancellationToken);
```

For test doubles, `TaskclusterResult.Success(value)` and `TaskclusterResult.Failure<T>(error)`
make results, and `new TaskclusterError(kind, description) { Status = 404, Code =
"ResourceNotFound" }` makes an error; every client method is `virtual`, with a protected
constructor for mocking.
*)
(*** hide ***)
tc.StopAsync().Wait()
