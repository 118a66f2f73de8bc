//! The LogQL abstract syntax tree.
//!
//! Every node is a plain public enum or struct so that an evaluator can match on it
//! exhaustively. `Display` (in `display.rs`) prints any parsed tree as canonical LogQL that parses
//! back to an equal tree. This file holds the query root, log queries and pipeline stages;
//! `metric.rs` holds metric queries (range and vector aggregations, binary operators, ...).
//!
//! Conventions: durations are `i64` nanoseconds, byte sizes `u64` bytes, numbers `f64`. Strings
//! hold their *unescaped* value (`"a\"b"` in a query is `a"b` here). Parentheses leave no node
//! behind: precedence is encoded in the tree shape.

mod metric;

pub use metric::*;

/// A parsed LogQL query: a log query, which returns log lines, or a metric query, which returns
/// samples.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// A log query: `{app="foo"} |= "error" | json`.
    Log(LogExpr),
    /// A metric query: `sum by (app) (rate({app="foo"}[5m]))`, a number, `vector(0)`, ...
    Metric(MetricExpr),
}

impl Expr {
    /// Whether this is a metric query.
    pub fn is_metric(&self) -> bool {
        matches!(self, Expr::Metric(_))
    }

    /// The log query, if this is one.
    pub fn as_log(&self) -> Option<&LogExpr> {
        match self {
            Expr::Log(log) => Some(log),
            Expr::Metric(_) => None,
        }
    }

    /// The metric query, if this is one.
    pub fn as_metric(&self) -> Option<&MetricExpr> {
        match self {
            Expr::Metric(metric) => Some(metric),
            Expr::Log(_) => None,
        }
    }

    /// Every log expression of the query in source order: the query itself for a log query, the
    /// log part of each range aggregation for a metric query (none for `vector(0)` or `1 + 1`).
    pub fn log_exprs(&self) -> Vec<&LogExpr> {
        match self {
            Expr::Log(log) => vec![log],
            Expr::Metric(metric) => metric.log_ranges().into_iter().map(|r| &r.log).collect(),
        }
    }
}

/// A log query: a stream selector followed by a pipeline,
/// `{app="foo", env=~"prod|dev"} |= "error" | json | level="error"`.
#[derive(Debug, Clone, PartialEq)]
pub struct LogExpr {
    /// The stream selector's label matchers, in source order (never empty; at least one of them
    /// does not match the empty string, as Loki requires).
    pub selector: Vec<Matcher>,
    /// The pipeline stages, in source order (possibly empty).
    pub pipeline: Vec<Stage>,
}

impl LogExpr {
    /// The line filter stages, in order (`|= "a"`, `!~ "b"`, ...).
    pub fn line_filters(&self) -> impl Iterator<Item = &LineFilter> {
        self.pipeline.iter().filter_map(|stage| match stage {
            Stage::LineFilter(filter) => Some(filter),
            _ => None,
        })
    }

    /// The parser stages, in order (`| json`, `| logfmt`, ...).
    pub fn parsers(&self) -> impl Iterator<Item = &Parser> {
        self.pipeline.iter().filter_map(|stage| match stage {
            Stage::Parser(parser) => Some(parser),
            _ => None,
        })
    }

    /// The label filter stages, in order (`| level="error"`, `| status >= 400`, ...).
    pub fn label_filters(&self) -> impl Iterator<Item = &LabelFilterExpr> {
        self.pipeline.iter().filter_map(|stage| match stage {
            Stage::LabelFilter(filter) => Some(filter),
            _ => None,
        })
    }
}

/// A label matcher: `name op "value"`, as in a stream selector or in `| drop name="value"`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Matcher {
    /// The label name (`[a-zA-Z_][a-zA-Z0-9_]*`).
    pub name: String,
    /// The match operator.
    pub op: MatchOp,
    /// The value; a regular expression for `=~` and `!~`, matched against the *whole* label
    /// value (as if written `^(?:value)$`, like Prometheus).
    pub value: String,
}

impl Matcher {
    /// Builds a matcher.
    pub fn new(name: impl Into<String>, op: MatchOp, value: impl Into<String>) -> Self {
        Matcher {
            name: name.into(),
            op,
            value: value.into(),
        }
    }
}

/// A label matching operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MatchOp {
    /// `=`: the value equals the string.
    Eq,
    /// `!=`: the value differs from the string.
    Neq,
    /// `=~`: the whole value matches the regular expression.
    Re,
    /// `!~`: the whole value does not match the regular expression.
    Nre,
}

impl MatchOp {
    /// The operator as written in LogQL.
    pub fn as_str(self) -> &'static str {
        match self {
            MatchOp::Eq => "=",
            MatchOp::Neq => "!=",
            MatchOp::Re => "=~",
            MatchOp::Nre => "!~",
        }
    }
}

/// One stage of a log pipeline.
///
/// `| unwrap` is not a stage: it only appears at the end of a metric query's log range, see
/// [`LogRange::unwrap`].
#[derive(Debug, Clone, PartialEq)]
pub enum Stage {
    /// A line filter: `|= "x"`, `!= "x"`, `|~ "re"`, `!~ "re"`, `|> "<_> x"`, `!> "..."`, with
    /// optional `or` alternatives and `ip("...")` operands.
    LineFilter(LineFilter),
    /// A parser: `| json`, `| logfmt`, `| regexp "..."`, `| pattern "..."`, `| unpack`.
    Parser(Parser),
    /// A label filter expression: `| level="error" and status >= 400`.
    LabelFilter(LabelFilterExpr),
    /// `| line_format "template"`: the raw Go `text/template` (not parsed).
    LineFormat(String),
    /// `| label_format a=b, c="{{.d}}"`: renames and templates, in order (never empty, no
    /// target label twice).
    LabelFormat(Vec<LabelFormatItem>),
    /// `| drop a, b="v"`: labels to remove (never empty).
    Drop(Vec<NamedMatcher>),
    /// `| keep a, b="v"`: labels to keep, all others are removed (never empty).
    Keep(Vec<NamedMatcher>),
    /// `| decolorize`: strips ANSI color escape sequences from the line.
    Decolorize,
}

/// A line filter stage.
///
/// Chained filters (`|= "a" |= "b"`) are separate stages. Alternatives joined by `or` share one
/// operator: for positive operators (`|=`, `|~`, `|>`) a line passes when it matches *any* value;
/// for negative ones (`!=`, `!~`, `!>`) it passes when it matches *none* (as in Loki, `!= "a" or
/// "b"` behaves like `!= "a" != "b"`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineFilter {
    /// The operator.
    pub op: LineFilterOp,
    /// The operands in source order (never empty; more than one when `or` is used).
    pub values: Vec<LineFilterValue>,
}

/// A line filter operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LineFilterOp {
    /// `|=`: the line contains the string.
    Contains,
    /// `!=`: the line does not contain the string.
    NotContains,
    /// `|~`: the regular expression matches somewhere in the line.
    Match,
    /// `!~`: the regular expression matches nowhere in the line.
    NotMatch,
    /// `|>`: the line matches the pattern (`<_>` is a wildcard, as in the `pattern` parser).
    Pattern,
    /// `!>`: the line does not match the pattern.
    NotPattern,
}

impl LineFilterOp {
    /// The operator as written in LogQL.
    pub fn as_str(self) -> &'static str {
        match self {
            LineFilterOp::Contains => "|=",
            LineFilterOp::NotContains => "!=",
            LineFilterOp::Match => "|~",
            LineFilterOp::NotMatch => "!~",
            LineFilterOp::Pattern => "|>",
            LineFilterOp::NotPattern => "!>",
        }
    }

    /// Whether the operator keeps lines that do *not* match (`!=`, `!~`, `!>`).
    pub fn is_negative(self) -> bool {
        matches!(
            self,
            LineFilterOp::NotContains | LineFilterOp::NotMatch | LineFilterOp::NotPattern
        )
    }
}

/// An operand of a line filter.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum LineFilterValue {
    /// A string: a substring for `|=`/`!=`, a regular expression (unanchored) for `|~`/`!~`, a
    /// pattern for `|>`/`!>`.
    String(String),
    /// `ip("...")`: the line contains an IP address matching the pattern, which is a single
    /// address (`10.0.0.1`), a CIDR range (`10.0.0.0/8`) or an address range
    /// (`10.0.0.1-10.0.0.9`), IPv4 or IPv6. Only with `|=` and `!=`.
    Ip(String),
}

/// A parser stage, which extracts labels from the log line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parser {
    /// `| json`: every JSON field becomes a label; with expressions (`| json a="x.y", b`) only
    /// the listed ones are extracted.
    Json(Vec<LabelExtraction>),
    /// `| logfmt [--strict] [--keep-empty] [a, b="c"]`.
    Logfmt {
        /// `--strict`: stop at the first malformed pair and set `__error__`.
        strict: bool,
        /// `--keep-empty`: keep standalone keys as labels with an empty value.
        keep_empty: bool,
        /// Labels to extract; empty means all of them.
        fields: Vec<LabelExtraction>,
    },
    /// `| regexp "re"`: named capture groups become labels (the regex has at least one, each a
    /// valid label name).
    Regexp(String),
    /// `| pattern "<ip> - <_>"`: named captures become labels (at least one, no two captures
    /// side by side, no name twice).
    Pattern(String),
    /// `| unpack`: unpacks JSON packed by Promtail's `pack` stage.
    Unpack,
}

/// `label="expression"` in `| json` or `| logfmt`; a bare `label` has `expression == label`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LabelExtraction {
    /// The label to create.
    pub label: String,
    /// Where to read it: a JSON path such as `a.b[0]` or `["a b"]` for `json`, a key for
    /// `logfmt` (kept raw, not validated).
    pub expression: String,
}

/// A label filter expression (after `|`), combining comparisons with `and` / `or`.
///
/// Precedence follows Loki's parser: `and` binds tighter than `or`, both left-associative;
/// a `,` or plain juxtaposition (`| a="1" b="2"`) also means `and`, but takes everything after
/// it as its right operand: `a or b, c` is `a or (b and c)` and `a, b or c` is
/// `a and (b or c)`.
#[derive(Debug, Clone, PartialEq)]
pub enum LabelFilterExpr {
    /// Both filters must pass.
    And(Box<LabelFilterExpr>, Box<LabelFilterExpr>),
    /// Either filter must pass.
    Or(Box<LabelFilterExpr>, Box<LabelFilterExpr>),
    /// A string comparison: `level="error"`, `x!=""`, `path=~"/api/.*"` (regexes are anchored).
    String(Matcher),
    /// A numeric comparison: `status >= 400`. The label value is parsed as a float.
    Number {
        /// The label name.
        label: String,
        /// The comparison.
        op: ComparisonOp,
        /// The number compared with.
        value: f64,
    },
    /// A duration comparison: `latency > 1m30s`. The label value is parsed as a duration.
    Duration {
        /// The label name.
        label: String,
        /// The comparison.
        op: ComparisonOp,
        /// The duration compared with, in nanoseconds (may be negative).
        nanos: i64,
    },
    /// A byte-size comparison: `size > 20MB`. The label value is parsed as a byte size.
    Bytes {
        /// The label name.
        label: String,
        /// The comparison.
        op: ComparisonOp,
        /// The size compared with, in bytes.
        bytes: u64,
    },
    /// `addr = ip("10.0.0.0/8")` or `addr != ip("...")` (see [`LineFilterValue::Ip`]).
    Ip {
        /// The label name.
        label: String,
        /// `true` for `!=`, `false` for `=`.
        negated: bool,
        /// The address, CIDR range or address range.
        pattern: String,
    },
}

/// A numeric comparison, in a label filter or a binary metric expression.
///
/// In label filters `=` and `==` are the same operator ([`ComparisonOp::Eq`], printed `==`);
/// `=` followed by a *string* is a string matcher instead ([`LabelFilterExpr::String`]). Metric
/// expressions only accept `==`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ComparisonOp {
    /// `==` (or `=` in a label filter).
    Eq,
    /// `!=`.
    Neq,
    /// `>`.
    Gt,
    /// `>=`.
    Gte,
    /// `<`.
    Lt,
    /// `<=`.
    Lte,
}

impl ComparisonOp {
    /// The canonical spelling (`==` for equality).
    pub fn as_str(self) -> &'static str {
        match self {
            ComparisonOp::Eq => "==",
            ComparisonOp::Neq => "!=",
            ComparisonOp::Gt => ">",
            ComparisonOp::Gte => ">=",
            ComparisonOp::Lt => "<",
            ComparisonOp::Lte => "<=",
        }
    }
}

/// One `name=...` entry of `| label_format`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LabelFormatItem {
    /// The label to set.
    pub name: String,
    /// Its new value.
    pub value: LabelFormatValue,
}

/// The value of a `| label_format` entry.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum LabelFormatValue {
    /// `new=old`: renames label `old` to `new` (the old label is removed).
    Rename(String),
    /// `name="{{.a}}-{{.b}}"`: a raw Go `text/template` (not parsed).
    Template(String),
}

/// An entry of `| drop` or `| keep`: a bare label name, or a matcher that restricts the entry
/// to labels whose value matches.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum NamedMatcher {
    /// `name`: the label, whatever its value.
    Name(String),
    /// `name="v"` (or `!=`, `=~`, `!~`): the label when the matcher matches its value.
    Matcher(Matcher),
}
