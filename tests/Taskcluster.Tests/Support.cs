using System.Collections.Concurrent;
using Taskcluster.Emulator;
using Xunit;

namespace Taskcluster.Tests;

/// <summary>One emulator shared by the tests of a class.</summary>
public sealed class EmulatorFixture : IAsyncLifetime
{
    public EmulatorInstance Emulator { get; private set; } = null!;

    public Uri RootUrl => Emulator.RootUri;

    public TaskclusterCredentials Root => new(Emulator.ClientId, Emulator.AccessToken);

    public async Task InitializeAsync() => Emulator = await TaskclusterEmulator.StartAsync();

    public Task DisposeAsync() => Emulator.StopAsync();
}

/// <summary>
/// A <see cref="SynchronizationContext"/> with one thread, like a UI thread: continuations posted
/// to it run only when that thread is free, so blocking it on a task whose continuation needs it
/// deadlocks.
/// </summary>
public sealed class SingleThreadedContext : SynchronizationContext
{
    private readonly BlockingCollection<(SendOrPostCallback Callback, object? State)> _queue = new();

    public override void Post(SendOrPostCallback d, object? state) => _queue.Add((d, state));

    public override void Send(SendOrPostCallback d, object? state) =>
        throw new NotSupportedException("Send would block the only thread.");

    /// <summary>
    /// Runs <paramref name="body"/> on a fresh thread that has a single-threaded context installed
    /// and pumps it; returns false when the body has not finished within the timeout (a deadlock).
    /// </summary>
    public static bool TryRun<T>(Func<T> body, TimeSpan timeout, out T? result)
    {
        var context = new SingleThreadedContext();
        T? value = default;
        Exception? error = null;

        var thread = new Thread(() =>
        {
            SetSynchronizationContext(context);
            context.Post(_ =>
            {
                try
                {
                    value = body();
                }
                catch (Exception e)
                {
                    error = e;
                }
                finally
                {
                    context._queue.CompleteAdding();
                }
            }, null);

            foreach (var (callback, state) in context._queue.GetConsumingEnumerable())
            {
                callback(state);
            }
        })
        { IsBackground = true };

        thread.Start();
        var finished = thread.Join(timeout);
        if (error is not null)
        {
            throw new InvalidOperationException("The body failed.", error);
        }

        result = value;
        return finished;
    }
}

/// <summary>A task definition the queue accepts.</summary>
public static class Tasks
{
    public static object Definition(string taskGroupId, string name) => new
    {
        taskQueueId = "proj-test/worker",
        schedulerId = "-",
        taskGroupId,
        created = FromNowOffsets.FromNowJson("0 seconds"),
        deadline = FromNowOffsets.FromNowJson("1 hour"),
        expires = FromNowOffsets.FromNowJson("1 day"),
        payload = new { },
        metadata = new
        {
            name,
            description = "A task created by the C# facade tests.",
            owner = "tests@example.com",
            source = "https://example.com/taskcluster-functional/tests",
        },
    };
}
