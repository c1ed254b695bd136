namespace Taskcluster.Testing

open FsCheck

/// An absolute URI together with what a server receiving it sees, worked out from the parts it
/// was built from (not by parsing it), so tests can use it as an independent oracle.
type SampleUri =
    {
        /// The URI text, e.g. `https://TC.Example.com:8443/a%2Fb?x=1#frag`.
        Uri: string

        /// The host as a server reads it (through WHATWG URL rules): lower-cased, IPv4 addresses
        /// in dotted decimal (`0x7f.1` as `127.0.0.1`), IPv6 literals in their serialised form
        /// (brackets kept, `::ffff:192.0.2.1` as `::ffff:c000:201`).
        Host: string

        /// The explicit port, or 80/443 by scheme.
        Port: int

        /// Path and query exactly as written (`/` when the path is empty), without the fragment.
        Resource: string
    }

/// FsCheck generators for the requests Hawk signs: methods, hosts (upper-case, IPv4 in every
/// spelling, IPv6), ports, paths and queries with percent-escapes, credentials, nonces and ext
/// strings.
[<RequireQualifiedAccess>]
module Requests =

    /// HTTP methods: the common ones in any case, and other valid method tokens.
    val method: Gen<string>

    /// An IPv4 address spelled any way a WHATWG URL parser reads it (one to four parts, each in
    /// decimal, octal or hexadecimal in either case, with any leading zeros, an optional trailing
    /// dot: `127.1`, `0x7F.0.0.1`, `0177.0.0.1`, `2130706433`, `127.0.0.1.`), with its
    /// dotted-decimal form worked out from the address, not by parsing the text.
    val ipv4Spelling: Gen<string * string>

    /// Hosts as written in a URI, each with the form a server reads (through WHATWG URL rules,
    /// as `hawk` does): DNS names in mixed case (lower-cased), `localhost`, IPv4 addresses in
    /// dotted decimal and in the other spellings of `ipv4Spelling` (dotted decimal), and
    /// bracketed IPv6 addresses, some with upper-case hex digits or an embedded IPv4 address
    /// (serialised in lower-case hex with `::`).
    val hostAndServerForm: Gen<string * string>

    /// Host names as written in a URI (see `hostAndServerForm`).
    val host: Gen<string>

    /// An explicit port, or `None` for the scheme's default; includes the default ports written out.
    val port: Gen<int option>

    /// Paths: empty, `/`, or `/`-separated segments with sub-delimiters and percent-escapes.
    val path: Gen<string>

    /// Queries: none, a bare `?`, or `?k=v&…` pairs with escapes (never a `bewit` parameter).
    val query: Gen<string>

    /// Absolute http(s) URIs (scheme in any case, optional port and fragment) with the parts a
    /// server sees.
    val sampleUri: Gen<SampleUri>

    /// Absolute http(s) URIs (see `sampleUri`).
    val uri: Gen<string>

    /// Taskcluster client ids (`^[A-Za-z0-9!@/:.+|_-]+$`).
    val clientId: Gen<string>

    /// Access tokens: mostly 44 base64url characters (as Taskcluster issues them), sometimes any
    /// non-empty text, Unicode included.
    val accessToken: Gen<string>

    /// Nonces: six alphanumerics (as `hawk` makes them) or other short Hawk-safe text.
    val nonce: Gen<string>

    /// Ext values a header can carry: Hawk-safe text, or base64 like the Taskcluster ext.
    val ext: Gen<string>

    /// Unix timestamps in seconds, from 1970 to about 2096.
    val timestamp: Gen<int64>
