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
    // RFC 3339 only: the invariant culture's general parser would also take "1/2/2026".
    let private dateTimeFormats =
        [| "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK"; "yyyy-MM-dd'T'HH:mm:ssK" |]

    let dateTime: Decoder<DateTimeOffset> =
        fun path element ->
            match Decode.string path element with
            | Error e -> Error e
            | Ok text ->
                match
                    DateTimeOffset.TryParseExact(
                        text,
                        dateTimeFormats,
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
            match element.ValueKind with
            | JsonValueKind.Object ->
                // One walk over the members, with nothing kept but the unknown ones (most
                // answers have none): every model decode runs this.
                let mutable members = element.EnumerateObject()
                let mutable acc = Map.empty
                let mutable failure = None

                while failure.IsNone && members.MoveNext() do
                    let p = members.Current

                    // A name that is not Unicode throws when read; the core words it the same way.
                    match
                        (try
                            Ok p.Name
                         with :? InvalidOperationException ->
                             Decode.failAt
                                 path
                                 "a member name is not valid Unicode (invalid UTF-8 or an escaped lone surrogate)")
                    with
                    | Error e -> failure <- Some e
                    | Ok name when known.Contains name -> ()
                    | Ok name ->
                        match Decode.json (path.Field name) p.Value with
                        | Ok json -> acc <- acc.Add(name, json)
                        | Error e -> failure <- Some e

                match failure with
                | Some e -> Error e
                | None -> Ok acc
            | _ -> Decode.keyValuePairs Decode.json path element |> Result.map Map.ofList

    let extension (known: Set<string>) (values: Map<string, Json>) =
        [
            for KeyValue(k, v) in values do
                if not (known.Contains k) then
                    k, v
        ]
