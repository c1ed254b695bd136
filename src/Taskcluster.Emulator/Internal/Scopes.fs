namespace Taskcluster.Emulator.Internal

open System
open System.Collections.Generic
open System.Text.Json
open System.Text.Json.Nodes
open Taskcluster.Core

/// Bridges between the emulator's System.Text.Json nodes and the core's `Json` values.
[<RequireQualifiedAccess>]
module internal CoreJson =
    let rec ofNode (node: JsonNode) : Json =
        match node with
        | null -> Json.Null
        | :? JsonObject as o -> Json.Object [ for KeyValue(k, v) in o -> k, ofNode v ]
        | :? JsonArray as a -> Json.Array [ for v in a -> ofNode v ]
        | :? JsonValue as v ->
            match v.GetValueKind() with
            | JsonValueKind.String -> Json.String(v.GetValue<string>())
            | JsonValueKind.True -> Json.Bool true
            | JsonValueKind.False -> Json.Bool false
            | JsonValueKind.Number ->
                match v.TryGetValue<int64>() with
                | true, i -> Json.Integer i
                | _ -> Json.Number(v.GetValue<double>())
            | _ -> Json.Null
        | _ -> Json.Null

    let toNode (json: Json) : JsonNode = JsonNode.Parse(Encode.toString json)

/// The scope algebra, from the core's `Scope` module, in the shapes the emulator uses.
[<RequireQualifiedAccess>]
module internal Scopes =
    let valid (scope: string) = Scope.validScope scope

    let satisfiesScope (scopes: string array) (scope: string) =
        let mutable found = false
        let mutable i = 0

        while not found && i < scopes.Length do
            found <- Scope.patternMatch scopes[i] scope
            i <- i + 1

        found

    let satisfies (scopes: string array) (expr: ScopeExpression) =
        match expr with
        | ScopeExpression.Scope s -> satisfiesScope scopes s
        | e -> Scope.satisfiesExpression scopes e

    let removeGiven (scopes: string array) (expr: ScopeExpression) = Scope.removeGivenScopes scopes expr

    let toJson (expr: ScopeExpression) =
        CoreJson.toNode (Scope.encodeExpression expr)

    /// An expression as readable text: the scope itself, or indented JSON.
    let describe (expr: ScopeExpression) =
        match expr with
        | ScopeExpression.Scope s -> s
        | e -> (toJson e).ToJsonString(JsonSerializerOptions(WriteIndented = true))

    let normalize (scopes: string seq) : string array =
        Scope.normalizeScopeSet scopes |> Array.ofList

    /// Any string is a scope here, as in the evaluation functions of taskcluster-lib-scopes.
    let tryParseExpr (node: JsonNode) : ScopeExpression option =
        match Decode.fromString Scope.lenientExpressionDecoder (node.ToJsonString()) with
        | Ok e -> Some e
        | Error _ -> None

/// Rendering the references' templated scope expressions with the core's `ScopeTemplate`.
[<RequireQualifiedAccess>]
module internal Templates =
    type Params = IReadOnlyDictionary<string, JsonNode>

    let parse (node: JsonNode) : Result<ScopeTemplate, string> =
        ScopeTemplate.parse (node.ToJsonString())
        |> Result.mapError (fun e -> e.Describe())

    /// Renders the template; `Ok None` means no scopes are required.
    let render (template: ScopeTemplate) (ps: Params) : Result<ScopeExpression option, string> =
        let map =
            ps
            |> Seq.fold (fun (m: Map<string, Json>) (KeyValue(k, v)) -> m.Add(k, CoreJson.ofNode v)) Map.empty

        match ScopeTemplate.render map template with
        | Ok(ScopeExpression.AllOf []) -> Ok None
        | Ok e -> Ok(Some e)
        | Error e -> Error(e.Describe())
