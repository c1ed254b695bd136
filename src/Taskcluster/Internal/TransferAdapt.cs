using Microsoft.FSharp.Core;
using C = Taskcluster.Core;
using F = Taskcluster.Client;

namespace Taskcluster;

/// <summary>
/// The one adaptation of the transfer and artifact members of <see cref="ObjectClient"/> and
/// <see cref="QueueClient"/>: a member names what it moves (an <see cref="UploadTarget"/> or a
/// <see cref="DownloadSource"/>) and where the bytes come from or go (an
/// <see cref="UploadData"/> or a <see cref="DownloadSink"/>); options, factories and results are
/// converted here, whichever F# layer (objects or artifacts) does the work.
/// </summary>
internal static class TransferAdapt
{
    internal static Task<TaskclusterResult<UploadResult>> Upload(
        UploadTarget target, UploadData data, TransferOptions? options, CancellationToken cancellationToken)
    {
        var o = Options(options);
        return Uploaded(data.Kind switch
        {
            UploadData.From.Reader => target.Upload(o, data.Length, data.Reader!, cancellationToken),
            UploadData.From.Bytes => target.UploadFromBuf(o, data.Bytes, cancellationToken),
            UploadData.From.Stream => target.UploadFromStream(o, data.Stream!, cancellationToken),
            _ => target.UploadFromFile(o, data.Path!, cancellationToken),
        });
    }

    internal static Task<TaskclusterResult<DownloadResult>> Download(
        DownloadSource source, DownloadSink sink, TransferOptions? options, CancellationToken cancellationToken)
    {
        var o = Options(options);
        return Downloaded(sink.Kind switch
        {
            DownloadSink.To.Writer => source.Download(o, sink.Writer!, cancellationToken),
            DownloadSink.To.Stream => source.DownloadToStream(o, sink.Stream!, cancellationToken),
            _ => source.DownloadToFile(o, sink.Path!, cancellationToken),
        });
    }

    internal static async Task<TaskclusterResult<BytesDownload>> DownloadBytes(
        DownloadSource source, TransferOptions? options, CancellationToken cancellationToken)
    {
        var result = await source.DownloadToBuf(Options(options), cancellationToken).ConfigureAwait(false);
        return result.IsOk
            ? new TaskclusterResult<BytesDownload>(new BytesDownload(result.ResultValue.Item1, Download(result.ResultValue.Item2)))
            : new TaskclusterResult<BytesDownload>(TaskclusterError.From(result.ErrorValue));
    }

    internal static async Task<TaskclusterResult<CreatedArtifact>> Created(
        Task<FSharpResult<Unit, F.TransferError>> call, string taskId, int runId, string name, string storageType)
    {
        var result = await call.ConfigureAwait(false);
        return result.IsOk
            ? new TaskclusterResult<CreatedArtifact>(new CreatedArtifact(taskId, runId, name, storageType))
            : new TaskclusterResult<CreatedArtifact>(TaskclusterError.From(result.ErrorValue));
    }

    /// <summary>A blocking member's factory as the asynchronous members take it: a factory that throws gives a faulted task.</summary>
    internal static Func<CancellationToken, Task<Stream>> Opening(Func<CancellationToken, Stream> factory, string name)
    {
        Adapt.NotNull(factory, name);
        return cancellationToken =>
        {
            try
            {
                return Task.FromResult(factory(cancellationToken));
            }
            catch (Exception e)
            {
                return Task.FromException<Stream>(e);
            }
        };
    }

    internal static F.TransferOptions Options(TransferOptions? options) =>
        new(
            options?.MaxRetries is { } retries ? FSharpOption<int>.Some(retries) : null,
            options?.Progress is { } progress ? FSharpOption<IProgress<F.TransferProgress>>.Some(new ProgressAdapter(progress)) : null);

    internal static FSharpOption<int>? RunId(int? runId) =>
        runId is { } id ? FSharpOption<int>.Some(id) : null;

    /// <summary>A reader or writer factory as the F# layer takes it.</summary>
    internal static FSharpFunc<CancellationToken, Task<Stream>> Factory(Func<CancellationToken, Task<Stream>> factory, string name) =>
        FuncConvert.FromFunc(Adapt.NotNull(factory, name));

    private static async Task<TaskclusterResult<UploadResult>> Uploaded(Task<FSharpResult<F.Uploaded, F.TransferError>> call)
    {
        var result = await call.ConfigureAwait(false);
        if (result.IsError)
        {
            return new TaskclusterResult<UploadResult>(TaskclusterError.From(result.ErrorValue));
        }

        var u = result.ResultValue;
        return new TaskclusterResult<UploadResult>(
            new UploadResult(u.Name, u.UploadId.Value, u.Method.IsDataInline ? UploadMethod.DataInline : UploadMethod.PutUrl, u.Length, u.Sha256, u.Sha512));
    }

    private static async Task<TaskclusterResult<DownloadResult>> Downloaded(Task<FSharpResult<F.Downloaded, F.TransferError>> call)
    {
        var result = await call.ConfigureAwait(false);
        return result.IsOk
            ? new TaskclusterResult<DownloadResult>(Download(result.ResultValue))
            : new TaskclusterResult<DownloadResult>(TaskclusterError.From(result.ErrorValue));
    }

    private static DownloadResult Download(F.Downloaded d) =>
        new(
            d.Name,
            d.ContentType,
            d.Length,
            d.Method.IsGetUrl ? DownloadMethod.GetUrl : d.Method.IsSimple ? DownloadMethod.Simple : DownloadMethod.ArtifactUrl,
            d.VerifiedHashes.ToArray());

    /// <summary>Passes the F# layer's reports on as the facade's, synchronously.</summary>
    private sealed class ProgressAdapter(IProgress<TransferProgress> target) : IProgress<F.TransferProgress>
    {
        public void Report(F.TransferProgress value) =>
            target.Report(new TransferProgress(
                value.BytesTransferred,
                value.TotalBytes is null ? null : value.TotalBytes.Value,
                value.Attempt));
    }
}

/// <summary>Where an upload's bytes come from: a reader factory and its length, bytes in memory, a seekable stream or a file. Arguments are checked on creation.</summary>
internal readonly struct UploadData
{
    internal enum From
    {
        Reader,
        Bytes,
        Stream,
        File,
    }

    private UploadData(From kind, long length = 0, FSharpFunc<CancellationToken, Task<Stream>>? reader = null, ReadOnlyMemory<byte> bytes = default, Stream? stream = null, string? path = null)
    {
        Kind = kind;
        Length = length;
        Reader = reader;
        Bytes = bytes;
        Stream = stream;
        Path = path;
    }

    internal From Kind { get; }

    internal long Length { get; }

    internal FSharpFunc<CancellationToken, Task<Stream>>? Reader { get; }

    internal ReadOnlyMemory<byte> Bytes { get; }

    internal Stream? Stream { get; }

    internal string? Path { get; }

    internal static UploadData OfReader(long length, Func<CancellationToken, Task<Stream>> reader, string name) =>
        new(From.Reader, length: length, reader: TransferAdapt.Factory(reader, name));

    internal static UploadData OfBytes(ReadOnlyMemory<byte> bytes) => new(From.Bytes, bytes: bytes);

    internal static UploadData OfStream(Stream stream, string name) => new(From.Stream, stream: Adapt.NotNull(stream, name));

    internal static UploadData OfFile(string path, string name) => new(From.File, path: Adapt.NotNull(path, name));
}

/// <summary>Where a download's bytes go: a writer factory, a seekable stream or a file (bytes in memory have a member of their own). Arguments are checked on creation.</summary>
internal readonly struct DownloadSink
{
    internal enum To
    {
        Writer,
        Stream,
        File,
    }

    private DownloadSink(To kind, FSharpFunc<CancellationToken, Task<Stream>>? writer = null, Stream? stream = null, string? path = null)
    {
        Kind = kind;
        Writer = writer;
        Stream = stream;
        Path = path;
    }

    internal To Kind { get; }

    internal FSharpFunc<CancellationToken, Task<Stream>>? Writer { get; }

    internal Stream? Stream { get; }

    internal string? Path { get; }

    internal static DownloadSink OfWriter(Func<CancellationToken, Task<Stream>> writer, string name) =>
        new(To.Writer, writer: TransferAdapt.Factory(writer, name));

    internal static DownloadSink OfStream(Stream stream, string name) => new(To.Stream, stream: Adapt.NotNull(stream, name));

    internal static DownloadSink OfFile(string path, string name) => new(To.File, path: Adapt.NotNull(path, name));
}

/// <summary>What an upload creates: an object or an artifact, with the F# layer's four ways to give it its data.</summary>
internal abstract class UploadTarget
{
    internal abstract Task<FSharpResult<F.Uploaded, F.TransferError>> Upload(
        F.TransferOptions options, long contentLength, FSharpFunc<CancellationToken, Task<Stream>> reader, CancellationToken cancellationToken);

    internal abstract Task<FSharpResult<F.Uploaded, F.TransferError>> UploadFromBuf(
        F.TransferOptions options, ReadOnlyMemory<byte> data, CancellationToken cancellationToken);

    internal abstract Task<FSharpResult<F.Uploaded, F.TransferError>> UploadFromStream(
        F.TransferOptions options, Stream stream, CancellationToken cancellationToken);

    internal abstract Task<FSharpResult<F.Uploaded, F.TransferError>> UploadFromFile(
        F.TransferOptions options, string path, CancellationToken cancellationToken);

    /// <summary>An object of the object service; a bad <see cref="UploadOptions.UploadId"/> throws <see cref="ArgumentException"/>.</summary>
    internal static UploadTarget Object(F.ObjectApi api, string projectId, string name, string contentType, DateTimeOffset expires, UploadOptions? options)
    {
        FSharpOption<C.SlugId>? uploadId = null;
        if (options?.UploadId is { } text)
        {
            var parsed = C.SlugIdModule.parse(text);
            uploadId = parsed.IsOk
                ? FSharpOption<C.SlugId>.Some(parsed.ResultValue)
                : throw new ArgumentException("UploadId is not a slugId: " + parsed.ErrorValue.Describe(), nameof(options));
        }

        return new ObjectTarget(
            api,
            new F.UploadRequest(
                Adapt.NotNull(projectId, nameof(projectId)),
                Adapt.NotNull(name, nameof(name)),
                Adapt.NotNull(contentType, nameof(contentType)),
                expires,
                uploadId));
    }

    /// <summary>An <c>object</c> artifact of a task's run.</summary>
    internal static UploadTarget Artifact(F.QueueApi api, string taskId, int runId, string name, string contentType, DateTimeOffset expires) =>
        new ArtifactTarget(
            api,
            new F.ArtifactUpload(
                Adapt.NotNull(taskId, nameof(taskId)),
                runId,
                Adapt.NotNull(name, nameof(name)),
                Adapt.NotNull(contentType, nameof(contentType)),
                expires));

    private sealed class ObjectTarget(F.ObjectApi api, F.UploadRequest request) : UploadTarget
    {
        internal override Task<FSharpResult<F.Uploaded, F.TransferError>> Upload(F.TransferOptions options, long contentLength, FSharpFunc<CancellationToken, Task<Stream>> reader, CancellationToken cancellationToken) =>
            F.Transfer.upload(api, options, request, contentLength, reader, cancellationToken);

        internal override Task<FSharpResult<F.Uploaded, F.TransferError>> UploadFromBuf(F.TransferOptions options, ReadOnlyMemory<byte> data, CancellationToken cancellationToken) =>
            F.Transfer.uploadFromBuf(api, options, request, data, cancellationToken);

        internal override Task<FSharpResult<F.Uploaded, F.TransferError>> UploadFromStream(F.TransferOptions options, Stream stream, CancellationToken cancellationToken) =>
            F.Transfer.uploadFromStream(api, options, request, stream, cancellationToken);

        internal override Task<FSharpResult<F.Uploaded, F.TransferError>> UploadFromFile(F.TransferOptions options, string path, CancellationToken cancellationToken) =>
            F.Transfer.uploadFromFile(api, options, request, path, cancellationToken);
    }

    private sealed class ArtifactTarget(F.QueueApi api, F.ArtifactUpload artifact) : UploadTarget
    {
        internal override Task<FSharpResult<F.Uploaded, F.TransferError>> Upload(F.TransferOptions options, long contentLength, FSharpFunc<CancellationToken, Task<Stream>> reader, CancellationToken cancellationToken) =>
            F.Artifact.upload(api, options, artifact, contentLength, reader, cancellationToken);

        internal override Task<FSharpResult<F.Uploaded, F.TransferError>> UploadFromBuf(F.TransferOptions options, ReadOnlyMemory<byte> data, CancellationToken cancellationToken) =>
            F.Artifact.uploadFromBuf(api, options, artifact, data, cancellationToken);

        internal override Task<FSharpResult<F.Uploaded, F.TransferError>> UploadFromStream(F.TransferOptions options, Stream stream, CancellationToken cancellationToken) =>
            F.Artifact.uploadFromStream(api, options, artifact, stream, cancellationToken);

        internal override Task<FSharpResult<F.Uploaded, F.TransferError>> UploadFromFile(F.TransferOptions options, string path, CancellationToken cancellationToken) =>
            F.Artifact.uploadFromFile(api, options, artifact, path, cancellationToken);
    }
}

/// <summary>What a download fetches: an object, an artifact, or a managed artifact (refusing <c>reference</c> artifacts), with the F# layer's four sinks.</summary>
internal abstract class DownloadSource
{
    private protected DownloadSource()
    {
    }

    internal abstract Task<FSharpResult<F.Downloaded, F.TransferError>> Download(
        F.TransferOptions options, FSharpFunc<CancellationToken, Task<Stream>> writer, CancellationToken cancellationToken);

    internal abstract Task<FSharpResult<Tuple<byte[], F.Downloaded>, F.TransferError>> DownloadToBuf(
        F.TransferOptions options, CancellationToken cancellationToken);

    internal abstract Task<FSharpResult<F.Downloaded, F.TransferError>> DownloadToStream(
        F.TransferOptions options, Stream stream, CancellationToken cancellationToken);

    internal abstract Task<FSharpResult<F.Downloaded, F.TransferError>> DownloadToFile(
        F.TransferOptions options, string path, CancellationToken cancellationToken);

    internal static DownloadSource Object(F.ObjectApi api, string name) =>
        new ObjectSource(api, Adapt.NotNull(name, nameof(name)));

    /// <summary>An artifact of run <paramref name="runId"/> (null: the latest run), of any storage type or, when <paramref name="managed"/>, only of those the deployment manages.</summary>
    internal static DownloadSource Artifact(F.QueueApi api, string taskId, int? runId, string name, bool managed) =>
        new ArtifactSource(api, Adapt.NotNull(taskId, nameof(taskId)), TransferAdapt.RunId(runId), Adapt.NotNull(name, nameof(name)), managed);

    private sealed class ObjectSource(F.ObjectApi api, string name) : DownloadSource
    {
        internal override Task<FSharpResult<F.Downloaded, F.TransferError>> Download(F.TransferOptions options, FSharpFunc<CancellationToken, Task<Stream>> writer, CancellationToken cancellationToken) =>
            F.Transfer.download(api, options, name, writer, cancellationToken);

        internal override Task<FSharpResult<Tuple<byte[], F.Downloaded>, F.TransferError>> DownloadToBuf(F.TransferOptions options, CancellationToken cancellationToken) =>
            F.Transfer.downloadToBuf(api, options, name, cancellationToken);

        internal override Task<FSharpResult<F.Downloaded, F.TransferError>> DownloadToStream(F.TransferOptions options, Stream stream, CancellationToken cancellationToken) =>
            F.Transfer.downloadToStream(api, options, name, stream, cancellationToken);

        internal override Task<FSharpResult<F.Downloaded, F.TransferError>> DownloadToFile(F.TransferOptions options, string path, CancellationToken cancellationToken) =>
            F.Transfer.downloadToFile(api, options, name, path, cancellationToken);
    }

    private sealed class ArtifactSource(F.QueueApi api, string taskId, FSharpOption<int>? runId, string name, bool managed) : DownloadSource
    {
        internal override Task<FSharpResult<F.Downloaded, F.TransferError>> Download(F.TransferOptions options, FSharpFunc<CancellationToken, Task<Stream>> writer, CancellationToken cancellationToken) =>
            managed
                ? F.Artifact.downloadManaged(api, options, taskId, runId, name, writer, cancellationToken)
                : F.Artifact.download(api, options, taskId, runId, name, writer, cancellationToken);

        internal override Task<FSharpResult<Tuple<byte[], F.Downloaded>, F.TransferError>> DownloadToBuf(F.TransferOptions options, CancellationToken cancellationToken) =>
            managed
                ? F.Artifact.downloadManagedToBuf(api, options, taskId, runId, name, cancellationToken)
                : F.Artifact.downloadToBuf(api, options, taskId, runId, name, cancellationToken);

        internal override Task<FSharpResult<F.Downloaded, F.TransferError>> DownloadToStream(F.TransferOptions options, Stream stream, CancellationToken cancellationToken) =>
            managed
                ? F.Artifact.downloadManagedToStream(api, options, taskId, runId, name, stream, cancellationToken)
                : F.Artifact.downloadToStream(api, options, taskId, runId, name, stream, cancellationToken);

        internal override Task<FSharpResult<F.Downloaded, F.TransferError>> DownloadToFile(F.TransferOptions options, string path, CancellationToken cancellationToken) =>
            managed
                ? F.Artifact.downloadManagedToFile(api, options, taskId, runId, name, path, cancellationToken)
                : F.Artifact.downloadToFile(api, options, taskId, runId, name, path, cancellationToken);
    }
}
