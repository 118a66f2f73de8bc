//! Request body decompression with a hard cap on the inflated size, so a gzip bomb is cut off
//! at the limit instead of filling memory.

use std::io::Read;

use crate::error::ExportError;

/// Content encodings OTLP/HTTP accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContentEncoding {
    /// No compression.
    Identity,
    /// gzip.
    Gzip,
}

impl ContentEncoding {
    /// Parses a `Content-Encoding` header (absent = identity).
    pub fn parse(header: Option<&str>) -> Result<Self, ExportError> {
        match header.map(|h| h.trim().to_ascii_lowercase()) {
            None => Ok(ContentEncoding::Identity),
            Some(h) if h.is_empty() || h == "identity" => Ok(ContentEncoding::Identity),
            Some(h) if h == "gzip" || h == "x-gzip" => Ok(ContentEncoding::Gzip),
            Some(other) => Err(ExportError::Decode(format!(
                "unsupported Content-Encoding {other:?}; supported: gzip, identity"
            ))),
        }
    }
}

/// Inflates `body` if compressed; fails with `TooLarge` as soon as the output passes `limit`.
pub fn decompress(
    body: bytes::Bytes,
    encoding: ContentEncoding,
    limit: usize,
) -> Result<bytes::Bytes, ExportError> {
    match encoding {
        ContentEncoding::Identity => {
            if body.len() > limit {
                return Err(ExportError::too_large(limit));
            }
            Ok(body)
        }
        ContentEncoding::Gzip => {
            let mut out = Vec::with_capacity((body.len() * 4).min(limit + 1));
            let mut decoder =
                flate2::read::MultiGzDecoder::new(body.as_ref()).take(limit as u64 + 1);
            decoder
                .read_to_end(&mut out)
                .map_err(|e| ExportError::Decode(format!("invalid gzip body: {e}")))?;
            if out.len() > limit {
                return Err(ExportError::too_large(limit));
            }
            Ok(out.into())
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn gzip(data: &[u8]) -> bytes::Bytes {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        encoder.write_all(data).unwrap();
        encoder.finish().unwrap().into()
    }

    #[test]
    fn inflates_within_the_limit() {
        let out = decompress(gzip(b"hello"), ContentEncoding::Gzip, 10).unwrap();
        assert_eq!(&out[..], b"hello");
    }

    #[test]
    fn a_gzip_bomb_stops_at_the_limit() {
        let bomb = gzip(&vec![0u8; 50 << 20]);
        assert!(bomb.len() < 100 << 10, "the bomb is small: {}", bomb.len());
        assert!(matches!(
            decompress(bomb, ContentEncoding::Gzip, 1 << 20),
            Err(ExportError::TooLarge(_))
        ));
    }

    #[test]
    fn bad_gzip_and_unknown_encodings_are_decode_errors() {
        assert!(matches!(
            decompress("nope".into(), ContentEncoding::Gzip, 10),
            Err(ExportError::Decode(_))
        ));
        assert!(ContentEncoding::parse(Some("br")).is_err());
        assert_eq!(
            ContentEncoding::parse(Some("GZIP")).unwrap(),
            ContentEncoding::Gzip
        );
        assert!(matches!(
            decompress(
                bytes::Bytes::from(vec![0; 11]),
                ContentEncoding::Identity,
                10
            ),
            Err(ExportError::TooLarge(_))
        ));
    }
}
