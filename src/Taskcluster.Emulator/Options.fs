namespace Taskcluster.Emulator

open System
open System.Collections.Generic

[<Sealed; AllowNullLiteral>]
type EmulatorAzureAccount() =
    member val Tables: IList<string> = List<string>() with get, set
    member val Containers: IList<string> = List<string>() with get, set

[<Sealed; AllowNullLiteral>]
type EmulatorOptions() =
    member val Port = 0 with get, set
    member val RootClientId = "static/taskcluster/root" with get, set
    member val RootAccessToken: string = null with get, set
    member val TimeProvider = TimeProvider.System with get, set
    member val Random: Random = null with get, set
    member val MaxRequestBodyBytes = 10L * 1024L * 1024L with get, set
    member val MaxRequestHeadersBytes = 32 * 1024 with get, set
    member val MaxBlobBytes = 1024L * 1024L * 1024L with get, set
    member val BlobUrlLifetime = TimeSpan.FromHours 1.0 with get, set
    member val BlobDirectory: string = null with get, set
    member val MaxPageSize = 1000 with get, set
    member val Logger: Microsoft.Extensions.Logging.ILogger = null with get, set
    member val PulseUrl: string = null with get, set
    member val AwsBuckets: IList<string> = List<string>() with get, set

    member val AzureAccounts: IDictionary<string, EmulatorAzureAccount> =
        Dictionary<string, EmulatorAzureAccount>(StringComparer.Ordinal) with get, set

    member val GcpProjectId: string = null with get, set
    member val GcpServiceAccounts: IList<string> = List<string>() with get, set
    member val SentryHostname: string = null with get, set
    member val WebsocktunnelSecret: string = null with get, set
    member val GithubApps: IList<string> = List<string>() with get, set
    member val GithubWebhookSecret: string = null with get, set
    member val GithubInstallations: IList<string> = List<string>() with get, set

    member this.Validate() : Collections.Generic.IReadOnlyList<string> =
        [|
            if this.Port < 0 || this.Port > 65535 then
                $"Port must be between 0 and 65535, got {this.Port}"
            if String.IsNullOrEmpty this.RootClientId then
                "RootClientId must not be empty"
            if not (isNull this.RootAccessToken) && this.RootAccessToken.Length = 0 then
                "RootAccessToken must not be empty (leave it null to draw one)"
            if isNull this.TimeProvider then
                "TimeProvider must not be null"
            if this.MaxRequestBodyBytes < 1024L then
                $"MaxRequestBodyBytes must be at least 1024, got {this.MaxRequestBodyBytes}"
            if this.MaxRequestHeadersBytes < 1024 then
                $"MaxRequestHeadersBytes must be at least 1024, got {this.MaxRequestHeadersBytes}"
            if this.MaxBlobBytes < 0L then
                $"MaxBlobBytes must not be negative, got {this.MaxBlobBytes}"
            if this.BlobUrlLifetime <= TimeSpan.Zero then
                $"BlobUrlLifetime must be positive, got {this.BlobUrlLifetime}"
            if this.MaxPageSize < 1 then
                $"MaxPageSize must be at least 1, got {this.MaxPageSize}"
            if not (isNull this.PulseUrl) then
                match Uri.TryCreate(this.PulseUrl, UriKind.Absolute) with
                | true, u when u.Scheme = "amqp" || u.Scheme = "amqps" -> ()
                | true, u -> $"PulseUrl must be an amqp:// or amqps:// URL, got the scheme '{u.Scheme}'"
                // the text itself may hold a password, so it is not repeated
                | _ -> "PulseUrl is not an absolute URL"
            if isNull this.AwsBuckets then
                "AwsBuckets must not be null"
            if isNull this.AzureAccounts then
                "AzureAccounts must not be null"
            else
                for KeyValue(name, account) in this.AzureAccounts do
                    if isNull account || isNull account.Tables || isNull account.Containers then
                        $"AzureAccounts['{name}'] must have non-null Tables and Containers"
            if isNull this.GcpServiceAccounts then
                "GcpServiceAccounts must not be null"
            if not (isNull this.WebsocktunnelSecret) && this.WebsocktunnelSecret.Length = 0 then
                "WebsocktunnelSecret must not be empty (leave it null to draw one)"
            if isNull this.GithubApps then
                "GithubApps must not be null"
            if not (isNull this.GithubWebhookSecret) && this.GithubWebhookSecret.Length = 0 then
                "GithubWebhookSecret must not be empty (leave it null to accept unsigned deliveries)"
            if isNull this.GithubInstallations then
                "GithubInstallations must not be null"
        |]
