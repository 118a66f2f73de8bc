//! Trace and span id newtypes.
//!
//! OTLP carries ids as raw bytes; APIs show them as hex. A valid trace id is 16 bytes, a valid span
//! id 8 bytes, and neither may be all zeroes.

use std::fmt;
use std::str::FromStr;

/// Why an id could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdParseError {
    /// The input had the wrong number of bytes (or hex digits).
    #[error("expected {expected} bytes, got {actual}")]
    WrongLength {
        /// Required length in bytes.
        expected: usize,
        /// Length found, in bytes (half the hex digits for hex input).
        actual: usize,
    },
    /// The input was not hexadecimal.
    #[error("not a hexadecimal id: {0}")]
    NotHex(String),
    /// The id was all zeroes, which OTLP declares invalid.
    #[error("id is all zeroes")]
    AllZero,
}

macro_rules! id_type {
    ($name:ident, $len:expr, $what:literal) => {
        #[doc = concat!("A ", $what, " id: ", stringify!($len), " bytes, never all zeroes.")]
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
        pub struct $name(pub [u8; $len]);

        impl $name {
            /// Length in bytes.
            pub const LEN: usize = $len;

            /// Builds an id from raw OTLP bytes, checking length and the all-zero rule.
            pub fn from_bytes(bytes: &[u8]) -> Result<Self, IdParseError> {
                let array: [u8; $len] =
                    bytes.try_into().map_err(|_| IdParseError::WrongLength {
                        expected: $len,
                        actual: bytes.len(),
                    })?;
                if array == [0u8; $len] {
                    return Err(IdParseError::AllZero);
                }
                Ok(Self(array))
            }

            /// Parses hex of either case. Shorter hex is left-padded with zeroes, as Tempo and
            /// Jaeger accept ids without leading zeroes.
            pub fn from_hex(text: &str) -> Result<Self, IdParseError> {
                if text.len() > $len * 2 || text.is_empty() {
                    return Err(IdParseError::WrongLength {
                        expected: $len,
                        actual: text.len().div_ceil(2),
                    });
                }
                let padded = format!("{:0>width$}", text, width = $len * 2);
                let mut array = [0u8; $len];
                hex::decode_to_slice(&padded, &mut array)
                    .map_err(|_| IdParseError::NotHex(text.to_string()))?;
                if array == [0u8; $len] {
                    return Err(IdParseError::AllZero);
                }
                Ok(Self(array))
            }

            /// Lower-case hex, as the OTLP/JSON encoding and Jaeger show ids.
            pub fn to_hex(&self) -> String {
                hex::encode(self.0)
            }

            /// The raw bytes.
            pub fn as_bytes(&self) -> &[u8; $len] {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.to_hex())
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.to_hex())
            }
        }

        impl FromStr for $name {
            type Err = IdParseError;
            fn from_str(text: &str) -> Result<Self, Self::Err> {
                Self::from_hex(text)
            }
        }
    };
}

id_type!(TraceId, 16, "trace");
id_type!(SpanId, 8, "span");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trip_any_case() {
        let id = TraceId::from_hex("5B8EFFF798038103D269B633813FC60C").unwrap();
        assert_eq!(id.to_hex(), "5b8efff798038103d269b633813fc60c");
        assert_eq!(
            TraceId::from_hex("5b8efff798038103d269b633813fc60c").unwrap(),
            id
        );
    }

    #[test]
    fn short_hex_is_left_padded() {
        let id = TraceId::from_hex("1").unwrap();
        assert_eq!(id.0[15], 1);
        assert_eq!(
            SpanId::from_hex("abc").unwrap().to_hex(),
            "0000000000000abc"
        );
    }

    #[test]
    fn invalid_ids_are_refused() {
        assert!(matches!(
            TraceId::from_hex(""),
            Err(IdParseError::WrongLength { .. })
        ));
        assert!(matches!(
            TraceId::from_hex(&"a".repeat(33)),
            Err(IdParseError::WrongLength { .. })
        ));
        assert!(matches!(
            TraceId::from_hex("zz"),
            Err(IdParseError::NotHex(_))
        ));
        assert_eq!(TraceId::from_hex("0000"), Err(IdParseError::AllZero));
        assert_eq!(SpanId::from_bytes(&[0; 8]), Err(IdParseError::AllZero));
        assert!(SpanId::from_bytes(&[1; 7]).is_err());
    }
}
