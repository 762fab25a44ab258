//! Running a [`Kernel`]: upload per-item input words, dispatch one thread per item, read per-item output
//! words back, timing each phase; calls larger than the device allows are split into dispatches that fit.
//!
//! Each dispatch takes a slot of the kernel's pool (its own buffers), writes its inputs, submits one command
//! buffer (clear, dispatch, copy to staging, timestamp resolve), maps the staging buffers and waits for that
//! submission only: several threads on one kernel overlap one's upload and host work with another's compute
//! and readback.

use std::time::Instant;

use super::device::{Gpu, scoped};
use super::kernel::Kernel;
use super::readback::{map_for_read, wait_for, words};
use super::timings::{RunTimings, ms, timestamp_ms};
use crate::GpuError;

/// Most items one dispatch may carry on a device with `max_workgroups` per dimension and `max_binding` bytes per
/// storage binding, for a kernel of `workgroup` threads per group and `words` u32 words per item (the larger of
/// input and output): never fewer than one workgroup. Buffers grow to the next power of two, so the binding bound
/// is rounded down to one.
pub(crate) fn max_items(max_workgroups: u32, max_binding: u64, workgroup: u32, words: u32) -> u32 {
    let by_groups = u64::from(max_workgroups) * u64::from(workgroup);
    let by_binding = max_binding / (u64::from(words.max(1)) * 4);
    let by_binding = if by_binding.is_power_of_two() { by_binding } else { by_binding.next_power_of_two() / 2 };
    by_groups.min(by_binding).clamp(u64::from(workgroup.max(1)), u64::from(u32::MAX)) as u32
}

impl Kernel {
    /// Runs the kernel on `n` items whose input words are `input` (`n * in_words` words) and returns
    /// `n * out_words` output words, with the phases of [`RunTimings`] (compute includes the driver's JIT on
    /// the first call). Safe to call from several threads at once: each dispatch has its own slot and waits
    /// for its own submission only.
    ///
    /// Calls larger than the device allows — more workgroups than `max_compute_workgroups_per_dimension`, or a
    /// buffer over `max_storage_buffer_binding_size` — are split into dispatches that fit, run one after another;
    /// the timings are summed.
    pub fn run(&self, gpu: &Gpu, input: &[u32], n: u32) -> Result<(Vec<u32>, RunTimings), GpuError> {
        let limits = gpu.device.limits();
        let per_call = max_items(
            limits.max_compute_workgroups_per_dimension,
            limits.max_storage_buffer_binding_size,
            self.workgroup,
            self.in_words.max(self.out_words),
        );
        self.run_split(gpu, input, n, per_call)
    }

    /// [`Kernel::run`] with at most `per_call` items per dispatch.
    pub(crate) fn run_split(
        &self,
        gpu: &Gpu,
        input: &[u32],
        n: u32,
        per_call: u32,
    ) -> Result<(Vec<u32>, RunTimings), GpuError> {
        let per_call = per_call.max(1);
        if n <= per_call {
            return self.run_once(gpu, input, n);
        }
        let mut out = Vec::with_capacity(n as usize * self.out_words as usize);
        let mut parts = Vec::new();
        for chunk in input.chunks(per_call as usize * self.in_words.max(1) as usize) {
            let items = (chunk.len() / self.in_words.max(1) as usize) as u32;
            let (words, t) = self.run_once(gpu, chunk, items)?;
            out.extend(words);
            parts.push(t);
        }
        Ok((out, RunTimings::sum(&parts)))
    }

    /// One dispatch of `n` items on a slot taken from the pool (returned after success, discarded on error).
    fn run_once(&self, gpu: &Gpu, input: &[u32], n: u32) -> Result<(Vec<u32>, RunTimings), GpuError> {
        let mut t = RunTimings::default();
        if n == 0 {
            return Ok((Vec::new(), t));
        }
        let expected = n as usize * self.in_words as usize;
        if input.len() != expected {
            return Err(GpuError::Device {
                stage: "kernel input",
                message: format!("{} input words for {n} items, expected {expected}", input.len()),
            });
        }
        let start = Instant::now();
        let capacity = n.next_power_of_two().max(64);
        let (place, slot) = self.slots.take(n, || self.allocate(gpu, capacity))?;
        t.slot_wait_ms = ms(start.elapsed());
        let (device, queue) = (&gpu.device, &gpu.queue);
        let out_bytes = u64::from(n) * u64::from(self.out_words) * 4;

        let start = Instant::now();
        let index = scoped(device, "dispatch", || {
            queue.write_buffer(&slot.items, 0, bytemuck::cast_slice(input));
            queue.write_buffer(&slot.params, 0, bytemuck::cast_slice(&[n, 0, 0, 0]));
            let mut enc = device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("dispatch") });
            // Stale results from a previous call must never be read as this call's.
            enc.clear_buffer(&slot.out, 0, Some(out_bytes));
            {
                let mut pass = enc.begin_compute_pass(&wgpu::ComputePassDescriptor {
                    label: Some("kernel"),
                    timestamp_writes: slot.timestamps.as_ref().map(|ts| wgpu::ComputePassTimestampWrites {
                        query_set: &ts.set,
                        beginning_of_pass_write_index: Some(0),
                        end_of_pass_write_index: Some(1),
                    }),
                });
                pass.set_pipeline(&self.pipeline);
                pass.set_bind_group(0, &slot.bind, &[]);
                pass.dispatch_workgroups(n.div_ceil(self.workgroup), 1, 1);
            }
            enc.copy_buffer_to_buffer(&slot.out, 0, &slot.staging, 0, out_bytes);
            if let Some(ts) = &slot.timestamps {
                enc.resolve_query_set(&ts.set, 0..2, &ts.resolve, 0);
                enc.copy_buffer_to_buffer(&ts.resolve, 0, &ts.read, 0, 16);
            }
            queue.submit([enc.finish()])
        })?;
        t.upload_ms = ms(start.elapsed());

        let start = Instant::now();
        let mut to_read = vec![(&slot.staging, out_bytes)];
        if let Some(ts) = &slot.timestamps {
            to_read.push((&ts.read, 16));
        }
        let mapping = scoped(device, "readback mapping", || map_for_read(&to_read))?;
        wait_for(device, Some(index), "dispatch")?;
        t.compute_ms = ms(start.elapsed());

        let start = Instant::now();
        let data = mapping.copy_out("readback")?;
        t.readback_ms = ms(start.elapsed());
        t.kernel_gpu_ms = data.get(1).and_then(|raw| timestamp_ms(raw, queue.get_timestamp_period()));
        let Some(raw) = data.first() else {
            return Err(GpuError::Readback { stage: "readback", message: "no data mapped".into() });
        };
        let out = words(raw);
        if out.len() as u64 * 4 != out_bytes {
            return Err(GpuError::Readback {
                stage: "readback",
                message: format!("read {} words, expected {}", out.len(), out_bytes / 4),
            });
        }
        drop(to_read);
        place.release(slot);
        Ok((out, t))
    }
}

#[cfg(test)]
mod tests {
    use super::max_items;

    #[test]
    fn dispatches_fit_the_device_limits() {
        // wgpu's default limits: 65,535 workgroups per dimension, 128 MiB per storage binding.
        let (groups, binding) = (65_535, 128 << 20);
        // 64 threads × 65,535 groups = 4,194,240 items; 100 words → 335,544 items fit the binding → 262,144.
        assert_eq!(max_items(groups, binding, 64, 100), 262_144);
        // Tiny items: the workgroup count binds.
        assert_eq!(max_items(groups, binding, 64, 1), 4_194_240);
        // A binding smaller than one workgroup's items still allows one workgroup.
        assert_eq!(max_items(groups, 1024, 64, 100), 64);
    }
}
