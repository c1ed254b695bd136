(**
---
title: JSON-e templates
category: Capabilities
categoryindex: 2
index: 8
---
*)
(*** hide ***)
#load ".include/references.fsx"
(**
# JSON-e templates, offline

`JsonE` in the core is JSON-e 4.8.4, the template language of hooks and of `.taskcluster.yml`:
every operator (`$eval`, `$json`, `$if`/`then`/`else`, `$flatten`, `$flattenDeep`, `$fromNow`,
`$let`, `$map`, `$reduce`, `$find`, `$match`, `$switch`, `$merge`, `$mergeDeep`, `$sort`,
`$reverse`), `$$` escapes, `${...}` interpolation, the expression language and every built-in,
with the reference implementation's error messages. It is pure: "now" is an argument, nothing
throws, and every render is bounded.
*)
open System
open Taskcluster.Core

let template =
    Decode.fromString
        Decode.json
        """
      {"tasks": {"$map": {"$eval": "platforms"}, "each(p)": {
         "name": "build ${p} at ${event.after[:7]}",
         "deadline": {"$fromNow": "1 day"},
         "priority": {"$if": "p == 'linux64'", "then": "high", "else": "low"}}}}"""
    |> Result.defaultWith (fun e -> failwith (e.Describe()))

let context =
    Json.Object
        [
            "platforms", Json.Array [ Json.String "linux64"; Json.String "win64" ]
            "event", Json.Object [ ("after", Json.String "9bb89a7c3f4e5d6a") ]
        ]

let now = DateTimeOffset(2026, 11, 27, 12, 0, 0, TimeSpan.Zero)

match JsonE.renderJson template context now with
| Ok tasks -> printfn "%s" (Encode.toString tasks)
| Error e -> printfn "%s" (e.Describe())

// An error names its kind, the place in the template and the reference's message.
match JsonE.renderJson template (Json.Object []) now with
| Ok tasks -> printfn "%s" (Encode.toString tasks)
| Error e -> printfn "%s" (e.Describe())
(**
`JsonE.render` works on `JsonEValue`, JSON-e's own value type (every number a double, as in
JavaScript; objects ordered as a JavaScript object orders its keys; functions as values, so a
context can carry your own — `JsonEFunction.Create("as_slugid", fun args -> ...)`, as the GitHub
service does). `JsonE.evaluate` evaluates one expression. `JsonE.renderWith limits` sets the
bounds (`JsonEValue.defaultLimits`); beyond them a render stops with `LimitExceeded` instead of
overflowing the stack or allocating without end.

A `.taskcluster.yml` is YAML: convert it to JSON first (any YAML library), then render it with
the context the GitHub service gives (`tasks_for`, `event`, `repository`, `now`, `as_slugid`).

All 1,175 cases of the language's specification pass, and the interop tests render thousands of
generated templates with both this core and the official `json-e` package and compare results and
errors. The deliberate differences are where the reference would read the clock or the platform:
a falsy reference date uses the "now" passed in, dates are read in ECMAScript's date-time format
only, and functions turned into text are `function min() { [native code] }`.

## From C#

Failures are `TaskclusterErrorKind.TemplateError` with the JSON-e kind in `Name`, the place in
`JsonPath` and the reference's `Message`:

```csharp
using System.Text.Json;

using var template = JsonDocument.Parse("""{"commit": {"$if": "tasks_for == 'github-push'", "then": "${event.after}"}}""");
using var context = JsonDocument.Parse("""{"tasks_for": "github-push", "event": {"after": "9bb89a7c"}}""");

var result = JsonE.Render(template.RootElement, context.RootElement, DateTimeOffset.UtcNow);
if (result.TryGetValue(out var rendered)) Console.WriteLine(rendered);
else Console.WriteLine($"{result.Error.Name} at {result.Error.JsonPath}: {result.Error.Message}");

// Or JSON text in, JSON text out:
string tasks = JsonE.Render(templateJson, contextJson, DateTimeOffset.UtcNow).GetValueOrThrow();
```
*)
