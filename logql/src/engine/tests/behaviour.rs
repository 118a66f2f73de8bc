//! Behaviour beyond single results: one source call per range aggregation, series and
//! resolution limits, parameter checks, source errors, the last step, interleaved and reused
//! label sets.

use super::super::{EngineError, EvalParams, Sample, SampleSource, Value, evaluate};
use super::table::{At, PROD, STEPS, dataset, params};
use super::{S, TestSource, matrix_of, run};
use crate::ast::LogRange;
use crate::labels::Labels;

#[test]
fn one_source_call_per_range_aggregation() {
    let mut source = TestSource::new(dataset());
    let query = r#"sum(count_over_time({app="api"}[1m])) / count_over_time({app="web"}[2m] offset 1m) + 0 * rate({app="web"}[1m])"#;
    run(&mut source, query, &params(STEPS)).unwrap();
    assert_eq!(
        source.calls,
        [(0, 240 * S), (-120 * S, 180 * S), (0, 240 * S)],
        "from = start - range - offset, to = end - offset"
    );
    let mut source = TestSource::new(dataset());
    run(
        &mut source,
        r#"count_over_time({app="api"}[5m])"#,
        &params(At::Instant(600)),
    )
    .unwrap();
    assert_eq!(source.calls, [(300 * S, 600 * S)]);
    let mut source = TestSource::new(dataset());
    run(&mut source, "vector(1) + 1", &params(STEPS)).unwrap();
    assert!(source.calls.is_empty());
}

#[test]
fn limits() {
    let series3 = r#"count_over_time({app=~"api|web"}[1m])"#;
    let run_with = |query: &str, max_series: usize| {
        let mut p = params(STEPS);
        p.max_series = max_series;
        run(&mut TestSource::new(dataset()), query, &p)
    };
    let too_many = run_with(series3, 2).unwrap_err();
    assert!(matches!(too_many, EngineError::TooManySeries(2)));
    assert_eq!(
        too_many.to_string(),
        "maximum of series (2) reached for a single query"
    );
    assert!(run_with(series3, 3).is_ok());
    // The sum is grouped at the source: one series all along.
    assert!(run_with(&format!("sum({series3})"), 1).is_ok());
    assert!(matches!(
        run_with(&format!("sum by (env) ({series3})"), 1),
        Err(EngineError::TooManySeries(1))
    ));
    // Intermediate results count too.
    assert!(matches!(
        run_with(&format!("topk(1, {series3})"), 2),
        Err(EngineError::TooManySeries(2))
    ));

    let eval = |start: i64, end: i64, step: i64| {
        run(
            &mut TestSource::new(dataset()),
            "vector(1)",
            &EvalParams::range(start, end, step),
        )
    };
    let Value::Matrix(series) = eval(0, 11_000 * S, S).unwrap() else {
        panic!()
    };
    assert_eq!(series[0].points.len(), 11_001);
    let error = eval(0, 11_001 * S, S).unwrap_err();
    assert!(matches!(error, EngineError::TooManyPoints));
    assert!(
        error
            .to_string()
            .starts_with("exceeded maximum resolution of 11,000 points per timeseries")
    );
    assert!(matches!(eval(0, 10, 0), Err(EngineError::InvalidParams(_))));
    assert!(matches!(eval(10, 0, 1), Err(EngineError::InvalidParams(_))));
}

#[test]
fn source_errors_propagate() {
    let error = run(
        &mut TestSource::new(dataset()),
        r#"sum(rate({app="fail"}[1m]))"#,
        &params(STEPS),
    )
    .unwrap_err();
    assert!(matches!(&error, EngineError::Source(e) if e == "storage unavailable"));
}

#[test]
fn steps_stop_at_end() {
    // 60, 110, 160, 210: the end (240) is not a step.
    let value = run(
        &mut TestSource::new(dataset()),
        r#"count_over_time({app="api", env="prod"}[50s])"#,
        &params(At::Range(60, 240, 50)),
    )
    .unwrap();
    assert_eq!(
        matrix_of(&value),
        [(
            PROD.to_string(),
            vec![(60, 2.0), (110, 1.0), (160, 1.0), (210, 1.0)]
        )]
    );
}

/// A source that feeds `streams` interleaved label sets, `per_stream` lines each at 1s, 2s,
/// ...; with `reuse`, from one buffer rewritten in place before every line.
struct Interleaved {
    streams: usize,
    per_stream: i64,
    reuse: bool,
}

impl SampleSource for Interleaved {
    type Error = String;

    fn samples(
        &mut self,
        _range: &LogRange,
        _from: i64,
        _to: i64,
        sink: &mut dyn FnMut(Sample<'_>),
    ) -> Result<(), String> {
        let label_set =
            |i: usize| Labels::from_pairs([("job", "x".to_string()), ("pod", i.to_string())]);
        let all: Vec<Labels> = (0..self.streams).map(label_set).collect();
        let mut buffer = Labels::new();
        for t in 1..=self.per_stream {
            for (i, stream_labels) in all.iter().enumerate() {
                let labels = if self.reuse {
                    buffer.set("job", "x");
                    buffer.set("pod", i.to_string());
                    &buffer
                } else {
                    stream_labels
                };
                sink(Sample {
                    labels,
                    time: t * S,
                    line_bytes: i,
                    value: None,
                });
            }
        }
        Ok(())
    }
}

#[test]
fn interleaved_and_reused_label_sets() {
    let expr = crate::parse(r#"bytes_over_time({job="x"}[1m])"#).unwrap();
    let expr = expr.as_metric().unwrap();
    for (streams, reuse) in [(3, true), (3000, false), (3000, true)] {
        let mut params = EvalParams::range(30 * S, 60 * S, 30 * S);
        params.max_series = 5000;
        let mut source = Interleaved {
            streams,
            per_stream: 60,
            reuse,
        };
        let Value::Matrix(series) = evaluate(expr, &params, &mut source).unwrap() else {
            panic!()
        };
        assert_eq!(series.len(), streams);
        for s in series {
            let pod: f64 = s.labels.get("pod").unwrap().parse().unwrap();
            assert_eq!(s.points, [(30 * S, 30.0 * pod), (60 * S, 60.0 * pod)]);
        }
    }
}
