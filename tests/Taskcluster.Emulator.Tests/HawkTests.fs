/// The test signer and the emulator's verifier against the official Hawk, bewit and
/// temporary-credential vectors.
module Taskcluster.Emulator.Tests.HawkTests

open System
open System.Text.Json.Nodes
open Expecto
open Taskcluster.Emulator.Internal
open Taskcluster.Emulator.Tests.Signer

let private credsOf (case: JsonNode) =
    creds (string case.["credentials"].["clientId"]) (string case.["credentials"].["accessToken"])

let private loaderFor (clientId: string) (accessToken: string) (scopes: string array) =
    fun (id: string) ->
        if id = clientId then
            Ok
                {
                    ClientId = id
                    AccessToken = accessToken
                    Scopes = scopes
                    Expires = DateTimeOffset.MaxValue
                }
        else
            Error $"Client with clientId '{id}' not found"

let private identity (s: string seq) = Array.ofSeq s

let private requestOf (method: string) (url: string) (authorization: string) (contentType: string) (body: byte array) =
    let uri = Uri url

    {
        Hawk =
            {
                Method = method
                Resource = uri.PathAndQuery
                Host = uri.Host
                Port = uri.Port
            }
        Authorization = authorization
        ContentType = contentType
        Body = ReadOnlyMemory body
    }

/// `ext` is Taskcluster's (base64 JSON); anything else the auth service refuses to parse.
let private isTaskclusterExt (ext: string) =
    try
        JsonNode.Parse(Convert.FromBase64String ext) :? JsonObject
    with _ ->
        false

let private headerCase (case: JsonNode) =
    let c = credsOf case

    let c =
        match case.["authorizedScopes"] with
        | :? JsonArray as a ->
            { c with
                AuthorizedScopes = Some [ for s in a -> string s ]
            }
        | _ -> c

    let rawExt =
        match case.["authorizedScopes"], case.["ext"] with
        | null, (:? JsonValue as v) -> Some(string v)
        | _ -> None

    let payload = case.["payload"] |> Option.ofObj |> Option.map string

    let contentType =
        case.["contentType"]
        |> Option.ofObj
        |> Option.map string
        |> Option.defaultValue ""

    let hash = payload |> Option.map (payloadHash contentType)
    let method = string case.["method"]
    let url = string case.["url"]
    let ts = case.["timestamp"].GetValue<int64>()
    let header = header c method (Uri url) ts (string case.["nonce"]) hash rawExt
    Expect.equal header (string case.["header"]) "the test signer writes the official header"

    let body = payload |> Option.map utf8.GetBytes |> Option.defaultValue [||]
    let request = requestOf method url header contentType body
    let now = DateTimeOffset.FromUnixTimeSeconds ts

    let outcome =
        Authenticator.authenticate (loaderFor c.ClientId c.AccessToken [| "*" |]) identity now request

    match rawExt, outcome with
    | Some ext, AuthOutcome.Failed m when not (isTaskclusterExt ext) -> Expect.equal m "Failed to parse ext" "ext"
    | _, AuthOutcome.Success(id, _, _, "hawk") -> Expect.equal id c.ClientId "clientId"
    | _, other -> failtestf "expected success, got %A" other

    // any change to the signed text must fail
    let tampered = requestOf method (url + "x") header contentType body

    match Authenticator.authenticate (loaderFor c.ClientId c.AccessToken [| "*" |]) identity now tampered with
    | AuthOutcome.Failed _ -> ()
    | other -> failtestf "tampered request accepted: %A" other

    // 15 minutes and a second of skew is too much
    let late = now.AddSeconds(15.0 * 60.0 + 1.0)

    match rawExt, Authenticator.authenticate (loaderFor c.ClientId c.AccessToken [| "*" |]) identity late request with
    | Some ext, _ when not (isTaskclusterExt ext) -> ()
    | _, AuthOutcome.Failed m -> Expect.equal m "Unauthorized: Stale timestamp" "stale"
    | _, other -> failtestf "stale request accepted: %A" other

let private bewitCase (case: JsonNode) =
    let c = credsOf case

    let c =
        match case.["ext"] with
        | :? JsonValue as v -> c
        | _ -> c

    let exp = case.["exp"].GetValue<int64>()
    let signed = string case.["signedUrl"]

    if isNull case.["ext"] then
        Expect.equal
            (string (bewit c (Uri(string case.["url"])) exp))
            signed
            "the test signer writes the official bewit"

    let request = requestOf "GET" signed null null [||]
    let now = DateTimeOffset.FromUnixTimeMilliseconds(case.["now"].GetValue<int64>())
    let load = loaderFor c.ClientId c.AccessToken [| "*" |]

    match case.["ext"], Authenticator.authenticate load identity now request with
    | (:? JsonValue as ext), AuthOutcome.Failed m when not (isTaskclusterExt (string ext)) ->
        Expect.equal m "Failed to parse ext" "ext"
    | _, AuthOutcome.Success(id, _, _, "bewit") -> Expect.equal id c.ClientId "clientId"
    | _, other -> failtestf "expected success, got %A" other

    match Authenticator.authenticate load identity (DateTimeOffset.FromUnixTimeSeconds exp) request with
    | AuthOutcome.Failed m -> Expect.equal m "Unauthorized: Access expired" "an expiry equal to now is expired"
    | other -> failtestf "expired bewit accepted: %A" other

let private certificateCase (case: JsonNode) =
    let issuer = creds (string case.["clientId"]) (string case.["accessToken"])
    let expected = case.["expected"]
    let cert = string expected.["certificate"]
    let scopes = [ for s in case.["scopes"].AsArray() -> string s ]

    let temp =
        {
            ClientId = string expected.["clientId"]
            AccessToken = string expected.["accessToken"]
            Certificate = Some cert
            AuthorizedScopes = None
        }

    let uri = Uri "http://127.0.0.1:1234/api/auth/v1/scopes/current"
    let start = case.["start"].GetValue<int64>()
    let now = DateTimeOffset.FromUnixTimeMilliseconds start
    let header = header temp "GET" uri (now.ToUnixTimeSeconds()) "abc" None None
    let request = requestOf "GET" (string uri) header null [||]
    let load = loaderFor issuer.ClientId issuer.AccessToken [| "*" |]

    match Authenticator.authenticate load identity now request with
    | AuthOutcome.Success(id, granted, _, _) ->
        Expect.isTrue (scopes |> List.forall Scopes.valid) "only valid scopes are accepted"
        Expect.equal id temp.ClientId "clientId"

        for s in scopes do
            Expect.isTrue (Scopes.satisfiesScope granted s) $"granted {s}"
    | AuthOutcome.Failed m ->
        Expect.isFalse (scopes |> List.forall Scopes.valid) $"refused: {m}"
        Expect.equal m "ext.certificate.scopes must be an array of valid scopes" "message"
    | other -> failtestf "unexpected %A" other

    // the test signer issues the same credentials
    let seed = string case.["seed"]
    let name = case.["name"] |> Option.ofObj |> Option.map string

    let mine =
        temporary issuer name scopes start (case.["expiry"].GetValue<int64>()) seed

    Expect.equal mine.AccessToken temp.AccessToken "derived accessToken"

    Expect.isTrue (JsonNode.DeepEquals(JsonNode.Parse mine.Certificate.Value, JsonNode.Parse cert)) "certificate"

let tests =
    testList
        "Hawk"
        [
            Shared.testCases "vectors (hawk-headers.json)" "hawk-headers.json" headerCase
            Shared.testCases "vectors (bewits.json)" "bewits.json" bewitCase
            Shared.testCases "vectors (temp-credentials.json)" "temp-credentials.json" certificateCase
            test "malformed headers are refused with hawk's reasons" {
                for header, reason in
                    [
                        "Hawk", "Bad Request: Invalid header syntax"
                        "Hawk id=\"a\", ts=\"1\", nonce=\"n\"", "Bad Request: Missing attributes"
                        "Hawk id=\"a\", ts=\"1\", nonce=\"n\", mac=\"m\", zz=\"q\"", "Bad Request: Unknown attribute"
                        "Hawk id=\"a\", id=\"b\", ts=\"1\", nonce=\"n\", mac=\"m\"", "Bad Request: Duplicate attribute"
                        "Basic abc", "Unauthorized"
                    ] do
                    let request = requestOf "GET" "http://h/x" header null [||]

                    match
                        Authenticator.authenticate (loaderFor "a" "t" [||]) identity DateTimeOffset.UtcNow request
                    with
                    | AuthOutcome.Failed m -> Expect.equal m reason header
                    | other -> failtestf "accepted %s: %A" header other
            }
        ]
