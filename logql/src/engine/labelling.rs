//! Label-set helpers of the evaluator: `by`/`without` views of a label set (which key range
//! aggregation series, group vector aggregations and match binary operands), the fast hasher
//! used for them, `label_replace`, the labels `absent_over_time` reports and the `__error__`
//! check.

use std::hash::{BuildHasherDefault, Hasher};

use super::EngineError;
use super::steps::{LabelTable, StepBuilder, StepVectors};
use crate::ast::{Grouping, LabelReplace, MatchOp, Matcher};
use crate::labels::Labels;

/// The label a failed pipeline stage sets.
pub(crate) const ERROR_LABEL: &str = "__error__";
/// Set to `true`, keeps a line with `__error__` from failing the query (Loki internal).
const PRESERVE_ERROR_LABEL: &str = "__preserve_error__";

/// A multiply-rotate hasher (the "Fx" hash): much faster than SipHash on short label strings;
/// keys are not attacker-chosen in a way that matters for a single query.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct FxHasher {
    hash: u64,
}

const FX_SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FxHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(FX_SEED);
    }
}

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            self.add(u64::from_le_bytes(chunk.try_into().expect("8 bytes")));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            word[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(word));
        }
    }

    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }

    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }

    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        self.hash
    }
}

/// Builds [`FxHasher`]s for hash maps.
pub(crate) type FxBuild = BuildHasherDefault<FxHasher>;

/// Which labels of a label set count: all of them, only some (`by`, `on`) or all but some
/// (`without`, `ignoring`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum LabelView {
    /// Every label.
    All,
    /// Only these labels (sorted, unique).
    Only(Vec<String>),
    /// Every label but these (sorted, unique).
    Except(Vec<String>),
}

impl LabelView {
    /// The view of a vector aggregation's grouping: none and `by ()` keep no label.
    pub fn of_grouping(grouping: Option<&Grouping>) -> Self {
        match grouping {
            None => LabelView::Only(Vec::new()),
            Some(Grouping::By(names)) => LabelView::only(names),
            Some(Grouping::Without(names)) => LabelView::except(names),
        }
    }

    /// Keeps only `names`.
    pub fn only(names: &[String]) -> Self {
        LabelView::Only(sorted(names))
    }

    /// Keeps all labels but `names`.
    pub fn except(names: &[String]) -> Self {
        if names.is_empty() {
            LabelView::All
        } else {
            LabelView::Except(sorted(names))
        }
    }

    /// Whether the label `name` is in the view.
    #[inline]
    pub fn keeps(&self, name: &str) -> bool {
        match self {
            LabelView::All => true,
            LabelView::Only(names) => names.binary_search_by(|n| n.as_str().cmp(name)).is_ok(),
            LabelView::Except(names) => names.binary_search_by(|n| n.as_str().cmp(name)).is_err(),
        }
    }

    /// The labels of `labels` in the view, in name order.
    #[inline]
    pub fn pairs<'a>(&'a self, labels: &'a Labels) -> impl Iterator<Item = (&'a str, &'a str)> {
        labels.iter().filter(move |(name, _)| self.keeps(name))
    }

    /// The viewed labels as a label set.
    pub fn apply(&self, labels: &Labels) -> Labels {
        match self {
            LabelView::All => labels.clone(),
            _ => Labels::from_pairs(self.pairs(labels)),
        }
    }

    /// A hash of the viewed labels (consistent with [`LabelView::matches`]).
    #[inline]
    pub fn hash(&self, labels: &Labels) -> u64 {
        let mut hasher = FxHasher::default();
        for (name, value) in self.pairs(labels) {
            hasher.write(name.as_bytes());
            hasher.write_u8(0xff);
            hasher.write(value.as_bytes());
            hasher.write_u8(0xfe);
        }
        hasher.finish()
    }

    /// Whether the viewed labels of `labels` are exactly `key`.
    #[inline]
    pub fn matches(&self, labels: &Labels, key: &Labels) -> bool {
        self.pairs(labels).eq(key.iter())
    }
}

fn sorted(names: &[String]) -> Vec<String> {
    let mut names = names.to_vec();
    names.sort();
    names.dedup();
    names
}

/// The `__error__` value of a line that must fail a metric query: non-empty, and not
/// preserved with `__preserve_error__="true"`.
#[inline]
pub(crate) fn failing_error(labels: &Labels) -> Option<&str> {
    let error = labels.get(ERROR_LABEL).filter(|e| !e.is_empty())?;
    (labels.get(PRESERVE_ERROR_LABEL) != Some("true")).then_some(error)
}

/// The labels `absent_over_time` reports, as Loki computes them: those of the selector's `=`
/// matchers, minus any name that is matched more than once or by another operator.
pub(crate) fn absent_labels(selector: &[Matcher]) -> Labels {
    let mut labels = Labels::new();
    let mut dropped = Vec::new();
    for matcher in selector {
        if matcher.op == MatchOp::Eq && !labels.contains(&matcher.name) {
            if !matcher.value.is_empty() {
                labels.set(matcher.name.clone(), matcher.value.clone());
            }
        } else {
            dropped.push(matcher.name.as_str());
        }
    }
    for name in dropped {
        labels.remove(name);
    }
    labels
}

/// `label_replace(expr, dst, replacement, src, regex)`: for each series whose `src` value
/// matches the anchored regex, sets `dst` to the expanded replacement (removes it when the
/// expansion is empty); other series are unchanged.
pub(crate) fn label_replace<E>(
    replace: &LabelReplace,
    input: StepVectors,
    max_series: usize,
) -> Result<StepVectors, EngineError<E>> {
    let regex = crate::validate::compile_regex(&replace.regex, true)
        .map_err(|e| EngineError::Unsupported(format!("invalid regex in label_replace: {e}")))?;
    let mut table = LabelTable::new();
    let map: Vec<u32> = input
        .series()
        .iter()
        .map(|labels| {
            let src = labels.get(&replace.src).unwrap_or("");
            let Some(captures) = regex.captures(src) else {
                return table.intern(labels.clone());
            };
            let mut value = String::new();
            captures.expand(&replace.replacement, &mut value);
            let mut out = labels.clone();
            out.remove(&replace.dst);
            if !value.is_empty() {
                out.set(replace.dst.clone(), value);
            }
            table.intern(out)
        })
        .collect();
    let mut seen_at = vec![usize::MAX; table.len()];
    let mut out = StepBuilder::new();
    for k in 0..input.steps() {
        for &(id, value) in input.at(k) {
            let new = map[id as usize];
            if seen_at[new as usize] == k {
                return Err(EngineError::Execution(
                    "vector cannot contain metrics with the same labelset".to_string(),
                ));
            }
            seen_at[new as usize] = k;
            out.push(new, value);
        }
        out.end_step();
    }
    out.finish(table.into_labels(), max_series)
}
