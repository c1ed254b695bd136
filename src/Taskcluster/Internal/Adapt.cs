using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.FSharp.Collections;
using Microsoft.FSharp.Core;
using C = Taskcluster.Core;
using F = Taskcluster.Client;

namespace Taskcluster;

/// <summary>
/// The conversions every facade member makes between .NET types and the F# layer's types, so
/// that each generated member stays one line: arguments checked and wrapped on the way in,
/// results, sequences and bindings converted on the way out.
/// </summary>
internal static class Adapt
{
    internal static T NotNull<T>(T value, string name)
        where T : class =>
        value ?? throw new ArgumentNullException(name);

    internal static F.Payload Payload(object payload, string name) =>
        F.PayloadModule.ofObj(payload ?? throw new ArgumentNullException(name));

    // F# represents None as null.
    internal static FSharpOption<string>? Option(string? value) =>
        value is null ? null : FSharpOption<string>.Some(value);

    internal static FSharpOption<CancellationToken> Token(CancellationToken cancellationToken) =>
        FSharpOption<CancellationToken>.Some(cancellationToken);

    internal static FSharpOption<FSharpList<string>>? List(IEnumerable<string>? values) =>
        values is null ? null : FSharpOption<FSharpList<string>>.Some(ListModule.OfSeq(values));

    internal static FSharpOption<FSharpList<Tuple<string, string>>>? Query(IEnumerable<KeyValuePair<string, string>>? query) =>
        query is null
            ? null
            : FSharpOption<FSharpList<Tuple<string, string>>>.Some(
                ListModule.OfSeq(query.Select(p => Tuple.Create(p.Key, p.Value))));

    internal static FSharpOption<F.Payload>? OptionalPayload(object? payload) =>
        payload is null ? null : FSharpOption<F.Payload>.Some(F.PayloadModule.ofObj(payload));

    internal static TaskclusterResult<T> Result<T>(FSharpResult<T, F.TaskclusterError> result) =>
        result.IsOk
            ? new TaskclusterResult<T>(result.ResultValue)
            : new TaskclusterResult<T>(TaskclusterError.From(result.ErrorValue));

    internal static async Task<TaskclusterResult<T>> ResultAsync<T>(Task<FSharpResult<T, F.TaskclusterError>> call) =>
        Result(await call.ConfigureAwait(false));

    /// <summary>
    /// The results of a sequence that ends at its first error: a failed page is the last element,
    /// reported as a result like every other failed call rather than thrown.
    /// </summary>
    internal static async IAsyncEnumerable<TaskclusterResult<JsonElement>> Values(
        IAsyncEnumerable<FSharpResult<JsonElement, F.TaskclusterError>> source,
        CancellationToken cancellationToken,
        [EnumeratorCancellation] CancellationToken enumeratorCancellation = default)
    {
        // Both the method's token and the enumerator's (WithCancellation) cancel the enumeration.
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, enumeratorCancellation);
        await foreach (var result in source.WithCancellation(linked.Token).ConfigureAwait(false))
        {
            yield return Result(result);
        }
    }

    /// <summary>
    /// The results of a sequence, blocking: each step runs on the thread pool, so a
    /// single-threaded <see cref="SynchronizationContext"/> cannot deadlock it.
    /// </summary>
    internal static IEnumerable<TaskclusterResult<JsonElement>> Blocking(
        IAsyncEnumerable<FSharpResult<JsonElement, F.TaskclusterError>> source,
        CancellationToken cancellationToken)
    {
        var enumerator = source.GetAsyncEnumerator(cancellationToken);
        try
        {
            while (Sync.Run(() => enumerator.MoveNextAsync().AsTask()))
            {
                yield return Result(enumerator.Current);
            }
        }
        finally
        {
            Sync.Run(async () =>
            {
                await enumerator.DisposeAsync().ConfigureAwait(false);
                return true;
            });
        }
    }

    internal static PulseBinding Binding(FSharpResult<C.PulseBinding, C.RoutingKeyError> result) =>
        result.IsOk ? new PulseBinding(result.ResultValue) : throw new ArgumentException(result.ErrorValue.Describe());

    internal static C.BindingPattern Values(IReadOnlyDictionary<string, string?> values, string name) =>
        C.BindingPattern.NewValues(
            new FSharpMap<string, string>(
                (values ?? throw new ArgumentNullException(name))
                    .Where(p => p.Value is not null)
                    .Select(p => Tuple.Create(p.Key, p.Value!))));

    internal static C.BindingPattern Verbatim(string pattern, string name) =>
        C.BindingPattern.NewVerbatim(pattern ?? throw new ArgumentNullException(name));
}

/// <summary>Blocking counterparts of asynchronous calls.</summary>
internal static class Sync
{
    /// <summary>
    /// Runs an asynchronous call on the thread pool and waits for it. Its continuations then never
    /// need the caller's thread, so waiting cannot deadlock under a single-threaded
    /// <see cref="SynchronizationContext"/> (a UI thread, classic ASP.NET).
    /// </summary>
    internal static T Run<T>(Func<Task<T>> call) => Task.Run(call).GetAwaiter().GetResult();
}
