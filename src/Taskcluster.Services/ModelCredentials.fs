namespace Taskcluster.Services

open Taskcluster.Core
open Taskcluster.Client
open Taskcluster.Models

[<RequireQualifiedAccess>]
module ModelCredentials =

    // The certificate is kept as the service's text (its signature covers that text's content,
    // and re-encoding is not needed); it is only decoded to refuse one that cannot be used.
    let private withCertificate clientId accessToken (certificate: string option) =
        match certificate with
        | None ->
            Ok
                {
                    Credentials.ClientId = clientId
                    AccessToken = accessToken
                    Certificate = None
                }
        | Some text ->
            Certificate.decode text
            |> Result.map (fun _ ->
                {
                    Credentials.ClientId = clientId
                    AccessToken = accessToken
                    Certificate = Some(CertificateSource.Text text)
                })

    let ofClaim (credentials: TaskCredentials) =
        withCertificate credentials.ClientId credentials.AccessToken (Some credentials.Certificate)

    let ofObject (credentials: ObjectCredentials) =
        withCertificate credentials.ClientId credentials.AccessToken (Some credentials.Certificate)

    let ofClient (client: CreateClientResponse) =
        {
            Credentials.ClientId = client.ClientId
            AccessToken = client.AccessToken
            Certificate = None
        }

    let ofWorker (credentials: RegisterWorkerResponseCredentials) =
        withCertificate credentials.ClientId credentials.AccessToken credentials.Certificate

    let ofReregisteredWorker (credentials: ReregisterWorkerResponseCredentials) =
        withCertificate credentials.ClientId credentials.AccessToken credentials.Certificate
