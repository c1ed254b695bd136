(**
# Rendering JSON-e

JSON-e is the template language of hooks and `.taskcluster.yml`. `Taskcluster.Functional.Core`
renders it (the reference implementation's behaviour, checked against its specification); the
clock is a parameter, so `$fromNow` is reproducible.
*)
#r "nuget: Taskcluster.Functional.Core, 0.1.0"

open System
open Taskcluster.Core

let parse text =
    Decode.fromString Decode.json text
    |> Result.defaultWith (fun e -> failwith $"%A{e}")

let now = DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero)

(**
A template of a task, with a condition, a loop and a relative deadline, and its context.
*)
let template =
    parse
        """
{
  "taskQueueId": "proj-${project}/worker",
  "deadline": {"$fromNow": "2 hours"},
  "routes": {"$map": {"$eval": "branches"}, "each(b)": "index.proj-${project}.${b}"},
  "payload": {
    "$if": "release",
    "then": {"command": ["publish", "${version}"]},
    "else": {"command": ["test"]}
  }
}
"""

let context =
    parse """{"project": "x", "branches": ["main", "beta"], "release": true, "version": "1.2.0"}"""

let rendered =
    JsonE.renderJson template context now
    |> Result.defaultWith (fun e -> failwith $"%A{e}")

printfn "%s" (Encode.toString rendered)

(**
The rendered task, checked field by field.
*)
let expected =
    parse
        """
{
  "taskQueueId": "proj-x/worker",
  "deadline": "2026-12-01T14:00:00.000Z",
  "routes": ["index.proj-x.main", "index.proj-x.beta"],
  "payload": {"command": ["publish", "1.2.0"]}
}
"""

if rendered <> expected then
    failwith $"rendered {Encode.toString rendered}, expected {Encode.toString expected}"

(**
Errors are values naming what went wrong, never exceptions.
*)
match JsonE.renderJson (parse """{"$eval": "missing + 1"}""") context now with
| Error e -> printfn "as expected: %A" e
| Ok value -> failwith $"an unknown variable rendered as {Encode.toString value}"
