namespace Taskcluster.Models

open System
open System.Globalization
open System.Text.Json
open Taskcluster.Core

type ModelInfo =
    {
        Location: string
        Name: string
        RoundTrip: JsonElement -> Result<Json, DecodeError>
    }

[<RequireQualifiedAccess>]
module ModelCodec =
    let dateTime: Decoder<DateTimeOffset> =
        fun path element ->
            match Decode.string path element with
            | Error e -> Error e
            | Ok text ->
                // RFC 3339 only: the invariant culture's general parser would also take "1/2/2026".
                match
                    DateTimeOffset.TryParseExact(
                        text,
                        [| "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK"; "yyyy-MM-dd'T'HH:mm:ssK" |],
                        CultureInfo.InvariantCulture,
                        DateTimeStyles.AssumeUniversal
                    )
                with
                | true, value -> Ok(value.ToUniversalTime())
                | _ ->
                    let shown =
                        if text.Length > 40 then
                            text.Substring(0, 40) + "…"
                        else
                            text

                    Decode.failAt path $"expected a date-time (RFC 3339) but found \"{shown}\""

    let encodeDateTime (value: DateTimeOffset) =
        Json.String(value.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture))

    let anyObject: Decoder<Json> =
        fun path element ->
            match element.ValueKind with
            | JsonValueKind.Object -> Decode.json path element
            | _ -> Decode.keyValuePairs Decode.json path element |> Result.map Json.Object

    let dict (decoder: Decoder<'T>) : Decoder<Map<string, 'T>> =
        fun path element -> Decode.keyValuePairs decoder path element |> Result.map Map.ofList

    let encodeDict (encoder: 'T -> Json) (values: Map<string, 'T>) =
        Json.Object [ for KeyValue(k, v) in values -> k, encoder v ]

    let encodeList (encoder: 'T -> Json) (values: 'T list) = Json.Array(List.map encoder values)

    let known (names: string list) = set names

    let constant (name: string) (value: Json) (path: JsonPath) (element: JsonElement) =
        match Decode.field name Decode.json path element with
        | Ok v when v = value -> Ok()
        | Ok v -> Decode.failAt (path.Field name) $"expected {Encode.toString value} but found {Encode.toString v}"
        | Error e -> Error e

    let optionalKeepingNull (name: string) (decoder: Decoder<'T>) : Decoder<'T option> =
        fun path element ->
            match Decode.field name decoder path element with
            | Ok v -> Ok(Some v)
            // Only this object's own missing member means absence; a deeper one is an error.
            | Error {
                        Reason = DecodeReason.MissingField missing
                        Path = at
                    } when missing = name && at = path.ToString() -> Ok None
            | Error e -> Error e

    let extensionData (known: Set<string>) : Decoder<Map<string, Json>> =
        fun path element ->
            // Member names are read through the core (which refuses names that are not Unicode);
            // only the unknown members are turned into JSON.
            match Decode.keyValuePairs (fun _ e -> Ok e) path element with
            | Error e -> Error e
            | Ok members ->
                let rec go (acc: Map<string, Json>) (rest: (string * JsonElement) list) =
                    match rest with
                    | [] -> Ok acc
                    | (name, _) :: rest when known.Contains name -> go acc rest
                    | (name, value) :: rest ->
                        match Decode.json (path.Field name) value with
                        | Ok json -> go (acc.Add(name, json)) rest
                        | Error e -> Error e

                go Map.empty members

    let extension (known: Set<string>) (values: Map<string, Json>) =
        [
            for KeyValue(k, v) in values do
                if not (known.Contains k) then
                    k, v
        ]
