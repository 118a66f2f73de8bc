//! The functions of Prometheus alert templates (`template/template.go`): the `humanize`
//! family (without `humanizeTimestamp`), case changes, `reReplaceAll` and `match`.

use std::borrow::Cow;

use super::funcs::{Env, arity};
use super::helpers::title;
use super::printf::sprintf;
use super::value::Value;

/// Functions an alert template may call besides Go's builtins.
pub(crate) const FUNCTIONS: &[&str] = &[
    "humanize",
    "humanize1024",
    "humanizeDuration",
    "humanizePercentage",
    "toUpper",
    "toLower",
    "title",
    "reReplaceAll",
    "match",
];

/// `%.4g` of `v` followed by `suffix`, as Go prints it.
fn g4(v: f64, suffix: &str) -> String {
    format!("{}{suffix}", sprintf("%.4g", &[Value::Float(v)], &[]))
}

/// A number argument: numbers as they are, strings parsed (Prometheus' `convertToFloat`).
fn number(value: &Value<'_>) -> Result<f64, String> {
    match value {
        Value::Float(f) => Ok(*f),
        Value::Int(i) => Ok(*i as f64),
        Value::Str(s) => s
            .trim()
            .parse::<f64>()
            .map_err(|_| format!("can't convert {s:?} to float")),
        other => Err(format!("can't convert {} to float", other.type_name())),
    }
}

/// Prometheus' `humanize`: SI prefixes, 4 significant digits.
pub(crate) fn humanize(mut v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return g4(v, "");
    }
    if v.abs() >= 1.0 {
        let mut prefix = "";
        for p in ["k", "M", "G", "T", "P", "E", "Z", "Y"] {
            if v.abs() < 1000.0 {
                break;
            }
            prefix = p;
            v /= 1000.0;
        }
        return g4(v, prefix);
    }
    let mut prefix = "";
    for p in ["m", "u", "n", "p", "f", "a", "z", "y"] {
        if v.abs() >= 1.0 {
            break;
        }
        prefix = p;
        v *= 1000.0;
    }
    g4(v, prefix)
}

/// Prometheus' `humanize1024`: binary prefixes.
fn humanize1024(mut v: f64) -> String {
    if v.abs() <= 1.0 || !v.is_finite() {
        return g4(v, "");
    }
    let mut prefix = "";
    for p in ["ki", "Mi", "Gi", "Ti", "Pi", "Ei", "Zi", "Yi"] {
        if v.abs() < 1024.0 {
            break;
        }
        prefix = p;
        v /= 1024.0;
    }
    g4(v, prefix)
}

/// Prometheus' `humanizeDuration` of `v` seconds: `1d 2h 3m 4s`, `1.5s`, `250ms`.
pub(crate) fn humanize_duration(mut v: f64) -> String {
    if !v.is_finite() {
        return g4(v, "");
    }
    if v == 0.0 {
        return "0s".into();
    }
    if v.abs() >= 1.0 {
        let sign = if v < 0.0 { "-" } else { "" };
        v = v.abs();
        let whole = v as i64;
        let (seconds, minutes) = (whole % 60, (whole / 60) % 60);
        let (hours, days) = ((whole / 3600) % 24, whole / 86_400);
        return if days != 0 {
            format!("{sign}{days}d {hours}h {minutes}m {seconds}s")
        } else if hours != 0 {
            format!("{sign}{hours}h {minutes}m {seconds}s")
        } else if minutes != 0 {
            format!("{sign}{minutes}m {seconds}s")
        } else {
            format!("{sign}{}", g4(v, "s"))
        };
    }
    let mut prefix = "";
    for p in ["m", "u", "n", "p", "f", "a", "z", "y"] {
        if v.abs() >= 1.0 {
            break;
        }
        prefix = p;
        v *= 1000.0;
    }
    g4(v, &format!("{prefix}s"))
}

/// Calls the alert-template function `name` (one of [`FUNCTIONS`]).
pub(crate) fn call<'d>(
    name: &str,
    args: &[Value<'d>],
    _env: &Env<'d, '_>,
) -> Result<Value<'d>, String> {
    let one = || -> Result<&Value<'d>, String> {
        arity(name, args, 1)?;
        Ok(&args[0])
    };
    let text = |s: String| Value::Str(Cow::Owned(s));
    Ok(match name {
        "humanize" => text(humanize(number(one()?)?)),
        "humanize1024" => text(humanize1024(number(one()?)?)),
        "humanizeDuration" => text(humanize_duration(number(one()?)?)),
        "humanizePercentage" => text(g4(number(one()?)? * 100.0, "%")),
        "toUpper" => text(one()?.as_str()?.to_uppercase()),
        "toLower" => text(one()?.as_str()?.to_lowercase()),
        "title" => text(title(one()?.as_str()?)),
        "reReplaceAll" => {
            arity(name, args, 3)?;
            let re = regex::Regex::new(args[0].as_str()?).map_err(|e| e.to_string())?;
            // Go's `$1` / `${1}` / `${name}` expansion reads like the regex crate's.
            text(
                re.replace_all(args[2].as_str()?, args[1].as_str()?)
                    .into_owned(),
            )
        }
        "match" => {
            arity(name, args, 2)?;
            let re = regex::Regex::new(args[0].as_str()?).map_err(|e| e.to_string())?;
            Value::Bool(re.is_match(args[1].as_str()?))
        }
        other => return Err(format!("function {other:?} not defined")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn humanize_like_prometheus() {
        assert_eq!(humanize(0.0), "0");
        assert_eq!(humanize(1234.5678), "1.235k");
        assert_eq!(humanize(12345678.0), "12.35M");
        assert_eq!(humanize(0.012345), "12.35m");
        assert_eq!(humanize(1.0), "1");
        assert_eq!(humanize1024(1048576.0), "1Mi");
        assert_eq!(humanize1024(0.5), "0.5");
        assert_eq!(humanize_duration(0.0), "0s");
        assert_eq!(humanize_duration(1.5), "1.5s");
        assert_eq!(humanize_duration(-1.5), "-1.5s");
        assert_eq!(humanize_duration(90.0), "1m 30s");
        assert_eq!(humanize_duration(3661.0), "1h 1m 1s");
        assert_eq!(humanize_duration(90061.0), "1d 1h 1m 1s");
        assert_eq!(humanize_duration(0.25), "250ms");
        assert_eq!(humanize_duration(0.0001), "100us");
    }

    #[test]
    fn alert_templates_read_labels_and_value() {
        use super::super::AlertTemplate;
        let labels = vec![
            ("instance".to_string(), "db-1:9100".to_string()),
            ("job".to_string(), "api".to_string()),
        ];
        let render = |src: &str, value: f64| AlertTemplate::parse(src)?.render(&labels, value);
        assert_eq!(
            render("{{ $labels.job }} at {{ $value }}", 0.5).unwrap(),
            "api at 0.5"
        );
        assert_eq!(
            render(
                "{{ $value | humanize }}req/s, {{ humanizePercentage 0.256 }}",
                12345.0
            )
            .unwrap(),
            "12.35kreq/s, 25.6%"
        );
        assert_eq!(
            render("up {{ $value | humanizeDuration }}", 93784.0).unwrap(),
            "up 1d 2h 3m 4s"
        );
        assert_eq!(
            render(
                r#"{{ reReplaceAll ":[0-9]+$" "" $labels.instance | toUpper }}"#,
                0.0
            )
            .unwrap(),
            "DB-1"
        );
        assert_eq!(
            render(r#"{{ if gt $value 1.0 }}high{{ else }}ok{{ end }}"#, 2.0).unwrap(),
            "high"
        );
        // Prometheus runs templates with missingkey=zero: a missing label is "".
        assert_eq!(render("{{ $labels.missing }}", 0.0).unwrap(), "");
        let error = AlertTemplate::parse("{{ $nope }}").unwrap_err();
        assert!(error.contains("undefined variable"), "{error}");
        let error = AlertTemplate::parse("{{ __line__ }}").unwrap_err();
        assert!(
            error.contains("__line__"),
            "Loki's functions are not there: {error}"
        );
    }
}
