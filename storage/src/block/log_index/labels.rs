//! The labels of a log row under Loki's OpenTelemetry conventions, shared by the index (which
//! indexes every one) and the query side (which tells stream labels from structured metadata).
//!
//! - Stream labels: `service_name`, the resource attributes Loki promotes by default (under
//!   their Loki names, e.g. `k8s_namespace_name`), and `level` (the severity).
//! - Structured metadata: every other resource attribute and every log attribute.

use std::collections::HashMap;
use std::sync::Arc;

use sightline_proto::otlp::common::v1::KeyValue;

use super::schema::{level_of, loki_label_name};
use crate::error::StorageResult;
use crate::rows::blobs::decode_resource;
use crate::rows::logs::line_text;

/// The resource attributes Loki promotes to stream labels by default.
pub const PROMOTED_RESOURCE_ATTRIBUTES: [&str; 18] = [
    "cloud.availability_zone",
    "cloud.region",
    "container.name",
    "deployment.environment",
    "deployment.environment.name",
    "k8s.cluster.name",
    "k8s.container.name",
    "k8s.cronjob.name",
    "k8s.daemonset.name",
    "k8s.deployment.name",
    "k8s.job.name",
    "k8s.namespace.name",
    "k8s.pod.name",
    "k8s.replicaset.name",
    "k8s.statefulset.name",
    "service.instance.id",
    "service.name",
    "service.namespace",
];

/// Whether `name` (a Loki label name) is a stream label rather than structured metadata.
pub fn is_stream_label(name: &str) -> bool {
    name == "service_name"
        || name == "level"
        || PROMOTED_RESOURCE_ATTRIBUTES
            .iter()
            .any(|key| loki_label_name(key) == name)
}

/// Whether a label identifies the stream or rides along with each line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LabelKind {
    /// A stream (index) label.
    Stream,
    /// Structured metadata.
    Metadata,
}

/// One label of a row.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RowLabel {
    /// Loki name.
    pub name: String,
    /// Value as text.
    pub value: String,
    /// Stream label or structured metadata.
    pub kind: LabelKind,
}

fn attribute_labels(attributes: &[KeyValue], resource: bool, out: &mut Vec<RowLabel>) {
    for kv in attributes {
        let Some(value) = &kv.value else { continue };
        let kind = if resource && PROMOTED_RESOURCE_ATTRIBUTES.contains(&kv.key.as_str()) {
            LabelKind::Stream
        } else {
            LabelKind::Metadata
        };
        out.push(RowLabel {
            name: loki_label_name(&kv.key),
            value: line_text(Some(value)),
            kind,
        });
    }
}

/// Computes row labels, decoding each distinct resource once.
#[derive(Default)]
pub struct RowLabeler {
    resources: HashMap<Vec<u8>, Arc<Vec<RowLabel>>>,
    /// The last resource seen: consecutive rows usually share it, and comparing bytes is
    /// cheaper than hashing them.
    last: Option<(Vec<u8>, Arc<Vec<RowLabel>>)>,
}

impl RowLabeler {
    /// The labels of a record: its resource's (from `resource_blob`), `service_name` and
    /// `level` when the resource has no `service.name`, and its own attributes.
    pub fn labels(
        &mut self,
        resource_blob: &[u8],
        service_name: &str,
        severity_text: &str,
        severity_number: i32,
        attributes: &[KeyValue],
    ) -> StorageResult<Vec<RowLabel>> {
        let resource = self.resource(resource_blob, service_name)?;
        let mut out = Vec::with_capacity(resource.len() + attributes.len() + 1);
        out.extend(resource.iter().cloned());
        out.push(RowLabel {
            name: "level".into(),
            value: level_of(severity_text, severity_number),
            kind: LabelKind::Stream,
        });
        attribute_labels(attributes, false, &mut out);
        Ok(out)
    }

    /// The stream labels of a record (its resource's promoted attributes, `service_name`,
    /// `level`), without its attributes: structured metadata is left out.
    pub fn stream_labels(
        &mut self,
        resource_blob: &[u8],
        service_name: &str,
        severity_text: &str,
        severity_number: i32,
    ) -> StorageResult<Vec<RowLabel>> {
        let resource = self.resource(resource_blob, service_name)?;
        let mut out: Vec<RowLabel> = resource
            .iter()
            .filter(|l| l.kind == LabelKind::Stream)
            .cloned()
            .collect();
        out.push(RowLabel {
            name: "level".into(),
            value: level_of(severity_text, severity_number),
            kind: LabelKind::Stream,
        });
        Ok(out)
    }

    /// The labels of a resource: the last one's again when consecutive rows share it, else
    /// [`Self::resource_labels`].
    fn resource(
        &mut self,
        resource_blob: &[u8],
        service_name: &str,
    ) -> StorageResult<Arc<Vec<RowLabel>>> {
        if let Some((blob, labels)) = &self.last
            && blob.as_slice() == resource_blob
        {
            return Ok(Arc::clone(labels));
        }
        let labels = self.resource_labels(resource_blob, service_name)?;
        self.last = Some((resource_blob.to_vec(), Arc::clone(&labels)));
        Ok(labels)
    }

    /// The labels of a resource, decoded once per distinct resource.
    fn resource_labels(
        &mut self,
        resource_blob: &[u8],
        service_name: &str,
    ) -> StorageResult<Arc<Vec<RowLabel>>> {
        if let Some(labels) = self.resources.get(resource_blob) {
            return Ok(Arc::clone(labels));
        }
        let mut labels = Vec::new();
        if let Some(resource) = decode_resource(resource_blob)?.resource {
            attribute_labels(&resource.attributes, true, &mut labels);
        }
        if !labels.iter().any(|l| l.name == "service_name") {
            labels.push(RowLabel {
                name: "service_name".into(),
                value: service_name.to_string(),
                kind: LabelKind::Stream,
            });
        }
        let labels = Arc::new(labels);
        self.resources
            .insert(resource_blob.to_vec(), Arc::clone(&labels));
        Ok(labels)
    }
}
