//! Range queries, limits, errors and the parser wrapper.

use super::data::MemSource;
use super::render;
use crate::{EvalError, QueryParams, evaluate, parse};

fn range(query: &str, start_s: i64, end_s: i64, step_s: i64) -> Result<String, EvalError<String>> {
    let expr = parse(query).expect("parses");
    let params = QueryParams::range(start_s * 1000, end_s * 1000, step_s * 1000);
    evaluate(&expr, &params, &mut MemSource::new()).map(|v| render(&v))
}

#[test]
fn range_query_of_a_gauge() {
    assert_eq!(
        range(r#"temperature{room="x"}"#, 0, 300, 60).unwrap(),
        r#"temperature{room="x"} [0:10 60:20 120:15 180:30 240:25 300:5]"#
    );
}

#[test]
fn range_query_with_at_start_and_scalar() {
    assert_eq!(
        range(r#"temperature{room="x"} @ start()"#, 60, 180, 60).unwrap(),
        r#"temperature{room="x"} [60:20 120:20 180:20]"#
    );
    assert_eq!(
        range("time()", 0, 120, 60).unwrap(),
        "{} [0:0 60:60 120:120]"
    );
}

#[test]
fn range_query_of_rate_across_reset() {
    let got = range(
        r#"rate(http_requests_total{instance="b"}[1m])"#,
        150,
        180,
        30,
    )
    .unwrap();
    // At 150: points 105..150 are 35 40 45 0: 0 - 35 + 45 = 10, extrapolated ×60/45, /60 s.
    // At 180: points 135..180 are 45 0 5 10: 10 - 45 + 45 = 10, the same.
    assert_eq!(
        got,
        r#"{instance="b",job="api"} [150:0.222222 180:0.222222]"#
    );
}

#[test]
fn selectors_are_loaded_once_per_query() {
    let expr = parse("rate(http_requests_total[1m]) + rate(http_requests_total[1m])").unwrap();
    let mut src = MemSource::new();
    evaluate(&expr, &QueryParams::range(0, 300_000, 15_000), &mut src).unwrap();
    assert_eq!(src.calls, 2);
}

#[test]
fn too_many_steps_is_bad_data() {
    let err = range("time()", 0, 11_001, 1).unwrap_err();
    assert_eq!(
        err,
        EvalError::BadData(
            "exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)".into()
        )
    );
    assert!(range("time()", 0, 11_000, 1).is_ok());
}

#[test]
fn string_and_range_vector_are_rejected_in_range_queries() {
    assert!(matches!(
        range(r#""x""#, 0, 60, 60),
        Err(EvalError::BadData(_))
    ));
    assert!(matches!(
        range("temperature[1m]", 0, 60, 60),
        Err(EvalError::BadData(_))
    ));
}

#[test]
fn instant_range_vector_returns_matrix() {
    let expr = parse(r#"temperature{room="x"}[2m]"#).unwrap();
    let v = evaluate(&expr, &QueryParams::instant(300_000), &mut MemSource::new()).unwrap();
    assert_eq!(render(&v), r#"temperature{room="x"} [240:25 300:5]"#);
}

#[test]
fn series_limit() {
    let expr = parse("temperature").unwrap();
    let params = QueryParams {
        max_series: 1,
        ..QueryParams::instant(300_000)
    };
    assert_eq!(
        evaluate(&expr, &params, &mut MemSource::new()),
        Err(EvalError::TooManySeries(2))
    );
}

#[test]
fn sample_limit() {
    let expr = parse("http_requests_total").unwrap();
    let params = QueryParams {
        max_samples: 10,
        ..QueryParams::instant(300_000)
    };
    assert!(matches!(
        evaluate(&expr, &params, &mut MemSource::new()),
        Err(EvalError::TooManySamples(n)) if n > 10
    ));
}

#[test]
fn deadline() {
    let expr = parse("time()").unwrap();
    let params = QueryParams {
        deadline: Some(std::time::Instant::now()),
        ..QueryParams::range(0, 600_000, 60_000)
    };
    assert_eq!(
        evaluate(&expr, &params, &mut MemSource::new()),
        Err(EvalError::Timeout)
    );
}

#[test]
fn source_errors_are_wrapped() {
    struct Failing;
    impl crate::SeriesSource for Failing {
        type Error = &'static str;
        fn select(
            &mut self,
            _: &[crate::Matcher],
            _: i64,
            _: i64,
        ) -> Result<Vec<crate::Series>, &'static str> {
            Err("disk on fire")
        }
    }
    let expr = parse("up").unwrap();
    assert_eq!(
        evaluate(&expr, &QueryParams::instant(0), &mut Failing),
        Err(EvalError::Source("disk on fire"))
    );
}

#[test]
fn parse_errors() {
    assert!(parse("sum(").is_err());
    assert!(parse("rate(foo)").is_err());
    assert!(parse(r#"foo{a="b"}[5m:1m] offset 1m"#).is_ok());
}

#[test]
fn duplicate_labelsets_after_dropping_names_fail() {
    let expr = parse(r#"abs(label_replace(cpu{instance="a"}, "mode", "", "mode", ".*"))"#).unwrap();
    assert_eq!(
        evaluate(&expr, &QueryParams::instant(300_000), &mut MemSource::new()),
        Err(EvalError::Execution(
            "vector cannot contain metrics with the same labelset".into()
        ))
    );
}
