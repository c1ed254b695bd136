namespace Taskcluster.Services

open System
open System.Threading
open Taskcluster.Core
open Taskcluster.Client

[<AbstractClass>]
type ApiClient(client: TaskclusterClient, reference: ApiReference) =
    // Bodies are checked against the bundled schemas (while the options ask for it).
    let client = RequestSchemas.attach client

    let entry methodName =
        match Reference.tryFindEntry methodName reference with
        | Some entry -> Ok entry
        | None ->
            Error(
                TaskclusterError.InvalidRequest(
                    $"{reference.ServiceName}.{methodName}",
                    RequestError.UnknownMethod methodName
                )
            )

    member _.TaskclusterClient = client

    member _.ApiReference = reference

    member _.Call(methodName, ?args, ?payload, ?query, ?cancellationToken) =
        Client.callByName
            client
            reference
            methodName
            (defaultArg args [])
            (defaultArg query [])
            (defaultArg payload Payload.Empty)
            (defaultArg cancellationToken CancellationToken.None)

    member _.BuildUrl(methodName, ?args, ?query) =
        entry methodName
        |> Result.bind (fun e -> Client.buildUrl client reference e (defaultArg args []) (defaultArg query []))

    member _.BuildSignedUrl(methodName, ?args, ?query, ?expiration: TimeSpan) =
        entry methodName
        |> Result.bind (fun e ->
            Client.buildSignedUrl client reference e (defaultArg args []) (defaultArg query []) expiration)
