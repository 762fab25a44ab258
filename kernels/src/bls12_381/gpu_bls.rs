//! [`GpuBls`]: the three BLS12-381 kernels on one device — G1 and G2 segment sums (aggregation) and the
//! G2 subgroup check — with the host work around them (blst decompression, limb packing, adding the
//! segment partials) timed separately.

use std::time::Instant;

use blst::min_pk::{AggregatePublicKey, AggregateSignature, PublicKey, Signature};
use hsbench_engine::crypto::{CryptoError, WHAT_SIG, decode_signature_unchecked};

use super::curve::{KernelProgram, g1_sum_program, g2_subgroup_program, g2_sum_program};
use super::host::{g1_words, g2_words, push_identity, serialize_affine};
use super::wgsl::{Layout, Output, shader};
use crate::gpu::{Gpu, Kernel, RunTimings, ms};
use crate::{AdapterReport, GpuError};

/// Points one thread of an aggregation kernel sums (the host adds the per-thread partials).
pub const POINTS_PER_THREAD: u32 = 8;

/// Most input words one dispatch uploads (32 MiB: inside every adapter's storage-binding limit).
pub const MAX_DISPATCH_WORDS: usize = 8 << 20;

/// Where the time of one BLS GPU call went (host wall clock, ms).
#[derive(Debug, Clone, Copy, Default, serde::Serialize)]
pub struct BlsTimings {
    /// Points (keys or signatures) in the call.
    pub items: usize,
    /// Points that went to the GPU (the rest failed to decode on the host).
    pub gpu_items: usize,
    /// GPU dispatches (a call is split into dispatches of at most [`MAX_DISPATCH_WORDS`] input words).
    pub dispatches: usize,
    /// Host: decoding signatures by blst — a square root in Fp2 and the on-curve check for a compressed one, the
    /// on-curve check for an uncompressed one (votes); 0 for G1 keys, which arrive decoded.
    pub decompress_ms: f64,
    /// Host: serialising the affine points and packing them into 13-bit limbs.
    pub pack_ms: f64,
    /// Waiting for a free dispatch slot of the kernel (0 unless concurrent calls had taken all of them).
    pub slot_wait_ms: f64,
    /// Writing the words to the GPU, encoding and submitting the dispatch (one submission per dispatch).
    pub upload_ms: f64,
    /// Submit until the dispatch's own submission completed, as the host sees it (the first call includes the
    /// driver's JIT).
    pub compute_ms: f64,
    /// Copying the mapped results out.
    pub readback_ms: f64,
    /// Host: parsing the partial sums (blst's on-curve check) and adding them with blst.
    pub finish_ms: f64,
    /// Kernel time on the GPU clock, when the adapter has timestamp queries.
    pub kernel_gpu_ms: Option<f64>,
}

impl BlsTimings {
    /// Adds one dispatch's phases.
    fn record(&mut self, run: &RunTimings) {
        self.dispatches += 1;
        self.slot_wait_ms += run.slot_wait_ms;
        self.upload_ms += run.upload_ms;
        self.compute_ms += run.compute_ms;
        self.readback_ms += run.readback_ms;
        self.kernel_gpu_ms = match (self.kernel_gpu_ms, run.kernel_gpu_ms) {
            (Some(a), Some(b)) => Some(a + b),
            (a, b) => a.or(b),
        };
    }

    /// Total wall time of the call.
    pub fn total_ms(&self) -> f64 {
        self.decompress_ms
            + self.pack_ms
            + self.slot_wait_ms
            + self.upload_ms
            + self.compute_ms
            + self.readback_ms
            + self.finish_ms
    }
}

/// How a signature decoded on the host: the point, or the engine's error for it (the engine's decoding rules, so
/// every backend gives the same verdicts and errors).
pub type Decoded = Result<Signature, CryptoError>;

struct Compiled {
    kernel: Kernel,
    layout: Layout,
}

impl Compiled {
    /// A kernel running `program` on the shared BLS `pipeline` (the layout lives in the table).
    fn new(
        gpu: &Gpu,
        pipeline: &wgpu::ComputePipeline,
        workgroup: u32,
        program: &KernelProgram,
        points: u32,
        output: Output,
    ) -> Result<Self, GpuError> {
        let layout = Layout::new(program, points, output);
        let kernel = Kernel::with_pipeline(
            gpu,
            pipeline.clone(),
            workgroup,
            Some(&layout.table),
            layout.in_words,
            layout.out_words,
        )?;
        Ok(Self { kernel, layout })
    }

    /// Runs `items` items (`words` = their input words) in dispatches of at most `max_words` input words
    /// (at least one item each), so a large batch stays inside the device's storage-binding limit.
    fn run(
        &self,
        gpu: &Gpu,
        words: &[u32],
        items: usize,
        max_words: usize,
        t: &mut BlsTimings,
    ) -> Result<Vec<u32>, GpuError> {
        let per_item = self.layout.in_words as usize;
        let chunk_items = (max_words / per_item).max(1);
        let mut out = Vec::with_capacity(items * self.layout.out_words as usize);
        for chunk in words.chunks(chunk_items * per_item) {
            let n = chunk.len() / per_item;
            let n32 = u32::try_from(n).map_err(|_| GpuError::Device {
                stage: "bls batch",
                message: format!("dispatch of {n} items exceeds u32"),
            })?;
            let (part, run) = self.kernel.run(gpu, chunk, n32)?;
            t.record(&run);
            out.extend(part);
        }
        if out.len() != items * self.layout.out_words as usize {
            return Err(GpuError::Readback {
                stage: "bls results",
                message: format!("{} words for {items} items of {} words", out.len(), self.layout.out_words),
            });
        }
        Ok(out)
    }
}

/// BLS12-381 on a GPU: G1/G2 aggregation (one thread sums [`POINTS_PER_THREAD`] points, blst adds the
/// partials) and batched G2 subgroup checks (one thread per signature, ψ(P) = `[z]P`). Decompression and
/// pairings stay on the host. [`GpuBls::new`] compiles one pipeline that all three kernels share (they run
/// the same shader with different tables); the driver JIT-compiles it at the first dispatch.
pub struct GpuBls {
    gpu: Gpu,
    g1_sum: Compiled,
    g2_sum: Compiled,
    g2_subgroup: Compiled,
    pipeline_ms: f64,
    max_dispatch_words: usize,
}

fn fault(stage: &'static str, message: String) -> GpuError {
    GpuError::Readback { stage, message }
}

impl GpuBls {
    /// Opens the adapter matching `name_filter` (see [`crate::select_adapter`]) and builds the three
    /// kernels on one compiled pipeline.
    pub fn new(name_filter: Option<&str>) -> Result<Self, GpuError> {
        let gpu = Gpu::open(name_filter, "hsbench bls12-381")?;
        let t = Instant::now();
        // The same per-adapter rule as the Ed25519 kernel (8 on lavapipe, 64 on NVIDIA, as before).
        let workgroup = gpu.report.default_workgroup();
        // One shader for all three kernels: the driver compiles (JITs) it once.
        let pipeline = gpu.pipeline("bls12-381", &shader(workgroup), "main")?;
        let kernel = |program: &KernelProgram, points, output| {
            Compiled::new(&gpu, &pipeline, workgroup, program, points, output)
        };
        let g1_sum = kernel(&g1_sum_program(), POINTS_PER_THREAD, Output::Registers)?;
        let g2_sum = kernel(&g2_sum_program(), POINTS_PER_THREAD, Output::Registers)?;
        let g2_subgroup = kernel(&g2_subgroup_program(), 1, Output::AllZero)?;
        Ok(Self {
            gpu,
            g1_sum,
            g2_sum,
            g2_subgroup,
            pipeline_ms: ms(t.elapsed()),
            max_dispatch_words: MAX_DISPATCH_WORDS,
        })
    }

    /// Caps the input words per dispatch at `words` instead of [`MAX_DISPATCH_WORDS`] (a device with a
    /// smaller storage-binding limit; tests exercise the split with it).
    pub fn with_max_dispatch_words(mut self, words: usize) -> Self {
        self.max_dispatch_words = words;
        self
    }

    /// The adapter in use.
    pub fn adapter(&self) -> &AdapterReport {
        &self.gpu.report
    }

    /// On a CPU-emulated adapter (lavapipe), the CPU time its driver threads for this device have used so far,
    /// ms; `None` on a real GPU.
    pub fn driver_cpu_ms(&self) -> Option<f64> {
        self.gpu.driver_cpu_ms()
    }

    /// Shader generation + pipeline creation time of the three kernels, ms.
    pub fn pipeline_ms(&self) -> f64 {
        self.pipeline_ms
    }

    /// Decodes signatures, compressed or uncompressed, by the engine's rules (timed into `t.decompress_ms`).
    pub fn decompress(signatures: &[&[u8]], t: &mut BlsTimings) -> Vec<Decoded> {
        let start = Instant::now();
        let out = signatures.iter().map(|s| decode_signature_unchecked(s, WHAT_SIG)).collect();
        t.decompress_ms += ms(start.elapsed());
        out
    }

    /// The sum of `keys` (`None`: the identity), summed on the GPU in segments.
    pub fn aggregate_g1(&self, keys: &[&PublicKey]) -> Result<(Option<PublicKey>, BlsTimings), GpuError> {
        let mut t = BlsTimings { items: keys.len(), gpu_items: keys.len(), ..Default::default() };
        let start = Instant::now();
        let mut words = Vec::with_capacity(keys.len().div_ceil(POINTS_PER_THREAD as usize) * 90 * 8);
        keys.iter().for_each(|k| g1_words(k, &mut words));
        let threads = pad(&mut words, keys.len(), 1);
        t.pack_ms = ms(start.elapsed());
        let out = self.g1_sum.run(&self.gpu, &words, threads, self.max_dispatch_words, &mut t)?;
        let start = Instant::now();
        let partials = out
            .chunks_exact(self.g1_sum.layout.out_words as usize)
            .map(|w| {
                let bytes = serialize_affine(w).ok_or_else(|| fault("g1 partial", "limb out of range".into()))?;
                PublicKey::deserialize(&bytes).map_err(|e| fault("g1 partial", format!("blst rejected it: {e:?}")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let refs: Vec<&PublicKey> = partials.iter().collect();
        let sum = AggregatePublicKey::aggregate(&refs, false)
            .map_err(|e| fault("g1 partial sum", format!("{e:?}")))?
            .to_public_key();
        t.finish_ms = ms(start.elapsed());
        let identity = sum.serialize()[0] & 0x40 != 0;
        Ok(((!identity).then_some(sum), t))
    }

    /// The compressed sum of decoded signatures, summed on the GPU in segments.
    pub fn aggregate_g2(&self, sigs: &[Signature], t: &mut BlsTimings) -> Result<[u8; 96], GpuError> {
        t.gpu_items = sigs.len();
        let start = Instant::now();
        let mut words = Vec::with_capacity(sigs.len().div_ceil(POINTS_PER_THREAD as usize) * 180 * 8);
        sigs.iter().for_each(|s| g2_words(s, &mut words));
        let threads = pad(&mut words, sigs.len(), 2);
        t.pack_ms = ms(start.elapsed());
        let out = self.g2_sum.run(&self.gpu, &words, threads, self.max_dispatch_words, t)?;
        let start = Instant::now();
        let partials = out
            .chunks_exact(self.g2_sum.layout.out_words as usize)
            .map(|w| {
                let bytes = serialize_affine(w).ok_or_else(|| fault("g2 partial", "limb out of range".into()))?;
                Signature::deserialize(&bytes).map_err(|e| fault("g2 partial", format!("blst rejected it: {e:?}")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let refs: Vec<&Signature> = partials.iter().collect();
        let sum = AggregateSignature::aggregate(&refs, false)
            .map_err(|e| fault("g2 partial sum", format!("{e:?}")))?
            .to_signature()
            .compress();
        t.finish_ms = ms(start.elapsed());
        Ok(sum)
    }

    /// Per decoded signature: in the order-r subgroup (the identity is)?
    pub fn subgroup_check_g2(&self, sigs: &[&Signature], t: &mut BlsTimings) -> Result<Vec<bool>, GpuError> {
        t.gpu_items = sigs.len();
        if sigs.is_empty() {
            return Ok(Vec::new());
        }
        let start = Instant::now();
        let mut words = Vec::with_capacity(sigs.len() * 180);
        sigs.iter().for_each(|s| g2_words(s, &mut words));
        t.pack_ms = ms(start.elapsed());
        let out = self.g2_subgroup.run(&self.gpu, &words, sigs.len(), self.max_dispatch_words, t)?;
        out.iter()
            .enumerate()
            .map(|(i, &w)| match w {
                0 => Ok(false),
                1 => Ok(true),
                other => Err(fault("g2 subgroup verdicts", format!("item {i}: kernel wrote {other:#x}"))),
            })
            .collect()
    }
}

/// Pads `words` (holding `points` points of `coords`-wide projective coordinates) with identities to a
/// whole number of threads; returns the thread count.
fn pad(words: &mut Vec<u32>, points: usize, coords: usize) -> usize {
    let per = POINTS_PER_THREAD as usize;
    let threads = points.div_ceil(per);
    for _ in points..threads * per {
        push_identity(coords, words);
    }
    threads
}
