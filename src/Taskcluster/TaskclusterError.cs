using F = Taskcluster.Client;

namespace Taskcluster;

/// <summary>What kind of failure a <see cref="TaskclusterError"/> is: one per case of the F# <c>TaskclusterError</c> union, then the transfer and configuration failures.</summary>
public enum TaskclusterErrorKind
{
    /// <summary>The request could not be built or signed (unknown method, bad route argument or query parameter, missing or invalid payload, no credentials for a signed URL); nothing was sent.</summary>
    InvalidRequest,

    /// <summary>401: the credentials were refused (bad signature, unknown client, expired certificate, a stale timestamp a clock correction did not fix).</summary>
    AuthenticationFailed,

    /// <summary>403: the credentials lack the scopes the method requires.</summary>
    InsufficientScopes,

    /// <summary>Any other 4xx (never retried, except 429 which ends here when the retries run out).</summary>
    ClientError,

    /// <summary>A 5xx still failing after every retry.</summary>
    ServerError,

    /// <summary>A 3xx: redirects are never followed, so credentials never go to another host; <see cref="TaskclusterError.Location"/> is the target. Also a request a caller's <see cref="HttpClient"/> followed to another URL anyway (never reported as a success).</summary>
    Redirect,

    /// <summary>The connection failed (refused, reset, dropped, truncated body) on every attempt.</summary>
    ConnectionFailed,

    /// <summary>Every attempt took longer than the per-attempt timeout.</summary>
    Timeout,

    /// <summary>The request was cancelled by something other than the caller's token (the caller's token throws <see cref="OperationCanceledException"/> instead).</summary>
    Cancelled,

    /// <summary>A 2xx response whose body is not what was expected (not JSON).</summary>
    InvalidResponse,

    /// <summary>A stale-timestamp 401 whose <c>Date</c> is further from the local clock than <see cref="TaskclusterClientOptions.MaxClockOffset"/> allows, so the offset was not adopted; <see cref="TaskclusterError.ClientTime"/> and <see cref="TaskclusterError.ServerTime"/> say both clocks.</summary>
    ClockSkew,

    /// <summary>Downloaded bytes do not have the hash the object service recorded (corrupted on the way or in storage); never retried. <see cref="TaskclusterError.Algorithm"/>, <see cref="TaskclusterError.ExpectedHash"/> and <see cref="TaskclusterError.ActualHash"/> say which.</summary>
    HashMismatch,

    /// <summary>The bytes counted differ from the announced length (an upload's reader gave more or fewer than its content length, or a download body differs from its <c>Content-Length</c>); never retried. See <see cref="TaskclusterError.ExpectedLength"/> and <see cref="TaskclusterError.ActualLength"/>.</summary>
    LengthMismatch,

    /// <summary>The object service recorded no hash this client can check (<see cref="TaskclusterError.Algorithms"/> lists the ones it has), so the object is not downloaded.</summary>
    NoAcceptableHash,

    /// <summary>The service chose an upload or download method, or an artifact storage type, this client does not know (<see cref="TaskclusterError.TransferMethod"/>).</summary>
    UnsupportedMethod,

    /// <summary>The artifact is an <c>error</c> artifact: the worker recorded why it has no data (<see cref="TaskclusterError.Reason"/> and <see cref="TaskclusterError.Message"/>).</summary>
    ArtifactError,

    /// <summary>A local file could not be opened, written or renamed (<see cref="TaskclusterError.FilePath"/>).</summary>
    FileError,

    /// <summary>No root URL was given and <c>TASKCLUSTER_ROOT_URL</c> is not set.</summary>
    MissingRootUrl,

    /// <summary>A setting (root URL, credentials from the environment, ...) is invalid; <see cref="TaskclusterError.Field"/> names it.</summary>
    InvalidOptions,

    /// <summary>No Taskcluster service has the name asked for (<see cref="TaskclusterError.Name"/>).</summary>
    UnknownService,

    /// <summary>Neither a secret name nor local secrets were given to <c>LoadSecretsAsync</c>.</summary>
    MissingSecretName,

    /// <summary>The secret, or the section of a prefix, is not a JSON object.</summary>
    SecretNotAnObject,

    /// <summary>Required secret keys are missing after the merge; <see cref="TaskclusterError.MissingKeys"/> names them all.</summary>
    MissingSecrets,

    /// <summary>A key of the secret, or of a prefix's section, is not valid Unicode; <see cref="TaskclusterError.Name"/> says where.</summary>
    UnreadableSecretKey,

    /// <summary>A JSON-e template could not be rendered: <see cref="TaskclusterError.Name"/> is the JSON-e kind (<c>SyntaxError</c>, <c>TypeError</c>, <c>InterpreterError</c>, <c>TemplateError</c>, <c>BuiltinError</c>, <c>Error</c> or <c>LimitExceeded</c>), <see cref="TaskclusterError.JsonPath"/> the place in the template (e.g. <c>template.tasks[0]</c>) and <see cref="TaskclusterError.Message"/> the reference implementation's message.</summary>
    TemplateError,

    /// <summary>Two tasks of a task graph have the same label (<see cref="TaskclusterError.Label"/>); nothing was submitted.</summary>
    DuplicateTaskLabel,

    /// <summary>A task of a task graph (<see cref="TaskclusterError.Label"/>) depends on a label no task of the graph has (<see cref="TaskclusterError.DependsOn"/>); nothing was submitted.</summary>
    UnknownTaskLabel,

    /// <summary>Tasks of a task graph depend on each other in a circle (<see cref="TaskclusterError.Cycle"/> lists its labels); nothing was submitted.</summary>
    TaskGraphCycle,
}

/// <summary>
/// Why a Taskcluster call failed: the kind, the HTTP status, the Taskcluster error code and message,
/// and the request (method and URL, never the credentials).
/// </summary>
public sealed class TaskclusterError
{
    /// <summary>
    /// An error made by hand, for test doubles that mock failed calls (set the other properties
    /// with an object initializer, e.g. <c>Status = 404, Code = "ResourceNotFound"</c>); the
    /// client itself builds its errors from the failures it meets.
    /// </summary>
    /// <param name="kind">The kind of failure.</param>
    /// <param name="description">The one-line description (<see cref="Description"/>, <see cref="ToString"/>).</param>
    /// <exception cref="ArgumentNullException"><paramref name="description"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="kind"/> is not a defined <see cref="TaskclusterErrorKind"/>.</exception>
    public TaskclusterError(TaskclusterErrorKind kind, string description)
        : this(kind, description ?? throw new ArgumentNullException(nameof(description)), null)
    {
        if (!Enum.IsDefined(kind))
        {
            throw new ArgumentOutOfRangeException(nameof(kind), kind, "Not a defined TaskclusterErrorKind.");
        }
    }

    private TaskclusterError(TaskclusterErrorKind kind, string description, F.RequestInfo? request)
    {
        Kind = kind;
        Description = description;
        ApiMethod = request?.Name;
        HttpMethod = request?.Method;
        Url = request?.Url;
    }

    /// <summary>The kind of failure.</summary>
    public TaskclusterErrorKind Kind { get; }

    /// <summary>A one-line description: the method, the URL and what went wrong.</summary>
    public string Description { get; private set; }

    /// <summary>The API method, e.g. <c>queue.createTask</c>, when a request was built (for <see cref="TaskclusterErrorKind.InvalidRequest"/>, the method asked for).</summary>
    public string? ApiMethod { get; init; }

    /// <summary>The HTTP method, e.g. <c>PUT</c>, when a request was built.</summary>
    public string? HttpMethod { get; init; }

    /// <summary>The request URL, when a request was built.</summary>
    public string? Url { get; init; }

    /// <summary>The HTTP status when the server answered.</summary>
    public int? Status { get; init; }

    /// <summary>The HTTP reason phrase when the server answered.</summary>
    public string? ReasonPhrase { get; init; }

    /// <summary>The Taskcluster error code, e.g. <c>ResourceNotFound</c>, when the server sent one.</summary>
    public string? Code { get; init; }

    /// <summary>The service's error message (or, for a body that is not a Taskcluster error, the status and reason phrase); for a transfer or configuration failure, what went wrong (for an <see cref="TaskclusterErrorKind.ArtifactError"/>, the worker's message).</summary>
    public string? Message { get; init; }

    /// <summary>The first bytes of a response body that is not a Taskcluster JSON error (a proxy's 502 page, say).</summary>
    public string? Body { get; init; }

    /// <summary>How many times the request was sent (0 when nothing was sent).</summary>
    public int Attempts { get; init; }

    /// <summary>For a 403 <see cref="TaskclusterErrorKind.InsufficientScopes"/>, the scopes (or scope expression) the credentials lack, as the service wrote them; empty when it said nothing about them.</summary>
    public IReadOnlyList<string> MissingScopes { get; init; } = Array.Empty<string>();

    /// <summary>The service's own id of the request (its <c>x-for-request-id</c> response header), when it sent one: the id to quote to the deployment's operators.</summary>
    public string? RequestId { get; init; }

    /// <summary>The local clock (without offset) when the response of a <see cref="TaskclusterErrorKind.ClockSkew"/> arrived.</summary>
    public DateTimeOffset? ClientTime { get; init; }

    /// <summary>The server's clock (its <c>Date</c> header) of a <see cref="TaskclusterErrorKind.ClockSkew"/>.</summary>
    public DateTimeOffset? ServerTime { get; init; }

    /// <summary>The largest offset the client would adopt, of a <see cref="TaskclusterErrorKind.ClockSkew"/>.</summary>
    public TimeSpan? MaxClockOffset { get; init; }

    /// <summary>The redirect target of a <see cref="TaskclusterErrorKind.Redirect"/> (it may be a pre-signed URL: it is redacted in <see cref="Description"/>, not here).</summary>
    public string? Location { get; init; }

    /// <summary>The per-attempt timeout of a <see cref="TaskclusterErrorKind.Timeout"/>.</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>The JSON path of the offending value of an <see cref="TaskclusterErrorKind.InvalidResponse"/>.</summary>
    public string? JsonPath { get; init; }

    /// <summary>The object, artifact or service the error is about (transfer and configuration errors).</summary>
    public string? Name { get; init; }

    /// <summary>The task of an <see cref="TaskclusterErrorKind.ArtifactError"/>; of a task graph's task, the taskId given to <see cref="Label"/>.</summary>
    public string? TaskId { get => _taskId; init => _taskId = value; }

    // Set on a copy of a createTask error by InTaskGraph, hence fields rather than init-only auto-properties.
    private string? _taskId;
    private string? _label;
    private IReadOnlyList<CreatedTask>? _createdTasks;

    /// <summary>
    /// The task of a task graph at fault: the label given twice (<see cref="TaskclusterErrorKind.DuplicateTaskLabel"/>),
    /// the task depending on an unknown label (<see cref="TaskclusterErrorKind.UnknownTaskLabel"/>), the first label of a
    /// <see cref="TaskclusterErrorKind.TaskGraphCycle"/>, the task whose <see cref="TaskGraphOptions.TaskIdOf"/> is not a slugId,
    /// or the task whose createTask failed (that error keeps its own kind); null for other errors.
    /// </summary>
    public string? Label { get => _label; init => _label = value; }

    /// <summary>The label of an <see cref="TaskclusterErrorKind.UnknownTaskLabel"/> that no task of the graph has.</summary>
    public string? DependsOn { get; init; }

    /// <summary>The labels of a <see cref="TaskclusterErrorKind.TaskGraphCycle"/> in dependency order, the first one repeated at the end (<c>a, b, a</c>: a depends on b, b on a).</summary>
    public IReadOnlyList<string>? Cycle { get; init; }

    /// <summary>
    /// Of a createTask call of a task graph that failed (the error keeps the call's own kind, status and code):
    /// the graph's tasks created before it, in the order they were created. The tasks depending on
    /// <see cref="Label"/> were not submitted; submitting the graph again with the same <see cref="TaskGraphOptions"/>
    /// is safe. Null for any error that is not a task graph's failed createTask.
    /// </summary>
    public IReadOnlyList<CreatedTask>? CreatedTasks { get => _createdTasks; init => _createdTasks = value; }

    /// <summary>The worker's reason of an <see cref="TaskclusterErrorKind.ArtifactError"/>, e.g. <c>file-missing-on-worker</c>.</summary>
    public string? Reason { get; init; }

    /// <summary>The hash algorithm of a <see cref="TaskclusterErrorKind.HashMismatch"/>, e.g. <c>sha256</c>.</summary>
    public string? Algorithm { get; init; }

    /// <summary>The hash the service recorded, of a <see cref="TaskclusterErrorKind.HashMismatch"/> (lower-case hex).</summary>
    public string? ExpectedHash { get; init; }

    /// <summary>The hash of the bytes received, of a <see cref="TaskclusterErrorKind.HashMismatch"/> (lower-case hex).</summary>
    public string? ActualHash { get; init; }

    /// <summary>The announced length of a <see cref="TaskclusterErrorKind.LengthMismatch"/>.</summary>
    public long? ExpectedLength { get; init; }

    /// <summary>The length counted, of a <see cref="TaskclusterErrorKind.LengthMismatch"/>.</summary>
    public long? ActualLength { get; init; }

    /// <summary>The hash algorithms the service recorded, of a <see cref="TaskclusterErrorKind.NoAcceptableHash"/>.</summary>
    public IReadOnlyList<string>? Algorithms { get; init; }

    /// <summary>The method or storage type of an <see cref="TaskclusterErrorKind.UnsupportedMethod"/>.</summary>
    public string? TransferMethod { get; init; }

    /// <summary>The local file of a <see cref="TaskclusterErrorKind.FileError"/>.</summary>
    public string? FilePath { get; init; }

    /// <summary>The setting or argument at fault, of an <see cref="TaskclusterErrorKind.InvalidOptions"/> (e.g. <c>rootUrl</c>) or of an <see cref="TaskclusterErrorKind.InvalidRequest"/> refused before a transfer.</summary>
    public string? Field { get; init; }

    /// <summary>The JSON schema a request body was checked against, of an <see cref="TaskclusterErrorKind.InvalidRequest"/> refused for <see cref="SchemaViolations"/>, e.g. <c>/schemas/queue/v1/create-task-request.json#</c>.</summary>
    public string? SchemaId { get; init; }

    /// <summary>Every way the request body breaks <see cref="SchemaId"/>, of an <see cref="TaskclusterErrorKind.InvalidRequest"/> found before anything was sent (see <see cref="TaskclusterClientOptions.ValidateRequests"/>); empty otherwise.</summary>
    public IReadOnlyList<TaskclusterSchemaViolation> SchemaViolations { get; init; } = Array.Empty<TaskclusterSchemaViolation>();

    /// <summary>The required keys missing, of a <see cref="TaskclusterErrorKind.MissingSecrets"/>.</summary>
    public IReadOnlyList<string>? MissingKeys { get; init; }

    /// <inheritdoc/>
    public override string ToString() => Description;

    private static TaskclusterError Service(TaskclusterErrorKind kind, F.ServiceError e, string description, string? location = null) =>
        new(kind, description, e.Request)
        {
            Status = e.Status,
            ReasonPhrase = e.ReasonPhrase,
            Code = OrNull(e.Code),
            Message = e.Message,
            Body = OrNull(e.Body),
            Attempts = e.Attempts,
            Location = location,
            MissingScopes = e.MissingScopes.ToArray(),
            RequestId = OrNull(e.RequestId),
        };

    private static string? OrNull(Microsoft.FSharp.Core.FSharpOption<string>? value) =>
        value is null ? null : value.Value;

    internal static TaskclusterError From(F.TaskclusterError error)
    {
        var description = error.Describe();

        return error switch
        {
            F.TaskclusterError.InvalidRequest { reason: F.RequestError.SchemaViolations v } e =>
                new(TaskclusterErrorKind.InvalidRequest, description, null)
                {
                    ApiMethod = e.name,
                    SchemaId = v.schemaId,
                    SchemaViolations = v.violations
                        .Select(x => new TaskclusterSchemaViolation(x.Path, x.Keyword, x.SchemaLocation, x.Message))
                        .ToArray(),
                },
            F.TaskclusterError.InvalidRequest e =>
                new(TaskclusterErrorKind.InvalidRequest, description, null) { ApiMethod = e.name },
            F.TaskclusterError.AuthenticationFailed e => Service(TaskclusterErrorKind.AuthenticationFailed, e.Item, description),
            F.TaskclusterError.InsufficientScopes e => Service(TaskclusterErrorKind.InsufficientScopes, e.Item, description),
            F.TaskclusterError.ClientError e => Service(TaskclusterErrorKind.ClientError, e.Item, description),
            F.TaskclusterError.ServerError e => Service(TaskclusterErrorKind.ServerError, e.Item, description),
            F.TaskclusterError.Redirect e => Service(TaskclusterErrorKind.Redirect, e.Item1, description, OrNull(e.location)),
            F.TaskclusterError.ConnectionFailed e =>
                new(TaskclusterErrorKind.ConnectionFailed, description, e.request) { Attempts = e.attempts, Message = e.message },
            F.TaskclusterError.Timeout e =>
                new(TaskclusterErrorKind.Timeout, description, e.request) { Attempts = e.attempts, Timeout = e.timeout },
            F.TaskclusterError.Cancelled e => new(TaskclusterErrorKind.Cancelled, description, e.request) { Attempts = 1 },
            F.TaskclusterError.InvalidResponse e =>
                new(TaskclusterErrorKind.InvalidResponse, description, e.request)
                {
                    Status = e.status,
                    Attempts = 1,
                    JsonPath = e.error.Path,
                    Message = e.error.Describe(),
                },
            F.TaskclusterError.ClockSkew e =>
                new(TaskclusterErrorKind.ClockSkew, description, e.request)
                {
                    Attempts = 1,
                    ClientTime = e.clientTime,
                    ServerTime = e.serverTime,
                    MaxClockOffset = e.limit,
                    Message = description,
                },
            _ => throw new ArgumentOutOfRangeException(nameof(error), description, "An error case this facade does not know."),
        };
    }

    /// <summary>An upload, download or artifact failure; a failed request keeps its own kind.</summary>
    internal static TaskclusterError From(F.TransferError error)
    {
        if (error is F.TransferError.Request request)
        {
            return From(request.Item);
        }

        var description = error.Describe();
        return error switch
        {
            F.TransferError.HashMismatch e =>
                new(TaskclusterErrorKind.HashMismatch, description, null)
                {
                    Name = e.name,
                    Algorithm = e.algorithm,
                    ExpectedHash = e.expected,
                    ActualHash = e.actual,
                    Message = description,
                },
            F.TransferError.LengthMismatch e =>
                new(TaskclusterErrorKind.LengthMismatch, description, null)
                {
                    Name = e.name,
                    ExpectedLength = e.expected,
                    ActualLength = e.actual,
                    Message = description,
                },
            F.TransferError.NoAcceptableHash e =>
                new(TaskclusterErrorKind.NoAcceptableHash, description, null)
                {
                    Name = e.name,
                    Algorithms = e.algorithms.ToArray(),
                    Message = description,
                },
            F.TransferError.UnsupportedMethod e =>
                new(TaskclusterErrorKind.UnsupportedMethod, description, null) { Name = e.name, TransferMethod = e.method, Message = description },
            F.TransferError.ArtifactError e =>
                new(TaskclusterErrorKind.ArtifactError, description, null) { TaskId = e.taskId, Name = e.name, Reason = e.reason, Message = e.message },
            F.TransferError.InvalidArgument e =>
                new(TaskclusterErrorKind.InvalidRequest, description, null) { Field = e.argument, Message = e.reason },
            F.TransferError.FileError e =>
                new(TaskclusterErrorKind.FileError, description, null) { FilePath = e.path, Message = e.message },
            _ => throw new ArgumentOutOfRangeException(nameof(error), description, "A transfer error case this facade does not know."),
        };
    }

    /// <summary>A JSON-e render failure.</summary>
    internal static TaskclusterError From(Taskcluster.Core.JsonEError error)
    {
        var description = error.Describe();
        var name = description.Split(new[] { ' ', ':' }, 2)[0];
        return new(TaskclusterErrorKind.TemplateError, description, null) { Name = name, JsonPath = error.Path, Message = error.Message };
    }

    /// <summary>A wait that ended without an outcome; a failed queue call keeps its own kind.</summary>
    internal static TaskclusterError From(Taskcluster.Pulse.WaitError error)
    {
        var description = error.Describe();
        return error switch
        {
            Taskcluster.Pulse.WaitError.Queue q => From(q.Item),
            Taskcluster.Pulse.WaitError.TimedOut t => new(TaskclusterErrorKind.Timeout, description, null) { Name = t.what, Message = description },
            Taskcluster.Pulse.WaitError.InvalidId i => new(TaskclusterErrorKind.InvalidRequest, description, null) { Field = i.what, Message = description },
            _ => new(TaskclusterErrorKind.InvalidOptions, description, null) { Message = description },
        };
    }

    /// <summary>A task graph refused before any call, or a failed createTask of one (which keeps its own kind, see <see cref="CreatedTasks"/>).</summary>
    internal static TaskclusterError From(Taskcluster.Pulse.TaskGraphError error)
    {
        var description = error.Describe();
        return error switch
        {
            Taskcluster.Pulse.TaskGraphError.DuplicateLabel d =>
                new(TaskclusterErrorKind.DuplicateTaskLabel, description, null) { Label = d.label, Message = description },
            Taskcluster.Pulse.TaskGraphError.UnknownLabel u =>
                new(TaskclusterErrorKind.UnknownTaskLabel, description, null) { Label = u.label, DependsOn = u.dependsOn, Message = description },
            Taskcluster.Pulse.TaskGraphError.Cycle c =>
                new(TaskclusterErrorKind.TaskGraphCycle, description, null) { Label = c.labels.Head, Cycle = c.labels.ToArray(), Message = description },
            Taskcluster.Pulse.TaskGraphError.InvalidTaskId i =>
                new(TaskclusterErrorKind.InvalidOptions, description, null)
                {
                    Field = nameof(TaskGraphOptions.TaskIdOf),
                    Label = i.label,
                    TaskId = i.taskId,
                    Message = description,
                },
            Taskcluster.Pulse.TaskGraphError.InvalidConcurrency =>
                new(TaskclusterErrorKind.InvalidOptions, description, null) { Field = nameof(TaskGraphOptions.MaxConcurrency), Message = description },
            Taskcluster.Pulse.TaskGraphError.CreateFailed f =>
                From(f.error).InTaskGraph(description, f.label, f.taskId, f.created.Select(t => new CreatedTask(t.Item1, t.Item2)).ToArray()),
            _ => throw new ArgumentOutOfRangeException(nameof(error), description, "A task graph error case this facade does not know."),
        };
    }

    /// <summary>This error (status, code, attempts and all) as the failure of a task graph's task.</summary>
    private TaskclusterError InTaskGraph(string description, string label, string taskId, IReadOnlyList<CreatedTask> created)
    {
        var copy = (TaskclusterError)MemberwiseClone();
        copy.Description = description;
        copy._label = label;
        copy._taskId = taskId;
        copy._createdTasks = created;
        return copy;
    }

    /// <summary>A <c>TaskclusterConfig</c> failure; a failed request keeps its own kind.</summary>
    internal static TaskclusterError From(F.ConfigError error)
    {
        if (error is F.ConfigError.Request request)
        {
            return From(request.Item);
        }

        var description = error.Describe();
        return error switch
        {
            F.ConfigError.InvalidOptions { Item.IsMissingRootUrl: true } e =>
                new(TaskclusterErrorKind.MissingRootUrl, description, null) { Field = e.Item.Field, Message = description },
            F.ConfigError.InvalidOptions e =>
                new(TaskclusterErrorKind.InvalidOptions, description, null) { Field = e.Item.Field, Message = description },
            F.ConfigError.UnknownService e =>
                new(TaskclusterErrorKind.UnknownService, description, null) { Name = e.name, Message = description },
            F.ConfigError.NotAnObject =>
                new(TaskclusterErrorKind.SecretNotAnObject, description, null) { Message = description },
            F.ConfigError.MissingSecrets e =>
                new(TaskclusterErrorKind.MissingSecrets, description, null) { MissingKeys = e.keys.ToArray(), Message = description },
            F.ConfigError.UnreadableKey e =>
                new(TaskclusterErrorKind.UnreadableSecretKey, description, null) { Name = e.what, Message = description },
            _ when error.IsMissingSecretName =>
                new(TaskclusterErrorKind.MissingSecretName, description, null) { Message = description },
            _ => throw new ArgumentOutOfRangeException(nameof(error), description, "A configuration error case this facade does not know."),
        };
    }
}

/// <summary>Thrown by <see cref="TaskclusterResult{T}.GetValueOrThrow"/> (and by <see cref="TaskclusterResult{T}.Value"/>, as the inner exception) when a call failed.</summary>
public sealed class TaskclusterException : Exception
{
    /// <summary>An exception for a failed call.</summary>
    /// <param name="error">Why the call failed.</param>
    public TaskclusterException(TaskclusterError error)
        : base((error ?? throw new ArgumentNullException(nameof(error))).Description)
    {
        Error = error;
    }

    /// <summary>Why the call failed.</summary>
    public TaskclusterError Error { get; }
}

/// <summary>One way a request body breaks the JSON schema of its method, found before the request was sent.</summary>
public sealed class TaskclusterSchemaViolation
{
    /// <summary>A violation.</summary>
    /// <param name="path">Where in the body, as a JSON path from its root, e.g. <c>$.payload.image</c>.</param>
    /// <param name="keyword">The schema keyword whose rule failed, e.g. <c>required</c>.</param>
    /// <param name="schemaLocation">The schema's <c>$id</c> and a JSON pointer to the rule.</param>
    /// <param name="message">What the rule demands.</param>
    public TaskclusterSchemaViolation(string path, string keyword, string schemaLocation, string message)
    {
        Path = path ?? throw new ArgumentNullException(nameof(path));
        Keyword = keyword ?? throw new ArgumentNullException(nameof(keyword));
        SchemaLocation = schemaLocation ?? throw new ArgumentNullException(nameof(schemaLocation));
        Message = message ?? throw new ArgumentNullException(nameof(message));
    }

    /// <summary>Where in the body, as a JSON path from its root, e.g. <c>$.payload.image</c>.</summary>
    public string Path { get; }

    /// <summary>The schema keyword whose rule failed, e.g. <c>required</c>, <c>type</c>, <c>enum</c>.</summary>
    public string Keyword { get; }

    /// <summary>The schema's <c>$id</c> and a JSON pointer to the rule, e.g. <c>/schemas/queue/v1/task.json#/properties/priority</c>.</summary>
    public string SchemaLocation { get; }

    /// <summary>What the rule demands, as the validator words it.</summary>
    public string Message { get; }

    /// <inheritdoc/>
    public override string ToString() => $"{Path}: {Message} ({Keyword})";
}
