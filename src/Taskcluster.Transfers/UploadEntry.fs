namespace Taskcluster.Client

open System
open System.IO
open System.Threading
open System.Threading.Tasks

/// The public upload entry points of a workflow, written once for objects and artifacts alike:
/// the traced upload from a reader, and the uploads of a buffer, a stream and a file that
/// become one.
[<RequireQualifiedAccess>]
module internal UploadEntry =
    /// An upload of a `'Target` through an `'Api`: the service its span is named after, the
    /// target's name for the span, and the upload itself, without a span.
    [<NoEquality; NoComparison>]
    type Kind<'Api, 'Target> =
        {
            Service: string
            NameOf: 'Target -> string
            Untraced:
                'Api
                    -> TransferOptions
                    -> 'Target
                    -> int64
                    -> ReaderFactory
                    -> CancellationToken
                    -> Task<Result<Uploaded, TransferError>>
        }

    /// The upload in one `upload` span (a null target has no name yet: the upload refuses it).
    let upload kind api options (target: 'Target) contentLength reader cancellationToken =
        let name = if isNull (box target) then "" else kind.NameOf target

        DataTransfer.traced kind.Service "upload" name (fun (u: Uploaded) -> u.Length) (fun () ->
            kind.Untraced api options target contentLength reader cancellationToken)

    /// `upload` of the bytes in memory.
    let fromBuf kind api options target (data: ReadOnlyMemory<byte>) cancellationToken =
        upload kind api options target (int64 data.Length) (DataTransfer.ofMemory data) cancellationToken

    /// `upload` of a readable, seekable stream.
    let fromStream kind api options target (stream: Stream) cancellationToken =
        DataTransfer.fromStream stream (fun length reader ->
            upload kind api options target length reader cancellationToken)

    /// `upload` of a file's contents.
    let fromFile kind api options target (path: string) cancellationToken =
        DataTransfer.fromFile path (fun length reader -> upload kind api options target length reader cancellationToken)
