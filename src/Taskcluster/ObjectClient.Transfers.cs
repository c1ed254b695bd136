using F = Taskcluster.Client;

namespace Taskcluster;

/// <summary>Uploads and downloads of object data, beside the generated object-service methods.</summary>
/// <remarks>
/// Data is streamed in bounded memory and hashed once (SHA-256 and SHA-512) on its way; objects
/// under 8 KiB go inline. Failed data requests (5xx, dropped or truncated connections, stalls)
/// are retried, expired URLs renewed, and a download is verified against every hash the service
/// recorded: a mismatch is a <see cref="TaskclusterErrorKind.HashMismatch"/>, never retried
/// into success. Failures are results; cancelling the token throws
/// <see cref="OperationCanceledException"/>, like every other member of the clients.
/// </remarks>
public partial class ObjectClient
{
    private F.ObjectApi Objects() => F.ObjectApiModule.ofClient(_service.TaskclusterClient, _service.ApiReference);

    /// <summary><c>upload</c>: creates the object <paramref name="name"/> from the bytes the factory's streams give.</summary>
    /// <remarks>Required scopes: <c>object:upload:&lt;projectId&gt;:&lt;name&gt;</c>.</remarks>
    /// <param name="projectId">The project the object belongs to.</param>
    /// <param name="name">The object's name (printable ASCII).</param>
    /// <param name="contentType">The content type it is served with.</param>
    /// <param name="contentLength">The number of bytes each stream gives; a stream that gives more or fewer is a <see cref="TaskclusterErrorKind.LengthMismatch"/>.</param>
    /// <param name="expires">When the object service may delete it.</param>
    /// <param name="readerFactory">Opens the data at its first byte; called again for every attempt, and each stream is disposed when its attempt ends.</param>
    /// <param name="options">The upload id, retries and progress; null for the defaults.</param>
    /// <param name="cancellationToken">Cancels the upload (it then throws <see cref="OperationCanceledException"/>).</param>
    /// <returns>The upload id, method, length and hashes, or why the upload failed.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException"><see cref="UploadOptions.UploadId"/> is not a slugId.</exception>
    public virtual Task<TaskclusterResult<UploadResult>> UploadAsync(
        string projectId,
        string name,
        string contentType,
        long contentLength,
        DateTimeOffset expires,
        Func<CancellationToken, Task<Stream>> readerFactory,
        UploadOptions? options = null,
        CancellationToken cancellationToken = default) =>
        TransferAdapt.Uploaded(F.Transfer.upload(
            Objects(),
            TransferAdapt.Options(options),
            TransferAdapt.Request(projectId, name, contentType, expires, options),
            contentLength,
            TransferAdapt.Factory(readerFactory, nameof(readerFactory)),
            cancellationToken));

    /// <summary><c>uploadFromBuf</c>: creates the object <paramref name="name"/> from bytes in memory.</summary>
    /// <inheritdoc cref="UploadAsync" path="/remarks"/>
    /// <param name="projectId">The project the object belongs to.</param>
    /// <param name="name">The object's name (printable ASCII).</param>
    /// <param name="contentType">The content type it is served with.</param>
    /// <param name="expires">When the object service may delete it.</param>
    /// <param name="data">The bytes.</param>
    /// <param name="options">The upload id, retries and progress; null for the defaults.</param>
    /// <param name="cancellationToken">Cancels the upload (it then throws <see cref="OperationCanceledException"/>).</param>
    /// <returns>The upload id, method, length and hashes, or why the upload failed.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException"><see cref="UploadOptions.UploadId"/> is not a slugId.</exception>
    public virtual Task<TaskclusterResult<UploadResult>> UploadFromBytesAsync(
        string projectId,
        string name,
        string contentType,
        DateTimeOffset expires,
        ReadOnlyMemory<byte> data,
        UploadOptions? options = null,
        CancellationToken cancellationToken = default) =>
        TransferAdapt.Uploaded(F.Transfer.uploadFromBuf(
            Objects(),
            TransferAdapt.Options(options),
            TransferAdapt.Request(projectId, name, contentType, expires, options),
            data,
            cancellationToken));

    /// <inheritdoc cref="UploadFromBytesAsync(string, string, string, DateTimeOffset, ReadOnlyMemory{byte}, UploadOptions?, CancellationToken)"/>
    public virtual Task<TaskclusterResult<UploadResult>> UploadFromBytesAsync(
        string projectId,
        string name,
        string contentType,
        DateTimeOffset expires,
        byte[] data,
        UploadOptions? options = null,
        CancellationToken cancellationToken = default) =>
        UploadFromBytesAsync(projectId, name, contentType, expires, new ReadOnlyMemory<byte>(Adapt.NotNull(data, nameof(data))), options, cancellationToken);

    /// <summary>Creates the object <paramref name="name"/> from a readable, seekable stream, from position 0 to its end (rewound for every attempt, left open).</summary>
    /// <inheritdoc cref="UploadAsync" path="/remarks"/>
    /// <param name="projectId">The project the object belongs to.</param>
    /// <param name="name">The object's name (printable ASCII).</param>
    /// <param name="contentType">The content type it is served with.</param>
    /// <param name="expires">When the object service may delete it.</param>
    /// <param name="stream">The data.</param>
    /// <param name="options">The upload id, retries and progress; null for the defaults.</param>
    /// <param name="cancellationToken">Cancels the upload (it then throws <see cref="OperationCanceledException"/>).</param>
    /// <returns>The upload id, method, length and hashes, or why the upload failed (a stream that cannot seek is an <see cref="TaskclusterErrorKind.InvalidRequest"/>).</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException"><see cref="UploadOptions.UploadId"/> is not a slugId.</exception>
    public virtual Task<TaskclusterResult<UploadResult>> UploadFromStreamAsync(
        string projectId,
        string name,
        string contentType,
        DateTimeOffset expires,
        Stream stream,
        UploadOptions? options = null,
        CancellationToken cancellationToken = default) =>
        TransferAdapt.Uploaded(F.Transfer.uploadFromStream(
            Objects(),
            TransferAdapt.Options(options),
            TransferAdapt.Request(projectId, name, contentType, expires, options),
            Adapt.NotNull(stream, nameof(stream)),
            cancellationToken));

    /// <summary><c>uploadFromFile</c>: creates the object <paramref name="name"/> from a file's contents.</summary>
    /// <inheritdoc cref="UploadAsync" path="/remarks"/>
    /// <param name="projectId">The project the object belongs to.</param>
    /// <param name="name">The object's name (printable ASCII).</param>
    /// <param name="contentType">The content type it is served with.</param>
    /// <param name="expires">When the object service may delete it.</param>
    /// <param name="path">The file.</param>
    /// <param name="options">The upload id, retries and progress; null for the defaults.</param>
    /// <param name="cancellationToken">Cancels the upload (it then throws <see cref="OperationCanceledException"/>).</param>
    /// <returns>The upload id, method, length and hashes, or why the upload failed (an unreadable file is a <see cref="TaskclusterErrorKind.FileError"/>).</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException"><see cref="UploadOptions.UploadId"/> is not a slugId.</exception>
    public virtual Task<TaskclusterResult<UploadResult>> UploadFromFileAsync(
        string projectId,
        string name,
        string contentType,
        DateTimeOffset expires,
        string path,
        UploadOptions? options = null,
        CancellationToken cancellationToken = default) =>
        TransferAdapt.Uploaded(F.Transfer.uploadFromFile(
            Objects(),
            TransferAdapt.Options(options),
            TransferAdapt.Request(projectId, name, contentType, expires, options),
            Adapt.NotNull(path, nameof(path)),
            cancellationToken));

    /// <summary>
    /// <c>download</c>: streams the object's data into the factory's streams, then verifies every
    /// hash the service recorded. After an error the last stream may hold unverified bytes. (The
    /// generated <see cref="DownloadAsync"/> is the object service's own <c>download</c> method,
    /// which only answers where the data is.)
    /// </summary>
    /// <remarks>Required scopes: <c>object:download:&lt;name&gt;</c>.</remarks>
    /// <param name="name">The object's name.</param>
    /// <param name="writerFactory">Opens an empty destination; called again for every attempt (so it must discard what an earlier attempt wrote), and each stream is disposed when its attempt ends.</param>
    /// <param name="options">Retries and progress; null for the defaults.</param>
    /// <param name="cancellationToken">Cancels the download (it then throws <see cref="OperationCanceledException"/>).</param>
    /// <returns>The content type, length, method and verified hashes, or why the download failed.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public virtual Task<TaskclusterResult<DownloadResult>> DownloadToWriterAsync(
        string name,
        Func<CancellationToken, Task<Stream>> writerFactory,
        TransferOptions? options = null,
        CancellationToken cancellationToken = default) =>
        TransferAdapt.Downloaded(F.Transfer.download(
            Objects(),
            TransferAdapt.Options(options),
            Adapt.NotNull(name, nameof(name)),
            TransferAdapt.Factory(writerFactory, nameof(writerFactory)),
            cancellationToken));

    /// <summary><c>downloadToBuf</c>: the object's data in memory, returned only once verified.</summary>
    /// <inheritdoc cref="DownloadToWriterAsync" path="/remarks"/>
    /// <param name="name">The object's name.</param>
    /// <param name="options">Retries and progress; null for the defaults.</param>
    /// <param name="cancellationToken">Cancels the download (it then throws <see cref="OperationCanceledException"/>).</param>
    /// <returns>The bytes and content type, or why the download failed.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="name"/> is null.</exception>
    public virtual Task<TaskclusterResult<BytesDownload>> DownloadToBytesAsync(
        string name,
        TransferOptions? options = null,
        CancellationToken cancellationToken = default) =>
        TransferAdapt.Bytes(F.Transfer.downloadToBuf(
            Objects(), TransferAdapt.Options(options), Adapt.NotNull(name, nameof(name)), cancellationToken));

    /// <summary>
    /// Downloads the object into a writable, seekable stream from its current position (truncated
    /// back to it for every attempt, left open). After an error it may hold unverified bytes.
    /// </summary>
    /// <inheritdoc cref="DownloadToWriterAsync" path="/remarks"/>
    /// <param name="name">The object's name.</param>
    /// <param name="destination">The stream to write to.</param>
    /// <param name="options">Retries and progress; null for the defaults.</param>
    /// <param name="cancellationToken">Cancels the download (it then throws <see cref="OperationCanceledException"/>).</param>
    /// <returns>The content type, length, method and verified hashes, or why the download failed.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public virtual Task<TaskclusterResult<DownloadResult>> DownloadToStreamAsync(
        string name,
        Stream destination,
        TransferOptions? options = null,
        CancellationToken cancellationToken = default) =>
        TransferAdapt.Downloaded(F.Transfer.downloadToStream(
            Objects(),
            TransferAdapt.Options(options),
            Adapt.NotNull(name, nameof(name)),
            Adapt.NotNull(destination, nameof(destination)),
            cancellationToken));

    /// <summary>
    /// <c>downloadToFile</c>: downloads into a temporary file beside <paramref name="path"/>, renamed
    /// over it only once the hashes verify; after a failure or cancellation no file is left and
    /// <paramref name="path"/> is as it was.
    /// </summary>
    /// <inheritdoc cref="DownloadToWriterAsync" path="/remarks"/>
    /// <param name="name">The object's name.</param>
    /// <param name="path">The destination file.</param>
    /// <param name="options">Retries and progress; null for the defaults.</param>
    /// <param name="cancellationToken">Cancels the download (it then throws <see cref="OperationCanceledException"/>).</param>
    /// <returns>The content type, length, method and verified hashes, or why the download failed.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public virtual Task<TaskclusterResult<DownloadResult>> DownloadToFileAsync(
        string name,
        string path,
        TransferOptions? options = null,
        CancellationToken cancellationToken = default) =>
        TransferAdapt.Downloaded(F.Transfer.downloadToFile(
            Objects(),
            TransferAdapt.Options(options),
            Adapt.NotNull(name, nameof(name)),
            Adapt.NotNull(path, nameof(path)),
            cancellationToken));
}
