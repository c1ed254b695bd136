namespace Taskcluster.Client

open System
open Taskcluster.Core

/// The official clients' helpers that need randomness or a clock, which the pure core takes
/// as arguments.
[<RequireQualifiedAccess>]
module Helpers =
    /// `slugId`: a new nice slugId (v4, never starting with `-`) from cryptographic randomness.
    val slugId: unit -> SlugId

    /// `stableSlugId`: a function that gives a fresh slugId for each new name and the same one
    /// every time the name comes again (thread-safe), e.g. to refer to tasks of one task graph
    /// by name.
    val stableSlugId: unit -> (string -> SlugId)

    /// `createTemporaryCredentials`: temporary credentials valid from `start` to `expiry`
    /// (at most 31 days) for `scopes`, optionally named `name`, issued by permanent credentials;
    /// the seed is two fresh slugIds. Temporary credentials cannot issue others.
    val createTemporaryCredentials:
        issuer: Credentials ->
        start: DateTimeOffset ->
        expiry: DateTimeOffset ->
        scopes: string list ->
        name: string option ->
            Result<TemporaryCredentials, CertificateError>

    /// `createTemporaryCredentials` valid from now (read from `timeProvider`) for `lifetime`.
    val createTemporaryCredentialsFor:
        timeProvider: TimeProvider ->
        issuer: Credentials ->
        lifetime: TimeSpan ->
        scopes: string list ->
        name: string option ->
            Result<TemporaryCredentials, CertificateError>

    /// The credentials to put in `ClientOptions` for temporary credentials (certificate included).
    val credentialsOf: temporary: TemporaryCredentials -> Credentials
