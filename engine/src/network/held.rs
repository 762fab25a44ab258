//! What a peer can make a validator hold: the bytes of the messages it sent that the validator has received but not
//! yet taken up. Each peer has an account; a reader puts a message's bytes on it before handing the message on and
//! the [`Held`] travelling with the message gives them back when it is dropped — when the node has taken the message
//! up. While an account is at its bound the peer's reader waits and does not read the socket, so TCP slows that
//! peer down and no other: what any peer makes a validator hold is bounded in bytes, not only in messages.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Duration;

/// The default bound on the bytes one peer's received, not yet taken up messages may hold: the codec's length limit
/// (a frame of the largest size still passes when nothing else of the peer's is held), about 1,000 times what an
/// honest peer sends in the few milliseconds the node takes to take a batch up at 30,000 tx/s.
pub const HELD_BYTES_PER_PEER: usize = crate::types::codec::MAX_LEN;

/// One peer's account of held bytes.
#[derive(Debug, Default)]
pub(crate) struct HeldAccount {
    held: Mutex<Balance>,
    freed: Condvar,
    /// The most bytes held at once.
    peak: AtomicU64,
    /// Times a reader waited on this account (one per wait of up to the poll interval).
    waits: AtomicU64,
}

/// Bytes held, and readers waiting for them to fall (so a release wakes someone only when someone waits: every
/// message's release is on the node stage's hot path).
#[derive(Debug, Default)]
struct Balance {
    bytes: usize,
    waiting: usize,
}

/// A received message's bytes on its peer's account, given back when this is dropped (with the message, or when
/// whatever took the message up is done with it).
#[derive(Debug)]
pub struct Held {
    account: Arc<HeldAccount>,
    bytes: usize,
}

impl Held {
    /// The bytes this holds on its peer's account (the message's frame on the wire).
    pub fn bytes(&self) -> usize {
        self.bytes
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        let mut held = self.account.lock();
        held.bytes = held.bytes.saturating_sub(self.bytes);
        let waiting = held.waiting > 0;
        drop(held);
        if waiting {
            self.account.freed.notify_all();
        }
    }
}

impl HeldAccount {
    fn lock(&self) -> MutexGuard<'_, Balance> {
        self.held.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Puts `bytes` on the account once they fit under `bound` — at once when nothing is held, so a message larger
    /// than the bound still passes alone —, waiting in steps of `poll` and asking `give_up` after each; `None` when
    /// it gave up first.
    pub(crate) fn take(
        self: &Arc<Self>,
        bytes: usize,
        bound: usize,
        poll: Duration,
        give_up: impl Fn() -> bool,
    ) -> Option<Held> {
        let mut held = self.lock();
        while held.bytes > 0 && held.bytes.saturating_add(bytes) > bound {
            self.waits.fetch_add(1, Relaxed);
            if give_up() {
                return None;
            }
            held.waiting += 1;
            held = self.freed.wait_timeout(held, poll).unwrap_or_else(|e| e.into_inner()).0;
            held.waiting -= 1;
        }
        held.bytes += bytes;
        self.peak.fetch_max(held.bytes as u64, Relaxed);
        Some(Held { account: self.clone(), bytes })
    }

    /// Bytes held now.
    pub(crate) fn now(&self) -> u64 {
        self.lock().bytes as u64
    }

    /// The most bytes held at once so far.
    pub(crate) fn peak(&self) -> u64 {
        self.peak.load(Relaxed)
    }

    /// Times a reader waited for the account to fall below its bound.
    pub(crate) fn waits(&self) -> u64 {
        self.waits.load(Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLL: Duration = Duration::from_millis(5);

    #[test]
    fn bytes_are_held_until_dropped_and_a_taker_waits_while_over_the_bound() {
        let account = Arc::new(HeldAccount::default());
        let a = account.take(600, 1000, POLL, || false).expect("fits");
        let b = account.take(400, 1000, POLL, || false).expect("fits exactly");
        assert_eq!((account.now(), account.peak()), (1000, 1000));
        // Over the bound: the taker gives up after its first wait.
        assert!(account.take(1, 1000, POLL, || true).is_none());
        assert_eq!(account.waits(), 1);
        // Freed from another thread while a taker waits: it goes on.
        let waiting = {
            let account = account.clone();
            std::thread::spawn(move || account.take(500, 1000, POLL, || false).map(|h| h.bytes()))
        };
        std::thread::sleep(Duration::from_millis(30));
        drop(a);
        assert_eq!(waiting.join().expect("taker"), Some(500));
        drop(b);
        assert_eq!((account.now(), account.peak()), (0, 1000));
    }

    #[test]
    fn a_message_larger_than_the_bound_passes_alone() {
        let account = Arc::new(HeldAccount::default());
        let big = account.take(5000, 1000, POLL, || true).expect("nothing held: it passes");
        assert!(account.take(1, 1000, POLL, || true).is_none(), "nothing passes beside it");
        drop(big);
        assert_eq!(account.now(), 0);
    }
}
