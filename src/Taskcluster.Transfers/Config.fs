namespace Taskcluster.Client

open System
open System.Text.Json
open System.Threading
open System.Threading.Tasks
open Taskcluster.Core

[<NoEquality; NoComparison>]
type SecretsApi =
    {
        Get: string -> CancellationToken -> Task<Result<JsonElement, TaskclusterError>>
    }

[<RequireQualifiedAccess>]
module SecretsApi =
    let ofService (secrets: Taskcluster.Services.Secrets) =
        {
            Get = fun name cancellationToken -> secrets.Get(name, cancellationToken)
        }

[<RequireQualifiedAccess>]
type AuthSource =
    | Explicit
    | Environment
    | Proxy of url: string
    | Anonymous

[<RequireQualifiedAccess>]
[<StructuredFormatDisplay("{Display}")>]
type ConfigError =
    | InvalidOptions of OptionsError
    | UnknownService of name: string
    | Request of TaskclusterError
    | MissingSecretName
    | NotAnObject of what: string * kind: JsonValueKind
    | MissingSecrets of keys: string list
    | UnreadableKey of what: string

    member this.Describe() =
        let text =
            match this with
            | InvalidOptions e -> e.Describe()
            | UnknownService name -> $"no Taskcluster service is named {Display.quote name}"
            | Request e -> e.Describe()
            | MissingSecretName -> "a secret name is needed when no local secrets are given"
            | NotAnObject(what, kind) -> $"{what} is not a JSON object but {kind}"
            | MissingSecrets keys ->
                let names = keys |> List.map Display.quote |> String.concat ", "
                $"missing required secrets: {names}"
            | UnreadableKey what -> $"a key of {what} is not valid Unicode"

        Redact.text text

    member this.Display = this.Describe()
    override this.ToString() = this.Describe()

[<NoEquality; NoComparison>]
[<StructuredFormatDisplay("{Display}")>]
type TaskclusterConfig =
    {
        RootUrl: string
        Auth: AuthSource
        Options: ClientOptions
    }

    member this.Display =
        $"TaskclusterConfig(RootUrl={this.RootUrl}, Auth=%A{this.Auth}, Options={this.Options.Display})"

    override this.ToString() = this.Display

[<NoEquality; NoComparison>]
type ServiceClient =
    {
        Client: TaskclusterClient
        Reference: ApiReference
    }

[<RequireQualifiedAccess>]
module Secrets =
    // Member names are read through Decode, which gives an error where reading a name that is
    // not Unicode (an escaped lone surrogate) would throw.
    let private members (what: string) (element: JsonElement) =
        Decode.fromElement (Decode.keyValuePairs (fun _ value -> Ok value)) element
        |> Result.mapError (fun _ -> ConfigError.UnreadableKey what)

    let private asObject (what: string) (element: JsonElement) =
        if element.ValueKind = JsonValueKind.Object then
            members what element
        else
            Error(ConfigError.NotAnObject(what, element.ValueKind))

    /// What the service holds under the secret's `secret` member (nothing when it has none).
    let private secretOf (name: string) (answer: JsonElement) =
        let what = $"the answer for secret {Display.quote name}"

        if answer.ValueKind <> JsonValueKind.Object then
            Error(ConfigError.NotAnObject(what, answer.ValueKind))
        else
            // The last of repeated members wins, as with TryGetProperty.
            members what answer
            |> Result.bind (fun found ->
                match List.tryFindBack (fun (k, _) -> k = "secret") found with
                | Some(_, secret) -> asObject $"secret {Display.quote name}" secret
                | None -> Ok [])

    let private merge (into: Map<string, JsonElement>) (members: (string * JsonElement) list) =
        members |> List.fold (fun (acc: Map<_, _>) (k, v) -> acc.Add(k, v)) into

    let loadSecrets
        (secrets: SecretsApi)
        (name: string option)
        (prefixes: string list)
        (required: string list)
        (existing: Map<string, JsonElement>)
        (localSecrets: Map<string, JsonElement> option)
        (cancellationToken: CancellationToken)
        =
        task {
            let! all =
                match localSecrets, name with
                | Some local, _ -> Task.FromResult(Ok(Map.toList local))
                | None, Some name when not (String.IsNullOrEmpty name) ->
                    task {
                        let! answer = secrets.Get name cancellationToken

                        return answer |> Result.mapError ConfigError.Request |> Result.bind (secretOf name)
                    }
                | None, _ -> Task.FromResult(Error ConfigError.MissingSecretName)

            return
                all
                |> Result.bind (fun all ->
                    let merged =
                        match prefixes with
                        | [] -> Ok(merge existing all)
                        | _ ->
                            let sections = Map.ofList all

                            (Ok existing, prefixes)
                            ||> List.fold (fun acc prefix ->
                                acc
                                |> Result.bind (fun acc ->
                                    match sections.TryFind prefix with
                                    | None -> Ok acc
                                    | Some section ->
                                        asObject $"the section {Display.quote prefix}" section
                                        |> Result.map (merge acc)))

                    merged
                    |> Result.bind (fun merged ->
                        match required |> List.filter (fun key -> not (merged.ContainsKey key)) with
                        | [] -> Ok merged
                        | missing -> Error(ConfigError.MissingSecrets missing)))
        }

[<RequireQualifiedAccess>]
module TaskclusterConfig =
    [<Literal>]
    let TaskIdVariable = "TASK_ID"

    [<Literal>]
    let DefaultMaxRetries = 12

    let private read (getEnv: string -> string option) name =
        getEnv name |> Option.filter (fun v -> not (String.IsNullOrEmpty v))

    let auth (credentials: Credentials option) (getEnv: string -> string option) (config: TaskclusterConfig) =
        let withRoot =
            { Options.defaults with
                RootUrl = config.RootUrl
                MaxRetries = DefaultMaxRetries
            }

        let fromEnvironment () =
            match read getEnv Options.ClientIdVariable, read getEnv Options.AccessTokenVariable with
            | Some _, Some _ ->
                let options = Options.optionsFromEnvironment (read getEnv) withRoot
                // The root URL stays the configuration's, which may have come from the argument.
                Some
                    { options with
                        RootUrl = config.RootUrl
                    }
            | _ -> None

        let inTask =
            (read getEnv TaskIdVariable).IsSome
            || (read getEnv Options.ProxyUrlVariable).IsSome

        match credentials with
        | Some given ->
            { config with
                Auth = AuthSource.Explicit
                Options =
                    { withRoot with
                        Credentials = Some given
                    }
            }
        | None ->
            match fromEnvironment () with
            | Some options ->
                { config with
                    Auth = AuthSource.Environment
                    Options = options
                }
            | None when inTask ->
                let options = Options.proxy (read getEnv) withRoot

                { config with
                    Auth = AuthSource.Proxy options.RootUrl
                    Options = options
                }
            | None ->
                { config with
                    Auth = AuthSource.Anonymous
                    Options = withRoot
                }

    let create (rootUrl: string option) (getEnv: string -> string option) =
        match rootUrl |> Option.filter (fun u -> not (String.IsNullOrWhiteSpace u)) with
        | Some url -> Some url
        | None -> read getEnv Options.RootUrlVariable
        |> function
            | None -> Error(ConfigError.InvalidOptions OptionsError.MissingRootUrl)
            | Some url ->
                match RootUrl.parse url with
                | Error e -> Error(ConfigError.InvalidOptions(OptionsError.InvalidRootUrl e))
                | Ok parsed ->
                    Ok(
                        auth
                            None
                            getEnv
                            {
                                RootUrl = parsed.Value
                                Auth = AuthSource.Anonymous
                                Options = Options.defaults
                            }
                    )

    let fromEnvironment rootUrl =
        create rootUrl Options.processEnvironment

    let client (config: TaskclusterConfig) =
        Client.create config.Options |> Result.mapError ConfigError.InvalidOptions

    let getService (reference: ApiReference) (config: TaskclusterConfig) =
        client config
        |> Result.map (fun client ->
            {
                Client = client
                Reference = reference
            })

    let getServiceByName (references: References) (name: string) (config: TaskclusterConfig) =
        let matches (reference: ApiReference) =
            not (isNull name)
            && (String.Equals(reference.ServiceName, name, StringComparison.OrdinalIgnoreCase)
                || String.Equals(reference.ClassName, name, StringComparison.OrdinalIgnoreCase))

        match references.Apis |> List.tryFind matches with
        | Some reference -> getService reference config
        | None -> Error(ConfigError.UnknownService name)

    let loadSecrets name prefixes required existing localSecrets config cancellationToken =
        match client config with
        | Error e -> Task.FromResult(Error e)
        | Ok client ->
            Secrets.loadSecrets
                (SecretsApi.ofService (Taskcluster.Services.Secrets client))
                name
                prefixes
                required
                existing
                localSecrets
                cancellationToken
