//! Small statistics helpers for benchmark output.

use std::time::Duration;

/// Latency percentiles of a sample.
#[derive(Debug, Clone, Copy, Default)]
pub struct Percentiles {
    /// Median.
    pub p50: Duration,
    /// 90th percentile.
    pub p90: Duration,
    /// 99th percentile.
    pub p99: Duration,
    /// Maximum.
    pub max: Duration,
}

impl Percentiles {
    /// Percentiles of `samples` (sorted in place); zeroes when empty.
    pub fn of(samples: &mut [Duration]) -> Self {
        if samples.is_empty() {
            return Self::default();
        }
        samples.sort();
        let at = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
        Self {
            p50: at(0.5),
            p90: at(0.9),
            p99: at(0.99),
            max: samples[samples.len() - 1],
        }
    }
}

impl std::fmt::Display for Percentiles {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        write!(
            f,
            "p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
            ms(self.p50),
            ms(self.p90),
            ms(self.p99),
            ms(self.max)
        )
    }
}

/// Total size of the files under `dir`, bytes.
pub fn dir_size(dir: &std::path::Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .filter_map(|e| e.ok())
        .map(|e| {
            let path = e.path();
            if path.is_dir() {
                dir_size(&path)
            } else {
                e.metadata().map_or(0, |m| m.len())
            }
        })
        .sum()
}

/// A stored block of the `single-tenant` tenant: its directory and what its meta.json says.
pub struct StoredBlock {
    /// The block's directory.
    pub dir: std::path::PathBuf,
    /// Rows (spans, log lines or data points).
    pub rows: u64,
    /// Bytes of its files.
    pub bytes: u64,
    /// Earliest record time, unix ns.
    pub min_time: u64,
    /// Latest record time, unix ns.
    pub max_time: u64,
}

/// The blocks of `signal` (`traces`, `logs`, `metrics`) under `<data_dir>/blocks/single-tenant`,
/// oldest block id first (none when the directory does not exist).
pub fn stored_blocks(data_dir: &std::path::Path, signal: &str) -> anyhow::Result<Vec<StoredBlock>> {
    use anyhow::Context;
    let root = data_dir.join("blocks/single-tenant").join(signal);
    let Ok(entries) = std::fs::read_dir(&root) else {
        return Ok(Vec::new());
    };
    let mut blocks = Vec::new();
    for entry in entries {
        let dir = entry?.path();
        let Ok(meta) = std::fs::read(dir.join("meta.json")) else {
            continue;
        };
        let meta: sightline_storage::block::BlockMeta = serde_json::from_slice(&meta)
            .with_context(|| format!("reading {}/meta.json", dir.display()))?;
        blocks.push(StoredBlock {
            rows: meta.rows,
            bytes: meta.size_bytes,
            min_time: meta.min_time_unix_nano,
            max_time: meta.max_time_unix_nano,
            dir,
        });
    }
    blocks.sort_by(|a, b| a.dir.cmp(&b.dir));
    Ok(blocks)
}

/// One timed GET; fails on a non-success status.
async fn timed_get(
    client: &reqwest::Client,
    url: &reqwest::Url,
) -> anyhow::Result<(Duration, serde_json::Value)> {
    let started = std::time::Instant::now();
    let response = client.get(url.clone()).send().await?;
    let status = response.status();
    let body = response.bytes().await?;
    let elapsed = started.elapsed();
    if !status.is_success() {
        anyhow::bail!("{url}: {status}: {}", String::from_utf8_lossy(&body));
    }
    Ok((elapsed, serde_json::from_slice(&body)?))
}

/// GETs `url` `runs` times (fewer once the runs together exceed `budget`, at least once);
/// returns `p50 .. ms, p99 .. ms (first run .. ms[, only N runs: over the time budget])` and
/// the last answer.
pub async fn time_runs(
    client: &reqwest::Client,
    url: &reqwest::Url,
    runs: usize,
    budget: Duration,
) -> anyhow::Result<(String, serde_json::Value)> {
    let mut samples: Vec<Duration> = Vec::with_capacity(runs);
    let mut last = serde_json::Value::Null;
    while samples.is_empty() || (samples.len() < runs && samples.iter().sum::<Duration>() < budget)
    {
        let (elapsed, body) = timed_get(client, url).await?;
        samples.push(elapsed);
        last = body;
    }
    let (first, done) = (samples[0], samples.len());
    let p = Percentiles::of(&mut samples);
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let cut = if done < runs {
        format!(", only {done} runs: over the time budget")
    } else {
        String::new()
    };
    let text = format!(
        "p50 {:.1} ms, p99 {:.1} ms (first run {:.1} ms{cut})",
        ms(p.p50),
        ms(p.p99),
        ms(first)
    );
    Ok((text, last))
}
