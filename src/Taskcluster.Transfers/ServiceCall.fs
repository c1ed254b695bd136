namespace Taskcluster.Client

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
