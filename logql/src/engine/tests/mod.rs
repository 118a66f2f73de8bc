//! Tests of the metric query engine: an in-memory [`SampleSource`] over fixed streams
//! (`table.rs` checks a table of queries, `range_cases.rs` and `operator_cases.rs`, against
//! hand-computed results; `behaviour.rs` the rest), and randomized
//! comparisons of the streaming evaluation with a naive per-step one (`property.rs`).

mod behaviour;
mod operator_cases;
mod property;
mod range_cases;
mod table;

use super::{EngineError, EvalParams, Sample, SampleSource, Value, evaluate};
use crate::ast::{LabelFilterExpr, LogRange, MatchOp, Matcher, Stage};
use crate::labels::Labels;

const S: i64 = 1_000_000_000;

/// One log line of a stream.
#[derive(Debug, Clone, Copy)]
pub(super) struct Line {
    pub time: i64,
    pub bytes: usize,
    /// The value of the unwrapped label, if the line has it.
    pub value: Option<f64>,
}

/// A stream: labels, lines, and the `__error__` its lines get when the pipeline parses.
#[derive(Debug, Clone)]
pub(super) struct Stream {
    pub labels: Labels,
    pub error: Option<&'static str>,
    pub lines: Vec<Line>,
}

/// In which order the source feeds samples.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Order {
    /// Stream after stream.
    ByStream,
    /// All streams merged by time.
    ByTime,
    /// A random permutation (seeded).
    Shuffled(u64),
}

/// An in-memory source. It emulates just enough of a pipeline: the stream selector, parse
/// errors (a stream's `error` when the pipeline has a parser), `| __error__=""` filters
/// dropping them, and unwrap values.
pub(super) struct TestSource {
    pub streams: Vec<Stream>,
    pub order: Order,
    /// `(from, to)` of every call.
    pub calls: Vec<(i64, i64)>,
}

impl TestSource {
    pub fn new(streams: Vec<Stream>) -> Self {
        TestSource {
            streams,
            order: Order::ByStream,
            calls: Vec::new(),
        }
    }
}

/// A selector matcher, its regex compiled.
fn matcher(matcher: &Matcher) -> impl Fn(&Labels) -> bool + '_ {
    let regex = regex::Regex::new(&format!("^(?:{})$", matcher.value)).unwrap();
    move |labels| {
        let value = labels.get(&matcher.name).unwrap_or("");
        match matcher.op {
            MatchOp::Eq => value == matcher.value,
            MatchOp::Neq => value != matcher.value,
            MatchOp::Re => regex.is_match(value),
            MatchOp::Nre => !regex.is_match(value),
        }
    }
}

fn is_error_filter(filter: &LabelFilterExpr) -> bool {
    matches!(filter, LabelFilterExpr::String(m) if m.name == "__error__" && m.value.is_empty())
}

impl SampleSource for TestSource {
    type Error = String;

    fn samples(
        &mut self,
        range: &LogRange,
        from: i64,
        to: i64,
        sink: &mut dyn FnMut(Sample<'_>),
    ) -> Result<(), String> {
        self.calls.push((from, to));
        if range.log.selector.iter().any(|m| m.value == "fail") {
            return Err("storage unavailable".to_string());
        }
        let parses = range
            .log
            .pipeline
            .iter()
            .any(|s| matches!(s, Stage::Parser(_)));
        let drops_errors = range
            .log
            .pipeline
            .iter()
            .any(|s| matches!(s, Stage::LabelFilter(f) if is_error_filter(f)))
            || range
                .unwrap
                .as_ref()
                .is_some_and(|u| u.post_filters.iter().any(is_error_filter));
        let selector: Vec<_> = range.log.selector.iter().map(matcher).collect();
        let mut labels = Vec::new();
        let mut samples = Vec::new();
        for stream in &self.streams {
            if !selector.iter().all(|m| m(&stream.labels)) {
                continue;
            }
            let mut stream_labels = stream.labels.clone();
            if parses && let Some(error) = stream.error {
                if drops_errors {
                    continue;
                }
                stream_labels.set("__error__", error);
            }
            labels.push(stream_labels);
            for line in &stream.lines {
                if from < line.time && line.time <= to {
                    samples.push((labels.len() - 1, *line));
                }
            }
        }
        match self.order {
            Order::ByStream => {}
            Order::ByTime => samples.sort_by_key(|(_, line)| line.time),
            Order::Shuffled(seed) => {
                let mut rng = Lcg(seed);
                for i in (1..samples.len()).rev() {
                    samples.swap(i, rng.below(i as u64 + 1) as usize);
                }
            }
        }
        for (stream, line) in samples {
            sink(Sample {
                labels: &labels[stream],
                time: line.time,
                line_bytes: line.bytes,
                value: if range.unwrap.is_some() {
                    line.value
                } else {
                    None
                },
            });
        }
        Ok(())
    }
}

/// A tiny linear congruential generator (Knuth's MMIX constants).
pub(super) struct Lcg(pub u64);

impl Lcg {
    pub fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }

    /// Uniform in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// Uniform in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        self.next() as f64 / (1u64 << 31) as f64
    }
}

/// Parses and evaluates a metric query.
pub(super) fn run(
    source: &mut TestSource,
    query: &str,
    params: &EvalParams,
) -> Result<Value, EngineError<String>> {
    let expr = crate::parse(query).unwrap_or_else(|e| panic!("{query}: {e}"));
    let metric = expr.as_metric().expect("a metric query");
    evaluate(metric, params, source)
}

/// Whether two results are equal up to float rounding (NaN equals NaN).
pub(super) fn close(a: f64, b: f64) -> bool {
    (a.is_nan() && b.is_nan()) || a == b || (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1e-300)
}

/// A range query result as `(labels, [(seconds, value)])`.
pub(super) fn matrix_of(value: &Value) -> Vec<(String, Vec<(i64, f64)>)> {
    let Value::Matrix(series) = value else {
        panic!("expected a matrix, got {value:?}");
    };
    series
        .iter()
        .map(|s| {
            let points = s
                .points
                .iter()
                .map(|&(t, v)| {
                    assert_eq!(t % S, 0, "step times are whole seconds here");
                    (t / S, v)
                })
                .collect();
            (s.labels.to_string(), points)
        })
        .collect()
}

#[test]
fn many_samples_of_one_series_stream_through() {
    let lines = (0..200_000)
        .map(|i| Line {
            time: i * S / 100,
            bytes: 10,
            value: None,
        })
        .collect();
    let mut source = TestSource::new(vec![Stream {
        labels: Labels::from_pairs([("job", "a")]),
        error: None,
        lines,
    }]);
    let params = EvalParams::range(600 * S, 1800 * S, 600 * S);
    let value = run(&mut source, r#"count_over_time({job="a"}[10m])"#, &params).unwrap();
    assert_eq!(
        matrix_of(&value),
        [(
            r#"{job="a"}"#.to_string(),
            vec![(600, 60_000.0), (1200, 60_000.0), (1800, 60_000.0)]
        )]
    );
}
