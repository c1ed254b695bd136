/// The object service: uploads (dataInline, putUrl), downloads (getUrl, simple) and metadata.
module internal Taskcluster.Emulator.Services.Object

open System
open System.Text.Json.Nodes
open Taskcluster.Emulator.Internal

/// The blob key of an object's bytes.
let blobKey (name: string) = "object/" + name

let private getObject (store: ObjectStore) (name: string) (now: DateTimeOffset) =
    match store.Objects.TryGetValue name with
    | true, o when o.Finished && o.Expires > now -> o
    | _ -> Fail.notFound $"Object {name} not found"

let private hashesOf (node: JsonNode) =
    match J.tryField "hashes" node with
    | Some(:? JsonObject as h) ->
        h
        |> Seq.choose (fun (KeyValue(k, v)) ->
            match v with
            | :? JsonValue as s ->
                match s.TryGetValue<string>() with
                | true, text -> Some(k, text)
                | _ -> None
            | _ -> None)
        |> Map.ofSeq
    | _ -> Map.empty

/// Hashes may be added but never changed once given.
let private mergeHashes (existing: Map<string, string>) (added: Map<string, string>) =
    added
    |> Map.fold
        (fun (acc: Map<string, string>) k v ->
            match acc.TryFind k with
            | Some old when old <> v -> Fail.conflict $"Object hash {k} does not match the hash given before"
            | _ -> acc.Add(k, v))
        existing

let private hashesJson (o: ObjectRec) =
    J.obj [ for KeyValue(k, v) in o.Hashes -> k, J.str v ]

let createUpload (call: Call) =
    let env = call.Env
    let store = env.Stores.Objects
    let name = Api.param call "name"
    let body = call.Body
    let projectId = J.string "projectId" body
    Api.authorizeWith call [ "projectId", J.str projectId ]
    let uploadId = J.string "uploadId" body
    let expires = J.time' "expires" body
    let proposed = J.tryField "proposedUploadMethods" body

    lock store.Gate (fun () ->
        let o =
            match store.Objects.TryGetValue name with
            | true, o when o.UploadId <> uploadId ->
                Fail.conflict $"Object {name} already exists with a different uploadId"
            | true, o when o.Finished -> Fail.conflict $"Object {name} has already been uploaded"
            | true, o when o.ProjectId <> projectId || o.Expires <> expires ->
                Fail.conflict $"Object {name} already exists with different parameters"
            | true, o ->
                o.Hashes <- mergeHashes o.Hashes (hashesOf body)
                o
            | _ ->
                let o =
                    {
                        Name = name
                        ProjectId = projectId
                        UploadId = uploadId
                        Expires = expires
                        Hashes = hashesOf body
                        Finished = false
                        Data = ObjectData.Missing
                        ContentType = "application/octet-stream"
                        ExpectedLength = None
                    }

                // stored only if `object` (the metadata) can answer with it
                Api.mustAnswer
                    call
                    "object"
                    (J.obj
                        [
                            "projectId", J.str o.ProjectId
                            "expires", J.time o.Expires
                            "hashes", hashesJson o
                        ])

                store.Objects[name] <- o
                o

        let method =
            match proposed |> Option.bind (J.tryField "dataInline"), proposed |> Option.bind (J.tryField "putUrl") with
            | Some inline', _ ->
                let data =
                    try
                        Convert.FromBase64String(J.string "objectData" inline')
                    with :? FormatException ->
                        Fail.input "dataInline.objectData is not valid base64"

                o.Data <- ObjectData.Inline data
                o.ContentType <- J.tryString "contentType" inline' |> Option.defaultValue o.ContentType
                J.obj [ "dataInline", J.bool true ]
            | None, Some put ->
                o.ContentType <- J.tryString "contentType" put |> Option.defaultValue o.ContentType
                o.ExpectedLength <- J.tryInt64 "contentLength" put
                let url, urlExpires = env.BlobUrl("put", blobKey name)

                J.obj
                    [
                        "putUrl",
                        J.obj
                            [
                                "url", J.str url
                                "expires", J.time urlExpires
                                "headers",
                                J.obj
                                    [
                                        "Content-Type", J.str o.ContentType
                                        match o.ExpectedLength with
                                        | Some n -> "Content-Length", J.str (string n)
                                        | None -> ()
                                    ]
                            ]
                    ]
            | None, None -> JsonObject()

        Api.ok (
            J.obj
                [
                    "projectId", J.str projectId
                    "uploadId", J.str uploadId
                    "expires", J.time expires
                    "uploadMethod", method
                ]
        ))

let finishUpload (call: Call) =
    let store = call.Env.Stores.Objects
    let name = Api.param call "name"
    let projectId = J.string "projectId" call.Body
    Api.authorizeWith call [ "projectId", J.str projectId ]
    let uploadId = J.string "uploadId" call.Body

    lock store.Gate (fun () ->
        match store.Objects.TryGetValue name with
        | true, o when o.UploadId = uploadId && o.ProjectId = projectId ->
            o.Hashes <- mergeHashes o.Hashes (hashesOf call.Body)

            match o.Data with
            | ObjectData.Missing ->
                match call.Env.Blobs.TryInfo(blobKey name) with
                | Some info -> o.Data <- ObjectData.Blob(blobKey name, info.Length)
                | None -> ()
            | _ -> ()

            o.Finished <- true
            Api.empty ()
        | true, _ -> Fail.conflict $"Object {name} has a different uploadId or projectId"
        | _ -> Fail.notFound $"Object {name} not found")

let startDownload (call: Call) =
    let env = call.Env
    let store = env.Stores.Objects
    let name = Api.param call "name"
    let accepted = J.tryField "acceptDownloadMethods" call.Body

    let accepts (m: string) =
        match accepted |> Option.bind (J.tryField m) with
        | Some(:? JsonValue as v) -> v.GetValueKind() = Text.Json.JsonValueKind.True
        | _ -> false

    let o = lock store.Gate (fun () -> getObject store name call.Now)

    if accepts "getUrl" then
        let url, expires = env.BlobUrl("get", blobKey name)

        Api.ok (
            J.obj
                [
                    "method", J.str "getUrl"
                    "url", J.str url
                    "expires", J.time expires
                    "hashes", hashesJson o
                ]
        )
    elif accepts "simple" then
        let url, _ = env.BlobUrl("get", blobKey name)
        Api.ok (J.obj [ "method", J.str "simple"; "url", J.str url ])
    else
        Fail.input "None of the accepted download methods are supported (the emulator offers getUrl and simple)"

let object (call: Call) =
    let store = call.Env.Stores.Objects

    let o = lock store.Gate (fun () -> getObject store (Api.param call "name") call.Now)

    Api.ok (
        J.obj
            [
                "projectId", J.str o.ProjectId
                "expires", J.time o.Expires
                "hashes", hashesJson o
            ]
    )

let download (call: Call) =
    let store = call.Env.Stores.Objects
    let name = Api.param call "name"
    lock store.Gate (fun () -> getObject store name call.Now) |> ignore
    let url, _ = call.Env.BlobUrl("get", blobKey name)
    Reply.Redirect(url, J.obj [ "method", J.str "simple"; "url", J.str url ])

let handlers: (string * (Call -> Reply)) list =
    [
        "createUpload", createUpload
        "finishUpload", finishUpload
        "startDownload", startDownload
        "object", object
        "download", download
    ]
