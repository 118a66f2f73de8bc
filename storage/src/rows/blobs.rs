//! Protobuf "blobs": the parts of an OTLP record kept as encoded protobuf in one Binary column.
//!
//! Resources and scopes repeat across many rows, so they are stored once per distinct value
//! (Parquet dictionary encoding) as an encoded [`ResourceBlob`] / [`ScopeBlob`]. Events, links,
//! exemplars and overflow attributes are stored per row in the same way. Protobuf keeps every
//! field, including presence of optional messages, so these columns are lossless.

use prost::Message;
use sightline_proto::otlp::common::v1::{InstrumentationScope, KeyValue};
use sightline_proto::otlp::metrics::v1::Exemplar;
use sightline_proto::otlp::resource::v1::Resource;
use sightline_proto::otlp::trace::v1::span::{Event, Link};

use crate::error::StorageResult;

/// A resource with the schema URL of its `Resource*` envelope.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ResourceBlob {
    /// The resource, `None` when the envelope had none.
    #[prost(message, optional, tag = "1")]
    pub resource: Option<Resource>,
    /// `ResourceSpans.schema_url` (or logs/metrics equivalent).
    #[prost(string, tag = "2")]
    pub schema_url: String,
}

/// An instrumentation scope with the schema URL of its `Scope*` envelope.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ScopeBlob {
    /// The scope, `None` when the envelope had none.
    #[prost(message, optional, tag = "1")]
    pub scope: Option<InstrumentationScope>,
    /// `ScopeSpans.schema_url` (or logs/metrics equivalent).
    #[prost(string, tag = "2")]
    pub schema_url: String,
}

/// A span's events.
#[derive(Clone, PartialEq, prost::Message)]
pub struct EventList {
    /// The events in their original order.
    #[prost(message, repeated, tag = "1")]
    pub events: Vec<Event>,
}

/// A span's links.
#[derive(Clone, PartialEq, prost::Message)]
pub struct LinkList {
    /// The links in their original order.
    #[prost(message, repeated, tag = "1")]
    pub links: Vec<Link>,
}

/// A data point's exemplars.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ExemplarList {
    /// The exemplars in their original order.
    #[prost(message, repeated, tag = "1")]
    pub exemplars: Vec<Exemplar>,
}

/// Key/values that did not get a typed column (or a metric's metadata).
#[derive(Clone, PartialEq, prost::Message)]
pub struct KeyValueBlob {
    /// The key/values in their original order.
    #[prost(message, repeated, tag = "1")]
    pub values: Vec<KeyValue>,
}

/// Encodes a resource blob.
pub fn encode_resource(resource: &Option<Resource>, schema_url: &str) -> Vec<u8> {
    // Encode without cloning the resource: field 1 (message) then field 2 (string).
    let mut out = Vec::new();
    if let Some(resource) = resource {
        prost::encoding::message::encode(1, resource, &mut out);
    }
    if !schema_url.is_empty() {
        prost::encoding::string::encode(2, &schema_url.to_string(), &mut out);
    }
    out
}

/// Encodes a scope blob.
pub fn encode_scope(scope: &Option<InstrumentationScope>, schema_url: &str) -> Vec<u8> {
    let mut out = Vec::new();
    if let Some(scope) = scope {
        prost::encoding::message::encode(1, scope, &mut out);
    }
    if !schema_url.is_empty() {
        prost::encoding::string::encode(2, &schema_url.to_string(), &mut out);
    }
    out
}

/// Encodes a repeated message as field 1 of a wrapper, without cloning the items.
pub fn encode_repeated<M: Message>(items: &[M]) -> Vec<u8> {
    let mut out = Vec::new();
    for item in items {
        prost::encoding::message::encode(1, item, &mut out);
    }
    out
}

/// Decodes a resource blob.
pub fn decode_resource(bytes: &[u8]) -> StorageResult<ResourceBlob> {
    Ok(ResourceBlob::decode(bytes)?)
}

/// Decodes a scope blob.
pub fn decode_scope(bytes: &[u8]) -> StorageResult<ScopeBlob> {
    Ok(ScopeBlob::decode(bytes)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sightline_proto::otlp::common::v1::{AnyValue, any_value};

    #[test]
    fn presence_of_optional_messages_survives() {
        let none = encode_resource(&None, "");
        assert_eq!(decode_resource(&none).unwrap().resource, None);
        let empty = encode_resource(&Some(Resource::default()), "https://schema");
        let blob = decode_resource(&empty).unwrap();
        assert_eq!(blob.resource, Some(Resource::default()));
        assert_eq!(blob.schema_url, "https://schema");
    }

    #[test]
    fn repeated_wrapper_matches_prost_encoding() {
        let values = vec![KeyValue {
            key: "k".into(),
            value: Some(AnyValue {
                value: Some(any_value::Value::IntValue(7)),
            }),
            key_strindex: 0,
        }];
        let ours = encode_repeated(&values);
        let theirs = KeyValueBlob {
            values: values.clone(),
        }
        .encode_to_vec();
        assert_eq!(ours, theirs);
        assert_eq!(
            KeyValueBlob::decode(ours.as_slice()).unwrap().values,
            values
        );
    }
}
