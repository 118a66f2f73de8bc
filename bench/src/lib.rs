//! Sightline benchmarks: a realistic, deterministic OTLP traffic generator modelled on a
//! ten-service online shop ([`topology`], [`generator`]) and a paced multi-connection OTLP/gRPC
//! load generator that reports acceptance, refusals and export latency ([`loadgen`]).

pub mod generator;
pub mod loadgen;
pub mod topology;

pub use generator::{TrafficGenerator, data_points_in, log_records_in, spans_in};
pub use loadgen::{LoadgenError, LoadgenOptions, LoadgenReport, run_loadgen};
