//! One compiled kernel: a compute pipeline whose entry point reads `in_words` and writes `out_words` u32 words
//! per item, an optional read-only table shared by all its dispatches, and a pool of dispatch slots
//! ([`super::slots`]) — per-dispatch buffers that grow (powers of two) and are kept between calls — so calls
//! from several threads run concurrently. Running it is in [`super::dispatch`].

use wgpu::util::DeviceExt;

use super::device::{Gpu, scoped};
use super::slots::{MAX_SLOTS, Slot, SlotPool, Timestamps};
use crate::GpuError;

/// A compute pipeline whose entry point reads `in_words` and writes `out_words` per item.
pub(crate) struct Kernel {
    pub(super) pipeline: wgpu::ComputePipeline,
    pub(super) workgroup: u32,
    pub(super) in_words: u32,
    pub(super) out_words: u32,
    /// The read-only table (Ed25519's fixed-base table, a BLS kernel's programs), when the shader binds one
    /// (binding 0); shared by every slot.
    table: Option<wgpu::Buffer>,
    /// Each slot times its pass with timestamp queries (the device has them).
    timestamps: bool,
    /// The dispatch slots, taken one per dispatch, made on demand (at most [`MAX_SLOTS`]) and reused.
    pub(super) slots: SlotPool,
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
        let table = scoped(device, "kernel buffer setup", || {
            table.map(|t| {
                device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
                    label: Some("kernel table"),
                    contents: bytemuck::cast_slice(t),
                    usage: wgpu::BufferUsages::STORAGE,
                })
            })
        })?;
        Ok(Kernel {
            pipeline,
            workgroup,
            in_words,
            out_words,
            table,
            timestamps: gpu.timestamps,
            slots: SlotPool::new(MAX_SLOTS),
        })
    }

    /// Most dispatch slots taken at once since the kernel was built or [`Kernel::reset_slot_high_water`]:
    /// above one, calls on this kernel overlapped.
    pub fn slot_high_water(&self) -> usize {
        self.slots.high_water()
    }

    /// Restarts [`Kernel::slot_high_water`] (between measurement cells).
    pub fn reset_slot_high_water(&self) {
        self.slots.reset_high_water();
    }

    /// One dispatch slot for `capacity` items: its per-item buffers, params uniform and timestamp queries,
    /// bound to this kernel's pipeline and table.
    pub(super) fn allocate(&self, gpu: &Gpu, capacity: u32) -> Result<Slot, GpuError> {
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
            let params = buffer("kernel params", 16, wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST);
            let timestamps = self.timestamps.then(|| Timestamps {
                set: device.create_query_set(&wgpu::QuerySetDescriptor {
                    label: Some("kernel timestamps"),
                    ty: wgpu::QueryType::Timestamp,
                    count: 2,
                }),
                resolve: buffer(
                    "timestamp resolve",
                    16,
                    wgpu::BufferUsages::QUERY_RESOLVE | wgpu::BufferUsages::COPY_SRC,
                ),
                read: buffer("timestamp staging", 16, wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST),
            });
            let mut entries = vec![
                wgpu::BindGroupEntry { binding: 1, resource: items.as_entire_binding() },
                wgpu::BindGroupEntry { binding: 2, resource: out.as_entire_binding() },
                wgpu::BindGroupEntry { binding: 3, resource: params.as_entire_binding() },
            ];
            if let Some(t) = &self.table {
                entries.push(wgpu::BindGroupEntry { binding: 0, resource: t.as_entire_binding() });
            }
            let bind = device.create_bind_group(&wgpu::BindGroupDescriptor {
                label: Some("kernel"),
                layout: &self.pipeline.get_bind_group_layout(0),
                entries: &entries,
            });
            Slot { capacity, items, out, staging, params, timestamps, bind }
        })
    }
}
