//! The table of instant queries with expected results computed by hand from Prometheus's
//! documented semantics (see `data.rs` for the dataset).

use super::instant;

/// `(query, evaluation time in seconds, expected rendering)`.
const CASES: &[(&str, f64, &str)] = &[
    // Selectors, lookback, staleness, offset, @.
    (
        r#"http_requests_total{instance="a"}"#,
        300.0,
        r#"http_requests_total{instance="a",job="api"} 300"#,
    ),
    (
        r#"temperature{room="x"}"#,
        330.0,
        r#"temperature{room="x"} 5"#,
    ),
    (
        r#"temperature{room="x"}"#,
        599.999,
        r#"temperature{room="x"} 5"#,
    ),
    (r#"temperature{room="x"}"#, 600.0, ""),
    ("stale_metric", 100.0, r#"stale_metric{k="v"} 2"#),
    ("stale_metric", 130.0, ""),
    (
        r#"temperature{room="x"} offset 1m"#,
        300.0,
        r#"temperature{room="x"} 25"#,
    ),
    (
        r#"temperature{room="x"} @ 120"#,
        300.0,
        r#"temperature{room="x"} 15"#,
    ),
    (
        r#"temperature{room="x"} @ 180 offset 1m"#,
        0.0,
        r#"temperature{room="x"} 15"#,
    ),
    (
        r#"temperature{room=~"x|z"}"#,
        300.0,
        r#"temperature{room="x"} 5"#,
    ),
    // Rate family: window (240, 300] holds 255..300: 270 280 290 300, extrapolated by 15 s.
    (
        r#"rate(http_requests_total{instance="a"}[1m])"#,
        300.0,
        r#"{instance="a",job="api"} 0.666667"#,
    ),
    // Window (0, 300]: 110..300 over 285 s, extrapolated to 300 s: 190 * 300 / 285.
    (
        r#"increase(http_requests_total{instance="a"}[5m])"#,
        300.0,
        r#"{instance="a",job="api"} 200"#,
    ),
    // Near the series start: window (-40, 20], points 0 (100), 15 (110): 10 * (15 + 7.5 + 5) / 15.
    (
        r#"increase(http_requests_total{instance="a"}[1m])"#,
        20.0,
        r#"{instance="a",job="api"} 18.333333"#,
    ),
    // Counter starting at 0: extrapolation stops at zero: 5 * (15 + 0 + 5) / 15.
    (
        r#"increase(http_requests_total{instance="b"}[1m])"#,
        20.0,
        r#"{instance="b",job="api"} 6.666667"#,
    ),
    // Near the series end: window (280, 340], 285 (290), 300 (300): 10 * (15 + 5 + 7.5) / 15 / 60.
    (
        r#"rate(http_requests_total{instance="a"}[1m])"#,
        340.0,
        r#"{instance="a",job="api"} 0.305556"#,
    ),
    // Across the reset: 45, 0, 5, 10 → 10 - 45 + 45 = 10, extrapolated 60/45.
    (
        r#"increase(http_requests_total{instance="b"}[1m])"#,
        180.0,
        r#"{instance="b",job="api"} 13.333333"#,
    ),
    (
        r#"resets(http_requests_total{instance="b"}[5m])"#,
        300.0,
        r#"{instance="b",job="api"} 1"#,
    ),
    (
        r#"irate(http_requests_total{instance="b"}[1m])"#,
        150.0,
        r#"{instance="b",job="api"} 0"#,
    ),
    (
        r#"irate(http_requests_total{instance="b"}[1m])"#,
        165.0,
        r#"{instance="b",job="api"} 0.333333"#,
    ),
    (r#"rate(http_requests_total{instance="a"}[10s])"#, 300.0, ""),
    (
        r#"idelta(temperature{room="x"}[2m])"#,
        300.0,
        r#"{room="x"} -20"#,
    ),
    // Gauge delta: 25 → 5 over 60 s, extrapolated fully to the 120 s window.
    (
        r#"delta(temperature{room="x"}[2m])"#,
        300.0,
        r#"{room="x"} -40"#,
    ),
    (
        r#"deriv(temperature{room="y"}[5m])"#,
        300.0,
        r#"{room="y"} 0.016667"#,
    ),
    (
        r#"predict_linear(temperature{room="y"}[5m], 60)"#,
        300.0,
        r#"{room="y"} 7"#,
    ),
    // Delta temporality: the window's increments summed.
    ("rate(otel_calls[1m])", 300.0, r#"{svc="d"} 0.1"#),
    ("increase(otel_calls[5m])", 300.0, r#"{svc="d"} 30"#),
    // *_over_time over (0, 300]: x = 20 15 30 25 5, y = 2 3 4 5 6.
    (
        r#"avg_over_time(temperature{room="x"}[5m])"#,
        300.0,
        r#"{room="x"} 19"#,
    ),
    (
        r#"min_over_time(temperature{room="x"}[5m])"#,
        300.0,
        r#"{room="x"} 5"#,
    ),
    (
        r#"max_over_time(temperature{room="x"}[5m])"#,
        300.0,
        r#"{room="x"} 30"#,
    ),
    (
        r#"sum_over_time(temperature{room="x"}[5m])"#,
        300.0,
        r#"{room="x"} 95"#,
    ),
    (
        r#"count_over_time(temperature{room="x"}[5m])"#,
        300.0,
        r#"{room="x"} 5"#,
    ),
    (
        r#"last_over_time(temperature{room="x"}[5m])"#,
        300.0,
        r#"temperature{room="x"} 5"#,
    ),
    (
        r#"present_over_time(temperature{room="x"}[5m])"#,
        300.0,
        r#"{room="x"} 1"#,
    ),
    (
        r#"quantile_over_time(0.5, temperature{room="x"}[5m])"#,
        300.0,
        r#"{room="x"} 20"#,
    ),
    (
        r#"quantile_over_time(0.9, temperature{room="x"}[5m])"#,
        300.0,
        r#"{room="x"} 28"#,
    ),
    (
        r#"stdvar_over_time(temperature{room="y"}[5m])"#,
        300.0,
        r#"{room="y"} 2"#,
    ),
    (
        r#"stddev_over_time(temperature{room="y"}[5m])"#,
        300.0,
        r#"{room="y"} 1.414214"#,
    ),
    (
        r#"changes(temperature{room="x"}[5m])"#,
        300.0,
        r#"{room="x"} 4"#,
    ),
    (
        r#"absent_over_time(nonexistent{job="x"}[5m])"#,
        300.0,
        r#"{job="x"} 1"#,
    ),
    ("absent_over_time(temperature[5m])", 300.0, ""),
    (
        r#"absent(nonexistent{job="x",a=~"b"})"#,
        300.0,
        r#"{job="x"} 1"#,
    ),
    ("absent(temperature)", 300.0, ""),
    // Subqueries: inner steps 60 … 300 and 255 … 300.
    (
        r#"max_over_time(temperature{room="x"}[5m:1m])"#,
        300.0,
        r#"{room="x"} 30"#,
    ),
    ("sum_over_time(vector(1)[1m:15s])", 300.0, "{} 4"),
    // Aggregations.
    ("sum(http_requests_total)", 300.0, "{} 350"),
    (
        "sum by (job) (http_requests_total)",
        300.0,
        r#"{job="api"} 350"#,
    ),
    (
        "sum without (instance) (http_requests_total)",
        300.0,
        r#"{job="api"} 350"#,
    ),
    ("avg(temperature)", 300.0, "{} 5.5"),
    ("min(temperature)", 300.0, "{} 5"),
    ("max(temperature)", 300.0, "{} 6"),
    ("count(temperature)", 300.0, "{} 2"),
    ("stddev(temperature)", 300.0, "{} 0.5"),
    ("stdvar(temperature)", 300.0, "{} 0.25"),
    (
        "group by (room) (temperature)",
        300.0,
        r#"{room="x"} 1 | {room="y"} 1"#,
    ),
    (
        "topk(2, score)",
        300.0,
        r#"score{p="2"} 7 | score{p="3"} 7"#,
    ),
    ("topk(1, score)", 300.0, r#"score{p="2"} 7"#),
    (
        "bottomk(2, score)",
        300.0,
        r#"score{p="4"} 1 | score{p="1"} 5"#,
    ),
    ("quantile(0.5, score)", 300.0, "{} 6"),
    (
        r#"count_values("val", score)"#,
        300.0,
        r#"{val="1"} 1 | {val="5"} 1 | {val="7"} 2"#,
    ),
    (
        "count by (instance) (cpu)",
        300.0,
        r#"{instance="a"} 2 | {instance="b"} 1"#,
    ),
    // Binary operators.
    ("1 + 2 * 3", 300.0, "scalar 7"),
    ("2 ^ 3 ^ 2", 300.0, "scalar 512"),
    ("1 < bool 2", 300.0, "scalar 1"),
    (r#"temperature{room="x"} * 2"#, 300.0, r#"{room="x"} 10"#),
    ("temperature > 5", 300.0, r#"temperature{room="y"} 6"#),
    ("5.5 < temperature", 300.0, r#"temperature{room="y"} 6"#),
    (
        "temperature > bool 5",
        300.0,
        r#"{room="x"} 0 | {room="y"} 1"#,
    ),
    (
        r#"temperature{room="x"} + ignoring(room) temperature{room="y"}"#,
        300.0,
        "{} 11",
    ),
    (
        "http_requests_total / http_requests_total",
        300.0,
        r#"{instance="a",job="api"} 1 | {instance="b",job="api"} 1"#,
    ),
    (
        "cpu * on(instance) group_left(os) machine_info",
        300.0,
        r#"{instance="a",mode="sys",os="linux"} 1 | {instance="a",mode="user",os="linux"} 3 | {instance="b",mode="user",os="mac"} 5"#,
    ),
    (
        "machine_info * on(instance) group_right(os) cpu",
        300.0,
        r#"{instance="a",mode="sys",os="linux"} 1 | {instance="a",mode="user",os="linux"} 3 | {instance="b",mode="user",os="mac"} 5"#,
    ),
    (
        "cpu * on(instance) machine_info",
        300.0,
        "ERR multiple matches for labels: many-to-one",
    ),
    (
        "machine_info * on(instance) cpu",
        300.0,
        "ERR found duplicate series for the match group",
    ),
    (
        r#"temperature and temperature{room="x"}"#,
        300.0,
        r#"temperature{room="x"} 5"#,
    ),
    (
        r#"temperature{room="x"} or temperature"#,
        300.0,
        r#"temperature{room="x"} 5 | temperature{room="y"} 6"#,
    ),
    (
        r#"temperature unless temperature{room="x"}"#,
        300.0,
        r#"temperature{room="y"} 6"#,
    ),
    (
        r#"cpu and on(instance) machine_info{os="linux"}"#,
        300.0,
        r#"cpu{instance="a",mode="sys"} 1 | cpu{instance="a",mode="user"} 3"#,
    ),
    // histogram_quantile: api rank 25 in (0.1, 0.5]; web's le=2 bucket is fixed to 10.
    (
        "histogram_quantile(0.5, req_duration_bucket)",
        300.0,
        r#"{job="api"} 0.4 | {job="web"} 3"#,
    ),
    (
        r#"histogram_quantile(0.9, req_duration_bucket{job="api"})"#,
        300.0,
        r#"{job="api"} 1"#,
    ),
    (
        r#"histogram_quantile(0.05, req_duration_bucket{job="api"})"#,
        300.0,
        r#"{job="api"} 0.025"#,
    ),
    (
        "histogram_quantile(0.5, sum by (le) (req_duration_bucket))",
        300.0,
        "{} 0.875",
    ),
    // Labels.
    (
        r#"label_replace(temperature{room="x"}, "dst", "r-$1", "room", "(.*)")"#,
        300.0,
        r#"temperature{dst="r-x",room="x"} 5"#,
    ),
    (
        r#"label_replace(temperature{room="x"}, "dst", "$1", "room", "z")"#,
        300.0,
        r#"temperature{room="x"} 5"#,
    ),
    (
        r#"label_join(cpu{instance="b"}, "j", "-", "instance", "mode")"#,
        300.0,
        r#"cpu{instance="b",j="b-user",mode="user"} 5"#,
    ),
    // Math and conversions.
    (r#"abs(-temperature{room="x"})"#, 300.0, r#"{room="x"} 5"#),
    (r#"sgn(-temperature{room="x"})"#, 300.0, r#"{room="x"} -1"#),
    (
        r#"round(temperature{room="y"} / 4)"#,
        300.0,
        r#"{room="y"} 2"#,
    ),
    (
        r#"round(temperature{room="x"}, 2)"#,
        300.0,
        r#"{room="x"} 6"#,
    ),
    (
        r#"ceil(temperature{room="y"} / 4)"#,
        300.0,
        r#"{room="y"} 2"#,
    ),
    (
        r#"floor(temperature{room="y"} / 4)"#,
        300.0,
        r#"{room="y"} 1"#,
    ),
    (
        "clamp(temperature, 5.5, 10)",
        300.0,
        r#"{room="x"} 5.5 | {room="y"} 6"#,
    ),
    ("clamp(temperature, 10, 5)", 300.0, ""),
    (
        "clamp_max(temperature, 5.5)",
        300.0,
        r#"{room="x"} 5 | {room="y"} 5.5"#,
    ),
    (
        "clamp_min(temperature, 5.5)",
        300.0,
        r#"{room="x"} 5.5 | {room="y"} 6"#,
    ),
    ("sqrt(vector(16))", 300.0, "{} 4"),
    ("exp(vector(0))", 300.0, "{} 1"),
    ("ln(vector(1))", 300.0, "{} 0"),
    ("log2(vector(8))", 300.0, "{} 3"),
    ("log10(vector(1000))", 300.0, "{} 3"),
    ("time()", 300.0, "scalar 300"),
    ("vector(time())", 300.0, "{} 300"),
    (r#"scalar(temperature{room="x"})"#, 300.0, "scalar 5"),
    ("scalar(temperature)", 300.0, "scalar NaN"),
    (
        "sort_desc(temperature)",
        300.0,
        r#"temperature{room="y"} 6 | temperature{room="x"} 5"#,
    ),
    (
        "sort(score)",
        300.0,
        r#"score{p="4"} 1 | score{p="1"} 5 | score{p="2"} 7 | score{p="3"} 7"#,
    ),
    (
        r#"timestamp(temperature{room="x"})"#,
        330.0,
        r#"{room="x"} 300"#,
    ),
    (r#""hello""#, 300.0, "string hello"),
];

#[test]
fn table_of_instant_queries() {
    let mut failures = Vec::new();
    for &(query, t, want) in CASES {
        let got = instant(query, t).unwrap_or_else(|e| format!("ERR {e}"));
        let ok = match want.strip_prefix("ERR ") {
            Some(msg) => got.starts_with("ERR") && got.contains(msg),
            None => got == want,
        };
        if !ok {
            failures.push(format!("{query} @ {t}\n   want: {want}\n    got: {got}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        CASES.len(),
        failures.join("\n")
    );
}

#[test]
fn table_has_at_least_fifty_cases() {
    assert!(CASES.len() >= 50);
}
