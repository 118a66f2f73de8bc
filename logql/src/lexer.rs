//! Hand-written LogQL lexer: turns a query into tokens with byte spans.
//!
//! Words are plain identifiers (`[a-zA-Z_][a-zA-Z0-9_]*`); whether one is a keyword (`by`,
//! `json`, `rate`, ...) is decided by the parser from context, so label names such as `json`,
//! `by` or `offset` work wherever a label name is expected. A number immediately followed by
//! letters is one [`Tok::Unit`] token (`5m`, `1.5s`, `20MB`, `5x`) that the parser reads as a
//! duration or byte size. `[...]` is one [`Tok::Range`] token, as in Loki. `#` starts a comment
//! that runs to the end of the line.

use crate::error::RawError;

/// A token kind, with its value for literals and words.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tok {
    LBrace,
    RBrace,
    LParen,
    RParen,
    Comma,
    /// `[...]`: the raw text between the brackets.
    Range(String),
    /// `=`
    Eq,
    /// `==`
    EqEq,
    /// `!=`
    Neq,
    /// `=~`
    Re,
    /// `!~`
    Nre,
    /// `|=`
    PipeExact,
    /// `|~`
    PipeMatch,
    /// `|>`
    PipePattern,
    /// `!>`
    NotPattern,
    Pipe,
    Gt,
    Gte,
    Lt,
    Lte,
    Plus,
    Minus,
    Star,
    Slash,
    Percent,
    Caret,
    /// A plain number (`12`, `1.5`, `.5`, `1e-3`); a leading sign is a separate token.
    Number(f64),
    /// A number directly followed by letters (`5m`, `1h30m`, `1.5s`, `20MB`), raw text.
    Unit(String),
    /// A string literal's unescaped value.
    Str(String),
    /// An identifier or keyword.
    Ident(String),
    /// A parser flag such as `--strict`.
    Flag(String),
    Eof,
}

/// A token and its byte span in the source.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Token {
    pub tok: Tok,
    pub start: usize,
    pub end: usize,
}

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
                Some('#') => {
                    self.pos = self
                        .rest()
                        .find('\n')
                        .map_or(self.src.len(), |i| self.pos + i);
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
            '[' => self.lex_range()?,
            c if c.is_ascii_alphabetic() || c == '_' => {
                let end = self.rest().find(|c: char| !is_ident_char(c));
                self.pos = end.map_or(self.src.len(), |i| self.pos + i);
                Tok::Ident(self.src[start..self.pos].to_string())
            }
            '-' if self.peek_at(1) == Some('-')
                && self.peek_at(2).is_some_and(|c| c.is_ascii_alphabetic()) =>
            {
                self.pos += 2;
                let end = self
                    .rest()
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'));
                self.pos = end.map_or(self.src.len(), |i| self.pos + i);
                Tok::Flag(self.src[start..self.pos].to_string())
            }
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
            ("|=", Tok::PipeExact),
            ("|~", Tok::PipeMatch),
            ("|>", Tok::PipePattern),
            ("!=", Tok::Neq),
            ("!~", Tok::Nre),
            ("!>", Tok::NotPattern),
            ("=~", Tok::Re),
            ("==", Tok::EqEq),
            (">=", Tok::Gte),
            ("<=", Tok::Lte),
            ("{", Tok::LBrace),
            ("}", Tok::RBrace),
            ("(", Tok::LParen),
            (")", Tok::RParen),
            (",", Tok::Comma),
            ("|", Tok::Pipe),
            ("=", Tok::Eq),
            (">", Tok::Gt),
            ("<", Tok::Lt),
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
        let message = match c {
            ']' => "unexpected \"]\" without a matching \"[\"".to_string(),
            '\'' => {
                "unexpected character \"'\" (strings use double quotes or backticks)".to_string()
            }
            _ => format!("unexpected character \"{c}\""),
        };
        Err(RawError::new(self.pos, message))
    }

    /// Lexes `[...]` as one token holding the text between the brackets.
    fn lex_range(&mut self) -> Result<Tok, RawError> {
        let start = self.pos;
        match self.rest().find(']') {
            Some(i) => {
                let text = self.rest()[1..i].to_string();
                self.pos += i + 1;
                Ok(Tok::Range(text))
            }
            None => Err(RawError::new(
                start,
                "missing closing \"]\" after the range",
            )),
        }
    }

    /// Lexes a double-quoted string with Go escapes; the current character is the quote.
    fn lex_quoted(&mut self) -> Result<String, RawError> {
        let start = self.pos;
        self.bump();
        let mut out = Vec::new();
        loop {
            let escape_at = self.pos;
            match self.bump() {
                None => return Err(RawError::new(start, "unterminated string literal")),
                Some('"') => break,
                Some('\n') => {
                    return Err(RawError::new(
                        start,
                        "unterminated string literal (use \\n for a newline inside a string)",
                    ));
                }
                Some('\\') => self.lex_escape(start, escape_at, &mut out)?,
                Some(c) => {
                    let mut buf = [0; 4];
                    out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                }
            }
        }
        String::from_utf8(out).map_err(|_| RawError::new(start, "string is not valid UTF-8"))
    }

    /// Decodes one escape sequence (after the backslash at `at`) into `out`, like Go does: `\x`
    /// and octal escapes produce bytes, `\u` and `\U` produce characters.
    fn lex_escape(&mut self, start: usize, at: usize, out: &mut Vec<u8>) -> Result<(), RawError> {
        let Some(c) = self.bump() else {
            return Err(RawError::new(start, "unterminated string literal"));
        };
        let simple = match c {
            'a' => Some(0x07),
            'b' => Some(0x08),
            'f' => Some(0x0c),
            'n' => Some(b'\n'),
            'r' => Some(b'\r'),
            't' => Some(b'\t'),
            'v' => Some(0x0b),
            '\\' => Some(b'\\'),
            '"' => Some(b'"'),
            _ => None,
        };
        if let Some(byte) = simple {
            out.push(byte);
            return Ok(());
        }
        let (digits, radix) = match c {
            'x' => (2, 16),
            'u' => (4, 16),
            'U' => (8, 16),
            '0'..='7' => (2, 8),
            _ => {
                return Err(RawError::new(
                    at,
                    format!("invalid escape sequence \"\\{c}\" in string"),
                ));
            }
        };
        let digits_start = self.pos;
        for _ in 0..digits {
            match self.peek() {
                Some(d) if d.is_digit(radix) => {
                    self.bump();
                }
                _ => break,
            }
        }
        let text = &self.src[at..self.pos];
        let invalid = || RawError::new(at, format!("invalid escape sequence \"{text}\" in string"));
        if self.pos - digits_start != digits {
            return Err(invalid());
        }
        let number = &self.src[if radix == 8 { at + 1 } else { digits_start }..self.pos];
        let value = u32::from_str_radix(number, radix).map_err(|_| invalid())?;
        match c {
            'x' => out.push(value as u8),
            '0'..='7' => out.push(u8::try_from(value).map_err(|_| invalid())?),
            _ => {
                let ch = char::from_u32(value).ok_or_else(invalid)?;
                let mut buf = [0; 4];
                out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
            }
        }
        Ok(())
    }

    /// Lexes a backtick raw string (no escapes; carriage returns are dropped, as in Go).
    fn lex_raw(&mut self) -> Result<String, RawError> {
        let start = self.pos;
        self.bump();
        match self.rest().find('`') {
            Some(i) => {
                let s = self.rest()[..i].replace('\r', "");
                self.pos += i + 1;
                Ok(s)
            }
            None => Err(RawError::new(start, "unterminated raw string literal")),
        }
    }

    /// Lexes a number, or a number directly followed by letters as a [`Tok::Unit`].
    fn lex_number(&mut self) -> Result<Tok, RawError> {
        let start = self.pos;
        let digits = |lexer: &mut Self| {
            while lexer.peek().is_some_and(|c| c.is_ascii_digit()) {
                lexer.bump();
            }
        };
        digits(self);
        if self.peek() == Some('.') && self.peek_at(1).is_none_or(|c| !c.is_alphabetic()) {
            self.bump();
            digits(self);
        }
        let exponent = matches!(self.peek(), Some('e' | 'E'))
            && match self.peek_at(1) {
                Some('+' | '-') => self.peek_at(2).is_some_and(|c| c.is_ascii_digit()),
                Some(c) => c.is_ascii_digit(),
                None => false,
            };
        if exponent {
            self.bump();
            if matches!(self.peek(), Some('+' | '-')) {
                self.bump();
            }
            digits(self);
        }
        if self.peek().is_some_and(is_unit_char) {
            while self.peek().is_some_and(is_unit_char) {
                self.bump();
            }
            let text = &self.src[start..self.pos];
            if text.chars().any(char::is_alphabetic) {
                return Ok(Tok::Unit(text.to_string()));
            }
            return Err(RawError::new(start, format!("invalid number \"{text}\"")));
        }
        let text = &self.src[start..self.pos];
        match text.parse::<f64>() {
            Ok(value) if value.is_finite() => Ok(Tok::Number(value)),
            _ => Err(RawError::new(
                start,
                format!("number \"{text}\" is out of range"),
            )),
        }
    }
}

fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Characters that continue a number into a unit literal (`1h30m`, `2.5KiB`, `1µs`).
fn is_unit_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == 'µ' || c == 'μ'
}

/// Describes a token for an error message: `"}"`, `"foo"`, `"\"abc\""`, `end of query`.
pub(crate) fn describe(src: &str, token: &Token) -> String {
    if token.tok == Tok::Eof {
        return "end of query".to_string();
    }
    let text = &src[token.start..token.end];
    let mut short: String = text.chars().take(40).collect();
    if short.len() < text.len() {
        short.push('…');
    }
    match token.tok {
        Tok::Str(_) => format!("string {short}"),
        _ => format!("\"{short}\""),
    }
}
