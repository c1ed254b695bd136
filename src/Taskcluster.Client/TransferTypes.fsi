namespace Taskcluster.Client

open System
open System.IO
open System.Threading
open System.Threading.Tasks
open Taskcluster.Core

/// How far a transfer has got. The reports of one transfer are ordered by `(Attempt,
/// BytesTransferred)`: within an attempt the byte count never goes down, a retry starts again
/// at 0 with `Attempt` one higher, and the last report of a successful transfer has
/// `BytesTransferred` equal to `TotalBytes`.
[<Struct>]
type TransferProgress =
    {
        /// The bytes sent (upload) or received (download) in this attempt.
        BytesTransferred: int64
        /// The size of the object, when known (uploads always; downloads once the response
        /// announces it, and at the end).
        TotalBytes: int64 option
        /// The attempt, from 1.
        Attempt: int
    }

/// Why a transfer failed. Requests to data URLs (the PUT to a `putUrl`, the GET of a download
/// URL) appear in `Request` errors like API calls, named after the method that handed out the
/// URL (`object.createUpload (putUrl)`), with the URL shown without its query, where pre-signed
/// URLs carry their signature.
[<RequireQualifiedAccess>]
[<StructuredFormatDisplay("{Display}")>]
type TransferError =
    /// An API call (`createUpload`, `startDownload`, `artifact`, ...) or a data request failed.
    | Request of TaskclusterError
    /// The bytes received do not have the hash the service recorded: they were corrupted on
    /// the way or in storage. Never retried.
    | HashMismatch of name: string * algorithm: string * expected: string * actual: string
    /// The bytes counted differ from the announced length (the reader of an upload gave more
    /// or fewer bytes than `contentLength`, or a download body differs from its
    /// `Content-Length`). Never retried.
    | LengthMismatch of name: string * expected: int64 * actual: int64
    /// The service recorded no hash this client can check (`sha256`, `sha512`), so the data
    /// cannot be verified and is not downloaded.
    | NoAcceptableHash of name: string * algorithms: string list
    /// The service chose a method this client does not know: an upload or download method, or
    /// an artifact storage type (`none` when it chose nothing).
    | UnsupportedMethod of name: string * method: string
    /// The artifact is an `error` artifact: the worker recorded why there is no data.
    | ArtifactError of taskId: string * name: string * reason: string * message: string
    /// An argument was refused before anything was sent.
    | InvalidArgument of argument: string * reason: string
    /// A local file could not be opened, written or renamed.
    | FileError of path: string * message: string

    /// The HTTP status, when a server answered.
    member Status: int option
    /// A one-line description naming the object and what went wrong (credentials redacted).
    member Describe: unit -> string
    /// `Describe ()`.
    member Display: string
    /// `Describe ()`.
    override ToString: unit -> string

/// Opens the data of an upload at its first byte. Called again for every attempt; each stream
/// is disposed when its attempt ends.
type ReaderFactory = CancellationToken -> Task<Stream>

/// Opens a destination for a download, empty. Called again for every attempt (so it must
/// discard what an earlier attempt wrote); each stream is disposed when its attempt ends.
type WriterFactory = CancellationToken -> Task<Stream>

/// Settings every transfer takes.
[<NoEquality; NoComparison>]
type TransferOptions =
    {
        /// How many times a failed data request is retried (5xx, 429, connection failures,
        /// truncated bodies, stalls); `None` takes the client's `MaxRetries`.
        MaxRetries: int option
        /// Where progress goes. Reports are made synchronously on the transfer's thread.
        Progress: IProgress<TransferProgress> option
    }

/// The object to create by an upload.
type UploadRequest =
    {
        /// The project the object belongs to (`object:upload:<projectId>:<name>`).
        ProjectId: string
        /// The object's name.
        Name: string
        /// The content type it is served with.
        ContentType: string
        /// When the object service may delete it.
        Expires: DateTimeOffset
        /// The upload id (`None`: a fresh nice slugId). Keep it secret: whoever knows it can
        /// finish the upload.
        UploadId: SlugId option
    }

/// How the object service took the data.
[<RequireQualifiedAccess>]
type UploadMethod =
    /// Inline, base64 in the `createUpload` request (objects under 8 KiB).
    | DataInline
    /// A PUT of the bytes to a URL the service handed out.
    | PutUrl

/// A finished upload.
type Uploaded =
    {
        /// The object's name.
        Name: string
        /// The upload id used.
        UploadId: SlugId
        /// How the data went.
        Method: UploadMethod
        /// The bytes uploaded.
        Length: int64
        /// The SHA-256 of the data (lower-case hex), as given to `finishUpload`.
        Sha256: string
        /// The SHA-512 of the data (lower-case hex), as given to `finishUpload`.
        Sha512: string
    }

/// Where the bytes of a download came from.
[<RequireQualifiedAccess>]
type DownloadMethod =
    /// The object service's `getUrl` method (hashes in the response, URL refreshed when it expires).
    | GetUrl
    /// The object service's `simple` method (hashes from the object's metadata).
    | Simple
    /// An `s3` or `reference` artifact's URL (no hashes to verify).
    | ArtifactUrl

/// A finished download.
type Downloaded =
    {
        /// The object's (or artifact's) name.
        Name: string
        /// The content type the data was served with (`application/octet-stream` when none).
        ContentType: string
        /// The bytes written.
        Length: int64
        /// How the bytes came.
        Method: DownloadMethod
        /// The hash algorithms verified (empty for artifact URLs, which carry no hashes).
        VerifiedHashes: string list
    }
