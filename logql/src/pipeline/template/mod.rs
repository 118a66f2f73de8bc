//! A Go `text/template` engine for `line_format` and `label_format`, covering what Loki users
//! write: `{{.label}}`, `{{ __line__ }}`, `{{ __timestamp__ }}`, pipelines with Loki's and
//! sprig's functions, `printf`, `if` / `else` / `with` / `range`, comparisons, variables and
//! `{{- -}}` trimming. A template is parsed once; executing it reads labels through [`Data`].

mod exec;
mod funcs;
mod helpers;
pub use helpers::query_escape as go_query_escape;
mod lex;
mod parse;
mod printf;
mod prometheus;
mod time;
mod value;

use regex::Regex;

use parse::{Node, Operand, Pipe, Term};
use value::Value;

/// The labels a template reads (`.name`, `{{ . }}`).
pub(crate) trait Data {
    /// The value of a label (`__error__` and `__error_details__` included).
    fn get(&self, name: &str) -> Option<&str>;
    /// Every label, in any order.
    fn all(&self) -> Vec<(&str, &str)>;
}

/// A parsed template.
#[derive(Debug)]
pub(crate) struct Template {
    name: &'static str,
    src: String,
    nodes: Vec<Node>,
    /// Regexes of `regexReplaceAll "literal" ...` calls, compiled once.
    regexes: Vec<(String, Regex)>,
    /// Which functions and variables it has.
    dialect: funcs::Dialect,
}

impl Template {
    /// Parses `src`; `name` (`line` or `label`) appears in error messages as in Loki.
    pub(crate) fn parse(name: &'static str, src: &str) -> Result<Self, String> {
        Self::parse_in(name, src, funcs::Dialect::Loki)
    }

    fn parse_in(name: &'static str, src: &str, dialect: funcs::Dialect) -> Result<Self, String> {
        let nodes = parse::parse(name, src, dialect)?;
        let mut regexes = Vec::new();
        collect_regexes(&nodes, &mut regexes);
        Ok(Template {
            name,
            src: src.to_string(),
            nodes,
            regexes,
            dialect,
        })
    }

    /// The label name when the template is exactly `{{.name}}` (rendered without executing).
    pub(crate) fn simple_field(&self) -> Option<&str> {
        match self.nodes.as_slice() {
            [Node::Action(pipe)] if pipe.vars.is_empty() => match pipe.cmds.as_slice() {
                [cmd] => match cmd.args.as_slice() {
                    [
                        Operand {
                            term: Term::Dot,
                            fields,
                            ..
                        },
                    ] if fields.len() == 1 => Some(&fields[0]),
                    _ => None,
                },
                _ => None,
            },
            _ => None,
        }
    }

    /// Renders the template for a line; the error reads like Go's execution errors.
    pub(crate) fn execute(
        &self,
        data: &dyn Data,
        line: &str,
        timestamp: i64,
    ) -> Result<String, String> {
        self.run(data, line, timestamp, Vec::new())
    }

    /// Runs the template with `$` and `variables` defined.
    fn run<'d>(
        &self,
        data: &'d dyn Data,
        line: &'d str,
        timestamp: i64,
        variables: Vec<(String, Value<'d>)>,
    ) -> Result<String, String> {
        let mut vars = vec![("$".to_string(), Value::Labels)];
        vars.extend(variables);
        let mut state = exec::State {
            data,
            env: funcs::Env {
                line,
                timestamp,
                regexes: &self.regexes,
                dialect: self.dialect,
            },
            vars,
            out: String::new(),
            sorted: None,
            steps: 0,
        };
        match state.run(&self.nodes, &Value::Labels) {
            Ok(()) => Ok(state.out),
            Err(error) => {
                let name = self.name;
                Err(match error.at {
                    Some((pos, context)) => {
                        let before = &self.src[..pos.min(self.src.len())];
                        let line = 1 + before.matches('\n').count();
                        let column = pos - before.rfind('\n').map_or(0, |i| i + 1);
                        format!(
                            "template: {name}:{line}:{column}: executing \"{name}\" at <{context}>: {}",
                            error.message
                        )
                    }
                    None => format!("template: {name}: executing \"{name}\": {}", error.message),
                })
            }
        }
    }
}

/// A Prometheus alert label or annotation template: Go `text/template` with `$labels` (the
/// alert's labels, `{{ $labels.job }}`), `$value` (the expression's value) and Prometheus'
/// template functions (`humanize`, `humanize1024`, `humanizeDuration`, `humanizePercentage`,
/// `toUpper`, `toLower`, `title`, `reReplaceAll`, `match`) besides Go's builtins.
#[derive(Debug)]
pub struct AlertTemplate(Template);

impl AlertTemplate {
    /// Parses `src`; the error reads like Go's (`template: __alert:1: ...`).
    pub fn parse(src: &str) -> Result<Self, String> {
        Template::parse_in("__alert", src, funcs::Dialect::PrometheusAlert).map(AlertTemplate)
    }

    /// Renders the template for an alert with `labels` and `value`.
    pub fn render(&self, labels: &[(String, String)], value: f64) -> Result<String, String> {
        let data = LabelSlice(labels);
        let variables = vec![
            ("$labels".to_string(), Value::Labels),
            ("$value".to_string(), Value::Float(value)),
        ];
        self.0.run(&data, "", 0, variables)
    }
}

/// A label slice as template data.
struct LabelSlice<'a>(&'a [(String, String)]);

impl Data for LabelSlice<'_> {
    fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    fn all(&self) -> Vec<(&str, &str)> {
        self.0
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect()
    }
}

fn collect_regexes(nodes: &[Node], out: &mut Vec<(String, Regex)>) {
    for node in nodes {
        match node {
            Node::Text(_) | Node::Break | Node::Continue => {}
            Node::Action(pipe) => collect_pipe(pipe, out),
            Node::If {
                pipe,
                then,
                otherwise,
            }
            | Node::With {
                pipe,
                then,
                otherwise,
            }
            | Node::Range {
                pipe,
                then,
                otherwise,
            } => {
                collect_pipe(pipe, out);
                collect_regexes(then, out);
                collect_regexes(otherwise, out);
            }
        }
    }
}

fn collect_pipe(pipe: &Pipe, out: &mut Vec<(String, Regex)>) {
    for cmd in &pipe.cmds {
        if let [first, second, ..] = cmd.args.as_slice()
            && let (Term::Func(name), Term::Literal(Value::Str(pattern))) =
                (&first.term, &second.term)
            && funcs::REGEX_FUNCTIONS.contains(&name.as_str())
            && !out.iter().any(|(p, _)| p == pattern)
            && let Ok(re) = super::re2::compile(pattern)
        {
            out.push((pattern.to_string(), re));
        }
        for arg in &cmd.args {
            if let Term::Pipe(inner) = &arg.term {
                collect_pipe(inner, out);
            }
        }
    }
}

#[cfg(test)]
mod tests;
