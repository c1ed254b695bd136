/// The schema model behind the typed models: every JSON schema reachable from a method's input or
/// output, an exchange's message or a worker payload, with `$ref`s resolved against each schema's
/// `$id`, turned into named types (records, string enums, unions) and inline shapes (strings,
/// lists, maps, ...). A type is keyed by its schema location (`$id` plus JSON pointer), so every
/// place that refers to one definition shares one type.
module Taskcluster.Generator.Schema

open System
open System.Collections.Generic
open Taskcluster.Core

/// What a value of a schema is, as the emitters see it.
[<RequireQualifiedAccess>]
type Shape =
    | String
    /// A `date-time` string.
    | DateTime
    | Integer
    | Number
    | Boolean
    /// Anything (a schema without a type, `allOf`, ...): kept as JSON.
    | Any
    /// An object the schema says nothing about: kept as JSON.
    | AnyObject
    | List of Shape
    /// An object whose every member has this shape (`additionalProperties` only).
    | Dict of Shape
    /// `null` or the shape (`oneOf` with a `null` alternative).
    | Nullable of Shape
    /// A named type, by its schema location.
    | Named of location: string

/// A property of a record.
type Field =
    {
        /// The member name in JSON.
        JsonName: string
        /// The record field name.
        Name: string
        Shape: Shape
        Required: bool
        Description: string option
    }

/// A required property with a single allowed value (`const`, or an `enum` of one): not a field,
/// checked when decoding and written when encoding.
type Constant = { JsonName: string; Value: Json }

/// An alternative of a union.
type Case =
    {
        Name: string
        /// The discriminator's value selecting this case, for discriminated unions.
        Tag: Json option
        Shape: Shape
    }

/// What a named type is.
[<RequireQualifiedAccess>]
type Kind =
    | Record of fields: Field list * constants: Constant list
    /// String values and their case names.
    | Enum of values: (string * string) list
    /// Alternatives, selected by a discriminating member when `discriminator` is given.
    | Union of discriminator: string option * cases: Case list

/// One named type.
type TypeDef =
    {
        /// The schema location, e.g. `/schemas/queue/v1/task.json#/properties/metadata`.
        Location: string
        Name: string
        Title: string option
        Description: string option
        Kind: Kind
        /// The file the type is written to (`Queue`, `WorkerManager`, `GenericWorker`, ...).
        Group: string
    }

/// Every named type, grouped and ordered so that each type comes after what it uses.
type SchemaModel =
    {
        /// Groups in compile order, each with its types in dependency order; a list of more than
        /// one type is mutually recursive.
        Groups: (string * TypeDef list list) list
        /// The shape of each root schema (by `$id`).
        Roots: Map<string, Shape>
        /// Every named type by location.
        Types: Map<string, TypeDef>
    }

// ---------------------------------------------------------------------------------------------
// Names

let private words (text: string) =
    // Splits at anything that is not a letter or digit, and at lower→upper humps.
    let result = ResizeArray<string>()
    let current = Text.StringBuilder()

    let flush () =
        if current.Length > 0 then
            result.Add(current.ToString())
            current.Clear() |> ignore

    for i in 0 .. text.Length - 1 do
        let c = text[i]

        if Char.IsAsciiLetterOrDigit c then
            if
                Char.IsUpper c
                && current.Length > 0
                && (Char.IsLower text[i - 1] || Char.IsDigit text[i - 1])
            then
                flush ()

            current.Append c |> ignore
        else
            flush ()

    flush ()
    List.ofSeq result

let private capitalize (word: string) =
    string (Char.ToUpperInvariant word[0]) + word.Substring 1

/// A name from the references as a PascalCase identifier: `task-status` → `TaskStatus`,
/// `head_commit` → `HeadCommit`, `taskId` → `TaskId`; a leading digit gets a `V` before it.
let pascal (text: string) =
    match words text |> List.map capitalize |> String.concat "" with
    | "" -> "Empty"
    | name when Char.IsDigit name[0] -> "V" + name
    | name -> name

/// Names the generated code uses unqualified, which a model must not shadow.
let reservedTypeNames =
    set
        [
            "Json"
            "JsonElement"
            "JsonPath"
            "DecodeError"
            "Decode"
            "Encode"
            "Decoder"
            "Map"
            "Set"
            "List"
            "Option"
            "Result"
            "String"
            "Object"
            "DateTimeOffset"
            "Task"
            "ModelCodec"
            "ModelInfo"
            "ModelRegistry"
            "Models"
            "Seq"
            "Array"
            "Exception"
        ]

/// Preferred names of root schemas where the file name reads badly or clashes.
let nameOverrides =
    Map
        [
            "/schemas/queue/v1/task.json#", "TaskDefinition"
            "/schemas/worker-manager/v1/task.json#", "WorkerManagerTaskDefinition"
            "/schemas/queue/v1/post-artifact-request.json#", "CreateArtifactRequest"
            "/schemas/queue/v1/post-artifact-response.json#", "CreateArtifactResponse"
            "/schemas/generic-worker/multiuser_posix.json#", "GenericWorkerPayload"
            "/schemas/generic-worker/multiuser_windows.json#", "GenericWorkerWindowsPayload"
            "/schemas/generic-worker/insecure_posix.json#", "GenericWorkerInsecurePayload"
            "/schemas/docker-worker/v1/payload.json#", "DockerWorkerPayload"
        ]

// ---------------------------------------------------------------------------------------------
// Locations and references

/// The `$id` part of a location (`/schemas/queue/v1/task.json#`).
let documentOf (location: string) =
    match location.IndexOf '#' with
    | -1 -> location + "#"
    | i -> location.Substring(0, i + 1)

/// The JSON-pointer segments of a location (`#/properties/a~1b` → `properties`, `a/b`).
let pointerOf (location: string) =
    match location.IndexOf '#' with
    | -1 -> []
    | i ->
        location.Substring(i + 1).Split('/')
        |> Array.skip 1
        |> Array.map (fun s -> Uri.UnescapeDataString(s).Replace("~1", "/").Replace("~0", "~"))
        |> List.ofArray

/// The location one pointer segment deeper.
let child (location: string) (segment: string) =
    let location = if location.Contains '#' then location else location + "#"
    location + "/" + segment.Replace("~", "~0").Replace("/", "~1")

/// The location a `$ref` inside the document `baseId` points to (relative to its `$id`).
let resolveRef (baseId: string) (reference: string) =
    let resolved = Uri(Uri("https://schemas.invalid" + baseId), reference)

    resolved.AbsolutePath
    + (if resolved.Fragment = "" then "#" else resolved.Fragment)

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

/// The schema at a location, or an error naming it.
let resolve (schemas: Map<string, Json>) (location: string) : Result<Json, string> =
    match schemas.TryFind(documentOf location) with
    | None -> Error $"no schema has the $id of {location}"
    | Some document ->
        let rec walk (node: Json) (segments: string list) =
            match segments with
            | [] -> Ok node
            | s :: rest ->
                match node with
                | Json.Object _ ->
                    match tryMember s node with
                    | Some next -> walk next rest
                    | None -> Error $"{location}: no member '{s}'"
                | Json.Array items ->
                    match Int32.TryParse s with
                    | true, i when i >= 0 && i < items.Length -> walk items[i] rest
                    | _ -> Error $"{location}: no element '{s}'"
                | _ -> Error $"{location}: cannot descend into a scalar at '{s}'"

        walk document (pointerOf location)

// ---------------------------------------------------------------------------------------------
// Building

type private Pending =
    {
        Location: string
        Title: string option
        Description: string option
        Kind: Kind
    }

// Words shared by the start (or end) of every name, dropped when something is left of each.
let private trimCommon (names: string list list) =
    let rec commonPrefix (lists: string list list) =
        match lists with
        | [] -> 0
        | _ when lists |> List.exists (fun l -> l.Length <= 1) -> 0
        | first :: _ ->
            let head = List.head first

            if lists |> List.forall (fun l -> List.head l = head) then
                1 + commonPrefix (lists |> List.map List.tail)
            else
                0

    if names.Length < 2 then
        names
    else
        let p = commonPrefix names
        let names = names |> List.map (List.skip p)
        let s = commonPrefix (names |> List.map List.rev)
        names |> List.map (fun l -> List.take (l.Length - s) l)

let private dedupe (names: string list) =
    let seen = HashSet<string>()

    names
    |> List.map (fun n ->
        let mutable candidate = n
        let mutable i = 2

        while not (seen.Add candidate) do
            candidate <- n + string i
            i <- i + 1

        candidate)

let private isConstraintOnly (alternative: Json) =
    members alternative
    |> List.forall (fun (k, _) ->
        not (
            List.contains
                k
                [
                    "type"
                    "$ref"
                    "properties"
                    "enum"
                    "const"
                    "items"
                    "oneOf"
                    "anyOf"
                    "allOf"
                ]
        ))

/// The schema model of the given schemas (by `$id`), starting from the root schemas named.
let build (schemas: Map<string, Json>) (roots: string list) : Result<SchemaModel, string> =
    let pending = Dictionary<string, Pending>()
    let inProgress = HashSet<string>()
    let caseNames = Dictionary<string, string>()
    let mutable failure: string option = None

    let fail message =
        if failure.IsNone then
            failure <- Some message

    let node location =
        match resolve schemas location with
        | Ok n -> n
        | Error e ->
            fail e
            Json.Object []

    // Follows `$ref`s to the schema that says something.
    let rec target (location: string) (schema: Json) =
        match stringMember "$ref" schema with
        | Some r ->
            let l = resolveRef (documentOf location) r
            target l (node l)
        | None -> location, schema

    let constantOf (schema: Json) =
        match tryMember "const" schema, tryMember "enum" schema with
        | Some v, _ -> Some v
        | None, Some(Json.Array [ v ]) -> Some v
        | _ -> None

    let register location (schema: Json) (kind: unit -> Kind) =
        if not (pending.ContainsKey location) && inProgress.Add location then
            let k = kind ()

            pending[location] <-
                {
                    Location = location
                    Title = stringMember "title" schema
                    Description = stringMember "description" schema
                    Kind = k
                }

            inProgress.Remove location |> ignore

        Shape.Named location

    let rec shapeOf (location: string) (schema: Json) : Shape =
        match schema with
        | Json.Bool _ -> Shape.Any
        | Json.Object _ ->
            match stringMember "$ref" schema with
            | Some r ->
                let l = resolveRef (documentOf location) r
                shapeOf l (node l)
            | None ->
                match tryMember "type" schema with
                | Some(Json.String t) -> typed location schema t
                | Some(Json.Array ts) ->
                    match ts |> List.filter (fun t -> t <> Json.String "null") with
                    | [ Json.String t ] when ts.Length = 2 -> Shape.Nullable(typed location schema t)
                    | [ Json.String t ] -> typed location schema t
                    | _ -> Shape.Any
                | _ ->
                    match tryMember "enum" schema, tryMember "const" schema with
                    | Some(Json.Array values), _ when values.Length > 1 -> enumShape location schema values
                    | Some(Json.Array [ v ]), _
                    | None, Some v -> scalarOf v
                    | _ ->
                        match tryMember "oneOf" schema, tryMember "anyOf" schema with
                        | Some(Json.Array alts), _
                        | None, Some(Json.Array alts) ->
                            let keyword =
                                if (tryMember "oneOf" schema).IsSome then
                                    "oneOf"
                                else
                                    "anyOf"

                            union location schema keyword alts
                        | _ ->
                            if (tryMember "properties" schema).IsSome then
                                objectShape location schema
                            else
                                Shape.Any
        | _ -> Shape.Any

    and scalarOf (value: Json) =
        match value with
        | Json.String _ -> Shape.String
        | Json.Integer _ -> Shape.Integer
        | Json.Number _ -> Shape.Number
        | Json.Bool _ -> Shape.Boolean
        | _ -> Shape.Any

    and typed location schema (t: string) =
        match t with
        | "string" ->
            match tryMember "enum" schema with
            | Some(Json.Array values) when values.Length > 1 -> enumShape location schema values
            | _ ->
                if stringMember "format" schema = Some "date-time" then
                    Shape.DateTime
                else
                    Shape.String
        | "integer" -> Shape.Integer
        | "number" -> Shape.Number
        | "boolean" -> Shape.Boolean
        | "array" ->
            match tryMember "items" schema with
            | Some(Json.Object _ as items) -> Shape.List(shapeOf (child location "items") items)
            | _ -> Shape.List Shape.Any
        | "object" -> objectShape location schema
        | _ -> Shape.Any

    and enumShape location schema (values: Json list) =
        if values |> List.forall (fun v -> v.IsString) then
            register location schema (fun () ->
                let strings =
                    values
                    |> List.choose (function
                        | Json.String s -> Some s
                        | _ -> None)
                    |> List.distinct

                let names =
                    strings
                    |> List.map (fun s ->
                        match pascal s with
                        | "Unknown" -> "UnknownValue"
                        | n -> n)
                    |> dedupe

                Kind.Enum(List.zip strings names))
        else
            scalarOf values.Head

    and objectShape location schema =
        let properties =
            tryMember "properties" schema |> Option.map members |> Option.defaultValue []

        if properties.IsEmpty then
            match tryMember "additionalProperties" schema with
            | Some(Json.Object(_ :: _) as values) -> Shape.Dict(shapeOf (child location "additionalProperties") values)
            | _ -> Shape.AnyObject
        else
            register location schema (fun () ->
                let required =
                    match tryMember "required" schema with
                    | Some(Json.Array names) ->
                        names
                        |> List.choose (function
                            | Json.String s -> Some s
                            | _ -> None)
                        |> set
                    | _ -> Set.empty

                let constants, fields =
                    properties
                    |> List.partition (fun (name, p) ->
                        required.Contains name && (constantOf (snd (target location p))).IsSome)

                let fieldNames =
                    fields
                    |> List.map (fun (name, _) ->
                        match pascal name with
                        | "ExtensionData"
                        | "Decode"
                        | "Encode"
                        | "KnownMembers"
                        | "Create" as n -> n + "Value"
                        | n -> n)
                    |> dedupe

                let fields =
                    List.zip fields fieldNames
                    |> List.map (fun ((name, p), fieldName) ->
                        let propertyLocation = child (child location "properties") name

                        {
                            JsonName = name
                            Name = fieldName
                            Shape = shapeOf propertyLocation p
                            Required = required.Contains name
                            Description =
                                stringMember "description" p
                                |> Option.orElse (stringMember "description" (snd (target propertyLocation p)))
                        })

                let constants =
                    constants
                    |> List.map (fun (name, p) ->
                        {
                            JsonName = name
                            Value = (constantOf (snd (target location p))).Value
                        })

                Kind.Record(fields, constants))

    and union location schema keyword (alternatives: Json list) =
        let indexed =
            alternatives
            |> List.mapi (fun i a -> child (child location keyword) (string i), a)

        let isNull (a: Json) =
            tryMember "type" a = Some(Json.String "null")

        let nullable = indexed |> List.exists (snd >> isNull)
        let others = indexed |> List.filter (snd >> isNull >> not)

        let wrap shape =
            if nullable then Shape.Nullable shape else shape

        let resolved = others |> List.map (fun (l, a) -> target l a)

        let primitiveOf (_, a: Json) =
            match tryMember "type" a with
            | Some(Json.String("string" | "integer" | "number" | "boolean" as t)) -> Some t
            | None ->
                match constantOf a with
                | Some(Json.String _) -> Some "string"
                | Some(Json.Integer _) -> Some "integer"
                | _ -> None
            | _ -> None

        match others with
        | [] -> Shape.Any
        | [ (l, a) ] -> wrap (shapeOf l a)
        | _ when others |> List.forall (snd >> isConstraintOnly) ->
            // Alternatives that only add constraints (required members, formats) to the outer schema.
            let outer = Json.Object(members schema |> List.filter (fun (k, _) -> k <> keyword))

            wrap (shapeOf location outer)
        | _ ->
            match resolved |> List.map primitiveOf |> List.distinct with
            | [ Some t ] -> wrap (typed location (Json.Object []) t)
            | _ ->
                // A discriminator: a member every alternative requires with a constant, all different.
                let propertiesOf (a: Json) =
                    tryMember "properties" a |> Option.map members |> Option.defaultValue []

                let requiredOf (a: Json) =
                    match tryMember "required" a with
                    | Some(Json.Array names) -> names
                    | _ -> []

                let tagOf (l: string, a: Json) (name: string) =
                    if requiredOf a |> List.contains (Json.String name) then
                        propertiesOf a
                        |> List.tryFind (fun (k, _) -> k = name)
                        |> Option.bind (fun (_, p) -> constantOf (snd (target l p)))
                    else
                        None

                let discriminator =
                    match resolved with
                    | first :: _ ->
                        propertiesOf (snd first)
                        |> List.map fst
                        |> List.tryFind (fun name ->
                            let tags = resolved |> List.map (fun r -> tagOf r name)

                            tags |> List.forall Option.isSome
                            && (tags |> List.distinct |> List.length) = tags.Length)
                    | [] -> None

                let names =
                    match discriminator with
                    | Some d ->
                        resolved
                        |> List.map (fun r ->
                            match tagOf r d with
                            | Some(Json.String s) -> pascal s
                            | Some(Json.Integer i) -> $"V{i}"
                            | _ -> "Case")
                    | None ->
                        let describe (l: string, a: Json) =
                            match stringMember "title" a with
                            | Some t -> words t |> List.map capitalize
                            | None ->
                                match pointerOf l |> List.rev with
                                | name :: "definitions" :: _ -> words (pascal name)
                                | [] ->
                                    let doc = documentOf l
                                    let file = doc.Substring(doc.LastIndexOf '/' + 1).TrimEnd('#')
                                    words (pascal (file.Replace(".json", "")))
                                | _ ->
                                    match tryMember "type" a with
                                    | Some(Json.String t) -> [ pascal t ]
                                    | _ -> [ "Case" ]

                        resolved |> List.map describe |> trimCommon |> List.map (String.concat "")
                    |> List.map (fun n ->
                        match n with
                        | "Unknown" -> "UnknownValue"
                        | "" -> "Case"
                        | n -> n)
                    |> dedupe

                for (l, _), name in List.zip others names do
                    caseNames[l] <- name

                register location schema (fun () ->
                    let cases =
                        List.zip3 others resolved names
                        |> List.map (fun ((l, a), r, name) ->
                            {
                                Name = name
                                Tag = discriminator |> Option.bind (tagOf r)
                                Shape = shapeOf l a
                            })

                    Kind.Union(discriminator, cases))
                |> wrap

    let rootShapes =
        roots
        |> List.distinct
        |> List.map (fun id ->
            let schema = node id
            id, shapeOf id schema)

    match failure with
    | Some message -> Error message
    | None ->
        // Names: roots first (their preferred names win), then definitions, then inline types
        // named after their nearest named ancestor.
        let taken = HashSet<string>(reservedTypeNames)
        let names = Dictionary<string, string>()

        let claim (candidates: string list) =
            let chosen =
                match candidates |> List.tryFind (fun c -> not (taken.Contains c)) with
                | Some c -> c
                | None ->
                    let b = List.last candidates
                    let mutable i = 2

                    while taken.Contains(b + string i) do
                        i <- i + 1

                    b + string i

            taken.Add chosen |> ignore
            chosen

        let serviceOf (location: string) =
            match
                documentOf(location).Split('/', StringSplitOptions.RemoveEmptyEntries)
                |> List.ofArray
            with
            | "schemas" :: service :: _ -> service
            | _ -> "common"

        let fileStem (location: string) =
            let doc = documentOf location
            let file = doc.Substring(doc.LastIndexOf '/' + 1).TrimEnd('#')
            pascal (file.Replace(".json", ""))

        let rootName (location: string) =
            match names.TryGetValue(documentOf location) with
            | true, n -> n
            | _ ->
                nameOverrides.TryFind(documentOf location)
                |> Option.defaultValue (fileStem location)

        let priority (location: string) =
            // Queue's schemas keep the plain names when another service has a file of the same name.
            (if serviceOf location = "queue" then 0 else 1), location

        let locations = pending.Keys |> List.ofSeq
        let isRoot (l: string) = pointerOf l |> List.isEmpty

        let isDefinition (l: string) =
            match pointerOf l with
            | [ "definitions"; _ ] -> true
            | _ -> false

        for l in locations |> List.filter isRoot |> List.sortBy priority do
            let stem = fileStem l

            let preferred =
                nameOverrides.TryFind l
                |> Option.map List.singleton
                |> Option.defaultValue [ stem ]

            names[l] <- claim (preferred @ [ pascal (serviceOf l) + stem ])

        // A definition is named after its document: `request` or `content` alone says too little.
        for l in locations |> List.filter isDefinition |> List.sort do
            let definition = pointerOf l |> List.last |> pascal
            names[l] <- claim [ rootName l + definition ]

        let segmentName (location: string) (segments: string list) =
            // The suffix for the pointer segments below a named ancestor.
            let rec go (prefix: string) (segments: string list) =
                match segments with
                | [] -> []
                | "properties" :: name :: rest -> pascal name :: go (child (child prefix "properties") name) rest
                | "definitions" :: name :: rest -> pascal name :: go (child (child prefix "definitions") name) rest
                | "items" :: rest -> "Item" :: go (child prefix "items") rest
                | "additionalProperties" :: rest -> "Value" :: go (child prefix "additionalProperties") rest
                | (("oneOf" | "anyOf" | "allOf") as k) :: i :: rest ->
                    let l = child (child prefix k) i

                    let n =
                        match caseNames.TryGetValue l with
                        | true, n -> n
                        | _ -> "Case" + i

                    n :: go l rest
                | s :: rest -> pascal s :: go (child prefix s) rest

            go location segments |> String.concat ""

        let inline' =
            locations
            |> List.filter (fun l -> not (isRoot l) && not (isDefinition l))
            |> List.sortBy (fun l -> (pointerOf l).Length, l)

        for l in inline' do
            let segments = pointerOf l
            // The nearest named ancestor (a prefix of the pointer), else the document.
            let ancestor =
                [ segments.Length - 1 .. -1 .. 1 ]
                |> List.tryPick (fun n ->
                    let prefix = List.truncate n segments |> List.fold child (documentOf l)

                    match names.TryGetValue prefix with
                    | true, name -> Some(prefix, name, List.skip n segments)
                    | _ -> None)

            let baseLocation, baseName, rest =
                match ancestor with
                | Some a -> a
                | None -> documentOf l, rootName l, segments

            let derived = baseName + segmentName baseLocation rest

            let titled =
                match List.rev segments with
                | _ :: ("oneOf" | "anyOf") :: _ -> pending[l].Title |> Option.map pascal |> Option.toList
                | _ -> []

            names[l] <- claim (titled @ [ derived ])

        let group (location: string) = pascal (serviceOf location)

        let types =
            pending.Values
            |> Seq.map (fun p ->
                p.Location,
                {
                    Location = p.Location
                    Name = names[p.Location]
                    Title = p.Title
                    Description = p.Description
                    Kind = p.Kind
                    Group = group p.Location
                })
            |> Map.ofSeq

        // Dependencies between named types, then strongly connected components (Tarjan), which
        // come out dependencies first.
        let rec named (shape: Shape) =
            match shape with
            | Shape.Named l -> [ l ]
            | Shape.List s
            | Shape.Dict s
            | Shape.Nullable s -> named s
            | _ -> []

        let dependencies (t: TypeDef) =
            match t.Kind with
            | Kind.Record(fields, _) -> fields |> List.collect (fun f -> named f.Shape)
            | Kind.Enum _ -> []
            | Kind.Union(_, cases) -> cases |> List.collect (fun c -> named c.Shape)
            |> List.distinct

        let index = Dictionary<string, int>()
        let low = Dictionary<string, int>()
        let stack = Stack<string>()
        let onStack = HashSet<string>()
        let components = ResizeArray<string list>()
        let mutable counter = 0

        let rec connect (v: string) =
            index[v] <- counter
            low[v] <- counter
            counter <- counter + 1
            stack.Push v
            onStack.Add v |> ignore

            for w in dependencies types[v] do
                if not (index.ContainsKey w) then
                    connect w
                    low[v] <- min low[v] low[w]
                elif onStack.Contains w then
                    low[v] <- min low[v] index[w]

            if low[v] = index[v] then
                let mutable members = []
                let mutable fin = false

                while not fin do
                    let w = stack.Pop()
                    onStack.Remove w |> ignore
                    members <- w :: members
                    fin <- (w = v)

                components.Add(List.sort members)

        for l in types.Keys |> Seq.sort do
            if not (index.ContainsKey l) then
                connect l

        let componentGroups =
            components
            |> Seq.map (fun c -> c |> List.map (fun l -> types[l].Group) |> List.distinct)
            |> List.ofSeq

        match componentGroups |> List.tryFind (fun g -> g.Length > 1) with
        | Some g -> Error $"""types of {String.Join(", ", g)} refer to each other in a cycle"""
        | None ->
            // Groups in an order where each comes after the groups it uses.
            let groupDeps =
                types.Values
                |> Seq.collect (fun t -> dependencies t |> List.map (fun d -> t.Group, types[d].Group))
                |> Seq.filter (fun (a, b) -> a <> b)
                |> Seq.distinct
                |> List.ofSeq

            let allGroups =
                types.Values |> Seq.map _.Group |> Seq.distinct |> Seq.sort |> List.ofSeq

            let rec order (placed: string list) (remaining: string list) =
                match remaining with
                | [] -> Ok(List.rev placed)
                | _ ->
                    match
                        remaining
                        |> List.tryFind (fun g ->
                            groupDeps |> List.forall (fun (a, b) -> a <> g || List.contains b placed))
                    with
                    | Some g -> order (g :: placed) (List.filter ((<>) g) remaining)
                    | None -> Error $"""the groups {String.Join(", ", remaining)} refer to each other in a cycle"""

            order [] allGroups
            |> Result.map (fun groups ->
                {
                    Groups =
                        [
                            for g in groups ->
                                g,
                                [
                                    for c in components do
                                        if types[c.Head].Group = g then
                                            c |> List.map (fun l -> types[l])
                                ]
                        ]
                    Roots = Map rootShapes
                    Types = types
                })
