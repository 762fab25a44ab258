//! Frames a peer repeats back to back are heard once. A byzantine peer can send every message many times over (the
//! `flood` behaviour sends 100 copies): each copy would be decoded, take a place in the inbox and cost the node
//! stage its checks — a 4-validator cluster on 2 cores fell from 1,000 to 135–274 tx/s committed under one flooding
//! peer, and each honest validator's resident memory grew to 0.6–1 GB. A receiver that remembers the digests of the
//! frames it read in the last [`REPEAT_WINDOW`] drops an exact repeat before decoding it, counted by class.
//!
//! The window is short on purpose: it must stay below the shortest interval at which an honest node sends the same
//! bytes again — a sync request is retried after `SYNC_RETRY` (300 ms) when the first brought nothing, and that
//! retry must be heard. A repeat after the window is delivered (and starts a new window), so the filter never
//! withholds a message for longer than the window, and it remembers at most [`REPEAT_MEMORY`] frames per connection.

use std::collections::{HashSet, VecDeque};
use std::time::{Duration, Instant};

/// How long a frame's digest is remembered (see the module doc for why it is below the sync retry).
pub const REPEAT_WINDOW: Duration = Duration::from_millis(200);

/// Most digests remembered per connection (the oldest go first): 32 bytes each, ~200 KiB with the queue.
pub const REPEAT_MEMORY: usize = 4096;

/// The digests of the frames one connection read in the last window.
#[derive(Debug)]
pub struct RecentFrames {
    window: Duration,
    order: VecDeque<([u8; 32], Instant)>,
    seen: HashSet<[u8; 32]>,
}

impl RecentFrames {
    /// Remembers frames for `window`.
    pub fn new(window: Duration) -> Self {
        RecentFrames { window, order: VecDeque::new(), seen: HashSet::new() }
    }

    /// Whether `payload` repeats a frame read within the window before `now`; a new (or expired) one is remembered
    /// from `now`.
    pub fn is_repeat(&mut self, payload: &[u8], now: Instant) -> bool {
        while let Some(&(digest, at)) = self.order.front() {
            if now.saturating_duration_since(at) < self.window && self.order.len() < REPEAT_MEMORY {
                break;
            }
            self.order.pop_front();
            self.seen.remove(&digest);
        }
        let digest = *blake3::hash(payload).as_bytes();
        if self.seen.contains(&digest) {
            return true;
        }
        self.seen.insert(digest);
        self.order.push_back((digest, now));
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_repeat_within_the_window_is_caught_and_one_after_it_is_not() {
        let t0 = Instant::now();
        let mut recent = RecentFrames::new(Duration::from_millis(100));
        assert!(!recent.is_repeat(b"vote", t0));
        assert!(!recent.is_repeat(b"other", t0));
        assert!(recent.is_repeat(b"vote", t0 + Duration::from_millis(99)));
        // The window runs from the first copy: a repeat does not extend it.
        assert!(!recent.is_repeat(b"vote", t0 + Duration::from_millis(100)), "heard again after the window");
        assert!(recent.is_repeat(b"vote", t0 + Duration::from_millis(150)), "a new window began at 100 ms");
    }

    #[test]
    fn it_remembers_at_most_its_memory_oldest_first() {
        let t0 = Instant::now();
        let mut recent = RecentFrames::new(Duration::from_secs(60));
        for i in 0..=REPEAT_MEMORY as u32 {
            assert!(!recent.is_repeat(&i.to_le_bytes(), t0));
        }
        assert!(recent.order.len() <= REPEAT_MEMORY && recent.seen.len() == recent.order.len());
        assert!(!recent.is_repeat(&0u32.to_le_bytes(), t0), "the oldest was forgotten");
        assert!(recent.is_repeat(&(REPEAT_MEMORY as u32).to_le_bytes(), t0), "the newest is remembered");
    }
}
