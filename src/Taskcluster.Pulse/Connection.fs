namespace Taskcluster.Pulse

open System

[<RequireQualifiedAccess>]
type PulseConnectionError =
    | MissingSetting of name: string
    | InvalidUrl of url: string * reason: string
    | UnsupportedScheme of scheme: string
    | InvalidPort of port: string

    member this.Describe() =
        match this with
        | MissingSetting name -> $"the Pulse setting {name} is missing or empty"
        | InvalidUrl(url, reason) -> $"the AMQP URL '{url}' cannot be used: {reason}"
        | UnsupportedScheme scheme -> $"the AMQP URL scheme '{scheme}' is not amqp or amqps"
        | InvalidPort port -> $"the port '{port}' is not a number from 1 to 65535"

[<Sealed>]
type PulseConnection
    internal (hostname: string, port: int, username: string, password: string, virtualHost: string, useTls: bool) =
    member _.Hostname = hostname
    member _.Port = port
    member _.Username = username
    member _.Password = password
    member _.VirtualHost = virtualHost
    member _.UseTls = useTls

    override _.ToString() =
        let scheme = if useTls then "amqps" else "amqp"
        $"{scheme}://{Uri.EscapeDataString username}@{hostname}:{port}/{Uri.EscapeDataString virtualHost}"

[<RequireQualifiedAccess>]
module PulseConnection =
    let private required (name: string) (value: string) =
        if String.IsNullOrEmpty value then
            Error(PulseConnectionError.MissingSetting name)
        else
            Ok value

    let create hostname username password virtualHost useTls =
        match required "hostname" hostname, required "username" username, required "password" password with
        | Error e, _, _
        | _, Error e, _
        | _, _, Error e -> Error e
        | Ok h, Ok u, Ok p ->
            let vhost =
                if String.IsNullOrEmpty virtualHost then
                    "/"
                else
                    virtualHost

            Ok(PulseConnection(h, (if useTls then 5671 else 5672), u, p, vhost, useTls))

    let withPort port (connection: PulseConnection) =
        let c = connection

        if port < 1 || port > 65535 then
            Error(PulseConnectionError.InvalidPort(string port))
        else
            Ok(PulseConnection(c.Hostname, port, c.Username, c.Password, c.VirtualHost, c.UseTls))

    /// The URL with any user information removed, for error messages.
    let private redact (url: string) =
        let at = url.LastIndexOf '@'
        let scheme = url.IndexOf "://"

        if at > 0 && scheme >= 0 && at > scheme then
            url.Substring(0, scheme + 3) + "***@" + url.Substring(at + 1)
        else
            url

    let parseUrl (url: string) =
        if String.IsNullOrWhiteSpace url then
            Error(PulseConnectionError.MissingSetting "url")
        else
            match Uri.TryCreate(url, UriKind.Absolute) with
            | false, _ -> Error(PulseConnectionError.InvalidUrl(redact url, "not an absolute URL"))
            | true, uri ->
                let tls =
                    match uri.Scheme with
                    | "amqp" -> Ok false
                    | "amqps" -> Ok true
                    | s -> Error(PulseConnectionError.UnsupportedScheme s)

                match tls with
                | Error e -> Error e
                | Ok tls ->
                    let user, password =
                        match uri.UserInfo.Split(':', 2) with
                        | [| u; p |] -> Uri.UnescapeDataString u, Uri.UnescapeDataString p
                        | [| u |] -> Uri.UnescapeDataString u, ""
                        | _ -> "", ""

                    let path = uri.AbsolutePath.TrimStart('/')

                    if path.Contains '/' then
                        Error(
                            PulseConnectionError.InvalidUrl(
                                redact url,
                                "the virtual host must be one path segment (%2F for '/')"
                            )
                        )
                    elif user = "" then
                        Error(PulseConnectionError.InvalidUrl(redact url, "no user name"))
                    elif password = "" then
                        Error(PulseConnectionError.InvalidUrl(redact url, "no password"))
                    else
                        let vhost = if path = "" then "/" else Uri.UnescapeDataString path

                        match create uri.Host user password vhost tls with
                        | Error e -> Error e
                        | Ok c when uri.IsDefaultPort || uri.Port < 0 -> Ok c
                        | Ok c -> withPort uri.Port c

    let fromEnvironmentWith (getEnv: string -> string option) =
        let get name =
            getEnv name |> Option.filter (String.IsNullOrEmpty >> not)

        match get "PULSE_URL" with
        | Some url -> parseUrl url
        | None ->
            let need name =
                get name
                |> Option.map Ok
                |> Option.defaultValue (Error(PulseConnectionError.MissingSetting name))

            match need "PULSE_HOSTNAME", need "PULSE_USERNAME", need "PULSE_PASSWORD" with
            | Error e, _, _
            | _, Error e, _
            | _, _, Error e -> Error e
            | Ok h, Ok u, Ok p ->
                let vhost = get "PULSE_VHOST" |> Option.defaultValue "/"

                match create h u p vhost true, get "PULSE_PORT" with
                | Error e, _ -> Error e
                | Ok c, None -> Ok c
                | Ok c, Some port ->
                    match Int32.TryParse port with
                    | true, n -> withPort n c
                    | _ -> Error(PulseConnectionError.InvalidPort port)

    let fromEnvironment () =
        fromEnvironmentWith (Environment.GetEnvironmentVariable >> Option.ofObj)
