//! The memory budget shared by the receivers (in-flight requests) and the store (heads and blocks
//! being written).
//!
//! Admission control asks the budget before accepting an export; the store reports what its heads
//! hold. Above the budget, exports are refused with a retryable error instead of memory growing.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

/// A byte budget with two kinds of users: short-lived reservations (requests being decoded and
/// written) and long-lived buffered data (heads, blocks being encoded).
#[derive(Debug)]
pub struct MemoryBudget {
    limit_bytes: usize,
    in_flight_bytes: AtomicUsize,
    buffered_bytes: AtomicUsize,
    retained_bytes: AtomicUsize,
    resident_bytes: AtomicUsize,
    refused_reservations: AtomicU64,
}

/// Refuse new work once the process's resident memory passes this fraction of the limit,
/// keeping headroom for what is already in flight.
const RESIDENT_SOFT_LIMIT: f64 = 0.8;

/// Resident memory only refuses work when accounted data is at least this fraction of the
/// limit; otherwise the memory is not ours to free by refusing exports.
const RESIDENT_ATTRIBUTABLE: f64 = 0.25;

impl MemoryBudget {
    /// A budget of `limit_bytes`.
    pub fn new(limit_bytes: usize) -> Arc<Self> {
        Arc::new(Self {
            limit_bytes,
            in_flight_bytes: AtomicUsize::new(0),
            buffered_bytes: AtomicUsize::new(0),
            retained_bytes: AtomicUsize::new(0),
            resident_bytes: AtomicUsize::new(0),
            refused_reservations: AtomicU64::new(0),
        })
    }

    /// The configured limit.
    pub fn limit_bytes(&self) -> usize {
        self.limit_bytes
    }

    /// Bytes held by requests in flight.
    pub fn in_flight_bytes(&self) -> usize {
        self.in_flight_bytes.load(Ordering::Relaxed)
    }

    /// Bytes held by buffered data (heads and blocks being written).
    pub fn buffered_bytes(&self) -> usize {
        self.buffered_bytes.load(Ordering::Relaxed)
    }

    /// Bytes of long-lived state besides heads (e.g. the derived-metrics pairing store and
    /// series), as last reported with [`MemoryBudget::set_retained_bytes`].
    pub fn retained_bytes(&self) -> usize {
        self.retained_bytes.load(Ordering::Relaxed)
    }

    /// Reports the current size of long-lived state besides heads.
    pub fn set_retained_bytes(&self, bytes: usize) {
        self.retained_bytes.store(bytes, Ordering::Relaxed);
    }

    /// Everything currently accounted.
    pub fn used_bytes(&self) -> usize {
        self.in_flight_bytes() + self.buffered_bytes() + self.retained_bytes()
    }

    /// How many reservations were refused since start.
    pub fn refused_reservations(&self) -> u64 {
        self.refused_reservations.load(Ordering::Relaxed)
    }

    /// Records the process's resident memory (sampled by the caller). Accounting misses what
    /// the allocator holds and transient copies; the sample catches them.
    pub fn observe_resident_bytes(&self, bytes: usize) {
        self.resident_bytes.store(bytes, Ordering::Relaxed);
    }

    /// The last resident-memory sample (0 when not sampled).
    pub fn resident_bytes(&self) -> usize {
        self.resident_bytes.load(Ordering::Relaxed)
    }

    /// True when resident memory is past the soft limit and our data is a good part of it.
    pub fn resident_pressure(&self) -> bool {
        let limit = self.limit_bytes as f64;
        self.resident_bytes() as f64 > limit * RESIDENT_SOFT_LIMIT
            && self.used_bytes() as f64 > limit * RESIDENT_ATTRIBUTABLE
    }

    /// Reserves `bytes` for a request, or returns `None` when that would exceed the limit
    /// (accounted use plus `bytes`, or sampled resident memory under pressure). The
    /// reservation is released when dropped.
    pub fn try_reserve(self: &Arc<Self>, bytes: usize) -> Option<MemoryReservation> {
        if self.resident_pressure() {
            self.refused_reservations.fetch_add(1, Ordering::Relaxed);
            return None;
        }
        let mut current = self.in_flight_bytes.load(Ordering::Relaxed);
        loop {
            if current + self.buffered_bytes() + self.retained_bytes() + bytes > self.limit_bytes {
                self.refused_reservations.fetch_add(1, Ordering::Relaxed);
                return None;
            }
            match self.in_flight_bytes.compare_exchange_weak(
                current,
                current + bytes,
                Ordering::AcqRel,
                Ordering::Relaxed,
            ) {
                Ok(_) => {
                    return Some(MemoryReservation {
                        budget: Arc::clone(self),
                        bytes,
                    });
                }
                Err(actual) => current = actual,
            }
        }
    }

    /// Adds to the buffered total (data moved into a head).
    pub fn add_buffered(&self, bytes: usize) {
        self.buffered_bytes.fetch_add(bytes, Ordering::Relaxed);
    }

    /// Subtracts from the buffered total (a block was written and its head dropped).
    pub fn release_buffered(&self, bytes: usize) {
        let _ = self
            .buffered_bytes
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |held| {
                Some(held.saturating_sub(bytes))
            });
    }

    /// True when buffered data alone takes more than `fraction` of the limit, or resident
    /// memory is under pressure.
    pub fn buffered_above(&self, fraction: f64) -> bool {
        self.buffered_bytes() as f64 > self.limit_bytes as f64 * fraction
            || self.resident_pressure()
    }
}

/// Bytes reserved for one request; released on drop.
#[derive(Debug)]
pub struct MemoryReservation {
    budget: Arc<MemoryBudget>,
    bytes: usize,
}

impl MemoryReservation {
    /// Bytes held by this reservation.
    pub fn bytes(&self) -> usize {
        self.bytes
    }
}

impl Drop for MemoryReservation {
    fn drop(&mut self) {
        self.budget
            .in_flight_bytes
            .fetch_sub(self.bytes, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reservations_are_refused_above_the_limit_and_released_on_drop() {
        let budget = MemoryBudget::new(100);
        let a = budget.try_reserve(60).unwrap();
        assert!(budget.try_reserve(50).is_none());
        assert_eq!(budget.refused_reservations(), 1);
        drop(a);
        assert!(budget.try_reserve(50).is_some());
        budget.add_buffered(90);
        assert!(budget.try_reserve(20).is_none());
        budget.release_buffered(90);
        assert_eq!(budget.used_bytes(), 0);
    }

    #[test]
    fn resident_memory_refuses_only_when_our_data_is_part_of_it() {
        let budget = MemoryBudget::new(100);
        budget.observe_resident_bytes(85);
        // Nothing of ours is buffered: refusing would not free anything.
        assert!(budget.try_reserve(1).is_some());
        budget.add_buffered(30);
        assert!(budget.try_reserve(1).is_none());
        assert!(budget.buffered_above(0.9));
        budget.observe_resident_bytes(50);
        assert!(budget.try_reserve(1).is_some());
    }
}
