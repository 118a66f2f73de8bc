//! Acceptance tests: every query here must parse, and its canonical `Display` must parse back
//! to an equal AST. `ast.rs` checks a representative subset against hand-built trees and
//! `canonical.rs` the exact printed form of some queries.

mod ast;
mod canonical;

use sightline_logql::parse;

const VALID: &[&str] = &[
    // Stream selectors.
    r#"{app="foo"}"#,
    r#"{app="foo", env=~"prod|dev", level!="debug", ns!~"kube-.*"}"#,
    r#"{app = "foo" , env =~ "prod|dev"}"#,
    r#"{app=`foo`, path=~`/api/\d+`}"#,
    r#"{app="a\"b\\c\n\t\u00e9\x41\101\U0001F600"}"#,
    r#"{json="x", by="y", offset="z", rate="w"}"#,
    r#"{__name__="logs", _a1="b"}"#,
    r#"{app=~".+"}"#,
    r#"{app="foo", team=""}"#,
    r#"({app="foo"})"#,
    // Line filters.
    r#"{app="foo"} |= "error""#,
    r#"{app="foo"} != "debug""#,
    r#"{app="foo"} |~ "err(or)?" !~ "timeout.*""#,
    r#"{app="foo"} |= "a" |= "b" != "c" |~ "d" !~ "e""#,
    r#"{app="foo"} |= "a" or "b""#,
    r#"{app="foo"} != "a" or "b" or "c""#,
    r#"{app="foo"} |~ "a+" or "b+""#,
    r#"{app="foo"} |= ip("10.0.0.0/8")"#,
    r#"{app="foo"} != ip("192.168.0.1-192.168.0.255")"#,
    r#"{app="foo"} |= ip("::1") or "localhost""#,
    r#"{app="foo"} |> "<_> error <_>""#,
    r#"{app="foo"} !> "<_> debug <_>""#,
    r#"{app="foo"} |= `raw\d` |= """#,
    // Parsers.
    r#"{app="foo"} | json"#,
    r#"{app="foo"} | json a="x.y", b="z[0]""#,
    r#"{app="foo"} | json first, second="a.b""#,
    r#"{app="foo"} | json a=`["key with space"]`"#,
    r#"{app="foo"} | logfmt"#,
    r#"{app="foo"} | logfmt --strict"#,
    r#"{app="foo"} | logfmt --strict --keep-empty"#,
    r#"{app="foo"} | logfmt --keep-empty a, b="c""#,
    r#"{app="foo"} | logfmt a, b="c""#,
    r#"{app="foo"} | regexp "(?P<x>\\d+)""#,
    r#"{app="foo"} | regexp `(?P<method>\w+) (?P<path>\S+)`"#,
    r#"{app="foo"} | pattern "<ip> - <_> [<ts>] \"<method> <path>\"""#,
    r#"{app="foo"} | unpack"#,
    r#"{app="foo"} | JSON | LogFmt"#,
    // Label filters.
    r#"{app="foo"} | json | level="error""#,
    r#"{app="foo"} | logfmt | status >= 400"#,
    r#"{app="foo"} | logfmt | status == 400 | code = 500 | x != 1"#,
    r#"{app="foo"} | logfmt | duration > 1m30s"#,
    r#"{app="foo"} | logfmt | latency <= 250ms and latency > 1.5s"#,
    r#"{app="foo"} | logfmt | latency > 1us and latency < 1µs and x >= 10ns and y < 2h45m"#,
    r#"{app="foo"} | logfmt | size > 20MB"#,
    r#"{app="foo"} | logfmt | size > 1B and size < 1kB and size < 1KB and size <= 1KiB"#,
    r#"{app="foo"} | logfmt | size >= 2.5MiB or size > 3GB or size > 4GiB or size > 1TiB"#,
    r#"{app="foo"} | logfmt | x =~ "re.*" | y !~ "z""#,
    r#"{app="foo"} | json | level="error" and status >= 500"#,
    r#"{app="foo"} | json | level="error" or level="warn""#,
    r#"{app="foo"} | json | level="error", status >= 500"#,
    r#"{app="foo"} | json | level="error" status >= 500"#,
    r#"{app="foo"} | json | (level="error" or level="warn") and status >= 500"#,
    r#"{app="foo"} | json | level="error" or (status >= 500 and method!="GET")"#,
    r#"{app="foo"} | json | a="1" or b="2", c="3" and d="4""#,
    r#"{app="foo"} | json | __error__ = """#,
    r#"{app="foo"} | json | label_name != """#,
    r#"{app="foo"} | json | x > -1 and y < +2.5 and z == 1e3"#,
    r#"{app="foo"} | json | offset > -5s"#,
    r#"{app="foo"} | logfmt | addr = ip("10.0.0.0/8")"#,
    r#"{app="foo"} | logfmt | addr != ip("2001:db8::/32")"#,
    r#"{app="foo"} | json | json = "x" | by == 2 | unwrap = "y""#,
    r#"{app="foo"} | json | level="error" AND status >= 500 OR x="y""#,
    // Formatting and label manipulation.
    r#"{app="foo"} | line_format "{{.foo}} {{ .bar | ToUpper }}""#,
    r#"{app="foo"} | line_format `{{ if eq .level "error" }}ERR{{ end }}`"#,
    r#"{app="foo"} | label_format new=old"#,
    r#"{app="foo"} | label_format new=old, x="{{.y}}""#,
    r#"{app="foo"} | drop a, b, c="v""#,
    r#"{app="foo"} | drop a!="", b=~"x.*", c!~"y""#,
    r#"{app="foo"} | keep a, b"#,
    r#"{app="foo"} | keep a, level="error""#,
    r#"{app="foo"} | decolorize"#,
    r#"{app="foo"} |= "x" | json | line_format "{{.msg}}" | label_format lvl=level | keep lvl | decolorize"#,
    // Range aggregations.
    r#"count_over_time({app="foo"}[5m])"#,
    r#"rate({app="foo"} |= "error" [1m])"#,
    r#"bytes_over_time({app="foo"}[1h])"#,
    r#"bytes_rate({app="foo"}[30s])"#,
    r#"absent_over_time({app="foo"}[5m])"#,
    r#"rate({app="foo"}[5m] offset 1h)"#,
    r#"count_over_time({app="foo"}[1h30m] offset 1d)"#,
    r#"count_over_time({app="foo"}[1w])"#,
    r#"count_over_time({app="foo"}[1y])"#,
    r#"count_over_time({app="foo"}[500ms])"#,
    r#"count_over_time({app="foo"}[5m] | json | level="error")"#,
    r#"count_over_time({app="foo"}[5m] offset 10m |= "x")"#,
    r#"count_over_time(({app="foo"} |= "x")[5m])"#,
    r#"count_over_time(({app="foo"} |= "x")[5m] offset 5m)"#,
    r#"count_over_time(({app="foo"}[5m]))"#,
    r#"rate({app="foo"}[5m] offset -1h)"#,
    r#"sum_over_time({app="foo"} | logfmt | unwrap bytes [5m])"#,
    r#"avg_over_time({app="foo"} | logfmt | unwrap latency [5m])"#,
    r#"min_over_time({app="foo"} | unwrap duration(latency) [5m])"#,
    r#"max_over_time({app="foo"} | unwrap bytes(size) [5m])"#,
    r#"stdvar_over_time({app="foo"} | unwrap duration_seconds(x) [5m])"#,
    r#"stddev_over_time({app="foo"} | unwrap x | __error__="" [5m])"#,
    r#"first_over_time({app="foo"} | unwrap x [5m])"#,
    r#"last_over_time({app="foo"} | unwrap x [5m]) by (app)"#,
    r#"rate_counter({app="foo"} | unwrap x [5m])"#,
    r#"rate({app="foo"} | unwrap x [5m])"#,
    r#"absent_over_time({app="foo"} | unwrap x [5m])"#,
    r#"quantile_over_time(0.99, {app="foo"} | json | unwrap latency | __error__="" [5m]) by (path)"#,
    r#"quantile_over_time(.5, {app="foo"} | unwrap latency [1m]) without (pod, instance)"#,
    r#"sum_over_time({a="b"} | unwrap x [5m]) by (a)"#,
    r#"sum_over_time({a="b"} | unwrap x | __error__="" | x > 0 [5m]) by ()"#,
    r#"sum_over_time({a="b"}[5m] | json | unwrap x)"#,
    r#"sum_over_time(({a="b"} | json | unwrap x)[5m] offset 1m)"#,
    r#"sum_over_time({a="b"} | unwrap x | (y="1" or z="2") [5m])"#,
    // Vector aggregations.
    r#"sum(rate({app="foo"}[5m]))"#,
    r#"sum by (app) (rate({app="foo"}[5m]))"#,
    r#"sum(rate({app="foo"}[5m])) by (app, env)"#,
    r#"avg without (pod) (count_over_time({app="foo"}[5m]))"#,
    r#"min(count_over_time({app="foo"}[5m]))"#,
    r#"max(count_over_time({app="foo"}[5m])) without ()"#,
    r#"count(count_over_time({app="foo"}[5m]))"#,
    r#"stddev(count_over_time({app="foo"}[5m]))"#,
    r#"stdvar by () (count_over_time({app="foo"}[5m]))"#,
    r#"topk(3, sum by (app) (rate({app="foo"}[5m])))"#,
    r#"bottomk by (env) (5, rate({app="foo"}[5m]))"#,
    r#"topk(10, rate({app="foo"}[5m])) by (env)"#,
    r#"sort(rate({app="foo"}[5m]))"#,
    r#"sort_desc(rate({app="foo"}[5m]))"#,
    r#"approx_topk(5, rate({app="foo"}[5m]))"#,
    r#"SUM BY (app) (RATE({app="foo"}[5m]))"#,
    r#"sum(sum by (a) (rate({app="foo"}[5m])))"#,
    // Binary operators.
    r#"sum(rate({app="foo"}[5m])) / sum(rate({app="bar"}[5m]))"#,
    r#"rate({app="foo"}[5m]) * 100 + 1 - 2 / 3 % 4 ^ 2"#,
    r#"rate({app="foo"}[5m]) > 10"#,
    r#"rate({app="foo"}[5m]) > bool 10"#,
    r#"rate({app="foo"}[5m]) == 0 or rate({app="foo"}[5m]) != 1"#,
    r#"rate({a="b"}[5m]) >= 1 and rate({a="b"}[5m]) <= 2 unless rate({a="b"}[5m]) < 0"#,
    r#"sum by (a) (rate({x="y"}[5m])) / on (a) group_left (b) sum by (a, b) (rate({x="y"}[5m]))"#,
    r#"sum by (a) (rate({x="y"}[5m])) / ignoring (b) group_right sum by (a) (rate({x="y"}[5m]))"#,
    r#"rate({x="y"}[5m]) + on () rate({x="z"}[5m])"#,
    r#"rate({x="y"}[5m]) and ignoring (a) rate({x="z"}[5m])"#,
    r#"(rate({x="y"}[5m]) + rate({x="z"}[5m])) * 2"#,
    r#"2 ^ 3 ^ 2 * rate({x="y"}[5m])"#,
    r#"(2 ^ 3) ^ 2"#,
    r#"-1 + 2 * -3"#,
    r#"1 - -1"#,
    r#"rate({x="y"}[5m]) - (rate({x="y"}[5m]) - 1)"#,
    r#"sum(rate({x="y"}[5m])) or vector(0)"#,
    r#"vector(0)"#,
    r#"vector(-1.5)"#,
    r#"42"#,
    r#"1e-3 + .5"#,
    r#"label_replace(rate({app="foo"}[5m]), "dst", "$1", "src", "(.*)")"#,
    r#"label_replace(sum by (pod) (rate({app="foo"}[5m])), "node", "${1}-x", "pod", "([a-z]+)-.*")"#,
    // Whitespace, comments, case.
    "{app=\"foo\"} # a comment\n|= \"x\" # another\n| json",
    "# leading comment\nrate({app=\"foo\"}[5m]) # trailing",
    "\n\tsum by (app)\n\t(\n\t\trate({app=\"foo\"}[5m])\n\t)\n",
    r#"{app="foo"}|="x"|json|level="error"|line_format"{{.x}}""#,
    r##"{app="foo"} |= "# not a comment""##,
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
fn metric_and_log_queries_are_told_apart() {
    assert!(!parse(r#"{app="foo"} | json"#).unwrap().is_metric());
    assert!(parse(r#"rate({app="foo"}[5m])"#).unwrap().is_metric());
    assert!(parse("vector(1)").unwrap().is_metric());
    let query = parse(r#"rate({a="1"}[1m]) / rate({b="2"} | json [1m]) + vector(0)"#).unwrap();
    let selectors: Vec<_> = query
        .log_exprs()
        .iter()
        .map(|log| log.selector[0].name.clone())
        .collect();
    assert_eq!(selectors, ["a", "b"]);
}
