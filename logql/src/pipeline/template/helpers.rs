//! The helpers behind the template functions: Go's `strings.Title` and `strings.Replace`,
//! Loki's rune-safe `trunc` / `substr` / `alignLeft` / `alignRight` / `unixToTime`, sprig's
//! decimal float arithmetic, `url.QueryEscape` / `QueryUnescape` and standard base64.

use super::super::convert;
use super::value::Value;

/// Go's `strings.Title`: the first letter of each word upper-cased.
pub(crate) fn title(text: &str) -> String {
    let separator = |c: char| {
        if c.is_ascii() {
            !(c.is_ascii_alphanumeric() || c == '_')
        } else {
            !(c.is_alphabetic() || c.is_numeric()) && c.is_whitespace()
        }
    };
    let mut previous = ' ';
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if separator(previous) {
            out.extend(c.to_uppercase());
        } else {
            out.push(c);
        }
        previous = c;
    }
    out
}

/// Go's `strings.Replace(s, old, new, n)` (`n < 0`: all).
pub(crate) fn replace_n(text: &str, old: &str, new: &str, n: i64) -> String {
    if n < 0 {
        return text.replace(old, new);
    }
    text.replacen(old, new, n as usize)
}

/// Loki's `trunc`: the first `n` characters, or the last `-n`.
pub(crate) fn trunc(n: i64, text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let len = chars.len() as i64;
    if n < 0 && len + n > 0 {
        return chars[(len + n) as usize..].iter().collect();
    }
    if n >= 0 && len > n {
        return chars[..n as usize].iter().collect();
    }
    text.to_string()
}

/// Loki's `substring(start, end, s)` over characters, never out of range.
pub(crate) fn substr(start: i64, end: i64, text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let len = chars.len() as i64;
    let end = end.min(len);
    let start = start.min(len);
    if start < 0 {
        return if end < 0 {
            String::new()
        } else {
            chars[..end as usize].iter().collect()
        };
    }
    if end < 0 {
        return chars[start as usize..].iter().collect();
    }
    if start > end {
        return String::new();
    }
    chars[start as usize..end as usize].iter().collect()
}

/// Loki's `alignLeft` / `alignRight`: padded or cut to `count` characters.
pub(crate) fn align(count: i64, text: &str, left: bool) -> String {
    let chars: Vec<char> = text.chars().collect();
    let len = chars.len() as i64;
    if count < 0 || count == len {
        return text.to_string();
    }
    if count > len {
        let pad = " ".repeat((count - len) as usize);
        return if left {
            format!("{text}{pad}")
        } else {
            format!("{pad}{text}")
        };
    }
    if left {
        chars[..count as usize].iter().collect()
    } else {
        chars[(len - count) as usize..].iter().collect()
    }
}

/// Loki's `unixToTime`: days, seconds, milliseconds, microseconds or nanoseconds by length.
pub(crate) fn unix_to_time(epoch: &str) -> Result<i64, String> {
    let value: i64 = epoch.parse().map_err(|_| {
        format!(
            "unable to parse time '{epoch}': strconv.ParseInt: parsing {}: invalid syntax",
            convert::quote(epoch)
        )
    })?;
    Ok(match epoch.len() {
        5 => value.saturating_mul(86_400_000_000_000),
        10 => value.saturating_mul(1_000_000_000),
        13 => value.saturating_mul(1_000_000),
        16 => value.saturating_mul(1_000),
        19 => value,
        _ => return Err(format!("unable to parse time '{epoch}': <nil>")),
    })
}

/// sprig's decimal arithmetic (`addf`, `subf`, `mulf`, `divf`): operands are taken at their
/// shortest decimal representation, so `addf 0.1 0.2` is `0.3`.
pub(crate) fn decimal_fold(name: &str, args: &[Value<'_>]) -> f64 {
    let mut values = args.iter().map(Value::to_float64);
    let first = values.next().unwrap_or(0.0);
    if name == "divf" {
        return values.fold(first, |a, b| a / b);
    }
    let mut acc = Decimal::from_f64(first);
    for b in values {
        let b = Decimal::from_f64(b);
        let next = match (&acc, &b, name) {
            (Some(a), Some(b), "addf") => a.add(b),
            (Some(a), Some(b), "subf") => a.add(&Decimal {
                mantissa: -b.mantissa,
                ..*b
            }),
            (Some(a), Some(b), _) => a.mul(b),
            _ => None,
        };
        acc = match next {
            Some(d) => Some(d),
            None => {
                // Out of exact range: plain float arithmetic.
                let a = acc.map_or(f64::NAN, |d| d.to_f64());
                let b = b.map_or(f64::NAN, |d| d.to_f64());
                let r = match name {
                    "addf" => a + b,
                    "subf" => a - b,
                    _ => a * b,
                };
                Decimal::from_f64(r)
            }
        };
    }
    acc.map_or(f64::NAN, |d| d.to_f64())
}

/// `mantissa × 10^exponent`.
#[derive(Debug, Clone, Copy)]
struct Decimal {
    mantissa: i128,
    exponent: i32,
}

impl Decimal {
    fn from_f64(f: f64) -> Option<Self> {
        if !f.is_finite() {
            return None;
        }
        let text = format!("{f:e}");
        let (m, e) = text.split_once('e')?;
        let decimals = m.split_once('.').map_or(0, |(_, d)| d.len()) as i32;
        let mantissa: i128 = m.replace('.', "").parse().ok()?;
        Some(Decimal {
            mantissa,
            exponent: e.parse::<i32>().ok()? - decimals,
        })
    }

    fn add(&self, other: &Decimal) -> Option<Decimal> {
        let exponent = self.exponent.min(other.exponent);
        let scale = |d: &Decimal| {
            10i128
                .checked_pow((d.exponent - exponent) as u32)
                .and_then(|p| d.mantissa.checked_mul(p))
        };
        Some(Decimal {
            mantissa: scale(self)?.checked_add(scale(other)?)?,
            exponent,
        })
    }

    fn mul(&self, other: &Decimal) -> Option<Decimal> {
        Some(Decimal {
            mantissa: self.mantissa.checked_mul(other.mantissa)?,
            exponent: self.exponent.checked_add(other.exponent)?,
        })
    }

    fn to_f64(self) -> f64 {
        format!("{}e{}", self.mantissa, self.exponent)
            .parse()
            .unwrap_or(f64::NAN)
    }
}

/// Go's `url.QueryEscape`.
pub fn query_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            b => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Go's `url.QueryUnescape`.
pub(crate) fn query_unescape(text: &str) -> Result<String, String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = text
                    .get(i + 1..i + 3)
                    .filter(|h| h.bytes().all(|b| b.is_ascii_hexdigit()));
                let Some(hex) = hex else {
                    let bad: String = text[i..].chars().take(3).collect();
                    return Err(format!("invalid URL escape {}", convert::quote(&bad)));
                };
                out.push(u8::from_str_radix(hex, 16).unwrap_or(0));
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    Ok(String::from_utf8_lossy(&out).into_owned())
}

const BASE64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

pub(crate) fn base64_encode(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(BASE64[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

pub(crate) fn base64_decode(text: &str) -> Result<String, String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len() / 4 * 3);
    if !bytes.len().is_multiple_of(4) {
        return Err(format!(
            "illegal base64 data at input byte {}",
            bytes.len() / 4 * 4
        ));
    }
    for (c, chunk) in bytes.chunks(4).enumerate() {
        let mut n = 0u32;
        let mut padding = 0;
        for (i, &b) in chunk.iter().enumerate() {
            let last_chunk = (c + 1) * 4 == bytes.len();
            let value = match BASE64.iter().position(|&x| x == b) {
                Some(v) if padding == 0 => v as u32,
                None if b == b'=' && last_chunk && i >= 2 => {
                    padding += 1;
                    0
                }
                _ => return Err(format!("illegal base64 data at input byte {}", c * 4 + i)),
            };
            n = n << 6 | value;
        }
        let decoded = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        out.extend_from_slice(&decoded[..3 - padding]);
    }
    Ok(String::from_utf8_lossy(&out).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helpers() {
        assert_eq!(title("hello wORLD foo_bar-baz"), "Hello WORLD Foo_bar-Baz");
        assert_eq!(trunc(3, "héllo"), "hél");
        assert_eq!(trunc(-2, "hello"), "lo");
        assert_eq!(substr(1, 3, "hello"), "el");
        assert_eq!(substr(-1, 2, "hello"), "he");
        assert_eq!(substr(2, 99, "hello"), "llo");
        assert_eq!(align(6, "ab", true), "ab    ");
        assert_eq!(align(1, "ab", false), "b");
        assert_eq!(base64_encode(b"hello!?"), "aGVsbG8hPw==");
        assert_eq!(base64_decode("aGVsbG8hPw==").unwrap(), "hello!?");
        assert!(base64_decode("a*==").is_err());
        assert_eq!(query_escape("a b/é"), "a+b%2F%C3%A9");
        assert_eq!(query_unescape("a+b%2F%C3%A9").unwrap(), "a b/é");
        assert!(query_unescape("%zz").is_err());
        let f = |a: f64, b: f64, op: &str| decimal_fold(op, &[Value::Float(a), Value::Float(b)]);
        assert_eq!(f(0.1, 0.2, "addf"), 0.3);
        assert_eq!(f(1.1, 3.0, "mulf"), 3.3);
        assert_eq!(f(1.0, 4.0, "divf"), 0.25);
        assert_eq!(
            unix_to_time("1673798889").unwrap(),
            1_673_798_889_000_000_000
        );
    }
}
