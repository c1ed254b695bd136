/// `--bench`: authenticated GETs per second on loopback, sequential and 64 concurrent.
/// Report-only: it prints figures and asserts nothing.
module Taskcluster.Emulator.Tests.Bench

open System
open System.Diagnostics
open System.Net.Http
open System.Threading.Tasks
open Taskcluster.Emulator
open Taskcluster.Emulator.Tests.Harness

let private get (c: Signer.Creds) (url: string) =
    task {
        let uri = Uri url
        let req = new HttpRequestMessage(HttpMethod.Get, uri)

        req.Headers.TryAddWithoutValidation(
            "Authorization",
            Signer.header c "GET" uri (nowSeconds ()) "bench" None None
        )
        |> ignore

        let! resp = http.SendAsync req
        let! _ = resp.Content.ReadAsByteArrayAsync()

        if int resp.StatusCode <> 200 then
            failwithf "unexpected status %d" (int resp.StatusCode)
    }

let private measure (name: string) (total: int) (concurrency: int) (f: unit -> Task) =
    task {
        // warm up
        for _ in 1..200 do
            do! f ()

        let sw = Stopwatch.StartNew()
        let perWorker = total / concurrency

        let worker () =
            task {
                for _ in 1..perWorker do
                    do! f ()
            }
            :> Task

        do! Task.WhenAll [ for _ in 1..concurrency -> Task.Run(Func<Task> worker) ]
        let rate = float (perWorker * concurrency) / sw.Elapsed.TotalSeconds
        printfn "%-58s %8.0f requests/s  (%d requests, %d concurrent)" name rate (perWorker * concurrency) concurrency
        return rate
    }

let run () =
    task {
        use! e = Emulator.start (EmulatorOptions())
        let c = Signer.creds e.ClientId e.AccessToken
        let taskId = slugId ()

        let! created =
            sendTo
                (Header c)
                "PUT"
                $"{e.RootUrl}/api/queue/v1/task/{taskId}"
                (Some((taskDef "bench/wt" []).ToJsonString()))

        expectStatus created 200
        let taskUrl = $"{e.RootUrl}/api/queue/v1/task/{taskId}"
        let scopesUrl = $"{e.RootUrl}/api/auth/v1/scopes/current"
        printfn "Taskcluster emulator benchmark on %s (%d cores)" e.RootUrl Environment.ProcessorCount
        let pingUrl = $"{e.RootUrl}/api/queue/v1/ping"

        let ping () =
            task {
                let! bytes = http.GetByteArrayAsync pingUrl
                ignore bytes
            }
            :> Task

        let! _ = measure "GET queue.ping (no authentication), sequential" 5000 1 ping
        let! _ = measure "GET queue.ping (no authentication), 64 concurrent" 20000 64 ping
        let! _ = measure "GET queue.task (Hawk + scopes + output schema), sequential" 5000 1 (fun () -> get c taskUrl)

        let! _ =
            measure "GET queue.task (Hawk + scopes + output schema), 64 concurrent" 20000 64 (fun () -> get c taskUrl)

        let! _ = measure "GET auth.currentScopes (Hawk + scopes), sequential" 5000 1 (fun () -> get c scopesUrl)
        let! _ = measure "GET auth.currentScopes (Hawk + scopes), 64 concurrent" 20000 64 (fun () -> get c scopesUrl)
        return 0
    }
