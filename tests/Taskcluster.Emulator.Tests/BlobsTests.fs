/// The blob store: partial files never outlive an upload, however it ends.
module Taskcluster.Emulator.Tests.BlobsTests

open System
open System.IO
open System.Threading
open Expecto
open Taskcluster.Emulator.Internal

/// A body that gives some bytes, then fails as a connection the client aborted does.
type private AbortingStream(bytes: int) =
    inherit Stream()
    let mutable given = 0
    override _.CanRead = true
    override _.CanSeek = false
    override _.CanWrite = false
    override _.Length = raise (NotSupportedException())

    override _.Position
        with get () = int64 given
        and set _ = raise (NotSupportedException())

    override _.Flush() = ()
    override _.Seek(_, _) = raise (NotSupportedException())
    override _.SetLength _ = raise (NotSupportedException())
    override _.Write(_, _, _) = raise (NotSupportedException())

    override _.Read(buffer: byte array, offset: int, count: int) =
        if given >= bytes then
            raise (IOException "The client aborted the request")
        else
            let n = min count (bytes - given)
            Array.Fill(buffer, 7uy, offset, n)
            given <- given + n
            n

let private withStore (maxBytes: int64) (f: BlobStore -> string -> unit) =
    let dir =
        Path.Combine(Path.GetTempPath(), "emu-blobs-" + Guid.NewGuid().ToString("N"))

    use store = new BlobStore(dir, true, Array.zeroCreate 32, maxBytes)
    f store dir

let private leftovers (dir: string) = Directory.GetFiles(dir, "*.part")

let tests =
    testList
        "Blobs"
        [
            test "an upload the client aborts leaves no partial file" {
                withStore 1_000_000L (fun store dir ->
                    let attempt () =
                        store
                            .WriteAsync(
                                "object/x",
                                "text/plain",
                                None,
                                new AbortingStream(200_000),
                                CancellationToken.None
                            )
                            .GetAwaiter()
                            .GetResult()
                        |> ignore

                    Expect.throwsT<IOException> attempt "the abort reaches the caller"
                    Expect.isEmpty (leftovers dir) "no *.part file"
                    Expect.isNone (store.TryInfo "object/x") "nothing stored")
            }

            test "a cancelled upload leaves no partial file" {
                withStore 1_000_000L (fun store dir ->
                    use cts = new CancellationTokenSource()
                    cts.Cancel()

                    let attempt () =
                        store
                            .WriteAsync(
                                "object/y",
                                "text/plain",
                                None,
                                new MemoryStream(Array.zeroCreate 1000),
                                cts.Token
                            )
                            .GetAwaiter()
                            .GetResult()
                        |> ignore

                    Expect.throwsC attempt (fun e ->
                        Expect.isTrue (e :? OperationCanceledException) $"cancelled, not {e}")

                    Expect.isEmpty (leftovers dir) "no *.part file")
            }

            test "refused uploads (too large, wrong length) leave no partial file; a good one leaves its blob" {
                withStore 1000L (fun store dir ->
                    let write key expected length =
                        store
                            .WriteAsync(
                                key,
                                "text/plain",
                                expected,
                                new MemoryStream(Array.zeroCreate length),
                                CancellationToken.None
                            )
                            .GetAwaiter()
                            .GetResult()

                    Expect.isError (write "object/big" None 5000) "too large"
                    Expect.isError (write "object/short" (Some 10L) 5) "length mismatch"
                    Expect.isOk (write "object/good" None 10) "stored"
                    Expect.isEmpty (leftovers dir) "no *.part file"
                    Expect.equal (Directory.GetFiles(dir, "*.blob").Length) 1 "the good blob")
            }
        ]
