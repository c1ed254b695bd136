(**
---
title: The emulator
category: Capabilities
categoryindex: 2
index: 6
---
*)
(*** hide ***)
#load ".include/references.fsx"
(**
# The emulator

`Taskcluster.Functional.Emulator` runs a Taskcluster deployment on `127.0.0.1` inside your test
process. It is a **test double for offline use, not a Taskcluster replacement**: state lives in
memory and no workers run. Every method of the 11 services works; authentication and authorisation follow the auth service's rules exactly (Hawk,
bewits, temporary credentials, `authorizedScopes`, roles, `assume:anonymous`), and payloads are
checked against the real JSON schemas. Every page of this site runs against one.

## From F#
*)
open System
open Taskcluster.Emulator
open Taskcluster.Client
open Taskcluster.Services

let tc = (Emulator.start (EmulatorOptions())).Result
// tc.RootUrl, tc.ClientId, tc.AccessToken: the root client holds `*`.

tc.State.CreateClient("project/ci", "a-token", [ "secrets:get:project/ci/*" ])
tc.State.CreateRole("project:ci", [ "secrets:set:project/ci/*" ])

let client =
    Options.create tc.RootUrl
    |> Options.withCredentials tc.ClientId tc.AccessToken
    |> Client.create
    |> Result.defaultWith (fun e -> failwith (e.Describe()))
(**
Faults are injected per route (or per blob URL): status codes for the next calls, delays,
dropped connections, truncated bodies, corrupted or expired blob URLs. The client retries the
first two 503s here and succeeds on the third attempt:
*)
tc.Faults.FailNext("secrets", "set", 503, 2)

let secret =
    {| secret = {| token = "t" |}; expires = DateTimeOffset.UtcNow.AddDays 1.0 |}

match (Secrets(client).Set("project/ci/token", Payload.ofObj secret)).Result with
| Ok _ -> printfn "stored after retries; secrets now: %A" (List.ofSeq tc.State.SecretNames)
| Error e -> printfn "%s" (e.Describe())

// What the emulator saw, for the test to assert on.
for r in tc.State.Requests do
    printfn "%s %s.%s -> %d" r.HttpMethod r.Service r.Method r.Status
(**
The state is there to read and to prepare: `tc.State.TaskIds`, `TaskState`, `ClientIds`,
`RoleIds`, `ExpandScopes`, `ObjectNames`, `IndexPaths`, `Notifications` (recorded, never sent),
`SetRepositoryFile`, `SetCollaborators`, `GithubStatuses` and `GithubComments` for the GitHub
service. Pass a `TimeProvider` in the options for a fake clock (hooks fire on their schedules
by it).

The GitHub service applies a repository's pull-request policy as tc-github does: it reads
`policy.pullRequests` from the `.taskcluster.yml` on the default branch (the delivery's
`repository.default_branch`), never from the pull request's own copy, so a pull request cannot
loosen it. A pull request is trusted when the user who opened it collaborates and its head is a
collaborator's repository or the base repository itself; trusted ones run with the role
`repo:github.com/<owner>/<repo>:pull-request`. Others, under `collaborators` (the default), get
no tasks and, when opened, a comment saying why (`GithubComments`); under `collaborators_quiet`
(also what a default branch without the file means) no comment; under `public_restricted` they
run with `…:pull-request-untrusted` and `tasks_for` `github-pull-request-untrusted`; under
`public` they run as a collaborator's would. The test decides who collaborates:
*)
let policy = "version: 1\npolicy:\n  pullRequests: public_restricted\ntasks: []\n"
tc.State.SetRepositoryFile("myorg", "myrepo", "main", ".taskcluster.yml", policy)
tc.State.SetCollaborators("myorg", "myrepo", [ "alice"; "bob" ])
(*** hide ***)
tc.StopAsync().Wait()
(**
## From C#

```csharp
using Taskcluster.Emulator;

await using var tc = await TaskclusterEmulator.StartAsync();
var queue = new QueueClient(tc.RootUri, new TaskclusterCredentials(tc.ClientId, tc.AccessToken));
tc.Faults.FailNext("queue", "status", 500, 1);
var status = await queue.StatusAsync(SlugIds.NewSlugId());
Console.WriteLine(status.Error?.Kind);   // the retry met a missing task: ClientError
```

## From the command line

```sh
dotnet run --project src/Taskcluster.Emulator -- --port 0
```

prints `{"rootUrl": …, "clientId": …, "accessToken": …}` as its first line, then a banner; Ctrl+C
or SIGTERM stops it. `--client-id`, `--access-token`, `--max-body-bytes`, `--max-blob-bytes`,
`--blob-dir` and `--pulse-url` set the options; `--help` lists them.

## Pulse

Given a RabbitMQ broker (`EmulatorOptions.PulseUrl`, `--pulse-url amqp://…`), the emulator
declares Taskcluster's topic exchanges there and publishes what the real queue publishes
(`task-defined`, `task-pending`, `task-running`, `artifact-created`, `task-completed`,
`task-failed`, `task-exception`, `task-group-resolved`) at the same transitions, as well as the
hooks' `hook-created`/`-updated`/`-deleted`, notify's `notification` and worker-manager's
`worker-pool-created`/`-updated`/`-error`, with the real routing keys and `route.<route>` CCs. Without it, nothing is published.

## Where it differs from the services

It follows the auth service and taskcluster-lib-api where it matters to a client, and differs on
purpose where the services would fail or store bad data: a write that the method reading it back
would refuse is a 400 and not stored; a JSON body with a lone UTF-16 surrogate is a 400
`MalformedPayload`; a percent-escape that does not decode is a 400 with a JSON body. No request a
client can send gets a 5xx.
*)
