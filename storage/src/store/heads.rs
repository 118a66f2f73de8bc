//! The heads of every tenant and signal: the active head taking appends, and frozen heads whose
//! blocks are being written.

use std::collections::HashMap;
use std::sync::Arc;

use parking_lot::RwLock;

use crate::head::Head;
use crate::memory::MemoryBudget;
use crate::rows::RowBatch;
use crate::tenant::{Signal, TenantId};

pub(crate) type HeadKey = (TenantId, Signal);

/// The heads of one tenant and signal.
#[derive(Default)]
pub(crate) struct HeadSlot {
    pub active: Head,
    /// Frozen heads, oldest first, until their block is visible.
    pub flushing: Vec<Arc<Head>>,
}

impl HeadSlot {
    /// Freezes the active head (if non-empty): it waits for its block, new rows go to a fresh
    /// head.
    pub fn freeze(&mut self) {
        if !self.active.is_empty() {
            let head = std::mem::take(&mut self.active);
            self.flushing.push(Arc::new(head));
        }
    }
}

/// All head slots plus the memory they account.
pub(crate) struct Heads {
    slots: RwLock<HashMap<HeadKey, Arc<RwLock<HeadSlot>>>>,
    memory: Arc<MemoryBudget>,
    /// Woken when a head grows past a cut threshold.
    pub cut_wanted: tokio::sync::Notify,
    /// Rows per head that make a cut due.
    pub max_rows: usize,
    /// Bytes per head that make a cut due.
    pub max_bytes: usize,
}

impl Heads {
    pub fn new(memory: Arc<MemoryBudget>, max_rows: usize, max_bytes: usize) -> Self {
        Self {
            slots: RwLock::new(HashMap::new()),
            memory,
            cut_wanted: tokio::sync::Notify::new(),
            max_rows,
            max_bytes,
        }
    }

    /// The slot of `key`, created on first use.
    pub fn slot(&self, key: &HeadKey) -> Arc<RwLock<HeadSlot>> {
        if let Some(slot) = self.slots.read().get(key) {
            return Arc::clone(slot);
        }
        Arc::clone(self.slots.write().entry(key.clone()).or_default())
    }

    /// The slot of `key` if it exists.
    pub fn existing_slot(&self, key: &HeadKey) -> Option<Arc<RwLock<HeadSlot>>> {
        self.slots.read().get(key).cloned()
    }

    /// Every slot.
    pub fn all(&self) -> Vec<(HeadKey, Arc<RwLock<HeadSlot>>)> {
        self.slots
            .read()
            .iter()
            .map(|(k, v)| (k.clone(), Arc::clone(v)))
            .collect()
    }

    /// Adds the rows of WAL record `lsn` to the active head of `key`. Called in LSN order (from
    /// the WAL writer thread, or from replay).
    pub fn apply(&self, key: &HeadKey, rows: RowBatch, lsn: u64) {
        let slot = self.slot(key);
        let (grown, cut) = {
            let mut slot = slot.write();
            let grown = slot.active.append(rows, lsn, key.1 == Signal::Traces);
            // Cut at once, even while an earlier block is still being written, so heads never
            // outgrow the limits; frozen heads stay accounted until their block is visible.
            let due = slot.active.rows() >= self.max_rows || slot.active.bytes() >= self.max_bytes;
            if due {
                slot.freeze();
            }
            (grown, due)
        };
        self.memory.add_buffered(grown);
        if cut {
            self.cut_wanted.notify_one();
        }
    }

    /// The smallest LSN held by any head (active or frozen); `None` when every head is empty.
    pub fn min_lsn(&self) -> Option<u64> {
        self.all()
            .iter()
            .flat_map(|(_, slot)| {
                let slot = slot.read();
                std::iter::once(slot.active.min_lsn())
                    .chain(slot.flushing.iter().map(|h| h.min_lsn()))
                    .collect::<Vec<_>>()
            })
            .flatten()
            .min()
    }

    /// Rows and bytes held by heads of `signal` (active and frozen).
    pub fn totals(&self, signal: Signal) -> (u64, u64) {
        let mut rows = 0;
        let mut bytes = 0;
        for ((_, s), slot) in self.all() {
            if s != signal {
                continue;
            }
            let slot = slot.read();
            for head in
                std::iter::once(&slot.active).chain(slot.flushing.iter().map(|h| h.as_ref()))
            {
                rows += head.rows() as u64;
                bytes += head.bytes() as u64;
            }
        }
        (rows, bytes)
    }
}
