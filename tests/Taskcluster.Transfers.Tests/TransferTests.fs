/// Object-service uploads and downloads against the emulator, with its fault injection.
module Taskcluster.Transfers.Tests.TransferTests

open System
open System.IO
open System.Net.Http
open System.Security.Cryptography
open System.Text.Json
open System.Threading
open System.Threading.Tasks
open Expecto
open Taskcluster.Core
open Taskcluster.Client
open Taskcluster.Emulator
open Taskcluster.Transfers.Tests.Support

let private none = CancellationToken.None

/// The ordering every transfer's reports keep: by attempt, then by bytes.
let expectOrdered (reports: TransferProgress list) (total: int64) =
    Expect.isNonEmpty reports "some progress was reported"

    reports
    |> List.pairwise
    |> List.iter (fun (a, b) ->
        let ordered =
            b.Attempt > a.Attempt
            || (b.Attempt = a.Attempt && b.BytesTransferred >= a.BytesTransferred)

        Expect.isTrue ordered $"reports in order: %A{a} then %A{b}")

    let last = List.last reports
    Expect.equal last.BytesTransferred total "the last report is at the total"
    Expect.equal last.TotalBytes (Some total) "the last report knows the total"

/// An `ObjectApi` whose `createUpload` proposals are rewritten (to steer the service's choice).
let private rewritingProposals (objects: ObjectApi) (rewrite: (string * Json) list -> (string * Json) list) =
    { objects with
        CreateUpload =
            fun name payload ct ->
                let payload =
                    match payload with
                    | Json.Object members ->
                        members
                        |> List.map (fun (k, v) ->
                            match k, v with
                            | "proposedUploadMethods", Json.Object methods -> k, Json.Object(rewrite methods)
                            | _ -> k, v)
                        |> Json.Object
                    | other -> other

                objects.CreateUpload name payload ct
    }

/// Creates a finished object through the raw API, with the hashes given (or none).
let private rawObject (objects: ObjectApi) (name: string) (data: byte array) (hashes: (string * string) list) =
    task {
        let uploadId = slugId ()

        let create =
            Encode.object
                [
                    "projectId", Encode.string projectId
                    "uploadId", Encode.string uploadId
                    "expires", Encode.string (FromNow.format (expires ()))
                    "proposedUploadMethods",
                    Encode.object
                        [
                            "dataInline",
                            Encode.object
                                [
                                    "contentType", Encode.string "application/x-test"
                                    "objectData", Encode.string (Convert.ToBase64String data)
                                ]
                        ]
                ]

        let! created = objects.CreateUpload name create none
        Expect.isOk created "createUpload"

        let finish =
            Encode.object
                [
                    "projectId", Encode.string projectId
                    "uploadId", Encode.string uploadId
                    if not hashes.IsEmpty then
                        "hashes", Encode.object [ for k, v in hashes -> k, Encode.string v ]
                ]

        let! finished = objects.FinishUpload name finish none
        Expect.isOk finished "finishUpload"
    }

/// Plays a server that gzips the data it serves, to a client that does not decode by itself.
type private GzipBlobsHandler() =
    inherit DelegatingHandler(new SocketsHttpHandler(AllowAutoRedirect = false))
    let mutable encoded = 0
    member _.Encoded = encoded

    override _.SendAsync(request, cancellationToken) =
        let send = base.SendAsync(request, cancellationToken)

        task {
            let! response = send

            if
                request.Method = HttpMethod.Get
                && request.RequestUri.AbsolutePath.StartsWith "/__blobs/"
                && response.IsSuccessStatusCode
            then
                let! plain = response.Content.ReadAsByteArrayAsync(cancellationToken)
                use packed = new MemoryStream()

                do
                    use gzip =
                        new Compression.GZipStream(packed, Compression.CompressionLevel.Fastest, true)

                    gzip.Write(plain, 0, plain.Length)

                let content = new ByteArrayContent(packed.ToArray())
                content.Headers.ContentType <- response.Content.Headers.ContentType
                content.Headers.ContentEncoding.Add "gzip"
                response.Content <- content
                encoded <- encoded + 1

            return response
        }

/// Cancels a token as soon as some bytes have moved.
type private CancelOnProgress(cts: CancellationTokenSource) =
    interface IProgress<TransferProgress> with
        member _.Report p =
            if p.BytesTransferred > 0L then
                cts.Cancel()

let private uploadTests =
    testList
        "upload"
        [
            testCase "sizes around the inline threshold round-trip: inline below 8 KiB, putUrl from 8 KiB"
            <| fun () ->
                let objects = objects ()

                for size in [ 0; 1; 100; 8191; 8192; 8193; 200_000 ] do
                    let name = objectName ()
                    let data = bytes size size
                    let result = uploaded objects name data

                    let expected =
                        if size < Transfer.DataInlineMaxSize then
                            UploadMethod.DataInline
                        else
                            UploadMethod.PutUrl

                    Expect.equal result.Method expected $"method for {size} bytes"
                    Expect.equal result.Length (int64 size) "length"
                    Expect.equal result.Sha256 (sha256Hex data) "sha256"
                    Expect.equal result.Sha512 (Convert.ToHexStringLower(SHA512.HashData data)) "sha512"
                    let back, downloaded = downloaded objects name |> expectOk "download"
                    Expect.equal back data $"the {size} bytes come back"
                    Expect.equal downloaded.ContentType "application/x-test" "content type"
                    Expect.equal downloaded.VerifiedHashes [ "sha256"; "sha512" ] "both hashes verified"

            testCase "finishUpload records the sha256 and sha512 of the data"
            <| fun () ->
                let objects = objects ()
                let name = objectName ()
                let data = bytes 7 50_000
                uploaded objects name data |> ignore
                let metadata = objects.Metadata name none |> run
                Expect.isOk metadata "metadata"
                let hashes = (Result.defaultValue (JsonElement()) metadata).GetProperty "hashes"
                Expect.equal (hashes.GetProperty("sha256").GetString()) (sha256Hex data) "sha256"

                Expect.equal
                    (hashes.GetProperty("sha512").GetString())
                    (Convert.ToHexStringLower(SHA512.HashData data))
                    "sha512"

            testCase "a PUT answered 5xx or dropped is retried with a fresh reader and stores the right bytes"
            <| fun () ->
                let e = emulator.Force()
                let objects = objects ()

                for fault in [ Fault.Status 503; Fault.DropConnection ] do
                    let name = objectName ()
                    let data = bytes 11 100_000
                    let reader = CountingReader data
                    blobFault e name fault 2

                    let result =
                        Transfer.upload
                            objects
                            Transfer.defaults
                            (uploadRequest name)
                            data.LongLength
                            reader.Factory
                            none
                        |> run
                        |> expectOk $"upload through {fault}"

                    Expect.equal reader.Calls 3 "the reader factory was called for every attempt"
                    Expect.equal result.Method UploadMethod.PutUrl "putUrl"
                    let back, _ = downloaded objects name |> expectOk "download"
                    Expect.equal back data "the stored bytes"

            testCase "a 4xx from the PUT is fatal at once, and the upload is not finished"
            <| fun () ->
                let e = emulator.Force()
                let objects = objects ()
                let name = objectName ()
                let data = bytes 12 20_000
                let reader = CountingReader data
                blobFault e name (Fault.Status 400) 1

                let error =
                    Transfer.upload objects Transfer.defaults (uploadRequest name) data.LongLength reader.Factory none
                    |> run
                    |> expectError "upload"

                Expect.equal error.Status (Some 400) "the 400"
                Expect.equal reader.Calls 1 "not retried"

                match error with
                | TransferError.Request(TaskclusterError.ClientError se) ->
                    Expect.equal se.Request.Name "object.createUpload (putUrl)" "named after the method"
                    Expect.isFalse (se.Request.Url.Contains "signature") "the URL's signature is not shown"
                | other -> failtestf "expected a ClientError, got %A" other

                let missing =
                    downloaded objects name |> expectError "download of the unfinished object"

                Expect.equal missing.Status (Some 404) "never finished"

            testCase "when the retries run out the last failure is the error"
            <| fun () ->
                let e = emulator.Force()
                let objects = objects ()
                let name = objectName ()
                let data = bytes 13 20_000
                let reader = CountingReader data
                blobFault e name (Fault.Status 500) 5

                let error =
                    Transfer.upload
                        objects
                        { Transfer.defaults with
                            MaxRetries = Some 2
                        }
                        (uploadRequest name)
                        data.LongLength
                        reader.Factory
                        none
                    |> run
                    |> expectError "upload"

                Expect.equal reader.Calls 3 "1 attempt and 2 retries"

                match error with
                | TransferError.Request(TaskclusterError.ServerError se) -> Expect.equal se.Attempts 3 "attempts"
                | other -> failtestf "expected a ServerError, got %A" other

            testCase "a reader shorter or longer than contentLength is a LengthMismatch and nothing is finished"
            <| fun () ->
                let objects = objects ()

                for size in [ 100; 50_000 ] do
                    for delta in [ -1; 1 ] do
                        let name = objectName ()
                        let data = bytes size (size + delta)
                        let reader = CountingReader data

                        let error =
                            Transfer.upload
                                objects
                                Transfer.defaults
                                (uploadRequest name)
                                (int64 size)
                                reader.Factory
                                none
                            |> run
                            |> expectError "upload"

                        match error with
                        | TransferError.LengthMismatch(n, expected, actual) ->
                            Expect.equal n name "name"
                            Expect.equal expected (int64 size) "expected"

                            if delta < 0 then
                                Expect.equal actual (int64 (size - 1)) "actual"
                            else
                                Expect.isGreaterThan actual (int64 size) "actual"
                        | other -> failtestf "expected a LengthMismatch, got %A" other

                        Expect.equal reader.Calls 1 "not retried"
                        let missing = downloaded objects name |> expectError "download"
                        Expect.equal missing.Status (Some 404) "nothing was finished"

            testCase "an expired putUrl is renewed with createUpload and the upload goes on"
            <| fun () ->
                let e = emulator.Force()
                let objects = objects ()
                let name = objectName ()
                let data = bytes 14 30_000
                blobFault e name Fault.ExpiredUrl 1
                uploaded objects name data |> ignore
                Expect.equal (calls e "createUpload" (unique name)) 2 "createUpload called again"
                let back, _ = downloaded objects name |> expectOk "download"
                Expect.equal back data "bytes"

            testCase "a small object taken by putUrl is sent from the bytes read once, also on retries"
            <| fun () ->
                let e = emulator.Force()

                let objects =
                    rewritingProposals (objects ()) (List.filter (fun (k, _) -> k <> "dataInline"))

                for size in [ 5000; 0 ] do
                    let name = objectName ()
                    let data = bytes 15 size
                    let reader = CountingReader data
                    blobFault e name (Fault.Status 502) 1

                    let result =
                        Transfer.upload
                            objects
                            Transfer.defaults
                            (uploadRequest name)
                            data.LongLength
                            reader.Factory
                            none
                        |> run
                        |> expectOk "upload"

                    Expect.equal result.Method UploadMethod.PutUrl "the service chose putUrl"
                    Expect.equal reader.Calls 1 "read once"
                    let back, _ = downloaded objects name |> expectOk "download"
                    Expect.equal back data $"the {size} bytes"

            testCase "a service that accepts no proposed method is an UnsupportedMethod"
            <| fun () ->
                let objects = rewritingProposals (objects ()) (fun _ -> [])
                let name = objectName ()

                let error =
                    Transfer.uploadFromBuf
                        objects
                        Transfer.defaults
                        (uploadRequest name)
                        (ReadOnlyMemory(bytes 1 10))
                        none
                    |> run
                    |> expectError "upload"

                Expect.equal error (TransferError.UnsupportedMethod(name, "none")) "no method"

            testCase "the upload id given is the one used"
            <| fun () ->
                let objects = objects ()
                let id = Helpers.slugId ()
                let name = objectName ()

                let result =
                    Transfer.uploadFromBuf
                        objects
                        Transfer.defaults
                        { uploadRequest name with
                            UploadId = Some id
                        }
                        (ReadOnlyMemory(bytes 2 20_000))
                        none
                    |> run
                    |> expectOk "upload"

                Expect.equal result.UploadId id "uploadId"

            testCase "uploads from a seekable stream (from position 0) and from a file"
            <| fun () ->
                let objects = objects ()
                let data = bytes 16 70_000
                use stream = new MemoryStream(data)
                stream.Position <- stream.Length
                let name = objectName ()

                Transfer.uploadFromStream objects Transfer.defaults (uploadRequest name) stream none
                |> run
                |> expectOk "from a stream"
                |> ignore

                Expect.equal (fst (downloaded objects name |> expectOk "download")) data "stream bytes"
                Expect.isTrue stream.CanRead "the stream is left open"
                use folder = new TempFolder()
                let path = folder.File "data.bin"
                File.WriteAllBytes(path, data)
                let fileName = objectName ()

                Transfer.uploadFromFile objects Transfer.defaults (uploadRequest fileName) path none
                |> run
                |> expectOk "from a file"
                |> ignore

                Expect.equal (fst (downloaded objects fileName |> expectOk "download")) data "file bytes"

                match
                    Transfer.uploadFromFile
                        objects
                        Transfer.defaults
                        (uploadRequest (objectName ()))
                        (folder.File "missing")
                        none
                    |> run
                with
                | Error(TransferError.FileError(p, _)) -> Expect.stringContains p "missing" "the path"
                | other -> failtestf "expected a FileError, got %A" other

            testCase "bad arguments are refused before anything is sent"
            <| fun () ->
                let objects = objects ()
                let reader = CountingReader [||]

                let refused (options: TransferOptions) (request: UploadRequest) (length: int64) =
                    match Transfer.upload objects options request length reader.Factory none |> run with
                    | Error(TransferError.InvalidArgument(argument, _)) -> argument
                    | other -> failtestf "expected an InvalidArgument, got %A" other

                Expect.equal (refused Transfer.defaults (uploadRequest (objectName ())) -1L) "contentLength" "length"
                Expect.equal (refused Transfer.defaults (uploadRequest "") 0L) "name" "name"

                Expect.equal
                    (refused
                        { Transfer.defaults with
                            MaxRetries = Some -1
                        }
                        (uploadRequest (objectName ()))
                        0L)
                    "maxRetries"
                    "retries"

                Expect.equal reader.Calls 0 "the reader was never opened"

                use writeOnly =
                    new FileStream(
                        Path.GetTempFileName(),
                        FileMode.Open,
                        FileAccess.Write,
                        FileShare.None,
                        1,
                        FileOptions.DeleteOnClose
                    )

                match
                    Transfer.uploadFromStream objects Transfer.defaults (uploadRequest (objectName ())) writeOnly none
                    |> run
                with
                | Error(TransferError.InvalidArgument("stream", _)) -> ()
                | other -> failtestf "expected an InvalidArgument, got %A" other

            testCase "progress is ordered by attempt and bytes and ends at the total, across retries"
            <| fun () ->
                let e = emulator.Force()
                let objects = objects ()
                let name = objectName ()
                let data = bytes 17 300_000
                let recorder = Recorder()
                blobFault e name (Fault.Status 500) 1

                Transfer.uploadFromBuf objects (withProgress recorder) (uploadRequest name) (ReadOnlyMemory data) none
                |> run
                |> expectOk "upload"
                |> ignore

                expectOrdered recorder.Reports data.LongLength

                Expect.equal (recorder.Reports |> List.map _.Attempt |> List.distinct) [ 1; 2 ] "a report per attempt"

                Expect.isTrue
                    (recorder.Reports |> List.forall (fun r -> r.TotalBytes = Some data.LongLength))
                    "uploads always know the total"

                let inlineRecorder = Recorder()

                Transfer.uploadFromBuf
                    objects
                    (withProgress inlineRecorder)
                    (uploadRequest (objectName ()))
                    (ReadOnlyMemory(bytes 1 100))
                    none
                |> run
                |> expectOk "inline upload"
                |> ignore

                expectOrdered inlineRecorder.Reports 100L

            testCase "cancellation mid-upload ends with OperationCanceledException and finishes nothing"
            <| fun () ->
                let objects = objects ()
                let name = objectName ()
                use cts = new CancellationTokenSource()
                let options = withProgress (CancelOnProgress cts)

                let attempt () =
                    Transfer.uploadFromBuf
                        objects
                        options
                        (uploadRequest name)
                        (ReadOnlyMemory(bytes 3 4_000_000))
                        cts.Token
                    |> run
                    |> ignore

                Expect.throwsT<OperationCanceledException> attempt "cancelled"
                let missing = downloaded objects name |> expectError "download"
                Expect.equal missing.Status (Some 404) "not finished"
        ]

let private downloadTests =
    testList
        "download"
        [
            testCase "5xx, dropped connections and truncated bodies are retried into the right bytes"
            <| fun () ->
                let e = emulator.Force()
                let objects = objects ()
                use folder = new TempFolder()

                for fault in [ Fault.Status 503; Fault.DropConnection; Fault.TruncateBody 1000 ] do
                    let name = objectName ()
                    let data = bytes 21 300_000
                    uploaded objects name data |> ignore
                    blobFault e name fault 2
                    let back, _ = downloaded objects name |> expectOk $"download through {fault}"
                    Expect.equal back data $"bytes after {fault}"
                    blobFault e name fault 2
                    let path = folder.File "out.bin"

                    Transfer.downloadToFile objects Transfer.defaults name path none
                    |> run
                    |> expectOk $"download to a file through {fault}"
                    |> ignore

                    Expect.equal (File.ReadAllBytes path) data "file bytes"
                    Expect.equal folder.Entries [| "out.bin" |] "no temporary file left"

            testCase "corrupted bytes are a HashMismatch, never retried into success, and leave no file"
            <| fun () ->
                let e = emulator.Force()
                let objects = objects ()
                let name = objectName ()
                let data = bytes 22 100_000
                uploaded objects name data |> ignore
                blobFault e name Fault.CorruptBytes 1

                match downloaded objects name with
                | Error(TransferError.HashMismatch(n, algorithm, expected, actual)) ->
                    Expect.equal n name "name"
                    Expect.equal algorithm "sha256" "the first hash checked"
                    Expect.equal expected (sha256Hex data) "expected"
                    Expect.notEqual actual expected "actual"
                | other -> failtestf "expected a HashMismatch, got %A" other

                use folder = new TempFolder()
                let path = folder.File "out.bin"
                File.WriteAllText(path, "the old content")
                blobFault e name Fault.CorruptBytes 1

                match Transfer.downloadToFile objects Transfer.defaults name path none |> run with
                | Error(TransferError.HashMismatch _) -> ()
                | other -> failtestf "expected a HashMismatch, got %A" other

                Expect.equal (File.ReadAllText path) "the old content" "the destination is untouched"
                Expect.equal folder.Entries [| "out.bin" |] "no temporary file left"

                Transfer.downloadToFile objects Transfer.defaults name path none
                |> run
                |> expectOk "a clean download"
                |> ignore

                Expect.equal (File.ReadAllBytes path) data "replaced once verified"

            testCase "an expired download URL is renewed once; a renewed URL refused again is fatal"
            <| fun () ->
                let e = emulator.Force()
                let objects = objects ()
                let name = objectName ()
                let data = bytes 23 20_000
                uploaded objects name data |> ignore
                blobFault e name Fault.ExpiredUrl 1
                let back, _ = downloaded objects name |> expectOk "download"
                Expect.equal back data "bytes"
                Expect.equal (calls e "startDownload" (unique name)) 2 "startDownload again"
                blobFault e name Fault.ExpiredUrl 2
                let error = downloaded objects name |> expectError "download"
                Expect.equal error.Status (Some 403) "the second refusal"

            testCase "an object without an acceptable hash is refused before any byte is fetched"
            <| fun () ->
                let handler = new RecordingHandler()

                let objects =
                    clientWith (emulator.Force()) (fun o ->
                        { o with
                            HttpMessageHandler = Some handler
                        })
                    |> Taskcluster.Services.Object
                    |> ObjectApi.ofService

                let name = objectName ()
                rawObject objects name (bytes 1 100) [ "md5", "00" ] |> run
                let error = downloaded objects name |> expectError "download"
                Expect.equal error (TransferError.NoAcceptableHash(name, [ "md5" ])) "no acceptable hash"

                Expect.isFalse
                    (handler.Sent |> List.exists (fun s -> s.Url.Contains "/__blobs/"))
                    "the data URL was never fetched"

                let unhashed = objectName ()
                rawObject objects unhashed (bytes 1 100) [] |> run

                Expect.equal
                    (downloaded objects unhashed |> expectError "download")
                    (TransferError.NoAcceptableHash(unhashed, []))
                    "no hash at all"

            testCase "every known hash is verified, unknown ones are ignored"
            <| fun () ->
                let objects = objects ()
                let data = bytes 24 3000
                let onlySha256 = objectName ()

                rawObject objects onlySha256 data [ "sha256", sha256Hex data; "md5", "whatever" ]
                |> run

                let back, result = downloaded objects onlySha256 |> expectOk "download"
                Expect.equal back data "bytes"
                Expect.equal result.VerifiedHashes [ "sha256" ] "sha256 verified"
                let wrongSha512 = objectName ()

                rawObject objects wrongSha512 data [ "sha256", sha256Hex data; "sha512", String('0', 128) ]
                |> run

                match downloaded objects wrongSha512 with
                | Error(TransferError.HashMismatch(_, "sha512", _, _)) -> ()
                | other -> failtestf "expected a sha512 mismatch, got %A" other

            testCase "the simple method is verified with the hashes of the object's metadata"
            <| fun () ->
                let plain = objects ()

                let objects =
                    { plain with
                        StartDownload =
                            fun name _ ct ->
                                plain.StartDownload
                                    name
                                    (Encode.object
                                        [ "acceptDownloadMethods", Encode.object [ "simple", Encode.bool true ] ])
                                    ct
                    }

                let name = objectName ()
                let data = bytes 25 40_000
                uploaded objects name data |> ignore
                let back, result = downloaded objects name |> expectOk "download"
                Expect.equal back data "bytes"
                Expect.equal result.Method DownloadMethod.Simple "simple"
                Expect.equal result.VerifiedHashes [ "sha256"; "sha512" ] "verified"

            testCase "downloadToStream writes from the stream's position and discards failed attempts"
            <| fun () ->
                let e = emulator.Force()
                let objects = objects ()
                let name = objectName ()
                let data = bytes 26 200_000
                uploaded objects name data |> ignore
                blobFault e name (Fault.TruncateBody 70_000) 1
                use stream = new MemoryStream()
                stream.Write("prefix"B, 0, 6)

                Transfer.downloadToStream objects Transfer.defaults name stream none
                |> run
                |> expectOk "download"
                |> ignore

                Expect.equal (stream.ToArray()) (Array.append "prefix"B data) "prefix then the data, once"

            testCase "a gzip-encoded body is decoded before it is hashed and written"
            <| fun () ->
                let handler = new GzipBlobsHandler()

                let objects =
                    clientWith (emulator.Force()) (fun o ->
                        { o with
                            HttpMessageHandler = Some handler
                        })
                    |> Taskcluster.Services.Object
                    |> ObjectApi.ofService

                let name = objectName ()
                let data = Array.init 300_000 (fun i -> byte (i / 1000))
                uploaded objects name data |> ignore
                let back, result = downloaded objects name |> expectOk "download"
                Expect.isGreaterThan handler.Encoded 0 "the body came gzip-encoded"
                Expect.equal back data "decoded bytes"
                Expect.equal result.VerifiedHashes [ "sha256"; "sha512" ] "verified after decoding"

            testCase "a missing object is a 404"
            <| fun () ->
                let error = downloaded (objects ()) (objectName ()) |> expectError "download"
                Expect.equal error.Status (Some 404) "404"

            testCase "progress of a download is ordered and ends at the total"
            <| fun () ->
                let e = emulator.Force()
                let objects = objects ()
                let name = objectName ()
                let data = bytes 27 400_000
                uploaded objects name data |> ignore
                blobFault e name (Fault.TruncateBody 100_000) 1
                let recorder = Recorder()

                Transfer.downloadToBuf objects (withProgress recorder) name none
                |> run
                |> expectOk "download"
                |> ignore

                expectOrdered recorder.Reports data.LongLength
                Expect.equal (recorder.Reports |> List.map _.Attempt |> List.distinct) [ 1; 2 ] "two attempts"

            testCase "cancellation mid-download ends with OperationCanceledException and leaves no file"
            <| fun () ->
                let objects = objects ()
                let name = objectName ()
                uploaded objects name (bytes 28 4_000_000) |> ignore
                use folder = new TempFolder()
                use cts = new CancellationTokenSource()

                Expect.throwsT<OperationCanceledException>
                    (fun () ->
                        Transfer.downloadToFile
                            objects
                            (withProgress (CancelOnProgress cts))
                            name
                            (folder.File "out.bin")
                            cts.Token
                        |> run
                        |> ignore)
                    "cancelled"

                Expect.isEmpty folder.Entries "no file, no temporary file"

            testCase "a download that stalls longer than the client's Timeout is retried"
            <| fun () ->
                let e = emulator.Force()

                let objects =
                    clientWith e (fun o ->
                        { o with
                            TimeProvider = TimeProvider.System
                            Timeout = TimeSpan.FromSeconds 1.0
                        })
                    |> Taskcluster.Services.Object
                    |> ObjectApi.ofService

                let name = objectName ()
                let data = bytes 29 10_000
                uploaded objects name data |> ignore
                blobFault e name (Fault.Delay(TimeSpan.FromSeconds 5.0)) 1
                let recorder = Recorder()

                let back, _ =
                    Transfer.downloadToBuf objects (withProgress recorder) name none
                    |> run
                    |> expectOk "download"

                Expect.equal back data "bytes"
                Expect.equal (recorder.Reports |> List.last).Attempt 2 "the second attempt"
        ]

/// An object API that fails the test if any method is called, and a client nothing listens to.
let private untouchable () =
    let calls = ref 0

    let fail _ =
        calls.Value <- calls.Value + 1

        Task.FromResult(
            Error(
                TaskclusterError.Cancelled
                    {
                        Name = "x"
                        Method = "GET"
                        Url = "http://x"
                    }
            )
        )

    calls,
    { objects () with
        CreateUpload = fun _ _ ct -> fail ct
        FinishUpload = fun _ _ ct -> fail ct
        StartDownload = fun _ _ ct -> fail ct
        Metadata = fun _ ct -> fail ct
    }

/// An object API whose `startDownload` or `createUpload` hands out this JSON.
let private answering (createUpload: string) (startDownload: string) =
    let answer (json: string) =
        Task.FromResult(Ok(JsonDocument.Parse(json).RootElement.Clone()))

    { objects () with
        CreateUpload = fun _ _ _ -> answer createUpload
        StartDownload = fun _ _ _ -> answer startDownload
        Metadata = fun _ _ -> answer """{"hashes":{}}"""
    }

let private guardTests =
    testList
        "guards"
        [
            testCase "names with dot segments are refused before any request, as uploads and as downloads"
            <| fun () ->
                for name in
                    [
                        "x/../y"
                        "public/../private/x"
                        "a/./b"
                        ".."
                        "x/.."
                        "x\\..\\y"
                        "x/%2e%2E/y"
                    ] do
                    let calls, objects = untouchable ()

                    match
                        Transfer.uploadFromBuf
                            objects
                            Transfer.defaults
                            (uploadRequest name)
                            (ReadOnlyMemory [| 1uy |])
                            none
                        |> run
                    with
                    | Error(TransferError.InvalidArgument("name", reason)) ->
                        Expect.stringContains reason "'.' or '..'" $"why, for {name}"
                    | other -> failtestf "upload of %s: expected InvalidArgument, got %A" name other

                    match Transfer.downloadToBuf objects Transfer.defaults name none |> run with
                    | Error(TransferError.InvalidArgument("name", _)) -> ()
                    | other -> failtestf "download of %s: expected InvalidArgument, got %A" name other

                    Expect.equal calls.Value 0 $"nothing sent for {name}"

                // Dots inside a segment are ordinary characters.
                let calls, objects = untouchable ()

                Transfer.downloadToBuf objects Transfer.defaults "a/..b/c.d/...e" none
                |> run
                |> ignore

                Expect.equal calls.Value 1 "asked for"

            testCase "a download or upload URL that is not http(s) is a typed error naming the field"
            <| fun () ->
                let expires = FromNow.format (DateTimeOffset.UtcNow.AddHours 1.0)

                for url in [ "file:///etc/passwd"; "ftp://example.com/x"; "/relative/path"; "not a url" ] do
                    let objects =
                        answering
                            $"""{{"uploadMethod":{{"putUrl":{{"url":"{url}","expires":"{expires}","headers":{{}}}}}}}}"""
                            $"""{{"method":"getUrl","url":"{url}","expires":"{expires}","hashes":{{"sha256":"00"}}}}"""

                    match Transfer.downloadToBuf objects Transfer.defaults "x" none |> run with
                    | Error(TransferError.Request(TaskclusterError.InvalidResponse(_, _, e))) ->
                        Expect.equal e.Path "$.url" $"the field, for {url}"
                    | other -> failtestf "download from %s: expected InvalidResponse, got %A" url other

                    match
                        Transfer.uploadFromBuf
                            objects
                            Transfer.defaults
                            (uploadRequest "x")
                            (ReadOnlyMemory(bytes 1 9000))
                            none
                        |> run
                    with
                    | Error(TransferError.Request(TaskclusterError.InvalidResponse(_, _, e))) ->
                        Expect.equal e.Path "$.uploadMethod.putUrl.url" $"the field, for {url}"
                    | other -> failtestf "upload to %s: expected InvalidResponse, got %A" url other

            testCase "a download into memory grows with the bytes that arrive, not with the announced length"
            <| fun () ->
                let downloaded length =
                    {
                        Name = "x"
                        ContentType = "application/octet-stream"
                        Length = length
                        Method = DownloadMethod.Simple
                        VerifiedHashes = []
                    }

                let into (announced: int64) (data: byte array) =
                    let before = GC.GetAllocatedBytesForCurrentThread()

                    let result =
                        DataTransfer.toBuffer (fun writer ->
                            task {
                                use! stream = writer (Some announced) none
                                stream.Write(data, 0, data.Length)
                                return Ok(downloaded (int64 data.Length))
                            })

                    let cost = GC.GetAllocatedBytesForCurrentThread() - before
                    Expect.isTrue result.IsCompletedSuccessfully "ran synchronously"

                    match result.Result with
                    | Ok(data, _) -> cost, data
                    | Error e -> failtest (e.Describe())

                let cost, got = into 268435456L (Array.create 10 7uy)
                Expect.equal got (Array.create 10 7uy) "the bytes that came"
                Expect.isLessThan cost (1024L * 1024L) "not 256 MiB for an announcement"

                let data = bytes 3 700_000
                let _, back = into (int64 data.Length) data
                Expect.equal back data "a truthful announcement gives exactly the data"
        ]

let tests = testList "Transfer" [ uploadTests; downloadTests; guardTests ]
