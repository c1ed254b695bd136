namespace Taskcluster.Client

open System
open System.Text.RegularExpressions
open Taskcluster.Core

/// Untrusted text in messages is rendered by the core's one quoting rule.
module internal Display =
    let quote (value: string) = Text.quote value

[<RequireQualifiedAccess>]
module internal Redact =
    // A name that carries a credential: what pre-signed storage URLs (S3 `X-Amz-Signature`,
    // `X-Amz-Credential`, `X-Amz-Security-Token`; GCS `X-Goog-Signature`; Azure `sig`;
    // CloudFront `Signature`, `Policy`), Taskcluster (`bewit`, `accessToken`, a certificate's
    // `signature`) and Hawk (`mac`) put secrets in. Matched at the end of a longer name, so
    // that `X-Amz-Signature` and `access_token` count too.
    let private name =
        @"[\w.-]*?(?:signature|sig|token|secret|password|credential|credentials|bewit|policy|mac|apikey|api_key)"

    // Both patterns start a name only where a word starts (the lookbehind), so that text of
    // any length is scanned in linear time: hostile bodies and messages reach this function.

    // `name=value` in a query or in prose (also with `=` percent-encoded, as in a URL inside
    // another URL's query), up to the next separator.
    let private pair =
        Regex(
            $@"(?<![\w.-])({name})(=|%%3D)((?:(?!%%26)[^&#\s""'<>,;\\])+)",
            RegexOptions.IgnoreCase
            ||| RegexOptions.CultureInvariant
            ||| RegexOptions.Compiled
        )

    // `"name": "value"` in JSON, also when the JSON is itself inside an escaped string; and
    // `name="value"`, as in a Hawk header. The closing quote may be missing (text cut short
    // for display): the value then runs to the end.
    let private quoted =
        Regex(
            $@"(\\?""?)(?<![\w.-])({name})(\\?""?\s*[:=]\s*\\?"")((?:[^""\\]|\\[^""])*)(\\?""|)",
            RegexOptions.IgnoreCase
            ||| RegexOptions.CultureInvariant
            ||| RegexOptions.Compiled
        )

    let text (text: string) =
        if String.IsNullOrEmpty text then
            text
        else
            let text = quoted.Replace(text, "$1$2$3***$5")
            pair.Replace(text, "$1$2***")

[<StructuredFormatDisplay("{Display}")>]
type RequestInfo =
    {
        Name: string
        Method: string
        Url: string
    }

    member this.Display = Redact.text $"RequestInfo({this.Name} {this.Method} {this.Url})"

    override this.ToString() = this.Display

[<StructuredFormatDisplay("{Display}")>]
type ServiceError =
    {
        Request: RequestInfo
        Status: int
        ReasonPhrase: string
        Code: string option
        Message: string
        Body: string option
        Attempts: int
        MissingScopes: string list
        RequestId: string option
    }

    member this.Display =
        let code = this.Code |> Option.map (fun c -> " " + c) |> Option.defaultValue ""

        let scopes =
            match this.MissingScopes with
            | [] -> ""
            | scopes -> " missing scopes: " + String.concat ", " scopes

        let line (text: string) =
            text.Replace("\r\n", " ").Replace('\r', ' ').Replace('\n', ' ')

        Redact.text (
            line
                $"ServiceError({this.Request.Name} {this.Request.Method} {this.Request.Url}: {this.Status}{code}: {this.Message}{scopes})"
        )

    override this.ToString() = this.Display

[<StructuredFormatDisplay("{Display}")>]
type SchemaViolation =
    {
        Path: string
        Keyword: string
        SchemaLocation: string
        Message: string
    }

    member this.Display = Redact.text $"{this.Path}: {this.Message} ({this.Keyword})"

    override this.ToString() = this.Display

[<RequireQualifiedAccess>]
[<StructuredFormatDisplay("{Display}")>]
type RequestError =
    | UnknownMethod of name: string
    | InvalidRoute of RouteError
    | MissingPayload
    | UnexpectedPayload
    | InvalidPayload of reason: string
    | SigningFailed of HawkError
    | NoCredentials
    | NotGet of method: string
    | InvalidExpiration of expiration: TimeSpan
    | NotPaginated
    | NoItems of reason: string
    | InvalidUrl of url: string * reason: string
    | SchemaViolations of schemaId: string * violations: SchemaViolation list

    member this.Describe() =
        let text =
            match this with
            | UnknownMethod name -> $"no API method named {Display.quote name}"
            | InvalidRoute e -> e.Describe()
            | MissingPayload -> "the method takes a JSON payload and none was given"
            | UnexpectedPayload -> "the method takes no payload and one was given"
            | InvalidPayload reason -> $"the payload is not valid JSON: {reason}"
            | SigningFailed e -> $"the request could not be signed: {e.Describe()}"
            | NoCredentials -> "signed URLs need credentials and the client has none"
            | NotGet m -> $"signed URLs are for GET methods only, not {m}"
            | InvalidExpiration e -> $"a signed URL's lifetime must be positive, not {e}"
            | NotPaginated -> "the method takes no continuationToken, so it cannot be paged"
            | NoItems reason -> reason
            | InvalidUrl(url, reason) -> $"the URL {Display.quote url} is {reason}, so it is not fetched"
            | SchemaViolations(schemaId, violations) ->
                let count = List.length violations
                let listed = violations |> List.map _.Display |> String.concat "; "
                let noun = if count = 1 then "violation" else "violations"
                $"the payload does not match the schema {schemaId} ({count} {noun}): {listed}"

        Redact.text text

    member this.Display = this.Describe()
    override this.ToString() = this.Describe()

[<RequireQualifiedAccess>]
[<StructuredFormatDisplay("{Display}")>]
type TaskclusterError =
    | InvalidRequest of name: string * reason: RequestError
    | AuthenticationFailed of ServiceError
    | InsufficientScopes of ServiceError
    | ClientError of ServiceError
    | ServerError of ServiceError
    | Redirect of ServiceError * location: string option
    | ConnectionFailed of request: RequestInfo * message: string * attempts: int
    | Timeout of request: RequestInfo * timeout: TimeSpan * attempts: int
    | Cancelled of request: RequestInfo
    | InvalidResponse of request: RequestInfo * status: int * error: DecodeError
    | ClockSkew of request: RequestInfo * clientTime: DateTimeOffset * serverTime: DateTimeOffset * limit: TimeSpan

    member private this.Service =
        match this with
        | AuthenticationFailed e
        | InsufficientScopes e
        | ClientError e
        | ServerError e
        | Redirect(e, _) -> Some e
        | _ -> None

    member this.Status =
        match this with
        | InvalidResponse(_, status, _) -> Some status
        | _ -> this.Service |> Option.map _.Status

    member this.Code = this.Service |> Option.bind _.Code

    member this.Request =
        match this with
        | InvalidRequest _ -> None
        | ConnectionFailed(r, _, _)
        | Timeout(r, _, _)
        | Cancelled r
        | InvalidResponse(r, _, _)
        | ClockSkew(r, _, _, _) -> Some r
        | _ -> this.Service |> Option.map _.Request

    member this.Describe() =
        let call (r: RequestInfo) = $"{r.Name} ({r.Method} {r.Url})"

        let times n =
            if n = 1 then "1 attempt" else $"{n} attempts"

        // Taskcluster messages run over many lines (scopes, request details): the first line
        // that says something is the summary.
        let firstLine (text: string) =
            text.Split([| '\r'; '\n' |], StringSplitOptions.RemoveEmptyEntries ||| StringSplitOptions.TrimEntries)
            |> Array.tryHead
            |> Option.defaultValue ""

        // A body excerpt (an HTML page, say) on one line and short.
        let squeeze (text: string) =
            let words =
                text.Split([| ' '; '\t'; '\r'; '\n' |], StringSplitOptions.RemoveEmptyEntries)
                |> String.concat " "

            if words.Length > 200 then
                words.Substring(0, 200) + "…"
            else
                words

        let service (kind: string) (e: ServiceError) =
            let code =
                match e.Code with
                | Some c -> $" {c}"
                | None -> ""

            let body =
                match e.Body with
                | Some b when b.Length > 0 -> $" — body: {squeeze b}"
                | _ -> ""

            // The service's message introduces the missing scopes and lists them on later lines:
            // the one-line form carries them after its first line.
            let scopes =
                match e.MissingScopes with
                | [] -> ""
                | scopes -> " " + String.concat ", " scopes

            $"{call e.Request}: {kind}: {e.Status} {e.ReasonPhrase}{code}: {firstLine e.Message}{scopes}{body} (after {times e.Attempts})"

        let text =
            match this with
            | InvalidRequest(name, reason) -> $"{name}: invalid request: {reason.Describe()}"
            | AuthenticationFailed e -> service "authentication failed" e
            | InsufficientScopes e -> service "insufficient scopes" e
            | ClientError e -> service "request refused" e
            | ServerError e -> service "server error" e
            | Redirect(e, location) ->
                // The target of a redirect may be a pre-signed URL: its query is a credential.
                let target =
                    match location with
                    | Some l ->
                        match l.IndexOfAny [| '?'; '#' |] with
                        | -1 -> l
                        | i -> l.Substring(0, i) + "?…"
                    | None -> "(no Location)"

                let what =
                    if e.Status >= 300 && e.Status < 400 then
                        $"unexpected redirect {e.Status}"
                    else
                        "redirected"

                // Said when the client knows more than the status (not followed, and why).
                let why =
                    if e.Message.StartsWith $"HTTP {e.Status}" then
                        ""
                    else
                        $": {firstLine e.Message}"

                $"{call e.Request}: {what} to {target}{why}"
            | ConnectionFailed(r, message, attempts) -> $"{call r}: connection failed after {times attempts}: {message}"
            | Timeout(r, timeout, attempts) -> $"{call r}: no response within {timeout} on each of {times attempts}"
            | Cancelled r -> $"{call r}: the request was cancelled"
            | InvalidResponse(r, status, e) -> $"{call r}: the {status} response could not be decoded: {e.Describe()}"
            | ClockSkew(r, clientTime, serverTime, limit) ->
                let iso (t: DateTimeOffset) =
                    t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", Globalization.CultureInfo.InvariantCulture)

                $"{call r}: refused for a stale timestamp, and the server's clock ({iso serverTime}) is further from ours ({iso clientTime}) than the {limit} a clock correction may adopt"

        // Exception messages and quoted values may hold line breaks: a description is one line.
        text.Replace("\r\n", " ").Replace('\r', ' ').Replace('\n', ' ') |> Redact.text

    member this.Display = this.Describe()
    override this.ToString() = this.Describe()
