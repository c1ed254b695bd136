/// Fault injection on routes and blob URLs.
module Taskcluster.Emulator.Tests.FaultTests

open System
open System.Diagnostics
open System.Net.Http
open System.Text.Json.Nodes
open Expecto
open Taskcluster.Emulator
open Taskcluster.Emulator.Tests.Harness

/// A private emulator, so programmed faults never hit other tests.
let private withEmulator (f: EmulatorInstance -> Signer.Creds -> Threading.Tasks.Task<unit>) =
    task {
        use e = (Emulator.start (EmulatorOptions())).GetAwaiter().GetResult()
        do! f e (Signer.creds e.ClientId e.AccessToken)
    }

let private ping (e: EmulatorInstance) =
    sendTo NoAuth "GET" $"{e.RootUrl}/api/queue/v1/ping" None

/// Uploads a small object and returns a getUrl for it.
let private objectUrl (e: EmulatorInstance) (c: Signer.Creds) (name: string) (data: byte array) =
    task {
        let body =
            jobj
                [
                    "projectId", jstr "p"
                    "uploadId", jstr (slugId ())
                    "expires", jstr (fromNow (TimeSpan.FromDays 1.0))
                    "proposedUploadMethods",
                    jobj
                        [
                            "putUrl",
                            jobj
                                [
                                    "contentType", jstr "application/octet-stream"
                                    "contentLength", jint (int64 data.Length)
                                ]
                        ]
                ]

        let! r = sendTo (Header c) "PUT" $"{e.RootUrl}/api/object/v1/upload/{name}" (Some(body.ToJsonString()))
        expectStatus r 200
        let content = new ByteArrayContent(data)
        let! put = http.PutAsync(string r.Json.["uploadMethod"].["putUrl"].["url"], content)
        Expect.equal (int put.StatusCode) 200 "uploaded"

        let finish =
            jobj [ "projectId", jstr "p"; "uploadId", jstr (string body.["uploadId"]) ]

        let! f =
            sendTo (Header c) "POST" $"{e.RootUrl}/api/object/v1/finish-upload/{name}" (Some(finish.ToJsonString()))

        expectStatus f 200
        let req = jobj [ "acceptDownloadMethods", jobj [ "getUrl", JsonValue.Create true ] ]
        let! d = sendTo (Header c) "PUT" $"{e.RootUrl}/api/object/v1/start-download/{name}" (Some(req.ToJsonString()))
        expectStatus d 200
        return string d.Json.["url"]
    }

let tests =
    testList
        "Faults"
        [
            testCaseTask "a status for the next N calls, then normal service" (fun () ->
                task {
                    do!
                        withEmulator (fun e _ ->
                            task {
                                e.Faults.FailNext("queue", "ping", 503, 2)
                                let! a = ping e
                                let! b = ping e
                                let! c = ping e

                                Expect.equal
                                    [ a.Status; b.Status; c.Status ]
                                    [ 503; 503; 200 ]
                                    "two failures then success"

                                Expect.equal a.Code "InjectedFault" "error body"
                                Expect.equal e.Faults.Remaining 0 "spent"
                            })
                })
            testCaseTask "wildcards match any method" (fun () ->
                task {
                    do!
                        withEmulator (fun e c ->
                            task {
                                e.Faults.Inject(FaultTarget.Route("queue", "*"), Fault.Status 500, 1)
                                let! a = sendTo (Header c) "GET" $"{e.RootUrl}/api/queue/v1/task/{slugId ()}" None
                                expectStatus a 500
                                let! b = ping e
                                expectStatus b 200
                            })
                })
            testCaseTask "a delay holds the answer back" (fun () ->
                task {
                    do!
                        withEmulator (fun e _ ->
                            task {
                                e.Faults.DelayNext("queue", "ping", TimeSpan.FromMilliseconds 300.0, 1)
                                let sw = Stopwatch.StartNew()
                                let! a = ping e
                                expectStatus a 200
                                Expect.isGreaterThanOrEqual sw.ElapsedMilliseconds 290L "delayed"
                            })
                })
            testCaseTask "a dropped connection fails the request" (fun () ->
                task {
                    do!
                        withEmulator (fun e _ ->
                            task {
                                e.Faults.DropNext("queue", "ping", 1)

                                let! failed =
                                    task {
                                        try
                                            let! _ = ping e
                                            return false
                                        with :? HttpRequestException ->
                                            return true
                                    }

                                Expect.isTrue failed "connection dropped"
                                let! after = ping e
                                expectStatus after 200
                            })
                })
            testCaseTask "a truncated body fails the read" (fun () ->
                task {
                    do!
                        withEmulator (fun e _ ->
                            task {
                                e.Faults.Inject(FaultTarget.Route("queue", "ping"), Fault.TruncateBody 5, 1)

                                let! failed =
                                    task {
                                        try
                                            let! r = ping e
                                            return r.Text.Length <= 5
                                        with
                                        | :? HttpRequestException
                                        | :? IO.IOException -> return true
                                    }

                                Expect.isTrue failed "truncated"
                            })
                })
            testCaseTask "blob faults: corrupted bytes, expired URL, status, truncation, drop" (fun () ->
                task {
                    do!
                        withEmulator (fun e c ->
                            task {
                                let data = Array.init 200_000 (fun i -> byte (i % 251))
                                let! url = objectUrl e c "blobby" data
                                e.Faults.Inject(FaultTarget.Blob "blobby", Fault.CorruptBytes, 1)
                                let! corrupted = http.GetByteArrayAsync url
                                Expect.equal corrupted.Length data.Length "same length"
                                Expect.notEqual corrupted data "corrupted"
                                let! clean = http.GetByteArrayAsync url
                                Expect.equal clean data "then clean"

                                e.Faults.Inject(FaultTarget.Blob "blobby", Fault.ExpiredUrl, 1)
                                let! expired = http.GetAsync url
                                Expect.equal (int expired.StatusCode) 403 "expired"

                                e.Faults.Inject(FaultTarget.Blob "*", Fault.Status 500, 1)
                                let! failed = http.GetAsync url
                                Expect.equal (int failed.StatusCode) 500 "status"

                                e.Faults.Inject(FaultTarget.Blob "blobby", Fault.TruncateBody 1000, 1)

                                let! truncated =
                                    task {
                                        try
                                            let! bytes = http.GetByteArrayAsync url
                                            return bytes.Length < data.Length
                                        with
                                        | :? HttpRequestException
                                        | :? IO.IOException -> return true
                                    }

                                Expect.isTrue truncated "truncated"

                                e.Faults.Inject(FaultTarget.Blob "blobby", Fault.DropConnection, 1)

                                let! dropped =
                                    task {
                                        try
                                            let! _ = http.GetByteArrayAsync url
                                            return false
                                        with :? HttpRequestException ->
                                            return true
                                    }

                                Expect.isTrue dropped "dropped"
                                let! finally' = http.GetByteArrayAsync url
                                Expect.equal finally' data "all faults spent"
                            })
                })
            testCaseTask "a schedule gives the next requests one fault each, in order" (fun () ->
                task {
                    do!
                        withEmulator (fun e _ ->
                            task {
                                e.Faults.Schedule(
                                    FaultTarget.Route("queue", "ping"),
                                    [ Fault.Status 503; Fault.Pass; Fault.Status 500 ]
                                )

                                let! a = ping e
                                let! b = ping e
                                let! c = ping e
                                let! d = ping e

                                Expect.equal
                                    [ a.Status; b.Status; c.Status; d.Status ]
                                    [ 503; 200; 500; 200 ]
                                    "503, through, 500, then normal service"

                                Expect.equal e.Faults.Remaining 0 "spent"
                            })
                })
            test "fault arguments are checked" {
                let e = shared.Force()
                Expect.throwsT<ArgumentException> (fun () -> e.Faults.FailNext("queue", "ping", 42, 1)) "status"
                Expect.throwsT<ArgumentException> (fun () -> e.Faults.FailNext("queue", "ping", 500, 0)) "count"
            }
        ]
