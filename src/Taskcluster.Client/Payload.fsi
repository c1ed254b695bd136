namespace Taskcluster.Client

open System
open System.Text.Json
open System.Text.Json.Nodes
open Taskcluster.Core

/// The JSON body of a request, in whichever form the caller has it. It is turned into UTF-8
/// bytes once per call (not once per attempt) and checked to be one well-formed JSON value.
[<RequireQualifiedAccess>]
type Payload =
    /// No body (for methods without input).
    | Empty
    /// JSON text.
    | Text of json: string
    /// UTF-8 JSON bytes.
    | Utf8 of json: ReadOnlyMemory<byte>
    /// A System.Text.Json element.
    | Element of json: JsonElement
    /// A System.Text.Json node (`null` is the JSON `null`).
    | Node of json: JsonNode
    /// A core `Json` value, written as `JSON.stringify` would.
    | Json of json: Json
    /// Any object, serialised by System.Text.Json with its property names exactly as written
    /// (no naming policy; null properties left out), or with the options given.
    | Object of value: obj * options: JsonSerializerOptions option

/// Building and encoding payloads.
[<RequireQualifiedAccess>]
module Payload =
    /// The payload for any .NET value: `null` is `Empty`; a `string` is JSON text; a
    /// `JsonElement`, `JsonNode`, `Json`, `byte[]` or `ReadOnlyMemory<byte>` is taken as JSON;
    /// anything else (anonymous types, records, dictionaries, ...) is serialised with its
    /// property names exactly as written.
    val ofObj: value: obj -> Payload

    /// The serializer options `Object` uses when given none: names as written, nulls omitted.
    val defaultSerializerOptions: JsonSerializerOptions

    /// The payload as UTF-8 JSON bytes (`None` for `Empty`), or why it is not one JSON value.
    val toUtf8: payload: Payload -> Result<ReadOnlyMemory<byte> option, string>

    /// `toUtf8` without its well-formedness scan of given text or bytes, for a caller that
    /// parses them anyway (the schema check) and so makes the same check once.
    val internal toUtf8Unscanned: payload: Payload -> Result<ReadOnlyMemory<byte> option, string>

    /// Why these bytes are not one JSON value, in the words `toUtf8` uses.
    val internal malformation: utf8: ReadOnlyMemory<byte> -> string
