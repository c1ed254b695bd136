namespace Taskcluster.Client

// The streams of transfers: a borrowed stream, the download buffer, the one-pass SHA-256 and
// SHA-512 hasher, chunked reads and the upload content that hashes as it sends.

open System
open System.Buffers
open System.IO
open System.Net
open System.Net.Http
open System.Runtime.ExceptionServices
open System.Security.Cryptography
open System.Threading
open System.Threading.Tasks

/// A stream over a caller's stream that leaves it open when disposed, so that the stream can be
/// handed to one attempt after another.
[<Sealed>]
type internal BorrowedStream(inner: Stream) =
    inherit Stream()
    override _.CanRead = inner.CanRead
    override _.CanSeek = inner.CanSeek
    override _.CanWrite = inner.CanWrite
    override _.Length = inner.Length

    override _.Position
        with get () = inner.Position
        and set value = inner.Position <- value

    override _.Flush() = inner.Flush()
    override _.FlushAsync(ct: CancellationToken) = inner.FlushAsync(ct)
    override _.Read(buffer: byte array, offset: int, count: int) = inner.Read(buffer, offset, count)

    override _.ReadAsync(buffer: Memory<byte>, ct: CancellationToken) = inner.ReadAsync(buffer, ct)

    override _.ReadAsync(buffer: byte array, offset: int, count: int, ct: CancellationToken) =
        inner.ReadAsync(buffer, offset, count, ct)

    override _.Write(buffer: byte array, offset: int, count: int) = inner.Write(buffer, offset, count)

    override _.WriteAsync(buffer: ReadOnlyMemory<byte>, ct: CancellationToken) = inner.WriteAsync(buffer, ct)

    override _.WriteAsync(buffer: byte array, offset: int, count: int, ct: CancellationToken) =
        inner.WriteAsync(buffer, offset, count, ct)

    override _.Seek(offset: int64, origin: SeekOrigin) = inner.Seek(offset, origin)
    override _.SetLength(value: int64) = inner.SetLength(value)

/// The memory a download into a buffer writes to. It grows with the bytes that actually arrive
/// (doubling, from 64 KiB), never to the length a response announced before its bytes came;
/// the announced length only caps each step, so that a truthful one ends in an array of exactly
/// that size (handed over without a copy).
[<Sealed>]
type internal DownloadBuffer(announced: int64 option) =
    inherit MemoryStream()

    member private this.Reserve(count: int) =
        let needed = this.Position + int64 count

        if needed > int64 this.Capacity then
            let doubled = max (int64 this.Capacity * 2L) 65536L
            let step = max doubled needed

            let capacity =
                match announced with
                | Some a when a >= needed -> min a step
                | _ -> step

            // Past what an array can hold, MemoryStream refuses the write itself.
            if capacity <= int64 Array.MaxLength then
                this.Capacity <- int capacity

    override this.Write(buffer: ReadOnlySpan<byte>) =
        this.Reserve buffer.Length
        base.Write(buffer)

    override this.Write(buffer: byte array, offset: int, count: int) =
        this.Reserve count
        base.Write(buffer, offset, count)

    override this.WriteAsync(buffer: ReadOnlyMemory<byte>, ct: CancellationToken) =
        this.Reserve buffer.Length
        base.WriteAsync(buffer, ct)

    override this.WriteAsync(buffer: byte array, offset: int, count: int, ct: CancellationToken) =
        this.Reserve count
        base.WriteAsync(buffer, offset, count, ct)

/// SHA-256 and SHA-512 of one pass over the data, chunk by chunk. SHA-512 is the slower of
/// the two, so it runs on another thread while the caller hashes SHA-256 and moves the bytes on:
/// a chunk must stay untouched until the next `Append` (or `Finish`) has returned, which two
/// buffers used in turn guarantee.
[<Sealed>]
type internal Hasher() =
    let sha256 = IncrementalHash.CreateHash HashAlgorithmName.SHA256
    let sha512 = IncrementalHash.CreateHash HashAlgorithmName.SHA512
    let mutable pending = Task.CompletedTask

    member _.Append(chunk: ReadOnlyMemory<byte>) : Task =
        task {
            do! pending
            pending <- Task.Run(fun () -> sha512.AppendData chunk.Span)
            sha256.AppendData chunk.Span
        }

    /// The lower-case hex digests, as the object service records them.
    member _.Finish() =
        task {
            do! pending

            return
                struct (Convert.ToHexStringLower(sha256.GetHashAndReset()),
                        Convert.ToHexStringLower(sha512.GetHashAndReset()))
        }

    /// The digests of bytes in memory.
    static member Of(data: ReadOnlySpan<byte>) =
        struct (Convert.ToHexStringLower(SHA256.HashData data), Convert.ToHexStringLower(SHA512.HashData data))

    /// Waits for the SHA-512 of the last chunk (a moment), so that its buffer may be reused.
    member _.Settle() =
        try
            pending.Wait()
        with _ ->
            ()

    interface IDisposable with
        member this.Dispose() =
            this.Settle()
            sha256.Dispose()
            sha512.Dispose()

/// Fills `buffer` from `stream` up to `count` bytes or the end of the stream; the bytes read
/// and whether the end was reached. `onRead` runs after every read (the stall watchdog).
module internal Chunks =
    let fill (stream: Stream) (buffer: byte array) (count: int) (onRead: unit -> unit) (ct: CancellationToken) =
        task {
            let mutable n = 0
            let mutable ended = false

            while n < count && not ended do
                let! read = stream.ReadAsync(buffer.AsMemory(n, count - n), ct)
                onRead ()

                if read = 0 then ended <- true else n <- n + read

            return struct (n, ended)
        }

/// The body of an upload attempt: the reader's bytes, hashed and counted on their way to the
/// connection. A reader that ends early or goes on past the announced length stops the upload
/// before a wrong object can be stored.
[<Sealed>]
type internal UploadContent(reader: Stream, length: int64, chunkSize: int, hasher: Hasher, onChunk: int64 -> unit) =
    inherit HttpContent()

    let finished =
        TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)

    /// What the reader threw: the caller's error, not a transport failure.
    member val ReaderError: exn = null with get, set
    /// The bytes the reader gave, when they differ from the announced length.
    member val Mismatch: int64 voption = ValueNone with get, set
    /// Completes when every byte has been handed to the connection.
    member _.Finished = finished.Task

    override _.TryComputeLength(result: byref<int64>) =
        result <- length
        true

    override this.SerializeToStreamAsync(stream: Stream, context: TransportContext) =
        this.SerializeToStreamAsync(stream, context, CancellationToken.None)

    override this.SerializeToStreamAsync(stream: Stream, _context: TransportContext, ct: CancellationToken) : Task =
        task {
            let buffers =
                [|
                    ArrayPool<byte>.Shared.Rent chunkSize
                    ArrayPool<byte>.Shared.Rent chunkSize
                |]

            try
                try
                    let mutable sent = 0L
                    let mutable turn = 0
                    let mutable ended = false

                    while not ended do
                        let buffer = buffers[turn &&& 1]
                        // One byte more than remains, so that a reader longer than announced shows.
                        let want = int (min (int64 chunkSize) (length - sent + 1L))
                        let mutable n = 0

                        try
                            let! struct (read, atEnd) = Chunks.fill reader buffer want ignore ct
                            n <- read
                            ended <- atEnd
                        with e ->
                            this.ReaderError <- e
                            ExceptionDispatchInfo.Throw e

                        if sent + int64 n > length then
                            this.Mismatch <- ValueSome(sent + int64 n)
                            raise (IOException "the reader gave more bytes than the content length")
                        elif n > 0 then
                            let chunk = ReadOnlyMemory(buffer, 0, n)
                            do! hasher.Append chunk
                            do! stream.WriteAsync(chunk, ct)
                            sent <- sent + int64 n
                            turn <- turn + 1
                            onChunk sent

                    if sent <> length then
                        this.Mismatch <- ValueSome sent
                        raise (IOException "the reader gave fewer bytes than the content length")

                    finished.TrySetResult() |> ignore
                with e ->
                    finished.TrySetException e |> ignore
                    ExceptionDispatchInfo.Throw e
            finally
                hasher.Settle()

                for b in buffers do
                    ArrayPool<byte>.Shared.Return b
        }
