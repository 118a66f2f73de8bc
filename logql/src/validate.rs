//! Static checks Loki performs while parsing: regular expressions compile, `regexp` and
//! `pattern` parsers have usable captures, `ip()` patterns are well-formed, stream selectors
//! select something. Each check returns the reason on failure; the parser adds the position.
//!
//! Regular expressions are checked with the `regex` crate, whose syntax is close to Go's RE2
//! (`(?P<name>...)`, `(?i)`, classes, repetition); a few rarely used RE2 forms such as `\Q...\E`
//! are rejected.

use std::net::IpAddr;

use regex::{Regex, RegexBuilder};

use crate::ast::{MatchOp, Matcher};

/// Compiled regexes larger than this are rejected (a guard against pathological repetitions).
const REGEX_SIZE_LIMIT: usize = 1 << 20;

/// Compiles `pattern`; with `anchored`, as Prometheus label matchers do (`^(?:pattern)$`).
pub(crate) fn compile_regex(pattern: &str, anchored: bool) -> Result<Regex, String> {
    let source = if anchored {
        format!("^(?:{pattern})$")
    } else {
        pattern.to_string()
    };
    RegexBuilder::new(&source)
        .size_limit(REGEX_SIZE_LIMIT)
        .build()
        .map_err(|e| {
            let text = e.to_string();
            // Syntax errors are multi-line diagrams ending in "error: <reason>".
            let reason = text
                .lines()
                .rev()
                .find_map(|line| line.strip_prefix("error: "))
                .unwrap_or(text.lines().next().unwrap_or("invalid"))
                .to_string();
            format!("invalid regular expression {pattern:?}: {reason}")
        })
}

/// Checks a matcher's regex and tells whether the matcher accepts the empty string (a label
/// that is absent). Loki rejects selectors whose matchers all accept it.
pub(crate) fn check_matcher(matcher: &Matcher) -> Result<bool, String> {
    Ok(match matcher.op {
        MatchOp::Eq => matcher.value.is_empty(),
        MatchOp::Neq => !matcher.value.is_empty(),
        MatchOp::Re => compile_regex(&matcher.value, true)?.is_match(""),
        MatchOp::Nre => !compile_regex(&matcher.value, true)?.is_match(""),
    })
}

/// Whether `name` is a valid label name: `[a-zA-Z_][a-zA-Z0-9_]*`.
pub(crate) fn is_label_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Checks a `| regexp` parser expression: it compiles and has at least one named capture, each
/// a valid label name.
pub(crate) fn check_regexp_parser(pattern: &str) -> Result<(), String> {
    let regex = compile_regex(pattern, false)?;
    let mut named = 0;
    for name in regex.capture_names().flatten() {
        if !is_label_name(name) {
            return Err(format!(
                "invalid regexp parser: capture name {name:?} is not a valid label name"
            ));
        }
        named += 1;
    }
    if named == 0 {
        return Err(
            "invalid regexp parser: at least one named capture such as (?P<name>...) is required"
                .to_string(),
        );
    }
    Ok(())
}

/// Checks a `| pattern` parser expression. A capture is `<name>` (a label name) or `<_>`
/// (skipped); anything else is literal text. There must be at least one named capture, no two
/// captures side by side, and no name twice.
pub(crate) fn check_pattern_parser(pattern: &str) -> Result<(), String> {
    let invalid = |why: String| Err(format!("invalid pattern {pattern:?}: {why}"));
    let mut names: Vec<&str> = Vec::new();
    let mut previous_was_capture = false;
    let mut rest = pattern;
    while !rest.is_empty() {
        if let Some(name) = capture_at(rest) {
            if previous_was_capture {
                return invalid(format!(
                    "captures must be separated by literal text (found <{name}> right after \
                     another capture)"
                ));
            }
            if name != "_" {
                if names.contains(&name) {
                    return invalid(format!("capture <{name}> appears twice"));
                }
                names.push(name);
            }
            previous_was_capture = true;
            rest = &rest[name.len() + 2..];
        } else {
            previous_was_capture = false;
            let c = rest.chars().next().map_or(1, char::len_utf8);
            rest = &rest[c..];
        }
    }
    if names.is_empty() {
        return invalid("at least one named capture such as <name> is required".to_string());
    }
    Ok(())
}

/// The capture name if `text` starts with `<name>` (`name` ASCII, not starting with a digit).
fn capture_at(text: &str) -> Option<&str> {
    let inner = text.strip_prefix('<')?;
    let end = inner.find('>')?;
    let name = &inner[..end];
    is_label_name(name).then_some(name)
}

/// Checks an `ip("...")` pattern: an address, `address/prefix` or `first-last`.
pub(crate) fn check_ip_pattern(pattern: &str) -> Result<(), String> {
    let invalid = |why: &str| Err(format!("invalid ip pattern {pattern:?}: {why}"));
    let parse = |text: &str| text.trim().parse::<IpAddr>().ok();
    if let Some((address, prefix)) = pattern.split_once('/') {
        let Some(address) = parse(address) else {
            return invalid("expected an IP address before \"/\"");
        };
        let max = if address.is_ipv4() { 32 } else { 128 };
        return match prefix.trim().parse::<u8>() {
            Ok(bits) if bits <= max => Ok(()),
            _ => invalid(&format!(
                "the prefix length must be a number from 0 to {max}"
            )),
        };
    }
    if let Some((first, last)) = pattern.split_once('-') {
        return match (parse(first), parse(last)) {
            (Some(first), Some(last)) if first.is_ipv4() == last.is_ipv4() => Ok(()),
            (Some(_), Some(_)) => invalid("both ends of a range must be IPv4 or both IPv6"),
            _ => invalid("expected two IP addresses separated by \"-\""),
        };
    }
    match parse(pattern) {
        Some(_) => Ok(()),
        None => invalid("expected an IP address, a CIDR range (10.0.0.0/8) or a range (a-b)"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regexes() {
        assert!(compile_regex("a+", false).is_ok());
        let e = compile_regex("(", false).unwrap_err();
        assert!(e.contains("unclosed group"), "{e}");
        // Anchoring makes `a)(b` valid, as in Prometheus.
        assert!(compile_regex("a)(b", true).is_ok());
        assert!(compile_regex("a{1000}{1000}", false).is_err());
    }

    #[test]
    fn matchers_and_the_empty_string() {
        let m = |op, v: &str| check_matcher(&Matcher::new("a", op, v)).unwrap();
        assert!(m(MatchOp::Eq, ""));
        assert!(!m(MatchOp::Eq, "x"));
        assert!(m(MatchOp::Neq, "x"));
        assert!(!m(MatchOp::Neq, ""));
        assert!(m(MatchOp::Re, ".*"));
        assert!(!m(MatchOp::Re, ".+"));
        assert!(!m(MatchOp::Nre, ".*"));
        assert!(m(MatchOp::Nre, ".+"));
    }

    #[test]
    fn regexp_parser() {
        assert!(check_regexp_parser(r"(?P<x>\d+)").is_ok());
        assert!(check_regexp_parser(r"(?<x>\d+) (\w)").is_ok());
        assert!(
            check_regexp_parser(r"(\d+)")
                .unwrap_err()
                .contains("named capture")
        );
        assert!(
            check_regexp_parser(r"(?P<a.b>x)")
                .unwrap_err()
                .contains("label name")
        );
    }

    #[test]
    fn pattern_parser() {
        assert!(check_pattern_parser("<ip> - <_> [<ts>]").is_ok());
        assert!(
            check_pattern_parser("<_> x")
                .unwrap_err()
                .contains("at least one")
        );
        assert!(
            check_pattern_parser("<a><b>")
                .unwrap_err()
                .contains("separated")
        );
        assert!(
            check_pattern_parser("<a> <a>")
                .unwrap_err()
                .contains("twice")
        );
        assert!(check_pattern_parser("<1a> <b>").is_ok());
        assert!(check_pattern_parser("é <b>").is_ok());
    }

    #[test]
    fn ip_patterns() {
        for ok in [
            "10.0.0.1",
            "10.0.0.0/8",
            "10.0.0.1-10.0.0.9",
            "::1",
            "2001:db8::/32",
            "::1-::ff",
        ] {
            assert!(check_ip_pattern(ok).is_ok(), "{ok}");
        }
        for bad in ["10.0.0", "10.0.0.0/33", "x", "10.0.0.1-::1", "", "::1/129"] {
            assert!(check_ip_pattern(bad).is_err(), "{bad}");
        }
    }
}
