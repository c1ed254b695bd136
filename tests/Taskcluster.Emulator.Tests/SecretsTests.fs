/// The secrets service.
module Taskcluster.Emulator.Tests.SecretsTests

open System
open Expecto
open Taskcluster.Emulator
open Taskcluster.Emulator.Tests.Harness

let private secretBody (expires: string) =
    jobj [ "secret", jobj [ "password", jstr "hunter2" ]; "expires", jstr expires ]

let tests =
    testList
        "Secrets"
        [
            testCaseTask "set, get, remove" (fun () ->
                task {
                    let name = "project/" + slugId ()
                    let path = $"/secret/{Uri.EscapeDataString name}"
                    let! s = rootCall "PUT" "secrets" path (secretBody (fromNow (TimeSpan.FromDays 1.0)))
                    expectStatus s 200
                    let! g = rootCall "GET" "secrets" path null
                    expectStatus g 200
                    Expect.equal (string g.Json.["secret"].["password"]) "hunter2" "secret"
                    let! d = rootCall "DELETE" "secrets" path null
                    expectStatus d 200
                    let! gone = rootCall "GET" "secrets" path null
                    expectStatus gone 404
                    let! again = rootCall "DELETE" "secrets" path null
                    expectStatus again 404
                })
            testCaseTask "an expired secret answers 410 and is not listed" (fun () ->
                task {
                    use e = (Emulator.start (EmulatorOptions())).GetAwaiter().GetResult()
                    let c = Signer.creds e.ClientId e.AccessToken
                    let url = $"{e.RootUrl}/api/secrets/v1/secret/old"

                    let! s =
                        sendTo
                            (Header c)
                            "PUT"
                            url
                            (Some((secretBody (fromNow (TimeSpan.FromDays -1.0))).ToJsonString()))

                    expectStatus s 200
                    let! g = sendTo (Header c) "GET" url None
                    expectStatus g 410
                    Expect.equal g.Code "ResourceExpired" "code"
                    let! l = sendTo (Header c) "GET" $"{e.RootUrl}/api/secrets/v1/secrets" None
                    expectStatus l 200
                    Expect.equal (l.Json.["secrets"].AsArray().Count) 0 "not listed"
                })
            testCaseTask "list pages cover every secret exactly once" (fun () ->
                task {
                    use e = (Emulator.start (EmulatorOptions())).GetAwaiter().GetResult()
                    let c = Signer.creds e.ClientId e.AccessToken
                    let names = [ for i in 1..23 -> $"s/{i:D2}" ]

                    for n in names do
                        let! r =
                            sendTo
                                (Header c)
                                "PUT"
                                $"{e.RootUrl}/api/secrets/v1/secret/{Uri.EscapeDataString n}"
                                (Some((secretBody (fromNow (TimeSpan.FromDays 1.0))).ToJsonString()))

                        expectStatus r 200

                    let all, pages =
                        PaginationTests.pageAll
                            (fun token ->
                                let t =
                                    match token with
                                    | Some t -> "&continuationToken=" + Uri.EscapeDataString t
                                    | None -> ""

                                (sendTo (Header c) "GET" $"{e.RootUrl}/api/secrets/v1/secrets?limit=5{t}" None).Result)
                            (fun j -> j.["secrets"].AsArray() |> Seq.map id)
                            5

                    Expect.equal (all |> List.map string) names "every name once, in order"
                    Expect.equal pages 5 "pages of 5"
                })
            testCaseTask "an error never echoes the secret" (fun () ->
                task {
                    let c = clientWith [ "secrets:get:*" ]

                    let! r =
                        call (Header c) "PUT" "secrets" "/secret/nope" (secretBody (fromNow (TimeSpan.FromDays 1.0)))

                    expectStatus r 403
                    Expect.equal (string r.Json.["requestInfo"].["payload"].["secret"]) "(OMITTED)" "omitted"
                    Expect.isFalse (r.Text.Contains "hunter2") "not in the body"
                })
            testCaseTask "get needs secrets:get:<name>" (fun () ->
                task {
                    let c = clientWith [ "secrets:get:allowed/*" ]
                    let! r = call (Header c) "GET" "secrets" "/secret/denied" null
                    expectStatus r 403
                    Expect.stringContains r.Message "secrets:get:denied" "missing scope"
                })
        ]
