//! The lexer of Go's `text/template`: text outside `{{ }}`, and inside actions identifiers,
//! fields, variables, literals and punctuation; `{{-` and `-}}` trim the surrounding
//! whitespace and `{{/* */}}` comments disappear.

use super::value::parse_go_int;

/// A token.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tok {
    /// Text outside actions (already trimmed by trim markers).
    Text(String),
    /// `{{`.
    Open,
    /// `}}`.
    Close,
    /// Spaces inside an action (they separate operands).
    Space,
    /// A function name or keyword (`if`, `else`, `end`, `range`, `with`, `break`, ...).
    Ident(String),
    /// `.name` (the name without the dot).
    Field(String),
    /// `.` alone.
    Dot,
    /// `$` or `$name` (with the `$`).
    Variable(String),
    /// A quoted or raw string, unquoted.
    Str(String),
    /// An integer constant (also character constants).
    Int(i64),
    /// A floating-point constant.
    Float(f64),
    /// `true` or `false`.
    Bool(bool),
    /// `nil`.
    Nil,
    /// `|`.
    Pipe,
    /// `(`.
    LParen,
    /// `)`.
    RParen,
    /// `:=`.
    Declare,
    /// `=`.
    Assign,
    /// `,`.
    Comma,
}

/// A token and the byte offset where it starts.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Token {
    pub(crate) tok: Tok,
    pub(crate) pos: usize,
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// Splits a template into tokens.
pub(crate) fn lex(src: &str) -> Result<Vec<Token>, (usize, String)> {
    let bytes = src.as_bytes();
    let mut tokens = Vec::new();
    let mut pos = 0;
    let mut trim_next_text = false;
    while pos < src.len() {
        // Text up to the next action.
        let open = src[pos..].find("{{").map_or(src.len(), |i| pos + i);
        let mut text = &src[pos..open];
        if trim_next_text {
            text = text.trim_start_matches([' ', '\t', '\r', '\n']);
        }
        let trim_left =
            bytes.get(open + 2) == Some(&b'-') && bytes.get(open + 3).is_some_and(|&b| is_space(b));
        if trim_left {
            text = text.trim_end_matches([' ', '\t', '\r', '\n']);
        }
        if !text.is_empty() {
            tokens.push(Token {
                tok: Tok::Text(text.to_string()),
                pos,
            });
        }
        if open >= src.len() {
            break;
        }
        tokens.push(Token {
            tok: Tok::Open,
            pos: open,
        });
        pos = open + 2 + if trim_left { 2 } else { 0 };
        // A comment fills the whole action.
        if src[pos..].starts_with("/*") {
            let end = src[pos + 2..]
                .find("*/")
                .map(|i| pos + 2 + i + 2)
                .ok_or((open, "unclosed comment".to_string()))?;
            pos = end;
            let (close, trims) = at_close(src, pos)
                .ok_or((open, "comment ends before closing delimiter".to_string()))?;
            tokens.pop();
            pos = close;
            trim_next_text = trims;
            continue;
        }
        // Inside the action.
        loop {
            if let Some((after, trims)) = at_close(src, pos) {
                tokens.push(Token {
                    tok: Tok::Close,
                    pos,
                });
                pos = after;
                trim_next_text = trims;
                break;
            }
            let Some(&b) = bytes.get(pos) else {
                return Err((open, "unclosed action".to_string()));
            };
            let start = pos;
            let tok = match b {
                b if is_space(b) => {
                    while bytes.get(pos).is_some_and(|&b| is_space(b)) {
                        if at_close(src, pos).is_some() {
                            break;
                        }
                        pos += 1;
                    }
                    if pos == start {
                        // " -}}": the close comes next.
                        continue;
                    }
                    Tok::Space
                }
                b'|' => {
                    pos += 1;
                    Tok::Pipe
                }
                b'(' => {
                    pos += 1;
                    Tok::LParen
                }
                b')' => {
                    pos += 1;
                    Tok::RParen
                }
                b',' => {
                    pos += 1;
                    Tok::Comma
                }
                b'=' => {
                    pos += 1;
                    Tok::Assign
                }
                b':' if bytes.get(pos + 1) == Some(&b'=') => {
                    pos += 2;
                    Tok::Declare
                }
                b'"' => {
                    let (value, len) = quoted(&src[pos..]).map_err(|e| (pos, e))?;
                    pos += len;
                    Tok::Str(value)
                }
                b'`' => {
                    let end = src[pos + 1..]
                        .find('`')
                        .ok_or((pos, "unterminated raw quoted string".to_string()))?;
                    let value = src[pos + 1..pos + 1 + end].to_string();
                    pos += end + 2;
                    Tok::Str(value)
                }
                b'\'' => {
                    let (c, len) = char_constant(&src[pos..]).map_err(|e| (pos, e))?;
                    pos += len;
                    Tok::Int(i64::from(c as u32))
                }
                b'$' => {
                    pos += 1 + ident_len(&src[pos + 1..]);
                    Tok::Variable(src[start..pos].to_string())
                }
                b'.' if bytes.get(pos + 1).is_some_and(u8::is_ascii_digit) => {
                    let (tok, len) = number(&src[pos..]).map_err(|e| (pos, e))?;
                    pos += len;
                    tok
                }
                b'.' => {
                    let len = ident_len(&src[pos + 1..]);
                    pos += 1 + len;
                    if len == 0 {
                        Tok::Dot
                    } else {
                        Tok::Field(src[start + 1..pos].to_string())
                    }
                }
                b'+' | b'-' | b'0'..=b'9' => {
                    let (tok, len) = number(&src[pos..]).map_err(|e| (pos, e))?;
                    pos += len;
                    tok
                }
                b if (b.is_ascii_alphabetic() || b == b'_' || b >= 0x80)
                    && ident_len(&src[pos..]) > 0 =>
                {
                    pos += ident_len(&src[pos..]);
                    match &src[start..pos] {
                        "true" => Tok::Bool(true),
                        "false" => Tok::Bool(false),
                        "nil" => Tok::Nil,
                        word => Tok::Ident(word.to_string()),
                    }
                }
                _ => {
                    let c = src[pos..].chars().next().unwrap_or('?');
                    return Err((pos, format!("unexpected {c:?} in command")));
                }
            };
            tokens.push(Token { tok, pos: start });
        }
    }
    Ok(tokens)
}

/// At `pos`, `}}` or ` -}}`: the offset after it and whether it trims the following text.
fn at_close(src: &str, pos: usize) -> Option<(usize, bool)> {
    let rest = &src.as_bytes()[pos.min(src.len())..];
    if rest.len() >= 4 && is_space(rest[0]) && rest[1] == b'-' && &rest[2..4] == b"}}" {
        return Some((pos + 4, true));
    }
    rest.starts_with(b"}}").then_some((pos + 2, false))
}

/// The length of the identifier at the start of `s` (letters, digits, `_`).
fn ident_len(s: &str) -> usize {
    s.char_indices()
        .find(|&(_, c)| !(c.is_alphanumeric() || c == '_'))
        .map_or(s.len(), |(i, _)| i)
}

/// A Go number constant at the start of `s`.
fn number(s: &str) -> Result<(Tok, usize), String> {
    let len = s
        .char_indices()
        .skip(1)
        .find(|&(i, c)| {
            let prev = s.as_bytes()[i - 1];
            !(c.is_ascii_alphanumeric()
                || c == '.'
                || c == '_'
                || ((c == '+' || c == '-') && matches!(prev, b'e' | b'E' | b'p' | b'P')))
        })
        .map_or(s.len(), |(i, _)| i);
    let text = &s[..len];
    let bad = || format!("bad number syntax: {text:?}");
    let hex = text
        .trim_start_matches(['+', '-'])
        .to_ascii_lowercase()
        .starts_with("0x");
    if !hex && text.contains(['.', 'e', 'E']) {
        let value: f64 = text.replace('_', "").parse().map_err(|_| bad())?;
        return Ok((Tok::Float(value), len));
    }
    if let Some(int) = parse_go_int(text) {
        return Ok((Tok::Int(int), len));
    }
    Err(bad())
}

/// A double-quoted Go string at the start of `s`: its value and length.
fn quoted(s: &str) -> Result<(String, usize), String> {
    let mut out = String::new();
    let mut chars = s.char_indices().skip(1);
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Ok((out, i + 1)),
            '\n' => break,
            '\\' => {
                let (_, e) = chars.next().ok_or("unterminated quoted string")?;
                let mut hex = |n: usize| -> Result<char, String> {
                    let digits: String = (0..n)
                        .filter_map(|_| chars.next().map(|(_, c)| c))
                        .collect();
                    u32::from_str_radix(&digits, 16)
                        .ok()
                        .filter(|_| digits.len() == n)
                        .and_then(char::from_u32)
                        .ok_or_else(|| "invalid syntax".to_string())
                };
                out.push(match e {
                    'a' => '\u{7}',
                    'b' => '\u{8}',
                    'f' => '\u{c}',
                    'n' => '\n',
                    'r' => '\r',
                    't' => '\t',
                    'v' => '\u{b}',
                    '\\' => '\\',
                    '"' => '"',
                    'x' => hex(2)?,
                    'u' => hex(4)?,
                    'U' => hex(8)?,
                    '0'..='7' => {
                        let mut value = e.to_digit(8).unwrap_or(0);
                        for _ in 0..2 {
                            let (_, d) = chars.next().ok_or("invalid syntax")?;
                            value = value * 8 + d.to_digit(8).ok_or("invalid syntax")?;
                        }
                        char::from_u32(value).ok_or("invalid syntax")?
                    }
                    _ => return Err("invalid syntax".to_string()),
                });
            }
            c => out.push(c),
        }
    }
    Err("unterminated quoted string".to_string())
}

/// A character constant (`'a'`, `'\n'`) at the start of `s`: the character and length.
fn char_constant(s: &str) -> Result<(char, usize), String> {
    let end = s[1..]
        .find('\'')
        .map(|i| i + 1)
        .ok_or("unterminated character constant")?;
    let inner = &s[1..end];
    let c = if inner.starts_with('\\') {
        let (value, _) = quoted(&format!("\"{}\"", inner.replace("\\'", "'")))?;
        let mut chars = value.chars();
        match (chars.next(), chars.next()) {
            (Some(c), None) => c,
            _ => return Err("malformed character constant".to_string()),
        }
    } else {
        let mut chars = inner.chars();
        match (chars.next(), chars.next()) {
            (Some(c), None) => c,
            _ => return Err("malformed character constant".to_string()),
        }
    };
    Ok((c, end + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(src: &str) -> Vec<Tok> {
        lex(src).unwrap().into_iter().map(|t| t.tok).collect()
    }

    #[test]
    fn tokens() {
        use Tok::*;
        assert_eq!(
            toks(r#"a {{- .x.y | printf "%d" 3 -}} b"#),
            [
                Text("a".into()),
                Open,
                Field("x".into()),
                Field("y".into()),
                Space,
                Pipe,
                Space,
                Ident("printf".into()),
                Space,
                Str("%d".into()),
                Space,
                Int(3),
                Close,
                Text("b".into())
            ]
        );
        assert_eq!(
            toks("{{$v := -1.5e3}}{{/* c */}}x"),
            [
                Open,
                Variable("$v".into()),
                Space,
                Declare,
                Space,
                Float(-1500.0),
                Close,
                Text("x".into())
            ]
        );
        assert_eq!(toks("{{'a'}}"), [Open, Int(97), Close]);
        assert_eq!(toks("{{-3}}"), [Open, Int(-3), Close]);
        assert!(lex("{{ .a ").is_err());
        assert!(lex(r#"{{ "abc }}"#).is_err());
    }
}
