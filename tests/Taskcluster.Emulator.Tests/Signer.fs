/// A small, independent Hawk client for the tests: headers, bewits, the Taskcluster `ext` and
/// temporary credentials. It is checked against the official vectors in HawkTests, so the
/// emulator is tested against a client known to sign like the official ones.
module Taskcluster.Emulator.Tests.Signer

open System
open System.Security.Cryptography
open System.Text
open System.Text.Json.Nodes

/// Credentials as a Taskcluster client holds them.
type Creds =
    {
        ClientId: string
        AccessToken: string
        /// The certificate as JSON text, for temporary credentials.
        Certificate: string option
        AuthorizedScopes: string list option
    }

let creds clientId accessToken =
    {
        ClientId = clientId
        AccessToken = accessToken
        Certificate = None
        AuthorizedScopes = None
    }

let utf8 = UTF8Encoding(false)

let hmac (key: string) (text: string) =
    HMACSHA256.HashData(utf8.GetBytes key, utf8.GetBytes text)

let base64Url (bytes: byte array) =
    Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_')

let private strs (xs: string seq) =
    let a = JsonArray()

    for x in xs do
        a.Add(JsonValue.Create x)

    a

/// The Taskcluster `ext`: base64 of `{certificate?, authorizedScopes?}`, or `None`.
let ext (c: Creds) : string option =
    if c.Certificate.IsNone && c.AuthorizedScopes.IsNone then
        None
    else
        let o = JsonObject()

        match c.Certificate with
        | Some cert -> o.["certificate"] <- JsonNode.Parse cert
        | None -> ()

        match c.AuthorizedScopes with
        | Some scopes -> o.["authorizedScopes"] <- strs scopes
        | None -> ()

        Some(Convert.ToBase64String(utf8.GetBytes(o.ToJsonString())))

let payloadHash (contentType: string) (payload: string) =
    let mime = (contentType.Split(';')[0]).Trim().ToLowerInvariant()
    Convert.ToBase64String(SHA256.HashData(utf8.GetBytes $"hawk.1.payload\n{mime}\n{payload}\n"))

/// The MAC input of a Hawk header.
let normalized (ts: int64) (nonce: string) (method: string) (uri: Uri) (hash: string) (ext: string) =
    $"hawk.1.header\n{ts}\n{nonce}\n{method}\n{uri.PathAndQuery}\n{uri.Host.ToLowerInvariant()}\n{uri.Port}\n{hash}\n{ext}\n"

/// An `Authorization` header for the request, at the given Unix time in seconds.
let header
    (c: Creds)
    (method: string)
    (uri: Uri)
    (ts: int64)
    (nonce: string)
    (hash: string option)
    (extOverride: string option)
    =
    let ext = extOverride |> Option.orElse (ext c) |> Option.defaultValue ""
    let h = defaultArg hash ""

    let mac =
        Convert.ToBase64String(hmac c.AccessToken (normalized ts nonce method uri h ext))

    let parts =
        [
            $"id=\"{c.ClientId}\""
            $"ts=\"{ts}\""
            $"nonce=\"{nonce}\""
            if h <> "" then
                $"hash=\"{h}\""
            if ext <> "" then
                $"ext=\"{ext}\""
            $"mac=\"{mac}\""
        ]

    "Hawk " + String.Join(", ", parts)

/// The URL with a bewit valid until `exp` (Unix seconds).
let bewit (c: Creds) (uri: Uri) (exp: int64) =
    let ext = ext c |> Option.defaultValue ""

    let text =
        $"hawk.1.bewit\n{exp}\n\nGET\n{uri.PathAndQuery}\n{uri.Host.ToLowerInvariant()}\n{uri.Port}\n\n{ext}\n"

    let mac = Convert.ToBase64String(hmac c.AccessToken text)
    let b = base64Url (utf8.GetBytes $"{c.ClientId}\\{exp}\\{mac}\\{ext}")
    let sep = if uri.Query = "" then "?" else "&"
    Uri(uri.ToString() + sep + "bewit=" + b)

/// Temporary credentials issued by `issuer`, named when `name` is given.
let temporary
    (issuer: Creds)
    (name: string option)
    (scopes: string list)
    (start: int64)
    (expiry: int64)
    (seed: string)
    =
    let lines =
        [
            "version:1"
            match name with
            | Some n ->
                "clientId:" + n
                "issuer:" + issuer.ClientId
            | None -> ()
            "seed:" + seed
            $"start:{start}"
            $"expiry:{expiry}"
            "scopes:"
            yield! scopes
        ]

    let signature =
        Convert.ToBase64String(hmac issuer.AccessToken (String.Join("\n", lines)))

    let cert = JsonObject()
    cert.["version"] <- JsonValue.Create 1
    cert.["scopes"] <- strs scopes
    cert.["start"] <- JsonValue.Create start
    cert.["expiry"] <- JsonValue.Create expiry
    cert.["seed"] <- JsonValue.Create seed
    cert.["signature"] <- JsonValue.Create signature

    match name with
    | Some _ -> cert.["issuer"] <- JsonValue.Create issuer.ClientId
    | None -> ()

    {
        ClientId = defaultArg name issuer.ClientId
        AccessToken = base64Url (hmac issuer.AccessToken seed)
        Certificate = Some(cert.ToJsonString())
        AuthorizedScopes = None
    }

/// A fresh 44-character seed.
let seed () =
    base64Url (RandomNumberGenerator.GetBytes 33)
