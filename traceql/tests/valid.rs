//! Acceptance tests: every query here must parse, and its canonical `Display` must parse back
//! to an equal AST (`ast.rs` checks a representative subset against hand-built trees).

use sightline_traceql::*;

const VALID: &[&str] = &[
    // Tempo documentation examples.
    "{ span.http.status_code >= 500 }",
    r#"{ resource.service.name = "frontend" } >> { status = error }"#,
    r#"{ .foo = "bar" && duration > 1.5s }"#,
    r#"{ name =~ "GET.*" } | count() > 2"#,
    "{ } | by(resource.service.name) | avg(duration) > 100ms",
    "{ status = error } | rate() by (resource.service.name)",
    "{ } | quantile_over_time(duration, .99, .5) by (span.http.route)",
    "{ span.x != nil }",
    "{ kind = server && status != ok }",
    r#"{ trace:rootService = "a" }"#,
    r#"{ event:name = "exception" }"#,
    r#"{ span."a b" = 1 }"#,
    r#"{ span.http.status_code >= 400 && span.http.status_code < 500 }"#,
    r#"{ resource.cloud.region = "us-east-1" } && { resource.cloud.region = "us-west-1" }"#,
    r#"{ resource.service.name = "productcatalogservice" } | avg(duration) > 20ms"#,
    r#"{ span.db.statement =~ "INSERT.*" } | count() > 3"#,
    r#"{ span.http.url = "/path/of/api" } >> { span.db.name = "db-shard-001" }"#,
    r#"{ resource.service.name = "frontend" } > { resource.service.name = "cartservice" }"#,
    r#"{ resource.service.name = "cartservice" } | by(span.http.target) | count() > 2"#,
    r#"{ span:name = "GET /:endpoint" } | count_over_time()"#,
    r#"{ resource.service.name = "svc" } | quantile_over_time(duration, .99) by (span.http.target)"#,
    "{ } | histogram_over_time(duration) by (span.foo)",
    r#"{ span.http.method = "GET" } | max_over_time(span.http.response.size)"#,
    r#"{ name = "GET /api/products" } | avg_over_time(duration) by (span.http.status_code)"#,
    "{ span.http.response.status_code = 500 } | select(span.http.request.method, resource.service.name)",
    r#"{ resource.service.name = "a" } !>> { resource.service.name = "b" }"#,
    r#"{ event:name = "exception" && event.exception.type = "IOException" }"#,
    "{ span.size > 10 * 1024 * 1024 }",
    // Empty filters and boolean structure.
    "{}",
    "{ }",
    r#"{ .http.method = "GET" || .http.method = "POST" }"#,
    r#"{ !(span.foo = "bar") }"#,
    "{ (span.a = 1 || span.b = 2) && span.c = 3 }",
    "{ span.a = 1 || span.b = 2 && span.c = 3 }",
    "{ .flag }",
    "{ !.flag && span.cache_hit = true && span.retry = false }",
    "{ !!.flag }",
    // Arithmetic and unary minus.
    "{ span.a + span.b * 2 ^ 3 ^ 2 > 100 % 7 - 1 / 2 }",
    "{ (span.a + span.b) * 2 >= span.c - (span.d - span.e) }",
    "{ span.x = -5 && span.y > -1.5 && span.z < -10ms }",
    "{ -span.x > 1 }",
    "{ span.a - -2 = 0 && 2 ^ -1 < span.x }",
    "{ span.x = --5 }",
    "{ span.x = -(5) }",
    "{ .x = 9223372036854775807 || .x = -9223372036854775808 }",
    "{ span.count = minInt || span.count = maxInt }",
    // Durations.
    "{ duration > 1ns && duration > 1us && duration > 1µs && duration > 1ms }",
    "{ duration < 1s || duration < 1m || duration < 1h || duration = 1h30m }",
    "{ duration > 2.5ms && span:duration < 0.75s && duration != 0s }",
    // Floats.
    "{ span.ratio > 0.5 && span.ratio < .25 }",
    "{ span.x = 1e-7 || span.x = 2.5E+3 || span.x = 1.0 }",
    // Strings.
    r#"{ span.msg = "line\nnext \"quoted\" \\ tab\t" }"#,
    r#"{ span.unicode = "\u00e9\x41\U0001F600" }"#,
    "{ name = `raw \\d+ string` }",
    r#"{ name =~ `\d+` && name !~ "health.*" }"#,
    r#"{ span.url =~ "^/api/(v1|v2)/.+$" }"#,
    // Status and kind enums.
    "{ status = ok || status = unset || span:status = error }",
    "{ kind = unspecified || kind = internal || kind = client }",
    "{ kind = producer || span:kind = consumer }",
    // Every intrinsic.
    r#"{ span:name = "a" && span:statusMessage = "x" && statusMessage != "" }"#,
    r#"{ span:id = "0000000000000001" && span:parentID = "0000000000000002" }"#,
    "{ span:childCount > 2 && childCount = 0 }",
    r#"{ trace:id = "0123456789abcdef0123456789abcdef" && trace:duration > 5s }"#,
    r#"{ trace:rootName = "GET /" && trace:rootService = "api" }"#,
    r#"{ rootName = "x" && rootServiceName = "y" && traceDuration > 2s }"#,
    "{ event:timeSinceStart > 10ms }",
    r#"{ link:traceID = "abc" && link:spanID = "def" }"#,
    r#"{ instrumentation:name = "io.opentelemetry.jdbc" && instrumentation:version = "1.2" }"#,
    // Attribute scopes and names.
    r#"{ event.exception.message =~ ".*timeout.*" }"#,
    r#"{ link.opentracing.ref_type = "follows_from" }"#,
    r#"{ instrumentation.otel.scope.attr = "v" }"#,
    r#"{ resource.k8s.pod-name = "api-1" }"#,
    r#"{ ."x y" = "z" && span.http."request header" = "v" }"#,
    r#"{ span."quote\"inside" = 1 && ."1starts_with_digit" = 2 }"#,
    "{ span.x = nil || nil != span.y }",
    // Spanset operators.
    "{ .a = 1 } > { .b = 2 }",
    "{ .a = 1 } < { .b = 2 }",
    "{ .a = 1 } << { .b = 2 }",
    "{ .a = 1 } ~ { .b = 2 }",
    "{ .a = 1 } &>> { .b = 2 } &> { .c = 3 }",
    "{ .a = 1 } &<< { .b = 2 } &< { .c = 3 } &~ { .d = 4 }",
    "{ .a = 1 } !> { .b = 2 } !<< { .c = 3 } !< { .d = 4 } !~ { .e = 5 }",
    "{ .a = 1 } && { .b = 2 }",
    "{ .a = 1 } || { .b = 2 } && { .c = 3 } >> { .d = 4 }",
    "({ .a = 1 } || { .b = 2 }) >> { .c = 3 }",
    "{ .a = 1 } >> ({ .b = 2 } && { .c = 3 })",
    "(({ .a = 1 }))",
    // Pipelines.
    "{ .a = 1 } | count() > 3",
    "{ .a = 1 } | min(span.x) < 5 | max(duration) >= 1s | sum(span.bytes) = 100",
    "{ .a = 1 } | count() != 0 | count() <= 10 | avg(span.x * 2) > -1.5",
    "{ .a = 1 } | 2 < count()",
    "{ .a = 1 } | by(resource.service.name, span.x)",
    "{ .a = 1 } | select(span.http.url, duration, span:id)",
    "{ .a = 1 } | coalesce()",
    "{ .a = 1 } | by(span.x) | { .b = 2 }",
    "{ .a = 1 } | { .b = 2 } >> { .c = 3 }",
    "({ .a = 1 } | count() > 1) && { .b = 2 }",
    "({ .a = 1 } | by(span.x)) >> ({ .b = 2 } | count() > 1) | coalesce()",
    "{ status = error } | by(resource.service.name) | count() > 1",
    // Metrics.
    "{ } | rate()",
    "{ } | count_over_time()",
    "{ } | sum_over_time(span.bytes)",
    "{ } | min_over_time(duration) by (span.http.route)",
    "{ } | max_over_time(span:duration)",
    "{ } | avg_over_time(span.latency_ms) by (resource.service.name, name)",
    "{ } | quantile_over_time(duration, 0, 1, .5, 0.999)",
    "{ } | rate() by (resource.service.name) | topk(10)",
    "{ } | rate() by (resource.service.name) | bottomk(3)",
    "{ } | rate() by (resource.service.name) > 10",
    "{ status = error } | rate() by (resource.service.name, span.http.route) | topk(5) > 1.5",
    "{ } | count_over_time() <= -2",
    "{ } | compare({ status = error })",
    "{ } | compare({ status = error }, 10)",
    "{ } | compare({ status = error }, 10, 1700000000000000000, 1700000360000000000)",
    "{ .a = 1 } | by(span.x) | count() > 1 | rate()",
    // Hints.
    "{ } with (most_recent = true)",
    "{ } | rate() with (sample = 0.1, exemplars = true)",
    "{ .a = 1 } | count() > 1 with(most_recent=true)",
    r#"{ } with (span_sample = 0.5) with (job_size = "x", trace_sample = -1, d = 5m)"#,
    // Whitespace and comments.
    "{ span.a = 1 // first condition\n && span.b = 2 }\n// trailing comment",
    "\n\t{\n  span.a = 1\n}\n|\n  count()\n  > 1\n",
    "{span.a=1&&span.b!=2}|count()>1",
    "{ span.a=1 }>>{ span.b=2 }",
];

#[test]
fn valid_queries_parse_and_round_trip() {
    assert!(VALID.len() >= 80, "only {} valid queries", VALID.len());
    for query in VALID {
        let ast = parse(query).unwrap_or_else(|e| panic!("{query:?} failed: {e}"));
        let printed = ast.to_string();
        let reparsed =
            parse(&printed).unwrap_or_else(|e| panic!("{query:?} printed as {printed:?}: {e}"));
        assert_eq!(reparsed, ast, "{query:?} printed as {printed:?}");
        assert_eq!(
            reparsed.to_string(),
            printed,
            "printing is not canonical for {query:?}"
        );
    }
}

#[test]
fn canonical_display() {
    let cases = [
        ("{ }", "{}"),
        ("{true}", "{}"),
        ("{.a=1&&.b=2}", "{ .a = 1 && .b = 2 }"),
        ("{ (span.a = 1) }", "{ span.a = 1 }"),
        ("{ span.a = (1 + 2) * 3 }", "{ span.a = (1 + 2) * 3 }"),
        ("{ span.a = 1 - (2 - 3) }", "{ span.a = 1 - (2 - 3) }"),
        ("{ span.a = (2 ^ 3) ^ 4 }", "{ span.a = (2 ^ 3) ^ 4 }"),
        (
            "{ (.a = 1 || .b = 2) && .c = 3 }",
            "{ (.a = 1 || .b = 2) && .c = 3 }",
        ),
        ("{ span:name = \"x\" }", "{ name = \"x\" }"),
        (
            "{ rootServiceName = \"x\" }",
            "{ trace:rootService = \"x\" }",
        ),
        ("{ childCount > 1 }", "{ span:childCount > 1 }"),
        ("{ duration > 1.5s }", "{ duration > 1s500ms }"),
        ("{ duration > 90m }", "{ duration > 1h30m }"),
        ("{ duration > 1µs }", "{ duration > 1us }"),
        ("{ span.x = .5 }", "{ span.x = 0.5 }"),
        ("{ span.x = --5 }", "{ span.x = -(-5) }"),
        ("{ span.x = -(5) }", "{ span.x = -(5) }"),
        ("{ .\"a b\" = `c\"d` }", "{ .\"a b\" = \"c\\\"d\" }"),
        ("{ .\"plain\" = 1 }", "{ .plain = 1 }"),
        (
            "({.a=1}||{.b=2})>>{.c=3}",
            "({ .a = 1 } || { .b = 2 }) >> { .c = 3 }",
        ),
        (
            "{.a=1}>>({.b=2}>>{.c=3})",
            "{ .a = 1 } >> ({ .b = 2 } >> { .c = 3 })",
        ),
        (
            "{}|rate()by(span.x)|topk(3)>1",
            "{} | rate() by (span.x) | topk(3) > 1.0",
        ),
        ("{} with(a=1)", "{} with (a = 1)"),
        (
            "{} | quantile_over_time(duration, .9, 1)",
            "{} | quantile_over_time(duration, 0.9, 1.0)",
        ),
    ];
    for (input, expected) in cases {
        let printed = parse(input)
            .unwrap_or_else(|e| panic!("{input:?}: {e}"))
            .to_string();
        assert_eq!(printed, expected, "display of {input:?}");
    }
    assert_eq!(format_duration(0), "0s");
    assert_eq!(format_duration(-1_500_000), "-1ms500us");
}
