namespace Taskcluster.Testing

open System
open FsCheck
open FsCheck.FSharp

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
    let private charFrom (chars: string) = Gen.elements (List.ofSeq chars)

    let private stringOf (minLength: int) (maxLength: int) (chars: Gen<char>) =
        gen {
            let! length = Gen.choose (minLength, maxLength)
            let! cs = Gen.arrayOfLength length chars
            return String(cs)
        }

    let private letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
    let private digits = "0123456789"

    /// HTTP methods: the common ones in any case, and other valid method tokens.
    let method: Gen<string> =
        Gen.frequency
            [
                6, Gen.elements [ "GET"; "POST"; "PUT"; "DELETE"; "HEAD"; "PATCH"; "OPTIONS" ]
                2, Gen.elements [ "get"; "Post"; "pUt"; "delete"; "head" ]
                1, stringOf 1 10 (charFrom (letters + digits + "!#$%&'*+-.^_`|~"))
            ]

    /// An IPv4 address spelled any way a WHATWG URL parser reads it (one to four parts, each in
    /// decimal, octal or hexadecimal in either case, with any leading zeros, an optional trailing
    /// dot: `127.1`, `0x7F.0.0.1`, `0177.0.0.1`, `2130706433`, `127.0.0.1.`), with its
    /// dotted-decimal form worked out from the address, not by parsing the text.
    let ipv4Spelling: Gen<string * string> =
        gen {
            let! octets = Gen.arrayOfLength 4 (Gen.choose (0, 255))
            let! parts = Gen.choose (1, 4)

            // The first parts - 1 octets alone, then the rest as one number.
            let values =
                [
                    for i in 0 .. parts - 2 -> uint64 octets[i]
                    yield Seq.fold (fun acc (o: int) -> (acc <<< 8) ||| uint64 o) 0UL octets[parts - 1 ..]
                ]

            let spell (value: uint64) =
                gen {
                    let! zeros = Gen.choose (0, 3) |> Gen.map (fun n -> String('0', n))
                    let! radix = Gen.elements [ 10; 8; 16 ]
                    let! prefix = Gen.elements [ "0x"; "0X" ]
                    let! upper = Gen.elements [ true; false ]

                    return
                        match radix with
                        | 10 -> string value
                        | 8 -> "0" + zeros + Convert.ToString(int64 value, 8)
                        | _ ->
                            prefix
                            + zeros
                            + (if value = 0UL then
                                   ""
                               else
                                   value.ToString(if upper then "X" else "x"))
                }

            let! spelled = values |> List.map spell |> Gen.sequenceToList
            let! trailingDot = Gen.elements [ ""; ""; "." ]
            return String.Join(".", spelled) + trailingDot, String.Join(".", octets)
        }

    /// Hosts as written in a URI, each with the form a server reads (through WHATWG URL rules,
    /// as `hawk` does): DNS names in mixed case (lower-cased), `localhost`, IPv4 addresses in
    /// dotted decimal and in the other spellings of `ipv4Spelling` (dotted decimal), and
    /// bracketed IPv6 addresses, some with upper-case hex digits or an embedded IPv4 address
    /// (serialised in lower-case hex with `::`).
    let hostAndServerForm: Gen<string * string> =
        let label (first: string) =
            gen {
                let! first = charFrom first
                let! rest = stringOf 0 10 (charFrom (letters + digits + "-"))
                let! last = charFrom (letters + digits)
                return $"{first}{rest}{last}"
            }

        // The last label starts with a letter: a name whose last label is a number (`a.123`,
        // `a.0x1`) is read as an IPv4 address, or refused.
        let dns =
            gen {
                let! labels =
                    Gen.choose (0, 3)
                    |> Gen.bind (fun n -> Gen.listOfLength n (label (letters + digits)))

                let! last = label letters
                let name = String.Join(".", labels @ [ last ])
                return name, name.ToLowerInvariant()
            }

        let ipv4 =
            Gen.listOfLength 4 (Gen.choose (0, 255))
            |> Gen.map (fun octets -> String.Join(".", octets))
            |> Gen.map (fun a -> a, a)

        let ipv6 =
            Gen.elements
                [
                    "[::1]", "[::1]"
                    "[2001:DB8::1]", "[2001:db8::1]"
                    "[2001:db8:85a3::8a2e:370:7334]", "[2001:db8:85a3::8a2e:370:7334]"
                    "[FE80::1:2:3:4]", "[fe80::1:2:3:4]"
                    "[::ffff:192.0.2.1]", "[::ffff:c000:201]"
                    "[2001:0DB8:0:0:1:0:0:1]", "[2001:db8::1:0:0:1]"
                ]

        Gen.frequency
            [
                6, dns
                1, Gen.constant ("localhost", "localhost")
                2, ipv4
                1, ipv4Spelling
                2, ipv6
            ]

    /// Host names as written in a URI (see `hostAndServerForm`).
    let host: Gen<string> = hostAndServerForm |> Gen.map fst

    /// An explicit port, or `None` for the scheme's default; includes the default ports written out.
    let port: Gen<int option> =
        Gen.frequency
            [
                4, Gen.constant None
                1, Gen.elements [ Some 80; Some 443 ]
                3, Gen.choose (1, 65535) |> Gen.map Some
            ]

    // Characters a path segment or query part may hold unescaped (RFC 3986 pchar without `%`).
    let private pchars = letters + digits + "-._~!$&'()*+,;=:@"

    let private escape =
        Gen.elements [ "%20"; "%2F"; "%2f"; "%3A"; "%25"; "%7E"; "%E2%9C%93"; "%00"; "%0A" ]

    let private piece (allowed: string) =
        gen {
            let! parts =
                Gen.listOf (Gen.frequency [ 5, charFrom allowed |> Gen.map string; 1, escape ])
                |> Gen.resize 12

            return String.Join("", parts)
        }

    /// Paths: empty, `/`, or `/`-separated segments with sub-delimiters and percent-escapes.
    let path: Gen<string> =
        Gen.frequency
            [
                1, Gen.constant ""
                1, Gen.constant "/"
                6,
                Gen.listOf (piece pchars)
                |> Gen.resize 5
                |> Gen.map (fun segments -> "/" + String.Join("/", segments))
            ]

    /// Queries: none, a bare `?`, or `?k=v&…` pairs with escapes (never a `bewit` parameter).
    let query: Gen<string> =
        let key =
            stringOf 1 6 (charFrom (letters + digits + "_-."))
            |> Gen.filter (fun k -> not (k.Equals("bewit", StringComparison.OrdinalIgnoreCase)))

        let pair =
            gen {
                let! k = key
                let! v = piece (pchars.Replace("&", "") + "/?")
                let! withValue = Gen.elements [ true; true; false ]
                return if withValue then $"{k}={v}" else k
            }

        Gen.frequency
            [
                3, Gen.constant ""
                1, Gen.constant "?"
                5,
                Gen.nonEmptyListOf pair
                |> Gen.resize 4
                |> Gen.map (fun pairs -> "?" + String.Join("&", pairs))
            ]

    /// Absolute http(s) URIs (scheme in any case, optional port and fragment) with the parts a
    /// server sees.
    let sampleUri: Gen<SampleUri> =
        gen {
            let! scheme = Gen.elements [ "http"; "https"; "HTTP"; "Https" ]
            let! host, serverHost = hostAndServerForm
            let! port = port
            let! path = path
            let! query = query
            let! fragment = Gen.elements [ ""; ""; ""; "#frag"; "#a?b=c" ]
            let portText = port |> Option.map (fun p -> $":{p}") |> Option.defaultValue ""
            let defaultPort = if scheme.ToLowerInvariant() = "http" then 80 else 443

            return
                {
                    Uri = $"{scheme}://{host}{portText}{path}{query}{fragment}"
                    Host = serverHost
                    Port = defaultArg port defaultPort
                    Resource = (if path = "" then "/" else path) + query
                }
        }

    /// Absolute http(s) URIs (see `sampleUri`).
    let uri: Gen<string> = sampleUri |> Gen.map (fun s -> s.Uri)

    /// Taskcluster client ids (`^[A-Za-z0-9!@/:.+|_-]+$`).
    let clientId: Gen<string> =
        Gen.frequency
            [
                3, Gen.elements [ "tester"; "project/ci/x"; "dh37fgj492je"; "mozilla-auth0/ad|Mozilla-LDAP|x" ]
                5, stringOf 1 30 (charFrom (letters + digits + "!@/:.+|_-"))
            ]

    /// Access tokens: mostly 44 base64url characters (as Taskcluster issues them), sometimes any
    /// non-empty text, Unicode included.
    let accessToken: Gen<string> =
        Gen.frequency
            [
                4, stringOf 44 44 (charFrom (letters + digits + "-_"))
                1,
                ArbMap.generate<NonEmptyString> ArbMap.defaults
                |> Gen.map (fun s -> s.Get)
                |> Gen.filter (fun s -> not (String.IsNullOrEmpty s))
            ]

    // Hawk's attribute characters: printable ASCII except `"` and `\`.
    let private hawkChars =
        String(
            [|
                for c in ' ' .. '~' do
                    if c <> '"' && c <> '\\' then
                        yield c
            |]
        )

    /// Nonces: six alphanumerics (as `hawk` makes them) or other short Hawk-safe text.
    let nonce: Gen<string> =
        Gen.frequency
            [
                3, stringOf 6 6 (charFrom (letters + digits))
                1, stringOf 1 20 (charFrom hawkChars)
            ]

    /// Ext values a header can carry: Hawk-safe text, or base64 like the Taskcluster ext.
    let ext: Gen<string> =
        Gen.frequency
            [
                2, stringOf 1 60 (charFrom hawkChars)
                1,
                stringOf 4 120 (charFrom (letters + digits + "+/"))
                |> Gen.map (fun s -> s + "==")
            ]

    /// Unix timestamps in seconds, from 1970 to about 2096.
    let timestamp: Gen<int64> = Gen.choose64 (0L, 4_000_000_000L)
