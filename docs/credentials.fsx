(**
---
title: Hawk, bewits and temporary credentials
category: Capabilities
categoryindex: 2
index: 4
---
*)
(*** hide ***)
#load ".include/references.fsx"
open Taskcluster.Emulator
let tc = (Emulator.start (EmulatorOptions())).Result
(**
# Hawk, bewits and temporary credentials

Taskcluster authenticates every request with [Hawk](https://github.com/mozilla/hawk): an
`Authorization` header signed with the client's access token, or a *bewit* in the query of a
signed URL. The client does this for you; the core exposes the pieces, pure — the timestamp and
the nonce are arguments, the core reads no clock and no randomness.
*)
open System
open FsToolkit.ErrorHandling
open Taskcluster.Core

let creds =
    Hawk.credentials "project/ci/builder" "an-access-token"
    |> Result.defaultWith (fun e -> failwith (e.Describe()))

let url = "https://tc.example.com/api/queue/v1/task/fN1SbArXTPSVFNUvaOlinQ"

// The Taskcluster ext: a certificate and/or authorizedScopes, as base64 JSON.
let ext =
    Certificate.Ext.encode { Certificate.Ext.empty with AuthorizedScopes = Some [ "queue:get-task:*" ] }

let header = Hawk.header creds "GET" url 1_800_000_000L "k3j4h2" ext None
let signedUrl = Hawk.signUrl creds url (1_800_000_000L + 900L) None

(**
The server side, as the emulator does it: a strict parse, a constant-time check, the skew window.
*)
let verified =
    result {
        let! value = header
        let! parsed = Hawk.parseHeader value
        let! request = Hawk.request "GET" url
        do! Hawk.verifyHeader parsed request "an-access-token" None 1_800_000_010L Hawk.defaultSkewSeconds
    }

(**
## Temporary credentials

Temporary credentials carry a certificate signed by the issuer: a subset of its scopes, for at
most 31 days. `Helpers.createTemporaryCredentials` reads the clock and the randomness for you;
`Certificate.createTemporaryCredentials` in the core takes them as arguments. Here a restricted
client made from the emulator's root credentials calls the queue:
*)
open Taskcluster.Client
open Taskcluster.Services

let root: Taskcluster.Client.Credentials =
    { ClientId = tc.ClientId; AccessToken = tc.AccessToken; Certificate = None }

let temporary =
    Helpers.createTemporaryCredentialsFor
        TimeProvider.System
        root
        (TimeSpan.FromHours 1.0)
        [ "queue:get-task:*"; "queue:status:*" ]
        None
    |> Result.defaultWith (fun e -> failwith (e.Describe()))

let temporaryClient =
    { Options.create tc.RootUrl with Credentials = Some(Helpers.credentialsOf temporary) }
    |> Client.create
    |> Result.defaultWith (fun e -> failwith (e.Describe()))

// Allowed: a task that does not exist is a 404, after authentication.
match (Queue(temporaryClient).Status "fN1SbArXTPSVFNUvaOlinQ").Result with
| Error(TaskclusterError.ClientError e) -> printfn "authenticated; %d %A" e.Status e.Code
| other -> printfn "%A" other

// Not allowed: these credentials cannot create tasks.
let definition =
    {|
        taskQueueId = "proj-docs/worker"
        created = DateTimeOffset.UtcNow
        deadline = DateTimeOffset.UtcNow.AddHours 1.0
        payload = {| |}
        metadata = {| name = "n"; description = "d"; owner = "docs@example.com"; source = "https://example.com/docs" |}
    |}

match (Queue(temporaryClient).CreateTask(Helpers.slugId().Value, Payload.ofObj definition)).Result with
| Error(TaskclusterError.InsufficientScopes e) -> printfn "refused: %A" e.Code
| other -> failwithf "temporary credentials were not refused: %A" other
(**
An empty scope list produces a certificate the auth service accepts (the official JS client signs
that case in a way the service rejects). `Certificate.isExpired` says whether credentials are
within 20 minutes of their expiry and should be renewed.

## Signed URLs

`BuildSignedUrl` (F# and C#) gives a URL of a `GET` method with a bewit: anyone can fetch it,
without credentials, until it expires (15 minutes unless you say otherwise).
*)
let client =
    Options.create tc.RootUrl
    |> Options.withCredentials tc.ClientId tc.AccessToken
    |> Client.create
    |> Result.defaultWith (fun e -> failwith (e.Describe()))

(Secrets client).Set("project/docs/token", Payload.ofObj {| secret = {| token = "s3cr3t" |}; expires = DateTimeOffset.UtcNow.AddDays 1.0 |}).Result
|> Result.defaultWith (fun e -> failwith (e.Describe()))

let secretUrl =
    (Secrets client).BuildSignedUrl("get", [ "project/docs/token" ], expiration = TimeSpan.FromMinutes 5.0)
    |> Result.defaultWith (fun e -> failwith (e.Describe()))

let http = new System.Net.Http.HttpClient()
let fetched = http.GetAsync(secretUrl).Result
printfn "a plain GET of the signed URL: %d" (int fetched.StatusCode)
(**
## From C#

```csharp
var temporary = credentials.CreateTemporary(TimeSpan.FromHours(1), ["queue:get-task:*"]);
var queue = new QueueClient(new Uri(rootUrl), temporary);
var url = queue.BuildSignedUrl("task", [taskId], expiration: TimeSpan.FromMinutes(5)).GetValueOrThrow();
Console.WriteLine(temporary.IsExpired(DateTimeOffset.UtcNow));   // true within 20 minutes of expiry
```
*)
(*** hide ***)
tc.StopAsync().Wait()
