/// The queue: tasks, the worker path and artifacts of every storage type.
module Taskcluster.Emulator.Tests.QueueTests

open System
open System.Net.Http
open System.Text
open System.Text.Json.Nodes
open Expecto
open System.Threading.Tasks
open Taskcluster.Emulator
open Taskcluster.Emulator.Tests.Harness
open Taskcluster.Emulator.Tests.Signer

let private queueId () =
    "prov-" + (slugId ()).Substring(0, 10).Replace("_", "x") + "/wt"

let private create (id: string) (def: JsonNode) =
    task {
        let! r = rootCall "PUT" "queue" $"/task/{id}" def
        expectStatus r 200
        return r.Json.["status"]
    }

/// Claims one task of the queue as a worker, returning the claim.
let claim (queue: string) =
    task {
        let body =
            jobj [ "workerGroup", jstr "wg"; "workerId", jstr "w1"; "tasks", jint 1L ]

        let! r = rootCall "POST" "queue" $"/claim-work/{Uri.EscapeDataString queue}" body
        expectStatus r 200
        return r.Json.["tasks"].AsArray()
    }

let private workerCreds (claim: JsonNode) =
    let c = claim.["credentials"]

    {
        ClientId = string c.["clientId"]
        AccessToken = string c.["accessToken"]
        Certificate = Some(string c.["certificate"])
        AuthorizedScopes = None
    }

/// Creates a task, claims it and returns (taskId, worker credentials).
let runningTask () =
    task {
        let q = queueId ()
        let id = slugId ()
        let! _ = create id (taskDef q [])
        let! claims = claim q
        Expect.equal claims.Count 1 "claimed"
        return id, workerCreds claims.[0]
    }

let private taskTests =
    testList
        "tasks"
        [
            testCaseTask "createTask fills defaults, status and task answer" (fun () ->
                task {
                    let id = slugId ()
                    let! status = create id (taskDef (queueId ()) [])
                    Expect.equal (string status.["state"]) "pending" "pending"
                    Expect.equal (status.["runs"].AsArray().Count) 1 "one run"
                    let! t = rootCall "GET" "queue" $"/task/{id}" null
                    expectStatus t 200
                    Expect.equal (string t.Json.["schedulerId"]) "-" "schedulerId default"
                    Expect.equal (string t.Json.["taskGroupId"]) id "taskGroupId default"
                    Expect.equal (string t.Json.["priority"]) "lowest" "priority default"
                    Expect.equal (t.Json.["retries"].GetValue<int>()) 5 "retries default"
                    Expect.isNotNull t.Json.["provisionerId"] "provisionerId from taskQueueId"
                    let! s = rootCall "GET" "queue" $"/task/{id}/status" null
                    expectStatus s 200
                })
            testCaseTask "createTask is idempotent for an identical definition and 409 otherwise" (fun () ->
                task {
                    let id = slugId ()
                    let def = taskDef (queueId ()) []
                    let! _ = create id def
                    let! again = rootCall "PUT" "queue" $"/task/{id}" def
                    expectStatus again 200
                    let! other = rootCall "PUT" "queue" $"/task/{id}" (taskDef (queueId ()) [])
                    expectStatus other 409
                    Expect.equal other.Code "RequestConflict" "code"
                })
            testCaseTask
                "created, deadline and expires are stored as toJSON writes them; a respelt retry is the same task"
                (fun () ->
                    task {
                        let id = slugId ()
                        // a whole second, so that the offset spelling below names the same instant
                        let now =
                            DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds())

                        let offset (t: DateTimeOffset) =
                            t.ToOffset(TimeSpan.FromHours 2.0).ToString("yyyy-MM-dd'T'HH:mm:sszzz")

                        let def =
                            taskDef
                                (queueId ())
                                [
                                    "created", jstr (offset now)
                                    "deadline", jstr (offset (now.AddHours 1.0))
                                    "expires", jstr (offset (now.AddDays 2.0))
                                ]

                        let! _ = create id def
                        let! r = rootCall "GET" "queue" $"/task/{id}" null
                        expectStatus r 200
                        Expect.equal (string r.Json.["created"]) (iso now) "created"
                        Expect.equal (string r.Json.["deadline"]) (iso (now.AddHours 1.0)) "deadline"
                        Expect.equal (string r.Json.["expires"]) (iso (now.AddDays 2.0)) "expires"

                        let respelt =
                            taskDef
                                (string r.Json.["taskQueueId"])
                                [
                                    "created", jstr (iso now)
                                    "deadline", jstr (iso (now.AddHours 1.0))
                                    "expires", jstr (iso (now.AddDays 2.0))
                                ]

                        let! again = rootCall "PUT" "queue" $"/task/{id}" respelt
                        expectStatus again 200
                    })
            testCaseTask "created must be within 15 minutes of now, as the real queue checks" (fun () ->
                task {
                    let old =
                        taskDef (queueId ()) [ "created", jstr (fromNow (TimeSpan.FromMinutes -20.0)) ]

                    let! r = rootCall "PUT" "queue" $"/task/{slugId ()}" old
                    expectStatus r 400
                    Expect.stringStarts r.Message "`created` cannot be in the past (max 15min drift)" "message"
                })
            testCaseTask
                "declareWorkerType and declareProvisioner, the deprecated methods, as the v106 queue"
                (fun () ->
                    task {
                        let p = "prov" + (slugId ()).Substring(0, 8).Replace("-", "x").Replace("_", "y")
                        let! missing = rootCall "PUT" "queue" $"/provisioners/{p}" (jobj [ "description", jstr "x" ])
                        expectStatus missing 404

                        let body = jobj [ "description", jstr "big machines"; "stability", jstr "stable" ]
                        let! declared = rootCall "PUT" "queue" $"/provisioners/{p}/worker-types/wt" body
                        expectStatus declared 200
                        Expect.equal (string declared.Json.["taskQueueId"]) $"{p}/wt" "taskQueueId"
                        Expect.equal (string declared.Json.["description"]) "big machines" "description"
                        Expect.equal (string declared.Json.["stability"]) "stable" "stability"
                        let! got = rootCall "GET" "queue" $"/provisioners/{p}/worker-types/wt" null
                        expectStatus got 200
                        Expect.equal (string got.Json.["description"]) "big machines" "stored"

                        // declareProvisioner authorises each property and changes nothing
                        let! prov =
                            rootCall "PUT" "queue" $"/provisioners/{p}" (jobj [ "description", jstr "ignored" ])

                        expectStatus prov 200
                        Expect.equal (string prov.Json.["description"]) "" "unchanged"
                        Expect.equal (string prov.Json.["stability"]) "experimental" "derived"

                        let only = clientWith [ $"queue:declare-worker-type:{p}/wt#description" ]

                        let! one =
                            call
                                (Header only)
                                "PUT"
                                "queue"
                                $"/provisioners/{p}/worker-types/wt"
                                (jobj [ "description", jstr "d" ])

                        expectStatus one 200
                        let! two = call (Header only) "PUT" "queue" $"/provisioners/{p}/worker-types/wt" body
                        expectStatus two 403

                        Expect.stringContains
                            two.Message
                            $"queue:declare-worker-type:{p}/wt#stability"
                            "the missing scope"
                    })
            testCaseTask "a worker type the output schema refuses (upper case) is a 400 and is not stored" (fun () ->
                task {
                    let p = "prov" + (slugId ()).Substring(0, 8).Replace("-", "x").Replace("_", "y")

                    let! r =
                        rootCall
                            "PUT"
                            "queue"
                            $"/provisioners/{p}/worker-types/UPPER"
                            (jobj [ "description", jstr "x" ])

                    expectStatus r 400
                    Expect.equal r.Code "InputError" "code"
                    let! got = rootCall "GET" "queue" $"/provisioners/{p}/worker-types/UPPER" null
                    expectStatus got 404
                    let! prov = rootCall "GET" "queue" $"/provisioners/{p}" null
                    expectStatus prov 404
                })
            testCaseTask "claimWork makes its task queue known as a worker type" (fun () ->
                task {
                    let queue = queueId ()
                    let! _ = claim queue
                    let slash = queue.IndexOf '/'

                    let! got =
                        rootCall
                            "GET"
                            "queue"
                            $"/provisioners/{queue.Substring(0, slash)}/worker-types/{queue.Substring(slash + 1)}"
                            null

                    expectStatus got 200
                    Expect.equal (string got.Json.["taskQueueId"]) queue "taskQueueId"
                })
            testCaseTask "a missing task answers 404" (fun () ->
                task {
                    let! r = rootCall "GET" "queue" $"/task/{slugId ()}" null
                    expectStatus r 404
                })
            testCaseTask "the worker path finishes a task with the credentials claimWork hands out" (fun () ->
                task {
                    let! id, worker = runningTask ()
                    let! s = rootCall "GET" "queue" $"/task/{id}/status" null
                    Expect.equal (string s.Json.["status"].["state"]) "running" "running"
                    let! done' = call (Header worker) "POST" "queue" $"/task/{id}/runs/0/completed" null
                    expectStatus done' 200
                    Expect.equal (string done'.Json.["status"].["state"]) "completed" "completed"
                    let! twice = call (Header worker) "POST" "queue" $"/task/{id}/runs/0/failed" null
                    expectStatus twice 409
                })
            testCaseTask "worker credentials are limited to their run" (fun () ->
                task {
                    let! _, worker = runningTask ()
                    let! other, _ = runningTask ()
                    let! r = call (Header worker) "POST" "queue" $"/task/{other}/runs/0/completed" null
                    expectStatus r 403
                })
            testCaseTask "reportFailed and reportException resolve; worker-shutdown retries" (fun () ->
                task {
                    let! id, worker = runningTask ()
                    let! f = call (Header worker) "POST" "queue" $"/task/{id}/runs/0/failed" null
                    Expect.equal (string f.Json.["status"].["state"]) "failed" "failed"

                    let q = queueId ()
                    let id2 = slugId ()
                    let! _ = create id2 (taskDef q [])
                    let! claims = claim q
                    let w2 = workerCreds claims.[0]

                    let! ex =
                        call
                            (Header w2)
                            "POST"
                            "queue"
                            $"/task/{id2}/runs/0/exception"
                            (jobj [ "reason", jstr "worker-shutdown" ])

                    expectStatus ex 200
                    let status = ex.Json.["status"]
                    Expect.equal (string status.["state"]) "pending" "retried"
                    Expect.equal (string status.["runs"].[1].["reasonCreated"]) "retry" "retry run"
                    Expect.equal (status.["retriesLeft"].GetValue<int>()) 4 "one retry used"
                    let! claims2 = claim q
                    let w3 = workerCreds claims2.[0]

                    let! ex2 =
                        call
                            (Header w3)
                            "POST"
                            "queue"
                            $"/task/{id2}/runs/1/exception"
                            (jobj [ "reason", jstr "malformed-payload" ])

                    Expect.equal (string ex2.Json.["status"].["state"]) "exception" "resolved exception"
                })
            testCaseTask "dependencies: a dependent is scheduled when its dependency completes" (fun () ->
                task {
                    let q = queueId ()
                    let a = slugId ()
                    let b = slugId ()
                    let! _ = create a (taskDef q [])
                    let! sb = create b (taskDef q [ "dependencies", jstrs [ a ] ])
                    Expect.equal (string sb.["state"]) "unscheduled" "waits"
                    let! deps = rootCall "GET" "queue" $"/task/{a}/dependents" null
                    expectStatus deps 200
                    Expect.equal (string deps.Json.["tasks"].[0].["status"].["taskId"]) b "listed dependent"
                    let! claims = claim q
                    let! _ = call (Header(workerCreds claims.[0])) "POST" "queue" $"/task/{a}/runs/0/completed" null
                    let! after = rootCall "GET" "queue" $"/task/{b}/status" null
                    Expect.equal (string after.Json.["status"].["state"]) "pending" "scheduled"
                })
            testCaseTask "listTaskGroup pages cover the group exactly once" (fun () ->
                task {
                    let group = slugId ()
                    let ids = [ for _ in 1..7 -> slugId () ]

                    for id in ids do
                        let! _ = create id (taskDef (queueId ()) [ "taskGroupId", jstr group ])
                        ()

                    let all, _ =
                        PaginationTests.pageAll
                            (fun token ->
                                let t =
                                    match token with
                                    | Some t -> "&continuationToken=" + Uri.EscapeDataString t
                                    | None -> ""

                                (rootCall "GET" "queue" $"/task-group/{group}/list?limit=3{t}" null).Result)
                            (fun j -> j.["tasks"].AsArray() |> Seq.map (fun t -> t.["status"].["taskId"]))
                            3

                    Expect.equal (all |> List.map string |> List.sort) (List.sort ids) "every task once"
                })
        ]

let private createArtifact (worker: Creds) (id: string) (name: string) (body: JsonNode) =
    call (Header worker) "POST" "queue" $"/task/{id}/runs/0/artifacts/{Uri.EscapeDataString name}" body

let private expires () = jstr (fromNow (TimeSpan.FromDays 1.0))

let private artifactTests =
    testList
        "artifacts"
        [
            testCaseTask "s3: upload to putUrl, getArtifact redirects to the bytes" (fun () ->
                task {
                    let! id, worker = runningTask ()
                    let name = "public/build/log.txt"

                    let! r =
                        createArtifact
                            worker
                            id
                            name
                            (jobj
                                [
                                    "storageType", jstr "s3"
                                    "expires", expires ()
                                    "contentType", jstr "text/plain"
                                ])

                    expectStatus r 200
                    let putUrl = string r.Json.["putUrl"]
                    let content = new StringContent("hello artifact", Encoding.UTF8, "text/plain")
                    let! put = http.PutAsync(putUrl, content)
                    Expect.equal (int put.StatusCode) 200 "uploaded"
                    let! g = rootCall "GET" "queue" $"/task/{id}/runs/0/artifacts/{Uri.EscapeDataString name}" null
                    expectStatus g 303
                    let location = g.Headers.Location
                    Expect.equal (string g.Json.["storageType"]) "s3" "storageType"
                    let! bytes = http.GetStringAsync location
                    Expect.equal bytes "hello artifact" "content"
                    let! latest = call NoAuth "GET" "queue" $"/task/{id}/artifacts/{Uri.EscapeDataString name}" null
                    expectStatus latest 303
                })
            testCaseTask "reference, link and error artifacts answer like the real queue" (fun () ->
                task {
                    let! id, worker = runningTask ()

                    let! r1 =
                        createArtifact
                            worker
                            id
                            "public/ref"
                            (jobj
                                [
                                    "storageType", jstr "reference"
                                    "expires", expires ()
                                    "contentType", jstr "text/plain"
                                    "url", jstr "https://example.com/x"
                                ])

                    expectStatus r1 200

                    let! r2 =
                        createArtifact
                            worker
                            id
                            "public/link"
                            (jobj
                                [
                                    "storageType", jstr "link"
                                    "expires", expires ()
                                    "contentType", jstr "text/plain"
                                    "artifact", jstr "public/ref"
                                ])

                    expectStatus r2 200

                    let! r3 =
                        createArtifact
                            worker
                            id
                            "public/err"
                            (jobj
                                [
                                    "storageType", jstr "error"
                                    "expires", expires ()
                                    "reason", jstr "file-missing-on-worker"
                                    "message", jstr "gone"
                                ])

                    expectStatus r3 200
                    let! g1 = call NoAuth "GET" "queue" $"/task/{id}/runs/0/artifacts/public%%2Fref" null
                    expectStatus g1 303
                    Expect.equal (string g1.Headers.Location) "https://example.com/x" "reference redirects"
                    let! g2 = call NoAuth "GET" "queue" $"/task/{id}/runs/0/artifacts/public%%2Flink" null
                    expectStatus g2 303
                    Expect.equal (string g2.Headers.Location) "https://example.com/x" "link resolves"
                    let! g3 = call NoAuth "GET" "queue" $"/task/{id}/runs/0/artifacts/public%%2Ferr" null
                    expectStatus g3 424
                    Expect.equal (string g3.Json.["reason"]) "file-missing-on-worker" "reason"
                    let! c3 = call NoAuth "GET" "queue" $"/task/{id}/runs/0/artifact-content/public%%2Ferr" null
                    expectStatus c3 200
                    Expect.equal (string c3.Json.["storageType"]) "error" "content of an error artifact"

                    let! info =
                        call (Header(root ())) "GET" "queue" $"/task/{id}/runs/0/artifact-info/public%%2Fref" null

                    expectStatus info 200
                    Expect.equal (string info.Json.["storageType"]) "reference" "info"
                    let! list = rootCall "GET" "queue" $"/task/{id}/runs/0/artifacts" null
                    expectStatus list 200

                    let names =
                        list.Json.["artifacts"].AsArray()
                        |> Seq.map (fun a -> string a.["name"])
                        |> List.ofSeq

                    Expect.equal names [ "public/err"; "public/link"; "public/ref" ] "sorted, all present"
                    let! latest = rootCall "GET" "queue" $"/task/{id}/artifacts" null
                    expectStatus latest 200
                    Expect.equal (latest.Json.["artifacts"].AsArray().Count) 3 "latest run"
                })
            testCaseTask "re-creating an artifact differently is a conflict; private artifacts need scopes" (fun () ->
                task {
                    let! id, worker = runningTask ()

                    let body =
                        jobj
                            [
                                "storageType", jstr "reference"
                                "expires", expires ()
                                "contentType", jstr "text/plain"
                                "url", jstr "https://example.com/a"
                            ]

                    let! r1 = createArtifact worker id "private/a" body
                    expectStatus r1 200
                    let! same = createArtifact worker id "private/a" (JsonNode.Parse(body.ToJsonString()))
                    expectStatus same 200
                    let changed = JsonNode.Parse(body.ToJsonString())
                    changed.["url"] <- jstr "https://example.com/b"
                    let! r2 = createArtifact worker id "private/a" changed
                    expectStatus r2 409
                    let! anon = call NoAuth "GET" "queue" $"/task/{id}/runs/0/artifacts/private%%2Fa" null
                    expectStatus anon 403
                    Expect.stringContains anon.Message "queue:get-artifact:private/a" "scope named"
                })
            testCaseTask
                "object: upload through the object service with the artifact's credentials, then finish"
                (fun () ->
                    task {
                        let! id, worker = runningTask ()
                        let name = "public/obj.bin"

                        let! r =
                            createArtifact
                                worker
                                id
                                name
                                (jobj
                                    [
                                        "storageType", jstr "object"
                                        "expires", expires ()
                                        "contentType", jstr "application/octet-stream"
                                    ])

                        expectStatus r 200
                        let objectName = string r.Json.["name"]
                        let uploader = workerCreds r.Json
                        let payload = Convert.ToBase64String(Encoding.UTF8.GetBytes "object bytes")

                        let upload =
                            jobj
                                [
                                    "projectId", jstr (string r.Json.["projectId"])
                                    "uploadId", jstr (string r.Json.["uploadId"])
                                    "expires", jstr (string r.Json.["expires"])
                                    "proposedUploadMethods",
                                    jobj
                                        [
                                            "dataInline",
                                            jobj
                                                [
                                                    "contentType", jstr "application/octet-stream"
                                                    "objectData", jstr payload
                                                ]
                                        ]
                                ]

                        let! u =
                            call (Header uploader) "PUT" "object" $"/upload/{Uri.EscapeDataString objectName}" upload

                        expectStatus u 200
                        let chosen = (u.Json.["uploadMethod"].["dataInline"]).GetValue<bool>()
                        Expect.isTrue chosen "dataInline chosen"

                        let finish =
                            jobj
                                [
                                    "projectId", jstr (string r.Json.["projectId"])
                                    "uploadId", jstr (string r.Json.["uploadId"])
                                ]

                        let! f =
                            call
                                (Header uploader)
                                "POST"
                                "object"
                                $"/finish-upload/{Uri.EscapeDataString objectName}"
                                finish

                        expectStatus f 200

                        let! notYet =
                            call NoAuth "GET" "queue" $"/task/{id}/runs/0/artifacts/{Uri.EscapeDataString name}" null

                        expectStatus notYet 404

                        let! fa =
                            call
                                (Header worker)
                                "PUT"
                                "queue"
                                $"/task/{id}/runs/0/artifacts/{Uri.EscapeDataString name}"
                                (jobj [ "uploadId", jstr (string r.Json.["uploadId"]) ])

                        expectStatus fa 200

                        let! content =
                            call
                                NoAuth
                                "GET"
                                "queue"
                                $"/task/{id}/runs/0/artifact-content/{Uri.EscapeDataString name}"
                                null

                        expectStatus content 200
                        Expect.equal (string content.Json.["storageType"]) "object" "object"
                        let downloader = workerCreds content.Json

                        let! d =
                            call
                                (Header downloader)
                                "PUT"
                                "object"
                                $"/start-download/{Uri.EscapeDataString objectName}"
                                (jobj [ "acceptDownloadMethods", jobj [ "getUrl", JsonValue.Create true ] ])

                        expectStatus d 200
                        let! bytes = http.GetStringAsync(string d.Json.["url"])
                        Expect.equal bytes "object bytes" "downloaded"

                        let! g =
                            call NoAuth "GET" "queue" $"/task/{id}/runs/0/artifacts/{Uri.EscapeDataString name}" null

                        expectStatus g 303
                        let! viaRedirect = http.GetStringAsync g.Headers.Location
                        Expect.equal viaRedirect "object bytes" "getArtifact redirects to the bytes"
                    })
        ]

/// A private emulator on a clock the test moves; requests are signed at that clock's time.
let private onClock
    (f: EmulatorInstance -> ManualClock -> (string -> string -> JsonNode -> Task<Response>) -> Task<unit>)
    =
    task {
        let clock = ManualClock(DateTimeOffset.UtcNow)
        use! e = Emulator.start (EmulatorOptions(TimeProvider = clock))
        let c = creds e.ClientId e.AccessToken

        let send method path (body: JsonNode) =
            let shift = clock.GetUtcNow().ToUnixTimeSeconds() - nowSeconds ()
            let text = if isNull body then None else Some(body.ToJsonString())
            sendTo (Skewed(c, shift)) method $"{e.RootUrl}/api/queue/v1{path}" text

        do! f e clock send
    }

let private timeTests =
    testList
        "time"
        [
            testCaseTask "an expired claim is retried, then resolved claim-expired" (fun () ->
                onClock (fun _ clock send ->
                    task {
                        let id = slugId ()
                        let! r = send "PUT" $"/task/{id}" (taskDef "p/w" [ "retries", jint 1L ])
                        expectStatus r 200

                        let claimBody =
                            jobj [ "workerGroup", jstr "g"; "workerId", jstr "w"; "tasks", jint 1L ]

                        let! c1 = send "POST" "/claim-work/p%2Fw" claimBody
                        Expect.equal (c1.Json.["tasks"].AsArray().Count) 1 "claimed"
                        clock.Advance(TimeSpan.FromMinutes 21.0)
                        let! s1 = send "GET" $"/task/{id}/status" null
                        let runs = s1.Json.["status"].["runs"].AsArray()
                        Expect.equal (string runs.[0].["reasonResolved"]) "claim-expired" "first run expired"
                        Expect.equal (string runs.[1].["reasonCreated"]) "retry" "retried"
                        let! c2 = send "POST" "/claim-work/p%2Fw" claimBody
                        Expect.equal (c2.Json.["tasks"].AsArray().Count) 1 "claimed again"
                        clock.Advance(TimeSpan.FromMinutes 21.0)
                        let! s2 = send "GET" $"/task/{id}/status" null
                        Expect.equal (string s2.Json.["status"].["state"]) "exception" "no retries left"
                    }))
            testCaseTask "a task past its deadline is resolved deadline-exceeded" (fun () ->
                onClock (fun _ clock send ->
                    task {
                        let id = slugId ()
                        let! r = send "PUT" $"/task/{id}" (taskDef "p/w" [])
                        expectStatus r 200
                        clock.Advance(TimeSpan.FromHours 2.0)
                        let! s = send "GET" $"/task/{id}/status" null
                        let status = s.Json.["status"]
                        Expect.equal (string status.["state"]) "exception" "resolved"
                        Expect.equal (string status.["runs"].[0].["reasonResolved"]) "deadline-exceeded" "reason"
                    }))
            testCaseTask "rerunTask, getTaskGroup, pendingTasks and taskQueueCounts" (fun () ->
                onClock (fun _ _ send ->
                    task {
                        let id = slugId ()
                        let! _ = send "PUT" $"/task/{id}" (taskDef "p/w" [])
                        let! pending = send "GET" "/pending/p%2Fw" null
                        expectStatus pending 200
                        Expect.equal (pending.Json.["pendingTasks"].GetValue<int>()) 1 "pending"

                        let claimBody =
                            jobj [ "workerGroup", jstr "g"; "workerId", jstr "w"; "tasks", jint 1L ]

                        let! c = send "POST" "/claim-work/p%2Fw" claimBody
                        let! counts = send "GET" "/task-queues/p%2Fw/counts" null
                        expectStatus counts 200
                        Expect.equal (counts.Json.["claimedTasks"].GetValue<int>()) 1 "claimed"
                        let worker = workerCreds c.Json.["tasks"].[0]
                        ignore worker
                        let! cancel = send "POST" $"/task/{id}/cancel" null
                        Expect.equal (string cancel.Json.["status"].["state"]) "exception" "canceled"
                        let! rerun = send "POST" $"/task/{id}/rerun" null
                        expectStatus rerun 200
                        Expect.equal (string rerun.Json.["status"].["state"]) "pending" "rerun"
                        let! group = send "GET" $"/task-group/{id}" null
                        expectStatus group 200
                        Expect.equal (string group.Json.["taskGroupId"]) id "group"
                    }))
        ]

let tests = testList "Queue" [ taskTests; artifactTests; timeTests ]
