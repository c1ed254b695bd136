using Xunit;
using static Taskcluster.Tests.Transfers;

namespace Taskcluster.Tests;

/// <summary>Artifacts of every storage type through <see cref="QueueClient"/>, against the emulator.</summary>
public sealed class ArtifactTests : IClassFixture<EmulatorFixture>
{
    private readonly EmulatorFixture _tc;

    public ArtifactTests(EmulatorFixture tc) => _tc = tc;

    private QueueClient Queue() => new(_tc.RootUrl, _tc.Root);

    private static string ArtifactName() => $"public/csharp/{SlugIds.NewSlugId()}.bin";

    [Fact]
    public async Task ObjectArtifactsUploadAndDownloadByRunAndLatest()
    {
        var queue = Queue();
        var taskId = await RunningTaskAsync(queue);
        var name = ArtifactName();
        var data = Bytes(31, 150_000);

        var uploaded = Ok(await queue.UploadArtifactFromBytesAsync(taskId, 0, name, "application/x-test", Expires(), data));

        Assert.Equal($"t/{taskId}/0/{name}", uploaded.Name);
        Assert.Equal(Sha256(data), uploaded.Sha256);

        foreach (var runId in new int?[] { 0, null })
        {
            var back = Ok(await queue.DownloadArtifactToBytesAsync(taskId, runId, name));
            Assert.Equal(data, back.Data);
            Assert.Equal("application/x-test", back.ContentType);
            Assert.Equal(name, back.Download.Name);
            Assert.Equal(DownloadMethod.GetUrl, back.Download.Method);
            Assert.Equal(new[] { "sha256", "sha512" }, back.Download.VerifiedHashes);
        }

        var small = ArtifactName();
        Ok(await queue.UploadArtifactFromBytesAsync(taskId, 0, small, "text/plain", Expires(), "tiny"u8.ToArray()));
        Assert.Equal("tiny"u8.ToArray(), Ok(await queue.DownloadArtifactToBytesAsync(taskId, null, small)).Data);
    }

    [Fact]
    public async Task ObjectArtifactsFromFilesStreamsAndFactories()
    {
        var queue = Queue();
        var taskId = await RunningTaskAsync(queue);
        using var folder = new TempFolder();
        var data = Bytes(32, 90_000);
        var source = folder.File("in.bin");
        await File.WriteAllBytesAsync(source, data);

        var fromFile = ArtifactName();
        Ok(await queue.UploadArtifactFromFileAsync(taskId, 0, fromFile, "application/octet-stream", Expires(), source));
        var copy = folder.File("out.bin");
        Ok(await queue.DownloadArtifactToFileAsync(taskId, 0, fromFile, copy));
        Assert.Equal(data, await File.ReadAllBytesAsync(copy));

        var fromStream = ArtifactName();
        using (var input = new MemoryStream(data))
        {
            Ok(await queue.UploadArtifactFromStreamAsync(taskId, 0, fromStream, "application/octet-stream", Expires(), input));
        }

        using var output = new MemoryStream();
        Ok(await queue.DownloadArtifactToStreamAsync(taskId, null, fromStream, output));
        Assert.Equal(data, output.ToArray());

        var fromFactory = ArtifactName();
        var progress = new ProgressRecorder();
        Ok(await queue.UploadArtifactAsync(
            taskId, 0, fromFactory, "application/octet-stream", Expires(), data.Length,
            _ => Task.FromResult<Stream>(new MemoryStream(data, writable: false)),
            new TransferOptions { Progress = progress }));
        progress.AssertMonotoneEndingAt(data.Length);

        var written = new MemoryStream();
        var downloaded = Ok(await queue.DownloadArtifactAsync(taskId, 0, fromFactory, _ => Task.FromResult<Stream>(written = new MemoryStream())));
        Assert.Equal(data, written.ToArray());
        Assert.Equal(data.Length, downloaded.Length);
    }

    [Fact]
    public async Task ReferenceArtifactsAreFetchedFromTheirUrl()
    {
        var queue = Queue();
        var objects = new ObjectClient(_tc.RootUrl, _tc.Root);
        var taskId = await RunningTaskAsync(queue);
        var target = ObjectName();
        var data = Bytes(33, 40_000);
        Ok(await objects.UploadFromBytesAsync(ProjectId, target, "application/x-test", Expires(), data));
        var simple = Ok(await objects.StartDownloadJsonAsync(target, new { acceptDownloadMethods = new { simple = true } }));
        var url = simple.GetProperty("url").GetString()!;
        var name = ArtifactName();

        var created = Ok(await queue.CreateReferenceArtifactAsync(taskId, 0, name, url, "application/x-test", Expires()));

        Assert.Equal(("reference", taskId, 0, name), (created.StorageType, created.TaskId, created.RunId, created.Name));
        var back = Ok(await queue.DownloadArtifactToBytesAsync(taskId, 0, name));
        Assert.Equal(data, back.Data);
        Assert.Equal(DownloadMethod.ArtifactUrl, back.Download.Method);
        Assert.Empty(back.Download.VerifiedHashes);

        // The managed-only download refuses it, and still downloads managed artifacts.
        var refused = await queue.DownloadManagedArtifactToBytesAsync(taskId, 0, name);
        Assert.Equal(TaskclusterErrorKind.UnsupportedMethod, refused.Error!.Kind);
        Assert.Equal("reference", refused.Error.TransferMethod);

        var managed = ArtifactName();
        Ok(await queue.UploadArtifactFromBytesAsync(taskId, 0, managed, "application/x-test", Expires(), data));
        Assert.Equal(data, Ok(await queue.DownloadManagedArtifactToBytesAsync(taskId, null, managed)).Data);
    }

    [Fact]
    public async Task ReferenceArtifactsToFileUrlsAreErrorsNotExceptions()
    {
        var queue = Queue();
        var taskId = await RunningTaskAsync(queue);
        var name = ArtifactName();
        Ok(await queue.CreateReferenceArtifactAsync(taskId, 0, name, "file:///etc/passwd", "text/plain", Expires()));

        var result = await queue.DownloadArtifactToBytesAsync(taskId, 0, name);

        Assert.Equal(TaskclusterErrorKind.InvalidResponse, result.Error!.Kind);
        Assert.Equal("$.url", result.Error.JsonPath);
    }

    [Fact]
    public async Task LinkArtifactsAreResolvedByTheQueue()
    {
        var queue = Queue();
        var taskId = await RunningTaskAsync(queue);
        var target = ArtifactName();
        var data = Bytes(34, 30_000);
        Ok(await queue.UploadArtifactFromBytesAsync(taskId, 0, target, "application/octet-stream", Expires(), data));
        var name = ArtifactName();

        Assert.Equal("link", Ok(await queue.CreateLinkArtifactAsync(taskId, 0, name, target, Expires())).StorageType);

        var back = Ok(await queue.DownloadArtifactToBytesAsync(taskId, null, name));
        Assert.Equal(data, back.Data);
        Assert.Equal(name, back.Download.Name);
    }

    [Fact]
    public async Task ErrorArtifactsAreArtifactErrorsWithTheWorkersReason()
    {
        var queue = Queue();
        var taskId = await RunningTaskAsync(queue);
        var name = ArtifactName();
        Ok(await queue.CreateErrorArtifactAsync(taskId, 0, name, "file-missing-on-worker", "no such file: out.bin", Expires()));

        using var folder = new TempFolder();
        var error = Failed(await queue.DownloadArtifactToFileAsync(taskId, 0, name, folder.File("x")));

        Assert.Equal(TaskclusterErrorKind.ArtifactError, error.Kind);
        Assert.Equal((taskId, name), (error.TaskId, error.Name));
        Assert.Equal("file-missing-on-worker", error.Reason);
        Assert.Equal("no such file: out.bin", error.Message);
        Assert.Contains("file-missing-on-worker", error.Description);
        Assert.Empty(folder.Entries);
    }

    [Fact]
    public async Task MissingArtifactsAndBadRunIdsAreErrors()
    {
        var queue = Queue();
        var taskId = await RunningTaskAsync(queue);

        var missing = Failed(await queue.DownloadArtifactToBytesAsync(taskId, 0, ArtifactName()));
        Assert.Equal(404, missing.Status);

        var invalid = Failed(await queue.DownloadArtifactToBytesAsync(taskId, -1, "x"));
        Assert.Equal(TaskclusterErrorKind.InvalidRequest, invalid.Kind);
        Assert.Equal("runId", invalid.Field);

        var notRunning = Failed(await queue.CreateLinkArtifactAsync(taskId, 5, ArtifactName(), "x", Expires()));
        Assert.NotEqual(TaskclusterErrorKind.InvalidResponse, notRunning.Kind);
        Assert.NotNull(notRunning.Status);
    }
}
