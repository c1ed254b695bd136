namespace Taskcluster.Models

open System.IO

[<RequireQualifiedAccess>]
module SchemaBundle =
    [<Literal>]
    let private ResourceName = "Taskcluster.Models.schemas.json"

    let openRead () : Stream =
        match typeof<ModelInfo>.Assembly.GetManifestResourceStream ResourceName with
        | null -> invalidOp $"the resource {ResourceName} is missing from Taskcluster.Models (a build fault)"
        | stream -> stream
