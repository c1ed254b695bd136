/// Objects uploaded by one client and downloaded by the other, both ways.
module Taskcluster.Interop.Tests.TransferTests

open System
open System.Text.Json.Nodes
open System.Threading
open Expecto
open Taskcluster.Core
open Taskcluster.Client
open Taskcluster.Interop.Tests.Node

let private transferEmulator = emulator ()

let private client =
    lazy
        (let e = transferEmulator.Force()

         let options =
             Options.create e.RootUrl |> Options.withCredentials e.ClientId e.AccessToken

         match Client.create options with
         | Ok c -> c
         | Error e -> failtestf "Client.create: %s" (e.Describe()))

let private objects () =
    ObjectApi.ofService (Taskcluster.Services.Object(client.Force()))

/// Below, at and above the 8 KiB inline limit, and several chunks.
let sizes = [ 0; 1; 100; 8191; 8192; 8193; 70_000; 600_000 ]

let private data (seed: int) (length: int) =
    let bytes = Array.zeroCreate<byte> length
    Random(seed).NextBytes bytes
    bytes

let private expires () = DateTimeOffset.UtcNow.AddDays 1.0

let private iso (t: DateTimeOffset) =
    t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'")

let private name (direction: string) (size: int) =
    $"interop/{direction}/{size}/{slugId ()}"

/// Every JS upload, then every JS download of the F# uploads, in two Node processes.
let private jsUploads =
    lazy
        (let e = transferEmulator.Force()
         let names = [ for s in sizes -> s, name "js-to-fs" s ]

         let answers =
             runOps
                 [
                     for size, n in names ->
                         jobj
                             [
                                 "op", jstr "upload"
                                 "options", rootOptions e []
                                 "projectId", jstr "interop"
                                 "name", jstr n
                                 "expires", jstr (iso (expires ()))
                                 "data", jstr (Convert.ToBase64String(data size size))
                             ]
                 ]

         Map.ofList (List.zip names answers |> List.map (fun ((size, n), a) -> size, (n, a))))

let private fsUploads =
    lazy
        (let e = transferEmulator.Force()

         let names =
             [
                 for size in sizes do
                     let n = name "fs-to-js" size

                     let result =
                         Transfer.uploadFromBuf
                             (objects ())
                             Transfer.defaults
                             (Transfer.uploadRequest "interop" n (expires ()))
                             (ReadOnlyMemory(data (size + 1) size))
                             CancellationToken.None
                         |> run

                     match result with
                     | Ok _ -> ()
                     | Error err -> failtestf "uploadFromBuf %d bytes: %A" size err

                     size, n
             ]

         let answers =
             runOps
                 [
                     for _, n in names -> jobj [ "op", jstr "download"; "options", rootOptions e []; "name", jstr n ]
                 ]

         Map.ofList (List.zip names answers |> List.map (fun ((size, _), a) -> size, a)))

let private queueApi () =
    QueueApi.ofService (Taskcluster.Services.Queue(client.Force()))

let private call (name: string) (args: string list) (payload: Json) =
    let queueRef = Reference.tryFindApi "queue" (references.Force()) |> Option.get

    match
        Client.callByName (client.Force()) queueRef name args [] (Payload.Json payload) CancellationToken.None
        |> run
    with
    | Ok json -> json
    | Error e -> failtestf "queue.%s: %s" name (e.Describe())

/// A task created and claimed by F#, run 0 running, so that artifacts can be attached.
let private claimedTask () =
    let taskId = slugId ()
    // a fresh provisioner per task, so that claimWork finds exactly this one
    let taskQueueId =
        "interop-"
        + taskId.Substring(0, 8).Replace('_', 'x').Replace('-', 'x')
        + "/interop"

    let now = DateTimeOffset.UtcNow

    call
        "createTask"
        [ taskId ]
        (Encode.object
            [
                "taskQueueId", Encode.string taskQueueId
                "created", Encode.string (FromNow.format now)
                "deadline", Encode.string (FromNow.format (now.AddHours 1.0))
                "payload", Encode.object []
                "metadata",
                Encode.object
                    [
                        "name", Encode.string "interop"
                        "description", Encode.string "artifacts for the JS client"
                        "owner", Encode.string "interop@example.com"
                        "source", Encode.string "https://example.com/interop"
                    ]
            ])
    |> ignore

    let claimed =
        call
            "claimWork"
            [ taskQueueId ]
            (Encode.object
                [
                    "workerGroup", Encode.string "interop"
                    "workerId", Encode.string "w1"
                    "tasks", Encode.int 1
                ])

    Expect.equal (claimed.GetProperty("tasks").GetArrayLength()) 1 "claimed the task"
    taskId

/// Object artifacts uploaded by F#, and an error artifact, fetched by JS downloadArtifact.
let private artifacts =
    lazy
        (let e = transferEmulator.Force()
         let taskId = claimedTask ()

         let uploaded =
             [
                 for size in [ 100; 20_000 ] do
                     let name = $"public/interop-{size}.bin"

                     match
                         Artifact.uploadFromBuf
                             (queueApi ())
                             Transfer.defaults
                             (Artifact.uploadRequest taskId 0 name (expires ()))
                             (ReadOnlyMemory(data (size + 7) size))
                             CancellationToken.None
                         |> run
                     with
                     | Ok _ -> ()
                     | Error err -> failtestf "Artifact.uploadFromBuf %d bytes: %A" size err

                     size, name
             ]

         match
             Artifact.createError
                 (queueApi ())
                 taskId
                 0
                 "public/broken.log"
                 "file-missing-on-worker"
                 "interop: no such file"
                 (expires ())
                 CancellationToken.None
             |> run
         with
         | Ok() -> ()
         | Error err -> failtestf "Artifact.createError: %A" err

         let download (name: string) (runId: JsonNode) =
             jobj
                 [
                     "op", jstr "downloadArtifact"
                     "options", rootOptions e []
                     "taskId", jstr taskId
                     "runId", runId
                     "name", jstr name
                 ]

         let keys =
             [
                 for size, name in uploaded do
                     yield (size, "run 0"), download name (jint 0L)
                     yield (size, "latest"), download name null
                 yield (-1, "error"), download "public/broken.log" (jint 0L)
             ]

         List.zip (List.map fst keys) (runOps (List.map snd keys)) |> Map.ofList)

let private artifactTests () =
    testList
        "downloadArtifact"
        [
            for size in [ 100; 20_000 ] do
                for run in [ "run 0"; "latest" ] do
                    test $"F# Artifact.uploadFromBuf of {size} bytes, JS downloadArtifact ({run})" {
                        let answer = artifacts.Force()[size, run]
                        Expect.isFalse (has answer "error") ("JS downloadArtifact failed: " + text answer "error")

                        Expect.sequenceEqual
                            (Convert.FromBase64String(text answer "data"))
                            (data (size + 7) size)
                            "the bytes"
                    }
            test "F# Artifact.createError, JS downloadArtifact throws the worker's message" {
                let answer = artifacts.Force()[-1, "error"]
                Expect.equal (text answer "error") "interop: no such file" "the message"
            }
        ]

let tests () =
    testList
        "transfers"
        [
            artifactTests ()
            for size in sizes do
                test $"JS tc.upload of {size} bytes, F# Transfer.downloadToBuf" {
                    let n, answer = jsUploads.Force()[size]
                    Expect.isFalse (has answer "error") ("JS upload failed: " + text answer "error")

                    match
                        Transfer.downloadToBuf (objects ()) Transfer.defaults n CancellationToken.None
                        |> run
                    with
                    | Ok(bytes, _) -> Expect.sequenceEqual bytes (data size size) "the bytes"
                    | Error err -> failtestf "downloadToBuf: %A" err
                }

                test $"F# Transfer.uploadFromBuf of {size} bytes, JS tc.download" {
                    let answer = fsUploads.Force()[size]
                    Expect.isFalse (has answer "error") ("JS download failed: " + text answer "error")

                    Expect.sequenceEqual
                        (Convert.FromBase64String(text answer "data"))
                        (data (size + 1) size)
                        "the bytes"
                }
        ]
