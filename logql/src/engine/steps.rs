//! The step grid of a query and the step-major vectors every metric node evaluates to.
//!
//! A [`StepVectors`] holds a series table (label sets, indexed by a `u32` id) and, for each
//! step, the `(series id, value)` samples of that step. Finished vectors ([`StepBuilder::finish`])
//! only list series that have a sample, sorted by labels, so comparing ids compares labels.

use std::collections::HashMap;

use super::labelling::FxBuild;
use super::{EngineError, EvalParams, MAX_STEPS};
use crate::labels::Labels;

/// The evaluation times: `start + k * step` for `k` in `0..n`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Grid {
    /// The first step.
    pub start: i64,
    /// The step width (1 for instant queries, whose single step makes it irrelevant).
    pub step: i64,
    /// The number of steps (at least 1).
    pub n: usize,
}

impl Grid {
    /// The grid of `params`, checked like Loki's query parameters.
    pub fn new<E>(params: &EvalParams) -> Result<Grid, EngineError<E>> {
        if params.instant {
            return Ok(Grid {
                start: params.end,
                step: 1,
                n: 1,
            });
        }
        if params.step <= 0 {
            return Err(EngineError::InvalidParams(
                "zero or negative query resolution step widths are not accepted. Try a positive \
                 integer"
                    .to_string(),
            ));
        }
        if params.end < params.start {
            return Err(EngineError::InvalidParams(
                "end timestamp must not be before start time".to_string(),
            ));
        }
        let span = params.end.checked_sub(params.start).ok_or_else(|| {
            EngineError::InvalidParams("start/end range is too large to evaluate".to_string())
        })?;
        let intervals = span / params.step;
        if intervals > MAX_STEPS {
            return Err(EngineError::TooManyPoints);
        }
        Ok(Grid {
            start: params.start,
            step: params.step,
            n: intervals as usize + 1,
        })
    }

    /// The time of step `k`.
    pub fn time(&self, k: usize) -> i64 {
        self.start + k as i64 * self.step
    }
}

/// Label sets interned to dense ids.
#[derive(Debug, Default)]
pub(crate) struct LabelTable {
    labels: Vec<Labels>,
    index: HashMap<Labels, u32, FxBuild>,
}

impl LabelTable {
    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }

    /// The id of `labels`, adding them when new.
    pub fn intern(&mut self, labels: Labels) -> u32 {
        if let Some(&id) = self.index.get(&labels) {
            return id;
        }
        let id = self.labels.len() as u32;
        self.labels.push(labels.clone());
        self.index.insert(labels, id);
        id
    }

    /// How many label sets there are.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// The label sets, by id.
    pub fn into_labels(self) -> Vec<Labels> {
        self.labels
    }
}

/// One vector per step over a table of series.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct StepVectors {
    series: Vec<Labels>,
    samples: Vec<(u32, f64)>,
    /// `samples[offsets[k]..offsets[k + 1]]` is step `k`.
    offsets: Vec<usize>,
}

impl StepVectors {
    /// `vector(value)`: one series without labels, `value` at every one of `n` steps.
    pub fn constant(n: usize, value: f64) -> Self {
        StepVectors {
            series: vec![Labels::new()],
            samples: vec![(0, value); n],
            offsets: (0..=n).collect(),
        }
    }

    /// The number of steps.
    pub fn steps(&self) -> usize {
        self.offsets.len() - 1
    }

    /// The samples of step `k`.
    pub fn at(&self, k: usize) -> &[(u32, f64)] {
        &self.samples[self.offsets[k]..self.offsets[k + 1]]
    }

    /// The labels of series `id`.
    pub fn labels(&self, id: u32) -> &Labels {
        &self.series[id as usize]
    }

    /// The series table.
    pub fn series(&self) -> &[Labels] {
        &self.series
    }

    /// The number of series.
    pub fn series_count(&self) -> usize {
        self.series.len()
    }

    /// The series table and the samples (step-major).
    pub fn into_parts(self) -> (Vec<Labels>, Vec<(u32, f64)>) {
        (self.series, self.samples)
    }
}

/// Builds [`StepVectors`] one step at a time.
#[derive(Debug)]
pub(crate) struct StepBuilder {
    samples: Vec<(u32, f64)>,
    offsets: Vec<usize>,
}

impl StepBuilder {
    /// A builder positioned at step 0.
    pub fn new() -> Self {
        StepBuilder {
            samples: Vec::new(),
            offsets: vec![0],
        }
    }

    /// Adds a sample to the current step.
    pub fn push(&mut self, id: u32, value: f64) {
        self.samples.push((id, value));
    }

    /// Closes the current step.
    pub fn end_step(&mut self) {
        self.offsets.push(self.samples.len());
    }

    /// Step-major vectors from `(step, series id, value)` triples in any order; within a step,
    /// samples keep the triples' relative order.
    pub fn from_triples(n: usize, triples: &[(u32, u32, f64)]) -> Self {
        let mut offsets = vec![0usize; n + 1];
        for &(k, _, _) in triples {
            offsets[k as usize + 1] += 1;
        }
        for k in 0..n {
            offsets[k + 1] += offsets[k];
        }
        let mut fill = offsets.clone();
        let mut samples = vec![(0u32, 0f64); triples.len()];
        for &(k, id, value) in triples {
            samples[fill[k as usize]] = (id, value);
            fill[k as usize] += 1;
        }
        StepBuilder { samples, offsets }
    }

    /// Finishes over the series table `series` (indexed by the pushed ids): drops series
    /// without samples, sorts the rest by labels and renumbers, then checks the series limit.
    pub fn finish<E>(
        self,
        mut series: Vec<Labels>,
        max_series: usize,
    ) -> Result<StepVectors, EngineError<E>> {
        let mut used = vec![false; series.len()];
        for &(id, _) in &self.samples {
            used[id as usize] = true;
        }
        let mut order: Vec<u32> = (0..series.len() as u32)
            .filter(|&id| used[id as usize])
            .collect();
        if order.len() > max_series {
            return Err(EngineError::TooManySeries(max_series));
        }
        order.sort_by(|&a, &b| series[a as usize].cmp(&series[b as usize]));
        let mut renumber = vec![u32::MAX; series.len()];
        let mut sorted = Vec::with_capacity(order.len());
        for (new, &old) in order.iter().enumerate() {
            renumber[old as usize] = new as u32;
            sorted.push(std::mem::take(&mut series[old as usize]));
        }
        let mut samples = self.samples;
        for sample in &mut samples {
            sample.0 = renumber[sample.0 as usize];
        }
        Ok(StepVectors {
            series: sorted,
            samples,
            offsets: self.offsets,
        })
    }
}
