//! The windows of a range aggregation and the sliding aggregation over them.
//!
//! Window `k` (for steps `k = 0..n`) is `(e_k - range, e_k]` with `e_k = e_0 + k * step`. Its two
//! boundaries `A_k = e_k` and `B_k = e_k - range` split the time line into at most `2n + 1`
//! *intervals*; every window is a whole, contiguous run of them. (When `range` and `step` are
//! multiples of `g = gcd(step, range)` the intervals are unions of `g`-wide buckets aligned on
//! `e_0`, and never more numerous; when the gcd is tiny, say a 1001 ms step with a 5 m range,
//! `g`-buckets would be millions per series while the intervals stay `2n + 1`.)
//!
//! The interval of a time `x` (relative to `e_0`) is the number of boundaries below it:
//! `#{A_k < x} + #{B_k < x}`, two divisions. Streaming aggregations fold each sample into its
//! interval's [`Acc`] and combine the intervals of each window with a [`Swag`], in amortized
//! constant time per step.

use super::EngineError;

/// The windows of one range aggregation over the step grid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Windows {
    /// End of window 0 (first step minus offset), absolute nanoseconds.
    first_end: i64,
    step: i64,
    range: i64,
    n: i64,
    /// End of the last window relative to `first_end`: `(n - 1) * step`.
    last_end: i64,
}

impl Windows {
    /// Windows ending at `first_end + k * step` for `k` in `0..n`, each `range` wide.
    pub fn new<E>(first_end: i64, step: i64, range: i64, n: usize) -> Result<Self, EngineError<E>> {
        let overflow = || EngineError::InvalidParams("query time range overflows".to_string());
        let n = n as i64;
        let last_end = (n - 1).checked_mul(step).ok_or_else(overflow)?;
        // Every relative time we compute stays within [-range, last_end + range].
        first_end
            .checked_sub(range)
            .and_then(|t| t.checked_add(last_end))
            .and_then(|t| t.checked_add(range))
            .and_then(|_| last_end.checked_add(range))
            .and_then(|t| t.checked_add(step))
            .ok_or_else(overflow)?;
        Ok(Windows {
            first_end,
            step,
            range,
            n,
            last_end,
        })
    }

    /// How many intervals there are (interval ids are below this).
    pub fn interval_count(&self) -> usize {
        2 * self.n as usize + 1
    }

    /// The interval of absolute time `t`, or `None` when `t` is in no window.
    #[inline]
    pub fn interval(&self, t: i64) -> Option<u32> {
        let x = t.checked_sub(self.first_end)?;
        if x <= -self.range || x > self.last_end {
            return None;
        }
        // The first window ending at or after x: the only candidate, since later windows start
        // later.
        let k = if x <= 0 {
            0
        } else {
            positive_ceil_div(x, self.step)
        };
        if k >= self.n || k * self.step - self.range >= x {
            return None;
        }
        // #{A < x} = k; #{B < x} = ceil((x + range) / step), clamped (x + range > 0).
        let below_b = positive_ceil_div(x + self.range, self.step).min(self.n);
        Some((k + below_b) as u32)
    }

    /// The intervals of window `k`, inclusive (`lo > hi` for an empty window).
    #[inline]
    pub fn window_intervals(&self, k: usize) -> (u32, u32) {
        let k = k as i64;
        let end = k * self.step;
        // lo = (k + 1) + #{A <= B_k}; hi = k + #{B < A_k}.
        let a_upto_b = ((end - self.range).div_euclid(self.step) + 1).clamp(0, self.n);
        let b_below_a = (k + ceil_div(self.range, self.step)).min(self.n);
        ((k + 1 + a_upto_b) as u32, (k + b_below_a) as u32)
    }

    /// Window `k` as absolute times: `(exclusive start, inclusive end)`.
    #[inline]
    pub fn window_times(&self, k: usize) -> (i64, i64) {
        let end = self.first_end + k as i64 * self.step;
        (end - self.range, end)
    }

    /// The number of windows.
    pub fn len(&self) -> usize {
        self.n as usize
    }
}

/// `ceil(a / b)` for `a > 0`, `b > 0` and `a + b` representable (one division).
#[inline]
fn positive_ceil_div(a: i64, b: i64) -> i64 {
    (a + b - 1) / b
}

/// `ceil(a / b)` for `b > 0`.
#[inline]
fn ceil_div(a: i64, b: i64) -> i64 {
    let q = a.div_euclid(b);
    if a.rem_euclid(b) == 0 { q } else { q + 1 }
}

/// How intervals combine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fold {
    /// Sum the values.
    Sum,
    /// Keep the smallest value (NaN only when every value is NaN, as Loki).
    Min,
    /// Keep the largest value (NaN only when every value is NaN, as Loki).
    Max,
}

/// The aggregate of the samples of an interval (or of a window): how many, and their sum,
/// minimum or maximum.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Acc {
    /// The number of samples.
    pub count: u64,
    /// Their sum, minimum or maximum (per the [`Fold`]); 0 when there are none.
    pub value: f64,
}

impl Acc {
    /// No samples.
    pub const EMPTY: Acc = Acc {
        count: 0,
        value: 0.0,
    };

    /// One sample of `value`.
    #[inline]
    pub fn one(value: f64) -> Acc {
        Acc { count: 1, value }
    }
}

impl Fold {
    /// Combines two aggregates; `a` holds the earlier samples.
    #[inline]
    pub fn combine(self, a: Acc, b: Acc) -> Acc {
        if a.count == 0 {
            return b;
        }
        if b.count == 0 {
            return a;
        }
        let value = match self {
            Fold::Sum => a.value + b.value,
            Fold::Min => {
                if b.value < a.value || a.value.is_nan() {
                    b.value
                } else {
                    a.value
                }
            }
            Fold::Max => {
                if b.value > a.value || a.value.is_nan() {
                    b.value
                } else {
                    a.value
                }
            }
        };
        Acc {
            count: a.count + b.count,
            value,
        }
    }
}

/// A sliding-window aggregate over a FIFO queue of [`Acc`]s ("two-stack" queue): push at the
/// back, pop at the front, query the aggregate of everything queued, all in amortized constant
/// time and without subtracting (so minimum and maximum work, and sums do not drift).
#[derive(Debug)]
pub(crate) struct Swag {
    fold: Fold,
    /// Running aggregates of the older items: the top (last) element aggregates every item in
    /// this stack, the oldest one included; popping it leaves the aggregate of the newer ones.
    front: Vec<Acc>,
    back: Vec<Acc>,
    back_total: Acc,
}

impl Swag {
    /// An empty queue.
    pub fn new(fold: Fold) -> Self {
        Swag {
            fold,
            front: Vec::new(),
            back: Vec::new(),
            back_total: Acc::EMPTY,
        }
    }

    /// Empties the queue.
    pub fn clear(&mut self) {
        self.front.clear();
        self.back.clear();
        self.back_total = Acc::EMPTY;
    }

    /// Appends an item.
    #[inline]
    pub fn push(&mut self, item: Acc) {
        self.back.push(item);
        self.back_total = self.fold.combine(self.back_total, item);
    }

    /// Removes the oldest item.
    #[inline]
    pub fn pop(&mut self) {
        if self.front.is_empty() {
            // Move the back stack over, newest first, so the oldest item ends on top.
            while let Some(item) = self.back.pop() {
                let total = match self.front.last() {
                    Some(&newer) => self.fold.combine(item, newer),
                    None => item,
                };
                self.front.push(total);
            }
            self.back_total = Acc::EMPTY;
        }
        self.front.pop();
    }

    /// The aggregate of every queued item.
    #[inline]
    pub fn total(&self) -> Acc {
        let front = self.front.last().copied().unwrap_or(Acc::EMPTY);
        self.fold.combine(front, self.back_total)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Interval ids agree with the window definition on every small configuration.
    #[test]
    fn intervals_match_windows() {
        for step in 1..=7i64 {
            for range in 0..=20i64 {
                for n in 1..=5usize {
                    for first_end in [-3i64, 0, 5] {
                        let w = Windows::new::<()>(first_end, step, range, n).unwrap();
                        for t in first_end - range - 3..=first_end + (n as i64) * step + 3 {
                            let id = w.interval(t);
                            let mut inside = false;
                            for k in 0..n {
                                let (start, end) = w.window_times(k);
                                let (lo, hi) = w.window_intervals(k);
                                let in_window = start < t && t <= end;
                                inside |= in_window;
                                let by_id = id.is_some_and(|id| lo <= id && id <= hi);
                                assert_eq!(
                                    in_window, by_id,
                                    "step {step} range {range} n {n} t {t} k {k} id {id:?}"
                                );
                            }
                            assert_eq!(inside, id.is_some(), "t {t}");
                            if let Some(id) = id {
                                assert!((id as usize) < w.interval_count());
                            }
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn swag_slides() {
        let mut swag = Swag::new(Fold::Max);
        let values = [3.0, 1.0, f64::NAN, 7.0, 2.0, 5.0];
        let mut queue = std::collections::VecDeque::new();
        for (i, &v) in values.iter().enumerate() {
            swag.push(Acc::one(v));
            queue.push_back(v);
            if i % 2 == 1 {
                swag.pop();
                queue.pop_front();
            }
            let expected = queue
                .iter()
                .fold(Acc::EMPTY, |acc, &v| Fold::Max.combine(acc, Acc::one(v)));
            assert_eq!(swag.total().count, expected.count);
            assert!(
                swag.total().value == expected.value
                    || (swag.total().value.is_nan() && expected.value.is_nan())
            );
        }
    }
}
