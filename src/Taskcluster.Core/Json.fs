namespace Taskcluster.Core

open System
open System.Globalization
open System.Text
open System.Text.Json

[<RequireQualifiedAccess; StructuralEquality; NoComparison>]
type Json =
    | Null
    | Bool of bool
    | Integer of int64
    | Number of float
    | String of string
    | Array of Json list
    | Object of (string * Json) list

[<RequireQualifiedAccess>]
type JsonPathSegment =
    | Field of string
    | Index of int

[<RequireQualifiedAccess>]
type DecodeReason =
    | InvalidJson of message: string
    | WrongType of expected: string * actual: string
    | MissingField of name: string
    | InvalidValue of message: string
    | NoAlternative of DecodeError list

and [<StructuralEquality; NoComparison>] DecodeError =
    {
        Path: string
        Reason: DecodeReason
    }

    member this.Describe() =
        let rec reason r =
            match r with
            | DecodeReason.InvalidJson message -> $"not valid JSON: {message}"
            | DecodeReason.WrongType(expected, actual) -> $"expected {expected} but found {actual}"
            | DecodeReason.MissingField name -> $"required member '{name}' is missing"
            | DecodeReason.InvalidValue message -> message
            | DecodeReason.NoAlternative errors ->
                errors
                |> List.map (fun e -> e.Describe())
                |> String.concat "; "
                |> sprintf "no alternative matched (%s)"

        $"at {this.Path}: {reason this.Reason}"

[<Sealed>]
type JsonPath private (reversed: JsonPathSegment list) =
    static let root = JsonPath []

    static let isIdentifier (name: string) =
        name.Length > 0
        && (Char.IsAsciiLetter name[0] || name[0] = '_' || name[0] = '$')
        && name |> Seq.forall (fun c -> Char.IsAsciiLetterOrDigit c || c = '_' || c = '$')

    static member Root = root

    member _.Field(name: string) =
        JsonPath(JsonPathSegment.Field name :: reversed)

    member _.Index(index: int) =
        JsonPath(JsonPathSegment.Index index :: reversed)

    member _.Segments = List.rev reversed

    override this.ToString() =
        let sb = StringBuilder("$")

        for segment in this.Segments do
            match segment with
            | JsonPathSegment.Field name when isIdentifier name -> sb.Append('.').Append(name) |> ignore
            | JsonPathSegment.Field name -> sb.Append("['").Append(name.Replace("'", "\\'")).Append("']") |> ignore
            | JsonPathSegment.Index i -> sb.Append('[').Append(i).Append(']') |> ignore

        sb.ToString()

type Decoder<'T> = JsonPath -> JsonElement -> Result<'T, DecodeError>

[<RequireQualifiedAccess>]
module Decode =
    let maxDepth = 64

    let private kindName (kind: JsonValueKind) =
        match kind with
        | JsonValueKind.Object -> "an object"
        | JsonValueKind.Array -> "an array"
        | JsonValueKind.String -> "a string"
        | JsonValueKind.Number -> "a number"
        | JsonValueKind.True
        | JsonValueKind.False -> "a boolean"
        | JsonValueKind.Null -> "null"
        | _ -> "nothing"

    let private error (path: JsonPath) reason =
        Error
            {
                Path = path.ToString()
                Reason = reason
            }

    let private wrongType path expected (el: JsonElement) =
        error path (DecodeReason.WrongType(expected, kindName el.ValueKind))

    let failAt (path: JsonPath) message =
        error path (DecodeReason.InvalidValue message)

    let private documentOptions =
        JsonDocumentOptions(MaxDepth = maxDepth, CommentHandling = JsonCommentHandling.Disallow)

    let fromUtf8 (decoder: Decoder<'T>) (utf8: ReadOnlyMemory<byte>) =
        let parsed =
            try
                Ok(JsonDocument.Parse(utf8, documentOptions))
            with :? JsonException as e ->
                error JsonPath.Root (DecodeReason.InvalidJson e.Message)

        match parsed with
        | Error e -> Error e
        | Ok doc ->
            use doc = doc
            decoder JsonPath.Root doc.RootElement

    let fromString (decoder: Decoder<'T>) (text: string) =
        match text with
        | null -> error JsonPath.Root (DecodeReason.InvalidJson "no text (null)")
        | _ -> fromUtf8 decoder (ReadOnlyMemory(Encoding.UTF8.GetBytes text))

    let fromElement (decoder: Decoder<'T>) (element: JsonElement) = decoder JsonPath.Root element

    // System.Text.Json checks the syntax of a string but not its text: invalid UTF-8 and escaped
    // lone surrogates (`"\ud800"`) parse, and throw InvalidOperationException once read. Every
    // read of a string or a member name goes through these two functions.
    let private notUnicode =
        "is not valid Unicode (invalid UTF-8 or an escaped lone surrogate)"

    let private text (path: JsonPath) (el: JsonElement) =
        try
            Ok(el.GetString())
        with :? InvalidOperationException ->
            failAt path $"the string {notUnicode}"

    let private memberName (path: JsonPath) (p: JsonProperty) =
        try
            Ok p.Name
        with :? InvalidOperationException ->
            failAt path $"a member name {notUnicode}"

    // The raw text of a value for an error message, cut so that a megabyte of digits does not
    // end up in the message.
    let private excerpt (el: JsonElement) =
        let raw = el.GetRawText()

        if raw.Length <= 40 then
            raw
        else
            $"{raw.Substring(0, 40)}… ({raw.Length} characters)"

    let string: Decoder<string> =
        fun path el ->
            match el.ValueKind with
            | JsonValueKind.String -> text path el
            | _ -> wrongType path "a string" el

    let bool: Decoder<bool> =
        fun path el ->
            match el.ValueKind with
            | JsonValueKind.True -> Ok true
            | JsonValueKind.False -> Ok false
            | _ -> wrongType path "a boolean" el

    let int64: Decoder<int64> =
        fun path el ->
            match el.ValueKind with
            | JsonValueKind.Number ->
                match el.TryGetInt64() with
                | true, v -> Ok v
                | _ ->
                    // `1.0` and `1e3` are integers to JavaScript; accept them when exact.
                    match el.TryGetDouble() with
                    | true, d when Double.IsInteger d && d >= -9.2233720368547748e18 && d < 9.2233720368547758e18 ->
                        Ok(int64 d)
                    | _ -> failAt path $"expected an integer but found {excerpt el}"
            | _ -> wrongType path "an integer" el

    let int: Decoder<int> =
        fun path el ->
            match int64 path el with
            | Ok v when v >= Operators.int64 Int32.MinValue && v <= Operators.int64 Int32.MaxValue ->
                Ok(Operators.int v)
            | Ok v -> failAt path $"expected a 32-bit integer but found {v}"
            | Error e -> Error e

    let float: Decoder<float> =
        fun path el ->
            match el.ValueKind with
            | JsonValueKind.Number ->
                match el.TryGetDouble() with
                | true, d when Double.IsFinite d -> Ok d
                | _ -> failAt path $"number out of range: {excerpt el}"
            | _ -> wrongType path "a number" el

    let private collect (decoder: Decoder<'T>) (path: JsonPath) (el: JsonElement) =
        match el.ValueKind with
        | JsonValueKind.Array ->
            let items = ResizeArray<'T>(el.GetArrayLength())
            let mutable failure = None
            let mutable i = 0
            let mutable e = el.EnumerateArray()

            while failure.IsNone && e.MoveNext() do
                match decoder (path.Index i) e.Current with
                | Ok v -> items.Add v
                | Error err -> failure <- Some err

                i <- i + 1

            match failure with
            | Some err -> Error err
            | None -> Ok items
        | _ -> wrongType path "an array" el

    let keyValuePairs (decoder: Decoder<'T>) : Decoder<(string * 'T) list> =
        fun path el ->
            match el.ValueKind with
            | JsonValueKind.Object ->
                let items = ResizeArray()
                let mutable failure = None
                let mutable e = el.EnumerateObject()

                while failure.IsNone && e.MoveNext() do
                    let p = e.Current

                    match
                        memberName path p
                        |> Result.bind (fun name -> decoder (path.Field name) p.Value |> Result.map (fun v -> name, v))
                    with
                    | Ok item -> items.Add item
                    | Error err -> failure <- Some err

                match failure with
                | Some err -> Error err
                | None -> Ok(List.ofSeq items)
            | _ -> wrongType path "an object" el

    let rec private toJson (path: JsonPath) (el: JsonElement) : Result<Json, DecodeError> =
        match el.ValueKind with
        | JsonValueKind.Null -> Ok Json.Null
        | JsonValueKind.True -> Ok(Json.Bool true)
        | JsonValueKind.False -> Ok(Json.Bool false)
        | JsonValueKind.String -> text path el |> Result.map Json.String
        | JsonValueKind.Number ->
            match el.TryGetInt64() with
            | true, v -> Ok(Json.Integer v)
            | _ ->
                // Checked at every depth: an infinity would be written back as `null`.
                match el.TryGetDouble() with
                | true, d when Double.IsFinite d -> Ok(Json.Number d)
                | _ -> failAt path $"number out of range: {excerpt el}"
        | JsonValueKind.Array -> collect toJson path el |> Result.map (List.ofSeq >> Json.Array)
        | JsonValueKind.Object -> keyValuePairs toJson path el |> Result.map Json.Object
        | _ -> wrongType path "a value" el

    let json: Decoder<Json> = toJson

    let element: Decoder<JsonElement> =
        fun path el ->
            match el.ValueKind with
            | JsonValueKind.Undefined -> wrongType path "a value" el
            | _ -> Ok(el.Clone())

    let list (decoder: Decoder<'T>) : Decoder<'T list> =
        fun path el -> collect decoder path el |> Result.map List.ofSeq

    let array (decoder: Decoder<'T>) : Decoder<'T array> =
        fun path el -> collect decoder path el |> Result.map (fun items -> items.ToArray())

    // Looking a member up reads the names before it, so a name that is not Unicode fails here.
    let private tryMember (path: JsonPath) (el: JsonElement) (name: string) =
        try
            match el.TryGetProperty name with
            | true, v -> Ok(ValueSome v)
            | _ -> Ok ValueNone
        with :? InvalidOperationException ->
            failAt path $"a member name {notUnicode}"

    let field (name: string) (decoder: Decoder<'T>) : Decoder<'T> =
        fun path el ->
            match el.ValueKind with
            | JsonValueKind.Object ->
                match tryMember path el name with
                | Ok(ValueSome v) -> decoder (path.Field name) v
                | Ok ValueNone -> error path (DecodeReason.MissingField name)
                | Error e -> Error e
            | _ -> wrongType path "an object" el

    let optionalField (name: string) (decoder: Decoder<'T>) : Decoder<'T option> =
        fun path el ->
            match el.ValueKind with
            | JsonValueKind.Object ->
                match tryMember path el name with
                | Ok(ValueSome v) when v.ValueKind = JsonValueKind.Null -> Ok None
                | Ok(ValueSome v) -> decoder (path.Field name) v |> Result.map Some
                | Ok ValueNone -> Ok None
                | Error e -> Error e
            | _ -> wrongType path "an object" el

    let nullable (decoder: Decoder<'T>) : Decoder<'T option> =
        fun path el ->
            match el.ValueKind with
            | JsonValueKind.Null -> Ok None
            | _ -> decoder path el |> Result.map Some

    let succeed (value: 'T) : Decoder<'T> = fun _ _ -> Ok value

    let fail (message: string) : Decoder<'T> = fun path _ -> failAt path message

    let map (f: 'A -> 'B) (decoder: Decoder<'A>) : Decoder<'B> =
        fun path el -> decoder path el |> Result.map f

    let andThen (f: 'A -> Decoder<'B>) (decoder: Decoder<'A>) : Decoder<'B> =
        fun path el ->
            match decoder path el with
            | Ok a -> f a path el
            | Error e -> Error e

    let validate (f: 'A -> Result<'B, string>) (decoder: Decoder<'A>) : Decoder<'B> =
        fun path el ->
            match decoder path el with
            | Ok a ->
                match f a with
                | Ok b -> Ok b
                | Error message -> failAt path message
            | Error e -> Error e

    let oneOf (decoders: Decoder<'T> list) : Decoder<'T> =
        fun path el ->
            let rec go errors remaining =
                match remaining with
                | [] -> error path (DecodeReason.NoAlternative(List.rev errors))
                | d :: rest ->
                    match d path el with
                    | Ok v -> Ok v
                    | Error e -> go (e :: errors) rest

            go [] decoders

    type IGetters =
        abstract Required: name: string -> decoder: Decoder<'T> -> 'T
        abstract Optional: name: string -> decoder: Decoder<'T> -> 'T option

    // Collects the first failure; later reads after a failure are skipped so the builder runs
    // to completion without throwing and the first error is the one reported.
    type private Getters(path: JsonPath, el: JsonElement) =
        let mutable failure: DecodeError option = None
        member _.Failure = failure

        interface IGetters with
            member _.Required name decoder =
                match failure with
                | Some _ -> Unchecked.defaultof<_>
                | None ->
                    match field name decoder path el with
                    | Ok v -> v
                    | Error e ->
                        failure <- Some e
                        Unchecked.defaultof<_>

            member _.Optional name decoder =
                match failure with
                | Some _ -> None
                | None ->
                    match optionalField name decoder path el with
                    | Ok v -> v
                    | Error e ->
                        failure <- Some e
                        None

    let object (builder: IGetters -> 'T) : Decoder<'T> =
        fun path el ->
            match el.ValueKind with
            | JsonValueKind.Object ->
                let getters = Getters(path, el)
                let value = builder getters

                match getters.Failure with
                | Some e -> Error e
                | None -> Ok value
            | _ -> wrongType path "an object" el

[<RequireQualifiedAccess>]
module Encode =
    let string (value: string) = Json.String value
    let bool value = Json.Bool value
    let int (value: int) = Json.Integer(int64 value)
    let int64 (value: int64) = Json.Integer value
    let float (value: float) = Json.Number value
    let nil = Json.Null
    let list values = Json.Array values

    let strings (values: string seq) =
        Json.Array [ for v in values -> Json.String v ]

    let object members = Json.Object members

    let option encoder value =
        match value with
        | Some v -> encoder v
        | None -> Json.Null

    // ECMAScript Number::toString: shortest round-trip digits, then decimal or exponent layout
    // depending on where the decimal point falls.
    let formatNumber (value: float) =
        if Double.IsNaN value || Double.IsInfinity value then
            "null"
        elif value = 0.0 then
            "0"
        else
            let negative = value < 0.0
            // "E16" is not shortest; "R" is, so take its digits and exponent apart.
            let r = Math.Abs(value).ToString("R", CultureInfo.InvariantCulture)

            let mantissa, exponent =
                match r.IndexOf 'E' with
                | -1 -> r, 0
                | i -> r.Substring(0, i), Int32.Parse(r.Substring(i + 1), CultureInfo.InvariantCulture)

            let intPart, fracPart =
                match mantissa.IndexOf '.' with
                | -1 -> mantissa, ""
                | i -> mantissa.Substring(0, i), mantissa.Substring(i + 1)

            let allDigits = intPart + fracPart
            let leadingZeros = allDigits.Length - allDigits.TrimStart('0').Length
            let digits = allDigits.Trim('0')
            // n: position of the decimal point relative to the first significant digit.
            let n = intPart.Length - leadingZeros + exponent
            let k = digits.Length

            let body =
                if k <= n && n <= 21 then
                    digits + System.String('0', n - k)
                elif 0 < n && n <= 21 then
                    digits.Substring(0, n) + "." + digits.Substring n
                elif -6 < n && n <= 0 then
                    "0." + System.String('0', -n) + digits
                else
                    let e = n - 1
                    let sign = if e >= 0 then "+" else "-"

                    let m =
                        if k = 1 then
                            digits
                        else
                            digits.Substring(0, 1) + "." + digits.Substring 1

                    m + "e" + sign + Operators.string (abs e)

            if negative then "-" + body else body

    let private hex = "0123456789abcdef"

    let private writeString (sb: StringBuilder) (s: string) =
        sb.Append('"') |> ignore

        for i in 0 .. s.Length - 1 do
            let c = s[i]

            match c with
            | '"' -> sb.Append("\\\"") |> ignore
            | '\\' -> sb.Append("\\\\") |> ignore
            | '\b' -> sb.Append("\\b") |> ignore
            | '\f' -> sb.Append("\\f") |> ignore
            | '\n' -> sb.Append("\\n") |> ignore
            | '\r' -> sb.Append("\\r") |> ignore
            | '\t' -> sb.Append("\\t") |> ignore
            | c when c < ' ' ->
                sb.Append("\\u00").Append(hex[Operators.int c >>> 4]).Append(hex[Operators.int c &&& 0xf])
                |> ignore
            | c when Char.IsSurrogate c ->
                // Well-formed JSON.stringify: pairs are written as they are, lone halves escaped.
                let paired =
                    if Char.IsHighSurrogate c then
                        i + 1 < s.Length && Char.IsLowSurrogate s[i + 1]
                    else
                        i > 0 && Char.IsHighSurrogate s[i - 1]

                if paired then
                    sb.Append c |> ignore
                else
                    sb.Append("\\u").Append((Operators.int c).ToString("x4")) |> ignore
            | c -> sb.Append c |> ignore

        sb.Append('"') |> ignore

    let rec private write (sb: StringBuilder) (value: Json) =
        match value with
        | Json.Null -> sb.Append "null" |> ignore
        | Json.Bool true -> sb.Append "true" |> ignore
        | Json.Bool false -> sb.Append "false" |> ignore
        | Json.Integer i -> sb.Append i |> ignore
        | Json.Number f -> sb.Append(formatNumber f) |> ignore
        | Json.String s -> writeString sb (if isNull s then "" else s)
        | Json.Array items ->
            sb.Append '[' |> ignore

            items
            |> List.iteri (fun i item ->
                if i > 0 then
                    sb.Append ',' |> ignore

                write sb item)

            sb.Append ']' |> ignore
        | Json.Object members ->
            sb.Append '{' |> ignore

            members
            |> List.iteri (fun i (name, item) ->
                if i > 0 then
                    sb.Append ',' |> ignore

                writeString sb name
                sb.Append ':' |> ignore
                write sb item)

            sb.Append '}' |> ignore

    let toString (value: Json) =
        let sb = StringBuilder()
        write sb value
        sb.ToString()

    let toUtf8 (value: Json) = Encoding.UTF8.GetBytes(toString value)
