//! `ip("...")` matching, for line filters (`|= ip("10.0.0.0/8")`, any address in the line) and
//! label filters (`| addr = ip("...")`, any address in the label value).
//!
//! Addresses are found in the text the way Loki finds them: at each position that looks like
//! the start of an IPv4 address (a digit with a dot within the next three bytes) or an IPv6
//! address (hex digits followed by `:`, or `::` and a hex digit), the longest run of address
//! characters is parsed; when it is not a matching address, scanning resumes after it.

use std::net::IpAddr;

use super::PipelineError;

const IPV4_CHARSET: &[u8] = b"0123456789.";
const IPV6_CHARSET: &[u8] = b"0123456789abcdefABCDEF:.";

/// A compiled `ip("...")` pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum IpMatcher {
    /// A single address.
    Single(IpAddr),
    /// `address/bits`: the addresses sharing the first `bits` bits.
    Prefix(IpAddr, u8),
    /// `first-last`, inclusive.
    Range(IpAddr, IpAddr),
}

impl IpMatcher {
    /// Parses an address, a CIDR prefix or a range of the same family.
    pub(crate) fn new(pattern: &str) -> Result<Self, PipelineError> {
        let invalid = || PipelineError::Ip(pattern.to_string());
        if let Ok(address) = pattern.parse::<IpAddr>() {
            return Ok(IpMatcher::Single(address));
        }
        if let Some((address, bits)) = pattern.split_once('/') {
            let address: IpAddr = address.parse().map_err(|_| invalid())?;
            let max = if address.is_ipv4() { 32 } else { 128 };
            let bits: u8 = bits
                .parse()
                .ok()
                .filter(|b| *b <= max && !bits.starts_with('+'))
                .filter(|_| bits.len() == 1 || !bits.starts_with('0'))
                .ok_or_else(invalid)?;
            return Ok(IpMatcher::Prefix(address, bits));
        }
        if let Some((first, last)) = pattern.split_once('-') {
            let first: IpAddr = first.parse().map_err(|_| invalid())?;
            let last: IpAddr = last.parse().map_err(|_| invalid())?;
            if first.is_ipv4() != last.is_ipv4() || last < first {
                return Err(invalid());
            }
            return Ok(IpMatcher::Range(first, last));
        }
        Err(invalid())
    }

    /// Whether `ip` is matched (never across address families).
    pub(crate) fn contains(&self, ip: IpAddr) -> bool {
        match *self {
            IpMatcher::Single(address) => address == ip,
            IpMatcher::Range(first, last) => {
                first.is_ipv4() == ip.is_ipv4() && first <= ip && ip <= last
            }
            IpMatcher::Prefix(network, bits) => match (network, ip) {
                (IpAddr::V4(n), IpAddr::V4(a)) => {
                    let mask = u32::MAX.checked_shl(32 - u32::from(bits)).unwrap_or(0);
                    u32::from(n) & mask == u32::from(a) & mask
                }
                (IpAddr::V6(n), IpAddr::V6(a)) => {
                    let mask = u128::MAX.checked_shl(128 - u32::from(bits)).unwrap_or(0);
                    u128::from(n) & mask == u128::from(a) & mask
                }
                _ => false,
            },
        }
    }

    /// Whether an address matching the pattern appears in `text`.
    pub(crate) fn matches_in(&self, text: &str) -> bool {
        let bytes = text.as_bytes();
        let n = bytes.len();
        let mut i = 0;
        while i < n {
            let charset = if i + 3 < n && ipv4_hint(&bytes[i..i + 4]) {
                IPV4_CHARSET
            } else if i + 4 < n && ipv6_hint(&bytes[i..i + 5]) {
                IPV6_CHARSET
            } else {
                i += 1;
                continue;
            };
            let len = bytes[i..]
                .iter()
                .position(|b| !charset.contains(b))
                .unwrap_or(n - i);
            // The run is ASCII, so slicing the str there is safe.
            if let Ok(ip) = text[i..i + len].parse::<IpAddr>()
                && self.contains(ip)
            {
                return true;
            }
            i += len + 1;
        }
        false
    }
}

fn ipv4_hint(b: &[u8]) -> bool {
    b[0].is_ascii_digit() && (b[1] == b'.' || b[2] == b'.' || b[3] == b'.')
}

fn ipv6_hint(b: &[u8]) -> bool {
    let hex = |c: u8| c.is_ascii_hexdigit();
    (b[0] == b':' && b[1] == b':' && hex(b[2]))
        || (hex(b[0]) && b[1] == b':')
        || (hex(b[0]) && hex(b[1]) && b[2] == b':')
        || (hex(b[0]) && hex(b[1]) && hex(b[2]) && b[3] == b':')
        || (hex(b[0]) && hex(b[1]) && hex(b[2]) && hex(b[3]) && b[4] == b':')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns() {
        let m = |p: &str, text: &str| IpMatcher::new(p).unwrap().matches_in(text);
        assert!(m("192.168.0.1", "from 192.168.0.1 to"));
        assert!(!m("192.168.0.1", "from 192.168.0.12 to"));
        assert!(m("192.168.0.0/16", "a=10.0.0.1 b=192.168.4.5"));
        assert!(!m("192.168.0.0/16", "a=10.0.0.1 b=192.169.4.5"));
        assert!(m("10.0.0.1-10.0.0.9", "x 10.0.0.5"));
        assert!(!m("10.0.0.1-10.0.0.9", "x 10.0.0.10"));
        assert!(m("2001:db8::/32", "addr 2001:db8::1 ok"));
        assert!(m("::1", "addr ::1 x"));
        assert!(
            !m("::1", "::1"),
            "Loki needs five bytes to spot an IPv6 address"
        );
        assert!(!m("10.0.0.1", "::ffff:10.0.0.1 "));
        assert!(m("0.0.0.0/0", "1.2.3.4"));
        for bad in [
            "10.0.0",
            "10.0.0.0/33",
            "x",
            "10.0.0.1-::1",
            "10.0.0.9-10.0.0.1",
        ] {
            assert!(IpMatcher::new(bad).is_err(), "{bad}");
        }
    }
}
