//! Jaeger's hex spelling of trace and span ids.
//!
//! Jaeger models a trace id as two `u64` halves and prints it as `%016x` of the low half when the
//! high half is zero, else `%016x%016x` (`TraceID.String()` in `jaeger-idl/model/v1/ids.go`): a
//! 128-bit OTLP id whose first 8 bytes are zero is shown with 16 hex digits. Span ids are always
//! `%016x`. Parsing accepts 1 to 32 (16 for span ids) hex digits of either case and left-pads
//! them, as `TraceIDFromString` / `SpanIDFromString` do.

/// Jaeger's hex form of an OTLP trace id: lower case, no `0x`, 16 digits when the high 64 bits
/// are zero, else 32.
///
/// The bytes are read as a big-endian number: shorter input is left-padded with zeroes and longer
/// input keeps its last 16 bytes, so malformed ids still print (OTLP validation should have
/// rejected them before storage).
pub fn jaeger_trace_id(id: &[u8]) -> String {
    let value = be_u128(id);
    let high = (value >> 64) as u64;
    let low = value as u64;
    if high == 0 {
        format!("{low:016x}")
    } else {
        format!("{high:016x}{low:016x}")
    }
}

/// Jaeger's hex form of an OTLP span id: always 16 lower-case hex digits.
///
/// Shorter input is left-padded with zeroes and longer input keeps its last 8 bytes.
pub fn jaeger_span_id(id: &[u8]) -> String {
    format!("{:016x}", be_u128(id) as u64)
}

/// The span id as the number Jaeger compares (`0` for an absent or all-zero id).
pub(crate) fn span_id_value(id: &[u8]) -> u64 {
    be_u128(id) as u64
}

/// Parses a Jaeger trace id: 1 to 32 hex digits of either case, left-padded with zeroes to 16
/// bytes. No sign, prefix or whitespace is accepted. The all-zero id parses (as it does in
/// Jaeger); callers that need a valid OTLP id must reject it themselves.
pub fn parse_jaeger_trace_id(text: &str) -> Option<[u8; 16]> {
    parse_hex::<16>(text)
}

/// Parses a Jaeger span id: 1 to 16 hex digits of either case, left-padded with zeroes to 8
/// bytes.
pub fn parse_jaeger_span_id(text: &str) -> Option<[u8; 8]> {
    parse_hex::<8>(text)
}

fn parse_hex<const N: usize>(text: &str) -> Option<[u8; N]> {
    if text.is_empty() || text.len() > N * 2 || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let padded = format!("{text:0>width$}", width = N * 2);
    let mut out = [0u8; N];
    hex::decode_to_slice(padded, &mut out).ok()?;
    Some(out)
}

/// Big-endian value of the last (at most) 16 bytes.
fn be_u128(id: &[u8]) -> u128 {
    let tail = &id[id.len().saturating_sub(16)..];
    tail.iter()
        .fold(0u128, |acc, b| (acc << 8) | u128::from(*b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trace_id_prints_16_digits_when_high_half_is_zero() {
        let mut id = [0u8; 16];
        id[15] = 1;
        assert_eq!(jaeger_trace_id(&id), "0000000000000001");
        id[7] = 0xab;
        assert_eq!(jaeger_trace_id(&id), "00000000000000ab0000000000000001");
        let full: Vec<u8> = (1..=16).collect();
        assert_eq!(jaeger_trace_id(&full), "0102030405060708090a0b0c0d0e0f10");
        assert_eq!(jaeger_trace_id(&[0u8; 16]), "0000000000000000");
    }

    #[test]
    fn odd_lengths_are_read_as_big_endian_numbers() {
        assert_eq!(jaeger_trace_id(&[]), "0000000000000000");
        assert_eq!(jaeger_trace_id(&[0x12, 0x34]), "0000000000001234");
        let long: Vec<u8> = (0..20).collect();
        assert_eq!(jaeger_trace_id(&long), "0405060708090a0b0c0d0e0f10111213");
        assert_eq!(jaeger_span_id(&[0xff]), "00000000000000ff");
        assert_eq!(
            jaeger_span_id(&[9, 1, 2, 3, 4, 5, 6, 7, 8]),
            "0102030405060708"
        );
    }

    #[test]
    fn span_id_is_always_16_digits() {
        assert_eq!(
            jaeger_span_id(&[0, 0, 0, 0, 0, 0, 0, 2]),
            "0000000000000002"
        );
        assert_eq!(
            jaeger_span_id(&[0xde, 0xad, 0xbe, 0xef, 0, 1, 2, 3]),
            "deadbeef00010203"
        );
    }

    #[test]
    fn parsing_left_pads_and_accepts_both_cases() {
        let mut one = [0u8; 16];
        one[15] = 1;
        assert_eq!(parse_jaeger_trace_id("1"), Some(one));
        assert_eq!(parse_jaeger_trace_id("0000000000000001"), Some(one));
        assert_eq!(
            parse_jaeger_trace_id("00000000000000000000000000000001"),
            Some(one)
        );
        let full: Vec<u8> = (1..=16).collect();
        assert_eq!(
            parse_jaeger_trace_id("0102030405060708090A0B0C0D0E0F10").map(|b| b.to_vec()),
            Some(full)
        );
        // 17 digits: the high half is the first digit.
        let mut high = [0u8; 16];
        high[7] = 0xf;
        high[15] = 0x1;
        assert_eq!(parse_jaeger_trace_id("f0000000000000001"), Some(high));
        assert_eq!(parse_jaeger_trace_id("0"), Some([0u8; 16]));
        assert_eq!(
            parse_jaeger_span_id("ff"),
            Some([0, 0, 0, 0, 0, 0, 0, 0xff])
        );
        assert_eq!(
            parse_jaeger_span_id("DEADBEEF00010203"),
            Some([0xde, 0xad, 0xbe, 0xef, 0, 1, 2, 3])
        );
    }

    #[test]
    fn parsing_rejects_bad_input() {
        for bad in ["", "0x1", "+1", " 1", "1 ", "g", "-1", &"1".repeat(33)] {
            assert_eq!(parse_jaeger_trace_id(bad), None, "{bad:?}");
        }
        assert_eq!(parse_jaeger_span_id(&"1".repeat(17)), None);
        assert_eq!(parse_jaeger_span_id(""), None);
        assert_eq!(parse_jaeger_span_id("é"), None);
    }

    #[test]
    fn round_trip() {
        for text in ["0000000000000001", "4bf92f3577b34da6a3ce929d0e0e4736"] {
            let bytes = parse_jaeger_trace_id(text).unwrap();
            assert_eq!(jaeger_trace_id(&bytes), text);
        }
        let bytes = parse_jaeger_span_id("00f067aa0ba902b7").unwrap();
        assert_eq!(jaeger_span_id(&bytes), "00f067aa0ba902b7");
    }
}
