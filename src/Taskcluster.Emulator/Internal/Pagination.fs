namespace Taskcluster.Emulator.Internal

open System
open System.Text

/// Opaque continuation tokens and `limit` handling shared by every paginated method.
// A token names the last key returned rather than an offset, so items inserted while a
// caller pages through never make it see an item twice.
[<RequireQualifiedAccess>]
module internal Pagination =
    let private prefix = "tc-emulator:1:"

    let encode (lastKey: string) =
        Util.base64Url (ReadOnlySpan(Util.utf8.GetBytes(prefix + lastKey)))

    let tryDecode (token: string) : string option =
        match Util.tryDecodeBase64Url token with
        | Some bytes ->
            try
                let text = UTF8Encoding(false, true).GetString bytes

                if text.StartsWith(prefix, StringComparison.Ordinal) then
                    Some(text.Substring prefix.Length)
                else
                    None
            with :? ArgumentException ->
                None
        | None -> None

    /// The page size asked for, clamped to `1..max` (absent means `max`).
    let limit (value: string option) (max: int) =
        match value with
        | None
        | Some "" -> max
        | Some v ->
            match Int32.TryParse(v, Globalization.NumberStyles.None, Globalization.CultureInfo.InvariantCulture) with
            | true, n when n > 0 -> min n max
            | true, _ -> max
            | _ -> Fail.badArguments $"limit must be a positive integer, got '{v}'"

    /// One page of items already sorted by key (ordinal), after the token's key.
    let page (items: (string * 'T) array) (token: string option) (limit: int) : 'T list * string option =
        let start =
            match token with
            | None
            | Some "" -> 0
            | Some t ->
                match tryDecode t with
                | None -> Fail.badArguments $"Invalid continuationToken '{t}'"
                | Some after ->
                    // first index whose key sorts after `after`
                    let mutable lo = 0
                    let mutable hi = items.Length

                    while lo < hi do
                        let mid = (lo + hi) / 2

                        if String.CompareOrdinal(fst items[mid], after) <= 0 then
                            lo <- mid + 1
                        else
                            hi <- mid

                    lo

        let count = min limit (items.Length - start)
        let slice = [ for i in start .. start + count - 1 -> snd items[i] ]

        let next =
            if start + count < items.Length && count > 0 then
                Some(encode (fst items[start + count - 1]))
            else
                None

        slice, next
