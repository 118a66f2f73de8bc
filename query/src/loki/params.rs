//! Loki's request parameters: times as nanosecond epochs, float seconds or RFC 3339; `since`;
//! `limit`; `direction`; `step` as a duration or float seconds.

use crate::error::ApiError;
use crate::logs::Direction;
use crate::params::{now_nanos, parse_go_duration};

const SECOND: u64 = 1_000_000_000;
/// Loki's default range: the last hour.
pub const DEFAULT_SINCE: u64 = 3600 * SECOND;
/// Loki's default number of lines.
pub const DEFAULT_LIMIT: usize = 100;

/// A Loki time: an integer is nanoseconds since the epoch (Loki also takes seconds when the
/// number is small), a decimal is seconds, anything else RFC 3339.
pub fn parse_loki_time(name: &str, text: &str) -> Result<u64, ApiError> {
    let text = text.trim();
    let invalid = || {
        ApiError::BadRequest(format!(
            "invalid {name} {text:?}: expected nanoseconds since the epoch, seconds, or RFC 3339"
        ))
    };
    if let Ok(integer) = text.parse::<u64>() {
        // Loki reads integers of at most 10 digits as seconds (a nanosecond timestamp of that
        // size would be in 1970).
        return Ok(if text.len() <= 10 {
            integer.saturating_mul(SECOND)
        } else {
            integer
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

/// A duration as Loki takes it: Prometheus/Go units (`5m`, `1h30m`, `1d`, `1w`) or float
/// seconds.
pub fn parse_loki_duration(name: &str, text: &str) -> Result<u64, ApiError> {
    let text = text.trim();
    if let Ok(seconds) = text.parse::<f64>() {
        if seconds.is_finite() && seconds > 0.0 {
            return Ok((seconds * 1e9) as u64);
        }
        return Err(ApiError::BadRequest(format!(
            "invalid {name} {text:?}: must be positive"
        )));
    }
    let (number, unit) = text.split_at(text.find(|c: char| !c.is_ascii_digit()).unwrap_or(0));
    let scaled = match (number.parse::<u64>(), unit) {
        (Ok(n), "d") => Some(n * 86_400 * SECOND),
        (Ok(n), "w") => Some(n * 7 * 86_400 * SECOND),
        (Ok(n), "y") => Some(n * 365 * 86_400 * SECOND),
        _ => None,
    };
    match scaled {
        Some(nanos) => Ok(nanos),
        None => parse_go_duration(text).map_err(|_| {
            ApiError::BadRequest(format!(
                "invalid {name} {text:?}: expected a duration such as 5m or a number of seconds"
            ))
        }),
    }
}

fn present(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|v| !v.is_empty())
}

/// `start`/`end`/`since` of a range request: `[start, end]`, default the last hour.
pub fn time_range(
    start: Option<&str>,
    end: Option<&str>,
    since: Option<&str>,
) -> Result<(u64, u64), ApiError> {
    let end = match present(end) {
        Some(end) => parse_loki_time("end", end)?,
        None => now_nanos(),
    };
    let start = match (present(start), present(since)) {
        (Some(start), _) => parse_loki_time("start", start)?,
        (None, Some(since)) => end.saturating_sub(parse_loki_duration("since", since)?),
        (None, None) => end.saturating_sub(DEFAULT_SINCE),
    };
    if end < start {
        return Err(ApiError::BadRequest(
            "end timestamp must not be before start time".into(),
        ));
    }
    Ok((start, end))
}

/// `direction=backward|forward` (default backward).
pub fn direction(text: Option<&str>) -> Result<Direction, ApiError> {
    match text.map(|t| t.trim().to_ascii_lowercase()).as_deref() {
        None | Some("") | Some("backward") => Ok(Direction::Backward),
        Some("forward") => Ok(Direction::Forward),
        Some(other) => Err(ApiError::BadRequest(format!(
            "invalid direction {other:?}: expected backward or forward"
        ))),
    }
}

/// Loki's default step: the range over 250 points, at least a second.
pub fn default_step(start: u64, end: u64) -> u64 {
    ((end - start) / 250 / SECOND).max(1) * SECOND
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_durations_and_defaults() {
        assert_eq!(
            parse_loki_time("t", "1700000000").unwrap(),
            1_700_000_000 * SECOND
        );
        assert_eq!(
            parse_loki_time("t", "1700000000123456789").unwrap(),
            1_700_000_000_123_456_789
        );
        assert_eq!(
            parse_loki_time("t", "1700000000.5").unwrap(),
            1_700_000_000_500_000_000
        );
        assert_eq!(
            parse_loki_time("t", "2023-11-14T22:13:20Z").unwrap(),
            1_700_000_000 * SECOND
        );
        assert!(parse_loki_time("t", "yesterday").is_err());
        assert_eq!(parse_loki_duration("s", "5m").unwrap(), 300 * SECOND);
        assert_eq!(parse_loki_duration("s", "1d").unwrap(), 86_400 * SECOND);
        assert_eq!(parse_loki_duration("s", "15").unwrap(), 15 * SECOND);
        assert!(parse_loki_duration("s", "-1").is_err());
        let (start, end) = time_range(None, Some("1700000000"), Some("10m")).unwrap();
        assert_eq!(end - start, 600 * SECOND);
        let (start, end) = time_range(None, Some("1700000000"), None).unwrap();
        assert_eq!(end - start, DEFAULT_SINCE);
        assert!(time_range(Some("1700000001"), Some("1700000000"), None).is_err());
        assert_eq!(direction(Some("FORWARD")).unwrap(), Direction::Forward);
        assert!(direction(Some("sideways")).is_err());
        assert_eq!(default_step(0, 3600 * SECOND), 14 * SECOND);
    }
}
