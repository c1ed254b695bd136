namespace Taskcluster.Core

open System
open System.Text.Json

/// A JSON value as the core writes it. Integers are kept apart from other numbers so that
/// millisecond timestamps and counts round-trip exactly.
[<RequireQualifiedAccess; StructuralEquality; NoComparison>]
type Json =
    /// JSON `null`.
    | Null
    /// `true` or `false`.
    | Bool of bool
    /// A number without fraction or exponent that fits in 64 bits, kept exact.
    | Integer of int64
    /// Any other number.
    | Number of float
    /// A string.
    | String of string
    /// An array, items in order.
    | Array of Json list
    /// Members in the order they are written; the encoder keeps that order.
    | Object of (string * Json) list

/// One step of the path from the document's root to a value.
[<RequireQualifiedAccess>]
type JsonPathSegment =
    /// An object member, by name.
    | Field of string
    /// An array item, by zero-based position.
    | Index of int

/// Why a JSON document could not be decoded.
[<RequireQualifiedAccess>]
type DecodeReason =
    /// The text is not JSON at all (or nests deeper than the parser allows).
    | InvalidJson of message: string
    /// The value has the wrong JSON type, e.g. a number where a string was expected.
    | WrongType of expected: string * actual: string
    /// A required object member is absent.
    | MissingField of name: string
    /// The value has the right type but is not acceptable (out of range, bad format, ...).
    | InvalidValue of message: string
    /// None of several alternative decoders accepted the value.
    | NoAlternative of DecodeError list

/// A decoding failure: the reason plus the path of the offending value, e.g. `$.entries[3].name`.
and [<StructuralEquality; NoComparison>] DecodeError =
    {
        /// Where the offending value is, e.g. `$.entries[3].name`.
        Path: string
        /// What is wrong with it.
        Reason: DecodeReason
    }

    /// A one-line, human-readable description naming the path.
    member Describe: unit -> string

/// The path of the value a decoder is looking at (kept reversed so that descending is O(1)).
[<Sealed>]
type JsonPath =
    /// The document root, rendered `$`.
    static member Root: JsonPath
    /// The path one member deeper.
    member Field: name: string -> JsonPath
    /// The path one array element deeper.
    member Index: index: int -> JsonPath
    /// The segments from the root.
    member Segments: JsonPathSegment list
    /// Rendered as `$.a.b[2]` (members that are not simple identifiers are written `['x.y']`).
    override ToString: unit -> string

/// A decoder reads a value at a path. It never throws; failures are `DecodeError`s.
type Decoder<'T> = JsonPath -> JsonElement -> Result<'T, DecodeError>

/// Thoth-style decoders over System.Text.Json elements.
[<RequireQualifiedAccess>]
module Decode =
    /// The largest nesting depth accepted by `fromString` and `fromUtf8`.
    val maxDepth: int

    /// Parses the text and runs the decoder on its root.
    val fromString: decoder: Decoder<'T> -> text: string -> Result<'T, DecodeError>

    /// Parses UTF-8 bytes and runs the decoder on the root.
    val fromUtf8: decoder: Decoder<'T> -> utf8: ReadOnlyMemory<byte> -> Result<'T, DecodeError>

    /// Runs a decoder on an element that is already parsed (the path is `$`).
    val fromElement: decoder: Decoder<'T> -> element: JsonElement -> Result<'T, DecodeError>

    /// Fails at the given path with an `InvalidValue` reason.
    val failAt: path: JsonPath -> message: string -> Result<'T, DecodeError>

    /// A string.
    val string: Decoder<string>
    /// `true` or `false`.
    val bool: Decoder<bool>
    /// An integral number that fits in 32 bits.
    val int: Decoder<int>
    /// An integral number that fits in 64 bits (an integral value written as `1.0` is accepted).
    val int64: Decoder<int64>
    /// Any finite number.
    val float: Decoder<float>
    /// Any value, as a `Json` tree.
    val json: Decoder<Json>
    /// Any value, as an element detached from its document (safe to keep).
    val element: Decoder<JsonElement>

    /// An array whose every element the decoder accepts.
    val list: decoder: Decoder<'T> -> Decoder<'T list>
    /// An array whose every element the decoder accepts.
    val array: decoder: Decoder<'T> -> Decoder<'T array>
    /// An object whose every member value the decoder accepts, members in document order.
    val keyValuePairs: decoder: Decoder<'T> -> Decoder<(string * 'T) list>

    /// A required member.
    val field: name: string -> decoder: Decoder<'T> -> Decoder<'T>
    /// An optional member: absent or `null` gives `None`.
    val optionalField: name: string -> decoder: Decoder<'T> -> Decoder<'T option>
    /// `null` gives `None`, anything else goes to the decoder.
    val nullable: decoder: Decoder<'T> -> Decoder<'T option>

    /// Always succeeds with the value.
    val succeed: value: 'T -> Decoder<'T>
    /// Always fails with the message.
    val fail: message: string -> Decoder<'T>
    /// Transforms a decoded value.
    val map: f: ('A -> 'B) -> decoder: Decoder<'A> -> Decoder<'B>
    /// Chooses the next decoder from a decoded value.
    val andThen: f: ('A -> Decoder<'B>) -> decoder: Decoder<'A> -> Decoder<'B>
    /// Validates a decoded value; `Error msg` becomes an `InvalidValue` at the value's path.
    val validate: f: ('A -> Result<'B, string>) -> decoder: Decoder<'A> -> Decoder<'B>
    /// Tries each decoder in turn and takes the first success.
    val oneOf: decoders: Decoder<'T> list -> Decoder<'T>

    /// Reads members of an object inside a builder function, Thoth-style.
    type IGetters =
        /// Reads a required member.
        abstract Required: name: string -> decoder: Decoder<'T> -> 'T
        /// Reads an optional member (absent or `null` is `None`).
        abstract Optional: name: string -> decoder: Decoder<'T> -> 'T option

    /// Builds a value from an object's members; the first failing member is reported.
    val object: builder: (IGetters -> 'T) -> Decoder<'T>

/// Encoders building `Json` values and writing them as compact text.
[<RequireQualifiedAccess>]
module Encode =
    /// A string value.
    val string: value: string -> Json
    /// A boolean value.
    val bool: value: bool -> Json
    /// An integer value.
    val int: value: int -> Json
    /// A 64-bit integer value.
    val int64: value: int64 -> Json
    /// A number value.
    val float: value: float -> Json
    /// `null`.
    val nil: Json
    /// An array.
    val list: values: Json list -> Json
    /// An array of strings.
    val strings: values: string seq -> Json
    /// An object with members in the given order.
    val object: members: (string * Json) list -> Json
    /// `None` becomes `null`.
    val option: encoder: ('T -> Json) -> value: 'T option -> Json

    /// Compact JSON text, byte for byte what JavaScript's `JSON.stringify` writes for the same
    /// value (same escapes, same number format, member order kept).
    val toString: value: Json -> string

    /// Compact JSON as UTF-8 bytes (same text as `toString`).
    val toUtf8: value: Json -> byte array

    /// A number formatted the way JavaScript's `Number.prototype.toString` does.
    val formatNumber: value: float -> string
