namespace Taskcluster.Core

/// Why a certificate, an ext or a set of temporary credentials was refused. No case carries an
/// access token.
[<RequireQualifiedAccess>]
type CertificateError =
    /// The text is not JSON, or a member has the wrong shape (the path says which).
    | InvalidJson of DecodeError
    /// The ext is not standard base64.
    | InvalidBase64 of ext: string
    /// Only version 1 certificates exist.
    | UnsupportedVersion of version: int64
    /// The seed is not 44 characters long.
    | InvalidSeed of seed: string
    /// A scope is not printable ASCII.
    | InvalidScope of scope: string
    /// The issuing client id (or a certificate's issuer) is not a Taskcluster client id.
    | InvalidClientId of clientId: string
    /// The name of a named temporary credential is not a Taskcluster client id.
    | InvalidName of name: string
    /// A named temporary credential cannot carry the issuer's own client id.
    | NameEqualsIssuer of name: string
    /// A certificate without an issuer has a `clientId` member, which the auth service refuses.
    | UnexpectedClientId
    /// The issuer's access token is empty.
    | EmptyAccessToken
    /// Temporary credentials cannot issue temporary credentials. `clientId` is the client id the
    /// issuing credentials were used as (for unnamed temporary credentials, their issuer's).
    | AlreadyTemporary of clientId: string
    /// The expiry is not after the start: the auth service could never accept such a
    /// certificate (the JS client signs it all the same).
    | ExpiryNotAfterStart of start: int64 * expiry: int64
    /// The certificate spans more than 31 days.
    | LifetimeTooLong of start: int64 * expiry: int64
    /// The certificate starts more than 5 minutes after `now`.
    | NotYetValid of start: int64 * now: int64
    /// The certificate expired more than 5 minutes before `now`.
    | Expired of expiry: int64 * now: int64
    /// The signature does not match (wrong issuer key, changed certificate or wrong client id).
    | BadSignature

    /// A one-line description naming the bad value (times in ISO 8601 UTC).
    member Describe: unit -> string

/// A version 1 Taskcluster certificate: what turns an issuer's credentials into temporary ones.
/// Times are milliseconds since the Unix epoch. The only ways to get one are
/// `Certificate.decode` and `Certificate.createTemporaryCredentials`.
[<Sealed>]
type Certificate =
    /// Always 1.
    member Version: int
    /// The scopes granted, in the order signed.
    member Scopes: string list
    /// When the certificate becomes valid (ms since the epoch).
    member Start: int64
    /// When it expires (ms since the epoch).
    member Expiry: int64
    /// 44 random characters (two slugIds); with the issuer's token it derives the temporary token.
    member Seed: string
    /// base64 HMAC-SHA256 of the certificate's lines with the issuer's access token.
    member Signature: string
    /// The issuing client id, for named temporary credentials only.
    member Issuer: string option
    /// The certificate as compact JSON, as sent in `TASKCLUSTER_CERTIFICATE`.
    override ToString: unit -> string
    override Equals: obj -> bool
    override GetHashCode: unit -> int
    interface System.IEquatable<Certificate>

/// Temporary credentials: use `ClientId` and `AccessToken` to sign requests and send the
/// certificate in the ext. Neither the token nor the certificate (whose signature is a MAC)
/// appears in `ToString` or `%A`.
[<StructuredFormatDisplay("TemporaryCredentials(ClientId={ClientId}, AccessToken=***, Certificate=(present))")>]
type TemporaryCredentials =
    {
        /// The name for named credentials, else the issuer's client id.
        ClientId: string
        /// The derived access token: base64url HMAC-SHA256 of the seed with the issuer's token.
        AccessToken: string
        /// The certificate to send in every request's ext.
        Certificate: Certificate
    }

    /// Shows the client id and certificate, never the token.
    override ToString: unit -> string

/// What a server learns from a valid certificate. The token never appears in `ToString` or `%A`.
[<StructuredFormatDisplay("VerifiedCertificate(ClientId={ClientId}, Issuer={Issuer}, AccessToken=***, Scopes={Scopes}, Start={Start}, Expiry={Expiry})")>]
type VerifiedCertificate =
    {
        /// The client id the request presented (the name, for named credentials).
        ClientId: string
        /// The client whose access token signed the certificate.
        Issuer: string
        /// The derived access token: the Hawk key to verify the request's MAC with.
        AccessToken: string
        /// The certificate's scopes.
        Scopes: string list
        /// Start (ms since the epoch).
        Start: int64
        /// Expiry (ms since the epoch).
        Expiry: int64
    }

    /// Shows everything but the token.
    override ToString: unit -> string

/// Taskcluster temporary credentials (`createTemporaryCredentials`) and the `ext` Hawk attribute
/// that carries a certificate and authorized scopes, both as the auth service checks them.
[<RequireQualifiedAccess>]
module Certificate =
    /// The Taskcluster `ext`: sent only when one member is present. An empty `AuthorizedScopes`
    /// list is meaningful (the request then has only `assume:anonymous`) and is kept.
    type Ext =
        {
            /// The certificate of temporary credentials.
            Certificate: Certificate option
            /// Scopes to restrict the request to.
            AuthorizedScopes: string list option
        }

    /// Encoding and decoding of the `ext` attribute: standard base64 (padded) of the compact
    /// JSON `{"certificate":{…},"authorizedScopes":[…]}`.
    [<RequireQualifiedAccess>]
    module Ext =
        /// Neither a certificate nor authorized scopes.
        val empty: Ext

        /// The ext to send, or `None` when there is nothing to send.
        val encode: ext: Ext -> string option

        /// Decodes an ext as the auth service does (an empty text is no ext). The embedded
        /// certificate is decoded like `Certificate.decode`; authorized scopes must be valid.
        /// Never throws.
        val decode: ext: string -> Result<Ext, CertificateError>

    /// The longest a certificate may span: 31 days, in milliseconds.
    val maxLifetime: int64

    /// Parses certificate JSON text (the `certificate` of temporary credentials). Refuses other
    /// versions, seeds that are not 44 characters, an invalid issuer, and a `clientId` member
    /// without an issuer. Scope validity is checked by `verify`, as the auth service does. Never throws.
    val decode: json: string -> Result<Certificate, CertificateError>

    /// The certificate as a JSON value, members in the order the official clients write them.
    val toJson: certificate: Certificate -> Json

    /// The certificate as compact JSON text
    /// (`{"version":1,"scopes":[…],"start":…,"expiry":…,"seed":"…","signature":"…","issuer":"…"}`).
    val encode: certificate: Certificate -> string

    /// `createTemporaryCredentials`: temporary credentials valid from `start` to `expiry`
    /// (milliseconds since the epoch; from a `DateTimeOffset` use `ToUnixTimeMilliseconds`),
    /// granting `scopes`, optionally named `name`, from the issuer's `clientId` and `accessToken`.
    /// `seed` is 44 random characters (two slugIds) supplied by the caller. Refused: an issuer
    /// that is itself temporary (`issuerHasCertificate`), a bad client id or name, a name equal
    /// to the issuer, a seed that is not 44 characters, `expiry <= start`, more than 31 days,
    /// and any scope that is not printable ASCII.
    ///
    /// The signature covers the lines `version:1`, [`clientId:<name>`, `issuer:<clientId>`],
    /// `seed:…`, `start:…`, `expiry:…`, `scopes:` and one line per scope, joined by newlines,
    /// exactly as the auth service rebuilds them (and the Go and Python clients write them); so an
    /// empty scope list ends with `scopes:`. The JS client adds a newline there, which the service rejects.
    val createTemporaryCredentials:
        clientId: string ->
        accessToken: string ->
        issuerHasCertificate: bool ->
        start: int64 ->
        expiry: int64 ->
        scopes: string list ->
        name: string option ->
        seed: string ->
            Result<TemporaryCredentials, CertificateError>

    /// The signing step of `createTemporaryCredentials` without any check: what the official
    /// JS client would produce for the same inputs (used to compare with its vectors).
    val internal issue:
        clientId: string ->
        accessToken: string ->
        start: int64 ->
        expiry: int64 ->
        scopes: string list ->
        name: string option ->
        seed: string ->
            TemporaryCredentials

    /// True when the certificate expires less than 20 minutes after `now` (ms since the epoch),
    /// so credentials are renewed before requests start failing (as the Python client does).
    val isExpired: certificate: Certificate -> now: int64 -> bool

    /// The client whose access token signed the certificate: its issuer when named, else the
    /// client id presented with it. A server looks that client up before calling `verify`.
    val issuingClientId: certificate: Certificate -> clientId: string -> string

    /// Server-side check of a certificate presented with `clientId`, given the issuer's access
    /// token and `now` (ms since the epoch), in the auth service's order: a named certificate's
    /// issuer differs from `clientId`; every scope is valid; start at most 5 minutes after `now`;
    /// expiry at most 5 minutes before `now`; at most 31 days long; the signature matches
    /// (constant time; for a named certificate it covers `clientId`, so a wrong name fails here).
    /// Returns the derived access token (the Hawk key) with the scopes and issuer.
    ///
    /// Not checked here, because they need the scope algebra and the issuer's scopes: the
    /// issuer must hold `auth:create-client:<clientId>` for a named certificate, and the
    /// issuer's scopes must satisfy every certificate scope. The caller must check both.
    val verify:
        certificate: Certificate ->
        clientId: string ->
        issuerAccessToken: string ->
        now: int64 ->
            Result<VerifiedCertificate, CertificateError>
