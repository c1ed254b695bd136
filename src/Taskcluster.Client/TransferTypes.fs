namespace Taskcluster.Client

open System
open System.IO
open System.Threading
open System.Threading.Tasks
open Taskcluster.Core

[<Struct>]
type TransferProgress =
    {
        BytesTransferred: int64
        TotalBytes: int64 option
        Attempt: int
    }

[<RequireQualifiedAccess>]
[<StructuredFormatDisplay("{Display}")>]
type TransferError =
    | Request of TaskclusterError
    | HashMismatch of name: string * algorithm: string * expected: string * actual: string
    | LengthMismatch of name: string * expected: int64 * actual: int64
    | NoAcceptableHash of name: string * algorithms: string list
    | UnsupportedMethod of name: string * method: string
    | ArtifactError of taskId: string * name: string * reason: string * message: string
    | InvalidArgument of argument: string * reason: string
    | FileError of path: string * message: string

    member this.Status =
        match this with
        | Request e -> e.Status
        | _ -> None

    member this.Describe() =
        let q = Display.quote

        let text =
            match this with
            | Request e -> e.Describe()
            | HashMismatch(name, algorithm, expected, actual) ->
                $"{q name}: the data's {algorithm} is {actual}, the object service recorded {expected}: the data is corrupt"
            | LengthMismatch(name, expected, actual) -> $"{q name}: expected {expected} bytes, got {actual}"
            | NoAcceptableHash(name, algorithms) ->
                let offered =
                    match algorithms with
                    | [] -> "none"
                    | _ -> algorithms |> List.map q |> String.concat ", "

                $"{q name}: the object service recorded no sha256 or sha512 hash to verify the data with (it has: {offered})"
            | UnsupportedMethod(name, method) -> $"{q name}: unsupported method or storage type {q method}"
            | ArtifactError(taskId, name, reason, message) ->
                $"artifact {q name} of task {q taskId} is an error artifact: {reason}: {message}"
            | InvalidArgument(argument, reason) -> $"invalid {argument}: {reason}"
            | FileError(path, message) -> $"file {q path}: {message}"

        Redact.text text

    member this.Display = this.Describe()
    override this.ToString() = this.Describe()

type ReaderFactory = CancellationToken -> Task<Stream>

type WriterFactory = CancellationToken -> Task<Stream>

[<NoEquality; NoComparison>]
type TransferOptions =
    {
        MaxRetries: int option
        Progress: IProgress<TransferProgress> option
    }

type UploadRequest =
    {
        ProjectId: string
        Name: string
        ContentType: string
        Expires: DateTimeOffset
        UploadId: SlugId option
    }

[<RequireQualifiedAccess>]
type UploadMethod =
    | DataInline
    | PutUrl

type Uploaded =
    {
        Name: string
        UploadId: SlugId
        Method: UploadMethod
        Length: int64
        Sha256: string
        Sha512: string
    }

[<RequireQualifiedAccess>]
type DownloadMethod =
    | GetUrl
    | Simple
    | ArtifactUrl

type Downloaded =
    {
        Name: string
        ContentType: string
        Length: int64
        Method: DownloadMethod
        VerifiedHashes: string list
    }
