using Xunit;
using static Taskcluster.Tests.Transfers;

namespace Taskcluster.Tests;

/// <summary>
/// The README's C# transfer and configuration example: the code between the markers below is the
/// README's, line for line (checked here), so the README's example compiles; the transfer part
/// also runs against the emulator.
/// </summary>
public sealed class ReadmeExampleTests : IClassFixture<EmulatorFixture>
{
    private readonly EmulatorFixture _tc;

    public ReadmeExampleTests(EmulatorFixture tc) => _tc = tc;

    private static async Task<string> TransfersExample(
        string rootUrl, TaskclusterCredentials credentials, string taskId, int runId, string file, string copy, CancellationToken cancellationToken)
    {
        // README: transfers begin
        var objects = new ObjectClient(new Uri(rootUrl), credentials);
        var expires = DateTimeOffset.UtcNow.AddDays(7);

        var uploaded = await objects.UploadFromFileAsync("my-project", "builds/app.tar.gz", "application/gzip", expires, file,
            new UploadOptions { Progress = new Progress<TransferProgress>(p => Console.WriteLine($"{p.BytesTransferred}/{p.TotalBytes}")) },
            cancellationToken);
        Console.WriteLine(uploaded.Match(u => $"sha256 {u.Sha256}", e => e.Description));

        // Verified against the recorded hashes; on any failure `copy` is left as it was.
        var downloaded = await objects.DownloadToFileAsync("builds/app.tar.gz", copy, cancellationToken: cancellationToken);
        if (downloaded.Error is { Kind: TaskclusterErrorKind.HashMismatch } corrupt)
            Console.WriteLine($"{corrupt.Algorithm}: expected {corrupt.ExpectedHash}, got {corrupt.ActualHash}");

        var queue = new QueueClient(new Uri(rootUrl), credentials);
        (await queue.UploadArtifactFromBytesAsync(taskId, runId, "public/summary.txt", "text/plain", expires, "done"u8.ToArray(),
            cancellationToken: cancellationToken)).GetValueOrThrow();   // expires: not after the task does
        var summary = await queue.DownloadArtifactToBytesAsync(taskId, null, "public/summary.txt", cancellationToken: cancellationToken); // null: the latest run
        // README: transfers end
        return System.Text.Encoding.UTF8.GetString(summary.GetValueOrThrow().Data);
    }

    /// <summary>Compiled, not run: it reads the process environment, which the tests leave alone (ConfigTests injects one).</summary>
    private static async Task ConfigExample(CancellationToken cancellationToken)
    {
        // README: config begin
        var config = TaskclusterConfig.FromEnvironment().GetValueOrThrow();   // TASKCLUSTER_ROOT_URL, then credentials or the proxy
        var queue = config.GetService<QueueClient>().GetValueOrThrow();
        var secrets = await config.LoadSecretsAsync("project/app/ci", prefixes: ["common", "ci"], required: ["token"],
            cancellationToken: cancellationToken);
        if (secrets.Error is { Kind: TaskclusterErrorKind.MissingSecrets } missing)
            Console.WriteLine("missing: " + string.Join(", ", missing.MissingKeys!));
        // README: config end
        GC.KeepAlive(queue);
    }

    [Fact]
    public async Task TheTransfersExampleRuns()
    {
        using var folder = new TempFolder();
        var file = folder.File("app.tar.gz");
        var data = Bytes(41, 20_000);
        await File.WriteAllBytesAsync(file, data);
        var copy = folder.File("copy.tar.gz");
        var taskId = await RunningTaskAsync(new QueueClient(_tc.RootUrl, _tc.Root));

        var summary = await TransfersExample(_tc.Emulator.RootUrl, _tc.Root, taskId, 0, file, copy, CancellationToken.None);

        Assert.Equal(data, await File.ReadAllBytesAsync(copy));
        Assert.Equal("done", summary);
    }

    [Fact]
    public void TheConfigExampleCompiles() =>
        Assert.NotNull((Func<CancellationToken, Task>)ConfigExample);

    [Theory]
    [InlineData("transfers")]
    [InlineData("config")]
    public void TheReadmeShowsTheseLines(string region)
    {
        var root = RepositoryRoot();
        var source = File.ReadAllLines(Path.Combine(root, "tests", "Taskcluster.Tests", "ReadmeExampleTests.cs"));
        var begin = Array.FindIndex(source, l => l.Trim() == $"// README: {region} begin");
        var end = Array.FindIndex(source, l => l.Trim() == $"// README: {region} end");
        Assert.True(begin >= 0 && end > begin, $"markers of {region}");
        var expected = source[(begin + 1)..end].Select(l => l.Trim()).Where(l => l.Length > 0).ToArray();

        var readme = File.ReadAllLines(Path.Combine(root, "README.md")).Select(l => l.Trim()).ToArray();
        var start = Array.IndexOf(readme, expected[0]);
        Assert.True(start >= 0, $"the README has the first line of the {region} example: {expected[0]}");
        var shown = readme.Skip(start).Where(l => l.Length > 0).Take(expected.Length).ToArray();

        Assert.Equal(expected, shown);
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Taskcluster.Functional.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("No Taskcluster.Functional.sln above " + AppContext.BaseDirectory);
    }
}
