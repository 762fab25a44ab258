//! A kernel's pool of dispatch slots: each slot is one dispatch's own buffers (items, output, staging,
//! params uniform, timestamp queries) and bind group, so that calls on one kernel from several threads run
//! concurrently — one thread's upload and host work overlapping another's compute and readback — instead of
//! queueing on one locked buffer set. The pool's lock is held only to take or return a slot, never across a
//! device wait.

use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

use super::readback::WAIT;
use crate::GpuError;

/// Most slots one kernel creates: enough for host preparation, upload, compute and readback of consecutive
/// dispatches to overlap on one device; more would only queue on the same device while holding its memory. A
/// call that finds all of them busy waits (bounded by [`WAIT`]) for one to be returned.
pub(crate) const MAX_SLOTS: usize = 4;

/// The timestamp query set of one slot's compute pass and the buffers it is resolved and read through.
pub(super) struct Timestamps {
    pub set: wgpu::QuerySet,
    pub resolve: wgpu::Buffer,
    pub read: wgpu::Buffer,
}

/// One dispatch's buffers, sized for `capacity` items, and their bind group.
pub(super) struct Slot {
    pub capacity: u32,
    pub items: wgpu::Buffer,
    pub out: wgpu::Buffer,
    pub staging: wgpu::Buffer,
    /// The uniform carrying the item count (binding 3): per slot, as each dispatch has its own count.
    pub params: wgpu::Buffer,
    pub timestamps: Option<Timestamps>,
    pub bind: wgpu::BindGroup,
}

/// The pool's bookkeeping, behind its lock.
#[derive(Default)]
struct State {
    free: Vec<Slot>,
    /// Slots that exist (free or taken) or are being created.
    created: usize,
    /// Slots taken now.
    in_use: usize,
    /// Most slots taken at once since creation or [`SlotPool::reset_high_water`].
    high_water: usize,
}

/// The slots of one kernel: at most `cap`, created on demand and reused.
pub(super) struct SlotPool {
    state: Mutex<State>,
    returned: Condvar,
    cap: usize,
}

impl SlotPool {
    /// An empty pool of at most `cap` slots (at least one).
    pub fn new(cap: usize) -> Self {
        Self { state: Mutex::new(State::default()), returned: Condvar::new(), cap: cap.max(1) }
    }

    /// The bookkeeping is updated in short sections that cannot panic half-way, so a poisoned lock still
    /// holds consistent numbers.
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A slot for `n` items and the place it holds in the pool: a free slot (the smallest that fits, else the
    /// largest, replaced by `make`), or a new one made by `make` when none is free and the pool is below its
    /// cap, or — at the cap — the next one returned (waiting at most [`WAIT`]). `make` must build a slot for at
    /// least `n` items; it runs outside the lock.
    pub fn take(&self, n: u32, make: impl FnOnce() -> Result<Slot, GpuError>) -> Result<(Place<'_>, Slot), GpuError> {
        let mut state = self.lock();
        let found = loop {
            let fitting = (0..state.free.len())
                .filter(|&i| state.free[i].capacity >= n)
                .min_by_key(|&i| state.free[i].capacity)
                .or_else(|| (0..state.free.len()).max_by_key(|&i| state.free[i].capacity));
            if let Some(i) = fitting {
                break Some(state.free.swap_remove(i));
            }
            if state.created < self.cap {
                state.created += 1;
                break None;
            }
            let (next, timeout) = self.returned.wait_timeout(state, WAIT).unwrap_or_else(PoisonError::into_inner);
            state = next;
            if timeout.timed_out() && state.free.is_empty() && state.created >= self.cap {
                return Err(GpuError::Timeout { stage: "waiting for a free kernel slot", seconds: WAIT.as_secs() });
            }
        };
        state.in_use += 1;
        state.high_water = state.high_water.max(state.in_use);
        drop(state);
        // From here the place is counted; if `make` fails, dropping it gives the place back.
        let place = Place { pool: self, released: false };
        let slot = match found {
            Some(slot) if slot.capacity >= n => slot,
            _ => make()?,
        };
        Ok((place, slot))
    }

    /// Gives a taken place back: with its slot for the next call, or without (the slot was discarded).
    fn put_back(&self, slot: Option<Slot>) {
        let mut state = self.lock();
        state.in_use = state.in_use.saturating_sub(1);
        match slot {
            Some(slot) => state.free.push(slot),
            None => state.created = state.created.saturating_sub(1),
        }
        drop(state);
        self.returned.notify_one();
    }

    /// Most slots taken at once since the pool was made or last reset (a test and stats figure: more than one
    /// means calls on this kernel overlapped).
    pub fn high_water(&self) -> usize {
        self.lock().high_water
    }

    /// Restarts [`SlotPool::high_water`] from the slots taken now.
    pub fn reset_high_water(&self) {
        let mut state = self.lock();
        state.high_water = state.in_use;
    }
}

/// A place taken in a [`SlotPool`]. [`Place::release`] returns its slot to the pool after a successful
/// dispatch; dropping the place instead (an error part-way: the slot's buffers may still be mapped or in use, so
/// the caller drops the slot too) discards it, and a later call makes a fresh one.
pub(super) struct Place<'a> {
    pool: &'a SlotPool,
    released: bool,
}

impl Place<'_> {
    /// Returns `slot` to the pool for the next call.
    pub fn release(mut self, slot: Slot) {
        self.released = true;
        self.pool.put_back(Some(slot));
    }
}

impl Drop for Place<'_> {
    fn drop(&mut self) {
        if !self.released {
            self.pool.put_back(None);
        }
    }
}
