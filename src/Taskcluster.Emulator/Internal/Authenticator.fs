namespace Taskcluster.Emulator.Internal

open System
open Taskcluster.Core

/// What a request presents for authentication.
type internal AuthRequest =
    {
        /// Method, path and query exactly as received, host and port.
        Hawk: Hawk.Request
        /// The `Authorization` header, `null` when absent.
        Authorization: string
        ContentType: string
        Body: ReadOnlyMemory<byte>
    }

/// The outcome of authentication, as taskcluster-lib-api sees it.
[<RequireQualifiedAccess>]
type internal AuthOutcome =
    /// No credentials: the caller has the scopes of `assume:anonymous`.
    | Anonymous of scopes: string array
    | Success of clientId: string * scopes: string array * expires: DateTimeOffset * scheme: string
    | Failed of message: string

/// The auth service's signature validation (`createSignatureValidator`) plus taskcluster-lib-api's
/// checks around it: Hawk header or bewit, `ext.certificate`, `ext.authorizedScopes`, the
/// implicit `assume:anonymous` and role expansion. The protocol pieces are the core's; this
/// module adds the lookups and the auth service's wording of each failure.
[<RequireQualifiedAccess>]
module internal Authenticator =
    let anonymous = "assume:anonymous"

    exception private Refused of string

    let private fail message = raise (Refused message)

    /// Hawk failures in the words of `hawk` (as the services report them: `<error>: <message>`).
    let hawkMessage (e: HawkError) =
        match e with
        | HawkError.UnsupportedScheme _ -> "Unauthorized"
        | HawkError.MalformedHeader _ -> "Bad Request: Invalid header syntax"
        | HawkError.UnknownAttribute _ -> "Bad Request: Unknown attribute"
        | HawkError.DuplicateAttribute _ -> "Bad Request: Duplicate attribute"
        | HawkError.BadAttributeValue _ -> "Bad Request: Bad attribute value"
        | HawkError.MissingAttribute _ -> "Bad Request: Missing attributes"
        | HawkError.MissingBewit -> "Unauthorized: Missing bewit"
        | HawkError.MalformedBewit reason -> $"Unauthorized: Invalid bewit ({reason})"
        | HawkError.BewitMethodNotAllowed _ -> "Unauthorized: Invalid method"
        | HawkError.BadMac -> "Unauthorized: Bad mac"
        | HawkError.StaleTimestamp _ -> "Unauthorized: Stale timestamp"
        | HawkError.ExpiredBewit _ -> "Unauthorized: Access expired"
        | HawkError.BadPayloadHash ->
            "Invalid payload hash\nThis happens when your request carries a signed hash of the payload and the hash doesn't match the hash we've computed on the server-side."
        | other -> "Unauthorized: " + other.Describe()

    /// Certificate failures in the words of the auth service's signature validator.
    let private certificateMessage (e: CertificateError) (named: bool) =
        match e with
        | CertificateError.InvalidJson d when d.Path.StartsWith "$.certificate" ->
            $"ext.certificate is malformed: {d.Describe()}"
        | CertificateError.InvalidJson d when d.Path.StartsWith "$.authorizedScopes" ->
            "ext.authorizedScopes must be an array"
        | CertificateError.InvalidJson _
        | CertificateError.InvalidBase64 _ -> "Failed to parse ext"
        | CertificateError.UnsupportedVersion _ -> "ext.certificate.version must be 1"
        | CertificateError.InvalidSeed _ -> "ext.certificate.seed must be 44 characters"
        | CertificateError.InvalidScope _ -> "ext.certificate.scopes must be an array of valid scopes"
        | CertificateError.NotYetValid _ -> "ext.certificate.start > now"
        | CertificateError.Expired _ -> "ext.certificate.expiry < now"
        | CertificateError.LifetimeTooLong _ -> "ext.certificate cannot last longer than 31 days!"
        | CertificateError.UnexpectedClientId ->
            "ext.certificate.clientId must only be used with ext.certificate.issuer"
        | CertificateError.NameEqualsIssuer _ -> "ext.certificate.issuer must differ from the supplied clientId"
        | CertificateError.InvalidClientId _ -> "ext.certificate.issuer must be a string"
        | CertificateError.BadSignature when named ->
            "ext.certificate.signature is not valid, or wrong clientId provided"
        | CertificateError.BadSignature -> "ext.certificate.signature is not valid"
        | other -> other.Describe()

    /// Certificates and authorizedScopes narrow what a client may do (`limitClientWithExt`).
    let private limit
        (expand: string seq -> string array)
        (now: DateTimeOffset)
        (credentialName: string)
        (issuer: Credentials)
        (ext: Certificate.Ext)
        : string array * string * DateTimeOffset =
        let mutable scopes = issuer.Scopes
        let mutable accessToken = issuer.AccessToken
        let mutable expires = issuer.Expires

        match ext.Certificate with
        | Some cert ->
            let named = cert.Issuer.IsSome

            let verified =
                match Certificate.verify cert credentialName issuer.AccessToken (now.ToUnixTimeMilliseconds()) with
                | Ok v -> v
                | Error e -> fail (certificateMessage e named)

            if issuer.ClientId <> credentialName then
                let createScope = "auth:create-client:" + credentialName

                if not (Scopes.satisfiesScope issuer.Scopes createScope) then
                    fail
                        $"ext.certificate issuer `{issuer.ClientId}` doesn't have `{createScope}` for supplied clientId."

            let certScopes = Array.ofList verified.Scopes

            if not (certScopes |> Array.forall (Scopes.satisfiesScope issuer.Scopes)) then
                let listed = String.Join(", ", certScopes)

                fail (
                    $"ext.certificate issuer `{issuer.ClientId}` doesn't satisfy all certificate scopes {listed}."
                    + "  The temporary credentials were not generated correctly."
                )

            accessToken <- verified.AccessToken
            let certExpires = DateTimeOffset.FromUnixTimeMilliseconds verified.Expiry

            if expires > certExpires then
                expires <- certExpires

            scopes <- certScopes
        | None -> ()

        match ext.AuthorizedScopes with
        | Some authorized ->
            let authorized = Array.ofList authorized
            let have = expand (Seq.append scopes [ anonymous ])

            if not (authorized |> Array.forall (Scopes.satisfiesScope have)) then
                fail (
                    String.Join(
                        "\n",
                        [
                            "Supplied credentials do not satisfy authorizedScopes; credentials have scopes:"
                            ""
                            "```"
                            String.Join("\n", have)
                            "```"
                            ""
                            "authorizedScopes are:"
                            ""
                            "```"
                            String.Join("\n", authorized)
                            "```"
                        ]
                    )
                )

            scopes <- authorized
        | None -> ()

        scopes, accessToken, expires

    /// JavaScript's truthiness of a JSON value (`null`, `false`, `0`, `""` are falsy).
    let private truthy (n: System.Text.Json.Nodes.JsonNode) =
        match n with
        | null -> false
        | :? System.Text.Json.Nodes.JsonValue as v ->
            match v.GetValueKind() with
            | System.Text.Json.JsonValueKind.False -> false
            | System.Text.Json.JsonValueKind.String -> v.GetValue<string>() <> ""
            | System.Text.Json.JsonValueKind.Number -> v.GetValue<double>() <> 0.0
            | _ -> true
        | _ -> true

    /// The ext as the auth service reads it, in the shape the core decodes: the service tests
    /// members for truthiness (`if (ext.certificate?.issuer)`), so a falsy certificate, issuer
    /// or authorizedScopes counts as absent, and an ext that is not an object has neither. A
    /// member of the wrong type fails with the service's words; `afterLoad` says the service
    /// finds that out only once it has loaded the client. Text that is not base64 JSON goes to
    /// the core as it is, for its own message.
    let normalizeExt (text: string) : Result<string option, string * bool> =
        let decoded =
            try
                let padded = text.PadRight(text.Length + (4 - text.Length % 4) % 4, '=')
                Some(Convert.FromBase64String padded)
            with :? FormatException ->
                None

        match decoded |> Option.map J.parse with
        | None
        | Some(Error _) -> Ok(Some text)
        | Some(Ok null) -> Error("Cannot read properties of null (reading 'certificate')", false)
        | Some(Ok(:? System.Text.Json.Nodes.JsonObject as o)) ->
            let o = o.DeepClone().AsObject()

            let certificateProblem =
                match o["certificate"] with
                | c when not (truthy c) ->
                    o.Remove "certificate" |> ignore
                    Ok()
                | :? System.Text.Json.Nodes.JsonObject as c ->
                    match c["issuer"] with
                    | i when not (truthy i) ->
                        c.Remove "issuer" |> ignore
                        Ok()
                    | :? System.Text.Json.Nodes.JsonValue as i when
                        i.GetValueKind() = System.Text.Json.JsonValueKind.String
                        ->
                        Ok()
                    | _ -> Error("ext.certificate.issuer must be a string", false)
                | :? System.Text.Json.Nodes.JsonArray -> Error("ext.certificate.version must be 1", true)
                | _ -> Error("ext.certificate must be a JSON object", true)

            let scopesProblem =
                match o["authorizedScopes"] with
                | a when not (truthy a) ->
                    o.Remove "authorizedScopes" |> ignore
                    Ok()
                | :? System.Text.Json.Nodes.JsonArray -> Ok()
                | _ -> Error("ext.authorizedScopes must be an array", true)

            match certificateProblem, scopesProblem with
            | Error e, _
            | _, Error e -> Error e
            | Ok(), Ok() when o.Count = 0 -> Ok None
            | Ok(), Ok() -> Ok(Some(Convert.ToBase64String(J.toBytes o)))
        // a number, string, boolean or array has no `certificate` or `authorizedScopes`
        | Some(Ok _) -> Ok None

    /// Finds the key and scopes for the clientId a request names, applying its ext.
    let private load
        (loader: string -> Result<Credentials, string>)
        (expand: string seq -> string array)
        (now: DateTimeOffset)
        (clientId: string)
        (ext: string option)
        =
        let normalized =
            match ext with
            | None
            | Some "" -> None
            | Some text ->
                match normalizeExt text with
                | Error(message, false) -> fail message
                | Error(message, true) ->
                    match loader clientId with
                    | Error notFound -> fail notFound
                    | Ok _ -> fail message
                | Ok normalized -> normalized

        let ext =
            match normalized with
            | None -> None
            | Some text ->
                match Certificate.Ext.decode text with
                | Ok e -> Some e
                | Error(CertificateError.InvalidScope _) -> fail "ext.authorizedScopes must be an array of valid scopes"
                | Error e -> fail (certificateMessage e false)

        let issuingClientId =
            match ext |> Option.bind (fun e -> e.Certificate) with
            | Some cert ->
                match cert.Issuer with
                | Some issuer when issuer = clientId ->
                    fail "ext.certificate.issuer must differ from the supplied clientId"
                | _ -> Certificate.issuingClientId cert clientId
            | None -> clientId

        let issuer =
            match loader issuingClientId with
            | Ok c -> c
            | Error message -> fail message

        let scopes, key, expires =
            match ext with
            | None -> issuer.Scopes, issuer.AccessToken, issuer.Expires
            | Some e -> limit expand now clientId issuer e

        key, expand (Seq.append scopes [ anonymous ]), expires

    /// The resource holds a `bewit` query parameter.
    let private hasBewit (resource: string) =
        let q = resource.IndexOf '?'

        q >= 0
        && (resource.IndexOf("?bewit=", q, StringComparison.Ordinal) >= 0
            || resource.IndexOf("&bewit=", q, StringComparison.Ordinal) >= 0)

    /// Authenticates a request. `loader` returns a client's credentials with expanded scopes.
    let authenticate
        (loader: string -> Result<Credentials, string>)
        (expand: string seq -> string array)
        (now: DateTimeOffset)
        (req: AuthRequest)
        : AuthOutcome =
        let bewit = hasBewit req.Hawk.Resource
        let nowSeconds = now.ToUnixTimeSeconds()

        try
            if not (isNull req.Authorization) && bewit then
                AuthOutcome.Failed(
                    "Cannot use two authentication schemes at once this request has both bewit in querystring and and 'authorization' header"
                )
            elif not (isNull req.Authorization) then
                match Hawk.parseHeader req.Authorization with
                | Error e -> AuthOutcome.Failed(hawkMessage e)
                | Ok header ->
                    let key, scopes, expires = load loader expand now header.Id header.Ext

                    let bodyHash =
                        header.Hash
                        |> Option.map (fun _ -> Hawk.payloadHash req.ContentType (req.Body.ToArray()))

                    match Hawk.verifyHeader header req.Hawk key bodyHash nowSeconds Hawk.defaultSkewSeconds with
                    // hawk compares in milliseconds: a timestamp exactly 900 s old is stale
                    // unless the clock sits on a whole second
                    | Ok() when
                        abs (header.Timestamp * 1000L - now.ToUnixTimeMilliseconds()) > Hawk.defaultSkewSeconds * 1000L
                        ->
                        AuthOutcome.Failed "Unauthorized: Stale timestamp"
                    | Ok() -> AuthOutcome.Success(header.Id, scopes, expires, "hawk")
                    | Error e -> AuthOutcome.Failed(hawkMessage e)
            elif bewit then
                if req.Hawk.Method <> "GET" && req.Hawk.Method <> "HEAD" then
                    AuthOutcome.Failed "Unauthorized: Invalid method"
                else
                    match Hawk.parseBewit req.Hawk.Resource with
                    | Error e -> AuthOutcome.Failed(hawkMessage e)
                    // hawk checks the expiry before it looks the client up
                    | Ok(b, _) when b.Expiry <= nowSeconds -> AuthOutcome.Failed "Unauthorized: Access expired"
                    | Ok(b, resource) ->
                        let key, scopes, expires = load loader expand now b.Id b.Ext

                        match Hawk.verifyBewit b { req.Hawk with Resource = resource } key nowSeconds with
                        | Ok() -> AuthOutcome.Success(b.Id, scopes, expires, "bewit")
                        | Error e -> AuthOutcome.Failed(hawkMessage e)
            else
                AuthOutcome.Anonymous(expand [ anonymous ])
        with Refused message ->
            AuthOutcome.Failed message
