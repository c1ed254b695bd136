namespace Taskcluster.Services

open System.Threading
open Taskcluster.Core

[<RequireQualifiedAccess>]
module Arguments =
    let private given (pairs: (string * string option) list) =
        pairs
        |> List.choose (fun (name, value) -> value |> Option.map (fun v -> name, v))

    let query parameters = given parameters

    let values parts =
        BindingPattern.Values(Map.ofList (given parts))

    let int (value: int) =
        value.ToString(System.Globalization.CultureInfo.InvariantCulture)

    let bool (value: bool) = if value then "true" else "false"

    let token cancellationToken =
        defaultArg cancellationToken CancellationToken.None
