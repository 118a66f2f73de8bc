//! End-to-end tests: the real `sightline` binary, driven over its public ports by real clients
//! (tonic, HTTP, and the OpenTelemetry Python and Node SDKs).

mod admission;
mod alerting;
mod alertmanager;
mod cli;
mod crash;
mod examples;
mod harness;
mod log_apis;
mod metric_apis;
mod otlp_grpc;
mod otlp_http;
mod sdk_clients;
mod support;
mod trace_apis;
mod web_ui;
