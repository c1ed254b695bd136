using System.Reflection;
using Taskcluster.Emulator;
using Xunit;
using static Taskcluster.Tests.Transfers;

namespace Taskcluster.Tests;

/// <summary>
/// The blocking twins of the transfer and artifact members, and the one parameter order of
/// uploads, against the emulator.
/// </summary>
public sealed class BlockingTransferTests : IClassFixture<EmulatorFixture>
{
    private static readonly Type[] TransferResults = { typeof(UploadResult), typeof(DownloadResult), typeof(BytesDownload), typeof(CreatedArtifact) };

    private readonly EmulatorFixture _tc;

    public BlockingTransferTests(EmulatorFixture tc) => _tc = tc;

    private ObjectClient Objects() => new(_tc.RootUrl, _tc.Root);

    private QueueClient Queue() => new(_tc.RootUrl, _tc.Root);

    private static string ArtifactName() => $"public/csharp-sync/{SlugIds.NewSlugId()}.bin";

    private static IEnumerable<MethodInfo> AsyncTransferMembers(Type client) =>
        client.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly)
            .Where(m => TransferResults.Any(r => m.ReturnType == typeof(Task<>).MakeGenericType(typeof(TaskclusterResult<>).MakeGenericType(r))));

    /// <summary>The parameter type a blocking twin takes for an asynchronous member's: factories return a stream, not a task of one.</summary>
    private static Type Blocking(Type parameter) =>
        parameter == typeof(Func<CancellationToken, Task<Stream>>) ? typeof(Func<CancellationToken, Stream>) : parameter;

    [Theory]
    [InlineData(typeof(ObjectClient), 9)]
    [InlineData(typeof(QueueClient), 16)]
    public void EveryTransferMemberHasABlockingTwin(Type client, int expected)
    {
        var members = AsyncTransferMembers(client).ToList();
        Assert.Equal(expected, members.Count);

        foreach (var m in members)
        {
            var parameters = m.GetParameters();
            var twin = client.GetMethod(m.Name[..^"Async".Length], parameters.Select(p => Blocking(p.ParameterType)).ToArray());

            if (twin is null)
            {
                Assert.Fail($"{client.Name}.{m.Name} has no blocking twin");
            }

            Assert.True(twin.IsVirtual && !twin.IsFinal, twin.Name);
            Assert.Equal(m.ReturnType.GetGenericArguments()[0], twin.ReturnType);
            Assert.Equal(parameters.Select(p => (p.Name, p.HasDefaultValue)), twin.GetParameters().Select(p => (p.Name, p.HasDefaultValue)));
        }
    }

    [Theory]
    [InlineData(typeof(ObjectClient))]
    [InlineData(typeof(QueueClient))]
    public void UploadsTakeTheExpiryBeforeTheData(Type client)
    {
        var uploads = client.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly)
            .Where(m => m.ReturnType == typeof(Task<TaskclusterResult<UploadResult>>) || m.ReturnType == typeof(TaskclusterResult<UploadResult>))
            .ToList();
        Assert.Equal(10, uploads.Count);

        foreach (var m in uploads)
        {
            var names = m.GetParameters().Select(p => p.Name).ToList();
            var expires = names.IndexOf("expires");
            Assert.Equal(names.IndexOf("contentType") + 1, expires);
            Assert.Equal(typeof(DateTimeOffset), m.GetParameters()[expires].ParameterType);
            if (names.Contains("contentLength"))
            {
                Assert.Equal((expires + 1, expires + 2), (names.IndexOf("contentLength"), names.IndexOf("readerFactory")));
            }
        }
    }

    [Fact]
    public void ObjectsRoundTripThroughEveryBlockingMember()
    {
        var objects = Objects();
        using var folder = new TempFolder();
        var data = Bytes(41, 120_000);
        var source = folder.File("in.bin");
        File.WriteAllBytes(source, data);

        var fromBytes = ObjectName();
        var uploaded = Ok(objects.UploadFromBytes(ProjectId, fromBytes, "application/x-test", Expires(), data));
        Assert.Equal((fromBytes, data.Length, Sha256(data), UploadMethod.PutUrl), (uploaded.Name, uploaded.Length, uploaded.Sha256, uploaded.Method));
        var back = Ok(objects.DownloadToBytes(fromBytes));
        Assert.Equal(data, back.Data);
        Assert.Equal("application/x-test", back.ContentType);
        Assert.Equal(new[] { "sha256", "sha512" }, back.Download.VerifiedHashes);

        var small = ObjectName();
        Assert.Equal(UploadMethod.DataInline, Ok(objects.UploadFromBytes(ProjectId, small, "text/plain", Expires(), new ReadOnlyMemory<byte>(data, 0, 100))).Method);
        Assert.Equal(data[..100], Ok(objects.DownloadToBytes(small)).Data);

        var fromFile = ObjectName();
        Ok(objects.UploadFromFile(ProjectId, fromFile, "application/octet-stream", Expires(), source));
        var copy = folder.File("out.bin");
        Assert.Equal(data.Length, Ok(objects.DownloadToFile(fromFile, copy)).Length);
        Assert.Equal(data, File.ReadAllBytes(copy));

        var fromStream = ObjectName();
        using (var input = new MemoryStream(data))
        {
            Ok(objects.UploadFromStream(ProjectId, fromStream, "application/octet-stream", Expires(), input));
        }

        using var output = new MemoryStream();
        Ok(objects.DownloadToStream(fromStream, output));
        Assert.Equal(data, output.ToArray());
    }

    [Fact]
    public void BlockingFactoriesAreCalledPerAttempt()
    {
        var objects = Objects();
        var name = ObjectName();
        var data = Bytes(42, 50_000);
        var readers = 0;

        // The first PUT fails with a 503, so the data is read twice.
        _tc.Emulator.Faults.Inject(FaultTarget.Blob(name), Fault.Status(503), 1);
        var progress = new ProgressRecorder();
        var uploaded = Ok(objects.Upload(
            ProjectId,
            name,
            "application/octet-stream",
            Expires(),
            data.Length,
            _ =>
            {
                Interlocked.Increment(ref readers);
                return new MemoryStream(data, writable: false);
            },
            new UploadOptions { Progress = progress }));

        Assert.Equal(2, readers);
        Assert.Equal(data.Length, uploaded.Length);
        progress.AssertMonotoneEndingAt(data.Length);
        Assert.Equal(2, progress.Reports[^1].Attempt);

        var writers = new List<MemoryStream>();
        var downloaded = Ok(objects.DownloadToWriter(name, _ =>
        {
            var stream = new MemoryStream();
            writers.Add(stream);
            return stream;
        }));

        Assert.Single(writers);
        Assert.Equal(data, writers[0].ToArray());
        Assert.Equal(DownloadMethod.GetUrl, downloaded.Method);
    }

    [Fact]
    public void FailuresAreResultsAndBadArgumentsThrow()
    {
        var objects = Objects();
        var data = Bytes(43, 20_000);

        var error = Failed(objects.Upload(ProjectId, ObjectName(), "application/octet-stream", Expires(), 30_000, _ => new MemoryStream(data)));
        Assert.Equal(TaskclusterErrorKind.LengthMismatch, error.Kind);
        Assert.Equal((30_000L, 20_000L), (error.ExpectedLength, error.ActualLength));

        Assert.Equal(404, Failed(objects.DownloadToBytes(ObjectName())).Status);

        Assert.Equal("readerFactory", Assert.Throws<ArgumentNullException>(() =>
            objects.Upload(ProjectId, ObjectName(), "text/plain", Expires(), 1, null!)).ParamName);
        Assert.Equal("writerFactory", Assert.Throws<ArgumentNullException>(() => objects.DownloadToWriter("x", null!)).ParamName);
        Assert.Equal("path", Assert.Throws<ArgumentNullException>(() => objects.DownloadToFile("x", null!)).ParamName);
        Assert.Throws<ArgumentException>(() =>
            objects.UploadFromBytes(ProjectId, ObjectName(), "text/plain", Expires(), data, new UploadOptions { UploadId = "not a slug" }));
        Assert.ThrowsAny<OperationCanceledException>(() =>
            objects.UploadFromBytes(ProjectId, ObjectName(), "text/plain", Expires(), data, cancellationToken: new CancellationToken(true)));
    }

    [Fact]
    public async Task ArtifactsRoundTripThroughEveryBlockingMember()
    {
        var queue = Queue();
        var taskId = await RunningTaskAsync(queue);
        using var folder = new TempFolder();
        var data = Bytes(44, 90_000);
        var source = folder.File("in.bin");
        File.WriteAllBytes(source, data);

        var fromFactory = ArtifactName();
        var uploaded = Ok(queue.UploadArtifact(
            taskId, 0, fromFactory, "application/x-test", Expires(), data.Length, _ => new MemoryStream(data, writable: false)));
        Assert.Equal($"t/{taskId}/0/{fromFactory}", uploaded.Name);
        var back = Ok(queue.DownloadArtifactToBytes(taskId, null, fromFactory));
        Assert.Equal(data, back.Data);
        Assert.Equal("application/x-test", back.ContentType);
        Assert.Equal(data, Ok(queue.DownloadManagedArtifactToBytes(taskId, 0, fromFactory)).Data);

        var fromBytes = ArtifactName();
        Ok(queue.UploadArtifactFromBytes(taskId, 0, fromBytes, "text/plain", Expires(), "tiny"u8.ToArray()));
        var written = new MemoryStream();
        Ok(queue.DownloadArtifact(taskId, 0, fromBytes, _ => written = new MemoryStream()));
        Assert.Equal("tiny"u8.ToArray(), written.ToArray());
        Ok(queue.DownloadManagedArtifact(taskId, null, fromBytes, _ => written = new MemoryStream()));
        Assert.Equal("tiny"u8.ToArray(), written.ToArray());

        var fromFile = ArtifactName();
        Ok(queue.UploadArtifactFromFile(taskId, 0, fromFile, "application/octet-stream", Expires(), source));
        Ok(queue.DownloadArtifactToFile(taskId, 0, fromFile, folder.File("a.bin")));
        Ok(queue.DownloadManagedArtifactToFile(taskId, 0, fromFile, folder.File("b.bin")));
        Assert.Equal(data, File.ReadAllBytes(folder.File("a.bin")));
        Assert.Equal(data, File.ReadAllBytes(folder.File("b.bin")));

        var fromStream = ArtifactName();
        using (var input = new MemoryStream(data))
        {
            Ok(queue.UploadArtifactFromStream(taskId, 0, fromStream, "application/octet-stream", Expires(), input));
        }

        using var output = new MemoryStream();
        Ok(queue.DownloadArtifactToStream(taskId, 0, fromStream, output));
        Assert.Equal(data, output.ToArray());
        using var managed = new MemoryStream();
        Ok(queue.DownloadManagedArtifactToStream(taskId, 0, fromStream, managed));
        Assert.Equal(data, managed.ToArray());
    }

    [Fact]
    public async Task ArtifactsWithoutDataThroughTheBlockingMembers()
    {
        var queue = Queue();
        var objects = Objects();
        var taskId = await RunningTaskAsync(queue);
        var target = ArtifactName();
        var data = Bytes(45, 30_000);
        Ok(queue.UploadArtifactFromBytes(taskId, 0, target, "application/octet-stream", Expires(), new ReadOnlyMemory<byte>(data)));

        var link = ArtifactName();
        var created = Ok(queue.CreateLinkArtifact(taskId, 0, link, target, Expires()));
        Assert.Equal(("link", taskId, 0, link), (created.StorageType, created.TaskId, created.RunId, created.Name));
        Assert.Equal(data, Ok(queue.DownloadArtifactToBytes(taskId, 0, link)).Data);

        var stored = ObjectName();
        Ok(objects.UploadFromBytes(ProjectId, stored, "application/x-test", Expires(), data));
        var url = Ok(objects.StartDownloadJson(stored, new { acceptDownloadMethods = new { simple = true } })).GetProperty("url").GetString()!;
        var reference = ArtifactName();
        Assert.Equal("reference", Ok(queue.CreateReferenceArtifact(taskId, 0, reference, url, "application/x-test", Expires())).StorageType);
        Assert.Equal(data, Ok(queue.DownloadArtifactToBytes(taskId, 0, reference)).Data);
        Assert.Equal(TaskclusterErrorKind.UnsupportedMethod, Failed(queue.DownloadManagedArtifactToBytes(taskId, 0, reference)).Kind);

        var failed = ArtifactName();
        Assert.Equal("error", Ok(queue.CreateErrorArtifact(taskId, 0, failed, "file-missing-on-worker", "no out.bin", Expires())).StorageType);
        var error = Failed(queue.DownloadArtifactToBytes(taskId, 0, failed));
        Assert.Equal(TaskclusterErrorKind.ArtifactError, error.Kind);
        Assert.Equal(("file-missing-on-worker", "no out.bin"), (error.Reason, error.Message));
    }

    [Fact]
    public void BlockingTransfersDoNotDeadlockUnderASingleThreadedContext()
    {
        var objects = Objects();
        var name = ObjectName();
        var data = Bytes(46, 40_000);

        var finished = SingleThreadedContext.TryRun(
            () =>
            {
                objects.UploadFromBytes(ProjectId, name, "application/octet-stream", Expires(), data).GetValueOrThrow();
                return objects.DownloadToBytes(name).GetValueOrThrow().Data;
            },
            TimeSpan.FromSeconds(60),
            out var result);

        Assert.True(finished, "the blocking transfers deadlocked under a single-threaded SynchronizationContext");
        Assert.Equal(data, result);
    }
}
