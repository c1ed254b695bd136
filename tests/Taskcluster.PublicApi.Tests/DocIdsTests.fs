module Taskcluster.PublicApi.Tests.DocIdsTests

open System
open System.Collections.Generic
open System.Reflection
open Expecto

/// Members with every shape an ID spells differently, from the base class library, whose IDs
/// are fixed by the ECMA-334 rules.
let tests =
    testList
        "documentation IDs"
        [
            test "types: namespace, arity suffix, nesting with a dot" {
                Expect.equal (DocIds.ofType typeof<string>) "T:System.String" "plain"

                Expect.equal
                    (DocIds.ofType typedefof<Dictionary<_, _>>)
                    "T:System.Collections.Generic.Dictionary`2"
                    "generic"

                Expect.equal
                    (DocIds.ofType typedefof<Dictionary<_, _>.Enumerator>)
                    "T:System.Collections.Generic.Dictionary`2.Enumerator"
                    "nested in a generic type"
            }

            test "methods: parameters, generic arguments in braces, type and method parameters" {
                let tryGetValue = typedefof<Dictionary<_, _>>.GetMethod "TryGetValue"

                Expect.equal
                    (DocIds.ofMethod tryGetValue)
                    "M:System.Collections.Generic.Dictionary`2.TryGetValue(`0,`1@)"
                    "type parameters and by-ref"

                let empty = typeof<Array>.GetMethod "Empty"
                Expect.equal (DocIds.ofMethod empty) "M:System.Array.Empty``1" "a generic method without parameters"

                let concat = typeof<string>.GetMethod("Concat", [| typeof<IEnumerable<string>> |])

                Expect.equal
                    (DocIds.ofMethod concat)
                    "M:System.String.Concat(System.Collections.Generic.IEnumerable{System.String})"
                    "a constructed generic parameter"

                let copy =
                    typeof<Array>.GetMethod("Copy", [| typeof<Array>; typeof<Array>; typeof<int> |])

                Expect.equal
                    (DocIds.ofMethod copy)
                    "M:System.Array.Copy(System.Array,System.Array,System.Int32)"
                    "several"
            }

            test "constructors, arrays, nested constructed types, conversions" {
                let ctor = typeof<string>.GetConstructor [| typeof<char[]> |]
                Expect.equal (DocIds.ofMethod ctor) "M:System.String.#ctor(System.Char[])" "#ctor and []"

                let getEnumerator =
                    typedefof<Dictionary<_, _>>.GetMethod("GetEnumerator", Type.EmptyTypes)

                Expect.equal
                    (DocIds.parameterType getEnumerator.ReturnType)
                    "System.Collections.Generic.Dictionary{`0,`1}.Enumerator"
                    "arguments belong to the level that declares them"

                let implicitOp =
                    typeof<decimal>.GetMethods()
                    |> Array.find (fun m ->
                        m.Name = "op_Implicit" && (m.GetParameters()[0]).ParameterType = typeof<int>)

                Expect.equal
                    (DocIds.ofMethod implicitOp)
                    "M:System.Decimal.op_Implicit(System.Int32)~System.Decimal"
                    "a conversion names its result"
            }

            test "properties, indexers, fields and events" {
                Expect.equal
                    (DocIds.ofProperty (typeof<string>.GetProperty "Length"))
                    "P:System.String.Length"
                    "property"

                Expect.equal
                    (DocIds.ofProperty (typeof<List<int>>.GetGenericTypeDefinition().GetProperty "Item"))
                    "P:System.Collections.Generic.List`1.Item(System.Int32)"
                    "indexer"

                Expect.equal (DocIds.ofField (typeof<string>.GetField "Empty")) "F:System.String.Empty" "field"

                Expect.equal
                    (DocIds.ofEvent (typeof<AppDomain>.GetEvent "ProcessExit"))
                    "E:System.AppDomain.ProcessExit"
                    "event"
            }
        ]
