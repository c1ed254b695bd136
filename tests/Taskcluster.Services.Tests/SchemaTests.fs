/// The generator's schema model (scripts/Taskcluster.Generator/Schema.fs): names, `$ref`
/// resolution, one type per schema location, unions and constants.
module Taskcluster.Services.Tests.SchemaTests

open Expecto
open Taskcluster.Core
open Taskcluster.Generator
open Taskcluster.Generator.Schema
open Taskcluster.Services.Tests.Support

let private parse (text: string) =
    Decode.fromString Decode.json text |> unwrap "parsing a test schema"

/// A schema model of small hand-written schemas.
let private modelOf (schemas: (string * string) list) (roots: string list) =
    Schema.build (schemas |> List.map (fun (id, text) -> id, parse text) |> Map) roots

let private real =
    lazy
        (let refs = references.Force()

         let all =
             Generator.schemas refs (workerSchemaTexts.Force())
             |> unwrap "merging the worker schemas"

         Schema.build all (Generator.modelRoots refs all)
         |> unwrap "building the schema model")

let private named (model: SchemaModel) (shape: Shape) =
    match shape with
    | Shape.Named l -> model.Types[l]
    | other -> failtestf "expected a named type, found %A" other

let private root (id: string) =
    let model = real.Force()
    named model model.Roots[id]

let private field (name: string) (t: TypeDef) =
    match t.Kind with
    | Kind.Record(fields, _) ->
        fields
        |> List.tryFind (fun f -> f.JsonName = name)
        |> Option.defaultWith (fun () -> failtestf "%s has no field %s" t.Name name)
    | other -> failtestf "%s is not a record: %A" t.Name other

let tests =
    testList
        "Schema model"
        [
            testList
                "names"
                [
                    test "file names, member names and titles become PascalCase identifiers" {
                        Expect.equal (pascal "task-status") "TaskStatus" "kebab"
                        Expect.equal (pascal "head_commit") "HeadCommit" "snake"
                        Expect.equal (pascal "taskId") "TaskId" "camel"
                        Expect.equal (pascal "list-lastFires-response") "ListLastFiresResponse" "mixed"
                        Expect.equal (pascal "URL Content") "URLContent" "words"
                        Expect.equal (pascal "3d-images") "V3dImages" "a leading digit"
                        Expect.equal (pascal "") "Empty" "nothing"
                    }

                    test "the models the issue names read well" {
                        let name id = (root id).Name
                        Expect.equal (name "/schemas/queue/v1/task.json#") "TaskDefinition" "task"

                        Expect.equal
                            (name "/schemas/queue/v1/post-artifact-request.json#")
                            "CreateArtifactRequest"
                            "createArtifact"

                        Expect.equal
                            (name "/schemas/queue/v1/task-completed-message.json#")
                            "TaskCompletedMessage"
                            "message"

                        Expect.equal
                            (name "/schemas/generic-worker/multiuser_posix.json#")
                            "GenericWorkerPayload"
                            "worker"

                        Expect.equal (name "/schemas/docker-worker/v1/payload.json#") "DockerWorkerPayload" "docker"

                        let status = root "/schemas/queue/v1/task-status-response.json#"
                        Expect.equal (named (real.Force()) (field "status" status).Shape).Name "TaskStatus" "status"
                    }

                    test "every name is unique and none shadows what the generated code uses" {
                        let names = real.Force().Types |> Map.toList |> List.map (snd >> _.Name)
                        Expect.equal (List.distinct names |> List.length) names.Length "unique"

                        for n in names do
                            Expect.isFalse (reservedTypeNames.Contains n) n
                            Expect.isOk (Code.fsIdentifier n) n
                    }

                    test "a file name two services share keeps queue's plain name and prefixes the other" {
                        let model =
                            modelOf
                                [
                                    "/schemas/worker-manager/v1/task-run.json#",
                                    """{"type":"object","properties":{"a":{"type":"string"}}}"""
                                    "/schemas/queue/v1/task-run.json#",
                                    """{"type":"object","properties":{"b":{"type":"string"}}}"""
                                ]
                                [
                                    "/schemas/worker-manager/v1/task-run.json#"
                                    "/schemas/queue/v1/task-run.json#"
                                ]
                            |> unwrap "building"

                        Expect.equal model.Types["/schemas/queue/v1/task-run.json#"].Name "TaskRun" "queue"

                        Expect.equal
                            model.Types["/schemas/worker-manager/v1/task-run.json#"].Name
                            "WorkerManagerTaskRun"
                            "worker-manager"
                    }
                ]

            testList
                "references"
                [
                    test "a $ref is resolved against its document's $id" {
                        Expect.equal
                            (resolveRef "/schemas/queue/v1/task-status-response.json#" "task-status.json#")
                            "/schemas/queue/v1/task-status.json#"
                            "sibling file"

                        Expect.equal
                            (resolveRef "/schemas/queue/v1/artifact-created-message.json#" "./artifact-response.json#")
                            "/schemas/queue/v1/artifact-response.json#"
                            "./"

                        Expect.equal
                            (resolveRef "/schemas/generic-worker/multiuser_posix.json#" "#/definitions/mount")
                            "/schemas/generic-worker/multiuser_posix.json#/definitions/mount"
                            "local"

                        Expect.equal
                            (resolveRef "/schemas/worker-manager/v1/x.json#" "task.json#/properties/priority")
                            "/schemas/worker-manager/v1/task.json#/properties/priority"
                            "into a property"
                    }

                    test "pointer segments escape / and ~" {
                        let l = child (child "/schemas/a/v1/b.json#" "properties") "x/y~z"
                        Expect.equal l "/schemas/a/v1/b.json#/properties/x~1y~0z" "escaped"
                        Expect.equal (pointerOf l) [ "properties"; "x/y~z" ] "unescaped"
                    }

                    test "two schemas referring to one definition share one type" {
                        let model =
                            modelOf
                                [
                                    "/schemas/s/v1/common.json#",
                                    """{"definitions":{"item":{"type":"object","properties":{"id":{"type":"string"}},"required":["id"]}}}"""
                                    "/schemas/s/v1/a.json#",
                                    """{"type":"object","properties":{"x":{"$ref":"common.json#/definitions/item"}}}"""
                                    "/schemas/s/v1/b.json#",
                                    """{"type":"object","properties":{"ys":{"type":"array","items":{"$ref":"common.json#/definitions/item"}}}}"""
                                ]
                                [ "/schemas/s/v1/a.json#"; "/schemas/s/v1/b.json#" ]
                            |> unwrap "building"

                        let item = "/schemas/s/v1/common.json#/definitions/item"
                        Expect.equal (field "x" model.Types["/schemas/s/v1/a.json#"]).Shape (Shape.Named item) "a"

                        Expect.equal
                            (field "ys" model.Types["/schemas/s/v1/b.json#"]).Shape
                            (Shape.List(Shape.Named item))
                            "b"

                        Expect.equal model.Types[item].Name "CommonItem" "named after its document"

                        Expect.equal
                            (model.Types |> Map.filter (fun _ t -> t.Name.Contains "Item") |> Map.count)
                            1
                            "one type"
                    }

                    test "a $ref to a missing schema is an error naming it" {
                        let result =
                            modelOf
                                [
                                    "/schemas/s/v1/a.json#",
                                    """{"type":"object","properties":{"x":{"$ref":"gone.json#"}}}"""
                                ]
                                [ "/schemas/s/v1/a.json#" ]

                        match result with
                        | Error message -> Expect.stringContains message "/schemas/s/v1/gone.json#" "names the target"
                        | Ok _ -> failtest "a dangling $ref was accepted"
                    }

                    test "a worker schema that differs from the references' copy is refused" {
                        let refs = references.Force()

                        let changed =
                            [
                                "docker-worker-v1-payload.json",
                                """{"$id":"/schemas/docker-worker/v1/payload.json#","type":"object"}"""
                            ]

                        Expect.isError (Generator.schemas refs changed) "differs"
                    }
                ]

            testList
                "shapes"
                [
                    test "artifact storage types are a union selected by storageType, the tag not a field" {
                        let t = root "/schemas/queue/v1/post-artifact-request.json#"

                        match t.Kind with
                        | Kind.Union(Some "storageType", cases) ->
                            Expect.equal
                                (cases |> List.map _.Name)
                                [ "S3"; "Object"; "Reference"; "Link"; "Error" ]
                                "cases"

                            let s3 = named (real.Force()) cases.Head.Shape

                            match s3.Kind with
                            | Kind.Record(fields, constants) ->
                                Expect.equal
                                    constants
                                    [
                                        {
                                            JsonName = "storageType"
                                            Value = Json.String "s3"
                                        }
                                    ]
                                    "tag"

                                Expect.isFalse (fields |> List.exists (fun f -> f.JsonName = "storageType")) "no field"
                            | other -> failtestf "not a record: %A" other
                        | other -> failtestf "not a discriminated union: %A" other
                    }

                    test "timestamps, enums, optional members and nullable alternatives" {
                        let status =
                            named (real.Force()) (Shape.Named "/schemas/queue/v1/task-status.json#")

                        Expect.equal (field "deadline" status).Shape Shape.DateTime "date-time"
                        Expect.isTrue (field "deadline" status).Required "required"

                        match (named (real.Force()) (field "state" status).Shape).Kind with
                        | Kind.Enum values ->
                            Expect.contains (values |> List.map fst) "exception" "values"
                            Expect.contains (values |> List.map snd) "Exception" "cases"
                        | other -> failtestf "state is not an enum: %A" other

                        // As GitHub's webhook payloads write it (no API method answers with those).
                        let model =
                            modelOf
                                [
                                    "/schemas/s/v1/push.json#",
                                    """{"type":"object","properties":{"head_commit":{"oneOf":[{"type":"null"},{"type":"object","properties":{"id":{"type":"string"}}}]}}}"""
                                ]
                                [ "/schemas/s/v1/push.json#" ]
                            |> unwrap "building"

                        match (field "head_commit" model.Types["/schemas/s/v1/push.json#"]).Shape with
                        | Shape.Nullable(Shape.Named _) -> ()
                        | other -> failtestf "head_commit is %A" other
                    }

                    test "alternatives that only add constraints leave the outer type" {
                        let request = root "/schemas/auth/v1/authenticate-hawk-request.json#"
                        Expect.equal (field "sourceIp" request).Shape Shape.String "ipv4 or ipv6"
                    }
                ]
        ]
