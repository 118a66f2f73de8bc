//! Randomized check (fixed seeds) that the streaming range aggregations equal a naive
//! evaluation that, at every step, gathers the window's samples and applies the function.

use std::collections::BTreeMap;

use super::super::{EvalParams, Sample, SampleSource, Value};
use super::{Lcg, Line, Order, S, Stream, TestSource, run};
use crate::ast::{Expr, MetricExpr};
use crate::labels::Labels;

fn random_streams(rng: &mut Lcg) -> Vec<Stream> {
    (0..4)
        .map(|i| {
            let count = 100 + rng.below(300);
            let lines = (0..count)
                .map(|_| {
                    // A third of the lines sit on whole seconds, often window boundaries.
                    let time = if rng.below(3) == 0 {
                        rng.below(4000) as i64 * S
                    } else {
                        rng.below(4000 * S as u64) as i64
                    };
                    Line {
                        time,
                        bytes: 1 + rng.below(500) as usize,
                        value: (rng.below(10) != 0).then(|| (rng.unit() * 200.0 - 50.0).round()),
                    }
                })
                .collect();
            Stream {
                labels: Labels::from_pairs([("job", ["a", "b"][i % 2]), ("inst", &i.to_string())]),
                error: None,
                lines,
            }
        })
        .collect()
}

/// A recorded sample: labels, time, bytes, value.
type Recorded = (Labels, i64, usize, Option<f64>);

/// The samples the source feeds for the query's (single) log range, in feeding order.
fn record(source: &mut TestSource, expr: &MetricExpr, from: i64, to: i64) -> Vec<Recorded> {
    let range = expr.log_ranges()[0].clone();
    let mut out = Vec::new();
    let mut sink = |s: Sample<'_>| out.push((s.labels.clone(), s.time, s.line_bytes, s.value));
    source.samples(&range, from, to, &mut sink).unwrap();
    source.calls.clear();
    out
}

fn naive_value(op: &str, points: &[(i64, f64, usize)], seconds: f64) -> f64 {
    let values: Vec<f64> = points.iter().map(|p| p.1).collect();
    let n = values.len() as f64;
    let sum: f64 = values.iter().sum();
    let bytes: f64 = points.iter().map(|p| p.2 as f64).sum();
    let variance = {
        let mean = sum / n;
        values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n
    };
    match op {
        "count_over_time" => n,
        "rate" => n / seconds,
        "bytes_over_time" => bytes,
        "bytes_rate" => bytes / seconds,
        "sum_over_time" => sum,
        "rate_unwrap" => sum / seconds,
        "avg_over_time" => sum / n,
        "min_over_time" => values.iter().copied().fold(f64::INFINITY, f64::min),
        "max_over_time" => values.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        "stdvar_over_time" => variance,
        "stddev_over_time" => variance.sqrt(),
        "first_over_time" => values[0],
        "last_over_time" => values[values.len() - 1],
        "quantile_over_time" => {
            let mut sorted = values.clone();
            sorted.sort_by(f64::total_cmp);
            let rank = 0.3 * (n - 1.0);
            let (lower, upper) = (rank.floor() as usize, rank.ceil() as usize);
            let weight = rank - rank.floor();
            sorted[lower] * (1.0 - weight) + sorted[upper] * weight
        }
        _ => unreachable!("{op}"),
    }
}

/// The expected matrix: for each step, each series' window, computed from scratch.
#[allow(clippy::too_many_arguments)]
fn naive(
    op: &str,
    samples: &[Recorded],
    by_job: bool,
    steps: &[i64],
    range: i64,
    offset: i64,
    unwrap: bool,
) -> BTreeMap<String, Vec<(i64, f64)>> {
    // (key, time, value, bytes) in time order, ties in feeding order.
    let mut keyed: Vec<(String, i64, f64, usize)> = samples
        .iter()
        .filter(|s| !unwrap || s.3.is_some())
        .map(|(labels, time, bytes, value)| {
            let key = if by_job {
                Labels::from_pairs([("job", labels.get("job").unwrap())])
            } else {
                labels.clone()
            };
            (key.to_string(), *time, value.unwrap_or(0.0), *bytes)
        })
        .collect();
    keyed.sort_by_key(|s| s.1);
    let mut out: BTreeMap<String, Vec<(i64, f64)>> = BTreeMap::new();
    let seconds = range as f64 / 1e9;
    for &t in steps {
        let (start, end) = (t - range - offset, t - offset);
        let first = keyed.partition_point(|s| s.1 <= start);
        let last = keyed.partition_point(|s| s.1 <= end).max(first);
        let mut windows: BTreeMap<&str, Vec<(i64, f64, usize)>> = BTreeMap::new();
        for (key, time, value, bytes) in &keyed[first..last] {
            windows
                .entry(key)
                .or_default()
                .push((*time, *value, *bytes));
        }
        if op == "absent_over_time" {
            if windows.is_empty() {
                out.entry("{}".to_string()).or_default().push((t, 1.0));
            }
            continue;
        }
        for (key, points) in windows {
            out.entry(key.to_string())
                .or_default()
                .push((t, naive_value(op, &points, seconds)));
        }
    }
    out
}

const OPS: [(&str, bool); 15] = [
    ("count_over_time", false),
    ("rate", false),
    ("bytes_over_time", false),
    ("bytes_rate", false),
    ("absent_over_time", false),
    ("sum_over_time", true),
    ("rate_unwrap", true),
    ("avg_over_time", true),
    ("min_over_time", true),
    ("max_over_time", true),
    ("stdvar_over_time", true),
    ("stddev_over_time", true),
    ("quantile_over_time", true),
    ("first_over_time", true),
    ("last_over_time", true),
];

/// Ranges and offsets as written and in nanoseconds.
const RANGES: [(&str, i64); 7] = [
    ("1s", S),
    ("10s", 10 * S),
    ("17s", 17 * S),
    ("1m", 60 * S),
    ("90s", 90 * S),
    ("5m", 300 * S),
    ("1h", 3600 * S),
];
const OFFSETS: [(&str, i64); 4] = [
    ("", 0),
    (" offset 30s", 30 * S),
    (" offset -10s", -10 * S),
    (" offset 1m", 60 * S),
];
const STEPS: [i64; 7] = [
    S,
    7 * S,
    15 * S,
    60 * S,
    1_001_000_000,
    13_370_000_000,
    300 * S,
];

#[test]
fn streaming_equals_naive() {
    let mut rng = Lcg(0x5eed);
    let mut checked = 0;
    for round in 0..30 {
        let streams = random_streams(&mut rng);
        let (range_text, range) = RANGES[rng.below(RANGES.len() as u64) as usize];
        let (offset_text, offset) = OFFSETS[rng.below(OFFSETS.len() as u64) as usize];
        let step = STEPS[rng.below(STEPS.len() as u64) as usize];
        let instant = rng.below(5) == 0;
        let start = rng.below(3000) as i64 * S + rng.below(2) as i64 * 500_000_000;
        let end = start + rng.below(200) as i64 * step + rng.below(step as u64) as i64;
        let params = if instant {
            EvalParams::instant(end)
        } else {
            EvalParams::range(start, end, step)
        };
        let steps: Vec<i64> = if instant {
            vec![end]
        } else {
            (0..)
                .map(|k| start + k * step)
                .take_while(|&t| t <= end)
                .collect()
        };
        let order = [Order::ByStream, Order::ByTime, Order::Shuffled(round)][round as usize % 3];
        for (op, unwrap) in OPS {
            let raw = matches!(
                op,
                "stdvar_over_time" | "stddev_over_time" | "first_over_time" | "last_over_time"
            );
            if raw && matches!(order, Order::Shuffled(_)) {
                // Same-time ties would be ordered differently from the naive recording.
                continue;
            }
            let by_job = unwrap && op != "sum_over_time" && rng.below(2) == 0;
            let function = match op {
                "rate_unwrap" => "rate",
                "quantile_over_time" => "quantile_over_time(0.3, ",
                other => other,
            };
            let open = if function.ends_with(' ') { "" } else { "(" };
            let query = format!(
                "{function}{open}{{job=~\".+\"}}{} [{range_text}]{offset_text}){}",
                if unwrap { " | unwrap value" } else { "" },
                if by_job { " by (job)" } else { "" },
            );
            let mut source = TestSource::new(streams.clone());
            source.order = order;
            let Expr::Metric(expr) = crate::parse(&query).unwrap() else {
                panic!()
            };
            let samples = record(&mut source, &expr, i64::MIN, i64::MAX);
            let expected = naive(op, &samples, by_job, &steps, range, offset, unwrap);
            let got = run(&mut source, &query, &params).unwrap();
            assert_eq!(source.calls.len(), 1, "{query}");
            let got: BTreeMap<String, Vec<(i64, f64)>> = match got {
                Value::Matrix(series) => series
                    .into_iter()
                    .map(|s| (s.labels.to_string(), s.points))
                    .collect(),
                Value::Vector(samples) => {
                    let mut out: BTreeMap<String, Vec<(i64, f64)>> = BTreeMap::new();
                    for s in samples {
                        out.entry(s.labels.to_string())
                            .or_default()
                            .push((s.time, s.value));
                    }
                    out
                }
                Value::Scalar(..) => panic!("{query}: scalar"),
            };
            let context = format!("round {round} {query} step {step} start {start} end {end}");
            assert_eq!(
                got.keys().collect::<Vec<_>>(),
                expected.keys().collect::<Vec<_>>(),
                "{context}"
            );
            for (key, want) in &expected {
                let have = &got[key];
                assert_eq!(have.len(), want.len(), "{context} {key}");
                for (h, w) in have.iter().zip(want) {
                    let tolerance = 1e-9 * (1.0 + h.1.abs().max(w.1.abs()));
                    assert!(
                        h.0 == w.0 && (h.1 - w.1).abs() <= tolerance,
                        "{context} {key}: got {h:?} want {w:?}"
                    );
                }
            }
            checked += 1;
        }
    }
    assert!(checked > 300);
}

/// Thousands of out-of-order samples in one series (compacted while collecting) give the same
/// result as the same samples in time order.
#[test]
fn out_of_order_samples_compact() {
    let mut rng = Lcg(42);
    let lines = (0..6000)
        .map(|_| Line {
            time: rng.below(2000 * S as u64) as i64,
            bytes: 1,
            value: Some(rng.below(100) as f64),
        })
        .collect();
    let streams = vec![Stream {
        labels: Labels::from_pairs([("job", "a")]),
        error: None,
        lines,
    }];
    let params = EvalParams::range(10 * S, 2000 * S, S);
    for query in [
        r#"count_over_time({job="a"}[10s])"#,
        r#"sum_over_time({job="a"} | unwrap v [7s])"#,
        r#"min_over_time({job="a"} | unwrap v [15s])"#,
        r#"max_over_time({job="a"} | unwrap v [3s])"#,
    ] {
        let mut in_order = TestSource::new(streams.clone());
        in_order.order = Order::ByTime;
        let mut shuffled = TestSource::new(streams.clone());
        shuffled.order = Order::Shuffled(3);
        let a = run(&mut in_order, query, &params).unwrap();
        let b = run(&mut shuffled, query, &params).unwrap();
        assert_eq!(a, b, "{query}");
    }
}
