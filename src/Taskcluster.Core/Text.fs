namespace Taskcluster.Core

open System
open System.Security.Cryptography
open System.Text

/// Encodings and comparisons shared by the protocol modules.
[<RequireQualifiedAccess>]
module internal Text =
    let utf8 = UTF8Encoding(false, false)

    /// Standard base64 with padding.
    let base64 (bytes: ReadOnlySpan<byte>) = Convert.ToBase64String bytes

    /// base64url without padding (RFC 4648 §5), as slugIds, bewits and derived tokens use it.
    let base64Url (bytes: ReadOnlySpan<byte>) =
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_')

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
            let padded =
                text.Replace('-', '+').Replace('_', '/')
                + String('=', (4 - text.Length % 4) % 4)

            try
                Some(Convert.FromBase64String padded)
            with :? FormatException ->
                None

    /// Compares two strings in time that depends only on their lengths.
    let constantTimeEquals (a: string) (b: string) =
        let ba = utf8.GetBytes a
        let bb = utf8.GetBytes b
        CryptographicOperations.FixedTimeEquals(ReadOnlySpan ba, ReadOnlySpan bb)

    /// HMAC-SHA256 of a UTF-8 message with a UTF-8 key.
    let hmacSha256 (key: string) (message: string) =
        HMACSHA256.HashData(utf8.GetBytes key, utf8.GetBytes message)
