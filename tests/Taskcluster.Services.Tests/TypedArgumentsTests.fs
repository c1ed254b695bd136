/// The typed forms' arguments and redirects: run ids and page sizes are integers, listing
/// filters booleans, and methods that answer with a redirect give the target URL as a value.
module Taskcluster.Services.Tests.TypedArgumentsTests

open System
open System.Collections.Concurrent
open System.Net
open System.Net.Http
open System.Text
open System.Threading.Tasks
open Expecto
open Taskcluster.Client
open Taskcluster.Services
open Taskcluster.Services.Tests.Support

/// Answers every request with one status, body and optional `Location`, recording the URLs asked.
type private Answering(status: HttpStatusCode, body: string, location: string option) =
    inherit HttpMessageHandler()
    let asked = ConcurrentQueue<Uri>()

    member _.Asked = List.ofSeq asked

    override _.SendAsync(request, _) =
        asked.Enqueue request.RequestUri

        let response =
            new HttpResponseMessage(status, Content = new StringContent(body, Encoding.UTF8, "application/json"))

        location |> Option.iter (fun l -> response.Headers.Location <- Uri l)
        Task.FromResult response

let private clientOf (handler: HttpMessageHandler) =
    { Options.create "https://tc.example.com" with
        MaxRetries = 0
        HttpMessageHandler = Some handler
    }
    |> Client.create
    |> unwrap "creating the client"

let private target =
    "https://storage.example.com/bucket/public/build.tar.gz?X-Sig=abc"

let tests =
    testList
        "Typed arguments and redirects"
        [
            test "getArtifact takes an int runId and answers the redirect's target as a value" {
                let handler =
                    new Answering(HttpStatusCode.SeeOther, """{"storageType":"s3","url":"ignored"}""", Some target)

                let queue = Queue(clientOf handler)

                let url =
                    run (queue.Typed.GetArtifact("fN1SbArXTPSVFNUvaOlinQ", 3, "public/build.tar.gz"))

                Expect.equal url (Ok target) "the Location, as a success"

                Expect.equal
                    (handler.Asked |> List.map _.AbsolutePath)
                    [
                        "/api/queue/v1/task/fN1SbArXTPSVFNUvaOlinQ/runs/3/artifacts/public%2Fbuild.tar.gz"
                    ]
                    "the run id is one path segment of digits"

                // The JSON form keeps its old shape: the redirect is an error there.
                match run (queue.GetArtifact("fN1SbArXTPSVFNUvaOlinQ", "3", "public/build.tar.gz")) with
                | Error(TaskclusterError.Redirect(_, Some l)) -> Expect.equal l target "the JSON form's Redirect"
                | other -> failtestf "expected a Redirect from the JSON form, got %A" other
            }

            test "a 2xx answer of a redirect method gives its url member; one without is InvalidResponse" {
                let ok =
                    new Answering(HttpStatusCode.OK, $$"""{"storageType":"reference","url":"{{target}}"}""", None)

                Expect.equal
                    (run (Queue(clientOf ok).Typed.GetLatestArtifact("fN1SbArXTPSVFNUvaOlinQ", "public/x")))
                    (Ok target)
                    "the url member"

                let bad = new Answering(HttpStatusCode.OK, """{"storageType":"reference"}""", None)

                match run (Index(clientOf bad).Typed.FindArtifactFromTask("a.b", "public/x")) with
                | Error(TaskclusterError.InvalidResponse(_, 200, e)) ->
                    Expect.stringContains (e.Describe()) "url" "names the missing member"
                | other -> failtestf "expected InvalidResponse, got %A" other
            }

            test "a 3xx without a Location stays a Redirect error" {
                let handler = new Answering(HttpStatusCode.SeeOther, "{}", None)

                match run (Queue(clientOf handler).Typed.GetArtifact("fN1SbArXTPSVFNUvaOlinQ", 0, "public/x")) with
                | Error(TaskclusterError.Redirect(_, None)) -> ()
                | other -> failtestf "expected a Redirect without location, got %A" other
            }

            test "limit is an int and quarantined a bool in the typed forms' query" {
                let handler = new Answering(HttpStatusCode.OK, "{}", None)
                let queue = Queue(clientOf handler)

                run (queue.Typed.ListTaskGroup("fN1SbArXTPSVFNUvaOlinQ", limit = 25)) |> ignore

                run (queue.Typed.ListWorkers("prov", "type", quarantined = true, limit = 2))
                |> ignore

                Expect.equal
                    (handler.Asked |> List.map _.Query)
                    [ "?limit=25"; "?limit=2&quarantined=true" ]
                    "rendered as the services read them"
            }
        ]
