//! Loki's pattern language, shared by the `| pattern "<ip> - <_>"` parser and the `|> "<_> x"`
//! line filter: `<name>` captures, `<_>` skips, everything else is literal text.

use super::PipelineError;

/// One element of a pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Node {
    /// Literal text (adjacent characters merged).
    Literal(String),
    /// `<name>`, or `<_>` when `None`.
    Capture(Option<String>),
}

/// A compiled pattern.
#[derive(Debug, Clone)]
pub(crate) struct PatternMatcher {
    nodes: Vec<Node>,
    names: Vec<String>,
}

impl PatternMatcher {
    /// Compiles a `| pattern` expression: at least one named capture, no two captures side by
    /// side, no name twice.
    pub(crate) fn for_parser(text: &str) -> Result<Self, PipelineError> {
        let nodes = parse(text);
        let err = |reason: &str| PipelineError::Pattern {
            pattern: text.to_string(),
            reason: reason.to_string(),
        };
        check_no_consecutive_captures(&nodes).map_err(|r| err(&r))?;
        let mut names: Vec<String> = Vec::new();
        for node in &nodes {
            if let Node::Capture(Some(name)) = node {
                if names.contains(name) {
                    return Err(err(&format!("duplicate capture name ({name})")));
                }
                names.push(name.clone());
            }
        }
        if names.is_empty() {
            return Err(err("at least one capture is required"));
        }
        Ok(PatternMatcher { nodes, names })
    }

    /// Compiles a `|>` / `!>` line filter pattern: only `<_>` captures, never side by side.
    pub(crate) fn for_line_filter(text: &str) -> Result<Self, PipelineError> {
        let nodes = parse(text);
        let err = |reason: String| PipelineError::Pattern {
            pattern: text.to_string(),
            reason,
        };
        check_no_consecutive_captures(&nodes).map_err(err)?;
        if nodes.iter().any(|n| matches!(n, Node::Capture(Some(_)))) {
            return Err(err("named captures are not allowed".to_string()));
        }
        Ok(PatternMatcher {
            nodes,
            names: Vec::new(),
        })
    }

    /// The names of the named captures, in order.
    pub(crate) fn names(&self) -> &[String] {
        &self.names
    }

    /// The values of the named captures in `line`, in order, as Loki's matcher finds them:
    /// a leading literal must start the line; each capture runs up to the next occurrence of
    /// the literal that follows it, or to the end of the line when the literal is missing (the
    /// remaining captures are then absent). Empty when the line does not start right.
    pub(crate) fn captures<'l>(&self, line: &'l str, out: &mut Vec<&'l str>) {
        out.clear();
        if line.is_empty() || self.nodes.is_empty() {
            return;
        }
        let mut rest = line;
        let mut nodes = &self.nodes[..];
        if let Node::Literal(literal) = &nodes[0] {
            if !rest.starts_with(literal.as_str()) {
                return;
            }
            rest = &rest[literal.len()..];
            nodes = &nodes[1..];
        }
        while let Some(node) = nodes.first() {
            let Node::Capture(name) = node else {
                unreachable!("captures and literals alternate");
            };
            let Some(Node::Literal(literal)) = nodes.get(1) else {
                // Ending on a capture: it takes the rest of the line.
                if name.is_some() {
                    out.push(rest);
                }
                return;
            };
            nodes = &nodes[2..];
            match rest.find(literal.as_str()) {
                None => {
                    if name.is_some() {
                        out.push(rest);
                    }
                    return;
                }
                Some(at) => {
                    if name.is_some() {
                        out.push(&rest[..at]);
                    }
                    rest = &rest[at + literal.len()..];
                }
            }
        }
    }

    /// Whether `line` matches the pattern as a line filter (Loki's `Test`): the literals
    /// appear in order, no capture is empty, and the line ends where the pattern ends.
    pub(crate) fn test(&self, line: &str) -> bool {
        if line.is_empty() || self.nodes.is_empty() {
            return line.is_empty() && self.nodes.is_empty();
        }
        let mut offset = 0;
        for (i, node) in self.nodes.iter().enumerate() {
            let Node::Literal(literal) = node else {
                continue;
            };
            let Some(found) = line[offset..].find(literal.as_str()) else {
                return false;
            };
            if i != 0 && found == 0 {
                // Repeated literals or an empty capture.
                return false;
            }
            offset += found + literal.len();
        }
        let ends_on_capture = matches!(self.nodes.last(), Some(Node::Capture(_)));
        ends_on_capture == (offset != line.len())
    }
}

/// Splits a pattern into literals and captures.
fn parse(text: &str) -> Vec<Node> {
    let mut nodes: Vec<Node> = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        if let Some(name) = capture_at(rest) {
            nodes.push(Node::Capture((name != "_").then(|| name.to_string())));
            rest = &rest[name.len() + 2..];
            continue;
        }
        let c = rest.chars().next().expect("not empty");
        match nodes.last_mut() {
            Some(Node::Literal(literal)) => literal.push(c),
            _ => nodes.push(Node::Literal(c.to_string())),
        }
        rest = &rest[c.len_utf8()..];
    }
    nodes
}

/// The capture name when `text` starts with `<name>` (`[a-zA-Z_][a-zA-Z0-9_]*`).
fn capture_at(text: &str) -> Option<&str> {
    let inner = text.strip_prefix('<')?;
    let end = inner.find('>')?;
    let name = &inner[..end];
    let mut chars = name.chars();
    let valid = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    valid.then_some(name)
}

fn check_no_consecutive_captures(nodes: &[Node]) -> Result<(), String> {
    for pair in nodes.windows(2) {
        if let [Node::Capture(a), Node::Capture(b)] = pair {
            let show = |n: &Option<String>| format!("<{}>", n.as_deref().unwrap_or("_"));
            return Err(format!(
                "found consecutive capture '{}{}'",
                show(a),
                show(b)
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn captures(pattern: &str, line: &str) -> Vec<String> {
        let m = PatternMatcher::for_parser(pattern).unwrap();
        let mut out = Vec::new();
        m.captures(line, &mut out);
        out.into_iter().map(str::to_string).collect()
    }

    #[test]
    fn parser_captures() {
        assert_eq!(
            captures(
                "<ip> - <_> [<ts>] \"<method> <path>",
                "1.2.3.4 - u [now] \"GET /x"
            ),
            ["1.2.3.4", "now", "GET", "/x"]
        );
        assert_eq!(captures("<a> x <b>", "1 y 2"), ["1 y 2"]);
        assert!(captures("foo <a>", "bar 1").is_empty());
        assert_eq!(captures("<a>:<b>", "k:v:w"), ["k", "v:w"]);
        assert!(PatternMatcher::for_parser("<a><b>").is_err());
        assert!(PatternMatcher::for_parser("<a> <a>").is_err());
        assert!(PatternMatcher::for_parser("<_> x").is_err());
    }

    #[test]
    fn line_filter_test() {
        let t = |p: &str, line: &str| PatternMatcher::for_line_filter(p).unwrap().test(line);
        assert!(!t("<_> bar", "foo bar baz"));
        assert!(t("<_> baz", "foo bar baz"));
        assert!(t("foo <_>", "foo bar baz"));
        assert!(!t("<_> bar <_>", " bar "));
        assert!(t("<_>bar<_>", " bar "));
        assert!(t("", ""));
        assert!(!t("", "x"));
        assert!(PatternMatcher::for_line_filter("<a> x").is_err());
    }
}
