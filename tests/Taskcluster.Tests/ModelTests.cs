using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Microsoft.FSharp.Collections;
using Taskcluster.Schemas;
using Xunit;
using Core = Taskcluster.Core;
using FsGen = FsCheck.FSharp.Gen;
using SchemaJson = Taskcluster.Testing.SchemaJson;

namespace Taskcluster.Tests;

/// <summary>
/// The generated C# models (namespace <c>Taskcluster.Schemas</c>) against JSON generated from
/// their own schemas (the committed schema bundle): every model reads it and writes it back
/// unchanged, members and enum values a newer deployment adds survive, property names are the
/// schemas' own, timestamps are written as Taskcluster writes them.
/// </summary>
public sealed class ModelTests
{
    private static readonly Lazy<FSharpMap<string, Core.Json>> Bundle = new(() =>
    {
        var text = File.ReadAllText(Path.Combine(RepositoryRoot(), "src", "Taskcluster.Models", "Generated", "schemas.json"));
        var decoded = Core.Decode.fromString(Core.Decode.keyValuePairs(Core.Decode.json), text);
        Assert.True(decoded.IsOk, "schemas.json reads");
        return MapModule.OfList(decoded.ResultValue);
    });

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Taskcluster.Functional.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("cannot find Taskcluster.Functional.sln above the test binary");
    }

    public static IEnumerable<object[]> Models() => ModelRegistry.All.Select(m => new object[] { m.Key });

    private static Type ModelType(string location) => ModelRegistry.All.Single(m => m.Key == location).Value;

    /// <summary>
    /// Valid JSON for the schema at a location, from the F# test generators, with a seed fixed per
    /// location (so a run is repeatable while the models still see varied JSON).
    /// </summary>
    internal static IEnumerable<string> Samples(string location, int count)
    {
        var seed = 14695981039346656037UL;
        foreach (var c in location)
        {
            seed = (seed ^ c) * 1099511628211UL;
        }

        return FsGen.Sample(new FsCheck.Rnd(seed, 7UL), 8, count, SchemaJson.valid(Bundle.Value, location)).Select(Core.Encode.toString);
    }

    private static string RoundTrip(string json, Type type)
    {
        var info = TaskclusterJsonContext.Default.GetTypeInfo(type)!;
        var value = JsonSerializer.Deserialize(json, info);
        return JsonSerializer.Serialize(value, info);
    }

    /// <summary>
    /// JSON values compared as JSON: member order does not matter, <c>1</c> equals <c>1.0</c>. With
    /// <paramref name="nullMayBeAbsent"/>, a member that is <c>null</c> in <paramref name="a"/> may be
    /// absent from <paramref name="b"/>: the C# models hold an optional member that may be null in
    /// one nullable property, so "null" and "absent" are written alike (as absent).
    /// </summary>
    internal static bool JsonEquals(JsonNode? a, JsonNode? b, bool nullMayBeAbsent = false) => (a, b) switch
    {
        (null, null) => true,
        (JsonObject x, JsonObject y) =>
            x.Count(p => !(nullMayBeAbsent && p.Value is null && !y.ContainsKey(p.Key))) == y.Count
            && x.All(p => y.TryGetPropertyValue(p.Key, out var v)
                ? JsonEquals(p.Value, v, nullMayBeAbsent)
                : nullMayBeAbsent && p.Value is null),
        (JsonArray x, JsonArray y) => x.Count == y.Count && x.Zip(y).All(p => JsonEquals(p.First, p.Second, nullMayBeAbsent)),
        (JsonValue x, JsonValue y) when x.GetValueKind() == JsonValueKind.Number && y.GetValueKind() == JsonValueKind.Number =>
            x.GetValue<JsonElement>().GetDouble() == y.GetValue<JsonElement>().GetDouble(),
        (JsonValue x, JsonValue y) => x.ToJsonString() == y.ToJsonString(),
        _ => false,
    };

    private static void AssertRoundTrips(string json, Type type)
    {
        string back;
        try
        {
            back = RoundTrip(json, type);
        }
        catch (JsonException e)
        {
            throw new Xunit.Sdk.XunitException($"{type.Name} refused valid JSON: {e.Message}\n{json}");
        }

        Assert.True(JsonEquals(JsonNode.Parse(json), JsonNode.Parse(back), nullMayBeAbsent: true), $"{type.Name} changed the JSON\nin:  {json}\nout: {back}");
    }

    [Fact]
    public void EveryModelOfTheFSharpSideHasACSharpModel()
    {
        Assert.True(ModelRegistry.All.Count > 300, $"{ModelRegistry.All.Count} models");
        Assert.Equal(Taskcluster.Models.ModelRegistry.all.Length, ModelRegistry.All.Count);
        Assert.Equal(typeof(TaskStatusResponse), ModelRegistry.Roots["/schemas/queue/v1/task-status-response.json#"]);
        Assert.Equal(typeof(CreateTaskRequest), ModelRegistry.Roots["/schemas/queue/v1/create-task-request.json#"]);
        Assert.Equal(typeof(GenericWorkerPayload), ModelRegistry.Roots["/schemas/generic-worker/multiuser_posix.json#"]);
        Assert.Equal(typeof(DockerWorkerPayload), ModelRegistry.Roots["/schemas/docker-worker/v1/payload.json#"]);

        foreach (var (location, type) in ModelRegistry.All)
        {
            Assert.True(SchemaJson.tryResolve(Bundle.Value, location) is not null, $"{type.Name}: no schema at {location}");
            Assert.NotNull(TaskclusterJsonContext.Default.GetTypeInfo(type));
        }
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void ValidJsonReadsAndWritesBackUnchanged(string location)
    {
        var type = ModelType(location);
        foreach (var json in Samples(location, 12))
        {
            AssertRoundTrips(json, type);
        }
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void MembersTheSchemaDoesNotKnowSurvive(string location)
    {
        var type = ModelType(location);
        foreach (var json in Samples(location, 4))
        {
            if (JsonNode.Parse(json) is JsonObject obj && !obj.ContainsKey("x-from-a-newer-deployment"))
            {
                obj["x-from-a-newer-deployment"] = new JsonObject { ["nested"] = new JsonArray(1, "two", null, true) };
                AssertRoundTrips(obj.ToJsonString(), type);
            }
        }
    }

    [Fact]
    public void PropertyNamesAreTheSchemasOwn()
    {
        static JsonObject Resolve(string location)
        {
            var schema = JsonNode.Parse(Core.Encode.toString(SchemaJson.tryResolve(Bundle.Value, location)!.Value))!.AsObject();
            return schema["$ref"] is { } r
                ? Resolve(SchemaJson.resolveRef(location[..(location.IndexOf('#') + 1)], r.GetValue<string>()))
                : schema;
        }

        var checkedNames = 0;
        foreach (var (location, type) in ModelRegistry.All)
        {
            var properties = type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.DeclaringType == type).ToList();
            if (type.IsAbstract || type.IsValueType)
            {
                continue;
            }

            var schemaNames = Resolve(location)["properties"]!.AsObject().Select(p => p.Key).ToHashSet();
            foreach (var property in properties)
            {
                if (property.GetCustomAttribute<JsonExtensionDataAttribute>() is not null)
                {
                    continue;
                }

                var name = property.GetCustomAttribute<JsonPropertyNameAttribute>()?.Name;
                Assert.True(name is not null && schemaNames.Contains(name), $"{type.Name}.{property.Name} is written as '{name}', which {location} does not name");
                checkedNames++;
            }

            // The serializer's own view (what it writes) agrees with the attributes.
            var info = TaskclusterJsonContext.Default.GetTypeInfo(type)!;
            Assert.All(info.Properties.Where(p => !p.IsExtensionData), p => Assert.Contains(p.Name, schemaNames));
        }

        Assert.True(checkedNames > 1000, $"{checkedNames} properties");
    }

    private const string Task = """{"provisionerId":"proj","workerType":"worker","taskQueueId":"proj/worker","schedulerId":"-","projectId":"none","taskGroupId":"fN1SbArXTPSVFNUvaOlinQ","dependencies":[],"requires":"all-completed","routes":[],"priority":"lowest","retries":5,"created":"2026-11-29T15:00:00.000Z","deadline":"2026-11-30T15:00:00.000Z","expires":"2027-11-29T15:00:00.000Z","scopes":[],"payload":{"MOZ_BUILD_DATE":"1","URL":"x","env":{"RUST_LOG":"debug"}},"metadata":{"name":"n","description":"d","owner":"o@example.com","source":"https://example.com/s"},"tags":{"CamelCase":"kept"},"extra":{"Some_Key":{"URL":1}}}""";

    [Fact]
    public void FreeFormMembersKeepTheirNamesInsideATypedModel()
    {
        // A task's payload, tags and extra are the caller's: kept as written, never renamed.
        var task = JsonSerializer.Deserialize(Task, TaskclusterJsonContext.Default.TaskDefinition)!;
        Assert.Equal("debug", task.Payload.GetProperty("env").GetProperty("RUST_LOG").GetString());
        Assert.Equal("kept", task.Tags["CamelCase"]);

        var written = JsonSerializer.Serialize(task, TaskclusterJsonContext.Default.TaskDefinition);

        Assert.True(JsonEquals(JsonNode.Parse(Task), JsonNode.Parse(written)), written);
        Assert.Contains("\"MOZ_BUILD_DATE\"", written);
        Assert.Contains("\"taskQueueId\"", written);
    }

    [Fact]
    public void TimestampsAreWrittenAsTaskclusterWritesThem()
    {
        var request = new ErrorArtifactRequest
        {
            // Another offset and sub-millisecond ticks: written in UTC, to the millisecond.
            Expires = new DateTimeOffset(2026, 11, 29, 16, 0, 0, 123, TimeSpan.FromHours(1)).AddTicks(4567),
            Message = "m",
            Reason = ErrorArtifactRequestReason.FileMissingOnWorker,
        };

        var written = JsonNode.Parse(JsonSerializer.Serialize(request, TaskclusterJsonContext.Default.ErrorArtifactRequest))!;
        Assert.Equal("2026-11-29T15:00:00.123Z", written["expires"]!.GetValue<string>());

        var back = JsonSerializer.Deserialize(written.ToJsonString(), TaskclusterJsonContext.Default.ErrorArtifactRequest)!;
        Assert.Equal(new DateTimeOffset(2026, 11, 29, 15, 0, 0, 123, TimeSpan.Zero), back.Expires);

        var task = JsonSerializer.Deserialize(Task.Replace("2026-11-29T15:00:00.000Z", "2026-11-29T16:00:00+01:00"), TaskclusterJsonContext.Default.TaskDefinition)!;
        Assert.Equal(new DateTimeOffset(2026, 11, 29, 15, 0, 0, TimeSpan.Zero), task.Created);
        Assert.Contains("\"created\":\"2026-11-29T15:00:00.000Z\"", JsonSerializer.Serialize(task, TaskclusterJsonContext.Default.TaskDefinition));
    }

    [Fact]
    public void AnEnumValueTheSchemaDoesNotListSurvives()
    {
        var json = """{"taskId":"fN1SbArXTPSVFNUvaOlinQ","provisionerId":"p","workerType":"w","taskQueueId":"p/w","schedulerId":"-","projectId":"none","taskGroupId":"fN1SbArXTPSVFNUvaOlinQ","deadline":"2026-11-29T15:00:00.000Z","expires":"2026-12-29T15:00:00.000Z","retriesLeft":5,"state":"hibernating","runs":[]}""";

        var status = JsonSerializer.Deserialize(json, TaskclusterJsonContext.Default.TaskStatus)!;

        Assert.Equal("hibernating", status.State.Value);
        Assert.False(status.State.IsKnown);
        Assert.NotEqual(TaskStatusState.Running, status.State);
        Assert.True(JsonEquals(JsonNode.Parse(json), JsonNode.Parse(JsonSerializer.Serialize(status, TaskclusterJsonContext.Default.TaskStatus))));

        var known = JsonSerializer.Deserialize(json.Replace("hibernating", "running"), TaskclusterJsonContext.Default.TaskStatus)!;
        Assert.True(known.State.IsKnown);
        Assert.Equal(TaskStatusState.Running, known.State);
        Assert.True(known.State == "running");
    }

    [Fact]
    public void AUnionIsChosenByItsDiscriminatorAndAnUnknownOneIsKept()
    {
        var s3 = """{"storageType":"s3","contentType":"text/plain","expires":"2026-11-29T15:00:00.000Z"}""";
        var request = JsonSerializer.Deserialize(s3, TaskclusterJsonContext.Default.CreateArtifactRequest);
        var chosen = Assert.IsType<CreateArtifactRequest.S3>(request);
        Assert.Equal("text/plain", chosen.Value.ContentType);
        Assert.True(JsonEquals(JsonNode.Parse(s3), JsonNode.Parse(JsonSerializer.Serialize(request, TaskclusterJsonContext.Default.CreateArtifactRequest))));

        var future = """{"storageType":"quantum","entanglement":[1,2]}""";
        var unknown = Assert.IsType<CreateArtifactRequest.Unknown>(JsonSerializer.Deserialize(future, TaskclusterJsonContext.Default.CreateArtifactRequest));
        Assert.Equal("quantum", unknown.Json.GetProperty("storageType").GetString());
        Assert.True(JsonEquals(JsonNode.Parse(future), JsonNode.Parse(JsonSerializer.Serialize<CreateArtifactRequest>(unknown, TaskclusterJsonContext.Default.CreateArtifactRequest))));

        // Built in code, the constant discriminator is written by the alternative itself.
        var built = new CreateArtifactRequest.Error(new ErrorArtifactRequest
        {
            Expires = new DateTimeOffset(2026, 11, 29, 15, 0, 0, TimeSpan.Zero),
            Message = "m",
            Reason = ErrorArtifactRequestReason.FileMissingOnWorker,
        });
        var written = JsonNode.Parse(JsonSerializer.Serialize<CreateArtifactRequest>(built, TaskclusterJsonContext.Default.CreateArtifactRequest))!;
        Assert.Equal("error", written["storageType"]!.GetValue<string>());
        Assert.Equal("file-missing-on-worker", written["reason"]!.GetValue<string>());
    }

    [Fact]
    public void JsonOfTheWrongShapeIsAJsonExceptionNamingThePath()
    {
        var json = """{"status":{"taskId":"fN1SbArXTPSVFNUvaOlinQ","provisionerId":"p","workerType":"w","taskQueueId":"p/w","schedulerId":"-","projectId":"none","taskGroupId":"fN1SbArXTPSVFNUvaOlinQ","deadline":"2026-11-29T15:00:00.000Z","expires":"2026-12-29T15:00:00.000Z","retriesLeft":5,"state":"running","runs":[{"runId":0,"state":7,"reasonCreated":"scheduled","scheduled":"2026-11-29T14:00:00.000Z"}]}}""";

        var error = Assert.Throws<JsonException>(() => JsonSerializer.Deserialize(json, TaskclusterJsonContext.Default.TaskStatusResponse));
        Assert.Equal("$.status.runs[0].state", error.Path);

        var missing = Assert.Throws<JsonException>(() => JsonSerializer.Deserialize("""{"status":{}}""", TaskclusterJsonContext.Default.TaskStatusResponse));
        Assert.Contains("required", missing.Message);
        Assert.Equal("$.status", missing.Path);
    }
}
