namespace Taskcluster.Emulator.Internal

open System
open System.Globalization
open System.Security.Cryptography
open System.Text
open System.Text.Json
open System.Text.Json.Nodes

/// An error a handler reports: the Taskcluster error code, the HTTP status and the message.
exception internal ApiError of code: string * status: int * message: string

[<RequireQualifiedAccess>]
module internal Fail =
    let inline private raiseApi code status message = raise (ApiError(code, status, message))

    let notFound message = raiseApi "ResourceNotFound" 404 message
    let conflict message = raiseApi "RequestConflict" 409 message
    let input message = raiseApi "InputError" 400 message

    let badArguments message =
        raiseApi "InvalidRequestArguments" 400 message

    let expired message = raiseApi "ResourceExpired" 410 message

/// Encodings, clocks and random values shared by the emulator.
[<RequireQualifiedAccess>]
module internal Util =
    let utf8 = UTF8Encoding(false, false)

    /// Taskcluster's timestamp format: ISO 8601, UTC, milliseconds, `Z` (JavaScript's toJSON).
    let isoTime (t: DateTimeOffset) =
        t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture)

    let tryParseTime (s: string) =
        match
            DateTimeOffset.TryParse(
                s,
                CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal ||| DateTimeStyles.AdjustToUniversal
            )
        with
        | true, t -> Some t
        | _ -> None

    // The core's encodings, shared rather than copied.
    let base64Url (bytes: ReadOnlySpan<byte>) = Taskcluster.Core.Text.base64Url bytes

    let tryDecodeBase64Url (text: string) =
        Taskcluster.Core.Text.tryDecodeBase64Url text

    let constantTimeEquals (a: string) (b: string) =
        Taskcluster.Core.Text.constantTimeEquals a b

/// Random identifiers and tokens, from the injected `Random` or a cryptographic generator.
[<Sealed>]
type internal RandomSource(random: Random) =
    let gate = obj ()

    member _.Fill(buffer: byte array) =
        match random with
        | null -> RandomNumberGenerator.Fill(Span buffer)
        | r -> lock gate (fun () -> r.NextBytes buffer)

    member this.Bytes(n: int) =
        let b = Array.zeroCreate n
        this.Fill b
        b

    /// A v4 slugId ("nice": the first bit clear so that it never starts with `-`).
    member this.SlugId() =
        let b = this.Bytes 16
        b[6] <- (b[6] &&& 0x0fuy) ||| 0x40uy
        b[8] <- (b[8] &&& 0x3fuy) ||| 0x80uy
        b[0] <- b[0] &&& 0x7fuy
        Util.base64Url (ReadOnlySpan b)

    /// A 44-character access token (33 random bytes in base64url), as the auth service makes.
    member this.AccessToken() =
        Util.base64Url (ReadOnlySpan(this.Bytes 33))

/// Small helpers over System.Text.Json nodes, which the stores keep (they are mutable and
/// cheap to clone).
[<RequireQualifiedAccess>]
module internal J =
    let str (s: string) : JsonNode = JsonValue.Create s
    let num (n: int64) : JsonNode = JsonValue.Create n
    let int (n: int) : JsonNode = JsonValue.Create n
    let bool (b: bool) : JsonNode = JsonValue.Create b
    let time (t: DateTimeOffset) : JsonNode = JsonValue.Create(Util.isoTime t)

    let obj (members: (string * JsonNode) list) : JsonNode =
        let o = JsonObject()

        for k, v in members do
            o[k] <- v

        o

    let arr (items: JsonNode seq) : JsonNode =
        let a = JsonArray()

        for i in items do
            a.Add i

        a

    let strs (items: string seq) = arr (items |> Seq.map str)

    let clone (n: JsonNode) =
        match n with
        | null -> null
        | n -> n.DeepClone()

    /// A member of an object, or `None` when absent or `null`.
    let tryField (name: string) (n: JsonNode) : JsonNode option =
        match n with
        | :? JsonObject as o ->
            let mutable v: JsonNode = null

            if o.TryGetPropertyValue(name, &v) && not (isNull v) then
                Some v
            else
                None
        | _ -> None

    let tryString (name: string) (n: JsonNode) =
        match tryField name n with
        | Some(:? JsonValue as v) ->
            match v.TryGetValue<string>() with
            | true, s -> Some s
            | _ -> None
        | _ -> None

    let string (name: string) (n: JsonNode) =
        match tryString name n with
        | Some s -> s
        | None -> Fail.input $"`{name}` must be a string"

    let tryInt64 (name: string) (n: JsonNode) =
        match tryField name n with
        | Some(:? JsonValue as v) when v.GetValueKind() = JsonValueKind.Number ->
            match v.TryGetValue<int64>() with
            | true, i -> Some i
            | _ ->
                match v.TryGetValue<double>() with
                | true, d when d = Math.Floor d && abs d < 9e15 -> Some(int64 d)
                | _ -> None
        | _ -> None

    let tryStrings (name: string) (n: JsonNode) =
        match tryField name n with
        | Some(:? JsonArray as a) ->
            Some(
                [
                    for i in a do
                        match i with
                        | :? JsonValue as v ->
                            match v.TryGetValue<string>() with
                            | true, s -> s
                            | _ -> ()
                        | _ -> ()
                ]
            )
        | _ -> None

    let time' (name: string) (n: JsonNode) =
        match tryString name n |> Option.bind Util.tryParseTime with
        | Some t -> t
        | None -> Fail.input $"`{name}` must be a date-time"

    exception private Unreadable of string

    /// A JSON value read as JavaScript's `JSON.parse` reads it: of repeated keys the last wins
    /// (in the place of the first, as a JavaScript object keeps it).
    let rec private ofElement (e: JsonElement) : JsonNode =
        match e.ValueKind with
        | JsonValueKind.Object ->
            let o = JsonObject()

            for p in e.EnumerateObject() do
                let name =
                    try
                        p.Name
                    with :? InvalidOperationException ->
                        raise (Unreadable "a property name holds a lone UTF-16 surrogate escape")

                o[name] <- ofElement p.Value

            o
        | JsonValueKind.Array ->
            let a = JsonArray()

            for i in e.EnumerateArray() do
                a.Add(ofElement i)

            a
        | JsonValueKind.String ->
            // `JSON.parse` keeps a lone surrogate (`"\ud800"`); .NET strings could too, but no
            // UTF-8 reply or store could hold it, so it is refused as malformed input
            try
                JsonValue.Create(e.GetString())
            with :? InvalidOperationException ->
                raise (Unreadable "a string holds a lone UTF-16 surrogate escape")
        | JsonValueKind.Number -> JsonValue.Create(e.Clone())
        | JsonValueKind.True -> JsonValue.Create true
        | JsonValueKind.False -> JsonValue.Create false
        | _ -> null

    /// Parses JSON text as `JSON.parse` would, or says why it cannot.
    let parse (bytes: byte array) : Result<JsonNode, string> =
        try
            use doc = JsonDocument.Parse(ReadOnlyMemory bytes)
            Ok(ofElement doc.RootElement)
        with
        | :? JsonException as e -> Error e.Message
        | Unreadable message -> Error message

    /// Structural equality of two JSON values (member order ignored, numbers by value).
    let rec deepEquals (a: JsonNode) (b: JsonNode) = JsonNode.DeepEquals(a, b)

    /// Serialisation close to JavaScript's `JSON.stringify` (no needless `\uXXXX` escapes).
    let options =
        JsonSerializerOptions(Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping)

    let toBytes (n: JsonNode) =
        match n with
        | null -> Util.utf8.GetBytes "null"
        | n -> JsonSerializer.SerializeToUtf8Bytes(n, options)
