namespace Taskcluster.Client

open System
open Taskcluster.Core

/// Untrusted text in messages is rendered by the core's one quoting rule.
module internal Display =
    let quote (value: string) = Text.quote value

type RequestInfo =
    {
        Name: string
        Method: string
        Url: string
    }

type ServiceError =
    {
        Request: RequestInfo
        Status: int
        ReasonPhrase: string
        Code: string option
        Message: string
        Body: string option
        Attempts: int
    }

[<RequireQualifiedAccess>]
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

    member this.Describe() =
        match this with
        | UnknownMethod name -> $"no API method named '{name}'"
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

[<RequireQualifiedAccess>]
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
        | InvalidResponse(r, _, _) -> Some r
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

            $"{call e.Request}: {kind}: {e.Status} {e.ReasonPhrase}{code}: {firstLine e.Message}{body} (after {times e.Attempts})"

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

                $"{call e.Request}: unexpected redirect {e.Status} to {target}"
            | ConnectionFailed(r, message, attempts) -> $"{call r}: connection failed after {times attempts}: {message}"
            | Timeout(r, timeout, attempts) -> $"{call r}: no response within {timeout} on each of {times attempts}"
            | Cancelled r -> $"{call r}: the request was cancelled"
            | InvalidResponse(r, status, e) -> $"{call r}: the {status} response could not be decoded: {e.Describe()}"

        // Exception messages and quoted values may hold line breaks: a description is one line.
        text.Replace("\r\n", " ").Replace('\r', ' ').Replace('\n', ' ')
