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

/// A bounded queue holding up to `capacity` batches (at least one); stalls of its producer go to `producer`.
pub fn batch_queue<T>(capacity: usize, producer: Arc<StageMetrics>) -> (BatchSender<T>, Receiver<Vec<T>>) {
    let (tx, rx) = crossbeam_channel::bounded(capacity.max(1));
    (BatchSender { tx, producer }, rx)
}
