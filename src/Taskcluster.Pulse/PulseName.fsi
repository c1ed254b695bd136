namespace Taskcluster.Pulse

/// Why a Pulse name was refused.
[<RequireQualifiedAccess>]
type PulseNameError =
    /// An empty namespace (the Pulse user name).
    | EmptyNamespace
    /// A namespace with a character other than ASCII letters, digits, `-`, `_` and `.`, or longer
    /// than 64 characters.
    | InvalidNamespace of ns: string
    /// An empty queue or exchange name after the namespace.
    | EmptyName of kind: string
    /// A name with a control character or whitespace.
    | InvalidCharacter of name: string
    /// A queue name given in full (`queue/<namespace>/…`) under another namespace than the user's:
    /// the broker would refuse it (403 ACCESS_REFUSED).
    | QueueOutsideNamespace of queue: string * ns: string
    /// An exchange name that is not `exchange/<namespace>/<name>`.
    | NotAnExchangeName of exchange: string
    /// A full name longer than the 255 bytes AMQP allows.
    | TooLong of name: string * bytes: int

    /// A one-line description quoting the bad name.
    member Describe: unit -> string

/// Pulse's naming rules: queues are `queue/<namespace>/<name>`, exchanges
/// `exchange/<namespace>/<name>`, where the namespace is the Pulse user. Pure.
[<RequireQualifiedAccess>]
module PulseName =
    /// Checks a namespace (a Pulse user name).
    val checkNamespace: ns: string -> Result<string, PulseNameError>

    /// The full queue name for a namespace and a queue name: `name` alone becomes
    /// `queue/<ns>/<name>`; a name already starting with `queue/` must be under `ns`.
    val queue: ns: string -> name: string -> Result<string, PulseNameError>

    /// The full exchange name `exchange/<ns>/<name>` (for publishers).
    val exchange: ns: string -> name: string -> Result<string, PulseNameError>

    /// Checks that a full exchange name follows the rule and returns its namespace.
    val exchangeNamespace: exchange: string -> Result<string, PulseNameError>
