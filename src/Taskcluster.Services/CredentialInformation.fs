namespace Taskcluster.Services

open System
open System.Threading
open System.Threading.Tasks
open Taskcluster.Core
open Taskcluster.Client

[<RequireQualifiedAccess>]
type CredentialType =
    | Permanent
    | Temporary

type CredentialInformation =
    {
        ClientId: string
        Type: CredentialType
        Active: bool
        Start: DateTimeOffset option
        Expiry: DateTimeOffset
        Scopes: string list
    }

[<RequireQualifiedAccess>]
module CredentialInformation =
    // `Client.create` has already decoded the certificate, so decoding cannot fail here; a
    // failure is read as no certificate dates rather than thrown.
    let private certificate (source: CertificateSource) =
        match source with
        | CertificateSource.Value c -> Some c
        | CertificateSource.Text json -> Certificate.decode json |> Result.toOption
        | CertificateSource.Element json -> Certificate.decode (json.GetRawText()) |> Result.toOption

    let get (client: TaskclusterClient) (cancellationToken: CancellationToken) =
        task {
            match client.Options.Credentials with
            | None -> return Error(TaskclusterError.InvalidRequest("auth.currentScopes", RequestError.NoCredentials))
            | Some credentials ->
                let cert = credentials.Certificate |> Option.bind certificate

                let issuer =
                    cert
                    |> Option.map (fun c -> Certificate.issuingClientId c credentials.ClientId)
                    |> Option.defaultValue credentials.ClientId

                // Asked anonymously first, the client lookup answers even when the credentials
                // themselves have expired.
                let anonymous =
                    client
                    |> Client.withOptions (fun o ->
                        { o with
                            Credentials = None
                            AuthorizedScopes = None
                        })
                    |> Result.defaultValue client

                // `auth.client` needs `auth:get-client:<clientId>`: deployments usually grant it
                // to anyone, else the credentials themselves may hold it.
                let lookup =
                    task {
                        match! Auth(anonymous).Typed.Client(issuer, cancellationToken) with
                        | Error(TaskclusterError.InsufficientScopes _) ->
                            return! Auth(client).Typed.Client(issuer, cancellationToken)
                        | answer -> return answer
                    }

                let scopes = Auth(client).Typed.CurrentScopes(cancellationToken)
                let! lookup = lookup
                let! scopes = scopes

                match lookup, scopes with
                | Error e, _
                | _, Error e -> return Error e
                | Ok found, Ok granted ->
                    let ofMs (ms: int64) =
                        DateTimeOffset.FromUnixTimeMilliseconds ms

                    let expiry =
                        match cert with
                        | Some c when ofMs c.Expiry < found.Expires -> ofMs c.Expiry
                        | _ -> found.Expires

                    return
                        Ok
                            {
                                ClientId = credentials.ClientId
                                Type =
                                    if credentials.Certificate.IsSome then
                                        CredentialType.Temporary
                                    else
                                        CredentialType.Permanent
                                Active = not found.Disabled
                                Start = cert |> Option.map (fun c -> ofMs c.Start)
                                Expiry = expiry
                                Scopes = granted.Scopes
                            }
        }
