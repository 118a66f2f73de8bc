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
    refused_reservations: AtomicU64,
}

impl MemoryBudget {
    /// A budget of `limit_bytes`.
    pub fn new(limit_bytes: usize) -> Arc<Self> {
        Arc::new(Self {
            limit_bytes,
            in_flight_bytes: AtomicUsize::new(0),
            buffered_bytes: AtomicUsize::new(0),
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

    /// Everything currently accounted.
    pub fn used_bytes(&self) -> usize {
        self.in_flight_bytes() + self.buffered_bytes()
    }

    /// How many reservations were refused since start.
    pub fn refused_reservations(&self) -> u64 {
        self.refused_reservations.load(Ordering::Relaxed)
    }

    /// Reserves `bytes` for a request, or returns `None` when that would exceed the limit.
    /// The reservation is released when dropped.
    pub fn try_reserve(self: &Arc<Self>, bytes: usize) -> Option<MemoryReservation> {
        let mut current = self.in_flight_bytes.load(Ordering::Relaxed);
        loop {
            if current + self.buffered_bytes() + bytes > self.limit_bytes {
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

    /// True when buffered data alone takes more than `fraction` of the limit.
    pub fn buffered_above(&self, fraction: f64) -> bool {
        self.buffered_bytes() as f64 > self.limit_bytes as f64 * fraction
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
}
