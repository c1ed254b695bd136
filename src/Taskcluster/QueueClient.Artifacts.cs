using F = Taskcluster.Client;

// Overloads document only what differs from the member they name in <inheritdoc>; the other
// parameters' docs come from there, which the compiler does not see.
#pragma warning disable CS1573

namespace Taskcluster;

/// <summary>Task artifacts: downloads of every storage type and uploads, beside the generated queue methods.</summary>
/// <remarks>
/// Downloads ask the queue where the artifact is, then follow its storage type: <c>s3</c> and
/// <c>reference</c> URLs are fetched without Taskcluster credentials, <c>object</c> artifacts
/// through the object service with the credentials the queue hands out (and verified against
/// their hashes), <c>link</c> artifacts are resolved by the queue, and <c>error</c> artifacts
/// end in a <see cref="TaskclusterErrorKind.ArtifactError"/> carrying the worker's reason.
/// Uploads create <c>object</c> artifacts (createArtifact, upload, finishArtifact). Failures
/// are results; cancelling the token throws <see cref="OperationCanceledException"/>.
/// </remarks>
public partial class QueueClient
{
    private F.QueueApi Artifacts() => F.QueueApiModule.ofService(_service);

    private DownloadSource Source(string taskId, int? runId, string name, bool managed) =>
        DownloadSource.Artifact(Artifacts(), taskId, runId, name, managed);

    private UploadTarget Target(string taskId, int runId, string name, string contentType, DateTimeOffset expires) =>
        UploadTarget.Artifact(Artifacts(), taskId, runId, name, contentType, expires);

    /// <summary><c>downloadArtifact</c>: streams an artifact's data into the factory's streams.</summary>
    /// <remarks>Required scopes: <c>queue:get-artifact:&lt;name&gt;</c> (none for <c>public/</c> artifacts).</remarks>
    /// <param name="taskId">The task.</param>
    /// <param name="runId">The run; null for the latest run.</param>
    /// <param name="name">The artifact's name, e.g. <c>public/logs/live.log</c>.</param>
    /// <param name="writerFactory">Opens an empty destination; called again for every attempt, and each stream is disposed when its attempt ends.</param>
    /// <param name="options">Retries and progress; null for the defaults.</param>
    /// <param name="cancellationToken">Cancels the download (it then throws <see cref="OperationCanceledException"/>).</param>
    /// <returns>The content type, length, method and verified hashes, or why the download failed.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public virtual Task<TaskclusterResult<DownloadResult>> DownloadArtifactAsync(string taskId, int? runId, string name, Func<CancellationToken, Task<Stream>> writerFactory, TransferOptions? options = null, CancellationToken cancellationToken = default) =>
        TransferAdapt.Download(Source(taskId, runId, name, managed: false), DownloadSink.OfWriter(writerFactory, nameof(writerFactory)), options, cancellationToken);

    /// <inheritdoc cref="DownloadArtifactAsync"/>
    /// <param name="writerFactory">Opens an empty destination, blocking; called again for every attempt, and each stream is disposed when its attempt ends.</param>
    public virtual TaskclusterResult<DownloadResult> DownloadArtifact(string taskId, int? runId, string name, Func<CancellationToken, Stream> writerFactory, TransferOptions? options = null, CancellationToken cancellationToken = default) =>
        Sync.Run(() => DownloadArtifactAsync(taskId, runId, name, TransferAdapt.Opening(writerFactory, nameof(writerFactory)), options, cancellationToken));

    /// <summary><c>downloadArtifactToBuf</c>: an artifact's data in memory (for <c>object</c> artifacts, only once verified).</summary>
    /// <inheritdoc cref="DownloadArtifactAsync"/>
    /// <param name="name">The artifact's name.</param>
    /// <returns>The bytes and content type, or why the download failed.</returns>
    public virtual Task<TaskclusterResult<BytesDownload>> DownloadArtifactToBytesAsync(string taskId, int? runId, string name, TransferOptions? options = null, CancellationToken cancellationToken = default) =>
        TransferAdapt.DownloadBytes(Source(taskId, runId, name, managed: false), options, cancellationToken);

    /// <inheritdoc cref="DownloadArtifactToBytesAsync"/>
    public virtual TaskclusterResult<BytesDownload> DownloadArtifactToBytes(string taskId, int? runId, string name, TransferOptions? options = null, CancellationToken cancellationToken = default) =>
        Sync.Run(() => DownloadArtifactToBytesAsync(taskId, runId, name, options, cancellationToken));

    /// <summary>Downloads an artifact into a writable, seekable stream from its current position (truncated back to it for every attempt, left open).</summary>
    /// <inheritdoc cref="DownloadArtifactAsync"/>
    /// <param name="name">The artifact's name.</param>
    /// <param name="destination">The stream to write to.</param>
    public virtual Task<TaskclusterResult<DownloadResult>> DownloadArtifactToStreamAsync(string taskId, int? runId, string name, Stream destination, TransferOptions? options = null, CancellationToken cancellationToken = default) =>
        TransferAdapt.Download(Source(taskId, runId, name, managed: false), DownloadSink.OfStream(destination, nameof(destination)), options, cancellationToken);

    /// <inheritdoc cref="DownloadArtifactToStreamAsync"/>
    public virtual TaskclusterResult<DownloadResult> DownloadArtifactToStream(string taskId, int? runId, string name, Stream destination, TransferOptions? options = null, CancellationToken cancellationToken = default) =>
        Sync.Run(() => DownloadArtifactToStreamAsync(taskId, runId, name, destination, options, cancellationToken));

    /// <summary><c>downloadArtifactToFile</c>: downloads into a temporary file renamed over <paramref name="path"/> on success only; a failure leaves no file.</summary>
    /// <inheritdoc cref="DownloadArtifactAsync"/>
    /// <param name="name">The artifact's name.</param>
    /// <param name="path">The destination file.</param>
    public virtual Task<TaskclusterResult<DownloadResult>> DownloadArtifactToFileAsync(string taskId, int? runId, string name, string path, TransferOptions? options = null, CancellationToken cancellationToken = default) =>
        TransferAdapt.Download(Source(taskId, runId, name, managed: false), DownloadSink.OfFile(path, nameof(path)), options, cancellationToken);

    /// <inheritdoc cref="DownloadArtifactToFileAsync"/>
    public virtual TaskclusterResult<DownloadResult> DownloadArtifactToFile(string taskId, int? runId, string name, string path, TransferOptions? options = null, CancellationToken cancellationToken = default) =>
        Sync.Run(() => DownloadArtifactToFileAsync(taskId, runId, name, path, options, cancellationToken));

    /// <summary><c>downloadManagedArtifact</c>: <see cref="DownloadArtifactAsync"/> for artifacts whose data the deployment manages (<c>s3</c>, <c>object</c>), refusing <c>reference</c> artifacts.</summary>
    /// <remarks>
    /// A <c>reference</c> artifact's URL is whatever the task that created it chose; these methods end in a
    /// <see cref="TaskclusterErrorKind.UnsupportedMethod"/> error for one, before fetching anything, so a
    /// downloader of untrusted tasks' artifacts never fetches an arbitrary URL.
    /// Required scopes: <c>queue:get-artifact:&lt;name&gt;</c> (none for <c>public/</c> artifacts).
    /// </remarks>
    /// <param name="taskId">The task.</param>
    /// <param name="runId">The run; null for the latest run.</param>
    /// <param name="name">The artifact's name, e.g. <c>public/logs/live.log</c>.</param>
    /// <param name="writerFactory">Opens an empty destination; called again for every attempt, and each stream is disposed when its attempt ends.</param>
    /// <param name="options">Retries and progress; null for the defaults.</param>
    /// <param name="cancellationToken">Cancels the download (it then throws <see cref="OperationCanceledException"/>).</param>
    /// <returns>The content type, length, method and verified hashes, or why the download failed.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public virtual Task<TaskclusterResult<DownloadResult>> DownloadManagedArtifactAsync(string taskId, int? runId, string name, Func<CancellationToken, Task<Stream>> writerFactory, TransferOptions? options = null, CancellationToken cancellationToken = default) =>
        TransferAdapt.Download(Source(taskId, runId, name, managed: true), DownloadSink.OfWriter(writerFactory, nameof(writerFactory)), options, cancellationToken);

    /// <inheritdoc cref="DownloadManagedArtifactAsync"/>
    /// <param name="writerFactory">Opens an empty destination, blocking; called again for every attempt, and each stream is disposed when its attempt ends.</param>
    public virtual TaskclusterResult<DownloadResult> DownloadManagedArtifact(string taskId, int? runId, string name, Func<CancellationToken, Stream> writerFactory, TransferOptions? options = null, CancellationToken cancellationToken = default) =>
        Sync.Run(() => DownloadManagedArtifactAsync(taskId, runId, name, TransferAdapt.Opening(writerFactory, nameof(writerFactory)), options, cancellationToken));

    /// <summary>A managed artifact's data in memory (for <c>object</c> artifacts, only once verified).</summary>
    /// <inheritdoc cref="DownloadManagedArtifactAsync"/>
    /// <param name="name">The artifact's name.</param>
    /// <returns>The bytes and content type, or why the download failed.</returns>
    public virtual Task<TaskclusterResult<BytesDownload>> DownloadManagedArtifactToBytesAsync(string taskId, int? runId, string name, TransferOptions? options = null, CancellationToken cancellationToken = default) =>
        TransferAdapt.DownloadBytes(Source(taskId, runId, name, managed: true), options, cancellationToken);

    /// <inheritdoc cref="DownloadManagedArtifactToBytesAsync"/>
    public virtual TaskclusterResult<BytesDownload> DownloadManagedArtifactToBytes(string taskId, int? runId, string name, TransferOptions? options = null, CancellationToken cancellationToken = default) =>
        Sync.Run(() => DownloadManagedArtifactToBytesAsync(taskId, runId, name, options, cancellationToken));

    /// <summary>Downloads a managed artifact into a writable, seekable stream from its current position (truncated back to it for every attempt, left open).</summary>
    /// <inheritdoc cref="DownloadManagedArtifactAsync"/>
    /// <param name="name">The artifact's name.</param>
    /// <param name="destination">The stream to write to.</param>
    public virtual Task<TaskclusterResult<DownloadResult>> DownloadManagedArtifactToStreamAsync(string taskId, int? runId, string name, Stream destination, TransferOptions? options = null, CancellationToken cancellationToken = default) =>
        TransferAdapt.Download(Source(taskId, runId, name, managed: true), DownloadSink.OfStream(destination, nameof(destination)), options, cancellationToken);

    /// <inheritdoc cref="DownloadManagedArtifactToStreamAsync"/>
    public virtual TaskclusterResult<DownloadResult> DownloadManagedArtifactToStream(string taskId, int? runId, string name, Stream destination, TransferOptions? options = null, CancellationToken cancellationToken = default) =>
        Sync.Run(() => DownloadManagedArtifactToStreamAsync(taskId, runId, name, destination, options, cancellationToken));

    /// <summary>Downloads a managed artifact into a temporary file renamed over <paramref name="path"/> on success only; a failure leaves no file.</summary>
    /// <inheritdoc cref="DownloadManagedArtifactAsync"/>
    /// <param name="name">The artifact's name.</param>
    /// <param name="path">The destination file.</param>
    public virtual Task<TaskclusterResult<DownloadResult>> DownloadManagedArtifactToFileAsync(string taskId, int? runId, string name, string path, TransferOptions? options = null, CancellationToken cancellationToken = default) =>
        TransferAdapt.Download(Source(taskId, runId, name, managed: true), DownloadSink.OfFile(path, nameof(path)), options, cancellationToken);

    /// <inheritdoc cref="DownloadManagedArtifactToFileAsync"/>
    public virtual TaskclusterResult<DownloadResult> DownloadManagedArtifactToFile(string taskId, int? runId, string name, string path, TransferOptions? options = null, CancellationToken cancellationToken = default) =>
        Sync.Run(() => DownloadManagedArtifactToFileAsync(taskId, runId, name, path, options, cancellationToken));

    /// <summary>Uploads an <c>object</c> artifact from the bytes the factory's streams give.</summary>
    /// <remarks>The run must be running. Required scopes: <c>queue:create-artifact:&lt;taskId&gt;/&lt;runId&gt;</c> (or the worker's).</remarks>
    /// <param name="taskId">The task.</param>
    /// <param name="runId">The run.</param>
    /// <param name="name">The artifact's name, e.g. <c>public/build/target.tar.gz</c>.</param>
    /// <param name="contentType">The content type it is served with.</param>
    /// <param name="expires">When the queue may delete it (not after the task expires).</param>
    /// <param name="contentLength">The number of bytes each stream gives.</param>
    /// <param name="readerFactory">Opens the data at its first byte; called again for every attempt.</param>
    /// <param name="options">Retries and progress; null for the defaults.</param>
    /// <param name="cancellationToken">Cancels the upload (it then throws <see cref="OperationCanceledException"/>).</param>
    /// <returns>The object the queue named, its length and hashes, or why the upload failed.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public virtual Task<TaskclusterResult<UploadResult>> UploadArtifactAsync(string taskId, int runId, string name, string contentType, DateTimeOffset expires, long contentLength, Func<CancellationToken, Task<Stream>> readerFactory, TransferOptions? options = null, CancellationToken cancellationToken = default) =>
        TransferAdapt.Upload(Target(taskId, runId, name, contentType, expires), UploadData.OfReader(contentLength, readerFactory, nameof(readerFactory)), options, cancellationToken);

    /// <inheritdoc cref="UploadArtifactAsync"/>
    /// <param name="readerFactory">Opens the data at its first byte, blocking; called again for every attempt.</param>
    public virtual TaskclusterResult<UploadResult> UploadArtifact(string taskId, int runId, string name, string contentType, DateTimeOffset expires, long contentLength, Func<CancellationToken, Stream> readerFactory, TransferOptions? options = null, CancellationToken cancellationToken = default) =>
        Sync.Run(() => UploadArtifactAsync(taskId, runId, name, contentType, expires, contentLength, TransferAdapt.Opening(readerFactory, nameof(readerFactory)), options, cancellationToken));

    /// <summary>Uploads an <c>object</c> artifact from bytes in memory.</summary>
    /// <inheritdoc cref="UploadArtifactAsync"/>
    /// <param name="name">The artifact's name.</param>
    /// <param name="expires">When the queue may delete it.</param>
    /// <param name="data">The bytes.</param>
    public virtual Task<TaskclusterResult<UploadResult>> UploadArtifactFromBytesAsync(string taskId, int runId, string name, string contentType, DateTimeOffset expires, ReadOnlyMemory<byte> data, TransferOptions? options = null, CancellationToken cancellationToken = default) =>
        TransferAdapt.Upload(Target(taskId, runId, name, contentType, expires), UploadData.OfBytes(data), options, cancellationToken);

    /// <inheritdoc cref="UploadArtifactFromBytesAsync(string, int, string, string, DateTimeOffset, ReadOnlyMemory{byte}, TransferOptions?, CancellationToken)"/>
    public virtual TaskclusterResult<UploadResult> UploadArtifactFromBytes(string taskId, int runId, string name, string contentType, DateTimeOffset expires, ReadOnlyMemory<byte> data, TransferOptions? options = null, CancellationToken cancellationToken = default) =>
        Sync.Run(() => UploadArtifactFromBytesAsync(taskId, runId, name, contentType, expires, data, options, cancellationToken));

    /// <inheritdoc cref="UploadArtifactFromBytesAsync(string, int, string, string, DateTimeOffset, ReadOnlyMemory{byte}, TransferOptions?, CancellationToken)"/>
    public virtual Task<TaskclusterResult<UploadResult>> UploadArtifactFromBytesAsync(string taskId, int runId, string name, string contentType, DateTimeOffset expires, byte[] data, TransferOptions? options = null, CancellationToken cancellationToken = default) =>
        UploadArtifactFromBytesAsync(taskId, runId, name, contentType, expires, new ReadOnlyMemory<byte>(Adapt.NotNull(data, nameof(data))), options, cancellationToken);

    /// <inheritdoc cref="UploadArtifactFromBytesAsync(string, int, string, string, DateTimeOffset, ReadOnlyMemory{byte}, TransferOptions?, CancellationToken)"/>
    public virtual TaskclusterResult<UploadResult> UploadArtifactFromBytes(string taskId, int runId, string name, string contentType, DateTimeOffset expires, byte[] data, TransferOptions? options = null, CancellationToken cancellationToken = default) =>
        Sync.Run(() => UploadArtifactFromBytesAsync(taskId, runId, name, contentType, expires, data, options, cancellationToken));

    /// <summary>Uploads an <c>object</c> artifact from a readable, seekable stream, from position 0 (left open).</summary>
    /// <inheritdoc cref="UploadArtifactAsync"/>
    /// <param name="name">The artifact's name.</param>
    /// <param name="expires">When the queue may delete it.</param>
    /// <param name="stream">The data.</param>
    public virtual Task<TaskclusterResult<UploadResult>> UploadArtifactFromStreamAsync(string taskId, int runId, string name, string contentType, DateTimeOffset expires, Stream stream, TransferOptions? options = null, CancellationToken cancellationToken = default) =>
        TransferAdapt.Upload(Target(taskId, runId, name, contentType, expires), UploadData.OfStream(stream, nameof(stream)), options, cancellationToken);

    /// <inheritdoc cref="UploadArtifactFromStreamAsync"/>
    public virtual TaskclusterResult<UploadResult> UploadArtifactFromStream(string taskId, int runId, string name, string contentType, DateTimeOffset expires, Stream stream, TransferOptions? options = null, CancellationToken cancellationToken = default) =>
        Sync.Run(() => UploadArtifactFromStreamAsync(taskId, runId, name, contentType, expires, stream, options, cancellationToken));

    /// <summary>Uploads an <c>object</c> artifact from a file's contents.</summary>
    /// <inheritdoc cref="UploadArtifactAsync"/>
    /// <param name="name">The artifact's name.</param>
    /// <param name="expires">When the queue may delete it.</param>
    /// <param name="path">The file.</param>
    public virtual Task<TaskclusterResult<UploadResult>> UploadArtifactFromFileAsync(string taskId, int runId, string name, string contentType, DateTimeOffset expires, string path, TransferOptions? options = null, CancellationToken cancellationToken = default) =>
        TransferAdapt.Upload(Target(taskId, runId, name, contentType, expires), UploadData.OfFile(path, nameof(path)), options, cancellationToken);

    /// <inheritdoc cref="UploadArtifactFromFileAsync"/>
    public virtual TaskclusterResult<UploadResult> UploadArtifactFromFile(string taskId, int runId, string name, string contentType, DateTimeOffset expires, string path, TransferOptions? options = null, CancellationToken cancellationToken = default) =>
        Sync.Run(() => UploadArtifactFromFileAsync(taskId, runId, name, contentType, expires, path, options, cancellationToken));

    /// <summary>Creates a <c>reference</c> artifact: fetches of it are redirected to <paramref name="url"/> (which receives no Taskcluster credentials).</summary>
    /// <remarks>Required scopes: <c>queue:create-artifact:&lt;taskId&gt;/&lt;runId&gt;</c> (or the worker's).</remarks>
    /// <param name="taskId">The task.</param>
    /// <param name="runId">The run.</param>
    /// <param name="name">The artifact's name.</param>
    /// <param name="url">Where the data is.</param>
    /// <param name="contentType">The content type of the data there.</param>
    /// <param name="expires">When the queue may delete it.</param>
    /// <param name="cancellationToken">Cancels the call (it then throws <see cref="OperationCanceledException"/>).</param>
    /// <returns>The artifact, or why it could not be created.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public virtual Task<TaskclusterResult<CreatedArtifact>> CreateReferenceArtifactAsync(string taskId, int runId, string name, string url, string contentType, DateTimeOffset expires, CancellationToken cancellationToken = default) =>
        TransferAdapt.Created(
            F.Artifact.createReference(
                Artifacts(),
                Adapt.NotNull(taskId, nameof(taskId)),
                runId,
                Adapt.NotNull(name, nameof(name)),
                Adapt.NotNull(url, nameof(url)),
                Adapt.NotNull(contentType, nameof(contentType)),
                expires,
                cancellationToken),
            taskId,
            runId,
            name,
            "reference");

    /// <inheritdoc cref="CreateReferenceArtifactAsync"/>
    public virtual TaskclusterResult<CreatedArtifact> CreateReferenceArtifact(string taskId, int runId, string name, string url, string contentType, DateTimeOffset expires, CancellationToken cancellationToken = default) =>
        Sync.Run(() => CreateReferenceArtifactAsync(taskId, runId, name, url, contentType, expires, cancellationToken));

    /// <summary>Creates a <c>link</c> artifact: fetches of it are fetches of the task's artifact <paramref name="target"/>.</summary>
    /// <inheritdoc cref="CreateReferenceArtifactAsync"/>
    /// <param name="target">The name of another artifact of the same task and run.</param>
    public virtual Task<TaskclusterResult<CreatedArtifact>> CreateLinkArtifactAsync(string taskId, int runId, string name, string target, DateTimeOffset expires, CancellationToken cancellationToken = default) =>
        TransferAdapt.Created(
            F.Artifact.createLink(
                Artifacts(),
                Adapt.NotNull(taskId, nameof(taskId)),
                runId,
                Adapt.NotNull(name, nameof(name)),
                Adapt.NotNull(target, nameof(target)),
                expires,
                cancellationToken),
            taskId,
            runId,
            name,
            "link");

    /// <inheritdoc cref="CreateLinkArtifactAsync"/>
    public virtual TaskclusterResult<CreatedArtifact> CreateLinkArtifact(string taskId, int runId, string name, string target, DateTimeOffset expires, CancellationToken cancellationToken = default) =>
        Sync.Run(() => CreateLinkArtifactAsync(taskId, runId, name, target, expires, cancellationToken));

    /// <summary>Creates an <c>error</c> artifact: downloads of it fail with <paramref name="reason"/> and <paramref name="message"/> (<see cref="TaskclusterErrorKind.ArtifactError"/>).</summary>
    /// <inheritdoc cref="CreateReferenceArtifactAsync"/>
    /// <param name="reason"><c>file-missing-on-worker</c>, <c>invalid-resource-on-worker</c>, <c>too-large-file-on-worker</c> or <c>file-not-readable-on-worker</c>.</param>
    /// <param name="message">Why, for people.</param>
    public virtual Task<TaskclusterResult<CreatedArtifact>> CreateErrorArtifactAsync(string taskId, int runId, string name, string reason, string message, DateTimeOffset expires, CancellationToken cancellationToken = default) =>
        TransferAdapt.Created(
            F.Artifact.createError(
                Artifacts(),
                Adapt.NotNull(taskId, nameof(taskId)),
                runId,
                Adapt.NotNull(name, nameof(name)),
                Adapt.NotNull(reason, nameof(reason)),
                Adapt.NotNull(message, nameof(message)),
                expires,
                cancellationToken),
            taskId,
            runId,
            name,
            "error");

    /// <inheritdoc cref="CreateErrorArtifactAsync"/>
    public virtual TaskclusterResult<CreatedArtifact> CreateErrorArtifact(string taskId, int runId, string name, string reason, string message, DateTimeOffset expires, CancellationToken cancellationToken = default) =>
        Sync.Run(() => CreateErrorArtifactAsync(taskId, runId, name, reason, message, expires, cancellationToken));
}
