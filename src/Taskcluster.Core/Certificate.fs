namespace Taskcluster.Core

open System
open System.Globalization

[<RequireQualifiedAccess>]
type CertificateError =
    | InvalidJson of DecodeError
    | InvalidBase64 of ext: string
    | UnsupportedVersion of version: int64
    | InvalidSeed of seed: string
    | InvalidScope of scope: string
    | InvalidClientId of clientId: string
    | InvalidName of name: string
    | NameEqualsIssuer of name: string
    | UnexpectedClientId
    | EmptyAccessToken
    | AlreadyTemporary of clientId: string
    | ExpiryNotAfterStart of start: int64 * expiry: int64
    | LifetimeTooLong of start: int64 * expiry: int64
    | NotYetValid of start: int64 * now: int64
    | Expired of expiry: int64 * now: int64
    | BadSignature

    member this.Describe() =
        let q = Text.quote
        let time = Text.unixMillisecondsText

        // In decimal, so that extreme values cannot overflow.
        let days (start: int64) (expiry: int64) =
            let d = (decimal expiry - decimal start) / 86_400_000m
            d.ToString("0.###", CultureInfo.InvariantCulture) + " days"

        match this with
        | InvalidJson e -> $"the certificate or ext is not what Taskcluster expects: {e.Describe()}"
        | InvalidBase64 ext -> $"the ext {q ext} is not standard base64"
        | UnsupportedVersion v -> $"certificate version {v} is not supported; only version 1 exists"
        | InvalidSeed seed -> $"the certificate seed {q seed} is not 44 characters long"
        | InvalidScope scope -> $"the scope {q scope} is not valid: scopes are printable ASCII"
        | InvalidClientId clientId -> $"the client id {q clientId} is not a Taskcluster client id"
        | InvalidName name -> $"the temporary credentials name {q name} is not a Taskcluster client id"
        | NameEqualsIssuer name -> $"the temporary credentials name {q name} must differ from the issuer's client id"
        | UnexpectedClientId -> "a certificate without an issuer must not have a clientId member"
        | EmptyAccessToken -> "the issuer's access token is empty"
        // The client id is the one the credentials are used as: for unnamed temporary
        // credentials that is the issuing client's own id, whose credentials are permanent.
        | AlreadyTemporary clientId ->
            $"the credentials used as {q clientId} carry a certificate, so they are temporary credentials, which cannot issue temporary credentials; issue them with permanent credentials"
        | ExpiryNotAfterStart(start, expiry) -> $"the expiry {time expiry} is not after the start {time start}"
        | LifetimeTooLong(start, expiry) ->
            $"the certificate spans {time start} to {time expiry} ({days start expiry}), more than the 31 days allowed"
        | NotYetValid(start, now) ->
            $"the certificate starts at {time start}, more than 5 minutes after the current time {time now}"
        | Expired(expiry, now) ->
            $"the certificate expired at {time expiry}, more than 5 minutes before the current time {time now}"
        | BadSignature -> "the certificate signature is not valid, or the wrong client id was presented with it"

[<Sealed>]
type Certificate
    internal (scopes: string list, start: int64, expiry: int64, seed: string, signature: string, issuer: string option)
    =
    member _.Version = 1
    member _.Scopes = scopes
    member _.Start = start
    member _.Expiry = expiry
    member _.Seed = seed
    member _.Signature = signature
    member _.Issuer = issuer

    member internal _.Key = (scopes, start, expiry, seed, signature, issuer)

    member internal _.ToJson() =
        Encode.object
            [
                "version", Encode.int 1
                "scopes", Encode.strings scopes
                "start", Encode.int64 start
                "expiry", Encode.int64 expiry
                "seed", Encode.string seed
                "signature", Encode.string signature
                match issuer with
                | Some i -> "issuer", Encode.string i
                | None -> ()
            ]

    override this.ToString() = Encode.toString (this.ToJson())

    override this.Equals(other: obj) =
        match other with
        | :? Certificate as c -> this.Key = c.Key
        | _ -> false

    override this.GetHashCode() = hash this.Key

    interface IEquatable<Certificate> with
        member this.Equals(other: Certificate) =
            not (isNull (box other)) && this.Key = other.Key

[<StructuredFormatDisplay("TemporaryCredentials(ClientId={ClientId}, AccessToken=***, Certificate=(present))")>]
type TemporaryCredentials =
    {
        ClientId: string
        AccessToken: string
        Certificate: Certificate
    }

    override this.ToString() =
        $"TemporaryCredentials(ClientId={this.ClientId}, AccessToken=***, Certificate=(present))"

[<StructuredFormatDisplay("VerifiedCertificate(ClientId={ClientId}, Issuer={Issuer}, AccessToken=***, Scopes={Scopes}, Start={Start}, Expiry={Expiry})")>]
type VerifiedCertificate =
    {
        ClientId: string
        Issuer: string
        AccessToken: string
        Scopes: string list
        Start: int64
        Expiry: int64
    }

    override this.ToString() =
        let scopes = String.Join(", ", this.Scopes)

        $"VerifiedCertificate(ClientId={this.ClientId}, Issuer={this.Issuer}, AccessToken=***, Scopes=[{scopes}], Start={this.Start}, Expiry={this.Expiry})"

[<RequireQualifiedAccess>]
module Certificate =
    type Ext =
        {
            Certificate: Certificate option
            AuthorizedScopes: string list option
        }

    let maxLifetime = 31L * 24L * 60L * 60L * 1000L

    // The auth service allows this much clock skew on start and expiry.
    let private slack = 5L * 60L * 1000L

    // Renew this long before expiry so no request is signed with credentials about to lapse.
    let private renewalMargin = 20L * 60L * 1000L

    let private seedLength = 44

    // The auth service's clientId pattern: ^[A-Za-z0-9!@/:.+|_-]+$
    let private validClientId (clientId: string) =
        not (String.IsNullOrEmpty clientId)
        && clientId
           |> String.forall (fun c -> Char.IsAsciiLetterOrDigit c || "!@/:.+|_-".Contains c)

    let private firstInvalidScope (scopes: string list) =
        scopes |> List.tryFind (Scope.validScope >> not)

    let toJson (certificate: Certificate) = certificate.ToJson()

    let encode (certificate: Certificate) = certificate.ToString()

    // ---- decoding -----------------------------------------------------------------------

    /// A certificate as it appears in JSON, before its rules are checked.
    type private Raw =
        {
            Version: int64
            Scopes: string list
            Start: int64
            Expiry: int64
            Seed: string
            Signature: string
            Issuer: string option
            HasClientId: bool
        }

    let private rawDecoder: Decoder<Raw> =
        Decode.object (fun get ->
            {
                Version = get.Required "version" Decode.int64
                Scopes = get.Required "scopes" (Decode.list Decode.string)
                Start = get.Required "start" Decode.int64
                Expiry = get.Required "expiry" Decode.int64
                Seed = get.Required "seed" Decode.string
                Signature = get.Required "signature" Decode.string
                Issuer = get.Optional "issuer" Decode.string
                HasClientId = (get.Optional "clientId" Decode.json).IsSome
            })

    let private ofRaw (raw: Raw) =
        if raw.Version <> 1L then
            Error(CertificateError.UnsupportedVersion raw.Version)
        elif raw.Seed.Length <> seedLength then
            Error(CertificateError.InvalidSeed raw.Seed)
        else
            match raw.Issuer with
            | Some issuer when not (validClientId issuer) -> Error(CertificateError.InvalidClientId issuer)
            | None when raw.HasClientId -> Error CertificateError.UnexpectedClientId
            | issuer -> Ok(Certificate(raw.Scopes, raw.Start, raw.Expiry, raw.Seed, raw.Signature, issuer))

    let decode (json: string) =
        match Decode.fromString rawDecoder json with
        | Error e -> Error(CertificateError.InvalidJson e)
        | Ok raw -> ofRaw raw

    [<RequireQualifiedAccess>]
    module Ext =
        let empty =
            {
                Certificate = None
                AuthorizedScopes = None
            }

        let encode (ext: Ext) =
            let members =
                [
                    match ext.Certificate with
                    | Some c -> "certificate", toJson c
                    | None -> ()
                    match ext.AuthorizedScopes with
                    | Some scopes -> "authorizedScopes", Encode.strings scopes
                    | None -> ()
                ]

            match members with
            | [] -> None
            | _ -> Some(Convert.ToBase64String(Encode.toUtf8 (Encode.object members)))

        let private rawExtDecoder =
            Decode.object (fun get ->
                get.Optional "certificate" rawDecoder, get.Optional "authorizedScopes" (Decode.list Decode.string))

        let decode (ext: string) =
            if String.IsNullOrEmpty ext then
                Ok empty
            else
                let bytes = Array.zeroCreate<byte> ext.Length

                match Convert.TryFromBase64String(ext, Span bytes) with
                | false, _ -> Error(CertificateError.InvalidBase64 ext)
                | true, written ->
                    // Decoded leniently (bad sequences become U+FFFD), as Node's Buffer does.
                    match Decode.fromString rawExtDecoder (Text.utf8.GetString(bytes, 0, written)) with
                    | Error e -> Error(CertificateError.InvalidJson e)
                    | Ok(certificate, authorizedScopes) ->
                        let badScope = authorizedScopes |> Option.bind firstInvalidScope

                        match certificate |> Option.map ofRaw, badScope with
                        | Some(Error e), _ -> Error e
                        | _, Some scope -> Error(CertificateError.InvalidScope scope)
                        | certificate, None ->
                            Ok
                                {
                                    Certificate = certificate |> Option.bind Result.toOption
                                    AuthorizedScopes = authorizedScopes
                                }

    // ---- signing ------------------------------------------------------------------------

    let private invariant (value: int64) =
        value.ToString(CultureInfo.InvariantCulture)

    /// The text the auth service signs: lines joined by `\n`, no trailing newline. With no
    /// scopes it ends in `scopes:`, which is where the JS client goes wrong (it writes
    /// `scopes:\n` and then the joined scopes, so an empty list gets a trailing newline).
    let private signedText (name: string option) (issuer: string) (seed: string) start expiry (scopes: string list) =
        let lines =
            [
                yield "version:1"
                match name with
                | Some name ->
                    yield "clientId:" + name
                    yield "issuer:" + issuer
                | None -> ()
                yield "seed:" + seed
                yield "start:" + invariant start
                yield "expiry:" + invariant expiry
                yield "scopes:"
                yield! scopes
            ]

        String.Join("\n", lines)

    let private sign (accessToken: string) (text: string) =
        Text.base64 (ReadOnlySpan(Text.hmacSha256 accessToken text))

    let private derivedAccessToken (accessToken: string) (seed: string) =
        Text.base64Url (ReadOnlySpan(Text.hmacSha256 accessToken seed))

    let issue clientId accessToken start expiry scopes name seed =
        let signature = sign accessToken (signedText name clientId seed start expiry scopes)
        let issuer = name |> Option.map (fun _ -> clientId)

        {
            TemporaryCredentials.ClientId = defaultArg name clientId
            AccessToken = derivedAccessToken accessToken seed
            Certificate = Certificate(scopes, start, expiry, seed, signature, issuer)
        }

    let private lifetimeTooLong (start: int64) (expiry: int64) =
        // In decimal, so that extreme values cannot overflow into a short lifetime.
        decimal expiry - decimal start > decimal maxLifetime

    let createTemporaryCredentials
        (clientId: string)
        (accessToken: string)
        issuerHasCertificate
        start
        expiry
        (scopes: string list)
        (name: string option)
        (seed: string)
        =
        let scopes = if isNull (box scopes) then [] else scopes

        if not (validClientId clientId) then
            Error(CertificateError.InvalidClientId clientId)
        elif String.IsNullOrEmpty accessToken then
            Error CertificateError.EmptyAccessToken
        elif issuerHasCertificate then
            Error(CertificateError.AlreadyTemporary clientId)
        else
            match name, firstInvalidScope scopes with
            | Some name, _ when not (validClientId name) -> Error(CertificateError.InvalidName name)
            | Some name, _ when name = clientId -> Error(CertificateError.NameEqualsIssuer name)
            | _ when isNull seed || seed.Length <> seedLength -> Error(CertificateError.InvalidSeed seed)
            | _ when expiry <= start -> Error(CertificateError.ExpiryNotAfterStart(start, expiry))
            | _ when lifetimeTooLong start expiry -> Error(CertificateError.LifetimeTooLong(start, expiry))
            | _, Some scope -> Error(CertificateError.InvalidScope scope)
            | _ -> Ok(issue clientId accessToken start expiry scopes name seed)

    // ---- using and checking certificates ------------------------------------------------

    let isExpired (certificate: Certificate) (now: int64) =
        certificate.Expiry < now + renewalMargin

    let issuingClientId (certificate: Certificate) (clientId: string) = defaultArg certificate.Issuer clientId

    let verify (certificate: Certificate) (clientId: string) (issuerAccessToken: string) (now: int64) =
        let issuer = issuingClientId certificate clientId

        match firstInvalidScope certificate.Scopes with
        | _ when certificate.Issuer.IsSome && issuer = clientId -> Error(CertificateError.NameEqualsIssuer clientId)
        | Some scope -> Error(CertificateError.InvalidScope scope)
        | None when certificate.Start > now + slack -> Error(CertificateError.NotYetValid(certificate.Start, now))
        | None when certificate.Expiry < now - slack -> Error(CertificateError.Expired(certificate.Expiry, now))
        | None when lifetimeTooLong certificate.Start certificate.Expiry ->
            Error(CertificateError.LifetimeTooLong(certificate.Start, certificate.Expiry))
        | None ->
            let token = if isNull issuerAccessToken then "" else issuerAccessToken
            let name = certificate.Issuer |> Option.map (fun _ -> clientId)

            let expected =
                sign
                    token
                    (signedText name issuer certificate.Seed certificate.Start certificate.Expiry certificate.Scopes)

            if Text.constantTimeEquals certificate.Signature expected then
                Ok
                    {
                        VerifiedCertificate.ClientId = clientId
                        Issuer = issuer
                        AccessToken = derivedAccessToken token certificate.Seed
                        Scopes = certificate.Scopes
                        Start = certificate.Start
                        Expiry = certificate.Expiry
                    }
            else
                Error CertificateError.BadSignature
