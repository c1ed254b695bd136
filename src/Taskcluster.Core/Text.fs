namespace Taskcluster.Core

open System
open System.Globalization
open System.Security.Cryptography
open System.Buffers.Text
open System.Text

/// Encodings and comparisons shared by the protocol modules.
[<RequireQualifiedAccess>]
module internal Text =
    let utf8 = UTF8Encoding(false, false)

    /// Standard base64 with padding.
    let base64 (bytes: ReadOnlySpan<byte>) = Convert.ToBase64String bytes

    /// base64url without padding (RFC 4648 §5), as slugIds, bewits and derived tokens use it.
    let base64Url (bytes: ReadOnlySpan<byte>) = Base64Url.EncodeToString bytes

    /// Decodes unpadded base64url; `None` for any character outside the alphabet, for padding
    /// and for impossible lengths.
    let tryDecodeBase64Url (text: string) : byte array option =
        if isNull text || text.Length % 4 = 1 then
            None
        elif
            text
            |> Seq.exists (fun c -> not (Char.IsAsciiLetterOrDigit c || c = '-' || c = '_'))
        then
            None
        else
            // The BCL decoder would also take padding and white space: the check above refuses them.
            try
                Some(Base64Url.DecodeFromChars(text.AsSpan()))
            with :? FormatException ->
                None

    /// The one constant-time comparison of the codebase: compares two texts (their UTF-16
    /// code units, so no two different texts compare equal) without an early exit, in time that
    /// depends only on their lengths.
    let constantTimeEqualsSpan (a: ReadOnlySpan<char>) (b: ReadOnlySpan<char>) =
        CryptographicOperations.FixedTimeEquals(
            Runtime.InteropServices.MemoryMarshal.AsBytes a,
            Runtime.InteropServices.MemoryMarshal.AsBytes b
        )

    /// `constantTimeEqualsSpan` of two strings (null counts as empty).
    let constantTimeEquals (a: string) (b: string) =
        constantTimeEqualsSpan (a.AsSpan()) (b.AsSpan())

    /// Renders untrusted text inside a one-line message: single-quoted, control characters and
    /// lone surrogates escaped, cut after 100 characters (hostile input may be huge).
    let quote (value: string) =
        match value with
        | null -> "(null)"
        | _ ->
            let sb = StringBuilder(min value.Length 120 + 2)
            sb.Append('\'') |> ignore

            for i in 0 .. min value.Length 100 - 1 do
                match value[i] with
                | '\n' -> sb.Append("\\n") |> ignore
                | '\r' -> sb.Append("\\r") |> ignore
                | '\t' -> sb.Append("\\t") |> ignore
                | c when Char.IsControl c || Char.IsSurrogate c -> sb.Append($"\\u{int c:x4}") |> ignore
                | c -> sb.Append(c) |> ignore

            sb.Append('\'') |> ignore

            if value.Length > 100 then
                sb.Append($"… ({value.Length} characters)") |> ignore

            sb.ToString()

    /// A Unix time in milliseconds for a message, as ISO 8601 UTC the way JavaScript's
    /// `toISOString` writes it (`2026-01-01T00:00:00.000Z`); a value outside the years 0001-9999
    /// (a hostile certificate may hold any number) as the number itself, with its unit.
    let unixMillisecondsText (ms: int64) =
        if ms >= -62_135_596_800_000L && ms <= 253_402_300_799_999L then
            DateTimeOffset
                .FromUnixTimeMilliseconds(ms)
                .UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture)
        else
            ms.ToString(CultureInfo.InvariantCulture)
            + " ms since 1970-01-01 (outside the years 0001-9999)"

    /// A Unix time in seconds for a message, as ISO 8601 UTC (`2027-01-15T08:00:00Z`); a value
    /// outside the years 0001-9999 as the number itself, with its unit.
    let unixSecondsText (seconds: int64) =
        if seconds >= -62_135_596_800L && seconds <= 253_402_300_799L then
            DateTimeOffset
                .FromUnixTimeSeconds(seconds)
                .UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture)
        else
            seconds.ToString(CultureInfo.InvariantCulture)
            + " s since 1970-01-01 (outside the years 0001-9999)"

    /// HMAC-SHA256 of a UTF-8 message with a UTF-8 key.
    let hmacSha256 (key: string) (message: string) =
        HMACSHA256.HashData(utf8.GetBytes key, utf8.GetBytes message)
