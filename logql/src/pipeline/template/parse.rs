//! The parser of Go's `text/template` (the subset Loki users write): text, actions with
//! pipelines (`{{ .a | f "x" }}`), variables (`$x := ...`), `if` / `else if` / `else`, `with`,
//! `range` with `break` / `continue`, parenthesized pipelines and `{{- -}}` trimming.
//! Functions must exist at parse time, as in Go.

use super::funcs::{Dialect, is_function};
use super::lex::{Tok, Token, lex};
use super::value::Value;

/// Parentheses and control structures may nest this deep (a guard for the recursion).
const MAX_NESTING: usize = 100;

/// A node of the template tree.
#[derive(Debug, Clone)]
pub(crate) enum Node {
    Text(String),
    Action(Pipe),
    If {
        pipe: Pipe,
        then: Vec<Node>,
        otherwise: Vec<Node>,
    },
    With {
        pipe: Pipe,
        then: Vec<Node>,
        otherwise: Vec<Node>,
    },
    Range {
        pipe: Pipe,
        then: Vec<Node>,
        otherwise: Vec<Node>,
    },
    Break,
    Continue,
}

/// A pipeline: optional variable declaration, then commands joined by `|`.
#[derive(Debug, Clone)]
pub(crate) struct Pipe {
    /// Variables declared (`:=`) or assigned (`=`), with the `$`.
    pub(crate) vars: Vec<String>,
    pub(crate) assign: bool,
    pub(crate) cmds: Vec<Command>,
}

/// A command: a function and its arguments, or a single operand.
#[derive(Debug, Clone)]
pub(crate) struct Command {
    pub(crate) args: Vec<Operand>,
}

/// An operand: a term followed by `.field` accesses.
#[derive(Debug, Clone)]
pub(crate) struct Operand {
    pub(crate) term: Term,
    pub(crate) fields: Vec<String>,
    /// Byte offset and source text, for error messages.
    pub(crate) pos: usize,
    pub(crate) text: String,
}

/// The start of an operand.
#[derive(Debug, Clone)]
pub(crate) enum Term {
    Dot,
    Variable(String),
    Func(String),
    Pipe(Box<Pipe>),
    Literal(Value<'static>),
}

/// Parses a template; errors read `template: <name>:<line>: <reason>` like Go's.
pub(crate) fn parse(name: &str, src: &str, dialect: Dialect) -> Result<Vec<Node>, String> {
    let error = |pos: usize, msg: String| {
        let line = 1 + src[..pos.min(src.len())].matches('\n').count();
        format!("template: {name}:{line}: {msg}")
    };
    let tokens = lex(src).map_err(|(pos, msg)| error(pos, msg))?;
    let mut parser = Parser {
        tokens,
        at: 0,
        src,
        vars: std::iter::once("$")
            .chain(dialect.variables().iter().copied())
            .map(str::to_string)
            .collect(),
        dialect,
        range_depth: 0,
        nesting: 0,
    };
    let (nodes, end) = parser.list().map_err(|(pos, msg)| error(pos, msg))?;
    match end {
        End::Eof => Ok(nodes),
        End::Keyword(pos) => Err(error(pos, "unexpected {{end}}".to_string())),
        End::Else(pos, _) => Err(error(pos, "unexpected {{else}}".to_string())),
    }
}

type PResult<T> = Result<T, (usize, String)>;

/// What ended a list.
enum End {
    Eof,
    /// `{{end}}`.
    Keyword(usize),
    /// `{{else}}`, possibly followed by `if` or `with` (the keyword, not yet consumed).
    Else(usize, Option<String>),
}

struct Parser<'s> {
    tokens: Vec<Token>,
    at: usize,
    src: &'s str,
    vars: Vec<String>,
    dialect: Dialect,
    range_depth: usize,
    nesting: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.tokens.get(self.at).map(|t| &t.tok)
    }

    fn pos(&self) -> usize {
        self.tokens.get(self.at).map_or(self.src.len(), |t| t.pos)
    }

    fn next(&mut self) -> Option<Tok> {
        let tok = self.tokens.get(self.at).map(|t| t.tok.clone());
        self.at += 1;
        tok
    }

    fn skip_space(&mut self) {
        while self.peek() == Some(&Tok::Space) {
            self.at += 1;
        }
    }

    fn expect_close(&mut self, context: &str) -> PResult<()> {
        self.skip_space();
        match self.next() {
            Some(Tok::Close) => Ok(()),
            _ => Err((self.pos(), format!("unexpected token in {context}"))),
        }
    }

    fn enter(&mut self) -> PResult<()> {
        self.nesting += 1;
        if self.nesting > MAX_NESTING {
            return Err((self.pos(), "template nests too deeply".to_string()));
        }
        Ok(())
    }

    /// Nodes up to `{{end}}`, `{{else}}` or the end of the template.
    fn list(&mut self) -> PResult<(Vec<Node>, End)> {
        let mut nodes = Vec::new();
        loop {
            match self.next() {
                None => return Ok((nodes, End::Eof)),
                Some(Tok::Text(text)) => nodes.push(Node::Text(text)),
                Some(Tok::Open) => {
                    self.skip_space();
                    let pos = self.pos();
                    let keyword = match self.peek() {
                        Some(Tok::Ident(word)) => word.clone(),
                        _ => String::new(),
                    };
                    match keyword.as_str() {
                        "end" => {
                            self.at += 1;
                            self.expect_close("end")?;
                            return Ok((nodes, End::Keyword(pos)));
                        }
                        "else" => {
                            self.at += 1;
                            self.skip_space();
                            let chained = match self.peek() {
                                Some(Tok::Ident(w)) if w == "if" || w == "with" => {
                                    let w = w.clone();
                                    self.at += 1;
                                    Some(w)
                                }
                                _ => {
                                    self.expect_close("else")?;
                                    None
                                }
                            };
                            return Ok((nodes, End::Else(pos, chained)));
                        }
                        "if" | "with" | "range" => {
                            self.at += 1;
                            nodes.push(self.control(&keyword)?);
                        }
                        "break" | "continue" => {
                            self.at += 1;
                            if self.range_depth == 0 {
                                return Err((
                                    pos,
                                    format!("{{{{{keyword}}}}} outside {{{{range}}}}"),
                                ));
                            }
                            self.expect_close(&keyword)?;
                            nodes.push(if keyword == "break" {
                                Node::Break
                            } else {
                                Node::Continue
                            });
                        }
                        "define" | "template" | "block" => {
                            return Err((pos, format!("{{{{{keyword}}}}} is not supported")));
                        }
                        _ => {
                            let pipe = self.pipeline("command", false)?;
                            nodes.push(Node::Action(pipe));
                        }
                    }
                }
                Some(other) => return Err((self.pos(), format!("unexpected {other:?}"))),
            }
        }
    }

    /// `if`, `with` or `range` after its keyword, up to and including its `{{end}}`.
    fn control(&mut self, keyword: &str) -> PResult<Node> {
        self.enter()?;
        let scope = self.vars.len();
        let pipe = self.pipeline(keyword, keyword == "range")?;
        if keyword == "range" {
            self.range_depth += 1;
        }
        let (then, end) = self.list()?;
        if keyword == "range" {
            self.range_depth -= 1;
        }
        let otherwise = match end {
            End::Eof => return Err((self.src.len(), "unexpected EOF".to_string())),
            End::Keyword(_) => Vec::new(),
            End::Else(_, None) => match self.list()? {
                (nodes, End::Keyword(_)) => nodes,
                (_, End::Eof) => return Err((self.src.len(), "unexpected EOF".to_string())),
                (_, End::Else(pos, _)) => {
                    return Err((pos, "expected end; found {{else}}".to_string()));
                }
            },
            // `{{else if ...}}`: an `if` nested in the else branch, sharing the `{{end}}`.
            End::Else(_, Some(chained)) => vec![self.control(&chained)?],
        };
        self.vars.truncate(scope);
        self.nesting -= 1;
        Ok(match keyword {
            "if" => Node::If {
                pipe,
                then,
                otherwise,
            },
            "with" => Node::With {
                pipe,
                then,
                otherwise,
            },
            _ => Node::Range {
                pipe,
                then,
                otherwise,
            },
        })
    }

    /// A pipeline up to `}}` (or `)` when `in_parens`... see [`Self::pipe_until`]).
    fn pipeline(&mut self, context: &str, allow_two_vars: bool) -> PResult<Pipe> {
        let pipe = self.pipe_until(context, allow_two_vars, false)?;
        match self.next() {
            Some(Tok::Close) => Ok(pipe),
            _ => Err((self.pos(), format!("unexpected token in {context}"))),
        }
    }

    fn pipe_until(&mut self, context: &str, allow_two_vars: bool, parens: bool) -> PResult<Pipe> {
        self.skip_space();
        let start = self.pos();
        let (vars, assign) = self.declarations(allow_two_vars)?;
        let mut cmds = Vec::new();
        loop {
            self.skip_space();
            match self.peek() {
                Some(Tok::Close) if !parens => break,
                Some(Tok::RParen) if parens => break,
                None => return Err((self.pos(), "unclosed action".to_string())),
                _ => {}
            }
            let command = self.command(parens)?;
            cmds.push(command);
            self.skip_space();
            if self.peek() == Some(&Tok::Pipe) {
                self.at += 1;
                self.skip_space();
                if matches!(self.peek(), Some(Tok::Close | Tok::RParen) | None) {
                    return Err((self.pos(), "missing command after |".to_string()));
                }
            }
        }
        if cmds.is_empty() {
            return Err((start, format!("missing value for {context}")));
        }
        for (i, cmd) in cmds.iter().enumerate().skip(1) {
            if let Term::Literal(_) | Term::Dot = cmd.args[0].term
                && cmd.args[0].fields.is_empty()
            {
                return Err((
                    cmd.args[0].pos,
                    format!("non executable command in pipeline stage {}", i + 1),
                ));
            }
        }
        Ok(Pipe { vars, assign, cmds })
    }

    /// `$x :=`, `$x =` or (in `range`) `$k, $v :=` at the start of a pipeline.
    fn declarations(&mut self, allow_two: bool) -> PResult<(Vec<String>, bool)> {
        let save = self.at;
        let mut vars = Vec::new();
        while let Some(Tok::Variable(name)) = self.peek().cloned() {
            self.at += 1;
            self.skip_space();
            match self.peek() {
                Some(Tok::Declare) => {
                    self.at += 1;
                    vars.push(name);
                    self.vars.extend(vars.iter().cloned());
                    return Ok((vars, false));
                }
                Some(Tok::Assign) if vars.is_empty() => {
                    self.at += 1;
                    if !self.vars.contains(&name) {
                        return Err((self.pos(), format!("undefined variable \"{name}\"")));
                    }
                    return Ok((vec![name], true));
                }
                Some(Tok::Comma) if allow_two && vars.is_empty() => {
                    self.at += 1;
                    self.skip_space();
                    vars.push(name);
                }
                _ => break,
            }
        }
        self.at = save;
        Ok((Vec::new(), false))
    }

    /// Operands separated by spaces, up to `|`, `}}` or `)`.
    fn command(&mut self, parens: bool) -> PResult<Command> {
        let mut args = Vec::new();
        loop {
            self.skip_space();
            match self.peek() {
                Some(Tok::Pipe | Tok::Close) | None => break,
                Some(Tok::RParen) if parens => break,
                _ => {}
            }
            args.push(self.operand()?);
            match self.peek() {
                Some(Tok::Space | Tok::Pipe | Tok::Close) | None => {}
                Some(Tok::RParen) if parens => {}
                Some(other) => {
                    return Err((self.pos(), format!("unexpected {other:?} in operand")));
                }
            }
        }
        if args.is_empty() {
            return Err((self.pos(), "empty command".to_string()));
        }
        Ok(Command { args })
    }

    fn operand(&mut self) -> PResult<Operand> {
        let pos = self.pos();
        let mut fields = Vec::new();
        let term = match self.next() {
            Some(Tok::Dot) => Term::Dot,
            Some(Tok::Field(name)) => {
                fields.push(name);
                Term::Dot
            }
            Some(Tok::Variable(name)) => {
                if !self.vars.contains(&name) {
                    return Err((pos, format!("undefined variable \"{name}\"")));
                }
                Term::Variable(name)
            }
            Some(Tok::Ident(name)) => {
                if !is_function(&name, self.dialect) {
                    return Err((pos, format!("function \"{name}\" not defined")));
                }
                Term::Func(name)
            }
            Some(Tok::LParen) => {
                self.enter()?;
                let pipe = self.pipe_until("parenthesized pipeline", false, true)?;
                self.nesting -= 1;
                match self.next() {
                    Some(Tok::RParen) => Term::Pipe(Box::new(pipe)),
                    _ => return Err((self.pos(), "unclosed left paren".to_string())),
                }
            }
            Some(Tok::Str(s)) => Term::Literal(Value::string(s)),
            Some(Tok::Int(i)) => Term::Literal(Value::Int(i)),
            Some(Tok::Float(f)) => Term::Literal(Value::Float(f)),
            Some(Tok::Bool(b)) => Term::Literal(Value::Bool(b)),
            Some(Tok::Nil) => Term::Literal(Value::Nil),
            Some(other) => return Err((pos, format!("unexpected {other:?} in operand"))),
            None => return Err((pos, "unclosed action".to_string())),
        };
        while let Some(Tok::Field(name)) = self.peek().cloned() {
            if let Term::Literal(_) = term {
                return Err((self.pos(), "unexpected . after term".to_string()));
            }
            self.at += 1;
            fields.push(name);
        }
        let end = self.pos().min(self.src.len());
        let text = self.src.get(pos..end).unwrap_or("").trim_end().to_string();
        Ok(Operand {
            term,
            fields,
            pos,
            text,
        })
    }
}
