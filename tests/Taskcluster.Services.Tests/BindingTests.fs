/// The generated binding builders agree with the JS client's exchange methods
/// (`../shared/vectors/bindings.json`), in both their forms.
module Taskcluster.Services.Tests.BindingTests

open System.Reflection
open System.Text.Json
open Expecto
open Microsoft.FSharp.Core
open Taskcluster.Core
open Taskcluster.Services.Tests.Support

type private Pattern =
    | Values of (string * string) list
    | Verbatim of string

let private decodePattern: Decoder<Pattern> =
    fun path element ->
        if element.ValueKind = JsonValueKind.String then
            Ok(Verbatim(element.GetString()))
        else
            Decode.keyValuePairs Decode.string path element |> Result.map Values

let private exchangeSet (className: string) =
    match Reference.tryFindExchanges className (references.Force()) with
    | Some r -> r
    | None -> failtestf "no exchange set %s" className

let private staticMethods (t: System.Type) name =
    t.GetMethods(BindingFlags.Public ||| BindingFlags.Static)
    |> Array.filter (fun m -> m.Name = name)

/// `QueueEvents.TaskDefined(pattern: BindingPattern)`.
let private byPattern (t: System.Type) (name: string) (pattern: BindingPattern) =
    let m =
        staticMethods t name
        |> Array.find (fun m ->
            let ps = m.GetParameters()
            ps.Length = 1 && ps[0].ParameterType = typeof<BindingPattern>)

    m.Invoke(null, [| box pattern |]) :?> Result<PulseBinding, RoutingKeyError>

/// `QueueEvents.TaskDefined(?taskId = …, ?runId = …)`: values for the parameters named like the
/// pattern's keys (keys that are not parameters cannot be passed, and are ignored anyway).
let private typed (t: System.Type) (name: string) (values: (string * string) list) =
    let m =
        staticMethods t name
        |> Array.find (fun m ->
            m.GetParameters()
            |> Array.forall (fun p -> p.ParameterType = typeof<string option>))

    let args =
        m.GetParameters()
        |> Array.map (fun p ->
            match values |> List.tryFind (fun (k, _) -> k = p.Name) with
            | Some(_, v) -> box (Some v)
            | None -> null)

    m.Invoke(null, args) :?> Result<PulseBinding, RoutingKeyError>

let private check (case: JsonElement) (label: string) (result: Result<PulseBinding, RoutingKeyError>) =
    match tryGet "result" Decode.element case, result with
    | Some expected, Ok binding ->
        Expect.equal binding.Exchange (get "exchange" Decode.string expected) $"{label}: exchange"
        Expect.equal binding.RoutingKeyPattern (get "routingKeyPattern" Decode.string expected) $"{label}: pattern"
    | Some expected, Error e -> failtestf "%s: expected %s, got %s" label (expected.GetRawText()) (e.Describe())
    | None, Ok binding -> failtestf "%s: expected an error, got %A" label binding
    | None, Error _ -> ()

let tests =
    testList
        "Bindings"
        [
            testList
                "vectors (bindings.json)"
                [
                    for case in vectors "bindings.json" do
                        let service = get "service" Decode.string case
                        let exchange = get "exchange" Decode.string case
                        let pattern = get "pattern" decodePattern case
                        let raw = get "pattern" Decode.element case

                        test $"{service}.{exchange} {raw.GetRawText()}" {
                            let set = exchangeSet service
                            let t = exchangesType set
                            let name = Taskcluster.Generator.Code.pascalCase exchange

                            match pattern with
                            | Verbatim p -> check case "verbatim" (byPattern t name (BindingPattern.Verbatim p))
                            | Values values ->
                                check case "map" (byPattern t name (BindingPattern.Values(Map.ofList values)))
                                check case "named arguments" (typed t name values)
                        }
                ]

            test "every exchange of every set has both forms" {
                for set in references.Force().Exchanges do
                    let t = exchangesType set

                    for e in set.Entries do
                        let name = Taskcluster.Generator.Code.pascalCase e.Name
                        let forms = staticMethods t name
                        Expect.equal forms.Length 2 $"{set.ClassName}.{name}"

                        let parts =
                            e.RoutingKey |> List.filter (fun p -> p.Constant.IsNone) |> List.map _.Name

                        let typedForm =
                            forms
                            |> Array.find (fun m ->
                                m.GetParameters()
                                |> Array.forall (fun p -> p.ParameterType = typeof<string option>))

                        Expect.equal
                            (typedForm.GetParameters() |> Array.map _.Name |> List.ofArray)
                            parts
                            $"{set.ClassName}.{name}: one optional parameter per routing-key part without a constant"
            }

            test "named arguments read well from F#" {
                let binding =
                    Taskcluster.Services.QueueEvents.TaskCompleted(taskId = "abc", runId = "0")
                    |> unwrap "binding"

                Expect.equal binding.Exchange "exchange/taskcluster-queue/v1/task-completed" "exchange"
                Expect.equal binding.RoutingKeyPattern "primary.abc.0.*.*.*.*.*.*.#" "pattern"
            }
        ]
