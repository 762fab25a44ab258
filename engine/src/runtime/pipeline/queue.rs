//! Bounded batch queues between stages: a full queue stalls its producer and counts a back-pressure event;
//! nothing is ever dropped.

use super::metrics::StageMetrics;
use crossbeam_channel::{Receiver, Sender, TrySendError};
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::{Duration, Instant};

/// The consumer of a queue is gone (its stage stopped), so the batch could not be delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the consuming stage has stopped")]
pub struct QueueClosed;

/// Producer end of a bounded queue of batches; stalls are charged to the producing stage's metrics.
pub struct BatchSender<T> {
    tx: Sender<Vec<T>>,
    producer: Arc<StageMetrics>,
}

impl<T> Clone for BatchSender<T> {
    fn clone(&self) -> Self {
        BatchSender { tx: self.tx.clone(), producer: self.producer.clone() }
    }
}

impl<T> BatchSender<T> {
    /// Sends one batch. If the queue is full, counts one back-pressure stall, blocks until there is room and
    /// returns how long it was blocked (zero when it was not).
    pub fn send(&self, batch: Vec<T>) -> Result<Duration, QueueClosed> {
        match self.tx.try_send(batch) {
            Ok(()) => Ok(Duration::ZERO),
            Err(TrySendError::Disconnected(_)) => Err(QueueClosed),
            Err(TrySendError::Full(batch)) => {
                self.producer.stalls.fetch_add(1, Relaxed);
                let t = Instant::now();
                let sent = self.tx.send(batch).map_err(|_| QueueClosed);
                let blocked = t.elapsed();
                self.producer.stall_ns.fetch_add(blocked.as_nanos() as u64, Relaxed);
                sent.map(|()| blocked)
            }
        }
    }

    /// Sends one batch if there is room now; a full queue gives the batch back (for the one input that may be
    /// dropped under pressure: peers' gossip) and a closed one fails.
    pub fn try_send(&self, batch: Vec<T>) -> Result<Result<(), Vec<T>>, QueueClosed> {
        match self.tx.try_send(batch) {
            Ok(()) => Ok(Ok(())),
            Err(TrySendError::Full(batch)) => Ok(Err(batch)),
            Err(TrySendError::Disconnected(_)) => Err(QueueClosed),
        }
    }

    /// Batches waiting in the queue.
    pub fn len(&self) -> usize {
        self.tx.len()
    }

    /// True when no batch is waiting.
    pub fn is_empty(&self) -> bool {
        self.tx.is_empty()
    }
}

/// `items` cut into batches of at most `size` (at least 1), in order: what a queue bounded in batches takes, so it
/// is bounded in items — and bytes — too, however large the input. Items that fit in one batch are passed on as
/// they are (the common case on the hot paths: no copy).
pub(crate) fn batches_of<T>(items: Vec<T>, size: usize) -> impl ExactSizeIterator<Item = Vec<T>> {
    let size = size.max(1);
    let count = items.len().div_ceil(size);
    let (mut whole, mut rest) = (Some(items), Vec::new().into_iter());
    (0..count).map(move |_| match whole.take() {
        Some(all) if all.len() <= size => all,
        Some(all) => {
            rest = all.into_iter();
            rest.by_ref().take(size).collect()
        }
        None => rest.by_ref().take(size).collect(),
    })
}

/// A bounded queue holding up to `capacity` batches (at least one); stalls of its producer go to `producer`.
pub fn batch_queue<T>(capacity: usize, producer: Arc<StageMetrics>) -> (BatchSender<T>, Receiver<Vec<T>>) {
    let (tx, rx) = crossbeam_channel::bounded(capacity.max(1));
    (BatchSender { tx, producer }, rx)
}

#[cfg(test)]
mod tests {
    use super::batches_of;
    use proptest::prelude::*;

    #[test]
    fn items_that_fit_in_one_batch_are_passed_on_as_they_are() {
        let items: Vec<u64> = (0..10).collect();
        let at = items.as_ptr();
        let batches: Vec<Vec<u64>> = batches_of(items, 10).collect();
        assert_eq!((batches.len(), batches[0].as_ptr()), (1, at), "the same vector, not a copy");
    }

    proptest! {
        /// Cut and joined again, the items are the same, in order; every batch but the last is full.
        #[test]
        fn batches_keep_every_item_in_order_and_are_full_but_the_last(len in 0usize..300, size in 0usize..40) {
            let items: Vec<usize> = (0..len).collect();
            let batches: Vec<Vec<usize>> = batches_of(items.clone(), size).collect();
            let size = size.max(1);
            prop_assert_eq!(batches.concat(), items);
            prop_assert_eq!(batches.len(), len.div_ceil(size));
            let (last, full) = batches.split_last().map_or((None, &[][..]), |(l, f)| (Some(l), f));
            prop_assert!(full.iter().all(|b| b.len() == size));
            prop_assert!(last.is_none_or(|b| !b.is_empty() && b.len() <= size));
        }
    }
}
