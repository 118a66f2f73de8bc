//! The WAL's on-disk format (version 1).
//!
//! A segment file is named `<first-lsn, 20 digits>.wal` and starts with a 16-byte header:
//! the magic `SIGHTWAL`, a little-endian `u32` format version and four reserved zero bytes.
//! Records follow back to back:
//!
//! ```text
//! u32 LE  body length
//! u32 LE  CRC-32C of the body
//! body:   u64 LE lsn | u8 signal | u8 tenant length | tenant bytes | OTLP protobuf payload
//! ```
//!
//! A record is valid only when its whole body is present and its checksum matches; reading stops
//! at the first record that is not (a torn tail after a crash).

use crate::tenant::Signal;

/// Magic bytes at the start of every segment.
pub const SEGMENT_MAGIC: &[u8; 8] = b"SIGHTWAL";
/// Current format version.
pub const FORMAT_VERSION: u32 = 1;
/// Size of the segment header.
pub const SEGMENT_HEADER_LEN: usize = 16;
/// Size of a record header (length + checksum).
pub const RECORD_HEADER_LEN: usize = 8;
/// Largest record body accepted when reading (guards against a garbage length).
pub const MAX_RECORD_BODY: usize = 1 << 30;

/// The 16-byte header of a segment.
pub fn segment_header() -> [u8; SEGMENT_HEADER_LEN] {
    let mut header = [0u8; SEGMENT_HEADER_LEN];
    header[..8].copy_from_slice(SEGMENT_MAGIC);
    header[8..12].copy_from_slice(&FORMAT_VERSION.to_le_bytes());
    header
}

/// Checks a segment header; returns a description of the problem if it is not valid.
pub fn check_segment_header(header: &[u8]) -> Result<(), String> {
    if header.len() < SEGMENT_HEADER_LEN {
        return Err(format!(
            "segment header is {} bytes, expected {SEGMENT_HEADER_LEN}",
            header.len()
        ));
    }
    if &header[..8] != SEGMENT_MAGIC {
        return Err("segment does not start with the SIGHTWAL magic".to_string());
    }
    let version = u32::from_le_bytes(header[8..12].try_into().expect("4 bytes"));
    if version != FORMAT_VERSION {
        return Err(format!(
            "segment format version {version} is not supported (expected {FORMAT_VERSION})"
        ));
    }
    Ok(())
}

/// File name of the segment whose first record has `first_lsn`.
pub fn segment_file_name(first_lsn: u64) -> String {
    format!("{first_lsn:020}.wal")
}

/// Parses a segment file name back into its first LSN.
pub fn parse_segment_file_name(name: &str) -> Option<u64> {
    let digits = name.strip_suffix(".wal")?;
    if digits.len() != 20 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// One decoded record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalRecord {
    /// Log sequence number, unique and increasing.
    pub lsn: u64,
    /// The signal of the payload.
    pub signal: Signal,
    /// The tenant the payload belongs to.
    pub tenant: String,
    /// OTLP protobuf export request.
    pub payload: Vec<u8>,
}

/// Appends the encoded record to `out`.
pub fn encode_record(out: &mut Vec<u8>, lsn: u64, signal: Signal, tenant: &str, payload: &[u8]) {
    debug_assert!(
        tenant.len() <= u8::MAX as usize,
        "tenant ids are at most 150 bytes"
    );
    let body_len = 8 + 1 + 1 + tenant.len() + payload.len();
    let start = out.len();
    out.reserve(RECORD_HEADER_LEN + body_len);
    out.extend_from_slice(&(body_len as u32).to_le_bytes());
    out.extend_from_slice(&[0u8; 4]);
    let body_start = out.len();
    out.extend_from_slice(&lsn.to_le_bytes());
    out.push(signal.code());
    out.push(tenant.len() as u8);
    out.extend_from_slice(tenant.as_bytes());
    out.extend_from_slice(payload);
    let crc = crc32c::crc32c(&out[body_start..]);
    out[start + 4..start + 8].copy_from_slice(&crc.to_le_bytes());
}

/// What [`decode_record`] found at an offset.
#[derive(Debug, PartialEq, Eq)]
pub enum DecodeOutcome {
    /// A valid record and its total encoded length.
    Record(WalRecord, usize),
    /// Not enough bytes for a whole record: a torn tail (or the clean end when `buf` is empty).
    Incomplete,
    /// The bytes are there but do not form a valid record.
    Corrupt(String),
}

/// Decodes the record at the start of `buf`.
pub fn decode_record(buf: &[u8]) -> DecodeOutcome {
    if buf.len() < RECORD_HEADER_LEN {
        return DecodeOutcome::Incomplete;
    }
    let body_len = u32::from_le_bytes(buf[0..4].try_into().expect("4 bytes")) as usize;
    let crc = u32::from_le_bytes(buf[4..8].try_into().expect("4 bytes"));
    if !(10..=MAX_RECORD_BODY).contains(&body_len) {
        return DecodeOutcome::Corrupt(format!("record length {body_len} is out of range"));
    }
    let Some(body) = buf.get(RECORD_HEADER_LEN..RECORD_HEADER_LEN + body_len) else {
        return DecodeOutcome::Incomplete;
    };
    if crc32c::crc32c(body) != crc {
        return DecodeOutcome::Corrupt("checksum mismatch".to_string());
    }
    let lsn = u64::from_le_bytes(body[0..8].try_into().expect("8 bytes"));
    let Some(signal) = Signal::from_code(body[8]) else {
        return DecodeOutcome::Corrupt(format!("unknown signal code {}", body[8]));
    };
    let tenant_len = body[9] as usize;
    let Some(tenant) = body.get(10..10 + tenant_len) else {
        return DecodeOutcome::Corrupt("tenant runs past the record".to_string());
    };
    let Ok(tenant) = std::str::from_utf8(tenant) else {
        return DecodeOutcome::Corrupt("tenant is not UTF-8".to_string());
    };
    let record = WalRecord {
        lsn,
        signal,
        tenant: tenant.to_string(),
        payload: body[10 + tenant_len..].to_vec(),
    };
    DecodeOutcome::Record(record, RECORD_HEADER_LEN + body_len)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encoded(lsn: u64) -> Vec<u8> {
        let mut out = Vec::new();
        encode_record(&mut out, lsn, Signal::Logs, "team-a", b"payload bytes");
        out
    }

    #[test]
    fn record_round_trip() {
        let bytes = encoded(42);
        let DecodeOutcome::Record(record, len) = decode_record(&bytes) else {
            panic!()
        };
        assert_eq!(len, bytes.len());
        assert_eq!(record.lsn, 42);
        assert_eq!(record.signal, Signal::Logs);
        assert_eq!(record.tenant, "team-a");
        assert_eq!(record.payload, b"payload bytes");
    }

    #[test]
    fn every_truncation_is_incomplete() {
        let bytes = encoded(1);
        for cut in 0..bytes.len() {
            assert_eq!(
                decode_record(&bytes[..cut]),
                DecodeOutcome::Incomplete,
                "cut at {cut}"
            );
        }
    }

    #[test]
    fn any_flipped_bit_in_the_body_is_detected() {
        let bytes = encoded(1);
        for index in RECORD_HEADER_LEN..bytes.len() {
            let mut damaged = bytes.clone();
            damaged[index] ^= 0x10;
            assert!(
                matches!(decode_record(&damaged), DecodeOutcome::Corrupt(_)),
                "byte {index}"
            );
        }
    }

    #[test]
    fn garbage_length_is_corrupt_not_a_huge_allocation() {
        let mut bytes = encoded(1);
        bytes[0..4].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(matches!(decode_record(&bytes), DecodeOutcome::Corrupt(_)));
    }

    #[test]
    fn segment_names_and_headers() {
        assert_eq!(segment_file_name(7), "00000000000000000007.wal");
        assert_eq!(parse_segment_file_name("00000000000000000007.wal"), Some(7));
        assert_eq!(parse_segment_file_name("7.wal"), None);
        assert!(check_segment_header(&segment_header()).is_ok());
        assert!(check_segment_header(b"SIGHTWAL\x02\0\0\0\0\0\0\0").is_err());
        assert!(check_segment_header(b"short").is_err());
    }

    /// The format is frozen: this exact record must decode forever (golden bytes).
    #[test]
    fn golden_record_bytes() {
        let golden: &[u8] = &[
            0x10, 0, 0, 0, // body length 16
            0x19, 0xfd, 0x17, 0x0b, // crc32c of the body
            5, 0, 0, 0, 0, 0, 0, 0, // lsn 5
            1, // traces
            1, b't', // tenant "t"
            b'p', b'a', b'y', b'l', b'o', // payload
        ];
        let mut out = Vec::new();
        encode_record(&mut out, 5, Signal::Traces, "t", b"paylo");
        assert_eq!(
            out, golden,
            "encoding changed: bump FORMAT_VERSION and keep reading v1"
        );
        let DecodeOutcome::Record(record, _) = decode_record(golden) else {
            panic!()
        };
        assert_eq!(
            (
                record.lsn,
                record.tenant.as_str(),
                record.payload.as_slice()
            ),
            (5, "t", &b"paylo"[..])
        );
    }
}
