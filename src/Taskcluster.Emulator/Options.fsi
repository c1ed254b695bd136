namespace Taskcluster.Emulator

open System
open System.Collections.Generic

/// An Azure storage account the auth service hands (fake) shared-access signatures for.
[<Sealed; AllowNullLiteral>]
type EmulatorAzureAccount =
    /// An account with no tables and no containers.
    new: unit -> EmulatorAzureAccount
    /// The tables `azureTables` lists (a `read-write` `azureTableSAS` adds its table).
    member Tables: IList<string> with get, set
    /// The containers `azureContainers` lists (a `read-write` `azureContainerSAS` adds its container).
    member Containers: IList<string> with get, set

/// How an emulator is started. Every property has a working default, so `EmulatorOptions()`
/// starts an emulator on a free loopback port with fresh root credentials.
[<Sealed; AllowNullLiteral>]
type EmulatorOptions =
    /// Options with every default.
    new: unit -> EmulatorOptions

    /// The loopback port to bind (127.0.0.1 only); 0, the default, picks a free port.
    member Port: int with get, set

    /// The root client's id (default `static/taskcluster/root`). The root client holds `*`.
    member RootClientId: string with get, set

    /// The root client's access token; `null` (the default) draws a fresh 44-character token.
    member RootAccessToken: string with get, set

    /// The clock used for Hawk timestamps, certificates, expiry and timestamps in replies
    /// (default `TimeProvider.System`). Tests may pass a fake one.
    member TimeProvider: TimeProvider with get, set

    /// The source of identifiers and tokens; `null` (the default) uses a cryptographic generator.
    /// Pass a seeded `Random` for reproducible runs.
    member Random: Random with get, set

    /// The largest API request body accepted (default 10 MiB, as taskcluster-lib-api's input
    /// limit); beyond it the answer is 413 `InputTooLarge`.
    member MaxRequestBodyBytes: int64 with get, set

    /// The largest total size of request headers accepted (default 32 KiB); beyond it the
    /// answer is 431 `RequestHeaderFieldsTooLarge` with a JSON error body (Kestrel's own empty
    /// 431 only beyond four times the limit).
    member MaxRequestHeadersBytes: int with get, set

    /// The largest object uploaded to an emulator-hosted blob URL (default 1 GiB).
    member MaxBlobBytes: int64 with get, set

    /// How long blob URLs handed out by the object service and the queue stay valid
    /// (default 1 hour).
    member BlobUrlLifetime: TimeSpan with get, set

    /// The folder where uploaded blobs are streamed to; `null` (the default) creates a fresh
    /// folder under the system's temporary folder and deletes it when the emulator stops.
    member BlobDirectory: string with get, set

    /// The largest page a paginated method returns, whatever `limit` asks for (default 1000).
    member MaxPageSize: int with get, set

    /// Where the emulator reports its own failures: an unexpected error behind a 500 (whose
    /// JSON body repeats the incident id logged here). `null` (the default) writes them to
    /// standard error. Request query strings, bodies and credentials are never logged.
    member Logger: Microsoft.Extensions.Logging.ILogger with get, set

    /// An AMQP URL (`amqp://user:password@host:port/vhost`, `amqps` for TLS) of a RabbitMQ
    /// broker; when set, the emulator declares Taskcluster's topic exchanges there and publishes
    /// what the real services publish (the queue's task and task-group messages). `null` (the
    /// default) publishes nothing. The password never appears in a message or log.
    member PulseUrl: string with get, set

    /// The S3 buckets `auth.awsS3Credentials` hands (fake, never valid at AWS) credentials for;
    /// any other bucket is answered 404 as by a deployment without credentials for it.
    member AwsBuckets: IList<string> with get, set

    /// The Azure accounts (by account name) the auth service's Azure methods know; any other
    /// account is answered 404. The signatures handed out are fake.
    member AzureAccounts: IDictionary<string, EmulatorAzureAccount> with get, set

    /// The GCP project `auth.gcpCredentials` hands (fake) access tokens for; `null` (the
    /// default) answers 404 as a deployment without GCP credentials does.
    member GcpProjectId: string with get, set

    /// The GCP service accounts `auth.gcpCredentials` allows; any other is answered 400.
    member GcpServiceAccounts: IList<string> with get, set

    /// The Sentry host named in the (fake) DSNs of `auth.sentryDSN`; `null` (the default) means
    /// Sentry is not configured and the method answers 404, as the real service does then.
    member SentryHostname: string with get, set

    /// The secret `auth.websocktunnelToken` signs its JWTs with (HS256); `null` (the default)
    /// draws a random one.
    member WebsocktunnelSecret: string with get, set

    /// The GitHub app names `auth.githubRepoToken` hands (fake) installation tokens for; any
    /// other app is answered 404.
    member GithubApps: IList<string> with get, set

    /// The secret GitHub webhook deliveries must be signed with (`X-Hub-Signature-256`); `null`
    /// (the default) means no secret is configured, and a signed delivery is refused with 400
    /// as by the real service.
    member GithubWebhookSecret: string with get, set

    /// The GitHub organisations (owners) the Taskcluster GitHub app is installed for: their
    /// repositories are `installed` for `github.repository`; statuses and comments need it.
    member GithubInstallations: IList<string> with get, set

    /// Checks the options, returning a description of each invalid one (empty when valid).
    member Validate: unit -> System.Collections.Generic.IReadOnlyList<string>
