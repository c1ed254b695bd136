using S = Taskcluster.Services;

namespace Taskcluster;

/// <summary>What the deployment says about a set of credentials (the JS client's <c>credentialInformation</c>).</summary>
public sealed class TaskclusterCredentialInformation
{
    internal TaskclusterCredentialInformation(S.CredentialInformation information)
    {
        ClientId = information.ClientId;
        IsTemporary = information.Type.IsTemporary;
        IsActive = information.Active;
        Start = information.Start is null ? null : information.Start.Value;
        Expiry = information.Expiry;
        Scopes = information.Scopes.ToArray();
    }

    /// <summary>The client id the credentials are used as.</summary>
    public string ClientId { get; }

    /// <summary>Whether they are temporary credentials (a certificate); otherwise a client's own permanent ones.</summary>
    public bool IsTemporary { get; }

    /// <summary>False when the (issuing) client is disabled.</summary>
    public bool IsActive { get; }

    /// <summary>When temporary credentials become valid; null for permanent ones.</summary>
    public DateTimeOffset? Start { get; }

    /// <summary>The earlier of the certificate's expiry and the (issuing) client's.</summary>
    public DateTimeOffset Expiry { get; }

    /// <summary>The scopes the deployment grants them (<c>auth.currentScopes</c>).</summary>
    public IReadOnlyList<string> Scopes { get; }

    /// <inheritdoc/>
    public override string ToString() =>
        $"TaskclusterCredentialInformation(ClientId={ClientId}, {(IsTemporary ? "temporary" : "permanent")}, Active={IsActive}, Expiry={Expiry:O})";
}

/// <summary>Information on the credentials this client signs with, beside the generated auth methods.</summary>
public partial class AuthClient
{
    /// <summary>
    /// <c>credentialInformation</c>: what the deployment says about the credentials this client
    /// signs with: permanent or temporary, active, start and expiry, and the scopes it grants them.
    /// Asks <c>auth.client</c> about the (issuing) client without credentials, and
    /// <c>auth.currentScopes</c> with them.
    /// </summary>
    /// <param name="cancellationToken">Cancels the calls (it then throws <see cref="OperationCanceledException"/>).</param>
    /// <returns>The information, or why it could not be had (a client without credentials is an <see cref="TaskclusterErrorKind.InvalidRequest"/>).</returns>
    public virtual Task<TaskclusterResult<TaskclusterCredentialInformation>> CredentialInformationAsync(CancellationToken cancellationToken = default) =>
        // Not `async` itself: the compiler would mark it [AsyncStateMachine(typeof(...))], an
        // attribute argument fsdocs cannot read, and the API reference would lose the page.
        CredentialInformationCoreAsync(cancellationToken);

    private async Task<TaskclusterResult<TaskclusterCredentialInformation>> CredentialInformationCoreAsync(CancellationToken cancellationToken)
    {
        var result = await S.CredentialInformationModule.get(_service.TaskclusterClient, cancellationToken).ConfigureAwait(false);
        return Adapt.Result(result).Map(information => new TaskclusterCredentialInformation(information));
    }
}
