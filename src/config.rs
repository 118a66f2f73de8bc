//! The `sightline serve` configuration: defaults, then the TOML file (`--config`), then
//! `SIGHTLINE_*` environment variables, then command-line flags. Unknown keys are an error at
//! every level, with the offending key named.
//!
//! Environment variables map onto keys by lower-casing the rest of the name and using `__` for
//! nesting: `SIGHTLINE_DATA_DIR` -> `data_dir`, `SIGHTLINE_RECEIVER__MULTITENANCY_ENABLED` ->
//! `[receiver] multitenancy_enabled`. Values are parsed as TOML values when they can be (numbers,
//! booleans), otherwise taken as strings.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use serde::Deserialize;
use sightline_collector::ReceiverConfig;
use sightline_collector::derived::DerivedMetricsConfig;
use sightline_storage::block::BlockOptions;
use sightline_storage::{CutPolicy, StoreConfig};

use crate::alerting::AlertingSettings;

/// Prefix of configuration environment variables.
pub const ENV_PREFIX: &str = "SIGHTLINE_";

/// Everything `sightline serve` can be configured with.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// WAL and local blocks.
    pub data_dir: PathBuf,
    /// OTLP/gRPC listen address.
    pub otlp_grpc_addr: String,
    /// OTLP/HTTP listen address.
    pub otlp_http_addr: String,
    /// Query API (and UI) listen address.
    pub http_addr: String,
    /// Memory budget for in-flight and buffered data, MiB. Above it exports are refused with
    /// retryable errors.
    pub memory_limit_mib: usize,
    /// Log filter (`RUST_LOG` syntax) when `RUST_LOG` is not set.
    pub log_level: String,
    /// OTLP receivers.
    pub receiver: ReceiverConfig,
    /// Storage.
    pub storage: StorageSettings,
    /// Span metrics and the service graph derived from received spans.
    pub metrics_generator: GeneratorSettings,
    /// Alerting rules and receivers.
    pub alerting: AlertingSettings,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("./data"),
            otlp_grpc_addr: "0.0.0.0:4317".into(),
            otlp_http_addr: "0.0.0.0:4318".into(),
            http_addr: "0.0.0.0:3200".into(),
            memory_limit_mib: 1024,
            log_level: "info".into(),
            receiver: ReceiverConfig::default(),
            storage: StorageSettings::default(),
            metrics_generator: GeneratorSettings::default(),
            alerting: AlertingSettings::default(),
        }
    }
}

/// The `[metrics_generator]` table: Tempo-compatible span metrics and service-graph metrics,
/// derived from received spans and stored as metrics.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GeneratorSettings {
    /// Derive and store the metrics.
    pub enabled: bool,
    /// Seconds between stored samples.
    pub collection_interval_seconds: u64,
    /// Seconds a client or server span waits for its partner before it counts as unpaired (or
    /// pairs with a virtual node).
    pub pairing_wait_seconds: u64,
    /// Most spans waiting for a partner, per tenant.
    pub max_pending_edges: usize,
    /// Most series per tenant.
    pub max_series_per_tenant: usize,
}

impl Default for GeneratorSettings {
    fn default() -> Self {
        let derived = DerivedMetricsConfig::default();
        Self {
            enabled: true,
            collection_interval_seconds: 5,
            pairing_wait_seconds: derived.pairing_wait.as_secs(),
            max_pending_edges: derived.max_pending_edges,
            max_series_per_tenant: derived.max_series_per_tenant,
        }
    }
}

impl GeneratorSettings {
    /// The processor settings these imply.
    pub fn derived_config(&self) -> DerivedMetricsConfig {
        DerivedMetricsConfig {
            pairing_wait: Duration::from_secs(self.pairing_wait_seconds),
            max_pending_edges: self.max_pending_edges,
            max_series_per_tenant: self.max_series_per_tenant,
            ..Default::default()
        }
    }
}

/// The `[storage]` table.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StorageSettings {
    /// fsync the WAL before acknowledging an export. Turning this off loses acknowledged data
    /// on a crash; it exists for benchmarks.
    pub wal_fsync: bool,
    /// WAL segment size, bytes.
    pub wal_segment_bytes: u64,
    /// Cut a block when a head holds this many rows.
    pub max_block_rows: usize,
    /// Cut a block when a head holds this many bytes in memory.
    pub max_head_bytes: usize,
    /// Cut a block when a head's oldest row is this many seconds old.
    pub max_block_age_seconds: u64,
    /// zstd level of block columns.
    pub zstd_level: i32,
    /// Target Parquet data page size, bytes.
    pub data_page_bytes: usize,
    /// Cap on typed attribute columns per block.
    pub max_attribute_columns: usize,
}

impl Default for StorageSettings {
    fn default() -> Self {
        let cut = CutPolicy::default();
        let block = BlockOptions::default();
        Self {
            wal_fsync: true,
            wal_segment_bytes: 64 << 20,
            max_block_rows: cut.max_block_rows,
            max_head_bytes: cut.max_head_bytes,
            max_block_age_seconds: cut.max_block_age.as_secs(),
            zstd_level: block.zstd_level,
            data_page_bytes: block.data_page_bytes,
            max_attribute_columns: block.max_attribute_columns,
        }
    }
}

impl Config {
    /// Loads defaults, then `file` (if any), then `SIGHTLINE_*` variables from `env`.
    pub fn load(
        file: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> anyhow::Result<Self> {
        let mut tree = match file {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("reading config file {}", path.display()))?;
                text.parse::<toml::Table>()
                    .with_context(|| format!("config file {} is not valid TOML", path.display()))?
            }
            None => toml::Table::new(),
        };
        for (name, value) in env {
            let Some(rest) = name.strip_prefix(ENV_PREFIX) else {
                continue;
            };
            let path: Vec<String> = rest
                .to_ascii_lowercase()
                .split("__")
                .map(str::to_string)
                .collect();
            set_path(&mut tree, &path, parse_env_value(&value))
                .with_context(|| format!("environment variable {name}"))?;
        }
        let origin = file.map_or("configuration".to_string(), |p| {
            format!("config file {}", p.display())
        });
        let config: Config =
            toml::Value::Table(tree)
                .try_into()
                .map_err(|e: toml::de::Error| {
                    anyhow::anyhow!("{origin} (with {ENV_PREFIX}* overrides): {}", e.message())
                })?;
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> anyhow::Result<()> {
        if self.memory_limit_mib == 0 {
            bail!("memory_limit_mib must be positive");
        }
        if self.receiver.max_request_bytes == 0 {
            bail!("receiver.max_request_bytes must be positive");
        }
        if self.metrics_generator.collection_interval_seconds == 0 {
            bail!("metrics_generator.collection_interval_seconds must be positive");
        }
        if !(1..=22).contains(&self.storage.zstd_level) {
            bail!("storage.zstd_level must be between 1 and 22");
        }
        Ok(())
    }

    /// The memory budget in bytes.
    pub fn memory_limit_bytes(&self) -> usize {
        self.memory_limit_mib << 20
    }

    /// The store settings this configuration implies.
    pub fn store_config(&self) -> StoreConfig {
        let s = &self.storage;
        let mut config = StoreConfig::new(&self.data_dir);
        config.wal_fsync = s.wal_fsync;
        config.wal_segment_bytes = s.wal_segment_bytes;
        config.cut = CutPolicy {
            max_block_rows: s.max_block_rows,
            max_head_bytes: s.max_head_bytes,
            max_block_age: Duration::from_secs(s.max_block_age_seconds),
        };
        config.block.zstd_level = s.zstd_level;
        config.block.data_page_bytes = s.data_page_bytes;
        config.block.max_attribute_columns = s.max_attribute_columns;
        config
    }
}

fn parse_env_value(value: &str) -> toml::Value {
    format!("v = {value}")
        .parse::<toml::Table>()
        .ok()
        .and_then(|mut t| t.remove("v"))
        .unwrap_or_else(|| toml::Value::String(value.to_string()))
}

fn set_path(tree: &mut toml::Table, path: &[String], value: toml::Value) -> anyhow::Result<()> {
    let (last, parents) = path.split_last().expect("split produces at least one part");
    let mut table = tree;
    for part in parents {
        let entry = table
            .entry(part.clone())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        table = entry
            .as_table_mut()
            .with_context(|| format!("{part} is not a table"))?;
    }
    table.insert(last.clone(), value);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_match_the_documented_contract() {
        let config = Config::load(None, env(&[])).unwrap();
        assert_eq!(config.otlp_grpc_addr, "0.0.0.0:4317");
        assert_eq!(config.otlp_http_addr, "0.0.0.0:4318");
        assert_eq!(config.http_addr, "0.0.0.0:3200");
        assert_eq!(config.data_dir, PathBuf::from("./data"));
        assert_eq!(config.receiver.max_request_bytes, 64 << 20);
        assert!(!config.receiver.multitenancy_enabled);
    }

    #[test]
    fn file_then_environment() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sightline.toml");
        std::fs::write(&path, "data_dir = \"/tmp/a\"\nmemory_limit_mib = 64\n[receiver]\nmultitenancy_enabled = true\n").unwrap();
        let config = Config::load(
            Some(&path),
            env(&[
                ("SIGHTLINE_MEMORY_LIMIT_MIB", "128"),
                ("SIGHTLINE_STORAGE__WAL_FSYNC", "false"),
                ("OTHER", "x"),
            ]),
        )
        .unwrap();
        assert_eq!(config.data_dir, PathBuf::from("/tmp/a"));
        assert_eq!(config.memory_limit_mib, 128);
        assert!(config.receiver.multitenancy_enabled);
        assert!(!config.storage.wal_fsync);
    }

    #[test]
    fn unknown_keys_are_rejected_with_their_name() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.toml");
        std::fs::write(&path, "[receiver]\nmax_request_bytez = 1\n").unwrap();
        let error = Config::load(Some(&path), env(&[])).unwrap_err().to_string();
        assert!(error.contains("max_request_bytez"), "{error}");
        let error = Config::load(None, env(&[("SIGHTLINE_DATADIR", "x")]))
            .unwrap_err()
            .to_string();
        assert!(error.contains("datadir"), "{error}");
    }

    #[test]
    fn wrong_types_are_rejected() {
        let error = Config::load(None, env(&[("SIGHTLINE_MEMORY_LIMIT_MIB", "lots")]))
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("memory_limit_mib") || error.contains("invalid type"),
            "{error}"
        );
    }
}
