//! Representative queries parse to exactly the expected AST.

use sightline_logql::*;

const S: i64 = 1_000_000_000;
const MIN: i64 = 60 * S;

fn m(name: &str, op: MatchOp, value: &str) -> Matcher {
    Matcher::new(name, op, value)
}

fn app_foo() -> Vec<Matcher> {
    vec![m("app", MatchOp::Eq, "foo")]
}

fn log(selector: Vec<Matcher>, pipeline: Vec<Stage>) -> LogExpr {
    LogExpr { selector, pipeline }
}

fn string_filter(name: &str, op: MatchOp, value: &str) -> LabelFilterExpr {
    LabelFilterExpr::String(m(name, op, value))
}

fn number(label: &str, op: ComparisonOp, value: f64) -> LabelFilterExpr {
    LabelFilterExpr::Number {
        label: label.into(),
        op,
        value,
    }
}

fn and(left: LabelFilterExpr, right: LabelFilterExpr) -> LabelFilterExpr {
    LabelFilterExpr::And(Box::new(left), Box::new(right))
}

fn or(left: LabelFilterExpr, right: LabelFilterExpr) -> LabelFilterExpr {
    LabelFilterExpr::Or(Box::new(left), Box::new(right))
}

fn line(op: LineFilterOp, values: &[&str]) -> Stage {
    Stage::LineFilter(LineFilter {
        op,
        values: values
            .iter()
            .map(|v| LineFilterValue::String(v.to_string()))
            .collect(),
    })
}

fn range(log: LogExpr, unwrap: Option<Unwrap>, range_nanos: i64, offset_nanos: i64) -> LogRange {
    LogRange {
        log,
        unwrap,
        range_nanos,
        offset_nanos,
    }
}

fn range_agg(op: RangeOp, range: LogRange) -> MetricExpr {
    MetricExpr::RangeAggregation(RangeAggregation {
        op,
        param: None,
        range,
        grouping: None,
    })
}

fn rate_foo_5m() -> MetricExpr {
    range_agg(
        RangeOp::Rate,
        range(log(app_foo(), vec![]), None, 5 * MIN, 0),
    )
}

fn binary(op: BinaryOp, left: MetricExpr, right: MetricExpr) -> MetricExpr {
    MetricExpr::Binary(BinaryExpr {
        op,
        left: Box::new(left),
        right: Box::new(right),
        return_bool: false,
        matching: None,
    })
}

fn check(text: &str, expected: Expr) {
    let actual = parse(text).unwrap_or_else(|e| panic!("{text:?} failed: {e}"));
    assert_eq!(actual, expected, "AST of {text:?}");
}

fn check_log(text: &str, expected: LogExpr) {
    check(text, Expr::Log(expected));
}

fn check_metric(text: &str, expected: MetricExpr) {
    check(text, Expr::Metric(expected));
}

#[test]
fn stream_selectors_and_line_filters() {
    use MatchOp::*;
    check_log(
        r#"{app="foo", env=~"prod|dev", level!="debug", ns!~`kube-.*`}"#,
        log(
            vec![
                m("app", Eq, "foo"),
                m("env", Re, "prod|dev"),
                m("level", Neq, "debug"),
                m("ns", Nre, "kube-.*"),
            ],
            vec![],
        ),
    );
    check_log(
        r#"{app="a\"b\\\t\u00e9"}"#,
        log(vec![m("app", Eq, "a\"b\\\té")], vec![]),
    );
    check_log(
        r#"{app="foo"} |= "a" or "b" !~ "c" |= ip("10.0.0.0/8") or "x""#,
        log(
            app_foo(),
            vec![
                line(LineFilterOp::Contains, &["a", "b"]),
                line(LineFilterOp::NotMatch, &["c"]),
                Stage::LineFilter(LineFilter {
                    op: LineFilterOp::Contains,
                    values: vec![
                        LineFilterValue::Ip("10.0.0.0/8".into()),
                        LineFilterValue::String("x".into()),
                    ],
                }),
            ],
        ),
    );
}

#[test]
fn parsers_and_formatting_stages() {
    check_log(
        r#"{app="foo"} | json a="x.y", b | logfmt --strict --keep-empty c | regexp "(?P<n>\\d+)" | pattern "<ip> <_>" | unpack"#,
        log(
            app_foo(),
            vec![
                Stage::Parser(Parser::Json(vec![
                    LabelExtraction {
                        label: "a".into(),
                        expression: "x.y".into(),
                    },
                    LabelExtraction {
                        label: "b".into(),
                        expression: "b".into(),
                    },
                ])),
                Stage::Parser(Parser::Logfmt {
                    strict: true,
                    keep_empty: true,
                    fields: vec![LabelExtraction {
                        label: "c".into(),
                        expression: "c".into(),
                    }],
                }),
                Stage::Parser(Parser::Regexp(r"(?P<n>\d+)".into())),
                Stage::Parser(Parser::Pattern("<ip> <_>".into())),
                Stage::Parser(Parser::Unpack),
            ],
        ),
    );
    check_log(
        r#"{app="foo"} | line_format "{{.a}}" | label_format new=old, x="{{.y}}" | drop a, b="v" | keep c | decolorize"#,
        log(
            app_foo(),
            vec![
                Stage::LineFormat("{{.a}}".into()),
                Stage::LabelFormat(vec![
                    LabelFormatItem {
                        name: "new".into(),
                        value: LabelFormatValue::Rename("old".into()),
                    },
                    LabelFormatItem {
                        name: "x".into(),
                        value: LabelFormatValue::Template("{{.y}}".into()),
                    },
                ]),
                Stage::Drop(vec![
                    NamedMatcher::Name("a".into()),
                    NamedMatcher::Matcher(m("b", MatchOp::Eq, "v")),
                ]),
                Stage::Keep(vec![NamedMatcher::Name("c".into())]),
                Stage::Decolorize,
            ],
        ),
    );
}

#[test]
fn label_filters() {
    use ComparisonOp::*;
    check_log(
        r#"{app="foo"} | status >= 400 | code = 500 | code == 501 | duration > 1m30s | size > 20MB | addr != ip("::1")"#,
        log(
            app_foo(),
            vec![
                Stage::LabelFilter(number("status", Gte, 400.0)),
                Stage::LabelFilter(number("code", Eq, 500.0)),
                Stage::LabelFilter(number("code", Eq, 501.0)),
                Stage::LabelFilter(LabelFilterExpr::Duration {
                    label: "duration".into(),
                    op: Gt,
                    nanos: 90 * S,
                }),
                Stage::LabelFilter(LabelFilterExpr::Bytes {
                    label: "size".into(),
                    op: Gt,
                    bytes: 20_000_000,
                }),
                Stage::LabelFilter(LabelFilterExpr::Ip {
                    label: "addr".into(),
                    negated: true,
                    pattern: "::1".into(),
                }),
            ],
        ),
    );
    let (a, b, c, d) = (
        || string_filter("a", MatchOp::Eq, "1"),
        || string_filter("b", MatchOp::Re, "2"),
        || number("c", Lt, -3.0),
        || string_filter("d", MatchOp::Neq, ""),
    );
    let only = |filter| log(app_foo(), vec![Stage::LabelFilter(filter)]);
    // `and` binds tighter than `or`.
    check_log(
        r#"{app="foo"} | a="1" or b=~"2" and c < -3"#,
        only(or(a(), and(b(), c()))),
    );
    check_log(
        r#"{app="foo"} | (a="1" or b=~"2") and c < -3"#,
        only(and(or(a(), b()), c())),
    );
    // `,` and juxtaposition take everything after them, as in Loki.
    check_log(
        r#"{app="foo"} | a="1" or b=~"2", c < -3"#,
        only(or(a(), and(b(), c()))),
    );
    check_log(
        r#"{app="foo"} | a="1", b=~"2" or c < -3"#,
        only(and(a(), or(b(), c()))),
    );
    check_log(
        r#"{app="foo"} | a="1" b=~"2", c < -3 or d!="""#,
        only(and(a(), and(b(), or(c(), d())))),
    );
    check_log(
        r#"{app="foo"} | a="1" and b=~"2" and c < -3"#,
        only(and(and(a(), b()), c())),
    );
}

#[test]
fn range_aggregations() {
    check_metric(r#"rate({app="foo"}[5m])"#, rate_foo_5m());
    check_metric(
        r#"count_over_time({app="foo"}[5m] offset 1h |= "x")"#,
        range_agg(
            RangeOp::CountOverTime,
            range(
                log(app_foo(), vec![line(LineFilterOp::Contains, &["x"])]),
                None,
                5 * MIN,
                60 * MIN,
            ),
        ),
    );
    check_metric(
        r#"quantile_over_time(0.99, {app="foo"} | json | unwrap duration(latency) | __error__="" [1m]) by (path)"#,
        MetricExpr::RangeAggregation(RangeAggregation {
            op: RangeOp::QuantileOverTime,
            param: Some(0.99),
            range: range(
                log(app_foo(), vec![Stage::Parser(Parser::Json(vec![]))]),
                Some(Unwrap {
                    label: "latency".into(),
                    conversion: Some(UnwrapConversion::Duration),
                    post_filters: vec![string_filter("__error__", MatchOp::Eq, "")],
                }),
                MIN,
                0,
            ),
            grouping: Some(Grouping::By(vec!["path".into()])),
        }),
    );
    // The three placements of the range give the same tree.
    let expected = parse(r#"sum_over_time({app="foo"} | json | unwrap x [5m] offset 1m)"#).unwrap();
    for text in [
        r#"sum_over_time({app="foo"}[5m] offset 1m | json | unwrap x)"#,
        r#"sum_over_time(({app="foo"} | json | unwrap x)[5m] offset 1m)"#,
    ] {
        assert_eq!(parse(text).unwrap(), expected, "{text}");
    }
}

#[test]
fn vector_aggregations_and_binary_operators() {
    let sum_by_app = MetricExpr::VectorAggregation(VectorAggregation {
        op: VectorOp::Sum,
        param: None,
        expr: Box::new(rate_foo_5m()),
        grouping: Some(Grouping::By(vec!["app".into()])),
    });
    check_metric(
        r#"sum by (app) (rate({app="foo"}[5m]))"#,
        sum_by_app.clone(),
    );
    check_metric(r#"sum(rate({app="foo"}[5m])) by (app)"#, sum_by_app.clone());
    check_metric(
        r#"topk(3, sum by (app) (rate({app="foo"}[5m])))"#,
        MetricExpr::VectorAggregation(VectorAggregation {
            op: VectorOp::TopK,
            param: Some(3),
            expr: Box::new(sum_by_app),
            grouping: None,
        }),
    );
    // Precedence: `*` before `+`, `^` right-associative, signs bind to numbers.
    check_metric(
        r#"rate({app="foo"}[5m]) * 2 + -1 ^ 2 ^ 3"#,
        binary(
            BinaryOp::Add,
            binary(BinaryOp::Mul, rate_foo_5m(), MetricExpr::Literal(2.0)),
            binary(
                BinaryOp::Pow,
                MetricExpr::Literal(-1.0),
                binary(
                    BinaryOp::Pow,
                    MetricExpr::Literal(2.0),
                    MetricExpr::Literal(3.0),
                ),
            ),
        ),
    );
    check_metric(
        r#"rate({app="foo"}[5m]) > bool on (a) group_left (b) rate({app="foo"}[5m]) or vector(0)"#,
        binary(
            BinaryOp::Or,
            MetricExpr::Binary(BinaryExpr {
                op: BinaryOp::Gt,
                left: Box::new(rate_foo_5m()),
                right: Box::new(rate_foo_5m()),
                return_bool: true,
                matching: Some(VectorMatching {
                    on: true,
                    labels: vec!["a".into()],
                    group: Some(GroupModifier::Left(vec!["b".into()])),
                }),
            }),
            MetricExpr::Vector(0.0),
        ),
    );
    check_metric(
        r#"label_replace(rate({app="foo"}[5m]), "dst", "$1", "src", "(.*)")"#,
        MetricExpr::LabelReplace(LabelReplace {
            expr: Box::new(rate_foo_5m()),
            dst: "dst".into(),
            replacement: "$1".into(),
            src: "src".into(),
            regex: "(.*)".into(),
        }),
    );
}
