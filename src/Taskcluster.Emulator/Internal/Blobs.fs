namespace Taskcluster.Emulator.Internal

open System
open System.Collections.Concurrent
open System.IO
open System.Security.Cryptography
open System.Threading
open System.Threading.Tasks

/// A stored blob's size, type and SHA-256 (hex).
type internal BlobInfo =
    {
        Length: int64
        ContentType: string
        Sha256: string
        Sha512: string
    }

/// Why a blob upload failed.
[<RequireQualifiedAccess>]
type internal BlobWriteError =
    | TooLarge of limit: int64
    | LengthMismatch of expected: int64 * actual: int64

/// The bytes behind emulator-hosted blob URLs, streamed to and from files in a folder of
/// their own (never held whole in memory), with URLs signed by an HMAC over the operation,
/// the key and the expiry.
[<Sealed>]
type internal BlobStore(directory: string, ownsDirectory: bool, secret: byte array, maxBytes: int64) =
    let infos = ConcurrentDictionary<string, BlobInfo>(StringComparer.Ordinal)
    let bufferSize = 81920

    do Directory.CreateDirectory directory |> ignore

    let fileOf (key: string) =
        let hash = SHA256.HashData(Util.utf8.GetBytes key)
        Path.Combine(directory, Convert.ToHexString(hash).ToLowerInvariant() + ".blob")

    let signature (op: string) (key: string) (expires: int64) =
        use h = new HMACSHA256(secret)
        Util.base64Url (ReadOnlySpan(h.ComputeHash(Util.utf8.GetBytes $"{op}\n{key}\n{expires}")))

    /// The path and query of a signed URL (`op` is `get` or `put`); keys are `<kind>/<name>`.
    member _.Sign(op: string, key: string, expires: DateTimeOffset) =
        let exp = expires.ToUnixTimeSeconds()
        let path = String.Join('/', key.Split('/') |> Array.map Uri.EscapeDataString)
        $"/__blobs/{path}?op={op}&expires={exp}&signature={signature op key exp}"

    /// Checks a blob URL's signature and expiry; `Error` carries the status and the message.
    member _.Verify(op: string, key: string, expires: string, sign: string, now: DateTimeOffset) =
        match Int64.TryParse expires with
        | true, exp when not (isNull sign) && Util.constantTimeEquals sign (signature op key exp) ->
            if exp <= now.ToUnixTimeSeconds() then
                Error(403, "Request has expired")
            else
                Ok()
        | _ -> Error(403, "The request signature does not match")

    member _.TryInfo(key: string) =
        match infos.TryGetValue key with
        | true, i -> Some i
        | _ -> None

    /// Streams a body into the blob, replacing any earlier content only once it is complete.
    member _.WriteAsync
        (key: string, contentType: string, expectedLength: int64 option, body: Stream, ct: CancellationToken)
        : Task<Result<BlobInfo, BlobWriteError>> =
        task {
            let target = fileOf key
            let temp = target + "." + Guid.NewGuid().ToString("N") + ".part"
            use sha256 = IncrementalHash.CreateHash(HashAlgorithmName.SHA256)
            use sha512 = IncrementalHash.CreateHash(HashAlgorithmName.SHA512)
            let buffer = Buffers.ArrayPool<byte>.Shared.Rent bufferSize
            let mutable total = 0L
            let mutable tooLarge = false
            // the partial file goes however the upload ends: refused, complete under another
            // name, or aborted by the client (the read throws), so none is left for good
            let mutable kept = false

            try
                do!
                    task {
                        use file =
                            new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize, true)

                        let mutable reading = true

                        while reading do
                            let! n = body.ReadAsync(buffer.AsMemory(0, bufferSize), ct)

                            if n = 0 then
                                reading <- false
                            else
                                total <- total + int64 n

                                if total > maxBytes then
                                    tooLarge <- true
                                    reading <- false
                                else
                                    sha256.AppendData(buffer, 0, n)
                                    sha512.AppendData(buffer, 0, n)
                                    do! file.WriteAsync(buffer.AsMemory(0, n), ct)
                    }

                match expectedLength with
                | _ when tooLarge -> return Error(BlobWriteError.TooLarge maxBytes)
                | Some expected when expected <> total -> return Error(BlobWriteError.LengthMismatch(expected, total))
                | _ ->
                    File.Move(temp, target, true)
                    kept <- true

                    let info =
                        {
                            Length = total
                            ContentType = contentType
                            Sha256 = Convert.ToHexString(sha256.GetHashAndReset()).ToLowerInvariant()
                            Sha512 = Convert.ToHexString(sha512.GetHashAndReset()).ToLowerInvariant()
                        }

                    infos[key] <- info
                    return Ok info
            finally
                Buffers.ArrayPool<byte>.Shared.Return buffer

                if not kept then
                    try
                        File.Delete temp
                    with _ ->
                        ()
        }

    /// Opens a stored blob for streaming.
    member _.OpenRead(key: string) : Stream option =
        match infos.TryGetValue key with
        | true, _ ->
            try
                Some(new FileStream(fileOf key, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize, true))
            with :? FileNotFoundException ->
                None
        | _ -> None

    member _.Delete(key: string) =
        infos.TryRemove key |> ignore

        try
            File.Delete(fileOf key)
        with _ ->
            ()

    member _.Directory = directory

    interface IDisposable with
        member _.Dispose() =
            if ownsDirectory then
                try
                    Directory.Delete(directory, true)
                with _ ->
                    ()
