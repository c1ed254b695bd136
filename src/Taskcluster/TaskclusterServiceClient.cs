using System.Text.Json;

namespace Taskcluster;

/// <summary>
/// What every service client has besides its methods: the generic <c>Call</c> (the official
/// clients' calling by method name) and URL building by method name.
/// </summary>
public abstract class TaskclusterServiceClient
{
    private readonly Services.ApiClient _client;

    /// <summary>For mocking: a client without a connection, whose members a test double overrides.</summary>
    protected TaskclusterServiceClient()
    {
        _client = null!;
    }

    private protected TaskclusterServiceClient(Services.ApiClient client)
    {
        _client = client;
    }

    /// <summary>The deployment's root URL.</summary>
    public virtual Uri RootUrl => new(_client.TaskclusterClient.RootUrl.Value);

    /// <summary>The service name used in URLs, e.g. <c>queue</c>.</summary>
    public virtual string ServiceName => _client.ApiReference.ServiceName;

    /// <summary>Calls a method by its reference name, e.g. <c>createTask</c>.</summary>
    /// <param name="methodName">The method's name in the reference (camelCase).</param>
    /// <param name="args">The route arguments, in route order.</param>
    /// <param name="payload">The request body for methods that take one (see the generated methods for the accepted forms).</param>
    /// <param name="query">Query-string parameters the method accepts.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The response as JSON, or why the call failed (an unknown method is an <see cref="TaskclusterErrorKind.InvalidRequest"/>).</returns>
    public virtual Task<TaskclusterResult<JsonElement>> CallAsync(
        string methodName,
        IEnumerable<string>? args = null,
        object? payload = null,
        IEnumerable<KeyValuePair<string, string>>? query = null,
        CancellationToken cancellationToken = default) =>
        Adapt.ResultAsync(_client.Call(Adapt.NotNull(methodName, nameof(methodName)), Adapt.List(args), Adapt.OptionalPayload(payload), Adapt.Query(query), Adapt.Token(cancellationToken)));

    /// <inheritdoc cref="CallAsync"/>
    public virtual TaskclusterResult<JsonElement> Call(
        string methodName,
        IEnumerable<string>? args = null,
        object? payload = null,
        IEnumerable<KeyValuePair<string, string>>? query = null,
        CancellationToken cancellationToken = default) =>
        Adapt.Result(Sync.Run(() => _client.Call(Adapt.NotNull(methodName, nameof(methodName)), Adapt.List(args), Adapt.OptionalPayload(payload), Adapt.Query(query), Adapt.Token(cancellationToken))));

    /// <summary><c>buildUrl</c>: the unsigned URL of a method, by its reference name.</summary>
    /// <param name="methodName">The method's name in the reference (camelCase).</param>
    /// <param name="args">The route arguments, in route order.</param>
    /// <param name="query">Query-string parameters the method accepts.</param>
    /// <returns>The URL, or why it cannot be built.</returns>
    public virtual TaskclusterResult<string> BuildUrl(
        string methodName,
        IEnumerable<string>? args = null,
        IEnumerable<KeyValuePair<string, string>>? query = null) =>
        Adapt.Result(_client.BuildUrl(Adapt.NotNull(methodName, nameof(methodName)), Adapt.List(args), Adapt.Query(query)));

    /// <summary><c>buildSignedUrl</c>: the URL of a GET method with a bewit, usable without credentials until it expires.</summary>
    /// <param name="methodName">The method's name in the reference (camelCase).</param>
    /// <param name="args">The route arguments, in route order.</param>
    /// <param name="query">Query-string parameters the method accepts.</param>
    /// <param name="expiration">How long the URL stays valid; null for the options' <see cref="TaskclusterClientOptions.SignedUrlExpiration"/>.</param>
    /// <returns>The URL, or why it cannot be built (no credentials, not a GET method).</returns>
    public virtual TaskclusterResult<string> BuildSignedUrl(
        string methodName,
        IEnumerable<string>? args = null,
        IEnumerable<KeyValuePair<string, string>>? query = null,
        TimeSpan? expiration = null) =>
        Adapt.Result(
            _client.BuildSignedUrl(
                Adapt.NotNull(methodName, nameof(methodName)),
                Adapt.List(args),
                Adapt.Query(query),
                expiration is null ? null : Microsoft.FSharp.Core.FSharpOption<TimeSpan>.Some(expiration.Value)));
}
