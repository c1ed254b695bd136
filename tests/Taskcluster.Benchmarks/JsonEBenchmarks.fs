/// JSON-e rendering (report only): the specification's templates that render, and a realistic
/// `.taskcluster.yml`. scripts/interop/jsone.mjs measures the official implementation on the
/// same inputs (see the README's JSON-e section for the command and the figures).
module Taskcluster.Benchmarks.JsonEBenchmarks

open System
open System.IO
open BenchmarkDotNet.Attributes
open Taskcluster.Core
open Taskcluster.TestSupport

let private now = DateTimeOffset(2017, 1, 19, 16, 27, 20, 974, TimeSpan.Zero)

let private readJson (path: string) =
    match Decode.fromString Decode.json (File.ReadAllText path) with
    | Ok j -> j
    | Error e -> failwithf "%s: %s" path (e.Describe())

let private field name (json: Json) =
    match json with
    | Json.Object members -> members |> List.tryFind (fst >> (=) name) |> Option.map snd
    | _ -> None

/// The specification's cases that render without error, as (template, context).
let specCases () =
    let spec =
        readJson (RepoRoot.sharedFile "json-e/specification.json" |> Result.defaultWith failwith)

    match spec with
    | Json.Array items ->
        [|
            for item in items do
                match field "title" item, field "error" item with
                | Some _, None ->
                    let template = field "template" item |> Option.defaultValue Json.Null
                    let context = field "context" item |> Option.defaultValue (Json.Object [])
                    let t, c = JsonEValue.ofJson template, JsonEValue.ofJson context

                    if Result.isOk (JsonE.render t c now) then
                        yield t, c
                | _ -> ()
        |]
    | _ -> failwith "specification.json is not an array"

/// The realistic `.taskcluster.yml` (as JSON) and its push-event context.
let taskclusterYml () =
    let file =
        readJson (Path.Combine(RepoRoot.find (), "tests", "Taskcluster.Benchmarks", "taskcluster-yml.json"))

    JsonEValue.ofJson (Option.get (field "template" file)), JsonEValue.ofJson (Option.get (field "context" file))

[<MemoryDiagnoser>]
type JsonEBenchmarks() =
    let mutable spec = [||]
    let mutable yml = JsonEValue.Null, JsonEValue.Null

    [<GlobalSetup>]
    member _.Setup() =
        spec <- specCases ()
        yml <- taskclusterYml ()

    /// One render of every specification template that renders (about 700).
    [<Benchmark(Description = "JsonE.render: every renderable specification case")>]
    member _.Specification() =
        let mutable ok = 0

        for t, c in spec do
            if Result.isOk (JsonE.render t c now) then
                ok <- ok + 1

        ok

    [<Benchmark(Description = "JsonE.render: a .taskcluster.yml for a push (5 tasks)")>]
    member _.TaskclusterYml() = JsonE.render (fst yml) (snd yml) now
