namespace Taskcluster.Testing

open System
open System.Globalization
open FsCheck
open FsCheck.FSharp
open Taskcluster.Core

/// FsCheck generators of JSON that is valid for a JSON schema, for the draft-06 keywords the
/// Taskcluster schemas use: `$ref` (relative to each schema's `$id`), `type`, `properties`,
/// `required`, `additionalProperties`, `dependencies`, `items`, `minItems`/`maxItems`,
/// `uniqueItems`, `enum`, `const`, `oneOf`/`anyOf`/`allOf`, `minimum`/`maximum`, `multipleOf`,
/// `minLength`/`maxLength`, `pattern` (the regular-expression subset below) and the formats
/// `date-time`, `uri`, `email`, `hostname`, `ipv4`, `ipv6` and `regex`. Values are valid by
/// construction except where alternatives of a `oneOf` overlap; check them with a validator.
[<RequireQualifiedAccess>]
module SchemaJson =
    let private members (json: Json) =
        match json with
        | Json.Object members -> members
        | _ -> []

    let private tryMember (name: string) (json: Json) =
        members json |> List.tryFind (fun (k, _) -> k = name) |> Option.map snd

    let private stringMember name json =
        match tryMember name json with
        | Some(Json.String s) -> Some s
        | _ -> None

    let private numberMember name json =
        match tryMember name json with
        | Some(Json.Integer i) -> Some(float i)
        | Some(Json.Number f) -> Some f
        | _ -> None

    let private intMember name json =
        numberMember name json |> Option.map int

    let private documentOf (location: string) =
        match location.IndexOf '#' with
        | -1 -> location + "#"
        | i -> location.Substring(0, i + 1)

    /// The location a `$ref` inside the document `baseId` points to.
    let resolveRef (baseId: string) (reference: string) =
        let resolved = Uri(Uri("https://schemas.invalid" + baseId), reference)

        resolved.AbsolutePath
        + (if resolved.Fragment = "" then "#" else resolved.Fragment)

    /// The schema at a location (`$id` then a JSON pointer) of a bundle, if there is one.
    let tryResolve (bundle: Map<string, Json>) (location: string) : Json option =
        let pointer =
            match location.IndexOf '#' with
            | -1 -> []
            | i ->
                location.Substring(i + 1).Split('/')
                |> Array.skip 1
                |> Array.map (fun s -> Uri.UnescapeDataString(s).Replace("~1", "/").Replace("~0", "~"))
                |> List.ofArray

        let rec walk (node: Json) (segments: string list) =
            match segments, node with
            | [], _ -> Some node
            | s :: rest, Json.Object _ -> tryMember s node |> Option.bind (fun n -> walk n rest)
            | s :: rest, Json.Array items ->
                match Int32.TryParse s with
                | true, i when i >= 0 && i < items.Length -> walk items[i] rest
                | _ -> None
            | _ -> None

        bundle.TryFind(documentOf location) |> Option.bind (fun doc -> walk doc pointer)

    // ------------------------------------------------------------------------------------------
    // Regular expressions: literals, `.`, classes (ranges, negation, `\d \w \s \xHH` escapes),
    // groups with alternatives, the quantifiers `* + ? {n} {n,} {n,m}`; anchors are dropped (a
    // generated string matches the whole pattern, so it matches anchored or not).

    type private Regex =
        | Chars of char array
        | Group of Regex list list
        | Repeat of Regex * int * int

    let private printable = [| ' ' .. '~' |]
    let private digits = [| '0' .. '9' |]

    let private word =
        Array.concat [ [| 'a' .. 'z' |]; [| 'A' .. 'Z' |]; digits; [| '_' |] ]

    let private parse (pattern: string) : Regex list =
        let mutable i = 0

        let peek () =
            if i < pattern.Length then Some pattern[i] else None

        let next () =
            let c = pattern[i]
            i <- i + 1
            c

        // One escaped character (after the backslash), as a class.
        let escape () =
            match next () with
            | 'd' -> digits
            | 'w' -> word
            | 's' -> [| ' ' |]
            | 'x' ->
                let hex = pattern.Substring(i, 2)
                i <- i + 2
                [| char (Int32.Parse(hex, NumberStyles.HexNumber)) |]
            | c -> [| c |]

        let classAtom () =
            match next () with
            | '\\' -> escape ()
            | c -> [| c |]

        let parseClass () =
            let negated = peek () = Some '^'

            if negated then
                i <- i + 1

            let chars = Collections.Generic.HashSet<char>()

            while peek () <> Some ']' do
                let first = classAtom ()

                if
                    first.Length = 1
                    && peek () = Some '-'
                    && i + 1 < pattern.Length
                    && pattern[i + 1] <> ']'
                then
                    i <- i + 1
                    let last = classAtom ()

                    for c in first[0] .. last[0] do
                        chars.Add c |> ignore
                else
                    for c in first do
                        chars.Add c |> ignore

            i <- i + 1

            if negated then
                printable |> Array.filter (chars.Contains >> not)
            else
                Seq.toArray chars |> Array.sort

        let rec alternatives () : Regex list list =
            let branches = ResizeArray [ sequence () ]

            while peek () = Some '|' do
                i <- i + 1
                branches.Add(sequence ())

            List.ofSeq branches

        and sequence () : Regex list =
            let items = ResizeArray()

            while (match peek () with
                   | None
                   | Some '|'
                   | Some ')' -> false
                   | _ -> true) do
                match atom () with
                | Some a -> items.Add(quantified a)
                | None -> ()

            List.ofSeq items

        and atom () =
            match next () with
            | '^'
            | '$' -> None
            | '(' ->
                if pattern.Substring(i).StartsWith "?:" then
                    i <- i + 2

                let group = alternatives ()
                i <- i + 1
                Some(Group group)
            | '[' -> Some(Chars(parseClass ()))
            | '.' -> Some(Chars printable)
            | '\\' -> Some(Chars(escape ()))
            | c -> Some(Chars [| c |])

        and quantified (a: Regex) =
            match peek () with
            | Some '*' ->
                i <- i + 1
                Repeat(a, 0, 8)
            | Some '+' ->
                i <- i + 1
                Repeat(a, 1, 8)
            | Some '?' ->
                i <- i + 1
                Repeat(a, 0, 1)
            | Some '{' ->
                let close = pattern.IndexOf('}', i)
                let body = pattern.Substring(i + 1, close - i - 1)
                i <- close + 1

                match body.Split(',') with
                | [| n |] -> Repeat(a, int n, int n)
                | [| n; "" |] -> Repeat(a, int n, int n + 8)
                | [| n; m |] -> Repeat(a, int n, int m)
                | _ -> a
            | _ -> a

        let result = alternatives ()

        match result with
        | [ single ] -> single
        | many -> [ Group many ]

    let rec private genRegex (node: Regex) : Gen<string> =
        match node with
        | Chars cs -> Gen.elements cs |> Gen.map string
        | Group branches -> Gen.oneof (branches |> List.map genSequence)
        | Repeat(inner, lo, hi) ->
            Gen.choose (lo, hi)
            |> Gen.bind (fun k -> Gen.listOfLength k (genRegex inner))
            |> Gen.map (String.concat "")

    and private genSequence (nodes: Regex list) : Gen<string> =
        nodes |> List.map genRegex |> Gen.sequenceToList |> Gen.map (String.concat "")

    /// Strings that a regular expression (the subset described above) matches in full.
    let matching (pattern: string) : Gen<string> = genSequence (parse pattern)

    // ------------------------------------------------------------------------------------------
    // Values

    // Text that exercises JSON escapes: quotes, backslashes, control characters, non-ASCII and
    // surrogate pairs.
    let private textChar =
        Gen.frequency
            [
                20, Gen.elements [| 'a' .. 'z' |]
                4, Gen.elements [| 'A' .. 'Z' |]
                3, Gen.elements digits
                2, Gen.elements [| ' '; '-'; '_'; '.'; '/'; ':' |]
                1, Gen.elements [| '"'; '\\'; '\n'; '\t'; '\u0001'; 'é'; 'ß'; '✓'; '\u2028' |]
            ]
        |> Gen.map string

    let private surrogatePair = Gen.constant "😀"

    let private text (minLength: int) (maxLength: int) =
        Gen.choose (minLength, maxLength)
        |> Gen.bind (fun n -> Gen.listOfLength n (Gen.frequency [ 30, textChar; 1, surrogatePair ]))
        |> Gen.map (String.concat "")
        // A surrogate pair is two UTF-16 units but one character to JSON Schema's maxLength.
        |> Gen.filter (fun s ->
            let length = Globalization.StringInfo(s).LengthInTextElements
            length >= minLength && length <= maxLength)

    let private identifier =
        Gen.choose (1, 10)
        |> Gen.bind (fun n -> Gen.listOfLength n (Gen.elements [| 'a' .. 'z' |]))
        |> Gen.map (fun cs -> String(Array.ofList cs))

    let private dateTime =
        // 2000-01-01 to 2100-01-01, millisecond precision, as Taskcluster writes it.
        Gen.choose (0, 36524)
        |> Gen.bind (fun day ->
            Gen.choose (0, 86_399_999)
            |> Gen.map (fun ms ->
                DateTimeOffset(2000, 1, 1, 0, 0, 0, TimeSpan.Zero).AddDays(float day).AddMilliseconds(float ms)))
        |> Gen.map (fun d -> d.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture))

    let private formatted (format: string) : Gen<string> option =
        match format with
        | "date-time" -> Some dateTime
        | "uri" -> Some(identifier |> Gen.map (fun s -> $"https://example.com/{s}"))
        | "email" -> Some(identifier |> Gen.map (fun s -> $"{s}@example.com"))
        | "hostname" -> Some(identifier |> Gen.map (fun s -> $"{s}.example.com"))
        | "ipv4" ->
            Some(
                Gen.listOfLength 4 (Gen.choose (0, 255))
                |> Gen.map (fun parts -> String.Join(".", parts))
            )
        | "ipv6" -> Some(Gen.choose (0, 65535) |> Gen.map (fun n -> $"2001:db8::{n:x}"))
        | "regex" -> Some(Gen.elements [ "^[a-z]+$"; ".*"; "^x(y|z)?$" ])
        | _ -> None

    /// Any JSON value, small: for schemas that allow anything.
    let anyValue: Gen<Json> =
        let scalar =
            Gen.oneof
                [
                    Gen.constant Json.Null
                    Gen.elements [ true; false ] |> Gen.map Json.Bool
                    Gen.choose (-1000, 1000) |> Gen.map (int64 >> Json.Integer)
                    Gen.choose (-1000, 1000) |> Gen.map (fun n -> Json.Number(float n + 0.5))
                    text 0 8 |> Gen.map Json.String
                ]

        Gen.frequency
            [
                6, scalar
                1, Gen.listOf scalar |> Gen.map (List.truncate 3 >> Json.Array)
                1,
                Gen.listOf (Gen.zip identifier scalar)
                |> Gen.map (List.truncate 3 >> List.distinctBy fst >> Json.Object)
            ]

    let private merge (outer: Json) (inner: Json) =
        // The outer schema's keywords with the alternative's on top: properties and required
        // lists are combined, everything else the alternative overrides.
        let outerMembers =
            members outer
            |> List.filter (fun (k, _) -> k <> "oneOf" && k <> "anyOf" && k <> "allOf")

        let combined =
            (outerMembers, members inner)
            ||> List.fold (fun acc (k, v) ->
                match k, List.tryFind (fun (n, _) -> n = k) acc with
                | "properties", Some(_, existing) ->
                    acc
                    |> List.map (fun (n, x) ->
                        if n = k then
                            n, Json.Object(members existing @ members v |> List.distinctBy fst)
                        else
                            n, x)
                | "required", Some(_, Json.Array existing) ->
                    acc
                    |> List.map (fun (n, x) ->
                        match v with
                        | Json.Array more when n = k -> n, Json.Array(List.distinct (existing @ more))
                        | _ -> n, x)
                | _, Some _ -> (acc |> List.filter (fun (n, _) -> n <> k)) @ [ k, v ]
                | _, None -> acc @ [ k, v ])

        Json.Object combined

    /// JSON valid for the schema at `location` (`$id` then a JSON pointer) of a bundle of schemas
    /// keyed by `$id`, e.g. `/schemas/queue/v1/task.json#` or `…/multiuser_posix.json#/definitions/mount`.
    let valid (bundle: Map<string, Json>) (location: string) : Gen<Json> =
        let resolve (l: string) =
            match tryResolve bundle l with
            | Some s -> s
            | None -> failwith $"no schema at {l}"

        let rec gen (location: string) (schema: Json) (depth: int) : Gen<Json> =
            match schema with
            | Json.Bool _ -> anyValue
            | _ ->
                match stringMember "$ref" schema with
                | Some r ->
                    let target = resolveRef (documentOf location) r
                    gen target (resolve target) depth
                | None ->
                    match tryMember "const" schema, tryMember "enum" schema with
                    | Some v, _ -> Gen.constant v
                    | None, Some(Json.Array values) -> Gen.elements values
                    | _ ->
                        match tryMember "oneOf" schema, tryMember "anyOf" schema, tryMember "allOf" schema with
                        | Some(Json.Array alternatives), _, _
                        | None, Some(Json.Array alternatives), _ ->
                            alternatives
                            |> List.map (fun a ->
                                let a =
                                    match stringMember "$ref" a with
                                    | Some r -> resolve (resolveRef (documentOf location) r)
                                    | None -> a

                                gen location (merge schema a) depth)
                            |> Gen.oneof
                        | None, None, Some(Json.Array parts) ->
                            let merged =
                                (schema, parts)
                                ||> List.fold (fun acc p ->
                                    let p =
                                        match stringMember "$ref" p with
                                        | Some r -> resolve (resolveRef (documentOf location) r)
                                        | None -> p

                                    merge acc p)

                            gen location merged depth
                        | _ -> typed location schema depth

        and typed location schema depth =
            let t =
                match tryMember "type" schema with
                | Some(Json.String t) -> Some t
                | Some(Json.Array ts) ->
                    ts
                    |> List.tryPick (function
                        | Json.String t when t <> "null" -> Some t
                        | _ -> None)
                | _ ->
                    if (tryMember "properties" schema).IsSome then
                        Some "object"
                    else
                        None

            match t with
            | Some "string" -> stringValue schema |> Gen.map Json.String
            | Some "integer" -> integer schema |> Gen.map Json.Integer
            | Some "number" -> number schema
            | Some "boolean" -> Gen.elements [ true; false ] |> Gen.map Json.Bool
            | Some "null" -> Gen.constant Json.Null
            | Some "array" -> array location schema depth
            | Some "object" -> object location schema depth
            | _ -> anyValue

        and stringValue schema =
            let minLength = intMember "minLength" schema |> Option.defaultValue 0
            // Without a limit a pattern decides the length; plain text stays short.
            let maxLength =
                intMember "maxLength" schema
                |> Option.defaultValue (
                    if (tryMember "pattern" schema).IsSome then
                        Int32.MaxValue
                    else
                        max 12 minLength
                )

            let fits (s: string) =
                let n = Globalization.StringInfo(s).LengthInTextElements
                n >= minLength && n <= maxLength

            match stringMember "pattern" schema, stringMember "format" schema |> Option.bind formatted with
            | Some p, _ -> matching p |> Gen.filter fits
            | None, Some g -> g
            | None, None -> text minLength maxLength

        and integer schema =
            let step =
                numberMember "multipleOf" schema |> Option.map int64 |> Option.defaultValue 1L

            let lo =
                numberMember "minimum" schema |> Option.map int64 |> Option.defaultValue -1000L

            let hi =
                numberMember "maximum" schema
                |> Option.map int64
                |> Option.defaultValue (max lo 0L + 100_000L)

            let lo =
                if numberMember "exclusiveMinimum" schema |> Option.isSome then
                    lo + 1L
                else
                    lo

            let hi =
                if numberMember "exclusiveMaximum" schema |> Option.isSome then
                    hi - 1L
                else
                    hi

            let first =
                (if lo % step = 0L then
                     lo
                 else
                     lo + step - ((lo % step + step) % step))

            let count = max 0L ((hi - first) / step)

            Gen.choose (0, int (min count 1_000_000L))
            |> Gen.map (fun k -> first + int64 k * step)

        and number schema =
            match numberMember "multipleOf" schema with
            | Some _ -> integer schema |> Gen.map (fun i -> Json.Integer i)
            | None ->
                let lo = numberMember "minimum" schema |> Option.defaultValue -1000.0
                let hi = numberMember "maximum" schema |> Option.defaultValue (max lo 0.0 + 1000.0)

                Gen.choose (0, 1000)
                |> Gen.map (fun k -> Json.Number(lo + (hi - lo) * float k / 1000.0))

        and array location schema depth =
            let items =
                match tryMember "items" schema with
                | Some(Json.Object _ as items) -> gen (location + "/items") items (depth + 1)
                | _ -> anyValue

            let minItems = intMember "minItems" schema |> Option.defaultValue 0

            let maxItems =
                intMember "maxItems" schema
                |> Option.defaultValue (if depth > 6 then minItems else minItems + 3)

            let unique = tryMember "uniqueItems" schema = Some(Json.Bool true)

            Gen.choose (minItems, max minItems maxItems)
            |> Gen.bind (fun n -> Gen.listOfLength n items)
            |> Gen.map (fun xs -> if unique then List.distinctBy Encode.toString xs else xs)
            |> Gen.filter (fun xs -> xs.Length >= minItems)
            |> Gen.map Json.Array

        and object location schema depth =
            let properties =
                tryMember "properties" schema |> Option.map members |> Option.defaultValue []

            let required =
                match tryMember "required" schema with
                | Some(Json.Array names) ->
                    names
                    |> List.choose (function
                        | Json.String s -> Some s
                        | _ -> None)
                | _ -> []

            let dependencies =
                tryMember "dependencies" schema
                |> Option.map members
                |> Option.defaultValue []
                |> List.choose (fun (k, v) ->
                    match v with
                    | Json.Array names ->
                        Some(
                            k,
                            names
                            |> List.choose (function
                                | Json.String s -> Some s
                                | _ -> None)
                        )
                    | _ -> None)

            let forbidden (p: Json) = (tryMember "not" p).IsSome

            let chosen =
                properties
                |> List.map (fun (name, p) ->
                    if List.contains name required then Gen.constant (Some name)
                    elif forbidden p || depth > 6 then Gen.constant None
                    else Gen.elements [ Some name; None ])
                |> Gen.sequenceToList
                |> Gen.map (fun names ->
                    let names = List.choose id names

                    let implied =
                        names
                        |> List.collect (fun n ->
                            dependencies |> List.filter (fun (k, _) -> k = n) |> List.collect snd)

                    let all =
                        properties
                        |> List.map fst
                        |> List.filter (fun n -> List.contains n names || List.contains n implied)

                    // `maxProperties`: required members first, then as many others as fit.
                    match intMember "maxProperties" schema with
                    | Some limit ->
                        let req, opt = all |> List.partition (fun n -> List.contains n required)
                        req @ List.truncate (max 0 (limit - req.Length)) opt
                    | None -> all)

            let extras =
                if depth > 6 then
                    Gen.constant []
                else
                    match tryMember "additionalProperties" schema with
                    | Some(Json.Bool false) -> Gen.constant []
                    | _ when (tryMember "maxProperties" schema).IsSome -> Gen.constant []
                    | Some(Json.Object(_ :: _) as values) ->
                        Gen.listOf (Gen.zip identifier (gen (location + "/additionalProperties") values (depth + 1)))
                        |> Gen.map (List.truncate 2)
                    | _ ->
                        // Unknown members, which the schema allows and a model must keep.
                        Gen.frequency [ 2, Gen.constant []; 1, anyValue |> Gen.map (fun v -> [ "x-extra", v ]) ]

            chosen
            |> Gen.bind (fun names ->
                names
                |> List.map (fun name ->
                    let p = properties |> List.find (fun (n, _) -> n = name) |> snd
                    let l = location + "/properties/" + name.Replace("~", "~0").Replace("/", "~1")
                    gen l p (depth + 1) |> Gen.map (fun v -> name, v))
                |> Gen.sequenceToList)
            |> Gen.bind (fun known ->
                extras
                |> Gen.map (fun extra ->
                    let extra =
                        extra
                        |> List.filter (fun (k, _) -> not (List.exists (fun (n, _) -> n = k) known))

                    Json.Object(known @ List.distinctBy fst extra)))

        gen location (resolve location) 0
