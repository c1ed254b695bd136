using Taskcluster.Emulator;
using Xunit;
using static Taskcluster.Tests.Transfers;

namespace Taskcluster.Tests;

/// <summary>Object uploads and downloads through <see cref="ObjectClient"/>, against the emulator.</summary>
public sealed class TransferTests : IClassFixture<EmulatorFixture>
{
    private readonly EmulatorFixture _tc;

    public TransferTests(EmulatorFixture tc) => _tc = tc;

    private ObjectClient Objects() => new(_tc.RootUrl, _tc.Root);

    private void AssertNoSecrets(TaskclusterError error)
    {
        foreach (var text in new[] { error.Description, error.ToString(), error.Message ?? "", error.Url ?? "" })
        {
            Assert.DoesNotContain(_tc.Emulator.AccessToken, text);
            Assert.DoesNotContain("bewit", text, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("signature", text, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(8191)]
    [InlineData(8192)]
    [InlineData(100_000)]
    public async Task BytesRoundTripBelowAndAbove8KiB(int length)
    {
        var objects = Objects();
        var name = ObjectName();
        var data = Bytes(length, length);

        var uploaded = Ok(await objects.UploadFromBytesAsync(ProjectId, name, "application/x-test", Expires(), data));

        Assert.Equal(name, uploaded.Name);
        Assert.Equal(length, uploaded.Length);
        Assert.Equal(length < 8192 ? UploadMethod.DataInline : UploadMethod.PutUrl, uploaded.Method);
        Assert.Equal(Sha256(data), uploaded.Sha256);
        Assert.Equal(Sha512(data), uploaded.Sha512);
        Assert.Equal(22, uploaded.UploadId.Length);
        Assert.DoesNotContain(uploaded.UploadId, uploaded.ToString());

        var back = Ok(await objects.DownloadToBytesAsync(name));

        Assert.Equal(data, back.Data);
        Assert.Equal("application/x-test", back.ContentType);
        Assert.Equal(length, back.Download.Length);
        Assert.Equal(new[] { "sha256", "sha512" }, back.Download.VerifiedHashes);
    }

    [Fact]
    public async Task FileAndStreamRoundTrips()
    {
        var objects = Objects();
        using var folder = new TempFolder();
        var data = Bytes(7, 300_000);
        var source = folder.File("in.bin");
        await File.WriteAllBytesAsync(source, data);

        var fromFile = ObjectName();
        Ok(await objects.UploadFromFileAsync(ProjectId, fromFile, "application/octet-stream", Expires(), source));
        var copy = folder.File("out.bin");
        var downloaded = Ok(await objects.DownloadToFileAsync(fromFile, copy));

        Assert.Equal(data, await File.ReadAllBytesAsync(copy));
        Assert.Equal(data.Length, downloaded.Length);
        Assert.Equal(new[] { "in.bin", "out.bin" }, folder.Entries);

        var fromStream = ObjectName();
        using (var input = new MemoryStream(data))
        {
            input.Position = 1234; // uploaded from position 0 whatever the position
            Ok(await objects.UploadFromStreamAsync(ProjectId, fromStream, "application/octet-stream", Expires(), input));
        }

        using var output = new MemoryStream();
        output.Write("prefix"u8);
        Ok(await objects.DownloadToStreamAsync(fromStream, output));
        Assert.Equal("prefix"u8.ToArray().Concat(data), output.ToArray());
    }

    [Fact]
    public async Task ReaderAndWriterFactoriesAreCalledPerAttempt()
    {
        var objects = Objects();
        var name = ObjectName();
        var data = Bytes(8, 50_000);
        var readers = 0;

        // The first PUT fails with a 503, so the data is read twice.
        _tc.Emulator.Faults.Inject(FaultTarget.Blob(name), Fault.Status(503), 1);
        var progress = new ProgressRecorder();
        var uploaded = Ok(await objects.UploadAsync(
            ProjectId,
            name,
            "application/octet-stream",
            Expires(),
            data.Length,
            _ =>
            {
                Interlocked.Increment(ref readers);
                return Task.FromResult<Stream>(new MemoryStream(data, writable: false));
            },
            new UploadOptions { Progress = progress }));

        Assert.Equal(2, readers);
        Assert.Equal(UploadMethod.PutUrl, uploaded.Method);
        progress.AssertMonotoneEndingAt(data.Length);
        Assert.Equal(2, progress.Reports[^1].Attempt);

        var writers = new List<MemoryStream>();
        var downloadProgress = new ProgressRecorder();
        // A truncated body: the download is retried, into a fresh writer when the first one had
        // been opened (the connection's reset may also reach the client before the headers).
        _tc.Emulator.Faults.Inject(FaultTarget.Blob(name), Fault.TruncateBody(1000), 1);
        var downloaded = Ok(await objects.DownloadToWriterAsync(
            name,
            _ =>
            {
                var stream = new MemoryStream();
                writers.Add(stream);
                return Task.FromResult<Stream>(stream);
            },
            new TransferOptions { Progress = downloadProgress }));

        Assert.InRange(writers.Count, 1, 2);
        Assert.Equal(data, writers[^1].ToArray());
        Assert.Equal(2, downloadProgress.Reports[^1].Attempt);
        downloadProgress.AssertMonotoneEndingAt(data.Length);
        Assert.Equal(DownloadMethod.GetUrl, downloaded.Method);
    }

    [Fact]
    public async Task ProgressIsMonotoneAndEndsAtTheTotal()
    {
        var objects = Objects();
        var name = ObjectName();
        var data = Bytes(9, 700_000);

        var up = new ProgressRecorder();
        Ok(await objects.UploadFromBytesAsync(ProjectId, name, "application/octet-stream", Expires(), data, new UploadOptions { Progress = up }));
        up.AssertMonotoneEndingAt(data.Length);
        Assert.True(up.Reports.Count > 2, $"several reports for 700 kB, got {up.Reports.Count}");

        var down = new ProgressRecorder();
        Ok(await objects.DownloadToBytesAsync(name, new TransferOptions { Progress = down }));
        down.AssertMonotoneEndingAt(data.Length);
        Assert.All(down.Reports, r => Assert.Equal(1, r.Attempt));
    }

    [Fact]
    public async Task AGivenUploadIdIsUsedAndABadOneIsRefused()
    {
        var objects = Objects();
        var uploadId = SlugIds.NewSlugId();

        var uploaded = Ok(await objects.UploadFromBytesAsync(ProjectId, ObjectName(), "text/plain", Expires(), "hello"u8.ToArray(), new UploadOptions { UploadId = uploadId }));
        Assert.Equal(uploadId, uploaded.UploadId);

        await Assert.ThrowsAsync<ArgumentException>(() =>
            objects.UploadFromBytesAsync(ProjectId, ObjectName(), "text/plain", Expires(), "x"u8.ToArray(), new UploadOptions { UploadId = "not a slug" }));
        await Assert.ThrowsAsync<ArgumentNullException>(() =>
            objects.UploadFromBytesAsync(ProjectId, null!, "text/plain", Expires(), "x"u8.ToArray()));
        await Assert.ThrowsAsync<ArgumentNullException>(() => objects.DownloadToFileAsync("x", null!));
    }

    [Fact]
    public async Task CorruptedBytesAreAHashMismatchAndLeaveNoFile()
    {
        var objects = Objects();
        var name = ObjectName();
        var data = Bytes(10, 100_000);
        Ok(await objects.UploadFromBytesAsync(ProjectId, name, "application/octet-stream", Expires(), data));

        _tc.Emulator.Faults.Inject(FaultTarget.Blob(name), Fault.CorruptBytes, 1);
        var error = Failed(await objects.DownloadToBytesAsync(name));

        Assert.Equal(TaskclusterErrorKind.HashMismatch, error.Kind);
        Assert.Equal(name, error.Name);
        Assert.Equal("sha256", error.Algorithm);
        Assert.Equal(Sha256(data), error.ExpectedHash);
        Assert.NotEqual(error.ExpectedHash, error.ActualHash);
        Assert.Contains(name, error.Description);
        AssertNoSecrets(error);

        using var folder = new TempFolder();
        var path = folder.File("out.bin");
        await File.WriteAllTextAsync(path, "the old content");
        _tc.Emulator.Faults.Inject(FaultTarget.Blob(name), Fault.CorruptBytes, 1);

        Assert.Equal(TaskclusterErrorKind.HashMismatch, Failed(await objects.DownloadToFileAsync(name, path)).Kind);
        Assert.Equal("the old content", await File.ReadAllTextAsync(path));
        Assert.Equal(new[] { "out.bin" }, folder.Entries);

        var fresh = folder.File("fresh.bin");
        _tc.Emulator.Faults.Inject(FaultTarget.Blob(name), Fault.CorruptBytes, 1);
        Assert.Equal(TaskclusterErrorKind.HashMismatch, Failed(await objects.DownloadToFileAsync(name, fresh)).Kind);
        Assert.Equal(new[] { "out.bin" }, folder.Entries);

        // Not retried into success, but a later clean download succeeds.
        Ok(await objects.DownloadToFileAsync(name, path));
        Assert.Equal(data, await File.ReadAllBytesAsync(path));
    }

    [Fact]
    public async Task CancellationThrowsAndLeavesNoFile()
    {
        var objects = Objects();
        var name = ObjectName();
        var data = Bytes(11, 60_000);
        Ok(await objects.UploadFromBytesAsync(ProjectId, name, "application/octet-stream", Expires(), data));

        using var folder = new TempFolder();
        _tc.Emulator.Faults.Inject(FaultTarget.Blob(name), Fault.Delay(TimeSpan.FromSeconds(30)), 1);
        using var cancellation = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        var started = DateTime.UtcNow;

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            objects.DownloadToFileAsync(name, folder.File("out.bin"), cancellationToken: cancellation.Token));

        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(20), "cancelled promptly, not after the delay");
        Assert.Empty(folder.Entries);

        var neverUploaded = ObjectName();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            objects.UploadFromBytesAsync(ProjectId, neverUploaded, "text/plain", Expires(), data, cancellationToken: new CancellationToken(true)));
        Assert.Equal(TaskclusterErrorKind.ClientError, Failed(await objects.ObjectJsonAsync(neverUploaded)).Kind);
    }

    [Fact]
    public async Task ReaderGivingTheWrongLengthIsALengthMismatch()
    {
        var objects = Objects();
        var data = Bytes(12, 20_000);

        var error = Failed(await objects.UploadAsync(
            ProjectId, ObjectName(), "application/octet-stream", Expires(), 30_000, _ => Task.FromResult<Stream>(new MemoryStream(data))));

        Assert.Equal(TaskclusterErrorKind.LengthMismatch, error.Kind);
        Assert.Equal(30_000, error.ExpectedLength);
        Assert.Equal(20_000, error.ActualLength);
        AssertNoSecrets(error);
    }

    [Fact]
    public async Task AMissingFileIsAFileErrorNamingIt()
    {
        using var folder = new TempFolder();
        var path = folder.File("missing.bin");

        var error = Failed(await Objects().UploadFromFileAsync(ProjectId, ObjectName(), "text/plain", Expires(), path));

        Assert.Equal(TaskclusterErrorKind.FileError, error.Kind);
        Assert.Equal(path, error.FilePath);
        Assert.Contains("missing.bin", error.Description);
    }

    [Fact]
    public async Task AnObjectWithoutHashesIsNotDownloaded()
    {
        var objects = Objects();
        var name = ObjectName();
        var uploadId = SlugIds.NewSlugId();
        var expires = FromNowOffsets.FromNowJson("1 day");

        // An upload finished with no data and no hashes, as only a raw client can make it.
        Ok(await objects.CreateUploadJsonAsync(name, new { projectId = ProjectId, uploadId, expires, proposedUploadMethods = new { } }));
        Ok(await objects.FinishUploadJsonAsync(name, new { projectId = ProjectId, uploadId }));

        var error = Failed(await objects.DownloadToBytesAsync(name));

        Assert.Equal(TaskclusterErrorKind.NoAcceptableHash, error.Kind);
        Assert.Equal(name, error.Name);
        Assert.NotNull(error.Algorithms);
        Assert.DoesNotContain("sha256", error.Algorithms);
    }

    [Fact]
    public async Task AMissingObjectKeepsTheServiceErrorKind()
    {
        var error = Failed(await Objects().DownloadToBytesAsync(ObjectName()));

        Assert.Equal(TaskclusterErrorKind.ClientError, error.Kind);
        Assert.Equal(404, error.Status);
        Assert.Equal("object.startDownload", error.ApiMethod);
    }
}
