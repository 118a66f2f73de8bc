//! Parsing of request parameters shared by the APIs: trace ids and time ranges.

use sightline_proto::TraceId;

use crate::error::ApiError;

/// Now, unix nanoseconds.
pub fn now_nanos() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64)
}

/// Runs CPU- or scan-heavy query `work` on the blocking pool, handing it the runtime its block
/// reads run on.
pub async fn blocking<T: Send + 'static>(
    work: impl FnOnce(&tokio::runtime::Handle) -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    let runtime = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || work(&runtime))
        .await
        .map_err(|e| ApiError::Internal(format!("query failed: {e}")))?
}

/// Parses a trace id: up to 32 hex digits of either case (shorter ids are left-padded, as Tempo
/// and Jaeger accept them).
pub fn parse_trace_id(text: &str) -> Result<TraceId, ApiError> {
    TraceId::from_hex(text.trim())
        .map_err(|e| ApiError::BadRequest(format!("invalid trace id {text:?}: {e}")))
}

/// Parses a span id: up to 16 hex digits (shorter ids are left-padded, like trace ids).
pub fn parse_span_id(text: &str) -> Result<[u8; 8], ApiError> {
    hex::decode(format!("{:0>16}", text.trim()))
        .ok()
        .and_then(|b| <[u8; 8]>::try_from(b).ok())
        .ok_or_else(|| ApiError::BadRequest(format!("invalid span id {text:?}")))
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

/// Parses a point in time given as unix seconds (possibly fractional), unix nanoseconds (any
/// integer above 10^12) or RFC 3339, into unix nanoseconds.
pub fn parse_timestamp(name: &str, text: &str) -> Result<u64, ApiError> {
    let text = text.trim();
    let invalid = || {
        ApiError::BadRequest(format!(
            "invalid {name} {text:?}: expected unix seconds, unix nanoseconds or RFC 3339"
        ))
    };
    if let Ok(integer) = text.parse::<u64>() {
        return Ok(if integer > 1_000_000_000_000 {
            integer
        } else {
            integer.saturating_mul(1_000_000_000)
        });
    }
    if let Ok(seconds) = text.parse::<f64>() {
        if seconds.is_finite() && seconds >= 0.0 {
            return Ok((seconds * 1e9) as u64);
        }
        return Err(invalid());
    }
    let parsed = chrono::DateTime::parse_from_rfc3339(text).map_err(|_| invalid())?;
    u64::try_from(parsed.timestamp_nanos_opt().ok_or_else(invalid)?).map_err(|_| invalid())
}

/// Parses a Go duration (`300ms`, `1.5s`, `1h30m`, `250us`, `10ns`; a bare number is
/// nanoseconds) into nanoseconds.
pub fn parse_go_duration(text: &str) -> Result<u64, ApiError> {
    let invalid = || {
        ApiError::BadRequest(format!(
            "invalid duration {text:?}: expected e.g. 100ms, 1.5s or 1h30m"
        ))
    };
    let text = text.trim();
    if text.is_empty() {
        return Err(invalid());
    }
    if let Ok(nanos) = text.parse::<u64>() {
        return Ok(nanos);
    }
    let mut total = 0f64;
    let mut rest = text;
    while !rest.is_empty() {
        let number_end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(invalid)?;
        let number: f64 = rest[..number_end].parse().map_err(|_| invalid())?;
        rest = &rest[number_end..];
        let unit_end = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let scale = match &rest[..unit_end] {
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            _ => return Err(invalid()),
        };
        total += number * scale;
        rest = &rest[unit_end..];
    }
    Ok(total.round() as u64)
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
    fn go_durations() {
        assert_eq!(parse_go_duration("100ms").unwrap(), 100_000_000);
        assert_eq!(parse_go_duration("1.5s").unwrap(), 1_500_000_000);
        assert_eq!(parse_go_duration("1h30m").unwrap(), 5_400_000_000_000);
        assert_eq!(parse_go_duration("250us").unwrap(), 250_000);
        assert_eq!(parse_go_duration("250µs").unwrap(), 250_000);
        assert_eq!(parse_go_duration("42").unwrap(), 42);
        assert!(parse_go_duration("5 days").is_err());
        assert!(parse_go_duration("").is_err());
        assert!(parse_go_duration("ms").is_err());
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
