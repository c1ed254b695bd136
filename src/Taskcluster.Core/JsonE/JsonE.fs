namespace Taskcluster.Core

open System
open System.Collections.Generic
open System.Text
open System.Text.RegularExpressions

[<RequireQualifiedAccess>]
module JsonE =
    let private templateError message =
        JsonEFail.raise JsonEErrorKind.TemplateError message

    // The reference's "delete marker": the value of an `$if` without a branch and the like,
    // dropped by the enclosing array or object. It is an empty object with its own identity, so
    // where the reference lets it leak (inside `$match` results) it leaks as `{}`, as there.
    let private deleteMarker = JsonEObject([||], [||], null)

    let private isDeleteMarker v =
        match v with
        | JsonEValue.Object o -> obj.ReferenceEquals(o, deleteMarker)
        | _ -> false

    let private isIdentifier (s: string) =
        let mutable ok = s.Length > 0 && (Char.IsAsciiLetter s[0] || s[0] = '_')
        let mutable i = 1

        while ok && i < s.Length do
            ok <- Char.IsAsciiLetterOrDigit s[i] || s[i] = '_'
            i <- i + 1

        ok

    // JavaScript's `\s` as a .NET character class.
    let private ws =
        @"[\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]"

    let private ident = "([a-zA-Z_][a-zA-Z0-9_]*)"
    let private eachPattern = $@"each\({ident}(,{ws}*{ident})?\)"
    let private reducePattern = $@"each\({ident},{ws}*{ident}(,{ws}*{ident})?\)"
    let private byPattern = $@"by\({ident}\)"

    let private anchored (pattern: string) =
        Regex(@"\A" + pattern + @"\z", RegexOptions.CultureInvariant)

    let private eachRegex = anchored eachPattern
    let private reduceRegex = anchored reducePattern
    let private byRegex = anchored byPattern

    // The reference checks an operator's other keys with `new RegExp(allowed.join('|') + '$')`:
    // unanchored at the start, so any key containing an allowed word passes, and only the last
    // alternative is tied to the end. The same test, run in linear time.
    type private Allowed(name: string, alternatives: string list) =
        let regex =
            let parts = List.toArray alternatives
            parts[parts.Length - 1] <- parts[parts.Length - 1] + @"\z"
            Regex(String.Join("|", parts), RegexOptions.CultureInvariant ||| RegexOptions.NonBacktracking)

        // Keys spelled exactly as the operator expects them skip the regular expression.
        let plain =
            alternatives
            |> List.filter (fun a -> a |> Seq.forall (fun c -> Char.IsAsciiLetter c || c = '$' || c = '\\'))
            |> List.map (fun a -> a.Replace("\\", ""))
            |> Set.ofList

        member _.Check(template: JsonEObject) =
            let mutable allKnown = true

            for i in 0 .. template.Count - 1 do
                let k = template.KeyAt i

                if allKnown && not (plain.Contains k || regex.IsMatch k) then
                    allKnown <- false

            if not allKnown then
                let unknown =
                    template.Keys
                    |> Seq.filter (fun k -> not (plain.Contains k || regex.IsMatch k))
                    |> Seq.sortWith (fun a b -> String.CompareOrdinal(a, b))
                    |> Seq.toList

                templateError $"""{name} has undefined properties: {String.Join(" ", unknown)}"""

    let private allowed name alternatives = Allowed(name, alternatives)
    let private evalAllowed = allowed "$eval" [ @"\$eval" ]
    let private flattenAllowed = allowed "$flatten" [ @"\$flatten" ]
    let private flattenDeepAllowed = allowed "$flattenDeep" [ @"\$flattenDeep" ]
    let private fromNowAllowed = allowed "$fromNow" [ @"\$fromNow"; "from" ]
    let private ifAllowed = allowed "$if" [ @"\$if"; "then"; "else" ]
    let private jsonAllowed = allowed "$json" [ @"\$json" ]
    let private letAllowed = allowed "$let" [ @"\$let"; "in" ]
    let private mapAllowed = allowed "$map" [ @"\$map"; eachPattern ]

    let private reduceAllowed =
        allowed "$reduce" [ @"\$reduce"; "initial"; reducePattern ]

    let private findAllowed = allowed "$find" [ @"\$find"; eachPattern ]
    let private matchAllowed = allowed "$match" [ @"\$match" ]
    let private switchAllowed = allowed "$switch" [ @"\$switch" ]
    let private mergeAllowed = allowed "$merge" [ @"\$merge" ]
    let private mergeDeepAllowed = allowed "$mergeDeep" [ @"\$mergeDeep" ]
    let private reverseAllowed = allowed "$reverse" [ @"\$reverse" ]
    let private sortAllowed = allowed "$sort" [ @"\$sort"; byPattern ]

    // In the reference's order, which only matters for "only one operator allowed".
    let private operatorNames =
        [|
            "$eval"
            "$flatten"
            "$flattenDeep"
            "$fromNow"
            "$if"
            "$json"
            "$let"
            "$map"
            "$reduce"
            "$find"
            "$match"
            "$switch"
            "$merge"
            "$mergeDeep"
            "$reverse"
            "$sort"
        |]

    let private operatorSet = HashSet<string>(operatorNames, StringComparer.Ordinal)

    let private withLocation (location: string) (error: JsonEError) =
        match error.Kind with
        // JavaScript's own errors are not template errors and carry no location there.
        | JsonEErrorKind.TypeError
        | JsonEErrorKind.PlainError -> error
        | _ ->
            { error with
                Location = location :: error.Location
            }

    let private keyLocation (key: string) =
        if
            key.Length > 0
            && Char.IsAsciiLetter key[0]
            && Seq.forall Char.IsAsciiLetterOrDigit key
        then
            "." + key
        else
            "[" + Encode.toString (Json.String key) + "]"

    let private ordinalSort (keys: seq<string>) =
        keys |> Seq.sortWith (fun a b -> String.CompareOrdinal(a, b)) |> Seq.toList

    let private raw (template: JsonEObject) key =
        template.TryFind key |> Option.defaultValue JsonEValue.Null

    let private stableStringify (state: JsonEState) (value: JsonEValue) =
        let sb = StringBuilder()

        let rec go depth value =
            state.CheckDepth(depth, "value")

            match value with
            | JsonEValue.Null
            | JsonEValue.Function _ -> sb.Append "null" |> ignore
            | JsonEValue.Bool b -> sb.Append(if b then "true" else "false") |> ignore
            | JsonEValue.Number n -> sb.Append(Encode.formatNumber n) |> ignore
            | JsonEValue.String s ->
                state.Charge(int64 s.Length)
                sb.Append(Encode.toString (Json.String s)) |> ignore
            | JsonEValue.Array items ->
                state.Charge(int64 items.Length)
                sb.Append '[' |> ignore

                items
                |> Array.iteri (fun i item ->
                    if i > 0 then
                        sb.Append ',' |> ignore

                    go (depth + 1) item)

                sb.Append ']' |> ignore
            | JsonEValue.Object o ->
                state.Charge(int64 o.Count)
                sb.Append '{' |> ignore

                o.Keys
                |> ordinalSort
                |> List.iteri (fun i key ->
                    if i > 0 then
                        sb.Append ',' |> ignore

                    sb.Append(Encode.toString (Json.String key)).Append(':') |> ignore
                    go (depth + 1) (raw o key))

                sb.Append '}' |> ignore

        go 0 value
        sb.ToString()

    let rec private containsFunctions (state: JsonEState) depth value =
        state.CheckDepth(depth, "value")
        state.Charge 1L

        match value with
        | JsonEValue.Function _ -> true
        | JsonEValue.Array items -> items |> Array.exists (containsFunctions state (depth + 1))
        | JsonEValue.Object o ->
            let mutable found = false
            let mutable i = 0

            while not found && i < o.Count do
                found <- containsFunctions state (depth + 1) (o.ValueAt i)
                i <- i + 1

            found
        | _ -> false

    let size (value: JsonEValue) =
        let rec go (total: int64) value =
            match value with
            | JsonEValue.String s -> total + 1L + int64 s.Length
            | JsonEValue.Array items -> Array.fold go (total + 1L) items
            | JsonEValue.Object o ->
                let mutable t = total + 1L

                for i in 0 .. o.Count - 1 do
                    t <- go (t + int64 (o.KeyAt i).Length) (o.ValueAt i)

                t
            | _ -> total + 1L

        go 0L value

    type private Renderer(state: JsonEState) =
        let maxDepth = state.Limits.MaxDepth
        // Parsed expressions, kept for the rest of this render: `$map`, `$reduce` and the like
        // evaluate the same text once per item. Only successful parses are kept.
        let parsed = Dictionary<string, JsonEExpr>(StringComparer.Ordinal)
        let parsedUntilBrace = Dictionary<struct (string * int), struct (JsonEExpr * int)>()

        member this.Expression (scope: JsonEScope) (source: string) =
            state.Charge(int64 source.Length)

            let tree =
                match parsed.TryGetValue source with
                | true, tree -> tree
                | _ ->
                    let tree = JsonEParser.parse maxDepth source
                    parsed[source] <- tree
                    tree

            JsonEInterpreter.evaluate state scope tree

        member this.ParseUntilBrace (s: string) (start: int) =
            match parsedUntilBrace.TryGetValue(struct (s, start)) with
            | true, struct (tree, brace) -> tree, brace
            | _ ->
                let tree, brace = JsonEParser.parseUntilBrace maxDepth s start
                parsedUntilBrace[struct (s, start)] <- struct (tree, brace)
                tree, brace

        member this.Interpolate (scope: JsonEScope) (s: string) =
            let first = s.IndexOf("${", StringComparison.Ordinal)

            if first < 0 then
                s
            else
                state.Charge(int64 s.Length)
                let sb = StringBuilder()
                let mutable pos = 0
                let mutable next = first

                while next >= 0 do
                    if next > pos && s[next - 1] = '$' then
                        // `$${` is an escaped `${`.
                        sb.Append(s, pos, next - 1 - pos).Append("${") |> ignore
                        pos <- next + 2
                    else
                        sb.Append(s, pos, next - pos) |> ignore
                        let tree, brace = this.ParseUntilBrace s (next + 2)

                        match JsonEInterpreter.evaluate state scope tree with
                        | JsonEValue.Array _
                        | JsonEValue.Object _ ->
                            let input = s.Substring(next + 2, brace - next - 2)
                            templateError $"interpolation of '{input}' produced an array or object"
                        | JsonEValue.Null -> ()
                        | v ->
                            let text = JsonEBuiltins.toJsString state v
                            state.Charge(int64 text.Length)
                            sb.Append text |> ignore

                        pos <- brace + 1

                    next <-
                        if pos >= s.Length then
                            -1
                        else
                            s.IndexOf("${", pos, StringComparison.Ordinal)

                sb.Append(s, pos, s.Length - pos).ToString()

        member this.Render (scope: JsonEScope) (depth: int) (template: JsonEValue) : JsonEValue =
            state.CheckDepth(depth, "template")
            state.Charge 1L

            match template with
            | JsonEValue.Null
            | JsonEValue.Bool _
            | JsonEValue.Number _ -> template
            | JsonEValue.String s -> JsonEValue.String(this.Interpolate scope s)
            | JsonEValue.Array items ->
                let out = ResizeArray(items.Length)

                for i in 0 .. items.Length - 1 do
                    let r =
                        try
                            this.Render scope (depth + 1) items[i]
                        with :? JsonEFailure as f ->
                            raise (JsonEFailure(withLocation $"[{i}]" f.Error))

                    if not (isDeleteMarker r) then
                        out.Add r

                JsonEValue.Array(out.ToArray())
            // A function in a template renders as the reference renders one: an object without keys.
            | JsonEValue.Function _ -> JsonEValue.Object JsonEObject.Empty
            | JsonEValue.Object o ->
                // Counted over the object's keys (usually few) rather than over all operators.
                let mutable count = 0
                let mutable operator = null

                for i in 0 .. o.Count - 1 do
                    let key = o.KeyAt i

                    if key.Length > 1 && key[0] = '$' && operatorSet.Contains key then
                        count <- count + 1
                        operator <- key

                if count > 1 then
                    templateError "only one operator allowed"
                elif count = 1 then
                    this.Operator scope (depth + 1) operator o
                else
                    let b = JsonEObjectBuilder(o.Count)

                    for i in 0 .. o.Count - 1 do
                        let key = o.KeyAt i

                        let value =
                            try
                                this.Render scope (depth + 1) (o.ValueAt i)
                            with :? JsonEFailure as f ->
                                raise (JsonEFailure(withLocation (keyLocation key) f.Error))

                        if not (isDeleteMarker value) then
                            let key =
                                if key.StartsWith("$$", StringComparison.Ordinal) then
                                    key.Substring 1
                                elif
                                    key.Length > 1
                                    && key[0] = '$'
                                    && Char.IsAsciiLetter key[1]
                                    && key |> Seq.skip 1 |> Seq.forall Char.IsAsciiLetterOrDigit
                                then
                                    templateError "$<identifier> is reserved; use $$<identifier>"
                                else
                                    this.Interpolate scope key

                            b.Set(key, value)

                    JsonEValue.Object(b.Build())

        member this.Operator (scope: JsonEScope) (depth: int) (name: string) (template: JsonEObject) : JsonEValue =
            let render = this.Render scope depth

            let renderIn (names: string array) (values: JsonEValue array) t =
                this.Render (JsonEScope(names, values, scope)) depth t

            let firstOtherKey (exclude: string list) =
                template.Keys |> Seq.tryFind (fun k -> not (List.contains k exclude))

            match name with
            | "$eval" ->
                evalAllowed.Check template

                match raw template "$eval" with
                | JsonEValue.String s -> this.Expression scope s
                | _ -> templateError "$eval must be given a string expression"
            | "$flatten" ->
                flattenAllowed.Check template

                match render (raw template "$flatten") with
                | JsonEValue.Array items ->
                    let out = ResizeArray()

                    for item in items do
                        match item with
                        | JsonEValue.Array inner ->
                            state.Charge(int64 inner.Length)
                            out.AddRange inner
                        | v -> out.Add v

                    JsonEValue.Array(out.ToArray())
                | _ -> templateError "$flatten value must evaluate to an array"
            | "$flattenDeep" ->
                flattenDeepAllowed.Check template

                match render (raw template "$flattenDeep") with
                | JsonEValue.Array items ->
                    let out = ResizeArray()

                    let rec flatten d (items: JsonEValue array) =
                        state.CheckDepth(d, "value")

                        for item in items do
                            state.Charge 1L

                            match item with
                            | JsonEValue.Array inner -> flatten (d + 1) inner
                            | v -> out.Add v

                    flatten 0 items
                    JsonEValue.Array(out.ToArray())
                | _ -> templateError "$flattenDeep value must evaluate to an array"
            | "$fromNow" ->
                fromNowAllowed.Check template
                let value = render (raw template "$fromNow")

                let reference =
                    match template.TryFind "from" with
                    | Some f when JsonEBuiltins.isTruthy f -> render f
                    | _ ->
                        let mutable now = JsonEValue.Null
                        if scope.TryFind("now", &now) then now else JsonEValue.Null

                match value with
                | JsonEValue.String offset -> JsonEBuiltins.fromNow state offset reference
                | _ -> templateError "$fromNow expects a string"
            | "$if" ->
                ifAllowed.Check template

                match raw template "$if" with
                | JsonEValue.String condition ->
                    if JsonEBuiltins.isTruthy (this.Expression scope condition) then
                        if template.ContainsKey "$then" then
                            templateError "$if Syntax error: $then: should be spelled then: (no $)"

                        match template.TryFind "then" with
                        | Some t -> render t
                        | None -> JsonEValue.Object deleteMarker
                    else
                        match template.TryFind "else" with
                        | Some t -> render t
                        | None -> JsonEValue.Object deleteMarker
                | _ -> templateError "$if can evaluate string expressions only"
            | "$json" ->
                jsonAllowed.Check template
                let rendered = render (raw template "$json")

                if containsFunctions state 0 rendered then
                    templateError "evaluated template contained uncalled functions"

                JsonEValue.String(stableStringify state rendered)
            | "$let" ->
                letAllowed.Check template

                match raw template "$let" with
                | JsonEValue.Object _ ->
                    match render (raw template "$let") with
                    | JsonEValue.Object variables ->
                        if not (variables.Keys |> Seq.forall isIdentifier) then
                            templateError "top level keys of $let must follow /[a-zA-Z_][a-zA-Z0-9_]*/"

                        match template.TryFind "in" with
                        | None
                        | Some JsonEValue.Null -> templateError "$let operator requires an `in` clause"
                        | Some body -> this.Render (JsonEScope(variables, scope)) depth body
                    | _ -> templateError "$let value must be an object"
                | _ -> templateError "$let value must be an object"
            | "$map" ->
                mapAllowed.Check template
                let value = render (raw template "$map")

                match value with
                | JsonEValue.Array _
                | JsonEValue.Object _ -> ()
                | _ -> templateError "$map value must evaluate to an array or object"

                if template.Count <> 2 then
                    templateError "$map must have exactly two properties"

                let eachKey = (firstOtherKey [ "$map" ]).Value
                let m = eachRegex.Match eachKey

                if not m.Success then
                    templateError "$map requires each(identifier) syntax"

                let x = m.Groups[1].Value
                let index = if m.Groups[3].Success then Some m.Groups[3].Value else None
                let each = raw template eachKey

                match value with
                | JsonEValue.Object o ->
                    let merged = JsonEObjectBuilder()

                    for k in 0 .. o.Count - 1 do
                        let key = o.KeyAt k
                        let v = o.ValueAt k

                        let result =
                            match index with
                            | Some i -> renderIn [| x; i |] [| v; JsonEValue.String key |] each
                            | None ->
                                let pair = JsonEValue.ofMembers [ "key", JsonEValue.String key; "val", v ]
                                renderIn [| x |] [| pair |] each

                        match result with
                        | JsonEValue.Object r ->
                            if not (obj.ReferenceEquals(r, deleteMarker)) then
                                state.Charge(int64 r.Count)

                                for j in 0 .. r.Count - 1 do
                                    merged.Set(r.KeyAt j, r.ValueAt j)
                        | _ -> templateError $"$map on objects expects each({x}) to evaluate to an object"

                    JsonEValue.Object(merged.Build())
                | JsonEValue.Array items ->
                    let out = ResizeArray(items.Length)

                    items
                    |> Array.iteri (fun idx v ->
                        let result =
                            match index with
                            | Some i -> renderIn [| x; i |] [| v; JsonEValue.Number(float idx) |] each
                            | None -> renderIn [| x |] [| v |] each

                        if not (isDeleteMarker result) then
                            out.Add result)

                    JsonEValue.Array(out.ToArray())
                | _ -> JsonEValue.Null
            | "$reduce" ->
                reduceAllowed.Check template

                match render (raw template "$reduce") with
                | JsonEValue.Array items ->
                    if template.Count <> 3 then
                        templateError "$reduce must have exactly three properties"

                    let m =
                        match firstOtherKey [ "$reduce"; "initial" ] with
                        | Some k -> reduceRegex.Match k
                        | None -> Match.Empty

                    if not m.Success then
                        templateError "$reduce requires each(identifier) syntax"

                    let a = m.Groups[1].Value
                    let x = m.Groups[2].Value
                    let index = if m.Groups[4].Success then Some m.Groups[4].Value else None
                    let each = raw template m.Value
                    // The reference starts from the `initial` value as written, not rendered.
                    let mutable acc = raw template "initial"

                    items
                    |> Array.iteri (fun idx v ->
                        let result =
                            match index with
                            | Some i -> renderIn [| a; x; i |] [| acc; v; JsonEValue.Number(float idx) |] each
                            | None -> renderIn [| a; x |] [| acc; v |] each

                        if not (isDeleteMarker result) then
                            acc <- result)

                    acc
                | _ -> templateError "$reduce value must evaluate to an array"
            | "$find" ->
                findAllowed.Check template

                match render (raw template "$find") with
                | JsonEValue.Array items ->
                    if template.Count <> 2 then
                        templateError "$find must have exactly two properties"

                    let eachKey = (firstOtherKey [ "$find" ]).Value
                    let m = eachRegex.Match eachKey

                    if not m.Success then
                        templateError "$find requires each(identifier) syntax"

                    match raw template eachKey with
                    | JsonEValue.String each ->
                        let x = m.Groups[1].Value
                        let index = if m.Groups[3].Success then Some m.Groups[3].Value else None

                        let found =
                            items
                            |> Array.mapi (fun i v -> i, v)
                            |> Array.tryFind (fun (idx, v) ->
                                let inner =
                                    match index with
                                    | Some i -> JsonEScope([| x; i |], [| v; JsonEValue.Number(float idx) |], scope)
                                    | None -> JsonEScope([| x |], [| v |], scope)

                                JsonEBuiltins.isTruthy (this.Expression inner each)
                                && (this.Interpolate inner each).Length > 0)

                        match found with
                        | Some(_, v) -> v
                        | None -> JsonEValue.Object deleteMarker
                    | _ -> templateError "each can evaluate string expressions only"
                | _ -> templateError "$find value must evaluate to an array"
            | "$match" ->
                matchAllowed.Check template

                match raw template "$match" with
                | JsonEValue.Object conditions ->
                    let out = ResizeArray()

                    for condition in ordinalSort conditions.Keys do
                        if JsonEBuiltins.isTruthy (this.Expression scope condition) then
                            out.Add(render (raw conditions condition))

                    JsonEValue.Array(out.ToArray())
                | _ -> templateError "$match can evaluate objects only"
            | "$switch" ->
                switchAllowed.Check template

                match raw template "$switch" with
                | JsonEValue.Object conditions ->
                    let out = ResizeArray()

                    for condition in ordinalSort (conditions.Keys |> Seq.filter (fun k -> k <> "$default")) do
                        if JsonEBuiltins.isTruthy (this.Expression scope condition) then
                            out.Add(render (raw conditions condition))

                    if out.Count > 1 then
                        templateError "$switch can only have one truthy condition"

                    if out.Count = 0 && conditions.ContainsKey "$default" then
                        out.Add(render (raw conditions "$default"))

                    if out.Count > 0 then
                        out[0]
                    else
                        JsonEValue.Object deleteMarker
                | _ -> templateError "$switch can evaluate objects only"
            | "$merge" ->
                mergeAllowed.Check template

                match render (raw template "$merge") with
                | JsonEValue.Array items when
                    items
                    |> Array.forall (function
                        | JsonEValue.Object _ -> true
                        | _ -> false)
                    ->
                    let merged = JsonEObjectBuilder()

                    for item in items do
                        match item with
                        | JsonEValue.Object o ->
                            state.Charge(int64 o.Count)

                            for j in 0 .. o.Count - 1 do
                                merged.Set(o.KeyAt j, o.ValueAt j)
                        | _ -> ()

                    JsonEValue.Object(merged.Build())
                | _ -> templateError "$merge value must evaluate to an array of objects"
            | "$mergeDeep" ->
                mergeDeepAllowed.Check template

                match render (raw template "$mergeDeep") with
                | JsonEValue.Array items when
                    items
                    |> Array.forall (function
                        | JsonEValue.Object _ -> true
                        | _ -> false)
                    ->
                    let rec merge d (l: JsonEValue) (r: JsonEValue) =
                        state.CheckDepth(d, "value")
                        state.Charge 1L

                        match l, r with
                        | JsonEValue.Array x, JsonEValue.Array y ->
                            state.Charge(int64 (x.Length + y.Length))
                            JsonEValue.Array(Array.append x y)
                        | JsonEValue.Object x, JsonEValue.Object y ->
                            let b = JsonEObjectBuilder()
                            state.Charge(int64 (x.Count + y.Count))

                            for j in 0 .. x.Count - 1 do
                                b.Set(x.KeyAt j, x.ValueAt j)

                            for j in 0 .. y.Count - 1 do
                                let key = y.KeyAt j

                                match x.TryFind key with
                                | Some lv -> b.Set(key, merge (d + 1) lv (y.ValueAt j))
                                | None -> b.Set(key, y.ValueAt j)

                            JsonEValue.Object(b.Build())
                        | _ -> r

                    if items.Length = 0 then
                        JsonEValue.Object JsonEObject.Empty
                    else
                        Array.fold (merge 0) items[0] items[1..]
                | _ -> templateError "$mergeDeep value must evaluate to an array of objects"
            | "$reverse" ->
                reverseAllowed.Check template

                match render (raw template "$reverse") with
                | JsonEValue.Array items ->
                    state.Charge(int64 items.Length)
                    JsonEValue.Array(Array.rev items)
                | _ -> templateError "$reverse value must evaluate to an array of objects"
            | "$sort" ->
                sortAllowed.Check template

                let sameType () =
                    templateError "$sorted values to be sorted must have the same type"

                match render (raw template "$sort") with
                | JsonEValue.Array items ->
                    let byKey = firstOtherKey [ "$sort" ]

                    let m =
                        match byKey with
                        | Some k -> byRegex.Match k
                        | None -> Match.Empty

                    let by: JsonEValue -> JsonEValue =
                        if m.Success then
                            let x = m.Groups[1].Value

                            match raw template byKey.Value with
                            | JsonEValue.String expression ->
                                fun v -> this.Expression (JsonEScope([| x |], [| v |], scope)) expression
                            | _ -> fun _ -> JsonEFail.raise JsonEErrorKind.TypeError "source.slice is not a function"
                        else
                            if
                                items
                                |> Array.exists (function
                                    | JsonEValue.Array _
                                    | JsonEValue.Object _ -> true
                                    | _ -> false)
                            then
                                sameType ()

                            id

                    let tagged = items |> Array.map (fun v -> by v, v)
                    state.Charge(int64 items.Length * 8L)

                    if tagged.Length > 0 then
                        let allNumbers =
                            tagged
                            |> Array.forall (function
                                | JsonEValue.Number _, _ -> true
                                | _ -> false)

                        let allStrings =
                            tagged
                            |> Array.forall (function
                                | JsonEValue.String _, _ -> true
                                | _ -> false)

                        if not (allNumbers || allStrings) then
                            sameType ()

                    let compareTags (a: JsonEValue, _) (b: JsonEValue, _) =
                        match a, b with
                        | JsonEValue.Number x, JsonEValue.Number y ->
                            if x < y then -1
                            elif x > y then 1
                            else 0
                        | JsonEValue.String x, JsonEValue.String y -> sign (String.CompareOrdinal(x, y))
                        | _ -> 0

                    JsonEValue.Array(
                        tagged
                        |> List.ofArray
                        |> List.sortWith compareTags
                        |> List.map snd
                        |> List.toArray
                    )
                | _ -> sameType ()
            | _ -> templateError $"unknown operator {name}"

    let private run
        (limits: JsonELimits)
        (context: JsonEValue)
        (now: DateTimeOffset)
        (body: JsonEState -> JsonEScope -> JsonEValue)
        =
        try
            match context with
            | JsonEValue.Object ctx ->
                if not (ctx.Keys |> Seq.forall isIdentifier) then
                    templateError "top level keys of context must follow /[a-zA-Z_][a-zA-Z0-9_]*/"

                let state = JsonEState(limits)
                let nowText = JsonEValue.String(FromNow.format now)
                state.Now <- nowText

                let scope =
                    JsonEScope(ctx, JsonEScope([| "now" |], [| nowText |], JsonEBuiltins.scope))

                Ok(body state scope)
            | _ -> templateError "context must be an object"
        with :? JsonEFailure as f ->
            Error f.Error

    let renderWith (limits: JsonELimits) (template: JsonEValue) (context: JsonEValue) (now: DateTimeOffset) =
        run limits context now (fun state scope ->
            let result = Renderer(state).Render scope 0 template
            let result = if isDeleteMarker result then JsonEValue.Null else result

            if containsFunctions state 0 result then
                templateError "evaluated template contained uncalled functions"

            let total = size result

            if total > limits.MaxOutputSize then
                JsonEFail.raise
                    JsonEErrorKind.LimitExceeded
                    $"the result's size ({total}) is over the limit of {limits.MaxOutputSize}"

            result)

    let render template context now =
        renderWith JsonEValue.defaultLimits template context now

    let renderJson (template: Json) (context: Json) (now: DateTimeOffset) =
        render (JsonEValue.ofJson template) (JsonEValue.ofJson context) now
        |> Result.bind (fun v ->
            JsonEValue.toJson v
            |> Result.mapError (fun message ->
                {
                    Kind = JsonEErrorKind.TemplateError
                    Message = message
                    Location = []
                }))

    let evaluate (expression: string) (context: JsonEValue) (now: DateTimeOffset) =
        run JsonEValue.defaultLimits context now (fun state scope ->
            Renderer(state).Expression scope (if isNull expression then "" else expression))
