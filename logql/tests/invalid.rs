//! Acceptance tests: invalid queries fail at the exact byte position of the offending token,
//! with a message containing the given fragment.

use sightline_logql::{ParseError, parse};

/// (query, byte position, message fragment)
const INVALID: &[(&str, usize, &str)] = &[
    // Empty input.
    ("", 0, "empty query"),
    ("   # only a comment", 19, "empty query"),
    // Stream selectors.
    ("{}", 1, "a stream selector needs at least one"),
    (
        r#"{app="foo",}"#,
        11,
        r#"expected a label name after ",", found "}""#,
    ),
    (
        r#"{app="foo""#,
        10,
        r#"expected "}" or "," after a label matcher, found end of query"#,
    ),
    (
        r#"{app=="foo"}"#,
        4,
        r#"after label name "app", found "==""#,
    ),
    (r#"{app="foo" env="bar"}"#, 11, r#"expected "}" or ",""#),
    (
        r#"{app=foo}"#,
        5,
        r#"expected a string after "=", found "foo""#,
    ),
    (r#"{1a="b"}"#, 1, "expected a label name"),
    (r#"{app=""}"#, 0, "at least one regexp or equality matcher"),
    (r#"{app=~".*", env!="x"}"#, 0, "empty-compatible value"),
    (
        r#"{app=~"("}"#,
        6,
        "invalid regular expression \"(\": unclosed group",
    ),
    ("app=\"foo\"", 0, "expected a metric expression"),
    // Strings and characters.
    (r#"{app="foo}"#, 5, "unterminated string literal"),
    ("{app=`foo}", 5, "unterminated raw string literal"),
    (r#"{app="a\qb"}"#, 7, r#"invalid escape sequence "\q""#),
    ("{app=\"a\nb\"}", 5, "unterminated string literal"),
    (r#"{app="\xff"}"#, 5, "not valid UTF-8"),
    ("{app='foo'}", 5, "strings use double quotes or backticks"),
    (r#"{app="foo"} @"#, 12, "unexpected character \"@\""),
    // Line filters.
    (
        r#"{app="foo"} |= "#,
        15,
        r#"expected a string or ip("...") after "|=", found end"#,
    ),
    (r#"{app="foo"} |~ "(" "#, 15, "invalid regular expression"),
    (r#"{app="foo"} |= "a" or"#, 21, r#"after "or""#),
    (
        r#"{app="foo"} |~ ip("1.2.3.4")"#,
        15,
        r#"only work with "|=" and "!=""#,
    ),
    (r#"{app="foo"} |= ip("1.2.3")"#, 18, "invalid ip pattern"),
    (r#"{app="foo"} != 1"#, 15, "found \"1\""),
    // Parsers and stages.
    (r#"{app="foo"} | jsn"#, 14, "unknown pipeline stage \"jsn\""),
    (r#"{app="foo"} | "x""#, 14, "expected a pipeline stage"),
    (
        r#"{app="foo"} | json a="#,
        21,
        r#"expected a string after "a=""#,
    ),
    (
        r#"{app="foo"} | logfmt --stric"#,
        21,
        "unknown logfmt flag \"--stric\"",
    ),
    (
        r#"{app="foo"} | regexp "(\\d+)""#,
        21,
        "at least one named capture",
    ),
    (
        r#"{app="foo"} | regexp "(?P<a>""#,
        21,
        "invalid regular expression",
    ),
    (
        r#"{app="foo"} | pattern "<_> x""#,
        22,
        "at least one named capture",
    ),
    (
        r#"{app="foo"} | pattern "<a><b>""#,
        22,
        "separated by literal text",
    ),
    (
        r#"{app="foo"} | line_format"#,
        25,
        "expected a template string",
    ),
    (
        r#"{app="foo"} | label_format a=b, a="c""#,
        32,
        "label \"a\" is set twice",
    ),
    (
        r#"{app="foo"} | drop"#,
        18,
        "expected a label name after \"drop\"",
    ),
    (r#"{app="foo"} | keep a,"#, 21, "expected a label name"),
    // Label filters.
    (
        r#"{app="foo"} | level = "#,
        22,
        "expected a string, number, duration",
    ),
    (
        r#"{app="foo"} | status > "x""#,
        23,
        "strings can only be compared with",
    ),
    (
        r#"{app="foo"} | status == "x""#,
        24,
        "strings can only be compared with",
    ),
    (
        r#"{app="foo"} | duration > 5x"#,
        25,
        "invalid duration or byte size \"5x\"",
    ),
    (
        r#"{app="foo"} | size > -5MB"#,
        21,
        "a byte size cannot be negative",
    ),
    (
        r#"{app="foo"} | (a="1""#,
        20,
        r#"expected ")", "and" or "or""#,
    ),
    (r#"{app="foo"} | a="1" or"#, 22, "expected a label filter"),
    (
        r#"{app="foo"} | a ~ "x""#,
        14,
        "unknown pipeline stage \"a\"",
    ),
    (
        r#"{app="foo"} | a =~ 1"#,
        19,
        r#"expected a string after "=~""#,
    ),
    // Log queries used where they cannot be.
    (
        r#"{app="foo"} | unwrap x"#,
        14,
        "unwrap is only allowed in a metric query",
    ),
    (r#"{app="foo"} extra"#, 12, "expected a pipeline stage"),
    (
        r#"{app="foo"} [5m]"#,
        12,
        "only allowed inside a range aggregation",
    ),
    (
        r#"{app="foo"} + 1"#,
        12,
        "cannot be an operand of a binary operator",
    ),
    (r#"({app="foo"}) |= "x""#, 14, "expected a pipeline stage"),
    (
        r#"sum({app="foo"})"#,
        4,
        "a log selector can only appear inside a range aggregation",
    ),
    // Ranges and offsets.
    (r#"rate({app="foo"})"#, 16, "expected a range such as [5m]"),
    (
        r#"rate({app="foo"}[5x])"#,
        17,
        "invalid range duration \"5x\": unknown unit \"x\"",
    ),
    (
        r#"rate({app="foo"}[ 1.5m ])"#,
        18,
        "fractions are not allowed",
    ),
    (
        r#"rate({app="foo"}[30m1h])"#,
        17,
        "in the order y, w, d, h, m, s, ms",
    ),
    (r#"rate({app="foo"}[5m)"#, 16, "missing closing \"]\""),
    (
        r#"rate({app="foo"}[5m] offset)"#,
        27,
        "expected a duration such as 1h",
    ),
    (
        r#"rate({app="foo"}[5m] offset 5x)"#,
        28,
        "invalid offset duration \"5x\"",
    ),
    (
        r#"rate({app="foo"}[5m] | json [1m])"#,
        28,
        "range was already given",
    ),
    (
        r#"rate({app="foo"}[5m]"#,
        20,
        "expected \")\" to close rate(",
    ),
    ("count_over_time([5m])", 16, "expected a log selection"),
    // Functions and aggregations.
    (r#"foo({app="foo"}[5m])"#, 0, "unknown function \"foo\""),
    (
        r#"sum_over_time({app="foo"}[5m])"#,
        0,
        "sum_over_time needs an unwrapped range",
    ),
    (
        r#"count_over_time({app="foo"} | unwrap x [5m])"#,
        30,
        "cannot be used with unwrap",
    ),
    (
        r#"count_over_time({app="foo"}[5m]) by (a)"#,
        33,
        "grouping (by/without) is not allowed",
    ),
    (
        r#"quantile_over_time({app="foo"} | unwrap x [5m])"#,
        19,
        "needs a quantile first",
    ),
    (
        r#"rate(0.5, {app="foo"}[5m])"#,
        5,
        "rate does not take a parameter",
    ),
    (
        r#"sum_over_time({app="foo"} | unwrap x | json [5m])"#,
        39,
        "only label filters",
    ),
    (
        r#"sum_over_time({app="foo"} | unwrap x |= "y" [5m])"#,
        37,
        "only label filters",
    ),
    (
        r#"sum_over_time({app="foo"} | unwrap foo(x) [5m])"#,
        35,
        "unknown unwrap conversion",
    ),
    (
        r#"sum_over_time({app="foo"} | unwrap [5m])"#,
        35,
        "expected a label name after \"unwrap\"",
    ),
    (
        r#"topk(rate({app="foo"}[5m]))"#,
        5,
        "topk needs a parameter first",
    ),
    (
        r#"topk(0, rate({app="foo"}[5m]))"#,
        5,
        "positive whole number, found \"0\"",
    ),
    (
        r#"bottomk(1.5, rate({app="foo"}[5m]))"#,
        8,
        "positive whole number",
    ),
    (
        r#"sum(3, rate({app="foo"}[5m]))"#,
        4,
        "sum does not take a parameter",
    ),
    (
        r#"sum by (a) (rate({app="foo"}[5m])) by (b)"#,
        35,
        "already has a by/without",
    ),
    (
        r#"sort by (a) (rate({app="foo"}[5m]))"#,
        5,
        "does not support grouping",
    ),
    (
        r#"sum by (a,) (rate({app="foo"}[5m]))"#,
        10,
        "expected a label name",
    ),
    (
        r#"sum by a (rate({app="foo"}[5m]))"#,
        7,
        r#"expected "(" after "by""#,
    ),
    (r#"sum(rate({app="foo"}[5m])"#, 25, "to close sum("),
    ("vector(x)", 7, "expected a number inside vector("),
    (
        r#"label_replace(rate({a="b"}[5m]), "1x", "", "a", "b")"#,
        33,
        "invalid destination label",
    ),
    (
        r#"label_replace(rate({a="b"}[5m]), "x", "", "a", "(")"#,
        47,
        "invalid regular expression",
    ),
    (
        r#"label_replace(rate({a="b"}[5m]), "x", "", "a")"#,
        45,
        "before the regular expression",
    ),
    // Binary operators.
    (
        r#"rate({app="foo"}[5m]) +"#,
        23,
        "expected a metric expression",
    ),
    (
        r#"rate({app="foo"}[5m]) + bool 1"#,
        24,
        "only allowed on comparison operators",
    ),
    (
        r#"rate({app="foo"}[5m]) or 1"#,
        25,
        "right operand of \"or\"",
    ),
    (
        r#"1 and rate({app="foo"}[5m])"#,
        0,
        "left operand of \"and\"",
    ),
    (
        r#"rate({a="b"}[5m]) unless on (a) group_right rate({a="b"}[5m])"#,
        32,
        "not allowed with the set operator",
    ),
    (r#"rate({a="b"}[5m]) = 1"#, 18, "use \"==\" to compare"),
    (
        r#"rate({a="b"}[5m]) 1"#,
        18,
        "expected a binary operator or the end of the query",
    ),
    (
        r#"-rate({a="b"}[5m])"#,
        1,
        "expected a number after the sign",
    ),
    ("(1 + 2", 6, "expected \")\" or a binary operator"),
    ("1e999", 0, "out of range"),
    ("1.2.3", 0, "invalid number"),
];

#[test]
fn invalid_queries_fail_at_the_offending_token() {
    assert!(
        INVALID.len() >= 30,
        "only {} invalid queries",
        INVALID.len()
    );
    let mut failures = Vec::new();
    for &(query, position, fragment) in INVALID {
        match parse(query) {
            Ok(ast) => failures.push(format!("{query:?} parsed as {ast}")),
            Err(e) => {
                if e.position != position || !e.message.contains(fragment) {
                    failures.push(format!(
                        "{query:?}: got position {} {:?}, want position {position} containing {fragment:?}",
                        e.position, e.message
                    ));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn error_position_line_and_column() {
    // 'é' is two bytes: the column counts characters, the position counts bytes.
    let e: ParseError = parse(r#"{é="x"}"#).unwrap_err();
    assert_eq!((e.line, e.column, e.position), (1, 2, 1));
    let e =
        parse("sum by (app) (\n  rate({app=\"foo\"}[5m] |= \"é\"\n  | json |= )\n)").unwrap_err();
    assert_eq!((e.line, e.column, e.position), (3, 13, 58));
    assert_eq!(
        e.to_string(),
        format!("parse error at line 3, column 13: {}", e.message)
    );
}

#[test]
fn earliest_error_wins() {
    // A syntax error before a later lexical error is the one reported, and vice versa.
    let e = parse(r#"{app=} "unterminated"#).unwrap_err();
    assert_eq!(e.position, 5);
    let e = parse(r#"{app="unterminated"#).unwrap_err();
    assert_eq!(
        (e.position, e.message.as_str()),
        (5, "unterminated string literal")
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
    // Run on a thread with an async worker's stack (2 MiB, tokio's default), in a debug build.
    let handle = std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(|| {
            let rate = r#"rate({a="b"}[1m])"#;
            let deep = [
                format!("{}1{}", "(".repeat(5000), ")".repeat(5000)),
                format!("{}{rate}{}", "sum(".repeat(5000), ")".repeat(5000)),
                format!(
                    "{}{rate}{}",
                    "label_replace(".repeat(5000),
                    r#", "a", "", "b", "")"#.repeat(5000)
                ),
                format!("{}2", "2 ^ ".repeat(5000)),
                format!("{}{{a=\"b\"}}{}", "(".repeat(5000), ")".repeat(5000)),
                format!(
                    "count_over_time({}{{a=\"b\"}}{}[1m])",
                    "(".repeat(5000),
                    ")".repeat(5000)
                ),
                format!(
                    r#"{{a="b"}} | {}x="1"{}"#,
                    "(".repeat(5000),
                    ")".repeat(5000)
                ),
            ];
            for query in deep {
                let e = parse(&query).unwrap_err();
                assert!(e.message.contains("nested too deeply"), "{}", e.message);
            }
            let long = [
                vec![rate; 5000].join(" + "),
                format!(r#"{{a="b"}} | {}"#, vec![r#"x="1""#; 5000].join(" or ")),
                format!(r#"{{a="b"}} | {}"#, vec![r#"x="1""#; 5000].join(", ")),
                format!(r#"{{a="b"}} | {}"#, vec![r#"x="1""#; 5000].join(" ")),
            ];
            for query in long {
                let e = parse(&query).unwrap_err();
                assert!(e.message.contains("too many operators"), "{}", e.message);
            }

            // Just below the limits everything parses, prints and drops fine.
            let ok = [
                format!("{}1{}", "(".repeat(60), ")".repeat(60)),
                format!("{}{rate}{}", "sum(".repeat(60), ")".repeat(60)),
                format!(
                    "{}{rate}{}",
                    "label_replace(".repeat(60),
                    r#", "a", "", "b", "")"#.repeat(60)
                ),
                format!("{}2", "2 ^ ".repeat(60)),
                vec![rate; 900].join(" / "),
                format!(r#"{{a="b"}} | {}"#, vec![r#"x="1""#; 900].join(", ")),
                format!(r#"{{a="b"}} | {}"#, vec![r#"x="1""#; 900].join(" and ")),
            ];
            for query in ok {
                let ast = parse(&query).unwrap_or_else(|e| panic!("{e}"));
                assert_eq!(parse(&ast.to_string()).unwrap(), ast);
            }
        })
        .unwrap();
    handle.join().unwrap();
}
