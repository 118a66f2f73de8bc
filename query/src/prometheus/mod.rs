//! OTLP metrics seen through Prometheus: the OpenTelemetry specification's "Prometheus and
//! OpenMetrics compatibility" rules, the base of the PromQL evaluator and the Prometheus HTTP API.
//!
//! - [`naming`]: metric and label names (sanitization, unit and type suffixes), `job`,
//!   `instance` and `target_info` from resource attributes.
//! - [`series`]: stored metric rows -> Prometheus series and samples (histogram buckets with
//!   `le`, summary quantiles, staleness markers, delta temporality, exemplars), from heads and
//!   blocks.

pub mod naming;
pub mod series;
