namespace Taskcluster.Core

open System
open Taskcluster.Core.HawkCanonical

// The public surface of Hawk: its types, and each function a thin composition of the parts
// (HawkCanonical, HawkMac, HawkSigning, HawkVerification), which work on internal structs so
// that signing a URI copies nothing.
[<RequireQualifiedAccess>]
module Hawk =
    [<Sealed>]
    type Credentials internal (clientId: string, accessToken: string) =
        let key = Text.utf8.GetBytes accessToken
        member _.ClientId = clientId
        member _.AccessToken = accessToken
        member internal _.Key = key

        override _.ToString() =
            $"Credentials(clientId={clientId}, accessToken=***)"

    type Header =
        {
            Id: string
            Timestamp: int64
            Nonce: string
            Hash: string option
            Ext: string option
            Mac: string
            App: string option
            Dlg: string option
        }

    type Bewit =
        {
            Id: string
            Expiry: int64
            Mac: string
            Ext: string option
        }

    type Request =
        {
            Method: string
            Resource: string
            Host: string
            Port: int
        }

    let defaultSkewSeconds = 15L * 60L

    let credentials (clientId: string) (accessToken: string) =
        if not (isHawkValue clientId) then
            Error(HawkError.InvalidClientId clientId)
        elif String.IsNullOrEmpty accessToken then
            Error HawkError.EmptyAccessToken
        else
            Ok(Credentials(clientId, accessToken))

    let request (method: string) (uri: string) =
        if String.IsNullOrEmpty method || not (forall isTokenChar (method.AsSpan())) then
            Error(HawkError.InvalidValue("method", method))
        else
            match parseTarget uri with
            | Error e -> Error e
            | Ok t ->
                Ok
                    {
                        Method = method.ToUpperInvariant()
                        Resource = (if t.RootSlash then "/" else "") + t.Resource.ToString()
                        Host =
                            (if isNull t.Rewritten then
                                 t.Host.ToString().ToLowerInvariant()
                             else
                                 t.Rewritten)
                        Port = t.Port
                    }

    let normalized method uri timestamp nonce ext payloadHash =
        HawkSigning.normalized method uri timestamp nonce ext payloadHash

    let header (credentials: Credentials) method uri timestamp nonce ext payloadHash =
        HawkSigning.header credentials.ClientId credentials.Key method uri timestamp nonce ext payloadHash

    let bewit (credentials: Credentials) uri expiry ext =
        HawkSigning.bewit credentials.ClientId credentials.Key uri expiry ext

    let signUrl (credentials: Credentials) uri expiry ext =
        HawkSigning.signUrl credentials.ClientId credentials.Key uri expiry ext

    let parseHeader (header: string) =
        HawkVerification.parseHeader header
        |> Result.map (fun parts ->
            {
                Header.Id = parts.Id
                Timestamp = parts.Timestamp
                Nonce = parts.Nonce
                Hash = Option.ofObj parts.Hash
                Ext = Option.ofObj parts.Ext
                Mac = parts.Mac
                App = Option.ofObj parts.App
                Dlg = Option.ofObj parts.Dlg
            })

    let parseBewit (url: string) =
        HawkVerification.parseBewit url
        |> Result.map (fun (parts, rest) ->
            {
                Bewit.Id = parts.Id
                Expiry = parts.Expiry
                Mac = parts.Mac
                Ext = Option.ofObj parts.Ext
            },
            rest)

    let private received (request: Request) =
        struct (request.Method, request.Resource, request.Host, request.Port)

    let verifyHeader (header: Header) (request: Request) accessToken payloadHash now skewSeconds =
        let parts: HawkVerification.HeaderParts =
            {
                Id = header.Id
                Timestamp = header.Timestamp
                Nonce = header.Nonce
                Hash = Option.toObj header.Hash
                Ext = Option.toObj header.Ext
                Mac = header.Mac
                App = Option.toObj header.App
                Dlg = Option.toObj header.Dlg
            }

        HawkVerification.verifyHeader parts (received request) accessToken payloadHash now skewSeconds

    let verifyBewit (bewit: Bewit) (request: Request) accessToken now =
        let parts: HawkVerification.BewitParts =
            {
                Id = bewit.Id
                Expiry = bewit.Expiry
                Mac = bewit.Mac
                Ext = Option.toObj bewit.Ext
            }

        HawkVerification.verifyBewit parts (received request) accessToken now

    let payloadHash (contentType: string) (payload: byte array) =
        HawkCanonical.payloadHash contentType payload
