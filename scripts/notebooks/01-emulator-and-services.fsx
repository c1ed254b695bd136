(**
# Start an emulator and call the services

`Taskcluster.Functional.Emulator` runs a Taskcluster double on loopback: every API method of
every service, Hawk authentication and scope checks as the real auth service does them, state in
memory. It needs nothing but the package: no deployment, no network, no credentials.
*)
#r "nuget: Taskcluster.Functional.Emulator, 0.1.0"
#r "nuget: Taskcluster.Functional.Services, 0.1.0"

open System
open Taskcluster.Client
open Taskcluster.Services
open Taskcluster.Emulator

(**
Start one on a free port. It hands out a root URL and the root client's credentials (which hold
the scope `*`).
*)
let emulator = Emulator.start(EmulatorOptions()).GetAwaiter().GetResult()
printfn "emulator at %s, root client %s" emulator.RootUrl emulator.ClientId

(**
A client is configured once: the root URL and the credentials. `Client.create` checks them and
says what is wrong with a typed error rather than failing later.
*)
let client =
    Options.create emulator.RootUrl
    |> Options.withCredentials emulator.ClientId emulator.AccessToken
    |> Client.create
    |> Result.defaultWith (fun e -> failwith (e.Describe()))

/// Waits for a call and stops the notebook with the error's description when it failed.
let run (call: Threading.Tasks.Task<Result<'T, TaskclusterError>>) =
    match call.GetAwaiter().GetResult() with
    | Ok value -> value
    | Error e -> failwith (e.Describe())

(**
Each service has a generated client with one member per API method.
*)
let queue = Queue client
let ping = run (queue.Ping())
printfn "queue.ping: alive = %b" (ping.GetProperty("alive").GetBoolean())

let auth = Auth client
let me = run (auth.CurrentScopes())
printfn "auth.currentScopes: %O" (me.GetProperty "scopes")

(**
Secrets round-trip through the emulator's memory. Payloads can be any object: here an
anonymous record.
*)
let secrets = Secrets client
let expires = DateTimeOffset.UtcNow.AddHours 1.0

run (
    secrets.Set(
        "project/notebook/greeting",
        Payload.ofObj
            {|
                secret = {| text = "hello" |}
                expires = expires
            |}
    )
)
|> ignore

let greeting = run (secrets.Get "project/notebook/greeting")
let text = greeting.GetProperty("secret").GetProperty("text").GetString()
printfn "secrets.get: %s" text

if text <> "hello" then
    failwith $"the secret read back is '{text}'"

(**
Errors are values: a secret that does not exist is a `TaskclusterError`, not an exception.
*)
match (secrets.Get "project/notebook/missing").GetAwaiter().GetResult() with
| Error e -> printfn "as expected: %s" (e.Describe())
| Ok _ -> failwith "a missing secret was found"

emulator.StopAsync().GetAwaiter().GetResult()
