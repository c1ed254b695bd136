/// Writes the C# typed models (`src/Taskcluster/Generated/Models`, namespace `Taskcluster.Schemas`)
/// from the same schema model as the F# ones: classes with `required` members and nullable
/// annotations for records, string-wrapping structs for enums (an unlisted value is kept), an
/// abstract class with one nested class per alternative for unions, and a System.Text.Json
/// source-generated context covering every model. The namespace differs from the F# models'
/// (`Taskcluster.Models`), which the facade's package also brings: one name, one type.
module Taskcluster.Generator.CSharpModelEmitter

open System
open System.Globalization
open Taskcluster.Core
open Taskcluster.Generator.Code
open Taskcluster.Generator.Schema

/// The namespace of the C# models.
[<Literal>]
let Namespace = "Taskcluster.Schemas"

[<Literal>]
let private JsonElement = "global::System.Text.Json.JsonElement"

[<Literal>]
let private Serialization = "global::System.Text.Json.Serialization"

/// The name of the source-generated context.
[<Literal>]
let ContextName = "TaskclusterJsonContext"

let private isStruct (types: Map<string, TypeDef>) (shape: Shape) =
    match shape with
    | Shape.DateTime
    | Shape.Integer
    | Shape.Number
    | Shape.Boolean
    | Shape.Any
    | Shape.AnyObject -> true
    | Shape.Named l ->
        match types[l].Kind with
        | Kind.Enum _ -> true
        | _ -> false
    | _ -> false

/// The C# type of a shape; `annotate` false leaves out nullable-reference annotations (for `typeof`).
let rec private typeWith (annotate: bool) (types: Map<string, TypeDef>) (shape: Shape) =
    match shape with
    | Shape.String -> "string"
    | Shape.DateTime -> "global::System.DateTimeOffset"
    | Shape.Integer -> "long"
    | Shape.Number -> "double"
    | Shape.Boolean -> "bool"
    | Shape.Any
    | Shape.AnyObject -> JsonElement
    | Shape.List s -> $"global::System.Collections.Generic.IList<{typeWith annotate types s}>"
    | Shape.Dict s -> $"global::System.Collections.Generic.IDictionary<string, {typeWith annotate types s}>"
    | Shape.Nullable(Shape.Nullable s) -> typeWith annotate types (Shape.Nullable s)
    | Shape.Nullable s when isStruct types s -> typeWith annotate types s + "?"
    | Shape.Nullable s when annotate -> typeWith annotate types s + "?"
    | Shape.Nullable s -> typeWith annotate types s
    | Shape.Named l -> $"global::{Namespace}.{types[l].Name}"

/// The C# type of a shape, with nullable annotations.
let typeOf types shape = typeWith true types shape

/// The C# type of a shape as `typeof` takes it (no nullable-reference annotation).
let private typeofOf (types: Map<string, TypeDef>) (shape: Shape) =
    match shape with
    | Shape.Nullable s when not (isStruct types s) -> typeWith false types s
    | s -> typeWith false types s

/// The C# type of an optional member: nullable whatever its shape.
let private optionalType types shape =
    match shape with
    | Shape.Nullable _ -> typeOf types shape
    | s -> typeOf types (Shape.Nullable s)

/// An identifier for a type name (a `TypeInfoPropertyName`): letters and digits only.
let private identifierOf (csType: string) =
    csType
        .Replace("global::System.Collections.Generic.", "")
        .Replace("global::System.Text.Json.", "")
        .Replace("global::System.", "")
        .Replace($"global::{Namespace}.", "")
    |> fun s -> s.Split([| '<'; '>'; ','; ' '; '?'; '.' |], StringSplitOptions.RemoveEmptyEntries)
    |> Array.map (fun part -> string (Char.ToUpperInvariant part[0]) + part.Substring 1)
    |> String.concat ""

let private docs (w: Writer) (title: string option) (description: string option) (fallback: string) (location: string) =
    let text =
        [ title; description ]
        |> List.choose id
        |> List.filter (fun s -> not (String.IsNullOrWhiteSpace s))
        |> List.distinct

    match text with
    | [] -> w.Lines(docLines [ $"<summary>{fallback}</summary>" ])
    | first :: rest ->
        w.Lines(docLines ([ "<summary>" ] @ paragraphs first @ [ "</summary>" ]))

        w.Lines(
            docLines (
                [ "<remarks>" ]
                @ (rest |> List.collect paragraphs)
                @ [ $"<para>Schema: <c>{xml location}</c></para>"; "</remarks>" ]
            )
        )

let private summary (w: Writer) (text: string) =
    w.Lines(docLines ([ "<summary>" ] @ paragraphs text @ [ "</summary>" ]))

// Names a member cannot take: those of `object` and the type's own name.
let private objectMembers =
    set
        [
            "Equals"
            "GetHashCode"
            "ToString"
            "GetType"
            "MemberwiseClone"
            "Finalize"
            "ReferenceEquals"
        ]

let private freeName (taken: Collections.Generic.HashSet<string>) (name: string) =
    let mutable candidate = name

    while not (taken.Add candidate) do
        candidate <- candidate + "Value"

    candidate

let private literal (value: Json) : (string * string) option =
    match value with
    | Json.String s -> Some("string", csString s)
    | Json.Integer i -> Some("long", $"{i}L")
    | Json.Number f -> Some("double", f.ToString("R", CultureInfo.InvariantCulture))
    | Json.Bool b -> Some("bool", (if b then "true" else "false"))
    | _ -> None

let private record
    (w: Writer)
    (types: Map<string, TypeDef>)
    (t: TypeDef)
    (fields: Field list)
    (constants: Constant list)
    =
    w.Line $"public sealed partial class {t.Name}"
    w.Line "{"

    w.Indented(fun () ->
        let taken =
            Collections.Generic.HashSet<string>(objectMembers |> Set.add t.Name |> Set.add "ExtensionData")

        for c in constants do
            let name = freeName taken (pascal c.JsonName)

            match literal c.Value with
            | Some(ty, value) ->
                summary w $"Always `{Encode.toString c.Value}`: the schema allows no other value."
                w.Line $"[{Serialization}.JsonPropertyName({csString c.JsonName})]"
                // Written on every encode; required on every decode, and any other value is an error
                // (so an untagged union's alternative is told apart by it). Setting it is allowed
                // for initialisers, to the one value only.
                w.Line $"[{Serialization}.JsonRequired]"

                w.Line
                    $"public {ty} {name} {{ get => {value}; init => ModelJson.Constant(value, {value}, {csString c.JsonName}); }}"

                w.Line ""
            | None -> failwith $"{t.Location}: the constant {c.JsonName} is not a scalar"

        for f in fields do
            let name = freeName taken f.Name

            match f.Description with
            | Some d when not (String.IsNullOrWhiteSpace d) -> summary w d
            | _ -> summary w $"The `{f.JsonName}` member."

            w.Line $"[{Serialization}.JsonPropertyName({csString f.JsonName})]"

            if f.Required then
                match f.Shape with
                | Shape.Nullable _ ->
                    // A required member that may be null is written even when null.
                    w.Line $"[{Serialization}.JsonIgnore(Condition = {Serialization}.JsonIgnoreCondition.Never)]"
                | _ -> ()

                w.Line $"public required {typeOf types f.Shape} {name} {{ get; set; }}"
            else
                w.Line $"public {optionalType types f.Shape} {name} {{ get; set; }}"

            w.Line ""

        w.Line "/// <summary>Members the schema does not name, kept as they came and written back unchanged.</summary>"
        w.Line $"[{Serialization}.JsonExtensionData]"

        w.Line
            $"public global::System.Collections.Generic.IDictionary<string, {JsonElement}>? ExtensionData {{ get; set; }}")

    w.Line "}"

/// A type's `[JsonConverter(typeof(...))]`, left out of the documentation build of the facade
/// (TASKCLUSTER_DOCS_REFERENCE, never defined in the shipped one): fsdocs cannot read an
/// attribute's `typeof` argument in a C# assembly and would write no reference page for the type.
let private converterAttribute (w: Writer) (name: string) =
    w.Line "#if !TASKCLUSTER_DOCS_REFERENCE"
    w.Line $"[{Serialization}.JsonConverter(typeof({name}.Converter))]"
    w.Line "#endif"

let private enumeration (w: Writer) (t: TypeDef) (values: (string * string) list) =
    let name = t.Name
    converterAttribute w name
    w.Line $"public readonly partial struct {name} : global::System.IEquatable<{name}>"
    w.Line "{"

    w.Indented(fun () ->
        let taken =
            Collections.Generic.HashSet<string>(
                objectMembers
                |> Set.union (set [ name; "Value"; "IsKnown"; "Converter"; "Known" ])
            )

        let named = values |> List.map (fun (value, n) -> value, freeName taken n)
        w.Line "private readonly string? _value;"
        w.Line ""
        summary w $"A `{name}` of any string: one the schema lists or one it does not (a newer deployment's)."
        w.Line "/// <param name=\"value\">The string as JSON carries it.</param>"
        w.Line "/// <exception cref=\"T:System.ArgumentNullException\"><paramref name=\"value\"/> is null.</exception>"
        w.Line $"public {name}(string value)"
        w.Line "{"
        w.Indented(fun () -> w.Line "_value = value ?? throw new global::System.ArgumentNullException(nameof(value));")
        w.Line "}"
        w.Line ""

        for value, n in named do
            summary w $"`{value}`"
            w.Line $"public static {name} {n} {{ get; }} = new {name}({csString value});"
            w.Line ""

        w.Line "/// <summary>The string as JSON carries it.</summary>"
        w.Line "public string Value => _value ?? \"\";"
        w.Line ""
        w.Line "/// <summary>Whether the schema lists this value (false for a newer deployment's).</summary>"
        w.Line "public bool IsKnown => Value switch"
        w.Line "{"

        w.Indented(fun () ->
            for value, _ in named do
                w.Line $"{csString value} => true,"

            w.Line "_ => false,")

        w.Line "};"
        w.Line ""
        w.Line "/// <summary>The value for a string.</summary>"
        w.Line "/// <param name=\"value\">The string as JSON carries it.</param>"
        w.Line $"public static implicit operator {name}(string value) => new {name}(value);"
        w.Line ""
        w.Line "/// <summary>Whether two values are the same string (ordinal).</summary>"
        w.Line "/// <param name=\"left\">One value.</param>"
        w.Line "/// <param name=\"right\">The other value.</param>"
        w.Line $"public static bool operator ==({name} left, {name} right) => left.Equals(right);"
        w.Line ""
        w.Line "/// <summary>Whether two values are different strings (ordinal).</summary>"
        w.Line "/// <param name=\"left\">One value.</param>"
        w.Line "/// <param name=\"right\">The other value.</param>"
        w.Line $"public static bool operator !=({name} left, {name} right) => !left.Equals(right);"
        w.Line ""
        w.Line "/// <inheritdoc/>"

        w.Line
            $"public bool Equals({name} other) => string.Equals(Value, other.Value, global::System.StringComparison.Ordinal);"

        w.Line ""
        w.Line "/// <inheritdoc/>"
        w.Line $"public override bool Equals(object? obj) => obj is {name} other && Equals(other);"
        w.Line ""
        w.Line "/// <inheritdoc/>"
        w.Line "public override int GetHashCode() => global::System.StringComparer.Ordinal.GetHashCode(Value);"
        w.Line ""
        w.Line "/// <summary>The string as JSON carries it.</summary>"
        w.Line "public override string ToString() => Value;"
        w.Line ""
        w.Line $"internal sealed class Converter : {Serialization}.JsonConverter<{name}>"
        w.Line "{"

        w.Indented(fun () ->
            w.Line
                $"public override {name} Read(ref global::System.Text.Json.Utf8JsonReader reader, global::System.Type typeToConvert, global::System.Text.Json.JsonSerializerOptions options)"

            w.Indented(fun () -> w.Line $"=> new {name}(ModelJson.ReadString(ref reader, {csString name}));")
            w.Line ""

            w.Line
                $"public override void Write(global::System.Text.Json.Utf8JsonWriter writer, {name} value, global::System.Text.Json.JsonSerializerOptions options)"

            w.Indented(fun () -> w.Line "=> writer.WriteStringValue(value.Value);"))

        w.Line "}")

    w.Line "}"

/// The JSON value kinds an alternative of an untagged union can start with (empty: any).
let rec private kinds (types: Map<string, TypeDef>) (shape: Shape) =
    let k = "global::System.Text.Json.JsonValueKind."

    match shape with
    | Shape.String
    | Shape.DateTime -> [ k + "String" ]
    | Shape.Integer
    | Shape.Number -> [ k + "Number" ]
    | Shape.Boolean -> [ k + "True"; k + "False" ]
    | Shape.List _ -> [ k + "Array" ]
    | Shape.Dict _
    | Shape.AnyObject -> [ k + "Object" ]
    | Shape.Any -> []
    | Shape.Nullable s ->
        match kinds types s with
        | [] -> []
        | ks -> (k + "Null") :: ks
    | Shape.Named l ->
        match types[l].Kind with
        | Kind.Record _ -> [ k + "Object" ]
        | Kind.Enum _ -> [ k + "String" ]
        | Kind.Union _ -> []

let private union
    (w: Writer)
    (types: Map<string, TypeDef>)
    (t: TypeDef)
    (discriminator: string option)
    (cases: Case list)
    =
    let name = t.Name

    let taken =
        Collections.Generic.HashSet<string>(
            objectMembers
            |> Set.union (set [ name; "Converter"; "Unknown"; "Value"; "Json" ])
        )

    let cases = cases |> List.map (fun c -> c, freeName taken c.Name)

    converterAttribute w name
    w.Line $"public abstract partial class {name}"
    w.Line "{"

    w.Indented(fun () ->
        w.Line $"private protected {name}()"
        w.Line "{"
        w.Line "}"
        w.Line ""

        let caseClass (doc: string) (caseName: string) (ty: string) (member': string) =
            summary w doc
            w.Line $"public sealed class {caseName} : {name}"
            w.Line "{"

            w.Indented(fun () ->
                w.Line $"/// <summary>This alternative with its value.</summary>"
                w.Line $"/// <param name=\"{member'.ToLowerInvariant()}\">The value.</param>"
                w.Line $"public {caseName}({ty} {member'.ToLowerInvariant()})"
                w.Line "{"
                w.Indented(fun () -> w.Line $"{member'} = {member'.ToLowerInvariant()};")
                w.Line "}"
                w.Line ""
                w.Line "/// <summary>The value.</summary>"
                w.Line $"public {ty} {member'} {{ get; }}")

            w.Line "}"
            w.Line ""

        for c, caseName in cases do
            let doc =
                match c.Tag, discriminator with
                | Some tag, Some d -> $"The alternative whose `{d}` is `{Encode.toString tag}`."
                | _ -> $"The `{c.Name}` alternative."

            caseClass doc caseName (typeOf types c.Shape) "Value"

        if discriminator.IsSome then
            caseClass
                $"A `{discriminator.Value}` this version of the schema does not know (a newer deployment's), kept as JSON."
                "Unknown"
                JsonElement
                "Json"

        w.Line $"internal sealed class Converter : {Serialization}.JsonConverter<{name}>"
        w.Line "{"

        w.Indented(fun () ->
            w.Line
                $"public override {name} Read(ref global::System.Text.Json.Utf8JsonReader reader, global::System.Type typeToConvert, global::System.Text.Json.JsonSerializerOptions options)"

            w.Line "{"

            w.Indented(fun () ->
                w.Line $"var element = {JsonElement}.ParseValue(ref reader);"

                match discriminator with
                | Some d ->
                    w.Line $"var tag = ModelJson.Tag(element, {csString d}, {csString name});"

                    for c, caseName in cases do
                        let test =
                            match c.Tag with
                            | Some(Json.String s) ->
                                $"tag.ValueKind == global::System.Text.Json.JsonValueKind.String && tag.ValueEquals({csString s})"
                            | Some(Json.Integer i) ->
                                $"tag.ValueKind == global::System.Text.Json.JsonValueKind.Number && tag.TryGetInt64(out var n{caseName}) && n{caseName} == {i}L"
                            | Some(Json.Bool b) ->
                                $"""tag.ValueKind == global::System.Text.Json.JsonValueKind.{(if b then "True" else "False")}"""
                            | _ -> failwith $"{t.Location}: the tag of {c.Name} is not a string, integer or boolean"

                        w.Line $"if ({test})"

                        w.Indented(fun () ->
                            w.Line
                                $"return new {caseName}(ModelJson.Read<{typeOf types c.Shape}>(element, {csString name}, {csString c.Name}));")

                    w.Line "return new Unknown(element.Clone());"
                | None ->
                    for c, caseName in cases do
                        let ks = kinds types c.Shape

                        let condition =
                            match ks with
                            | [] -> "true"
                            | ks -> ks |> List.map (fun k -> $"element.ValueKind == {k}") |> String.concat " || "

                        w.Line
                            $"if (({condition}) && ModelJson.TryRead<{typeOf types c.Shape}>(element, out var v{caseName}))"

                        w.Indented(fun () -> w.Line $"return new {caseName}(v{caseName});")

                    w.Line $"throw ModelJson.NoAlternative({csString name}, element);")

            w.Line "}"
            w.Line ""

            w.Line
                $"public override void Write(global::System.Text.Json.Utf8JsonWriter writer, {name} value, global::System.Text.Json.JsonSerializerOptions options)"

            w.Line "{"

            w.Indented(fun () ->
                w.Line "switch (value)"
                w.Line "{"

                w.Indented(fun () ->
                    for c, caseName in cases do
                        w.Line $"case {caseName} c:"

                        w.Indented(fun () ->
                            w.Line $"ModelJson.Write<{typeOf types c.Shape}>(writer, c.Value);"
                            w.Line "break;")

                    if discriminator.IsSome then
                        w.Line "case Unknown u:"

                        w.Indented(fun () ->
                            w.Line "u.Json.WriteTo(writer);"
                            w.Line "break;")

                    w.Line "default:"

                    w.Indented(fun () ->
                        w.Line
                            $"throw new global::System.Text.Json.JsonException(\"a {name} of a type this version does not know\");"))

                w.Line "}")

            w.Line "}")

        w.Line "}")

    w.Line "}"

let private start (w: Writer) (source: string) (version: string) =
    w.Lines(header "//" source version)
    w.Line ""
    w.Line "#nullable enable"
    w.Line ""
    w.Line $"namespace {Namespace}"
    w.Line "{"

/// The C# file of one group of models.
let group (source: string) (version: string) (model: SchemaModel) (components: TypeDef list list) =
    let w = Writer()
    start w source version

    w.Indented(fun () ->
        let all = components |> List.concat

        all
        |> List.iteri (fun i t ->
            if i > 0 then
                w.Line ""

            docs w t.Title t.Description $"The schema at <c>{xml t.Location}</c>." t.Location

            match t.Kind with
            | Kind.Record(fields, constants) -> record w model.Types t fields constants
            | Kind.Enum values -> enumeration w t values
            | Kind.Union(d, cases) -> union w model.Types t d cases))

    w.Line "}"
    w.ToString()

/// Every C# type the context must know beyond the named models: roots and union alternatives
/// that are lists, maps or scalars (a converter reads them, so nothing else reaches them).
let private extraShapes (model: SchemaModel) =
    [
        for KeyValue(_, shape) in model.Roots do
            shape
        for KeyValue(_, t) in model.Types do
            match t.Kind with
            | Kind.Union(_, cases) ->
                for c in cases do
                    c.Shape
            | _ -> ()
    ]
    |> List.filter (function
        | Shape.Named _ -> false
        | _ -> true)
    |> List.map (typeofOf model.Types)
    |> List.distinct
    |> List.sort

/// The source-generated serializer context of every model, and the registry the tests walk.
let context (source: string) (version: string) (model: SchemaModel) =
    let w = Writer()
    start w source version

    let named = model.Types.Values |> Seq.sortBy _.Name |> List.ofSeq

    w.Indented(fun () ->
        w.Lines(
            docLines
                [
                    "<summary>"
                    "System.Text.Json metadata for every model, made at build time (no reflection when"
                    "serialising): pass <c>TaskclusterJsonContext.Default.TaskDefinition</c> (or"
                    "<c>Default.Options</c>) to <see cref=\"T:System.Text.Json.JsonSerializer\"/>. Property"
                    "names are the schemas' own, null optional members are left out, timestamps are"
                    "written as Taskcluster writes them (<c>2026-11-29T15:00:00.000Z</c>)."
                    "</summary>"
                ]
        )

        w.Line
            $"[{Serialization}.JsonSourceGenerationOptions(DefaultIgnoreCondition = {Serialization}.JsonIgnoreCondition.WhenWritingNull, Converters = new[] {{ typeof(TimestampConverter) }})]"

        for t in named do
            w.Line $"[{Serialization}.JsonSerializable(typeof(global::{Namespace}.{t.Name}))]"

        for ty in extraShapes model do
            w.Line $"[{Serialization}.JsonSerializable(typeof({ty}), TypeInfoPropertyName = \"{identifierOf ty}\")]"

        w.Line $"public partial class {ContextName} : {Serialization}.JsonSerializerContext"
        w.Line "{"
        w.Line "}"
        w.Line ""

        w.Lines(
            docLines
                [
                    "<summary>Every model by schema location, and the model of each root schema, for tests and tools.</summary>"
                ]
        )

        w.Line "internal static class ModelRegistry"
        w.Line "{"

        w.Indented(fun () ->
            w.Line "/// <summary>Every named model: its schema location and its type.</summary>"

            w.Line
                "internal static global::System.Collections.Generic.IReadOnlyList<global::System.Collections.Generic.KeyValuePair<string, global::System.Type>> All { get; } = new global::System.Collections.Generic.KeyValuePair<string, global::System.Type>[]"

            w.Line "{"

            w.Indented(fun () ->
                for t in model.Types.Values |> Seq.sortBy _.Location do
                    w.Line $"new({csString t.Location}, typeof(global::{Namespace}.{t.Name})),")

            w.Line "};"
            w.Line ""

            w.Line
                "/// <summary>The type of each root schema (a method's input or output, a message, a worker payload), by <c>$id</c>.</summary>"

            w.Line
                "internal static global::System.Collections.Generic.IReadOnlyDictionary<string, global::System.Type> Roots { get; } = new global::System.Collections.Generic.Dictionary<string, global::System.Type>"

            w.Line "{"

            w.Indented(fun () ->
                for KeyValue(id, shape) in model.Roots do
                    w.Line $"[{csString id}] = typeof({typeofOf model.Types shape}),")

            w.Line "};")

        w.Line "}")

    w.Line "}"
    w.ToString()
