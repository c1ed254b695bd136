namespace Taskcluster.Core

open System
open System.Buffers
open System.Text

[<RequireQualifiedAccess>]
type RouteSegment =
    | Literal of text: string
    | Parameter of name: string

[<Sealed>]
type RouteTemplate internal (route: string, segments: RouteSegment array) =
    let parameters =
        [
            for s in segments do
                match s with
                | RouteSegment.Parameter name -> name
                | RouteSegment.Literal _ -> ()
        ]

    let segmentList = List.ofArray segments

    member _.Route = route
    member _.Segments = segmentList
    member _.Parameters = parameters
    member internal _.SegmentArray = segments
    override _.ToString() = route

    override _.Equals(other: obj) =
        match other with
        | :? RouteTemplate as t -> String.Equals(route, t.Route, StringComparison.Ordinal)
        | _ -> false

    override _.GetHashCode() =
        StringComparer.Ordinal.GetHashCode route

    interface IEquatable<RouteTemplate> with
        member _.Equals(other: RouteTemplate) =
            not (isNull (box other))
            && String.Equals(route, other.Route, StringComparison.Ordinal)

[<RequireQualifiedAccess>]
type RouteError =
    | InvalidTemplate of route: string * reason: string
    | WrongArgumentCount of route: string * parameters: string list * given: int
    | UnknownArgument of route: string * name: string
    | MissingArgument of route: string * parameter: string
    | DuplicateArgument of name: string
    | NullArgument of parameter: string
    | EmptyArgument of parameter: string
    | DotSegment of parameter: string * value: string
    | LoneSurrogate of parameter: string * index: int
    | UnknownQueryParameter of name: string * allowed: string list
    | DuplicateQueryParameter of name: string
    | NullQueryValue of name: string
    | LoneSurrogateInQuery of name: string * index: int

    member this.Describe() =
        let names (xs: string list) =
            xs |> List.map (fun x -> $"'{x}'") |> String.concat ", "

        match this with
        | InvalidTemplate(route, reason) -> $"route template '{route}' is invalid: {reason}"
        | WrongArgumentCount(route, parameters, given) ->
            $"route '{route}' takes {parameters.Length} argument(s) ({names parameters}) but was given {given}"
        | UnknownArgument(route, name) -> $"route '{route}' has no parameter '{name}'"
        | MissingArgument(route, parameter) -> $"route '{route}' needs an argument for '{parameter}'"
        | DuplicateArgument name -> $"the argument '{name}' is given more than once"
        | NullArgument parameter -> $"the argument for '{parameter}' is null"
        | EmptyArgument parameter -> $"the argument for '{parameter}' is empty; it would leave an empty path segment"
        | DotSegment(parameter, value) ->
            $"the argument '{value}' for '{parameter}' is a dot segment; URL normalisation would change the path"
        | LoneSurrogate(parameter, index) ->
            $"the argument for '{parameter}' holds a lone UTF-16 surrogate at index {index}; it has no UTF-8 encoding"
        | UnknownQueryParameter(name, allowed) ->
            let accepted = if allowed.IsEmpty then "none" else names allowed
            $"query parameter '{name}' is not accepted (accepted: {accepted})"
        | DuplicateQueryParameter name -> $"query parameter '{name}' is given more than once"
        | NullQueryValue name -> $"query parameter '{name}' has a null value"
        | LoneSurrogateInQuery(name, index) ->
            $"query parameter '{name}' holds a lone UTF-16 surrogate at index {index}; it has no UTF-8 encoding"

[<RequireQualifiedAccess>]
module Route =
    // encodeURIComponent's unreserved set (RFC 2396 "mark" characters included).
    let private unreserved =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.!~*'()")

    let private hex = "0123456789ABCDEF"

    let private appendByte (sb: StringBuilder) (b: int) =
        sb.Append('%').Append(hex[b >>> 4]).Append(hex[b &&& 0xF]) |> ignore

    /// Appends the encoding of `value`; -1 on success, else the index of a lone surrogate.
    let private appendEncoded (sb: StringBuilder) (value: string) : int =
        let span = value.AsSpan()
        let first = span.IndexOfAnyExcept(unreserved)

        if first < 0 then
            sb.Append(value) |> ignore
            -1
        else
            sb.Append(span.Slice(0, first)) |> ignore
            let mutable i = first
            let mutable failedAt = -1

            while failedAt < 0 && i < value.Length do
                let c = value[i]

                if unreserved.Contains c then
                    sb.Append(c) |> ignore
                    i <- i + 1
                elif
                    Char.IsHighSurrogate c
                    && i + 1 < value.Length
                    && Char.IsLowSurrogate value[i + 1]
                then
                    let cp = Char.ConvertToUtf32(c, value[i + 1])
                    appendByte sb (0xF0 ||| (cp >>> 18))
                    appendByte sb (0x80 ||| ((cp >>> 12) &&& 0x3F))
                    appendByte sb (0x80 ||| ((cp >>> 6) &&& 0x3F))
                    appendByte sb (0x80 ||| (cp &&& 0x3F))
                    i <- i + 2
                elif Char.IsSurrogate c then
                    failedAt <- i
                else
                    let cp = int c

                    if cp < 0x80 then
                        appendByte sb cp
                    elif cp < 0x800 then
                        appendByte sb (0xC0 ||| (cp >>> 6))
                        appendByte sb (0x80 ||| (cp &&& 0x3F))
                    else
                        appendByte sb (0xE0 ||| (cp >>> 12))
                        appendByte sb (0x80 ||| ((cp >>> 6) &&& 0x3F))
                        appendByte sb (0x80 ||| (cp &&& 0x3F))

                    i <- i + 1

            failedAt

    let encodeUriComponent (value: string) : Result<string, int> =
        if isNull value then
            Ok ""
        else
            let sb = StringBuilder(value.Length)

            match appendEncoded sb value with
            | -1 -> Ok(sb.ToString())
            | index -> Error index

    let parse (route: string) : Result<RouteTemplate, RouteError> =
        let routeText = if isNull route then "" else route

        match RouteSyntax.segments routeText with
        | Error reason -> Error(RouteError.InvalidTemplate(routeText, reason))
        | Ok raw ->
            let segments =
                [|
                    for struct (isParameter, text) in raw ->
                        if isParameter then
                            RouteSegment.Parameter text
                        else
                            RouteSegment.Literal text
                |]

            let seen = Collections.Generic.HashSet<string>(StringComparer.Ordinal)

            let duplicate =
                segments
                |> Array.tryPick (fun s ->
                    match s with
                    | RouteSegment.Parameter name when not (seen.Add name) -> Some name
                    | _ -> None)

            match duplicate with
            | Some name -> Error(RouteError.InvalidTemplate(routeText, $"parameter '{name}' appears more than once"))
            | None -> Ok(RouteTemplate(routeText, segments))

    let ofEntry (entry: ApiEntry) =
        parse entry.Route
        |> Result.bind (fun template ->
            if template.Parameters = entry.Args then
                Ok template
            else
                let args = entry.Args |> String.concat ", "
                Error(RouteError.InvalidTemplate(entry.Route, $"the entry's args [{args}] differ from its parameters")))

    let private renderWith (strict: bool) (template: RouteTemplate) (args: string list) =
        let segments = template.SegmentArray
        let given = List.length args

        if given <> template.Parameters.Length then
            Error(RouteError.WrongArgumentCount(template.Route, template.Parameters, given))
        else
            let sb = StringBuilder(template.Route.Length + 24 * given)
            let mutable remaining = args
            let mutable failure = None
            let mutable i = 0

            while failure.IsNone && i < segments.Length do
                sb.Append('/') |> ignore

                match segments[i] with
                | RouteSegment.Literal text -> sb.Append(text) |> ignore
                | RouteSegment.Parameter name ->
                    let arg = List.head remaining
                    remaining <- List.tail remaining

                    if isNull arg then
                        failure <- Some(RouteError.NullArgument name)
                    elif strict && arg.Length = 0 then
                        failure <- Some(RouteError.EmptyArgument name)
                    elif strict && (arg = "." || arg = "..") then
                        failure <- Some(RouteError.DotSegment(name, arg))
                    else
                        match appendEncoded sb arg with
                        | -1 -> ()
                        | index -> failure <- Some(RouteError.LoneSurrogate(name, index))

                i <- i + 1

            match failure with
            | Some e -> Error e
            | None -> Ok(sb.ToString())

    let render template args = renderWith true template args

    let renderAsJsClient template args = renderWith false template args

    let renderNamed (template: RouteTemplate) (args: (string * string) list) =
        let seen = Collections.Generic.HashSet<string>(StringComparer.Ordinal)

        match args |> List.tryFind (fun (name, _) -> not (seen.Add name)) with
        | Some(name, _) -> Error(RouteError.DuplicateArgument name)
        | None ->
            let parameters = template.Parameters

            match args |> List.tryFind (fun (name, _) -> not (List.contains name parameters)) with
            | Some(name, _) -> Error(RouteError.UnknownArgument(template.Route, name))
            | None ->
                match parameters |> List.tryFind (fun p -> not (seen.Contains p)) with
                | Some p -> Error(RouteError.MissingArgument(template.Route, p))
                | None ->
                    let lookup = dict args
                    render template [ for p in parameters -> lookup[p] ]

    let query (allowed: string list) (parameters: (string * string) list) =
        match parameters with
        | [] -> Ok ""
        | _ ->
            let sb = StringBuilder()
            let seen = Collections.Generic.HashSet<string>(StringComparer.Ordinal)
            let mutable failure = None
            let mutable remaining = parameters

            while failure.IsNone && not remaining.IsEmpty do
                let name, value = List.head remaining
                remaining <- List.tail remaining

                if isNull name || not (List.contains name allowed) then
                    failure <- Some(RouteError.UnknownQueryParameter(name, allowed))
                elif not (seen.Add name) then
                    failure <- Some(RouteError.DuplicateQueryParameter name)
                elif isNull value then
                    failure <- Some(RouteError.NullQueryValue name)
                else
                    sb.Append(if sb.Length = 0 then '?' else '&') |> ignore

                    match appendEncoded sb name with
                    | -1 ->
                        sb.Append('=') |> ignore

                        match appendEncoded sb value with
                        | -1 -> ()
                        | index -> failure <- Some(RouteError.LoneSurrogateInQuery(name, index))
                    | index -> failure <- Some(RouteError.LoneSurrogateInQuery(name, index))

            match failure with
            | Some e -> Error e
            | None -> Ok(sb.ToString())

    let private queryString = query

    let buildUrl (rootUrl: RootUrl) (reference: ApiReference) (entry: ApiEntry) args query =
        ofEntry entry
        |> Result.bind (fun template -> render template args)
        |> Result.bind (fun path ->
            queryString entry.Query query
            |> Result.map (fun q -> RootUrl.api rootUrl reference.ServiceName reference.ApiVersion path + q))
