/// JSON-e values: JavaScript's object key order, JSON-e's equality, conversions to and from JSON.
module Taskcluster.Core.Tests.JsonEValueTests

open Expecto
open Taskcluster.Core

let tests =
    testList
        "JsonEValue"
        [
            testCase "array-index keys come first in numeric order; a repeated key keeps its first place"
            <| fun () ->
                let o =
                    JsonEObject.OfSeq
                        [
                            "b", JsonEValue.Number 1.0
                            "10", JsonEValue.Number 2.0
                            "01", JsonEValue.Number 3.0
                            "2", JsonEValue.Number 4.0
                            "4294967295", JsonEValue.Number 5.0
                            "b", JsonEValue.Number 6.0
                        ]

                Expect.sequenceEqual o.Keys [ "2"; "10"; "b"; "01"; "4294967295" ] "order"
                Expect.equal (o.TryFind "b") (Some(JsonEValue.Number 6.0)) "last value"

            testCase "objects larger than the linear-search size find every key"
            <| fun () ->
                let o = JsonEObject.OfSeq [ for i in 0..40 -> $"k{i}", JsonEValue.Number(float i) ]

                Expect.isTrue
                    ([ 0..40 ]
                     |> List.forall (fun i -> o.TryFind $"k{i}" = Some(JsonEValue.Number(float i))))
                    "all found"

                Expect.isFalse (o.ContainsKey "k41") "absent"

            testCase "equality ignores member order, compares numbers as doubles and functions by identity"
            <| fun () ->
                let a = JsonEValue.ofMembers [ "x", JsonEValue.Number 1.0; "y", JsonEValue.Null ]
                let b = JsonEValue.ofMembers [ "y", JsonEValue.Null; "x", JsonEValue.Number 1.0 ]
                Expect.equal a b "order ignored"
                Expect.notEqual (JsonEValue.Number nan) (JsonEValue.Number nan) "NaN differs from itself"
                let f = JsonEFunction.Create("f", fun _ -> Ok JsonEValue.Null)
                let g = JsonEFunction.Create("f", fun _ -> Ok JsonEValue.Null)
                Expect.equal (JsonEValue.Function f) (JsonEValue.Function f) "same function"
                Expect.notEqual (JsonEValue.Function f) (JsonEValue.Function g) "another function"

            testCase "toJson writes integral numbers as integers, NaN as null, and refuses functions"
            <| fun () ->
                Expect.equal
                    (JsonEValue.toJson (
                        JsonEValue.Array [| JsonEValue.Number 3.0; JsonEValue.Number 0.5; JsonEValue.Number nan |]
                    ))
                    (Ok(Json.Array [ Json.Integer 3L; Json.Number 0.5; Json.Null ]))
                    "numbers"

                Expect.isError
                    (JsonEValue.toJson (JsonEValue.Function(JsonEFunction.Create("f", fun _ -> Ok JsonEValue.Null))))
                    "a function has no JSON form"
        ]
