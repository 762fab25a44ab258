//! Shared checks of the fuzz targets in `fuzz_targets/`.
//!
//! Every decoder target feeds the raw input to [`hsbench_engine::types::decode`] (version byte, the object,
//! no trailing bytes) and, when it decodes, checks the canonical-encoding property: encoding the value gives
//! back exactly the input bytes, and those bytes decode to the same value. A panic, an abort, a failed
//! assertion, a timeout or an allocation over libFuzzer's `-malloc_limit_mb` is a finding.

use hsbench_engine::types::codec::{Decode, Encode};
use hsbench_engine::types::{decode, encode};
use std::fmt::Debug;

/// Decodes `data` as a top-level `T`; on success asserts the byte-identical round trip and returns the value.
pub fn round_trip<T: Decode + Encode + PartialEq + Debug>(data: &[u8]) -> Option<T> {
    let value = decode::<T>(data).ok()?;
    let again = encode(&value);
    assert!(
        again == data,
        "non-canonical: {} input bytes decode to {value:?}, which encodes to {} different bytes\n input: {}\n again: {}",
        data.len(),
        again.len(),
        hex(data),
        hex(&again),
    );
    assert_eq!(decode::<T>(&again).as_ref(), Ok(&value), "the re-encoding decodes to another value");
    Some(value)
}

fn hex(bytes: &[u8]) -> String {
    const SHOWN: usize = 256;
    let mut s: String = bytes.iter().take(SHOWN).map(|b| format!("{b:02x}")).collect();
    if bytes.len() > SHOWN {
        s.push('…');
    }
    s
}

/// The config loader's checks: `parse` and `validate` return errors, never panic; a config that validates
/// survives the effective-TOML round trip (`to_toml` → `parse` gives the same config, which validates).
/// Returns how far the text got (for `HSBENCH_FUZZ_SHOW=1` runs of the config targets).
#[cfg(feature = "config")]
pub fn check_config(text: &str) -> String {
    use hsbench::config::parse;
    let config = match parse(text, "fuzz.toml") {
        Ok(config) => config,
        Err(e) => return format!("parse error: {e}"),
    };
    if let Err(e) = config.validate("fuzz.toml") {
        return format!("invalid: {e}");
    }
    let _ = (config.corpus_len(), config.window());
    let effective = config.to_toml().expect("a validated config serializes");
    let again = parse(&effective, "effective.toml")
        .unwrap_or_else(|e| panic!("the effective TOML does not parse: {e}\n{effective}"));
    assert_eq!(config, again, "the effective TOML round trip changed the config");
    again.validate("effective.toml").expect("the effective TOML validates");
    "valid".to_string()
}

/// With `HSBENCH_FUZZ_SHOW=1` (e.g. when running a config target on one crash file), prints the TOML text
/// before checking it and the outcome after.
#[cfg(feature = "config")]
pub fn check_config_showing(text: &str) {
    let show = std::env::var_os("HSBENCH_FUZZ_SHOW").is_some_and(|v| v == "1");
    if show {
        eprintln!("---- config text ----\n{text}---------------------");
    }
    let outcome = check_config(text);
    if show {
        eprintln!("outcome: {outcome}");
    }
}

/// Keys of the shipped configs that `config_fields` inputs choose from: `(section, key)`.
pub const CONFIG_KEYS: &[(&str, &str)] = &[
    ("run", "duration_s"),
    ("run", "warmup_s"),
    ("run", "cooldown_s"),
    ("run", "drain_s"),
    ("run", "seed"),
    ("run", "rate_tps"),
    ("run", "submit_to"),
    ("run", "profile"),
    ("cluster", "validators"),
    ("cluster", "chain_id"),
    ("cluster", "vote_scheme"),
    ("cluster", "storage"),
    ("cluster", "clock"),
    ("network", "latency_ms"),
    ("network", "jitter_ms"),
    ("network", "loss"),
    ("network", "reorder"),
    ("consensus", "min_block_interval_ms"),
    ("consensus", "base_timeout_ms"),
    ("consensus", "timeout_backoff"),
    ("consensus", "max_timeout_ms"),
    ("consensus", "epoch_length"),
    ("mempool", "capacity"),
    ("mempool", "max_tx_bytes"),
    ("mempool", "nonce_window"),
    ("mempool", "chain_id"),
    ("provisioning", "max_block_txs"),
    ("provisioning", "max_block_bytes"),
    ("workload", "accounts"),
    ("workload", "initial_balance"),
    ("workload", "amount"),
    ("workload", "fee"),
    ("workload", "memo_bytes"),
    ("workload", "skew"),
    ("workload", "signatures"),
    ("workload.invalid", "bad_signature"),
    ("workload.invalid", "bad_nonce"),
    ("workload.invalid", "overspend"),
    ("slo", "p99_ms"),
    ("slo", "min_committed_fraction"),
    ("ceiling", "start_tps"),
    ("ceiling", "max_tps"),
    ("ceiling", "precision"),
    ("ceiling", "probe_s"),
    ("ceiling", "confirm_s"),
    ("ceiling", "repeats"),
    ("ceiling", "warmup_s"),
    ("ceiling", "cooldown_s"),
    ("ceiling", "drain_s"),
    ("ceiling", "bound_s"),
    ("pipeline", "batch_size"),
    ("pipeline", "queue_capacity"),
    ("crypto", "backend"),
    ("crypto", "gpu_batch"),
    ("crypto", "gpu_in_flight"),
    ("wire", "host"),
    ("wire", "base_port"),
];

/// Enum values of the shipped configs (kind [`FieldKind::Name`] picks one).
pub const CONFIG_NAMES: &[&str] = &[
    "constant",
    "round-robin",
    "single",
    "bls",
    "ed25519",
    "cpu",
    "cpu-batch",
    "cpu-par",
    "gpu",
    "memory",
    "redb",
    "wall",
    "virtual",
    "uniform",
    "auto",
];

/// What a `config_fields` record holds after its key byte and kind byte (all numbers little-endian).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum FieldKind {
    /// One f64 (8 bytes): any value, written as TOML (`inf`, `-inf`, `nan` included).
    Float = 0,
    /// One i64 (8 bytes).
    Int = 1,
    /// One u16 (2 bytes).
    Small = 2,
    /// One byte: an index into [`CONFIG_NAMES`], written as a string.
    Name = 3,
    /// `{ ramp = { from, to } }`: two f64.
    Ramp = 4,
    /// `{ step = { rates = [..], step_s } }`: a count byte (mod 8), that many f64, then step_s.
    Step = 5,
    /// `{ wave = { low, high, period_s } }`: three f64.
    Wave = 6,
    /// `{ zipf = s }`: one f64.
    Zipf = 7,
    /// `{ hotspot = { fraction, share } }`: two f64.
    Hotspot = 8,
}

const FIELD_KINDS: [FieldKind; 9] = [
    FieldKind::Float,
    FieldKind::Int,
    FieldKind::Small,
    FieldKind::Name,
    FieldKind::Ramp,
    FieldKind::Step,
    FieldKind::Wave,
    FieldKind::Zipf,
    FieldKind::Hotspot,
];

/// A TOML float for any f64 (`{:?}` is the shortest text that reads back to the same value).
fn toml_float(v: f64) -> String {
    if v.is_nan() {
        "nan".into()
    } else if v.is_infinite() {
        if v > 0.0 { "inf".into() } else { "-inf".into() }
    } else {
        let s = format!("{v:?}");
        if s.contains(['.', 'e']) { s } else { format!("{s}.0") }
    }
}

/// The TOML text a `config_fields` input stands for. The input is a sequence of records
/// `key: u8` (index into [`CONFIG_KEYS`], modulo its length) `kind: u8` ([`FieldKind`], modulo 9) and the
/// kind's payload; an incomplete last record is dropped, a later record for the same key replaces an earlier one.
/// Each number sits in 8 bytes of its own, so one mutation turns a sane value into a huge, tiny, negative or
/// non-finite one (what byte-level mutation of TOML text rarely produces in a well-formed file).
pub fn config_fields_toml(mut data: &[u8]) -> String {
    use std::collections::BTreeMap;
    use std::fmt::Write;
    fn take<'a>(data: &mut &'a [u8], n: usize) -> Option<&'a [u8]> {
        let (head, rest) = data.split_at_checked(n)?;
        *data = rest;
        Some(head)
    }
    fn f(data: &mut &[u8]) -> Option<String> {
        Some(toml_float(f64::from_le_bytes(take(data, 8)?.try_into().unwrap())))
    }
    let mut sections: BTreeMap<&str, BTreeMap<&str, String>> = BTreeMap::new();
    while let Some(head) = take(&mut data, 2) {
        let (section, key) = CONFIG_KEYS[head[0] as usize % CONFIG_KEYS.len()];
        let value = (|| {
            Some(match FIELD_KINDS[head[1] as usize % FIELD_KINDS.len()] {
                FieldKind::Float => f(&mut data)?,
                FieldKind::Int => i64::from_le_bytes(take(&mut data, 8)?.try_into().unwrap()).to_string(),
                FieldKind::Small => u16::from_le_bytes(take(&mut data, 2)?.try_into().unwrap()).to_string(),
                FieldKind::Name => {
                    format!("\"{}\"", CONFIG_NAMES[take(&mut data, 1)?[0] as usize % CONFIG_NAMES.len()])
                }
                FieldKind::Ramp => format!("{{ ramp = {{ from = {}, to = {} }} }}", f(&mut data)?, f(&mut data)?),
                FieldKind::Step => {
                    let n = take(&mut data, 1)?[0] as usize % 8;
                    let rates = (0..n).map(|_| f(&mut data)).collect::<Option<Vec<_>>>()?;
                    format!("{{ step = {{ rates = [{}], step_s = {} }} }}", rates.join(", "), f(&mut data)?)
                }
                FieldKind::Wave => format!(
                    "{{ wave = {{ low = {}, high = {}, period_s = {} }} }}",
                    f(&mut data)?,
                    f(&mut data)?,
                    f(&mut data)?
                ),
                FieldKind::Zipf => format!("{{ zipf = {} }}", f(&mut data)?),
                FieldKind::Hotspot => {
                    format!("{{ hotspot = {{ fraction = {}, share = {} }} }}", f(&mut data)?, f(&mut data)?)
                }
            })
        })();
        let Some(value) = value else { break };
        sections.entry(section).or_default().insert(key, value);
    }
    let mut text = String::new();
    for (section, keys) in &sections {
        writeln!(text, "[{section}]").unwrap();
        for (key, value) in keys {
            writeln!(text, "{key} = {value}").unwrap();
        }
    }
    text
}
