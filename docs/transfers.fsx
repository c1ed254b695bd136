(**
---
title: Uploads, downloads and artifacts
category: Capabilities
categoryindex: 2
index: 5
---
*)
(*** hide ***)
#load ".include/references.fsx"
open System
open Taskcluster.Emulator
let tc = (Emulator.start (EmulatorOptions())).Result
let ct = System.Threading.CancellationToken.None
(**
# Uploads, downloads and artifacts

`Transfer` moves objects to and from the object service the way the official clients do, in
bounded memory: data streams in 256 KiB chunks, hashed once (SHA-256 and SHA-512) on its way;
objects under 8 KiB go inline. Failed data requests (5xx, dropped or truncated connections,
stalls) are retried, expired signed URLs are renewed, and a download is verified against every
hash the service recorded — a mismatch is an error, never retried into success.
`downloadToFile` writes a temporary file beside the destination and renames it only once
verified: a failed or cancelled download leaves no file.
*)
open Taskcluster.Client
open Taskcluster.Services

let client =
    Options.create tc.RootUrl
    |> Options.withCredentials tc.ClientId tc.AccessToken
    |> Client.create
    |> Result.defaultWith (fun e -> failwith (e.Describe()))

let objects = ObjectApi.ofService (Object client)
let expires = DateTimeOffset.UtcNow.AddDays 1.0
let data = Array.init 100_000 byte

let uploaded =
    (Transfer.uploadFromBuf objects Transfer.defaults (Transfer.uploadRequest "proj-docs" "builds/app.bin" expires) (ReadOnlyMemory data) ct).Result
    |> Result.defaultWith (fun e -> failwith (e.Describe()))

let downloaded =
    (Transfer.downloadToBuf objects Transfer.defaults "builds/app.bin" ct).Result
    |> Result.defaultWith (fun e -> failwith (e.Describe()))

printfn "uploaded %d bytes by %A, sha256 %s" uploaded.Length uploaded.Method uploaded.Sha256
printfn "downloaded %d bytes, verified %A, equal: %b" (snd downloaded).Length (snd downloaded).VerifiedHashes (fst downloaded = data)
(**
`uploadFromFile`, `uploadFromStream`, `downloadToFile`, `downloadToStream` and the factory forms
`upload`/`download` (a stream opened once per attempt) work the same way. `TransferOptions` take
a retry count and an `IProgress<TransferProgress>`.

## Artifacts

`Artifact` does the queue's side: `Artifact.upload…` creates `object` artifacts (createArtifact →
upload → finishArtifact); `createReference`, `createLink` and `createError` make the others.
`Artifact.download…` handles every storage type: `s3` and `reference` URLs are fetched without
Taskcluster credentials, `object` artifacts through the object service with the credentials the
queue hands out, `error` artifacts become `TransferError.ArtifactError` with the worker's reason.
`Artifact.downloadManaged…` (the JS client's `downloadManagedArtifact`) refuses `reference`
artifacts before fetching anything. Names with a `.` or `..` path segment are refused before any
request.

An artifact belongs to a running task, so here a task is created and claimed first:
*)
let queue = Queue client
let taskId = Helpers.slugId().Value

(queue.CreateTask(
    taskId,
    Payload.ofObj
        {|
            taskQueueId = "proj-docs/worker"
            created = DateTimeOffset.UtcNow
            deadline = DateTimeOffset.UtcNow.AddHours 1.0
            expires = DateTimeOffset.UtcNow.AddDays 2.0
            payload = {| |}
            metadata = {| name = "artifacts"; description = "d"; owner = "docs@example.com"; source = "https://example.com/docs" |}
        |}
))
    .Result
|> Result.defaultWith (fun e -> failwith (e.Describe()))

(queue.ClaimWork("proj-docs/worker", Payload.ofObj {| workerGroup = "docs"; workerId = "w1"; tasks = 1 |})).Result
|> Result.defaultWith (fun e -> failwith (e.Describe()))

let artifacts = QueueApi.ofService queue

(Artifact.uploadFromBuf artifacts Transfer.defaults (Artifact.uploadRequest taskId 0 "public/summary.txt" expires) (ReadOnlyMemory "done"B) ct).Result
|> Result.defaultWith (fun e -> failwith (e.Describe()))

match (Artifact.downloadToBuf artifacts Transfer.defaults taskId None "public/summary.txt" ct).Result with
| Ok(bytes, _) -> printfn "the latest run's summary: %s" (Text.Encoding.UTF8.GetString bytes)
| Error e -> printfn "%s" (e.Describe())

match (Artifact.downloadToBuf artifacts Transfer.defaults taskId None "public/../secret" ct).Result with
| Ok _ -> failwith "a dot segment was accepted"
| Error e -> printfn "%s" (e.Describe())
(**
`TaskclusterConfig` and `Secrets.loadSecrets` are the Python helper's `TaskclusterConfig` and
`load_secrets`: the root URL and credentials from arguments, the environment or the
taskcluster-proxy, clients of any service, and secrets merged by prefix.
Since 0.1.0 (breaking, F# only), `TaskclusterConfig.loadSecrets` no longer takes the secrets
reference and `Secrets.loadSecrets` takes `SecretsApi.ofService (Secrets client)`.

## From C#

`ObjectClient` and `QueueClient` carry the transfers as `…Async` methods returning
`TaskclusterResult<UploadResult>`, `<DownloadResult>`, `<BytesDownload>` or `<CreatedArtifact>`,
each with a blocking twin. Failures are results with their own kinds (`HashMismatch`,
`LengthMismatch`, `NoAcceptableHash`, `UnsupportedMethod`, `ArtifactError`, `FileError`);
cancelling throws `OperationCanceledException` and leaves no destination file.

```csharp
var objects = new ObjectClient(new Uri(rootUrl), credentials);
var expires = DateTimeOffset.UtcNow.AddDays(7);

var uploaded = await objects.UploadFromFileAsync("my-project", "docs/app.tar.gz", "application/gzip", expires, file,
    new UploadOptions { Progress = new Progress<TransferProgress>(p => Console.WriteLine($"{p.BytesTransferred}/{p.TotalBytes}")) },
    cancellationToken);
Console.WriteLine(uploaded.Match(u => $"sha256 {u.Sha256}", e => e.Description));

// Verified against the recorded hashes; on any failure `copy` is left as it was.
var downloaded = await objects.DownloadToFileAsync("docs/app.tar.gz", copy, cancellationToken: cancellationToken);
if (downloaded.Error is { Kind: TaskclusterErrorKind.HashMismatch } corrupt)
    Console.WriteLine($"{corrupt.Algorithm}: expected {corrupt.ExpectedHash}, got {corrupt.ActualHash}");

var queue = new QueueClient(new Uri(rootUrl), credentials);
(await queue.UploadArtifactFromBytesAsync(taskId, runId, "public/docs-summary.txt", "text/plain", expires, "done"u8.ToArray(),
    cancellationToken: cancellationToken)).GetValueOrThrow();
var summary = await queue.DownloadArtifactToBytesAsync(taskId, null, "public/docs-summary.txt", cancellationToken: cancellationToken); // null: the latest run
```
*)
(*** hide ***)
tc.StopAsync().Wait()
