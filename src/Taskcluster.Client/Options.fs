namespace Taskcluster.Client

open System
open System.Net.Http
open System.Text.Json
open Microsoft.Extensions.Logging
open Taskcluster.Core

[<RequireQualifiedAccess>]
type CertificateSource =
    | Text of json: string
    | Element of json: JsonElement
    | Value of certificate: Certificate

[<NoEquality; NoComparison>]
[<StructuredFormatDisplay("{Display}")>]
type Credentials =
    {
        ClientId: string
        AccessToken: string
        Certificate: CertificateSource option
    }

    member this.Display =
        // The certificate is not secret (it travels in every request's ext), but it is long and
        // its signature is a MAC: say only whether there is one.
        let certificate =
            match this.Certificate with
            | Some _ -> "(present)"
            | None -> "(none)"

        $"Credentials(ClientId={this.ClientId}, AccessToken=***, Certificate={certificate})"

    override this.ToString() = this.Display

[<NoEquality; NoComparison>]
[<StructuredFormatDisplay("{Display}")>]
type ClientOptions =
    {
        RootUrl: string
        Credentials: Credentials option
        AuthorizedScopes: string list option
        MaxRetries: int
        Timeout: TimeSpan
        SignedUrlExpiration: TimeSpan
        Backoff: Backoff
        HttpClient: HttpClient option
        HttpMessageHandler: HttpMessageHandler option
        Logger: ILogger option
        TraceId: string option
        ClockOffset: TimeSpan
        MaxClockOffset: TimeSpan
        TimeProvider: TimeProvider
        Random: unit -> float
        ValidateRequests: bool
    }

    member this.Display =
        let credentials =
            match this.Credentials with
            | Some c -> c.Display
            | None -> "None"

        let scopes =
            match this.AuthorizedScopes with
            | Some s -> "[" + String.Join(", ", s) + "]"
            | None -> "None"

        let given (o: 'T option) = if o.IsSome then "(given)" else "None"

        $"ClientOptions(RootUrl={this.RootUrl}, Credentials={credentials}, AuthorizedScopes={scopes}, MaxRetries={this.MaxRetries}, Timeout={this.Timeout}, SignedUrlExpiration={this.SignedUrlExpiration}, HttpClient={given this.HttpClient}, HttpMessageHandler={given this.HttpMessageHandler}, Logger={given this.Logger}, TraceId={this.TraceId |> Option.defaultValue String.Empty}, ClockOffset={this.ClockOffset}, MaxClockOffset={this.MaxClockOffset}, ValidateRequests={this.ValidateRequests})"

    override this.ToString() = this.Display

[<RequireQualifiedAccess>]
[<StructuredFormatDisplay("{Display}")>]
type OptionsError =
    | MissingRootUrl
    | InvalidRootUrl of RootUrlError
    | MissingClientId
    | MissingAccessToken
    | InvalidClientId of clientId: string
    | InvalidCertificate of CertificateError
    | InvalidAuthorizedScope of index: int * scope: string
    | InvalidMaxRetries of maxRetries: int
    | InvalidTimeout of timeout: TimeSpan
    | InvalidSignedUrlExpiration of expiration: TimeSpan
    | InvalidTraceId of traceId: string
    | HttpClientAndHandler
    | RedirectingHandler of handlerType: string
    | InvalidMaxClockOffset of maxClockOffset: TimeSpan
    | InvalidClockOffset of clockOffset: TimeSpan * maxClockOffset: TimeSpan
    | MissingValue of field: string

    member this.Field =
        match this with
        | MissingRootUrl
        | InvalidRootUrl _ -> "rootUrl"
        | MissingClientId
        | InvalidClientId _ -> "credentials.clientId"
        | MissingAccessToken -> "credentials.accessToken"
        | InvalidCertificate _ -> "credentials.certificate"
        | InvalidAuthorizedScope _ -> "authorizedScopes"
        | InvalidMaxRetries _ -> "maxRetries"
        | InvalidTimeout _ -> "timeout"
        | InvalidSignedUrlExpiration _ -> "signedUrlExpiration"
        | InvalidTraceId _ -> "traceId"
        | HttpClientAndHandler -> "httpClient"
        | RedirectingHandler _ -> "httpMessageHandler"
        | InvalidMaxClockOffset _ -> "maxClockOffset"
        | InvalidClockOffset _ -> "clockOffset"
        | MissingValue field -> field

    member this.Describe() =
        let detail =
            match this with
            | MissingRootUrl -> "a root URL is required (set it, or TASKCLUSTER_ROOT_URL)"
            | InvalidRootUrl e -> e.Describe()
            | MissingClientId -> "an access token was given without a client id"
            | MissingAccessToken -> "a client id was given without an access token"
            | InvalidClientId id -> $"the client id {Display.quote id} cannot be sent in a Hawk header"
            | InvalidCertificate e -> e.Describe()
            | InvalidAuthorizedScope(i, scope) -> $"scope {i} ({Display.quote scope}) is not printable ASCII"
            | InvalidMaxRetries n -> $"must be 0 or more, not {n}"
            | InvalidTimeout t -> $"must be between 10 ms and 1 day (or infinite), not {t}"
            | InvalidSignedUrlExpiration t -> $"must be positive, not {t}"
            | InvalidTraceId id -> $"{Display.quote id} is not printable ASCII fit for an HTTP header"
            | HttpClientAndHandler -> "give an HttpClient or an HttpMessageHandler, not both"
            | RedirectingHandler handler ->
                $"the {handler} follows redirects, which would send requests (and their bodies) to whatever host a server names: set AllowAutoRedirect = false"
            | InvalidMaxClockOffset t -> $"must be positive and at most 365 days, not {t}"
            | InvalidClockOffset(t, limit) -> $"must be within ±{limit} (maxClockOffset), not {t}"
            | MissingValue _ -> "must not be null"

        Redact.text $"invalid option {this.Field}: {detail}"

    member this.Display = this.Describe()
    override this.ToString() = this.Describe()

[<Sealed>]
type internal ValidOptions
    (options: ClientOptions, rootUrl: RootUrl, credentials: Hawk.Credentials option, ext: string option) =
    member _.Options = options
    member _.RootUrl = rootUrl
    member _.Credentials = credentials
    member _.Ext = ext

[<RequireQualifiedAccess>]
module Options =
    [<Literal>]
    let RootUrlVariable = "TASKCLUSTER_ROOT_URL"

    [<Literal>]
    let ClientIdVariable = "TASKCLUSTER_CLIENT_ID"

    [<Literal>]
    let AccessTokenVariable = "TASKCLUSTER_ACCESS_TOKEN"

    [<Literal>]
    let CertificateVariable = "TASKCLUSTER_CERTIFICATE"

    [<Literal>]
    let ProxyUrlVariable = "TASKCLUSTER_PROXY_URL"

    [<Literal>]
    let DefaultProxyUrl = "http://taskcluster"

    [<Literal>]
    let DebugVariable = "DEBUG_TASKCLUSTER_CLIENT"

    let defaults =
        {
            RootUrl = null
            Credentials = None
            AuthorizedScopes = None
            MaxRetries = 5
            Timeout = TimeSpan.FromSeconds 30.0
            SignedUrlExpiration = TimeSpan.FromMinutes 15.0
            Backoff = Backoff.defaults
            HttpClient = None
            HttpMessageHandler = None
            Logger = None
            TraceId = None
            ClockOffset = TimeSpan.Zero
            MaxClockOffset = TimeSpan.FromHours 24.0
            TimeProvider = TimeProvider.System
            Random = fun () -> Random.Shared.NextDouble()
            ValidateRequests = true
        }

    let create rootUrl = { defaults with RootUrl = rootUrl }

    let withCredentials clientId accessToken options =
        { options with
            Credentials =
                Some
                    {
                        ClientId = clientId
                        AccessToken = accessToken
                        Certificate = None
                    }
        }

    let processEnvironment (name: string) =
        match Environment.GetEnvironmentVariable name with
        | null
        | "" -> None
        | value -> Some value

    let private read (getEnv: string -> string option) name =
        match getEnv name with
        | Some value when not (String.IsNullOrEmpty value) -> Some value
        | _ -> None

    let optionsFromEnvironment (getEnv: string -> string option) (options: ClientOptions) =
        let rootUrl = read getEnv RootUrlVariable
        let clientId = read getEnv ClientIdVariable
        let accessToken = read getEnv AccessTokenVariable
        let certificate = read getEnv CertificateVariable

        let credentials =
            match clientId, accessToken, certificate with
            | None, None, None -> options.Credentials
            // Half a pair is kept as it is so that `validate` can name the missing half.
            | _ ->
                Some
                    {
                        ClientId = clientId |> Option.toObj
                        AccessToken = accessToken |> Option.toObj
                        Certificate = certificate |> Option.map CertificateSource.Text
                    }

        { options with
            RootUrl = rootUrl |> Option.defaultValue options.RootUrl
            Credentials = credentials
        }

    let fromEnvironment () =
        optionsFromEnvironment processEnvironment defaults

    let proxy (getEnv: string -> string option) (options: ClientOptions) =
        { options with
            RootUrl = read getEnv ProxyUrlVariable |> Option.defaultValue DefaultProxyUrl
            Credentials = None
        }

    let proxyFromEnvironment () = proxy processEnvironment defaults

    let private printableAscii (text: string) =
        text |> Seq.forall (fun c -> c >= ' ' && c <= '~')

    let private checkCertificate (source: CertificateSource) =
        match source with
        | CertificateSource.Value c when isNull (box c) -> Error(OptionsError.MissingValue "credentials.certificate")
        | CertificateSource.Value c -> Ok c
        | CertificateSource.Text json -> Certificate.decode json |> Result.mapError OptionsError.InvalidCertificate
        | CertificateSource.Element json ->
            match json.ValueKind with
            | JsonValueKind.Undefined -> Error(OptionsError.MissingValue "credentials.certificate")
            | _ ->
                Certificate.decode (json.GetRawText())
                |> Result.mapError OptionsError.InvalidCertificate

    let private checkCredentials (credentials: Credentials option) =
        match credentials with
        | None -> Ok None
        | Some c ->
            match String.IsNullOrEmpty c.ClientId, String.IsNullOrEmpty c.AccessToken, c.Certificate with
            // `{}` means "no credentials", as in the JS client.
            | true, true, None -> Ok None
            | true, _, _ -> Error OptionsError.MissingClientId
            | false, true, _ -> Error OptionsError.MissingAccessToken
            | false, false, certificate ->
                match Hawk.credentials c.ClientId c.AccessToken with
                | Error HawkError.EmptyAccessToken -> Error OptionsError.MissingAccessToken
                | Error _ -> Error(OptionsError.InvalidClientId c.ClientId)
                | Ok hawk ->
                    match certificate with
                    | None -> Ok(Some(hawk, None))
                    | Some source -> checkCertificate source |> Result.map (fun cert -> Some(hawk, Some cert))

    let private checkScopes (scopes: string list option) =
        match scopes with
        | None -> Ok None
        | Some scopes ->
            match
                scopes
                |> List.indexed
                |> List.tryFind (fun (_, s) -> isNull s || not (printableAscii s))
            with
            | Some(i, s) -> Error(OptionsError.InvalidAuthorizedScope(i, s))
            | None -> Ok(Some scopes)

    /// The handler under any delegating handlers that follows redirects, if one does. Only
    /// handlers we can see are checked: an `HttpClient` does not show its handler (requests it
    /// redirected are caught when they come back instead).
    let rec private redirecting (handler: HttpMessageHandler) =
        match handler with
        | :? HttpClientHandler as h when h.AllowAutoRedirect -> Some(h.GetType().Name)
        | :? SocketsHttpHandler as h when h.AllowAutoRedirect -> Some(h.GetType().Name)
        | :? DelegatingHandler as d when not (isNull d.InnerHandler) -> redirecting d.InnerHandler
        | _ -> None

    let private maxClockOffsetLimit = TimeSpan.FromDays 365.0

    let private minTimeout = TimeSpan.FromMilliseconds 10.0
    let private maxTimeout = TimeSpan.FromDays 1.0

    let private checkRest (o: ClientOptions) =
        if o.MaxRetries < 0 then
            Error(OptionsError.InvalidMaxRetries o.MaxRetries)
        elif
            o.Timeout <> Threading.Timeout.InfiniteTimeSpan
            && (o.Timeout < minTimeout || o.Timeout > maxTimeout)
        then
            Error(OptionsError.InvalidTimeout o.Timeout)
        elif o.SignedUrlExpiration <= TimeSpan.Zero then
            Error(OptionsError.InvalidSignedUrlExpiration o.SignedUrlExpiration)
        else
            match o.TraceId with
            | Some id when String.IsNullOrEmpty id || not (printableAscii id) -> Error(OptionsError.InvalidTraceId id)
            | _ ->
                if o.HttpClient.IsSome && o.HttpMessageHandler.IsSome then
                    Error OptionsError.HttpClientAndHandler
                elif o.MaxClockOffset <= TimeSpan.Zero || o.MaxClockOffset > maxClockOffsetLimit then
                    Error(OptionsError.InvalidMaxClockOffset o.MaxClockOffset)
                elif o.ClockOffset.Duration() > o.MaxClockOffset then
                    Error(OptionsError.InvalidClockOffset(o.ClockOffset, o.MaxClockOffset))
                elif isNull o.TimeProvider then
                    Error(OptionsError.MissingValue "timeProvider")
                elif isNull (box o.Random) then
                    Error(OptionsError.MissingValue "random")
                elif isNull (box o.Backoff) then
                    Error(OptionsError.MissingValue "backoff")
                else
                    match o.HttpMessageHandler |> Option.filter (isNull >> not) |> Option.bind redirecting with
                    | Some handler -> Error(OptionsError.RedirectingHandler handler)
                    | None -> Ok()

    let check (options: ClientOptions) =
        let rootUrl =
            if String.IsNullOrWhiteSpace options.RootUrl then
                Error OptionsError.MissingRootUrl
            else
                RootUrl.parse options.RootUrl |> Result.mapError OptionsError.InvalidRootUrl

        rootUrl
        |> Result.bind (fun rootUrl ->
            checkCredentials options.Credentials
            |> Result.bind (fun credentials ->
                checkScopes options.AuthorizedScopes
                |> Result.bind (fun scopes ->
                    checkRest options
                    |> Result.map (fun () ->
                        let hawk, ext =
                            match credentials with
                            | None -> None, None
                            | Some(hawk, certificate) ->
                                let ext =
                                    Certificate.Ext.encode
                                        {
                                            Certificate = certificate
                                            AuthorizedScopes = scopes
                                        }

                                Some hawk, ext

                        ValidOptions({ options with RootUrl = rootUrl.Value }, rootUrl, hawk, ext)))))

    let validate options =
        check options |> Result.map (fun valid -> valid.Options)
