namespace Taskcluster.Core

open System
open System.Collections.Generic

[<RequireQualifiedAccess; CustomEquality; NoComparison>]
type JsonEValue =
    | Null
    | Bool of bool
    | Number of float
    | String of string
    | Array of JsonEValue array
    | Object of JsonEObject
    | Function of JsonEFunction

    override this.Equals(other: obj) =
        match other with
        | :? JsonEValue as o -> JsonEValue.Same(this, o)
        | _ -> false

    override this.GetHashCode() =
        match this with
        | Null -> 0
        | Bool b -> if b then 1 else 2
        | Number n -> n.GetHashCode()
        | String s -> s.GetHashCode()
        | Array items -> 31 * items.Length + 3
        | Object o -> 37 * o.Count + 4
        | Function f -> LanguagePrimitives.PhysicalHash f

    static member internal Same(a: JsonEValue, b: JsonEValue) : bool =
        match a, b with
        | Null, Null -> true
        | Bool x, Bool y -> x = y
        | Number x, Number y -> x = y
        | String x, String y -> String.Equals(x, y, StringComparison.Ordinal)
        | Array x, Array y -> x.Length = y.Length && Array.forall2 (fun p q -> JsonEValue.Same(p, q)) x y
        | Object x, Object y ->
            x.Count = y.Count
            && Seq.forall
                (fun i ->
                    let mutable v = Null
                    y.TryGet(x.KeyAt i, &v) && JsonEValue.Same(x.ValueAt i, v))
                (seq { 0 .. x.Count - 1 })
        | Function x, Function y -> obj.ReferenceEquals(x, y)
        | _ -> false

and [<Sealed>] JsonEObject internal (keys: string array, values: JsonEValue array, index: Dictionary<string, int>) =
    // Small objects (the common case) are searched linearly; a dictionary only pays off beyond.
    static let empty = JsonEObject([||], [||], null)

    member _.Count = keys.Length
    member _.Keys: IReadOnlyList<string> = keys :> IReadOnlyList<string>

    member _.Members = Seq.init keys.Length (fun i -> KeyValuePair(keys[i], values[i]))

    member internal _.KeyAt index = keys[index]
    member internal _.ValueAt index = values[index]

    member internal _.TryGet(key: string, value: byref<JsonEValue>) =
        if isNull index then
            let mutable found = -1
            let mutable i = 0

            while found < 0 && i < keys.Length do
                if String.Equals(keys[i], key, StringComparison.Ordinal) then
                    found <- i

                i <- i + 1

            if found >= 0 then
                value <- values[found]
                true
            else
                false
        else
            match index.TryGetValue key with
            | true, i ->
                value <- values[i]
                true
            | _ -> false

    member this.TryFind key =
        let mutable v = JsonEValue.Null
        if this.TryGet(key, &v) then Some v else None

    member this.ContainsKey key =
        let mutable v = JsonEValue.Null
        this.TryGet(key, &v)

    static member Empty = empty

    static member OfSeq(members: seq<string * JsonEValue>) =
        let b = JsonEObjectBuilder()

        for k, v in members do
            b.Set(k, v)

        b.Build()

/// Collects members with JavaScript's `defineProperty` semantics, then orders the keys.
and [<Sealed>] internal JsonEObjectBuilder(capacity: int) =
    let keys = ResizeArray<string>(capacity)
    let values = ResizeArray<JsonEValue>(capacity)
    let mutable index: Dictionary<string, int> = null

    static let isArrayIndex (key: string) =
        // Canonical decimal integers below 2^32 - 1 are array indices, which JavaScript lists first.
        key.Length > 0
        && key.Length <= 10
        && (key = "0" || key[0] <> '0')
        && String.forall Char.IsAsciiDigit key
        && UInt64.Parse key < 4294967295UL

    new() = JsonEObjectBuilder(4)

    member _.Count = keys.Count

    member _.Set(key: string, value: JsonEValue) =
        let position =
            if isNull index then
                let mutable found = -1
                let mutable i = 0

                while found < 0 && i < keys.Count do
                    if String.Equals(keys[i], key, StringComparison.Ordinal) then
                        found <- i

                    i <- i + 1

                found
            else
                match index.TryGetValue key with
                | true, i -> i
                | _ -> -1

        if position >= 0 then
            values[position] <- value
        else
            keys.Add key
            values.Add value

            if not (isNull index) then
                index[key] <- keys.Count - 1
            elif keys.Count > 8 then
                index <- Dictionary<string, int>(StringComparer.Ordinal)

                for i in 0 .. keys.Count - 1 do
                    index[keys[i]] <- i

    member _.Build() =
        if keys.Count = 0 then
            JsonEObject.Empty
        else
            let k = keys.ToArray()
            let v = values.ToArray()

            let k, v =
                if Array.exists isArrayIndex k then
                    let order =
                        Array.init k.Length id
                        |> Array.sortWith (fun a b ->
                            match isArrayIndex k[a], isArrayIndex k[b] with
                            | true, true -> compare (UInt64.Parse k[a], a) (UInt64.Parse k[b], b)
                            | true, false -> -1
                            | false, true -> 1
                            | false, false -> compare a b)

                    Array.map (fun i -> k[i]) order, Array.map (fun i -> v[i]) order
                else
                    k, v

            let idx =
                if k.Length > 8 then
                    let d = Dictionary<string, int>(k.Length, StringComparer.Ordinal)

                    for i in 0 .. k.Length - 1 do
                        d[k[i]] <- i

                    d
                else
                    null

            JsonEObject(k, v, idx)

and [<Sealed>] JsonEFunction
    internal (name: string, builtin: string, custom: JsonEValue list -> Result<JsonEValue, string>) =
    member _.Name = name
    member internal _.Builtin = builtin
    member internal _.Custom = custom

    static member Create(name: string, invoke: JsonEValue list -> Result<JsonEValue, string>) =
        JsonEFunction((if isNull name then "" else name), null, invoke)

[<RequireQualifiedAccess>]
type JsonEErrorKind =
    | SyntaxError
    | TypeError
    | InterpreterError
    | TemplateError
    | BuiltinError
    | PlainError
    | LimitExceeded

[<StructuralEquality; NoComparison>]
type JsonEError =
    {
        Kind: JsonEErrorKind
        Message: string
        Location: string list
    }

    member this.Path = "template" + String.Join("", this.Location)

    member this.Describe() =
        let kind =
            match this.Kind with
            | JsonEErrorKind.SyntaxError -> "SyntaxError"
            | JsonEErrorKind.TypeError -> "TypeError"
            | JsonEErrorKind.InterpreterError -> "InterpreterError"
            | JsonEErrorKind.TemplateError -> "TemplateError"
            | JsonEErrorKind.BuiltinError -> "BuiltinError"
            | JsonEErrorKind.PlainError -> "Error"
            | JsonEErrorKind.LimitExceeded -> "LimitExceeded"

        if List.isEmpty this.Location then
            $"{kind}: {this.Message}"
        else
            $"{kind} at {this.Path}: {this.Message}"

type JsonELimits =
    {
        MaxDepth: int
        MaxWork: int64
        MaxOutputSize: int64
    }

// An exception only carries failures up the renderer's recursion (as the reference
// implementation's throw does, locations added on the way up); the public functions catch it
// and answer a Result, so no caller ever sees it.
[<Sealed>]
type internal JsonEFailure(error: JsonEError) =
    inherit Exception(error.Message)
    member _.Error = error

[<RequireQualifiedAccess>]
module internal JsonEFail =
    let raise kind message =
        raise (
            JsonEFailure
                {
                    Kind = kind
                    Message = message
                    Location = []
                }
        )

[<RequireQualifiedAccess>]
module JsonEValue =
    let defaultLimits =
        {
            MaxDepth = 256
            MaxWork = 50_000_000L
            MaxOutputSize = 10_000_000L
        }

    let rec ofJson (json: Json) =
        match json with
        | Json.Null -> JsonEValue.Null
        | Json.Bool b -> JsonEValue.Bool b
        | Json.Integer i -> JsonEValue.Number(float i)
        | Json.Number f -> JsonEValue.Number f
        | Json.String s -> JsonEValue.String(if isNull s then "" else s)
        | Json.Array items -> JsonEValue.Array(items |> List.map ofJson |> List.toArray)
        | Json.Object members -> JsonEValue.Object(JsonEObject.OfSeq(members |> Seq.map (fun (k, v) -> k, ofJson v)))

    let toJson (value: JsonEValue) =
        let rec go value =
            match value with
            | JsonEValue.Null -> Ok Json.Null
            | JsonEValue.Bool b -> Ok(Json.Bool b)
            | JsonEValue.Number n when Double.IsNaN n || Double.IsInfinity n -> Ok Json.Null
            | JsonEValue.Number n when Math.Floor n = n && abs n <= 9007199254740992.0 -> Ok(Json.Integer(int64 n))
            | JsonEValue.Number n -> Ok(Json.Number n)
            | JsonEValue.String s -> Ok(Json.String s)
            | JsonEValue.Array items ->
                let out = ResizeArray(items.Length)
                let mutable error = None

                for item in items do
                    if error.IsNone then
                        match go item with
                        | Ok j -> out.Add j
                        | Error e -> error <- Some e

                match error with
                | Some e -> Error e
                | None -> Ok(Json.Array(List.ofSeq out))
            | JsonEValue.Object o ->
                let out = ResizeArray(o.Count)
                let mutable error = None

                for i in 0 .. o.Count - 1 do
                    if error.IsNone then
                        match go (o.ValueAt i) with
                        | Ok j -> out.Add(o.KeyAt i, j)
                        | Error e -> error <- Some e

                match error with
                | Some e -> Error e
                | None -> Ok(Json.Object(List.ofSeq out))
            | JsonEValue.Function f -> Error $"a function ({f.Name}) has no JSON form"

        go value

    let ofMembers (members: (string * JsonEValue) list) =
        JsonEValue.Object(JsonEObject.OfSeq members)
