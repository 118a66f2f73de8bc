//! Regular expressions with Go's RE2 semantics on top of the `regex` crate.
//!
//! The two engines share their syntax, but the Perl classes differ: in Go `\d`, `\w`, `\s` and
//! `\b` are ASCII-only while the `regex` crate makes them Unicode-aware. Patterns are rewritten
//! so that they match exactly what Loki matches (which also makes them smaller and faster).

use regex::{Regex, RegexBuilder};

use super::PipelineError;

/// Compiled regexes larger than this are rejected (a guard against pathological repetitions).
const REGEX_SIZE_LIMIT: usize = 8 << 20;

/// Compiles an unanchored regex (line filters, `regexp` parser, template functions).
pub(crate) fn compile(pattern: &str) -> Result<Regex, PipelineError> {
    build(pattern, &translate(pattern))
}

/// Compiles a label matcher's regex, anchored at both ends with `.` matching newlines, as
/// Prometheus label matchers are (`^(?s:pattern)$`). As in Prometheus, the pattern must also be
/// valid on its own (`a)|(b` is rejected).
pub(crate) fn compile_anchored(pattern: &str) -> Result<Regex, PipelineError> {
    let translated = translate(pattern);
    build(pattern, &translated)?;
    build(pattern, &format!("^(?s:{translated})$"))
}

fn build(pattern: &str, source: &str) -> Result<Regex, PipelineError> {
    RegexBuilder::new(source)
        .size_limit(REGEX_SIZE_LIMIT)
        .build()
        .map_err(|e| invalid(pattern, &e.to_string()))
}

/// The error for `pattern`, keeping the reason line of the crate's multi-line diagnostics.
fn invalid(pattern: &str, text: &str) -> PipelineError {
    let reason = text
        .lines()
        .rev()
        .find_map(|line| line.strip_prefix("error: "))
        .unwrap_or(text.lines().next().unwrap_or("invalid"))
        .to_string();
    PipelineError::Regex {
        pattern: pattern.to_string(),
        reason,
    }
}

/// Rewrites the Perl classes of a Go regex into their ASCII definitions.
fn translate(pattern: &str) -> String {
    if !pattern.contains('\\') {
        return pattern.to_string();
    }
    let mut out = String::with_capacity(pattern.len() + 16);
    let mut class_depth = 0usize;
    let mut chars = pattern.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let Some(next) = chars.next() else {
                    out.push('\\');
                    break;
                };
                let class = match next {
                    'd' => Some("[0-9]"),
                    'D' => Some("[^0-9]"),
                    'w' => Some("[0-9A-Za-z_]"),
                    'W' => Some("[^0-9A-Za-z_]"),
                    's' => Some(r"[\t\n\x0C\r ]"),
                    'S' => Some(r"[^\t\n\x0C\r ]"),
                    _ => None,
                };
                match (class, next) {
                    (Some(class), _) => out.push_str(class),
                    (None, 'b') if class_depth == 0 => out.push_str(r"(?-u:\b)"),
                    (None, 'B') if class_depth == 0 => out.push_str(r"(?-u:\B)"),
                    (None, next) => {
                        out.push('\\');
                        out.push(next);
                    }
                }
            }
            '[' => {
                if class_depth > 0 && chars.peek() == Some(&':') {
                    // A POSIX class such as [:alpha:], copied whole.
                    out.push('[');
                    for c in chars.by_ref() {
                        out.push(c);
                        if c == ']' {
                            break;
                        }
                    }
                    continue;
                }
                class_depth += 1;
                out.push('[');
                if chars.peek() == Some(&'^') {
                    out.push('^');
                    chars.next();
                }
                if chars.peek() == Some(&']') {
                    // A `]` right after the opening bracket is a literal.
                    out.push_str(r"\]");
                    chars.next();
                }
            }
            ']' if class_depth > 0 => {
                class_depth -= 1;
                out.push(']');
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn perl_classes_are_ascii() {
        let re = compile(r"^\w+$").unwrap();
        assert!(re.is_match("abc_1"));
        assert!(!re.is_match("héllo"));
        assert!(compile(r"\d").unwrap().is_match("7"));
        assert!(!compile(r"\d").unwrap().is_match("٣"));
        assert!(compile(r"[\d.]+x").unwrap().is_match("1.2x"));
        assert!(compile(r"[^\W]").unwrap().is_match("a"));
        assert!(compile(r"\bfoo\b").unwrap().is_match("a foo b"));
        assert!(compile(r"\\d").unwrap().is_match(r"\d"));
        assert!(compile(r"[[:alpha:]]+").unwrap().is_match("abc"));
        assert!(compile(r"[]a]").unwrap().is_match("]"));
    }

    #[test]
    fn anchored_matchers() {
        let re = compile_anchored("a.c").unwrap();
        assert!(re.is_match("a\nc"));
        assert!(!re.is_match("xabc"));
        assert!(compile_anchored("a|b").unwrap().is_match("b"));
        assert!(compile_anchored("a)|(b").is_err());
        assert!(matches!(compile("("), Err(PipelineError::Regex { .. })));
    }
}
