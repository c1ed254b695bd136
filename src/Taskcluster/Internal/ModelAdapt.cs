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

    /// <summary>A run number for a member that takes it as a number (checked as the string forms check it).</summary>
    internal static int RunNumber(int runId, string name) =>
        runId >= 0 ? runId : throw new ArgumentOutOfRangeException(name, runId, "A run number is 0 or more.");

    /// <summary>
    /// The URL a redirecting method answered with; one that is not an absolute URL is an
    /// <see cref="TaskclusterErrorKind.InvalidResponse"/> (there is nothing a caller could fetch).
    /// </summary>
    internal static TaskclusterResult<Uri> Location(FSharpResult<string, F.TaskclusterError> result, string apiMethod)
    {
        var location = Adapt.Result(result);
        if (!location.TryGetValue(out var text))
        {
            return new TaskclusterResult<Uri>(location.Error!);
        }

        return Uri.TryCreate(text, UriKind.Absolute, out var url)
            ? new TaskclusterResult<Uri>(url)
            : Invalid<Uri>(apiMethod, "$", "the redirect target is not an absolute URL (not shown: it may carry a signature)");
    }

    internal static async Task<TaskclusterResult<Uri>> LocationAsync(Task<FSharpResult<string, F.TaskclusterError>> call, string apiMethod) =>
        Location(await call.ConfigureAwait(false), apiMethod);

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

    /// <summary>
    /// A response body read into its model in one pass, straight from its UTF-8 bytes (the F#
    /// layer has checked that they are UTF-8; an empty body arrives as <c>null</c>).
    /// </summary>
    internal static TaskclusterResult<T> Decode<T>(FSharpResult<ReadOnlyMemory<byte>, F.TaskclusterError> body, string apiMethod)
    {
        if (!body.IsOk)
        {
            return new TaskclusterResult<T>(TaskclusterError.From(body.ErrorValue));
        }

        try
        {
            var value = JsonSerializer.Deserialize(body.ResultValue.Span, ModelJson.Info<T>());
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

    internal static TaskclusterResult<T> Result<T>(FSharpResult<ReadOnlyMemory<byte>, F.TaskclusterError> result, string apiMethod) =>
        Decode<T>(result, apiMethod);

    internal static async Task<TaskclusterResult<T>> ResultAsync<T>(Task<FSharpResult<ReadOnlyMemory<byte>, F.TaskclusterError>> call, string apiMethod) =>
        Decode<T>(await call.ConfigureAwait(false), apiMethod);

    /// <summary>A message body read into its model; one that does not fit is an error naming the JSON path.</summary>
    internal static TaskclusterResult<T> Message<T>(JsonElement body, string exchange)
    {
        try
        {
            var value = body.Deserialize(ModelJson.Info<T>());
            return value is null ? InvalidMessage<T>(exchange, "$", "the body is null") : new TaskclusterResult<T>(value);
        }
        catch (JsonException e)
        {
            return InvalidMessage<T>(exchange, e.Path ?? "$", e.Message);
        }
    }

    /// <inheritdoc cref="Message{T}(JsonElement, string)"/>
    internal static TaskclusterResult<T> Message<T>(ReadOnlyMemory<byte> body, string exchange)
    {
        try
        {
            var value = JsonSerializer.Deserialize(body.Span, ModelJson.Info<T>());
            return value is null ? InvalidMessage<T>(exchange, "$", "the body is null") : new TaskclusterResult<T>(value);
        }
        catch (JsonException e)
        {
            return InvalidMessage<T>(exchange, e.Path ?? "$", e.Message);
        }
    }

    /// <summary>A consumer's message with its body read into its model, when it came from <paramref name="exchange"/>.</summary>
    internal static TaskclusterResult<PulseMessage<T>> Message<T>(PulseMessage message, string exchange)
    {
        if (message.Exchange != exchange)
        {
            return InvalidMessage<PulseMessage<T>>(exchange, "$", $"the message came from {message.Exchange}, not from {exchange}");
        }

        return Message<T>(message.Body, exchange).Map(body => new PulseMessage<T>(message, body));
    }

    private static TaskclusterResult<T> InvalidMessage<T>(string exchange, string path, string message) =>
        new(new TaskclusterError(
            TaskclusterErrorKind.InvalidResponse,
            $"{exchange}: the message body does not fit {typeof(T).Name} at {path}: {message}")
        {
            Name = exchange,
            JsonPath = path,
            Message = message,
        });

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
