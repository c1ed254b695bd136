namespace Taskcluster.Pulse

/// Why connection settings were refused. Never carries the password.
[<RequireQualifiedAccess>]
type PulseConnectionError =
    /// A required setting is missing or empty (its option or environment variable name).
    | MissingSetting of name: string
    /// An AMQP URL that cannot be read (shown without its user information).
    | InvalidUrl of url: string * reason: string
    /// A URL scheme other than `amqp` and `amqps`.
    | UnsupportedScheme of scheme: string
    /// A port outside 1–65535, or not a number.
    | InvalidPort of port: string

    /// A one-line description quoting the bad value (never a password).
    member Describe: unit -> string

/// Where and as whom to connect to Pulse. `ToString()` never shows the password.
[<Sealed>]
type PulseConnection =
    /// The broker's host name.
    member Hostname: string
    /// The AMQP port (5671 with TLS, 5672 without, unless given).
    member Port: int
    /// The Pulse user; also the namespace of its queues and exchanges.
    member Username: string
    /// The password (never printed).
    member Password: string
    /// The virtual host (`/` by default).
    member VirtualHost: string
    /// Whether the connection uses TLS (`amqps`).
    member UseTls: bool
    /// `amqp(s)://user@host:port/vhost`, without the password.
    override ToString: unit -> string

/// Building `PulseConnection`s from values, an AMQP URL or the environment.
[<RequireQualifiedAccess>]
module PulseConnection =
    /// From values; the port is 5671 with TLS, else 5672.
    val create:
        hostname: string ->
        username: string ->
        password: string ->
        virtualHost: string ->
        useTls: bool ->
            Result<PulseConnection, PulseConnectionError>

    /// The same connection on another port.
    val withPort: port: int -> connection: PulseConnection -> Result<PulseConnection, PulseConnectionError>

    /// From an AMQP URL, `amqp://user:password@host:port/vhost` (`amqps` for TLS; the virtual
    /// host is percent-decoded, `/` when the path is empty).
    val parseUrl: url: string -> Result<PulseConnection, PulseConnectionError>

    /// From the environment read through `getEnv`: `PULSE_URL`, else `PULSE_HOSTNAME`,
    /// `PULSE_USERNAME`, `PULSE_PASSWORD` and `PULSE_VHOST` (default `/`) over TLS, as Taskcluster's
    /// services connect (`PULSE_PORT` overrides the port).
    val fromEnvironmentWith: getEnv: (string -> string option) -> Result<PulseConnection, PulseConnectionError>

    /// `fromEnvironmentWith` on the process environment.
    val fromEnvironment: unit -> Result<PulseConnection, PulseConnectionError>
