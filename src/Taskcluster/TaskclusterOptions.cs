using Microsoft.Extensions.Options;

namespace Taskcluster;

/// <summary>
/// One deployment as configuration describes it: the <c>Taskcluster</c> section of
/// <c>appsettings.json</c> (or any <see cref="Microsoft.Extensions.Configuration.IConfiguration"/>),
/// bound by <c>services.AddTaskcluster(configuration.GetSection("Taskcluster"))</c> and validated
/// when the host starts. Unset members keep the client's defaults.
/// </summary>
public sealed class TaskclusterOptions
{
    /// <summary>The conventional configuration section, <c>Taskcluster</c>.</summary>
    public const string SectionName = "Taskcluster";

    /// <summary>The deployment's root URL, e.g. <c>https://tc.example.com</c> (required).</summary>
    public string? RootUrl { get; set; }

    /// <summary>The client id; give it with <see cref="AccessToken"/>, or neither for unauthenticated calls.</summary>
    public string? ClientId { get; set; }

    /// <summary>The access token (a secret: keep it in a secret store, not in <c>appsettings.json</c>).</summary>
    public string? AccessToken { get; set; }

    /// <summary>The certificate of temporary credentials (JSON text), if they are temporary.</summary>
    public string? Certificate { get; set; }

    /// <summary>Restricts every request to these scopes; an empty list leaves only <c>assume:anonymous</c>.</summary>
    public List<string>? AuthorizedScopes { get; set; }

    /// <summary>How many times a failed attempt is retried (default 5).</summary>
    public int? MaxRetries { get; set; }

    /// <summary>The longest one attempt may take (default 30 s).</summary>
    public TimeSpan? Timeout { get; set; }

    /// <summary>How long a signed URL stays valid when no lifetime is given (default 15 minutes).</summary>
    public TimeSpan? SignedUrlExpiration { get; set; }

    /// <summary>The largest clock correction adopted from a server's <c>Date</c> (default 24 hours).</summary>
    public TimeSpan? MaxClockOffset { get; set; }

    /// <summary>Whether request bodies are checked against their schemas before sending (default true).</summary>
    public bool? ValidateRequests { get; set; }

    /// <summary>The credentials these options name, or null for none.</summary>
    /// <exception cref="ArgumentException">Only one of the client id and the access token is set, or one is blank.</exception>
    internal TaskclusterCredentials? Credentials() =>
        string.IsNullOrEmpty(ClientId) && string.IsNullOrEmpty(AccessToken) && string.IsNullOrEmpty(Certificate)
            ? null
            : new TaskclusterCredentials(ClientId ?? "", AccessToken ?? "", Certificate);

    /// <summary>Copies the members that are set onto client options.</summary>
    internal void ApplyTo(TaskclusterClientOptions options)
    {
        if (AuthorizedScopes is not null)
        {
            options.AuthorizedScopes = [.. AuthorizedScopes];
        }

        options.MaxRetries = MaxRetries ?? options.MaxRetries;
        options.Timeout = Timeout ?? options.Timeout;
        options.SignedUrlExpiration = SignedUrlExpiration ?? options.SignedUrlExpiration;
        options.MaxClockOffset = MaxClockOffset ?? options.MaxClockOffset;
        options.ValidateRequests = ValidateRequests ?? options.ValidateRequests;
    }

    /// <summary>The root URL, credentials and client options, or why they are invalid (the client's own typed option error).</summary>
    internal (Uri RootUrl, TaskclusterCredentials? Credentials, TaskclusterClientOptions Options)? Resolve(
        Action<TaskclusterClientOptions>? configure, out string? error)
    {
        error = null;
        if (string.IsNullOrWhiteSpace(RootUrl))
        {
            error = "RootUrl is required (the deployment's root URL, e.g. https://tc.example.com).";
            return null;
        }

        if (!Uri.TryCreate(RootUrl, UriKind.Absolute, out var rootUrl))
        {
            error = $"RootUrl '{RootUrl}' is not an absolute URL.";
            return null;
        }

        try
        {
            var credentials = Credentials();
            var options = new TaskclusterClientOptions();
            ApplyTo(options);
            configure?.Invoke(options);
            // The client's own validation: the same typed errors as a client constructed by hand.
            Connection.Create(rootUrl, credentials, options);
            return (rootUrl, credentials, options);
        }
        catch (ArgumentException e)
        {
            error = e.Message;
            return null;
        }
    }
}

/// <summary>Validates <see cref="TaskclusterOptions"/> (at start-up, with <c>ValidateOnStart</c>).</summary>
internal sealed class TaskclusterOptionsValidator(string name, Action<TaskclusterClientOptions>? configure) : IValidateOptions<TaskclusterOptions>
{
    public ValidateOptionsResult Validate(string? optionsName, TaskclusterOptions options)
    {
        if (optionsName != name)
        {
            return ValidateOptionsResult.Skip;
        }

        var deployment = name.Length == 0 ? "Taskcluster" : $"Taskcluster deployment '{name}'";
        return options.Resolve(configure, out var error) is null
            ? ValidateOptionsResult.Fail($"{deployment}: {error}")
            : ValidateOptionsResult.Success;
    }
}
