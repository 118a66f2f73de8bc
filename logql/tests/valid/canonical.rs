//! The exact canonical form printed for some queries, and round trips of hand-built trees.

use sightline_logql::*;

#[test]
fn canonical_display() {
    let cases = [
        (
            r#"{ app = "foo" , env=~`a|b` }"#,
            r#"{app="foo", env=~"a|b"}"#,
        ),
        (r#"({app="foo"})"#, r#"{app="foo"}"#),
        (r#"{app="foo"}|="x"or"y""#, r#"{app="foo"} |= "x" or "y""#),
        (r#"{app="foo"} |= `a\d`"#, r#"{app="foo"} |= "a\\d""#),
        (
            r#"{app="foo"} | JSON | Logfmt"#,
            r#"{app="foo"} | json | logfmt"#,
        ),
        (
            r#"{app="foo"} | json a="a", b"#,
            r#"{app="foo"} | json a, b"#,
        ),
        (
            r#"{app="foo"} | x=1 | y==2"#,
            r#"{app="foo"} | x == 1 | y == 2"#,
        ),
        (r#"{app="foo"} | x>=+1.50"#, r#"{app="foo"} | x >= 1.5"#),
        (r#"{app="foo"} | d > 90s"#, r#"{app="foo"} | d > 1m30s"#),
        (r#"{app="foo"} | d > 1.5s"#, r#"{app="foo"} | d > 1s500ms"#),
        (r#"{app="foo"} | d > 1d"#, r#"{app="foo"} | d > 1d"#),
        (
            r#"{app="foo"} | d > 1500ns"#,
            r#"{app="foo"} | d > 1us500ns"#,
        ),
        (r#"{app="foo"} | s > 1000kB"#, r#"{app="foo"} | s > 1MB"#),
        (r#"{app="foo"} | s > 1024b"#, r#"{app="foo"} | s > 1KiB"#),
        (
            r#"{app="foo"} | a="1", b="2""#,
            r#"{app="foo"} | a="1" and b="2""#,
        ),
        (
            r#"{app="foo"} | a="1" b="2" c="3""#,
            r#"{app="foo"} | a="1", b="2" and c="3""#,
        ),
        (
            r#"{app="foo"} | a="1" or b="2", c="3""#,
            r#"{app="foo"} | a="1" or b="2" and c="3""#,
        ),
        (
            r#"{app="foo"} | ((a="1" or b="2"))"#,
            r#"{app="foo"} | a="1" or b="2""#,
        ),
        (
            r#"{app="foo"} | ip = ip("1.1.1.1")"#,
            r#"{app="foo"} | ip = ip("1.1.1.1")"#,
        ),
        (
            r#"rate({app="foo"}[5m] |= "x")"#,
            r#"rate({app="foo"} |= "x" [5m])"#,
        ),
        (
            r#"rate(({app="foo"})[300s] offset 3600s)"#,
            r#"rate({app="foo"}[5m] offset 1h)"#,
        ),
        (r#"rate({app="foo"}[7d])"#, r#"rate({app="foo"}[1w])"#),
        (
            r#"rate({app="foo"}[5m] offset 1.5s)"#,
            r#"rate({app="foo"}[5m] offset 1s500ms)"#,
        ),
        (
            r#"rate({app="foo"}[5m] offset 0s)"#,
            r#"rate({app="foo"}[5m])"#,
        ),
        (
            r#"sum(rate({app="foo"}[5m])) by (a,b)"#,
            r#"sum by (a, b) (rate({app="foo"}[5m]))"#,
        ),
        (
            r#"topk(3,rate({app="foo"}[5m]))by(a)"#,
            r#"topk by (a) (3, rate({app="foo"}[5m]))"#,
        ),
        (
            r#"quantile_over_time(.9,{app="foo"}|unwrap x[1m])"#,
            r#"quantile_over_time(0.9, {app="foo"} | unwrap x [1m])"#,
        ),
        ("(1 + 2) * 3", "(1 + 2) * 3"),
        ("1 + (2 * 3)", "1 + 2 * 3"),
        ("1 - (2 - 3)", "1 - (2 - 3)"),
        ("(1 - 2) - 3", "1 - 2 - 3"),
        ("2 ^ (3 ^ 2)", "2 ^ 3 ^ 2"),
        ("(2 ^ 3) ^ 2", "(2 ^ 3) ^ 2"),
        ("((((42))))", "42"),
        ("1000000 + 0.000001", "1000000 + 1e-6"),
        ("vector(+1)", "vector(1)"),
        (
            r#"rate({a="b"}[1m]) / ON(x) GROUP_LEFT rate({a="b"}[1m])"#,
            r#"rate({a="b"}[1m]) / on (x) group_left rate({a="b"}[1m])"#,
        ),
        (
            r#"rate({a="b"}[1m]) == bool ignoring() rate({a="b"}[1m])"#,
            r#"rate({a="b"}[1m]) == bool ignoring () rate({a="b"}[1m])"#,
        ),
    ];
    for (input, expected) in cases {
        let printed = parse(input)
            .unwrap_or_else(|e| panic!("{input:?}: {e}"))
            .to_string();
        assert_eq!(printed, expected, "display of {input:?}");
    }
}

#[test]
fn hand_built_trees_round_trip() {
    // Strings with quotes, control characters and non-ASCII text; labels named like keywords.
    let tricky = "a\"b\\c\nd\te\u{7}f\u{85}g é 😀 `h` {{.x}}";
    let log = LogExpr {
        selector: vec![Matcher::new("json", MatchOp::Eq, tricky)],
        pipeline: vec![
            Stage::LineFilter(LineFilter {
                op: LineFilterOp::NotPattern,
                values: vec![LineFilterValue::String(tricky.into())],
            }),
            Stage::LabelFilter(LabelFilterExpr::Or(
                Box::new(LabelFilterExpr::String(Matcher::new(
                    "unwrap",
                    MatchOp::Eq,
                    tricky,
                ))),
                Box::new(LabelFilterExpr::Number {
                    label: "by".into(),
                    op: ComparisonOp::Lte,
                    value: -1.25e-9,
                }),
            )),
            Stage::LineFormat(tricky.into()),
            Stage::LabelFormat(vec![LabelFormatItem {
                name: "drop".into(),
                value: LabelFormatValue::Rename("keep".into()),
            }]),
        ],
    };
    let metric = MetricExpr::Binary(BinaryExpr {
        op: BinaryOp::Sub,
        left: Box::new(MetricExpr::Literal(1.0)),
        right: Box::new(MetricExpr::Binary(BinaryExpr {
            op: BinaryOp::Add,
            left: Box::new(MetricExpr::RangeAggregation(RangeAggregation {
                op: RangeOp::SumOverTime,
                param: None,
                range: LogRange {
                    log: log.clone(),
                    unwrap: Some(Unwrap {
                        label: "offset".into(),
                        conversion: Some(UnwrapConversion::Bytes),
                        post_filters: vec![],
                    }),
                    range_nanos: 90_061_001_000_000,
                    offset_nanos: -1,
                },
                grouping: Some(Grouping::Without(vec![])),
            })),
            right: Box::new(MetricExpr::Literal(-0.5)),
            return_bool: false,
            matching: None,
        })),
        return_bool: false,
        matching: None,
    });
    for expr in [Expr::Log(log), Expr::Metric(metric)] {
        let printed = expr.to_string();
        assert_eq!(parse(&printed), Ok(expr), "{printed}");
    }
}
