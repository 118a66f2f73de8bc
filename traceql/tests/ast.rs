//! Acceptance tests: representative queries parse to exactly the expected AST.

use sightline_traceql::*;

fn attr(scope: AttributeScope, name: &str) -> FieldExpression {
    FieldExpression::Attribute(Attribute {
        scope,
        name: name.to_string(),
    })
}

fn span(name: &str) -> FieldExpression {
    attr(AttributeScope::Span, name)
}

fn lit(literal: Literal) -> FieldExpression {
    FieldExpression::Literal(literal)
}

fn int(i: i64) -> FieldExpression {
    lit(Literal::Int(i))
}

fn string(s: &str) -> FieldExpression {
    lit(Literal::String(s.to_string()))
}

fn intrinsic(i: Intrinsic) -> FieldExpression {
    FieldExpression::Intrinsic(i)
}

fn bin(op: BinaryOperator, left: FieldExpression, right: FieldExpression) -> FieldExpression {
    FieldExpression::Binary {
        op,
        left: Box::new(left),
        right: Box::new(right),
    }
}

fn cmp(op: ComparisonOp, left: FieldExpression, right: FieldExpression) -> FieldExpression {
    bin(BinaryOperator::Comparison(op), left, right)
}

fn arith(op: ArithmeticOp, left: FieldExpression, right: FieldExpression) -> FieldExpression {
    bin(BinaryOperator::Arithmetic(op), left, right)
}

fn and(left: FieldExpression, right: FieldExpression) -> FieldExpression {
    bin(BinaryOperator::Logical(LogicalOp::And), left, right)
}

fn or(left: FieldExpression, right: FieldExpression) -> FieldExpression {
    bin(BinaryOperator::Logical(LogicalOp::Or), left, right)
}

fn filter(body: FieldExpression) -> SpansetExpression {
    SpansetExpression::Filter(body)
}

fn sbin(
    op: SpansetOperator,
    left: SpansetExpression,
    right: SpansetExpression,
) -> SpansetExpression {
    SpansetExpression::Binary {
        op,
        left: Box::new(left),
        right: Box::new(right),
    }
}

fn query(expression: SpansetExpression) -> Query {
    Query {
        expression,
        pipeline: vec![],
        metrics: None,
        hints: vec![],
    }
}

const MS: i64 = 1_000_000;
const S: i64 = 1_000_000_000;

fn check(text: &str, expected: Query) {
    let actual = parse(text).unwrap_or_else(|e| panic!("{text:?} failed: {e}"));
    assert_eq!(actual, expected, "AST of {text:?}");
}

#[test]
fn expected_asts_for_filters() {
    use ComparisonOp::*;
    check(
        "{ span.http.status_code >= 500 }",
        query(filter(cmp(Gte, span("http.status_code"), int(500)))),
    );
    check(
        r#"{ .foo = "bar" && duration > 1.5s }"#,
        query(filter(and(
            cmp(Eq, attr(AttributeScope::Unscoped, "foo"), string("bar")),
            cmp(
                Gt,
                intrinsic(Intrinsic::Duration),
                lit(Literal::Duration(1500 * MS)),
            ),
        ))),
    );
    check("{}", query(SpansetExpression::match_all()));
    check(
        "{ span.x != nil }",
        query(filter(cmp(NotEq, span("x"), lit(Literal::Nil)))),
    );
    check(
        "{ kind = server && status != ok }",
        query(filter(and(
            cmp(
                Eq,
                intrinsic(Intrinsic::Kind),
                lit(Literal::Kind(Kind::Server)),
            ),
            cmp(
                NotEq,
                intrinsic(Intrinsic::Status),
                lit(Literal::Status(Status::Ok)),
            ),
        ))),
    );
    check(
        r#"{ trace:rootService = "a" }"#,
        query(filter(cmp(
            Eq,
            intrinsic(Intrinsic::TraceRootService),
            string("a"),
        ))),
    );
    check(
        r#"{ rootServiceName = "a" }"#,
        query(filter(cmp(
            Eq,
            intrinsic(Intrinsic::TraceRootService),
            string("a"),
        ))),
    );
    check(
        r#"{ event:name = "exception" }"#,
        query(filter(cmp(
            Eq,
            intrinsic(Intrinsic::EventName),
            string("exception"),
        ))),
    );
    check(
        r#"{ span."a b" = 1 }"#,
        query(filter(cmp(Eq, span("a b"), int(1)))),
    );
    check(
        r#"{ span.http."x y".z = 1 }"#,
        query(filter(cmp(Eq, span("http.x y.z"), int(1)))),
    );
    check(
        r#"{ resource.k8s.pod-name = "p" }"#,
        query(filter(cmp(
            Eq,
            attr(AttributeScope::Resource, "k8s.pod-name"),
            string("p"),
        ))),
    );
    check(
        "{ span.size > 10 * 1024 * 1024 }",
        query(filter(cmp(
            Gt,
            span("size"),
            arith(
                ArithmeticOp::Mul,
                arith(ArithmeticOp::Mul, int(10), int(1024)),
                int(1024),
            ),
        ))),
    );
    // `^` is right-associative and binds tighter than `*`; unary minus binds tightest.
    check(
        "{ span.a * 2 ^ 3 ^ 2 = -span.b }",
        query(filter(cmp(
            Eq,
            arith(
                ArithmeticOp::Mul,
                span("a"),
                arith(
                    ArithmeticOp::Pow,
                    int(2),
                    arith(ArithmeticOp::Pow, int(3), int(2)),
                ),
            ),
            FieldExpression::Unary {
                op: UnaryOperator::Negate,
                operand: Box::new(span("b")),
            },
        ))),
    );
    // `||` binds looser than `&&`.
    check(
        "{ span.a = 1 || span.b = 2 && span.c = 3 }",
        query(filter(or(
            cmp(Eq, span("a"), int(1)),
            and(cmp(Eq, span("b"), int(2)), cmp(Eq, span("c"), int(3))),
        ))),
    );
    check(
        r#"{ !(span.foo = "bar") }"#,
        query(filter(FieldExpression::Unary {
            op: UnaryOperator::Not,
            operand: Box::new(cmp(Eq, span("foo"), string("bar"))),
        })),
    );
    check(
        "{ .x = -9223372036854775808 || .x = minInt || .y = -2.5 || .z = -1h30m }",
        query(filter(or(
            or(
                or(
                    cmp(Eq, attr(AttributeScope::Unscoped, "x"), int(i64::MIN)),
                    cmp(Eq, attr(AttributeScope::Unscoped, "x"), int(i64::MIN)),
                ),
                cmp(
                    Eq,
                    attr(AttributeScope::Unscoped, "y"),
                    lit(Literal::Float(-2.5)),
                ),
            ),
            cmp(
                Eq,
                attr(AttributeScope::Unscoped, "z"),
                lit(Literal::Duration(-5400 * S)),
            ),
        ))),
    );
    check(
        "{ name = `a\\d` && span.m = \"q\\\"\\n\" }",
        query(filter(and(
            cmp(Eq, intrinsic(Intrinsic::Name), string("a\\d")),
            cmp(Eq, span("m"), string("q\"\n")),
        ))),
    );
    check(
        "{ duration > 1µs && duration < 1h30m }",
        query(filter(and(
            cmp(
                Gt,
                intrinsic(Intrinsic::Duration),
                lit(Literal::Duration(1_000)),
            ),
            cmp(
                Lt,
                intrinsic(Intrinsic::Duration),
                lit(Literal::Duration(5400 * S)),
            ),
        ))),
    );
}

#[test]
fn expected_asts_for_spanset_operators() {
    use ComparisonOp::*;
    let a = || filter(cmp(Eq, attr(AttributeScope::Unscoped, "a"), int(1)));
    let b = || filter(cmp(Eq, attr(AttributeScope::Unscoped, "b"), int(2)));
    let c = || filter(cmp(Eq, attr(AttributeScope::Unscoped, "c"), int(3)));
    check(
        r#"{ resource.service.name = "frontend" } >> { status = error }"#,
        query(sbin(
            SpansetOperator::Descendant,
            filter(cmp(
                Eq,
                attr(AttributeScope::Resource, "service.name"),
                string("frontend"),
            )),
            filter(cmp(
                Eq,
                intrinsic(Intrinsic::Status),
                lit(Literal::Status(Status::Error)),
            )),
        )),
    );
    // || < && < structural; structural operators are left-associative.
    check(
        "{ .a = 1 } || { .b = 2 } && { .c = 3 } > { .a = 1 } !~ { .b = 2 }",
        query(sbin(
            SpansetOperator::Or,
            a(),
            sbin(
                SpansetOperator::And,
                b(),
                sbin(
                    SpansetOperator::NotSibling,
                    sbin(SpansetOperator::Child, c(), a()),
                    b(),
                ),
            ),
        )),
    );
    let ops = [
        ("&>>", SpansetOperator::UnionDescendant),
        ("&>", SpansetOperator::UnionChild),
        ("&<<", SpansetOperator::UnionAncestor),
        ("&<", SpansetOperator::UnionParent),
        ("&~", SpansetOperator::UnionSibling),
        ("!>>", SpansetOperator::NotDescendant),
        ("!>", SpansetOperator::NotChild),
        ("!<<", SpansetOperator::NotAncestor),
        ("!<", SpansetOperator::NotParent),
        ("<<", SpansetOperator::Ancestor),
        ("<", SpansetOperator::Parent),
        ("~", SpansetOperator::Sibling),
    ];
    for (text, op) in ops {
        check(
            &format!("{{ .a = 1 }} {text} {{ .b = 2 }}"),
            query(sbin(op, a(), b())),
        );
        assert_eq!(op.as_str(), text);
    }
    check(
        "({ .a = 1 } | count() > 1) && { .b = 2 }",
        query(sbin(
            SpansetOperator::And,
            SpansetExpression::Pipeline {
                input: Box::new(a()),
                stages: vec![PipelineStage::ScalarFilter {
                    aggregate: Aggregate {
                        function: AggregateFunction::Count,
                        field: None,
                    },
                    op: Gt,
                    value: Literal::Int(1),
                }],
            },
            b(),
        )),
    );
}

#[test]
fn expected_asts_for_pipelines_metrics_and_hints() {
    use ComparisonOp::*;
    let service = || attr(AttributeScope::Resource, "service.name");
    check(
        "{ } | by(resource.service.name) | avg(duration) > 100ms",
        Query {
            pipeline: vec![
                PipelineStage::By(vec![service()]),
                PipelineStage::ScalarFilter {
                    aggregate: Aggregate {
                        function: AggregateFunction::Avg,
                        field: Some(intrinsic(Intrinsic::Duration)),
                    },
                    op: Gt,
                    value: Literal::Duration(100 * MS),
                },
            ],
            ..query(SpansetExpression::match_all())
        },
    );
    // A literal on the left is normalised to the aggregate on the left.
    assert_eq!(parse("{} | 2 < count()"), parse("{} | count() > 2"));
    check(
        r#"{ name =~ "GET.*" } | count() > 2 | select(span.http.url, span:id) | coalesce() | { .b = 2 }"#,
        Query {
            pipeline: vec![
                PipelineStage::ScalarFilter {
                    aggregate: Aggregate {
                        function: AggregateFunction::Count,
                        field: None,
                    },
                    op: Gt,
                    value: Literal::Int(2),
                },
                PipelineStage::Select(vec![span("http.url"), intrinsic(Intrinsic::SpanId)]),
                PipelineStage::Coalesce,
                PipelineStage::Filter(filter(cmp(Eq, attr(AttributeScope::Unscoped, "b"), int(2)))),
            ],
            ..query(filter(cmp(
                Regex,
                intrinsic(Intrinsic::Name),
                string("GET.*"),
            )))
        },
    );
    check(
        "{ status = error } | rate() by (resource.service.name)",
        Query {
            metrics: Some(MetricsPipeline {
                function: MetricsFunction::Rate,
                by: vec![service()],
                second_stage: None,
                comparison: None,
            }),
            ..query(filter(cmp(
                Eq,
                intrinsic(Intrinsic::Status),
                lit(Literal::Status(Status::Error)),
            )))
        },
    );
    check(
        "{ } | quantile_over_time(duration, .99, .5) by (span.http.route) | topk(5) > 10",
        Query {
            metrics: Some(MetricsPipeline {
                function: MetricsFunction::QuantileOverTime {
                    field: intrinsic(Intrinsic::Duration),
                    quantiles: vec![0.99, 0.5],
                },
                by: vec![span("http.route")],
                second_stage: Some(SecondStage::TopK(5)),
                comparison: Some((Gt, 10.0)),
            }),
            ..query(SpansetExpression::match_all())
        },
    );
    check(
        "{ } | compare({ status = error }, 20, 1, 2) | bottomk(3)",
        Query {
            metrics: Some(MetricsPipeline {
                function: MetricsFunction::Compare {
                    selection: filter(cmp(
                        Eq,
                        intrinsic(Intrinsic::Status),
                        lit(Literal::Status(Status::Error)),
                    )),
                    top_n: Some(20),
                    time_range: Some((1, 2)),
                },
                by: vec![],
                second_stage: Some(SecondStage::BottomK(3)),
                comparison: None,
            }),
            ..query(SpansetExpression::match_all())
        },
    );
    let q = parse("{ } | rate() with (most_recent = true, sample = 0.1) with (x = \"y\")").unwrap();
    assert_eq!(
        q.hints,
        vec![
            Hint {
                name: "most_recent".into(),
                value: Literal::Bool(true)
            },
            Hint {
                name: "sample".into(),
                value: Literal::Float(0.1)
            },
            Hint {
                name: "x".into(),
                value: Literal::String("y".into())
            },
        ]
    );
    assert_eq!(q.hint("sample"), Some(&Literal::Float(0.1)));
    assert!(q.is_metrics());
}
