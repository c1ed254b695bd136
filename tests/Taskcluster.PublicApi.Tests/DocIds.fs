/// The IDs the C# and F# compilers give members in an XML documentation file ("T:", "M:", "P:",
/// "F:", "E:"; ECMA-334 annex D), computed from reflection so that a member can be looked up in
/// the file that was shipped beside its assembly.
[<RequireQualifiedAccess>]
module Taskcluster.PublicApi.Tests.DocIds

open System
open System.Reflection

/// A type's name without the arity suffix (`List`1` -> `List`).
let private bareName (t: Type) =
    match t.Name.IndexOf '`' with
    | -1 -> t.Name
    | i -> t.Name.Substring(0, i)

/// The name of a type definition as IDs spell it: namespace, nesting with dots, arity suffixes kept.
let rec private definitionName (t: Type) =
    if t.IsNested then
        definitionName t.DeclaringType + "." + t.Name
    elif String.IsNullOrEmpty t.Namespace then
        t.Name
    else
        t.Namespace + "." + t.Name

/// The ID of a type.
let ofType (t: Type) = "T:" + definitionName t

/// How a type is spelt inside a member's parameter list: generic arguments in braces, type
/// parameters as `N, method type parameters as ``N, by-ref as @, arrays as [].
let rec parameterType (t: Type) : string =
    if t.IsGenericParameter then
        if isNull t.DeclaringMethod then
            "`" + string t.GenericParameterPosition
        else
            "``" + string t.GenericParameterPosition
    elif t.IsByRef then
        parameterType (t.GetElementType()) + "@"
    elif t.IsPointer then
        parameterType (t.GetElementType()) + "*"
    elif t.IsArray then
        let rank = t.GetArrayRank()

        let dims =
            if t.IsSZArray then
                "[]"
            else
                "[" + String.Join(",", Array.replicate rank "0:") + "]"

        parameterType (t.GetElementType()) + dims
    elif t.IsGenericType then
        constructedName t (t.GetGenericArguments())
    else
        definitionName t

/// A constructed generic type: each nesting level takes its own share of the arguments
/// (`Outer{A}.Inner{B}`), since a nested type's arguments include its parents'.
and private constructedName (t: Type) (arguments: Type array) =
    let definition = if t.IsGenericType then t.GetGenericTypeDefinition() else t

    let count (d: Type) =
        if d.IsGenericType then
            d.GetGenericArguments().Length
        else
            0

    let prefix, taken =
        if definition.IsNested then
            constructedName definition.DeclaringType arguments + ".", count definition.DeclaringType
        elif String.IsNullOrEmpty definition.Namespace then
            "", 0
        else
            definition.Namespace + ".", 0

    let own = arguments[taken .. count definition - 1]

    if own.Length = 0 then
        prefix + definition.Name
    else
        prefix
        + bareName definition
        + "{"
        + String.Join(",", own |> Array.map parameterType)
        + "}"

let private parameterList (parameters: ParameterInfo array) =
    if parameters.Length = 0 then
        ""
    else
        "("
        + String.Join(",", parameters |> Array.map (fun p -> parameterType p.ParameterType))
        + ")"

/// A member name as IDs spell it: `.ctor` -> `#ctor`, explicit implementations' dots -> `#`.
let private memberName (name: string) = name.Replace('.', '#')

/// The ID of a method or constructor (conversion operators add `~` and their result type).
let ofMethod (m: MethodBase) =
    let generic =
        if m.IsGenericMethod then
            "``" + string (m.GetGenericArguments().Length)
        else
            ""

    let conversion =
        match m with
        | :? MethodInfo as mi when mi.Name = "op_Implicit" || mi.Name = "op_Explicit" ->
            "~" + parameterType mi.ReturnType
        | _ -> ""

    "M:"
    + definitionName m.DeclaringType
    + "."
    + memberName m.Name
    + generic
    + parameterList (m.GetParameters())
    + conversion

/// The ID of a property (an indexer lists its parameters).
let ofProperty (p: PropertyInfo) =
    "P:"
    + definitionName p.DeclaringType
    + "."
    + memberName p.Name
    + parameterList (p.GetIndexParameters())

/// The ID of a field.
let ofField (f: FieldInfo) =
    "F:" + definitionName f.DeclaringType + "." + memberName f.Name

/// The ID of an event.
let ofEvent (e: EventInfo) =
    "E:" + definitionName e.DeclaringType + "." + memberName e.Name
