/// What the benchmarks share in their setup: a check that a setup step worked, the emulator
/// with one task in its queue, and the raw `HttpClient` with a request signed once (the ceiling
/// the client is measured against).
module Taskcluster.Benchmarks.Fixture

open System
open System.Net.Http
open System.Threading
open Taskcluster.Core
open Taskcluster.Client
open Taskcluster.Emulator
open Taskcluster.Services

/// The value of a setup step that must work; a failure stops the run naming the step.
let ok what (result: Result<'T, 'E>) =
    result |> Result.defaultWith (failwithf "%s failed: %A" what)

/// An emulator, a `Queue` client over it with the emulator's root credentials, and one
/// docker-worker task created there: what the `queue.task` benchmarks call.
[<Sealed>]
type QueueTask private (emulator: EmulatorInstance, queue: Queue, taskId: string) =
    /// The running emulator.
    member _.Emulator = emulator

    /// The queue client, signing with the emulator's root credentials.
    member _.Queue = queue

    /// The task created at the start.
    member _.TaskId = taskId

    /// Starts an emulator and creates the task; blocks, as a benchmark's setup may.
    static member Start() =
        let emulator = (Emulator.start (EmulatorOptions())).GetAwaiter().GetResult()

        try
            let queue =
                Options.create emulator.RootUrl
                |> Options.withCredentials emulator.ClientId emulator.AccessToken
                |> Client.create
                |> ok "creating the client"
                |> Queue

            let taskId = (Helpers.slugId ()).Value
            let now = DateTimeOffset.UtcNow
            let iso (d: DateTimeOffset) = d.ToString("yyyy-MM-ddTHH:mm:ss.fffZ")

            let task =
                $$"""{"taskQueueId":"proj-bench/worker","schedulerId":"-","taskGroupId":"{{taskId}}",
                      "created":"{{iso now}}","deadline":"{{iso (now.AddDays 4.0)}}",
                      "payload":{"image":"ubuntu:24.04","command":["true"],"maxRunTime":600,"env":{"RUST_LOG":"debug"} },
                      "metadata":{"name":"bench","description":"queue.task","owner":"bench@example.com","source":"https://example.com/"} }"""

            queue.CreateTask(taskId, Payload.Text task).GetAwaiter().GetResult()
            |> ok "creating the task"
            |> ignore

            new QueueTask(emulator, queue, taskId)
        with _ ->
            (emulator :> IDisposable).Dispose()
            reraise ()

    interface IDisposable with
        member _.Dispose() = (emulator :> IDisposable).Dispose()

/// A Hawk `Authorization` header for a GET of `url`, signed now: the services allow 15 minutes
/// of clock skew, long enough for a run that sends the very same header every time.
let signedOnce (clientId: string) (accessToken: string) (url: string) =
    let credentials =
        Hawk.credentials clientId accessToken |> ok "reading the credentials"

    Hawk.header credentials "GET" url (DateTimeOffset.UtcNow.ToUnixTimeSeconds()) "n0nce" None None
    |> ok "signing the request"

/// Raw `HttpClient` as the client's own transport is set up: no redirects, no timeout.
let rawHttpClient () =
    new HttpClient(
        new SocketsHttpHandler(AllowAutoRedirect = false, PooledConnectionLifetime = TimeSpan.FromMinutes 5.0),
        Timeout = Timeout.InfiniteTimeSpan
    )
