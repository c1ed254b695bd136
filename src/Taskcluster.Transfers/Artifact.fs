namespace Taskcluster.Client

open System
open System.IO
open System.Text.Json
open System.Threading
open System.Threading.Tasks
open FsToolkit.ErrorHandling
open Taskcluster.Core
open Taskcluster.Services

[<NoEquality; NoComparison>]
type QueueApi =
    {
        Client: TaskclusterClient
        Artifact: string -> int -> string -> CancellationToken -> Task<Result<JsonElement, TaskclusterError>>
        LatestArtifact: string -> string -> CancellationToken -> Task<Result<JsonElement, TaskclusterError>>
        CreateArtifact:
            string -> int -> string -> Json -> CancellationToken -> Task<Result<JsonElement, TaskclusterError>>
        FinishArtifact:
            string -> int -> string -> Json -> CancellationToken -> Task<Result<JsonElement, TaskclusterError>>
        Objects: TaskclusterClient -> ObjectApi
    }

[<RequireQualifiedAccess>]
module QueueApi =
    let ofService (queue: Taskcluster.Services.Queue) =
        {
            Client = queue.TaskclusterClient
            Artifact = fun taskId runId name ct -> queue.Artifact(taskId, string runId, name, ct)
            LatestArtifact = fun taskId name ct -> queue.LatestArtifact(taskId, name, ct)
            CreateArtifact =
                fun taskId runId name payload ct ->
                    queue.CreateArtifact(taskId, string runId, name, Payload.Json payload, ct)
            FinishArtifact =
                fun taskId runId name payload ct ->
                    queue.FinishArtifact(taskId, string runId, name, Payload.Json payload, ct)
            Objects = fun objectClient -> ObjectApi.ofService (Taskcluster.Services.Object objectClient)
        }

type ArtifactUpload =
    {
        TaskId: string
        RunId: int
        Name: string
        ContentType: string
        Expires: DateTimeOffset
    }

/// Where an artifact's data is.
type private Location =
    | AtUrl of DataTransfer.Source
    | InObject of ObjectApi * objectName: string

[<RequireQualifiedAccess>]
module Artifact =
    let uploadRequest taskId runId name expires =
        {
            TaskId = taskId
            RunId = runId
            Name = name
            ContentType = DataTransfer.DefaultContentType
            Expires = expires
        }

    let private invalid argument reason =
        Task.FromResult(Error(TransferError.InvalidArgument(argument, reason)))

    let private checkArtifact (taskId: string) (runId: int option) (name: string) =
        if String.IsNullOrEmpty taskId then
            Error(TransferError.InvalidArgument("taskId", "is empty"))
        elif String.IsNullOrEmpty name then
            Error(TransferError.InvalidArgument("name", "is empty"))
        else
            match runId with
            | Some r when r < 0 -> Error(TransferError.InvalidArgument("runId", $"must not be negative, not {r}"))
            | _ -> DataTransfer.checkName "name" name

    let private credentials: Decoder<Credentials> =
        Decode.object (fun get ->
            {
                ClientId = get.Required "clientId" Decode.string
                AccessToken = get.Required "accessToken" Decode.string
                Certificate = get.Optional "certificate" Decode.string |> Option.map CertificateSource.Text
            })

    /// The object service with the temporary credentials the queue handed out.
    let private objectsWith (queue: QueueApi) (info: RequestInfo) (credentials: Credentials) =
        let update (options: ClientOptions) =
            { options with
                Credentials = Some credentials
                AuthorizedScopes = None
            }

        match Client.withOptions update queue.Client with
        | Ok client -> Ok(queue.Objects client)
        | Error e ->
            Error(
                DataTransfer.invalidResponse
                    info
                    {
                        Path = "$.credentials"
                        Reason = DecodeReason.InvalidValue(e.Describe())
                    }
            )

    /// Asks the queue where the artifact's data is.
    let private locate
        (queue: QueueApi)
        (managedOnly: bool)
        (taskId: string)
        (runId: int option)
        (name: string)
        cancellationToken
        =
        task {
            let client = queue.Client

            let! answer, info =
                match runId with
                | Some r ->
                    task {
                        let! answer = queue.Artifact taskId r name cancellationToken

                        return
                            answer,
                            ServiceCall.info
                                client
                                QueueReference.reference
                                QueueReference.artifact
                                [ taskId; string r; name ]
                    }
                | None ->
                    task {
                        let! answer = queue.LatestArtifact taskId name cancellationToken

                        return
                            answer,
                            ServiceCall.info
                                client
                                QueueReference.reference
                                QueueReference.latestArtifact
                                [ taskId; name ]
                    }

            let decode decoder = ServiceCall.decode info decoder answer

            let atUrl (storageType: string) (signed: bool) =
                decode (Decode.field "url" DataTransfer.httpUrl)
                |> Result.map (fun url ->
                    AtUrl
                        {
                            Url = url
                            Expires = None
                            Hashes = []
                            Method = DownloadMethod.ArtifactUrl
                            Origin = $"{info.Name} ({storageType})"
                            Signed = signed
                            // Nothing secret goes with these requests, so a redirect may be followed.
                            FollowRedirects = true
                        })

            return
                decode (Decode.field "storageType" Decode.string)
                |> Result.bind (fun storageType ->
                    match storageType with
                    | "s3" -> atUrl "s3" true
                    // A reference artifact's URL is whatever the task that created it wrote: a
                    // managed-only download does not fetch it.
                    | "reference" when managedOnly -> Error(TransferError.UnsupportedMethod(name, "reference"))
                    | "reference" -> atUrl "reference" false
                    | "object" ->
                        decode (
                            Decode.object (fun get ->
                                get.Required "name" Decode.string, get.Required "credentials" credentials)
                        )
                        |> Result.bind (fun (objectName, given) ->
                            objectsWith queue info given
                            |> Result.map (fun objects -> InObject(objects, objectName)))
                    | "error" ->
                        decode (
                            Decode.object (fun get ->
                                get.Optional "reason" Decode.string |> Option.defaultValue "",
                                get.Optional "message" Decode.string |> Option.defaultValue "")
                        )
                        |> Result.bind (fun (reason, message) ->
                            Error(TransferError.ArtifactError(taskId, name, reason, message)))
                    | other -> Error(TransferError.UnsupportedMethod(name, other)))
        }

    let private downloadUntraced
        (queue: QueueApi)
        (managedOnly: bool)
        (options: TransferOptions)
        (taskId: string)
        (runId: int option)
        (name: string)
        (writer: int64 option -> CancellationToken -> Task<Stream>)
        (cancellationToken: CancellationToken)
        =
        match
            checkArtifact taskId runId name
            |> Result.bind (fun () -> DataTransfer.checkOptions options)
        with
        | Error e -> Task.FromResult(Error e)
        | Ok() ->
            task {
                let! location = locate queue managedOnly taskId runId name cancellationToken

                match location with
                | Error e -> return Error e
                | Ok(AtUrl source) ->
                    let refresh (cancellationToken: CancellationToken) =
                        task {
                            let! again = locate queue managedOnly taskId runId name cancellationToken

                            return
                                again
                                |> Result.bind (fun location ->
                                    match location with
                                    | AtUrl fresh -> Ok fresh
                                    | InObject _ -> Error(TransferError.UnsupportedMethod(name, "object")))
                        }

                    return!
                        DataTransfer.downloadFrom
                            (Link.Of queue.Client)
                            options
                            name
                            source
                            (if source.Signed then Some refresh else None)
                            writer
                            cancellationToken
                | Ok(InObject(objects, objectName)) ->
                    let! downloaded = Transfer.downloadWith objects options objectName writer cancellationToken
                    return downloaded |> Result.map (fun d -> { d with Name = name })
            }

    let private downloadWith queue managedOnly options taskId runId name writer cancellationToken =
        DataTransfer.traced
            QueueReference.reference.ServiceName
            "download"
            name
            (fun (d: Downloaded) -> d.Length)
            (fun () -> downloadUntraced queue managedOnly options taskId runId name writer cancellationToken)

    let private downloadTo managedOnly queue options taskId runId name (writer: WriterFactory) cancellationToken =
        if isNull (box writer) then
            invalid "writer" "is null"
        else
            downloadWith queue managedOnly options taskId runId name (fun _ c -> writer c) cancellationToken

    let private toBuf managedOnly queue options taskId runId name cancellationToken =
        DataTransfer.toBuffer (fun writer ->
            downloadWith queue managedOnly options taskId runId name writer cancellationToken)

    let private toStream managedOnly queue options taskId runId name (stream: Stream) cancellationToken =
        DataTransfer.toStream stream (fun writer ->
            downloadWith queue managedOnly options taskId runId name writer cancellationToken)

    let private toFile managedOnly queue options taskId runId name (path: string) cancellationToken =
        DataTransfer.toFile path (fun writer ->
            downloadWith queue managedOnly options taskId runId name writer cancellationToken)

    let download queue options taskId runId name writer cancellationToken =
        downloadTo false queue options taskId runId name writer cancellationToken

    let downloadToBuf queue options taskId runId name cancellationToken =
        toBuf false queue options taskId runId name cancellationToken

    let downloadToStream queue options taskId runId name stream cancellationToken =
        toStream false queue options taskId runId name stream cancellationToken

    let downloadToFile queue options taskId runId name path cancellationToken =
        toFile false queue options taskId runId name path cancellationToken

    let downloadManaged queue options taskId runId name writer cancellationToken =
        downloadTo true queue options taskId runId name writer cancellationToken

    let downloadManagedToBuf queue options taskId runId name cancellationToken =
        toBuf true queue options taskId runId name cancellationToken

    let downloadManagedToStream queue options taskId runId name stream cancellationToken =
        toStream true queue options taskId runId name stream cancellationToken

    let downloadManagedToFile queue options taskId runId name path cancellationToken =
        toFile true queue options taskId runId name path cancellationToken

    /// The `object` artifact's upload grant.
    type private Grant =
        {
            ObjectName: string
            ProjectId: string
            UploadId: SlugId
            Expires: DateTimeOffset
            Credentials: Credentials
        }

    let private grant: Decoder<Grant> =
        Decode.object (fun get ->
            {
                ObjectName = get.Required "name" Decode.string
                ProjectId = get.Required "projectId" Decode.string
                UploadId =
                    get.Required
                        "uploadId"
                        (Decode.string
                         |> Decode.validate (fun text -> SlugId.parse text |> Result.mapError _.Describe()))
                Expires = get.Required "expires" DataTransfer.decodeTime
                Credentials = get.Required "credentials" credentials
            })

    let private uploadUntraced
        (queue: QueueApi)
        (options: TransferOptions)
        (artifact: ArtifactUpload)
        (contentLength: int64)
        (reader: ReaderFactory)
        (cancellationToken: CancellationToken)
        =
        match checkArtifact artifact.TaskId (Some artifact.RunId) artifact.Name with
        | Error e -> Task.FromResult(Error e)
        | Ok() when isNull artifact.ContentType -> invalid "contentType" "is null"
        | Ok() when contentLength < 0L -> invalid "contentLength" $"must not be negative, not {contentLength}"
        | Ok() ->
            task {
                let {
                        TaskId = taskId
                        RunId = runId
                        Name = name
                    } =
                    artifact

                let info =
                    ServiceCall.info
                        queue.Client
                        QueueReference.reference
                        QueueReference.createArtifact
                        [ taskId; string runId; name ]

                let payload =
                    Encode.object
                        [
                            "storageType", Encode.string "object"
                            "expires", Encode.string (FromNow.format artifact.Expires)
                            "contentType", Encode.string artifact.ContentType
                            "contentLength", Encode.int64 contentLength
                        ]

                let! created = queue.CreateArtifact taskId runId name payload cancellationToken

                let granted =
                    result {
                        let! grant = ServiceCall.decode info grant created
                        let! objects = objectsWith queue info grant.Credentials
                        return grant, objects
                    }

                match granted with
                | Error e -> return Error e
                | Ok(grant, objects) ->
                    let request =
                        {
                            ProjectId = grant.ProjectId
                            Name = grant.ObjectName
                            ContentType = artifact.ContentType
                            Expires = grant.Expires
                            UploadId = Some grant.UploadId
                        }

                    let! uploaded = Transfer.upload objects options request contentLength reader cancellationToken

                    match uploaded with
                    | Error e -> return Error e
                    | Ok uploaded ->
                        let finishing = Encode.object [ "uploadId", Encode.string grant.UploadId.Value ]
                        let! finished = queue.FinishArtifact taskId runId name finishing cancellationToken
                        return finished |> DataTransfer.request |> Result.map (fun _ -> uploaded)
            }

    let private uploads: UploadEntry.Kind<QueueApi, ArtifactUpload> =
        {
            Service = QueueReference.reference.ServiceName
            NameOf = _.Name
            Untraced = uploadUntraced
        }

    let upload queue options artifact contentLength reader cancellationToken =
        UploadEntry.upload uploads queue options artifact contentLength reader cancellationToken

    let uploadFromBuf queue options artifact data cancellationToken =
        UploadEntry.fromBuf uploads queue options artifact data cancellationToken

    let uploadFromStream queue options artifact stream cancellationToken =
        UploadEntry.fromStream uploads queue options artifact stream cancellationToken

    let uploadFromFile queue options artifact path cancellationToken =
        UploadEntry.fromFile uploads queue options artifact path cancellationToken

    let private create (queue: QueueApi) taskId runId name (members: (string * Json) list) cancellationToken =
        match checkArtifact taskId (Some runId) name with
        | Error e -> Task.FromResult(Error e)
        | Ok() ->
            task {
                let! created = queue.CreateArtifact taskId runId name (Encode.object members) cancellationToken
                return created |> DataTransfer.request |> Result.map ignore
            }

    let createReference queue taskId runId name (url: string) (contentType: string) expires cancellationToken =
        create
            queue
            taskId
            runId
            name
            [
                "storageType", Encode.string "reference"
                "expires", Encode.string (FromNow.format expires)
                "url", Encode.string url
                "contentType", Encode.string contentType
            ]
            cancellationToken

    let createLink queue taskId runId name (target: string) expires cancellationToken =
        create
            queue
            taskId
            runId
            name
            [
                "storageType", Encode.string "link"
                "expires", Encode.string (FromNow.format expires)
                "artifact", Encode.string target
            ]
            cancellationToken

    let createError queue taskId runId name (reason: string) (message: string) expires cancellationToken =
        create
            queue
            taskId
            runId
            name
            [
                "storageType", Encode.string "error"
                "expires", Encode.string (FromNow.format expires)
                "reason", Encode.string reason
                "message", Encode.string message
            ]
            cancellationToken
