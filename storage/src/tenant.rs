//! Tenants and signals: the two keys every piece of stored data lives under.

use std::fmt;
use std::sync::Arc;

/// The tenant used when multi-tenancy is off (Tempo's name for it).
pub const SINGLE_TENANT: &str = "single-tenant";

/// Longest tenant id accepted (Tempo and Loki use the same limit).
pub const MAX_TENANT_LENGTH: usize = 150;

/// Why a tenant id was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TenantError {
    /// Empty tenant id.
    #[error("tenant id is empty")]
    Empty,
    /// Longer than [`MAX_TENANT_LENGTH`].
    #[error("tenant id is longer than {MAX_TENANT_LENGTH} characters")]
    TooLong,
    /// `.` or `..`, which would escape the storage prefix.
    #[error("tenant id {0:?} is not allowed")]
    Reserved(String),
    /// A character outside `[0-9a-zA-Z!-_.*'()]`.
    #[error("tenant id contains the unsupported character {0:?}")]
    BadCharacter(char),
}

/// A validated tenant id: at most 150 characters of `[0-9a-zA-Z!-_.*'()]`, never `.` or `..`.
/// Cheap to clone.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TenantId(Arc<str>);

impl TenantId {
    /// Validates and wraps a tenant id.
    pub fn new(id: &str) -> Result<Self, TenantError> {
        if id.is_empty() {
            return Err(TenantError::Empty);
        }
        if id.len() > MAX_TENANT_LENGTH {
            return Err(TenantError::TooLong);
        }
        if id == "." || id == ".." {
            return Err(TenantError::Reserved(id.to_string()));
        }
        if let Some(bad) = id.chars().find(|c| !is_allowed_tenant_char(*c)) {
            return Err(TenantError::BadCharacter(bad));
        }
        Ok(TenantId(Arc::from(id)))
    }

    /// The tenant used when multi-tenancy is off.
    pub fn single_tenant() -> Self {
        TenantId(Arc::from(SINGLE_TENANT))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The character set Tempo and Loki accept in tenant ids.
fn is_allowed_tenant_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '!' | '-' | '_' | '.' | '*' | '\'' | '(' | ')')
}

impl fmt::Display for TenantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for TenantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TenantId({})", &self.0)
    }
}

/// Header (and gRPC metadata key) carrying the tenant, in lower case.
pub const TENANT_HEADER: &str = "x-scope-orgid";

/// Why a request has no usable tenant.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TenantHeaderError {
    /// Multi-tenancy is on and the header is missing (401 / UNAUTHENTICATED).
    #[error("no org id: set the X-Scope-OrgID header")]
    Missing,
    /// The header is present but not a valid tenant id (400 / INVALID_ARGUMENT).
    #[error("invalid X-Scope-OrgID: {0}")]
    Invalid(String),
}

/// The tenant of a request: the `X-Scope-OrgID` value when multi-tenancy is enabled,
/// `single-tenant` otherwise.
pub fn tenant_from_header(
    multitenancy_enabled: bool,
    header: Option<&[u8]>,
) -> Result<TenantId, TenantHeaderError> {
    if !multitenancy_enabled {
        return Ok(TenantId::single_tenant());
    }
    let value = header.ok_or(TenantHeaderError::Missing)?;
    let text = std::str::from_utf8(value)
        .map_err(|_| TenantHeaderError::Invalid("not valid UTF-8".into()))?;
    TenantId::new(text.trim()).map_err(|e| TenantHeaderError::Invalid(e.to_string()))
}

/// The three OpenTelemetry signals Sightline stores.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Signal {
    /// Spans.
    Traces,
    /// Log records.
    Logs,
    /// Metric data points.
    Metrics,
}

impl Signal {
    /// All signals, in a fixed order.
    pub const ALL: [Signal; 3] = [Signal::Traces, Signal::Logs, Signal::Metrics];

    /// The name used in storage paths and metric labels.
    pub fn as_str(self) -> &'static str {
        match self {
            Signal::Traces => "traces",
            Signal::Logs => "logs",
            Signal::Metrics => "metrics",
        }
    }

    /// Parses the storage-path name.
    pub fn parse(name: &str) -> Option<Signal> {
        Signal::ALL.into_iter().find(|s| s.as_str() == name)
    }

    /// A one-byte code used in the WAL.
    pub(crate) fn code(self) -> u8 {
        match self {
            Signal::Traces => 1,
            Signal::Logs => 2,
            Signal::Metrics => 3,
        }
    }

    /// Inverse of [`Signal::code`].
    pub(crate) fn from_code(code: u8) -> Option<Signal> {
        match code {
            1 => Some(Signal::Traces),
            2 => Some(Signal::Logs),
            3 => Some(Signal::Metrics),
            _ => None,
        }
    }
}

impl fmt::Display for Signal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenant_rules() {
        assert!(TenantId::new("team-a_1.prod").is_ok());
        assert!(TenantId::new("a!*'()").is_ok());
        assert_eq!(TenantId::new(""), Err(TenantError::Empty));
        assert!(matches!(TenantId::new("."), Err(TenantError::Reserved(_))));
        assert!(matches!(TenantId::new(".."), Err(TenantError::Reserved(_))));
        assert_eq!(TenantId::new("a/b"), Err(TenantError::BadCharacter('/')));
        assert_eq!(TenantId::new("../x"), Err(TenantError::BadCharacter('/')));
        assert_eq!(TenantId::new("a b"), Err(TenantError::BadCharacter(' ')));
        assert!(TenantId::new(&"a".repeat(150)).is_ok());
        assert_eq!(TenantId::new(&"a".repeat(151)), Err(TenantError::TooLong));
    }

    #[test]
    fn tenant_from_header_rules() {
        assert_eq!(
            tenant_from_header(false, Some(b"x")).unwrap().as_str(),
            "single-tenant"
        );
        assert_eq!(
            tenant_from_header(true, Some(b"team-a")).unwrap().as_str(),
            "team-a"
        );
        assert_eq!(
            tenant_from_header(true, None),
            Err(TenantHeaderError::Missing)
        );
        assert!(matches!(
            tenant_from_header(true, Some(b"..")),
            Err(TenantHeaderError::Invalid(_))
        ));
        assert!(matches!(
            tenant_from_header(true, Some(b"../x")),
            Err(TenantHeaderError::Invalid(_))
        ));
        assert!(matches!(
            tenant_from_header(true, Some(&[0xff])),
            Err(TenantHeaderError::Invalid(_))
        ));
    }

    #[test]
    fn signal_codes_round_trip() {
        for signal in Signal::ALL {
            assert_eq!(Signal::from_code(signal.code()), Some(signal));
            assert_eq!(Signal::parse(signal.as_str()), Some(signal));
        }
    }
}
