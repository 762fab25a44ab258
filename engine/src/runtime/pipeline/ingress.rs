//! Ingress stage: takes the batches clients submit (any size) and re-cuts them into `batch_size` batches for
//! sigverify; a partial batch leaves after at most [`INGRESS_FLUSH`].

use super::metrics::StageMetrics;
use super::queue::{BatchSender, QueueClosed};
use super::stage::{STOP_POLL, Stage};
use crate::protocol::TxSource;
use crate::types::Transaction;
use std::time::{Duration, Instant};

/// Longest a partial batch waits for more transactions.
pub const INGRESS_FLUSH: Duration = Duration::from_millis(1);

/// The ingress stage's state: the partial batch and when it must leave.
pub(crate) struct Ingress {
    output: BatchSender<(Transaction, TxSource)>,
    batch_size: usize,
    buf: Vec<Transaction>,
    flush_at: Option<Instant>,
}

impl Ingress {
    /// Ingress cutting batches of `batch_size` (at least 1) into `output`.
    pub(crate) fn new(output: BatchSender<(Transaction, TxSource)>, batch_size: usize) -> Self {
        let batch_size = batch_size.max(1);
        Ingress { output, batch_size, buf: Vec::with_capacity(batch_size), flush_at: None }
    }

    fn pass_on(&mut self, batch: Vec<Transaction>, metrics: &StageMetrics) -> Result<Duration, QueueClosed> {
        metrics.gave(batch.len());
        self.output.send(batch.into_iter().map(|tx| (tx, TxSource::Client)).collect())
    }
}

impl Stage for Ingress {
    type Input = Transaction;
    type Output = ();

    fn on_batch(&mut self, txs: Vec<Transaction>, metrics: &StageMetrics) -> Result<Duration, QueueClosed> {
        if self.buf.is_empty() {
            self.flush_at = Some(Instant::now() + INGRESS_FLUSH);
        }
        self.buf.extend(txs);
        let mut stalled = Duration::ZERO;
        while self.buf.len() >= self.batch_size {
            let rest = self.buf.split_off(self.batch_size);
            let full = std::mem::replace(&mut self.buf, rest);
            stalled += self.pass_on(full, metrics)?;
        }
        if self.buf.is_empty() {
            self.flush_at = None;
        }
        Ok(stalled)
    }

    /// A partial batch whose wait is over leaves now.
    fn on_idle(&mut self, metrics: &StageMetrics) -> Result<Option<Duration>, QueueClosed> {
        if self.flush_at.is_none_or(|t| Instant::now() < t) || self.buf.is_empty() {
            return Ok(None);
        }
        self.flush_at = None;
        let part = std::mem::take(&mut self.buf);
        self.pass_on(part, metrics).map(Some)
    }

    fn wait(&self) -> Duration {
        self.flush_at.map_or(STOP_POLL, |t| t.saturating_duration_since(Instant::now()))
    }

    fn finish(self) {}
}
