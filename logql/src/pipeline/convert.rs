//! Conversions of label values the way Loki's Go code converts them, with Go's error messages
//! (they end up in `__error_details__`): `strconv.ParseFloat`, `time.ParseDuration` and
//! `humanize.ParseBytes`.

/// `strconv.ParseFloat(text, 64)`: decimal or exponent notation, an optional sign, `inf`,
/// `infinity` and `nan` in any case; out-of-range values are errors.
pub(crate) fn parse_float(text: &str) -> Result<f64, String> {
    let syntax = || {
        format!(
            "strconv.ParseFloat: parsing {}: invalid syntax",
            quote(text)
        )
    };
    let body = text.strip_prefix(['+', '-']).unwrap_or(text);
    let special = ["inf", "infinity", "nan"]
        .iter()
        .any(|s| body.eq_ignore_ascii_case(s));
    let plain = !body.is_empty()
        && body
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'));
    if !special && !plain {
        return Err(syntax());
    }
    let value: f64 = text.parse().map_err(|_| syntax())?;
    if value.is_infinite() && !special {
        return Err(format!(
            "strconv.ParseFloat: parsing {}: value out of range",
            quote(text)
        ));
    }
    Ok(value)
}

/// `time.ParseDuration`: `[-+]?([0-9]*(\.[0-9]*)?[a-z]+)+` with the units `ns`, `us`, `µs`,
/// `ms`, `s`, `m`, `h`, or `0`. Returns nanoseconds.
pub(crate) fn parse_duration(text: &str) -> Result<i64, String> {
    let invalid = || format!("time: invalid duration {}", quote(text));
    let (negative, mut rest) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    if rest == "0" {
        return Ok(0);
    }
    if rest.is_empty() {
        return Err(invalid());
    }
    let mut total: u128 = 0;
    while !rest.is_empty() {
        let int_len = rest.bytes().take_while(u8::is_ascii_digit).count();
        let (int, after) = rest.split_at(int_len);
        let (frac, after) = match after.strip_prefix('.') {
            Some(f) => f.split_at(f.bytes().take_while(u8::is_ascii_digit).count()),
            None => ("", after),
        };
        if int.is_empty() && frac.is_empty() {
            // Covers "no digits at all" and ".": Go requires a digit on one side of the dot.
            return Err(invalid());
        }
        let unit_len = after
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(after.len());
        let (unit, after) = after.split_at(unit_len);
        if unit.is_empty() {
            return Err(format!("time: missing unit in duration {}", quote(text)));
        }
        let scale: u128 = match unit {
            "ns" => 1,
            "us" | "µs" | "μs" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            _ => {
                return Err(format!(
                    "time: unknown unit {} in duration {}",
                    quote(unit),
                    quote(text)
                ));
            }
        };
        let whole: u128 = if int.is_empty() {
            0
        } else {
            int.parse().map_err(|_| invalid())?
        };
        let mut amount = whole.checked_mul(scale).ok_or_else(invalid)?;
        // Fraction digits beyond nanosecond precision do not change the result.
        let frac = &frac[..frac.len().min(18)];
        if !frac.is_empty() {
            let digits: u128 = frac.parse().map_err(|_| invalid())?;
            amount += digits * scale / 10u128.pow(frac.len() as u32);
        }
        total = total.checked_add(amount).ok_or_else(invalid)?;
        if total > i64::MAX as u128 + u128::from(negative) {
            return Err(invalid());
        }
        rest = after;
    }
    Ok(if negative {
        (total as i128).wrapping_neg() as i64
    } else {
        total as i64
    })
}

/// `humanize.ParseBytes`: a number (digits, `.`, `,` separators) and an optional unit among
/// `B`, `K`/`KB`/`KiB` ... `E`/`EB`/`EiB`, case-insensitive, spaces allowed before the unit.
pub(crate) fn parse_bytes(text: &str) -> Result<u64, String> {
    let number_len = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == ','))
        .unwrap_or(text.len());
    let number = text[..number_len].replace(',', "");
    let value = parse_float(&number)?;
    let unit = text[number_len..].trim().to_ascii_lowercase();
    let multiplier: u64 = match unit.as_str() {
        "" | "b" => 1,
        "k" | "kb" => 1_000,
        "ki" | "kib" => 1 << 10,
        "m" | "mb" => 1_000_000,
        "mi" | "mib" => 1 << 20,
        "g" | "gb" => 1_000_000_000,
        "gi" | "gib" => 1 << 30,
        "t" | "tb" => 1_000_000_000_000,
        "ti" | "tib" => 1 << 40,
        "p" | "pb" => 1_000_000_000_000_000,
        "pi" | "pib" => 1 << 50,
        "e" | "eb" => 1_000_000_000_000_000_000,
        "ei" | "eib" => 1 << 60,
        _ => return Err(format!("unhandled size name: {unit}")),
    };
    let bytes = value * multiplier as f64;
    if bytes >= u64::MAX as f64 {
        return Err(format!("too large: {text}"));
    }
    Ok(bytes as u64)
}

/// Go's `strconv.Quote` for the common cases (printable text, quotes and backslashes escaped).
pub(crate) fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats() {
        assert_eq!(parse_float("1.5"), Ok(1.5));
        assert_eq!(parse_float("-2e3"), Ok(-2000.0));
        assert_eq!(parse_float(".5"), Ok(0.5));
        assert!(parse_float("Inf").unwrap().is_infinite());
        assert_eq!(
            parse_float("12ms"),
            Err(r#"strconv.ParseFloat: parsing "12ms": invalid syntax"#.into())
        );
        assert_eq!(
            parse_float(""),
            Err(r#"strconv.ParseFloat: parsing "": invalid syntax"#.into())
        );
        assert!(parse_float("1e999").unwrap_err().contains("out of range"));
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("1.5s"), Ok(1_500_000_000));
        assert_eq!(parse_duration("1h2m3.5s"), Ok(3_723_500_000_000));
        assert_eq!(parse_duration("-250µs"), Ok(-250_000));
        assert_eq!(parse_duration("0"), Ok(0));
        assert_eq!(parse_duration(".5ms"), Ok(500_000));
        assert_eq!(
            parse_duration("1"),
            Err(r#"time: missing unit in duration "1""#.into())
        );
        assert_eq!(
            parse_duration("1d"),
            Err(r#"time: unknown unit "d" in duration "1d""#.into())
        );
        assert_eq!(
            parse_duration("abc"),
            Err(r#"time: invalid duration "abc""#.into())
        );
    }

    #[test]
    fn bytes() {
        assert_eq!(parse_bytes("42"), Ok(42));
        assert_eq!(parse_bytes("5MB"), Ok(5_000_000));
        assert_eq!(parse_bytes("1 KiB"), Ok(1024));
        assert_eq!(parse_bytes("1.5kb"), Ok(1500));
        assert_eq!(parse_bytes("1,000 B"), Ok(1000));
        assert_eq!(
            parse_bytes("3 apples"),
            Err("unhandled size name: apples".into())
        );
        assert!(parse_bytes("MB").unwrap_err().contains("invalid syntax"));
    }
}
