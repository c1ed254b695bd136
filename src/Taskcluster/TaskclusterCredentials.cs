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
