using System.Text.Json;
using Microsoft.FSharp.Collections;
using Microsoft.FSharp.Core;
using C = Taskcluster.Core;
using F = Taskcluster.Client;

namespace Taskcluster;

/// <summary>
/// Taskcluster credentials: a client id and its access token, plus the certificate when they are
/// temporary credentials. The access token never appears in <see cref="ToString"/>.
/// </summary>
public sealed class TaskclusterCredentials
{
    /// <summary>Credentials from their parts.</summary>
    /// <param name="clientId">The client id.</param>
    /// <param name="accessToken">The access token (the secret).</param>
    /// <param name="certificate">The certificate of temporary credentials, as JSON; null for permanent credentials.</param>
    /// <exception cref="ArgumentNullException"><paramref name="clientId"/> or <paramref name="accessToken"/> is null.</exception>
    public TaskclusterCredentials(string clientId, string accessToken, string? certificate = null)
    {
        ClientId = clientId ?? throw new ArgumentNullException(nameof(clientId));
        AccessToken = accessToken ?? throw new ArgumentNullException(nameof(accessToken));
        Certificate = certificate;
    }

    /// <summary>The client id.</summary>
    public string ClientId { get; }

    /// <summary>The access token (the secret).</summary>
    public string AccessToken { get; }

    /// <summary>The certificate of temporary credentials (JSON), or null.</summary>
    public string? Certificate { get; }

    /// <summary>Whether these are temporary credentials (they have a certificate).</summary>
    public bool IsTemporary => Certificate is not null;

    /// <summary>
    /// The credentials in <c>TASKCLUSTER_CLIENT_ID</c>, <c>TASKCLUSTER_ACCESS_TOKEN</c> and
    /// <c>TASKCLUSTER_CERTIFICATE</c>, or null when no client id is set. For use outside a task;
    /// inside one, use the taskcluster-proxy (<see cref="TaskclusterEnvironment.ProxyUrl"/>) without credentials.
    /// </summary>
    /// <returns>The credentials, or null.</returns>
    public static TaskclusterCredentials? FromEnvironment()
    {
        var options = F.Options.fromEnvironment();
        return options.Credentials is null ? null : From(options.Credentials.Value);
    }

    /// <summary>
    /// <c>createTemporaryCredentials</c>: temporary credentials issued by these (permanent)
    /// credentials, valid from now for <paramref name="lifetime"/> (at most 31 days).
    /// </summary>
    /// <param name="lifetime">How long they stay valid.</param>
    /// <param name="scopes">Their scopes (the issuer must hold them to use them).</param>
    /// <param name="name">A client id for named temporary credentials (the issuer needs <c>auth:create-client:&lt;name&gt;</c>); null for unnamed ones.</param>
    /// <param name="timeProvider">The clock; null for the system clock.</param>
    /// <returns>The temporary credentials.</returns>
    /// <exception cref="ArgumentException">A scope or the name is invalid, the lifetime is not positive or too long, or these credentials are temporary themselves.</exception>
    public TaskclusterCredentials CreateTemporary(TimeSpan lifetime, IEnumerable<string> scopes, string? name = null, TimeProvider? timeProvider = null)
    {
        var now = (timeProvider ?? TimeProvider.System).GetUtcNow();
        return CreateTemporary(now, now + lifetime, scopes, name);
    }

    /// <summary><c>createTemporaryCredentials</c> valid from <paramref name="start"/> to <paramref name="expiry"/> (at most 31 days).</summary>
    /// <param name="start">When they become valid.</param>
    /// <param name="expiry">When they expire.</param>
    /// <param name="scopes">Their scopes.</param>
    /// <param name="name">A client id for named temporary credentials; null for unnamed ones.</param>
    /// <returns>The temporary credentials.</returns>
    /// <exception cref="ArgumentException">A scope or the name is invalid, the lifetime is not positive or too long, or these credentials are temporary themselves.</exception>
    public TaskclusterCredentials CreateTemporary(DateTimeOffset start, DateTimeOffset expiry, IEnumerable<string> scopes, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(scopes);
        var result = F.Helpers.createTemporaryCredentials(
            ToFSharp(), start, expiry, ListModule.OfSeq(scopes), Adapt.Option(name));
        if (result.IsError)
        {
            throw new ArgumentException(result.ErrorValue.Describe());
        }

        return From(F.Helpers.credentialsOf(result.ResultValue));
    }

    /// <summary>
    /// Credentials from the JSON the services return them in: <c>{clientId, accessToken, certificate?}</c>
    /// as in <c>queue.claimWork</c>'s <c>credentials</c>, <c>auth.createClient</c>,
    /// <c>auth.resetAccessToken</c> or the official clients' <c>createTemporaryCredentials</c>. The
    /// certificate may be JSON text (as the services send it) or an object. A whole claim of
    /// <c>claimWork</c> (an object with a <c>credentials</c> member and no <c>clientId</c>) is
    /// accepted too. Other members are ignored.
    /// </summary>
    /// <param name="json">The credentials JSON.</param>
    /// <returns>The credentials.</returns>
    /// <exception cref="ArgumentException">
    /// The JSON has another shape; the message names the member at fault (never the access token).
    /// </exception>
    public static TaskclusterCredentials FromJson(JsonElement json)
    {
        const string root = "$";
        if (json.ValueKind == JsonValueKind.Object
            && !json.TryGetProperty("clientId", out _)
            && json.TryGetProperty("credentials", out var inner))
        {
            return FromJson(inner, root + ".credentials");
        }

        return FromJson(json, root);
    }

    private static TaskclusterCredentials FromJson(JsonElement json, string path)
    {
        if (json.ValueKind != JsonValueKind.Object)
        {
            throw new ArgumentException($"{path}: credentials must be a JSON object, not {Kind(json)}.", nameof(json));
        }

        var clientId = RequiredString(json, "clientId", path);
        var accessToken = RequiredString(json, "accessToken", path);
        string? certificate = null;
        if (json.TryGetProperty("certificate", out var cert))
        {
            certificate = cert.ValueKind switch
            {
                JsonValueKind.String => cert.GetString(),
                JsonValueKind.Object => cert.GetRawText(),
                JsonValueKind.Null => null,
                _ => throw new ArgumentException(
                    $"{path}.certificate: must be JSON text or an object, not {Kind(cert)}.", nameof(json)),
            };

            // An unreadable certificate would only be refused later by every service it is sent to.
            if (certificate is not null && C.CertificateModule.decode(certificate) is { IsError: true } refused)
            {
                throw new ArgumentException($"{path}.certificate: {refused.ErrorValue.Describe()}", nameof(json));
            }
        }

        return new TaskclusterCredentials(clientId, accessToken, certificate);
    }

    /// <summary>
    /// Credentials from the members of a typed model (the <c>ToCredentials()</c> of the
    /// <c>Taskcluster.Schemas</c> credential models): the same checks as <see cref="FromJson(JsonElement)"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">A member is missing or empty, or the certificate cannot be read; the message names the member (never the access token).</exception>
    internal static TaskclusterCredentials FromModel(string? clientId, string? accessToken, string? certificate, string model)
    {
        static string Required(string? value, string member, string model) =>
            string.IsNullOrEmpty(value)
                ? throw new InvalidOperationException($"{model}.{member}: {(value is null ? "missing" : "is empty")}.")
                : value;

        var id = Required(clientId, "clientId", model);
        var token = Required(accessToken, "accessToken", model);
        if (certificate is not null && C.CertificateModule.decode(certificate) is { IsError: true } refused)
        {
            throw new InvalidOperationException($"{model}.certificate: {refused.ErrorValue.Describe()}");
        }

        return new TaskclusterCredentials(id, token, certificate);
    }

    private static string RequiredString(JsonElement json, string name, string path)
    {
        if (!json.TryGetProperty(name, out var value))
        {
            throw new ArgumentException($"{path}.{name}: missing.", nameof(json));
        }

        // The value is never put in the message: it may be the access token.
        if (value.ValueKind != JsonValueKind.String)
        {
            throw new ArgumentException($"{path}.{name}: must be a string, not {Kind(value)}.", nameof(json));
        }

        var text = value.GetString()!;
        return text.Length == 0 ? throw new ArgumentException($"{path}.{name}: is empty.", nameof(json)) : text;
    }

    private static string Kind(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => "nothing",
    };

    /// <summary>
    /// Whether temporary credentials should be renewed at <paramref name="now"/>: their certificate
    /// expires less than 20 minutes later (the margin the Python client keeps, so requests never
    /// start failing). Permanent credentials never expire here (their client's own expiry is
    /// the auth service's to know); a certificate that cannot be read counts as expired, as every
    /// service would refuse it.
    /// </summary>
    /// <param name="now">The time to check at.</param>
    /// <returns>Whether to renew them.</returns>
    public bool IsExpired(DateTimeOffset now)
    {
        if (Certificate is null)
        {
            return false;
        }

        var decoded = C.CertificateModule.decode(Certificate);
        return decoded.IsError || C.CertificateModule.isExpired(decoded.ResultValue, now.ToUnixTimeMilliseconds());
    }

    /// <summary><see cref="IsExpired(DateTimeOffset)"/> at the current time of <paramref name="timeProvider"/>.</summary>
    /// <param name="timeProvider">The clock (<see cref="TimeProvider.System"/> for the system clock).</param>
    /// <returns>Whether to renew them.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="timeProvider"/> is null.</exception>
    public bool IsExpired(TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(timeProvider);
        return IsExpired(timeProvider.GetUtcNow());
    }

    /// <summary>Shows the client id, never the access token.</summary>
    /// <returns><c>TaskclusterCredentials(ClientId=…, AccessToken=***)</c>.</returns>
    public override string ToString() =>
        $"TaskclusterCredentials(ClientId={ClientId}, AccessToken=***{(IsTemporary ? ", temporary" : "")})";

    internal F.Credentials ToFSharp() =>
        new(ClientId, AccessToken, Certificate is null ? null : FSharpOption<F.CertificateSource>.Some(F.CertificateSource.NewText(Certificate)));

    private static TaskclusterCredentials From(F.Credentials credentials)
    {
        string? certificate = null;
        if (credentials.Certificate is not null)
        {
            certificate = credentials.Certificate.Value switch
            {
                F.CertificateSource.Text text => text.json,
                F.CertificateSource.Element element => element.json.GetRawText(),
                F.CertificateSource.Value value => C.CertificateModule.encode(value.certificate),
                _ => throw new ArgumentOutOfRangeException(nameof(credentials)),
            };
        }

        return new TaskclusterCredentials(credentials.ClientId ?? "", credentials.AccessToken ?? "", certificate);
    }
}
