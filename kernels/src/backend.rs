//! [`GpuBackend`]: the `gpu` verification backend behind the engine's [`VerifyBackend`] trait.
//!
//! Ed25519 runs on the GPU ([`GpuEd25519Verifier`]), in dispatches of at most
//! [`GpuBackendConfig::batch`] items spread over [`GpuBackendConfig::in_flight`] verifiers (each its own
//! device queue and pipeline, so that many batches are in flight at once). There are no BLS GPU kernels:
//! every BLS method is delegated to the CPU `cpu-batch` backend, and [`GpuBackend::description`] says so.
//!
//! Nothing falls back to the CPU silently: [`GpuStats`] counts the items the GPU verified, the items the
//! host rejected on their bytes alone, and the items a failed dispatch sent to the CPU (with the error).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use hsbench_engine::crypto::{
    BlsItem, BlsPublicKey, CpuBackendKind, CryptoError, Ed25519Item, VerifyBackend, cpu_backend,
};

use crate::{AdapterReport, Ed25519GpuItem, GpuEd25519Verifier, GpuError};

/// How the `gpu` backend dispatches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GpuBackendConfig {
    /// Most items per GPU dispatch (larger calls are split); at least 1.
    pub batch: usize,
    /// Dispatches in flight at once: this many verifiers (devices + pipelines), each fed from its own
    /// thread; at least 1.
    pub in_flight: usize,
    /// Case-insensitive adapter name substring (`None`: `WGPU_ADAPTER_NAME`, then the most GPU-like).
    pub adapter: Option<String>,
}

impl Default for GpuBackendConfig {
    fn default() -> Self {
        Self { batch: 16_384, in_flight: 1, adapter: None }
    }
}

/// What ran where, since the backend was built (or last [`GpuBackend::reset_stats`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct GpuStats {
    /// GPU dispatches that completed.
    pub gpu_dispatches: u64,
    /// Ed25519 items whose verdict the GPU computed.
    pub gpu_items: u64,
    /// Ed25519 items the host rejected on their bytes (non-canonical `A`/`R`, `S ≥ L`): no GPU work needed.
    pub host_rejected_items: u64,
    /// Ed25519 items verified on the CPU because a dispatch failed (0 in a healthy run).
    pub cpu_fallback_items: u64,
    /// BLS items (signatures, keys, subgroup checks) handed to the CPU `cpu-batch` backend by design.
    pub bls_cpu_items: u64,
    /// The last dispatch error, when one happened.
    pub last_error: Option<String>,
}

#[derive(Default)]
struct Counters {
    gpu_dispatches: AtomicU64,
    gpu_items: AtomicU64,
    host_rejected_items: AtomicU64,
    cpu_fallback_items: AtomicU64,
    bls_cpu_items: AtomicU64,
    last_error: Mutex<Option<String>>,
}

impl Counters {
    fn add(counter: &AtomicU64, n: usize) {
        counter.fetch_add(n as u64, Ordering::Relaxed);
    }
}

/// `lavapipe: CPU emulation of a GPU` for Mesa's CPU Vulkan driver (or any CPU-type adapter), else
/// `GPU: <name>`: the honest label reports put next to GPU figures.
pub fn device_label(adapter: &AdapterReport) -> String {
    let cpu = adapter.device_type == "Cpu" || adapter.driver.to_lowercase().contains("llvmpipe");
    if cpu {
        if adapter.name.to_lowercase().contains("llvmpipe") || adapter.driver.to_lowercase().contains("llvmpipe") {
            "lavapipe: CPU emulation of a GPU".to_string()
        } else {
            format!("{}: CPU emulation of a GPU", adapter.name)
        }
    } else {
        format!("GPU: {}", adapter.name)
    }
}

/// The `gpu` backend: Ed25519 on the GPU, BLS on the CPU (`cpu-batch`).
pub struct GpuBackend {
    verifiers: Vec<GpuEd25519Verifier>,
    cpu: Arc<dyn VerifyBackend>,
    batch: usize,
    description: String,
    counters: Counters,
}

impl GpuBackend {
    /// Opens `config.in_flight` verifiers on the selected adapter (each compiles the verify kernel).
    ///
    /// Errors: no (matching) adapter, or the driver refused the device or the kernel — never a silent
    /// CPU backend.
    pub fn new(config: &GpuBackendConfig) -> Result<Self, GpuError> {
        let in_flight = config.in_flight.max(1);
        let verifiers = (0..in_flight)
            .map(|_| GpuEd25519Verifier::new(config.adapter.as_deref()))
            .collect::<Result<Vec<_>, _>>()?;
        let adapter = verifiers[0].adapter();
        let description = format!(
            "gpu: Ed25519 on {} [{}], batch {} × {} in flight; BLS on cpu-batch (CPU: no BLS GPU kernels)",
            adapter.summary(),
            device_label(adapter),
            config.batch.max(1),
            in_flight
        );
        Ok(Self {
            verifiers,
            cpu: cpu_backend(CpuBackendKind::CpuBatch),
            batch: config.batch.max(1),
            description,
            counters: Counters::default(),
        })
    }

    /// The adapter the verifiers run on.
    pub fn adapter(&self) -> &AdapterReport {
        self.verifiers[0].adapter()
    }

    /// What runs where, for reports: adapter, its label, batch and depth, and that BLS runs on the CPU.
    pub fn description(&self) -> &str {
        &self.description
    }

    /// A snapshot of the counters.
    pub fn stats(&self) -> GpuStats {
        let c = &self.counters;
        let load = |a: &AtomicU64| a.load(Ordering::Relaxed);
        GpuStats {
            gpu_dispatches: load(&c.gpu_dispatches),
            gpu_items: load(&c.gpu_items),
            host_rejected_items: load(&c.host_rejected_items),
            cpu_fallback_items: load(&c.cpu_fallback_items),
            bls_cpu_items: load(&c.bls_cpu_items),
            last_error: c.last_error.lock().map(|e| e.clone()).unwrap_or_default(),
        }
    }

    /// Zeroes the counters (between sweep cells).
    pub fn reset_stats(&self) {
        let c = &self.counters;
        for a in [&c.gpu_dispatches, &c.gpu_items, &c.host_rejected_items, &c.cpu_fallback_items, &c.bls_cpu_items] {
            a.store(0, Ordering::Relaxed);
        }
        if let Ok(mut e) = c.last_error.lock() {
            *e = None;
        }
    }

    /// Verdicts of one dispatch-sized chunk on `verifier`; a failed dispatch is verified on the CPU and
    /// counted as such.
    fn verify_chunk(&self, verifier: &GpuEd25519Verifier, items: &[Ed25519Item<'_>]) -> Vec<bool> {
        let gpu_items: Vec<Ed25519GpuItem<'_>> =
            items.iter().map(|it| (*it.public_key, it.message, *it.signature)).collect();
        match verifier.verify_batch(&gpu_items) {
            Ok((verdicts, timings)) => {
                let c = &self.counters;
                if timings.gpu_items > 0 {
                    Counters::add(&c.gpu_dispatches, 1);
                }
                Counters::add(&c.gpu_items, timings.gpu_items);
                Counters::add(&c.host_rejected_items, timings.items - timings.gpu_items);
                verdicts
            }
            Err(e) => {
                Counters::add(&self.counters.cpu_fallback_items, items.len());
                if let Ok(mut last) = self.counters.last_error.lock() {
                    *last = Some(e.to_string());
                }
                self.cpu.verify_ed25519_batch(items)
            }
        }
    }
}

impl std::fmt::Debug for GpuBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GpuBackend").field("description", &self.description).finish()
    }
}

impl VerifyBackend for GpuBackend {
    fn name(&self) -> &'static str {
        "gpu"
    }

    fn verify_ed25519_batch(&self, items: &[Ed25519Item<'_>]) -> Vec<bool> {
        let chunks: Vec<&[Ed25519Item<'_>]> = items.chunks(self.batch).collect();
        let depth = self.verifiers.len().min(chunks.len());
        if depth <= 1 {
            return chunks.iter().flat_map(|chunk| self.verify_chunk(&self.verifiers[0], chunk)).collect();
        }
        // Verifier k takes chunks k, k + depth, ...; results are put back in input order.
        let mut per_chunk: Vec<Vec<bool>> = vec![Vec::new(); chunks.len()];
        std::thread::scope(|scope| {
            let handles: Vec<_> = (0..depth)
                .map(|k| {
                    let (chunks, verifier) = (&chunks, &self.verifiers[k]);
                    scope.spawn(move || {
                        (k..chunks.len())
                            .step_by(depth)
                            .map(|i| (i, self.verify_chunk(verifier, chunks[i])))
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            for handle in handles {
                match handle.join() {
                    Ok(done) => done.into_iter().for_each(|(i, v)| per_chunk[i] = v),
                    Err(panic) => std::panic::resume_unwind(panic),
                }
            }
        });
        per_chunk.concat()
    }

    fn verify_bls_same_message(&self, message: &[u8], items: &[BlsItem<'_>]) -> Vec<bool> {
        Counters::add(&self.counters.bls_cpu_items, items.len());
        self.cpu.verify_bls_same_message(message, items)
    }

    fn verify_bls_aggregate(&self, message: &[u8], public_keys: &[&BlsPublicKey], aggregate: &[u8]) -> bool {
        Counters::add(&self.counters.bls_cpu_items, public_keys.len());
        self.cpu.verify_bls_aggregate(message, public_keys, aggregate)
    }

    fn aggregate_g2(&self, signatures: &[&[u8]]) -> Result<[u8; 96], CryptoError> {
        Counters::add(&self.counters.bls_cpu_items, signatures.len());
        self.cpu.aggregate_g2(signatures)
    }

    fn aggregate_g1(&self, public_keys: &[&BlsPublicKey]) -> Result<BlsPublicKey, CryptoError> {
        Counters::add(&self.counters.bls_cpu_items, public_keys.len());
        self.cpu.aggregate_g1(public_keys)
    }

    fn subgroup_check_g2(&self, signatures: &[&[u8]]) -> Vec<bool> {
        Counters::add(&self.counters.bls_cpu_items, signatures.len());
        self.cpu.subgroup_check_g2(signatures)
    }
}
