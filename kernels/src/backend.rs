//! [`GpuBackend`]: the `gpu` verification backend behind the engine's [`VerifyBackend`] trait.
//!
//! Ed25519 runs on the GPU ([`GpuEd25519Verifier`]), in dispatches of at most
//! [`GpuBackendConfig::batch`] items spread over [`GpuBackendConfig::in_flight`] verifiers (each its own
//! device queue and pipeline, so that many batches are in flight at once): a call larger than one dispatch is
//! split over the verifiers; calls of one dispatch each (the pipeline's sigverify threads) take the verifiers
//! in turn (round-robin). Each verifier also overlaps concurrent calls on its own device (dispatch slots).
//!
//! BLS12-381 ([`GpuBls`], built on first BLS use so Ed25519-only users never compile it): `aggregate_g1`,
//! `aggregate_g2` and `subgroup_check_g2` run on the GPU, with the host doing blst decompression of
//! signatures, the length/encoding checks (so errors are exactly `cpu-batch`'s) and the final sum of the
//! GPU's partial sums. `verify_bls_same_message` and `verify_bls_aggregate` are pairings: they are
//! delegated to the CPU `cpu-batch` backend (blst). [`GpuBackend::description`] says all of this.
//!
//! Nothing falls back to the CPU silently: [`GpuStats`] counts the items the GPU verified, the items the
//! host rejected on their bytes alone, and the items a failed dispatch sent to the CPU (with the error).

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use hsbench_engine::crypto::{
    BlsItem, BlsPublicKey, CpuBackendKind, CryptoError, Ed25519Item, VerifyBackend, cpu_backend,
};

use blst::min_pk::{PublicKey, Signature};

use crate::bls12_381::{BlsTimings, GpuBls};
use crate::{AdapterReport, Ed25519GpuItem, Ed25519KernelOptions, GpuEd25519Verifier, GpuError, GpuTimings};

/// The engine's name for an aggregate public key (its `CryptoError`s carry it; ours must be identical).
const WHAT_AGG_PK: &str = "BLS aggregate public key";

/// How the `gpu` backend dispatches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GpuBackendConfig {
    /// Most items per GPU dispatch (larger calls are split); at least 1.
    pub batch: usize,
    /// Verifiers (devices + pipelines); at least 1. A call larger than `batch` is split over them, each fed
    /// from its own thread; calls of one dispatch take them in turn. Each verifier also overlaps concurrent
    /// calls on its own dispatch slots (at most four), so up to `4 × in_flight` dispatches are in flight.
    pub in_flight: usize,
    /// Case-insensitive adapter name substring (`None`: `WGPU_ADAPTER_NAME`, then the most GPU-like).
    pub adapter: Option<String>,
    /// How each verifier's Ed25519 kernel is built (workgroup size, where the challenge is computed).
    pub kernel: Ed25519KernelOptions,
}

impl Default for GpuBackendConfig {
    fn default() -> Self {
        Self { batch: 16_384, in_flight: 1, adapter: None, kernel: Ed25519KernelOptions::default() }
    }
}

/// What ran where, since the backend was built (or last [`GpuBackend::reset_stats`]). Result files carry it per
/// gpu cell; reading one back, a field a file lacks is zero.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct GpuStats {
    /// GPU dispatches that completed.
    pub gpu_dispatches: u64,
    /// Ed25519 items whose verdict the GPU computed.
    pub gpu_items: u64,
    /// Ed25519 items the host rejected on their bytes (non-canonical `A`/`R`, `S ≥ L`): no GPU work needed.
    pub host_rejected_items: u64,
    /// Ed25519 items verified on the CPU because a dispatch failed (0 in a healthy run).
    pub cpu_fallback_items: u64,
    /// BLS points (keys, signatures) aggregated or subgroup-checked on the GPU.
    pub bls_gpu_items: u64,
    /// BLS GPU dispatches that completed.
    pub bls_gpu_dispatches: u64,
    /// BLS signatures that failed host decoding (length, encoding, not on the curve): no GPU work needed.
    pub bls_host_rejected_items: u64,
    /// BLS items of the pairing checks (`verify_bls_same_message`, `verify_bls_aggregate`: signatures or
    /// keys) handed to the CPU `cpu-batch` backend by design: pairings run on the CPU.
    pub bls_cpu_items: u64,
    /// BLS points handled on the CPU because the BLS kernels could not be built or a dispatch failed
    /// (0 in a healthy run).
    pub bls_cpu_fallback_items: u64,
    /// Host time of the BLS GPU calls spent decompressing signatures (blst), µs.
    pub bls_decompress_us: u64,
    /// Wall time of the BLS GPU calls, host work included, µs (so `bls_decompress_us / bls_gpu_call_us`
    /// is decompression's share).
    pub bls_gpu_call_us: u64,
    /// Ed25519 dispatches per verifier (index = verifier, `in_flight` of them): how calls spread.
    pub verifier_dispatches: Vec<u64>,
    /// Most Ed25519 dispatches in flight at once on one verifier (its dispatch slots taken at the same time):
    /// above 1, calls on one device overlapped.
    pub max_in_flight_per_verifier: u64,
    /// Ed25519 per-dispatch phases, summed over the calls that reached the GPU, µs of the calling threads'
    /// wall clock (concurrent calls overlap, so these may add up to more than the cell's wall time). Host:
    /// byte checks and packing, and `k = SHA-512(R ‖ A ‖ M) mod L` unless the kernel computes it.
    pub ed25519_host_us: u64,
    /// Waiting for a free dispatch slot of a verifier (all of its slots busy).
    pub ed25519_slot_wait_us: u64,
    /// Writing the items to the device, encoding and submitting the one command buffer of each dispatch.
    pub ed25519_upload_us: u64,
    /// Submit until the dispatch's own submission completed: device time as the host sees it, queueing behind
    /// other submissions and the driver's first-call JIT included.
    pub ed25519_compute_us: u64,
    /// Collecting the map callback and copying the verdicts out.
    pub ed25519_readback_us: u64,
    /// The kernels' compute passes on the GPU clock (timestamp queries), when the adapter has them.
    pub ed25519_kernel_gpu_us: Option<u64>,
    /// On a CPU-emulated adapter (lavapipe): CPU time of the driver's threads (its compute pool, rasterizer
    /// and shader-cache threads, for every device the backend opened), ms — the emulated GPU's work, which
    /// no pipeline stage's thread CPU time includes; 10 ms resolution (clock ticks). `None` on a real GPU.
    pub driver_cpu_ms: Option<u64>,
    /// The last dispatch error, when one happened.
    pub last_error: Option<String>,
}

impl GpuStats {
    /// The Ed25519 dispatch phases per item verified on the device, µs: host share, upload, compute (as the host
    /// waited for it), readback; `None` when no item reached the device.
    pub fn ed25519_phases_us_per_item(&self) -> Option<[f64; 4]> {
        let items = self.gpu_items as f64;
        (self.gpu_items > 0).then(|| {
            [self.ed25519_host_us, self.ed25519_upload_us, self.ed25519_compute_us, self.ed25519_readback_us]
                .map(|us| us as f64 / items)
        })
    }
}

#[derive(Default)]
struct Counters {
    gpu_dispatches: AtomicU64,
    gpu_items: AtomicU64,
    host_rejected_items: AtomicU64,
    cpu_fallback_items: AtomicU64,
    bls_gpu_items: AtomicU64,
    bls_gpu_dispatches: AtomicU64,
    bls_host_rejected_items: AtomicU64,
    bls_cpu_items: AtomicU64,
    bls_cpu_fallback_items: AtomicU64,
    bls_decompress_us: AtomicU64,
    bls_gpu_call_us: AtomicU64,
    ed25519_host_us: AtomicU64,
    ed25519_slot_wait_us: AtomicU64,
    ed25519_upload_us: AtomicU64,
    ed25519_compute_us: AtomicU64,
    ed25519_readback_us: AtomicU64,
    ed25519_kernel_gpu_us: AtomicU64,
    last_error: Mutex<Option<String>>,
}

impl Counters {
    fn add(counter: &AtomicU64, n: usize) {
        counter.fetch_add(n as u64, Ordering::Relaxed);
    }

    fn all(&self) -> [&AtomicU64; 17] {
        [
            &self.gpu_dispatches,
            &self.gpu_items,
            &self.host_rejected_items,
            &self.cpu_fallback_items,
            &self.bls_gpu_items,
            &self.bls_gpu_dispatches,
            &self.bls_host_rejected_items,
            &self.bls_cpu_items,
            &self.bls_cpu_fallback_items,
            &self.bls_decompress_us,
            &self.bls_gpu_call_us,
            &self.ed25519_host_us,
            &self.ed25519_slot_wait_us,
            &self.ed25519_upload_us,
            &self.ed25519_compute_us,
            &self.ed25519_readback_us,
            &self.ed25519_kernel_gpu_us,
        ]
    }

    /// Adds `ms` milliseconds to a µs counter.
    fn add_ms(counter: &AtomicU64, ms: f64) {
        counter.fetch_add((ms * 1e3) as u64, Ordering::Relaxed);
    }

    /// Counts a completed Ed25519 call's phases.
    fn ed25519_done(&self, t: &GpuTimings) {
        Self::add_ms(&self.ed25519_host_us, t.host_ms);
        Self::add_ms(&self.ed25519_slot_wait_us, t.slot_wait_ms);
        Self::add_ms(&self.ed25519_upload_us, t.upload_ms);
        Self::add_ms(&self.ed25519_compute_us, t.compute_ms);
        Self::add_ms(&self.ed25519_readback_us, t.readback_ms);
        Self::add_ms(&self.ed25519_kernel_gpu_us, t.kernel_gpu_ms.unwrap_or(0.0));
    }

    fn error(&self, e: &str) {
        if let Ok(mut last) = self.last_error.lock() {
            *last = Some(e.to_string());
        }
    }

    /// Counts a completed BLS GPU call.
    fn bls_done(&self, t: &BlsTimings) {
        Self::add(&self.bls_gpu_items, t.gpu_items);
        Self::add(&self.bls_host_rejected_items, t.items - t.gpu_items);
        Self::add(&self.bls_gpu_dispatches, t.dispatches);
        self.bls_decompress_us.fetch_add((t.decompress_ms * 1e3) as u64, Ordering::Relaxed);
        self.bls_gpu_call_us.fetch_add((t.total_ms() * 1e3) as u64, Ordering::Relaxed);
    }

    /// Counts `n` BLS points sent to the CPU after `e`.
    fn bls_fallback(&self, n: usize, e: &str) {
        Self::add(&self.bls_cpu_fallback_items, n);
        self.error(e);
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

/// The `gpu` backend: Ed25519, BLS aggregation and G2 subgroup checks on the GPU; BLS pairings on the CPU
/// (`cpu-batch`).
pub struct GpuBackend {
    verifiers: Vec<GpuEd25519Verifier>,
    /// Ed25519 dispatches per verifier since the last reset.
    verifier_dispatches: Vec<AtomicU64>,
    /// The verifier the next single-dispatch call starts from (round-robin).
    next_verifier: AtomicUsize,
    /// The driver threads' CPU time at build or the last reset, µs (CPU-emulated adapters).
    driver_cpu_base_us: AtomicU64,
    /// The BLS kernels, compiled on first BLS use (the error text if that failed).
    bls: OnceLock<Result<GpuBls, String>>,
    adapter_filter: Option<String>,
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
            .map(|_| GpuEd25519Verifier::with_options(config.adapter.as_deref(), config.kernel))
            .collect::<Result<Vec<_>, _>>()?;
        let adapter = verifiers[0].adapter();
        let description = format!(
            "gpu: Ed25519 on {} [{}], workgroup {} ({}), k = SHA-512 mod L on the {}, batch {} × {} in flight; BLS G1/G2 aggregation and G2 subgroup checks on \
             the GPU (signature decompression and the sum of the GPU's partial sums on the host, blst); pairing \
             verification: BLS on cpu-batch (CPU)",
            adapter.summary(),
            device_label(adapter),
            verifiers[0].workgroup(),
            if config.kernel.workgroup.is_some() { "configured" } else { "per adapter" },
            if config.kernel.hash_on_device { "device (messages ≤ 192 bytes)" } else { "host" },
            config.batch.max(1),
            in_flight
        );
        let backend = Self {
            verifier_dispatches: verifiers.iter().map(|_| AtomicU64::new(0)).collect(),
            next_verifier: AtomicUsize::new(0),
            driver_cpu_base_us: AtomicU64::new(0),
            verifiers,
            bls: OnceLock::new(),
            adapter_filter: config.adapter.clone(),
            cpu: cpu_backend(CpuBackendKind::CpuBatch),
            batch: config.batch.max(1),
            description,
            counters: Counters::default(),
        };
        backend.reset_stats();
        Ok(backend)
    }

    /// CPU time of the driver threads of every device this backend opened (verifiers, BLS kernels once
    /// built), ms; `None` unless the adapter is CPU-emulated.
    fn driver_cpu_ms(&self) -> Option<f64> {
        let bls = self.bls.get().and_then(|b| b.as_ref().ok()).and_then(GpuBls::driver_cpu_ms);
        let verifiers = self.verifiers.iter().map(GpuEd25519Verifier::driver_cpu_ms).sum::<Option<f64>>()?;
        Some(verifiers + bls.unwrap_or(0.0))
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
            bls_gpu_items: load(&c.bls_gpu_items),
            bls_gpu_dispatches: load(&c.bls_gpu_dispatches),
            bls_host_rejected_items: load(&c.bls_host_rejected_items),
            bls_cpu_items: load(&c.bls_cpu_items),
            bls_cpu_fallback_items: load(&c.bls_cpu_fallback_items),
            bls_decompress_us: load(&c.bls_decompress_us),
            bls_gpu_call_us: load(&c.bls_gpu_call_us),
            verifier_dispatches: self.verifier_dispatches.iter().map(load).collect(),
            max_in_flight_per_verifier: self.verifiers.iter().map(|v| v.slot_high_water() as u64).max().unwrap_or(0),
            ed25519_host_us: load(&c.ed25519_host_us),
            ed25519_slot_wait_us: load(&c.ed25519_slot_wait_us),
            ed25519_upload_us: load(&c.ed25519_upload_us),
            ed25519_compute_us: load(&c.ed25519_compute_us),
            ed25519_readback_us: load(&c.ed25519_readback_us),
            ed25519_kernel_gpu_us: self.adapter().timestamp_query.then(|| load(&c.ed25519_kernel_gpu_us)),
            driver_cpu_ms: self
                .driver_cpu_ms()
                .map(|ms| ((ms * 1e3) as u64).saturating_sub(load(&self.driver_cpu_base_us)) / 1000),
            last_error: c.last_error.lock().map(|e| e.clone()).unwrap_or_default(),
        }
    }

    /// Zeroes the counters (between sweep cells).
    pub fn reset_stats(&self) {
        let c = &self.counters;
        for a in c.all().into_iter().chain(&self.verifier_dispatches) {
            a.store(0, Ordering::Relaxed);
        }
        for v in &self.verifiers {
            v.reset_slot_high_water();
        }
        self.driver_cpu_base_us.store(self.driver_cpu_ms().map_or(0, |ms| (ms * 1e3) as u64), Ordering::Relaxed);
        if let Ok(mut e) = c.last_error.lock() {
            *e = None;
        }
    }

    /// The BLS kernels, compiling them on first use.
    fn bls(&self) -> Result<&GpuBls, String> {
        self.bls
            .get_or_init(|| GpuBls::new(self.adapter_filter.as_deref()).map_err(|e| format!("BLS kernels: {e}")))
            .as_ref()
            .map_err(Clone::clone)
    }

    /// `aggregate_g1` on the GPU: `Err` (the GPU failure) sends the caller to the CPU.
    fn aggregate_g1_gpu(&self, public_keys: &[&BlsPublicKey]) -> Result<Result<BlsPublicKey, CryptoError>, String> {
        let bls = self.bls()?;
        let keys: Vec<&PublicKey> = public_keys.iter().map(|k| k.as_blst()).collect();
        let (sum, t) = bls.aggregate_g1(&keys).map_err(|e| e.to_string())?;
        let Some(sum) = sum else {
            self.counters.bls_done(&t);
            return Ok(Err(CryptoError::IdentityPoint { what: WHAT_AGG_PK }));
        };
        // The sum of validated keys is a subgroup element; re-validating it (decompression and subgroup
        // check by blst, host) is how a key is built outside the engine, and catches a faulty kernel.
        let key = BlsPublicKey::from_bytes_without_pop(&sum.compress())
            .map_err(|e| format!("BLS GPU aggregate public key rejected: {e}"))?;
        self.counters.bls_done(&t);
        Ok(Ok(key))
    }

    /// `aggregate_g2` on the GPU after the engine's decoding rules.
    fn aggregate_g2_gpu(&self, signatures: &[&[u8]]) -> Result<Result<[u8; 96], CryptoError>, String> {
        let mut t = BlsTimings { items: signatures.len(), ..Default::default() };
        let sigs = match GpuBls::decompress(signatures, &mut t).into_iter().collect::<Result<Vec<_>, _>>() {
            Ok(sigs) => sigs,
            Err(e) => return Ok(Err(e)),
        };
        let bls = self.bls()?;
        let sum = bls.aggregate_g2(&sigs, &mut t).map_err(|e| e.to_string())?;
        self.counters.bls_done(&t);
        Ok(Ok(sum))
    }

    /// `subgroup_check_g2` on the GPU for one dispatch-sized chunk.
    fn subgroup_check_gpu(&self, signatures: &[&[u8]]) -> Result<Vec<bool>, String> {
        let bls = self.bls()?;
        let mut t = BlsTimings { items: signatures.len(), ..Default::default() };
        let decoded: Vec<Option<Signature>> =
            GpuBls::decompress(signatures, &mut t).into_iter().map(Result::ok).collect();
        let points: Vec<&Signature> = decoded.iter().flatten().collect();
        let gpu = bls.subgroup_check_g2(&points, &mut t).map_err(|e| e.to_string())?;
        let mut gpu = gpu.into_iter();
        let verdicts = decoded.iter().map(|d| d.is_some() && gpu.next().unwrap_or(false)).collect();
        self.counters.bls_done(&t);
        Ok(verdicts)
    }

    /// Verdicts of one dispatch-sized chunk on verifier `k`; a failed dispatch is verified on the CPU and
    /// counted as such.
    fn verify_chunk(&self, k: usize, items: &[Ed25519Item<'_>]) -> Vec<bool> {
        let gpu_items: Vec<Ed25519GpuItem<'_>> =
            items.iter().map(|it| (*it.public_key, it.message, *it.signature)).collect();
        let Some(verifier) = self.verifiers.get(k) else {
            // Unreachable: `k` is always taken modulo the verifiers. Counted as a fallback, never a panic.
            Counters::add(&self.counters.cpu_fallback_items, items.len());
            self.counters.error(&format!("no verifier {k}"));
            return self.cpu.verify_ed25519_batch(items);
        };
        match verifier.verify_batch(&gpu_items) {
            Ok((verdicts, timings)) => {
                let c = &self.counters;
                if timings.gpu_items > 0 {
                    Counters::add(&c.gpu_dispatches, 1);
                    if let Some(n) = self.verifier_dispatches.get(k) {
                        Counters::add(n, 1);
                    }
                    c.ed25519_done(&timings);
                }
                Counters::add(&c.gpu_items, timings.gpu_items);
                Counters::add(&c.host_rejected_items, timings.items - timings.gpu_items);
                verdicts
            }
            Err(e) => {
                Counters::add(&self.counters.cpu_fallback_items, items.len());
                self.counters.error(&e.to_string());
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
            // One dispatch (or one verifier): the next verifier in turn, so that concurrent callers — the
            // pipeline's sigverify threads, one batch each — spread over all of them.
            let k = self.next_verifier.fetch_add(1, Ordering::Relaxed) % self.verifiers.len();
            return chunks.iter().flat_map(|chunk| self.verify_chunk(k, chunk)).collect();
        }
        // Verifier k takes chunks k, k + depth, ...; results are put back in input order.
        let mut per_chunk: Vec<Vec<bool>> = vec![Vec::new(); chunks.len()];
        std::thread::scope(|scope| {
            let handles: Vec<_> = (0..depth)
                .map(|k| {
                    let chunks = &chunks;
                    scope.spawn(move || {
                        (k..chunks.len())
                            .step_by(depth)
                            .map(|i| (i, self.verify_chunk(k, chunks[i])))
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
        if signatures.is_empty() {
            return self.cpu.aggregate_g2(signatures); // the engine's EmptyAggregate error, no work
        }
        self.aggregate_g2_gpu(signatures).unwrap_or_else(|e| {
            self.counters.bls_fallback(signatures.len(), &e);
            self.cpu.aggregate_g2(signatures)
        })
    }

    fn aggregate_g1(&self, public_keys: &[&BlsPublicKey]) -> Result<BlsPublicKey, CryptoError> {
        if public_keys.is_empty() {
            return self.cpu.aggregate_g1(public_keys); // the engine's EmptyAggregate error, no work
        }
        self.aggregate_g1_gpu(public_keys).unwrap_or_else(|e| {
            self.counters.bls_fallback(public_keys.len(), &e);
            self.cpu.aggregate_g1(public_keys)
        })
    }

    fn subgroup_check_g2(&self, signatures: &[&[u8]]) -> Vec<bool> {
        signatures
            .chunks(self.batch)
            .flat_map(|chunk| {
                self.subgroup_check_gpu(chunk).unwrap_or_else(|e| {
                    self.counters.bls_fallback(chunk.len(), &e);
                    self.cpu.subgroup_check_g2(chunk)
                })
            })
            .collect()
    }
}
