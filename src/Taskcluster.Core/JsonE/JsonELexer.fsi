namespace Taskcluster.Core

/// The kinds of token of the JSON-e expression language.
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

/// One token: its kind, its text and where it lies in the source.
type internal JsonEToken =
    {
        Kind: JsonETokenKind
        Value: string
        Start: int
        End: int
    }

/// The JSON-e tokenizer: the reference implementation's token regular expression written out as
/// a hand-made scanner (first alternative wins, as in a regex alternation), so it runs in linear
/// time on any input.
[<RequireQualifiedAccess>]
module internal JsonELexer =
    /// How the reference implementation names a kind in "expected one of" messages.
    val kindName: kind: JsonETokenKind -> string

    /// JavaScript's `\s`: the whitespace and line terminators of ECMAScript.
    val isJsWhiteSpace: c: char -> bool

    /// The next token at or after `offset`, `Ok None` at the end, or the reference
    /// implementation's "Unexpected input" message (which quotes the source from `start`, where
    /// the expression began).
    val next: source: string -> start: int -> offset: int -> Result<JsonEToken option, string>
