namespace Taskcluster.Client

open System
open System.IO
open System.Text.Json
open System.Threading
open System.Threading.Tasks
open Taskcluster.Core

/// The object-service methods transfers call, as functions: the generated `Object` client's
/// (`ObjectApi.ofService`), or a fake's. `Client` is the client whose connection, retry settings
/// and clock the data requests use. Payloads are the methods' JSON inputs; results their JSON
/// outputs.
[<NoEquality; NoComparison>]
type ObjectApi =
    {
        /// The client data requests are made with (its `HttpClient`, `MaxRetries`, `Backoff`,
        /// `Timeout` as the longest wait for a byte, and clock). No credentials are sent to data
        /// URLs.
        Client: TaskclusterClient
        /// `object.createUpload(name, payload)`.
        CreateUpload: string -> Json -> CancellationToken -> Task<Result<JsonElement, TaskclusterError>>
        /// `object.finishUpload(name, payload)`.
        FinishUpload: string -> Json -> CancellationToken -> Task<Result<JsonElement, TaskclusterError>>
        /// `object.startDownload(name, payload)`.
        StartDownload: string -> Json -> CancellationToken -> Task<Result<JsonElement, TaskclusterError>>
        /// `object.object(name)`: the object's metadata (its hashes, for `simple` downloads).
        Metadata: string -> CancellationToken -> Task<Result<JsonElement, TaskclusterError>>
    }

/// Building an `ObjectApi`.
[<RequireQualifiedAccess>]
module ObjectApi =
    /// The methods of the generated object-service client (`Object client`), which sends with
    /// its client (request bodies checked against the schemas while `ValidateRequests` is on).
    val ofService: objects: Taskcluster.Services.Object -> ObjectApi

/// Uploads to and downloads from the object service, as the official clients do them, in
/// bounded memory: data is streamed in 256 KiB chunks and hashed as it passes (SHA-256 and
/// SHA-512 in one pass). Data requests go out without Taskcluster credentials (pre-signed URLs
/// need none), never follow redirects to signed URLs, are retried on 5xx, 429, connection
/// failures and stalls with the client's backoff, and fail at once on other 4xx. Cancellation
/// ends a transfer with `OperationCanceledException` and leaves no partial destination file.
[<RequireQualifiedAccess>]
module Transfer =
    /// Objects smaller than this many bytes are proposed `dataInline` (8 KiB, as the official
    /// clients do).
    [<Literal>]
    val DataInlineMaxSize: int = 8192

    /// Every retry the client allows, and no progress.
    val defaults: TransferOptions

    /// An upload request of `application/octet-stream` data; each upload of it draws a fresh
    /// upload id.
    val uploadRequest: projectId: string -> name: string -> expires: DateTimeOffset -> UploadRequest

    /// `upload`: proposes `dataInline` (objects under 8 KiB, read once and kept) and `putUrl`,
    /// follows the method the service chooses (sending the headers it asks for), retries the
    /// PUT with a fresh reader from `reader` and a renewed URL when the old one expired, then
    /// calls `finishUpload` with the SHA-256 and SHA-512 of the bytes sent. A reader that gives
    /// more or fewer bytes than `contentLength` is a `LengthMismatch`, and nothing is finished.
    /// A name with a `.` or `..` path segment (`x/../y`) is an `InvalidArgument` before anything
    /// is sent: HTTP stacks and servers remove such segments from the URL the service signed,
    /// so the PUT could only fail. A URL the service hands out must be absolute http(s).
    val upload:
        objects: ObjectApi ->
        options: TransferOptions ->
        request: UploadRequest ->
        contentLength: int64 ->
        reader: ReaderFactory ->
        cancellationToken: CancellationToken ->
            Task<Result<Uploaded, TransferError>>

    /// `uploadFromBuf`: `upload` of the bytes in memory.
    val uploadFromBuf:
        objects: ObjectApi ->
        options: TransferOptions ->
        request: UploadRequest ->
        data: ReadOnlyMemory<byte> ->
        cancellationToken: CancellationToken ->
            Task<Result<Uploaded, TransferError>>

    /// `upload` of a readable, seekable stream from position 0 to its end (rewound for every
    /// attempt; left open).
    val uploadFromStream:
        objects: ObjectApi ->
        options: TransferOptions ->
        request: UploadRequest ->
        stream: Stream ->
        cancellationToken: CancellationToken ->
            Task<Result<Uploaded, TransferError>>

    /// `uploadFromFile`: `upload` of a file's contents.
    val uploadFromFile:
        objects: ObjectApi ->
        options: TransferOptions ->
        request: UploadRequest ->
        path: string ->
        cancellationToken: CancellationToken ->
            Task<Result<Uploaded, TransferError>>

    /// `download`: asks `startDownload` for `getUrl` or `simple`, refuses an object without a
    /// SHA-256 or SHA-512 before fetching anything, streams the data into a fresh writer per
    /// attempt (asking for a new URL when the old one expired or is refused), then verifies
    /// every known hash. The writer may have received bytes when the result is an error.
    /// Names with dot segments are refused as for `upload`; download URLs must be absolute
    /// http(s) (redirects of a `simple` URL too).
    val download:
        objects: ObjectApi ->
        options: TransferOptions ->
        name: string ->
        writer: WriterFactory ->
        cancellationToken: CancellationToken ->
            Task<Result<Downloaded, TransferError>>

    /// `download` with a writer factory told the announced length (for buffers sized up front).
    val internal downloadWith:
        objects: ObjectApi ->
        options: TransferOptions ->
        name: string ->
        writer: (int64 option -> CancellationToken -> Task<Stream>) ->
        cancellationToken: CancellationToken ->
            Task<Result<Downloaded, TransferError>>

    /// `downloadToBuf`: `download` into memory; the bytes are returned only once verified.
    val downloadToBuf:
        objects: ObjectApi ->
        options: TransferOptions ->
        name: string ->
        cancellationToken: CancellationToken ->
            Task<Result<byte array * Downloaded, TransferError>>

    /// `download` into a writable, seekable stream, from its current position (truncated back
    /// to it for every attempt; left open). After an error it may hold unverified bytes.
    val downloadToStream:
        objects: ObjectApi ->
        options: TransferOptions ->
        name: string ->
        stream: Stream ->
        cancellationToken: CancellationToken ->
            Task<Result<Downloaded, TransferError>>

    /// `downloadToFile`: `download` into a temporary file in the destination's folder, renamed
    /// over `path` only once the hashes verify; on any failure or cancellation the temporary
    /// file is deleted and `path` is left as it was.
    val downloadToFile:
        objects: ObjectApi ->
        options: TransferOptions ->
        name: string ->
        path: string ->
        cancellationToken: CancellationToken ->
            Task<Result<Downloaded, TransferError>>
