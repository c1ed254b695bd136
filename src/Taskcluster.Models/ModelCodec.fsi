namespace Taskcluster.Models

open System
open System.Text.Json
open Taskcluster.Core

/// One generated model, for code that works over all of them (tests, tools).
type ModelInfo =
    {
        /// The schema location the model comes from: its `$id`, then a JSON pointer for a
        /// definition or an inline schema, e.g. `/schemas/queue/v1/task.json#/properties/metadata`.
        Location: string
        /// The F# type name.
        Name: string
        /// Decodes a value into the model and encodes it back.
        RoundTrip: JsonElement -> Result<Json, DecodeError>
    }

/// What the generated decoders and encoders share: timestamps, maps, extension data, constants.
[<RequireQualifiedAccess>]
module ModelCodec =
    /// A `date-time` string (RFC 3339), as a UTC `DateTimeOffset`.
    val dateTime: Decoder<DateTimeOffset>

    /// A timestamp the way Taskcluster writes them: UTC with milliseconds, `2026-11-29T15:00:00.000Z`.
    val encodeDateTime: value: DateTimeOffset -> Json

    /// Any object, kept as JSON.
    val anyObject: Decoder<Json>

    /// An object whose every member the decoder accepts.
    val dict: decoder: Decoder<'T> -> Decoder<Map<string, 'T>>

    /// An object of encoded members.
    val encodeDict: encoder: ('T -> Json) -> values: Map<string, 'T> -> Json

    /// An array of encoded items.
    val encodeList: encoder: ('T -> Json) -> values: 'T list -> Json

    /// The set of member names a model knows.
    val known: names: string list -> Set<string>

    /// Checks that a required member holds the one value the schema allows.
    val constant: name: string -> value: Json -> path: JsonPath -> element: JsonElement -> Result<unit, DecodeError>

    /// An optional member where `null` is a value to keep (`Some`), not an absence.
    val optionalKeepingNull: name: string -> decoder: Decoder<'T> -> Decoder<'T option>

    /// The members of an object that are not in `known`, as JSON.
    val extensionData: known: Set<string> -> Decoder<Map<string, Json>>

    /// Extension data to write back: every member that is not in `known` (a known name in the
    /// extension data would otherwise write the member twice).
    val extension: known: Set<string> -> values: Map<string, Json> -> (string * Json) list
