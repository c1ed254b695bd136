/// Sync-over-async must not deadlock under a single-threaded `SynchronizationContext` (a UI
/// thread, classic ASP.NET): no continuation of the library may be posted back to the caller's
/// context. The context here counts every post (and runs it elsewhere, so a failure shows as a
/// count, not as a hang).
module Taskcluster.Client.Tests.SyncContextTests

open System
open System.Threading
open System.Threading.Tasks
open Expecto
open Taskcluster.Client
open Taskcluster.Client.Tests.TestServer
open Taskcluster.Client.Tests.Fixtures

type private CountingContext() =
    inherit SynchronizationContext()
    let mutable posts = 0
    member _.Posts = Volatile.Read(&posts)

    override _.Post(callback, state) =
        Interlocked.Increment(&posts) |> ignore
        ThreadPool.QueueUserWorkItem(fun _ -> callback.Invoke state) |> ignore

    override _.Send(callback, state) = callback.Invoke state

/// Runs `action` on a fresh thread whose context is a counting one, blocking on the results as a
/// synchronous caller would, and returns how many continuations were posted to the context.
let private postsDuring (action: unit -> unit) =
    let context = CountingContext()
    let mutable failure = null

    let thread =
        Thread(fun () ->
            SynchronizationContext.SetSynchronizationContext context

            try
                action ()
            with e ->
                failure <- e)

    thread.IsBackground <- true
    thread.Start()

    if not (thread.Join(TimeSpan.FromSeconds 60.0)) then
        failtest "the synchronous caller never finished"

    if not (isNull failure) then
        raise failure

    context.Posts

let tests =
    testList
        "SynchronizationContext"
        [
            test "blocking on calls, retries, clock correction and paging posts nothing to the caller's context" {
                use server = start ()

                let client =
                    clientFor server (fun o ->
                        { o with
                            TimeProvider = TestClock(TimeSpan.FromMinutes 30.0, 1000.0)
                        })

                let posts =
                    postsDuring (fun () ->
                        // A stale timestamp, then a 500, then a dropped connection, then success.
                        server.Enqueue(Reply.json 200 "{}", Reply.error 500 "InternalServerError" "boom", Reply.abort)

                        Client.call client fakeReference ping [] [] Payload.Empty CancellationToken.None
                        |> _.GetAwaiter().GetResult()
                        |> expectOk "call"
                        |> ignore

                        server.Default <-
                            fun r ctx ->
                                let body =
                                    match r.Query.TryFind "continuationToken" with
                                    | None -> """{"things":[],"continuationToken":"a"}"""
                                    | Some "a" -> """{"things":[1,2],"continuationToken":"b"}"""
                                    | _ -> """{"things":[3]}"""

                                Reply.json 200 body r ctx

                        let items =
                            Pages.toList
                                (Client.items None client fakeReference listThings [] [] Payload.Empty)
                                CancellationToken.None
                            |> _.GetAwaiter().GetResult()
                            |> expectOk "items"

                        Expect.equal (items |> List.map _.GetInt32()) [ 1; 2; 3 ] "items over an empty page"

                        Client.paginate
                            client
                            fakeReference
                            listThings
                            []
                            []
                            Payload.Empty
                            (fun _ -> Task.Delay 1)
                            CancellationToken.None
                        |> _.GetAwaiter().GetResult()
                        |> expectOk "paginate")

                Expect.equal posts 0 "no continuation went back to the caller's context"

                Expect.equal
                    (server.Requests |> List.head).Auth
                    (Auth.Rejected "Unauthorized: Stale timestamp")
                    "the clock was corrected"
            }
        ]
