/// Authenticated GETs per second through the client against a bare Kestrel endpoint on
/// loopback, beside raw `HttpClient` sending one pre-signed request (the ceiling). Report only.
module Taskcluster.Benchmarks.ClientBenchmarks

open System
open System.Net
open System.Net.Http
open System.Threading
open System.Threading.Tasks
open BenchmarkDotNet.Attributes
open Microsoft.AspNetCore.Builder
open Microsoft.AspNetCore.Hosting
open Microsoft.AspNetCore.Hosting.Server
open Microsoft.AspNetCore.Hosting.Server.Features
open Microsoft.AspNetCore.Http
open Microsoft.Extensions.DependencyInjection
open Microsoft.Extensions.Logging
open Taskcluster.Core
open Taskcluster.Client

let private reference =
    """
{ "$schema": "/schemas/common/api-reference-v0.json#", "serviceName": "bench", "apiVersion": "v1",
  "title": "Bench", "description": "",
  "entries": [ { "type": "function", "name": "getThing", "title": "", "description": "", "category": "",
                 "stability": "stable", "method": "get", "route": "/thing/<thingId>", "args": ["thingId"],
                 "query": [] } ] }
"""
    |> Reference.parseApiReference
    |> function
        | Ok r -> r
        | Error e -> failwith (e.Describe())

let private entry = reference.Entries.Head

let private body =
    Text.Encoding.UTF8.GetBytes """{"thingId":"abc","state":"completed","runs":[{"runId":0}]}"""

/// A loopback endpoint that answers every request with the same small JSON document.
let private startServer () =
    let builder = WebApplication.CreateEmptyBuilder(WebApplicationOptions())

    builder.WebHost.UseKestrelCore().ConfigureKestrel(fun o -> o.Listen(IPAddress.Loopback, 0))
    |> ignore

    builder.Services.AddLogging(fun l -> l.ClearProviders() |> ignore) |> ignore
    let app = builder.Build()

    app.Run(
        RequestDelegate(fun ctx ->
            ctx.Response.StatusCode <- 200
            ctx.Response.ContentType <- "application/json"
            ctx.Response.ContentLength <- int64 body.Length
            ctx.Response.Body.WriteAsync(body, 0, body.Length))
    )

    app.StartAsync().GetAwaiter().GetResult()

    let url =
        app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>().Addresses
        |> Seq.head

    app, url.TrimEnd('/')

[<MemoryDiagnoser>]
[<GroupBenchmarksBy(BenchmarkDotNet.Configs.BenchmarkLogicalGroupRule.ByCategory)>]
[<CategoriesColumn>]
type ClientRequestBenchmarks() =
    let mutable app: WebApplication = null
    let mutable client: TaskclusterClient = Unchecked.defaultof<_>
    let mutable raw: HttpClient = null
    let mutable url = ""
    let mutable authorization = ""

    /// Concurrent requests per operation in the `Concurrent` benchmarks.
    static member Concurrency = 64

    [<GlobalSetup>]
    member _.Setup() =
        let started, rootUrl = startServer ()
        app <- started

        client <-
            match
                Client.create (
                    Options.create rootUrl
                    |> Options.withCredentials "bench/client" "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
                )
            with
            | Ok c -> c
            | Error e -> failwith (e.Describe())

        url <-
            match Client.buildUrl client reference entry [ "abc" ] [] with
            | Ok u -> u
            | Error e -> failwith (e.Describe())

        authorization <- Fixture.signedOnce "bench/client" "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" url
        raw <- Fixture.rawHttpClient ()

    [<GlobalCleanup>]
    member _.Cleanup() =
        raw.Dispose()
        app.StopAsync().GetAwaiter().GetResult()
        (app :> IDisposable).Dispose()

    member private _.RawGet() : Task<int> =
        task {
            use request = new HttpRequestMessage(HttpMethod.Get, url)

            request.Headers.TryAddWithoutValidation("Authorization", authorization)
            |> ignore

            request.Headers.TryAddWithoutValidation("User-Agent", "Taskcluster.Functional/0.1.0")
            |> ignore

            use! response = raw.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, CancellationToken.None)

            let! bytes = response.Content.ReadAsByteArrayAsync()
            return bytes.Length
        }

    member private _.ClientGet() : Task<int> =
        task {
            match! Client.call client reference entry [ "abc" ] [] Payload.Empty CancellationToken.None with
            | Ok element -> return int element.ValueKind
            | Error e -> return failwith (e.Describe())
        }

    [<BenchmarkCategory("sequential")>]
    [<Benchmark(Baseline = true, Description = "raw HttpClient, pre-signed GET")>]
    member this.RawSequential() = this.RawGet()

    [<BenchmarkCategory("sequential")>]
    [<Benchmark(Description = "Client.call GET, signed per request")>]
    member this.ClientSequential() = this.ClientGet()

    [<BenchmarkCategory("64 concurrent")>]
    [<Benchmark(Baseline = true, OperationsPerInvoke = 64, Description = "raw HttpClient, pre-signed GET")>]
    member this.RawConcurrent() =
        Task.WhenAll(Array.init ClientRequestBenchmarks.Concurrency (fun _ -> this.RawGet()))

    [<BenchmarkCategory("64 concurrent")>]
    [<Benchmark(OperationsPerInvoke = 64, Description = "Client.call GET, signed per request")>]
    member this.ClientConcurrent() =
        Task.WhenAll(Array.init ClientRequestBenchmarks.Concurrency (fun _ -> this.ClientGet()))

/// The same comparison against the emulator, which authenticates every request as the auth
/// service does (Hawk verification, scope expansion): `auth.currentScopes`.
[<MemoryDiagnoser>]
[<GroupBenchmarksBy(BenchmarkDotNet.Configs.BenchmarkLogicalGroupRule.ByCategory)>]
[<CategoriesColumn>]
type EmulatorRequestBenchmarks() =
    let mutable emulator: Taskcluster.Emulator.EmulatorInstance = Unchecked.defaultof<_>
    let mutable client: TaskclusterClient = Unchecked.defaultof<_>
    let mutable raw: HttpClient = null
    let mutable url = ""
    let mutable authorization = ""
    let mutable auth: ApiReference = Unchecked.defaultof<_>
    let mutable currentScopes: ApiEntry = Unchecked.defaultof<_>

    [<GlobalSetup>]
    member _.Setup() =
        emulator <-
            Taskcluster.Emulator.Emulator.start (Taskcluster.Emulator.EmulatorOptions())
            |> _.GetAwaiter().GetResult()

        let references =
            IO.File.ReadAllText(
                IO.Path.Combine(
                    Taskcluster.TestSupport.RepoRoot.find (),
                    "src",
                    "Taskcluster.Emulator",
                    "Generated",
                    "references.json"
                )
            )
            |> Reference.parseReferences
            |> function
                | Ok r -> r
                | Error e -> failwith (e.Describe())

        auth <- (Reference.tryFindApi "auth" references).Value
        currentScopes <- (Reference.tryFindEntry "currentScopes" auth).Value

        client <-
            match
                Client.create (
                    Options.create emulator.RootUrl
                    |> Options.withCredentials emulator.ClientId emulator.AccessToken
                )
            with
            | Ok c -> c
            | Error e -> failwith (e.Describe())

        url <-
            match Client.buildUrl client auth currentScopes [] [] with
            | Ok u -> u
            | Error e -> failwith (e.Describe())

        authorization <- Fixture.signedOnce emulator.ClientId emulator.AccessToken url
        raw <- Fixture.rawHttpClient ()

    [<GlobalCleanup>]
    member _.Cleanup() =
        raw.Dispose()
        (emulator :> IDisposable).Dispose()

    member private _.RawGet() : Task<int> =
        task {
            use request = new HttpRequestMessage(HttpMethod.Get, url)

            request.Headers.TryAddWithoutValidation("Authorization", authorization)
            |> ignore

            request.Headers.TryAddWithoutValidation("User-Agent", "Taskcluster.Functional/0.1.0")
            |> ignore

            use! response = raw.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, CancellationToken.None)

            if not response.IsSuccessStatusCode then
                failwith $"raw request failed: {response.StatusCode}"

            let! bytes = response.Content.ReadAsByteArrayAsync()
            return bytes.Length
        }

    member private _.ClientGet() : Task<int> =
        task {
            match! Client.call client auth currentScopes [] [] Payload.Empty CancellationToken.None with
            | Ok element -> return int element.ValueKind
            | Error e -> return failwith (e.Describe())
        }

    [<BenchmarkCategory("sequential")>]
    [<Benchmark(Baseline = true, Description = "emulator: raw HttpClient, pre-signed GET")>]
    member this.RawSequential() = this.RawGet()

    [<BenchmarkCategory("sequential")>]
    [<Benchmark(Description = "emulator: Client.call GET, signed per request")>]
    member this.ClientSequential() = this.ClientGet()

    [<BenchmarkCategory("64 concurrent")>]
    [<Benchmark(Baseline = true, OperationsPerInvoke = 64, Description = "emulator: raw HttpClient, pre-signed GET")>]
    member this.RawConcurrent() =
        Task.WhenAll(Array.init 64 (fun _ -> this.RawGet()))

    [<BenchmarkCategory("64 concurrent")>]
    [<Benchmark(OperationsPerInvoke = 64, Description = "emulator: Client.call GET, signed per request")>]
    member this.ClientConcurrent() =
        Task.WhenAll(Array.init 64 (fun _ -> this.ClientGet()))
