//! Ingress stage: takes the batches clients submit (any size) and re-cuts them into `batch_size` batches for
//! sigverify; a partial batch leaves after at most [`INGRESS_FLUSH`].

use super::queue::BatchSender;
use super::stage::StageClock;
use crate::types::Transaction;
use crossbeam_channel::{Receiver, RecvTimeoutError};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Longest a partial batch waits for more transactions.
pub const INGRESS_FLUSH: Duration = Duration::from_millis(1);
/// How often an idle stage looks at its stop flag.
pub(crate) const STOP_POLL: Duration = Duration::from_millis(5);

/// Runs the ingress loop until `stop` is set or every submitter is gone.
pub(crate) fn run_ingress(
    mut clock: StageClock,
    input: Receiver<Vec<Transaction>>,
    output: BatchSender<Transaction>,
    batch_size: usize,
    stop: Arc<AtomicBool>,
) {
    let batch_size = batch_size.max(1);
    let mut buf: Vec<Transaction> = Vec::with_capacity(batch_size);
    let mut flush_at: Option<Instant> = None;
    while !stop.load(Ordering::Relaxed) {
        let wait = flush_at.map_or(STOP_POLL, |t| t.saturating_duration_since(Instant::now()).min(STOP_POLL));
        let received = input.recv_timeout(wait);
        clock.idle();
        let mut stalled = Duration::ZERO;
        match received {
            Ok(txs) => {
                clock.metrics().took(txs.len());
                if buf.is_empty() {
                    flush_at = Some(Instant::now() + INGRESS_FLUSH);
                }
                buf.extend(txs);
                while buf.len() >= batch_size {
                    let rest = buf.split_off(batch_size);
                    let full = std::mem::replace(&mut buf, rest);
                    clock.metrics().gave(full.len());
                    match output.send(full) {
                        Ok(d) => stalled += d,
                        Err(_) => return,
                    }
                }
                if buf.is_empty() {
                    flush_at = None;
                }
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => break,
        }
        if flush_at.is_some_and(|t| Instant::now() >= t) && !buf.is_empty() {
            flush_at = None;
            let part = std::mem::take(&mut buf);
            clock.metrics().gave(part.len());
            match output.send(part) {
                Ok(d) => stalled += d,
                Err(_) => return,
            }
        }
        clock.busy(stalled);
    }
}
