namespace Taskcluster.Core

open System

[<RequireQualifiedAccess>]
type internal JsonETokenKind =
    | Pow
    | Plus
    | Minus
    | Star
    | Slash
    | LBracket
    | RBracket
    | Dot
    | LParen
    | RParen
    | LBrace
    | RBrace
    | Colon
    | Comma
    | GreaterEqual
    | LessEqual
    | Less
    | Greater
    | Equal
    | NotEqual
    | Not
    | And
    | Or
    | True
    | False
    | In
    | Null
    | Number
    | Identifier
    | String

type internal JsonEToken =
    {
        Kind: JsonETokenKind
        Value: string
        Start: int
        End: int
    }

[<RequireQualifiedAccess>]
module internal JsonELexer =
    let kindName kind =
        match kind with
        | JsonETokenKind.Pow -> "**"
        | JsonETokenKind.Plus -> "+"
        | JsonETokenKind.Minus -> "-"
        | JsonETokenKind.Star -> "*"
        | JsonETokenKind.Slash -> "/"
        | JsonETokenKind.LBracket -> "["
        | JsonETokenKind.RBracket -> "]"
        | JsonETokenKind.Dot -> "."
        | JsonETokenKind.LParen -> "("
        | JsonETokenKind.RParen -> ")"
        | JsonETokenKind.LBrace -> "{"
        | JsonETokenKind.RBrace -> "}"
        | JsonETokenKind.Colon -> ":"
        | JsonETokenKind.Comma -> ","
        | JsonETokenKind.GreaterEqual -> ">="
        | JsonETokenKind.LessEqual -> "<="
        | JsonETokenKind.Less -> "<"
        | JsonETokenKind.Greater -> ">"
        | JsonETokenKind.Equal -> "=="
        | JsonETokenKind.NotEqual -> "!="
        | JsonETokenKind.Not -> "!"
        | JsonETokenKind.And -> "&&"
        | JsonETokenKind.Or -> "||"
        | JsonETokenKind.True -> "true"
        | JsonETokenKind.False -> "false"
        | JsonETokenKind.In -> "in"
        | JsonETokenKind.Null -> "null"
        | JsonETokenKind.Number -> "number"
        | JsonETokenKind.Identifier -> "identifier"
        | JsonETokenKind.String -> "string"

    let isJsWhiteSpace (c: char) =
        match c with
        | '\t'
        | '\n'
        | '\u000B'
        | '\u000C'
        | '\r'
        | ' '
        | '\u00A0'
        | '\u1680'
        | '\u2028'
        | '\u2029'
        | '\u202F'
        | '\u205F'
        | '\u3000'
        | '\uFEFF' -> true
        | c -> c >= '\u2000' && c <= '\u200A'

    let private isIdentStart (c: char) = Char.IsAsciiLetter c || c = '_'
    let private isIdentPart (c: char) = Char.IsAsciiLetterOrDigit c || c = '_'

    let next (source: string) (start: int) (offset: int) : Result<JsonEToken option, string> =
        let n = source.Length
        let mutable p = offset

        while p < n && isJsWhiteSpace source[p] do
            p <- p + 1

        if p >= n then
            Ok None
        else
            let peek i =
                if p + i < n then source[p + i] else '\000'

            let token kind length =
                Ok(
                    Some
                        {
                            Kind = kind
                            Value = source.Substring(p, length)
                            Start = p
                            End = p + length
                        }
                )

            let unexpected () =
                Error $"Unexpected input for '{source.Substring start}' at '{source.Substring p}'"

            match source[p] with
            | '*' when peek 1 = '*' -> token JsonETokenKind.Pow 2
            | '*' -> token JsonETokenKind.Star 1
            | '+' -> token JsonETokenKind.Plus 1
            | '-' -> token JsonETokenKind.Minus 1
            | '/' -> token JsonETokenKind.Slash 1
            | '[' -> token JsonETokenKind.LBracket 1
            | ']' -> token JsonETokenKind.RBracket 1
            | '.' -> token JsonETokenKind.Dot 1
            | '(' -> token JsonETokenKind.LParen 1
            | ')' -> token JsonETokenKind.RParen 1
            | '{' -> token JsonETokenKind.LBrace 1
            | '}' -> token JsonETokenKind.RBrace 1
            | ':' -> token JsonETokenKind.Colon 1
            | ',' -> token JsonETokenKind.Comma 1
            | '>' when peek 1 = '=' -> token JsonETokenKind.GreaterEqual 2
            | '<' when peek 1 = '=' -> token JsonETokenKind.LessEqual 2
            | '<' -> token JsonETokenKind.Less 1
            | '>' -> token JsonETokenKind.Greater 1
            | '=' when peek 1 = '=' -> token JsonETokenKind.Equal 2
            | '!' when peek 1 = '=' -> token JsonETokenKind.NotEqual 2
            | '!' -> token JsonETokenKind.Not 1
            | '&' when peek 1 = '&' -> token JsonETokenKind.And 2
            | '|' when peek 1 = '|' -> token JsonETokenKind.Or 2
            | c when isIdentStart c ->
                let mutable e = p + 1

                while e < n && isIdentPart source[e] do
                    e <- e + 1

                let kind =
                    match source.Substring(p, e - p) with
                    | "true" -> JsonETokenKind.True
                    | "false" -> JsonETokenKind.False
                    | "in" -> JsonETokenKind.In
                    | "null" -> JsonETokenKind.Null
                    | _ -> JsonETokenKind.Identifier

                token kind (e - p)
            | c when Char.IsAsciiDigit c ->
                let mutable e = p + 1

                while e < n && Char.IsAsciiDigit source[e] do
                    e <- e + 1

                if e + 1 < n && source[e] = '.' && Char.IsAsciiDigit source[e + 1] then
                    e <- e + 2

                    while e < n && Char.IsAsciiDigit source[e] do
                        e <- e + 1

                token JsonETokenKind.Number (e - p)
            | ('\'' | '"') as quote ->
                match source.IndexOf(quote, p + 1) with
                | -1 -> unexpected ()
                | close -> token JsonETokenKind.String (close - p + 1)
            | _ -> unexpected ()
