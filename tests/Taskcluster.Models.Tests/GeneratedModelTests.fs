/// Every generated model (src/Taskcluster.Models/Generated), against JSON generated from its own
/// schema: valid JSON decodes and encodes back to an equal JSON value, unknown members survive,
/// wrong-typed members are errors naming their path, and no JSON at all makes a decoder throw.
module Taskcluster.Models.Tests.GeneratedModelTests

open Expecto
open FsCheck
open FsCheck.FSharp
open Taskcluster.Core
open Taskcluster.Models
open Taskcluster.Testing
open Taskcluster.Models.Tests.Support

let private members (json: Json) =
    match json with
    | Json.Object m -> m
    | _ -> []

let private tryMember name json =
    members json |> List.tryFind (fun (k, _) -> k = name) |> Option.map snd

/// The schema at a location with `$ref`s followed.
let rec private resolved (location: string) =
    let schema =
        SchemaJson.tryResolve (bundle.Force()) location
        |> Option.defaultWith (fun () -> failtestf "no schema at %s" location)

    match tryMember "$ref" schema with
    | Some(Json.String r) -> resolved (SchemaJson.resolveRef (location.Substring(0, location.IndexOf '#' + 1)) r)
    | _ -> location, schema

let private config n =
    { FsCheckConfig.defaultConfig with
        maxTest = n
    }

let private show (json: Json) =
    let text = Encode.toString json

    if text.Length > 2000 then
        text.Substring(0, 2000) + "…"
    else
        text

let private roundTrips (model: ModelInfo) (json: Json) =
    match model.RoundTrip(element json) with
    | Ok back when jsonEquals json back -> true
    | Ok back -> failtestf "%s changed the JSON\nin:  %s\nout: %s" model.Name (show json) (show back)
    | Error e -> failtestf "%s refused valid JSON: %s\n%s" model.Name (e.Describe()) (show json)

/// Members whose schema has a definite JSON type, so that another type is wrong for sure.
let private typedRequired (location: string) (schema: Json) =
    let required =
        match tryMember "required" schema with
        | Some(Json.Array names) ->
            names
            |> List.choose (function
                | Json.String s -> Some s
                | _ -> None)
        | _ -> []

    let properties =
        tryMember "properties" schema |> Option.map members |> Option.defaultValue []

    [
        for name in required do
            match properties |> List.tryFind (fun (n, _) -> n = name) with
            | Some(_, p) ->
                let l =
                    match tryMember "$ref" p with
                    | Some(Json.String r) -> SchemaJson.resolveRef (location.Substring(0, location.IndexOf '#' + 1)) r
                    | _ -> location + "/properties/" + name.Replace("~", "~0").Replace("/", "~1")

                let target = if (tryMember "$ref" p).IsSome then snd (resolved l) else p

                match tryMember "type" target with
                | Some(Json.String "array") -> name, Json.Bool true
                | Some(Json.String t) when t <> "null" -> name, Json.Array [ Json.Bool true ]
                | None when (tryMember "enum" target).IsSome || (tryMember "const" target).IsSome ->
                    name, Json.Array [ Json.Bool true ]
                | _ -> ()
            | None -> ()
    ]

let private modelTests (model: ModelInfo) =
    let location, schema = resolved model.Location
    let valid = SchemaJson.valid (bundle.Force()) model.Location
    let isUnion = (tryMember "oneOf" schema).IsSome || (tryMember "anyOf" schema).IsSome
    let isRecord = (tryMember "properties" schema).IsSome && not isUnion

    testList
        model.Name
        [
            testPropertyWithConfig (config 25) "valid JSON decodes and encodes back to the same JSON"
            <| Prop.forAll (Arb.fromGen valid) (fun json ->
                match violations model.Location (element json) with
                | [] -> roundTrips model json
                | errors ->
                    failtestf
                        "the generator made JSON that %s does not accept:\n%s\n%s"
                        model.Location
                        (String.concat "\n" errors)
                        (show json))

            if isRecord || isUnion then
                testPropertyWithConfig (config 10) "members the schema does not know survive"
                <| Prop.forAll (Arb.fromGen (Gen.zip valid SchemaJson.anyValue)) (fun (json, extra) ->
                    match json with
                    | Json.Object members ->
                        roundTrips model (Json.Object(members @ [ "x-from-a-newer-deployment", extra ]))
                    | _ -> true)

            match typedRequired location schema with
            | [] -> ()
            | typed when isRecord ->
                testPropertyWithConfig (config 10) "a wrong-typed required member is an error naming its path"
                <| Prop.forAll (Arb.fromGen (Gen.zip valid (Gen.elements typed))) (fun (json, (name, wrong)) ->
                    let broken =
                        Json.Object(members json |> List.map (fun (k, v) -> if k = name then k, wrong else k, v))

                    match model.RoundTrip(element broken) with
                    | Error e ->
                        let expected = JsonPath.Root.Field(name).ToString()
                        Expect.stringStarts e.Path expected $"{e.Describe()} for {show broken}"
                        true
                    | Ok _ -> failtestf "%s accepted %s" model.Name (show broken))
            | _ -> ()

            testPropertyWithConfig (config 20) "any JSON gives a result, never an exception"
            <| Prop.forAll (Arb.fromGen SchemaJson.anyValue) (fun json ->
                match model.RoundTrip(element json) with
                | Ok _
                | Error _ -> true)
        ]

let tests =
    testList
        "generated models"
        [
            test "every model has a schema in the committed bundle" {
                Expect.isGreaterThan ModelRegistry.all.Length 300 "models"

                for m in ModelRegistry.all do
                    Expect.isSome (SchemaJson.tryResolve (bundle.Force()) m.Location) m.Location
            }

            test "every method's input and output, every message and the worker payloads have a model" {
                Expect.equal
                    ModelRegistry.roots["/schemas/queue/v1/task-status-response.json#"]
                    "TaskStatusResponse"
                    "status"

                Expect.equal
                    ModelRegistry.roots["/schemas/queue/v1/create-task-request.json#"]
                    "CreateTaskRequest"
                    "createTask"

                Expect.equal
                    ModelRegistry.roots["/schemas/generic-worker/multiuser_posix.json#"]
                    "GenericWorkerPayload"
                    "worker"

                Expect.equal
                    ModelRegistry.roots["/schemas/docker-worker/v1/payload.json#"]
                    "DockerWorkerPayload"
                    "docker"
            }

            test "an error deep inside a response names the whole path" {
                let text =
                    """{"status":{"taskId":"fN1SbArXTPSVFNUvaOlinQ","provisionerId":"p","workerType":"w",
                        "taskQueueId":"p/w","schedulerId":"-","projectId":"none","taskGroupId":"fN1SbArXTPSVFNUvaOlinQ",
                        "deadline":"2026-11-29T15:00:00.000Z","expires":"2026-12-29T15:00:00.000Z","retriesLeft":5,
                        "state":"running","runs":[{"runId":0,"state":7,"reasonCreated":"scheduled",
                        "scheduled":"2026-11-29T14:00:00.000Z"}]}}"""

                match Decode.fromString TaskStatusResponse.Decode text with
                | Error e -> Expect.equal e.Path "$.status.runs[0].state" (e.Describe())
                | Ok v -> failtestf "decoded %A" v
            }

            test "Create takes the required members and only the optional ones given" {
                let metadata =
                    TaskMetadata.Create(
                        description = "d",
                        name = "n",
                        owner = "o@example.com",
                        source = "https://example.com/s"
                    )

                Expect.equal
                    (TaskMetadata.Encode metadata)
                    (Json.Object
                        [
                            "description", Json.String "d"
                            "name", Json.String "n"
                            "owner", Json.String "o@example.com"
                            "source", Json.String "https://example.com/s"
                        ])
                    "required members only"

                let withExtra =
                    TaskMetadata.Create(
                        "d",
                        "n",
                        "o@example.com",
                        "https://example.com/s",
                        extensionData = Map [ "x", Json.Null ]
                    )

                Expect.equal withExtra.ExtensionData (Map [ "x", Json.Null ]) "extension data"
            }

            yield! ModelRegistry.all |> List.map modelTests
        ]
