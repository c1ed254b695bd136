namespace Taskcluster.Client

open System.Text.Json
open Taskcluster.Core

/// What a workflow needs to name an API call in an error found in its answer (an answer of the
/// wrong shape): the call's `RequestInfo`, its URL built from the generated reference entry.
[<RequireQualifiedAccess>]
module internal ServiceCall =
    /// The `RequestInfo` of the call of `entry` with its route arguments `args`, as
    /// `Client.call` names it (`<service>.<method>`, the unsigned URL).
    let info (client: TaskclusterClient) (reference: ApiReference) (entry: ApiEntry) (args: string list) : RequestInfo =
        {
            Name = $"{reference.ServiceName}.{entry.Name}"
            Method = entry.Method.Name
            Url =
                match Client.buildUrl client reference entry args [] with
                | Ok url -> url
                // The call this names has already built the same URL, so this is not reached;
                // the root URL still says where the call went.
                | Error _ -> client.RootUrl.Value
        }

    /// The call's answer decoded with `decoder`: a failed call stays its own error, an answer of
    /// the wrong shape is the call's `InvalidResponse` (named by `info`) with the JSON path.
    let decode
        (info: RequestInfo)
        (decoder: Decoder<'T>)
        (answer: Result<JsonElement, TaskclusterError>)
        : Result<'T, TransferError> =
        answer
        |> DataTransfer.request
        |> Result.bind (fun element ->
            Decode.fromElement decoder element
            |> Result.mapError (DataTransfer.invalidResponse info))
