//! Table cases: vector aggregations, binary operators with numbers and vectors, set
//! operators, numbers, `vector()` and `label_replace` (data set and expectations format in
//! `table.rs`).

use super::table::{At, Case, DEV, Expect, PROD, STEPS, WEB, all4, at4, m};

pub(super) fn cases() -> Vec<Case> {
    vec![
        // Vector aggregations.
        (
            r#"sum by (app) (count_over_time({app=~"api|web"}[1m]))"#,
            STEPS,
            m(vec![
                (r#"{app="api"}"#, all4([4.0, 2.0, 2.0, 3.0])),
                (
                    r#"{app="web"}"#,
                    at4([Some(1.0), Some(3.0), None, Some(1.0)]),
                ),
            ]),
        ),
        (
            r#"sum(count_over_time({app=~"api|web"}[1m]))"#,
            STEPS,
            m(vec![("{}", all4([5.0, 5.0, 2.0, 4.0]))]),
        ),
        (
            r#"avg by (env) (count_over_time({app=~"api|web"}[1m]))"#,
            STEPS,
            m(vec![
                (r#"{env="dev"}"#, all4([1.0; 4])),
                (r#"{env="prod"}"#, all4([2.0, 2.0, 1.0, 1.5])),
            ]),
        ),
        (
            r#"min by (app) (count_over_time({app=~"api|web"}[1m]))"#,
            STEPS,
            m(vec![
                (r#"{app="api"}"#, all4([1.0; 4])),
                (
                    r#"{app="web"}"#,
                    at4([Some(1.0), Some(3.0), None, Some(1.0)]),
                ),
            ]),
        ),
        (
            r#"max without (env) (count_over_time({app="api"}[1m]))"#,
            STEPS,
            m(vec![(r#"{app="api"}"#, all4([3.0, 1.0, 1.0, 2.0]))]),
        ),
        (
            r#"count(count_over_time({app=~"api|web"}[1m]))"#,
            STEPS,
            m(vec![("{}", all4([3.0, 3.0, 2.0, 3.0]))]),
        ),
        (
            r#"stdvar(count_over_time({app=~"api|web"}[1m]))"#,
            STEPS,
            m(vec![("{}", all4([8.0 / 9.0, 8.0 / 9.0, 0.0, 2.0 / 9.0]))]),
        ),
        (
            r#"stddev by () (count_over_time({app=~"api|web"}[1m]))"#,
            STEPS,
            m(vec![(
                "{}",
                all4([
                    (8.0f64 / 9.0).sqrt(),
                    (8.0f64 / 9.0).sqrt(),
                    0.0,
                    (2.0f64 / 9.0).sqrt(),
                ]),
            )]),
        ),
        (
            // Ties (at 180 DEV and PROD both count 1) go to label order.
            r#"topk(1, count_over_time({app=~"api|web"}[1m]))"#,
            STEPS,
            m(vec![
                (DEV, vec![(180, 1.0)]),
                (PROD, vec![(60, 3.0), (240, 2.0)]),
                (WEB, vec![(120, 3.0)]),
            ]),
        ),
        (
            r#"bottomk(1, count_over_time({app=~"api|web"}[1m]))"#,
            STEPS,
            m(vec![(DEV, all4([1.0; 4]))]),
        ),
        (
            r#"topk by (app) (1, count_over_time({app=~"api|web"}[1m]))"#,
            STEPS,
            m(vec![
                (DEV, vec![(120, 1.0), (180, 1.0)]),
                (PROD, vec![(60, 3.0), (240, 2.0)]),
                (WEB, at4([Some(1.0), Some(3.0), None, Some(1.0)])),
            ]),
        ),
        (
            r#"approx_topk(1, sum by (app) (count_over_time({app=~"api|web"}[1m])))"#,
            STEPS,
            m(vec![
                (r#"{app="api"}"#, vec![(60, 4.0), (180, 2.0), (240, 3.0)]),
                (r#"{app="web"}"#, vec![(120, 3.0)]),
            ]),
        ),
        (
            r#"sort_desc(count_over_time({app=~"api|web"}[1m]))"#,
            At::Instant(120),
            Expect::Vector(vec![(WEB, 3.0), (DEV, 1.0), (PROD, 1.0)]),
        ),
        (
            r#"sort(count_over_time({app=~"api|web"}[1m]))"#,
            At::Instant(120),
            Expect::Vector(vec![(DEV, 1.0), (PROD, 1.0), (WEB, 3.0)]),
        ),
        (
            r#"count_over_time({app=~"api|web"}[1m])"#,
            At::Instant(120),
            Expect::Vector(vec![(DEV, 1.0), (PROD, 1.0), (WEB, 3.0)]),
        ),
        (
            // Without sort, instant results are in label order.
            r#"topk(2, count_over_time({app=~"api|web"}[1m]))"#,
            At::Instant(60),
            Expect::Vector(vec![(DEV, 1.0), (PROD, 3.0)]),
        ),
        (
            r#"sum by (app) (rate({app=~"api|web"}[2m]))"#,
            At::Instant(120),
            Expect::Vector(vec![
                (r#"{app="api"}"#, 0.05),
                (r#"{app="web"}"#, 4.0 / 120.0),
            ]),
        ),
        // Binary operators with numbers.
        (
            r#"count_over_time({app="api"}[1m]) * 2"#,
            STEPS,
            m(vec![
                (DEV, all4([2.0; 4])),
                (PROD, all4([6.0, 2.0, 2.0, 4.0])),
            ]),
        ),
        (
            r#"10 - count_over_time({app="api", env="prod"}[1m])"#,
            STEPS,
            m(vec![(PROD, all4([7.0, 9.0, 9.0, 8.0]))]),
        ),
        (
            r#"count_over_time({app="api", env="dev"}[1m]) / 0"#,
            STEPS,
            m(vec![(DEV, all4([f64::NAN; 4]))]),
        ),
        (
            r#"count_over_time({app=~"api|web"}[1m]) > 1"#,
            STEPS,
            m(vec![
                (PROD, vec![(60, 3.0), (240, 2.0)]),
                (WEB, vec![(120, 3.0)]),
            ]),
        ),
        (
            r#"1 < count_over_time({app=~"api|web"}[1m])"#,
            STEPS,
            m(vec![
                (PROD, vec![(60, 3.0), (240, 2.0)]),
                (WEB, vec![(120, 3.0)]),
            ]),
        ),
        (
            r#"count_over_time({app=~"api|web"}[1m]) > bool 1"#,
            STEPS,
            m(vec![
                (DEV, all4([0.0; 4])),
                (PROD, all4([1.0, 0.0, 0.0, 1.0])),
                (WEB, at4([Some(0.0), Some(1.0), None, Some(0.0)])),
            ]),
        ),
        (
            r#"count_over_time({app="api"}[1m]) == bool 1"#,
            At::Instant(60),
            Expect::Vector(vec![(DEV, 1.0), (PROD, 0.0)]),
        ),
        // Vector matching.
        (
            r#"count_over_time({app="api"}[1m]) + bytes_over_time({app="api"}[1m])"#,
            STEPS,
            m(vec![
                (DEV, all4([201.0, 101.0, 301.0, 101.0])),
                (PROD, all4([163.0, 21.0, 31.0, 102.0])),
            ]),
        ),
        (
            r#"count_over_time({app=~"api|web"}[1m]) / on (app) group_left sum by (app) (count_over_time({app=~"api|web"}[1m]))"#,
            STEPS,
            m(vec![
                (DEV, all4([0.25, 0.5, 0.5, 1.0 / 3.0])),
                (PROD, all4([0.75, 0.5, 0.5, 2.0 / 3.0])),
                (WEB, at4([Some(1.0), Some(1.0), None, Some(1.0)])),
            ]),
        ),
        (
            r#"sum by (app) (count_over_time({app=~"api|web"}[1m])) * on (app) group_left (env) count_over_time({app="web"}[1m])"#,
            STEPS,
            m(vec![(WEB, at4([Some(1.0), Some(9.0), None, Some(1.0)]))]),
        ),
        (
            r#"count_over_time({app="web"}[1m]) - on (app) group_right (env) sum by (app) (bytes_over_time({app=~"api|web"}[1m]))"#,
            STEPS,
            m(vec![(
                WEB,
                at4([Some(-999.0), Some(-27.0), None, Some(-9.0)]),
            )]),
        ),
        (
            r#"count_over_time({app="web"}[1m]) + ignoring (env) sum by (app) (count_over_time({app="web"}[1m]))"#,
            STEPS,
            m(vec![(
                r#"{app="web"}"#,
                at4([Some(2.0), Some(6.0), None, Some(2.0)]),
            )]),
        ),
        (
            r#"count_over_time({app="web"}[1m]) > on (app) sum by (app) (count_over_time({app="web"}[1m])) - 1"#,
            STEPS,
            m(vec![(
                r#"{app="web"}"#,
                at4([Some(1.0), Some(3.0), None, Some(1.0)]),
            )]),
        ),
        (
            r#"count_over_time({app="api"}[1m]) + on (app) count_over_time({app="api"}[1m])"#,
            STEPS,
            Expect::Error(
                "found duplicate series on the right hand-side;many-to-many matching not allowed",
            ),
        ),
        (
            r#"count_over_time({app="api"}[1m]) + on (app) sum by (app) (count_over_time({app="api"}[1m]))"#,
            STEPS,
            Expect::Error("multiple matches for labels: many-to-one matching must be explicit"),
        ),
        (
            r#"count_over_time({app="api"}[1m]) + on (app) group_left (env) sum by (app) (count_over_time({app="api"}[1m]))"#,
            STEPS,
            Expect::Error("grouping labels must ensure unique matches"),
        ),
        // Set operators.
        (
            r#"count_over_time({app=~"api|web"}[1m]) and on (env) count_over_time({app="web"}[1m])"#,
            STEPS,
            m(vec![
                (PROD, at4([Some(3.0), Some(1.0), None, Some(2.0)])),
                (WEB, at4([Some(1.0), Some(3.0), None, Some(1.0)])),
            ]),
        ),
        (
            r#"count_over_time({app="web"}[1m]) or on (env) count_over_time({app="api"}[1m])"#,
            STEPS,
            m(vec![
                (DEV, all4([1.0; 4])),
                (PROD, vec![(180, 1.0)]),
                (WEB, at4([Some(1.0), Some(3.0), None, Some(1.0)])),
            ]),
        ),
        (
            r#"count_over_time({app=~"api|web"}[1m]) unless on (env) count_over_time({env="dev"}[1m])"#,
            STEPS,
            m(vec![
                (PROD, all4([3.0, 1.0, 1.0, 2.0])),
                (WEB, at4([Some(1.0), Some(3.0), None, Some(1.0)])),
            ]),
        ),
        // Numbers, vector(), label_replace.
        ("1 + 2", At::Instant(120), Expect::Scalar(3.0)),
        ("2 ^ 3 * 2 - 7 % 4", At::Instant(120), Expect::Scalar(13.0)),
        ("2 > bool 1", At::Instant(120), Expect::Scalar(1.0)),
        ("1 / 0", At::Instant(120), Expect::Scalar(f64::NAN)),
        ("1 + 2", STEPS, m(vec![("{}", all4([3.0; 4]))])),
        ("vector(2) * 3", STEPS, m(vec![("{}", all4([6.0; 4]))])),
        (
            r#"sum(count_over_time({app=~"api|web"}[1m])) + vector(1)"#,
            STEPS,
            m(vec![("{}", all4([6.0, 6.0, 3.0, 5.0]))]),
        ),
        (
            r#"label_replace(count_over_time({app="web"}[1m]), "svc", "$1-x", "app", "(w.*)")"#,
            STEPS,
            m(vec![(
                r#"{app="web", env="prod", svc="web-x"}"#,
                at4([Some(1.0), Some(3.0), None, Some(1.0)]),
            )]),
        ),
        (
            r#"label_replace(count_over_time({app="web"}[1m]), "svc", "$1", "app", "x(.*)")"#,
            STEPS,
            m(vec![(WEB, at4([Some(1.0), Some(3.0), None, Some(1.0)]))]),
        ),
        (
            r#"label_replace(count_over_time({app="api"}[1m]), "env", "", "env", ".*")"#,
            STEPS,
            Expect::Error("vector cannot contain metrics with the same labelset"),
        ),
    ]
}
