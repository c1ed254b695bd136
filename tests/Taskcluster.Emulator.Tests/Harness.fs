/// Starting emulators and calling them over real loopback HTTP with signed requests.
module Taskcluster.Emulator.Tests.Harness

open System
open System.Net
open System.Net.Http
open System.Security.Cryptography
open System.Text
open System.Text.Json.Nodes
open System.Threading.Tasks
open Expecto
open Taskcluster.Emulator
open Taskcluster.Emulator.Tests.Signer

/// A clock the test moves by hand.
type ManualClock(start: DateTimeOffset) =
    inherit TimeProvider()
    let mutable now = start
    override _.GetUtcNow() = now
    member _.Advance(d: TimeSpan) = now <- now + d

/// An HTTP client that, like the official clients, never follows redirects.
let http =
    new HttpClient(new SocketsHttpHandler(AllowAutoRedirect = false, MaxConnectionsPerServer = 256))

/// The emulator most tests share (they use fresh ids, so they never see each other's state).
let shared = lazy ((Emulator.start (EmulatorOptions())).GetAwaiter().GetResult())

let root () =
    let e = shared.Force()
    creds e.ClientId e.AccessToken

/// A fresh slugId.
let slugId () =
    let b = RandomNumberGenerator.GetBytes 16
    b[6] <- (b[6] &&& 0x0fuy) ||| 0x40uy
    b[8] <- (b[8] &&& 0x3fuy) ||| 0x80uy
    b[0] <- b[0] &&& 0x7fuy
    base64Url b

/// What came back.
type Response =
    {
        Status: int
        Text: string
        Headers: Headers.HttpResponseHeaders
        ContentHeaders: Headers.HttpContentHeaders
    }

    member r.Json =
        try
            JsonNode.Parse r.Text
        with _ ->
            failtestf "not JSON (status %d): %s" r.Status r.Text

    member r.Code = string r.Json.["code"]

    member r.Message = string r.Json.["message"]

/// How a request is signed.
type Auth =
    | NoAuth
    | Header of Creds
    /// Signed with the timestamp shifted by this many seconds.
    | Skewed of Creds * int64
    | RawHeader of string

let nowSeconds () =
    DateTimeOffset.UtcNow.ToUnixTimeSeconds()

/// Sends a request to the URL; the body is JSON text.
let sendTo (auth: Auth) (method: string) (url: string) (body: string option) : Task<Response> =
    task {
        let uri = Uri url
        let req = new HttpRequestMessage(HttpMethod method, uri)

        match body with
        | Some b -> req.Content <- new StringContent(b, Encoding.UTF8, "application/json")
        | None -> ()

        match auth with
        | NoAuth -> ()
        | Header c ->
            req.Headers.TryAddWithoutValidation("Authorization", header c method uri (nowSeconds ()) "n0nce" None None)
            |> ignore
        | Skewed(c, shift) ->
            req.Headers.TryAddWithoutValidation(
                "Authorization",
                header c method uri (nowSeconds () + shift) "n0nce" None None
            )
            |> ignore
        | RawHeader h -> req.Headers.TryAddWithoutValidation("Authorization", h) |> ignore

        let! resp = http.SendAsync req
        let! text = resp.Content.ReadAsStringAsync()

        return
            {
                Status = int resp.StatusCode
                Text = text
                Headers = resp.Headers
                ContentHeaders = resp.Content.Headers
            }
    }

/// Calls `<rootUrl>/api/<service>/v1<path>` on the shared emulator.
let call (auth: Auth) (method: string) (service: string) (path: string) (body: JsonNode) =
    let e = shared.Force()
    sendTo auth method $"{e.RootUrl}/api/{service}/v1{path}" (if isNull body then None else Some(body.ToJsonString()))

/// `call` as root.
let rootCall method service path body =
    call (Header(root ())) method service path body

/// Expects a status, showing the body when it differs.
let expectStatus (r: Response) (status: int) =
    if r.Status <> status then
        failtestf "expected %d, got %d: %s" status r.Status r.Text

/// Creates a client with these scopes on the shared emulator, straight into its state.
let clientWith (scopes: string list) =
    let e = shared.Force()
    let id = "test/" + slugId ()
    let token = base64Url (RandomNumberGenerator.GetBytes 33)
    e.State.CreateClient(id, token, scopes)
    creds id token

let jstr (s: string) : JsonNode = JsonValue.Create s
let jint (i: int64) : JsonNode = JsonValue.Create i

let jobj (members: (string * JsonNode) list) : JsonNode =
    let o = JsonObject()

    for k, v in members do
        o[k] <- v

    o

let jarr (items: JsonNode seq) : JsonNode =
    let a = JsonArray()

    for i in items do
        a.Add i

    a

let jstrs (items: string seq) = jarr (items |> Seq.map jstr)

let iso (t: DateTimeOffset) =
    t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", Globalization.CultureInfo.InvariantCulture)

let fromNow (d: TimeSpan) = iso (DateTimeOffset.UtcNow + d)

/// A minimal valid task definition.
let taskDef (queue: string) (extra: (string * JsonNode) list) =
    let baseMembers =
        [
            "taskQueueId", jstr queue
            "created", jstr (fromNow TimeSpan.Zero)
            "deadline", jstr (fromNow (TimeSpan.FromHours 1.0))
            "payload", jobj []
            "metadata",
            jobj
                [
                    "name", jstr "test task"
                    "description", jstr "a task from the emulator tests"
                    "owner", jstr "tests@example.com"
                    "source", jstr "https://example.com/tests"
                ]
        ]

    let names = extra |> List.map fst |> set
    jobj ((baseMembers |> List.filter (fun (k, _) -> not (names.Contains k))) @ extra)

let strings (n: JsonNode) = [ for x in n.AsArray() -> string x ]
