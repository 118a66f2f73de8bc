//! Binary operators: arithmetic, comparisons (filtering or `bool`), and the set operators
//! `and`/`or`/`unless`, between scalars and vectors, with `on`/`ignoring` matching and
//! `group_left`/`group_right` cardinality, and Prometheus's many-to-many errors.

use std::collections::{HashMap, HashSet};

use promql_parser::parser::{BinaryExpr, LabelModifier, VectorMatchCardinality, token};

use super::{Ctx, Elem, Error, StepValue, exec, labels};
use crate::types::{Labels, SeriesSource, label_value};

/// Applies an arithmetic or comparison operator. Comparisons return `(lhs, holds)`.
fn apply(op: u16, l: f64, r: f64) -> Option<(f64, bool)> {
    Some(match op {
        token::T_ADD => (l + r, true),
        token::T_SUB => (l - r, true),
        token::T_MUL => (l * r, true),
        token::T_DIV => (l / r, true),
        token::T_MOD => (l % r, true),
        token::T_POW => (l.powf(r), true),
        token::T_ATAN2 => (l.atan2(r), true),
        token::T_EQLC => (l, l == r),
        token::T_NEQ => (l, l != r),
        token::T_GTR => (l, l > r),
        token::T_LSS => (l, l < r),
        token::T_GTE => (l, l >= r),
        token::T_LTE => (l, l <= r),
        _ => return None,
    })
}

fn is_comparison(op: u16) -> bool {
    matches!(
        op,
        token::T_EQLC | token::T_NEQ | token::T_GTR | token::T_LSS | token::T_GTE | token::T_LTE
    )
}

impl<S: SeriesSource> Ctx<'_, S> {
    /// Evaluates a binary expression at `t`.
    pub(crate) fn binary(&mut self, b: &BinaryExpr, t: i64) -> Result<StepValue, Error<S>> {
        let op = b.op.id();
        let return_bool = b.return_bool();
        let lhs = self.eval(&b.lhs, t)?;
        let rhs = self.eval(&b.rhs, t)?;
        let unsupported = || {
            exec(format!(
                "operator {} is not supported here",
                token::TokenType::new(op)
            ))
        };
        match (lhs, rhs) {
            (StepValue::Scalar(l), StepValue::Scalar(r)) => {
                let (v, holds) = apply(op, l, r).ok_or_else(unsupported)?;
                let v = if is_comparison(op) {
                    f64::from(u8::from(holds))
                } else {
                    v
                };
                Ok(StepValue::Scalar(v))
            }
            (StepValue::Vector(v), StepValue::Scalar(s)) => {
                self.vector_scalar(op, v, s, false, return_bool)
            }
            (StepValue::Scalar(s), StepValue::Vector(v)) => {
                self.vector_scalar(op, v, s, true, return_bool)
            }
            (StepValue::Vector(l), StepValue::Vector(r)) => {
                let out = match op {
                    token::T_LAND | token::T_LOR | token::T_LUNLESS => set_op(op, b, l, r),
                    _ => vector_vector(op, b, l, r, return_bool)?,
                };
                self.check_series(out.len())?;
                Ok(StepValue::Vector(out))
            }
            _ => Err(unsupported()),
        }
    }

    /// A vector with a scalar; `swap` when the scalar is the left operand.
    fn vector_scalar(
        &self,
        op: u16,
        v: Vec<Elem>,
        s: f64,
        swap: bool,
        return_bool: bool,
    ) -> Result<StepValue, Error<S>> {
        let cmp = is_comparison(op);
        let mut out = Vec::with_capacity(v.len());
        for e in v {
            let (l, r) = if swap { (s, e.value) } else { (e.value, s) };
            let (mut value, mut keep) = apply(op, l, r).ok_or_else(|| {
                exec(format!(
                    "operator {} needs two vectors",
                    token::TokenType::new(op)
                ))
            })?;
            if cmp {
                value = e.value; // comparisons keep the vector's value on either side
            }
            if return_bool {
                value = f64::from(u8::from(keep));
                keep = true;
            }
            if keep {
                let labels = if !cmp || return_bool {
                    labels::drop_name(e.labels)
                } else {
                    e.labels
                };
                out.push(Elem { labels, value });
            }
        }
        Ok(StepValue::Vector(out))
    }
}

/// The `on` labels (`Some`) or `ignoring` labels of a binary expression.
fn matching(b: &BinaryExpr) -> (Option<&[String]>, &[String]) {
    match b.modifier.as_ref().and_then(|m| m.matching.as_ref()) {
        Some(LabelModifier::Include(l)) => (Some(&l.labels), &[]),
        Some(LabelModifier::Exclude(l)) => (None, &l.labels),
        None => (None, &[]),
    }
}

/// `and`, `or`, `unless`: filtering by matching signature; labels are kept.
fn set_op(op: u16, b: &BinaryExpr, l: Vec<Elem>, r: Vec<Elem>) -> Vec<Elem> {
    let (on, ign) = matching(b);
    let sig = |e: &Elem| labels::match_key(&e.labels, on, ign);
    match op {
        token::T_LAND => {
            let rs: HashSet<Labels> = r.iter().map(sig).collect();
            l.into_iter().filter(|e| rs.contains(&sig(e))).collect()
        }
        token::T_LUNLESS => {
            let rs: HashSet<Labels> = r.iter().map(sig).collect();
            l.into_iter().filter(|e| !rs.contains(&sig(e))).collect()
        }
        _ => {
            let ls: HashSet<Labels> = l.iter().map(sig).collect();
            let mut out = l;
            out.extend(r.into_iter().filter(|e| !ls.contains(&sig(e))));
            out
        }
    }
}

/// Arithmetic and comparison between two vectors with one-to-one, many-to-one
/// (`group_left`) or one-to-many (`group_right`) matching.
fn vector_vector<E>(
    op: u16,
    b: &BinaryExpr,
    l: Vec<Elem>,
    r: Vec<Elem>,
    return_bool: bool,
) -> Result<Vec<Elem>, super::EvalError<E>> {
    let (on, ign) = matching(b);
    let card = b
        .modifier
        .as_ref()
        .map(|m| m.card.clone())
        .unwrap_or(VectorMatchCardinality::OneToOne);
    let include: Vec<String> = card.labels().map(|l| l.labels.clone()).unwrap_or_default();
    let one_to_many = matches!(card, VectorMatchCardinality::OneToMany(_));
    // "many" side and "one" side; for one-to-one the left is treated as "many".
    let (many, one) = if one_to_many { (r, l) } else { (l, r) };
    let sig = |e: &Elem| labels::match_key(&e.labels, on, ign);
    let side = if one_to_many { "left" } else { "right" };

    let mut one_by_sig: HashMap<Labels, Elem> = HashMap::new();
    for e in one {
        let s = sig(&e);
        if let Some(prev) = one_by_sig.get(&s) {
            return Err(exec(format!(
                "found duplicate series for the match group {} on the {side} hand-side of the operation: [{}, {}];many-to-many matching not allowed: matching labels must be unique on one side",
                labels::format(&s),
                labels::format(&prev.labels),
                labels::format(&e.labels)
            )));
        }
        one_by_sig.insert(s, e);
    }

    let cmp = is_comparison(op);
    let one_to_one = matches!(card, VectorMatchCardinality::OneToOne);
    let mut matched_sigs: HashSet<Labels> = HashSet::new();
    let mut seen_results: HashSet<Labels> = HashSet::new();
    let mut out = Vec::new();
    for m in many {
        let s = sig(&m);
        let Some(o) = one_by_sig.get(&s) else {
            continue;
        };
        let (lv, rv) = if one_to_many {
            (o.value, m.value)
        } else {
            (m.value, o.value)
        };
        let (mut value, mut keep) = apply(op, lv, rv).ok_or_else(|| {
            exec(format!(
                "operator {} is not supported",
                token::TokenType::new(op)
            ))
        })?;
        if return_bool {
            value = f64::from(u8::from(keep));
            keep = true;
        }
        if !keep {
            continue;
        }
        if one_to_one && !matched_sigs.insert(s) {
            return Err(exec(
                "multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)",
            ));
        }
        // The result's labels come from the "many" side.
        let mut res = m.labels;
        if !cmp || return_bool {
            res = labels::drop_name(res);
        }
        if one_to_one {
            res = match on {
                Some(names) => labels::project(&res, names, true),
                None => labels::project(&res, ign, false),
            };
        } else {
            for name in &include {
                labels::set(&mut res, name, label_value(&o.labels, name).unwrap_or(""));
            }
        }
        if !one_to_one && !seen_results.insert(res.clone()) {
            return Err(exec(
                "multiple matches for labels: grouping labels must ensure unique matches",
            ));
        }
        out.push(Elem { labels: res, value });
    }
    Ok(out)
}
