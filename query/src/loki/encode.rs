//! Loki's JSON response shapes: `{"status":"success","data":...}` with streams (values as
//! `["<ns>", "<line>"]`, or with a third element of structured metadata and parsed labels when
//! the client asks for categorized labels), and the query statistics summary Grafana shows.

use serde_json::{Map, Value as Json, json};
use sightline_logql::Labels;

use crate::logs::{LogEntry, ScanStats};

/// The header Grafana sends to ask for categorized labels.
pub const ENCODING_FLAGS_HEADER: &str = "X-Loki-Response-Encoding-Flags";
/// The flag that asks for them.
pub const CATEGORIZE_LABELS: &str = "categorize-labels";

/// Labels as a JSON object.
pub fn labels_json(labels: &Labels) -> Json {
    Json::Object(
        labels
            .iter()
            .map(|(n, v)| (n.to_string(), Json::String(v.to_string())))
            .collect::<Map<String, Json>>(),
    )
}

/// Wraps `data` in Loki's success envelope.
pub fn success(data: Json) -> Json {
    json!({ "status": "success", "data": data })
}

/// Groups entries (already in the answer's order) into streams. Without categorized labels a
/// stream is every label of the line (stream labels, structured metadata, parsed labels), as
/// Loki does; with them, only the stream labels, the rest riding on each value.
pub fn streams_json(entries: &[LogEntry], categorize: bool) -> Json {
    let mut order: Vec<Labels> = Vec::new();
    let mut streams: std::collections::HashMap<Labels, Vec<Json>> = Default::default();
    for entry in entries {
        let key = if categorize {
            entry.stream.clone()
        } else {
            entry.labels.clone()
        };
        let value = if categorize {
            let mut extra = Map::new();
            if !entry.metadata.is_empty() {
                extra.insert("structuredMetadata".into(), labels_json(&entry.metadata));
            }
            let parsed = entry.parsed();
            if !parsed.is_empty() {
                extra.insert("parsed".into(), labels_json(&parsed));
            }
            json!([entry.time.to_string(), entry.line, extra])
        } else {
            json!([entry.time.to_string(), entry.line])
        };
        streams
            .entry(key.clone())
            .or_insert_with(|| {
                order.push(key);
                Vec::new()
            })
            .push(value);
    }
    Json::Array(
        order
            .into_iter()
            .map(|key| {
                let values = streams.remove(&key).unwrap_or_default();
                json!({ "stream": labels_json(&key), "values": values })
            })
            .collect(),
    )
}

/// Loki's statistics summary for a query that read `stats` in `exec_seconds`.
pub fn stats_json(stats: &ScanStats, returned: usize, exec_seconds: f64) -> Json {
    let per_second = |n: u64| {
        if exec_seconds > 0.0 {
            (n as f64 / exec_seconds) as u64
        } else {
            0
        }
    };
    json!({
        "summary": {
            "bytesProcessedPerSecond": per_second(stats.bytes_read),
            "linesProcessedPerSecond": per_second(stats.rows_read),
            "totalBytesProcessed": stats.bytes_read,
            "totalLinesProcessed": stats.rows_read,
            "totalPostFilterLines": stats.lines,
            "totalEntriesReturned": returned,
            "execTime": exec_seconds,
            "queueTime": 0,
            "subqueries": 0,
            "shards": 0,
            "splits": 0,
            "totalStructuredMetadataBytesProcessed": 0,
        }
    })
}
