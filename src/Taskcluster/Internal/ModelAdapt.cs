using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.FSharp.Core;
using Taskcluster.Schemas;
using F = Taskcluster.Client;

namespace Taskcluster;

/// <summary>
/// The typed forms of the generated members: a model is written through the source-generated
/// context (the schema's own names) and sent as UTF-8 JSON; a response is read into its model,
/// and a response that does not fit the model is an <see cref="TaskclusterErrorKind.InvalidResponse"/>
/// naming the JSON path, not an exception.
/// </summary>
internal static class ModelAdapt
{
    internal static F.Payload Payload<T>(T payload, string name) =>
        payload is null
            ? throw new ArgumentNullException(name)
            : F.PayloadModule.ofObj(JsonSerializer.SerializeToUtf8Bytes(payload, ModelJson.Info<T>()));

    /// <summary>A run number as its route segment.</summary>
    internal static string RunId(int runId, string name) =>
        runId >= 0
            ? runId.ToString(System.Globalization.CultureInfo.InvariantCulture)
            : throw new ArgumentOutOfRangeException(name, runId, "A run number is 0 or more.");

    /// <summary>A page size as its query value.</summary>
    internal static FSharpOption<string>? Limit(int? limit, string name) =>
        limit switch
        {
            null => null,
            > 0 => FSharpOption<string>.Some(limit.Value.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            _ => throw new ArgumentOutOfRangeException(name, limit, "A page size is 1 or more."),
        };

    internal static TaskclusterResult<T> Decode<T>(TaskclusterResult<JsonElement> json, string apiMethod)
    {
        if (!json.TryGetValue(out var element))
        {
            return new TaskclusterResult<T>(json.Error!);
        }

        try
        {
            var value = element.Deserialize(ModelJson.Info<T>());
            return value is null
                ? Invalid<T>(apiMethod, "$", "the response is null")
                : new TaskclusterResult<T>(value);
        }
        catch (JsonException e)
        {
            return Invalid<T>(apiMethod, e.Path ?? "$", e.Message);
        }
    }

    private static TaskclusterResult<T> Invalid<T>(string apiMethod, string path, string message) =>
        new(new TaskclusterError(
            TaskclusterErrorKind.InvalidResponse,
            $"{apiMethod}: the response does not fit {typeof(T).Name} at {path}: {message}")
        {
            ApiMethod = apiMethod,
            JsonPath = path,
            Message = message,
            Attempts = 1,
        });

    internal static TaskclusterResult<T> Result<T>(FSharpResult<JsonElement, F.TaskclusterError> result, string apiMethod) =>
        Decode<T>(Adapt.Result(result), apiMethod);

    internal static async Task<TaskclusterResult<T>> ResultAsync<T>(Task<FSharpResult<JsonElement, F.TaskclusterError>> call, string apiMethod) =>
        Result<T>(await call.ConfigureAwait(false), apiMethod);

    /// <summary>Each page read into its model; a page that does not fit ends the enumeration as a failed result.</summary>
    internal static async IAsyncEnumerable<TaskclusterResult<T>> Values<T>(
        IAsyncEnumerable<FSharpResult<JsonElement, F.TaskclusterError>> source,
        string apiMethod,
        CancellationToken cancellationToken,
        [EnumeratorCancellation] CancellationToken enumeratorCancellation = default)
    {
        await foreach (var json in Adapt.Values(source, cancellationToken, enumeratorCancellation).ConfigureAwait(false))
        {
            var typed = Decode<T>(json, apiMethod);
            yield return typed;
            if (!typed.IsSuccess)
            {
                yield break;
            }
        }
    }

    /// <summary>The blocking counterpart of <see cref="Values{T}"/>.</summary>
    internal static IEnumerable<TaskclusterResult<T>> Blocking<T>(
        IAsyncEnumerable<FSharpResult<JsonElement, F.TaskclusterError>> source,
        string apiMethod,
        CancellationToken cancellationToken)
    {
        foreach (var json in Adapt.Blocking(source, cancellationToken))
        {
            var typed = Decode<T>(json, apiMethod);
            yield return typed;
            if (!typed.IsSuccess)
            {
                yield break;
            }
        }
    }
}
