//! Executes a parsed template against a line's labels, with Go's `text/template` semantics:
//! `missingkey=zero` (an unknown label is the empty string), pipelines passing their value as
//! the last argument, lazy `and` / `or`, and Go's error messages.

use std::borrow::Cow;

use super::Data;
use super::funcs::{self, BUILTINS, Env};
use super::parse::{Command, Node, Operand, Pipe, Term};
use super::printf::sprintf;
use super::value::{Value, equal, order, print_value};

/// Nodes a single execution may run (loops included), a guard against runaway templates.
const MAX_STEPS: usize = 1_000_000;
/// Bytes a single execution may write.
const MAX_OUTPUT: usize = 16 << 20;

/// How a list of nodes ended.
enum Flow {
    Normal,
    Break,
    Continue,
}

/// An execution error: the message and the operand it happened at.
pub(crate) struct ExecError {
    pub(crate) message: String,
    pub(crate) at: Option<(usize, String)>,
}

type EResult<T> = Result<T, ExecError>;

fn fail<T>(message: impl Into<String>) -> EResult<T> {
    Err(ExecError {
        message: message.into(),
        at: None,
    })
}

pub(crate) struct State<'t, 'd> {
    pub(crate) data: &'d dyn Data,
    pub(crate) env: Env<'d, 't>,
    pub(crate) vars: Vec<(String, Value<'d>)>,
    pub(crate) out: String,
    /// The labels sorted by name, computed when first needed (`{{ . }}`, `range`, `len`).
    pub(crate) sorted: Option<Vec<(&'d str, &'d str)>>,
    /// Nodes run so far.
    pub(crate) steps: usize,
}

impl<'t, 'd> State<'t, 'd> {
    fn sorted(&mut self) -> &[(&'d str, &'d str)] {
        if self.sorted.is_none() {
            let mut all = self.data.all();
            all.sort_unstable_by(|a, b| a.0.cmp(b.0));
            self.sorted = Some(all);
        }
        self.sorted.as_deref().unwrap_or(&[])
    }

    fn print(&mut self, value: &Value<'d>) {
        let mut out = std::mem::take(&mut self.out);
        let labels = if matches!(value, Value::Labels) {
            self.sorted().to_vec()
        } else {
            Vec::new()
        };
        print_value(&mut out, value, &labels);
        self.out = out;
    }

    fn truth(&mut self, value: &Value<'d>) -> bool {
        let empty = matches!(value, Value::Labels) && self.sorted().is_empty();
        value.is_true(empty)
    }

    pub(crate) fn run(&mut self, nodes: &'t [Node], dot: &Value<'d>) -> EResult<()> {
        self.list(nodes, dot).map(|_| ())
    }

    fn list(&mut self, nodes: &'t [Node], dot: &Value<'d>) -> EResult<Flow> {
        for node in nodes {
            self.steps += 1;
            if self.steps > MAX_STEPS || self.out.len() > MAX_OUTPUT {
                return fail(
                    "template execution exceeds its limits (too many steps or too much output)",
                );
            }
            match node {
                Node::Text(text) => self.out.push_str(text),
                Node::Action(pipe) => {
                    let value = self.pipe(pipe, dot)?;
                    if pipe.vars.is_empty() {
                        self.print(&value);
                    }
                }
                Node::If {
                    pipe,
                    then,
                    otherwise,
                } => {
                    let scope = self.vars.len();
                    let value = self.pipe(pipe, dot)?;
                    let flow = if self.truth(&value) {
                        self.list(then, dot)?
                    } else {
                        self.list(otherwise, dot)?
                    };
                    self.vars.truncate(scope);
                    if !matches!(flow, Flow::Normal) {
                        return Ok(flow);
                    }
                }
                Node::With {
                    pipe,
                    then,
                    otherwise,
                } => {
                    let scope = self.vars.len();
                    let value = self.pipe(pipe, dot)?;
                    let flow = if self.truth(&value) {
                        self.list(then, &value)?
                    } else {
                        self.list(otherwise, dot)?
                    };
                    self.vars.truncate(scope);
                    if !matches!(flow, Flow::Normal) {
                        return Ok(flow);
                    }
                }
                Node::Range {
                    pipe,
                    then,
                    otherwise,
                } => self.range(pipe, then, otherwise, dot)?,
                Node::Break => return Ok(Flow::Break),
                Node::Continue => return Ok(Flow::Continue),
            }
        }
        Ok(Flow::Normal)
    }

    fn range(
        &mut self,
        pipe: &'t Pipe,
        then: &'t [Node],
        otherwise: &'t [Node],
        dot: &Value<'d>,
    ) -> EResult<()> {
        let scope = self.vars.len();
        // The declared variables are set per element, not to the pipeline's value.
        let value = self.commands(&pipe.cmds, dot)?;
        let items: Vec<(Value<'d>, Value<'d>)> = match value {
            Value::Labels => self
                .sorted()
                .iter()
                .map(|(k, v)| (Value::Str(Cow::Borrowed(*k)), Value::Str(Cow::Borrowed(*v))))
                .collect(),
            Value::Int(n) => (0..n.clamp(0, 100_000))
                .map(|i| (Value::Int(i), Value::Int(i)))
                .collect(),
            Value::Nil => Vec::new(),
            other => return fail(format!("range can't iterate over {}", other.type_name())),
        };
        if items.is_empty() {
            self.list(otherwise, dot)?;
        }
        for (key, element) in items {
            match pipe.vars.as_slice() {
                [v] => self.vars.push((v.clone(), element.clone())),
                [k, v] => {
                    self.vars.push((k.clone(), key));
                    self.vars.push((v.clone(), element.clone()));
                }
                _ => {}
            }
            let flow = self.list(then, &element)?;
            self.vars.truncate(scope);
            if matches!(flow, Flow::Break) {
                break;
            }
        }
        self.vars.truncate(scope);
        Ok(())
    }

    fn pipe(&mut self, pipe: &'t Pipe, dot: &Value<'d>) -> EResult<Value<'d>> {
        let value = self.commands(&pipe.cmds, dot)?;
        for var in &pipe.vars {
            if pipe.assign {
                if let Some(slot) = self.vars.iter_mut().rev().find(|(n, _)| n == var) {
                    slot.1 = value.clone();
                }
            } else {
                self.vars.push((var.clone(), value.clone()));
            }
        }
        Ok(value)
    }

    fn commands(&mut self, cmds: &'t [Command], dot: &Value<'d>) -> EResult<Value<'d>> {
        let mut last = None;
        for cmd in cmds {
            last = Some(self.command(cmd, dot, last)?);
        }
        Ok(last.unwrap_or(Value::Nil))
    }

    fn command(
        &mut self,
        cmd: &'t Command,
        dot: &Value<'d>,
        piped: Option<Value<'d>>,
    ) -> EResult<Value<'d>> {
        let first = &cmd.args[0];
        let at = |e: ExecError| ExecError {
            at: e.at.or_else(|| Some((first.pos, first.text.clone()))),
            ..e
        };
        if let Term::Func(name) = &first.term
            && first.fields.is_empty()
        {
            return self.call(name, &cmd.args[1..], dot, piped).map_err(at);
        }
        if cmd.args.len() > 1 || piped.is_some() {
            return Err(at(ExecError {
                message: format!("can't give argument to non-function {}", first.text),
                at: None,
            }));
        }
        self.operand(first, dot).map_err(at)
    }

    fn operand(&mut self, operand: &'t Operand, dot: &Value<'d>) -> EResult<Value<'d>> {
        let mut value = match &operand.term {
            Term::Dot => dot.clone(),
            Term::Variable(name) => self
                .vars
                .iter()
                .rev()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.clone())
                .unwrap_or(Value::Labels),
            Term::Func(name) => self.call(name, &[], dot, None)?,
            Term::Pipe(pipe) => {
                let scope = self.vars.len();
                let value = self.pipe(pipe, dot)?;
                self.vars.truncate(scope);
                value
            }
            Term::Literal(literal) => literal.clone(),
        };
        for field in &operand.fields {
            value = match value {
                Value::Labels => Value::Str(Cow::Borrowed(self.data.get(field).unwrap_or(""))),
                Value::Nil => return fail(format!("nil data; no entry for key \"{field}\"")),
                other => {
                    return fail(format!(
                        "can't evaluate field {field} in type {}",
                        other.type_name()
                    ));
                }
            };
        }
        Ok(value)
    }

    fn call(
        &mut self,
        name: &str,
        args: &'t [Operand],
        dot: &Value<'d>,
        piped: Option<Value<'d>>,
    ) -> EResult<Value<'d>> {
        if name == "and" || name == "or" {
            let count = args.len() + usize::from(piped.is_some());
            if count == 0 {
                return fail(format!(
                    "wrong number of args for {name}: want at least 1 got 0"
                ));
            }
            let mut value = Value::Nil;
            for arg in args {
                value = self.operand(arg, dot)?;
                if self.truth(&value) != (name == "and") {
                    return Ok(value);
                }
            }
            if let Some(piped) = piped {
                value = piped;
            }
            return Ok(value);
        }
        let mut values = Vec::with_capacity(args.len() + 1);
        for arg in args {
            values.push(self.operand(arg, dot)?);
        }
        values.extend(piped);
        if BUILTINS.contains(&name) {
            return self.builtin(name, values);
        }
        funcs::call(name, &values, &self.env).or_else(fail)
    }

    fn builtin(&mut self, name: &str, args: Vec<Value<'d>>) -> EResult<Value<'d>> {
        let want = |n: usize| -> EResult<()> {
            if args.len() == n {
                Ok(())
            } else {
                fail(format!(
                    "wrong number of args for {name}: want {n} got {}",
                    args.len()
                ))
            }
        };
        Ok(match name {
            "not" => {
                want(1)?;
                Value::Bool(!self.truth(&args[0]))
            }
            "len" => {
                want(1)?;
                match &args[0] {
                    Value::Str(s) => Value::Int(s.len() as i64),
                    Value::Labels => Value::Int(self.sorted().len() as i64),
                    other => {
                        return fail(format!(
                            "error calling len: len of type {}",
                            other.type_name()
                        ));
                    }
                }
            }
            "index" => {
                if args.is_empty() {
                    return fail("wrong number of args for index: want at least 1 got 0");
                }
                let mut item = args[0].clone();
                for key in &args[1..] {
                    item = match (&item, key) {
                        (Value::Labels, Value::Str(k)) => {
                            Value::Str(Cow::Borrowed(self.data.get(k).unwrap_or("")))
                        }
                        (Value::Str(s), Value::Int(i)) => match s.as_bytes().get(*i as usize) {
                            Some(b) if *i >= 0 => Value::Int(i64::from(*b)),
                            _ => {
                                return fail(format!(
                                    "error calling index: index out of range: {i}"
                                ));
                            }
                        },
                        (item, _) => {
                            return fail(format!(
                                "error calling index: can't index item of type {}",
                                item.type_name()
                            ));
                        }
                    };
                }
                item
            }
            "print" | "println" | "html" | "js" | "urlquery" => {
                let mut text = String::new();
                let labels = self.sorted().to_vec();
                for (i, arg) in args.iter().enumerate() {
                    let both_non_strings = i > 0
                        && !matches!(arg, Value::Str(_))
                        && !matches!(args[i - 1], Value::Str(_));
                    if i > 0 && (name == "println" || both_non_strings) {
                        text.push(' ');
                    }
                    print_value(&mut text, arg, &labels);
                }
                match name {
                    "println" => text.push('\n'),
                    "html" => text = html_escape(&text),
                    "js" => text = js_escape(&text),
                    "urlquery" => text = super::helpers::query_escape(&text),
                    _ => {}
                }
                Value::string(text)
            }
            "printf" => {
                if args.is_empty() {
                    return fail("wrong number of args for printf: want at least 1 got 0");
                }
                let format = args[0].as_str().or_else(fail)?.to_string();
                let labels = self.sorted().to_vec();
                Value::string(sprintf(&format, &args[1..], &labels))
            }
            "eq" => {
                if args.len() < 2 {
                    return fail("missing argument for comparison");
                }
                let mut any = false;
                for other in &args[1..] {
                    any |= equal(&args[0], other).map_err(|e| ExecError {
                        message: format!("error calling eq: {e}"),
                        at: None,
                    })?;
                }
                Value::Bool(any)
            }
            "ne" => {
                want(2)?;
                Value::Bool(
                    !equal(&args[0], &args[1])
                        .or_else(|e| fail(format!("error calling ne: {e}")))?,
                )
            }
            _ => {
                want(2)?;
                let ordering = order(&args[0], &args[1])
                    .or_else(|e| fail(format!("error calling {name}: {e}")))?;
                Value::Bool(match name {
                    "lt" => ordering.is_lt(),
                    "le" => ordering.is_le(),
                    "gt" => ordering.is_gt(),
                    _ => ordering.is_ge(),
                })
            }
        })
    }
}

/// Go's `template.HTMLEscapeString`.
fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '"' => out.push_str("&#34;"),
            '\'' => out.push_str("&#39;"),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\0' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// Go's `template.JSEscapeString`.
fn js_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '"' => out.push_str("\\\""),
            '<' => out.push_str("\\u003C"),
            '>' => out.push_str("\\u003E"),
            '&' => out.push_str("\\u0026"),
            '=' => out.push_str("\\u003D"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out
}
