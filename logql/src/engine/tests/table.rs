//! A table of queries over a small fixed data set, with hand-computed results.
//!
//! Streams (times in seconds, `(time, bytes, latency)`):
//! - `{app="api", env="prod"}`: (10,100,1) (30,50,3) (60,10,2) (90,20,5) (150,30,4)
//!   (200,40,10) (240,60,6)
//! - `{app="api", env="dev"}`: (20,200,8) (70,100,2) (130,300,6) (230,100,-)
//! - `{app="web", env="prod"}`: (5,1000,100) (61,10,7) (119,10,9) (120,10,11) (240,10,3)
//!   (241,10,5)
//! - `{app="err", env="prod"}`, `__error__="JSONParserErr"` when parsed: (100,10,1)
//!
//! Range queries run at 60, 120, 180, 240 unless stated; `[1m]` windows are then (0,60],
//! (60,120], (120,180], (180,240].
//!
//! The cases are in `range_cases.rs` (range aggregations) and `operator_cases.rs` (vector
//! aggregations, binary operators, numbers, `label_replace`).

use super::super::{EngineError, EvalParams, InstantSample, Value};
use super::{Line, S, Stream, TestSource, close, matrix_of, run};
use crate::labels::Labels;

/// `{app="api", env="dev"}`.
pub(super) const DEV: &str = r#"{app="api", env="dev"}"#;
/// `{app="api", env="prod"}`.
pub(super) const PROD: &str = r#"{app="api", env="prod"}"#;
/// `{app="web", env="prod"}`.
pub(super) const WEB: &str = r#"{app="web", env="prod"}"#;

pub(super) fn dataset() -> Vec<Stream> {
    let stream = |pairs: [(&str, &str); 2], error, lines: &[(i64, usize, Option<f64>)]| Stream {
        labels: Labels::from_pairs(pairs),
        error,
        lines: lines
            .iter()
            .map(|&(t, bytes, value)| Line {
                time: t * S,
                bytes,
                value,
            })
            .collect(),
    };
    vec![
        stream(
            [("app", "api"), ("env", "prod")],
            None,
            &[
                (10, 100, Some(1.0)),
                (30, 50, Some(3.0)),
                (60, 10, Some(2.0)),
                (90, 20, Some(5.0)),
                (150, 30, Some(4.0)),
                (200, 40, Some(10.0)),
                (240, 60, Some(6.0)),
            ],
        ),
        stream(
            [("app", "api"), ("env", "dev")],
            None,
            &[
                (20, 200, Some(8.0)),
                (70, 100, Some(2.0)),
                (130, 300, Some(6.0)),
                (230, 100, None),
            ],
        ),
        stream(
            [("app", "web"), ("env", "prod")],
            None,
            &[
                (5, 1000, Some(100.0)),
                (61, 10, Some(7.0)),
                (119, 10, Some(9.0)),
                (120, 10, Some(11.0)),
                (240, 10, Some(3.0)),
                (241, 10, Some(5.0)),
            ],
        ),
        stream(
            [("app", "err"), ("env", "prod")],
            Some("JSONParserErr"),
            &[(100, 10, Some(1.0))],
        ),
    ]
}

/// When a query runs.
#[derive(Debug, Clone, Copy)]
pub(super) enum At {
    /// Range query `(start, end, step)` in seconds.
    Range(i64, i64, i64),
    /// Instant query at this second.
    Instant(i64),
}

pub(super) const STEPS: At = At::Range(60, 240, 60);

/// What a query returns.
#[derive(Debug)]
pub(super) enum Expect {
    /// Series `(labels, [(second, value)])` in order.
    Matrix(Vec<(&'static str, Vec<(i64, f64)>)>),
    /// Samples `(labels, value)` in order.
    Vector(Vec<(&'static str, f64)>),
    /// A number.
    Scalar(f64),
    /// An error whose message contains this.
    Error(&'static str),
}

/// A series with points at the default steps 60, 120, 180, 240 (`None` = no point).
pub(super) fn at4(values: [Option<f64>; 4]) -> Vec<(i64, f64)> {
    [60, 120, 180, 240]
        .into_iter()
        .zip(values)
        .filter_map(|(t, v)| v.map(|v| (t, v)))
        .collect()
}

pub(super) fn all4(values: [f64; 4]) -> Vec<(i64, f64)> {
    at4(values.map(Some))
}

pub(super) fn m(series: Vec<(&'static str, Vec<(i64, f64)>)>) -> Expect {
    Expect::Matrix(series)
}

/// A query, when it runs, and what it returns.
pub(super) type Case = (&'static str, At, Expect);

pub(super) fn params(at: At) -> EvalParams {
    match at {
        At::Range(start, end, step) => EvalParams::range(start * S, end * S, step * S),
        At::Instant(t) => EvalParams::instant(t * S),
    }
}

fn check(query: &str, at: At, expect: &Expect, got: Result<Value, EngineError<String>>) {
    match (expect, got) {
        (Expect::Error(text), Err(e)) => {
            assert!(e.to_string().contains(text), "{query}: error {e}");
        }
        (Expect::Error(_), Ok(v)) => panic!("{query}: expected an error, got {v:?}"),
        (_, Err(e)) => panic!("{query}: {e}"),
        (Expect::Matrix(series), Ok(value)) => {
            let got = matrix_of(&value);
            let same = got.len() == series.len()
                && got.iter().zip(series).all(|((gl, gp), (el, ep))| {
                    gl == el
                        && gp.len() == ep.len()
                        && gp
                            .iter()
                            .zip(ep)
                            .all(|(g, e)| g.0 == e.0 && close(g.1, e.1))
                });
            assert!(same, "{query}:\n got {got:?}\nwant {series:?}");
        }
        (Expect::Vector(samples), Ok(Value::Vector(got))) => {
            let time = match at {
                At::Instant(t) => t * S,
                At::Range(..) => unreachable!(),
            };
            let same = got.len() == samples.len()
                && got.iter().zip(samples).all(|(g, (labels, value))| {
                    let InstantSample {
                        labels: gl,
                        time: gt,
                        value: gv,
                    } = g;
                    gl.to_string() == *labels && *gt == time && close(*gv, *value)
                });
            assert!(same, "{query}:\n got {got:?}\nwant {samples:?}");
        }
        (Expect::Scalar(want), Ok(Value::Scalar(time, value))) => {
            assert!(close(value, *want), "{query}: got {value}");
            assert!(
                matches!(at, At::Instant(t) if t * S == time),
                "{query}: at {time}"
            );
        }
        (_, Ok(other)) => panic!("{query}: unexpected result {other:?}"),
    }
}

#[test]
fn query_table() {
    let mut cases = super::range_cases::cases();
    cases.extend(super::operator_cases::cases());
    assert!(cases.len() >= 40);
    for (query, at, expect) in &cases {
        for order in [
            super::Order::ByStream,
            super::Order::ByTime,
            super::Order::Shuffled(7),
        ] {
            let mut source = TestSource::new(dataset());
            source.order = order;
            let got = run(&mut source, query, &params(*at));
            check(query, *at, expect, got);
        }
    }
}
