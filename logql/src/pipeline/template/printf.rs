//! The subset of Go's `fmt` that templates use: `printf` verbs (`%s %d %v %f %e %g %q %x %t %c
//! %%` with flags, width and precision, and Go's `%!d(string=x)` for mismatches) and Go's float
//! formatting (`%v` of `1e6` is `1e+06`).

use std::fmt::Write;

use super::value::{Value, print_value};

/// `fmt.Sprintf(format, args...)`.
pub(crate) fn sprintf(format: &str, args: &[Value<'_>], labels: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(format.len() + 16);
    let mut next_arg = 0;
    let mut chars = format.char_indices().peekable();
    while let Some((_, c)) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let mut spec = Spec::default();
        while let Some(&(_, flag)) = chars.peek() {
            match flag {
                '-' => spec.minus = true,
                '+' => spec.plus = true,
                '#' => spec.sharp = true,
                ' ' => spec.space = true,
                '0' => spec.zero = true,
                _ => break,
            }
            chars.next();
        }
        spec.width = read_number(&mut chars);
        if chars.peek().is_some_and(|&(_, c)| c == '.') {
            chars.next();
            spec.precision = Some(read_number(&mut chars).unwrap_or(0));
        }
        let Some((_, verb)) = chars.next() else {
            out.push_str("%!(NOVERB)");
            break;
        };
        if verb == '%' {
            out.push('%');
            continue;
        }
        let Some(arg) = args.get(next_arg) else {
            let _ = write!(out, "%!{verb}(MISSING)");
            continue;
        };
        next_arg += 1;
        format_arg(&mut out, &spec, verb, arg, labels);
    }
    if next_arg < args.len() {
        out.push_str("%!(EXTRA ");
        for (i, arg) in args[next_arg..].iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            let _ = write!(out, "{}=", arg.type_name());
            print_value(&mut out, arg, labels);
        }
        out.push(')');
    }
    out
}

#[derive(Debug, Default)]
struct Spec {
    minus: bool,
    plus: bool,
    sharp: bool,
    space: bool,
    zero: bool,
    width: Option<usize>,
    precision: Option<usize>,
}

fn read_number(chars: &mut std::iter::Peekable<std::str::CharIndices<'_>>) -> Option<usize> {
    let mut n: Option<usize> = None;
    while let Some(&(_, c)) = chars.peek() {
        let Some(d) = c.to_digit(10) else { break };
        n = Some(
            n.unwrap_or(0)
                .saturating_mul(10)
                .saturating_add(d as usize)
                .min(10_000),
        );
        chars.next();
    }
    n
}

fn format_arg(out: &mut String, spec: &Spec, verb: char, arg: &Value<'_>, labels: &[(&str, &str)]) {
    let bad = |out: &mut String| {
        let _ = write!(out, "%!{verb}(");
        match arg {
            Value::Nil => out.push_str("<nil>"),
            other => {
                let _ = write!(out, "{}=", other.type_name());
                print_value(out, other, labels);
            }
        }
        out.push(')');
    };
    let (body, numeric) = match (arg, verb) {
        (Value::Str(s), 'v' | 's') => (truncate(s, spec.precision), false),
        (Value::Str(s), 'q') => (quote(s), false),
        (Value::Str(s), 'x') => (hex_bytes(s, false), false),
        (Value::Str(s), 'X') => (hex_bytes(s, true), false),
        (Value::Int(i), 'v' | 'd') => (signed(i.to_string(), *i < 0, spec), true),
        (Value::Int(i), 'b') => (radix(*i, 2, "0b", spec), true),
        (Value::Int(i), 'o') => (radix(*i, 8, "0", spec), true),
        (Value::Int(i), 'x') => (radix(*i, 16, "0x", spec), true),
        (Value::Int(i), 'X') => (radix(*i, 16, "0X", spec).to_uppercase(), true),
        (Value::Int(i), 'c') => (char_of(*i).to_string(), false),
        (Value::Int(i), 'q') => (format!("'{}'", char_of(*i)), false),
        (Value::Int(i), 'U') => (format!("U+{:04X}", i), false),
        (Value::Float(f), 'v' | 'g' | 'G' | 'e' | 'E' | 'f' | 'F') => {
            let verb = if verb == 'v' { 'g' } else { verb };
            let text = format_float(*f, verb, spec.precision, spec.sharp);
            (
                signed(text, f.is_sign_negative() && !f.is_nan(), spec),
                true,
            )
        }
        (Value::Bool(b), 'v' | 't') => (b.to_string(), false),
        (Value::Nil, 'v') => ("<nil>".to_string(), false),
        (Value::Time(_) | Value::Labels, 'v' | 's') => {
            let mut s = String::new();
            print_value(&mut s, arg, labels);
            (truncate(&s, spec.precision), false)
        }
        _ => {
            bad(out);
            return;
        }
    };
    pad(out, &body, spec, numeric);
}

/// Adds `+` or ` ` to a non-negative number when asked.
fn signed(text: String, negative: bool, spec: &Spec) -> String {
    if negative || text.starts_with(['+', '-']) {
        text
    } else if spec.plus {
        format!("+{text}")
    } else if spec.space {
        format!(" {text}")
    } else {
        text
    }
}

fn radix(i: i64, base: u32, prefix: &str, spec: &Spec) -> String {
    let magnitude = i.unsigned_abs();
    let digits = match base {
        2 => format!("{magnitude:b}"),
        8 => format!("{magnitude:o}"),
        _ => format!("{magnitude:x}"),
    };
    let prefix = if spec.sharp { prefix } else { "" };
    let sign = if i < 0 { "-" } else { "" };
    signed(format!("{sign}{prefix}{digits}"), i < 0, spec)
}

fn char_of(i: i64) -> char {
    u32::try_from(i)
        .ok()
        .and_then(char::from_u32)
        .unwrap_or('\u{FFFD}')
}

fn truncate(s: &str, precision: Option<usize>) -> String {
    match precision {
        Some(p) => s.chars().take(p).collect(),
        None => s.to_string(),
    }
}

fn hex_bytes(s: &str, upper: bool) -> String {
    let mut out = String::with_capacity(s.len() * 2);
    for b in s.bytes() {
        let _ = if upper {
            write!(out, "{b:02X}")
        } else {
            write!(out, "{b:02x}")
        };
    }
    out
}

/// Go's `strconv.Quote`.
pub(crate) fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn pad(out: &mut String, body: &str, spec: &Spec, numeric: bool) {
    let len = body.chars().count();
    let width = spec.width.unwrap_or(0);
    if len >= width {
        out.push_str(body);
        return;
    }
    let fill = width - len;
    if spec.minus {
        out.push_str(body);
        out.extend(std::iter::repeat_n(' ', fill));
    } else if spec.zero && numeric && !body.ends_with("Inf") && body != "NaN" {
        let (sign, digits) = match body.as_bytes()[0] {
            b'+' | b'-' | b' ' => body.split_at(1),
            _ => ("", body),
        };
        out.push_str(sign);
        out.extend(std::iter::repeat_n('0', fill));
        out.push_str(digits);
    } else {
        out.extend(std::iter::repeat_n(' ', fill));
        out.push_str(body);
    }
}

/// Formats a float like Go's `strconv.FormatFloat(f, verb, prec, 64)` (`prec` `None` is the
/// shortest representation), with `fmt`'s `+Inf`.
pub(crate) fn format_float(f: f64, verb: char, precision: Option<usize>, sharp: bool) -> String {
    if f.is_nan() {
        return "NaN".to_string();
    }
    if f.is_infinite() {
        return if f > 0.0 { "+Inf" } else { "-Inf" }.to_string();
    }
    let negative = f.is_sign_negative() && f != 0.0;
    let sign = if negative { "-" } else { "" };
    let upper = verb.is_ascii_uppercase();
    let body = match verb.to_ascii_lowercase() {
        'f' => format!("{:.*}", precision.unwrap_or(6), f.abs()),
        'e' => {
            let (digits, dp) = decimal_digits(f.abs(), Some(precision.unwrap_or(6) + 1));
            exp_form(&digits, dp, precision.unwrap_or(6), upper)
        }
        _ => {
            let shortest = precision.is_none();
            let (mut digits, dp) = decimal_digits(f.abs(), precision.map(|p| p.max(1)));
            if !sharp {
                let trimmed = digits.trim_end_matches('0').len().max(1);
                digits.truncate(trimmed);
            }
            let nd = digits.len() as i64;
            let prec = precision.map_or(nd, |p| p.max(1) as i64);
            let eprec = if shortest {
                6
            } else if prec > nd && nd >= dp {
                nd
            } else {
                prec
            };
            let exp = dp - 1;
            if exp < -4 || exp >= eprec {
                exp_form(&digits, dp, (prec.min(nd) - 1).max(0) as usize, upper)
            } else {
                let prec = if prec > dp { nd } else { prec };
                fixed_form(&digits, dp, (prec - dp).max(0) as usize)
            }
        }
    };
    format!("{sign}{body}")
}

/// The significant digits of `f` (at most `significant` of them, rounded; the shortest
/// round-trip digits when `None`) and the position of the decimal point.
fn decimal_digits(f: f64, significant: Option<usize>) -> (String, i64) {
    let text = match significant {
        Some(n) => format!("{:.*e}", n.saturating_sub(1), f),
        None => format!("{f:e}"),
    };
    let (mantissa, exponent) = text.split_once('e').expect("exponent form");
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let exponent: i64 = exponent.parse().expect("integer exponent");
    (digits, exponent + 1)
}

fn exp_form(digits: &str, dp: i64, decimals: usize, upper: bool) -> String {
    let mut out = String::new();
    let mut chars = digits.chars();
    out.push(chars.next().unwrap_or('0'));
    if decimals > 0 {
        out.push('.');
        for _ in 0..decimals {
            out.push(chars.next().unwrap_or('0'));
        }
    }
    let exp = if digits.bytes().all(|b| b == b'0') {
        0
    } else {
        dp - 1
    };
    let _ = write!(
        out,
        "{}{}{:02}",
        if upper { 'E' } else { 'e' },
        if exp < 0 { '-' } else { '+' },
        exp.abs()
    );
    out
}

fn fixed_form(digits: &str, dp: i64, decimals: usize) -> String {
    let digit = |i: i64| -> char {
        if i < 0 {
            '0'
        } else {
            digits
                .as_bytes()
                .get(i as usize)
                .map_or('0', |&b| b as char)
        }
    };
    let mut out = String::new();
    if dp > 0 {
        for i in 0..dp {
            out.push(digit(i));
        }
    } else {
        out.push('0');
    }
    if decimals > 0 {
        out.push('.');
        for i in 0..decimals as i64 {
            out.push(digit(dp + i));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(v: f64, verb: char, p: Option<usize>) -> String {
        format_float(v, verb, p, false)
    }

    #[test]
    fn floats_like_go() {
        assert_eq!(f(1e6, 'g', None), "1e+06");
        assert_eq!(f(123456.0, 'g', None), "123456");
        assert_eq!(f(1234567.0, 'g', None), "1.234567e+06");
        assert_eq!(f(0.0001, 'g', None), "0.0001");
        assert_eq!(f(0.00001, 'g', None), "1e-05");
        assert_eq!(f(0.0, 'g', None), "0");
        assert_eq!(f(-2.5, 'g', None), "-2.5");
        assert_eq!(f(1234.5678, 'g', Some(3)), "1.23e+03");
        assert_eq!(f(1.5, 'g', Some(5)), "1.5");
        assert_eq!(f(1e6, 'g', Some(3)), "1e+06");
        assert_eq!(f(1.23456, 'f', Some(2)), "1.23");
        assert_eq!(f(2.0, 'f', None), "2.000000");
        assert_eq!(f(1234.5, 'e', Some(2)), "1.23e+03");
        assert_eq!(f(f64::INFINITY, 'f', None), "+Inf");
    }

    #[test]
    fn printf_verbs() {
        let s = |v: &str| Value::string(v);
        let args = [
            s("abc"),
            Value::Int(42),
            Value::Float(3.5),
            Value::Bool(true),
            Value::Float(2.25),
            s("ab"),
            Value::Int(7),
            s("x\"y"),
            Value::Int(255),
        ];
        assert_eq!(
            sprintf("%s|%d|%v|%t|%5.1f|%-4s|%04d|%q|%x", &args, &[]),
            r#"abc|42|3.5|true|  2.2|ab  |0007|"x\"y"|ff"#
        );
        assert_eq!(sprintf("%d", &[s("x")], &[]), "%!d(string=x)");
        assert_eq!(sprintf("%s %s", &[s("x")], &[]), "x %!s(MISSING)");
        assert_eq!(
            sprintf("%s", &[s("x"), Value::Int(1)], &[]),
            "x%!(EXTRA int=1)"
        );
        assert_eq!(sprintf("100%%", &[], &[]), "100%");
        assert_eq!(
            sprintf(
                "%.2s|%6.2f|%+d",
                &[s("hello"), Value::Float(1.23456), Value::Int(5)],
                &[]
            ),
            "he|  1.23|+5"
        );
    }
}
