namespace Taskcluster.Testing

open FsCheck

/// Generators of hostile input for parsers and decoders: structured mutations of valid input
/// (characters flipped, inserted and deleted, truncations, repeated pieces, tokens that mean
/// something to the format), wrong-shaped JSON, broken UTF-8 and plain noise. Random text rarely
/// gets past a parser's first check; a valid input edited a few times reaches its deeper states.
[<RequireQualifiedAccess>]
module Hostile =

    /// Characters parsers trip over: NUL and other controls, quotes, backslash, separators,
    /// `=` and base64 characters, non-ASCII letters, combining marks, a BOM, lone surrogates,
    /// and now and then any UTF-16 code unit.
    val char: Gen<char>

    /// Text with special meaning in the formats Taskcluster parses (JSON, Hawk headers, bewits,
    /// base64, fromNow offsets, scopes, URLs), for insertion into valid input.
    val commonTokens: string list

    /// One of `commonTokens`, or a hostile character.
    val token: Gen<string>

    /// `token` with the given extra tokens mixed in (format-specific keywords, valid parts).
    val tokensWith: extra: string list -> Gen<string>

    /// Short strings of hostile characters, or arbitrary strings.
    val noise: Gen<string>

    /// A long run (up to 20,000 characters) of one hostile token or character.
    val longRun: tokens: Gen<string> -> Gen<string>

    /// One edit of the text: a character replaced, a token inserted, a range deleted, a
    /// truncation, a range repeated, a case flip, a long run inserted, or two ranges swapped.
    val edit: tokens: Gen<string> -> text: string -> Gen<string>

    /// One to four edits in a row.
    val mutate: tokens: Gen<string> -> text: string -> Gen<string>

    /// Mostly mutations of valid inputs, plus the valid inputs themselves, noise, long runs
    /// and the empty string.
    val mutationsOf: tokens: Gen<string> -> valid: Gen<string> -> Gen<string>

    /// Small JSON values of every kind, with hostile strings, extreme numbers, duplicate
    /// member names and nesting.
    val jsonValue: Gen<Taskcluster.Core.Json>

    /// One structural change to a JSON value: a node replaced by a value of another kind
    /// (or deeply nested), wrapped in an array, an object member dropped, duplicated with
    /// another value, renamed or added, an array emptied or extended with a stray value.
    val reshape: json: Taskcluster.Core.Json -> Gen<Taskcluster.Core.Json>

    /// JSON text of the wrong shape: valid values reshaped one to three times, then sometimes
    /// edited as text (broken syntax, escapes of lone surrogates, overlong numbers, comments).
    val jsonText: valid: Gen<Taskcluster.Core.Json> -> Gen<string>

    /// Byte sequences that are not UTF-8 (stray continuation bytes, overlong forms, encoded
    /// surrogates, code points past U+10FFFF, cut sequences), NUL and a BOM.
    val badUtf8: byte array list

    /// The UTF-8 bytes of the text with one to three byte-level edits: a bad sequence inserted,
    /// a byte replaced by any byte, or a truncation (which may cut a character in two).
    val utf8Mutations: text: Gen<string> -> Gen<byte array>
