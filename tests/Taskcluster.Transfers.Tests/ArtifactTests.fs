/// Artifact uploads and downloads of every storage type through the emulator's queue.
module Taskcluster.Transfers.Tests.ArtifactTests

open System
open System.IO
open System.Net.Http
open System.Threading
open Expecto
open Taskcluster.Client
open Taskcluster.Emulator
open Taskcluster.Transfers.Tests.Support

let private none = CancellationToken.None

/// A queue API whose requests go through a recording handler.
let private recordingQueue () =
    let handler = new RecordingHandler()

    let c =
        clientWith (emulator.Force()) (fun o ->
            { o with
                HttpMessageHandler = Some handler
            })

    handler, QueueApi.ofService (Taskcluster.Services.Queue c)

let private artifactName () = $"public/tests/{slugId ()}.bin"

/// Answers every request to `redirect.invalid` with a redirect to `target`, recording it; any
/// other request goes to the emulator.
type private RedirectingHandler(target: string) =
    inherit DelegatingHandler(new SocketsHttpHandler(AllowAutoRedirect = false, UseCookies = false))
    member val Redirected = 0 with get, set

    override this.SendAsync(request, cancellationToken) =
        if request.RequestUri.Host = "redirect.invalid" then
            this.Redirected <- this.Redirected + 1
            let response = new HttpResponseMessage(Net.HttpStatusCode.Found)
            response.Headers.Location <- Uri target
            response.RequestMessage <- request
            Threading.Tasks.Task.FromResult response
        else
            base.SendAsync(request, cancellationToken)

/// A queue API whose requests go through a redirecting handler.
let private redirectingQueue (target: string) =
    let handler = new RedirectingHandler(target)

    let c =
        clientWith (emulator.Force()) (fun o ->
            { o with
                HttpMessageHandler = Some handler
            })

    handler, QueueApi.ofService (Taskcluster.Services.Queue c)

let private expectNoCredentialsTo (handler: RecordingHandler) (fragment: string) =
    let data = handler.Sent |> List.filter (fun s -> s.Url.Contains fragment)
    Expect.isNonEmpty data $"a request to {fragment}"

    for s in data do
        Expect.isNone s.Authorization $"no Authorization header to {s.Url}"

    Expect.isTrue
        (handler.Sent
         |> List.exists (fun s -> s.Url.Contains "/api/queue/" && s.Authorization.IsSome))
        "the queue itself was called with credentials"

let tests =
    testList
        "Artifact"
        [
            testCase "object artifacts upload with the queue's credentials and download by run and latest"
            <| fun () ->
                let q = queue ()
                let taskId = runningTask () |> run
                let name = artifactName ()
                let data = bytes 31 150_000

                let uploaded =
                    Artifact.uploadFromBuf
                        q
                        Transfer.defaults
                        { Artifact.uploadRequest taskId 0 name (expires ()) with
                            ContentType = "application/x-test"
                        }
                        (ReadOnlyMemory data)
                        none
                    |> run
                    |> expectOk "upload"

                Expect.equal uploaded.Name $"t/{taskId}/0/{name}" "the object the queue named"
                Expect.equal uploaded.Method UploadMethod.PutUrl "putUrl"

                for runId in [ Some 0; None ] do
                    let back, downloaded =
                        Artifact.downloadToBuf q Transfer.defaults taskId runId name none
                        |> run
                        |> expectOk "download"

                    Expect.equal back data $"bytes (run {runId})"
                    Expect.equal downloaded.Name name "the artifact's name"
                    Expect.equal downloaded.Method DownloadMethod.GetUrl "through the object service"
                    Expect.equal downloaded.VerifiedHashes [ "sha256"; "sha512" ] "verified"

                let small = artifactName ()

                Artifact.uploadFromBuf
                    q
                    Transfer.defaults
                    (Artifact.uploadRequest taskId 0 small (expires ()))
                    (ReadOnlyMemory "tiny"B)
                    none
                |> run
                |> expectOk "inline artifact"
                |> ignore

                Expect.equal
                    (Artifact.downloadToBuf q Transfer.defaults taskId None small none
                     |> run
                     |> expectOk "download"
                     |> fst)
                    "tiny"B
                    "inline bytes"

            testCase "s3 artifacts are fetched with no credentials, retried on 5xx, into a file"
            <| fun () ->
                let e = emulator.Force()
                let handler, q = recordingQueue ()
                let taskId = runningTask () |> run
                let name = artifactName ()
                let data = bytes 32 120_000
                s3Artifact taskId name data |> run
                blobFault e $"{taskId}/0/{name}" (Fault.Status 500) 2
                use folder = new TempFolder()
                let path = folder.File "artifact.bin"

                let downloaded =
                    Artifact.downloadToFile q Transfer.defaults taskId (Some 0) name path none
                    |> run
                    |> expectOk "download"

                Expect.equal (File.ReadAllBytes path) data "bytes"
                Expect.equal downloaded.Method DownloadMethod.ArtifactUrl "the artifact's URL"
                Expect.equal downloaded.ContentType "text/plain" "content type"
                Expect.isEmpty downloaded.VerifiedHashes "nothing to verify"
                expectNoCredentialsTo handler "/__blobs/"

            testCase "an s3 URL refused as expired is asked for again once"
            <| fun () ->
                let e = emulator.Force()
                let q = queue ()
                let taskId = runningTask () |> run
                let name = artifactName ()
                let data = bytes 33 10_000
                s3Artifact taskId name data |> run
                blobFault e $"{taskId}/0/{name}" Fault.ExpiredUrl 1

                Expect.equal
                    (Artifact.downloadToBuf q Transfer.defaults taskId None name none
                     |> run
                     |> expectOk "download"
                     |> fst)
                    data
                    "bytes"

                Expect.equal (calls e "latestArtifact" taskId) 2 "the queue was asked twice"

            testCase "reference artifacts are a plain GET of their URL, without credentials"
            <| fun () ->
                let handler, q = recordingQueue ()
                let objects = objects ()
                let taskId = runningTask () |> run
                let target = objectName ()
                let data = bytes 34 50_000
                uploaded objects target data |> ignore

                let simple =
                    objects.StartDownload
                        target
                        (Taskcluster.Core.Encode.object
                            [
                                "acceptDownloadMethods",
                                Taskcluster.Core.Encode.object [ "simple", Taskcluster.Core.Encode.bool true ]
                            ])
                        none
                    |> run

                let url =
                    match simple with
                    | Ok answer -> answer.GetProperty("url").GetString()
                    | Error e -> failtest (e.Describe())

                let name = artifactName ()

                Artifact.createReference q taskId 0 name url "application/x-test" (expires ()) none
                |> run
                |> expectOk "createReference"

                let back, downloaded =
                    Artifact.downloadToBuf q Transfer.defaults taskId (Some 0) name none
                    |> run
                    |> expectOk "download"

                Expect.equal back data "bytes"
                Expect.equal downloaded.Method DownloadMethod.ArtifactUrl "the reference's URL"
                expectNoCredentialsTo handler "/__blobs/"

            testCase "a reference artifact to a file: URL is a typed error, not an exception"
            <| fun () ->
                let q = queue ()
                let taskId = runningTask () |> run
                let name = artifactName ()

                Artifact.createReference q taskId 0 name "file:///etc/passwd" "text/plain" (expires ()) none
                |> run
                |> expectOk "createReference"

                match Artifact.downloadToBuf q Transfer.defaults taskId (Some 0) name none |> run with
                | Error(TransferError.Request(TaskclusterError.InvalidResponse(_, _, e))) ->
                    Expect.equal e.Path "$.url" "the URL is refused"
                    Expect.stringContains (e.Describe()) "file" "naming the scheme"
                | other -> failtestf "expected an InvalidResponse, got %A" other

            testCase "an answer of the wrong shape names the call by its generated reference entry and route"
            <| fun () ->
                let root = (client.Force()).RootUrl.Value
                let taskId = runningTask () |> run
                let name = artifactName ()
                let escaped = Uri.EscapeDataString name
                let q = queue ()

                // A queue whose createArtifact answers without the object grant.
                let grantless =
                    { q with
                        CreateArtifact =
                            fun _ _ _ _ _ ->
                                Threading.Tasks.Task.FromResult(
                                    Ok(Text.Json.JsonDocument.Parse("{}").RootElement.Clone())
                                )
                    }

                match
                    Artifact.uploadFromBuf
                        grantless
                        Transfer.defaults
                        (Artifact.uploadRequest taskId 0 name (expires ()))
                        (ReadOnlyMemory [| 1uy |])
                        none
                    |> run
                with
                | Error(TransferError.Request(TaskclusterError.InvalidResponse(request, _, _))) ->
                    Expect.equal request.Name "queue.createArtifact" "the method"
                    Expect.equal request.Method "POST" "its HTTP method"

                    Expect.equal
                        request.Url
                        $"{root}/api/queue/v1/task/{taskId}/runs/0/artifacts/{escaped}"
                        "its route, as the queue's reference spells it"
                | other -> failtestf "expected an InvalidResponse, got %A" other

                Artifact.createReference q taskId 0 name "file:///etc/passwd" "text/plain" (expires ()) none
                |> run
                |> expectOk "createReference"

                for runId, route in
                    [
                        Some 0, $"task/{taskId}/runs/0/artifact-content/{escaped}"
                        None, $"task/{taskId}/artifact-content/{escaped}"
                    ] do
                    match Artifact.downloadToBuf q Transfer.defaults taskId runId name none |> run with
                    | Error(TransferError.Request(TaskclusterError.InvalidResponse(request, _, _))) ->
                        let methodName = if runId.IsSome then "artifact" else "latestArtifact"
                        Expect.equal request.Name $"queue.{methodName}" "the method"
                        Expect.equal request.Url $"{root}/api/queue/v1/{route}" "its route"
                    | other -> failtestf "expected an InvalidResponse, got %A" other

            testCase "a redirect to ftp: is a typed Redirect error, not an exception"
            <| fun () ->
                let handler, q = redirectingQueue "ftp://files.example.com/pub/x"
                let taskId = runningTask () |> run
                let name = artifactName ()

                Artifact.createReference q taskId 0 name "http://redirect.invalid/x" "text/plain" (expires ()) none
                |> run
                |> expectOk "createReference"

                match Artifact.downloadToBuf q Transfer.defaults taskId (Some 0) name none |> run with
                | Error(TransferError.Request(TaskclusterError.Redirect(e, Some location) as error)) ->
                    Expect.equal location "ftp://files.example.com/pub/x" "where it pointed"
                    Expect.equal e.Status 302 "the redirect's status"
                    Expect.stringContains (error.Describe()) "not followed" "says so"
                | other -> failtestf "expected a Redirect, got %A" other

                Expect.equal handler.Redirected 1 "one request to the reference, not retried"

            testCase "a managed-only download refuses reference artifacts before fetching anything"
            <| fun () ->
                let handler, q = redirectingQueue "https://example.com/elsewhere"
                let taskId = runningTask () |> run
                let name = artifactName ()

                Artifact.createReference q taskId 0 name "http://redirect.invalid/x" "text/plain" (expires ()) none
                |> run
                |> expectOk "createReference"

                match
                    Artifact.downloadManagedToBuf q Transfer.defaults taskId (Some 0) name none
                    |> run
                with
                | Error(TransferError.UnsupportedMethod(n, "reference")) -> Expect.equal n name "the artifact"
                | other -> failtestf "expected UnsupportedMethod reference, got %A" other

                Expect.equal handler.Redirected 0 "the reference's URL was never fetched"

                // Managed artifacts download as with `download`.
                let managed = artifactName ()
                let data = bytes 37 20_000

                Artifact.uploadFromBuf
                    q
                    Transfer.defaults
                    (Artifact.uploadRequest taskId 0 managed (expires ()))
                    (ReadOnlyMemory data)
                    none
                |> run
                |> expectOk "upload"
                |> ignore

                let back, _ =
                    Artifact.downloadManagedToBuf q Transfer.defaults taskId None managed none
                    |> run
                    |> expectOk "managed download"

                Expect.equal back data "bytes"

            testCase "artifact names with dot segments are refused before any request"
            <| fun () ->
                let handler, q = recordingQueue ()

                for name in [ "public/../private/x"; "public/./x" ] do
                    match Artifact.downloadToBuf q Transfer.defaults "taskid" (Some 0) name none |> run with
                    | Error(TransferError.InvalidArgument("name", _)) -> ()
                    | other -> failtestf "download of %s: expected InvalidArgument, got %A" name other

                    match
                        Artifact.uploadFromBuf
                            q
                            Transfer.defaults
                            (Artifact.uploadRequest "taskid" 0 name (expires ()))
                            (ReadOnlyMemory [| 1uy |])
                            none
                        |> run
                    with
                    | Error(TransferError.InvalidArgument("name", _)) -> ()
                    | other -> failtestf "upload of %s: expected InvalidArgument, got %A" name other

                Expect.isEmpty handler.Sent "nothing sent"

            testCase "link artifacts are followed as the queue resolves them"
            <| fun () ->
                let q = queue ()
                let taskId = runningTask () |> run
                let target = artifactName ()
                let data = bytes 35 30_000

                Artifact.uploadFromBuf
                    q
                    Transfer.defaults
                    (Artifact.uploadRequest taskId 0 target (expires ()))
                    (ReadOnlyMemory data)
                    none
                |> run
                |> expectOk "upload"
                |> ignore

                let name = artifactName ()

                Artifact.createLink q taskId 0 name target (expires ()) none
                |> run
                |> expectOk "createLink"

                let back, downloaded =
                    Artifact.downloadToBuf q Transfer.defaults taskId None name none
                    |> run
                    |> expectOk "download"

                Expect.equal back data "bytes of the linked artifact"
                Expect.equal downloaded.Name name "named as asked"

            testCase "error artifacts are an ArtifactError with the worker's reason and message"
            <| fun () ->
                let q = queue ()
                let taskId = runningTask () |> run
                let name = artifactName ()

                Artifact.createError q taskId 0 name "file-missing-on-worker" "no such file: out.bin" (expires ()) none
                |> run
                |> expectOk "createError"

                use folder = new TempFolder()

                match
                    Artifact.downloadToFile q Transfer.defaults taskId (Some 0) name (folder.File "x") none
                    |> run
                with
                | Error(TransferError.ArtifactError(t, n, reason, message) as error) ->
                    Expect.equal (t, n) (taskId, name) "which artifact"
                    Expect.equal reason "file-missing-on-worker" "reason"
                    Expect.equal message "no such file: out.bin" "message"
                    Expect.stringContains (error.Describe()) "file-missing-on-worker" "described"
                | other -> failtestf "expected an ArtifactError, got %A" other

                Expect.isEmpty folder.Entries "no file"

            testCase "a missing artifact is a 404, bad arguments are refused"
            <| fun () ->
                let q = queue ()
                let taskId = runningTask () |> run

                let error =
                    Artifact.downloadToBuf q Transfer.defaults taskId (Some 0) (artifactName ()) none
                    |> run
                    |> expectError "download"

                Expect.equal error.Status (Some 404) "404"

                match Artifact.downloadToBuf q Transfer.defaults taskId (Some -1) "x" none |> run with
                | Error(TransferError.InvalidArgument("runId", _)) -> ()
                | other -> failtestf "expected an InvalidArgument, got %A" other

            testCase "object artifacts upload from a file"
            <| fun () ->
                let q = queue ()
                let taskId = runningTask () |> run
                let name = artifactName ()
                let data = bytes 36 90_000
                use folder = new TempFolder()
                let path = folder.File "in.bin"
                File.WriteAllBytes(path, data)

                Artifact.uploadFromFile
                    q
                    Transfer.defaults
                    (Artifact.uploadRequest taskId 0 name (expires ()))
                    path
                    none
                |> run
                |> expectOk "upload"
                |> ignore

                Expect.equal
                    (Artifact.downloadToBuf q Transfer.defaults taskId (Some 0) name none
                     |> run
                     |> expectOk "download"
                     |> fst)
                    data
                    "bytes"
        ]
