/// "Every public member documented": each shipped assembly is loaded from this program's folder
/// (the same Release build that `build.fsx pack` packs, with the XML documentation file the
/// compiler wrote beside it), and every public type and member a user can see must have an
/// entry in that file.
///
/// The rule: every public type, method, constructor, property, field and event of a public
/// type needs a documentation entry, and so does every case of a public F# union, except what
/// the user cannot write a comment for:
/// - members and types the compilers generate (marked [<CompilerGenerated>]), and property and
///   event accessors (the property or event carries the comment);
/// - overrides (the overridden member's comment applies);
/// - F# union machinery (the case classes, `Tags`, `Tag`, `Is<Case>`, `New<Case>`, the case
///   fields; the case itself is checked), and the constructors and members F# writes for
///   records and exceptions (the record's fields are checked);
/// - a delegate's runtime members (`Invoke`, `BeginInvoke`...), an enum's `value__`, a C#
///   class's parameterless constructor (C# writes one nobody can document when a class declares
///   none; a declared one is held to its comment by the compiler's CS1591), an F# class's constructors (F# has no
///   syntax to document a primary constructor apart from its type, which is checked).
///
/// F# spells two IDs its own way, and either spelling is accepted: a `[<Literal>]` value (a
/// field) as `P:`, and an extension member (`Queue.CreateTaskFor`) with its dot kept.
module Taskcluster.PublicApi.Tests.DocumentedTests

open System
open System.Collections.Generic
open System.IO
open System.Reflection
open System.Runtime.CompilerServices
open System.Xml.Linq
open Expecto
open Microsoft.FSharp.Core
open Microsoft.FSharp.Reflection
open Taskcluster.TestSupport

/// The assemblies the packages ship (one a package).
let shipped =
    [
        "Taskcluster.Core"
        "Taskcluster.Client"
        "Taskcluster.Models"
        "Taskcluster.Services"
        "Taskcluster.Transfers"
        "Taskcluster.Pulse"
        "Taskcluster.Emulator"
        "Taskcluster.Testing"
        "Taskcluster"
    ]

let private compilerGenerated (m: MemberInfo) =
    m.IsDefined(typeof<CompilerGeneratedAttribute>, false)

let private mapping (m: MemberInfo) =
    m.GetCustomAttributes(typeof<CompilationMappingAttribute>, false)
    |> Array.tryHead
    |> Option.map (fun a -> (a :?> CompilationMappingAttribute).SourceConstructFlags)

let private flagged (flag: SourceConstructFlags) (m: MemberInfo) =
    match mapping m with
    | Some flags -> flags &&& SourceConstructFlags.KindMask = flag
    | None -> false

let private isUnion (t: Type) = flagged SourceConstructFlags.SumType t

let private isRecord (t: Type) =
    flagged SourceConstructFlags.RecordType t

let private isFSharpException (t: Type) =
    flagged SourceConstructFlags.Exception t

/// A type whose constructors and machinery F# writes (its own comment and its fields' count).
let private fsharpShaped (t: Type) =
    isUnion t || isRecord t || isFSharpException t

let private isFSharp (t: Type) =
    t.Assembly.IsDefined(typeof<FSharpInterfaceDataVersionAttribute>)

let private isOverride (m: MethodInfo) =
    m.GetBaseDefinition().DeclaringType <> m.DeclaringType

/// The documentation IDs a public type needs, with the member each one names.
let requiredIds (t: Type) =
    let flags =
        BindingFlags.Public
        ||| BindingFlags.Instance
        ||| BindingFlags.Static
        ||| BindingFlags.DeclaredOnly

    let properties = t.GetProperties flags
    let events = t.GetEvents flags

    let accessors =
        HashSet<MethodInfo>(
            [
                for p in properties do
                    yield! p.GetAccessors true
                for e in events do
                    for a in [ e.AddMethod; e.RemoveMethod; e.RaiseMethod ] do
                        if not (isNull a) then
                            yield a
            ]
        )

    let unionCases =
        if isUnion t && FSharpType.IsUnion(t, BindingFlags.Public) then
            FSharpType.GetUnionCases(t, BindingFlags.Public) |> Array.map (fun c -> c.Name)
        else
            [||]

    let unionMachinery (name: string) =
        name = "Tag"
        || unionCases
           |> Array.exists (fun c -> name = c || name = "Is" + c || name = "New" + c || name = "get_Is" + c)

    let isDelegate = typeof<Delegate>.IsAssignableFrom t

    [
        DocIds.ofType t

        for c in unionCases do
            DocIds.ofType t + "." + c

        if not (fsharpShaped t || isDelegate) then
            for c in t.GetConstructors flags do
                // C# gives a class without constructors a parameterless one nobody wrote.
                let implicitDefault = c.GetParameters().Length = 0

                if not (compilerGenerated c || implicitDefault || isFSharp t) then
                    DocIds.ofMethod c

        if not (isDelegate || isFSharpException t) then
            for m in t.GetMethods flags do
                let skip =
                    compilerGenerated m
                    || accessors.Contains m
                    || isOverride m
                    || (isUnion t && (unionMachinery m.Name || mapping m |> Option.isSome))
                    || (isRecord t && mapping m |> Option.isSome)

                if not skip then
                    DocIds.ofMethod m

            for p in properties do
                let getter = p.GetMethod
                let overriding = not (isNull getter) && isOverride getter

                let skip =
                    compilerGenerated p
                    || overriding
                    || (isUnion t && (unionMachinery p.Name || mapping p |> Option.isSome))

                if not skip then
                    DocIds.ofProperty p

            for f in t.GetFields flags do
                if not (compilerGenerated f || f.IsSpecialName) then
                    DocIds.ofField f

            for e in events do
                if not (compilerGenerated e) then
                    DocIds.ofEvent e
    ]

/// The public types a user can see; the nested case classes and `Tags` of F# unions are
/// machinery, and compiler-generated types are nobody's to document.
let publicTypes (assembly: Assembly) =
    assembly.GetExportedTypes()
    |> Array.filter (fun t -> not (compilerGenerated t) && not (t.IsNested && isUnion t.DeclaringType))
    |> Array.sortBy (fun t -> t.FullName)

/// The IDs an assembly's XML documentation file holds.
let documentedIds (assembly: Assembly) =
    let xml = Path.ChangeExtension(assembly.Location, ".xml")

    if not (File.Exists xml) then
        failwith $"{Path.GetFileName assembly.Location} has no XML documentation file beside it"

    XDocument.Load(xml).Descendants(XName.Get "member")
    |> Seq.choose (fun m ->
        match m.Attribute(XName.Get "name") with
        | null -> None
        | a -> Some a.Value)
    |> Set.ofSeq

/// The spellings of an ID the F# compiler may have used instead (see the rule above).
let private fsharpSpellings (id: string) =
    [
        if id.StartsWith "F:" then
            "P:" + id.Substring 2
        if id.StartsWith "M:" && id.Contains "#" && not (id.Contains "#ctor") then
            id.Replace('#', '.')
    ]

/// The undocumented members of one shipped assembly, as IDs.
let undocumented (name: string) =
    let assembly = Assembly.Load(AssemblyName name)
    let documented = documentedIds assembly
    let fsharp = assembly.IsDefined(typeof<FSharpInterfaceDataVersionAttribute>)

    let isDocumented (id: string) =
        documented.Contains id
        || fsharp && fsharpSpellings id |> List.exists documented.Contains

    [
        for t in publicTypes assembly do
            for id in requiredIds t do
                if not (isDocumented id) then
                    id
    ]
    |> List.distinct

let tests =
    testList
        "every public member documented"
        [
            test "every project under src is a shipped assembly the checker covers" {
                // A new package must not slip past the check: the list above is every src project.
                let src = Path.Combine(RepoRoot.find (), "src")

                let projects =
                    Directory.GetDirectories src
                    |> Array.filter (fun d -> Directory.EnumerateFiles(d, "*.?sproj").GetEnumerator().MoveNext())
                    |> Array.map Path.GetFileName
                    |> Set.ofArray

                Expect.equal projects (Set.ofList shipped) "src projects vs the shipped list"
            }

            test "the checker sees the public surface it must" {
                // A vacuous pass is no pass: each shipped assembly exposes types, and a known
                // member of each kind is among the IDs the checker requires.
                for name in shipped do
                    let assembly = Assembly.Load(AssemblyName name)
                    Expect.isNonEmpty (publicTypes assembly) $"{name} exports public types"

                let scopeSet =
                    requiredIds (Assembly.Load(AssemblyName "Taskcluster.Core").GetType "Taskcluster.Core.ScopeSet")

                Expect.contains scopeSet "P:Taskcluster.Core.ScopeSet.Count" "a property"
                Expect.contains scopeSet "M:Taskcluster.Core.ScopeSet.Satisfies(System.String)" "a method"

                let expression =
                    requiredIds (
                        Assembly.Load(AssemblyName "Taskcluster.Core").GetType "Taskcluster.Core.ScopeExpression"
                    )

                Expect.contains expression "T:Taskcluster.Core.ScopeExpression.AnyOf" "a union case"
                Expect.isFalse (expression |> List.exists (fun id -> id.Contains "NewAnyOf")) "no union machinery"
            }

            testList
                "assemblies"
                [
                    for name in shipped do
                        test name {
                            let missing = undocumented name
                            let shown = missing |> List.truncate 200
                            let more = if missing.Length > shown.Length then "\n  ..." else ""
                            let listing = String.Join("\n  ", shown) + more

                            Expect.isEmpty
                                missing
                                $"{missing.Length} public member(s) of {name} have no XML documentation:\n  {listing}"
                        }
                ]
        ]
