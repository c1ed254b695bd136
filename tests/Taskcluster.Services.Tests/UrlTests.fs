/// URLs built by method name through every generated client agree with the JS client
/// (`../shared/vectors/api-urls.json`), and signed ones carry a bewit.
module Taskcluster.Services.Tests.UrlTests

open System
open System.Text.Json
open Expecto
open Taskcluster.Core
open Taskcluster.Client
open Taskcluster.Services
open Taskcluster.Services.Tests.Support

let private client (rootUrl: string) =
    Options.create rootUrl
    |> Options.withCredentials "tester" "no-secret"
    |> Client.create
    |> unwrap "creating a client"

let private service (className: string) (client: TaskclusterClient) =
    match Reference.tryFindApi className (references.Force()) with
    | Some api -> Activator.CreateInstance(serviceType api, [| box client |]) :?> ApiClient
    | None -> failtestf "no API %s" className

let tests =
    testList
        "Urls"
        [
            testList
                "vectors (api-urls.json)"
                [
                    for case in vectors "api-urls.json" do
                        let className = get "service" Decode.string case
                        let methodName = get "method" Decode.string case

                        test $"{className}.{methodName} {case.GetRawText()}" {
                            let c = client (get "rootUrl" Decode.string case)
                            let args = get "args" (Decode.list Decode.string) case

                            let query =
                                tryGet "query" (Decode.keyValuePairs Decode.string) case
                                |> Option.defaultValue []

                            let url = (service className c).BuildUrl(methodName, args, query)

                            // Stricter than the JS client (see Route): `.`, `..` and empty arguments
                            // would be removed or collapsed by URL normalisation, so they are refused.
                            let refused = args |> List.exists (fun a -> a = "" || a = "." || a = "..")

                            match (if refused then None else tryGet "result" Decode.string case), url with
                            | Some expected, Ok actual -> Expect.equal actual expected "URL"
                            | Some expected, Error e -> failtestf "expected %s, got %s" expected (e.Describe())
                            | None, Ok actual -> failtestf "expected an error, got %s" actual
                            | None, Error(TaskclusterError.InvalidRequest(_, RequestError.InvalidRoute _)) -> ()
                            | None, Error e -> failtestf "expected a refused route, got %s" (e.Describe())
                        }
                ]

            test "an unknown method name is an error naming it" {
                match Queue(client "https://tc.example.com").BuildUrl("noSuchMethod") with
                | Error(TaskclusterError.InvalidRequest(name, RequestError.UnknownMethod "noSuchMethod")) ->
                    Expect.equal name "queue.noSuchMethod" "name"
                | other -> failtestf "expected UnknownMethod, got %A" other
            }

            test "a signed URL of a GET method carries a bewit" {
                let url =
                    Queue(client "https://tc.example.com")
                        .BuildSignedUrl("task", [ "abc" ], expiration = TimeSpan.FromMinutes 5.0)
                    |> unwrap "signing"

                Expect.stringStarts url "https://tc.example.com/api/queue/v1/task/abc?bewit=" "signed"
            }

            test "signing a method that is not a GET is an error" {
                match Queue(client "https://tc.example.com").BuildSignedUrl("createTask", [ "abc" ]) with
                | Error(TaskclusterError.InvalidRequest(_, RequestError.NotGet "PUT")) -> ()
                | other -> failtestf "expected NotGet, got %A" other
            }
        ]
