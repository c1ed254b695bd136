module Taskcluster.Client.Tests.PagingTests

open System
open System.Collections.Generic
open System.Text.Json
open System.Threading
open System.Threading.Tasks
open Expecto
open FsCheck
open FsCheck.FSharp
open Taskcluster.Core
open Taskcluster.Client
open Taskcluster.Client.Tests.TestServer
open Taskcluster.Client.Tests.Fixtures

/// Serves items 0..count-1 in pages of `pageSize`, the continuation token being an opaque
/// text for the next index; a page may come out empty (`emptyEvery`) and still continue.
let private paged (count: int) (pageSize: int) : Reply =
    fun r ctx ->
        let start =
            match r.Query.TryFind "continuationToken" with
            | Some token -> int (Text.Encoding.UTF8.GetString(Convert.FromBase64String token))
            | None -> 0

        let stop = min count (start + pageSize)
        let items = [ for i in start .. stop - 1 -> Encode.object [ "n", Encode.int i ] ]

        let members =
            [
                "things", Encode.list items
                "prefix", Encode.string (r.Query.TryFind "prefix" |> Option.defaultValue "")
            ]
            @ (if stop < count then
                   [
                       "continuationToken",
                       Encode.string (Convert.ToBase64String(Text.Encoding.UTF8.GetBytes(string stop)))
                   ]
               else
                   [])

        Reply.json 200 (Encode.toString (Encode.object members)) r ctx

let private numbers (items: JsonElement list) =
    items |> List.map (fun i -> i.GetProperty("n").GetInt32())

let private toList source =
    Pages.toList source CancellationToken.None |> run

let private completeness =
    testPropertyWithConfig
        { FsCheckConfig.defaultConfig with
            maxTest = 25
        }
        "every item comes exactly once, in order, over ceil(n/k) pages"
    <| (let server = lazy (start ())

        Prop.forAll (Arb.fromGen (Gen.zip (Gen.choose (0, 40)) (Gen.choose (1, 7)))) (fun (count, pageSize) ->
            let server = server.Force()
            server.Default <- paged count pageSize
            let client = clientFor server id
            let before = server.Requests.Length

            let items =
                Client.items None client fakeReference listThings [] [ "prefix", "p" ] Payload.Empty
                |> toList
                |> expectOk "items"

            let requests = server.Requests |> List.skip before
            let expectedPages = max 1 ((count + pageSize - 1) / pageSize)

            numbers items = [ 0 .. count - 1 ]
            && requests.Length = expectedPages
            && requests
               |> List.forall (fun r -> r.Query.TryFind "prefix" = Some "p" && r.Auth.IsAuthenticated)))

let private tests' =
    [
        completeness

        test "pages follow continuationToken and keep the other query parameters" {
            use server = start ()
            server.Default <- paged 10 4
            let client = clientFor server id

            let pages =
                Client.pages client fakeReference listThings [] [ "limit", "4"; "prefix", "x" ] Payload.Empty
                |> toList
                |> expectOk "pages"

            Expect.equal pages.Length 3 "three pages"

            let tokens =
                server.Requests |> List.map (fun r -> r.Query.TryFind "continuationToken")

            let given = pages |> List.map (fun p -> p.TryGetProperty "continuationToken" |> fst)
            Expect.equal tokens.Head None "no token on the first request"
            Expect.equal (given |> List.filter id).Length 2 "two pages carry a token"

            for r in server.Requests do
                Expect.equal (r.Query.TryFind "limit") (Some "4") "limit kept"
                Expect.equal (r.Query.TryFind "prefix") (Some "x") "prefix kept"
        }

        test "a continuationToken given by the caller resumes the listing" {
            use server = start ()
            server.Default <- paged 10 4
            let client = clientFor server id
            let token = Convert.ToBase64String(Text.Encoding.UTF8.GetBytes "8")

            let items =
                Client.items None client fakeReference listThings [] [ "continuationToken", token ] Payload.Empty
                |> toList
                |> expectOk "items"

            Expect.equal (numbers items) [ 8; 9 ] "from item 8"
        }

        test "the sequence is lazy: one page asked for, one request sent" {
            use server = start ()
            server.Default <- paged 100 10
            let client = clientFor server id

            let enumerator =
                (Client.pages client fakeReference listThings [] [] Payload.Empty)
                    .GetAsyncEnumerator(CancellationToken.None)

            Expect.isTrue (enumerator.MoveNextAsync().AsTask() |> run) "a first page"
            Expect.equal server.Requests.Length 1 "one request"
            Expect.isTrue (enumerator.MoveNextAsync().AsTask() |> run) "a second page"
            Expect.equal server.Requests.Length 2 "two requests"
        }

        test "enumerating again starts again" {
            use server = start ()
            server.Default <- paged 5 2
            let client = clientFor server id
            let source = Client.items None client fakeReference listThings [] [] Payload.Empty
            let first = source |> toList |> expectOk "first"
            let second = source |> toList |> expectOk "second"
            Expect.equal (numbers first) (numbers second) "same items"
            Expect.equal server.Requests.Length 6 "three pages twice"
        }

        test "a failing page ends the sequence with its error" {
            use server = start ()
            server.Enqueue(paged 10 3, Reply.error 500 "InternalServerError" "boom")
            server.Default <- Reply.error 500 "InternalServerError" "boom"
            let client = clientFor server (fun o -> { o with MaxRetries = 1 })

            let elements =
                Client.pages client fakeReference listThings [] [] Payload.Empty
                |> fun s -> Pages.fold (fun acc p -> p :: acc) [] s CancellationToken.None |> run

            match elements with
            | Error(TaskclusterError.ServerError e) -> Expect.equal e.Attempts 2 "retried, then given up"
            | other -> failtestf "unexpected %A" other

            Expect.equal server.Requests.Length 3 "one page, then two attempts at the second"

            let all =
                let e =
                    (Client.pages client fakeReference listThings [] [] Payload.Empty)
                        .GetAsyncEnumerator(CancellationToken.None)

                [
                    while e.MoveNextAsync().AsTask() |> run do
                        yield e.Current
                ]

            Expect.equal all.Length 1 "only the error: the sequence stops there"
            Expect.isTrue all.Head.IsError "an error"
        }

        test "paginate calls the handler on every page (the paginationHandler form)" {
            use server = start ()
            server.Default <- paged 7 3
            let client = clientFor server id
            let seen = List<int>()

            Client.paginate
                client
                fakeReference
                listThings
                []
                []
                Payload.Empty
                (fun page ->
                    for item in page.GetProperty("things").EnumerateArray() do
                        seen.Add(item.GetProperty("n").GetInt32())

                    Task.CompletedTask)
                CancellationToken.None
            |> run
            |> expectOk "paginate"

            Expect.equal (List.ofSeq seen) [ 0..6 ] "every item"
            Expect.equal server.Requests.Length 3 "three pages"
        }

        test "a POST listing sends its payload with every page" {
            use server = start ()
            server.Default <- paged 5 2
            let client = clientFor server id

            Client.items (Some "things") client fakeReference searchThings [] [] (Payload.Text """{"q":1}""")
            |> toList
            |> expectOk "search"
            |> ignore

            Expect.equal server.Requests.Length 3 "three pages"

            for r in server.Requests do
                Expect.equal r.BodyText """{"q":1}""" "payload"
        }

        test "a method without continuationToken cannot be paged" {
            use server = start ()
            let client = clientFor server id

            match Client.pages client fakeReference ping [] [] Payload.Empty |> toList with
            | Error(TaskclusterError.InvalidRequest(_, RequestError.NotPaginated)) -> ()
            | other -> failtestf "unexpected %A" other

            Expect.isEmpty server.Requests "nothing sent"
        }

        test "items need one array member, or a named one" {
            use server = start ()
            server.Default <- Reply.json 200 """{"a":[1],"b":[2]}"""
            let client = clientFor server id

            match Client.items None client fakeReference listThings [] [] Payload.Empty |> toList with
            | Error(TaskclusterError.InvalidRequest(_, RequestError.NoItems reason)) ->
                Expect.stringContains reason "a, b" "names the candidates"
            | other -> failtestf "unexpected %A" other

            let named =
                Client.items (Some "b") client fakeReference listThings [] [] Payload.Empty
                |> toList
                |> expectOk "named"

            Expect.equal (named |> List.map _.GetInt32()) [ 2 ] "the named member"

            match
                Client.items (Some "c") client fakeReference listThings [] [] Payload.Empty
                |> toList
            with
            | Error(TaskclusterError.InvalidRequest(_, RequestError.NoItems _)) -> ()
            | other -> failtestf "unexpected %A" other
        }

        test "cancellation comes from GetAsyncEnumerator's token" {
            use server = start ()
            server.Default <- paged 100 1
            let client = clientFor server id
            use cts = new CancellationTokenSource()
            let mutable count = 0

            let iterate () =
                Pages.iter
                    (fun _ ->
                        task {
                            count <- count + 1

                            if count = 3 then
                                cts.Cancel()
                        })
                    (Client.items None client fakeReference listThings [] [] Payload.Empty)
                    cts.Token
                |> run
                |> ignore

            expectCancelled "cancelled" iterate
            Expect.equal count 3 "stopped after the third item"
        }
    ]

let tests = testList "Paging" tests'
