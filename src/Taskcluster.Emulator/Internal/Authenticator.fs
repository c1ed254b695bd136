namespace Taskcluster.Emulator.Internal

open System
open System.Text.Json
open System.Text.Json.Nodes
open Taskcluster.Core

/// What a request presents for authentication.
type internal AuthRequest =
    {
        Hawk: HawkRequest
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
/// implicit `assume:anonymous` and role expansion.
[<RequireQualifiedAccess>]
module internal Authenticator =
    let anonymous = "assume:anonymous"

    let private fail message =
        raise (InvalidOperationException message)

    let private parseExt (ext: string) : JsonNode =
        try
            let s = ext.Trim().Replace('-', '+').Replace('_', '/').TrimEnd('=')
            let padded = s + String('=', (4 - s.Length % 4) % 4)
            JsonNode.Parse(Convert.FromBase64String padded)
        with _ ->
            fail "Failed to parse ext"

    let private isNumber (n: JsonNode) =
        match n with
        | :? JsonValue as v -> v.GetValueKind() = JsonValueKind.Number
        | _ -> false

    let private number (n: JsonNode) = n.GetValue<double>()

    let private scopeList (what: string) (n: JsonNode) =
        match n with
        | :? JsonArray as a ->
            let items =
                [|
                    for i in a do
                        match i with
                        | :? JsonValue as v when v.GetValueKind() = JsonValueKind.String -> v.GetValue<string>()
                        | _ -> null
                |]

            if items |> Array.forall Scopes.valid then
                items
            else
                fail $"{what} must be an array of valid scopes"
        | _ -> fail $"{what} must be an array"

    /// Certificates and authorizedScopes narrow what a client may do (`limitClientWithExt`).
    let private limit
        (expand: string seq -> string array)
        (now: DateTimeOffset)
        (credentialName: string)
        (issuer: Credentials)
        (ext: JsonNode)
        : string array * string * DateTimeOffset =
        let mutable scopes = issuer.Scopes
        let mutable accessToken = issuer.AccessToken
        let mutable expires = issuer.Expires

        match J.tryField "certificate" ext with
        | Some cert ->
            if not (cert :? JsonObject) then
                fail "ext.certificate must be a JSON object"

            match J.tryField "version" cert with
            | Some v when isNumber v && number v = 1.0 -> ()
            | _ -> fail "ext.certificate.version must be 1"

            let seed =
                match J.tryString "seed" cert with
                | Some s -> s
                | None -> fail "ext.certificate.seed must be a string"

            if seed.Length <> 44 then
                fail "ext.certificate.seed must be 44 characters"

            let start =
                match J.tryField "start" cert with
                | Some v when isNumber v -> number v
                | _ -> fail "ext.certificate.start must be a number"

            let expiry =
                match J.tryField "expiry" cert with
                | Some v when isNumber v -> number v
                | _ -> fail "ext.certificate.expiry must be a number"

            let certScopes =
                match J.tryField "scopes" cert with
                | Some s -> scopeList "ext.certificate.scopes" s
                | None -> fail "ext.certificate.scopes must be an array"

            let nowMs = float (now.ToUnixTimeMilliseconds())
            let slack = 5.0 * 60.0 * 1000.0

            if start > nowMs + slack then
                fail "ext.certificate.start > now"

            if expiry < nowMs - slack then
                fail "ext.certificate.expiry < now"

            if expiry - start > 31.0 * 24.0 * 60.0 * 60.0 * 1000.0 then
                fail "ext.certificate cannot last longer than 31 days!"

            if issuer.ClientId <> credentialName then
                let createScope = "auth:create-client:" + credentialName

                if not (Scopes.satisfiesScope issuer.Scopes createScope) then
                    fail
                        $"ext.certificate issuer `{issuer.ClientId}` doesn't have `{createScope}` for supplied clientId."
            elif (cert :?> JsonObject).ContainsKey "clientId" then
                fail "ext.certificate.clientId must only be used with ext.certificate.issuer"

            if not (certScopes |> Array.forall (Scopes.satisfiesScope issuer.Scopes)) then
                let listed = String.Join(", ", certScopes)

                fail (
                    $"ext.certificate issuer `{issuer.ClientId}` doesn't satisfy all certificate scopes {listed}."
                    + "  The temporary credentials were not generated correctly."
                )

            let certIssuer = J.tryString "issuer" cert

            let lines =
                [
                    "version:1"
                    match certIssuer with
                    | Some i when i <> "" ->
                        "clientId:" + credentialName
                        "issuer:" + i
                    | _ -> ()
                    "seed:" + seed
                    "start:" + Encode.formatNumber start
                    "expiry:" + Encode.formatNumber expiry
                    "scopes:"
                    yield! certScopes
                ]

            let signature =
                Convert.ToBase64String(Util.hmacSha256 issuer.AccessToken (String.Join("\n", lines)))

            match J.tryString "signature" cert with
            | Some s when Util.constantTimeEquals s signature -> ()
            | _ ->
                match certIssuer with
                | Some i when i <> "" -> fail "ext.certificate.signature is not valid, or wrong clientId provided"
                | _ -> fail "ext.certificate.signature is not valid"

            accessToken <- Util.base64Url (ReadOnlySpan(Util.hmacSha256 issuer.AccessToken seed))

            let certExpires = DateTimeOffset.FromUnixTimeMilliseconds(int64 expiry)

            if expires > certExpires then
                expires <- certExpires

            scopes <- certScopes
        | None -> ()

        match J.tryField "authorizedScopes" ext with
        | Some a ->
            let authorized = scopeList "ext.authorizedScopes" a
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

    /// Finds the key and scopes for the clientId a request names, applying its ext.
    let private load
        (loader: string -> Result<Credentials, string>)
        (expand: string seq -> string array)
        (now: DateTimeOffset)
        (clientId: string)
        (ext: string)
        =
        let ext = if String.IsNullOrEmpty ext then null else parseExt ext

        let issuingClientId =
            match J.tryField "certificate" ext |> Option.bind (J.tryField "issuer") with
            | Some(:? JsonValue as v) when v.GetValueKind() = JsonValueKind.String ->
                let issuer = v.GetValue<string>()

                if issuer = clientId then
                    fail "ext.certificate.issuer must differ from the supplied clientId"

                issuer
            | Some _ -> fail "ext.certificate.issuer must be a string"
            | None -> clientId

        let issuer =
            match loader issuingClientId with
            | Ok c -> c
            | Error message -> fail message

        let scopes, key, expires =
            if isNull ext then
                issuer.Scopes, issuer.AccessToken, issuer.Expires
            else
                limit expand now clientId issuer ext

        let scopes =
            if Array.contains anonymous scopes && obj.ReferenceEquals(scopes, issuer.Scopes) then
                scopes
            else
                expand (Seq.append scopes [ anonymous ])

        key, scopes, expires

    let private stale (now: DateTimeOffset) (ts: string) =
        match Int64.TryParse ts with
        | true, t -> abs (float (t * 1000L - now.ToUnixTimeMilliseconds())) > Hawk.skew.TotalMilliseconds
        | _ -> true

    /// Authenticates a request. `loader` returns a client's credentials with expanded scopes.
    let authenticate
        (loader: string -> Result<Credentials, string>)
        (expand: string seq -> string array)
        (now: DateTimeOffset)
        (req: AuthRequest)
        : AuthOutcome =
        let bewit = Hawk.hasBewit req.Hawk.Resource

        try
            if not (isNull req.Authorization) && bewit then
                AuthOutcome.Failed(
                    "Cannot use two authentication schemes at once this request has both bewit in querystring and and 'authorization' header"
                )
            elif not (isNull req.Authorization) then
                match Hawk.parseHeader req.Authorization with
                | Error "Unauthorized" -> AuthOutcome.Failed "Unauthorized"
                | Error message -> AuthOutcome.Failed("Bad Request: " + message)
                | Ok attrs ->
                    let key, scopes, expires = load loader expand now attrs.Id attrs.Ext
                    let expected = Hawk.mac key (Hawk.normalized "header" req.Hawk attrs)

                    if not (Util.constantTimeEquals expected attrs.Mac) then
                        AuthOutcome.Failed "Unauthorized: Bad mac"
                    elif
                        not (isNull attrs.Hash)
                        && not (Util.constantTimeEquals attrs.Hash (Hawk.payloadHash req.ContentType req.Body.Span))
                    then
                        let computed = Hawk.payloadHash req.ContentType req.Body.Span

                        AuthOutcome.Failed(
                            $"Invalid payload hash: {attrs.Hash}\nComputed payload hash: {computed}\n"
                            + "This happens when your request carries a signed hash of the payload and the hash doesn't match the hash we've computed on the server-side."
                        )
                    elif stale now attrs.Ts then
                        AuthOutcome.Failed "Unauthorized: Stale timestamp"
                    else
                        AuthOutcome.Success(attrs.Id, scopes, expires, "hawk")
            elif bewit then
                if req.Hawk.Method <> "GET" && req.Hawk.Method <> "HEAD" then
                    AuthOutcome.Failed "Unauthorized: Invalid method"
                else
                    match Hawk.parseBewit req.Hawk.Resource with
                    | Error message -> AuthOutcome.Failed("Unauthorized: " + message)
                    | Ok(attrs, resource) ->
                        match Int64.TryParse attrs.Ts with
                        | true, exp when exp * 1000L > now.ToUnixTimeMilliseconds() ->
                            let key, scopes, expires = load loader expand now attrs.Id attrs.Ext

                            let expected =
                                Hawk.mac key (Hawk.normalized "bewit" { req.Hawk with Resource = resource } attrs)

                            if Util.constantTimeEquals expected attrs.Mac then
                                AuthOutcome.Success(attrs.Id, scopes, expires, "bewit")
                            else
                                AuthOutcome.Failed "Unauthorized: Bad mac"
                        | _ -> AuthOutcome.Failed "Unauthorized: Access expired"
            else
                AuthOutcome.Anonymous(expand [ anonymous ])
        with :? InvalidOperationException as e ->
            AuthOutcome.Failed e.Message
