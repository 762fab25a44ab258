//! The raw sigverify bound: how many Ed25519 verifications per second the sigverify cores manage with nothing
//! else running — one thread pinned to each sigverify core, verifying batches of the pipeline's batch size of
//! pre-signed corpus transactions with the configured backend (for `gpu`: the GPU behind those threads). A node's
//! ceiling divided by this bound says how much of the verification capacity the rest of the pipeline leaves
//! usable.

use hsbench_engine::crypto::{CpuBackendKind, VerifyBackend, cpu_backend};
use hsbench_engine::runtime::pipeline::{VerifyThroughput, pin_to_core, transaction_items};
use hsbench_engine::types::Transaction;
use std::sync::Arc;
use std::sync::Barrier;
use std::time::{Duration, Instant};

/// The backend one pinned thread of the bound (and of the stage-alone measurement) uses for `kind`: `cpu-par`
/// runs as `cpu-batch` per thread, since the bound already has one thread per core.
pub fn per_thread_backend(kind: CpuBackendKind) -> Arc<dyn VerifyBackend> {
    cpu_backend(if kind == CpuBackendKind::CpuPar { CpuBackendKind::CpuBatch } else { kind })
}

/// Measures `backend` for about `duration` on `cores` over `txs` (valid transactions; at least one).
pub fn measure(
    cores: &[usize],
    backend: Arc<dyn VerifyBackend>,
    batch_size: usize,
    txs: &[Transaction],
    duration: Duration,
) -> VerifyThroughput {
    let batch_size = batch_size.max(1);
    let messages: Vec<Vec<u8>> = txs.iter().map(Transaction::signing_message).collect();
    let items = transaction_items(txs, &messages);
    let barrier = Barrier::new(cores.len());
    let results: Vec<(u64, u64, f64, Option<String>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = cores
            .iter()
            .enumerate()
            .map(|(k, core)| {
                let (items, backend, barrier) = (&items, &backend, &barrier);
                scope.spawn(move || {
                    let warning = pin_to_core(*core).err();
                    barrier.wait();
                    let start = Instant::now();
                    let (mut done, mut rejected) = (0u64, 0u64);
                    let mut at = (k * batch_size * 7) % items.len().max(1);
                    while start.elapsed() < duration && !items.is_empty() {
                        let end = (at + batch_size).min(items.len());
                        let verdicts = backend.verify_ed25519_batch(&items[at..end]);
                        done += verdicts.len() as u64;
                        rejected += verdicts.iter().filter(|ok| !**ok).count() as u64;
                        at = if end >= items.len() { 0 } else { end };
                    }
                    (done, rejected, start.elapsed().as_secs_f64(), warning)
                })
            })
            .collect();
        handles.into_iter().filter_map(|h| h.join().ok()).collect()
    });
    let verifies: u64 = results.iter().map(|r| r.0).sum();
    let seconds = results.iter().map(|r| r.2).fold(0.0, f64::max);
    VerifyThroughput {
        cores: cores.to_vec(),
        backend: backend.name().to_string(),
        batch_size,
        verifies,
        rejected: results.iter().map(|r| r.1).sum(),
        seconds,
        verifies_per_s: if seconds > 0.0 { verifies as f64 / seconds } else { 0.0 },
        warnings: results.into_iter().filter_map(|r| r.3).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::BenchConfig;
    use crate::corpus::{CorpusSpec, sign};

    #[test]
    fn verifies_on_the_given_cores() {
        let mut c = BenchConfig::default();
        c.workload.accounts = 8;
        let set = sign(&CorpusSpec::of(&c), 256, &indicatif::ProgressBar::hidden());
        let b = measure(&[0], per_thread_backend(CpuBackendKind::CpuPar), 64, &set.txs, Duration::from_millis(200));
        assert_eq!(b.backend, "cpu-batch");
        assert!(b.verifies >= 64 && b.rejected == 0, "{b:?}");
        assert!(b.verifies_per_s > 0.0 && b.cores == vec![0]);
    }
}
