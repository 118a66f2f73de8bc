//! Binary operators between numbers and vectors, as Loki evaluates them (PromQL semantics,
//! except that `x / 0` and `x % 0` are NaN): arithmetic, comparisons (filtering, or 0/1 with
//! `bool`), the set operators `and`, `or`, `unless`, and vector matching with `on`/`ignoring`
//! and `group_left`/`group_right`.

use std::collections::{HashMap, HashSet};

use super::labelling::{FxBuild, LabelView};
use super::steps::{LabelTable, StepBuilder, StepVectors};
use super::{EngineError, Node};
use crate::ast::{BinaryExpr, BinaryOp, GroupModifier};
use crate::labels::Labels;

/// Evaluates `binary` on its evaluated operands.
pub(crate) fn evaluate<E>(
    binary: &BinaryExpr,
    left: Node,
    right: Node,
    max_series: usize,
) -> Result<Node, EngineError<E>> {
    let op = binary.op;
    match (left, right) {
        (Node::Scalar(l), Node::Scalar(r)) => {
            if op.is_set() {
                return Err(set_on_scalar(op));
            }
            Ok(Node::Scalar(match op.is_comparison() {
                true => f64::from(u8::from(compare(op, l, r))),
                false => arithmetic(op, l, r),
            }))
        }
        (Node::Vector(v), Node::Scalar(s)) => {
            vector_scalar(binary, &v, s, true, max_series).map(Node::Vector)
        }
        (Node::Scalar(s), Node::Vector(v)) => {
            vector_scalar(binary, &v, s, false, max_series).map(Node::Vector)
        }
        (Node::Vector(l), Node::Vector(r)) => match op {
            BinaryOp::And | BinaryOp::Or | BinaryOp::Unless => {
                set_operation(binary, &l, &r, max_series).map(Node::Vector)
            }
            _ => vector_vector(binary, &l, &r, max_series).map(Node::Vector),
        },
    }
}

fn set_on_scalar<E>(op: BinaryOp) -> EngineError<E> {
    EngineError::Unsupported(format!(
        "set operator \"{}\" not allowed in binary scalar expression",
        op.as_str()
    ))
}

/// `l op r` for an arithmetic operator.
fn arithmetic(op: BinaryOp, l: f64, r: f64) -> f64 {
    match op {
        BinaryOp::Add => l + r,
        BinaryOp::Sub => l - r,
        BinaryOp::Mul => l * r,
        // Loki guards against division by zero with NaN (PromQL would give ±Inf).
        BinaryOp::Div if r == 0.0 => f64::NAN,
        BinaryOp::Div => l / r,
        BinaryOp::Mod if r == 0.0 => f64::NAN,
        BinaryOp::Mod => l % r,
        BinaryOp::Pow => l.powf(r),
        _ => unreachable!("not an arithmetic operator: {op:?}"),
    }
}

/// Whether `l op r` holds for a comparison operator.
fn compare(op: BinaryOp, l: f64, r: f64) -> bool {
    match op {
        BinaryOp::Eq => l == r,
        BinaryOp::Neq => l != r,
        BinaryOp::Gt => l > r,
        BinaryOp::Gte => l >= r,
        BinaryOp::Lt => l < r,
        BinaryOp::Lte => l <= r,
        _ => unreachable!("not a comparison operator: {op:?}"),
    }
}

/// The result of `l op r` between two matched samples: `None` when a filtering comparison
/// drops the sample, which otherwise keeps `kept` (the vector side's value).
fn combine(binary: &BinaryExpr, l: f64, r: f64, kept: f64) -> Option<f64> {
    if !binary.op.is_comparison() {
        return Some(arithmetic(binary.op, l, r));
    }
    let holds = compare(binary.op, l, r);
    if binary.return_bool {
        Some(f64::from(u8::from(holds)))
    } else {
        holds.then_some(kept)
    }
}

/// A vector and a number; `vector_left` tells the operand order. Series keep their labels.
fn vector_scalar<E>(
    binary: &BinaryExpr,
    vector: &StepVectors,
    scalar: f64,
    vector_left: bool,
    max_series: usize,
) -> Result<StepVectors, EngineError<E>> {
    if binary.op.is_set() {
        return Err(set_on_scalar(binary.op));
    }
    let mut out = StepBuilder::new();
    for k in 0..vector.steps() {
        for &(id, v) in vector.at(k) {
            let (l, r) = if vector_left {
                (v, scalar)
            } else {
                (scalar, v)
            };
            if let Some(value) = combine(binary, l, r, v) {
                out.push(id, value);
            }
        }
        out.end_step();
    }
    out.finish(vector.series().to_vec(), max_series)
}

/// Matching signatures: each side's series mapped to an id of its matching labels (all labels
/// without `on`/`ignoring`), ids shared between the sides.
fn signatures(
    binary: &BinaryExpr,
    left: &StepVectors,
    right: &StepVectors,
) -> (Vec<u32>, Vec<u32>) {
    let view = match &binary.matching {
        None => LabelView::All,
        Some(m) if m.on => LabelView::only(&m.labels),
        Some(m) => LabelView::except(&m.labels),
    };
    let mut table = LabelTable::new();
    let mut sigs = |side: &StepVectors| -> Vec<u32> {
        side.series()
            .iter()
            .map(|labels| table.intern(view.apply(labels)))
            .collect()
    };
    let l = sigs(left);
    let r = sigs(right);
    (l, r)
}

/// `and`, `or`, `unless` (group modifiers do not apply).
fn set_operation<E>(
    binary: &BinaryExpr,
    left: &StepVectors,
    right: &StepVectors,
    max_series: usize,
) -> Result<StepVectors, EngineError<E>> {
    let (lsig, rsig) = signatures(binary, left, right);
    // `or` takes series from both sides: re-intern them into one table.
    let mut table = LabelTable::new();
    let lmap: Vec<u32> = left
        .series()
        .iter()
        .map(|l| table.intern(l.clone()))
        .collect();
    let rmap: Vec<u32> = match binary.op {
        BinaryOp::Or => right
            .series()
            .iter()
            .map(|l| table.intern(l.clone()))
            .collect(),
        _ => Vec::new(),
    };
    let mut seen: HashSet<u32, FxBuild> = HashSet::default();
    let mut out = StepBuilder::new();
    for k in 0..left.steps() {
        seen.clear();
        match binary.op {
            BinaryOp::Or => {
                for &(id, v) in left.at(k) {
                    seen.insert(lsig[id as usize]);
                    out.push(lmap[id as usize], v);
                }
                for &(id, v) in right.at(k) {
                    if !seen.contains(&rsig[id as usize]) {
                        out.push(rmap[id as usize], v);
                    }
                }
            }
            _ => {
                seen.extend(right.at(k).iter().map(|&(id, _)| rsig[id as usize]));
                let keep_matched = binary.op == BinaryOp::And;
                for &(id, v) in left.at(k) {
                    if seen.contains(&lsig[id as usize]) == keep_matched {
                        out.push(lmap[id as usize], v);
                    }
                }
            }
        }
        out.end_step();
    }
    out.finish(table.into_labels(), max_series)
}

/// How the sides match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cardinality {
    OneToOne,
    /// `group_left`: many left samples per right sample.
    ManyToOne,
    /// `group_right`: many right samples per left sample.
    OneToMany,
}

/// Arithmetic and comparisons between two vectors.
fn vector_vector<E>(
    binary: &BinaryExpr,
    left: &StepVectors,
    right: &StepVectors,
    max_series: usize,
) -> Result<StepVectors, EngineError<E>> {
    let (lsig, rsig) = signatures(binary, left, right);
    let (cardinality, include) = match binary.matching.as_ref().and_then(|m| m.group.as_ref()) {
        None => (Cardinality::OneToOne, &[][..]),
        Some(GroupModifier::Left(labels)) => (Cardinality::ManyToOne, &labels[..]),
        Some(GroupModifier::Right(labels)) => (Cardinality::OneToMany, &labels[..]),
    };
    let (many, one, many_sig, one_sig) = match cardinality {
        Cardinality::OneToMany => (right, left, &rsig, &lsig),
        _ => (left, right, &lsig, &rsig),
    };
    let one_side = if cardinality == Cardinality::OneToMany {
        "left"
    } else {
        "right"
    };
    let mut table = LabelTable::new();
    let mut result_of: HashMap<(u32, u32), u32, FxBuild> = HashMap::default();
    let mut ones: HashMap<u32, (u32, f64), FxBuild> = HashMap::default();
    let mut matched: HashSet<(u32, u32), FxBuild> = HashSet::default();
    let mut out = StepBuilder::new();
    for k in 0..left.steps() {
        ones.clear();
        matched.clear();
        for &(id, v) in one.at(k) {
            if ones.insert(one_sig[id as usize], (id, v)).is_some() {
                return Err(EngineError::Execution(format!(
                    "found duplicate series on the {one_side} hand-side;many-to-many matching not \
                     allowed: matching labels must be unique on one side"
                )));
            }
        }
        for &(id, v) in many.at(k) {
            let sig = many_sig[id as usize];
            let Some(&(one_id, one_v)) = ones.get(&sig) else {
                continue;
            };
            let result = *result_of.entry((id, one_id)).or_insert_with(|| {
                table.intern(result_labels(
                    binary,
                    cardinality,
                    include,
                    many.labels(id),
                    one.labels(one_id),
                ))
            });
            if cardinality == Cardinality::OneToOne {
                if !matched.insert((sig, 0)) {
                    return Err(EngineError::Execution(
                        "multiple matches for labels: many-to-one matching must be explicit \
                         (group_left/group_right)"
                            .to_string(),
                    ));
                }
            } else if !matched.insert((sig, result)) {
                return Err(EngineError::Execution(
                    "multiple matches for labels: grouping labels must ensure unique matches"
                        .to_string(),
                ));
            }
            let (l, r) = match cardinality {
                Cardinality::OneToMany => (one_v, v),
                _ => (v, one_v),
            };
            if let Some(value) = combine(binary, l, r, l) {
                out.push(result, value);
            }
        }
        out.end_step();
    }
    out.finish(table.into_labels(), max_series)
}

/// The labels of a matched pair, from the "many" side's: one-to-one matching keeps only the
/// `on` labels (drops the `ignoring` ones); `group_x (labels)` copies those labels from the
/// "one" side (removing them when empty there).
fn result_labels(
    binary: &BinaryExpr,
    cardinality: Cardinality,
    include: &[String],
    many: &Labels,
    one: &Labels,
) -> Labels {
    let mut labels = many.clone();
    if cardinality == Cardinality::OneToOne
        && let Some(matching) = &binary.matching
    {
        if matching.on {
            labels.retain(|name, _| matching.labels.iter().any(|l| l == name));
        } else {
            for name in &matching.labels {
                labels.remove(name);
            }
        }
    }
    for name in include {
        match one.get(name) {
            Some(value) if !value.is_empty() => labels.set(name.clone(), value.to_string()),
            _ => {
                labels.remove(name);
            }
        }
    }
    labels
}
