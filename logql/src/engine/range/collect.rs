//! The hot path of a range aggregation: every sample the source feeds goes through
//! [`Collector::add`], which finds its interval (two divisions), its series (usually one
//! comparison with a recently seen label set, see [`SeriesKeys`]), checks `__error__` (only for
//! label sets not seen recently) and folds the sample in. Nothing is allocated per sample once a
//! series exists.

use std::collections::HashMap;

use super::super::labelling::{FxBuild, LabelView, failing_error};
use super::super::windows::{Acc, Fold, Windows};
use super::super::{EngineError, Sample};
use super::Input;
use crate::labels::Labels;

/// Per-series state, by series id.
pub(super) enum Store {
    /// Per-interval accumulators.
    Buckets(Fold, Vec<BucketSeries>),
    /// In-window points.
    Raw(Vec<RawSeries>),
    /// Whether each interval has a sample (all series together).
    Presence(Vec<bool>),
}

/// Why collecting stopped early.
enum Failure {
    /// A line with a failing `__error__`, with its labels.
    Pipeline(Labels),
    /// More than `max_series` series.
    TooManySeries(usize),
}

/// The outcome of a successful collection: series labels by id, and their state.
pub(super) struct Collected {
    /// The labels of each series id.
    pub keys: Vec<Labels>,
    /// The state of each series id (sorted and compacted).
    pub store: Store,
}

/// Receives the samples of one range aggregation.
pub(super) struct Collector {
    windows: Windows,
    /// Samples outside `(from, to]` are ignored.
    from: i64,
    to: i64,
    input: Input,
    keys: SeriesKeys,
    store: Store,
    failure: Option<Failure>,
}

impl Collector {
    /// A collector for windows `windows`, keeping samples in `(from, to]`.
    pub fn new(
        windows: Windows,
        (from, to): (i64, i64),
        input: Input,
        keys: SeriesKeys,
        store: Store,
    ) -> Self {
        Collector {
            windows,
            from,
            to,
            input,
            keys,
            store,
            failure: None,
        }
    }

    /// Folds in one sample.
    #[inline]
    pub fn add(&mut self, sample: Sample<'_>) {
        if self.failure.is_some() || sample.time <= self.from || sample.time > self.to {
            return;
        }
        let Some(interval) = self.windows.interval(sample.time) else {
            return;
        };
        let value = match self.input {
            Input::Lines => 0.0,
            Input::Bytes => sample.line_bytes as f64,
            Input::Values => match sample.value {
                Some(value) => value,
                None => {
                    // An absent label skips the line; a conversion error fails the query.
                    if failing_error(sample.labels).is_some() {
                        self.failure = Some(Failure::Pipeline(sample.labels.clone()));
                    }
                    return;
                }
            },
        };
        let id = match self.keys.resolve(sample.labels) {
            Ok(id) => id as usize,
            Err(failure) => {
                self.failure = Some(failure);
                return;
            }
        };
        match &mut self.store {
            Store::Buckets(fold, series) => {
                if id == series.len() {
                    series.push(BucketSeries::default());
                }
                series[id].add(*fold, interval, Acc::one(value));
            }
            Store::Raw(series) => {
                if id == series.len() {
                    series.push(RawSeries::default());
                }
                series[id].add(sample.time, value);
            }
            Store::Presence(present) => present[interval as usize] = true,
        }
    }

    /// The collected series, or why collection failed.
    pub fn finish<E>(self) -> Result<Collected, EngineError<E>> {
        match self.failure {
            Some(Failure::Pipeline(series)) => Err(EngineError::Pipeline {
                error: failing_error(&series).unwrap_or_default().to_string(),
                series,
            }),
            Some(Failure::TooManySeries(max)) => Err(EngineError::TooManySeries(max)),
            None => {
                let mut store = self.store;
                match &mut store {
                    Store::Buckets(fold, series) => {
                        series.iter_mut().for_each(|s| s.compact(*fold));
                    }
                    Store::Raw(series) => series.iter_mut().for_each(RawSeries::sort),
                    Store::Presence(_) => {}
                }
                Ok(Collected {
                    keys: self.keys.keys,
                    store,
                })
            }
        }
    }
}

/// Maps sample labels to series ids: the series key is the sample's labels seen through the
/// grouping (all of them without one), except that a line with a failing `__error__` fails
/// the collection.
///
/// Consecutive samples usually share labels, and merged streams interleave a few label sets
/// that the source keeps in place: a small cache of recent label sets (copies whose strings
/// are reused), indexed by the address of the source's `Labels`, answers those with one
/// comparison without hashing or allocating. Only cache misses check `__error__`, hash the
/// grouped labels and look them up.
pub(super) struct SeriesKeys {
    view: LabelView,
    /// Whether series are kept at all (`absent_over_time` only checks errors).
    track: bool,
    max_series: usize,
    keys: Vec<Labels>,
    by_hash: HashMap<u64, Vec<u32>, FxBuild>,
    recent: Vec<Recent>,
    /// The slot of the previous sample's labels.
    last: Option<usize>,
}

/// How many label sets [`SeriesKeys`] remembers (a power of two).
const RECENT_SLOTS: usize = 1024;

/// A remembered label set: where the source kept it, its first `len` pairs, and its series.
#[derive(Debug, Default)]
struct Recent {
    stored: bool,
    address: u64,
    pairs: Vec<(String, String)>,
    len: usize,
    id: u32,
}

impl Recent {
    #[inline]
    fn holds(&self, labels: &Labels) -> bool {
        self.len == labels.len()
            && self.pairs[..self.len]
                .iter()
                .zip(labels.iter())
                .all(|((n1, v1), (n2, v2))| n1 == n2 && v1 == v2)
    }

    fn store(&mut self, address: u64, labels: &Labels, id: u32) {
        for (i, (name, value)) in labels.iter().enumerate() {
            if let Some((n, v)) = self.pairs.get_mut(i) {
                n.clear();
                n.push_str(name);
                v.clear();
                v.push_str(value);
            } else {
                self.pairs.push((name.to_string(), value.to_string()));
            }
        }
        self.len = labels.len();
        self.address = address;
        self.id = id;
        self.stored = true;
    }
}

impl SeriesKeys {
    /// Keys through `view`; at most `max_series` series when `track`.
    pub fn new(view: LabelView, track: bool, max_series: usize) -> Self {
        SeriesKeys {
            view,
            track,
            max_series,
            keys: Vec::new(),
            by_hash: HashMap::default(),
            recent: (0..RECENT_SLOTS).map(|_| Recent::default()).collect(),
            last: None,
        }
    }

    /// The series id of a sample with `labels`.
    #[inline]
    fn resolve(&mut self, labels: &Labels) -> Result<u32, Failure> {
        let address = labels as *const Labels as usize as u64;
        if let Some(slot) = self.last
            && self.recent[slot].address == address
            && self.recent[slot].holds(labels)
        {
            return Ok(self.recent[slot].id);
        }
        // Sources usually pass each stream's one label set for all its lines: index the cache
        // by address (Fibonacci hashing, two slots per address), then compare the contents.
        let home = (address.wrapping_mul(0x9e37_79b9_7f4a_7c15)
            >> (64 - RECENT_SLOTS.trailing_zeros())) as usize;
        for slot in [home, home ^ 1] {
            let recent = &self.recent[slot];
            if recent.stored && recent.address == address && recent.holds(labels) {
                self.last = Some(slot);
                return Ok(recent.id);
            }
        }
        let id = self.lookup(labels)?;
        // Replace the slot not used last (the other one may be a stream being interleaved).
        let slot = if !self.recent[home].stored || self.last == Some(home ^ 1) {
            home
        } else {
            home ^ 1
        };
        self.recent[slot].store(address, labels, id);
        self.last = Some(slot);
        Ok(id)
    }

    /// Finds or creates the series of `labels`.
    fn lookup(&mut self, labels: &Labels) -> Result<u32, Failure> {
        if failing_error(labels).is_some() {
            return Err(Failure::Pipeline(labels.clone()));
        }
        if !self.track {
            return Ok(0);
        }
        let hash = self.view.hash(labels);
        if let Some(candidates) = self.by_hash.get(&hash) {
            for &id in candidates {
                if self.view.matches(labels, &self.keys[id as usize]) {
                    return Ok(id);
                }
            }
        }
        if self.keys.len() >= self.max_series {
            return Err(Failure::TooManySeries(self.max_series));
        }
        let id = self.keys.len() as u32;
        self.keys.push(self.view.apply(labels));
        self.by_hash.entry(hash).or_default().push(id);
        Ok(id)
    }
}

/// Below this many entries an unsorted series is not compacted while collecting.
const COMPACT_MIN: usize = 1024;

/// A series' per-interval accumulators: `(interval, acc)` entries, sorted and unique once
/// compacted. Samples mostly arrive in time order and land in the last entry; out-of-order ones
/// are appended and merged by a sort when the list has doubled since the last compaction.
#[derive(Debug, Default)]
pub(super) struct BucketSeries {
    /// `(interval, accumulator)` entries.
    pub entries: Vec<(u32, Acc)>,
    unsorted: bool,
    compact_at: usize,
}

impl BucketSeries {
    #[inline]
    fn add(&mut self, fold: Fold, interval: u32, acc: Acc) {
        if let Some(last) = self.entries.last_mut() {
            if last.0 == interval {
                last.1 = fold.combine(last.1, acc);
                return;
            }
            if last.0 > interval {
                self.unsorted = true;
            }
        }
        self.entries.push((interval, acc));
        if self.unsorted && self.entries.len() >= self.compact_at.max(COMPACT_MIN) {
            self.compact(fold);
        }
    }

    /// Sorts the entries by interval (stably) and merges those of the same interval.
    fn compact(&mut self, fold: Fold) {
        if self.unsorted {
            self.entries.sort_by_key(|&(interval, _)| interval);
            self.entries.dedup_by(|later, earlier| {
                if later.0 == earlier.0 {
                    earlier.1 = fold.combine(earlier.1, later.1);
                    true
                } else {
                    false
                }
            });
            self.unsorted = false;
        }
        self.compact_at = 2 * self.entries.len();
    }
}

/// A series' in-window `(time, value)` points, sorted by time (stably) once collected.
#[derive(Debug, Default)]
pub(super) struct RawSeries {
    /// The points.
    pub points: Vec<(i64, f64)>,
    unsorted: bool,
}

impl RawSeries {
    #[inline]
    fn add(&mut self, time: i64, value: f64) {
        if let Some(&(last, _)) = self.points.last()
            && last > time
        {
            self.unsorted = true;
        }
        self.points.push((time, value));
    }

    fn sort(&mut self) {
        if self.unsorted {
            self.points.sort_by_key(|&(time, _)| time);
            self.unsorted = false;
        }
    }
}
