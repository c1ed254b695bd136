namespace Taskcluster.Pulse

open System
open System.Collections.Generic
open System.Text
open System.Text.Json
open Taskcluster.Core
open Taskcluster.Services

[<NoComparison; CustomEquality>]
type PulseMessage =
    {
        Exchange: string
        RoutingKey: string
        RoutingKeyFields: Map<string, string>
        Routes: string list
        Redelivered: bool
        Body: JsonElement
    }

    // JsonElement has no structural equality: compare bodies by their text.
    override this.Equals(other: obj) =
        match other with
        | :? PulseMessage as o ->
            this.Exchange = o.Exchange
            && this.RoutingKey = o.RoutingKey
            && this.RoutingKeyFields = o.RoutingKeyFields
            && this.Routes = o.Routes
            && this.Redelivered = o.Redelivered
            && this.Body.GetRawText() = o.Body.GetRawText()
        | _ -> false

    override this.GetHashCode() =
        hash (this.Exchange, this.RoutingKey, this.Body.GetRawText())

type PulseMessage<'T> = { Message: PulseMessage; Body: 'T }

[<RequireQualifiedAccess>]
type PulseMessageError =
    | NotJson of exchange: string * routingKey: string * reason: string

    member this.Describe() =
        match this with
        | NotJson(exchange, routingKey, reason) ->
            $"the message on '{exchange}' with routing key '{routingKey}' is not JSON: {reason}"

[<RequireQualifiedAccess>]
module PulseMessage =
    let knownExchanges: IReadOnlyDictionary<string, RoutingKeyPart list> =
        [
            AuthEventsReference.reference
            GithubEventsReference.reference
            HooksEventsReference.reference
            NotifyEventsReference.reference
            QueueEventsReference.reference
            WorkerManagerEventsReference.reference
        ]
        |> List.collect (fun r -> r.Entries |> List.map (fun e -> r.ExchangePrefix + e.Exchange, e.RoutingKey))
        |> dict
        |> fun d -> Dictionary<string, RoutingKeyPart list>(d) :> IReadOnlyDictionary<_, _>

    let routes (cc: string seq) =
        cc
        |> Seq.filter (fun c -> not (isNull c) && c.StartsWith("route.", StringComparison.Ordinal))
        |> Seq.map (fun c -> c.Substring "route.".Length)
        |> List.ofSeq

    let ccOfHeader (header: obj) =
        let text (o: obj) =
            match o with
            | :? (byte array) as b -> Some(Encoding.UTF8.GetString b)
            | :? string as s -> Some s
            | _ -> None

        match header with
        | :? System.Collections.IEnumerable as items when not (header :? string) && not (header :? (byte array)) ->
            [
                for o in items do
                    match text o with
                    | Some s -> s
                    | None -> ()
            ]
        | o -> text o |> Option.toList

    /// A routing-key layout made ready once: the same result as `RoutingKey.parse`, without
    /// rebuilding the layout (arrays, the multi-word position) for every message.
    [<Sealed>]
    type private Layout(parts: RoutingKeyPart list) =
        let names = parts |> List.map (fun p -> p.Name) |> Array.ofList
        let constants = parts |> List.map (fun p -> Option.toObj p.Constant) |> Array.ofList
        let multi = parts |> List.filter (fun p -> p.MultipleWords) |> List.length

        let at =
            parts |> List.tryFindIndex (fun p -> p.MultipleWords) |> Option.defaultValue -1

        /// The fields, or the empty map when the key does not fit (as `RoutingKey.parse` errors).
        member _.Fields(routingKey: string) =
            let n = names.Length

            let words =
                if n = 0 && routingKey.Length = 0 then
                    Array.empty
                else
                    routingKey.Split '.'

            // Folded in part order with Map.add, so a repeated name keeps its last value.
            let rec build (i: int) (m: Map<string, string>) (value: int -> string) =
                if i = n then
                    m
                else
                    let v = value i

                    match constants[i] with
                    | null -> build (i + 1) (Map.add names[i] v m) value
                    | c when c = v -> build (i + 1) (Map.add names[i] v m) value
                    | _ -> Map.empty

            match multi with
            | 0 when words.Length = n -> build 0 Map.empty (fun i -> words[i])
            | 0 -> Map.empty
            | 1 when words.Length >= n - 1 ->
                let middle = words.Length - n + 1

                build 0 Map.empty (fun i ->
                    if i < at then words[i]
                    elif i = at then String.Join('.', words, at, middle)
                    else words[i + middle - 1])
            | 1 -> Map.empty
            // Several multi-word parts cannot be split unambiguously (RoutingKey.parse refuses too).
            | _ -> Map.empty

    // Keyed by the part list itself: the generated references and bindings hand out the same
    // list for an exchange every time, and an entry goes when its list is collected.
    let private layouts =
        System.Runtime.CompilerServices.ConditionalWeakTable<RoutingKeyPart list, Layout>()

    let private layoutOf (parts: RoutingKeyPart list) =
        layouts.GetValue(parts, fun p -> Layout p)

    let private fields (parts: RoutingKeyPart list) (routingKey: string) =
        if isNull routingKey then
            Map.empty
        else
            (layoutOf parts).Fields routingKey

    let ofDelivery
        (lookup: string -> RoutingKeyPart list option)
        exchange
        routingKey
        (cc: string list)
        redelivered
        (body: ReadOnlyMemory<byte>)
        =
        try
            // Parsed in place and cloned out: one copy of the bytes (the delivery's buffer is
            // reused once the handler returns), and the pooled parse state goes back at once.
            use doc = JsonDocument.Parse body

            Ok
                {
                    Exchange = exchange
                    RoutingKey = routingKey
                    RoutingKeyFields =
                        match lookup exchange with
                        | Some p -> fields p routingKey
                        | None -> Map.empty
                    Routes = routes cc
                    Redelivered = redelivered
                    Body = doc.RootElement.Clone()
                }
        with :? JsonException as e ->
            Error(PulseMessageError.NotJson(exchange, routingKey, e.Message))

    let decode (decoder: JsonElement -> Result<'T, 'E>) (message: PulseMessage) =
        decoder message.Body
        |> Result.map (fun body -> { Message = message; Body = body })
