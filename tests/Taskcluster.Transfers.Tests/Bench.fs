/// `--bench` (`--bench --quick`: 64 MiB only): uploads and downloads of 64 MiB and 1 GiB
/// through the emulator on loopback, beside raw `HttpClient` streaming the same bytes to the
/// same URLs, with the peak memory above the process baseline. Report only: it asserts nothing.
module Taskcluster.Transfers.Tests.Bench

open System
open System.Diagnostics
open System.IO
open System.Net.Http
open System.Threading
open System.Threading.Tasks
open Taskcluster.Core
open Taskcluster.Client
open Taskcluster.Emulator
open Taskcluster.Transfers.Tests.Support
open Taskcluster.SideBySide.Pattern

// `PatternStream` and `MiB` come from the side-by-side benchmark's Pattern.fs (linked in): a
// 1 MiB block repeated, so producing the bytes costs a copy, not a random generator.

/// The highest managed heap and working set seen while a transfer runs, above what they were
/// before it (sampled every 5 ms).
type private Sampler() =
    do
        GC.Collect()
        GC.WaitForPendingFinalizers()
        GC.Collect()

    let baseHeap = GC.GetTotalMemory true
    let baseSet = Environment.WorkingSet
    let mutable peakHeap = baseHeap
    let mutable peakSet = baseSet

    let sample () =
        peakHeap <- max peakHeap (GC.GetTotalMemory false)
        peakSet <- max peakSet Environment.WorkingSet

    let timer = new Timer((fun _ -> sample ()), null, 0, 5)

    member _.Stop() =
        timer.Dispose()
        sample ()
        float (peakHeap - baseHeap) / float MiB, float (peakSet - baseSet) / float MiB

type private Figure =
    {
        Label: string
        Size: int64
        MiBps: float
        Heap: float
        WorkingSet: float
    }

let private measure (label: string) (size: int64) (transfer: unit -> Task) =
    task {
        let sampler = Sampler()
        let watch = Stopwatch.StartNew()
        do! transfer ()
        watch.Stop()
        let heap, workingSet = sampler.Stop()

        let figure =
            {
                Label = label
                Size = size
                MiBps = float size / float MiB / watch.Elapsed.TotalSeconds
                Heap = heap
                WorkingSet = workingSet
            }

        printfn
            "%-46s %8.0f MiB/s   peak heap +%6.1f MiB   peak working set +%6.1f MiB"
            label
            figure.MiBps
            heap
            workingSet

        return figure
    }

let private expect what (result: Result<'T, 'E>) =
    match result with
    | Ok v -> v
    | Error e -> failwithf "%s failed: %A" what e

let private json (element: Text.Json.JsonElement) (name: string) = element.GetProperty name

let private runAsync (quick: bool) =
    task {
        use! e = Emulator.start (EmulatorOptions(MaxBlobBytes = 2L * 1024L * MiB))

        let client =
            Client.create (Options.create e.RootUrl |> Options.withCredentials e.ClientId e.AccessToken)
            |> expect "Client.create"

        let objects = ObjectApi.ofService (Taskcluster.Services.Object client)

        use http =
            new HttpClient(new SocketsHttpHandler(AllowAutoRedirect = false), Timeout = Timeout.InfiniteTimeSpan)

        let none = CancellationToken.None

        let request name =
            Transfer.uploadRequest "bench" name (DateTimeOffset.UtcNow.AddHours 1.0)

        let ours (name: string) (size: int64) =
            task {
                let reader: ReaderFactory =
                    fun _ -> Task.FromResult(new PatternStream(size) :> Stream)

                let! uploaded = Transfer.upload objects Transfer.defaults (request name) size reader none
                expect "upload" uploaded |> ignore
            }
            :> Task

        let oursDown (name: string) =
            task {
                let! downloaded =
                    Transfer.download objects Transfer.defaults name (fun _ -> Task.FromResult Stream.Null) none

                expect "download" downloaded |> ignore
            }
            :> Task

        // The raw figures: the same PUT and GET with HttpClient alone, no hashing, no checks.
        let rawUp (name: string) (size: int64) =
            let uploadId = Helpers.slugId ()

            let create =
                Encode.object
                    [
                        "projectId", Encode.string "bench"
                        "uploadId", Encode.string uploadId.Value
                        "expires", Encode.string (FromNow.format (DateTimeOffset.UtcNow.AddHours 1.0))
                        "proposedUploadMethods",
                        Encode.object
                            [
                                "putUrl",
                                Encode.object
                                    [
                                        "contentType", Encode.string "application/octet-stream"
                                        "contentLength", Encode.int64 size
                                    ]
                            ]
                    ]

            let created = objects.CreateUpload name create none |> run |> expect "createUpload"
            let putUrl = json (json created "uploadMethod") "putUrl"

            fun () ->
                task {
                    use content = new StreamContent(new PatternStream(size), 81920)
                    content.Headers.ContentType <- Headers.MediaTypeHeaderValue "application/octet-stream"

                    use message =
                        new HttpRequestMessage(HttpMethod.Put, (json putUrl "url").GetString(), Content = content)

                    use! response = http.SendAsync(message)

                    if not response.IsSuccessStatusCode then
                        let! body = response.Content.ReadAsStringAsync()
                        failwithf "PUT answered %d: %s" (int response.StatusCode) body

                    let finish =
                        Encode.object
                            [
                                "projectId", Encode.string "bench"
                                "uploadId", Encode.string uploadId.Value
                                "hashes", Encode.object [ "sha256", Encode.string (String('0', 64)) ]
                            ]

                    let! finished = objects.FinishUpload name finish none
                    expect "finishUpload" finished |> ignore
                }
                :> Task

        let rawDown (name: string) =
            let started =
                objects.StartDownload
                    name
                    (Encode.object [ "acceptDownloadMethods", Encode.object [ "getUrl", Encode.bool true ] ])
                    none
                |> run
                |> expect "startDownload"

            let url = (json started "url").GetString()

            fun () ->
                task {
                    use! response = http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead)
                    response.EnsureSuccessStatusCode() |> ignore
                    use! body = response.Content.ReadAsStreamAsync()
                    do! body.CopyToAsync(Stream.Null, 81920)
                }
                :> Task

        printfn
            "Transfers through the emulator on loopback (%d cores, server in the same process)"
            Environment.ProcessorCount
        // Warm-up: JIT, connections, the emulator's first schema loads.
        do! ours "warm-ours" (8L * MiB)
        do! oursDown "warm-ours"
        do! rawUp "warm-raw" (8L * MiB) ()
        do! rawDown "warm-raw" ()
        let sizes = if quick then [ 64L * MiB ] else [ 64L * MiB; 1024L * MiB ]
        let figures = ResizeArray<Figure * Figure>()

        // The machine may be shared: each figure is the best of a few rounds (the peak memory
        // the worst).
        let best (runs: Figure list) =
            { (runs |> List.maxBy _.MiBps) with
                Heap = runs |> List.map _.Heap |> List.max
                WorkingSet = runs |> List.map _.WorkingSet |> List.max
            }

        for size in sizes do
            let label =
                if size >= 1024L * MiB then
                    $"{size / 1024L / MiB} GiB"
                else
                    $"{size / MiB} MiB"

            let rounds = if size > 64L * MiB then 2 else 3
            let results = ResizeArray<Figure * Figure * Figure * Figure>()

            for round in 1..rounds do
                let oursName = $"bench/ours-{size}-{round}"
                let rawName = $"bench/raw-{size}-{round}"
                let! rawUpload = measure $"upload {label}, raw HttpClient PUT" size (rawUp rawName size)

                let! oursUpload =
                    measure $"upload {label}, Transfer.upload (sha256+sha512)" size (fun () -> ours oursName size)

                let! rawDownload = measure $"download {label}, raw HttpClient GET" size (rawDown rawName)

                let! oursDownload =
                    measure $"download {label}, Transfer.download (verified)" size (fun () -> oursDown oursName)

                results.Add((rawUpload, oursUpload, rawDownload, oursDownload))

            let pick f =
                results |> Seq.map f |> List.ofSeq |> best

            figures.Add(pick (fun (a, _, _, _) -> a), pick (fun (_, b, _, _) -> b))
            figures.Add(pick (fun (_, _, c, _) -> c), pick (fun (_, _, _, d) -> d))

        printfn ""

        printfn
            "| transfer | raw MiB/s | ours MiB/s | ours/raw | peak heap above baseline | peak working set above baseline |"

        printfn "|---|---:|---:|---:|---:|---:|"

        for raw, ours in figures do
            let name = ours.Label.Substring(0, ours.Label.IndexOf ',')

            printfn
                "| %s | %.0f | %.0f | %.0f %% | %.1f MiB | %.1f MiB |"
                name
                raw.MiBps
                ours.MiBps
                (100.0 * ours.MiBps / raw.MiBps)
                ours.Heap
                ours.WorkingSet

        return 0
    }

let run (quick: bool) =
    (runAsync quick).GetAwaiter().GetResult()
