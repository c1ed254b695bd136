using System.Text.Json;
using C = Taskcluster.Core;

namespace Taskcluster;

/// <summary>
/// JSON-e 4.8.4, the template language of Taskcluster hooks and <c>.taskcluster.yml</c>, rendered
/// offline by the pure core: every operator, interpolation, the expression language and the
/// built-ins, with the reference implementation's errors. Rendering never reads the clock (pass
/// <c>now</c>) and is bounded: templates that nest too deeply or would produce too much fail with
/// <see cref="TaskclusterErrorKind.TemplateError"/> and the JSON-e kind <c>LimitExceeded</c>.
/// </summary>
public static class JsonE
{
    /// <summary>Renders a template in a context.</summary>
    /// <param name="template">The template.</param>
    /// <param name="context">The context: an object whose keys are identifiers.</param>
    /// <param name="now">The instant <c>now</c> stands for (unless the context sets <c>now</c>), as <c>$fromNow</c> and <c>fromNow()</c> use it.</param>
    /// <returns>The rendered value, or a <see cref="TaskclusterErrorKind.TemplateError"/> naming the JSON-e kind, the place in the template and the message.</returns>
    public static TaskclusterResult<JsonElement> Render(JsonElement template, JsonElement context, DateTimeOffset now)
    {
        var t = Read(template, nameof(template));
        var c = Read(context, nameof(context));
        var result = C.JsonE.renderJson(t, c, now);
        if (result.IsError)
        {
            return new TaskclusterResult<JsonElement>(TaskclusterError.From(result.ErrorValue));
        }

        using var document = JsonDocument.Parse(C.Encode.toString(result.ResultValue));
        return new TaskclusterResult<JsonElement>(document.RootElement.Clone());
    }

    /// <summary>Renders a template in a context, both given and answered as JSON text.</summary>
    /// <param name="templateJson">The template as JSON.</param>
    /// <param name="contextJson">The context as JSON: an object whose keys are identifiers.</param>
    /// <param name="now">The instant <c>now</c> stands for (unless the context sets <c>now</c>).</param>
    /// <returns>The rendered value as compact JSON, or a <see cref="TaskclusterErrorKind.TemplateError"/>.</returns>
    /// <exception cref="ArgumentException">An argument is null or not JSON.</exception>
    public static TaskclusterResult<string> Render(string templateJson, string contextJson, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(templateJson);
        ArgumentNullException.ThrowIfNull(contextJson);
        var t = Parse(templateJson, nameof(templateJson));
        var c = Parse(contextJson, nameof(contextJson));
        var result = C.JsonE.renderJson(t, c, now);
        return result.IsError
            ? new TaskclusterResult<string>(TaskclusterError.From(result.ErrorValue))
            : new TaskclusterResult<string>(C.Encode.toString(result.ResultValue));
    }

    private static C.Json Parse(string json, string parameter)
    {
        var decoded = C.Decode.fromString(C.Decode.json, json);
        return decoded.IsOk ? decoded.ResultValue : throw new ArgumentException(decoded.ErrorValue.Describe(), parameter);
    }

    private static C.Json Read(JsonElement element, string parameter)
    {
        var decoded = C.Decode.fromElement(C.Decode.json, element);
        return decoded.IsOk ? decoded.ResultValue : throw new ArgumentException(decoded.ErrorValue.Describe(), parameter);
    }
}
