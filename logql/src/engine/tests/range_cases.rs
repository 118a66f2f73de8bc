//! Table cases: range aggregations, their grouping, offsets and pipeline errors (data set
//! and expectations format in `table.rs`).

use super::table::{At, Case, DEV, Expect, PROD, STEPS, WEB, all4, at4, m};

pub(super) fn cases() -> Vec<Case> {
    let rc1 = 4.0 * ((5e7 + 60.0) / 5e7) / 60.0;
    let rc4 = 6.0 * ((4e7 + 60.0) / 4e7) / 60.0;
    vec![
        // Range aggregations.
        (
            r#"count_over_time({app=~"api|web"}[1m])"#,
            STEPS,
            m(vec![
                (DEV, all4([1.0, 1.0, 1.0, 1.0])),
                (PROD, all4([3.0, 1.0, 1.0, 2.0])),
                (WEB, at4([Some(1.0), Some(3.0), None, Some(1.0)])),
            ]),
        ),
        (
            r#"rate({app="api"}[1m])"#,
            STEPS,
            m(vec![
                (DEV, all4([1.0 / 60.0; 4])),
                (PROD, all4([3.0 / 60.0, 1.0 / 60.0, 1.0 / 60.0, 2.0 / 60.0])),
            ]),
        ),
        (
            r#"bytes_over_time({app=~"api|web"}[1m])"#,
            STEPS,
            m(vec![
                (DEV, all4([200.0, 100.0, 300.0, 100.0])),
                (PROD, all4([160.0, 20.0, 30.0, 100.0])),
                (WEB, at4([Some(1000.0), Some(30.0), None, Some(10.0)])),
            ]),
        ),
        (
            r#"bytes_rate({app="web"}[1m])"#,
            STEPS,
            m(vec![(
                WEB,
                at4([Some(1000.0 / 60.0), Some(0.5), None, Some(10.0 / 60.0)]),
            )]),
        ),
        (
            r#"sum_over_time({app=~"api|web"} | unwrap latency [1m])"#,
            STEPS,
            m(vec![
                (DEV, at4([Some(8.0), Some(2.0), Some(6.0), None])),
                (PROD, all4([6.0, 5.0, 4.0, 16.0])),
                (WEB, at4([Some(100.0), Some(27.0), None, Some(3.0)])),
            ]),
        ),
        (
            r#"rate({app="api"} | unwrap latency [1m])"#,
            STEPS,
            m(vec![
                (
                    DEV,
                    at4([Some(8.0 / 60.0), Some(2.0 / 60.0), Some(0.1), None]),
                ),
                (PROD, all4([0.1, 5.0 / 60.0, 4.0 / 60.0, 16.0 / 60.0])),
            ]),
        ),
        (
            r#"avg_over_time({app=~"api|web"} | unwrap latency [1m])"#,
            STEPS,
            m(vec![
                (DEV, at4([Some(8.0), Some(2.0), Some(6.0), None])),
                (PROD, all4([2.0, 5.0, 4.0, 8.0])),
                (WEB, at4([Some(100.0), Some(9.0), None, Some(3.0)])),
            ]),
        ),
        (
            r#"min_over_time({app=~"api|web"} | unwrap latency [1m])"#,
            STEPS,
            m(vec![
                (DEV, at4([Some(8.0), Some(2.0), Some(6.0), None])),
                (PROD, all4([1.0, 5.0, 4.0, 6.0])),
                (WEB, at4([Some(100.0), Some(7.0), None, Some(3.0)])),
            ]),
        ),
        (
            r#"max_over_time({app="web"} | unwrap latency [1m])"#,
            STEPS,
            m(vec![(WEB, at4([Some(100.0), Some(11.0), None, Some(3.0)]))]),
        ),
        (
            r#"stdvar_over_time({app="api", env="prod"} | unwrap latency [1m])"#,
            STEPS,
            m(vec![(PROD, all4([2.0 / 3.0, 0.0, 0.0, 4.0]))]),
        ),
        (
            r#"stddev_over_time({app="api", env="prod"} | unwrap latency [1m])"#,
            STEPS,
            m(vec![(PROD, all4([(2.0f64 / 3.0).sqrt(), 0.0, 0.0, 2.0]))]),
        ),
        (
            r#"quantile_over_time(0.5, {app="api", env="prod"} | unwrap latency [1m])"#,
            STEPS,
            m(vec![(PROD, all4([2.0, 5.0, 4.0, 8.0]))]),
        ),
        (
            r#"first_over_time({app="api", env="prod"} | unwrap latency [1m])"#,
            STEPS,
            m(vec![(PROD, all4([1.0, 5.0, 4.0, 10.0]))]),
        ),
        (
            r#"last_over_time({app="api", env="prod"} | unwrap latency [1m])"#,
            STEPS,
            m(vec![(PROD, all4([2.0, 5.0, 4.0, 6.0]))]),
        ),
        (
            r#"rate_counter({app="api", env="prod"} | unwrap latency [1m])"#,
            STEPS,
            m(vec![(PROD, all4([rc1, 0.0, 0.0, rc4]))]),
        ),
        (
            r#"absent_over_time({app="web"}[1m])"#,
            STEPS,
            m(vec![(r#"{app="web"}"#, vec![(180, 1.0)])]),
        ),
        (
            r#"absent_over_time({app="nope", env=~"p.*"}[1m])"#,
            STEPS,
            m(vec![(r#"{app="nope"}"#, all4([1.0; 4]))]),
        ),
        (r#"absent_over_time({app="api"}[1m])"#, STEPS, m(vec![])),
        (
            r#"count_over_time({app="web"}[1m] offset 1m)"#,
            STEPS,
            m(vec![(WEB, vec![(120, 1.0), (180, 3.0)])]),
        ),
        (
            r#"count_over_time({app=~"api|web"}[2m])"#,
            STEPS,
            m(vec![
                (DEV, all4([1.0, 2.0, 2.0, 2.0])),
                (PROD, all4([3.0, 4.0, 2.0, 3.0])),
                (WEB, all4([1.0, 4.0, 3.0, 1.0])),
            ]),
        ),
        (
            r#"count_over_time({app="api", env="prod"}[1m])"#,
            At::Range(45, 105, 30),
            m(vec![(PROD, vec![(45, 2.0), (75, 2.0), (105, 2.0)])]),
        ),
        // Range aggregation grouping.
        (
            r#"sum_over_time({app="api"} | unwrap latency [1m]) by (app)"#,
            STEPS,
            m(vec![(r#"{app="api"}"#, all4([14.0, 7.0, 10.0, 16.0]))]),
        ),
        (
            r#"max_over_time({app=~"api|web"} | unwrap latency [1m]) without (app)"#,
            STEPS,
            m(vec![
                (
                    r#"{env="dev"}"#,
                    at4([Some(8.0), Some(2.0), Some(6.0), None]),
                ),
                (r#"{env="prod"}"#, all4([100.0, 11.0, 4.0, 10.0])),
            ]),
        ),
        (
            r#"avg_over_time({app=~"api|web"} | unwrap latency [1m]) by (env)"#,
            STEPS,
            m(vec![
                (
                    r#"{env="dev"}"#,
                    at4([Some(8.0), Some(2.0), Some(6.0), None]),
                ),
                (r#"{env="prod"}"#, all4([26.5, 8.0, 4.0, 19.0 / 3.0])),
            ]),
        ),
        // Pipeline errors.
        (
            r#"count_over_time({app="err"} | json [1m])"#,
            STEPS,
            Expect::Error(
                "pipeline error: 'JSONParserErr' for series: '{__error__=\"JSONParserErr\", \
                 app=\"err\", env=\"prod\"}'",
            ),
        ),
        (
            r#"sum by (env) (count_over_time({app=~"err|web"} | json [1m]))"#,
            STEPS,
            Expect::Error("Use a label filter to intentionally skip this error"),
        ),
        (
            r#"count_over_time({app="err"} | json | __error__="" [1m])"#,
            STEPS,
            m(vec![]),
        ),
        (
            r#"sum_over_time({app="err"} | json | unwrap latency | __error__="" [1m])"#,
            STEPS,
            m(vec![]),
        ),
        // Lines outside every window (here between windows) are ignored, errors included.
        (
            r#"count_over_time({app=~"err|web"} | json [10s])"#,
            STEPS,
            m(vec![(WEB, at4([None, Some(2.0), None, Some(1.0)]))]),
        ),
    ]
}
