//! Acceptance tests: invalid queries fail with the exact line and column of the offending token
//! and a message containing the given fragment.

use sightline_traceql::{ParseError, parse};

/// (query, line, column, message fragment)
const INVALID: &[(&str, usize, usize, &str)] = &[
    // Empty input.
    ("", 1, 1, "empty query"),
    ("   // only a comment", 1, 21, "empty query"),
    // Strings.
    (r#"{ span.x = "abc }"#, 1, 12, "unterminated string literal"),
    (
        "{ span.x = `abc }",
        1,
        12,
        "unterminated raw string literal",
    ),
    (r#"{ .a = "x\q" }"#, 1, 10, r"invalid escape sequence '\q'"),
    (r#"{ span."a b = 1 }"#, 1, 8, "unterminated string literal"),
    // Braces and parentheses.
    (
        "{ span.x = 1",
        1,
        13,
        "expected '}' or an operator, found end of query",
    ),
    ("{ .a = 1 }}", 1, 11, "found '}'"),
    ("({ .a = 1 }", 1, 12, "expected ')'"),
    (
        "{ (.a = 1 }",
        1,
        11,
        "expected ')' or an operator, found '}'",
    ),
    (
        "{ .a = 1 .b = 2 }",
        1,
        10,
        "expected '}' or an operator, found '.b'",
    ),
    // Attributes and identifiers.
    (
        "{ span. = 1 }",
        1,
        3,
        "expected an attribute name after 'span.'",
    ),
    ("{ . = 1 }", 1, 3, "expected an attribute name after '.'"),
    (
        "{ parent.x = 1 }",
        1,
        3,
        "unknown attribute scope 'parent.'",
    ),
    ("{ a = }", 1, 3, "unknown identifier 'a'"),
    ("{ span:foo = 1 }", 1, 3, "unknown intrinsic 'span:foo'"),
    ("{ trace:name = 1 }", 1, 3, "unknown intrinsic 'trace:name'"),
    (
        "{ span: = 1 }",
        1,
        3,
        "expected an intrinsic name after 'span:'",
    ),
    // Missing operands.
    ("{ .a = }", 1, 8, "expected a value after '=', found '}'"),
    (
        "{ span:name = \"a\" && }",
        1,
        22,
        "expected a condition after '&&', found '}'",
    ),
    (
        "{ span.a = 1 &&\n  span.b = }",
        2,
        12,
        "expected a value after '='",
    ),
    ("{ ! }", 1, 5, "expected a condition after '!'"),
    // Numbers and durations.
    (
        "{ duration > 5xs }",
        1,
        14,
        "invalid duration '5xs': unknown unit 'xs'",
    ),
    ("{ span.x = 5.5.5 }", 1, 12, "invalid number '5.5.5'"),
    ("{ .a = 99999999999999999999 }", 1, 8, "too large"),
    ("{ .a = 9223372036854775808 }", 1, 8, "out of range"),
    // Regular expressions.
    (r#"{ name =~ "(" }"#, 1, 11, "invalid regular expression"),
    (
        "{\n  name !~ \"[a-\"\n}",
        2,
        11,
        "invalid regular expression",
    ),
    ("{ .a =~ .b }", 1, 9, "must be a string literal"),
    // Type errors.
    (
        "{ status = 200 }",
        1,
        10,
        "cannot compare a status with a number",
    ),
    ("{ 1 + 2 }", 1, 3, "needs a condition"),
    (r#"{ .a > nil }"#, 1, 6, "cannot be used with nil"),
    (
        r#"{ "a" && .b }"#,
        1,
        3,
        "'&&' needs conditions on both sides",
    ),
    (
        r#"{ .a = "x" + 1 }"#,
        1,
        8,
        "'+' needs numbers on both sides",
    ),
    // Spanset expressions.
    (
        "{ .a = 1 } >> ",
        1,
        15,
        "expected a spanset filter '{', found end of query",
    ),
    ("{ .a = 1 } >> foo", 1, 15, "found 'foo'"),
    ("{ .a = 1 } foo", 1, 12, "found 'foo'"),
    ("{ .a & .b }", 1, 6, "unexpected character '&'"),
    // Pipelines.
    (
        "{ } | count() >",
        1,
        16,
        "expected a number or duration after '>', found end of query",
    ),
    ("{ } | count() }", 1, 15, "expected a comparison operator"),
    (
        "{ } | count()",
        1,
        14,
        "expected a comparison operator (=, !=, >, >=, <, <=) after ')'",
    ),
    (
        "{ } | avg() > 1",
        1,
        11,
        "expected a field to aggregate in avg()",
    ),
    (
        r#"{ } | avg(name) > 1"#,
        1,
        11,
        "avg() needs a numeric expression",
    ),
    (
        "{ } | count(duration) > 1",
        1,
        13,
        "count() takes no arguments",
    ),
    (
        "{ } | by(.x",
        1,
        12,
        "expected ',' or ')', found end of query",
    ),
    ("{ } | select(1)", 1, 14, "expected an attribute"),
    ("{ } | frobnicate()", 1, 7, "expected a pipeline stage"),
    (
        "{ } | topk(5)",
        1,
        7,
        "topk() must follow a metrics function",
    ),
    // Metrics.
    ("{ } | rate() | by(.x)", 1, 16, "topk() or bottomk()"),
    ("{ } | rate() by ()", 1, 18, "expected an attribute"),
    ("{ } | rate(duration)", 1, 12, "rate() takes no arguments"),
    (
        "{ } | quantile_over_time(duration, 1.5)",
        1,
        36,
        "quantile must be between 0 and 1",
    ),
    (
        "{ } | quantile_over_time(duration)",
        1,
        34,
        "at least one quantile",
    ),
    (
        "{ } | sum_over_time(name)",
        1,
        21,
        "sum_over_time() needs a numeric field",
    ),
    ("{ } | rate() > 5ms", 1, 16, "durations are not allowed"),
    (
        "{ } | rate() | topk(0)",
        1,
        21,
        "expected a positive integer",
    ),
    (
        "({ } | rate())",
        1,
        8,
        "metrics functions are only allowed at the end",
    ),
    ("{ } | compare(.a = 1)", 1, 15, "spanset filter"),
    // Hints.
    (
        "{ } with (most_recent)",
        1,
        22,
        "expected '=' after the hint name 'most_recent'",
    ),
    ("{ } with (x = .y)", 1, 15, "expected a literal value"),
    ("{ } with (x = 1", 1, 16, "expected ',' or ')'"),
    // Multi-line position.
    (
        "{\n  .a = 1\n  && .b = \"x }",
        3,
        11,
        "unterminated string literal",
    ),
];

#[test]
fn invalid_queries_report_position_and_message() {
    assert!(
        INVALID.len() >= 30,
        "only {} invalid queries",
        INVALID.len()
    );
    let mut failures = Vec::new();
    for &(query, line, column, fragment) in INVALID {
        match parse(query) {
            Ok(ast) => failures.push(format!("{query:?} parsed as {ast}")),
            Err(e) => {
                if (e.line, e.column) != (line, column) || !e.message.contains(fragment) {
                    failures.push(format!(
                        "{query:?}: expected {line}:{column} containing {fragment:?}, got {}:{} {:?}",
                        e.line, e.column, e.message
                    ));
                }
                let display = format!(
                    "parse error at line {}, column {}: {}",
                    e.line, e.column, e.message
                );
                assert_eq!(e.to_string(), display);
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn error_position_is_a_byte_offset() {
    // 'é' is two bytes: the column counts characters, the position counts bytes.
    let e: ParseError = parse("{ .é = }").unwrap_err();
    assert_eq!((e.line, e.column, e.position), (1, 8, 8));
    let e = parse("{ .a = 1 }\n\n   !").unwrap_err();
    assert_eq!((e.line, e.column, e.position), (3, 4, 15));
}

#[test]
fn earliest_error_wins() {
    // A syntax error before a later lexical error is the one reported, and vice versa.
    let e = parse("{ .a = } \"unterminated").unwrap_err();
    assert_eq!(e.column, 8);
    let e = parse("{ .a = \"unterminated").unwrap_err();
    assert_eq!(
        (e.column, e.message.as_str()),
        (8, "unterminated string literal")
    );
}

#[test]
fn parse_error_is_a_std_error() {
    let e: Box<dyn std::error::Error> = Box::new(parse("{").unwrap_err());
    assert!(
        e.to_string()
            .starts_with("parse error at line 1, column 2: ")
    );
}

#[test]
fn pathological_nesting_is_rejected_not_a_stack_overflow() {
    // Run on a thread with a small stack, like an async worker.
    let handle = std::thread::Builder::new()
        .stack_size(1 << 20)
        .spawn(|| {
            let deep_parens = format!("{{ {}span.a = 1{} }}", "(".repeat(5000), ")".repeat(5000));
            let deep_not = format!("{{ {}span.a }}", "!".repeat(5000));
            let deep_pow = format!("{{ span.a = {}2 }}", "2 ^ ".repeat(5000));
            let deep_spanset = format!("{}{{}}{}", "(".repeat(5000), ")".repeat(5000));
            for query in [deep_parens, deep_not, deep_pow, deep_spanset] {
                let e = parse(&query).unwrap_err();
                assert!(e.message.contains("nested too deeply"), "{}", e.message);
            }
            let long_chain = format!("{{ {} }}", vec!["span.a = 1"; 5000].join(" || "));
            let e = parse(&long_chain).unwrap_err();
            assert!(e.message.contains("too many operators"), "{}", e.message);
            let long_spanset = vec!["{ .a = 1 }"; 5000].join(" >> ");
            assert!(
                parse(&long_spanset)
                    .unwrap_err()
                    .message
                    .contains("too many operators")
            );

            // Just below the limits everything parses, prints and drops fine.
            let ok_parens = format!("{{ {}span.a = 1{} }}", "(".repeat(100), ")".repeat(100));
            let ok_chain = format!("{{ {} }}", vec!["span.a = 1"; 500].join(" || "));
            for query in [ok_parens, ok_chain] {
                let ast = parse(&query).unwrap();
                assert_eq!(parse(&ast.to_string()).unwrap(), ast);
            }
        })
        .unwrap();
    handle.join().unwrap();
}
