namespace Taskcluster.Client

open System
open System.Collections.Concurrent
open System.Security.Cryptography
open Taskcluster.Core

[<RequireQualifiedAccess>]
module Helpers =
    let slugId () =
        let random = Array.zeroCreate<byte> 16
        RandomNumberGenerator.Fill(Span random)

        match SlugId.nice (ReadOnlySpan random) with
        | Ok id -> id
        // 16 bytes always make a slugId.
        | Error e -> invalidOp (e.Describe())

    let stableSlugId () =
        let ids = ConcurrentDictionary<string, SlugId>(StringComparer.Ordinal)
        // GetOrAdd may run the factory twice under a race, but only one value is ever stored and
        // returned, so every caller sees the same id for a name.
        fun (name: string) -> ids.GetOrAdd(name, fun _ -> slugId ())

    let createTemporaryCredentials
        (issuer: Credentials)
        (start: DateTimeOffset)
        (expiry: DateTimeOffset)
        (scopes: string list)
        (name: string option)
        =
        let seed = (slugId ()).Value + (slugId ()).Value

        Certificate.createTemporaryCredentials
            (issuer.ClientId |> Option.ofObj |> Option.defaultValue "")
            (issuer.AccessToken |> Option.ofObj |> Option.defaultValue "")
            issuer.Certificate.IsSome
            (start.ToUnixTimeMilliseconds())
            (expiry.ToUnixTimeMilliseconds())
            scopes
            name
            seed

    let createTemporaryCredentialsFor (timeProvider: TimeProvider) issuer (lifetime: TimeSpan) scopes name =
        let now = timeProvider.GetUtcNow()
        createTemporaryCredentials issuer now (now + lifetime) scopes name

    let credentialsOf (temporary: TemporaryCredentials) : Credentials =
        {
            ClientId = temporary.ClientId
            AccessToken = temporary.AccessToken
            Certificate = Some(CertificateSource.Value temporary.Certificate)
        }
