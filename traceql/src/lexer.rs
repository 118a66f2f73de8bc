//! Hand-written TraceQL lexer: turns a query into tokens with byte spans.
//!
//! Attribute names follow Tempo: after `span.`, `resource.`, `event.`, `link.`,
//! `instrumentation.` or a bare `.`, the name runs until whitespace, one of `{ } ( ) = ~ ! < > & |
//! ^ ,`, a `//` comment or the end of the query. Dots and other punctuation (`-`, `/`, `:`, ...)
//! are part of the name; double-quoted segments (`span."a b"`) may contain anything.

use crate::ast::{AttributeScope, Intrinsic};
use crate::error::RawError;

/// A token kind, with its value for literals, words and fields.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tok {
    LBrace,
    RBrace,
    LParen,
    RParen,
    Comma,
    Pipe,
    AndAnd,
    OrOr,
    Bang,
    Eq,
    NotEq,
    Gt,
    Gte,
    Lt,
    Lte,
    Regex,
    NotRegex,
    Desc,
    Ance,
    Tilde,
    UnionChild,
    UnionParent,
    UnionDesc,
    UnionAnce,
    UnionSibl,
    NotChild,
    NotParent,
    NotDesc,
    NotAnce,
    Plus,
    Minus,
    Star,
    Slash,
    Percent,
    Caret,
    /// Integer magnitude (a leading `-` is a separate token, folded by the parser).
    Int(u64),
    Float(f64),
    /// Duration in nanoseconds (non-negative).
    Duration(i64),
    Str(String),
    /// A bare word: keyword, intrinsic, enum value, function name or hint name.
    Word(String),
    Attr(AttributeScope, String),
    /// A scoped intrinsic such as `span:name`.
    Intrinsic(Intrinsic),
    Eof,
}

/// A token and its byte span in the source.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Token {
    pub tok: Tok,
    pub start: usize,
    pub end: usize,
}

/// Characters that end an unquoted attribute name (besides whitespace).
const ATTRIBUTE_TERMINATORS: &str = "{}()=~!<>&|^,";

/// Tokenizes until the end or the first error. Returns the tokens before the error (terminated by
/// an `Eof` token at the error position) and the error, if any.
pub(crate) fn tokenize_partial(src: &str) -> (Vec<Token>, Option<RawError>) {
    let mut lexer = Lexer { src, pos: 0 };
    let mut tokens = Vec::new();
    loop {
        match lexer.next_token() {
            Ok(token) => {
                let eof = token.tok == Tok::Eof;
                tokens.push(token);
                if eof {
                    return (tokens, None);
                }
            }
            Err(e) => {
                tokens.push(Token {
                    tok: Tok::Eof,
                    start: e.position,
                    end: e.position,
                });
                return (tokens, Some(e));
            }
        }
    }
}

struct Lexer<'a> {
    src: &'a str,
    pos: usize,
}

impl<'a> Lexer<'a> {
    fn rest(&self) -> &'a str {
        &self.src[self.pos..]
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn peek_at(&self, n: usize) -> Option<char> {
        self.rest().chars().nth(n)
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    fn skip_trivia(&mut self) {
        loop {
            match self.peek() {
                Some(c) if c.is_whitespace() => {
                    self.bump();
                }
                Some('/') if self.peek_at(1) == Some('/') => {
                    let end = self
                        .rest()
                        .find('\n')
                        .map_or(self.src.len(), |i| self.pos + i);
                    self.pos = end;
                }
                _ => return,
            }
        }
    }

    fn next_token(&mut self) -> Result<Token, RawError> {
        self.skip_trivia();
        let start = self.pos;
        let Some(c) = self.peek() else {
            return Ok(Token {
                tok: Tok::Eof,
                start,
                end: start,
            });
        };
        let tok = match c {
            '"' => Tok::Str(self.lex_quoted()?),
            '`' => Tok::Str(self.lex_raw()?),
            '0'..='9' => self.lex_number()?,
            '.' if self.peek_at(1).is_some_and(|c| c.is_ascii_digit()) => self.lex_number()?,
            '.' => {
                self.bump();
                let name = self.lex_attribute_name(start, ".")?;
                Tok::Attr(AttributeScope::Unscoped, name)
            }
            c if c.is_ascii_alphabetic() || c == '_' => self.lex_word()?,
            _ => self.lex_punct(c)?,
        };
        Ok(Token {
            tok,
            start,
            end: self.pos,
        })
    }

    /// Consumes the longest operator or punctuation token at the current position.
    fn lex_punct(&mut self, c: char) -> Result<Tok, RawError> {
        const TABLE: &[(&str, Tok)] = &[
            ("&>>", Tok::UnionDesc),
            ("&<<", Tok::UnionAnce),
            ("!>>", Tok::NotDesc),
            ("!<<", Tok::NotAnce),
            ("&&", Tok::AndAnd),
            ("&>", Tok::UnionChild),
            ("&<", Tok::UnionParent),
            ("&~", Tok::UnionSibl),
            ("||", Tok::OrOr),
            ("!=", Tok::NotEq),
            ("!~", Tok::NotRegex),
            ("!>", Tok::NotChild),
            ("!<", Tok::NotParent),
            ("=~", Tok::Regex),
            (">>", Tok::Desc),
            (">=", Tok::Gte),
            ("<<", Tok::Ance),
            ("<=", Tok::Lte),
            ("{", Tok::LBrace),
            ("}", Tok::RBrace),
            ("(", Tok::LParen),
            (")", Tok::RParen),
            (",", Tok::Comma),
            ("|", Tok::Pipe),
            ("!", Tok::Bang),
            ("=", Tok::Eq),
            (">", Tok::Gt),
            ("<", Tok::Lt),
            ("~", Tok::Tilde),
            ("+", Tok::Plus),
            ("-", Tok::Minus),
            ("*", Tok::Star),
            ("/", Tok::Slash),
            ("%", Tok::Percent),
            ("^", Tok::Caret),
        ];
        for (text, tok) in TABLE {
            if self.rest().starts_with(text) {
                self.pos += text.len();
                return Ok(tok.clone());
            }
        }
        Err(RawError::new(
            self.pos,
            format!("unexpected character '{c}'"),
        ))
    }

    /// Lexes a word, a scoped attribute (`span.x`) or a scoped intrinsic (`span:name`).
    fn lex_word(&mut self) -> Result<Tok, RawError> {
        let start = self.pos;
        while self
            .peek()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            self.bump();
        }
        let word = &self.src[start..self.pos];
        match self.peek() {
            Some('.') => {
                let Some(scope) = AttributeScope::from_word(word) else {
                    return Err(RawError::new(
                        start,
                        format!(
                            "unknown attribute scope '{word}.' (expected span., resource., \
                             event., link., instrumentation. or a leading '.')"
                        ),
                    ));
                };
                self.bump();
                let prefix = scope.prefix();
                let name = self.lex_attribute_name(start, prefix)?;
                Ok(Tok::Attr(scope, name))
            }
            Some(':') => {
                self.bump();
                let name_start = self.pos;
                while self
                    .peek()
                    .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
                {
                    self.bump();
                }
                let name = &self.src[name_start..self.pos];
                if name.is_empty() {
                    return Err(RawError::new(
                        start,
                        format!("expected an intrinsic name after '{word}:'"),
                    ));
                }
                Intrinsic::from_scoped(word, name)
                    .map(Tok::Intrinsic)
                    .ok_or_else(|| {
                        RawError::new(start, format!("unknown intrinsic '{word}:{name}'"))
                    })
            }
            _ => Ok(Tok::Word(word.to_string())),
        }
    }

    /// Lexes an attribute name after its scope prefix; `start` is where the prefix began.
    fn lex_attribute_name(&mut self, start: usize, prefix: &str) -> Result<String, RawError> {
        let mut name = String::new();
        loop {
            match self.peek() {
                None => break,
                Some('"') => name.push_str(&self.lex_quoted()?),
                Some('/') if self.peek_at(1) == Some('/') => break,
                Some(c) if c.is_whitespace() || ATTRIBUTE_TERMINATORS.contains(c) => break,
                Some(c) => {
                    name.push(c);
                    self.bump();
                }
            }
        }
        if name.is_empty() {
            return Err(RawError::new(
                start,
                format!("expected an attribute name after '{prefix}'"),
            ));
        }
        Ok(name)
    }

    /// Lexes a double-quoted string with escapes; the current character is the opening quote.
    fn lex_quoted(&mut self) -> Result<String, RawError> {
        let start = self.pos;
        self.bump();
        let mut out = String::new();
        loop {
            let escape_at = self.pos;
            match self.bump() {
                None => return Err(RawError::new(start, "unterminated string literal")),
                Some('"') => return Ok(out),
                Some('\\') => out.push(self.lex_escape(start, escape_at)?),
                Some(c) => out.push(c),
            }
        }
    }

    fn lex_escape(&mut self, start: usize, at: usize) -> Result<char, RawError> {
        let invalid =
            |what: &str| RawError::new(at, format!("invalid escape sequence '{what}' in string"));
        let Some(c) = self.bump() else {
            return Err(RawError::new(start, "unterminated string literal"));
        };
        Ok(match c {
            'n' => '\n',
            't' => '\t',
            'r' => '\r',
            '\\' => '\\',
            '"' => '"',
            '\'' => '\'',
            'a' => '\u{07}',
            'b' => '\u{08}',
            'f' => '\u{0c}',
            'v' => '\u{0b}',
            'x' | 'u' | 'U' => {
                let digits = match c {
                    'x' => 2,
                    'u' => 4,
                    _ => 8,
                };
                let hex_start = self.pos;
                for _ in 0..digits {
                    match self.peek() {
                        Some(h) if h.is_ascii_hexdigit() => {
                            self.bump();
                        }
                        _ => return Err(invalid(&self.src[at..self.pos])),
                    }
                }
                let value = u32::from_str_radix(&self.src[hex_start..self.pos], 16)
                    .map_err(|_| invalid(&self.src[at..self.pos]))?;
                char::from_u32(value).ok_or_else(|| invalid(&self.src[at..self.pos]))?
            }
            other => return Err(invalid(&format!("\\{other}"))),
        })
    }

    /// Lexes a backtick raw string (no escapes).
    fn lex_raw(&mut self) -> Result<String, RawError> {
        let start = self.pos;
        self.bump();
        match self.rest().find('`') {
            Some(i) => {
                let s = self.rest()[..i].to_string();
                self.pos += i + 1;
                Ok(s)
            }
            None => Err(RawError::new(start, "unterminated raw string literal")),
        }
    }

    /// Lexes an integer, float or duration. The whole run of number-like characters is one token,
    /// so `5xs` is reported as a bad duration rather than `5` followed by a word.
    fn lex_number(&mut self) -> Result<Tok, RawError> {
        let start = self.pos;
        let mut prev = '\0';
        while let Some(c) = self.peek() {
            let exponent_sign = (c == '+' || c == '-')
                && (prev == 'e' || prev == 'E')
                && self.peek_at(1).is_some_and(|d| d.is_ascii_digit())
                && is_plain_number(&self.src[start..self.pos - 1]);
            if c.is_ascii_alphanumeric()
                || c == '.'
                || c == '_'
                || c == 'µ'
                || c == 'μ'
                || exponent_sign
            {
                prev = c;
                self.bump();
            } else {
                break;
            }
        }
        let text = &self.src[start..self.pos];
        if is_plain_number(text) {
            if text.bytes().all(|b| b.is_ascii_digit()) {
                return text.parse::<u64>().map(Tok::Int).map_err(|_| {
                    RawError::new(start, format!("integer literal '{text}' is too large"))
                });
            }
            return match text.parse::<f64>() {
                Ok(f) if f.is_finite() => Ok(Tok::Float(f)),
                _ => Err(RawError::new(
                    start,
                    format!("number '{text}' is out of range"),
                )),
            };
        }
        if text.chars().any(|c| c.is_alphabetic()) {
            return parse_duration(text)
                .map(Tok::Duration)
                .map_err(|why| RawError::new(start, format!("invalid duration '{text}': {why}")));
        }
        Err(RawError::new(start, format!("invalid number '{text}'")))
    }
}

/// Whether `text` is a plain decimal integer or float: `12`, `1.5`, `.5`, `1e-3`, `2.5E+4`.
fn is_plain_number(text: &str) -> bool {
    let (mantissa, exponent) = match text.find(['e', 'E']) {
        Some(i) => (&text[..i], Some(&text[i + 1..])),
        None => (text, None),
    };
    let (int, frac) = match mantissa.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (mantissa, None),
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = match frac {
        Some(f) => digits(f) && (int.is_empty() || digits(int)),
        None => digits(int),
    };
    let exponent_ok = exponent.is_none_or(|e| digits(e.strip_prefix(['+', '-']).unwrap_or(e)));
    mantissa_ok && exponent_ok
}

/// Parses a Go/Prometheus-style duration (`1.5s`, `1h30m`, `250µs`) into nanoseconds.
pub(crate) fn parse_duration(text: &str) -> Result<i64, String> {
    const SECOND: i128 = 1_000_000_000;
    let mut total: i128 = 0;
    let mut rest = text;
    while !rest.is_empty() {
        let int_len = rest.bytes().take_while(u8::is_ascii_digit).count();
        let (int, after) = rest.split_at(int_len);
        let (frac, after) = match after.strip_prefix('.') {
            Some(f) => {
                let n = f.bytes().take_while(u8::is_ascii_digit).count();
                f.split_at(n)
            }
            None => ("", after),
        };
        if int.is_empty() && frac.is_empty() {
            return Err(format!("expected a number before '{after}'"));
        }
        let unit_len: usize = after
            .chars()
            .take_while(|c| c.is_alphabetic())
            .map(char::len_utf8)
            .sum();
        let (unit, after) = after.split_at(unit_len);
        let multiplier: i128 = match unit {
            "ns" => 1,
            "us" | "µs" | "μs" => 1_000,
            "ms" => 1_000_000,
            "s" => SECOND,
            "m" => 60 * SECOND,
            "h" => 3_600 * SECOND,
            "d" => 86_400 * SECOND,
            "w" => 7 * 86_400 * SECOND,
            "y" => 365 * 86_400 * SECOND,
            "" => return Err(format!("missing unit after '{int}{}'", dot_frac(frac))),
            other => return Err(format!("unknown unit '{other}'")),
        };
        if int.len() > 20 {
            return Err("out of range".to_string());
        }
        let whole: i128 = if int.is_empty() {
            0
        } else {
            int.parse().map_err(|_| "out of range")?
        };
        let frac = &frac[..frac.len().min(18)];
        let frac_value: i128 = if frac.is_empty() {
            0
        } else {
            frac.parse().map_err(|_| "out of range")?
        };
        let scale = 10i128.pow(frac.len() as u32);
        total += whole * multiplier + frac_value * multiplier / scale;
        if total > i64::MAX as i128 {
            return Err("out of range".to_string());
        }
        rest = after;
    }
    Ok(total as i64)
}

fn dot_frac(frac: &str) -> String {
    if frac.is_empty() {
        String::new()
    } else {
        format!(".{frac}")
    }
}

/// Describes a token for an error message: `'}'`, `'foo'`, `end of query`.
pub(crate) fn describe(src: &str, token: &Token) -> String {
    if token.tok == Tok::Eof {
        return "end of query".to_string();
    }
    let text = &src[token.start..token.end];
    let mut short: String = text.chars().take(40).collect();
    if short.len() < text.len() {
        short.push('…');
    }
    format!("'{short}'")
}
