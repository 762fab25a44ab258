//! `hsbench verify`: verifies a file of signatures (JSON Lines, or a Wycheproof / speccheck vector file) with
//! one backend and writes `{"index":N,"valid":BOOL}` (or `{"index":N,"error":"..."}`) lines in input order.

use crate::backends::{self, BackendName};
use crate::config;
use crate::verify_input::{self, InputFormat};
use crate::verify_run::{self, Outcome, Tally};
use anyhow::Context;
use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

/// Arguments of `hsbench verify`.
#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    /// Backend: cpu, cpu-batch, cpu-par or gpu (default: the config's crypto.backend).
    #[arg(long, value_name = "B")]
    pub backend: Option<BackendName>,
    /// JSON Lines of {"scheme","pk","msg","sig","dst"?}, or a Wycheproof / ed25519-speccheck JSON file.
    #[arg(long, value_name = "FILE")]
    pub input: PathBuf,
    /// Where the verdict lines go (default: stdout).
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Configuration file whose [crypto] section sets the GPU batch, depth and adapter.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Adapter name substring for the gpu backend (overrides crypto.adapter).
    #[arg(long, value_name = "NAME")]
    pub adapter: Option<String>,
}

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

/// Reads, verifies, writes; the summary goes to stderr. Fails (after writing every line) when a GPU dispatch
/// fell back to the CPU.
pub fn execute(args: VerifyArgs) -> anyhow::Result<()> {
    let mut crypto = config::load(args.config.as_deref())?.config.crypto;
    if args.adapter.is_some() {
        crypto.adapter = args.adapter.clone();
    }
    let name = args.backend.unwrap_or(crypto.backend);
    let text =
        std::fs::read_to_string(&args.input).with_context(|| format!("cannot read input {}", args.input.display()))?;
    let input = verify_input::parse(&text);
    let built = backends::build(name, &crypto)?;
    let t = Instant::now();
    let outcomes = verify_run::verify_all(built.backend.as_ref(), &input.items);
    let elapsed_ms = t.elapsed().as_secs_f64() * 1e3;

    let mut text = String::new();
    for (index, (item, outcome)) in input.items.iter().zip(&outcomes).enumerate() {
        let expected = item.as_ref().ok().and_then(|i| i.expected);
        text.push_str(&line(index, outcome, expected)?);
        text.push('\n');
    }
    match &args.output {
        Some(path) => std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))?,
        None => std::io::stdout().lock().write_all(text.as_bytes()).context("cannot write to stdout")?,
    }
    let tally = verify_run::tally(&input.items, &outcomes);
    eprintln!("{}", summary(&tally, input.format, elapsed_ms, &built.description));
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
