namespace Taskcluster.Core

[<RequireQualifiedAccess>]
type HawkError =
    | InvalidClientId of clientId: string
    | EmptyAccessToken
    | InvalidUri of uri: string * reason: string
    | InvalidValue of name: string * value: string
    | MalformedHeader of reason: string
    | UnsupportedScheme of scheme: string
    | UnknownAttribute of name: string
    | DuplicateAttribute of name: string
    | BadAttributeValue of name: string
    | MissingAttribute of name: string
    | MissingBewit
    | MalformedBewit of reason: string
    | BewitMethodNotAllowed of method: string
    | BadMac
    | BadPayloadHash
    | StaleTimestamp of timestamp: int64 * serverTime: int64
    | ExpiredBewit of expiry: int64 * serverTime: int64

    member this.Describe() =
        let q = Text.quote

        match this with
        | InvalidClientId clientId ->
            $"the client id {q clientId} is empty or has a character a Hawk header cannot carry"
        | EmptyAccessToken -> "the access token is empty"
        | InvalidUri(uri, reason) -> $"the URI {q uri} cannot be signed: {reason}"
        | InvalidValue(name, value) -> $"the {name} {q value} cannot be carried by a Hawk header or bewit"
        | MalformedHeader reason -> $"malformed Hawk header: {reason}"
        | UnsupportedScheme scheme -> $"the authorization scheme {q scheme} is not Hawk"
        | UnknownAttribute name -> $"unknown Hawk attribute {q name}"
        | DuplicateAttribute name -> $"the Hawk attribute {q name} appears more than once"
        | BadAttributeValue name -> $"the Hawk attribute {q name} has an empty or invalid value"
        | MissingAttribute name -> $"the Hawk header lacks the required attribute {q name}"
        | MissingBewit -> "the URL has no bewit parameter"
        | MalformedBewit reason -> $"malformed bewit: {reason}"
        | BewitMethodNotAllowed method -> $"bewits authenticate GET and HEAD requests only, not {q method}"
        | BadMac -> "bad MAC: the request was signed with another key or changed after signing"
        | BadPayloadHash -> "the payload hash in the header does not match the payload"
        | StaleTimestamp(ts, now) ->
            let apart = abs (decimal now - decimal ts)

            $"stale timestamp: signed at {Text.unixSecondsText ts}, but the server time is {Text.unixSecondsText now} ({apart} s apart)"
        | ExpiredBewit(expiry, now) ->
            $"the bewit expired at {Text.unixSecondsText expiry}; the server time is {Text.unixSecondsText now}"
