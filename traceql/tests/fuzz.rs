//! Deterministic mutation fuzzing: mutated queries never panic, and whatever parses prints
//! canonically and parses back to the same tree.

use sightline_traceql::{parse, parse_spanset_filter_loose};

const SEEDS: &[&str] = &[
    r#"{ resource.service.name = "frontend" && span.http.status_code >= 500 } >> { status = error }"#,
    r#"{ span."a b" =~ "x.*" || !(duration > 1.5s) } | by(span.x) | avg(duration) > 100ms"#,
    "{ } | quantile_over_time(duration, .99, .5) by (span.http.route) | topk(3) > 1 with (sample = 0.1)",
    "({ .a = -1 } | count() > 1) &>> { event:name = `e` } !~ { kind = server }",
    "{ span.a + span.b * 2 ^ 3 ^ -2 > 100 % 7 - 1 / 2 && -span.c < 1e-3 }",
    "{ trace:rootService = \"a\" } | compare({ status = error }, 10) with (most_recent = true)",
];

const ALPHABET: &[&str] = &[
    "{", "}", "(", ")", "|", "&", "!", "=", "~", "<", ">", "-", "+", "*", "/", "^", "%", ".", ",",
    "\"", "`", " ", "\n", "1", "0", ".5", "s", "ms", "e", "span.", "nil", "true", "error", "x",
    "µ", "é", ":", "\\", "//", "&&", "||", "count()", "by", "rate()",
];

struct Lcg(u64);

impl Lcg {
    fn next(&mut self, bound: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) as usize) % bound
    }
}

#[test]
fn mutated_queries_never_panic_and_round_trip() {
    // TRACEQL_FUZZ_ITERATIONS / TRACEQL_FUZZ_SEED allow longer runs by hand.
    let env = |name: &str, default: u64| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let iterations = env("TRACEQL_FUZZ_ITERATIONS", 1500);
    let mut rng = Lcg(env("TRACEQL_FUZZ_SEED", 42));
    let mut parsed = 0;
    for seed in SEEDS {
        for _ in 0..iterations {
            let mut query = seed.to_string();
            for _ in 0..1 + rng.next(3) {
                let boundaries: Vec<usize> = query
                    .char_indices()
                    .map(|(i, _)| i)
                    .chain([query.len()])
                    .collect();
                let at = boundaries[rng.next(boundaries.len())];
                let next = boundaries.iter().copied().find(|&b| b > at).unwrap_or(at);
                let insert = ALPHABET[rng.next(ALPHABET.len())];
                match rng.next(3) {
                    0 => query.replace_range(at..next, ""),
                    1 => query.insert_str(at, insert),
                    _ => query.replace_range(at..next, insert),
                }
            }
            if let Ok(ast) = parse(&query) {
                parsed += 1;
                let printed = ast.to_string();
                assert_eq!(
                    parse(&printed).as_ref(),
                    Ok(&ast),
                    "{query:?} printed as {printed:?}"
                );
            }
            if let Some(filter) = parse_spanset_filter_loose(&query) {
                let printed = filter.to_string();
                assert_eq!(
                    parse(&printed).map(|q| q.expression),
                    Ok(filter),
                    "{query:?}"
                );
            }
        }
    }
    let total = iterations * SEEDS.len() as u64;
    assert!(
        parsed * 20 > total,
        "only {parsed} of {total} mutations parsed"
    );
}
