//! `hsbench verify`: verifies a file of signatures (JSON Lines, or a Wycheproof / speccheck vector file) with
//! one backend and writes `{"index":N,"valid":BOOL}` (or `{"index":N,"error":"..."}`) lines in input order.
//! [`input`] reads the file, [`verdicts`] verifies its items.

pub mod input;
pub mod verdicts;

use crate::backends::{self, BackendName, CryptoConfig};
use anyhow::Context;
use input::InputFormat;
use std::io::Write;
use std::path::Path;
use std::time::Instant;
use verdicts::{Outcome, Tally};

/// One output line: `{"index":N,"valid":BOOL}` (`"expected":BOOL` added for vector files) or
/// `{"index":N,"error":"..."}`.
#[derive(serde::Serialize)]
struct OutLine<'a> {
    index: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    valid: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    expected: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a str>,
}

fn line(index: usize, outcome: &Outcome, expected: Option<bool>) -> anyhow::Result<String> {
    let out = match outcome {
        Outcome::Verdict(v) => OutLine { index, valid: Some(*v), expected, error: None },
        Outcome::Error(e) => OutLine { index, valid: None, expected: None, error: Some(e) },
    };
    serde_json::to_string(&out).context("cannot encode a verdict line")
}

/// Reads `input`, verifies it with backend `name` (built from `crypto`), writes the verdict lines to `output`
/// (stdout when `None`); the summary goes to stderr. Fails (after writing every line) when a GPU dispatch fell back
/// to the CPU.
pub fn execute(name: BackendName, crypto: &CryptoConfig, input: &Path, output: Option<&Path>) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(input).with_context(|| format!("cannot read input {}", input.display()))?;
    let parsed = input::parse(&text);
    let built = backends::build(name, crypto)?;
    let t = Instant::now();
    let outcomes = verdicts::verify_all(built.backend.as_ref(), &parsed.items);
    let elapsed_ms = t.elapsed().as_secs_f64() * 1e3;

    let mut text = String::new();
    for (index, (item, outcome)) in parsed.items.iter().zip(&outcomes).enumerate() {
        let expected = item.as_ref().ok().and_then(|i| i.expected);
        text.push_str(&line(index, outcome, expected)?);
        text.push('\n');
    }
    match output {
        Some(path) => std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))?,
        None => std::io::stdout().lock().write_all(text.as_bytes()).context("cannot write to stdout")?,
    }
    let tally = verdicts::tally(&parsed.items, &outcomes);
    eprintln!("{}", summary(&tally, parsed.format, elapsed_ms, &built.description));
    if let Some(stats) = built.gpu_stats() {
        eprintln!(
            "  gpu: {} Ed25519 items verified on the device in {} dispatches · {} rejected by the host's byte checks \
             · {} fell back to the CPU · BLS: {} pairing items on cpu-batch, {} on the device, {} fell back to the CPU",
            stats.gpu_items,
            stats.gpu_dispatches,
            stats.host_rejected_items,
            stats.cpu_fallback_items,
            stats.bls_cpu_items,
            stats.bls_gpu_items,
            stats.bls_cpu_fallback_items
        );
        eprintln!("{}", gpu_phases(&stats));
        let fell_back = stats.cpu_fallback_items + stats.bls_cpu_fallback_items;
        if fell_back > 0 {
            anyhow::bail!(
                "{fell_back} items were verified on the CPU because the GPU failed: {}",
                stats.last_error.unwrap_or_default()
            );
        }
    }
    Ok(())
}

/// Where the Ed25519 dispatches' time went (summed over them, ms), their spread over the verifiers, and the CPU
/// time of the driver's worker threads when the adapter is a CPU emulation (lavapipe).
fn gpu_phases(stats: &hsbench_kernels::GpuStats) -> String {
    let ms = |us: u64| us as f64 / 1e3;
    let mut s = format!(
        "  gpu phases (Ed25519, summed): host {:.1} ms · slot wait {:.1} · upload {:.1} · compute {:.1} · readback \
         {:.1}",
        ms(stats.ed25519_host_us),
        ms(stats.ed25519_slot_wait_us),
        ms(stats.ed25519_upload_us),
        ms(stats.ed25519_compute_us),
        ms(stats.ed25519_readback_us)
    );
    if let Some(k) = stats.ed25519_kernel_gpu_us {
        s.push_str(&format!(" · kernel (GPU clock) {:.1}", ms(k)));
    }
    s.push_str(&format!(
        " · dispatches per verifier {:?}, at most {} in flight on one",
        stats.verifier_dispatches, stats.max_in_flight_per_verifier
    ));
    if let Some(d) = stats.driver_cpu_ms {
        s.push_str(&format!(" · driver threads' CPU {d} ms"));
    }
    s
}

fn summary(t: &Tally, format: InputFormat, elapsed_ms: f64, backend: &str) -> String {
    let format = match format {
        InputFormat::JsonLines => "JSON Lines",
        InputFormat::Wycheproof => "Wycheproof",
        InputFormat::Speccheck => "speccheck",
    };
    let mut s = format!(
        "verify: {} items ({format}; ed25519 {}, bls {}) · valid {} · invalid {} · errors {} · {elapsed_ms:.1} ms · {backend}",
        t.items, t.ed25519, t.bls, t.valid, t.invalid, t.errors
    );
    if t.with_expected > 0 {
        s.push_str(&format!(" · agree with the file's expected results: {}/{}", t.agree, t.with_expected));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::gpu_phases;

    #[test]
    fn the_gpu_phase_line_names_each_phase_and_only_the_figures_the_adapter_has() {
        let mut stats = hsbench_kernels::GpuStats {
            ed25519_host_us: 1_500,
            ed25519_upload_us: 2_000,
            ed25519_compute_us: 30_000,
            verifier_dispatches: vec![3, 2],
            max_in_flight_per_verifier: 2,
            ..Default::default()
        };
        let line = gpu_phases(&stats);
        assert!(line.contains("host 1.5 ms · slot wait 0.0 · upload 2.0 · compute 30.0 · readback 0.0"), "{line}");
        assert!(line.contains("dispatches per verifier [3, 2], at most 2 in flight"), "{line}");
        assert!(!line.contains("kernel (GPU clock)") && !line.contains("driver"), "{line}");
        stats.ed25519_kernel_gpu_us = Some(12_300);
        stats.driver_cpu_ms = Some(7);
        let line = gpu_phases(&stats);
        assert!(line.contains("kernel (GPU clock) 12.3") && line.contains("driver threads' CPU 7 ms"), "{line}");
    }
}
