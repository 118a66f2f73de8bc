//! Function calls: dispatch over the function name to range-vector functions
//! (`range_fns.rs`), `histogram_quantile`, label manipulation, math, and the
//! scalar/vector conversions.

use promql_parser::parser::{Call, Expr};

use super::aggregate::valid_label_name;
use super::histogram::histogram_quantile;
use super::range_fns::{is_range_fn, linear_regression, over_time};
use super::selectors::matcher_sets;
use super::{Ctx, Elem, Error, StepValue, exec, labels};
use crate::types::{Labels, METRIC_NAME, MatchOp, SeriesSource, label_value};

/// Applies `f` to every value, dropping `__name__`.
fn map_values(v: Vec<Elem>, f: impl Fn(f64) -> f64) -> Vec<Elem> {
    v.into_iter()
        .map(|e| Elem {
            labels: labels::drop_name(e.labels),
            value: f(e.value),
        })
        .collect()
}

/// Unwraps parentheses.
fn unparen(e: &Expr) -> &Expr {
    match e {
        Expr::Paren(p) => unparen(&p.expr),
        other => other,
    }
}

/// The labels `absent`/`absent_over_time` give their result: the selector's equality
/// matchers (other than the metric name) on labels matched only once.
fn absent_labels(e: &Expr) -> Labels {
    let vs = match unparen(e) {
        Expr::VectorSelector(vs) => vs,
        Expr::MatrixSelector(ms) => &ms.vs,
        _ => return Vec::new(),
    };
    let sets = matcher_sets(vs);
    let [matchers] = sets.as_slice() else {
        return Vec::new();
    };
    let mut out: Labels = Vec::new();
    for m in matchers.iter().filter(|m| m.name != METRIC_NAME) {
        let repeated = matchers.iter().filter(|x| x.name == m.name).count() > 1;
        if m.op == MatchOp::Eq && !repeated {
            labels::set(&mut out, &m.name, &m.value);
        }
    }
    out
}

impl<S: SeriesSource> Ctx<'_, S> {
    /// Evaluates a function call at `t`.
    pub(crate) fn call(&mut self, c: &Call, t: i64) -> Result<StepValue, Error<S>> {
        let name = c.func.name;
        let args: Vec<&Expr> = c.args.args.iter().map(|b| b.as_ref()).collect();
        let arg = |i: usize| -> Result<&Expr, Error<S>> {
            args.get(i)
                .copied()
                .ok_or_else(|| exec(format!("{name}: missing argument {}", i + 1)))
        };
        let vector = |v: Vec<Elem>| Ok(StepValue::Vector(v));

        // Range-vector functions with a single argument.
        if let Some(first) = args.first()
            && is_range_fn(name)
            && name != "quantile_over_time"
        {
            let w = self.eval_matrix(first, t)?;
            return vector(over_time(name, w, 0.0).unwrap_or_default());
        }

        match name {
            "quantile_over_time" => {
                let q = self.eval_scalar(arg(0)?, t)?;
                let w = self.eval_matrix(arg(1)?, t)?;
                vector(over_time(name, w, q).unwrap_or_default())
            }
            "predict_linear" => {
                let w = self.eval_matrix(arg(0)?, t)?;
                let dt = self.eval_scalar(arg(1)?, t)?;
                let at = w.end;
                vector(super::range_fns::map_window(w, |s| {
                    (s.points.len() >= 2).then(|| {
                        let (slope, intercept) = linear_regression(&s.points, at);
                        intercept + slope * dt
                    })
                }))
            }
            "absent_over_time" => {
                let w = self.eval_matrix(arg(0)?, t)?;
                vector(if w.series.is_empty() {
                    vec![Elem {
                        labels: absent_labels(arg(0)?),
                        value: 1.0,
                    }]
                } else {
                    Vec::new()
                })
            }
            "absent" => {
                let v = self.eval_vector(arg(0)?, t)?;
                vector(if v.is_empty() {
                    vec![Elem {
                        labels: absent_labels(arg(0)?),
                        value: 1.0,
                    }]
                } else {
                    Vec::new()
                })
            }
            "histogram_quantile" => {
                let q = self.eval_scalar(arg(0)?, t)?;
                let v = self.eval_vector(arg(1)?, t)?;
                vector(histogram_quantile(q, v))
            }
            "label_replace" => {
                let v = self.eval_vector(arg(0)?, t)?;
                let dst = self.eval_string(arg(1)?, t)?;
                let repl = self.eval_string(arg(2)?, t)?;
                let src = self.eval_string(arg(3)?, t)?;
                let re = self.eval_string(arg(4)?, t)?;
                let re = regex::Regex::new(&format!("^(?s:{re})$")).map_err(|e| {
                    exec(format!(
                        "invalid regular expression in label_replace(): {e}"
                    ))
                })?;
                if !valid_label_name(&dst) {
                    return Err(exec(format!(
                        "invalid destination label name in label_replace(): {dst}"
                    )));
                }
                vector(
                    v.into_iter()
                        .map(|mut e| {
                            let value = label_value(&e.labels, &src).unwrap_or("").to_string();
                            if let Some(caps) = re.captures(&value) {
                                let mut out = String::new();
                                caps.expand(&repl, &mut out);
                                labels::set(&mut e.labels, &dst, &out);
                            }
                            e
                        })
                        .collect(),
                )
            }
            "label_join" => {
                let v = self.eval_vector(arg(0)?, t)?;
                let dst = self.eval_string(arg(1)?, t)?;
                let sep = self.eval_string(arg(2)?, t)?;
                let mut srcs = Vec::new();
                for a in args.iter().skip(3) {
                    srcs.push(self.eval_string(a, t)?);
                }
                if !valid_label_name(&dst) {
                    return Err(exec(format!(
                        "invalid destination label name in label_join(): {dst}"
                    )));
                }
                vector(
                    v.into_iter()
                        .map(|mut e| {
                            let joined: Vec<&str> = srcs
                                .iter()
                                .map(|s| label_value(&e.labels, s).unwrap_or(""))
                                .collect();
                            let joined = joined.join(&sep);
                            labels::set(&mut e.labels, &dst, &joined);
                            e
                        })
                        .collect(),
                )
            }
            "abs" | "ceil" | "floor" | "exp" | "ln" | "log2" | "log10" | "sqrt" | "sgn" => {
                let f: fn(f64) -> f64 = match name {
                    "abs" => f64::abs,
                    "ceil" => f64::ceil,
                    "floor" => f64::floor,
                    "exp" => f64::exp,
                    "ln" => f64::ln,
                    "log2" => f64::log2,
                    "log10" => f64::log10,
                    "sqrt" => f64::sqrt,
                    _ => |v: f64| {
                        if v > 0.0 {
                            1.0
                        } else if v < 0.0 {
                            -1.0
                        } else {
                            v
                        }
                    },
                };
                let v = self.eval_vector(arg(0)?, t)?;
                vector(map_values(v, f))
            }
            "round" => {
                let v = self.eval_vector(arg(0)?, t)?;
                let to = match args.get(1) {
                    Some(a) => self.eval_scalar(a, t)?,
                    None => 1.0,
                };
                let inv = 1.0 / to;
                vector(map_values(v, |x| (x * inv + 0.5).floor() / inv))
            }
            "clamp" => {
                let v = self.eval_vector(arg(0)?, t)?;
                let (lo, hi) = (self.eval_scalar(arg(1)?, t)?, self.eval_scalar(arg(2)?, t)?);
                if hi < lo {
                    return vector(Vec::new());
                }
                vector(map_values(v, |x| x.max(lo).min(hi)))
            }
            "clamp_min" | "clamp_max" => {
                let v = self.eval_vector(arg(0)?, t)?;
                let b = self.eval_scalar(arg(1)?, t)?;
                let min = name == "clamp_min";
                vector(map_values(v, |x| if min { x.max(b) } else { x.min(b) }))
            }
            "time" => Ok(StepValue::Scalar(t as f64 / 1000.0)),
            "vector" => {
                let s = self.eval_scalar(arg(0)?, t)?;
                vector(vec![Elem {
                    labels: Vec::new(),
                    value: s,
                }])
            }
            "scalar" => {
                let v = self.eval_vector(arg(0)?, t)?;
                Ok(StepValue::Scalar(match v.as_slice() {
                    [one] => one.value,
                    _ => f64::NAN,
                }))
            }
            "sort" | "sort_desc" => {
                let mut v = self.eval_vector(arg(0)?, t)?;
                let desc = name == "sort_desc";
                // NaN sorts last either way.
                v.sort_by(|a, b| match (a.value.is_nan(), b.value.is_nan()) {
                    (true, true) => std::cmp::Ordering::Equal,
                    (true, false) => std::cmp::Ordering::Greater,
                    (false, true) => std::cmp::Ordering::Less,
                    _ if desc => b.value.total_cmp(&a.value),
                    _ => a.value.total_cmp(&b.value),
                });
                vector(v)
            }
            "timestamp" => {
                let a = arg(0)?;
                let v = match unparen(a) {
                    Expr::VectorSelector(vs) => self.instant_timestamps(vs, t),
                    _ => self
                        .eval_vector(a, t)?
                        .into_iter()
                        .map(|e| Elem {
                            labels: e.labels,
                            value: t as f64 / 1000.0,
                        })
                        .collect(),
                };
                vector(map_values(v, |x| x))
            }
            _ => Err(exec(format!("function {name}() is not supported"))),
        }
    }
}
