//! Parsing of request parameters shared by the APIs: trace ids and time ranges.

use sightline_proto::TraceId;

use crate::error::ApiError;

/// Parses a trace id: up to 32 hex digits of either case (shorter ids are left-padded, as Tempo
/// and Jaeger accept them).
pub fn parse_trace_id(text: &str) -> Result<TraceId, ApiError> {
    TraceId::from_hex(text.trim())
        .map_err(|e| ApiError::BadRequest(format!("invalid trace id {text:?}: {e}")))
}

/// Turns optional `start`/`end` unix-second parameters into an inclusive nanosecond range
/// (`None` when neither is given). `end` covers its whole second.
pub fn seconds_range(
    start: Option<&str>,
    end: Option<&str>,
) -> Result<Option<(u64, u64)>, ApiError> {
    let parse = |name: &str, value: Option<&str>| -> Result<Option<u64>, ApiError> {
        match value.map(str::trim).filter(|v| !v.is_empty()) {
            None => Ok(None),
            Some(v) => v.parse::<u64>().map(Some).map_err(|_| {
                ApiError::BadRequest(format!("invalid {name} {v:?}: expected unix seconds"))
            }),
        }
    };
    let start = parse("start", start)?;
    let end = parse("end", end)?;
    if start.is_none() && end.is_none() {
        return Ok(None);
    }
    let start_ns = start.map_or(0, |s| s.saturating_mul(1_000_000_000));
    let end_ns = end.map_or(u64::MAX, |e| {
        e.saturating_mul(1_000_000_000).saturating_add(999_999_999)
    });
    if end_ns < start_ns {
        return Err(ApiError::BadRequest("end must not be before start".into()));
    }
    Ok(Some((start_ns, end_ns)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trace_ids() {
        assert!(parse_trace_id("5B8EFFF798038103D269B633813FC60C").is_ok());
        assert_eq!(
            parse_trace_id("abc").unwrap().to_hex(),
            "00000000000000000000000000000abc"
        );
        assert!(parse_trace_id("xyz").is_err());
        assert!(parse_trace_id(&"a".repeat(33)).is_err());
        assert!(parse_trace_id("").is_err());
    }

    #[test]
    fn ranges() {
        assert_eq!(seconds_range(None, None).unwrap(), None);
        assert_eq!(
            seconds_range(Some("10"), Some("20")).unwrap(),
            Some((10_000_000_000, 20_999_999_999))
        );
        assert_eq!(
            seconds_range(Some("10"), None).unwrap(),
            Some((10_000_000_000, u64::MAX))
        );
        assert!(seconds_range(Some("x"), None).is_err());
        assert!(seconds_range(Some("20"), Some("10")).is_err());
    }
}
