//! The sigverify stage measured alone: its threads pinned to their cores exactly as in the pipeline, fed
//! pre-built batches as fast as they take them by a feeder on another core, their output drained there too. What
//! it sustains, next to the raw `verify_batch` bound on the same cores, is the cost of the stage itself (message
//! building, queue hops, verdict pairing) with no other stage competing for its cores.

use super::error::PipelineError;
use super::metrics::{StageClock, StageMetrics};
use super::queue::batch_queue;
use super::sigverify::{Sigverify, Verified};
use super::stage::run_stage;
use super::threads::{Warnings, spawn_pinned};
use crate::crypto::VerifyBackend;
use crate::protocol::TxSource;
use crate::types::Transaction;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Batches queued ahead of the stage: enough that it never waits for the feeder.
const QUEUE_BATCHES: usize = 8;

/// Verification throughput measured on given cores: the sigverify stage alone here, the raw `verify_batch` bound
/// in the harness — one shape, so the two sit side by side in a result.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct VerifyThroughput {
    /// Cores measured (one thread each).
    pub cores: Vec<usize>,
    /// Verification backend (its `VerifyBackend::name`).
    pub backend: String,
    /// Signatures per batch.
    pub batch_size: usize,
    /// Verdicts inside the measured window.
    pub verifies: u64,
    /// Invalid verdicts among them (0 for a valid corpus).
    pub rejected: u64,
    /// Measured window (s), from the first verdict on.
    pub seconds: f64,
    /// Verdicts per second.
    pub verifies_per_s: f64,
    /// Failed pins.
    pub warnings: Vec<String>,
}

/// Runs the sigverify stage alone on `cores` with `backend` for about `duration` over `txs` (cycled, in batches of
/// `batch_size`), the feeder and drain pinned to `feeder_core`.
pub fn measure_sigverify_alone(
    cores: &[usize],
    feeder_core: Option<usize>,
    backend: Arc<dyn VerifyBackend>,
    batch_size: usize,
    txs: &[Transaction],
    duration: Duration,
) -> Result<VerifyThroughput, PipelineError> {
    if txs.is_empty() || cores.is_empty() {
        return Err(PipelineError::Config("the sigverify stage needs transactions and at least one core".into()));
    }
    let batch_size = batch_size.max(1);
    let backend_name = backend.name().to_string();
    let batches: Vec<Vec<(Transaction, TxSource)>> =
        txs.chunks(batch_size).map(|c| c.iter().map(|tx| (tx.clone(), TxSource::Client)).collect()).collect();
    let warnings: Warnings = Arc::new(Mutex::new(Vec::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let metrics = Arc::new(StageMetrics::default());
    let (feed_tx, feed_rx) = batch_queue(QUEUE_BATCHES, Arc::new(StageMetrics::default()));
    let (out_tx, out_rx) = batch_queue::<Verified>(QUEUE_BATCHES * cores.len(), metrics.clone());
    let mut workers = Vec::new();
    for (k, core) in cores.iter().enumerate() {
        let (m, s, rx, tx, b) = (metrics.clone(), stop.clone(), feed_rx.clone(), out_tx.clone(), backend.clone());
        workers.push(spawn_pinned(format!("sigverify-{k}"), Some(*core), None, &warnings, move || {
            run_stage(Sigverify { backend: b, output: tx, signature_free: false }, StageClock::new(m), rx, s)
        })?);
    }
    drop((feed_rx, out_tx));
    let s = stop.clone();
    let feeder = spawn_pinned("feeder".into(), feeder_core, None, &warnings, move || {
        for batch in batches.iter().cycle() {
            if s.load(Relaxed) || feed_tx.send(batch.clone()).is_err() {
                break;
            }
        }
    })?;
    let drain = spawn_pinned("drain".into(), feeder_core, None, &warnings, move || {
        let (mut verifies, mut rejected, mut started) = (0u64, 0u64, None::<Instant>);
        while let Ok(out) = out_rx.recv() {
            let Some(t0) = started else {
                started = Some(Instant::now()); // the window opens at the first verdict: start-up excluded
                continue;
            };
            if t0.elapsed() >= duration {
                break;
            }
            verifies += out.len() as u64;
            rejected += out.iter().filter(|(_, ok, _)| !ok).count() as u64;
        }
        (verifies, rejected, started.map_or(0.0, |t| t.elapsed().as_secs_f64()))
    })?;
    let (verifies, rejected, seconds) =
        drain.join().map_err(|_| PipelineError::Config("the drain thread panicked".into()))?;
    stop.store(true, Relaxed);
    let _ = feeder.join();
    for w in workers {
        let _ = w.join();
    }
    let warnings = warnings.lock().map(|w| w.clone()).unwrap_or_default();
    Ok(VerifyThroughput {
        cores: cores.to_vec(),
        backend: backend_name,
        batch_size,
        verifies,
        rejected,
        seconds,
        verifies_per_s: if seconds > 0.0 { verifies as f64 / seconds } else { 0.0 },
        warnings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::{CpuBackendKind, cpu_backend, ed25519_signing_key_from_seed};
    use crate::types::{AccountId, Transaction};

    /// Signed transfers; every `bad`-th one carries a corrupted signature.
    fn corpus(n: usize, bad: usize) -> Vec<Transaction> {
        let key = ed25519_signing_key_from_seed([3; 32]);
        (0..n)
            .map(|i| {
                let mut tx = Transaction::signed(&key, 1, AccountId::default(), 1, 1, i as u64, Vec::new());
                if i % bad == 0 {
                    tx.signature[0] ^= 1;
                }
                tx
            })
            .collect()
    }

    #[test]
    fn the_stage_alone_verifies_and_counts_rejections() {
        let txs = corpus(64, 8);
        let r = measure_sigverify_alone(
            &[0],
            Some(0),
            cpu_backend(CpuBackendKind::CpuBatch),
            16,
            &txs,
            Duration::from_millis(200),
        )
        .unwrap();
        assert!(r.verifies >= 16 && r.verifies_per_s > 0.0, "{r:?}");
        assert_eq!(r.rejected * 8, r.verifies, "one in eight is invalid, whole batches of 16 come out: {r:?}");
        assert!(
            measure_sigverify_alone(&[0], None, cpu_backend(CpuBackendKind::Cpu), 16, &[], Duration::ZERO).is_err()
        );
    }
}
