namespace Taskcluster.Core

/// Why a root URL was refused.
[<RequireQualifiedAccess>]
type RootUrlError =
    /// The root URL is null, empty or only white space.
    | Empty
    /// The text is not an absolute URL.
    | NotAbsolute of rootUrl: string
    /// The scheme is neither `http` nor `https`.
    | UnsupportedScheme of rootUrl: string * scheme: string
    /// The URL carries a user name or password.
    | HasUserInfo of rootUrl: string
    /// The URL has a path other than `/`.
    | HasPath of rootUrl: string * path: string
    /// The URL has a query or a fragment.
    | HasQueryOrFragment of rootUrl: string
    /// The host is not an ASCII host name (letters, digits, `-`, `.`, `_`, `~`) or an IP
    /// address, or a WHATWG URL parser refuses it (`256.0.0.1`, `example.123`); an
    /// international name must be given in its `xn--` form.
    | InvalidHost of rootUrl: string * host: string

    /// A one-line description naming the bad value.
    member Describe: unit -> string

/// The root URL of a Taskcluster deployment: absolute http(s), scheme and host (and port) only,
/// no trailing slash. The only way to get one is `RootUrl.parse`.
[<Sealed>]
type RootUrl =
    /// The normalised text, e.g. `https://tc.example.com`.
    member Value: string
    override ToString: unit -> string
    override Equals: obj -> bool
    override GetHashCode: unit -> int
    interface System.IEquatable<RootUrl>

/// The URL rules of `taskcluster-lib-urls` (version 13) for deployments with a root URL.
[<RequireQualifiedAccess>]
module RootUrl =
    /// Validates and normalises a root URL: trailing slashes dropped, scheme lower-cased, the
    /// host as a WHATWG URL parser serialises it (lower-cased, IPv4 addresses in dotted decimal
    /// whatever their spelling, IPv6 literals compressed), which is the host `Hawk` signs.
    val parse: rootUrl: string -> Result<RootUrl, RootUrlError>

    /// `normalizeRootUrl`: the text with trailing slashes removed (no validation, as upstream).
    val normalizeRootUrl: rootUrl: string -> string

    /// `testRootUrl`: a root URL that never resolves, for tests.
    val testRootUrl: string

    /// `api`: `<root>/api/<service>/<version>/<path>` (leading slashes of the path dropped).
    val api: rootUrl: RootUrl -> service: string -> version: string -> path: string -> string

    /// `apiReference`: `<root>/references/<service>/<version>/api.json`.
    val apiReference: rootUrl: RootUrl -> service: string -> version: string -> string

    /// `docs`: `<root>/docs/<path>`.
    val docs: rootUrl: RootUrl -> path: string -> string

    /// `exchangeReference`: `<root>/references/<service>/<version>/exchanges.json`.
    val exchangeReference: rootUrl: RootUrl -> service: string -> version: string -> string

    /// `schema`: `<root>/schemas/<service>/<schema>`.
    val schema: rootUrl: RootUrl -> service: string -> schema: string -> string

    /// `apiReferenceSchema`: the schema of API references.
    val apiReferenceSchema: rootUrl: RootUrl -> version: string -> string

    /// `exchangesReferenceSchema`: the schema of exchange references.
    val exchangesReferenceSchema: rootUrl: RootUrl -> version: string -> string

    /// `apiManifestSchema`: the schema of the API manifest.
    val apiManifestSchema: rootUrl: RootUrl -> version: string -> string

    /// `metadataMetaschema`: the metaschema of service metadata.
    val metadataMetaschema: rootUrl: RootUrl -> string

    /// `ui`: `<root>/<path>`.
    val ui: rootUrl: RootUrl -> path: string -> string

    /// `apiManifest`: `<root>/references/manifest.json` (the services manifest).
    val apiManifest: rootUrl: RootUrl -> string
