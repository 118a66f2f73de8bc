//! Durations, byte sizes and numbers: parsing and canonical formatting.
//!
//! LogQL has two duration syntaxes. Ranges (`[5m]`) use Prometheus durations: integer amounts
//! of the units `y w d h m s ms`, each at most once and in that order (`1h30m`, `1d`, `500ms`).
//! Offsets and label filters accept a Prometheus duration or a Go duration: decimal amounts of
//! the units `h m s ms us µs ns` in any order, with an optional sign (`1.5s`, `2h45m`, `10ns`).
//! Byte sizes are numbers followed by a unit such as `B`, `KB`/`kB` (1000), `KiB` (1024), `MB`,
//! `MiB`, ... up to `PiB`, matched case-insensitively (`20MB`, `2.5KiB`, `1k`).

const MS: i128 = 1_000_000;
const SECOND: i128 = 1_000_000_000;

/// Prometheus units, in the order they must appear.
const PROMETHEUS_UNITS: [(&str, i128); 7] = [
    ("y", 365 * 86_400 * SECOND),
    ("w", 7 * 86_400 * SECOND),
    ("d", 86_400 * SECOND),
    ("h", 3_600 * SECOND),
    ("m", 60 * SECOND),
    ("s", SECOND),
    ("ms", MS),
];

/// Parses a Prometheus duration (`5m`, `1h30m`, `1d`, `0`) into nanoseconds.
pub(crate) fn parse_prometheus_duration(text: &str) -> Result<i64, String> {
    if text == "0" {
        return Ok(0);
    }
    if text.is_empty() {
        return Err("empty duration".to_string());
    }
    let mut total: i128 = 0;
    let mut next_unit = 0;
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return Err(format!(
                "expected a whole number before \"{rest}\" (fractions are not allowed here)"
            ));
        }
        let (amount, after) = rest.split_at(digits);
        if after.starts_with('.') {
            return Err("fractions are not allowed here (write 90s rather than 1.5m)".to_string());
        }
        let unit_len = after
            .find(|c: char| !c.is_alphabetic())
            .unwrap_or(after.len());
        let (unit, after) = after.split_at(unit_len);
        if unit.is_empty() {
            return Err(format!("missing unit after \"{amount}\""));
        }
        let Some(index) = PROMETHEUS_UNITS.iter().position(|(u, _)| *u == unit) else {
            return Err(format!(
                "unknown unit \"{unit}\" (expected y, w, d, h, m, s or ms)"
            ));
        };
        if index < next_unit {
            return Err("units must appear at most once, in the order y, w, d, h, m, s, ms".into());
        }
        next_unit = index + 1;
        total = amount
            .parse::<i128>()
            .ok()
            .and_then(|amount| amount.checked_mul(PROMETHEUS_UNITS[index].1))
            .and_then(|nanos| nanos.checked_add(total))
            .filter(|total| *total <= i64::MAX as i128)
            .ok_or_else(|| "out of range".to_string())?;
        rest = after;
    }
    Ok(total as i64)
}

/// Parses a Go duration (`1.5s`, `2h45m`, `-300ms`, `1µs`, `0`) into nanoseconds.
pub(crate) fn parse_go_duration(text: &str) -> Result<i64, String> {
    let (negative, body) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    if body == "0" {
        return Ok(0);
    }
    if body.is_empty() {
        return Err("empty duration".to_string());
    }
    let mut total: i128 = 0;
    let mut rest = body;
    while !rest.is_empty() {
        let int_len = rest.bytes().take_while(u8::is_ascii_digit).count();
        let (int, after) = rest.split_at(int_len);
        let (frac, after) = match after.strip_prefix('.') {
            Some(f) => f.split_at(f.bytes().take_while(u8::is_ascii_digit).count()),
            None => ("", after),
        };
        if int.is_empty() && frac.is_empty() {
            return Err(format!("expected a number before \"{after}\""));
        }
        let unit_len = after
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(after.len());
        let (unit, after) = after.split_at(unit_len);
        let multiplier: i128 = match unit {
            "ns" => 1,
            "us" | "µs" | "μs" => 1_000,
            "ms" => MS,
            "s" => SECOND,
            "m" => 60 * SECOND,
            "h" => 3_600 * SECOND,
            "" => return Err(format!("missing unit after \"{int}\"")),
            other => {
                return Err(format!(
                    "unknown unit \"{other}\" (expected h, m, s, ms, us or ns)"
                ));
            }
        };
        if int.len() > 20 {
            return Err("out of range".to_string());
        }
        let whole: i128 = if int.is_empty() {
            0
        } else {
            int.parse().map_err(|_| "out of range".to_string())?
        };
        let frac = &frac[..frac.len().min(18)];
        let frac_value: i128 = if frac.is_empty() {
            0
        } else {
            frac.parse().map_err(|_| "out of range".to_string())?
        };
        total += whole * multiplier + frac_value * multiplier / 10i128.pow(frac.len() as u32);
        if total > i64::MAX as i128 {
            return Err("out of range".to_string());
        }
        rest = after;
    }
    Ok(if negative { -total } else { total } as i64)
}

/// Parses a duration the way Loki reads offsets and label filter values: a Prometheus duration
/// (`1d`, `1h30m`) or else a Go duration (`1.5s`, `-2h45m`, `10µs`). Returns nanoseconds, or
/// `None` when the text is neither.
pub fn parse_duration(text: &str) -> Option<i64> {
    parse_prometheus_duration(text)
        .or_else(|_| parse_go_duration(text))
        .ok()
}

/// Formats nanoseconds as a LogQL duration that [`parse_duration`] reads back exactly.
///
/// Whole milliseconds (every range) use Prometheus units, largest first: `5m`, `1h30m`, `1d`,
/// `1w`, `1y`, `1s500ms`. Other values use Go units: `1us500ns`, `-1h30m`. Zero is `0s`.
pub fn format_duration(nanos: i64) -> String {
    if nanos == 0 {
        return "0s".to_string();
    }
    let mut out = String::new();
    let units: &[(&str, i128)] = if nanos > 0 && i128::from(nanos) % MS == 0 {
        &PROMETHEUS_UNITS
    } else {
        if nanos < 0 {
            out.push('-');
        }
        &[
            ("h", 3_600 * SECOND),
            ("m", 60 * SECOND),
            ("s", SECOND),
            ("ms", MS),
            ("us", 1_000),
            ("ns", 1),
        ]
    };
    let mut rest = i128::from(nanos).abs();
    for (unit, size) in units {
        if rest >= *size {
            out.push_str(&format!("{}{unit}", rest / size));
            rest %= size;
        }
    }
    out
}

/// Byte units, largest first; lookup is case-insensitive.
const BYTE_UNITS: [(&str, u64); 11] = [
    ("PiB", 1 << 50),
    ("PB", 1_000_000_000_000_000),
    ("TiB", 1 << 40),
    ("TB", 1_000_000_000_000),
    ("GiB", 1 << 30),
    ("GB", 1_000_000_000),
    ("MiB", 1 << 20),
    ("MB", 1_000_000),
    ("KiB", 1 << 10),
    ("KB", 1_000),
    ("B", 1),
];

/// Parses a byte size such as `20MB`, `2.5KiB`, `1k` or `512B` (units case-insensitive;
/// `K`, `Ki`, `M`, `Mi`, ... without the `B` are accepted too). Returns `None` when the text
/// is not a byte size or does not fit in a `u64`.
pub fn parse_bytes(text: &str) -> Option<u64> {
    let number_len = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(number_len);
    if number.is_empty() || number == "." {
        return None;
    }
    let unit = unit.to_ascii_lowercase();
    let multiplier = BYTE_UNITS.iter().find_map(|(name, size)| {
        let name = name.to_ascii_lowercase();
        let short = name.strip_suffix('b').unwrap_or(&name);
        (unit == name || (!short.is_empty() && unit == short)).then_some(*size)
    })?;
    if let Ok(whole) = number.parse::<u64>() {
        return whole.checked_mul(multiplier);
    }
    let value = number.parse::<f64>().ok()? * multiplier as f64;
    (value.is_finite() && value < u64::MAX as f64).then_some(value as u64)
}

/// Formats a byte size with the largest unit that divides it exactly: `20MB`, `1KiB`, `1500B`.
pub fn format_bytes(bytes: u64) -> String {
    for (unit, size) in BYTE_UNITS {
        if bytes >= size && bytes.is_multiple_of(size) {
            return format!("{}{unit}", bytes / size);
        }
    }
    "0B".to_string()
}

/// Formats a number so that the lexer reads back exactly the same value: integers below 10^15
/// as `400`, others in the shorter of the plain and exponent round-trip forms (`0.99`, `1e-7`).
pub(crate) fn format_number(value: f64) -> String {
    let plain = format!("{value}");
    if value.fract() == 0.0 && value.abs() < 1e15 {
        return plain;
    }
    let exponent = format!("{value:e}");
    if exponent.len() < plain.len() {
        exponent
    } else {
        plain
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: i64 = 1_000_000_000;

    #[test]
    fn prometheus_durations() {
        assert_eq!(parse_prometheus_duration("5m"), Ok(300 * S));
        assert_eq!(parse_prometheus_duration("1h30m"), Ok(5_400 * S));
        assert_eq!(
            parse_prometheus_duration("1y1w1d"),
            Ok((365 + 8) * 86_400 * S)
        );
        assert_eq!(parse_prometheus_duration("500ms"), Ok(S / 2));
        assert_eq!(parse_prometheus_duration("0"), Ok(0));
        assert!(parse_prometheus_duration("1.5m").is_err());
        assert!(parse_prometheus_duration("30m1h").is_err());
        assert!(
            parse_prometheus_duration("5x")
                .unwrap_err()
                .contains("unknown unit")
        );
        assert!(
            parse_prometheus_duration("5")
                .unwrap_err()
                .contains("missing unit")
        );
        assert!(parse_prometheus_duration("99999999999y").is_err());
    }

    #[test]
    fn go_durations() {
        assert_eq!(parse_go_duration("1.5s"), Ok(1_500_000_000));
        assert_eq!(parse_go_duration("2h45m"), Ok(9_900 * S));
        assert_eq!(parse_go_duration("1us"), Ok(1_000));
        assert_eq!(parse_go_duration("1µs"), Ok(1_000));
        assert_eq!(parse_go_duration("10ns"), Ok(10));
        assert_eq!(parse_go_duration("-300ms"), Ok(-300_000_000));
        assert_eq!(parse_go_duration(".5s"), Ok(S / 2));
        assert_eq!(parse_go_duration("1m1h"), Ok(3_660 * S));
        assert!(parse_go_duration("1d").is_err());
        assert!(parse_go_duration("1.5").is_err());
        assert!(parse_go_duration("").is_err());
        assert_eq!(parse_duration("1d"), Some(86_400 * S));
        assert_eq!(parse_duration("1.5h"), Some(5_400 * S));
        assert_eq!(parse_duration("1x"), None);
    }

    #[test]
    fn durations_format_and_parse_back() {
        let cases = [
            (0, "0s"),
            (300 * S, "5m"),
            (5_400 * S, "1h30m"),
            (86_400 * S, "1d"),
            (7 * 86_400 * S, "1w"),
            (365 * 86_400 * S, "1y"),
            (1_500_000_000, "1s500ms"),
            (1_500, "1us500ns"),
            (-5_400 * S, "-1h30m"),
        ];
        for (nanos, text) in cases {
            assert_eq!(format_duration(nanos), text);
            assert_eq!(parse_duration(text), Some(nanos), "{text}");
        }
    }

    #[test]
    fn byte_sizes() {
        assert_eq!(parse_bytes("20MB"), Some(20_000_000));
        assert_eq!(parse_bytes("20mb"), Some(20_000_000));
        assert_eq!(parse_bytes("1KiB"), Some(1024));
        assert_eq!(parse_bytes("1kB"), Some(1000));
        assert_eq!(parse_bytes("2.5KiB"), Some(2560));
        assert_eq!(parse_bytes("1k"), Some(1000));
        assert_eq!(parse_bytes("3Gi"), Some(3 << 30));
        assert_eq!(parse_bytes("7B"), Some(7));
        assert_eq!(parse_bytes("1EB"), None);
        assert_eq!(parse_bytes("5x"), None);
        assert_eq!(parse_bytes("99999999999PiB"), None);
        for bytes in [0, 7, 1000, 1024, 1500, 20_000_000, 3 << 30, u64::MAX] {
            assert_eq!(parse_bytes(&format_bytes(bytes)), Some(bytes), "{bytes}");
        }
        assert_eq!(format_bytes(20_000_000), "20MB");
        assert_eq!(format_bytes(1024), "1KiB");
    }

    #[test]
    fn numbers_format_exactly() {
        for value in [
            0.0,
            400.0,
            0.99,
            1e-7,
            1.5e300,
            123456.789,
            1e21,
            2.0f64.powi(60),
        ] {
            let text = format_number(value);
            assert_eq!(text.parse::<f64>(), Ok(value), "{text}");
        }
        assert_eq!(format_number(400.0), "400");
        assert_eq!(format_number(1e-7), "1e-7");
    }
}
