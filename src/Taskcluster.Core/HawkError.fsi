namespace Taskcluster.Core

/// Why a Hawk operation failed. No case carries an access token or a key.
[<RequireQualifiedAccess>]
type HawkError =
    /// The client id is empty or has a character a Hawk header cannot carry (`"`, `\`, controls, non-ASCII).
    | InvalidClientId of clientId: string
    /// The access token is empty.
    | EmptyAccessToken
    /// The URI is not an absolute http(s) URI that can be signed byte for byte.
    | InvalidUri of uri: string * reason: string
    /// A value to sign (method, nonce, ext, hash, timestamp) cannot be carried by a header or bewit.
    | InvalidValue of name: string * value: string
    /// The `Authorization` header does not follow the Hawk grammar.
    | MalformedHeader of reason: string
    /// The `Authorization` header uses another scheme than `Hawk`.
    | UnsupportedScheme of scheme: string
    /// The header has an attribute Hawk does not know (known: id, ts, nonce, hash, ext, mac, app, dlg).
    | UnknownAttribute of name: string
    /// The header repeats an attribute.
    | DuplicateAttribute of name: string
    /// An attribute value is empty, is not a number where one is needed, or has a character
    /// outside Hawk's set (printable ASCII except `"` and `\`).
    | BadAttributeValue of name: string
    /// A required attribute (id, ts, nonce, mac) is absent.
    | MissingAttribute of name: string
    /// The URL has no `bewit` query parameter.
    | MissingBewit
    /// The `bewit` parameter is not a well-formed bewit.
    | MalformedBewit of reason: string
    /// Bewits authenticate GET and HEAD requests only.
    | BewitMethodNotAllowed of method: string
    /// The MAC does not match the request: wrong key or a changed request.
    | BadMac
    /// The payload hash in the header does not match the payload received.
    | BadPayloadHash
    /// The header's timestamp is outside the skew window. `serverTime` lets a client correct its clock.
    | StaleTimestamp of timestamp: int64 * serverTime: int64
    /// The bewit's expiry is not after the server's time.
    | ExpiredBewit of expiry: int64 * serverTime: int64

    /// A one-line description naming the bad value.
    member Describe: unit -> string
