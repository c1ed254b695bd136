/// Objects uploaded by one client and downloaded by the other, both ways.
module Taskcluster.Interop.Tests.TransferTests

open System
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
             { Options.create e.RootUrl with
                 Credentials =
                     Some
                         {
                             ClientId = e.ClientId
                             AccessToken = e.AccessToken
                             Certificate = None
                         }
             }

         match Client.create options with
         | Ok c -> c
         | Error e -> failtestf "Client.create: %s" (e.Describe()))

let private objects () =
    match Reference.tryFindApi "object" (references.Force()) with
    | Some api -> ObjectApi.ofClient (client.Force()) api
    | None -> failtest "no object API in our references"

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

let tests () =
    testList
        "transfers"
        [
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
