//! The fused aggregation path gives exactly what the general path gives: each query is run as
//! written (fused) and with its argument in parentheses (which the fused path does not take).

use crate::types::{QueryParams, Value};
use crate::{evaluate, parse};

use super::data::MemSource;

/// Every value's bits, so NaN compares equal to NaN and -0 differs from 0.
fn exact(v: &Value) -> String {
    match v {
        Value::Matrix(series) => series
            .iter()
            .map(|s| {
                let pts: Vec<String> = s
                    .points
                    .iter()
                    .map(|(t, v)| format!("{t}:{:x}", v.to_bits()))
                    .collect();
                format!("{:?} {}", s.labels, pts.join(" "))
            })
            .collect::<Vec<_>>()
            .join("\n"),
        Value::Vector(samples) => samples
            .iter()
            .map(|s| format!("{:?} {:x}", s.labels, s.value.to_bits()))
            .collect::<Vec<_>>()
            .join("\n"),
        other => format!("{other:?}"),
    }
}

fn both(query: &str, general: &str, params: &QueryParams) {
    let run = |q: &str| {
        let expr = parse(q).unwrap_or_else(|e| panic!("{q}: {e}"));
        exact(&evaluate(&expr, params, &mut MemSource::new()).unwrap())
    };
    let (fused, plain) = (run(query), run(general));
    assert_eq!(fused, plain, "{query}");
}

#[test]
fn fused_aggregations_equal_the_general_path() {
    let aggregations = [
        "sum", "avg", "min", "max", "count", "group", "stddev", "stdvar",
    ];
    let functions = [
        "rate",
        "increase",
        "delta",
        "irate",
        "idelta",
        "deriv",
        "changes",
        "resets",
        "avg_over_time",
        "sum_over_time",
        "count_over_time",
        "min_over_time",
        "max_over_time",
        "present_over_time",
        "stddev_over_time",
    ];
    let selectors = [
        "http_requests_total[1m]",
        "temperature[2m] offset 1m",
        "otel_calls[1m]",
        "stale_metric[5m]",
        "{__name__=~\"http.*|temperature\"}[90s]",
    ];
    let groupings = ["", " by (job)", " without (instance)", " by (__name__)"];
    let range = QueryParams::range(0, 600_000, 15_000);
    let instant = QueryParams::instant(300_000);
    // 120 combinations: every function with each aggregation, selector and grouping in turn
    // (the lengths 8, 15, 5 and 4 make every pair of aggregation and function appear).
    for i in 0..120 {
        let (agg, f) = (aggregations[i % 8], functions[i % 15]);
        let (sel, g) = (selectors[i % 5], groupings[(i / 5) % 4]);
        let query = format!("{agg}{g} ({f}({sel}))");
        let general = format!("{agg}{g} (({f}({sel})))");
        both(&query, &general, &range);
        both(&query, &general, &instant);
    }
    // Inside subqueries the aggregation is evaluated at times on and off the query's grid.
    for (query, general) in [
        (
            "max_over_time(sum by (job) (rate(http_requests_total[1m]))[2m:20s])",
            "max_over_time(sum by (job) ((rate(http_requests_total[1m])))[2m:20s])",
        ),
        (
            "sum_over_time(count(changes(temperature[2m]))[3m:45s]) + sum(rate(otel_calls[1m]))",
            "sum_over_time(count((changes(temperature[2m])))[3m:45s]) + sum((rate(otel_calls[1m])))",
        ),
    ] {
        both(query, general, &range);
        both(query, general, &QueryParams::range(7_000, 400_000, 13_000));
    }
}
