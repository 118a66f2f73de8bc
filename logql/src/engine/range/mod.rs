//! Range aggregations (`count_over_time(...)`, `rate(...)`, `quantile_over_time(...)`, ...):
//! which function folds samples how, the single call to the sample source (`collect.rs`) and
//! the per-step results (`slide.rs`).

mod collect;
mod slide;

use super::labelling::{LabelView, absent_labels};
use super::steps::{Grid, StepBuilder, StepVectors};
use super::windows::{Fold, Windows};
use super::{EngineError, SampleSource};
use crate::ast::{Grouping, RangeAggregation, RangeOp};
use collect::{Collected, Collector, SeriesKeys, Store};
use slide::{Finish, RawFn};

/// What a range aggregation reads from each sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Input {
    /// Only that the line exists.
    Lines,
    /// The line length.
    Bytes,
    /// The unwrapped value.
    Values,
}

/// How a range aggregation aggregates.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Output {
    /// Streams into per-interval accumulators.
    Buckets(Fold, Finish),
    /// Keeps the points and applies a function to each window.
    Raw(RawFn),
    /// `absent_over_time`: only whether each window has a sample.
    Absent,
}

/// Evaluates a range aggregation. `grouping` overrides the aggregation's own `by`/`without`
/// (the grouping of a `sum` pushed down to the source).
pub(crate) fn evaluate<S: SampleSource>(
    agg: &RangeAggregation,
    grouping: Option<&Grouping>,
    grid: &Grid,
    end: i64,
    max_series: usize,
    source: &mut S,
) -> Result<StepVectors, EngineError<S::Error>> {
    let range = &agg.range;
    let overflow = || EngineError::InvalidParams("query time range overflows".to_string());
    let first_end = grid
        .start
        .checked_sub(range.offset_nanos)
        .ok_or_else(overflow)?;
    let windows = Windows::new(first_end, grid.step, range.range_nanos, grid.n)?;
    let from = first_end
        .checked_sub(range.range_nanos)
        .ok_or_else(overflow)?;
    let to = end.checked_sub(range.offset_nanos).ok_or_else(overflow)?;

    let (input, output) = plan(agg);
    let view = match grouping.or(agg.grouping.as_ref()) {
        None => LabelView::All,
        Some(Grouping::By(names)) => LabelView::only(names),
        Some(Grouping::Without(names)) => LabelView::except(names),
    };
    let store = match output {
        Output::Buckets(fold, _) => Store::Buckets(fold, Vec::new()),
        Output::Raw(_) => Store::Raw(Vec::new()),
        Output::Absent => Store::Presence(vec![false; windows.interval_count()]),
    };
    let keys = SeriesKeys::new(view, output != Output::Absent, max_series);
    let mut collector = Collector::new(windows, (from, to), input, keys, store);
    source
        .samples(range, from, to, &mut |sample| collector.add(sample))
        .map_err(EngineError::Source)?;
    let Collected { keys, store } = collector.finish()?;

    let triples = match (store, output) {
        (Store::Buckets(_, series), Output::Buckets(fold, finish)) => {
            slide::buckets(&windows, fold, finish, &series)
        }
        (Store::Raw(series), Output::Raw(function)) => slide::raw(&windows, function, &series),
        (Store::Presence(present), _) => {
            let mut out = StepBuilder::new();
            for absent in slide::absent(&windows, &present) {
                if absent {
                    out.push(0, 1.0);
                }
                out.end_step();
            }
            return out.finish(vec![absent_labels(&range.log.selector)], max_series);
        }
        _ => unreachable!("the store is built from the output"),
    };
    StepBuilder::from_triples(grid.n, &triples).finish(keys, max_series)
}

/// What each function reads and how it aggregates.
fn plan(agg: &RangeAggregation) -> (Input, Output) {
    let seconds = range_seconds(agg.range.range_nanos);
    let unwrapped = agg.range.unwrap.is_some();
    let values = |fold, finish| (Input::Values, Output::Buckets(fold, finish));
    let raw = |function| (Input::Values, Output::Raw(function));
    match agg.op {
        RangeOp::CountOverTime => (Input::Lines, Output::Buckets(Fold::Sum, Finish::Count)),
        RangeOp::Rate if unwrapped => values(Fold::Sum, Finish::ValuePerSecond(seconds)),
        RangeOp::Rate => (
            Input::Lines,
            Output::Buckets(Fold::Sum, Finish::CountPerSecond(seconds)),
        ),
        RangeOp::BytesOverTime => (Input::Bytes, Output::Buckets(Fold::Sum, Finish::Value)),
        RangeOp::BytesRate => (
            Input::Bytes,
            Output::Buckets(Fold::Sum, Finish::ValuePerSecond(seconds)),
        ),
        RangeOp::AbsentOverTime if unwrapped => (Input::Values, Output::Absent),
        RangeOp::AbsentOverTime => (Input::Lines, Output::Absent),
        RangeOp::SumOverTime => values(Fold::Sum, Finish::Value),
        RangeOp::AvgOverTime => values(Fold::Sum, Finish::Mean),
        RangeOp::MinOverTime => values(Fold::Min, Finish::Value),
        RangeOp::MaxOverTime => values(Fold::Max, Finish::Value),
        RangeOp::StdvarOverTime => raw(RawFn::Stdvar),
        RangeOp::StddevOverTime => raw(RawFn::Stddev),
        RangeOp::QuantileOverTime => raw(RawFn::Quantile(agg.param.unwrap_or(f64::NAN))),
        RangeOp::FirstOverTime => raw(RawFn::First),
        RangeOp::LastOverTime => raw(RawFn::Last),
        RangeOp::RateCounter => raw(RawFn::RateCounter {
            range_nanos: agg.range.range_nanos,
        }),
    }
}

/// A duration in seconds as Go's `Duration.Seconds()` computes it.
fn range_seconds(nanos: i64) -> f64 {
    (nanos / 1_000_000_000) as f64 + (nanos % 1_000_000_000) as f64 / 1e9
}
