//! A timer heap keyed by `Instant`: setting a timer again replaces the earlier one (as `Action::SetTimer` says).

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::hash::Hash;
use std::time::Instant;

/// Pending timers of one or more state machines.
pub(crate) struct TimerHeap<T: Copy + Eq + Hash + Ord> {
    heap: BinaryHeap<Reverse<(Instant, u64, T)>>,
    current: HashMap<T, u64>,
    seq: u64,
}

impl<T: Copy + Eq + Hash + Ord> TimerHeap<T> {
    /// No timers.
    pub(crate) fn new() -> Self {
        TimerHeap { heap: BinaryHeap::new(), current: HashMap::new(), seq: 0 }
    }

    /// Arms `timer` to fire at `at`, replacing any earlier arming of the same timer.
    pub(crate) fn set(&mut self, timer: T, at: Instant) {
        self.seq += 1;
        self.current.insert(timer, self.seq);
        self.heap.push(Reverse((at, self.seq, timer)));
    }

    /// The next timer due at or before `now`, skipping replaced ones.
    pub(crate) fn pop_due(&mut self, now: Instant) -> Option<T> {
        while let Some(Reverse((at, seq, timer))) = self.heap.peek().copied() {
            if at > now {
                return None;
            }
            self.heap.pop();
            if self.current.get(&timer) == Some(&seq) {
                self.current.remove(&timer);
                return Some(timer);
            }
        }
        None
    }

    /// When the earliest armed timer is due (a replaced one may make this early; that only costs a wake-up).
    pub(crate) fn next_due(&self) -> Option<Instant> {
        self.heap.peek().map(|Reverse((at, _, _))| *at)
    }
}
