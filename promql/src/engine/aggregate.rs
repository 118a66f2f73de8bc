//! Vector aggregations (`sum avg min max count group stddev stdvar topk bottomk quantile
//! count_values`) with `by`/`without` grouping.

use promql_parser::parser::{AggregateExpr, LabelModifier, token};

use super::histogram::quantile;
use super::{Ctx, Elem, Error, StepValue, exec, fused, labels};
use crate::types::{Labels, SeriesSource};

impl<S: SeriesSource> Ctx<'_, S> {
    /// Evaluates an aggregation at `t`.
    pub(crate) fn aggregate(&mut self, a: &AggregateExpr, t: i64) -> Result<StepValue, Error<S>> {
        if let Some(fused) = self.fused_aggregate(a, t)? {
            return Ok(fused);
        }
        let op = a.op.id();
        let input = self.eval_vector(&a.expr, t)?;
        let grouping: Option<(&[String], bool)> = match &a.modifier {
            None => None,
            Some(LabelModifier::Include(l)) => Some((&l.labels, true)),
            Some(LabelModifier::Exclude(l)) => Some((&l.labels, false)),
        };
        // Groups in order of first appearance.
        let mut keys: Vec<Labels> = Vec::new();
        let mut groups: Vec<Vec<Elem>> = Vec::new();
        let mut index: std::collections::HashMap<Labels, usize> = Default::default();
        let count_values_label = if op == token::T_COUNT_VALUES {
            let name = match &a.param {
                Some(p) => self.eval_string(p, t)?,
                None => return Err(exec("count_values needs a label name")),
            };
            if !valid_label_name(&name) {
                return Err(exec(format!("invalid label name {name:?}")));
            }
            Some(name)
        } else {
            None
        };
        for e in input {
            let mut key = labels::group_key(&e.labels, grouping);
            if let Some(name) = &count_values_label {
                labels::set(&mut key, name, &labels::format_float(e.value));
            }
            let i = *index.entry(key.clone()).or_insert_with(|| {
                keys.push(key);
                groups.push(Vec::new());
                keys.len() - 1
            });
            groups[i].push(e);
        }

        let scalar_param = |ctx: &mut Self| -> Result<f64, Error<S>> {
            match &a.param {
                Some(p) => ctx.eval_scalar(p, t),
                None => Err(exec("aggregation needs a parameter")),
            }
        };

        let mut out = Vec::new();
        match op {
            token::T_TOPK | token::T_BOTTOMK => {
                let k = scalar_param(self)?;
                if k >= 1.0 {
                    let k = k.min(9.0e18) as usize;
                    for g in groups {
                        out.extend(select_k(g, k, op == token::T_TOPK));
                    }
                }
            }
            _ => {
                let q = if op == token::T_QUANTILE {
                    scalar_param(self)?
                } else {
                    0.0
                };
                for (key, g) in keys.into_iter().zip(groups) {
                    let vals: Vec<f64> = g.iter().map(|e| e.value).collect();
                    let value = match op {
                        token::T_SUM
                        | token::T_AVG
                        | token::T_GROUP
                        | token::T_MIN
                        | token::T_MAX
                        | token::T_STDVAR
                        | token::T_STDDEV => fused::reduce(op, &vals),
                        token::T_COUNT | token::T_COUNT_VALUES => g.len() as f64,
                        token::T_QUANTILE => quantile(q, vals),
                        _ => {
                            return Err(exec(format!(
                                "aggregation {} is not supported",
                                token::TokenType::new(op)
                            )));
                        }
                    };
                    out.push(Elem { labels: key, value });
                }
            }
        }
        self.check_series(out.len())?;
        Ok(StepValue::Vector(out))
    }
}

/// The `k` largest (`top`) or smallest elements of a group, best first. Ties keep the element
/// seen first; NaN ranks below every number for both.
fn select_k(mut g: Vec<Elem>, k: usize, top: bool) -> Vec<Elem> {
    let rank = |e: &Elem| -> f64 {
        match (e.value.is_nan(), top) {
            (true, true) => f64::NEG_INFINITY,
            (true, false) => f64::INFINITY,
            (false, true) => e.value,
            (false, false) => -e.value,
        }
    };
    // Stable sort: equal values keep their input order.
    g.sort_by(|a, b| rank(b).total_cmp(&rank(a)));
    g.truncate(k);
    g
}

/// Whether `s` is a valid Prometheus label name.
pub(crate) fn valid_label_name(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}
