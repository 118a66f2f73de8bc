//! Field expressions: operators, attributes, intrinsics and literals.

/// An expression evaluated against one span: conditions, arithmetic, fields and literals.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldExpression {
    /// A binary operation (`a && b`, `a = b`, `a * b`, ...).
    Binary {
        /// The operator.
        op: BinaryOperator,
        /// The left operand.
        left: Box<FieldExpression>,
        /// The right operand.
        right: Box<FieldExpression>,
    },
    /// A unary operation (`!a`, `-a`). Minus directly before a number or duration literal is
    /// folded into the literal (`-5` is `Literal(Int(-5))`).
    Unary {
        /// The operator.
        op: UnaryOperator,
        /// The operand.
        operand: Box<FieldExpression>,
    },
    /// An attribute reference (`span.http.method`, `.foo`).
    Attribute(Attribute),
    /// An intrinsic field (`duration`, `span:name`, `trace:rootService`).
    Intrinsic(Intrinsic),
    /// A literal value.
    Literal(Literal),
}

/// The operator of a [`FieldExpression::Binary`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BinaryOperator {
    /// `&&` or `||`.
    Logical(LogicalOp),
    /// `= != > >= < <= =~ !~`.
    Comparison(ComparisonOp),
    /// `+ - * / % ^`.
    Arithmetic(ArithmeticOp),
}

impl BinaryOperator {
    /// The operator as written in TraceQL.
    pub fn as_str(self) -> &'static str {
        match self {
            BinaryOperator::Logical(op) => op.as_str(),
            BinaryOperator::Comparison(op) => op.as_str(),
            BinaryOperator::Arithmetic(op) => op.as_str(),
        }
    }
}

/// A boolean connective inside a spanset filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LogicalOp {
    /// `&&`
    And,
    /// `||`
    Or,
}

impl LogicalOp {
    /// The operator as written in TraceQL.
    pub fn as_str(self) -> &'static str {
        match self {
            LogicalOp::And => "&&",
            LogicalOp::Or => "||",
        }
    }
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ComparisonOp {
    /// `=`
    Eq,
    /// `!=`
    NotEq,
    /// `>`
    Gt,
    /// `>=`
    Gte,
    /// `<`
    Lt,
    /// `<=`
    Lte,
    /// `=~`: the left side fully matches the regular expression on the right (RE2, anchored).
    Regex,
    /// `!~`: the left side does not fully match the regular expression on the right.
    NotRegex,
}

impl ComparisonOp {
    /// The operator as written in TraceQL.
    pub fn as_str(self) -> &'static str {
        match self {
            ComparisonOp::Eq => "=",
            ComparisonOp::NotEq => "!=",
            ComparisonOp::Gt => ">",
            ComparisonOp::Gte => ">=",
            ComparisonOp::Lt => "<",
            ComparisonOp::Lte => "<=",
            ComparisonOp::Regex => "=~",
            ComparisonOp::NotRegex => "!~",
        }
    }

    /// The operator with its operands swapped (`a < b` is `b > a`); regex operators are returned
    /// unchanged.
    pub fn flipped(self) -> Self {
        match self {
            ComparisonOp::Gt => ComparisonOp::Lt,
            ComparisonOp::Gte => ComparisonOp::Lte,
            ComparisonOp::Lt => ComparisonOp::Gt,
            ComparisonOp::Lte => ComparisonOp::Gte,
            other => other,
        }
    }
}

/// An arithmetic operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ArithmeticOp {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `%`
    Mod,
    /// `^` (power, right-associative)
    Pow,
}

impl ArithmeticOp {
    /// The operator as written in TraceQL.
    pub fn as_str(self) -> &'static str {
        match self {
            ArithmeticOp::Add => "+",
            ArithmeticOp::Sub => "-",
            ArithmeticOp::Mul => "*",
            ArithmeticOp::Div => "/",
            ArithmeticOp::Mod => "%",
            ArithmeticOp::Pow => "^",
        }
    }
}

/// A unary operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UnaryOperator {
    /// `!` (boolean not)
    Not,
    /// `-` (numeric negation)
    Negate,
}

/// A reference to a span, resource, event, link or instrumentation-scope attribute.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Attribute {
    /// Where the attribute is looked up.
    pub scope: AttributeScope,
    /// The attribute key, with quotes and escapes removed (`span."a b"` -> `a b`).
    pub name: String,
}

/// The scope prefix of an attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AttributeScope {
    /// `span.x`
    Span,
    /// `resource.x`
    Resource,
    /// `event.x`
    Event,
    /// `link.x`
    Link,
    /// `instrumentation.x` (instrumentation scope attributes)
    Instrumentation,
    /// `.x`: span attribute if present, otherwise resource attribute.
    Unscoped,
}

impl AttributeScope {
    /// The prefix as written in TraceQL, including the dot (`span.`, or `.` when unscoped).
    pub fn prefix(self) -> &'static str {
        match self {
            AttributeScope::Span => "span.",
            AttributeScope::Resource => "resource.",
            AttributeScope::Event => "event.",
            AttributeScope::Link => "link.",
            AttributeScope::Instrumentation => "instrumentation.",
            AttributeScope::Unscoped => ".",
        }
    }

    /// The scope for a prefix word (`span` -> `Span`); `None` for anything else.
    pub fn from_word(word: &str) -> Option<Self> {
        Some(match word {
            "span" => AttributeScope::Span,
            "resource" => AttributeScope::Resource,
            "event" => AttributeScope::Event,
            "link" => AttributeScope::Link,
            "instrumentation" => AttributeScope::Instrumentation,
            _ => return None,
        })
    }
}

/// A built-in field of a span, trace, event, link or instrumentation scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Intrinsic {
    /// `name`, `span:name`: the span name (string).
    Name,
    /// `status`, `span:status`: the span status (status enum).
    Status,
    /// `statusMessage`, `span:statusMessage`: the status description (string).
    StatusMessage,
    /// `kind`, `span:kind`: the span kind (kind enum).
    Kind,
    /// `duration`, `span:duration`: the span duration (duration).
    Duration,
    /// `span:childCount` (also `childCount`): number of direct children (integer).
    ChildCount,
    /// `span:id`: the span id (hex string).
    SpanId,
    /// `span:parentID`: the parent span id (hex string).
    ParentId,
    /// `trace:id`: the trace id (hex string).
    TraceId,
    /// `trace:duration` (also `traceDuration`): the trace duration (duration).
    TraceDuration,
    /// `trace:rootName` (also `rootName`): the root span name (string).
    TraceRootName,
    /// `trace:rootService` (also `rootServiceName`): the root span's service (string).
    TraceRootService,
    /// `event:name`: the event name (string).
    EventName,
    /// `event:timeSinceStart`: event time relative to the span start (duration).
    EventTimeSinceStart,
    /// `link:traceID`: the linked trace id (hex string).
    LinkTraceId,
    /// `link:spanID`: the linked span id (hex string).
    LinkSpanId,
    /// `instrumentation:name`: instrumentation scope name (string).
    InstrumentationName,
    /// `instrumentation:version`: instrumentation scope version (string).
    InstrumentationVersion,
}

impl Intrinsic {
    /// Every intrinsic, in declaration order.
    pub const ALL: [Intrinsic; 18] = [
        Intrinsic::Name,
        Intrinsic::Status,
        Intrinsic::StatusMessage,
        Intrinsic::Kind,
        Intrinsic::Duration,
        Intrinsic::ChildCount,
        Intrinsic::SpanId,
        Intrinsic::ParentId,
        Intrinsic::TraceId,
        Intrinsic::TraceDuration,
        Intrinsic::TraceRootName,
        Intrinsic::TraceRootService,
        Intrinsic::EventName,
        Intrinsic::EventTimeSinceStart,
        Intrinsic::LinkTraceId,
        Intrinsic::LinkSpanId,
        Intrinsic::InstrumentationName,
        Intrinsic::InstrumentationVersion,
    ];

    /// The scoped spelling (`span:name`, `trace:rootService`, ...). This is what `Display`
    /// prints, except for the five span intrinsics that also have a short form
    /// (see [`Intrinsic::canonical_name`]).
    pub fn scoped_name(self) -> &'static str {
        use Intrinsic::*;
        match self {
            Name => "span:name",
            Status => "span:status",
            StatusMessage => "span:statusMessage",
            Kind => "span:kind",
            Duration => "span:duration",
            ChildCount => "span:childCount",
            SpanId => "span:id",
            ParentId => "span:parentID",
            TraceId => "trace:id",
            TraceDuration => "trace:duration",
            TraceRootName => "trace:rootName",
            TraceRootService => "trace:rootService",
            EventName => "event:name",
            EventTimeSinceStart => "event:timeSinceStart",
            LinkTraceId => "link:traceID",
            LinkSpanId => "link:spanID",
            InstrumentationName => "instrumentation:name",
            InstrumentationVersion => "instrumentation:version",
        }
    }

    /// The spelling `Display` uses: `name`, `status`, `statusMessage`, `kind` and `duration`
    /// for the classic span intrinsics, the scoped spelling for all others.
    pub fn canonical_name(self) -> &'static str {
        use Intrinsic::*;
        match self {
            Name => "name",
            Status => "status",
            StatusMessage => "statusMessage",
            Kind => "kind",
            Duration => "duration",
            other => other.scoped_name(),
        }
    }

    /// Looks up an unscoped intrinsic keyword (`name`, `duration`, `rootServiceName`, ...).
    pub fn from_unscoped(word: &str) -> Option<Self> {
        use Intrinsic::*;
        Some(match word {
            "name" => Name,
            "status" => Status,
            "statusMessage" => StatusMessage,
            "kind" => Kind,
            "duration" => Duration,
            "childCount" => ChildCount,
            "rootName" => TraceRootName,
            "rootServiceName" => TraceRootService,
            "traceDuration" => TraceDuration,
            _ => return None,
        })
    }

    /// Looks up a scoped intrinsic such as (`span`, `parentID`) or (`trace`, `rootService`).
    pub fn from_scoped(scope: &str, name: &str) -> Option<Self> {
        Intrinsic::ALL
            .into_iter()
            .find(|i| i.scoped_name().split_once(':') == Some((scope, name)))
    }
}

/// A literal value.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    /// An integer (`42`, `-7`, `minInt`, `maxInt`).
    Int(i64),
    /// A floating-point number (`1.5`, `.99`, `1e-3`).
    Float(f64),
    /// A duration in nanoseconds (`1.5s`, `1h30m`, `-10ms`).
    Duration(i64),
    /// A string (`"a"`, `` `raw` ``), escapes already resolved.
    String(String),
    /// `true` or `false`.
    Bool(bool),
    /// `nil`: the attribute is absent (`span.x != nil` means "exists").
    Nil,
    /// A status enum value (`error`, `ok`, `unset`).
    Status(Status),
    /// A span kind enum value (`server`, `client`, ...).
    Kind(Kind),
}

/// A span status value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    /// `error`
    Error,
    /// `ok`
    Ok,
    /// `unset`
    Unset,
}

impl Status {
    /// The keyword as written in TraceQL.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Error => "error",
            Status::Ok => "ok",
            Status::Unset => "unset",
        }
    }
}

/// A span kind value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// `unspecified`
    Unspecified,
    /// `internal`
    Internal,
    /// `server`
    Server,
    /// `client`
    Client,
    /// `producer`
    Producer,
    /// `consumer`
    Consumer,
}

impl Kind {
    /// The keyword as written in TraceQL.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Unspecified => "unspecified",
            Kind::Internal => "internal",
            Kind::Server => "server",
            Kind::Client => "client",
            Kind::Producer => "producer",
            Kind::Consumer => "consumer",
        }
    }
}
