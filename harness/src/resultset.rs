//! Reading result files back: the JSON documents that `run`, `ceiling`, `crypto`, `tune` and `plan` write.
//!
//! `report`, `plan` and `compare` work on results measured earlier, possibly by another build, so every read is
//! checked: a file whose `schema_version` is not [`result::SCHEMA_VERSION`] is refused with a message saying so,
//! and a missing or mistyped field is an error naming the file and the field (`metrics.curve[3].rate_tps`).
//! Nothing here panics on input. The documents stay [`serde_json::Value`]s; the typed views below read only
//! what the three commands need, so a result that gains fields keeps loading.

use crate::config::ConfigError;
use crate::result;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// Why a result file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ResultError {
    /// The file (or folder) could not be read.
    #[error("{}: cannot read: {error}", path.display())]
    Read {
        /// The path as given.
        path: PathBuf,
        /// The OS error.
        error: std::io::Error,
    },
    /// Not JSON.
    #[error("{}: not a JSON result file: {error}", path.display())]
    Json {
        /// The file.
        path: PathBuf,
        /// serde_json's message (line and column).
        error: serde_json::Error,
    },
    /// Written by an hsbench with another result layout.
    #[error(
        "{}: result schema version {found} is not supported by this hsbench (expects {expected}); re-run with this \
         version",
        path.display()
    )]
    Schema {
        /// The file.
        path: PathBuf,
        /// Its `schema_version`.
        found: u64,
        /// [`result::SCHEMA_VERSION`].
        expected: u32,
    },
    /// A field is missing or has the wrong type.
    #[error("{}: field `{field}`: {message}", path.display())]
    Field {
        /// The file.
        path: PathBuf,
        /// Dotted path of the field, with array indices (`metrics.cells[4].batch`).
        field: String,
        /// What is wrong.
        message: String,
    },
    /// A folder without result files.
    #[error("{}: no result files (*.json) in this folder", path.display())]
    Empty {
        /// The folder.
        path: PathBuf,
    },
}

impl ResultError {
    /// The file the error is about.
    pub fn path(&self) -> &Path {
        match self {
            Self::Read { path, .. }
            | Self::Json { path, .. }
            | Self::Schema { path, .. }
            | Self::Field { path, .. }
            | Self::Empty { path } => path,
        }
    }
}

/// Bad input files are usage errors of `report`, `plan` and `compare`: exit code 2, like an unreadable config.
impl From<ResultError> for ConfigError {
    fn from(e: ResultError) -> Self {
        let full = e.to_string();
        let origin = e.path().display().to_string();
        let message = full.strip_prefix(&format!("{origin}: ")).map_or_else(|| full.clone(), str::to_string);
        ConfigError::Parse { origin, location: String::new(), message }
    }
}

/// A read-only position inside one document, naming its own field path for error messages.
#[derive(Clone, Copy, Debug)]
pub struct Cursor<'a> {
    file: &'a Path,
    field: Option<&'a str>,
    prefix: Option<&'a Cursor<'a>>,
    index: Option<usize>,
    value: &'a Value,
}

impl<'a> Cursor<'a> {
    /// The dotted path of this position (`metrics.curve[2].result`).
    pub fn path(&self) -> String {
        let mut out = self.prefix.map(|p| p.path()).unwrap_or_default();
        if let Some(f) = self.field {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(f);
        }
        if let Some(i) = self.index {
            out.push_str(&format!("[{i}]"));
        }
        out
    }

    /// The value at this position.
    pub fn value(&self) -> &'a Value {
        self.value
    }

    fn error(&self, key: Option<&str>, message: impl Into<String>) -> ResultError {
        let mut field = self.path();
        if let Some(k) = key {
            if !field.is_empty() {
                field.push('.');
            }
            field.push_str(k);
        }
        ResultError::Field { path: self.file.to_path_buf(), field, message: message.into() }
    }

    /// The member `key`, when present and not null.
    pub fn opt(&'a self, key: &'a str) -> Option<Cursor<'a>> {
        match self.value.get(key) {
            None | Some(Value::Null) => None,
            Some(value) => Some(Cursor { file: self.file, field: Some(key), prefix: Some(self), index: None, value }),
        }
    }

    /// The member `key`; an error when missing or null.
    pub fn child(&'a self, key: &'a str) -> Result<Cursor<'a>, ResultError> {
        self.opt(key).ok_or_else(|| self.error(Some(key), "missing"))
    }

    /// The elements of the array `key` (empty when missing or null).
    pub fn opt_items(&'a self, key: &'a str) -> Result<Vec<Cursor<'a>>, ResultError> {
        match self.value.get(key) {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Array(items)) => Ok(items
                .iter()
                .enumerate()
                .map(|(i, value)| Cursor {
                    file: self.file,
                    field: Some(key),
                    prefix: Some(self),
                    index: Some(i),
                    value,
                })
                .collect()),
            Some(other) => Err(self.error(Some(key), format!("expected an array, found {}", type_name(other)))),
        }
    }

    /// The elements of the array `key`; an error when missing.
    pub fn items(&'a self, key: &'a str) -> Result<Vec<Cursor<'a>>, ResultError> {
        self.child(key)?;
        self.opt_items(key)
    }

    /// The number `key`, when present and not null.
    pub fn opt_f64(&self, key: &str) -> Result<Option<f64>, ResultError> {
        match self.value.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => match v.as_f64() {
                Some(x) if x.is_finite() => Ok(Some(x)),
                _ => Err(self.error(Some(key), format!("expected a number, found {}", type_name(v)))),
            },
        }
    }

    /// The number `key`.
    pub fn f64(&self, key: &str) -> Result<f64, ResultError> {
        self.opt_f64(key)?.ok_or_else(|| self.error(Some(key), "missing"))
    }

    /// The non-negative integer `key`, when present and not null.
    pub fn opt_u64(&self, key: &str) -> Result<Option<u64>, ResultError> {
        match self.value.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => v
                .as_u64()
                .map(Some)
                .ok_or_else(|| self.error(Some(key), format!("expected a non-negative integer, found {}", show(v)))),
        }
    }

    /// The non-negative integer `key`.
    pub fn u64(&self, key: &str) -> Result<u64, ResultError> {
        self.opt_u64(key)?.ok_or_else(|| self.error(Some(key), "missing"))
    }

    /// The string `key`, when present and not null.
    pub fn opt_str(&self, key: &str) -> Result<Option<&'a str>, ResultError> {
        match self.value.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.as_str())),
            Some(v) => Err(self.error(Some(key), format!("expected a string, found {}", type_name(v)))),
        }
    }

    /// The string `key`.
    pub fn str(&self, key: &str) -> Result<&'a str, ResultError> {
        self.opt_str(key)?.ok_or_else(|| self.error(Some(key), "missing"))
    }

    /// The boolean `key`, when present and not null.
    pub fn opt_bool(&self, key: &str) -> Result<Option<bool>, ResultError> {
        match self.value.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(v) => Err(self.error(Some(key), format!("expected true or false, found {}", type_name(v)))),
        }
    }

    /// The array of non-negative integers `key` (empty when missing).
    pub fn opt_u64s(&self, key: &str) -> Result<Vec<u64>, ResultError> {
        match self.value.get(key) {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    v.as_u64()
                        .ok_or_else(|| self.error(Some(&format!("{key}[{i}]")), "expected a non-negative integer"))
                })
                .collect(),
            Some(v) => Err(self.error(Some(key), format!("expected an array, found {}", type_name(v)))),
        }
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn show(v: &Value) -> String {
    match v {
        Value::Number(n) => n.to_string(),
        other => type_name(other).to_string(),
    }
}

/// One result file, checked for its schema version, kind and fingerprint.
#[derive(Clone, Debug)]
pub struct ResultDoc {
    /// Where it was read from.
    pub path: PathBuf,
    /// `kind` (`run`, `ceiling`, `crypto`, `tune`, `plan`, ...).
    pub kind: String,
    /// `mode` (`cluster` or `node` for `run`).
    pub mode: Option<String>,
    /// `started_unix_s`.
    pub started_unix_s: u64,
    /// The whole document.
    pub value: Value,
}

impl ResultDoc {
    /// Reads and checks one result file.
    pub fn load(path: &Path) -> Result<Self, ResultError> {
        let bytes = std::fs::read(path).map_err(|error| ResultError::Read { path: path.to_path_buf(), error })?;
        let value: Value =
            serde_json::from_slice(&bytes).map_err(|error| ResultError::Json { path: path.to_path_buf(), error })?;
        Self::from_value(path, value)
    }

    /// Checks a document already parsed (`path` names it in errors).
    pub fn from_value(path: &Path, value: Value) -> Result<Self, ResultError> {
        let root = Cursor { file: path, field: None, prefix: None, index: None, value: &value };
        if !value.is_object() {
            return Err(root.error(None, format!("expected a JSON object, found {}", type_name(&value))));
        }
        let version = match root.opt_u64("schema_version") {
            Ok(Some(v)) => v,
            Ok(None) => return Err(root.error(Some("schema_version"), "missing (not an hsbench result file?)")),
            Err(e) => return Err(e),
        };
        if version != u64::from(result::SCHEMA_VERSION) {
            return Err(ResultError::Schema {
                path: path.to_path_buf(),
                found: version,
                expected: result::SCHEMA_VERSION,
            });
        }
        let kind = root.str("kind")?.to_string();
        let mode = root.opt_str("mode")?.map(str::to_string);
        let started_unix_s = root.opt_u64("started_unix_s")?.unwrap_or(0);
        root.child("fingerprint")?;
        root.child("metrics")?;
        Ok(ResultDoc { path: path.to_path_buf(), kind, mode, started_unix_s, value })
    }

    /// The document's root, for typed reads.
    pub fn root(&self) -> Cursor<'_> {
        Cursor { file: &self.path, field: None, prefix: None, index: None, value: &self.value }
    }

    /// The file name (`ceiling-1795919173.json`).
    pub fn file_name(&self) -> String {
        self.path.file_name().map_or_else(|| self.path.display().to_string(), |n| n.to_string_lossy().into_owned())
    }

    /// `kind`, with the mode when there is one (`run/node`).
    pub fn label(&self) -> String {
        match &self.mode {
            Some(mode) => format!("{}/{mode}", self.kind),
            None => self.kind.clone(),
        }
    }

    /// The fingerprint fields the reports show and `compare` checks.
    pub fn fingerprint(&self) -> Result<FingerprintView, ResultError> {
        let root = self.root();
        let f = root.child("fingerprint")?;
        let flags = match f.opt("cpu_flags") {
            Some(c) => {
                let names = [("avx2", "AVX2"), ("avx512f", "AVX-512F"), ("avx512ifma", "AVX-512 IFMA")];
                let mut on = Vec::new();
                for (key, name) in names {
                    if c.opt_bool(key)?.unwrap_or(false) {
                        on.push(name);
                    }
                }
                if on.is_empty() { "none".to_string() } else { on.join(", ") }
            }
            None => "unknown".to_string(),
        };
        let text = |key: &str| -> Result<String, ResultError> { Ok(f.opt_str(key)?.unwrap_or("unknown").to_string()) };
        Ok(FingerprintView {
            hsbench_version: text("hsbench_version")?,
            git_commit: text("git_commit")?,
            git_dirty: f.opt_bool("git_dirty")?,
            rustc: text("rustc")?,
            build_profile: f.str("build_profile")?.to_string(),
            cpu_model: f.str("cpu_model")?.to_string(),
            cpu_flags: flags,
            cores: f.u64("cores")?,
            allocator: text("allocator")?,
            crypto_backend: f.str("crypto_backend")?.to_string(),
            ed25519_backend: text("ed25519_backend")?,
            gpu_adapter: text("gpu_adapter")?,
            repeats: f.opt_u64("repeats")?.unwrap_or(1),
            cv: f.opt_f64("cv")?,
            config_hash: f.str("config_hash")?.to_string(),
            seed: f.opt_u64("seed")?,
        })
    }

    /// Per-stage cost and busy % (`metrics.stages` of a ceiling or node-mode run); `None` when the file has none.
    pub fn stages(&self) -> Result<Option<Vec<StageCost>>, ResultError> {
        let root = self.root();
        let metrics = root.child("metrics")?;
        let items = metrics.opt_items("stages")?;
        if items.is_empty() {
            return Ok(None);
        }
        items
            .iter()
            .map(|s| {
                Ok(StageCost {
                    name: s.str("name")?.to_string(),
                    cores: s.opt_u64s("cores")?,
                    busy_pct: s.f64("busy_pct")?,
                    cost_ns_per_tx: s.f64("cost_ns_per_tx")?,
                })
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some)
    }

    /// The rate the stage figures were measured at (committed tx/s): a node run's `committed_tps`, or the last
    /// confirmation run of a ceiling search.
    pub fn stage_rate_tps(&self) -> Result<Option<f64>, ResultError> {
        let root = self.root();
        let metrics = root.child("metrics")?;
        match self.kind.as_str() {
            "ceiling" => {
                let curve = self.curve()?;
                let last = curve.iter().rev().find(|p| p.phase == "confirm");
                Ok(last.map(|p| p.committed_tps).or(metrics.opt_f64("committed_tps_mean")?))
            }
            _ => metrics.opt_f64("committed_tps"),
        }
    }

    /// The committee's busy % next to the stages (`metrics.committee_busy_pct`), when recorded.
    pub fn committee_busy_pct(&self) -> Result<Option<f64>, ResultError> {
        let root = self.root();
        let metrics = root.child("metrics")?;
        if let Some(v) = metrics.opt_f64("committee_busy_pct")? {
            return Ok(Some(v));
        }
        // A ceiling keeps it inside each probe: take the last confirmation run's, like its `stages`.
        for p in metrics.opt_items("curve")?.iter().rev() {
            if p.str("phase")? == "confirm" {
                return p.child("result")?.opt_f64("committee_busy_pct");
            }
        }
        Ok(None)
    }

    /// The probes of a ceiling search (`metrics.curve`; empty for other kinds).
    pub fn curve(&self) -> Result<Vec<CurvePointView>, ResultError> {
        let root = self.root();
        let metrics = root.child("metrics")?;
        let items = metrics.opt_items("curve")?;
        items
            .iter()
            .map(|p| {
                let r = p.child("result")?;
                Ok(CurvePointView {
                    phase: p.str("phase")?.to_string(),
                    rate_tps: p.f64("rate_tps")?,
                    pass: p.opt_bool("pass")?.unwrap_or(false),
                    offered_tps: r.opt_f64("offered_tps")?.unwrap_or(p.f64("rate_tps")?),
                    committed_tps: r.f64("committed_tps")?,
                    latency: percentiles(&r.child("latency_us")?)?,
                })
            })
            .collect()
    }

    /// The latency spectrum shown for this result: a run's `latency_us` (and the uncorrected one), a ceiling's
    /// last confirmation run; `None` when the kind has none.
    pub fn latency_spectrum(&self) -> Result<Option<LatencySpectrum>, ResultError> {
        let root = self.root();
        let metrics = root.child("metrics")?;
        let at = |c: &Cursor<'_>, origin: String| -> Result<Option<LatencySpectrum>, ResultError> {
            let Some(corrected) = c.opt("latency_us") else { return Ok(None) };
            let uncorrected = match c.opt("latency_uncorrected_us") {
                Some(u) => Some(percentiles(&u)?),
                None => None,
            };
            Ok(Some(LatencySpectrum { corrected: percentiles(&corrected)?, uncorrected, origin }))
        };
        if self.kind == "ceiling" {
            let curve = metrics.opt_items("curve")?;
            for p in curve.iter().rev() {
                if p.str("phase")? == "confirm" {
                    let r = p.child("result")?;
                    let rate = p.f64("rate_tps")?;
                    return at(
                        &r,
                        format!("last confirmation run at {} tx/s offered", crate::report::num::thousands(rate)),
                    );
                }
            }
            return Ok(None);
        }
        at(&metrics, "the run's measurement window".to_string())
    }

    /// The measured crypto cells (`metrics.cells` of a crypto result).
    pub fn crypto_cells(&self) -> Result<Vec<CryptoCellView>, ResultError> {
        let root = self.root();
        let metrics = root.child("metrics")?;
        let items = metrics.items("cells")?;
        items
            .iter()
            .map(|c| {
                Ok(CryptoCellView {
                    op: c.str("op")?.to_string(),
                    backend: c.str("backend")?.to_string(),
                    batch: c.u64("batch")?,
                    items_per_s: if c.opt_str("status")? == Some("measured") {
                        c.opt_f64("items_per_s")?
                    } else {
                        None
                    },
                    cv: c.opt_f64("cv")?,
                })
            })
            .collect()
    }

    /// The CPU/GPU crossover batch per operation (`metrics.crossovers`), with its note.
    pub fn crossovers(&self) -> Result<Vec<CrossoverView>, ResultError> {
        let root = self.root();
        let metrics = root.child("metrics")?;
        let items = metrics.opt_items("crossovers")?;
        items
            .iter()
            .map(|x| {
                Ok(CrossoverView {
                    op: x.str("op")?.to_string(),
                    batch: x.opt_u64("batch")?,
                    note: x.opt_str("note")?.unwrap_or_default().to_string(),
                })
            })
            .collect()
    }

    /// The GPU label of a crypto result (`metrics.gpu.label`), when the gpu backend ran.
    pub fn gpu_label(&self) -> Result<Option<String>, ResultError> {
        let root = self.root();
        let metrics = root.child("metrics")?;
        match metrics.opt("gpu") {
            Some(g) => Ok(g.opt_str("label")?.map(str::to_string)),
            None => Ok(None),
        }
    }

    /// A tune result's ranking (`metrics.ranking: [{label, ceiling_tps, bottleneck}]`); `None` when absent.
    pub fn tune_ranking(&self) -> Result<Option<Vec<TuneRank>>, ResultError> {
        let root = self.root();
        let metrics = root.child("metrics")?;
        let items = metrics.opt_items("ranking")?;
        if items.is_empty() {
            return Ok(None);
        }
        items
            .iter()
            .map(|r| {
                Ok(TuneRank {
                    label: r.str("label")?.to_string(),
                    ceiling_tps: r.opt_f64("ceiling_tps")?,
                    bottleneck: r.opt_str("bottleneck")?.unwrap_or("").to_string(),
                    is_default: r.opt_bool("is_default")?.unwrap_or(false),
                })
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some)
    }
}

fn percentiles(c: &Cursor<'_>) -> Result<Percentiles, ResultError> {
    Ok(Percentiles {
        p50_us: c.f64("p50")?,
        p90_us: c.f64("p90")?,
        p99_us: c.f64("p99")?,
        p999_us: c.f64("p999")?,
        max_us: c.f64("max")?,
    })
}

/// The fingerprint, as text for tables and comparisons.
#[derive(Clone, Debug, PartialEq)]
pub struct FingerprintView {
    /// hsbench version.
    pub hsbench_version: String,
    /// Commit of the build.
    pub git_commit: String,
    /// Whether the tree had uncommitted changes.
    pub git_dirty: Option<bool>,
    /// Compiler.
    pub rustc: String,
    /// Cargo profile.
    pub build_profile: String,
    /// CPU model.
    pub cpu_model: String,
    /// Relevant CPU flags that were on (`AVX2, AVX-512F`).
    pub cpu_flags: String,
    /// Logical cores.
    pub cores: u64,
    /// Global allocator.
    pub allocator: String,
    /// Transaction signature verification backend.
    pub crypto_backend: String,
    /// curve25519-dalek's backend.
    pub ed25519_backend: String,
    /// GPU adapter wgpu saw.
    pub gpu_adapter: String,
    /// Runs behind the headline figure.
    pub repeats: u64,
    /// CV of the headline figure over the repeats.
    pub cv: Option<f64>,
    /// blake3 of the effective configuration.
    pub config_hash: String,
    /// Seed.
    pub seed: Option<u64>,
}

/// One pipeline stage's measured cost.
#[derive(Clone, Debug, PartialEq)]
pub struct StageCost {
    /// Stage name (ingress, sigverify, node, execution, storage).
    pub name: String,
    /// Cores it was pinned to.
    pub cores: Vec<u64>,
    /// Busy time ÷ (threads × run time), percent.
    pub busy_pct: f64,
    /// Busy core-nanoseconds per committed transaction.
    pub cost_ns_per_tx: f64,
}

/// Latency percentiles (µs).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Percentiles {
    /// Median.
    pub p50_us: f64,
    /// 90th percentile.
    pub p90_us: f64,
    /// 99th percentile.
    pub p99_us: f64,
    /// 99.9th percentile.
    pub p999_us: f64,
    /// Largest.
    pub max_us: f64,
}

impl Percentiles {
    /// `(label, µs)` from p50 to max.
    pub fn points(&self) -> [(&'static str, f64); 5] {
        [
            ("p50", self.p50_us),
            ("p90", self.p90_us),
            ("p99", self.p99_us),
            ("p99.9", self.p999_us),
            ("max", self.max_us),
        ]
    }
}

/// Corrected (from intended send time) and uncorrected latency of one measurement.
#[derive(Clone, Debug, PartialEq)]
pub struct LatencySpectrum {
    /// Coordinated-omission corrected.
    pub corrected: Percentiles,
    /// From acceptance (what a closed-loop client would see), when recorded.
    pub uncorrected: Option<Percentiles>,
    /// Which measurement it is.
    pub origin: String,
}

/// One probe of a ceiling search.
#[derive(Clone, Debug, PartialEq)]
pub struct CurvePointView {
    /// `double`, `bisect` or `confirm`.
    pub phase: String,
    /// Rate asked for (tx/s).
    pub rate_tps: f64,
    /// Met the SLO.
    pub pass: bool,
    /// Offered rate measured in the window (tx/s).
    pub offered_tps: f64,
    /// Committed rate (tx/s).
    pub committed_tps: f64,
    /// Corrected latency.
    pub latency: Percentiles,
}

/// One crypto sweep cell.
#[derive(Clone, Debug, PartialEq)]
pub struct CryptoCellView {
    /// Operation (`ed25519-verify`, ...).
    pub op: String,
    /// Backend (`cpu`, `cpu-batch`, `cpu-par`, `gpu`).
    pub backend: String,
    /// Items per call.
    pub batch: u64,
    /// Items/s when measured (`None`: not implemented).
    pub items_per_s: Option<f64>,
    /// CV over the repeats.
    pub cv: Option<f64>,
}

/// One operation's CPU/GPU crossover.
#[derive(Clone, Debug, PartialEq)]
pub struct CrossoverView {
    /// Operation.
    pub op: String,
    /// Batch size from which the gpu wins, when it does.
    pub batch: Option<u64>,
    /// The sweep's note.
    pub note: String,
}

/// One configuration of a tune result's ranking.
#[derive(Clone, Debug, PartialEq)]
pub struct TuneRank {
    /// What was tried.
    pub label: String,
    /// Its ceiling (tx/s), `None` when none was found.
    pub ceiling_tps: Option<f64>,
    /// Its bottleneck stage.
    pub bottleneck: String,
    /// Whether it is the configuration as given (the search's start).
    pub is_default: bool,
}

/// Loads every path: a file is read as it is, a folder contributes its `*.json` files (not recursive, sorted by
/// name). Stops at the first bad file.
pub fn load_all(paths: &[PathBuf]) -> Result<Vec<ResultDoc>, ResultError> {
    let mut docs = Vec::new();
    for path in paths {
        if path.is_dir() {
            let files = json_files(path)?;
            if files.is_empty() {
                return Err(ResultError::Empty { path: path.clone() });
            }
            for f in files {
                docs.push(ResultDoc::load(&f)?);
            }
        } else {
            docs.push(ResultDoc::load(path)?);
        }
    }
    Ok(docs)
}

/// The `*.json` files directly in `dir`, sorted by name.
pub fn json_files(dir: &Path) -> Result<Vec<PathBuf>, ResultError> {
    let read = |error| ResultError::Read { path: dir.to_path_buf(), error };
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(read)? {
        let path = entry.map_err(read)?.path();
        if path.is_file() && path.extension().is_some_and(|e| e == "json") {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

/// The newest (largest `started_unix_s`, then path) readable result of `kind` anywhere under `dir`; files that
/// are not current results are skipped. `None` when there is none.
pub fn newest_of_kind(dir: &Path, kind: &str) -> Option<ResultDoc> {
    let mut best: Option<ResultDoc> = None;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else { continue };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "json")
                && let Ok(doc) = ResultDoc::load(&path)
                && doc.kind == kind
                && best.as_ref().is_none_or(|b| (doc.started_unix_s, &doc.path) > (b.started_unix_s, &b.path))
            {
                best = Some(doc);
            }
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn doc(v: Value) -> Result<ResultDoc, ResultError> {
        ResultDoc::from_value(Path::new("r.json"), v)
    }

    fn minimal() -> Value {
        json!({
            "schema_version": 1, "kind": "run", "mode": "node", "started_unix_s": 5,
            "fingerprint": {"build_profile": "release", "cpu_model": "X", "cores": 2, "crypto_backend": "cpu",
                            "config_hash": "ab"},
            "metrics": {"committed_tps": 10.0, "stages": [{"name": "sigverify", "cores": [1], "busy_pct": 50.0,
                        "cost_ns_per_tx": 1000.0}]}
        })
    }

    #[test]
    fn schema_version_zero_is_refused_with_the_message() {
        let mut v = minimal();
        v["schema_version"] = json!(0);
        let e = doc(v).unwrap_err();
        assert_eq!(
            e.to_string(),
            "r.json: result schema version 0 is not supported by this hsbench (expects 1); re-run with this version"
        );
    }

    #[test]
    fn missing_and_mistyped_fields_name_file_and_field() {
        let mut v = minimal();
        v.as_object_mut().unwrap().remove("schema_version");
        assert!(doc(v).unwrap_err().to_string().contains("field `schema_version`: missing"));
        let mut v = minimal();
        v["metrics"]["stages"][0]["busy_pct"] = json!("lots");
        let e = doc(v).unwrap().stages().unwrap_err();
        assert_eq!(e.to_string(), "r.json: field `metrics.stages[0].busy_pct`: expected a number, found a string");
        let mut v = minimal();
        v["fingerprint"]["cores"] = json!(-3);
        let e = doc(v).unwrap().fingerprint().unwrap_err();
        assert_eq!(e.to_string(), "r.json: field `fingerprint.cores`: expected a non-negative integer, found -3");
        assert!(doc(json!([1, 2])).unwrap_err().to_string().contains("expected a JSON object, found an array"));
        let config: ConfigError = doc(json!({"schema_version": "one"})).unwrap_err().into();
        assert_eq!(
            config.to_string(),
            "r.json: field `schema_version`: expected a non-negative integer, found a string"
        );
    }

    #[test]
    fn typed_views_read_a_node_run() {
        let d = doc(minimal()).unwrap();
        assert_eq!((d.label(), d.file_name()), ("run/node".to_string(), "r.json".to_string()));
        let s = d.stages().unwrap().unwrap();
        assert_eq!(
            s[0],
            StageCost { name: "sigverify".into(), cores: vec![1], busy_pct: 50.0, cost_ns_per_tx: 1000.0 }
        );
        assert_eq!(d.stage_rate_tps().unwrap(), Some(10.0));
        assert_eq!(d.fingerprint().unwrap().cpu_flags, "unknown");
        assert!(d.latency_spectrum().unwrap().is_none());
        assert!(d.tune_ranking().unwrap().is_none());
        assert!(d.curve().unwrap().is_empty());
        assert!(d.crypto_cells().unwrap_err().to_string().contains("`metrics.cells`: missing"));
    }

    #[test]
    fn garbage_files_are_errors_not_panics() {
        let dir = tempfile::tempdir().unwrap();
        let bad = dir.path().join("bad.json");
        std::fs::write(&bad, b"{ not json").unwrap();
        assert!(matches!(ResultDoc::load(&bad), Err(ResultError::Json { .. })));
        assert!(matches!(ResultDoc::load(&dir.path().join("none.json")), Err(ResultError::Read { .. })));
        let empty = dir.path().join("empty");
        std::fs::create_dir(&empty).unwrap();
        assert!(matches!(load_all(std::slice::from_ref(&empty)), Err(ResultError::Empty { .. })));
        std::fs::write(empty.join("a.json"), serde_json::to_vec(&minimal()).unwrap()).unwrap();
        let mut later = minimal();
        later["started_unix_s"] = json!(9);
        later["kind"] = json!("ceiling");
        std::fs::create_dir(empty.join("sub")).unwrap();
        std::fs::write(empty.join("sub/b.json"), serde_json::to_vec(&later).unwrap()).unwrap();
        assert_eq!(load_all(std::slice::from_ref(&empty)).unwrap().len(), 1);
        assert_eq!(newest_of_kind(dir.path(), "ceiling").unwrap().started_unix_s, 9);
        assert!(newest_of_kind(dir.path(), "crypto").is_none());
    }
}
