using Microsoft.FSharp.Core;
using C = Taskcluster.Core;
using F = Taskcluster.Client;

namespace Taskcluster;

/// <summary>The conversions of the transfer and artifact members: options, factories and results.</summary>
internal static class TransferAdapt
{
    internal static F.TransferOptions Options(TransferOptions? options) =>
        new(
            options?.MaxRetries is { } retries ? FSharpOption<int>.Some(retries) : null,
            options?.Progress is { } progress ? FSharpOption<IProgress<F.TransferProgress>>.Some(new ProgressAdapter(progress)) : null);

    internal static F.UploadRequest Request(string projectId, string name, string contentType, DateTimeOffset expires, UploadOptions? options)
    {
        FSharpOption<C.SlugId>? uploadId = null;
        if (options?.UploadId is { } text)
        {
            var parsed = C.SlugIdModule.parse(text);
            uploadId = parsed.IsOk
                ? FSharpOption<C.SlugId>.Some(parsed.ResultValue)
                : throw new ArgumentException("UploadId is not a slugId: " + parsed.ErrorValue.Describe(), nameof(options));
        }

        return new F.UploadRequest(
            Adapt.NotNull(projectId, nameof(projectId)),
            Adapt.NotNull(name, nameof(name)),
            Adapt.NotNull(contentType, nameof(contentType)),
            expires,
            uploadId);
    }

    internal static F.ArtifactUpload Artifact(string taskId, int runId, string name, string contentType, DateTimeOffset expires) =>
        new(
            Adapt.NotNull(taskId, nameof(taskId)),
            runId,
            Adapt.NotNull(name, nameof(name)),
            Adapt.NotNull(contentType, nameof(contentType)),
            expires);

    /// <summary>A reader or writer factory as the F# layer takes it.</summary>
    internal static FSharpFunc<CancellationToken, Task<Stream>> Factory(Func<CancellationToken, Task<Stream>> factory, string name) =>
        FuncConvert.FromFunc(Adapt.NotNull(factory, name));

    internal static FSharpOption<int>? RunId(int? runId) =>
        runId is { } id ? FSharpOption<int>.Some(id) : null;

    internal static async Task<TaskclusterResult<UploadResult>> Uploaded(Task<FSharpResult<F.Uploaded, F.TransferError>> call)
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

    internal static async Task<TaskclusterResult<DownloadResult>> Downloaded(Task<FSharpResult<F.Downloaded, F.TransferError>> call)
    {
        var result = await call.ConfigureAwait(false);
        return result.IsOk
            ? new TaskclusterResult<DownloadResult>(Download(result.ResultValue))
            : new TaskclusterResult<DownloadResult>(TaskclusterError.From(result.ErrorValue));
    }

    internal static async Task<TaskclusterResult<BytesDownload>> Bytes(Task<FSharpResult<Tuple<byte[], F.Downloaded>, F.TransferError>> call)
    {
        var result = await call.ConfigureAwait(false);
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
