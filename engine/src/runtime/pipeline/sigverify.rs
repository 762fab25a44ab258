//! Sigverify stage: k threads sharing one input queue, each verifying whole batches of transactions (clients'
//! from ingress, peers' gossip from the network stage) through the configured [`VerifyBackend`] and passing them
//! with their verdicts and where they came from to the node stage.

use super::metrics::StageMetrics;
use super::queue::{BatchSender, QueueClosed};
use super::stage::Stage;
use crate::crypto::{Ed25519Item, VerifyBackend};
use crate::protocol::TxSource;
use crate::types::Transaction;
use std::sync::Arc;
use std::time::Duration;

/// A verified transaction: its verdict and where it came from.
pub(crate) type Verified = (Transaction, bool, TxSource);

/// One sigverify thread: its backend and the queue to the node stage.
pub(crate) struct Sigverify {
    /// Verifies each batch.
    pub backend: Arc<dyn VerifyBackend>,
    /// Transactions with their verdicts and sources, to the node stage.
    pub output: BatchSender<Verified>,
    /// The signature-free payload mode: pass every transaction on as valid without verifying.
    pub signature_free: bool,
}

impl Stage for Sigverify {
    type Input = (Transaction, TxSource);
    type Output = ();

    fn on_batch(
        &mut self,
        batch: Vec<(Transaction, TxSource)>,
        metrics: &StageMetrics,
    ) -> Result<Duration, QueueClosed> {
        let (txs, sources): (Vec<Transaction>, Vec<TxSource>) = batch.into_iter().unzip();
        let verdicts = match self.signature_free {
            true => vec![true; txs.len()],
            false => verify(self.backend.as_ref(), &txs),
        };
        let out: Vec<Verified> =
            txs.into_iter().zip(verdicts).zip(sources).map(|((tx, ok), source)| (tx, ok, source)).collect();
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
