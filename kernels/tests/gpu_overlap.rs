//! Overlapping GPU calls: several threads on one Ed25519 verifier, and on the `gpu` backend, get exactly the
//! verdicts of sequential calls, and more than one dispatch slot was in use at once; single-dispatch calls on
//! a backend with two verifiers reach both (round-robin); on a CPU-emulated adapter the driver threads' CPU time
//! is reported. Nothing here asserts a speed. Skips (printing why) when there is no adapter, except under
//! `CI=true`, where that fails (`common::gpu_or_skip`).

use std::sync::Barrier;

use hsbench_engine::crypto::{CpuBackendKind, Ed25519Item, VerifyBackend, cpu_backend};
use hsbench_kernels::{GpuBackend, GpuBackendConfig, GpuEd25519Verifier};

mod common;
use common::batch::{Owned, mixed_batch};

/// Concurrent callers per round.
const THREADS: usize = 4;
/// Rounds tried until two calls were seen in flight at once (the first almost always suffices).
const ROUNDS: usize = 8;

/// The verifier's input view of owned items.
fn view(batch: &[Owned]) -> Vec<([u8; 32], &[u8], [u8; 64])> {
    batch.iter().map(|(pk, m, s)| (*pk, m.as_slice(), *s)).collect()
}

/// The engine's input view of owned items.
fn engine_view(batch: &[Owned]) -> Vec<Ed25519Item<'_>> {
    batch.iter().map(|(pk, m, s)| Ed25519Item { public_key: pk, message: m, signature: s }).collect()
}

/// Runs `call(thread)` on [`THREADS`] threads released together, and returns their results in thread order.
fn together<T: Send>(call: impl Fn(usize) -> T + Sync) -> Vec<T> {
    let barrier = Barrier::new(THREADS);
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..THREADS)
            .map(|t| {
                let (barrier, call) = (&barrier, &call);
                scope.spawn(move || {
                    barrier.wait();
                    call(t)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("caller thread panicked")).collect()
    })
}

#[test]
fn concurrent_calls_on_one_verifier_match_sequential_calls() {
    let Some(v) = common::gpu_or_skip("verifier creation", GpuEd25519Verifier::new(None)) else { return };
    println!("adapter: {}", v.adapter().summary());
    let batches: Vec<Vec<Owned>> = (0..THREADS).map(|t| mixed_batch(48 + 16 * t, t)).collect();
    let sequential: Vec<Vec<bool>> = batches.iter().map(|b| v.verify_batch(&view(b)).expect("verifies").0).collect();
    for verdicts in &sequential {
        assert!(verdicts.iter().any(|&ok| ok) && verdicts.iter().any(|&ok| !ok), "a mix of verdicts: {verdicts:?}");
    }
    assert_eq!(v.slot_high_water(), 1, "sequential calls use one slot");
    for round in 0..ROUNDS {
        let concurrent = together(|t| v.verify_batch(&view(&batches[t])).expect("verifies").0);
        assert_eq!(concurrent, sequential, "round {round}");
        if v.slot_high_water() > 1 {
            println!("round {round}: {} dispatches in flight at once", v.slot_high_water());
            return;
        }
    }
    panic!("{THREADS} threads × {ROUNDS} rounds never had two dispatches in flight on one verifier");
}

#[test]
fn concurrent_calls_on_the_backend_match_cpu_batch() {
    let config = GpuBackendConfig { batch: 64, in_flight: 2, adapter: None, kernel: Default::default() };
    let Some(gpu) = common::gpu_or_skip("gpu backend creation", GpuBackend::new(&config)) else { return };
    let batches: Vec<Vec<Owned>> = (0..THREADS).map(|t| mixed_batch(40 + 8 * t, 2 * t)).collect();
    let cpu = cpu_backend(CpuBackendKind::CpuBatch);
    let expected: Vec<Vec<bool>> = batches.iter().map(|b| cpu.verify_ed25519_batch(&engine_view(b))).collect();
    let sequential: Vec<Vec<bool>> = batches.iter().map(|b| gpu.verify_ed25519_batch(&engine_view(b))).collect();
    assert_eq!(sequential, expected);
    for round in 0..ROUNDS {
        // Twice as many callers as verifiers: each verifier gets overlapping calls.
        let concurrent = together(|t| gpu.verify_ed25519_batch(&engine_view(&batches[t])));
        assert_eq!(concurrent, expected, "round {round}");
        let stats = gpu.stats();
        assert_eq!(stats.cpu_fallback_items, 0, "{:?}", stats.last_error);
        if stats.max_in_flight_per_verifier > 1 {
            println!("round {round}: {stats:?}");
            return;
        }
    }
    panic!("{THREADS} threads × {ROUNDS} rounds never had two dispatches in flight on one verifier: {:?}", gpu.stats());
}

#[test]
fn single_dispatch_calls_take_the_verifiers_in_turn() {
    let config = GpuBackendConfig { batch: 64, in_flight: 2, adapter: None, kernel: Default::default() };
    let Some(gpu) = common::gpu_or_skip("gpu backend creation", GpuBackend::new(&config)) else { return };
    let batch = mixed_batch(20, 1);
    for _ in 0..6 {
        gpu.verify_ed25519_batch(&engine_view(&batch));
    }
    let stats = gpu.stats();
    assert_eq!(stats.cpu_fallback_items, 0, "{:?}", stats.last_error);
    assert_eq!(stats.verifier_dispatches, vec![3, 3], "6 one-dispatch calls over 2 verifiers: {stats:?}");
    gpu.reset_stats();
    assert_eq!(gpu.stats().verifier_dispatches, vec![0, 0]);
}

#[test]
fn driver_cpu_time_is_reported_on_a_cpu_adapter() {
    let config = GpuBackendConfig { batch: 1024, in_flight: 1, adapter: None, kernel: Default::default() };
    let Some(gpu) = common::gpu_or_skip("gpu backend creation", GpuBackend::new(&config)) else { return };
    let batch = mixed_batch(1024, 0);
    for _ in 0..3 {
        gpu.verify_ed25519_batch(&engine_view(&batch));
    }
    let stats = gpu.stats();
    println!("{}: {stats:?}", gpu.description());
    assert_eq!(stats.cpu_fallback_items, 0, "{:?}", stats.last_error);
    if gpu.adapter().device_type == "Cpu" {
        let ms = stats.driver_cpu_ms.expect("a CPU adapter reports its driver threads' CPU time");
        assert!(ms > 0, "3 dispatches of 1024 items used no driver-thread CPU time: {stats:?}");
    } else {
        assert_eq!(stats.driver_cpu_ms, None, "a real GPU has no driver threads to count");
    }
}
