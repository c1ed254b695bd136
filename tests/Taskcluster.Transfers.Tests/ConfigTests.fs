/// The helper: configuration from arguments and environment, service clients, loadSecrets.
module Taskcluster.Transfers.Tests.ConfigTests

open System
open System.Text.Json
open System.Threading
open System.Threading.Tasks
open Expecto
open Taskcluster.Core
open Taskcluster.Client
open Taskcluster.Transfers.Tests.Support

let private none = CancellationToken.None

let private envOf (pairs: (string * string) list) =
    let map = Map.ofList pairs
    fun name -> map.TryFind name

let private rootUrl = "https://tc.example.com"
let private token = "SECRETtokenSECRETtokenSECRETtokenSECRETtok44"

let private config (rootArgument: string option) (env: (string * string) list) =
    match TaskclusterConfig.create rootArgument (envOf env) with
    | Ok c -> c
    | Error e -> failtestf "create: %s" (e.Describe())

let private element (json: string) =
    JsonDocument.Parse(json).RootElement.Clone()

let private secretsOf (answer: Result<Map<string, JsonElement>, ConfigError>) =
    match answer with
    | Ok map -> map |> Map.map (fun _ v -> v.GetRawText())
    | Error e -> failtestf "loadSecrets: %s" (e.Describe())

/// A secrets API that must not be called.
let private unused =
    {
        Get = fun _ _ -> failtest "the secrets service was called"
    }

let private configTests =
    testList
        "TaskclusterConfig"
        [
            testCase "the root URL comes from the argument, then TASKCLUSTER_ROOT_URL"
            <| fun () ->
                let env = [ "TASKCLUSTER_ROOT_URL", "https://env.example.com" ]
                Expect.equal (config (Some rootUrl) env).RootUrl rootUrl "the argument wins"
                Expect.equal (config None env).RootUrl "https://env.example.com" "the environment"

                match TaskclusterConfig.create None (envOf []) with
                | Error(ConfigError.InvalidOptions OptionsError.MissingRootUrl) -> ()
                | other -> failtestf "expected MissingRootUrl, got %A" other

                match TaskclusterConfig.create (Some "not a url") (envOf []) with
                | Error(ConfigError.InvalidOptions(OptionsError.InvalidRootUrl _)) -> ()
                | other -> failtestf "expected InvalidRootUrl, got %A" other

            testCase "auth takes explicit credentials, then the environment's, then the proxy in a task, then none"
            <| fun () ->
                let envCredentials =
                    [ "TASKCLUSTER_CLIENT_ID", "from-env"; "TASKCLUSTER_ACCESS_TOKEN", token ]

                let inTask = [ "TASK_ID", "abc" ]
                let everything = envCredentials @ inTask

                let explicit =
                    config (Some rootUrl) everything
                    |> TaskclusterConfig.auth
                        (Some
                            {
                                ClientId = "given"
                                AccessToken = token
                                Certificate = None
                            })
                        (envOf everything)

                Expect.equal explicit.Auth AuthSource.Explicit "explicit"
                Expect.equal explicit.Options.Credentials.Value.ClientId "given" "the given id"
                Expect.equal explicit.Options.RootUrl rootUrl "the deployment"
                let fromEnv = config (Some rootUrl) everything
                Expect.equal fromEnv.Auth AuthSource.Environment "environment"
                Expect.equal fromEnv.Options.Credentials.Value.ClientId "from-env" "the environment's id"
                Expect.equal fromEnv.Options.RootUrl rootUrl "the argument's root URL"
                let proxied = config (Some rootUrl) inTask
                Expect.equal proxied.Auth (AuthSource.Proxy "http://taskcluster") "the default proxy"
                Expect.equal proxied.Options.RootUrl "http://taskcluster" "requests go to the proxy"
                Expect.equal proxied.RootUrl rootUrl "the deployment is remembered"
                Expect.isNone proxied.Options.Credentials "the proxy signs"

                let customProxy =
                    config (Some rootUrl) [ "TASKCLUSTER_PROXY_URL", "http://localhost:8080" ]

                Expect.equal customProxy.Auth (AuthSource.Proxy "http://localhost:8080") "the proxy URL"
                let halfPair = config (Some rootUrl) [ "TASKCLUSTER_CLIENT_ID", "alone" ]
                Expect.equal halfPair.Auth AuthSource.Anonymous "half a pair is no credentials"
                let anonymous = config (Some rootUrl) []
                Expect.equal anonymous.Auth AuthSource.Anonymous "none"
                Expect.equal anonymous.Options.MaxRetries TaskclusterConfig.DefaultMaxRetries "12 retries"

            testCase "credentials never show in ToString or %A"
            <| fun () ->
                let c =
                    config (Some rootUrl) [ "TASKCLUSTER_CLIENT_ID", "id"; "TASKCLUSTER_ACCESS_TOKEN", token ]

                Expect.isFalse ((string c).Contains token) "ToString"
                Expect.isFalse ((sprintf "%A" c).Contains token) "%A"

            testCase "getService finds services by name or class name, ignoring case"
            <| fun () ->
                let c = config (Some rootUrl) []

                for name in [ "queue"; "Queue"; "worker-manager"; "WorkerManager"; "workermanager" ] do
                    match TaskclusterConfig.getServiceByName (references.Force()) name c with
                    | Ok service ->
                        Expect.equal
                            (service.Reference.ServiceName.Replace("-", ""))
                            (name.ToLowerInvariant().Replace("-", ""))
                            name

                        Expect.equal (string service.Client.RootUrl) rootUrl "configured"
                    | Error e -> failtestf "%s: %s" name (e.Describe())

                match TaskclusterConfig.getServiceByName (references.Force()) "nothing" c with
                | Error(ConfigError.UnknownService "nothing") -> ()
                | other -> failtestf "expected UnknownService, got %A" other

            testCase "a service client from the configuration calls the deployment"
            <| fun () ->
                let e = emulator.Force()

                let c =
                    config
                        (Some e.RootUrl)
                        [
                            "TASKCLUSTER_CLIENT_ID", e.ClientId
                            "TASKCLUSTER_ACCESS_TOKEN", e.AccessToken
                        ]

                match TaskclusterConfig.getService (api "auth") c with
                | Ok service ->
                    let answer =
                        Client.callByName service.Client service.Reference "currentScopes" [] [] Payload.Empty none
                        |> run

                    match answer with
                    | Ok scopes -> Expect.equal (scopes.GetProperty("scopes").[0].GetString()) "*" "root's scopes"
                    | Error err -> failtest (err.Describe())
                | Error err -> failtest (err.Describe())
        ]

let private secretTests =
    testList
        "loadSecrets"
        [
            testCase "reads a secret from the service and merges prefixes over what exists"
            <| fun () ->
                let e = emulator.Force()

                let c =
                    config
                        (Some e.RootUrl)
                        [
                            "TASKCLUSTER_CLIENT_ID", e.ClientId
                            "TASKCLUSTER_ACCESS_TOKEN", e.AccessToken
                        ]

                let name = $"project/transfers/{slugId ()}"
                let secretsClient = clientWith e id

                let set =
                    Client.callByName
                        secretsClient
                        (secretsReference.Force())
                        "set"
                        [ name ]
                        []
                        (Payload.Text(
                            "{\"expires\":\""
                            + FromNow.format (expires ())
                            + "\",\"secret\":{\"common\":{\"a\":1,\"b\":2},\"prod\":{\"b\":3,\"c\":[4]},\"top\":\"t\"}}"
                        ))
                        none
                    |> run

                Expect.isOk set "secrets.set"

                let load prefixes required existing =
                    TaskclusterConfig.loadSecrets (Some name) prefixes required existing None c none
                    |> run

                Expect.equal
                    (load
                        [ "common"; "prod"; "absent" ]
                        [ "a"; "c" ]
                        (Map.ofList [ "a", element "0"; "z", element "true" ])
                     |> secretsOf)
                    (Map.ofList [ "a", "1"; "b", "3"; "c", "[4]"; "z", "true" ])
                    "later prefixes win, existing keys stay under"

                Expect.equal
                    (load [] [] Map.empty |> secretsOf |> Map.keys |> List.ofSeq)
                    [ "common"; "prod"; "top" ]
                    "without prefixes, the whole secret"

                match load [ "common" ] [ "a"; "missing"; "other" ] Map.empty with
                | Error(ConfigError.MissingSecrets keys as error) ->
                    Expect.equal keys [ "missing"; "other" ] "every missing key"
                    Expect.stringContains (error.Describe()) "'missing'" "named"
                | other -> failtestf "expected MissingSecrets, got %A" other

                match load [ "top" ] [] Map.empty with
                | Error(ConfigError.NotAnObject(_, JsonValueKind.String)) -> ()
                | other -> failtestf "expected NotAnObject, got %A" other

            testCase "local secrets replace the service; a missing secret is the service's 404"
            <| fun () ->
                let local = Map.ofList [ "dev", element """{"key":"local"}""" ]

                Expect.equal
                    (Secrets.loadSecrets unused None [ "dev" ] [ "key" ] Map.empty (Some local) none
                     |> run
                     |> secretsOf)
                    (Map.ofList [ "key", "\"local\"" ])
                    "from the local dictionary"

                match Secrets.loadSecrets unused None [] [] Map.empty None none |> run with
                | Error ConfigError.MissingSecretName -> ()
                | other -> failtestf "expected MissingSecretName, got %A" other

                let secrets = SecretsApi.ofService (Taskcluster.Services.Secrets(client.Force()))

                match
                    Secrets.loadSecrets secrets (Some $"absent/{slugId ()}") [] [] Map.empty None none
                    |> run
                with
                | Error(ConfigError.Request error) -> Expect.equal error.Status (Some 404) "404"
                | other -> failtestf "expected a 404, got %A" other
        ]

let tests = testList "Config" [ configTests; secretTests ]
