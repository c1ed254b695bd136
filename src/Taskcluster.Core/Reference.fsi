namespace Taskcluster.Core

open System
open System.Text.Json

/// How settled an API method is, as its reference declares it.
[<RequireQualifiedAccess>]
type Stability =
    /// Covered by the service's compatibility promise.
    | Stable
    /// May change or go away without notice.
    | Experimental
    /// Still served, but to be removed; callers should move away.
    | Deprecated

/// The HTTP method of an API entry.
[<RequireQualifiedAccess>]
type RequestMethod =
    /// HTTP `GET`.
    | Get
    /// HTTP `POST`.
    | Post
    /// HTTP `PUT`.
    | Put
    /// HTTP `DELETE`.
    | Delete
    /// HTTP `PATCH`.
    | Patch
    /// HTTP `HEAD`.
    | Head
    /// HTTP `OPTIONS`.
    | Options
    /// HTTP `TRACE`.
    | Trace

    /// The upper-case name sent on the wire, e.g. `GET`.
    member Name: string

/// What an API method answers with.
[<RequireQualifiedAccess>]
type ApiOutput =
    /// JSON matching the schema with this `$id`, e.g. `/schemas/queue/v1/task.json#`.
    | Schema of id: string
    /// Content that is not JSON (the reference says `blob`).
    | Blob

/// One method of an API reference (`type: function`).
type ApiEntry =
    {
        /// The stable method name the official clients use, e.g. `createTask`.
        Name: string
        /// A short title.
        Title: string
        /// Markdown documentation.
        Description: string
        /// The category the documentation groups the method under.
        Category: string
        /// How settled the method is.
        Stability: Stability
        /// The HTTP method.
        Method: RequestMethod
        /// The route template, e.g. `/task/<taskId>/runs/<runId>`.
        Route: string
        /// The route parameters, in the order they appear in `Route` (and in the official clients' argument lists).
        Args: string list
        /// The query-string parameters the method accepts (all optional).
        Query: string list
        /// The `$id` of the request body's schema, when the method takes a body.
        Input: string option
        /// What the method answers with, when it answers with a body.
        Output: ApiOutput option
        /// The raw scope expression template, when the method requires scopes (decoded by `ScopeTemplate`).
        Scopes: Json option
    }

/// An API reference (`/schemas/common/api-reference-v0.json#`).
type ApiReference =
    {
        /// The service name used in URLs, e.g. `worker-manager`.
        ServiceName: string
        /// The API version used in URLs, e.g. `v1`.
        ApiVersion: string
        /// A short title.
        Title: string
        /// Markdown documentation.
        Description: string
        /// The methods, in reference order (entries of unknown type are skipped, as the JS client does).
        Entries: ApiEntry list
    }

    /// The class name the official clients give this service, e.g. `WorkerManager`.
    member ClassName: string

/// One word (or, for `MultipleWords`, several) of a Pulse routing key.
type RoutingKeyPart =
    {
        /// The name used in routing-key patterns, e.g. `taskId`.
        Name: string
        /// Markdown documentation.
        Summary: string
        /// The fixed value of this part, when it has one (it cannot be overridden).
        Constant: string option
        /// Whether the part may span several dot-separated words.
        MultipleWords: bool
        /// Whether the publisher always fills the part in (otherwise `_` stands for a missing value).
        Required: bool
    }

/// One Pulse exchange of an exchange reference (`type: topic-exchange`).
type ExchangeEntry =
    {
        /// The stable name the official clients use, e.g. `taskCompleted`.
        Name: string
        /// The exchange name after the reference's prefix, e.g. `task-completed`.
        Exchange: string
        /// A short title.
        Title: string
        /// Markdown documentation.
        Description: string
        /// The parts of the routing key, in order.
        RoutingKey: RoutingKeyPart list
        /// The `$id` of the message schema, e.g. `/schemas/queue/v1/task-completed-message.json#`.
        Schema: string
    }

/// An exchange reference (`/schemas/common/exchanges-reference-v0.json#`).
type ExchangeReference =
    {
        /// The service name, e.g. `queue`.
        ServiceName: string
        /// The API version, e.g. `v1`.
        ApiVersion: string
        /// A short title.
        Title: string
        /// Markdown documentation.
        Description: string
        /// The prefix of every exchange name, e.g. `exchange/taskcluster-queue/v1/`.
        ExchangePrefix: string
        /// The exchanges, in reference order.
        Entries: ExchangeEntry list
    }

    /// The class name the official clients give these exchanges, e.g. `QueueEvents`.
    member ClassName: string

/// A JSON schema from the references, keyed by its `$id`.
[<NoEquality; NoComparison>]
type SchemaDocument =
    {
        /// The `$id`, e.g. `/schemas/queue/v1/task.json#`.
        Id: string
        /// The schema as a `Json` tree.
        Json: Json
        /// The schema as an element detached from its document (for schema validators).
        Element: JsonElement
    }

/// Everything a `references.json` bundle holds that a client needs.
[<NoEquality; NoComparison>]
type References =
    {
        /// Every API reference, in bundle order.
        Apis: ApiReference list
        /// Every exchange reference, in bundle order.
        Exchanges: ExchangeReference list
        /// Every JSON schema, by `$id`.
        Schemas: Map<string, SchemaDocument>
    }

/// Why a reference could not be decoded. Every case names the JSON path of the bad value.
[<RequireQualifiedAccess>]
type ReferenceError =
    /// The JSON does not have the shape of a reference (wrong type, missing member, not JSON).
    | Malformed of DecodeError
    /// A service name that is not `^[a-z][a-z0-9_-]*$` (at most 22 characters); it would be put into URLs unescaped.
    | InvalidServiceName of path: string * serviceName: string
    /// An API version that is not `^v[0-9]+$`; it would be put into URLs unescaped.
    | InvalidApiVersion of path: string * apiVersion: string
    /// An HTTP method this client does not support.
    | UnknownMethod of path: string * method: string
    /// A stability level other than stable, experimental and deprecated.
    | UnknownStability of path: string * stability: string
    /// A route that is not a valid template.
    | InvalidRoute of path: string * route: string * reason: string
    /// The `args` differ from the parameters of the route (in order).
    | RouteArgumentsMismatch of path: string * route: string * args: string list * parameters: string list
    /// A name that must be unique (entry, query parameter, routing-key part) appears twice.
    | DuplicateName of path: string * name: string
    /// More than one routing-key part spans several words, so routing keys could not be parsed back.
    | SeveralMultiWordParts of path: string * parts: string list
    /// A single-word routing-key part whose constant contains a dot.
    | DottedConstant of path: string * part: string * constant: string
    /// Two schemas in a bundle share an `$id`.
    | DuplicateSchemaId of path: string * id: string
    /// An entry refers to a schema the bundle does not hold.
    | MissingSchema of path: string * id: string

    /// The JSON path of the offending value, e.g. `$[3].content.entries[2].method`.
    member Path: string

    /// A one-line description naming the path and the bad value.
    member Describe: unit -> string

/// The route-template syntax shared by the reference decoder and `Route`.
[<RequireQualifiedAccess>]
module internal RouteSyntax =
    /// Splits a route into its path segments after the leading `/`: `(true, name)` for a `<name>`
    /// parameter, `(false, text)` for a literal; `Error reason` for a malformed route.
    val segments: route: string -> Result<struct (bool * string) list, string>

/// Decoding and lookup of Taskcluster API and exchange references.
[<RequireQualifiedAccess>]
module Reference =
    /// The class name the official clients use for a service: kebab (or snake) case to PascalCase,
    /// e.g. `worker-manager` → `WorkerManager`.
    val className: serviceName: string -> string

    /// The class name of a service's exchanges in the official clients, e.g. `queue` → `QueueEvents`.
    val eventsClassName: serviceName: string -> string

    /// The `$id` of a schema given relative to a service, e.g. `queue`, `v1/task.json#` → `/schemas/queue/v1/task.json#`.
    val schemaId: serviceName: string -> relative: string -> string

    /// Decodes an API reference (the `content` of an `api.json`).
    val decodeApiReference: element: JsonElement -> Result<ApiReference, ReferenceError>

    /// Decodes an exchange reference (the `content` of an `exchanges.json`).
    val decodeExchangeReference: element: JsonElement -> Result<ExchangeReference, ReferenceError>

    /// Decodes a whole bundle: a JSON array of `{filename, content}`. API and exchange references
    /// and every document with an `$id` (a schema) are kept; other documents (metrics, logs, the
    /// manifest) are skipped. Every entry's input, output and message schema must be in the bundle.
    val decodeReferences: element: JsonElement -> Result<References, ReferenceError>

    /// Parses and decodes an API reference from JSON text.
    val parseApiReference: json: string -> Result<ApiReference, ReferenceError>

    /// Parses and decodes an exchange reference from JSON text.
    val parseExchangeReference: json: string -> Result<ExchangeReference, ReferenceError>

    /// Parses and decodes a whole bundle from JSON text (see `decodeReferences`).
    val parseReferences: json: string -> Result<References, ReferenceError>

    /// Parses and decodes a whole bundle from UTF-8 bytes (see `decodeReferences`).
    val parseReferencesUtf8: utf8: ReadOnlyMemory<byte> -> Result<References, ReferenceError>

    /// The API reference whose class name (e.g. `Queue`) or service name (e.g. `queue`) is given.
    val tryFindApi: name: string -> references: References -> ApiReference option

    /// The exchange reference whose class name (e.g. `QueueEvents`) or service name (e.g. `queue`) is given.
    val tryFindExchanges: name: string -> references: References -> ExchangeReference option

    /// The API entry with this method name, e.g. `createTask`.
    val tryFindEntry: name: string -> reference: ApiReference -> ApiEntry option

    /// The exchange entry with this name, e.g. `taskCompleted`.
    val tryFindExchange: name: string -> reference: ExchangeReference -> ExchangeEntry option

    /// The schema with this `$id`.
    val tryFindSchema: id: string -> references: References -> SchemaDocument option
