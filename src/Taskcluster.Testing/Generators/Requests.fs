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
        /// The host as a server compares it: lower-cased, IPv6 literals in their WHATWG form
        /// (brackets kept, `::ffff:192.0.2.1` as `::ffff:c000:201`).
        Host: string
        /// The explicit port, or 80/443 by scheme.
        Port: int
        /// Path and query exactly as written (`/` when the path is empty), without the fragment.
        Resource: string
    }

/// FsCheck generators for the requests Hawk signs: methods, hosts (upper-case, IPv4, IPv6),
/// ports, paths and queries with percent-escapes, credentials, nonces and ext strings.
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

    /// Host names: DNS names in mixed case, `localhost`, IPv4 addresses and bracketed IPv6
    /// addresses (some with upper-case hex digits).
    let host: Gen<string> =
        let label =
            gen {
                let! first = charFrom (letters + digits)
                let! rest = stringOf 0 10 (charFrom (letters + digits + "-"))
                let! last = charFrom (letters + digits)
                return $"{first}{rest}{last}"
            }

        let dns =
            gen {
                let! labels = Gen.choose (1, 4) |> Gen.bind (fun n -> Gen.listOfLength n label)
                return String.Join(".", labels)
            }

        let ipv4 =
            Gen.listOfLength 4 (Gen.choose (0, 255))
            |> Gen.map (fun octets -> String.Join(".", octets))

        let ipv6 =
            Gen.elements
                [
                    "[::1]"
                    "[2001:DB8::1]"
                    "[2001:db8:85a3::8a2e:370:7334]"
                    "[FE80::1:2:3:4]"
                    "[::ffff:192.0.2.1]"
                ]

        Gen.frequency [ 6, dns; 1, Gen.constant "localhost"; 2, ipv4; 2, ipv6 ]

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
            let! host = host
            let! port = port
            let! path = path
            let! query = query
            let! fragment = Gen.elements [ ""; ""; ""; "#frag"; "#a?b=c" ]
            let portText = port |> Option.map (fun p -> $":{p}") |> Option.defaultValue ""
            let defaultPort = if scheme.ToLowerInvariant() = "http" then 80 else 443

            return
                {
                    Uri = $"{scheme}://{host}{portText}{path}{query}{fragment}"
                    Host =
                        match host.ToLowerInvariant() with
                        // a server reads the host through WHATWG URL rules (so does `hawk`)
                        | "[::ffff:192.0.2.1]" -> "[::ffff:c000:201]"
                        | h -> h
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
