//! The fixed test dataset and an in-memory series source over it.
//!
//! Times are in seconds below (stored as ms):
//! - `http_requests_total{job="api",instance="a"}`: counter, every 15 s from 0 to 300,
//!   100 + 10·i (100 … 300).
//! - `http_requests_total{job="api",instance="b"}`: counter, every 15 s from 0 to 300,
//!   5·i, reset to 0 at 150 then 5·(i − 10) (… 45, 0, 5, … 50).
//! - `temperature{room="x"}`: gauge at 0, 60, …, 300: 10 20 15 30 25 5;
//!   `temperature{room="y"}`: 1 2 3 4 5 6.
//! - `req_duration_bucket{job="api"}` at 300: le 0.1→10, 0.5→30, 1→40, +Inf→50;
//!   `req_duration_bucket{job="web"}` at 300: le 1→10, 2→8 (non-monotonic), 4→30, +Inf→40.
//! - `otel_calls{svc="d"}`: delta series, 3 every 30 s from 30 to 300.
//! - `stale_metric{k="v"}`: 1 at 0, 2 at 60, staleness marker at 120.
//! - `machine_info{instance="a",os="linux"}`, `{instance="b",os="mac"}`: 1 at 240 and 300.
//! - `cpu{instance="a",mode="user"}` 3, `{a,sys}` 1, `{b,user}` 5 at 240 and 300.
//! - `score{p="1"}` 5, `{p="2"}` 7, `{p="3"}` 7, `{p="4"}` 1 at 300.

use crate::{Matcher, STALE_NAN_BITS, Series, SeriesSource};

fn series(name: &str, labels: &[(&str, &str)], points: Vec<(i64, f64)>) -> Series {
    let mut l: Vec<(String, String)> = labels
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .chain(std::iter::once(("__name__".to_string(), name.to_string())))
        .collect();
    l.sort();
    Series {
        labels: l,
        points: points.into_iter().map(|(t, v)| (t * 1000, v)).collect(),
        delta: false,
    }
}

/// The dataset described in the module documentation.
pub(super) fn dataset() -> Vec<Series> {
    let mut out = vec![
        series(
            "http_requests_total",
            &[("job", "api"), ("instance", "a")],
            (0..=20)
                .map(|i| (15 * i, 100.0 + 10.0 * i as f64))
                .collect(),
        ),
        series(
            "http_requests_total",
            &[("job", "api"), ("instance", "b")],
            (0..=20)
                .map(|i| (15 * i, 5.0 * (if i < 10 { i } else { i - 10 }) as f64))
                .collect(),
        ),
    ];
    let times = [0, 60, 120, 180, 240, 300];
    for (room, vals) in [
        ("x", [10.0, 20.0, 15.0, 30.0, 25.0, 5.0]),
        ("y", [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]),
    ] {
        out.push(series(
            "temperature",
            &[("room", room)],
            times.iter().copied().zip(vals).collect(),
        ));
    }
    for (job, buckets) in [
        (
            "api",
            vec![("0.1", 10.0), ("0.5", 30.0), ("1", 40.0), ("+Inf", 50.0)],
        ),
        (
            "web",
            vec![("1", 10.0), ("2", 8.0), ("4", 30.0), ("+Inf", 40.0)],
        ),
    ] {
        for (le, v) in buckets {
            out.push(series(
                "req_duration_bucket",
                &[("job", job), ("le", le)],
                vec![(300, v)],
            ));
        }
    }
    let mut delta = series(
        "otel_calls",
        &[("svc", "d")],
        (1..=10).map(|i| (30 * i, 3.0)).collect(),
    );
    delta.delta = true;
    out.push(delta);
    out.push(series(
        "stale_metric",
        &[("k", "v")],
        vec![(0, 1.0), (60, 2.0), (120, f64::from_bits(STALE_NAN_BITS))],
    ));
    for (inst, os) in [("a", "linux"), ("b", "mac")] {
        out.push(series(
            "machine_info",
            &[("instance", inst), ("os", os)],
            vec![(240, 1.0), (300, 1.0)],
        ));
    }
    for (inst, mode, v) in [("a", "user", 3.0), ("a", "sys", 1.0), ("b", "user", 5.0)] {
        out.push(series(
            "cpu",
            &[("instance", inst), ("mode", mode)],
            vec![(240, v), (300, v)],
        ));
    }
    for (p, v) in [("1", 5.0), ("2", 7.0), ("3", 7.0), ("4", 1.0)] {
        out.push(series("score", &[("p", p)], vec![(300, v)]));
    }
    out
}

/// An in-memory [`SeriesSource`] over [`dataset`], counting its calls.
pub(super) struct MemSource {
    pub series: Vec<Series>,
    pub calls: usize,
}

impl MemSource {
    pub fn new() -> Self {
        MemSource {
            series: dataset(),
            calls: 0,
        }
    }
}

impl SeriesSource for MemSource {
    type Error = String;

    fn select(
        &mut self,
        matchers: &[Matcher],
        start_ms: i64,
        end_ms: i64,
    ) -> Result<Vec<Series>, String> {
        self.calls += 1;
        Ok(self
            .series
            .iter()
            .filter(|s| matchers.iter().all(|m| m.matches_labels(&s.labels)))
            .map(|s| Series {
                points: s
                    .points
                    .iter()
                    .copied()
                    .filter(|&(t, _)| t >= start_ms && t <= end_ms)
                    .collect(),
                ..s.clone()
            })
            .filter(|s| !s.points.is_empty())
            .collect())
    }
}
