/// Route arguments cannot change the endpoint: whatever a caller passes (dot segments, slashes
/// raw or percent-encoded, backslashes, `?`, `#`, look-alike slashes, NUL, very long values),
/// a generated method either refuses it before sending or sends it as exactly one
/// percent-encoded segment of its own route, and the emulator routes it to that method with the
/// argument intact.
module Taskcluster.Security.Tests.RouteTests

open System
open System.Text
open System.Text.Json
open Expecto
open FsCheck
open Taskcluster.Client
open Taskcluster.Services
open Taskcluster.Security.Tests.Support

/// An independent oracle for JavaScript's `encodeURIComponent`.
let private encodeComponent (value: string) =
    let keep (c: char) =
        Char.IsAsciiLetterOrDigit c || "-_.!~*'()".IndexOf c >= 0

    let sb = StringBuilder()

    for b in Encoding.UTF8.GetBytes value do
        let c = char b

        if b < 128uy && keep c then
            sb.Append c |> ignore
        else
            sb.Append('%').Append(b.ToString "X2") |> ignore

    sb.ToString()

/// A generated method under test: its call, the route prefix before the argument, the API
/// method name and the parameter name the emulator echoes.
type private Target =
    {
        Label: string
        Call: TaskclusterClient -> string -> Result<JsonElement, TaskclusterError>
        Prefix: string
        Method: string
        Parameter: string
    }

let private targets =
    [
        {
            Label = "queue.task"
            Call = fun c v -> Queue(c).Task v |> run
            Prefix = "/api/queue/v1/task/"
            Method = "task"
            Parameter = "taskId"
        }
        {
            Label = "secrets.get"
            Call = fun c v -> Secrets(c).Get v |> run
            Prefix = "/api/secrets/v1/secret/"
            Method = "get"
            Parameter = "name"
        }
        {
            Label = "index.findTask"
            Call = fun c v -> Index(c).FindTask v |> run
            Prefix = "/api/index/v1/task/"
            Method = "findTask"
            Parameter = "indexPath"
        }
    ]

let hostile =
    [
        "."
        ".."
        "../.."
        "../secrets/v1/secret/x"
        "./x"
        "x/.."
        "/"
        "a/b"
        "//"
        "%2F"
        "%2f"
        "a%2Fb"
        "%2e%2e"
        "%2E%2E%2F"
        "\\"
        "a\\..\\b"
        "..\\.."
        "?"
        "a?b=c"
        "?bewit=x"
        "#"
        "a#b"
        "\u2215"
        "a\u2215b"
        "\uFF0F"
        "\uFF0E\uFF0E"
        "\u2024\u2024"
        "\u0000"
        "a\u0000b"
        "%00"
        "%"
        "%%"
        " "
        "a b"
        "\r\nX-Injected: 1"
        "\t"
        "é"
        "😀"
        // a lone surrogate (built from a char: the compiler would turn a literal into U+FFFD)
        string (char 0xD800)
        "a" + string (char 0xDC00)
        ""
        String('a', 4000)
        String('/', 2000)
        String('a', 100_000)
    ]

/// Calls the target with the value and checks the invariant; returns a failure description.
let private check (target: Target) (value: string) : string option =
    let e = emulator.Force()
    let handler = new RecordingHandler()
    let client = createClient (optionsWith e handler)
    let result = target.Call client value
    let sent = handler.Exchanges

    let shown =
        if value.Length > 40 then
            value.Substring(0, 40) + "…"
        else
            value

    match result, sent with
    | Error(TaskclusterError.InvalidRequest _), [] -> None // refused before sending
    | Error(TaskclusterError.InvalidRequest _), _ -> Some $"{target.Label} {shown}: refused, but a request was sent"
    | _, [] -> Some $"{target.Label} {shown}: nothing was sent and no InvalidRequest error"
    | _, exchanges ->
        let expected = target.Prefix + encodeComponent value

        exchanges
        |> List.tryPick (fun x ->
            if x.PathAndQuery <> expected then
                Some $"{target.Label} {shown}: sent {x.PathAndQuery}, expected {expected}"
            else
                let segment = x.PathAndQuery.Substring target.Prefix.Length

                if segment.IndexOfAny [| '/'; '?'; '#'; '\\' |] >= 0 then
                    Some $"{target.Label} {shown}: the segment {segment} is not one segment"
                else
                    match x.Status, x.ResponseBody with
                    // Kestrel refused the request line (too long, or a NUL once decoded) before any
                    // routing: no endpoint ran
                    | Some(414 | 431), _
                    | Some 400, Some "" -> None
                    | Some status, Some body ->
                        try
                            use doc = JsonDocument.Parse body
                            let info = doc.RootElement.GetProperty "requestInfo"
                            let methodName = info.GetProperty("method").GetString()
                            let parameter = info.GetProperty("params").GetProperty(target.Parameter).GetString()

                            if methodName <> target.Method then
                                Some $"{target.Label} {shown}: the emulator ran {methodName} ({status})"
                            elif parameter <> value then
                                Some $"{target.Label} {shown}: the emulator received {parameter} ({status})"
                            else
                                None
                        with ex ->
                            Some
                                $"{target.Label} {shown}: answer {status} is not an error with requestInfo ({ex.Message})"
                    | status, _ -> Some $"{target.Label} {shown}: no answer ({status})")

let tests =
    testList
        "Route arguments stay in their segment"
        [
            for target in targets do
                test $"{target.Label}: hostile arguments" {
                    let failures = hostile |> List.choose (check target)

                    if not failures.IsEmpty then
                        failtestf "%s" (String.Join("\n", failures))
                }

            testProperty "secrets.get: any string" (fun (NonNull(value: string)) ->
                match check targets[1] value with
                | None -> true
                | Some failure -> failwith failure)

            test "refused arguments are typed errors naming the parameter" {
                let e = emulator.Force()
                let handler = new RecordingHandler()
                let client = createClient (optionsWith e handler)

                for value in [ "."; ".."; ""; string (char 0xD800) ] do
                    match Queue(client).Task value |> run with
                    | Error(TaskclusterError.InvalidRequest(name, RequestError.InvalidRoute _) as err) ->
                        Expect.equal name "queue.task" "the method"
                        Expect.stringContains (err.Describe()) "taskId" "names the parameter"
                    | other -> failtestf "%A: expected InvalidRoute, got %A" value other

                Expect.isEmpty handler.Exchanges "nothing was sent"
            }
        ]
