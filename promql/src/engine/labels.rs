//! Label-set helpers: dropping the metric name, setting and deleting labels, and the
//! grouping keys of aggregations and vector matching.

use crate::types::{Labels, METRIC_NAME};

/// The label set without `__name__`.
pub(crate) fn drop_name(mut l: Labels) -> Labels {
    l.retain(|(n, _)| n != METRIC_NAME);
    l
}

/// Sets `name` to `value` (deleting it when `value` is empty), keeping the set sorted.
pub(crate) fn set(l: &mut Labels, name: &str, value: &str) {
    match l.binary_search_by(|(n, _)| n.as_str().cmp(name)) {
        Ok(i) if value.is_empty() => {
            l.remove(i);
        }
        Ok(i) => l[i].1 = value.to_string(),
        Err(_) if value.is_empty() => {}
        Err(i) => l.insert(i, (name.to_string(), value.to_string())),
    }
}

/// Keeps only the labels named in `names` (`include`), or drops them (`!include`).
pub(crate) fn project(l: &Labels, names: &[String], include: bool) -> Labels {
    l.iter()
        .filter(|(n, _)| names.iter().any(|x| x == n) == include)
        .cloned()
        .collect()
}

/// The grouping key of an aggregation: `by` keeps the listed labels, `without` drops them and
/// `__name__`; no clause groups everything together.
pub(crate) fn group_key(l: &Labels, by: Option<(&[String], bool)>) -> Labels {
    match by {
        None => Vec::new(),
        Some((names, true)) => project(l, names, true),
        Some((names, false)) => drop_name(project(l, names, false)),
    }
}

/// The matching signature of vector matching: `on` keeps the listed labels, `ignoring` (or
/// no clause) drops them and `__name__`.
pub(crate) fn match_key(l: &Labels, on: Option<&[String]>, ignoring: &[String]) -> Labels {
    match on {
        Some(names) => project(l, names, true),
        None => drop_name(project(l, ignoring, false)),
    }
}

/// Formats a label set as Prometheus does in error messages: `{a="b", c="d"}`.
pub(crate) fn format(l: &Labels) -> String {
    let inner: Vec<String> = l.iter().map(|(n, v)| format!("{n}=\"{v}\"")).collect();
    format!("{{{}}}", inner.join(", "))
}

/// Formats a float as Go's `strconv.FormatFloat(v, 'f', -1, 64)`.
pub(crate) fn format_float(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v == f64::INFINITY {
        "+Inf".into()
    } else if v == f64::NEG_INFINITY {
        "-Inf".into()
    } else {
        format!("{v}")
    }
}
