//! Tests for `parse_spanset_filter_loose` (Tempo's tag-value `q=` parameter).

use sightline_traceql::{SpansetExpression, parse, parse_spanset_filter_loose};

fn strict(filter: &str) -> SpansetExpression {
    parse(filter)
        .unwrap_or_else(|e| panic!("{filter:?}: {e}"))
        .expression
}

#[test]
fn repairs_incomplete_filters() {
    let cases = [
        // Valid input is returned unchanged.
        (
            r#"{ resource.service.name = "a" }"#,
            r#"{ resource.service.name = "a" }"#,
        ),
        (r#"{ .a = "b" || .c = 1 }"#, r#"{ .a = "b" || .c = 1 }"#),
        ("{ .flag }", "{ .flag }"),
        // Pipelines and hints after the filter are ignored.
        (r#"{ .a = "b" } | count() > 2"#, r#"{ .a = "b" }"#),
        (r#"{ .a = "b" } | count() >"#, r#"{ .a = "b" }"#),
        (
            r#"{ .a = "b" } | rate() by (span.x) with (sample = 0.1)"#,
            r#"{ .a = "b" }"#,
        ),
        // Incomplete trailing condition.
        (
            r#"{ resource.service.name = "a" && span.x = }"#,
            r#"{ resource.service.name = "a" }"#,
        ),
        (
            r#"{ resource.service.name = "a" && span.x =~ }"#,
            r#"{ resource.service.name = "a" }"#,
        ),
        (
            r#"{ resource.service.name = "a" && span.x = "#,
            r#"{ resource.service.name = "a" }"#,
        ),
        (
            r#"{ resource.service.name = "a" && "#,
            r#"{ resource.service.name = "a" }"#,
        ),
        (
            r#"{ resource.service.name = "a" || }"#,
            r#"{ resource.service.name = "a" }"#,
        ),
        (
            r#"{ resource.service.name = "a""#,
            r#"{ resource.service.name = "a" }"#,
        ),
        // Incomplete condition in the middle, or several.
        (r#"{ .x = && .a = "b" }"#, r#"{ .a = "b" }"#),
        // Of several adjacent connectors the last one is kept.
        (
            r#"{ .a = "b" && .x = || .y != && .c = 1 }"#,
            r#"{ .a = "b" && .c = 1 }"#,
        ),
        (
            r#"{ .a = "b" && .x = || .c = 1 }"#,
            r#"{ .a = "b" || .c = 1 }"#,
        ),
        (r#"{ .a = "b" && (.x = ) }"#, r#"{ .a = "b" }"#),
        (
            r#"{ .a = "b" && (.c = 1 || .x = "#,
            r#"{ .a = "b" && (.c = 1) }"#,
        ),
        // Lexing stops at the first bad token.
        (r#"{ .a = "b" && span.x = "unterminated"#, r#"{ .a = "b" }"#),
        (r#"{ .a = "b" && span."#, r#"{ .a = "b" }"#),
        (r#"{ .a = "b" && duration > 5x }"#, r#"{ .a = "b" }"#),
        (r#"{ .a = "b" && span:fo"#, r#"{ .a = "b" }"#),
        // A field still being typed at the end of an unclosed filter.
        (r#"{ .a = "b" && span.htt"#, r#"{ .a = "b" }"#),
        (r#"{ .a = "b" && !span.htt"#, r#"{ .a = "b" }"#),
        (r#"{ .a = "b" && !"#, r#"{ .a = "b" }"#),
        // Dangling arithmetic.
        ("{ span.x > 2 * }", "{ span.x > 2 }"),
        // Nothing left.
        ("{", "{}"),
        ("{ }", "{}"),
        ("{ .x = }", "{}"),
        ("{ span.", "{}"),
        ("  // comment\n { .x", "{}"),
    ];
    for (input, expected) in cases {
        let loose = parse_spanset_filter_loose(input);
        assert_eq!(loose, Some(strict(expected)), "loose parse of {input:?}");
    }
}

#[test]
fn gives_up_on_unusable_input() {
    let cases = [
        "",
        "   ",
        r#"{ .a = 1 } >> { .b = 2 }"#,
        r#"{ .a = 1 } && { .b = "#,
        r#"({ .a = 1 } | count() > 1)"#,
        r#"{ name =~ "(" }"#,
        "{ status = 200 }",
        ".a = 1",
        "rate()",
        "{ .a = 1 } garbage",
        "{ .a = 1 ) }",
    ];
    for input in cases {
        assert_eq!(
            parse_spanset_filter_loose(input),
            None,
            "loose parse of {input:?}"
        );
    }
}

#[test]
fn every_prefix_of_a_valid_query_is_handled_without_panicking() {
    let queries = [
        r#"{ resource.service.name = "frontend" && span.http.status_code >= 500 } >> { status = error }"#,
        r#"{ span."a b" =~ "x.*" || !(duration > 1.5s) } | by(span.x) | avg(duration) > 100ms"#,
        "{ } | quantile_over_time(duration, .99, .5) by (span.http.route) | topk(3) > 1 with (sample = 0.1)",
        "({ .a = -1 } | count() > 1) &>> { event:name = `e` } // comment",
        "{ span.unicode = \"é😀\" && .µ = 1µs }",
    ];
    for query in queries {
        for (end, _) in query.char_indices().chain([(query.len(), ' ')]) {
            let prefix = &query[..end];
            if let Ok(ast) = parse(prefix) {
                assert_eq!(parse(&ast.to_string()), Ok(ast), "round trip of {prefix:?}");
            }
            if let Some(filter) = parse_spanset_filter_loose(prefix) {
                let printed = filter.to_string();
                assert_eq!(
                    parse(&printed).map(|q| q.expression),
                    Ok(filter),
                    "{prefix:?}"
                );
            }
        }
    }
}
