namespace Taskcluster.Client

open System
open System.IO
open System.Text.Json
open System.Threading
open System.Threading.Tasks
open Taskcluster.Core
open Taskcluster.Services

[<NoEquality; NoComparison>]
type ObjectApi =
    {
        Client: TaskclusterClient
        CreateUpload: string -> Json -> CancellationToken -> Task<Result<JsonElement, TaskclusterError>>
        FinishUpload: string -> Json -> CancellationToken -> Task<Result<JsonElement, TaskclusterError>>
        StartDownload: string -> Json -> CancellationToken -> Task<Result<JsonElement, TaskclusterError>>
        Metadata: string -> CancellationToken -> Task<Result<JsonElement, TaskclusterError>>
    }

[<RequireQualifiedAccess>]
module ObjectApi =
    let ofService (objects: Taskcluster.Services.Object) =
        {
            Client = objects.TaskclusterClient
            CreateUpload = fun name payload ct -> objects.CreateUpload(name, Payload.Json payload, ct)
            FinishUpload = fun name payload ct -> objects.FinishUpload(name, Payload.Json payload, ct)
            StartDownload = fun name payload ct -> objects.StartDownload(name, Payload.Json payload, ct)
            Metadata = fun name ct -> objects.Object(name, ct)
        }

[<RequireQualifiedAccess>]
module Transfer =
    [<Literal>]
    let DataInlineMaxSize = 8192

    let defaults = { MaxRetries = None; Progress = None }

    let uploadRequest projectId name expires =
        {
            ProjectId = projectId
            Name = name
            ContentType = DataTransfer.DefaultContentType
            Expires = expires
            UploadId = None
        }

    let private invalid argument reason =
        Task.FromResult(Error(TransferError.InvalidArgument(argument, reason)))

    /// Reads a small object whole, checking that the reader gives exactly `length` bytes.
    let private readSmall (name: string) (reader: ReaderFactory) (length: int) (cancellationToken: CancellationToken) =
        task {
            use! stream = reader cancellationToken
            // One byte of room more, so that a reader longer than announced shows.
            let buffer = Array.zeroCreate<byte> (length + 1)
            let mutable total = 0
            let mutable reading = true

            while reading do
                let! n = stream.ReadAsync(buffer.AsMemory(total), cancellationToken)
                total <- total + n
                reading <- n > 0 && total <= length

            if total <> length then
                return Error(TransferError.LengthMismatch(name, int64 length, int64 total))
            else
                return Ok(Array.sub buffer 0 length)
        }

    let private hashesOf (data: byte array) = Hasher.Of(ReadOnlySpan data)

    let private uploadUntraced
        (objects: ObjectApi)
        (options: TransferOptions)
        (request: UploadRequest)
        (contentLength: int64)
        (reader: ReaderFactory)
        (cancellationToken: CancellationToken)
        =
        if String.IsNullOrEmpty request.Name then
            invalid "name" "is empty"
        elif String.IsNullOrEmpty request.ProjectId then
            invalid "projectId" "is empty"
        elif isNull request.ContentType then
            invalid "contentType" "is null"
        elif contentLength < 0L then
            invalid "contentLength" $"must not be negative, not {contentLength}"
        elif isNull (box reader) then
            invalid "reader" "is null"
        else
            match
                DataTransfer.checkName "name" request.Name
                |> Result.bind (fun () -> DataTransfer.checkOptions options)
            with
            | Error e -> Task.FromResult(Error e)
            | Ok() ->
                task {
                    let client = objects.Client
                    let link = Link.Of client
                    let name = request.Name
                    let uploadId = request.UploadId |> Option.defaultWith Helpers.slugId

                    let! small =
                        if contentLength < int64 DataInlineMaxSize then
                            task {
                                let! read = readSmall name reader (int contentLength) cancellationToken
                                return read |> Result.map Some
                            }
                        else
                            Task.FromResult(Ok None)

                    match small with
                    | Error e -> return Error e
                    | Ok data ->
                        let payload =
                            Encode.object
                                [
                                    "projectId", Encode.string request.ProjectId
                                    "uploadId", Encode.string uploadId.Value
                                    "expires", Encode.string (FromNow.format request.Expires)
                                    "proposedUploadMethods",
                                    Encode.object
                                        [
                                            match data with
                                            | Some bytes ->
                                                "dataInline",
                                                Encode.object
                                                    [
                                                        "contentType", Encode.string request.ContentType
                                                        "objectData", Encode.string (Convert.ToBase64String bytes)
                                                    ]
                                            | None -> ()
                                            "putUrl",
                                            Encode.object
                                                [
                                                    "contentType", Encode.string request.ContentType
                                                    "contentLength", Encode.int64 contentLength
                                                ]
                                        ]
                                ]

                        let createInfo =
                            ServiceCall.info client ObjectReference.reference ObjectReference.createUpload [ name ]

                        let create (cancellationToken: CancellationToken) =
                            task {
                                let! created = objects.CreateUpload name payload cancellationToken
                                return ServiceCall.decode createInfo DataTransfer.uploadChoice created
                            }

                        let finish (struct (sha256: string, sha512: string)) method =
                            task {
                                let finishing =
                                    Encode.object
                                        [
                                            "projectId", Encode.string request.ProjectId
                                            "uploadId", Encode.string uploadId.Value
                                            "hashes",
                                            Encode.object
                                                [ "sha256", Encode.string sha256; "sha512", Encode.string sha512 ]
                                        ]

                                let! finished = objects.FinishUpload name finishing cancellationToken

                                return
                                    finished
                                    |> DataTransfer.request
                                    |> Result.map (fun _ ->
                                        {
                                            Name = name
                                            UploadId = uploadId
                                            Method = method
                                            Length = contentLength
                                            Sha256 = sha256
                                            Sha512 = sha512
                                        })
                            }

                        let inlined () =
                            DataTransfer.report options.Progress 1 contentLength (Some contentLength)
                            hashesOf data.Value

                        let! choice = create cancellationToken

                        match choice with
                        | Error e -> return Error e
                        | Ok DataTransfer.Inline when data.IsSome -> return! finish (inlined ()) UploadMethod.DataInline
                        | Ok DataTransfer.Inline -> return Error(TransferError.UnsupportedMethod(name, "dataInline"))
                        | Ok DataTransfer.Nothing -> return Error(TransferError.UnsupportedMethod(name, "none"))
                        | Ok(DataTransfer.Put first) ->
                            // A small object was read once already: its retries send those bytes.
                            let attemptReader: ReaderFactory =
                                match data with
                                | Some bytes -> fun _ -> Task.FromResult(new MemoryStream(bytes, false) :> Stream)
                                | None -> reader

                            let origin = $"{createInfo.Name} (putUrl)"
                            let target = ref first
                            let renew = ref false
                            let method = ref UploadMethod.PutUrl

                            let put number =
                                task {
                                    let! outcome =
                                        DataTransfer.putAttempt
                                            link
                                            origin
                                            target.Value
                                            name
                                            contentLength
                                            attemptReader
                                            options.Progress
                                            number
                                            cancellationToken

                                    match outcome with
                                    | Attempt.Renew _ -> renew.Value <- true
                                    | _ -> ()

                                    return outcome
                                }

                            let attempt number =
                                let expired = number > 1 && target.Value.Expires <= link.Now

                                if renew.Value || expired then
                                    renew.Value <- false

                                    task {
                                        // `createUpload` again with the same uploadId renews the URL.
                                        let! again = create cancellationToken

                                        match again with
                                        | Error e -> return Attempt.Fatal e
                                        | Ok(DataTransfer.Put fresh) ->
                                            target.Value <- fresh
                                            let! outcome = put number

                                            match outcome with
                                            // A URL just handed out and already refused will not get better.
                                            | Attempt.Renew e -> return Attempt.Fatal(TransferError.Request e)
                                            | other -> return other
                                        | Ok DataTransfer.Inline when data.IsSome ->
                                            method.Value <- UploadMethod.DataInline
                                            return Attempt.Done(inlined ())
                                        | Ok DataTransfer.Inline ->
                                            return Attempt.Fatal(TransferError.UnsupportedMethod(name, "dataInline"))
                                        | Ok DataTransfer.Nothing ->
                                            return Attempt.Fatal(TransferError.UnsupportedMethod(name, "none"))
                                    }
                                else
                                    put number

                            let! sent =
                                DataTransfer.retry
                                    link
                                    (DataTransfer.maxRetries client options)
                                    origin
                                    attempt
                                    cancellationToken

                            match sent with
                            | Error e -> return Error e
                            | Ok hashes -> return! finish hashes method.Value
                }

    let private uploads: UploadEntry.Kind<ObjectApi, UploadRequest> =
        {
            Service = ObjectReference.reference.ServiceName
            NameOf = _.Name
            Untraced = uploadUntraced
        }

    let upload objects options request contentLength reader cancellationToken =
        UploadEntry.upload uploads objects options request contentLength reader cancellationToken

    let uploadFromBuf objects options request data cancellationToken =
        UploadEntry.fromBuf uploads objects options request data cancellationToken

    let uploadFromStream objects options request stream cancellationToken =
        UploadEntry.fromStream uploads objects options request stream cancellationToken

    let uploadFromFile objects options request path cancellationToken =
        UploadEntry.fromFile uploads objects options request path cancellationToken

    let private accept =
        Encode.object
            [
                "acceptDownloadMethods", Encode.object [ "getUrl", Encode.bool true; "simple", Encode.bool true ]
            ]

    /// Asks for a download URL (again, to renew one), with the hashes to verify.
    let private startDownload (objects: ObjectApi) (name: string) (cancellationToken: CancellationToken) =
        task {
            let client = objects.Client

            let startInfo =
                ServiceCall.info client ObjectReference.reference ObjectReference.startDownload [ name ]

            let! started = objects.StartDownload name accept cancellationToken

            let decode decoder =
                ServiceCall.decode startInfo decoder started

            match decode (Decode.field "method" Decode.string) with
            | Error e -> return Error e
            | Ok "getUrl" ->
                return
                    decode (
                        Decode.object (fun get ->
                            {
                                Url = get.Required "url" DataTransfer.httpUrl
                                Expires = Some(get.Required "expires" DataTransfer.decodeTime)
                                Hashes = get.Optional "hashes" DataTransfer.hashes |> Option.defaultValue []
                                Method = DownloadMethod.GetUrl
                                Origin = $"{startInfo.Name} (getUrl)"
                                Signed = true
                                FollowRedirects = false
                            }
                            : DataTransfer.Source)
                    )
            | Ok "simple" ->
                match decode (Decode.field "url" DataTransfer.httpUrl) with
                | Error e -> return Error e
                | Ok url ->
                    // A simple download carries no hashes: the object's metadata has them.
                    let metadataInfo =
                        ServiceCall.info client ObjectReference.reference ObjectReference.``object`` [ name ]

                    let! metadata = objects.Metadata name cancellationToken

                    return
                        ServiceCall.decode metadataInfo DataTransfer.optionalHashes metadata
                        |> Result.map (fun hashes ->
                            {
                                Url = url
                                Expires = None
                                Hashes = hashes
                                Method = DownloadMethod.Simple
                                Origin = $"{startInfo.Name} (simple)"
                                Signed = true
                                // The simple method's URL may redirect to the storage backend.
                                FollowRedirects = true
                            }
                            : DataTransfer.Source)
            | Ok other -> return Error(TransferError.UnsupportedMethod(name, other))
        }

    let private downloadUntraced
        (objects: ObjectApi)
        (options: TransferOptions)
        (name: string)
        (writer: int64 option -> CancellationToken -> Task<Stream>)
        (cancellationToken: CancellationToken)
        =
        if String.IsNullOrEmpty name then
            invalid "name" "is empty"
        else
            match
                DataTransfer.checkName "name" name
                |> Result.bind (fun () -> DataTransfer.checkOptions options)
            with
            | Error e -> Task.FromResult(Error e)
            | Ok() ->
                task {
                    let! first = startDownload objects name cancellationToken

                    match first with
                    | Error e -> return Error e
                    | Ok source when
                        not (
                            source.Hashes
                            |> List.exists (fun (a, _) -> List.contains a DataTransfer.acceptable)
                        )
                        ->
                        return Error(TransferError.NoAcceptableHash(name, source.Hashes |> List.map fst))
                    | Ok source ->
                        return!
                            DataTransfer.downloadFrom
                                (Link.Of objects.Client)
                                options
                                name
                                source
                                (Some(startDownload objects name))
                                writer
                                cancellationToken
                }

    let internal downloadWith objects options name writer cancellationToken =
        DataTransfer.traced
            ObjectReference.reference.ServiceName
            "download"
            name
            (fun (d: Downloaded) -> d.Length)
            (fun () -> downloadUntraced objects options name writer cancellationToken)

    let download objects options name (writer: WriterFactory) cancellationToken =
        if isNull (box writer) then
            invalid "writer" "is null"
        else
            downloadWith objects options name (fun _ cancellationToken -> writer cancellationToken) cancellationToken

    let downloadToBuf objects options name cancellationToken =
        DataTransfer.toBuffer (fun writer -> downloadWith objects options name writer cancellationToken)

    let downloadToStream objects options name (stream: Stream) cancellationToken =
        DataTransfer.toStream stream (fun writer -> downloadWith objects options name writer cancellationToken)

    let downloadToFile objects options name (path: string) cancellationToken =
        DataTransfer.toFile path (fun writer -> downloadWith objects options name writer cancellationToken)
