namespace Taskcluster;

/// <summary>
/// How far an upload or download has got. Within one attempt <see cref="BytesTransferred"/>
/// never goes down; a retry starts again at 0 with <see cref="Attempt"/> one higher; the last
/// report of a successful transfer has <see cref="BytesTransferred"/> equal to <see cref="TotalBytes"/>.
/// </summary>
/// <param name="BytesTransferred">The bytes sent (upload) or received (download) in this attempt.</param>
/// <param name="TotalBytes">The object's size when known (uploads always; downloads once the response announces it, and at the end).</param>
/// <param name="Attempt">The attempt, from 1.</param>
public readonly record struct TransferProgress(long BytesTransferred, long? TotalBytes, int Attempt);

/// <summary>Settings of one upload or download; every property is optional.</summary>
public class TransferOptions
{
    /// <summary>How many times a failed data request is retried (5xx, 429, connection failures, truncated bodies, stalls); null for the client's <see cref="TaskclusterClientOptions.MaxRetries"/>.</summary>
    public int? MaxRetries { get; set; }

    /// <summary>Where progress goes. Reports are made synchronously on the transfer's thread, so a <see cref="Progress{T}"/> posts them to its context in order.</summary>
    public IProgress<TransferProgress>? Progress { get; set; }
}

/// <summary>Settings of one object upload.</summary>
public sealed class UploadOptions : TransferOptions
{
    /// <summary>
    /// The upload id, a slugId; null for a fresh one. Keep it secret: whoever knows it can finish
    /// the upload. Give the same id again to resume an upload that was interrupted.
    /// </summary>
    public string? UploadId { get; set; }
}

/// <summary>How the object service took the data of an upload.</summary>
public enum UploadMethod
{
    /// <summary>Inline, base64 in the <c>createUpload</c> request (objects under 8 KiB).</summary>
    DataInline,

    /// <summary>A PUT of the bytes to a URL the service handed out.</summary>
    PutUrl,
}

/// <summary>Where the bytes of a download came from.</summary>
public enum DownloadMethod
{
    /// <summary>The object service's <c>getUrl</c> method (hashes in the response, URL renewed when it expires).</summary>
    GetUrl,

    /// <summary>The object service's <c>simple</c> method (hashes from the object's metadata).</summary>
    Simple,

    /// <summary>An <c>s3</c> or <c>reference</c> artifact's URL (no hashes to verify).</summary>
    ArtifactUrl,
}

/// <summary>A finished upload. <see cref="ToString"/> leaves out the upload id, which lets its holder finish the upload.</summary>
public sealed class UploadResult
{
    internal UploadResult(string name, string uploadId, UploadMethod method, long length, string sha256, string sha512)
    {
        Name = name;
        UploadId = uploadId;
        Method = method;
        Length = length;
        Sha256 = sha256;
        Sha512 = sha512;
    }

    /// <summary>The object's name (for an artifact, the object the queue named, <c>t/&lt;taskId&gt;/&lt;runId&gt;/&lt;name&gt;</c>).</summary>
    public string Name { get; }

    /// <summary>The upload id used (a slugId).</summary>
    public string UploadId { get; }

    /// <summary>How the data went.</summary>
    public UploadMethod Method { get; }

    /// <summary>The bytes uploaded.</summary>
    public long Length { get; }

    /// <summary>The SHA-256 of the data, lower-case hex, as recorded by <c>finishUpload</c>.</summary>
    public string Sha256 { get; }

    /// <summary>The SHA-512 of the data, lower-case hex, as recorded by <c>finishUpload</c>.</summary>
    public string Sha512 { get; }

    /// <inheritdoc/>
    public override string ToString() => $"UploadResult(Name={Name}, Method={Method}, Length={Length}, Sha256={Sha256})";
}

/// <summary>A finished, verified download.</summary>
public sealed class DownloadResult
{
    internal DownloadResult(string name, string contentType, long length, DownloadMethod method, IReadOnlyList<string> verifiedHashes)
    {
        Name = name;
        ContentType = contentType;
        Length = length;
        Method = method;
        VerifiedHashes = verifiedHashes;
    }

    /// <summary>The object's (or artifact's) name.</summary>
    public string Name { get; }

    /// <summary>The content type the data was served with (<c>application/octet-stream</c> when none).</summary>
    public string ContentType { get; }

    /// <summary>The bytes written.</summary>
    public long Length { get; }

    /// <summary>How the bytes came.</summary>
    public DownloadMethod Method { get; }

    /// <summary>The hash algorithms the bytes were checked against (<c>sha256</c>, <c>sha512</c>); empty for artifact URLs, which carry no hashes.</summary>
    public IReadOnlyList<string> VerifiedHashes { get; }

    /// <inheritdoc/>
    public override string ToString() =>
        $"DownloadResult(Name={Name}, ContentType={ContentType}, Length={Length}, Method={Method}, VerifiedHashes=[{string.Join(", ", VerifiedHashes)}])";
}

/// <summary>A download into memory: the verified bytes and what the download found out about them.</summary>
public sealed class BytesDownload
{
    internal BytesDownload(byte[] data, DownloadResult download)
    {
        Data = data;
        Download = download;
    }

    /// <summary>The bytes (verified against every hash the service recorded).</summary>
    public byte[] Data { get; }

    /// <summary>The content type the data was served with.</summary>
    public string ContentType => Download.ContentType;

    /// <summary>The name, length, method and verified hashes.</summary>
    public DownloadResult Download { get; }

    /// <inheritdoc/>
    public override string ToString() => $"BytesDownload({Data.Length} bytes, {Download})";
}

/// <summary>An artifact that carries no data of its own (<c>reference</c>, <c>link</c> or <c>error</c>), as created.</summary>
public sealed class CreatedArtifact
{
    internal CreatedArtifact(string taskId, int runId, string name, string storageType)
    {
        TaskId = taskId;
        RunId = runId;
        Name = name;
        StorageType = storageType;
    }

    /// <summary>The task.</summary>
    public string TaskId { get; }

    /// <summary>The run.</summary>
    public int RunId { get; }

    /// <summary>The artifact's name.</summary>
    public string Name { get; }

    /// <summary>The storage type: <c>reference</c>, <c>link</c> or <c>error</c>.</summary>
    public string StorageType { get; }

    /// <inheritdoc/>
    public override string ToString() => $"CreatedArtifact({StorageType} {TaskId}/{RunId}/{Name})";
}
