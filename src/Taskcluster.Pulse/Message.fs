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

    let private fields (parts: RoutingKeyPart list) (routingKey: string) =
        let entry =
            {
                Name = ""
                Exchange = ""
                Title = ""
                Description = ""
                RoutingKey = parts
                Schema = ""
            }

        match RoutingKey.parse entry routingKey with
        | Ok m -> m
        | Error _ -> Map.empty

    let ofDelivery
        (lookup: string -> RoutingKeyPart list option)
        exchange
        routingKey
        (cc: string list)
        redelivered
        (body: ReadOnlyMemory<byte>)
        =
        try
            // Copied: the delivery's buffer is reused once the handler returns.
            use doc = JsonDocument.Parse(body.ToArray())

            Ok
                {
                    Exchange = exchange
                    RoutingKey = routingKey
                    RoutingKeyFields =
                        lookup exchange
                        |> Option.map (fun p -> fields p routingKey)
                        |> Option.defaultValue Map.empty
                    Routes = routes cc
                    Redelivered = redelivered
                    Body = doc.RootElement.Clone()
                }
        with :? JsonException as e ->
            Error(PulseMessageError.NotJson(exchange, routingKey, e.Message))

    let decode (decoder: JsonElement -> Result<'T, 'E>) (message: PulseMessage) =
        decoder message.Body
        |> Result.map (fun body -> { Message = message; Body = body })
