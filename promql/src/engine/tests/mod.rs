//! Tests of the evaluator over a fixed in-memory dataset: `data.rs` holds the dataset and
//! the [`SeriesSource`](crate::SeriesSource) over it, `cases.rs` the table of queries with
//! hand-computed expected results, `limits.rs` range queries, limits and errors.

mod cases;
mod data;
mod fused;
mod limits;

use crate::{Value, evaluate, parse};
use data::MemSource;

/// Renders a result compactly: `name{a="b"} value` per sample joined by ` | `, values
/// rounded to 6 decimals; `scalar v`; matrices as `name{…} [t:v t:v]` with t in seconds.
pub(super) fn render(v: &Value) -> String {
    fn num(v: f64) -> String {
        if v.is_nan() {
            return "NaN".into();
        }
        let r = (v * 1e6).round() / 1e6;
        format!("{}", if r == 0.0 { 0.0 } else { r })
    }
    fn labels(l: &[(String, String)]) -> String {
        let name = l
            .iter()
            .find(|(n, _)| n == "__name__")
            .map(|(_, v)| v.as_str())
            .unwrap_or("");
        let rest: Vec<String> = l
            .iter()
            .filter(|(n, _)| n != "__name__")
            .map(|(n, v)| format!("{n}=\"{v}\""))
            .collect();
        format!("{name}{{{}}}", rest.join(","))
    }
    match v {
        Value::Scalar(_, x) => format!("scalar {}", num(*x)),
        Value::String(_, s) => format!("string {s}"),
        Value::Vector(samples) => samples
            .iter()
            .map(|s| format!("{} {}", labels(&s.labels), num(s.value)))
            .collect::<Vec<_>>()
            .join(" | "),
        Value::Matrix(series) => series
            .iter()
            .map(|s| {
                let pts: Vec<String> = s
                    .points
                    .iter()
                    .map(|(t, v)| format!("{}:{}", t / 1000, num(*v)))
                    .collect();
                format!("{} [{}]", labels(&s.labels), pts.join(" "))
            })
            .collect::<Vec<_>>()
            .join(" | "),
    }
}

/// Runs an instant query at `time_s` over the dataset and renders the result.
pub(super) fn instant(query: &str, time_s: f64) -> Result<String, String> {
    let expr = parse(query).map_err(|e| format!("parse: {e}"))?;
    let params = crate::QueryParams::instant((time_s * 1000.0) as i64);
    let mut src = MemSource::new();
    evaluate(&expr, &params, &mut src)
        .map(|v| render(&v))
        .map_err(|e| format!("{e:?}"))
}
