//! One compiled kernel with reusable buffers: a compute pipeline whose entry point reads `in_words` and writes
//! `out_words` u32 words per item, an optional read-only table, and per-item buffers that grow (powers of two)
//! and are kept between calls; a mutex serialises calls on the same kernel. Running it is in
//! [`super::dispatch`].

use std::sync::Mutex;

use wgpu::util::DeviceExt;

use super::device::{Gpu, scoped};
use crate::GpuError;

/// The per-item buffers of a [`Kernel`], sized for `capacity` items, and their bind group.
pub(super) struct Buffers {
    pub capacity: u32,
    pub items: wgpu::Buffer,
    pub out: wgpu::Buffer,
    pub staging: wgpu::Buffer,
    pub bind: wgpu::BindGroup,
}

/// The query set of a [`Kernel`]'s pass timestamps and the buffers they are resolved and read through.
pub(super) struct Timestamps {
    pub set: wgpu::QuerySet,
    pub resolve: wgpu::Buffer,
    pub read: wgpu::Buffer,
}

/// A compute pipeline whose entry point reads `in_words` and writes `out_words` per item.
pub(crate) struct Kernel {
    pub(super) pipeline: wgpu::ComputePipeline,
    pub(super) workgroup: u32,
    pub(super) in_words: u32,
    pub(super) out_words: u32,
    /// The read-only table (Ed25519's fixed-base table, a BLS kernel's programs), when the shader binds one
    /// (binding 0).
    table: Option<wgpu::Buffer>,
    /// The uniform carrying the item count (binding 3).
    pub(super) params: wgpu::Buffer,
    pub(super) timestamps: Option<Timestamps>,
    /// The per-item buffers, grown on demand and reused; the lock serialises calls.
    pub(super) buffers: Mutex<Option<Buffers>>,
}

impl Kernel {
    /// Compiles `source` (entry `entry`, `@workgroup_size(workgroup)`) and uploads `table`.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        gpu: &Gpu,
        label: &'static str,
        source: &str,
        entry: &str,
        workgroup: u32,
        table: Option<&[u32]>,
        in_words: u32,
        out_words: u32,
    ) -> Result<Self, GpuError> {
        let pipeline = gpu.pipeline(label, source, entry)?;
        Self::with_pipeline(gpu, pipeline, workgroup, table, in_words, out_words)
    }

    /// A kernel on an already compiled `pipeline` (kernels that run the same shader with different tables
    /// share one pipeline, so the driver compiles it once).
    pub fn with_pipeline(
        gpu: &Gpu,
        pipeline: wgpu::ComputePipeline,
        workgroup: u32,
        table: Option<&[u32]>,
        in_words: u32,
        out_words: u32,
    ) -> Result<Self, GpuError> {
        let device = &gpu.device;
        scoped(device, "kernel buffer setup", || {
            let table = table.map(|t| {
                device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
                    label: Some("kernel table"),
                    contents: bytemuck::cast_slice(t),
                    usage: wgpu::BufferUsages::STORAGE,
                })
            });
            let params = device.create_buffer(&wgpu::BufferDescriptor {
                label: Some("kernel params"),
                size: 16,
                usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
                mapped_at_creation: false,
            });
            let timestamps = gpu.timestamps.then(|| Timestamps {
                set: device.create_query_set(&wgpu::QuerySetDescriptor {
                    label: Some("kernel timestamps"),
                    ty: wgpu::QueryType::Timestamp,
                    count: 2,
                }),
                resolve: device.create_buffer(&wgpu::BufferDescriptor {
                    label: Some("timestamp resolve"),
                    size: 16,
                    usage: wgpu::BufferUsages::QUERY_RESOLVE | wgpu::BufferUsages::COPY_SRC,
                    mapped_at_creation: false,
                }),
                read: device.create_buffer(&wgpu::BufferDescriptor {
                    label: Some("timestamp staging"),
                    size: 16,
                    usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
                    mapped_at_creation: false,
                }),
            });
            Kernel { pipeline, workgroup, in_words, out_words, table, params, timestamps, buffers: Mutex::new(None) }
        })
    }

    /// Per-item buffers for `capacity` items, bound to this kernel's pipeline.
    pub(super) fn allocate(&self, gpu: &Gpu, capacity: u32) -> Result<Buffers, GpuError> {
        let device = &gpu.device;
        let in_bytes = u64::from(capacity) * u64::from(self.in_words) * 4;
        let out_bytes = u64::from(capacity) * u64::from(self.out_words) * 4;
        scoped(device, "kernel buffer allocation", || {
            let buffer = |label, size, usage| {
                device.create_buffer(&wgpu::BufferDescriptor {
                    label: Some(label),
                    size,
                    usage,
                    mapped_at_creation: false,
                })
            };
            let items = buffer("kernel items", in_bytes, wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST);
            let out = buffer(
                "kernel out",
                out_bytes,
                wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC | wgpu::BufferUsages::COPY_DST,
            );
            let staging =
                buffer("kernel out staging", out_bytes, wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST);
            let mut entries = vec![
                wgpu::BindGroupEntry { binding: 1, resource: items.as_entire_binding() },
                wgpu::BindGroupEntry { binding: 2, resource: out.as_entire_binding() },
                wgpu::BindGroupEntry { binding: 3, resource: self.params.as_entire_binding() },
            ];
            if let Some(t) = &self.table {
                entries.push(wgpu::BindGroupEntry { binding: 0, resource: t.as_entire_binding() });
            }
            let bind = device.create_bind_group(&wgpu::BindGroupDescriptor {
                label: Some("kernel"),
                layout: &self.pipeline.get_bind_group_layout(0),
                entries: &entries,
            });
            Buffers { capacity, items, out, staging, bind }
        })
    }
}
