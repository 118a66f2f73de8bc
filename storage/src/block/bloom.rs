//! The trace-id bloom filter sidecar (`bloom`, format version 1): answers "might this block hold
//! trace X?" from memory, so a lookup without a time range opens only the blocks that may.
//!
//! ```text
//! 8 bytes  magic "SLBLOOM1"
//! u32 LE   format version (1)
//! u32 LE   number of hash functions k
//! u64 LE   number of bits m
//! m/64 x u64 LE  bit words
//! u32 LE   CRC-32C of everything before
//! ```
//! Bit positions are `(h1 + i * h2) mod m` for `i < k`, where `h1`/`h2` are the two halves of the
//! XXH3-128 hash of the 16-byte trace id.

use crate::error::{StorageError, StorageResult};

const MAGIC: &[u8; 8] = b"SLBLOOM1";
const VERSION: u32 = 1;

/// A bloom filter over trace ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceIdBloom {
    words: Vec<u64>,
    num_bits: u64,
    num_hashes: u32,
}

impl TraceIdBloom {
    /// A filter sized for `items` ids at false-positive rate `fp`.
    pub fn with_capacity(items: usize, fp: f64) -> Self {
        let items = items.max(1) as f64;
        let ln2 = std::f64::consts::LN_2;
        let bits = (-(items * fp.ln()) / (ln2 * ln2)).ceil().max(64.0) as u64;
        let num_bits = bits.div_ceil(64) * 64;
        let num_hashes = ((num_bits as f64 / items) * ln2).round().clamp(1.0, 16.0) as u32;
        Self {
            words: vec![0; (num_bits / 64) as usize],
            num_bits,
            num_hashes,
        }
    }

    fn positions(&self, trace_id: &[u8; 16]) -> impl Iterator<Item = u64> + '_ {
        let hash = xxhash_rust::xxh3::xxh3_128(trace_id);
        let h1 = hash as u64;
        let h2 = (hash >> 64) as u64 | 1;
        (0..self.num_hashes as u64)
            .map(move |i| h1.wrapping_add(i.wrapping_mul(h2)) % self.num_bits)
    }

    /// Adds an id.
    pub fn insert(&mut self, trace_id: &[u8; 16]) {
        let positions: Vec<u64> = self.positions(trace_id).collect();
        for bit in positions {
            self.words[(bit / 64) as usize] |= 1 << (bit % 64);
        }
    }

    /// False when the id is certainly absent.
    pub fn may_contain(&self, trace_id: &[u8; 16]) -> bool {
        self.positions(trace_id)
            .all(|bit| self.words[(bit / 64) as usize] & (1 << (bit % 64)) != 0)
    }

    /// Serialized form.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(28 + self.words.len() * 8);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&VERSION.to_le_bytes());
        out.extend_from_slice(&self.num_hashes.to_le_bytes());
        out.extend_from_slice(&self.num_bits.to_le_bytes());
        for word in &self.words {
            out.extend_from_slice(&word.to_le_bytes());
        }
        let crc = crc32c::crc32c(&out);
        out.extend_from_slice(&crc.to_le_bytes());
        out
    }

    /// Parses the serialized form, checking magic, version, size and checksum.
    pub fn from_bytes(bytes: &[u8]) -> StorageResult<Self> {
        let corrupt = |detail: &str| StorageError::corrupt("bloom", detail.to_string());
        if bytes.len() < 28 || &bytes[..8] != MAGIC {
            return Err(corrupt("missing SLBLOOM1 header"));
        }
        let (body, crc) = bytes.split_at(bytes.len() - 4);
        if crc32c::crc32c(body) != u32::from_le_bytes(crc.try_into().expect("4 bytes")) {
            return Err(corrupt("checksum mismatch"));
        }
        let version = u32::from_le_bytes(body[8..12].try_into().expect("4 bytes"));
        if version != VERSION {
            return Err(corrupt(&format!("unsupported version {version}")));
        }
        let num_hashes = u32::from_le_bytes(body[12..16].try_into().expect("4 bytes"));
        let num_bits = u64::from_le_bytes(body[16..24].try_into().expect("8 bytes"));
        let words: Vec<u64> = body[24..]
            .chunks_exact(8)
            .map(|c| u64::from_le_bytes(c.try_into().expect("8 bytes")))
            .collect();
        if num_bits == 0
            || num_bits % 64 != 0
            || words.len() as u64 * 64 != num_bits
            || num_hashes == 0
        {
            return Err(corrupt("inconsistent sizes"));
        }
        Ok(Self {
            words,
            num_bits,
            num_hashes,
        })
    }

    /// Memory held by the filter.
    pub fn size_bytes(&self) -> usize {
        self.words.len() * 8
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(i: u64) -> [u8; 16] {
        let mut out = [0u8; 16];
        out[8..].copy_from_slice(&i.to_be_bytes());
        out
    }

    #[test]
    fn no_false_negatives_and_few_false_positives() {
        let mut bloom = TraceIdBloom::with_capacity(10_000, 0.01);
        for i in 0..10_000 {
            bloom.insert(&id(i));
        }
        assert!((0..10_000).all(|i| bloom.may_contain(&id(i))));
        let false_positives = (10_000..110_000)
            .filter(|i| bloom.may_contain(&id(*i)))
            .count();
        assert!(
            false_positives < 2_000,
            "{false_positives} false positives in 100k"
        );
    }

    #[test]
    fn serialization_round_trips_and_detects_damage() {
        let mut bloom = TraceIdBloom::with_capacity(100, 0.01);
        bloom.insert(&id(1));
        let bytes = bloom.to_bytes();
        assert_eq!(TraceIdBloom::from_bytes(&bytes).unwrap(), bloom);
        let mut damaged = bytes.clone();
        damaged[30] ^= 1;
        assert!(TraceIdBloom::from_bytes(&damaged).is_err());
        assert!(TraceIdBloom::from_bytes(b"nope").is_err());
    }

    /// Golden file: a filter written by version 1 must keep answering the same way.
    #[test]
    fn golden_bloom_file() {
        let mut rebuilt = TraceIdBloom::with_capacity(20, 0.01);
        (1..=20).for_each(|i| rebuilt.insert(&id(i)));
        let golden = crate::test_fixtures::golden_file("bloom-v1.bin", || rebuilt.to_bytes());
        let bloom = TraceIdBloom::from_bytes(&golden).unwrap();
        assert!((1..=20).all(|i| bloom.may_contain(&id(i))));
        assert_eq!(
            rebuilt.to_bytes(),
            golden,
            "encoding changed: bump the version"
        );
    }
}
