using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Taskcluster.Schemas;

/// <summary>
/// What the generated converters share: reading an alternative of a union through the
/// source-generated metadata, and errors that say which model and which value.
/// </summary>
internal static class ModelJson
{
    internal static JsonTypeInfo<T> Info<T>() => InfoOf<T>.Value;

    // Looked up once per type: every typed call and message reads its model's metadata.
    private static class InfoOf<T>
    {
        internal static readonly JsonTypeInfo<T> Value =
            (JsonTypeInfo<T>)(TaskclusterJsonContext.Default.GetTypeInfo(typeof(T))
                ?? throw new InvalidOperationException($"{typeof(T)} is not in the models' serializer context"));
    }

    /// <summary>
    /// The setter of a member with a single allowed value: any other value is an error (a
    /// <see cref="JsonException"/>, so that a decode reports it with its path).
    /// </summary>
    internal static void Constant<T>(T value, T expected, string name)
    {
        if (!EqualityComparer<T>.Default.Equals(value, expected))
        {
            throw new JsonException($"'{name}' must be {JsonSerializer.Serialize(expected, Info<T>())}, not {value}");
        }
    }

    internal static string ReadString(ref Utf8JsonReader reader, string model) =>
        reader.TokenType == JsonTokenType.String
            ? reader.GetString()!
            : throw new JsonException($"a {model} must be a string, not {Describe(reader.TokenType)}");

    /// <summary>The discriminating member of a union's value (an error when it is missing).</summary>
    internal static JsonElement Tag(JsonElement element, string discriminator, string model)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw new JsonException($"a {model} must be an object, not {Describe(element.ValueKind)}");
        }

        return element.TryGetProperty(discriminator, out var tag)
            ? tag
            : throw new JsonException($"a {model} needs its '{discriminator}' member");
    }

    /// <summary>
    /// An alternative of a union. An error inside it is reported with its path below the
    /// union's value, which the serializer then places (it fills in the path of an error that has none).
    /// </summary>
    internal static T Read<T>(JsonElement element, string model, string alternative)
    {
        try
        {
            return element.Deserialize(Info<T>())!;
        }
        catch (JsonException e)
        {
            throw new JsonException($"{model} ({alternative}), at {e.Path ?? "$"} of it: {e.Message}");
        }
    }

    /// <summary>An alternative of an untagged union, when the value is one.</summary>
    internal static bool TryRead<T>(JsonElement element, [MaybeNullWhen(false)] out T value)
    {
        try
        {
            value = element.Deserialize(Info<T>())!;
            return value is not null;
        }
        catch (JsonException)
        {
            value = default;
            return false;
        }
    }

    internal static JsonException NoAlternative(string model, JsonElement element) =>
        new($"no alternative of {model} accepts this {Describe(element.ValueKind)}");

    internal static void Write<T>(Utf8JsonWriter writer, T value) =>
        JsonSerializer.Serialize(writer, value, Info<T>());

    private static string Describe(JsonTokenType token) => token switch
    {
        JsonTokenType.StartObject => "an object",
        JsonTokenType.StartArray => "an array",
        JsonTokenType.Number => "a number",
        JsonTokenType.True or JsonTokenType.False => "a boolean",
        JsonTokenType.Null => "null",
        _ => token.ToString(),
    };

    private static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => kind.ToString(),
    };
}

/// <summary>
/// Timestamps as Taskcluster writes them: UTC with milliseconds, <c>2026-11-29T15:00:00.000Z</c>.
/// Any ISO 8601 timestamp reads.
/// </summary>
internal sealed class TimestampConverter : JsonConverter<DateTimeOffset>
{
    public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType == JsonTokenType.String && reader.TryGetDateTimeOffset(out var value)
            ? value
            : throw new JsonException("a timestamp must be an ISO 8601 date and time string");

    public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
}
