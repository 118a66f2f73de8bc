//! Go `time.Time` formatting for templates, always in UTC (the zone Loki runs in): the default
//! `String()` form (`2006-01-02 15:04:05.999999999 +0000 UTC`) that `{{ __timestamp__ }}`
//! prints, and Go reference layouts for sprig's `date`.

use std::fmt::Write;

const NANOS_PER_SECOND: i64 = 1_000_000_000;
const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const DAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

/// A broken-down UTC time.
struct Civil {
    year: i64,
    month: usize,
    day: i64,
    year_day: i64,
    weekday: usize,
    hour: i64,
    minute: i64,
    second: i64,
    nanos: i64,
}

fn civil(nanos: i64) -> Civil {
    let seconds = nanos.div_euclid(NANOS_PER_SECOND);
    let days = seconds.div_euclid(86_400);
    let of_day = seconds.rem_euclid(86_400);
    // Howard Hinnant's days-to-civil algorithm.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let before: [i64; 12] = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334];
    let year_day = before[(month - 1) as usize] + day + i64::from(leap && month > 2);
    Civil {
        year,
        month: month as usize,
        day,
        year_day,
        weekday: (days + 4).rem_euclid(7) as usize,
        hour: of_day / 3_600,
        minute: of_day % 3_600 / 60,
        second: of_day % 60,
        nanos: nanos.rem_euclid(NANOS_PER_SECOND),
    }
}

/// `time.Time.String()` in UTC.
pub(crate) fn format_time(nanos: i64) -> String {
    format_layout(nanos, "2006-01-02 15:04:05.999999999 -0700 MST")
}

/// `time.Time.Format(layout)` in UTC.
pub(crate) fn format_layout(nanos: i64, layout: &str) -> String {
    let t = civil(nanos);
    let mut out = String::with_capacity(layout.len() + 8);
    let mut rest = layout;
    while !rest.is_empty() {
        let (token, len) = next_token(rest);
        match token {
            Token::Literal => out.push_str(&rest[..len]),
            Token::LongMonth => out.push_str(MONTHS[t.month - 1]),
            Token::Month => out.push_str(&MONTHS[t.month - 1][..3]),
            Token::NumMonth => push(&mut out, format_args!("{}", t.month)),
            Token::ZeroMonth => push(&mut out, format_args!("{:02}", t.month)),
            Token::LongWeekDay => out.push_str(DAYS[t.weekday]),
            Token::WeekDay => out.push_str(&DAYS[t.weekday][..3]),
            Token::Day => push(&mut out, format_args!("{}", t.day)),
            Token::UnderDay => push(&mut out, format_args!("{:>2}", t.day)),
            Token::ZeroDay => push(&mut out, format_args!("{:02}", t.day)),
            Token::UnderYearDay => push(&mut out, format_args!("{:>3}", t.year_day)),
            Token::ZeroYearDay => push(&mut out, format_args!("{:03}", t.year_day)),
            Token::Hour => push(&mut out, format_args!("{:02}", t.hour)),
            Token::Hour12 => push(&mut out, format_args!("{}", hour12(t.hour))),
            Token::ZeroHour12 => push(&mut out, format_args!("{:02}", hour12(t.hour))),
            Token::Minute => push(&mut out, format_args!("{}", t.minute)),
            Token::ZeroMinute => push(&mut out, format_args!("{:02}", t.minute)),
            Token::Second => push(&mut out, format_args!("{}", t.second)),
            Token::ZeroSecond => push(&mut out, format_args!("{:02}", t.second)),
            Token::LongYear => push(&mut out, format_args!("{:04}", t.year)),
            Token::Year => push(&mut out, format_args!("{:02}", t.year.rem_euclid(100))),
            Token::PM => out.push_str(if t.hour >= 12 { "PM" } else { "AM" }),
            Token::Pm => out.push_str(if t.hour >= 12 { "pm" } else { "am" }),
            Token::Zone => out.push_str("UTC"),
            Token::IsoZone => out.push('Z'),
            Token::NumZone(text) => out.push_str(text),
            Token::Fraction {
                separator,
                digits,
                trim,
            } => {
                let all = format!("{:09}", t.nanos);
                let mut frac = &all[..digits.min(9)];
                if trim {
                    frac = frac.trim_end_matches('0');
                }
                if !frac.is_empty() {
                    out.push(separator);
                    out.push_str(frac);
                    if !trim && digits > 9 {
                        out.extend(std::iter::repeat_n('0', digits - 9));
                    }
                }
            }
        }
        rest = &rest[len..];
    }
    out
}

fn push(out: &mut String, args: std::fmt::Arguments<'_>) {
    let _ = out.write_fmt(args);
}

fn hour12(hour: i64) -> i64 {
    match hour % 12 {
        0 => 12,
        h => h,
    }
}

/// A chunk of a Go layout.
enum Token {
    Literal,
    LongMonth,
    Month,
    NumMonth,
    ZeroMonth,
    LongWeekDay,
    WeekDay,
    Day,
    UnderDay,
    ZeroDay,
    UnderYearDay,
    ZeroYearDay,
    Hour,
    Hour12,
    ZeroHour12,
    Minute,
    ZeroMinute,
    Second,
    ZeroSecond,
    LongYear,
    Year,
    PM,
    Pm,
    Zone,
    IsoZone,
    NumZone(&'static str),
    Fraction {
        separator: char,
        digits: usize,
        trim: bool,
    },
}

/// The token at the start of `layout` and its length (a one-character literal otherwise).
fn next_token(layout: &str) -> (Token, usize) {
    const PREFIXED: [(&str, Token); 28] = [
        ("January", Token::LongMonth),
        ("Jan", Token::Month),
        ("Monday", Token::LongWeekDay),
        ("Mon", Token::WeekDay),
        ("MST", Token::Zone),
        ("2006", Token::LongYear),
        ("002", Token::ZeroYearDay),
        ("01", Token::ZeroMonth),
        ("02", Token::ZeroDay),
        ("03", Token::ZeroHour12),
        ("04", Token::ZeroMinute),
        ("05", Token::ZeroSecond),
        ("06", Token::Year),
        ("15", Token::Hour),
        ("__2", Token::UnderYearDay),
        ("_2", Token::UnderDay),
        ("PM", Token::PM),
        ("pm", Token::Pm),
        ("-07:00:00", Token::NumZone("+00:00:00")),
        ("-070000", Token::NumZone("+000000")),
        ("-07:00", Token::NumZone("+00:00")),
        ("-0700", Token::NumZone("+0000")),
        ("-07", Token::NumZone("+00")),
        ("Z07:00:00", Token::IsoZone),
        ("Z070000", Token::IsoZone),
        ("Z07:00", Token::IsoZone),
        ("Z0700", Token::IsoZone),
        ("Z07", Token::IsoZone),
    ];
    if layout.starts_with("_2006") {
        return (Token::Literal, 1);
    }
    for (prefix, token) in PREFIXED {
        if layout.starts_with(prefix) {
            return (token, prefix.len());
        }
    }
    let bytes = layout.as_bytes();
    match bytes[0] {
        b'1' => return (Token::NumMonth, 1),
        b'2' => return (Token::Day, 1),
        b'3' => return (Token::Hour12, 1),
        b'4' => return (Token::Minute, 1),
        b'5' => return (Token::Second, 1),
        b'.' | b',' if matches!(bytes.get(1), Some(b'0' | b'9')) => {
            let digit = bytes[1];
            let digits = bytes[1..].iter().take_while(|&&b| b == digit).count();
            if !bytes.get(1 + digits).is_some_and(u8::is_ascii_digit) {
                return (
                    Token::Fraction {
                        separator: bytes[0] as char,
                        digits,
                        trim: digit == b'9',
                    },
                    1 + digits,
                );
            }
        }
        _ => {}
    }
    (
        Token::Literal,
        layout.chars().next().map_or(1, char::len_utf8),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_formats() {
        // 2020-10-18T18:04:22.147378997Z, a Sunday.
        let t = 1_603_044_262_147_378_997;
        assert_eq!(format_time(t), "2020-10-18 18:04:22.147378997 +0000 UTC");
        assert_eq!(format_time(0), "1970-01-01 00:00:00 +0000 UTC");
        assert_eq!(
            format_layout(t, "2006-01-02T15:04:05.000Z07:00"),
            "2020-10-18T18:04:22.147Z"
        );
        assert_eq!(
            format_layout(t, "Mon Jan _2 3:04PM 06 002"),
            "Sun Oct 18 6:04PM 20 292"
        );
        assert_eq!(
            format_layout(-1, "2006-01-02 15:04:05.999"),
            "1969-12-31 23:59:59.999"
        );
    }
}
