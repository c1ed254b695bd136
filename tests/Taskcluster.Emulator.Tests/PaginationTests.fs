/// Pagination: every item exactly once, `limit` honoured, garbage tokens refused.
module Taskcluster.Emulator.Tests.PaginationTests

open System
open System.Text.Json.Nodes
open Expecto
open FsCheck
open FsCheck.FSharp
open Taskcluster.Emulator.Internal
open Taskcluster.Emulator.Tests.Harness

/// Follows continuation tokens, checking each page against the limit.
let pageAll (fetch: string option -> Response) (items: JsonNode -> JsonNode seq) (limit: int) =
    let rec go token acc pages =
        let r = fetch token
        expectStatus r 200
        let page = items r.Json |> Seq.toList

        if page.Length > limit then
            failtestf "page of %d items over limit %d" page.Length limit

        match r.Json.["continuationToken"] with
        | null -> acc @ page, pages + 1
        | t when pages < 1000 -> go (Some(string t)) (acc @ page) (pages + 1)
        | _ -> failtest "too many pages"

    go None [] 0

let private tokenQuery (token: string option) =
    match token with
    | Some t -> "&continuationToken=" + Uri.EscapeDataString t
    | None -> ""

let private clientsProperty =
    testPropertyWithConfig
        { FsCheckConfig.defaultConfig with
            maxTest = 12
        }
        "listClients pages cover every client exactly once"
    <| Prop.forAll (Arb.fromGen (Gen.zip (Gen.choose (0, 40)) (Gen.choose (1, 12)))) (fun (n, limit) ->
        let e = shared.Force()
        let prefix = $"page/{slugId ()}/"
        let ids = [ for i in 1..n -> $"{prefix}{i:D3}" ]

        for id in ids do
            e.State.CreateClient(id, "token-" + id, [])

        let all, pages =
            pageAll
                (fun token ->
                    (rootCall
                        "GET"
                        "auth"
                        $"/clients/?prefix={Uri.EscapeDataString prefix}&limit={limit}{tokenQuery token}"
                        null)
                        .Result)
                (fun j -> j.["clients"].AsArray() |> Seq.map (fun c -> c.["clientId"]))
                limit

        let seen = all |> List.map string
        seen = ids && pages = max 1 ((n + limit - 1) / limit))

let private indexProperty =
    testPropertyWithConfig
        { FsCheckConfig.defaultConfig with
            maxTest = 8
        }
        "index listTasks pages cover every task exactly once"
    <| Prop.forAll (Arb.fromGen (Gen.zip (Gen.choose (0, 30)) (Gen.choose (1, 7)))) (fun (n, limit) ->
        let ns = "pages." + (slugId ()).Replace("-", "x").Replace("_", "y")

        for i in 1..n do
            let body =
                jobj
                    [
                        "taskId", jstr (slugId ())
                        "rank", jint 0L
                        "data", jobj []
                        "expires", jstr (fromNow (TimeSpan.FromDays 1.0))
                    ]

            (rootCall "PUT" "index" $"/task/{ns}.t{i:D3}" body).Result
            |> fun r -> expectStatus r 200

        let all, _ =
            pageAll
                (fun token -> (rootCall "GET" "index" $"/tasks/{ns}?limit={limit}{tokenQuery token}" null).Result)
                (fun j -> j.["tasks"].AsArray() |> Seq.map (fun t -> t.["namespace"]))
                limit

        (all |> List.map string) = [ for i in 1..n -> $"{ns}.t{i:D3}" ])

let tests =
    testList
        "Pagination"
        [
            clientsProperty
            indexProperty
            testPropertyWithConfig
                { FsCheckConfig.defaultConfig with
                    maxTest = 200
                }
                "tokens round-trip and garbage is refused"
            <| Prop.forAll (Arb.fromGen (ArbMap.defaults |> ArbMap.generate<string>)) (fun (s: string) ->
                let s = if isNull s then "" else s

                Pagination.tryDecode (Pagination.encode s) = Some s
                && (Pagination.tryDecode s).IsNone)
            test "a page after a token starts after its key, even when items were added" {
                let items = [| for i in 1..10 -> $"k{i:D2}", i |]
                let first, token = Pagination.page items None 3
                Expect.equal first [ 1; 2; 3 ] "first page"
                let grown = Array.append items [| "k00", 0 |] |> Array.sortBy fst
                let second, _ = Pagination.page grown token 3
                Expect.equal second [ 4; 5; 6 ] "second page unaffected by the insertion before it"
            }
            testCaseTask "a garbage continuationToken answers 400" (fun () ->
                task {
                    let! r = rootCall "GET" "auth" "/clients/?continuationToken=not-a-token" null
                    expectStatus r 400
                    Expect.equal r.Code "InvalidRequestArguments" "code"
                })
            testCaseTask "limit is clamped to the maximum and garbage limits are refused" (fun () ->
                task {
                    let! r = rootCall "GET" "auth" "/roles2/?limit=100000" null
                    expectStatus r 200
                    let! bad = rootCall "GET" "auth" "/roles2/?limit=abc" null
                    expectStatus bad 400
                })
        ]
