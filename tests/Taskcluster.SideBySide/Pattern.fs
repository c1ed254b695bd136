/// The bytes every transfer moves: a 1 MiB block of xorshift32 output repeated, the same block
/// `scripts/interop/bench-side-by-side.mjs` builds, so any client's download can be checked byte
/// for byte against the position it came from, at the cost of a memory compare.
module Taskcluster.SideBySide.Pattern

open System
open System.IO
open System.Threading
open System.Threading.Tasks

[<Literal>]
let MiB = 1048576L

/// byte i = low byte of the i-th xorshift32 (13, 17, 5) state from 0x9E3779B9.
let block: byte array =
    let b = Array.zeroCreate<byte> (int MiB)
    let mutable x = 0x9E3779B9u

    for i in 0 .. b.Length - 1 do
        x <- x ^^^ (x <<< 13)
        x <- x ^^^ (x >>> 17)
        x <- x ^^^ (x <<< 5)
        b[i] <- byte (x &&& 0xFFu)

    b

/// Copies the pattern bytes starting at `position` into `destination`.
let fill (position: int64) (destination: Span<byte>) =
    let mutable copied = 0

    while copied < destination.Length do
        let at = int ((position + int64 copied) % MiB)
        let chunk = min (destination.Length - copied) (block.Length - at)
        ReadOnlySpan(block, at, chunk).CopyTo(destination.Slice(copied, chunk))
        copied <- copied + chunk

/// Whether `data` equals the pattern bytes starting at `position`.
let matches (position: int64) (data: ReadOnlySpan<byte>) =
    let mutable ok = true
    let mutable checkedCount = 0

    while ok && checkedCount < data.Length do
        let at = int ((position + int64 checkedCount) % MiB)
        let chunk = min (data.Length - checkedCount) (block.Length - at)
        ok <- data.Slice(checkedCount, chunk).SequenceEqual(ReadOnlySpan(block, at, chunk))
        checkedCount <- checkedCount + chunk

    ok

/// `length` pattern bytes, readable and seekable (an upload rewinds it for a retry).
type PatternStream(length: int64) =
    inherit Stream()
    let mutable position = 0L

    override _.CanRead = true
    override _.CanSeek = true
    override _.CanWrite = false
    override _.Length = length

    override _.Position
        with get () = position
        and set value = position <- value

    override _.Flush() = ()

    override this.Read(buffer: byte array, offset: int, count: int) = this.Read(Span(buffer, offset, count))

    override _.Read(destination: Span<byte>) =
        let n = int (min (int64 destination.Length) (length - position))
        fill position (destination.Slice(0, n))
        position <- position + int64 n
        n

    override this.ReadAsync(destination: Memory<byte>, _: CancellationToken) =
        ValueTask<int>(this.Read(destination.Span))

    override this.ReadAsync(buffer: byte array, offset: int, count: int, _: CancellationToken) =
        Task.FromResult(this.Read(Span(buffer, offset, count)))

    override _.Seek(offset: int64, origin: SeekOrigin) =
        position <-
            match origin with
            | SeekOrigin.Begin -> offset
            | SeekOrigin.Current -> position + offset
            | _ -> length + offset

        position

    override _.SetLength _ = raise (NotSupportedException())
    override _.Write(_, _, _) = raise (NotSupportedException())

/// A destination that keeps nothing: it compares every byte written with the pattern at its
/// position and remembers the first mismatch. Seekable and truncatable, so a download can
/// start it again for a retry.
type VerifyingSink() =
    inherit Stream()
    let mutable position = 0L
    let mutable firstMismatch: int64 option = None

    /// The bytes written (the position).
    member _.Written = position

    /// The position of the first byte that differs from the pattern, if any.
    member _.FirstMismatch = firstMismatch

    override _.CanRead = false
    override _.CanSeek = true
    override _.CanWrite = true
    override _.Length = position

    override _.Position
        with get () = position
        and set value = position <- value

    override _.Flush() = ()
    override _.Read(_: byte array, _: int, _: int) : int = raise (NotSupportedException())

    override _.Seek(offset: int64, origin: SeekOrigin) =
        position <-
            match origin with
            | SeekOrigin.Begin -> offset
            | SeekOrigin.Current -> position + offset
            | _ -> position + offset

        position

    override _.SetLength(value: int64) =
        position <- min position value
        firstMismatch <- firstMismatch |> Option.filter (fun p -> p < value)

    override this.Write(buffer: byte array, offset: int, count: int) =
        this.Write(ReadOnlySpan(buffer, offset, count))

    override _.Write(data: ReadOnlySpan<byte>) =
        if firstMismatch.IsNone && not (matches position data) then
            firstMismatch <- Some position

        position <- position + int64 data.Length

    override this.WriteAsync(data: ReadOnlyMemory<byte>, _: CancellationToken) =
        this.Write(data.Span)
        ValueTask.CompletedTask

    override this.WriteAsync(buffer: byte array, offset: int, count: int, _: CancellationToken) =
        this.Write(ReadOnlySpan(buffer, offset, count))
        Task.CompletedTask

    /// Fails unless exactly `expected` pattern bytes were written.
    member _.Check(what: string, expected: int64) =
        match firstMismatch with
        | Some p -> failwithf "%s: the bytes written at %d differ from the data uploaded" what p
        | None when position <> expected -> failwithf "%s: %d bytes received, %d expected" what position expected
        | None -> ()
