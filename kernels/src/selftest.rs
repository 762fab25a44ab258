//! A small real compute round trip: create a device, compile a WGSL kernel, dispatch, read back, and
//! check against the CPU. Proves the driver stack works before any real kernel is trusted.

use std::time::Instant;

use wgpu::util::DeviceExt;

use crate::GpuError;
use crate::gpu::{Gpu, ms, read_back, scoped, timestamp_ms, wait, words};
use crate::probe::AdapterReport;

/// Elements processed: 2^16 u32 (256 KiB per buffer), 1024 workgroups of 64.
const ELEMENTS: u32 = 1 << 16;
const WORKGROUP: u32 = 64;

/// Per element: `out = a * b + (a ^ (i * 0x9e3779b9))`, all wrapping u32 arithmetic.
const SHADER: &str = r#"
@group(0) @binding(0) var<storage, read> a: array<u32>;
@group(0) @binding(1) var<storage, read> b: array<u32>;
@group(0) @binding(2) var<storage, read_write> out: array<u32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = gid.x;
    if (i >= arrayLength(&out)) {
        return;
    }
    out[i] = a[i] * b[i] + (a[i] ^ (i * 0x9e3779b9u));
}
"#;

fn reference(i: u32, a: u32, b: u32) -> u32 {
    a.wrapping_mul(b).wrapping_add(a ^ i.wrapping_mul(0x9e37_79b9))
}

/// Deterministic test inputs (splitmix64), so a failure reproduces.
fn inputs(n: u32) -> (Vec<u32>, Vec<u32>) {
    let mut state = 0x5eed_cafe_f00d_u64;
    let mut next = move || {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    };
    (0..n)
        .map(|_| {
            let v = next();
            (v as u32, (v >> 32) as u32)
        })
        .unzip()
}

/// What [`self_test`] measured. Times are wall-clock milliseconds on the host.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SelfTestReport {
    /// The adapter that ran it.
    pub adapter: AdapterReport,
    /// Elements computed and checked.
    pub elements: u32,
    /// `request_device` (with the adapter's full limits).
    pub device_ms: f64,
    /// WGSL shader module + compute pipeline creation.
    pub pipeline_ms: f64,
    /// First submit (upload already done) until results are read back. Includes the driver's JIT:
    /// lavapipe compiles at first dispatch, not at pipeline creation (Mesa's disk cache removes that
    /// cost on later runs; set `MESA_SHADER_CACHE_DISABLE=true` to measure it cold).
    pub first_dispatch_readback_ms: f64,
    /// The same round trip again, warm.
    pub dispatch_readback_ms: f64,
    /// Kernel time on the GPU clock for the warm run (timestamp queries), when the adapter has them.
    pub kernel_gpu_ms: Option<f64>,
}

/// Runs [`self_test_on`] on the adapter [`crate::select_adapter`] picks with no explicit filter
/// (`WGPU_BACKEND`, `WGPU_ADAPTER_NAME` apply).
pub fn self_test() -> Result<SelfTestReport, GpuError> {
    self_test_on(None)
}

/// End-to-end compute smoke test on the adapter matching `name_filter`: a u32 multiply-add over
/// 2^16 elements, checked element by element against the CPU, run twice (cold, warm). Every wait is
/// bounded, so it fails with [`GpuError::Timeout`] instead of hanging.
pub fn self_test_on(name_filter: Option<&str>) -> Result<SelfTestReport, GpuError> {
    let gpu = Gpu::open(name_filter, "hsbench self-test")?;
    let (device, queue, timestamps) = (&gpu.device, &gpu.queue, gpu.timestamps);
    let device_ms = gpu.device_ms;

    let t = Instant::now();
    let pipeline = gpu.pipeline("self-test mul-add", SHADER, "main")?;
    let pipeline_ms = ms(t.elapsed());

    let (a, b) = inputs(ELEMENTS);
    let bytes = u64::from(ELEMENTS) * 4;
    let (bind_group, out_buf, staging, timing) = scoped(device, "buffer setup", || {
        let storage = |label, data: &[u32]| {
            device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
                label: Some(label),
                contents: bytemuck::cast_slice(data),
                usage: wgpu::BufferUsages::STORAGE,
            })
        };
        let a_buf = storage("a", &a);
        let b_buf = storage("b", &b);
        let out_buf = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("out"),
            size: bytes,
            usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let staging = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("out staging"),
            size: bytes,
            usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let bind_group = device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("self-test"),
            layout: &pipeline.get_bind_group_layout(0),
            entries: &[
                wgpu::BindGroupEntry { binding: 0, resource: a_buf.as_entire_binding() },
                wgpu::BindGroupEntry { binding: 1, resource: b_buf.as_entire_binding() },
                wgpu::BindGroupEntry { binding: 2, resource: out_buf.as_entire_binding() },
            ],
        });
        let timing = timestamps.then(|| {
            let set = device.create_query_set(&wgpu::QuerySetDescriptor {
                label: Some("self-test timestamps"),
                ty: wgpu::QueryType::Timestamp,
                count: 2,
            });
            let resolve = device.create_buffer(&wgpu::BufferDescriptor {
                label: Some("timestamp resolve"),
                size: 16,
                usage: wgpu::BufferUsages::QUERY_RESOLVE | wgpu::BufferUsages::COPY_SRC,
                mapped_at_creation: false,
            });
            let read = device.create_buffer(&wgpu::BufferDescriptor {
                label: Some("timestamp staging"),
                size: 16,
                usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
                mapped_at_creation: false,
            });
            (set, resolve, read)
        });
        (bind_group, out_buf, staging, timing)
    })?;
    // Make sure the uploads are done before timing the dispatch.
    queue.submit([]);
    wait(device, "upload")?;

    let run = |stage: &'static str| -> Result<(f64, Option<f64>), GpuError> {
        let t = Instant::now();
        scoped(device, stage, || {
            let mut enc = device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some(stage) });
            // Stale results from a previous run must not pass the check.
            enc.clear_buffer(&out_buf, 0, None);
            {
                let mut pass = enc.begin_compute_pass(&wgpu::ComputePassDescriptor {
                    label: Some(stage),
                    timestamp_writes: timing.as_ref().map(|(set, _, _)| wgpu::ComputePassTimestampWrites {
                        query_set: set,
                        beginning_of_pass_write_index: Some(0),
                        end_of_pass_write_index: Some(1),
                    }),
                });
                pass.set_pipeline(&pipeline);
                pass.set_bind_group(0, &bind_group, &[]);
                pass.dispatch_workgroups(ELEMENTS.div_ceil(WORKGROUP), 1, 1);
            }
            enc.copy_buffer_to_buffer(&out_buf, 0, &staging, 0, bytes);
            if let Some((set, resolve, read)) = &timing {
                enc.resolve_query_set(set, 0..2, resolve, 0);
                enc.copy_buffer_to_buffer(resolve, 0, read, 0, 16);
            }
            queue.submit([enc.finish()]);
        })?;
        let mut to_read = vec![(&staging, bytes)];
        if let Some((_, _, read)) = &timing {
            to_read.push((read, 16));
        }
        let data = read_back(device, &to_read, stage)?;
        let elapsed = ms(t.elapsed());

        // Mapped copies are plain `Vec<u8>` (no alignment guarantee): decode, don't cast.
        let got = words(&data[0]);
        for (i, ((&g, &x), &y)) in got.iter().zip(&a).zip(&b).enumerate() {
            let expected = reference(i as u32, x, y);
            if g != expected {
                return Err(GpuError::Mismatch { index: i, got: g, expected });
            }
        }
        let gpu_ms = data.get(1).and_then(|raw| timestamp_ms(raw, queue.get_timestamp_period()));
        Ok((elapsed, gpu_ms))
    };

    let (first_dispatch_readback_ms, _) = run("first dispatch")?;
    let (dispatch_readback_ms, kernel_gpu_ms) = run("warm dispatch")?;

    Ok(SelfTestReport {
        adapter: gpu.report.clone(),
        elements: ELEMENTS,
        device_ms,
        pipeline_ms,
        first_dispatch_readback_ms,
        dispatch_readback_ms,
        kernel_gpu_ms,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_wraps() {
        assert_eq!(reference(0, 3, 5), 15 + 3);
        assert_eq!(reference(1, u32::MAX, 2), u32::MAX.wrapping_mul(2).wrapping_add(u32::MAX ^ 0x9e37_79b9));
    }

    #[test]
    fn inputs_are_deterministic() {
        assert_eq!(inputs(8), inputs(8));
        let (a, b) = inputs(1024);
        assert_ne!(a, b);
    }
}
