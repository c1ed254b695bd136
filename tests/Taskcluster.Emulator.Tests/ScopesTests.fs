/// The emulator's scope algebra and scope templates, pinned to taskcluster-lib-scopes' vectors.
module Taskcluster.Emulator.Tests.ScopesTests

open System.Collections.Generic
open System.Text.Json.Nodes
open Expecto
open Taskcluster.Emulator.Internal
open Taskcluster.Emulator.Tests.Harness

let private scopes (n: JsonNode) = [| for s in n.AsArray() -> string s |]

let private expr (n: JsonNode) =
    match Scopes.tryParseExpr n with
    | Some e -> e
    | None -> failtestf "bad expression in vector: %s" (n.ToJsonString())

let private vectorTests =
    Shared.testCases "vectors (scopes.json)" "scopes.json" (fun case ->
        match string case.["op"] with
        | "satisfiesExpression" ->
            let expected = case.["result"].GetValue<bool>()
            Expect.equal (Scopes.satisfies (scopes case.["scopes"]) (expr case.["expression"])) expected "satisfies"
        | "removeGivenScopes" ->
            let actual =
                Scopes.removeGiven (scopes case.["scopes"]) (expr case.["expression"])
                |> Option.map Scopes.toJson

            match actual, case.["result"] with
            | None, null -> ()
            | Some a, null -> failtestf "expected satisfied, got %s" (a.ToJsonString())
            | None, e -> failtestf "expected %s, got satisfied" (e.ToJsonString())
            | Some a, e -> Expect.isTrue (JsonNode.DeepEquals(a, e)) $"{a.ToJsonString()} = {e.ToJsonString()}"
        | "normalizeScopeSet" ->
            let actual = Scopes.normalize (scopes case.["scopes"]) |> set
            Expect.equal actual (scopes case.["result"] |> set) "normalized set"
        | "scopeCompare" ->
            let a = string case.["a"]
            let b = string case.["b"]
            Expect.equal (Taskcluster.Core.Scope.scopeCompare a b) (case.["result"].GetValue<int>()) $"compare {a} {b}"
        | "validScope" ->
            Expect.equal (Scopes.valid (string case.["scope"])) (case.["result"].GetValue<bool>()) "valid"
        | _ -> ())

let private render (template: string) (ps: (string * JsonNode) list) =
    let d = Dictionary<string, JsonNode>()

    for k, v in ps do
        d[k] <- v

    Templates.parse (JsonNode.Parse template)
    |> Result.bind (fun t -> Templates.render t d)
    |> Result.map (Option.map (fun e -> (Scopes.toJson e).ToJsonString()))

let tests =
    testList
        "Scopes"
        [
            vectorTests
            test "a template substitutes parameters" {
                Expect.equal
                    (render """{"AllOf":["a:<x>","b:<y>"]}""" [ "x", jstr "1"; "y", jstr "2" ])
                    (Ok(Some """{"AllOf":["a:1","b:2"]}"""))
                    "rendered"
            }
            test "for/in/each expands inside the list" {
                Expect.equal
                    (render """{"AnyOf":["x",{"for":"p","in":"ps","each":"q:<p>"}]}""" [ "ps", jstrs [ "a"; "b" ] ])
                    (Ok(Some """{"AnyOf":["x","q:a","q:b"]}"""))
                    "rendered"
            }
            test "if/then/else follows the boolean" {
                let t = """{"if":"ro","then":"r:<b>","else":"rw:<b>"}"""
                Expect.equal (render t [ "ro", JsonValue.Create true; "b", jstr "k" ]) (Ok(Some "\"r:k\"")) "then"
                Expect.equal (render t [ "ro", JsonValue.Create false; "b", jstr "k" ]) (Ok(Some "\"rw:k\"")) "else"
            }
            test "a missing or non-string parameter is an error, not an exception" {
                Expect.isError (render "\"a:<x>\"" []) "missing"
                Expect.isError (render "\"a:<x>\"" [ "x", jstrs [ "a" ] ]) "not a string"
            }
        ]
