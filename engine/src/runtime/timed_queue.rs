//! One timed queue for every scheduler: items due at a time, popped earliest first and, among items due at the
//! same time, in the order they were pushed. The simulator keys it by virtual time, the pipeline's committee and
//! timer heaps by `Instant`.

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;

/// Items ordered by (due time, push order).
pub struct TimedQueue<At: Ord + Copy, T> {
    heap: BinaryHeap<Reverse<Entry<At, T>>>,
    seq: u64,
}

struct Entry<At, T> {
    at: At,
    seq: u64,
    item: T,
}

impl<At: Ord, T> PartialEq for Entry<At, T> {
    fn eq(&self, other: &Self) -> bool {
        (&self.at, self.seq) == (&other.at, other.seq)
    }
}
impl<At: Ord, T> Eq for Entry<At, T> {}
impl<At: Ord, T> PartialOrd for Entry<At, T> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<At: Ord, T> Ord for Entry<At, T> {
    fn cmp(&self, other: &Self) -> Ordering {
        (&self.at, self.seq).cmp(&(&other.at, other.seq))
    }
}

impl<At: Ord + Copy, T> Default for TimedQueue<At, T> {
    fn default() -> Self {
        TimedQueue { heap: BinaryHeap::new(), seq: 0 }
    }
}

impl<At: Ord + Copy, T> TimedQueue<At, T> {
    /// An empty queue.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `item`, due at `at`; returns its push number (unique, increasing).
    pub fn push(&mut self, at: At, item: T) -> u64 {
        self.seq += 1;
        self.heap.push(Reverse(Entry { at, seq: self.seq, item }));
        self.seq
    }

    /// When the earliest item is due.
    pub fn next_due(&self) -> Option<At> {
        self.heap.peek().map(|Reverse(e)| e.at)
    }

    /// The earliest item with its due time, whenever it is due.
    pub fn pop(&mut self) -> Option<(At, T)> {
        self.heap.pop().map(|Reverse(e)| (e.at, e.item))
    }

    /// The earliest item if it is due at or before `now`.
    pub fn pop_due(&mut self, now: At) -> Option<(At, T)> {
        if self.next_due()? > now {
            return None;
        }
        self.pop()
    }

    /// The earliest item if it is due at or before `now`, with its push number (to tell a re-armed timer from
    /// the arming it replaced).
    pub fn pop_due_with_seq(&mut self, now: At) -> Option<(u64, T)> {
        if self.next_due()? > now {
            return None;
        }
        self.heap.pop().map(|Reverse(e)| (e.seq, e.item))
    }

    /// Items waiting.
    pub fn len(&self) -> usize {
        self.heap.len()
    }

    /// True when nothing waits.
    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Popping returns items by due time, and items due at the same time in push order.
        #[test]
        fn pops_by_time_then_push_order(times in proptest::collection::vec(0u8..8, 0..64)) {
            let mut q = TimedQueue::new();
            for (k, &t) in times.iter().enumerate() {
                q.push(t, k);
            }
            let mut expected: Vec<(u8, usize)> = times.iter().copied().zip(0..).collect();
            expected.sort();
            let mut got = Vec::new();
            while let Some(e) = q.pop() {
                got.push(e);
            }
            prop_assert_eq!(got, expected);
        }
    }

    #[test]
    fn pop_due_waits_for_the_due_time() {
        let mut q = TimedQueue::new();
        q.push(5u32, "a");
        assert_eq!(q.pop_due(4), None);
        assert_eq!(q.next_due(), Some(5));
        assert_eq!(q.pop_due(5), Some((5, "a")));
        assert!(q.is_empty());
    }
}
