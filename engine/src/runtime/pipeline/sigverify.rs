//! Sigverify stage: k threads sharing one input queue, each verifying whole batches of client transactions
//! through the configured [`VerifyBackend`] and passing transactions with their verdicts to the node stage.

use super::metrics::StageMetrics;
use super::queue::{BatchSender, QueueClosed};
use super::stage::Stage;
use crate::crypto::{Ed25519Item, VerifyBackend};
use crate::types::Transaction;
use std::sync::Arc;
use std::time::Duration;

/// One sigverify thread: its backend and the queue to the node stage.
pub(crate) struct Sigverify {
    /// Verifies each batch.
    pub backend: Arc<dyn VerifyBackend>,
    /// Transactions with their verdicts, to the node stage.
    pub output: BatchSender<(Transaction, bool)>,
}

impl Stage for Sigverify {
    type Input = Transaction;
    type Output = ();

    fn on_batch(&mut self, txs: Vec<Transaction>, metrics: &StageMetrics) -> Result<Duration, QueueClosed> {
        let verdicts = verify(self.backend.as_ref(), &txs);
        let out: Vec<(Transaction, bool)> = txs.into_iter().zip(verdicts).collect();
        metrics.gave(out.len());
        self.output.send(out)
    }

    fn finish(self) {}
}

/// The Ed25519 checks of `txs`, whose signing messages are `messages` (in the same order): what the sigverify
/// stage hands its backend, and what the raw bound measures.
pub fn transaction_items<'a>(txs: &'a [Transaction], messages: &'a [Vec<u8>]) -> Vec<Ed25519Item<'a>> {
    txs.iter()
        .zip(messages)
        .map(|(tx, m)| Ed25519Item { public_key: &tx.sender, message: m, signature: &tx.signature })
        .collect()
}

/// One verdict per transaction, in order (a backend returning too few verdicts fails the missing ones).
fn verify(backend: &dyn VerifyBackend, txs: &[Transaction]) -> Vec<bool> {
    let messages: Vec<Vec<u8>> = txs.iter().map(Transaction::signing_message).collect();
    let mut verdicts = backend.verify_ed25519_batch(&transaction_items(txs, &messages));
    verdicts.resize(txs.len(), false);
    verdicts
}
