//! Sigverify stage: k threads sharing one input queue, each verifying whole batches of client transactions
//! through the configured [`VerifyBackend`] and passing transactions with their verdicts to the node stage.

use super::ingress::STOP_POLL;
use super::queue::BatchSender;
use super::stage::StageClock;
use crate::crypto::{Ed25519Item, VerifyBackend};
use crate::types::Transaction;
use crossbeam_channel::{Receiver, RecvTimeoutError};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// Runs one sigverify thread until `stop` is set or ingress is gone.
pub(crate) fn run_sigverify(
    mut clock: StageClock,
    backend: Arc<dyn VerifyBackend>,
    input: Receiver<Vec<Transaction>>,
    output: BatchSender<(Transaction, bool)>,
    stop: Arc<AtomicBool>,
) {
    while !stop.load(Ordering::Relaxed) {
        let received = input.recv_timeout(STOP_POLL);
        clock.idle();
        let txs = match received {
            Ok(txs) => txs,
            Err(RecvTimeoutError::Timeout) => continue,
            Err(RecvTimeoutError::Disconnected) => break,
        };
        clock.metrics().took(txs.len());
        let verdicts = verify(backend.as_ref(), &txs);
        let out: Vec<(Transaction, bool)> = txs.into_iter().zip(verdicts).collect();
        clock.metrics().gave(out.len());
        let stalled = match output.send(out) {
            Ok(d) => d,
            Err(_) => return,
        };
        clock.busy(stalled);
    }
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
