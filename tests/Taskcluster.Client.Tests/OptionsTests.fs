module Taskcluster.Client.Tests.OptionsTests

open System
open System.Net.Http
open System.Text.Json
open Expecto
open FsCheck
open FsCheck.FSharp
open Microsoft.Extensions.Logging.Abstractions
open Taskcluster.Core
open Taskcluster.Client
open Taskcluster.Testing
open Taskcluster.Client.Tests.Fixtures

let private rootUrl = "https://tc.example.com"

let private expectOptionsError (field: string) (options: ClientOptions) =
    match Client.create options with
    | Ok _ -> failtestf "expected options to be refused for %s" field
    | Error e ->
        Expect.equal e.Field field "the error names the field"
        Expect.stringContains (e.Describe()) field "the description names the field"
        e

let private envOf (pairs: (string * string) list) =
    let map = Map.ofList pairs
    fun name -> Map.tryFind name map

/// Temporary credentials made by the core, for certificate options.
let private temporary () =
    Helpers.createTemporaryCredentials
        credentials
        (DateTimeOffset.UtcNow.AddMinutes -1.0)
        (DateTimeOffset.UtcNow.AddHours 1.0)
        [ "scope:a"; "scope:b" ]
        None
    |> function
        | Ok t -> t
        | Error e -> failtestf "temporary credentials: %s" (e.Describe())

let private defaultsTests =
    testList
        "defaults"
        [
            test "match the issue and the JS client" {
                let o = Options.defaults
                Expect.equal o.MaxRetries 5 "5 retries"
                Expect.equal o.Timeout (TimeSpan.FromSeconds 30.0) "30 s per attempt"
                Expect.equal o.SignedUrlExpiration (TimeSpan.FromMinutes 15.0) "15-minute signed URLs"
                Expect.equal o.Backoff.Options Backoff.defaultOptions "the official backoff"
                Expect.isNone o.Credentials "no credentials"
                Expect.equal o.ClockOffset TimeSpan.Zero "no offset"
            }

            test "a valid root URL is normalised as RootUrl.parse does" {
                let client = createClient (Options.create "HTTPS://TC.Example.COM//")

                let expected =
                    match RootUrl.parse "HTTPS://TC.Example.COM//" with
                    | Ok r -> r
                    | Error e -> failtest (e.Describe())

                Expect.equal client.RootUrl expected "normalised root URL"
                Expect.equal client.Options.RootUrl expected.Value "the options keep the normalised text"
                Expect.isNone client.ClientId "no credentials"
            }

            test "credentials with both parts empty mean no credentials, as `{}` in the JS client" {
                let client =
                    createClient
                        { Options.create rootUrl with
                            Credentials =
                                Some
                                    {
                                        ClientId = ""
                                        AccessToken = null
                                        Certificate = None
                                    }
                        }

                Expect.isNone client.ClientId "no client id"
            }
        ]

let private validationTests =
    testList
        "validation names the field"
        [
            for missing in [ null; ""; "   " ] do
                test $"missing root URL {Display.quote missing}" {
                    let e = expectOptionsError "rootUrl" (Options.create missing)
                    Expect.equal e OptionsError.MissingRootUrl "missing"
                }

            for relative in
                [
                    "tc.example.com"
                    "/api/queue"
                    "ftp://tc.example.com"
                    "https://tc.example.com/x"
                ] do
                test $"bad root URL {relative}" {
                    match expectOptionsError "rootUrl" (Options.create relative) with
                    | OptionsError.InvalidRootUrl _ -> ()
                    | other -> failtestf "unexpected %A" other
                }

            test "a client id without an access token" {
                let e =
                    expectOptionsError
                        "credentials.accessToken"
                        (Options.create rootUrl |> Options.withCredentials clientId "")

                Expect.equal e OptionsError.MissingAccessToken "missing token"
            }

            test "an access token without a client id" {
                let e =
                    expectOptionsError
                        "credentials.clientId"
                        (Options.create rootUrl |> Options.withCredentials null accessToken)

                Expect.equal e OptionsError.MissingClientId "missing client id"
                Expect.isFalse ((e.Describe()).Contains accessToken) "the token is not quoted"
            }

            test "a client id a Hawk header cannot carry" {
                let e =
                    expectOptionsError
                        "credentials.clientId"
                        (Options.create rootUrl |> Options.withCredentials "bad\"id" accessToken)

                Expect.equal e (OptionsError.InvalidClientId "bad\"id") "invalid id"
                Expect.isFalse ((e.Describe()).Contains accessToken) "the token is not quoted"
            }

            for text in [ "not json"; "{}"; """{"version":2}"""; "[]" ] do
                test $"a malformed certificate {text}" {
                    let options =
                        { Options.create rootUrl with
                            Credentials =
                                Some
                                    { credentials with
                                        Certificate = Some(CertificateSource.Text text)
                                    }
                        }

                    match expectOptionsError "credentials.certificate" options with
                    | OptionsError.InvalidCertificate _ -> ()
                    | other -> failtestf "unexpected %A" other
                }

            test "an authorized scope that is not printable ASCII" {
                let options =
                    { Options.create rootUrl with
                        Credentials = Some credentials
                        AuthorizedScopes = Some [ "ok"; "caf\u00e9" ]
                    }

                let e = expectOptionsError "authorizedScopes" options
                Expect.equal e (OptionsError.InvalidAuthorizedScope(1, "caf\u00e9")) "index and scope"
            }

            test "negative retries" {
                expectOptionsError
                    "maxRetries"
                    { Options.create rootUrl with
                        MaxRetries = -1
                    }
                |> ignore
            }

            for timeout in
                [
                    TimeSpan.Zero
                    TimeSpan.FromMilliseconds 5.0
                    TimeSpan.FromDays 2.0
                    TimeSpan.FromSeconds -1.0
                ] do
                test $"timeout {timeout}" {
                    expectOptionsError
                        "timeout"
                        { Options.create rootUrl with
                            Timeout = timeout
                        }
                    |> ignore
                }

            test "signed URLs that expire at once" {
                expectOptionsError
                    "signedUrlExpiration"
                    { Options.create rootUrl with
                        SignedUrlExpiration = TimeSpan.Zero
                    }
                |> ignore
            }

            for traceId in [ ""; "a\r\nInjected: header"; "caf\u00e9" ] do
                test $"trace id {Display.quote traceId}" {
                    expectOptionsError
                        "traceId"
                        { Options.create rootUrl with
                            TraceId = Some traceId
                        }
                    |> ignore
                }

            test "both an HttpClient and a handler" {
                use handler = new HttpClientHandler()
                use http = new HttpClient()

                expectOptionsError
                    "httpClient"
                    { Options.create rootUrl with
                        HttpClient = Some http
                        HttpMessageHandler = Some handler
                    }
                |> ignore
            }

            test "no clock" {
                expectOptionsError
                    "timeProvider"
                    { Options.create rootUrl with
                        TimeProvider = null
                    }
                |> ignore
            }

            test "an infinite timeout, no retries and an empty authorized scope list are fine" {
                let client =
                    createClient
                        { Options.create rootUrl with
                            Timeout = Threading.Timeout.InfiniteTimeSpan
                            MaxRetries = 0
                            Credentials = Some credentials
                            AuthorizedScopes = Some []
                        }

                Expect.equal client.ClientId (Some clientId) "client id"
            }

            testPropertyWithConfig
                { FsCheckConfig.defaultConfig with
                    maxTest = 300
                }
                "any root URL text gives a client or a typed error, never an exception"
            <| fun (text: string) ->
                match Client.create (Options.create text) with
                | Ok c -> c.RootUrl.Value.StartsWith "http"
                | Error e -> e.Field = "rootUrl"
            test "handlers that follow redirects are refused where they can be seen" {
                let refused (handler: HttpMessageHandler) =
                    match
                        Options.validate
                            { Options.create "https://tc.example.com" with
                                HttpMessageHandler = Some handler
                            }
                    with
                    | Error(OptionsError.RedirectingHandler _ as e) ->
                        Expect.equal e.Field "httpMessageHandler" "the field"
                        Expect.stringContains (e.Describe()) "AllowAutoRedirect" "says what to set"
                    | other -> failtestf "expected RedirectingHandler, got %A" other

                let accepted (handler: HttpMessageHandler) =
                    Expect.isOk
                        (Options.validate
                            { Options.create "https://tc.example.com" with
                                HttpMessageHandler = Some handler
                            })
                        "accepted"

                refused (new HttpClientHandler())
                refused (new SocketsHttpHandler())

                refused (
                    { new DelegatingHandler(new SocketsHttpHandler(AllowAutoRedirect = true)) with
                        member _.ToString() = "outer"
                    }
                )

                accepted (new HttpClientHandler(AllowAutoRedirect = false))
                accepted (new SocketsHttpHandler(AllowAutoRedirect = false))

                accepted (
                    { new DelegatingHandler(new SocketsHttpHandler(AllowAutoRedirect = false)) with
                        member _.ToString() = "outer"
                    }
                )
            }

            test "MaxClockOffset and ClockOffset are validated" {
                let field options =
                    match Options.validate options with
                    | Error e -> e.Field
                    | Ok _ -> "(accepted)"

                let o = Options.create "https://tc.example.com"

                Expect.equal
                    (field
                        { o with
                            MaxClockOffset = TimeSpan.Zero
                        })
                    "maxClockOffset"
                    "zero"

                Expect.equal
                    (field
                        { o with
                            MaxClockOffset = TimeSpan.FromDays -1.0
                        })
                    "maxClockOffset"
                    "negative"

                Expect.equal
                    (field
                        { o with
                            MaxClockOffset = TimeSpan.FromDays 366.0
                        })
                    "maxClockOffset"
                    "over a year"

                Expect.equal
                    (field
                        { o with
                            ClockOffset = TimeSpan.FromHours -25.0
                        })
                    "clockOffset"
                    "beyond the bound"

                Expect.equal
                    (field
                        { o with
                            ClockOffset = TimeSpan.FromHours 25.0
                            MaxClockOffset = TimeSpan.FromHours 26.0
                        })
                    "(accepted)"
                    "within a wider bound"
            }
        ]

let private certificateTests =
    testList
        "certificates"
        [
            test "as text, as a JSON element and as a value" {
                let t = temporary ()
                let text = Certificate.encode t.Certificate
                use doc = JsonDocument.Parse text

                for source in
                    [
                        CertificateSource.Text text
                        CertificateSource.Element(doc.RootElement.Clone())
                        CertificateSource.Value t.Certificate
                    ] do
                    let client =
                        createClient
                            { Options.create rootUrl with
                                Credentials =
                                    Some
                                        { Helpers.credentialsOf t with
                                            Certificate = Some source
                                        }
                            }

                    Expect.equal client.ClientId (Some t.ClientId) "temporary client id"
            }
        ]

let private environmentTests =
    testList
        "environment"
        [
            test "optionsFromEnvironment reads the four variables" {
                let t = temporary ()
                let certificate = Certificate.encode t.Certificate

                let options =
                    Options.optionsFromEnvironment
                        (envOf
                            [
                                "TASKCLUSTER_ROOT_URL", rootUrl
                                "TASKCLUSTER_CLIENT_ID", t.ClientId
                                "TASKCLUSTER_ACCESS_TOKEN", t.AccessToken
                                "TASKCLUSTER_CERTIFICATE", certificate
                            ])
                        Options.defaults

                Expect.equal options.RootUrl rootUrl "root URL"
                let c = options.Credentials |> Option.get
                Expect.equal c.ClientId t.ClientId "client id"
                Expect.equal c.AccessToken t.AccessToken "access token"

                match c.Certificate with
                | Some(CertificateSource.Text text) -> Expect.equal text certificate "certificate text"
                | other -> failtestf "certificate %A" other

                let client = createClient options
                Expect.equal client.ClientId (Some t.ClientId) "valid"
            }

            test "an empty environment leaves the options as they were" {
                let given = Options.create rootUrl |> Options.withCredentials "mine" "token"

                let options =
                    Options.optionsFromEnvironment
                        (envOf [ "TASKCLUSTER_ROOT_URL", ""; "TASKCLUSTER_CLIENT_ID", "" ])
                        given

                Expect.equal options.RootUrl rootUrl "root URL kept"
                Expect.equal (options.Credentials |> Option.map _.ClientId) (Some "mine") "credentials kept"
            }

            test "half a pair in the environment is named by validation" {
                let options =
                    Options.optionsFromEnvironment
                        (envOf [ "TASKCLUSTER_ROOT_URL", rootUrl; "TASKCLUSTER_CLIENT_ID", clientId ])
                        Options.defaults

                expectOptionsError "credentials.accessToken" options |> ignore
            }

            test "no root URL in the environment is named by validation" {
                let options = Options.optionsFromEnvironment (envOf []) Options.defaults
                expectOptionsError "rootUrl" options |> ignore
            }

            test "the proxy defaults to http://taskcluster and drops credentials" {
                let options =
                    Options.proxy (envOf []) (Options.create rootUrl |> Options.withCredentials clientId accessToken)

                Expect.equal options.RootUrl "http://taskcluster" "default proxy URL"
                Expect.isNone options.Credentials "the proxy signs, not us"
                let client = createClient options
                Expect.equal client.RootUrl.Value "http://taskcluster" "valid root URL"
            }

            test "the proxy URL comes from TASKCLUSTER_PROXY_URL" {
                let options =
                    Options.proxy (envOf [ "TASKCLUSTER_PROXY_URL", "http://localhost:8080" ]) Options.defaults

                Expect.equal options.RootUrl "http://localhost:8080" "proxy URL"
            }

            test "DEBUG_TASKCLUSTER_CLIENT turns on console output only when no logger is given" {
                let mine = CapturingLogger()
                let debugOn = envOf [ "DEBUG_TASKCLUSTER_CLIENT", "1" ]
                Expect.isTrue (Log.resolve None debugOn :? ConsoleLogger) "console when set"
                Expect.isTrue (Log.resolve None (envOf []) :? NullLogger) "nothing when unset"

                Expect.isTrue (obj.ReferenceEquals(Log.resolve (Some mine) debugOn, mine)) "the caller's logger wins"
            }
        ]

let private secretTests =
    testList
        "secrets stay out of text"
        [
            testPropertyWithConfig
                { FsCheckConfig.defaultConfig with
                    maxTest = 200
                }
                "ToString and %A of credentials, options and clients never show the token"
            <| Prop.forAll (Arb.fromGen (Gen.zip Requests.clientId Requests.accessToken)) (fun (id, token) ->
                let token = "tok" + token // never a substring of the surrounding text by chance
                let options = Options.create rootUrl |> Options.withCredentials id token

                let texts =
                    [ string options; sprintf "%A" options; sprintf "%A" options.Credentials ]

                let texts =
                    match Client.create options with
                    | Ok client -> string client :: sprintf "%A" client :: texts
                    | Error e -> e.Describe() :: sprintf "%A" e :: texts

                texts |> List.forall (fun t -> not (t.Contains token)))
        ]

let tests =
    testList
        "Options"
        [
            defaultsTests
            validationTests
            certificateTests
            environmentTests
            secretTests
        ]
