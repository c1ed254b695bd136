/// Taskcluster credentials go to the root URL only: not to artifact URLs on other hosts, not
/// along redirects to other origins; and signed URLs are valid only where they were built for.
module Taskcluster.Security.Tests.ForwardingTests

open System
open System.Net.Http
open System.Security.Cryptography
open System.Threading
open Expecto
open Taskcluster.Core
open Taskcluster.Client
open Taskcluster.Services
open Taskcluster.Security.Tests.Support

let private none = CancellationToken.None

/// No request the listener received carried an Authorization header or a bewit.
let private expectNoCredentials (host: OtherHost) what =
    for r in host.Received do
        Expect.isFalse (r.Headers.ContainsKey "authorization") $"{what}: Authorization sent to {r.PathAndQuery}"
        Expect.isFalse (r.PathAndQuery.Contains "bewit") $"{what}: a bewit sent to {r.PathAndQuery}"

let tests =
    testList
        "Credentials stay with the root URL"
        [
            test "a reference artifact on another host is fetched without credentials, also through its redirects" {
                let e = emulator.Force()
                use third = new OtherHost(answerText "data from the third host")
                use other = new OtherHost(answerRedirect 302 $"{third.Url}/moved/data.txt")
                let handler = new RecordingHandler()
                let client = createClient (optionsWith e handler)

                let queue = QueueApi.ofService (Queue client)

                let taskId = runningTask client |> run

                match
                    Artifact.createReference
                        queue
                        taskId
                        0
                        "public/elsewhere.txt"
                        $"{other.Url}/artifacts/data.txt"
                        "text/plain"
                        (expires ())
                        none
                    |> run
                with
                | Ok() -> ()
                | Error err -> failtestf "createReference: %s" (err.Describe())

                match
                    Artifact.downloadToBuf queue Transfer.defaults taskId (Some 0) "public/elsewhere.txt" none
                    |> run
                with
                | Ok(bytes, _) ->
                    Expect.equal (Text.Encoding.UTF8.GetString bytes) "data from the third host" "the data"
                | Error err -> failtestf "download: %s" (err.Describe())

                Expect.equal other.Received.Length 1 "the other host was asked once"
                Expect.equal third.Received.Length 1 "the redirect was followed"
                expectNoCredentials other "reference URL"
                expectNoCredentials third "redirect target"

                // the requests to the root URL were signed: the check above is not vacuous
                Expect.isTrue
                    (handler.Exchanges
                     |> List.exists (fun x -> x.Url.StartsWith e.RootUrl && x.Authorization.IsSome))
                    "API calls are signed"

                for x in handler.Exchanges do
                    if not (x.Url.StartsWith e.RootUrl) then
                        Expect.isNone x.Authorization $"no Authorization to {x.Url}"
            }

            test "s3 and object artifact data requests carry no Authorization" {
                let e = emulator.Force()
                let handler = new RecordingHandler()
                let client = createClient (optionsWith e handler)

                let queue = QueueApi.ofService (Queue client)

                let taskId = runningTask client |> run
                let data = RandomNumberGenerator.GetBytes 20_000

                match
                    Artifact.uploadFromBuf
                        queue
                        Transfer.defaults
                        (Artifact.uploadRequest taskId 0 "public/object.bin" (expires ()))
                        (ReadOnlyMemory data)
                        none
                    |> run
                with
                | Ok _ -> ()
                | Error err -> failtestf "upload: %s" (err.Describe())

                match
                    Artifact.downloadToBuf queue Transfer.defaults taskId (Some 0) "public/object.bin" none
                    |> run
                with
                | Ok(bytes, _) -> Expect.equal bytes data "the data"
                | Error err -> failtestf "download: %s" (err.Describe())

                let blobs = handler.Exchanges |> List.filter (fun x -> x.Url.Contains "/__blobs/")
                Expect.isNonEmpty blobs "data went through blob URLs"

                for x in blobs do
                    Expect.isNone x.Authorization $"no Authorization to {x.Method} {Uri(x.Url).AbsolutePath}"
            }

            test "a redirect from the root URL to another origin is not followed with credentials" {
                use other = new OtherHost(answerText "{}")

                use fakeRoot =
                    new OtherHost(answerRedirect 307 $"{other.Url}/api/secrets/v1/secret/stolen")

                let credentials =
                    {
                        ClientId = "security/redirected"
                        AccessToken = "redirect-test-token-that-must-not-travel"
                        Certificate = None
                    }

                // the default HttpClient: the redirect is an error, nothing reaches the other host
                let client =
                    createClient (
                        { Options.create fakeRoot.Url with
                            Credentials = Some credentials
                            MaxRetries = 0
                        }
                    )

                match Secrets(client).Get "x" |> run with
                | Error(TaskclusterError.Redirect(_, Some location)) ->
                    Expect.stringStarts location other.Url "the Location is reported"
                | other -> failtestf "expected a Redirect error, got %A" other

                Expect.equal fakeRoot.Received.Length 1 "the root URL was asked"
                Expect.isTrue (fakeRoot.Received.Head.Headers.ContainsKey "authorization") "and it was signed"
                Expect.isEmpty other.Received "the other origin was not contacted"

                // a caller's HttpClient that follows redirects: .NET drops Authorization on the way
                use following = new HttpClient(new SocketsHttpHandler(AllowAutoRedirect = true))

                let followingClient =
                    createClient (
                        { Options.create fakeRoot.Url with
                            Credentials = Some credentials
                            MaxRetries = 0
                            HttpClient = Some following
                        }
                    )

                match Secrets(followingClient).Get "x" |> run with
                | Error(TaskclusterError.Redirect(_, Some location)) ->
                    Expect.stringStarts location other.Url "reported as a redirect to where it ended"
                | result -> failtestf "a followed redirect must not be a success: %A" result

                Expect.equal other.Received.Length 1 "the redirect was followed by the caller's HttpClient"
                expectNoCredentials other "followed redirect"
            }

            test "a signed URL carries its bewit only to the URL it was built for" {
                let e = emulator.Force()
                let handler = new RecordingHandler()
                let client = createClient (optionsWith e handler)
                let secrets = Secrets client
                let name = $"security/{slugId ()}"

                match
                    secrets.Set(
                        name,
                        Payload.Text $"""{{"secret":{{"a":1}},"expires":"{FromNow.format (expires ())}"}}"""
                    )
                    |> run
                with
                | Ok _ -> ()
                | Error err -> failtestf "set: %s" (err.Describe())

                let signed =
                    match secrets.BuildSignedUrl("get", [ name ]) with
                    | Ok url -> url
                    | Error err -> failtestf "signed URL: %s" (err.Describe())

                let uri = Uri signed
                Expect.equal (uri.GetLeftPart UriPartial.Authority) e.RootUrl "the root URL's origin"

                Expect.equal
                    (uri.GetComponents(UriComponents.Path, UriFormat.UriEscaped))
                    ("api/secrets/v1/secret/" + Uri.EscapeDataString name)
                    "the method's path"

                Expect.stringStarts uri.Query "?bewit=" "the bewit is the only query parameter"
                // building it sent nothing
                Expect.isFalse (handler.Exchanges |> List.exists (fun x -> x.Url.Contains "bewit")) "not sent"

                use http = new HttpClient()
                let ok = http.GetAsync(signed) |> run
                Expect.equal (int ok.StatusCode) 200 "valid where it was built for"
                // the same bewit on another secret's URL is refused
                let elsewhere =
                    signed.Replace(Uri.EscapeDataString name, Uri.EscapeDataString(name + "x"))

                let refused = http.GetAsync(elsewhere) |> run
                Expect.equal (int refused.StatusCode) 401 "refused for another secret"
            }
        ]
