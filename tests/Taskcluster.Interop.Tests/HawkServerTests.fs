/// Headers and bewits made by our core, checked by the `hawk` package's own server side
/// (scripts/interop/hawk-server.mjs) over real HTTP.
module Taskcluster.Interop.Tests.HawkServerTests

open System
open System.IO
open System.Net.Sockets
open System.Text
open System.Text.Json.Nodes
open Expecto
open FsCheck.FSharp
open Taskcluster.Core
open Taskcluster.Testing
open Taskcluster.Interop.Tests.Node

/// How a case is signed.
type Kind =
    | Plain
    | ArbitraryExt of string
    | AuthorizedScopes of string list
    | Temporary of named: bool
    | PayloadHash of contentType: string
    | Bewit of withCertificate: bool

/// One generated request.
type Case =
    {
        Index: int
        Method: string
        Sample: SampleUri
        ClientId: string
        AccessToken: string
        Nonce: string
        Kind: Kind
    }

let private knownMethods =
    [ "GET"; "POST"; "PUT"; "DELETE"; "HEAD"; "PATCH"; "OPTIONS" ]

let private kind (method: string) =
    let m = method.ToUpperInvariant()

    Gen.frequency
        [
            3, Gen.constant Plain
            2, Requests.ext |> Gen.map ArbitraryExt
            2, Scopes.scopeSet |> Gen.map AuthorizedScopes
            2, Gen.elements [ true; false ] |> Gen.map Temporary
            (if m = "POST" || m = "PUT" || m = "PATCH" then 3 else 0),
            Gen.elements [ "application/json"; "text/plain"; "Application/JSON; charset=utf-8" ]
            |> Gen.map PayloadHash
            2, Gen.elements [ true; false ] |> Gen.map Bewit
        ]

let private kindName =
    function
    | Plain -> "plain"
    | ArbitraryExt _ -> "arbitrary ext"
    | AuthorizedScopes _ -> "authorizedScopes ext"
    | Temporary false -> "temporary credentials"
    | Temporary true -> "named temporary credentials"
    | PayloadHash _ -> "payload hash"
    | Bewit false -> "bewit"
    | Bewit true -> "bewit with a certificate"

/// WHATWG URL (and so `hawk`) reads a name whose last label is a number as an IPv4 address;
/// the generator's DNS names do not mean that, so those few are left out.
let private endsInNumber (host: string) =
    let labels = host.Split '.'
    let last = labels[labels.Length - 1]

    let isNumber (label: string) =
        label <> ""
        && (Seq.forall Char.IsAsciiDigit label
            || label.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
               && Seq.forall Char.IsAsciiHexDigit (label.Substring 2))

    not (host.StartsWith '[')
    && isNumber last
    && not (
        labels.Length = 4
        && Array.forall (fun l -> l <> "" && Seq.forall Char.IsAsciiDigit l) labels
    )

let private caseGen =
    gen {
        let! method =
            Requests.method
            |> Gen.filter (fun m -> List.contains (m.ToUpperInvariant()) knownMethods)

        let! sample = Requests.sampleUri |> Gen.filter (fun s -> not (endsInNumber s.Host))
        let! clientId = Requests.clientId
        let! accessToken = Requests.accessToken
        let! nonce = Requests.nonce
        let! kind = kind method
        // bewits are for GET (and HEAD) only
        let method =
            match kind with
            | Bewit _ -> (if method = method.ToLowerInvariant() then "get" else "GET")
            | _ -> method

        return
            {
                Index = 0
                Method = method
                Sample = sample
                ClientId = clientId
                AccessToken = accessToken
                Nonce = nonce
                Kind = kind
            }
    }

let count = 400

/// Generated once per run (a fresh seed each time; failures print the whole case).
let cases =
    lazy
        (Gen.sample count caseGen
         |> Array.mapi (fun i c ->
             { c with
                 Index = i
                 // unique ids, so that the server's table never has two tokens for one id
                 ClientId = $"{c.ClientId}/{i}"
             })
         |> List.ofArray)

let private orFail what (r: Result<'T, 'E>) =
    match r with
    | Ok v -> v
    | Error e -> failtestf "%s: %A" what e

/// The request a case sends: resource, Authorization (or null), content type and body.
let private build (c: Case) (now: int64) =
    let creds = Hawk.credentials c.ClientId c.AccessToken |> orFail "credentials"

    let temporary named =
        let seed = slugId () + slugId ()
        let name = if named then Some $"interop/temp/{c.Index}" else None

        Certificate.createTemporaryCredentials
            c.ClientId
            c.AccessToken
            false
            ((now - 60L) * 1000L)
            ((now + 3600L) * 1000L)
            [ "interop:scope" ]
            name
            seed
        |> orFail "createTemporaryCredentials"

    let certExt (t: TemporaryCredentials) =
        Certificate.Ext.encode
            { Certificate.Ext.empty with
                Certificate = Some t.Certificate
            }

    let header (creds: Hawk.Credentials) ext hash =
        Hawk.header creds c.Method c.Sample.Uri now c.Nonce ext hash |> orFail "header"

    match c.Kind with
    | Plain -> c.Sample.Resource, header creds None None, null, ""
    | ArbitraryExt ext -> c.Sample.Resource, header creds (Some ext) None, null, ""
    | AuthorizedScopes scopes ->
        let ext =
            Certificate.Ext.encode
                { Certificate.Ext.empty with
                    AuthorizedScopes = Some scopes
                }

        c.Sample.Resource, header creds ext None, null, ""
    | Temporary named ->
        let t = temporary named

        let tempCreds =
            Hawk.credentials t.ClientId t.AccessToken |> orFail "temporary credentials"

        c.Sample.Resource, header tempCreds (certExt t) None, null, ""
    | PayloadHash contentType ->
        let body = $"{{\"case\":{c.Index},\"nonce\":\"{c.Nonce.Length}\"}}"
        let hash = Hawk.payloadHash contentType (Encoding.UTF8.GetBytes body)
        c.Sample.Resource, header creds None (Some hash), contentType, body
    | Bewit withCertificate ->
        let creds, ext =
            if withCertificate then
                let t = temporary false
                Hawk.credentials t.ClientId t.AccessToken |> orFail "temporary credentials", certExt t
            else
                creds, None

        let token = Hawk.bewit creds c.Sample.Uri (now + 600L) ext |> orFail "bewit"
        let resource = c.Sample.Resource
        let sep = if resource.Contains '?' then "&" else "?"
        resource + sep + "bewit=" + token, null, null, ""

/// A request target fit to print: the bewit's value is a credential, so it is left out.
let private shown (resource: string) =
    Text.RegularExpressions.Regex.Replace(resource, "bewit=[^&]*", "bewit=(omitted)")

/// The host as written in the URI (`0x7F.1`, `[::FFFF:1.2.3.4]`), without its port.
let private writtenHost (uri: string) =
    let start = uri.IndexOf "://" + 3

    let authority =
        match uri.IndexOfAny([| '/'; '?'; '#' |], start) with
        | -1 -> uri.Substring start
        | stop -> uri.Substring(start, stop - start)

    if authority.StartsWith '[' then
        authority.Substring(0, authority.IndexOf ']' + 1)
    else
        match authority.IndexOf ':' with
        | -1 -> authority
        | colon -> authority.Substring(0, colon)

/// Sends the bytes as they are (no client library to re-encode the request target). The Host
/// header carries the host as the URI spells it: `hawk` reads it through Node's `new URL`, so
/// Node, not our generator, decides which host the MAC must cover (`0x7F.1` is 127.0.0.1).
let private send (port: int) (c: Case) (now: int64) =
    let resource, authorization, contentType, body = build c now
    let bodyBytes = Encoding.UTF8.GetBytes(body: string)
    let sb = StringBuilder()
    sb.Append($"{c.Method.ToUpperInvariant()} {resource} HTTP/1.1\r\n") |> ignore
    sb.Append($"Host: {writtenHost c.Sample.Uri}:{c.Sample.Port}\r\n") |> ignore

    if not (isNull authorization) then
        sb.Append($"Authorization: {authorization}\r\n") |> ignore

    if not (isNull contentType) then
        sb.Append($"Content-Type: {contentType}\r\n") |> ignore

    sb.Append($"Content-Length: {bodyBytes.Length}\r\nConnection: close\r\n\r\n")
    |> ignore

    use tcp = new TcpClient("127.0.0.1", port)
    use stream = tcp.GetStream()
    let head = Encoding.ASCII.GetBytes(sb.ToString())
    stream.Write(head, 0, head.Length)
    stream.Write(bodyBytes, 0, bodyBytes.Length)
    use reader = new StreamReader(stream, Encoding.UTF8)
    let response = reader.ReadToEnd()

    let status =
        if response.Length >= 12 then
            int (response.Substring(9, 3))
        else
            0

    let split = response.IndexOf "\r\n\r\n"

    let answer =
        if split >= 0 then
            response.Substring(split + 4)
        else
            response

    status, answer, resource

let tests () =
    testList
        "hawk server"
        [
            test $"the hawk package accepts {count} generated headers and bewits from our core" {
                let all = cases.Force()
                let table = JsonObject()

                for c in all do
                    table[c.ClientId] <- jstr c.AccessToken

                use server = start "hawk-server.mjs"
                let serverErrors = server.StandardError.ReadToEndAsync()
                server.StandardInput.WriteLine((jobj [ "clients", table ]).ToJsonString())
                server.StandardInput.Flush()

                try
                    let first = server.StandardOutput.ReadLine()

                    if isNull first then
                        failtestf "hawk-server.mjs exited: %s" (server.StandardError.ReadToEnd())

                    let port = (JsonNode.Parse first).["port"].GetValue<int>()
                    let now = DateTimeOffset.UtcNow.ToUnixTimeSeconds()

                    let rejected =
                        [
                            for c in all do
                                let status, answer, resource =
                                    try
                                        send port c now
                                    with e ->
                                        server.StandardInput.Close()
                                        server.WaitForExit 5000 |> ignore

                                        failtestf
                                            "case #%d (%A %s %s): %s; hawk-server.mjs said: %s"
                                            c.Index
                                            c.Kind
                                            c.Method
                                            c.Sample.Uri
                                            e.Message
                                            serverErrors.Result

                                if status <> 200 then
                                    yield
                                        $"#{c.Index} {kindName c.Kind} {c.Method} {c.Sample.Uri} (sent {shown resource}): {status} {answer}"
                        ]

                    for r in rejected do
                        printfn "hawk rejected %s" r

                    Expect.isEmpty rejected $"{rejected.Length} of {all.Length} requests rejected"

                    let kinds = all |> List.countBy (fun c -> kindName c.Kind) |> List.sort
                    printfn "hawk server cases by kind: %A" kinds

                    // The control: the same requests signed with a wrong key must all be refused.
                    let accepted =
                        [
                            for c in List.truncate 40 all do
                                let status, answer, _ =
                                    send
                                        port
                                        { c with
                                            AccessToken = c.AccessToken + "x"
                                        }
                                        now

                                if status <> 401 then
                                    yield $"#{c.Index} {kindName c.Kind}: {status} {answer}"
                        ]

                    Expect.isEmpty accepted "requests signed with a wrong key were accepted"
                finally
                    server.StandardInput.Close()
                    server.WaitForExit 5000 |> ignore
            }
        ]
