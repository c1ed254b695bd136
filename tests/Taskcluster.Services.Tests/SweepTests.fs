/// Every generated method of every service, invoked once against the emulator: the request a
/// recording handler sees has the method, path, query and body the references name, and the
/// emulator (an independent router) routes it to the method of that name.
module Taskcluster.Services.Tests.SweepTests

open System
open System.Collections.Concurrent
open System.Collections.Generic
open System.Net.Http
open System.Reflection
open System.Text
open System.Text.Json
open System.Threading
open System.Threading.Tasks
open Expecto
open Taskcluster.Core
open Taskcluster.Client
open Taskcluster.Emulator
open Taskcluster.Services
open Taskcluster.Services.Tests.Support

/// One request as it left the client.
type Sent =
    {
        Method: string
        Uri: Uri
        Body: byte[]
    }

/// Records every request, then sends it on.
type Recorder() =
    inherit DelegatingHandler(new SocketsHttpHandler(AllowAutoRedirect = false))
    let sent = ConcurrentQueue<Sent>()

    member _.Sent = List.ofSeq sent
    member _.Clear() = sent.Clear()

    member private this.Forward(request, cancellationToken) =
        base.SendAsync(request, cancellationToken)

    override this.SendAsync(request: HttpRequestMessage, cancellationToken: CancellationToken) =
        task {
            let! body =
                match request.Content with
                | null -> Task.FromResult [||]
                | content -> content.ReadAsByteArrayAsync cancellationToken

            sent.Enqueue
                {
                    Method = request.Method.Method
                    Uri = request.RequestUri
                    Body = body
                }

            return! this.Forward(request, cancellationToken)
        }

/// A started emulator and a client of its root credentials sending through a recorder. No
/// retries: unimplemented methods answer 501, which is not worth retrying here.
type private Rig =
    {
        Emulator: EmulatorInstance
        Recorder: Recorder
        Client: TaskclusterClient
    }

let private rig =
    lazy
        (let emulator = run (Emulator.start (EmulatorOptions()))
         let recorder = new Recorder()

         let options =
             Options.create emulator.RootUrl
             |> Options.withCredentials emulator.ClientId emulator.AccessToken

         let client =
             { options with
                 MaxRetries = 0
                 HttpMessageHandler = Some(recorder :> HttpMessageHandler)
                 // The probe bodies are not what the schemas ask for: they are sent to be routed.
                 ValidateRequests = false
             }
             |> Client.create
             |> unwrap "creating the client"

         {
             Emulator = emulator
             Recorder = recorder
             Client = client
         })

/// The value given for a route argument: a space makes the encoding visible.
let private argValue (name: string) = $"{name} 1"

/// The value given for a query parameter.
let private queryValue (name: string) = $"{name}-v"

let private probe (api: ApiReference) (entry: ApiEntry) =
    Json.Object [ "probe", Json.String $"{api.ServiceName}.{entry.Name}" ]

/// What the request must look like, built from the reference alone.
let private expected (api: ApiReference) (entry: ApiEntry) (withQuery: bool) =
    let path =
        entry.Args
        |> List.fold
            (fun (route: string) arg -> route.Replace($"<{arg}>", Uri.EscapeDataString(argValue arg)))
            entry.Route

    let query =
        if withQuery then
            entry.Query |> List.map (fun q -> q, queryValue q) |> List.sort
        else
            []

    let body =
        match entry.Input with
        | Some _ -> Encoding.UTF8.GetBytes(Encode.toString (probe api entry))
        | None -> [||]

    $"/api/{api.ServiceName}/{api.ApiVersion}{path}", query, body

let private parseQuery (uri: Uri) =
    if uri.Query.Length <= 1 then
        []
    else
        uri.Query.Substring(1).Split('&')
        |> Array.map (fun pair ->
            match pair.Split('=', 2) with
            | [| k; v |] -> Uri.UnescapeDataString k, Uri.UnescapeDataString v
            | _ -> pair, "")
        |> List.ofArray
        |> List.sort

/// Runs one call and checks the one request it sent, and where the emulator routed it.
let private checkCall (api: ApiReference) (entry: ApiEntry) (label: string) (withQuery: bool) (call: unit -> unit) =
    let r = rig.Force()
    r.Recorder.Clear()
    let before = r.Emulator.State.Requests.Count
    call ()

    match r.Recorder.Sent with
    | [ sent ] ->
        let path, query, body = expected api entry withQuery
        Expect.equal sent.Method entry.Method.Name $"{label}: HTTP method"
        Expect.equal sent.Uri.AbsolutePath path $"{label}: path"
        Expect.equal (parseQuery sent.Uri) query $"{label}: query"
        Expect.equal (Encoding.UTF8.GetString sent.Body) (Encoding.UTF8.GetString body) $"{label}: body"
    | other -> failtestf "%s: expected one request, the client sent %d" label other.Length

    let requests = r.Emulator.State.Requests
    Expect.equal requests.Count (before + 1) $"{label}: the emulator answered one request"
    let answered = requests[requests.Count - 1]
    Expect.equal (answered.Service, answered.Method) (api.ServiceName, entry.Name) $"{label}: routed to"

let private methodOf (t: Type) (name: string) =
    match t.GetMethod(name, BindingFlags.Public ||| BindingFlags.Instance) with
    | null -> failtestf "%s has no member %s" t.Name name
    | m -> m

/// The arguments of a generated member, checking its parameters against the reference: route
/// arguments by name, the payload when the entry has input, `extra`, then every query parameter
/// (optional), then optionally the token.
let private arguments (api: ApiReference) (entry: ApiEntry) (m: MethodInfo) (extra: obj list) (token: bool) =
    let expectedNames =
        entry.Args
        @ (if entry.Input.IsSome then [ "payload" ] else [])
        @ (if extra.IsEmpty then [] else [ "handler" ])
        @ entry.Query
        @ (if token then [ "cancellationToken" ] else [])

    Expect.equal
        (m.GetParameters() |> Array.map _.Name |> List.ofArray)
        expectedNames
        $"{api.ServiceName}.{m.Name}: parameters"

    [|
        for a in entry.Args do
            box (argValue a)
        if entry.Input.IsSome then
            box (Payload.Json(probe api entry))
        yield! extra
        for q in entry.Query do
            box (Some(queryValue q))
        if token then
            box (Some CancellationToken.None)
    |]

let private firstOf (sequence: IAsyncEnumerable<Result<JsonElement, TaskclusterError>>) =
    task {
        let e = sequence.GetAsyncEnumerator()

        try
            let! _ = e.MoveNextAsync()
            return ()
        finally
            e.DisposeAsync().AsTask().Wait()
    }

let private apiTests (api: ApiReference) =
    let t = serviceType api

    testList
        api.ServiceName
        [
            for entry in api.Entries do
                let name = Taskcluster.Generator.Code.pascalCase entry.Name

                test entry.Name {
                    let service = Activator.CreateInstance(t, [| box (rig.Force().Client) |])
                    let m = methodOf t name
                    let args = arguments api entry m [] true

                    checkCall api entry name true (fun () ->
                        m.Invoke(service, args) :?> Task<Result<JsonElement, TaskclusterError>>
                        |> run
                        |> ignore)

                    // The unparsed form of a method with a response schema sends the same request.
                    if entry.Output.IsSome then
                        let utf8 = methodOf t (name + "Utf8")
                        let utf8Args = arguments api entry utf8 [] true

                        checkCall api entry (name + "Utf8") true (fun () ->
                            utf8.Invoke(service, utf8Args) :?> Task<Result<ReadOnlyMemory<byte>, TaskclusterError>>
                            |> run
                            |> ignore)

                    let generic = service :?> ApiClient

                    checkCall api entry $"Call(\"{entry.Name}\")" true (fun () ->
                        generic.Call(
                            entry.Name,
                            entry.Args |> List.map argValue,
                            (if entry.Input.IsSome then
                                 Payload.Json(probe api entry)
                             else
                                 Payload.Empty),
                            entry.Query |> List.map (fun q -> q, queryValue q)
                        )
                        |> run
                        |> ignore)

                    if List.contains "continuationToken" entry.Query then
                        for suffix in [ "Pages"; "Items" ] do
                            let pages = methodOf t (name + suffix)

                            checkCall api entry (name + suffix) true (fun () ->
                                pages.Invoke(service, arguments api entry pages [] false)
                                :?> IAsyncEnumerable<Result<JsonElement, TaskclusterError>>
                                |> firstOf
                                |> run)

                        let forEach = methodOf t (name + "ForEachPage")
                        let handler = box (fun (_: JsonElement) -> Task.CompletedTask)

                        checkCall api entry (name + "ForEachPage") true (fun () ->
                            forEach.Invoke(service, arguments api entry forEach [ handler ] true)
                            :?> Task<Result<unit, TaskclusterError>>
                            |> run
                            |> ignore)
                }
        ]

let tests =
    testSequenced
    <| testList
        "Every method against the emulator"
        [
            test "every generated member is a method of the reference (or one of its page forms)" {
                for api in references.Force().Apis do
                    let t = serviceType api

                    let names =
                        api.Entries
                        |> List.collect (fun e ->
                            let n = Taskcluster.Generator.Code.pascalCase e.Name

                            [
                                n
                                if e.Output.IsSome then
                                    n + "Utf8"
                                if List.contains "continuationToken" e.Query then
                                    yield! [ n + "Pages"; n + "Items"; n + "ForEachPage" ]
                            ])
                        |> List.sort

                    let declared =
                        t.GetMethods(BindingFlags.Public ||| BindingFlags.Instance ||| BindingFlags.DeclaredOnly)
                        |> Array.map _.Name
                        |> Array.filter (fun n -> not (n.StartsWith "get_"))
                        |> List.ofArray
                        |> List.sort

                    Expect.equal declared names $"{api.ServiceName}: members"
            }

            yield! references.Force().Apis |> List.map apiTests
        ]
