//! A timer heap keyed by `Instant`: setting a timer again replaces the earlier one (as `Action::SetTimer` says).

use crate::runtime::TimedQueue;
use std::collections::HashMap;
use std::hash::Hash;
use std::time::Instant;

/// Pending timers of one or more state machines.
pub(crate) struct TimerHeap<T: Copy + Eq + Hash> {
    queue: TimedQueue<Instant, T>,
    /// The push number of each timer's latest arming; earlier armings are skipped when they come due.
    current: HashMap<T, u64>,
}

impl<T: Copy + Eq + Hash> TimerHeap<T> {
    /// No timers.
    pub(crate) fn new() -> Self {
        TimerHeap { queue: TimedQueue::new(), current: HashMap::new() }
    }

    /// Arms `timer` to fire at `at`, replacing any earlier arming of the same timer.
    pub(crate) fn set(&mut self, timer: T, at: Instant) {
        let seq = self.queue.push(at, timer);
        self.current.insert(timer, seq);
    }

    /// The next timer due at or before `now`, skipping replaced ones.
    pub(crate) fn pop_due(&mut self, now: Instant) -> Option<T> {
        while let Some((seq, timer)) = self.queue.pop_due_with_seq(now) {
            if self.current.get(&timer) == Some(&seq) {
                self.current.remove(&timer);
                return Some(timer);
            }
        }
        None
    }

    /// When the earliest armed timer is due (a replaced one may make this early; that only costs a wake-up).
    pub(crate) fn next_due(&self) -> Option<Instant> {
        self.queue.next_due()
    }
}
