//! Label discovery for logs: the stream label names of a time range and the values of a label,
//! from each block's index term dictionary and from the head's rows.

use std::collections::BTreeSet;

use sightline_storage::block::log_index::{LabelKind, RowLabeler, is_stream_label};
use sightline_storage::rows::logs::{LogColumns, record_time};
use sightline_storage::{Signal, StorageResult, TelemetryStore, TenantId};

/// Visits the labels of every head row within `[start, end]`.
fn head_labels(
    store: &TelemetryStore,
    tenant: &TenantId,
    (start, end): (u64, u64),
    visit: &mut dyn FnMut(&str, &str, LabelKind),
) -> StorageResult<()> {
    let mut labeler = RowLabeler::default();
    for batch in store.head_batches(tenant, Signal::Logs, Some((start, end))) {
        let columns = LogColumns::new(&batch.batch)?;
        for row in 0..batch.batch.num_rows() {
            let record = columns.record(row)?;
            let time = record_time(&record);
            if time < start || time > end {
                continue;
            }
            let labels = labeler.labels(
                columns.envelope.resource_blob(row),
                columns.envelope.service_name.value(row),
                &record.severity_text,
                record.severity_number,
                &record.attributes,
            )?;
            for label in &labels {
                visit(&label.name, &label.value, label.kind);
            }
        }
    }
    Ok(())
}

/// The stream label names of `tenant`'s logs in `[start, end]`, sorted.
pub fn label_names(
    store: &TelemetryStore,
    tenant: &TenantId,
    range: (u64, u64),
    runtime: &tokio::runtime::Handle,
) -> StorageResult<Vec<String>> {
    let mut names = BTreeSet::new();
    for block in store.blocks(tenant, Signal::Logs, Some(range)) {
        if let Some(index) = runtime.block_on(block.log_index())? {
            names.extend(
                index
                    .label_names()?
                    .into_iter()
                    .filter(|n| is_stream_label(n)),
            );
        }
    }
    head_labels(store, tenant, range, &mut |name, _, kind| {
        if kind == LabelKind::Stream && !names.contains(name) {
            names.insert(name.to_string());
        }
    })?;
    Ok(names.into_iter().collect())
}

/// The values of label `name` (stream label or structured metadata) in `[start, end]`, sorted,
/// at most `limit`.
pub fn label_values(
    store: &TelemetryStore,
    tenant: &TenantId,
    name: &str,
    range: (u64, u64),
    limit: usize,
    runtime: &tokio::runtime::Handle,
) -> StorageResult<Vec<String>> {
    let mut values = BTreeSet::new();
    for block in store.blocks(tenant, Signal::Logs, Some(range)) {
        if let Some(index) = runtime.block_on(block.log_index())? {
            values.extend(index.label_values(name, limit)?);
        }
    }
    head_labels(store, tenant, range, &mut |label, value, _| {
        if label == name && !values.contains(value) {
            values.insert(value.to_string());
        }
    })?;
    Ok(values.into_iter().take(limit).collect())
}
