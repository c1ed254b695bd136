/// The index service.
module Taskcluster.Emulator.Tests.IndexTests

open System
open Expecto
open Taskcluster.Emulator.Tests.Harness

let private insert (path: string) (taskId: string) (rank: int64) =
    rootCall
        "PUT"
        "index"
        $"/task/{path}"
        (jobj
            [
                "taskId", jstr taskId
                "rank", jint rank
                "data", jobj [ "k", jstr "v" ]
                "expires", jstr (fromNow (TimeSpan.FromDays 1.0))
            ])

let private ns () =
    "idx" + (slugId ()).Replace("-", "a").Replace("_", "b")

let tests =
    testList
        "Index"
        [
            testCaseTask "insertTask, findTask and rank" (fun () ->
                task {
                    let root = ns ()
                    let t1 = slugId ()
                    let! r = insert $"{root}.a.latest" t1 5L
                    expectStatus r 200
                    let! f = rootCall "GET" "index" $"/task/{root}.a.latest" null
                    expectStatus f 200
                    Expect.equal (string f.Json.["taskId"]) t1 "found"
                    let! lower = insert $"{root}.a.latest" (slugId ()) 1L
                    expectStatus lower 200
                    let! still = rootCall "GET" "index" $"/task/{root}.a.latest" null
                    Expect.equal (string still.Json.["taskId"]) t1 "a lower rank does not replace"
                    let t2 = slugId ()
                    let! _ = insert $"{root}.a.latest" t2 9L
                    let! now = rootCall "GET" "index" $"/task/{root}.a.latest" null
                    Expect.equal (string now.Json.["taskId"]) t2 "a higher rank replaces"
                    let! missing = rootCall "GET" "index" $"/task/{root}.nothing" null
                    expectStatus missing 404
                })
            testCaseTask "listNamespaces and listTasks see direct children" (fun () ->
                task {
                    let root = ns ()
                    let! _ = insert $"{root}.x.one" (slugId ()) 0L
                    let! _ = insert $"{root}.y.two" (slugId ()) 0L
                    let! _ = insert $"{root}.t" (slugId ()) 0L
                    let! n = rootCall "GET" "index" $"/namespaces/{root}" null
                    expectStatus n 200

                    let names =
                        n.Json.["namespaces"].AsArray()
                        |> Seq.map (fun x -> string x.["name"])
                        |> List.ofSeq

                    Expect.equal names [ "x"; "y" ] "namespaces"
                    let! t = rootCall "GET" "index" $"/tasks/{root}" null
                    expectStatus t 200

                    let tasks =
                        t.Json.["tasks"].AsArray()
                        |> Seq.map (fun x -> string x.["namespace"])
                        |> List.ofSeq

                    Expect.equal tasks [ $"{root}.t" ] "tasks"
                })
            testCaseTask "findArtifactFromTask redirects to the queue, signed for private artifacts" (fun () ->
                task {
                    let! id, worker = QueueTests.runningTask ()

                    let body =
                        jobj
                            [
                                "storageType", jstr "reference"
                                "expires", jstr (fromNow (TimeSpan.FromDays 1.0))
                                "contentType", jstr "text/plain"
                                "url", jstr "https://example.com/private"
                            ]

                    let! a = call (Header worker) "POST" "queue" $"/task/{id}/runs/0/artifacts/private%%2Fthing" body
                    expectStatus a 200
                    let root = ns ()
                    let! _ = insert $"{root}.latest" id 0L
                    let! r = rootCall "GET" "index" $"/task/{root}.latest/artifacts/private%%2Fthing" null
                    expectStatus r 303
                    let location = string r.Headers.Location
                    Expect.stringContains location "bewit=" "signed"
                    let! q = sendTo NoAuth "GET" location None
                    expectStatus q 303

                    Expect.equal
                        (string q.Headers.Location)
                        "https://example.com/private"
                        "the bewit works at the queue"

                    let c = clientWith [ "index:find-task:*" ]
                    let! denied = call (Header c) "GET" "index" $"/task/{root}.latest/artifacts/private%%2Fthing" null
                    expectStatus denied 403
                })
            test "findTasksAtIndex answers the tasks at the paths given, in their order, and needs each path's scope" {
                let emulator = Harness.shared.Force()
                let index = Taskcluster.Services.Index(Clients.rootOf emulator)
                let root = ns ()
                let a, b = slugId (), slugId ()
                (insert $"{root}.a" a 1L).Result |> fun r -> expectStatus r 200
                (insert $"{root}.b" b 1L).Result |> fun r -> expectStatus r 200

                let body paths =
                    Taskcluster.Client.Payload.Node(jobj [ "indexes", jstrs paths ])

                let found =
                    Clients.run (index.FindTasksAtIndex(body [ $"{root}.b"; $"{root}.missing"; $"{root}.a" ]))
                    |> Clients.ok "findTasksAtIndex"

                Expect.equal
                    (Clients.items (Clients.prop "tasks" found)
                     |> List.map (fun t -> (Clients.prop "taskId" t).GetString()))
                    [ b; a ]
                    "the tasks found, in the order asked"

                let limited =
                    Taskcluster.Services.Index(Clients.withScopes emulator [ $"index:find-task:{root}.a" ])

                Clients.run (limited.FindTasksAtIndex(body [ $"{root}.a"; $"{root}.b" ]))
                |> Clients.expectMissing $"index:find-task:{root}.b"
            }
        ]
