using F = Taskcluster.Client;

// Overloads document only what differs from the member they name in <inheritdoc>; the other
// parameters' docs come from there, which the compiler does not see.
#pragma warning disable CS1573

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
    private F.ObjectApi Objects() => F.ObjectApiModule.ofService(_service);

    private DownloadSource Source(string name) => DownloadSource.Object(Objects(), name);

    private UploadTarget Target(string projectId, string name, string contentType, DateTimeOffset expires, UploadOptions? options) =>
        UploadTarget.Object(Objects(), projectId, name, contentType, expires, options);

    /// <summary><c>upload</c>: creates the object <paramref name="name"/> from the bytes the factory's streams give.</summary>
    /// <remarks>Required scopes: <c>object:upload:&lt;projectId&gt;:&lt;name&gt;</c>.</remarks>
    /// <param name="projectId">The project the object belongs to.</param>
    /// <param name="name">The object's name (printable ASCII).</param>
    /// <param name="contentType">The content type it is served with.</param>
    /// <param name="expires">When the object service may delete it.</param>
    /// <param name="contentLength">The number of bytes each stream gives; a stream that gives more or fewer is a <see cref="TaskclusterErrorKind.LengthMismatch"/>.</param>
    /// <param name="readerFactory">Opens the data at its first byte; called again for every attempt, and each stream is disposed when its attempt ends.</param>
    /// <param name="options">The upload id, retries and progress; null for the defaults.</param>
    /// <param name="cancellationToken">Cancels the upload (it then throws <see cref="OperationCanceledException"/>).</param>
    /// <returns>The upload id, method, length and hashes, or why the upload failed.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException"><see cref="UploadOptions.UploadId"/> is not a slugId.</exception>
    public virtual Task<TaskclusterResult<UploadResult>> UploadAsync(string projectId, string name, string contentType, DateTimeOffset expires, long contentLength, Func<CancellationToken, Task<Stream>> readerFactory, UploadOptions? options = null, CancellationToken cancellationToken = default) =>
        TransferAdapt.Upload(Target(projectId, name, contentType, expires, options), UploadData.OfReader(contentLength, readerFactory, nameof(readerFactory)), options, cancellationToken);

    /// <inheritdoc cref="UploadAsync"/>
    /// <param name="readerFactory">Opens the data at its first byte, blocking; called again for every attempt, and each stream is disposed when its attempt ends.</param>
    public virtual TaskclusterResult<UploadResult> Upload(string projectId, string name, string contentType, DateTimeOffset expires, long contentLength, Func<CancellationToken, Stream> readerFactory, UploadOptions? options = null, CancellationToken cancellationToken = default) =>
        Sync.Run(() => UploadAsync(projectId, name, contentType, expires, contentLength, TransferAdapt.Opening(readerFactory, nameof(readerFactory)), options, cancellationToken));

    /// <summary><c>uploadFromBuf</c>: creates the object <paramref name="name"/> from bytes in memory.</summary>
    /// <inheritdoc cref="UploadAsync"/>
    /// <param name="data">The bytes.</param>
    public virtual Task<TaskclusterResult<UploadResult>> UploadFromBytesAsync(string projectId, string name, string contentType, DateTimeOffset expires, ReadOnlyMemory<byte> data, UploadOptions? options = null, CancellationToken cancellationToken = default) =>
        TransferAdapt.Upload(Target(projectId, name, contentType, expires, options), UploadData.OfBytes(data), options, cancellationToken);

    /// <inheritdoc cref="UploadFromBytesAsync(string, string, string, DateTimeOffset, ReadOnlyMemory{byte}, UploadOptions?, CancellationToken)"/>
    public virtual TaskclusterResult<UploadResult> UploadFromBytes(string projectId, string name, string contentType, DateTimeOffset expires, ReadOnlyMemory<byte> data, UploadOptions? options = null, CancellationToken cancellationToken = default) =>
        Sync.Run(() => UploadFromBytesAsync(projectId, name, contentType, expires, data, options, cancellationToken));

    /// <inheritdoc cref="UploadFromBytesAsync(string, string, string, DateTimeOffset, ReadOnlyMemory{byte}, UploadOptions?, CancellationToken)"/>
    public virtual Task<TaskclusterResult<UploadResult>> UploadFromBytesAsync(string projectId, string name, string contentType, DateTimeOffset expires, byte[] data, UploadOptions? options = null, CancellationToken cancellationToken = default) =>
        UploadFromBytesAsync(projectId, name, contentType, expires, new ReadOnlyMemory<byte>(Adapt.NotNull(data, nameof(data))), options, cancellationToken);

    /// <inheritdoc cref="UploadFromBytesAsync(string, string, string, DateTimeOffset, ReadOnlyMemory{byte}, UploadOptions?, CancellationToken)"/>
    public virtual TaskclusterResult<UploadResult> UploadFromBytes(string projectId, string name, string contentType, DateTimeOffset expires, byte[] data, UploadOptions? options = null, CancellationToken cancellationToken = default) =>
        Sync.Run(() => UploadFromBytesAsync(projectId, name, contentType, expires, data, options, cancellationToken));

    /// <summary>Creates the object <paramref name="name"/> from a readable, seekable stream, from position 0 to its end (rewound for every attempt, left open).</summary>
    /// <inheritdoc cref="UploadAsync"/>
    /// <param name="stream">The data.</param>
    /// <returns>The upload id, method, length and hashes, or why the upload failed (a stream that cannot seek is an <see cref="TaskclusterErrorKind.InvalidRequest"/>).</returns>
    public virtual Task<TaskclusterResult<UploadResult>> UploadFromStreamAsync(string projectId, string name, string contentType, DateTimeOffset expires, Stream stream, UploadOptions? options = null, CancellationToken cancellationToken = default) =>
        TransferAdapt.Upload(Target(projectId, name, contentType, expires, options), UploadData.OfStream(stream, nameof(stream)), options, cancellationToken);

    /// <inheritdoc cref="UploadFromStreamAsync"/>
    public virtual TaskclusterResult<UploadResult> UploadFromStream(string projectId, string name, string contentType, DateTimeOffset expires, Stream stream, UploadOptions? options = null, CancellationToken cancellationToken = default) =>
        Sync.Run(() => UploadFromStreamAsync(projectId, name, contentType, expires, stream, options, cancellationToken));

    /// <summary><c>uploadFromFile</c>: creates the object <paramref name="name"/> from a file's contents.</summary>
    /// <inheritdoc cref="UploadAsync"/>
    /// <param name="path">The file.</param>
    /// <returns>The upload id, method, length and hashes, or why the upload failed (an unreadable file is a <see cref="TaskclusterErrorKind.FileError"/>).</returns>
    public virtual Task<TaskclusterResult<UploadResult>> UploadFromFileAsync(string projectId, string name, string contentType, DateTimeOffset expires, string path, UploadOptions? options = null, CancellationToken cancellationToken = default) =>
        TransferAdapt.Upload(Target(projectId, name, contentType, expires, options), UploadData.OfFile(path, nameof(path)), options, cancellationToken);

    /// <inheritdoc cref="UploadFromFileAsync"/>
    public virtual TaskclusterResult<UploadResult> UploadFromFile(string projectId, string name, string contentType, DateTimeOffset expires, string path, UploadOptions? options = null, CancellationToken cancellationToken = default) =>
        Sync.Run(() => UploadFromFileAsync(projectId, name, contentType, expires, path, options, cancellationToken));

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
    public virtual Task<TaskclusterResult<DownloadResult>> DownloadToWriterAsync(string name, Func<CancellationToken, Task<Stream>> writerFactory, TransferOptions? options = null, CancellationToken cancellationToken = default) =>
        TransferAdapt.Download(Source(name), DownloadSink.OfWriter(writerFactory, nameof(writerFactory)), options, cancellationToken);

    /// <inheritdoc cref="DownloadToWriterAsync"/>
    /// <param name="writerFactory">Opens an empty destination, blocking; called again for every attempt (so it must discard what an earlier attempt wrote), and each stream is disposed when its attempt ends.</param>
    public virtual TaskclusterResult<DownloadResult> DownloadToWriter(string name, Func<CancellationToken, Stream> writerFactory, TransferOptions? options = null, CancellationToken cancellationToken = default) =>
        Sync.Run(() => DownloadToWriterAsync(name, TransferAdapt.Opening(writerFactory, nameof(writerFactory)), options, cancellationToken));

    /// <summary><c>downloadToBuf</c>: the object's data in memory, returned only once verified.</summary>
    /// <inheritdoc cref="DownloadToWriterAsync"/>
    /// <returns>The bytes and content type, or why the download failed.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="name"/> is null.</exception>
    public virtual Task<TaskclusterResult<BytesDownload>> DownloadToBytesAsync(string name, TransferOptions? options = null, CancellationToken cancellationToken = default) =>
        TransferAdapt.DownloadBytes(Source(name), options, cancellationToken);

    /// <inheritdoc cref="DownloadToBytesAsync"/>
    public virtual TaskclusterResult<BytesDownload> DownloadToBytes(string name, TransferOptions? options = null, CancellationToken cancellationToken = default) =>
        Sync.Run(() => DownloadToBytesAsync(name, options, cancellationToken));

    /// <summary>
    /// Downloads the object into a writable, seekable stream from its current position (truncated
    /// back to it for every attempt, left open). After an error it may hold unverified bytes.
    /// </summary>
    /// <inheritdoc cref="DownloadToWriterAsync"/>
    /// <param name="destination">The stream to write to.</param>
    public virtual Task<TaskclusterResult<DownloadResult>> DownloadToStreamAsync(string name, Stream destination, TransferOptions? options = null, CancellationToken cancellationToken = default) =>
        TransferAdapt.Download(Source(name), DownloadSink.OfStream(destination, nameof(destination)), options, cancellationToken);

    /// <inheritdoc cref="DownloadToStreamAsync"/>
    public virtual TaskclusterResult<DownloadResult> DownloadToStream(string name, Stream destination, TransferOptions? options = null, CancellationToken cancellationToken = default) =>
        Sync.Run(() => DownloadToStreamAsync(name, destination, options, cancellationToken));

    /// <summary>
    /// <c>downloadToFile</c>: downloads into a temporary file beside <paramref name="path"/>, renamed
    /// over it only once the hashes verify; after a failure or cancellation no file is left and
    /// <paramref name="path"/> is as it was.
    /// </summary>
    /// <inheritdoc cref="DownloadToWriterAsync"/>
    /// <param name="path">The destination file.</param>
    public virtual Task<TaskclusterResult<DownloadResult>> DownloadToFileAsync(string name, string path, TransferOptions? options = null, CancellationToken cancellationToken = default) =>
        TransferAdapt.Download(Source(name), DownloadSink.OfFile(path, nameof(path)), options, cancellationToken);

    /// <inheritdoc cref="DownloadToFileAsync"/>
    public virtual TaskclusterResult<DownloadResult> DownloadToFile(string name, string path, TransferOptions? options = null, CancellationToken cancellationToken = default) =>
        Sync.Run(() => DownloadToFileAsync(name, path, options, cancellationToken));
}
