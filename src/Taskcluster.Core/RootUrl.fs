namespace Taskcluster.Core

open System

[<RequireQualifiedAccess>]
type RootUrlError =
    | Empty
    | NotAbsolute of rootUrl: string
    | UnsupportedScheme of rootUrl: string * scheme: string
    | HasUserInfo of rootUrl: string
    | HasPath of rootUrl: string * path: string
    | HasQueryOrFragment of rootUrl: string
    | InvalidHost of rootUrl: string * host: string

    member this.Describe() =
        match this with
        | Empty -> "the root URL is empty"
        | NotAbsolute url -> $"the root URL '{url}' is not an absolute URL"
        | UnsupportedScheme(url, scheme) ->
            $"the root URL '{url}' has scheme '{scheme}'; only http and https are allowed"
        // The user-info part may hold a password, so it is not repeated.
        | HasUserInfo _ -> "the root URL carries user information (user:password@); pass credentials separately"
        | HasPath(url, path) -> $"the root URL '{url}' has a path '{path}'; a root URL is scheme, host and port only"
        | HasQueryOrFragment url -> $"the root URL '{url}' has a query or fragment"
        | InvalidHost(url, host) ->
            $"the root URL '{url}' has host '{host}', which is not an ASCII host name or a valid IP address (a name ending in a number must be an IPv4 address; write an international name in its xn-- form)"

[<Sealed>]
type RootUrl internal (value: string) =
    member _.Value = value
    override _.ToString() = value

    override _.Equals(other: obj) =
        match other with
        | :? RootUrl as r -> String.Equals(value, r.Value, StringComparison.Ordinal)
        | _ -> false

    override _.GetHashCode() =
        StringComparer.Ordinal.GetHashCode value

    interface IEquatable<RootUrl> with
        member _.Equals(other: RootUrl) =
            not (isNull (box other))
            && String.Equals(value, other.Value, StringComparison.Ordinal)

[<RequireQualifiedAccess>]
module RootUrl =
    let normalizeRootUrl (rootUrl: string) =
        if isNull rootUrl then "" else rootUrl.TrimEnd('/')

    let testRootUrl = "https://tc-tests.example.com"

    let parse (rootUrl: string) =
        if String.IsNullOrWhiteSpace rootUrl then
            Error RootUrlError.Empty
        else
            let trimmed = normalizeRootUrl (rootUrl.Trim())

            match Uri.TryCreate(trimmed, UriKind.Absolute) with
            | false, _ -> Error(RootUrlError.NotAbsolute rootUrl)
            | true, uri when uri.Scheme <> Uri.UriSchemeHttp && uri.Scheme <> Uri.UriSchemeHttps ->
                Error(RootUrlError.UnsupportedScheme(rootUrl, uri.Scheme))
            | true, uri when uri.UserInfo <> "" -> Error(RootUrlError.HasUserInfo rootUrl)
            | true, uri when uri.Query <> "" || uri.Fragment <> "" -> Error(RootUrlError.HasQueryOrFragment rootUrl)
            | true, uri when uri.AbsolutePath.Trim('/') <> "" -> Error(RootUrlError.HasPath(rootUrl, uri.AbsolutePath))
            | true, uri when uri.Host = "" -> Error(RootUrlError.NotAbsolute rootUrl)
            // Uri takes almost anything as a host (spaces, NBSP, other non-ASCII): keep DNS
            // names to the characters that reach the wire unchanged, which Hawk signs.
            | true, uri when
                uri.HostNameType = UriHostNameType.Dns
                && not (String.forall UrlHost.isDomainChar uri.Host)
                ->
                Error(RootUrlError.InvalidHost(rootUrl, uri.Host))
            | true, uri when
                uri.HostNameType <> UriHostNameType.Dns
                && uri.HostNameType <> UriHostNameType.IPv4
                && uri.HostNameType <> UriHostNameType.IPv6
                ->
                Error(RootUrlError.InvalidHost(rootUrl, uri.Host))
            | true, uri ->
                // The host as Hawk signs it and a server reads it (UrlHost, WHATWG's rules):
                // Uri keeps `127.0.0.1.` and `[::ffff:1.2.3.4]` as written and takes `256.0.0.1`
                // or `example.123` for DNS names, which WHATWG URL parsers rewrite or refuse.
                match UrlHost.serialize uri.Host with
                | Error _ -> Error(RootUrlError.InvalidHost(rootUrl, uri.Host))
                | Ok host ->
                    // Uri lower-cases the scheme and drops a default port; keep an explicit one.
                    let port = if uri.IsDefaultPort then "" else $":{uri.Port}"
                    Ok(RootUrl($"{uri.Scheme}://{host}{port}"))

    let private cleanPath (path: string) =
        if isNull path then "" else path.TrimStart('/')

    let api (rootUrl: RootUrl) (service: string) (version: string) path =
        $"{rootUrl.Value}/api/{service}/{version}/{cleanPath path}"

    let apiReference (rootUrl: RootUrl) (service: string) (version: string) =
        $"{rootUrl.Value}/references/{service}/{version}/api.json"

    let docs (rootUrl: RootUrl) path =
        $"{rootUrl.Value}/docs/{cleanPath path}"

    let exchangeReference (rootUrl: RootUrl) (service: string) (version: string) =
        $"{rootUrl.Value}/references/{service}/{version}/exchanges.json"

    let schema (rootUrl: RootUrl) (service: string) schema =
        $"{rootUrl.Value}/schemas/{service}/{cleanPath schema}"

    let apiReferenceSchema rootUrl (version: string) =
        schema rootUrl "common" $"api-reference-{version}.json"

    let exchangesReferenceSchema rootUrl (version: string) =
        schema rootUrl "common" $"exchanges-reference-{version}.json"

    let apiManifestSchema rootUrl (version: string) =
        schema rootUrl "common" $"manifest-{version}.json"

    let metadataMetaschema rootUrl =
        schema rootUrl "common" "metadata-metaschema.json"

    let ui (rootUrl: RootUrl) path = $"{rootUrl.Value}/{cleanPath path}"

    let apiManifest (rootUrl: RootUrl) =
        $"{rootUrl.Value}/references/manifest.json"
