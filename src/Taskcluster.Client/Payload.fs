namespace Taskcluster.Client

open System
open System.Text
open System.Text.Json
open System.Text.Json.Nodes
open System.Text.Json.Serialization
open Taskcluster.Core

[<RequireQualifiedAccess>]
type Payload =
    | Empty
    | Text of json: string
    | Utf8 of json: ReadOnlyMemory<byte>
    | Element of json: JsonElement
    | Node of json: JsonNode
    | Json of json: Json
    | Object of value: obj * options: JsonSerializerOptions option

[<RequireQualifiedAccess>]
module Payload =
    // Property names are the caller's data (a task's `env`, a secret's keys): no naming policy,
    // so `MOZ_BUILD_DATE` stays `MOZ_BUILD_DATE` (the web defaults would write `moZ_BUILD_DATE`).
    let defaultSerializerOptions =
        let o = JsonSerializerOptions(JsonSerializerDefaults.General)
        o.DefaultIgnoreCondition <- JsonIgnoreCondition.WhenWritingNull
        o.MakeReadOnly(true)
        o

    let ofObj (value: obj) =
        match value with
        | null -> Payload.Empty
        | :? Payload as p -> p
        | :? string as s -> Payload.Text s
        | :? JsonElement as e -> Payload.Element e
        | :? JsonNode as n -> Payload.Node n
        | :? Json as j -> Payload.Json j
        | :? (byte array) as b -> Payload.Utf8(ReadOnlyMemory b)
        | :? ReadOnlyMemory<byte> as m -> Payload.Utf8 m
        | other -> Payload.Object(other, None)

    let private readerOptions =
        JsonReaderOptions(CommentHandling = JsonCommentHandling.Disallow, MaxDepth = Decode.maxDepth)

    /// One complete JSON value and nothing after it: what a server's JSON parser accepts.
    let private wellFormed (utf8: ReadOnlyMemory<byte>) =
        try
            let mutable reader = Utf8JsonReader(utf8.Span, readerOptions)

            if not (reader.Read()) then
                Error "no JSON value"
            else
                reader.Skip()
                // After the value only whitespace may remain; the reader throws on anything else.
                if reader.Read() then
                    Error "more than one JSON value"
                else
                    Ok()
        with :? JsonException as e ->
            Error e.Message

    let private validated (utf8: ReadOnlyMemory<byte>) =
        wellFormed utf8 |> Result.map (fun () -> Some utf8)

    let private serialize (value: obj) (options: JsonSerializerOptions) =
        try
            Ok(Some(ReadOnlyMemory(JsonSerializer.SerializeToUtf8Bytes(value, value.GetType(), options))))
        with
        | :? NotSupportedException as e -> Error e.Message
        | :? JsonException as e -> Error e.Message
        | :? InvalidOperationException as e -> Error e.Message

    let toUtf8 (payload: Payload) =
        match payload with
        | Payload.Empty -> Ok None
        | Payload.Text null -> Error "the JSON text is null"
        | Payload.Text json -> validated (ReadOnlyMemory(Encoding.UTF8.GetBytes json))
        | Payload.Utf8 bytes -> validated bytes
        | Payload.Element e when e.ValueKind = JsonValueKind.Undefined -> Error "the JsonElement holds no value"
        | Payload.Element e -> Ok(Some(ReadOnlyMemory(JsonSerializer.SerializeToUtf8Bytes e)))
        | Payload.Node null -> Ok(Some(ReadOnlyMemory("null"B)))
        | Payload.Node n -> serialize n defaultSerializerOptions
        | Payload.Json j -> Ok(Some(ReadOnlyMemory(Encode.toUtf8 j)))
        | Payload.Object(null, _) -> Ok(Some(ReadOnlyMemory("null"B)))
        | Payload.Object(value, options) -> serialize value (options |> Option.defaultValue defaultSerializerOptions)

    let internal toUtf8Unscanned (payload: Payload) =
        match payload with
        | Payload.Text json when not (isNull json) -> Ok(Some(ReadOnlyMemory(Encoding.UTF8.GetBytes json)))
        | Payload.Utf8 bytes -> Ok(Some bytes)
        | other -> toUtf8 other

    let internal malformation (utf8: ReadOnlyMemory<byte>) =
        match wellFormed utf8 with
        | Error reason -> reason
        | Ok() -> "not one JSON value"
