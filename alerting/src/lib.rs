//! Alerting: Prometheus-style alerting rules over metrics, logs and traces.
//!
//! - [`rules`]: rule files in Prometheus's format (with a `lang` for LogQL and TraceQL rules),
//!   parsed and validated;
//! - [`state`]: the state machine of a rule's alert instances (pending, firing, resolved,
//!   `for`, `keep_firing_for`), driven by the caller's clock;
//! - [`api`]: the `/api/v1/rules` and `/api/v1/alerts` bodies in Prometheus' shapes;
//! - [`manager`]: loaded groups evaluated when due, rule health, `ALERTS` samples, reloads
//!   that keep alert states;
//! - [`persist`]: alert states saved across restarts;
//! - [`notify`]: routing, grouping and timing of notifications as Alertmanager does them, and
//!   the webhook (version 4) and Alertmanager payloads.

pub mod api;
pub mod manager;
pub mod notify;
pub mod persist;
pub mod rules;
pub mod state;

pub use rules::{AlertRule, RuleFileError, RuleGroup, RuleLang, parse_rule_file};
pub use state::{Alert, AlertState, AlertTemplates, Expander, RuleState};
