namespace Taskcluster.Core

/// Hawk 1.0 request signing and verification as Taskcluster uses it (`hawk` 9 with SHA-256):
/// `Authorization` headers, bewits (signed URLs) and the server-side checks.
///
/// Times are Unix seconds. URIs are signed exactly as written: path and query are taken from the
/// text byte for byte (never re-escaped or normalised), so the URI sent must be the URI signed.
[<RequireQualifiedAccess>]
module Hawk =
    /// A Hawk identity: a client id and its access token. The token never appears in `ToString`,
    /// `%A` or any error. The key bytes are computed once, since every request uses them.
    [<Sealed>]
    type Credentials =
        /// The client id sent as the `id` attribute.
        member ClientId: string
        /// The access token (the HMAC key). Handle with care: it is the secret.
        member AccessToken: string
        /// `Credentials(clientId=…)`, never the token.
        override ToString: unit -> string

    /// The attributes of a parsed `Authorization: Hawk …` header.
    type Header =
        {
            /// The client id.
            Id: string
            /// Unix seconds when the client signed.
            Timestamp: int64
            /// The client's nonce.
            Nonce: string
            /// The payload hash, when the client sent one.
            Hash: string option
            /// Application data; Taskcluster puts certificates and authorized scopes here.
            Ext: string option
            /// The base64 HMAC-SHA256.
            Mac: string
            /// Oz application id (unused by Taskcluster, but covered by the MAC when present).
            App: string option
            /// Oz delegating application id (covered by the MAC when `App` is present).
            Dlg: string option
        }

    /// The parts of a parsed bewit.
    type Bewit =
        {
            /// The client id.
            Id: string
            /// Unix seconds after which the bewit is refused.
            Expiry: int64
            /// The base64 HMAC-SHA256.
            Mac: string
            /// Application data, if any.
            Ext: string option
        }

    /// What a server knows about a request: enough to recompute its MAC.
    type Request =
        {
            /// The HTTP method (compared upper-cased).
            Method: string
            /// Path and query exactly as received (for a bewit: with the `bewit` parameter removed).
            Resource: string
            /// The host name, as received (read as `hawk` reads a Host header: compared
            /// lower-cased, an IP address in any spelling as its serialised form).
            Host: string
            /// The port.
            Port: int
        }

    /// The clock skew the Taskcluster services accept either way: 15 minutes.
    val defaultSkewSeconds: int64

    /// Validates and wraps a client id and access token.
    val credentials: clientId: string -> accessToken: string -> Result<Credentials, HawkError>

    /// The request a server would see for a method and an absolute http(s) URI: path and query
    /// as written (the fragment dropped, `/` when the path is empty), the host as a WHATWG URL
    /// parser serialises it, which is what an HTTP stack sends and what `hawk` reads back
    /// (lower-cased; an IPv4 address in dotted decimal whatever its spelling, `127.1`,
    /// `0x7f.0.0.1`, `0177.0.0.1`, `2130706433` and `127.0.0.1.` all as `127.0.0.1`; an IPv6
    /// literal in its serialised form, `[::ffff:192.0.2.1]` as `[::ffff:c000:201]`), the port
    /// defaulting to 80 or 443 by scheme. Headers and bewits sign this same host. A host such a
    /// parser refuses (`256.0.0.1`, `1.2.3.4.5`, `example.123`) is an `InvalidUri`.
    val request: method: string -> uri: string -> Result<Request, HawkError>

    /// Hawk's payload hash: base64 SHA-256 of `hawk.1.payload\n{content type}\n{payload}\n`, where
    /// the content type loses its parameters and is lower-cased.
    val payloadHash: contentType: string -> payload: byte array -> string

    /// The text the header MAC is computed over:
    /// `hawk.1.header\n{ts}\n{nonce}\n{METHOD}\n{path?query}\n{host}\n{port}\n{hash}\n{ext}\n`.
    val normalized:
        method: string ->
        uri: string ->
        timestamp: int64 ->
        nonce: string ->
        ext: string option ->
        payloadHash: string option ->
            Result<string, HawkError>

    /// The `Authorization` header value (`Hawk id="…", ts="…", nonce="…", hash="…", ext="…", mac="…"`,
    /// absent attributes omitted) for a request. An empty ext or hash counts as absent.
    val header:
        credentials: Credentials ->
        method: string ->
        uri: string ->
        timestamp: int64 ->
        nonce: string ->
        ext: string option ->
        payloadHash: string option ->
            Result<string, HawkError>

    /// `getBewit`: the bewit token for a GET of the URI valid until `expiry` (Unix seconds):
    /// base64url without padding of `id\expiry\mac\ext`.
    val bewit:
        credentials: Credentials -> uri: string -> expiry: int64 -> ext: string option -> Result<string, HawkError>

    /// The URI with `bewit=<token>` appended to its query (`?` or `&`); scheme and host lower-cased.
    val signUrl:
        credentials: Credentials -> uri: string -> expiry: int64 -> ext: string option -> Result<string, HawkError>

    /// Parses an `Authorization` header strictly: scheme `Hawk` (any case), known attributes only,
    /// no duplicates, values in Hawk's character set, at most 4096 characters. Never throws.
    val parseHeader: header: string -> Result<Header, HawkError>

    /// Finds the single `bewit` parameter anywhere in the query of a URL or path, and returns the
    /// bewit with the URL minus that parameter (which is what its MAC covers). Padding, characters
    /// outside base64url, a structure other than `id\exp\mac\ext` and URLs longer than 4096
    /// characters (hawk's limit) are refused. Never throws.
    val parseBewit: url: string -> Result<Bewit * string, HawkError>

    /// Server-side check of a parsed header, as the Taskcluster services do it: the MAC (constant
    /// time) with the client's access token, then the payload hash when both the header and the
    /// caller have one (`payloadHash` is the hash of the body received; a header without a hash is
    /// accepted), then `|ts − now| ≤ skewSeconds`. Nonces are not tracked, as upstream. A
    /// `Request.Host` that a WHATWG URL parser refuses is `InvalidValue("host", …)`, as `hawk`
    /// answers such a Host header 400.
    val verifyHeader:
        header: Header ->
        request: Request ->
        accessToken: string ->
        payloadHash: string option ->
        now: int64 ->
        skewSeconds: int64 ->
            Result<unit, HawkError>

    /// Server-side check of a bewit against the request with the bewit removed (`Request.Resource`
    /// from `parseBewit`): GET or HEAD only, expiry strictly after `now`, then the MAC (constant time);
    /// the host is read as in `verifyHeader`.
    val verifyBewit: bewit: Bewit -> request: Request -> accessToken: string -> now: int64 -> Result<unit, HawkError>
