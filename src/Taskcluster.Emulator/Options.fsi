namespace Taskcluster.Emulator

open System

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

    /// Checks the options, returning a description of each invalid one (empty when valid).
    member Validate: unit -> System.Collections.Generic.IReadOnlyList<string>
