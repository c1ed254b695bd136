using System.Collections.Concurrent;
using System.Security.Cryptography;
using Xunit;

namespace Taskcluster.Tests;

/// <summary>What the transfer and artifact tests share: data, names, a progress recorder, folders, running tasks.</summary>
public static class Transfers
{
    public const string ProjectId = "csharp-transfers";

    /// <summary><paramref name="length"/> reproducible pseudo-random bytes.</summary>
    public static byte[] Bytes(int seed, int length)
    {
        var data = new byte[length];
        new Random(seed).NextBytes(data);
        return data;
    }

    /// <summary>A fresh object name (with a slash and a space, as names may have).</summary>
    public static string ObjectName() => $"tests/csharp {SlugIds.NewSlugId()}";

    public static DateTimeOffset Expires() => DateTimeOffset.UtcNow.AddDays(1);

    public static string Sha256(byte[] data) => Convert.ToHexStringLower(SHA256.HashData(data));

    public static string Sha512(byte[] data) => Convert.ToHexStringLower(SHA512.HashData(data));

    /// <summary>The value of a result that must have succeeded (the error's description otherwise).</summary>
    public static T Ok<T>(TaskclusterResult<T> result)
    {
        Assert.True(result.IsSuccess, result.Error?.Description);
        return result.Value;
    }

    /// <summary>The error of a result that must have failed.</summary>
    public static TaskclusterError Failed<T>(TaskclusterResult<T> result)
    {
        Assert.False(result.IsSuccess, "expected an error, got " + result);
        return result.Error;
    }

    /// <summary>Creates a task on a task queue of its own and claims it, so that run 0 is running.</summary>
    public static async Task<string> RunningTaskAsync(QueueClient queue)
    {
        var taskId = SlugIds.NewSlugId();
        var taskQueueId = $"prov-{taskId[..8].Replace('_', 'x').Replace('-', 'x')}/csharp";
        var definition = new
        {
            taskQueueId,
            projectId = ProjectId,
            created = FromNowOffsets.FromNowJson("0 seconds"),
            deadline = FromNowOffsets.FromNowJson("1 hour"),
            expires = FromNowOffsets.FromNowJson("30 days"),
            payload = new { },
            metadata = new
            {
                name = "artifact test",
                description = "A task for the C# artifact tests.",
                owner = "tests@example.com",
                source = "https://example.com/taskcluster-functional/tests",
            },
        };
        Ok(await queue.CreateTaskJsonAsync(taskId, definition));
        var claimed = Ok(await queue.ClaimWorkJsonAsync(taskQueueId, new { workerGroup = "wg", workerId = "w1", tasks = 1 }));
        Assert.Equal(1, claimed.GetProperty("tasks").GetArrayLength());
        return taskId;
    }
}

/// <summary>Progress reports, recorded on the reporting thread (unlike <see cref="Progress{T}"/>, which posts them).</summary>
public sealed class ProgressRecorder : IProgress<TransferProgress>
{
    private readonly ConcurrentQueue<TransferProgress> _reports = new();

    public IReadOnlyList<TransferProgress> Reports => _reports.ToArray();

    public void Report(TransferProgress value) => _reports.Enqueue(value);

    /// <summary>Within an attempt the bytes never go down, attempts never go down, and the last report is the whole object.</summary>
    public void AssertMonotoneEndingAt(long total)
    {
        var reports = Reports;
        Assert.NotEmpty(reports);
        for (var i = 1; i < reports.Count; i++)
        {
            var (previous, current) = (reports[i - 1], reports[i]);
            Assert.True(current.Attempt >= previous.Attempt, $"attempt went down at report {i}");
            if (current.Attempt == previous.Attempt)
            {
                Assert.True(current.BytesTransferred >= previous.BytesTransferred, $"bytes went down at report {i}: {previous} then {current}");
            }
        }

        Assert.Equal(total, reports[^1].BytesTransferred);
        Assert.Equal(total, reports[^1].TotalBytes);
        Assert.All(reports, r => Assert.InRange(r.BytesTransferred, 0, total));
    }
}

/// <summary>A folder of its own for a test's files, deleted on dispose.</summary>
public sealed class TempFolder : IDisposable
{
    public TempFolder()
    {
        Path = Directory.CreateDirectory(System.IO.Path.Combine(System.IO.Path.GetTempPath(), "tc-csharp-" + SlugIds.NewSlugId())).FullName;
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public string[] Entries => Directory.GetFileSystemEntries(Path).Select(System.IO.Path.GetFileName).Order().ToArray()!;

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, true);
        }
        catch (IOException)
        {
        }
    }
}
