/// Writes the F# typed models (`src/Taskcluster.Models/Generated`): one file per service (and per
/// worker), records, string enums and unions with their decoders and encoders as static members,
/// through the core's `Json` module and the hand-written `ModelCodec` helpers.
module Taskcluster.Generator.ModelEmitter

open System
open System.Globalization
open Taskcluster.Core
open Taskcluster.Generator.Code
open Taskcluster.Generator.Schema

let rec private jsonLiteral (value: Json) =
    match value with
    | Json.Null -> "Json.Null"
    | Json.Bool true -> "Json.Bool true"
    | Json.Bool false -> "Json.Bool false"
    | Json.Integer i -> $"Json.Integer({i}L)"
    | Json.Number f -> $"""Json.Number({f.ToString("R", CultureInfo.InvariantCulture)})"""
    | Json.String s -> $"Json.String {fsString s}"
    | Json.Array items -> $"""Json.Array [ {String.Join("; ", List.map jsonLiteral items)} ]"""
    | Json.Object members ->
        let pairs = members |> List.map (fun (k, v) -> $"({fsString k}, {jsonLiteral v})")
        $"""Json.Object [ {String.Join("; ", pairs)} ]"""

/// The F# type of a shape, with `qualify` applied to model names.
let rec typeWith (qualify: string -> string) (types: Map<string, TypeDef>) (shape: Shape) =
    match shape with
    | Shape.String -> "string"
    | Shape.DateTime -> "DateTimeOffset"
    | Shape.Integer -> "int64"
    | Shape.Number -> "float"
    | Shape.Boolean -> "bool"
    | Shape.Any
    | Shape.AnyObject -> "Json"
    | Shape.List s -> $"{typeWith qualify types s} list"
    | Shape.Dict s -> $"Map<string, {typeWith qualify types s}>"
    | Shape.Nullable s -> $"{typeWith qualify types s} option"
    | Shape.Named l -> qualify types[l].Name

/// The decoder of a shape, with `qualify` applied to model names.
let rec decoderWith (qualify: string -> string) (types: Map<string, TypeDef>) (shape: Shape) =
    match shape with
    | Shape.String -> "Decode.string"
    | Shape.DateTime -> qualify "ModelCodec.dateTime"
    | Shape.Integer -> "Decode.int64"
    | Shape.Number -> "Decode.float"
    | Shape.Boolean -> "Decode.bool"
    | Shape.Any -> "Decode.json"
    | Shape.AnyObject -> qualify "ModelCodec.anyObject"
    | Shape.List s -> $"(Decode.list {decoderWith qualify types s})"
    | Shape.Dict s -> $"""({qualify "ModelCodec.dict"} {decoderWith qualify types s})"""
    | Shape.Nullable s -> $"(Decode.nullable {decoderWith qualify types s})"
    | Shape.Named l -> qualify $"{types[l].Name}.Decode"

/// The encoder (a function to `Json`) of a shape, with `qualify` applied to model names.
let rec encoderWith (qualify: string -> string) (types: Map<string, TypeDef>) (shape: Shape) =
    match shape with
    | Shape.String -> "Encode.string"
    | Shape.DateTime -> qualify "ModelCodec.encodeDateTime"
    | Shape.Integer -> "Encode.int64"
    | Shape.Number -> "Encode.float"
    | Shape.Boolean -> "Encode.bool"
    | Shape.Any
    | Shape.AnyObject -> "id"
    | Shape.List s -> $"""({qualify "ModelCodec.encodeList"} {encoderWith qualify types s})"""
    | Shape.Dict s -> $"""({qualify "ModelCodec.encodeDict"} {encoderWith qualify types s})"""
    | Shape.Nullable s -> $"(Encode.option {encoderWith qualify types s})"
    | Shape.Named l -> qualify $"{types[l].Name}.Encode"

/// The F# type of a shape inside the models' namespace.
let typeOf types shape = typeWith id types shape

/// The decoder of a shape inside the models' namespace.
let decoderOf types shape = decoderWith id types shape

/// The encoder of a shape inside the models' namespace.
let encoderOf types shape = encoderWith id types shape

// Optional members that may legitimately be `null` keep the `null` (`Some Json.Null`, `Some None`)
// so that it is written back.
let private keepsNull (shape: Shape) =
    match shape with
    | Shape.Any
    | Shape.Nullable _ -> true
    | _ -> false

let private docs (w: Writer) (title: string option) (description: string option) (fallback: string) =
    let text =
        [ title; description ]
        |> List.choose id
        |> List.filter (fun s -> not (String.IsNullOrWhiteSpace s))
        |> List.distinct

    let text = if text.IsEmpty then [ fallback ] else text
    w.Lines(docLines (text |> List.collect paragraphs))

let private record
    (w: Writer)
    (types: Map<string, TypeDef>)
    (t: TypeDef)
    (fields: Field list)
    (constants: Constant list)
    =
    let known =
        (fields |> List.map _.JsonName) @ (constants |> List.map _.JsonName)
        |> List.map fsString
        |> String.concat "; "

    w.Line "{"

    w.Indented(fun () ->
        for f in fields do
            docs w None f.Description $"The `{xml f.JsonName}` member."
            let ty = typeOf types f.Shape
            let ty = if f.Required then ty else $"{ty} option"
            w.Line $"{f.Name}: {ty}"

        w.Line "/// Members the schema does not name, kept as they came and written back unchanged."
        w.Line "ExtensionData: Map<string, Json>")

    w.Line "}"
    w.Line ""
    // Built once per type, not on every decode.
    w.Line $"static let knownMembers = ModelCodec.known [ {known} ]"
    w.Line ""

    // A factory so that callers name the required members and only the optional ones they use.
    let argument (f: Field) =
        let lower = string (Char.ToLowerInvariant f.Name[0]) + f.Name.Substring 1
        fsIdentifier lower |> Result.defaultValue lower

    let required, optional = fields |> List.partition _.Required

    let parameters =
        [
            for f in required do
                $"{argument f}: {typeOf types f.Shape}"
            for f in optional do
                $"?{argument f}: {typeOf types f.Shape}"
            "?extensionData: Map<string, Json>"
        ]
        |> String.concat ", "

    w.Line $"/// A `{xml t.Name}` from its required members and any of its optional ones."
    w.Line $"static member Create({parameters}) : {t.Name} ="

    w.Indented(fun () ->
        w.Line "{"

        w.Indented(fun () ->
            fields
            |> List.iteri (fun i f ->
                let name = if i = 0 then $"{t.Name}.{f.Name}" else f.Name
                w.Line $"{name} = {argument f}")

            let name =
                if fields.IsEmpty then
                    $"{t.Name}.ExtensionData"
                else
                    "ExtensionData"

            w.Line $"{name} = defaultArg extensionData Map.empty")

        w.Line "}")

    w.Line ""
    w.Line $"/// The members the schema names (every other member goes to `ExtensionData`)."
    w.Line "static member KnownMembers: Set<string> = knownMembers"
    w.Line ""
    w.Line $"/// Decodes a `{xml t.Name}` (errors name the JSON path)."

    w.Line $"static member Decode (path: JsonPath) (element: JsonElement) : Result<{t.Name}, DecodeError> ="

    w.Indented(fun () ->
        w.Line "result {"

        w.Indented(fun () ->
            for c in constants do
                w.Line $"do! ModelCodec.constant {fsString c.JsonName} ({jsonLiteral c.Value}) path element"

            fields
            |> List.iteri (fun i f ->
                let decoder = decoderOf types f.Shape

                let read =
                    if f.Required then "Decode.field"
                    elif keepsNull f.Shape then "ModelCodec.optionalKeepingNull"
                    else "Decode.optionalField"

                w.Line $"let! f{i} = {read} {fsString f.JsonName} {decoder} path element")

            w.Line $"let! extensionData = ModelCodec.extensionData {t.Name}.KnownMembers path element"
            w.Line "return {"

            w.Indented(fun () ->
                // The first field names the type: every record has `ExtensionData`.
                fields
                |> List.iteri (fun i f ->
                    w.Line(
                        if i = 0 then
                            $"{t.Name}.{f.Name} = f{i}"
                        else
                            $"{f.Name} = f{i}"
                    ))

                w.Line(
                    if fields.IsEmpty then
                        $"{t.Name}.ExtensionData = extensionData"
                    else
                        "ExtensionData = extensionData"
                ))

            w.Line "}")

        w.Line "}")

    w.Line ""
    w.Line $"/// Encodes a `{xml t.Name}` (schema members first, then the extension data)."
    w.Line $"static member Encode(value: {t.Name}) : Json ="

    w.Indented(fun () ->
        w.Line "Json.Object ["

        w.Indented(fun () ->
            for c in constants do
                w.Line $"yield {fsString c.JsonName}, {jsonLiteral c.Value}"

            for f in fields do
                let encoder = encoderOf types f.Shape

                if f.Required then
                    w.Line $"yield {fsString f.JsonName}, {encoder} value.{f.Name}"
                else
                    w.Line $"match value.{f.Name} with"
                    w.Line $"| Some v -> yield {fsString f.JsonName}, {encoder} v"
                    w.Line "| None -> ()"

            w.Line $"yield! ModelCodec.extension {t.Name}.KnownMembers value.ExtensionData")

        w.Line "]")

let private enumeration (w: Writer) (t: TypeDef) (values: (string * string) list) =
    for value, name in values do
        w.Line $"/// `{xml value}`"
        w.Line $"| {name}"

    w.Line "/// A value this version of the schema does not list (a newer deployment's)."
    w.Line "| Unknown of string"
    w.Line ""
    w.Line $"/// Decodes a `{xml t.Name}`; an unlisted string is `Unknown`."
    w.Line $"static member Decode (path: JsonPath) (element: JsonElement) : Result<{t.Name}, DecodeError> ="

    w.Indented(fun () ->
        w.Line "Decode.string path element"
        w.Line "|> Result.map (fun s ->"

        w.Indented(fun () ->
            w.Line "match s with"

            for value, name in values do
                w.Line $"| {fsString value} -> {t.Name}.{name}"

            w.Line $"| other -> {t.Name}.Unknown other)"))

    w.Line ""
    w.Line $"/// Encodes a `{xml t.Name}` as its string."
    w.Line $"static member Encode(value: {t.Name}) : Json ="

    w.Indented(fun () ->
        w.Line "match value with"

        for value, name in values do
            w.Line $"| {t.Name}.{name} -> Json.String {fsString value}"

        w.Line $"| {t.Name}.Unknown other -> Json.String other")

let private union
    (w: Writer)
    (types: Map<string, TypeDef>)
    (t: TypeDef)
    (discriminator: string option)
    (cases: Case list)
    =
    for c in cases do
        match c.Tag with
        | Some tag -> w.Line $"/// `{xml discriminator.Value}` is `{xml (Encode.toString tag)}`."
        | None -> w.Line $"/// The `{xml c.Name}` alternative."

        w.Line $"| {c.Name} of {typeOf types c.Shape}"

    if discriminator.IsSome then
        w.Line
            $"/// A `{xml discriminator.Value}` this version of the schema does not know (a newer deployment's), kept as JSON."

        w.Line "| Unknown of Json"

    w.Line ""

    match discriminator with
    | Some d -> w.Line $"/// Decodes a `{xml t.Name}`, choosing the alternative by `{xml d}`."
    | None -> w.Line $"/// Decodes a `{xml t.Name}`: the first alternative that accepts the value."

    w.Line $"static member Decode (path: JsonPath) (element: JsonElement) : Result<{t.Name}, DecodeError> ="

    w.Indented(fun () ->
        match discriminator with
        | Some d ->
            w.Line $"match Decode.field {fsString d} Decode.json path element with"

            for c in cases do
                w.Line
                    $"| Result.Ok tag when tag = ({jsonLiteral c.Tag.Value}) -> {decoderOf types c.Shape} path element |> Result.map {t.Name}.{c.Name}"

            w.Line $"| Result.Ok _ -> Decode.json path element |> Result.map {t.Name}.Unknown"
            // Qualified: a union may have a case named `Ok` or `Error` (hooks' `lastFire`).
            w.Line "| Result.Error e -> Result.Error e"
        | None ->
            w.Line "Decode.oneOf ["

            w.Indented(fun () ->
                for c in cases do
                    w.Line $"Decode.map {t.Name}.{c.Name} {decoderOf types c.Shape}")

            w.Line "] path element")

    w.Line ""
    w.Line $"/// Encodes a `{xml t.Name}` as its alternative."
    w.Line $"static member Encode(value: {t.Name}) : Json ="

    w.Indented(fun () ->
        w.Line "match value with"

        for c in cases do
            w.Line $"| {t.Name}.{c.Name} v -> {encoderOf types c.Shape} v"

        if discriminator.IsSome then
            w.Line $"| {t.Name}.Unknown json -> json")

let private typeDef (w: Writer) (types: Map<string, TypeDef>) (keyword: string) (t: TypeDef) =
    docs w t.Title t.Description $"The schema at `{xml t.Location}`."
    w.Line $"/// <remarks>Schema: <c>{xml t.Location}</c></remarks>"

    match t.Kind with
    | Kind.Record(fields, constants) ->
        w.Line $"{keyword} {t.Name} ="
        w.Indented(fun () -> record w types t fields constants)
    | Kind.Enum values ->
        w.Line "[<RequireQualifiedAccess>]"
        w.Line $"{keyword} {t.Name} ="
        w.Indented(fun () -> enumeration w t values)
    | Kind.Union(d, cases) ->
        w.Line "[<RequireQualifiedAccess>]"
        w.Line $"{keyword} {t.Name} ="
        w.Indented(fun () -> union w types t d cases)

    w.Line ""

let private opens =
    [
        "open System"
        "open System.Text.Json"
        "open FsToolkit.ErrorHandling"
        "open Taskcluster.Core"
    ]

/// The F# file of one group of models.
let group (source: string) (version: string) (model: SchemaModel) (name: string) (components: TypeDef list list) =
    let w = Writer()
    w.Lines(header "//" source version)
    w.Line "namespace Taskcluster.Models"
    w.Line ""
    w.Lines opens
    w.Line ""

    for c in components do
        c
        |> List.iteri (fun i t -> typeDef w model.Types (if i = 0 then "type" else "and") t)

    w.ToString()

/// The registry of every model (for tests and tools that work over all of them).
let registry (source: string) (version: string) (model: SchemaModel) =
    let w = Writer()
    w.Lines(header "//" source version)
    w.Line "namespace Taskcluster.Models"
    w.Line ""
    w.Lines opens
    w.Line ""
    w.Line "/// Every generated model, by schema location."
    w.Line "[<RequireQualifiedAccess>]"
    w.Line "module ModelRegistry ="

    w.Indented(fun () ->
        w.Line "/// Every model: its schema location, its name and a decode-then-encode function."
        w.Line "let all: ModelInfo list = ["

        w.Indented(fun () ->
            for (_, components) in model.Groups do
                for c in components do
                    for t in c do
                        w.Line "{"

                        w.Indented(fun () ->
                            w.Line $"Location = {fsString t.Location}"
                            w.Line $"Name = {fsString t.Name}"

                            w.Line
                                $"RoundTrip = fun element -> {t.Name}.Decode JsonPath.Root element |> Result.map {t.Name}.Encode")

                        w.Line "}")

        w.Line "]"
        w.Line ""
        w.Line "/// The model of each root schema (a method's input or output, a message, a worker payload), by `$id`."
        w.Line "let roots: Map<string, string> = Map ["

        w.Indented(fun () ->
            for KeyValue(id, shape) in model.Roots do
                w.Line $"{fsString id}, {fsString (typeOf model.Types shape)}")

        w.Line "]")

    w.ToString()

/// The MSBuild items that compile the generated files in dependency order.
let compileItems (model: SchemaModel) =
    let w = Writer()
    w.Line "<Project>"
    w.Line "  <!-- <auto-generated> by scripts/generate.fsx: the model files in dependency order. </auto-generated> -->"
    w.Line "  <ItemGroup>"

    for (g, _) in model.Groups do
        w.Line $"    <Compile Include=\"$(MSBuildThisFileDirectory){g}.fs\" />"

    w.Line "    <Compile Include=\"$(MSBuildThisFileDirectory)Registry.fs\" />"
    w.Line "  </ItemGroup>"
    w.Line "</Project>"
    w.ToString()
