namespace Taskcluster.Core

open System
open System.Globalization
open System.Numerics
open System.Runtime.CompilerServices
open System.Text

[<Sealed>]
type internal JsonEState(limits: JsonELimits) =
    let mutable work = 0L
    member val RangeTests = [| "integer"; "integer"; "integer" |] with get, set
    member val Now = JsonEValue.Null with get, set
    member _.Limits = limits

    member _.Charge(units: int64) =
        work <- work + units

        if work > limits.MaxWork then
            JsonEFail.raise JsonEErrorKind.LimitExceeded $"the render needs more than {limits.MaxWork} units of work"

    member _.CheckDepth(depth: int, what: string) =
        if
            depth > limits.MaxDepth
            || not (RuntimeHelpers.TryEnsureSufficientExecutionStack())
        then
            JsonEFail.raise JsonEErrorKind.LimitExceeded $"{what} nested deeper than {limits.MaxDepth} levels"

[<Sealed; AllowNullLiteral>]
type internal JsonEScope(members: JsonEObject, names: string array, values: JsonEValue array, parent: JsonEScope) =
    new(members: JsonEObject, parent: JsonEScope) = JsonEScope(members, null, null, parent)

    new(names: string array, values: JsonEValue array, parent: JsonEScope) =
        JsonEScope(Unchecked.defaultof<_>, names, values, parent)

    member _.TryFind(name: string, value: byref<JsonEValue>) =
        let mutable found = false

        if isNull names |> not then
            let mutable i = names.Length - 1

            while not found && i >= 0 do
                if String.Equals(names[i], name, StringComparison.Ordinal) then
                    value <- values[i]
                    found <- true

                i <- i - 1
        else
            found <- members.TryGet(name, &value)

        if found then true
        elif isNull parent then false
        else parent.TryFind(name, &value)

[<RequireQualifiedAccess>]
module internal JsonEBuiltins =
    let private fail kind message = JsonEFail.raise kind message

    let numberToString (n: float) =
        if Double.IsNaN n then "NaN"
        elif Double.IsPositiveInfinity n then "Infinity"
        elif Double.IsNegativeInfinity n then "-Infinity"
        else Encode.formatNumber n

    let toJsString (state: JsonEState) (value: JsonEValue) =
        let sb = StringBuilder()

        let rec go depth value =
            state.CheckDepth(depth, "value")

            match value with
            | JsonEValue.Null -> sb.Append "null" |> ignore
            | JsonEValue.Bool b -> sb.Append(if b then "true" else "false") |> ignore
            | JsonEValue.Number n -> sb.Append(numberToString n) |> ignore
            | JsonEValue.String s ->
                state.Charge(int64 s.Length)
                sb.Append s |> ignore
            | JsonEValue.Array items ->
                state.Charge(int64 items.Length)

                items
                |> Array.iteri (fun i item ->
                    if i > 0 then
                        sb.Append ',' |> ignore

                    match item with
                    | JsonEValue.Null -> ()
                    | _ -> go (depth + 1) item)
            | JsonEValue.Object _ -> sb.Append "[object Object]" |> ignore
            | JsonEValue.Function f -> sb.Append($"function {f.Name}() {{ [native code] }}") |> ignore

        go 0 value
        sb.ToString()

    let isTruthy (value: JsonEValue) =
        match value with
        | JsonEValue.Null -> false
        | JsonEValue.Bool b -> b
        // NaN is truthy in the reference (it tests `!== 0`).
        | JsonEValue.Number n -> n <> 0.0
        | JsonEValue.String s -> s.Length > 0
        | JsonEValue.Array items -> items.Length > 0
        | JsonEValue.Object o -> o.Count > 0
        | JsonEValue.Function _ -> true

    let isEqual (state: JsonEState) (a: JsonEValue) (b: JsonEValue) =
        let rec eq depth a b =
            state.Charge 1L
            state.CheckDepth(depth, "value")

            match a, b with
            | JsonEValue.Array x, JsonEValue.Array y when x.Length = y.Length ->
                let mutable same = true
                let mutable i = 0

                while same && i < x.Length do
                    same <- eq (depth + 1) x[i] y[i]
                    i <- i + 1

                same
            | JsonEValue.Function x, JsonEValue.Function y -> obj.ReferenceEquals(x, y)
            | JsonEValue.Object x, JsonEValue.Object y ->
                if x.Count <> y.Count then
                    false
                else
                    let mutable same = true
                    let mutable i = 0

                    while same && i < x.Count do
                        let mutable v = JsonEValue.Null
                        same <- y.TryGet(x.KeyAt i, &v) && eq (depth + 1) (x.ValueAt i) v
                        i <- i + 1

                    same
            | JsonEValue.Number x, JsonEValue.Number y -> x = y
            | JsonEValue.String x, JsonEValue.String y -> String.Equals(x, y, StringComparison.Ordinal)
            | JsonEValue.Bool x, JsonEValue.Bool y -> x = y
            | JsonEValue.Null, JsonEValue.Null -> true
            | _ -> false

        eq 0 a b

    let codePoints (s: string) =
        let out = ResizeArray(s.Length)
        let mutable i = 0

        while i < s.Length do
            if Char.IsHighSurrogate s[i] && i + 1 < s.Length && Char.IsLowSurrogate s[i + 1] then
                out.Add(s.Substring(i, 2))
                i <- i + 2
            else
                out.Add(string s[i])
                i <- i + 1

        out.ToArray()

    // ---- JavaScript's StringToNumber, for `number(...)`.

    let private trimJs (s: string) =
        let mutable a = 0
        let mutable b = s.Length

        while a < b && JsonELexer.isJsWhiteSpace s[a] do
            a <- a + 1

        while b > a && JsonELexer.isJsWhiteSpace s[b - 1] do
            b <- b - 1

        s.Substring(a, b - a)

    let private radixValue (digits: string) (radix: int) =
        let mutable v = BigInteger.Zero
        let mutable ok = digits.Length > 0

        for c in digits do
            let d =
                if Char.IsAsciiDigit c then int c - int '0'
                elif c >= 'a' && c <= 'z' then int c - int 'a' + 10
                elif c >= 'A' && c <= 'Z' then int c - int 'A' + 10
                else 99

            if d >= radix then
                ok <- false
            else
                v <- v * BigInteger radix + BigInteger d

        if ok then float v else nan

    let private isDecimalLiteral (s: string) =
        // [+-]? (digits [. digits?] | . digits) ([eE] [+-]? digits)?
        let mutable i = 0
        let n = s.Length

        if i < n && (s[i] = '+' || s[i] = '-') then
            i <- i + 1

        let intStart = i

        while i < n && Char.IsAsciiDigit s[i] do
            i <- i + 1

        let intDigits = i - intStart
        let mutable fracDigits = 0

        if i < n && s[i] = '.' then
            i <- i + 1
            let f = i

            while i < n && Char.IsAsciiDigit s[i] do
                i <- i + 1

            fracDigits <- i - f

        if intDigits + fracDigits = 0 then
            false
        else
            if i < n && (s[i] = 'e' || s[i] = 'E') then
                i <- i + 1

                if i < n && (s[i] = '+' || s[i] = '-') then
                    i <- i + 1

                let e = i

                while i < n && Char.IsAsciiDigit s[i] do
                    i <- i + 1

                if i = e then
                    i <- -1

            i = n

    let stringToNumber (text: string) =
        let s = trimJs text

        if s.Length = 0 then
            0.0
        elif s.Length > 2 && s[0] = '0' && (s[1] = 'x' || s[1] = 'X') then
            radixValue (s.Substring 2) 16
        elif s.Length > 2 && s[0] = '0' && (s[1] = 'o' || s[1] = 'O') then
            radixValue (s.Substring 2) 8
        elif s.Length > 2 && s[0] = '0' && (s[1] = 'b' || s[1] = 'B') then
            radixValue (s.Substring 2) 2
        elif s = "Infinity" || s = "+Infinity" then
            infinity
        elif s = "-Infinity" then
            -infinity
        elif isDecimalLiteral s then
            Double.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture)
        else
            nan

    // ---- Dates as the reference's `new Date(x)` and `toJSON` see them (milliseconds since the
    // epoch as a double; anything past ±8.64e15 ms is an invalid date).

    let private maxTime = 8.64e15

    let private daysFromCivil (y: int64) (m: int64) (d: int64) =
        let y = if m <= 2L then y - 1L else y
        let era = (if y >= 0L then y else y - 399L) / 400L
        let yoe = y - era * 400L
        let mp = if m > 2L then m - 3L else m + 9L
        let doy = (153L * mp + 2L) / 5L + d - 1L
        let doe = yoe * 365L + yoe / 4L - yoe / 100L + doy
        era * 146097L + doe - 719468L

    let private civilFromDays (z: int64) =
        let z = z + 719468L
        let era = (if z >= 0L then z else z - 146096L) / 146097L
        let doe = z - era * 146097L
        let yoe = (doe - doe / 1460L + doe / 36524L - doe / 146096L) / 365L
        let y = yoe + era * 400L
        let doy = doe - (365L * yoe + yoe / 4L - yoe / 100L)
        let mp = (5L * doy + 2L) / 153L
        let d = doy - (153L * mp + 2L) / 5L + 1L
        let m = if mp < 10L then mp + 3L else mp - 9L
        (if m <= 2L then y + 1L else y), m, d

    let private isLeap (y: int64) =
        (y % 4L = 0L && y % 100L <> 0L) || y % 400L = 0L

    let private daysInMonth (y: int64) (m: int64) =
        match m with
        | 2L -> if isLeap y then 29L else 28L
        | 4L
        | 6L
        | 9L
        | 11L -> 30L
        | _ -> 31L

    /// ECMAScript's date-time string format; a time without an offset is taken as UTC.
    let private parseIsoDate (s: string) : float option =
        let n = s.Length
        let mutable i = 0
        let mutable ok = true

        let digits count =
            if i + count <= n && Seq.forall Char.IsAsciiDigit (s.Substring(i, count)) then
                let v = Int64.Parse(s.Substring(i, count), CultureInfo.InvariantCulture)
                i <- i + count
                v
            else
                ok <- false
                0L

        let peekIs (c: char) = i < n && s[i] = c

        let year =
            if peekIs '+' || peekIs '-' then
                let negative = s[i] = '-'
                i <- i + 1
                let y = digits 6

                if negative && y = 0L then
                    ok <- false

                if negative then -y else y
            else
                digits 4

        let mutable month = 1L
        let mutable day = 1L
        let mutable hour = 0L
        let mutable minute = 0L
        let mutable second = 0L
        let mutable milli = 0L
        let mutable offsetMinutes = 0L

        if ok && peekIs '-' then
            i <- i + 1
            month <- digits 2

            if ok && peekIs '-' then
                i <- i + 1
                day <- digits 2

        if ok && peekIs 'T' then
            i <- i + 1
            hour <- digits 2

            if ok && peekIs ':' then
                i <- i + 1
                minute <- digits 2
            else
                ok <- false

            if ok && peekIs ':' then
                i <- i + 1
                second <- digits 2

                if ok && peekIs '.' then
                    i <- i + 1
                    let start = i

                    while i < n && Char.IsAsciiDigit s[i] do
                        i <- i + 1

                    if i = start then
                        ok <- false
                    else
                        let frac = (s.Substring(start, min 3 (i - start))).PadRight(3, '0')
                        milli <- Int64.Parse(frac, CultureInfo.InvariantCulture)

            if ok && peekIs 'Z' then
                i <- i + 1
            elif ok && (peekIs '+' || peekIs '-') then
                let sign = if s[i] = '-' then -1L else 1L
                i <- i + 1
                let h = digits 2

                if ok && peekIs ':' then
                    i <- i + 1

                let m = digits 2
                offsetMinutes <- sign * (h * 60L + m)

        if
            not ok
            || i <> n
            || month < 1L
            || month > 12L
            || day < 1L
            || day > daysInMonth year month
            || hour > 24L
            || minute > 59L
            || second > 59L
            || (hour = 24L && (minute <> 0L || second <> 0L || milli <> 0L))
        then
            None
        else
            let days = daysFromCivil year month day

            let ms =
                float days * 86400000.0
                + float (hour * 3600000L + minute * 60000L + second * 1000L + milli)
                - float (offsetMinutes * 60000L)

            if abs ms > maxTime then None else Some ms

    let private formatMs (ms: float) =
        let total = int64 ms
        let days = (if total >= 0L then total else total - 86399999L) / 86400000L
        let inDay = total - days * 86400000L
        let y, m, d = civilFromDays days

        let year =
            if y >= 0L && y <= 9999L then
                y.ToString("0000", CultureInfo.InvariantCulture)
            elif y < 0L then
                "-" + (-y).ToString("000000", CultureInfo.InvariantCulture)
            else
                "+" + y.ToString("000000", CultureInfo.InvariantCulture)

        let h = inDay / 3600000L
        let mi = inDay / 60000L % 60L
        let sec = inDay / 1000L % 60L
        let milli = inDay % 1000L
        $"{year}-{m:D2}-{d:D2}T{h:D2}:{mi:D2}:{sec:D2}.{milli:D3}Z"

    let private referenceMs (reference: JsonEValue) : float option =
        match reference with
        | JsonEValue.String s -> parseIsoDate s
        | JsonEValue.Number n when Double.IsNaN n || abs n > maxTime -> None
        | JsonEValue.Number n -> Some(Math.Truncate n + 0.0)
        | JsonEValue.Bool true -> Some 1.0
        | _ -> None

    let fromNow (state: JsonEState) (offset: string) (reference: JsonEValue) =
        // The reference reads the offset first, then the reference date.
        let parsed =
            match FromNow.parse offset with
            | Error(FromNowError.TooLarge _) -> None
            | Error _ -> fail JsonEErrorKind.PlainError $"String: '{offset}' isn't a time expression"
            | Ok parsed -> Some parsed

        // A falsy reference makes the reference implementation read the clock; ours is "now".
        let reference = if isTruthy reference then reference else state.Now

        match referenceMs reference, parsed with
        | None, _
        | _, None -> JsonEValue.Null
        | Some refMs, Some parsed ->
            let p = parsed.Parts
            let sign = if p.Negative then -1.0 else 1.0
            // The reference's arithmetic, in its order and in doubles.
            let days =
                float p.Days * sign
                + 30.0 * (float p.Months * sign)
                + 365.0 * (float p.Years * sign)

            let ms =
                refMs
                + float p.Weeks * sign * 7.0 * 24.0 * 60.0 * 60.0 * 1000.0
                + days * 24.0 * 60.0 * 60.0 * 1000.0
                + float p.Hours * sign * 60.0 * 60.0 * 1000.0
                + float p.Minutes * sign * 60.0 * 1000.0
                + float p.Seconds * sign * 1000.0

            if Double.IsNaN ms || abs ms > maxTime then
                JsonEValue.Null
            else
                JsonEValue.String(formatMs (Math.Truncate ms))

    // ---- The built-in functions.

    type private Spec =
        {
            Tests: string array
            MinArgs: int
            Variadic: string
        }

    let private spec tests minArgs variadic =
        {
            Tests = tests
            MinArgs = minArgs
            Variadic = variadic
        }

    let private specs =
        dict
            [
                "max", spec [||] 1 "number"
                "min", spec [||] 1 "number"
                "sqrt", spec [| "number" |] 0 null
                "ceil", spec [| "number" |] 0 null
                "floor", spec [| "number" |] 0 null
                "abs", spec [| "number" |] 0 null
                "range", spec [| "integer"; "integer"; "integer" |] 2 "number"
                "lowercase", spec [| "string" |] 0 null
                "uppercase", spec [| "string" |] 0 null
                "str", spec [| "string|number|boolean|null" |] 0 null
                "number", spec [| "string" |] 0 null
                "len", spec [| "string|array" |] 0 null
                "strip", spec [| "string" |] 0 null
                "rstrip", spec [| "string" |] 0 null
                "lstrip", spec [| "string" |] 0 null
                "split", spec [| "string"; "string|number" |] 2 null
                "join", spec [| "array"; "string|number" |] 0 null
                "fromNow", spec [||] 1 "string"
                "typeof", spec [| "string|number|boolean|array|object|null|function" |] 0 null
                "defined", spec [| "string" |] 0 null
            ]

    let scope =
        JsonEScope(
            JsonEObject.OfSeq(
                specs.Keys
                |> Seq.map (fun name ->
                    name, JsonEValue.Function(JsonEFunction(name, name, (fun _ -> Ok JsonEValue.Null))))
            ),
            null
        )

    let private hasType (test: string) (value: JsonEValue) =
        match test, value with
        | "string", JsonEValue.String _
        | "number", JsonEValue.Number _
        | "boolean", JsonEValue.Bool _
        | "array", JsonEValue.Array _
        | "object", JsonEValue.Object _
        | "null", JsonEValue.Null
        | "function", JsonEValue.Function _ -> true
        | "integer", JsonEValue.Number n -> Double.IsFinite n && Math.Floor n = n
        | _ -> false

    let private invalid name =
        fail JsonEErrorKind.BuiltinError $"invalid arguments to builtin: {name}"

    let private num v =
        match v with
        | JsonEValue.Number n -> n
        | _ -> nan

    let private str v =
        match v with
        | JsonEValue.String s -> s
        | JsonEValue.Number n -> numberToString n
        | _ -> ""

    let private trimStartJs (s: string) =
        let mutable a = 0

        while a < s.Length && JsonELexer.isJsWhiteSpace s[a] do
            a <- a + 1

        s.Substring a

    let private trimEndJs (s: string) =
        let mutable b = s.Length

        while b > 0 && JsonELexer.isJsWhiteSpace s[b - 1] do
            b <- b - 1

        s.Substring(0, b)

    let private invoke (state: JsonEState) (scope: JsonEScope) (name: string) (args: JsonEValue array) =
        match name, args with
        | "max", _ -> JsonEValue.Number(args |> Array.fold (fun acc v -> Math.Max(acc, num v)) -infinity)
        | "min", _ -> JsonEValue.Number(args |> Array.fold (fun acc v -> Math.Min(acc, num v)) infinity)
        | "sqrt", _ -> JsonEValue.Number(Math.Sqrt(num args[0]))
        | "ceil", _ -> JsonEValue.Number(Math.Ceiling(num args[0]))
        | "floor", _ -> JsonEValue.Number(Math.Floor(num args[0]))
        | "abs", _ -> JsonEValue.Number(Math.Abs(num args[0]))
        | "range", _ ->
            let start = num args[0]
            let stop = num args[1]
            let step = if args.Length > 2 then num args[2] else 1.0
            let length = Math.Ceiling((stop - start) / step)
            // Array.from's ToLength: NaN and negatives are 0.
            let length = if Double.IsNaN length || length <= 0.0 then 0.0 else length

            if length > 4294967295.0 then
                fail JsonEErrorKind.BuiltinError "Invalid array length"

            // Checked before anything is allocated: a range longer than the whole output may be
            // is refused, whatever the work budget.
            if length > float state.Limits.MaxOutputSize || length > float Int32.MaxValue then
                fail
                    JsonEErrorKind.LimitExceeded
                    $"range of {length} items is over the output limit of {state.Limits.MaxOutputSize}"

            state.Charge(int64 length)
            JsonEValue.Array(Array.init (int length) (fun i -> JsonEValue.Number(start + float i * step)))
        | "lowercase", _ ->
            let s = str args[0]
            state.Charge(int64 s.Length)
            JsonEValue.String(s.ToLowerInvariant())
        | "uppercase", _ ->
            let s = str args[0]
            state.Charge(int64 s.Length)
            JsonEValue.String(s.ToUpperInvariant())
        | "str", _ ->
            match args[0] with
            | JsonEValue.Null -> JsonEValue.String "null"
            | v -> JsonEValue.String(toJsString state v)
        | "number", _ -> JsonEValue.Number(stringToNumber (str args[0]))
        | "len", _ ->
            match args[0] with
            | JsonEValue.Array items -> JsonEValue.Number(float items.Length)
            | v ->
                let s = str v
                state.Charge(int64 s.Length)
                let mutable count = 0
                let mutable i = 0

                while i < s.Length do
                    if Char.IsHighSurrogate s[i] && i + 1 < s.Length && Char.IsLowSurrogate s[i + 1] then
                        i <- i + 2
                    else
                        i <- i + 1

                    count <- count + 1

                JsonEValue.Number(float count)
        | "strip", _ -> JsonEValue.String(trimJs (str args[0]))
        | "lstrip", _ -> JsonEValue.String(trimStartJs (str args[0]))
        | "rstrip", _ -> JsonEValue.String(trimEndJs (str args[0]))
        | "split", _ ->
            let input = str args[0]
            let delimiter = str args[1]
            state.Charge(int64 input.Length + 1L)

            let parts =
                if delimiter.Length = 0 then
                    input.ToCharArray() |> Array.map string
                else
                    input.Split(delimiter, StringSplitOptions.None)

            JsonEValue.Array(parts |> Array.map JsonEValue.String)
        | "join", _ ->
            let separator = str args[1]

            match args[0] with
            | JsonEValue.Array items ->
                state.Charge(int64 items.Length * int64 (separator.Length + 1))

                let parts =
                    items
                    |> Array.map (fun v ->
                        match v with
                        | JsonEValue.Null -> ""
                        | v -> toJsString state v)

                JsonEValue.String(String.Join(separator, parts))
            | _ -> JsonEValue.String ""
        | "fromNow", _ ->
            let reference =
                if args.Length > 1 && isTruthy args[1] then
                    args[1]
                else
                    let mutable now = JsonEValue.Null
                    if scope.TryFind("now", &now) then now else JsonEValue.Null

            fromNow state (str args[0]) reference
        | "typeof", _ ->
            match args[0] with
            | JsonEValue.String _ -> JsonEValue.String "string"
            | JsonEValue.Number _ -> JsonEValue.String "number"
            | JsonEValue.Bool _ -> JsonEValue.String "boolean"
            | JsonEValue.Array _ -> JsonEValue.String "array"
            | JsonEValue.Object _ -> JsonEValue.String "object"
            | JsonEValue.Function _ -> JsonEValue.String "function"
            | JsonEValue.Null -> JsonEValue.String "null"
        | "defined", _ ->
            let mutable v = JsonEValue.Null
            JsonEValue.Bool(scope.TryFind(str args[0], &v))
        | _ -> fail JsonEErrorKind.InterpreterError $"{name} is not callable"

    let call (state: JsonEState) (scope: JsonEScope) (f: JsonEFunction) (args: JsonEValue list) =
        if isNull f.Builtin then
            let result =
                try
                    f.Custom args
                with e ->
                    Error e.Message

            match result with
            | Ok v -> v
            | Error message -> fail JsonEErrorKind.InterpreterError (if isNull message then "" else message)
        else
            let name = f.Builtin
            let s = specs[name]
            let args = List.toArray args
            let mutable tests = if name = "range" then state.RangeTests else s.Tests

            if isNull s.Variadic && args.Length < tests.Length then
                invalid name

            if s.MinArgs > 0 && args.Length < s.MinArgs then
                invalid $"{name}: expected at least {s.MinArgs} arguments"

            if not (isNull s.Variadic) then
                // The reference overwrites its argument list here and keeps it for the next call
                // of the same built-in in the same render; `range` is the one where it shows.
                tests <-
                    args
                    |> Array.mapi (fun i _ -> if i < tests.Length then tests[i] else s.Variadic)

                if name = "range" then
                    state.RangeTests <- tests

            args
            |> Array.iteri (fun i arg ->
                if i >= tests.Length then
                    fail JsonEErrorKind.TypeError "Cannot read properties of undefined (reading 'split')"

                if not (tests[i].Split('|') |> Array.exists (fun t -> hasType t arg)) then
                    invalid name)

            invoke state scope name args
