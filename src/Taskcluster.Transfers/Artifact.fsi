namespace Taskcluster.Client

open System
open System.IO
open System.Text.Json
open System.Threading
open System.Threading.Tasks
open Taskcluster.Core

/// The queue methods artifact transfers call, as functions: the generated `Queue` client's
/// (`QueueApi.ofService`), or a fake's; and how to reach the object service with the
/// credentials the queue hands out for `object` artifacts.
[<NoEquality; NoComparison>]
type QueueApi =
    {
        /// The client data requests are made with, and from which object-service clients are
        /// derived (same root URL and settings, the queue's temporary credentials).
        Client: TaskclusterClient
        /// `queue.artifact(taskId, runId, name)`: where an artifact's data is.
        Artifact: string -> int -> string -> CancellationToken -> Task<Result<JsonElement, TaskclusterError>>
        /// `queue.latestArtifact(taskId, name)`: the same for the latest run.
        LatestArtifact: string -> string -> CancellationToken -> Task<Result<JsonElement, TaskclusterError>>
        /// `queue.createArtifact(taskId, runId, name, payload)`.
        CreateArtifact:
            string -> int -> string -> Json -> CancellationToken -> Task<Result<JsonElement, TaskclusterError>>
        /// `queue.finishArtifact(taskId, runId, name, payload)`.
        FinishArtifact:
            string -> int -> string -> Json -> CancellationToken -> Task<Result<JsonElement, TaskclusterError>>
        /// The object service through a client (one holding the queue's temporary credentials).
        Objects: TaskclusterClient -> ObjectApi
    }

/// Building a `QueueApi`.
[<RequireQualifiedAccess>]
module QueueApi =
    /// The methods of the generated queue client (`Queue client`), and the object service
    /// through the generated `Object` client of the same deployment and settings.
    val ofService: queue: Taskcluster.Services.Queue -> QueueApi

/// An artifact to upload.
type ArtifactUpload =
    {
        /// The task.
        TaskId: string
        /// The run (it must be running, or have ended in an exception a moment ago).
        RunId: int
        /// The artifact's name, e.g. `public/build/target.tar.gz`.
        Name: string
        /// The content type it is served with.
        ContentType: string
        /// When the queue may delete it (not after the task expires).
        Expires: DateTimeOffset
    }

/// Task artifacts through the queue: downloads of every storage type, and uploads the modern
/// way (`object` artifacts), plus the `reference`, `link` and `error` artifacts that carry no
/// data.
[<RequireQualifiedAccess>]
module Artifact =
    /// An artifact upload of `application/octet-stream` data.
    val uploadRequest: taskId: string -> runId: int -> name: string -> expires: DateTimeOffset -> ArtifactUpload

    /// `downloadArtifact`: asks the queue where the artifact of run `runId` (`None`: the latest
    /// run) is, then by its storage type: `s3` and `reference` are fetched with a plain GET of
    /// the URL the queue returned, without Taskcluster credentials, with retries (http(s)
    /// redirects followed, any other URL refused as a typed error; an `s3` URL refused with
    /// 401/403 is asked for again once); `object` is a
    /// `Transfer.download` with the temporary credentials the queue returned; `error` is an
    /// `ArtifactError` with the worker's reason and message. The queue resolves `link`
    /// artifacts itself.
    val download:
        queue: QueueApi ->
        options: TransferOptions ->
        taskId: string ->
        runId: int option ->
        name: string ->
        writer: WriterFactory ->
        cancellationToken: CancellationToken ->
            Task<Result<Downloaded, TransferError>>

    /// `downloadArtifactToBuf`: `download` into memory (verified bytes only, for `object`
    /// artifacts).
    val downloadToBuf:
        queue: QueueApi ->
        options: TransferOptions ->
        taskId: string ->
        runId: int option ->
        name: string ->
        cancellationToken: CancellationToken ->
            Task<Result<byte array * Downloaded, TransferError>>

    /// `downloadManagedArtifact`: `download` of artifacts whose data the deployment manages
    /// (`s3`, `object`), refusing `reference` artifacts with `UnsupportedMethod` before any
    /// byte is fetched: a reference artifact's URL is whatever the task that created it chose,
    /// and a downloader of untrusted tasks' artifacts should not fetch arbitrary URLs.
    val downloadManaged:
        queue: QueueApi ->
        options: TransferOptions ->
        taskId: string ->
        runId: int option ->
        name: string ->
        writer: WriterFactory ->
        cancellationToken: CancellationToken ->
            Task<Result<Downloaded, TransferError>>

    /// `downloadManaged` into memory.
    val downloadManagedToBuf:
        queue: QueueApi ->
        options: TransferOptions ->
        taskId: string ->
        runId: int option ->
        name: string ->
        cancellationToken: CancellationToken ->
            Task<Result<byte array * Downloaded, TransferError>>

    /// `downloadManaged` into a writable, seekable stream from its current position.
    val downloadManagedToStream:
        queue: QueueApi ->
        options: TransferOptions ->
        taskId: string ->
        runId: int option ->
        name: string ->
        stream: Stream ->
        cancellationToken: CancellationToken ->
            Task<Result<Downloaded, TransferError>>

    /// `downloadManaged` into a temporary file renamed over `path` on success only.
    val downloadManagedToFile:
        queue: QueueApi ->
        options: TransferOptions ->
        taskId: string ->
        runId: int option ->
        name: string ->
        path: string ->
        cancellationToken: CancellationToken ->
            Task<Result<Downloaded, TransferError>>

    /// `download` into a writable, seekable stream from its current position (see
    /// `Transfer.downloadToStream`).
    val downloadToStream:
        queue: QueueApi ->
        options: TransferOptions ->
        taskId: string ->
        runId: int option ->
        name: string ->
        stream: Stream ->
        cancellationToken: CancellationToken ->
            Task<Result<Downloaded, TransferError>>

    /// `downloadArtifactToFile`: `download` into a temporary file renamed over `path` on
    /// success only (see `Transfer.downloadToFile`).
    val downloadToFile:
        queue: QueueApi ->
        options: TransferOptions ->
        taskId: string ->
        runId: int option ->
        name: string ->
        path: string ->
        cancellationToken: CancellationToken ->
            Task<Result<Downloaded, TransferError>>

    /// Uploads an `object` artifact: `createArtifact` with storage type `object`, a
    /// `Transfer.upload` of the data with the object name, project, upload id, expiry and
    /// temporary credentials the queue returned, then `finishArtifact`.
    val upload:
        queue: QueueApi ->
        options: TransferOptions ->
        artifact: ArtifactUpload ->
        contentLength: int64 ->
        reader: ReaderFactory ->
        cancellationToken: CancellationToken ->
            Task<Result<Uploaded, TransferError>>

    /// `upload` of bytes in memory.
    val uploadFromBuf:
        queue: QueueApi ->
        options: TransferOptions ->
        artifact: ArtifactUpload ->
        data: ReadOnlyMemory<byte> ->
        cancellationToken: CancellationToken ->
            Task<Result<Uploaded, TransferError>>

    /// `upload` of a readable, seekable stream from position 0 (left open).
    val uploadFromStream:
        queue: QueueApi ->
        options: TransferOptions ->
        artifact: ArtifactUpload ->
        stream: Stream ->
        cancellationToken: CancellationToken ->
            Task<Result<Uploaded, TransferError>>

    /// `upload` of a file's contents.
    val uploadFromFile:
        queue: QueueApi ->
        options: TransferOptions ->
        artifact: ArtifactUpload ->
        path: string ->
        cancellationToken: CancellationToken ->
            Task<Result<Uploaded, TransferError>>

    /// Creates a `reference` artifact: the queue redirects fetches to `url` (which receives no
    /// Taskcluster credentials).
    val createReference:
        queue: QueueApi ->
        taskId: string ->
        runId: int ->
        name: string ->
        url: string ->
        contentType: string ->
        expires: DateTimeOffset ->
        cancellationToken: CancellationToken ->
            Task<Result<unit, TransferError>>

    /// Creates a `link` artifact: fetches of it are fetches of the task's artifact `target`.
    val createLink:
        queue: QueueApi ->
        taskId: string ->
        runId: int ->
        name: string ->
        target: string ->
        expires: DateTimeOffset ->
        cancellationToken: CancellationToken ->
            Task<Result<unit, TransferError>>

    /// Creates an `error` artifact: fetches of it fail with `reason` (`file-missing-on-worker`,
    /// `invalid-resource-on-worker`, `too-large-file-on-worker` or `file-not-readable-on-worker`)
    /// and `message`.
    val createError:
        queue: QueueApi ->
        taskId: string ->
        runId: int ->
        name: string ->
        reason: string ->
        message: string ->
        expires: DateTimeOffset ->
        cancellationToken: CancellationToken ->
            Task<Result<unit, TransferError>>
