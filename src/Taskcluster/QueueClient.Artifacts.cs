using F = Taskcluster.Client;

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
    private F.QueueApi Artifacts() =>
        F.QueueApiModule.ofClient(_service.TaskclusterClient, _service.ApiReference, global::Taskcluster.Services.Object.Reference);

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
    public virtual Task<TaskclusterResult<DownloadResult>> DownloadArtifactAsync(
        string taskId,
        int? runId,
        string name,
        Func<CancellationToken, Task<Stream>> writerFactory,
        TransferOptions? options = null,
        CancellationToken cancellationToken = default) =>
        TransferAdapt.Downloaded(F.Artifact.download(
            Artifacts(),
            TransferAdapt.Options(options),
            Adapt.NotNull(taskId, nameof(taskId)),
            TransferAdapt.RunId(runId),
            Adapt.NotNull(name, nameof(name)),
            TransferAdapt.Factory(writerFactory, nameof(writerFactory)),
            cancellationToken));

    /// <summary><c>downloadArtifactToBuf</c>: an artifact's data in memory (for <c>object</c> artifacts, only once verified).</summary>
    /// <inheritdoc cref="DownloadArtifactAsync" path="/remarks"/>
    /// <param name="taskId">The task.</param>
    /// <param name="runId">The run; null for the latest run.</param>
    /// <param name="name">The artifact's name.</param>
    /// <param name="options">Retries and progress; null for the defaults.</param>
    /// <param name="cancellationToken">Cancels the download (it then throws <see cref="OperationCanceledException"/>).</param>
    /// <returns>The bytes and content type, or why the download failed.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public virtual Task<TaskclusterResult<BytesDownload>> DownloadArtifactToBytesAsync(
        string taskId,
        int? runId,
        string name,
        TransferOptions? options = null,
        CancellationToken cancellationToken = default) =>
        TransferAdapt.Bytes(F.Artifact.downloadToBuf(
            Artifacts(),
            TransferAdapt.Options(options),
            Adapt.NotNull(taskId, nameof(taskId)),
            TransferAdapt.RunId(runId),
            Adapt.NotNull(name, nameof(name)),
            cancellationToken));

    /// <summary>Downloads an artifact into a writable, seekable stream from its current position (truncated back to it for every attempt, left open).</summary>
    /// <inheritdoc cref="DownloadArtifactAsync" path="/remarks"/>
    /// <param name="taskId">The task.</param>
    /// <param name="runId">The run; null for the latest run.</param>
    /// <param name="name">The artifact's name.</param>
    /// <param name="destination">The stream to write to.</param>
    /// <param name="options">Retries and progress; null for the defaults.</param>
    /// <param name="cancellationToken">Cancels the download (it then throws <see cref="OperationCanceledException"/>).</param>
    /// <returns>The content type, length, method and verified hashes, or why the download failed.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public virtual Task<TaskclusterResult<DownloadResult>> DownloadArtifactToStreamAsync(
        string taskId,
        int? runId,
        string name,
        Stream destination,
        TransferOptions? options = null,
        CancellationToken cancellationToken = default) =>
        TransferAdapt.Downloaded(F.Artifact.downloadToStream(
            Artifacts(),
            TransferAdapt.Options(options),
            Adapt.NotNull(taskId, nameof(taskId)),
            TransferAdapt.RunId(runId),
            Adapt.NotNull(name, nameof(name)),
            Adapt.NotNull(destination, nameof(destination)),
            cancellationToken));

    /// <summary><c>downloadArtifactToFile</c>: downloads into a temporary file renamed over <paramref name="path"/> on success only; a failure leaves no file.</summary>
    /// <inheritdoc cref="DownloadArtifactAsync" path="/remarks"/>
    /// <param name="taskId">The task.</param>
    /// <param name="runId">The run; null for the latest run.</param>
    /// <param name="name">The artifact's name.</param>
    /// <param name="path">The destination file.</param>
    /// <param name="options">Retries and progress; null for the defaults.</param>
    /// <param name="cancellationToken">Cancels the download (it then throws <see cref="OperationCanceledException"/>).</param>
    /// <returns>The content type, length, method and verified hashes, or why the download failed.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public virtual Task<TaskclusterResult<DownloadResult>> DownloadArtifactToFileAsync(
        string taskId,
        int? runId,
        string name,
        string path,
        TransferOptions? options = null,
        CancellationToken cancellationToken = default) =>
        TransferAdapt.Downloaded(F.Artifact.downloadToFile(
            Artifacts(),
            TransferAdapt.Options(options),
            Adapt.NotNull(taskId, nameof(taskId)),
            TransferAdapt.RunId(runId),
            Adapt.NotNull(name, nameof(name)),
            Adapt.NotNull(path, nameof(path)),
            cancellationToken));

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
    public virtual Task<TaskclusterResult<DownloadResult>> DownloadManagedArtifactAsync(
        string taskId,
        int? runId,
        string name,
        Func<CancellationToken, Task<Stream>> writerFactory,
        TransferOptions? options = null,
        CancellationToken cancellationToken = default) =>
        TransferAdapt.Downloaded(F.Artifact.downloadManaged(
            Artifacts(),
            TransferAdapt.Options(options),
            Adapt.NotNull(taskId, nameof(taskId)),
            TransferAdapt.RunId(runId),
            Adapt.NotNull(name, nameof(name)),
            TransferAdapt.Factory(writerFactory, nameof(writerFactory)),
            cancellationToken));

    /// <summary>A managed artifact's data in memory (for <c>object</c> artifacts, only once verified).</summary>
    /// <inheritdoc cref="DownloadManagedArtifactAsync" path="/remarks"/>
    /// <param name="taskId">The task.</param>
    /// <param name="runId">The run; null for the latest run.</param>
    /// <param name="name">The artifact's name.</param>
    /// <param name="options">Retries and progress; null for the defaults.</param>
    /// <param name="cancellationToken">Cancels the download (it then throws <see cref="OperationCanceledException"/>).</param>
    /// <returns>The bytes and content type, or why the download failed.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public virtual Task<TaskclusterResult<BytesDownload>> DownloadManagedArtifactToBytesAsync(
        string taskId,
        int? runId,
        string name,
        TransferOptions? options = null,
        CancellationToken cancellationToken = default) =>
        TransferAdapt.Bytes(F.Artifact.downloadManagedToBuf(
            Artifacts(),
            TransferAdapt.Options(options),
            Adapt.NotNull(taskId, nameof(taskId)),
            TransferAdapt.RunId(runId),
            Adapt.NotNull(name, nameof(name)),
            cancellationToken));

    /// <summary>Downloads a managed artifact into a writable, seekable stream from its current position (truncated back to it for every attempt, left open).</summary>
    /// <inheritdoc cref="DownloadManagedArtifactAsync" path="/remarks"/>
    /// <param name="taskId">The task.</param>
    /// <param name="runId">The run; null for the latest run.</param>
    /// <param name="name">The artifact's name.</param>
    /// <param name="destination">The stream to write to.</param>
    /// <param name="options">Retries and progress; null for the defaults.</param>
    /// <param name="cancellationToken">Cancels the download (it then throws <see cref="OperationCanceledException"/>).</param>
    /// <returns>The content type, length, method and verified hashes, or why the download failed.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public virtual Task<TaskclusterResult<DownloadResult>> DownloadManagedArtifactToStreamAsync(
        string taskId,
        int? runId,
        string name,
        Stream destination,
        TransferOptions? options = null,
        CancellationToken cancellationToken = default) =>
        TransferAdapt.Downloaded(F.Artifact.downloadManagedToStream(
            Artifacts(),
            TransferAdapt.Options(options),
            Adapt.NotNull(taskId, nameof(taskId)),
            TransferAdapt.RunId(runId),
            Adapt.NotNull(name, nameof(name)),
            Adapt.NotNull(destination, nameof(destination)),
            cancellationToken));

    /// <summary>Downloads a managed artifact into a temporary file renamed over <paramref name="path"/> on success only; a failure leaves no file.</summary>
    /// <inheritdoc cref="DownloadManagedArtifactAsync" path="/remarks"/>
    /// <param name="taskId">The task.</param>
    /// <param name="runId">The run; null for the latest run.</param>
    /// <param name="name">The artifact's name.</param>
    /// <param name="path">The destination file.</param>
    /// <param name="options">Retries and progress; null for the defaults.</param>
    /// <param name="cancellationToken">Cancels the download (it then throws <see cref="OperationCanceledException"/>).</param>
    /// <returns>The content type, length, method and verified hashes, or why the download failed.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public virtual Task<TaskclusterResult<DownloadResult>> DownloadManagedArtifactToFileAsync(
        string taskId,
        int? runId,
        string name,
        string path,
        TransferOptions? options = null,
        CancellationToken cancellationToken = default) =>
        TransferAdapt.Downloaded(F.Artifact.downloadManagedToFile(
            Artifacts(),
            TransferAdapt.Options(options),
            Adapt.NotNull(taskId, nameof(taskId)),
            TransferAdapt.RunId(runId),
            Adapt.NotNull(name, nameof(name)),
            Adapt.NotNull(path, nameof(path)),
            cancellationToken));

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
    public virtual Task<TaskclusterResult<UploadResult>> UploadArtifactAsync(
        string taskId,
        int runId,
        string name,
        string contentType,
        DateTimeOffset expires,
        long contentLength,
        Func<CancellationToken, Task<Stream>> readerFactory,
        TransferOptions? options = null,
        CancellationToken cancellationToken = default) =>
        TransferAdapt.Uploaded(F.Artifact.upload(
            Artifacts(),
            TransferAdapt.Options(options),
            TransferAdapt.Artifact(taskId, runId, name, contentType, expires),
            contentLength,
            TransferAdapt.Factory(readerFactory, nameof(readerFactory)),
            cancellationToken));

    /// <summary>Uploads an <c>object</c> artifact from bytes in memory.</summary>
    /// <inheritdoc cref="UploadArtifactAsync" path="/remarks"/>
    /// <param name="taskId">The task.</param>
    /// <param name="runId">The run.</param>
    /// <param name="name">The artifact's name.</param>
    /// <param name="contentType">The content type it is served with.</param>
    /// <param name="expires">When the queue may delete it.</param>
    /// <param name="data">The bytes.</param>
    /// <param name="options">Retries and progress; null for the defaults.</param>
    /// <param name="cancellationToken">Cancels the upload (it then throws <see cref="OperationCanceledException"/>).</param>
    /// <returns>The object the queue named, its length and hashes, or why the upload failed.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public virtual Task<TaskclusterResult<UploadResult>> UploadArtifactFromBytesAsync(
        string taskId,
        int runId,
        string name,
        string contentType,
        DateTimeOffset expires,
        ReadOnlyMemory<byte> data,
        TransferOptions? options = null,
        CancellationToken cancellationToken = default) =>
        TransferAdapt.Uploaded(F.Artifact.uploadFromBuf(
            Artifacts(),
            TransferAdapt.Options(options),
            TransferAdapt.Artifact(taskId, runId, name, contentType, expires),
            data,
            cancellationToken));

    /// <inheritdoc cref="UploadArtifactFromBytesAsync(string, int, string, string, DateTimeOffset, ReadOnlyMemory{byte}, TransferOptions?, CancellationToken)"/>
    public virtual Task<TaskclusterResult<UploadResult>> UploadArtifactFromBytesAsync(
        string taskId,
        int runId,
        string name,
        string contentType,
        DateTimeOffset expires,
        byte[] data,
        TransferOptions? options = null,
        CancellationToken cancellationToken = default) =>
        UploadArtifactFromBytesAsync(taskId, runId, name, contentType, expires, new ReadOnlyMemory<byte>(Adapt.NotNull(data, nameof(data))), options, cancellationToken);

    /// <summary>Uploads an <c>object</c> artifact from a readable, seekable stream, from position 0 (left open).</summary>
    /// <inheritdoc cref="UploadArtifactAsync" path="/remarks"/>
    /// <param name="taskId">The task.</param>
    /// <param name="runId">The run.</param>
    /// <param name="name">The artifact's name.</param>
    /// <param name="contentType">The content type it is served with.</param>
    /// <param name="expires">When the queue may delete it.</param>
    /// <param name="stream">The data.</param>
    /// <param name="options">Retries and progress; null for the defaults.</param>
    /// <param name="cancellationToken">Cancels the upload (it then throws <see cref="OperationCanceledException"/>).</param>
    /// <returns>The object the queue named, its length and hashes, or why the upload failed.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public virtual Task<TaskclusterResult<UploadResult>> UploadArtifactFromStreamAsync(
        string taskId,
        int runId,
        string name,
        string contentType,
        DateTimeOffset expires,
        Stream stream,
        TransferOptions? options = null,
        CancellationToken cancellationToken = default) =>
        TransferAdapt.Uploaded(F.Artifact.uploadFromStream(
            Artifacts(),
            TransferAdapt.Options(options),
            TransferAdapt.Artifact(taskId, runId, name, contentType, expires),
            Adapt.NotNull(stream, nameof(stream)),
            cancellationToken));

    /// <summary>Uploads an <c>object</c> artifact from a file's contents.</summary>
    /// <inheritdoc cref="UploadArtifactAsync" path="/remarks"/>
    /// <param name="taskId">The task.</param>
    /// <param name="runId">The run.</param>
    /// <param name="name">The artifact's name.</param>
    /// <param name="contentType">The content type it is served with.</param>
    /// <param name="expires">When the queue may delete it.</param>
    /// <param name="path">The file.</param>
    /// <param name="options">Retries and progress; null for the defaults.</param>
    /// <param name="cancellationToken">Cancels the upload (it then throws <see cref="OperationCanceledException"/>).</param>
    /// <returns>The object the queue named, its length and hashes, or why the upload failed.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public virtual Task<TaskclusterResult<UploadResult>> UploadArtifactFromFileAsync(
        string taskId,
        int runId,
        string name,
        string contentType,
        DateTimeOffset expires,
        string path,
        TransferOptions? options = null,
        CancellationToken cancellationToken = default) =>
        TransferAdapt.Uploaded(F.Artifact.uploadFromFile(
            Artifacts(),
            TransferAdapt.Options(options),
            TransferAdapt.Artifact(taskId, runId, name, contentType, expires),
            Adapt.NotNull(path, nameof(path)),
            cancellationToken));

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
    public virtual Task<TaskclusterResult<CreatedArtifact>> CreateReferenceArtifactAsync(
        string taskId,
        int runId,
        string name,
        string url,
        string contentType,
        DateTimeOffset expires,
        CancellationToken cancellationToken = default) =>
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

    /// <summary>Creates a <c>link</c> artifact: fetches of it are fetches of the task's artifact <paramref name="target"/>.</summary>
    /// <inheritdoc cref="CreateReferenceArtifactAsync" path="/remarks"/>
    /// <param name="taskId">The task.</param>
    /// <param name="runId">The run.</param>
    /// <param name="name">The artifact's name.</param>
    /// <param name="target">The name of another artifact of the same task and run.</param>
    /// <param name="expires">When the queue may delete it.</param>
    /// <param name="cancellationToken">Cancels the call (it then throws <see cref="OperationCanceledException"/>).</param>
    /// <returns>The artifact, or why it could not be created.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public virtual Task<TaskclusterResult<CreatedArtifact>> CreateLinkArtifactAsync(
        string taskId,
        int runId,
        string name,
        string target,
        DateTimeOffset expires,
        CancellationToken cancellationToken = default) =>
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

    /// <summary>Creates an <c>error</c> artifact: downloads of it fail with <paramref name="reason"/> and <paramref name="message"/> (<see cref="TaskclusterErrorKind.ArtifactError"/>).</summary>
    /// <inheritdoc cref="CreateReferenceArtifactAsync" path="/remarks"/>
    /// <param name="taskId">The task.</param>
    /// <param name="runId">The run.</param>
    /// <param name="name">The artifact's name.</param>
    /// <param name="reason"><c>file-missing-on-worker</c>, <c>invalid-resource-on-worker</c>, <c>too-large-file-on-worker</c> or <c>file-not-readable-on-worker</c>.</param>
    /// <param name="message">Why, for people.</param>
    /// <param name="expires">When the queue may delete it.</param>
    /// <param name="cancellationToken">Cancels the call (it then throws <see cref="OperationCanceledException"/>).</param>
    /// <returns>The artifact, or why it could not be created.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public virtual Task<TaskclusterResult<CreatedArtifact>> CreateErrorArtifactAsync(
        string taskId,
        int runId,
        string name,
        string reason,
        string message,
        DateTimeOffset expires,
        CancellationToken cancellationToken = default) =>
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
}
