//! Reading result files back: the JSON documents that `run`, `ceiling`, `crypto`, `tune` and `plan` write.
//!
//! `report`, `plan` and `compare` work on results measured earlier, possibly by another build, so every read is
//! checked: a file whose `schema_version` is not [`result::SCHEMA_VERSION`] is refused with a message saying so,
//! then the document is deserialized into typed views — the writers' own [`Fingerprint`] and the per-kind
//! metrics views of [`super::view`] — and a missing or mistyped field is an error naming the file and the field
//! (`metrics.curve[3].rate_tps`). Nothing here panics on input. Unknown fields are ignored, so a result that
//! gains fields keeps loading.

use super::locate::{join, path_at};
use super::view::{
    BlockConfigView, CeilingView, ConfigView, CrossoverView, CryptoCellView, CryptoView, CurvePointView,
    LatencySpectrum, LatencySplitView, MemoryView, Metrics, Percentiles, PlanView, RunView, SloView, StageCost,
    TuneRank, TuneView,
};
use crate::config::ConfigError;
use crate::result::{self, Fingerprint};
use serde::Deserialize;
use serde::de::DeserializeOwned;
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

/// The layout of every result file, generic in the kind's metrics view.
#[derive(Deserialize)]
struct Document<M> {
    kind: String,
    #[serde(default)]
    mode: Option<String>,
    #[serde(default)]
    started_unix_s: Option<u64>,
    #[serde(default)]
    config_origin: Option<String>,
    #[serde(default)]
    log_file: Option<String>,
    fingerprint: Fingerprint,
    #[serde(default)]
    config: Option<Value>,
    metrics: M,
}

/// Deserializes `text` (the pretty JSON of a document) as `T`; an error names the field it is about.
fn typed<T: DeserializeOwned>(path: &Path, text: &str) -> Result<T, ResultError> {
    serde_json::from_str(text).map_err(|e| {
        let field = path_at(text, e.line(), e.column());
        let full = e.to_string();
        let message = match full.rfind(" at line ") {
            Some(i) => &full[..i],
            None => full.as_str(),
        };
        let (field, message) = match message.strip_prefix("missing field `").and_then(|m| m.strip_suffix('`')) {
            Some(key) => (join(&field, key), "missing".to_string()),
            None => (field, message.to_string()),
        };
        ResultError::Field { path: path.to_path_buf(), field, message }
    })
}

/// One result file, checked for its schema version and read into typed views.
#[derive(Clone, Debug, PartialEq)]
pub struct ResultDoc {
    /// Where it was read from.
    pub path: PathBuf,
    /// `kind` (`run`, `ceiling`, `crypto`, `tune`, `plan`, ...).
    pub kind: String,
    /// `mode` of a `run`: `cluster` (in-process), `node` (one node and its synthetic committee), `wire` (validators
    /// as processes: `hsbench cluster`) or `node-wire` (node mode over the wire).
    pub mode: Option<String>,
    /// `started_unix_s` (0 when absent).
    pub started_unix_s: u64,
    /// `config_origin`, when recorded.
    pub config_origin: Option<String>,
    /// `log_file`: the `--log-json` file of the run, when it wrote one (results before it have none).
    pub log_file: Option<String>,
    /// What produced the figures.
    pub fingerprint: Fingerprint,
    /// The effective configuration as written, when recorded.
    pub config: Option<Value>,
    /// `config.slo`, when recorded.
    pub slo: SloView,
    /// What `config` says of blocks, when recorded.
    pub blocks: BlockConfigView,
    /// The figures, by kind.
    pub metrics: Metrics,
}

/// One measurement of a pipeline's stages, as `plan` fits them.
#[derive(Clone, Debug, PartialEq)]
pub struct StageSample {
    /// Committed tx/s.
    pub tps: f64,
    /// Blocks committed a second, when the result says.
    pub blocks_per_s: Option<f64>,
    /// Each stage's cost and busy %.
    pub stages: Vec<StageCost>,
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
        let field = |field: &str, message: String| ResultError::Field {
            path: path.to_path_buf(),
            field: field.to_string(),
            message,
        };
        if !value.is_object() {
            return Err(field("", format!("expected a JSON object, found {}", type_name(&value))));
        }
        let version = match value.get("schema_version") {
            None | Some(Value::Null) => {
                return Err(field("schema_version", "missing (not an hsbench result file?)".to_string()));
            }
            Some(v) => v.as_u64().ok_or_else(|| {
                let found = match v {
                    Value::Number(n) => n.to_string(),
                    other => type_name(other).to_string(),
                };
                field("schema_version", format!("expected a non-negative integer, found {found}"))
            })?,
        };
        if version != u64::from(result::SCHEMA_VERSION) {
            return Err(ResultError::Schema {
                path: path.to_path_buf(),
                found: version,
                expected: result::SCHEMA_VERSION,
            });
        }
        // Re-rendered so that a typed error's line and column can be turned into a field path.
        let text =
            serde_json::to_string_pretty(&value).map_err(|e| field("", format!("cannot render the document: {e}")))?;
        let kind = value.get("kind").and_then(Value::as_str).unwrap_or_default();
        let (head, metrics) = match kind {
            "run" => Self::with(path, &text, Metrics::Run)?,
            "ceiling" => Self::with(path, &text, Metrics::Ceiling)?,
            "crypto" => Self::with(path, &text, Metrics::Crypto)?,
            "tune" => Self::with(path, &text, Metrics::Tune)?,
            "plan" => Self::with(path, &text, Metrics::Plan)?,
            _ => Self::with(path, &text, |_: serde::de::IgnoredAny| Metrics::Other)?,
        };
        let config = if head.config.as_ref().is_some_and(Value::is_object) {
            #[derive(Deserialize)]
            struct WithConfig {
                config: ConfigView,
            }
            typed::<WithConfig>(path, &text)?.config
        } else {
            ConfigView::default()
        };
        Ok(ResultDoc {
            path: path.to_path_buf(),
            kind: head.kind,
            mode: head.mode,
            started_unix_s: head.started_unix_s.unwrap_or(0),
            config_origin: head.config_origin,
            log_file: head.log_file,
            fingerprint: head.fingerprint,
            config: head.config,
            slo: config.slo.clone().unwrap_or_default(),
            blocks: config.blocks(),
            metrics,
        })
    }

    /// The document with metrics view `M`, wrapped into [`Metrics`] by `wrap`.
    fn with<M: DeserializeOwned>(
        path: &Path,
        text: &str,
        wrap: impl FnOnce(M) -> Metrics,
    ) -> Result<(Document<()>, Metrics), ResultError> {
        let d: Document<M> = typed(path, text)?;
        let head = Document {
            kind: d.kind,
            mode: d.mode,
            started_unix_s: d.started_unix_s,
            config_origin: d.config_origin,
            log_file: d.log_file,
            fingerprint: d.fingerprint,
            config: d.config,
            metrics: (),
        };
        Ok((head, wrap(d.metrics)))
    }

    /// `value`, or the error that the field `metrics.<field>` is missing.
    pub fn need<T>(&self, field: &str, value: Option<T>) -> Result<T, ResultError> {
        value.ok_or_else(|| ResultError::Field {
            path: self.path.clone(),
            field: format!("metrics.{field}"),
            message: "missing".to_string(),
        })
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

    /// The metrics of a run result, when this is one.
    pub fn run(&self) -> Option<&RunView> {
        if let Metrics::Run(m) = &self.metrics { Some(m) } else { None }
    }

    /// The metrics of a ceiling result, when this is one.
    pub fn ceiling(&self) -> Option<&CeilingView> {
        if let Metrics::Ceiling(m) = &self.metrics { Some(m) } else { None }
    }

    /// The metrics of a crypto result, when this is one.
    pub fn crypto(&self) -> Option<&CryptoView> {
        if let Metrics::Crypto(m) = &self.metrics { Some(m) } else { None }
    }

    /// The metrics of a tune result, when this is one.
    pub fn tune(&self) -> Option<&TuneView> {
        if let Metrics::Tune(m) = &self.metrics { Some(m) } else { None }
    }

    /// The metrics of a plan result, when this is one.
    pub fn plan(&self) -> Option<&PlanView> {
        if let Metrics::Plan(m) = &self.metrics { Some(m) } else { None }
    }

    /// Per-stage cost and busy % (`metrics.stages` of a ceiling or node-mode run); `None` when the file has none.
    pub fn stages(&self) -> Option<Vec<StageCost>> {
        let stages = match &self.metrics {
            Metrics::Run(m) => m.stages.as_ref(),
            Metrics::Ceiling(m) => m.stages.as_ref(),
            _ => None,
        };
        stages.filter(|s| !s.is_empty()).cloned()
    }

    /// The rate the stage figures were measured at (committed tx/s): a node run's `committed_tps`, or the last
    /// confirmation run of a ceiling search.
    pub fn stage_rate_tps(&self) -> Option<f64> {
        match &self.metrics {
            Metrics::Ceiling(m) => {
                let last = m.curve.iter().rev().find(|p| p.phase == "confirm");
                last.map(|p| p.result.committed_tps).or(m.committed_tps_mean)
            }
            Metrics::Run(m) => m.committed_tps,
            _ => None,
        }
    }

    /// Every measurement of the stages that met the SLO: a ceiling's passing probes, or a node run that met its
    /// SLO, each with its committed rate and blocks committed a second (blocks that committed its transactions ÷
    /// the load's duration, when recorded).
    pub fn stage_samples(&self) -> Vec<StageSample> {
        let blocks_per_s = |blocks: Option<u64>, duration_s: Option<f64>| match (blocks, duration_s) {
            (Some(b), Some(d)) if d > 0.0 => Some(b as f64 / d),
            _ => None,
        };
        match &self.metrics {
            Metrics::Ceiling(m) => m
                .curve
                .iter()
                .filter(|p| p.pass && p.result.committed_tps > 0.0)
                .filter_map(|p| {
                    Some(StageSample {
                        tps: p.result.committed_tps,
                        blocks_per_s: blocks_per_s(p.result.blocks_with_txs, p.result.duration_s),
                        stages: p.result.stages.clone().filter(|s| !s.is_empty())?,
                    })
                })
                .collect(),
            Metrics::Run(m) if m.slo_pass != Some(false) => match (m.committed_tps, self.stages()) {
                (Some(tps), Some(stages)) if tps > 0.0 => {
                    vec![StageSample { tps, blocks_per_s: blocks_per_s(m.blocks_with_txs, m.duration_s), stages }]
                }
                _ => Vec::new(),
            },
            _ => Vec::new(),
        }
    }

    /// Peak resident memory by process, labelled: each validator process of a `hsbench cluster` run, else the run's
    /// one process, or a ceiling's last confirmation run; empty when the file recorded none.
    pub fn memory(&self) -> Vec<(String, MemoryView)> {
        match &self.metrics {
            Metrics::Run(m) if !m.nodes.is_empty() => {
                m.nodes.iter().filter_map(|n| Some((format!("validator {}", n.id), n.memory?))).collect()
            }
            Metrics::Run(m) => m.memory.map(|mem| ("the run's process".to_string(), mem)).into_iter().collect(),
            Metrics::Ceiling(m) => m
                .curve
                .iter()
                .rev()
                .find(|p| p.phase == "confirm")
                .and_then(|p| Some((format!("the last confirmation run ({:.0} tx/s)", p.rate_tps), p.result.memory?)))
                .into_iter()
                .collect(),
            _ => Vec::new(),
        }
    }

    /// The committee's busy % next to the stages (`metrics.committee_busy_pct`), when recorded.
    pub fn committee_busy_pct(&self) -> Option<f64> {
        match &self.metrics {
            Metrics::Run(m) => m.committee_busy_pct,
            // A ceiling keeps it inside each probe too: take the last confirmation run's, like its `stages`.
            Metrics::Ceiling(m) => m.committee_busy_pct.or_else(|| {
                m.curve.iter().rev().find(|p| p.phase == "confirm").and_then(|p| p.result.committee_busy_pct)
            }),
            _ => None,
        }
    }

    /// The probes of a ceiling search (`metrics.curve`; empty for other kinds).
    pub fn curve(&self) -> Vec<CurvePointView> {
        let Some(m) = self.ceiling() else { return Vec::new() };
        m.curve
            .iter()
            .map(|p| CurvePointView {
                phase: p.phase.clone(),
                rate_tps: p.rate_tps,
                pass: p.pass,
                offered_tps: p.result.offered_tps.unwrap_or(p.rate_tps),
                committed_tps: p.result.committed_tps,
                latency: p.result.latency_us,
            })
            .collect()
    }

    /// The latency spectrum shown for this result: a run's `latency_us` (and the uncorrected one), a ceiling's
    /// last confirmation run; `None` when the kind has none.
    pub fn latency_spectrum(&self) -> Option<LatencySpectrum> {
        let at = |corrected: Option<Percentiles>, uncorrected: Option<Percentiles>, origin: String| {
            corrected.map(|corrected| LatencySpectrum { corrected, uncorrected, origin })
        };
        match &self.metrics {
            Metrics::Ceiling(m) => m.curve.iter().rev().find(|p| p.phase == "confirm").and_then(|p| {
                let origin =
                    format!("last confirmation run at {} tx/s offered", crate::report::num::thousands(p.rate_tps));
                at(Some(p.result.latency_us), p.result.latency_uncorrected_us, origin)
            }),
            Metrics::Run(m) => at(m.latency_us, m.latency_uncorrected_us, "the run's measurement window".to_string()),
            _ => None,
        }
    }

    /// Where the latency went, one `(what was measured, split)` per measurement that recorded one: a node run's
    /// window, a ceiling's last confirmation run, or each validator process of a cluster run (its own blocks).
    pub fn latency_splits(&self) -> Vec<(String, LatencySplitView)> {
        match &self.metrics {
            Metrics::Ceiling(m) => m
                .curve
                .iter()
                .rev()
                .find(|p| p.phase == "confirm")
                .and_then(|p| {
                    let at = crate::report::num::thousands(p.rate_tps);
                    p.result.latency_split.map(|s| (format!("last confirmation run at {at} tx/s offered"), s))
                })
                .into_iter()
                .collect(),
            Metrics::Run(m) => match m.latency_split {
                Some(s) => vec![("the run's measurement window".to_string(), s)],
                None => m
                    .nodes
                    .iter()
                    .filter_map(|n| n.latency_split.map(|s| (format!("validator {}'s own blocks", n.id), s)))
                    .collect(),
            },
            _ => Vec::new(),
        }
    }

    /// The measured crypto cells (`metrics.cells` of a crypto result).
    pub fn crypto_cells(&self) -> Result<Vec<CryptoCellView>, ResultError> {
        let cells = self.need("cells", self.crypto().and_then(|m| m.cells.as_ref()))?;
        Ok(cells
            .iter()
            .map(|c| CryptoCellView {
                op: c.op.clone(),
                backend: c.backend.clone(),
                batch: c.batch,
                items_per_s: if c.status.as_deref() == Some("measured") { c.items_per_s } else { None },
                cv: c.cv,
                gpu_phases_us: c
                    .gpu
                    .as_ref()
                    .filter(|_| c.op == "ed25519-verify")
                    .and_then(hsbench_kernels::GpuStats::ed25519_phases_us_per_item),
            })
            .collect())
    }

    /// The CPU/GPU crossover batch per operation (`metrics.crossovers`), with its note.
    pub fn crossovers(&self) -> Vec<CrossoverView> {
        self.crypto().map(|m| m.crossovers.clone()).unwrap_or_default()
    }

    /// The GPU label of a crypto result (`metrics.gpu.label`), when the gpu backend ran.
    pub fn gpu_label(&self) -> Option<String> {
        self.crypto().and_then(|m| m.gpu.as_ref()).and_then(|g| g.label.clone())
    }

    /// A tune result's ranking (`metrics.ranking`); `None` when absent or empty.
    pub fn tune_ranking(&self) -> Option<Vec<TuneRank>> {
        self.tune().and_then(|m| m.ranking.clone()).filter(|r| !r.is_empty())
    }
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

/// The newest (largest `started_unix_s`, then path) readable result of `kind` anywhere under `dir` that the caller
/// finds `usable`; files that are not current results are skipped. `None` when there is none.
pub fn newest_of_kind(dir: &Path, kind: &str, usable: impl Fn(&ResultDoc) -> bool) -> Option<ResultDoc> {
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
                && usable(&doc)
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
        let e = doc(v).unwrap_err();
        assert_eq!(
            e.to_string(),
            "r.json: field `metrics.stages[0].busy_pct`: invalid type: string \"lots\", expected f64"
        );
        let mut v = minimal();
        v["fingerprint"]["cores"] = json!(-3);
        let e = doc(v).unwrap_err();
        assert_eq!(e.to_string(), "r.json: field `fingerprint.cores`: invalid value: integer `-3`, expected usize");
        let mut v = minimal();
        v["fingerprint"].as_object_mut().unwrap().remove("config_hash");
        assert_eq!(doc(v).unwrap_err().to_string(), "r.json: field `fingerprint.config_hash`: missing");
        let mut v = minimal();
        v["metrics"]["stages"][0].as_object_mut().unwrap().remove("cost_ns_per_tx");
        assert_eq!(doc(v).unwrap_err().to_string(), "r.json: field `metrics.stages[0].cost_ns_per_tx`: missing");
        let mut v = minimal();
        v.as_object_mut().unwrap().remove("metrics");
        assert_eq!(doc(v).unwrap_err().to_string(), "r.json: field `metrics`: missing");
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
        let s = d.stages().unwrap();
        assert_eq!(
            s[0],
            StageCost { name: "sigverify".into(), cores: vec![1], busy_pct: 50.0, cost_ns_per_tx: 1000.0 }
        );
        assert_eq!(d.stage_rate_tps(), Some(10.0));
        assert_eq!(d.fingerprint.cpu_flags_text(), "unknown");
        assert_eq!((d.fingerprint.repeats, d.fingerprint.seed), (1, None));
        assert!(d.latency_spectrum().is_none());
        assert!(d.tune_ranking().is_none());
        assert!(d.curve().is_empty());
        assert!(d.crypto_cells().unwrap_err().to_string().contains("`metrics.cells`: missing"));
    }

    #[test]
    fn latency_splits_come_from_the_run_the_last_confirmation_or_each_validator() {
        let pct = |p50: f64| json!({"p50": p50, "p90": p50, "p99": p50 * 2.0, "p999": p50 * 3.0, "max": p50 * 4.0});
        let split = |before: Option<f64>, txs: u64| {
            let mut s = json!({"proposal_to_commit_us": pct(60_000.0), "commit_to_report_us": pct(4_000.0),
                               "txs": txs});
            if let Some(b) = before {
                s["before_proposal_us"] = pct(b);
            }
            s
        };
        assert!(doc(minimal()).unwrap().latency_splits().is_empty(), "a file written before the split has none");

        let mut node_run = minimal();
        node_run["metrics"]["latency_split"] = split(Some(18_000.0), 100);
        let got = doc(node_run).unwrap().latency_splits();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].0, "the run's measurement window");
        assert_eq!(got[0].1.before_proposal_us.map(|p| p.p99_us), Some(36_000.0));
        assert_eq!((got[0].1.proposal_to_commit_us.p50_us, got[0].1.txs), (60_000.0, 100));

        let mut cluster = minimal();
        cluster["metrics"]["nodes"] = json!([{"id": 0, "latency_split": split(None, 7)}, {"id": 1},
                                              {"id": 2, "latency_split": split(None, 9)}]);
        let got = doc(cluster).unwrap().latency_splits();
        let names: Vec<&str> = got.iter().map(|(w, _)| w.as_str()).collect();
        assert_eq!(names, ["validator 0's own blocks", "validator 2's own blocks"], "a node without one is left out");
        assert!(got.iter().all(|(_, s)| s.before_proposal_us.is_none()));

        let probe = |phase: &str, rate: f64, txs: u64| {
            json!({"phase": phase, "rate_tps": rate, "pass": true,
                   "result": {"committed_tps": rate, "latency_us": pct(1.0), "latency_split": split(Some(1.0), txs)}})
        };
        let mut ceiling = minimal();
        ceiling["kind"] = json!("ceiling");
        ceiling["metrics"] = json!({"curve": [probe("double", 1000.0, 1), probe("confirm", 900.0, 2),
                                              probe("confirm", 850.0, 3), probe("bisect", 950.0, 4)]});
        let got = doc(ceiling).unwrap().latency_splits();
        assert_eq!(got.len(), 1);
        assert_eq!((got[0].0.as_str(), got[0].1.txs), ("last confirmation run at 850 tx/s offered", 3));
    }

    #[test]
    fn memory_comes_from_the_run_each_validator_or_the_last_confirmation() {
        let mem =
            |mib: u64, own: bool| json!({"rss_bytes": 1, "peak_rss_bytes": mib << 20, "peak_since_run_start": own});
        assert!(doc(minimal()).unwrap().memory().is_empty(), "a file written before memory was recorded has none");

        let mut node_run = minimal();
        node_run["metrics"]["memory"] = mem(128, true);
        let got = doc(node_run).unwrap().memory();
        assert_eq!(
            got,
            vec![(
                "the run's process".to_string(),
                MemoryView { peak_rss_bytes: 128 << 20, peak_since_run_start: true }
            )]
        );

        let mut cluster = minimal();
        cluster["metrics"]["memory"] = mem(91, true);
        cluster["metrics"]["nodes"] = json!([{"id": 0, "memory": mem(91, true)}, {"id": 1},
                                              {"id": 2, "memory": mem(95, false)}]);
        let got = doc(cluster).unwrap().memory();
        let names: Vec<&str> = got.iter().map(|(w, _)| w.as_str()).collect();
        assert_eq!(names, ["validator 0", "validator 2"], "per validator, not the run's copy of validator 0's");
        assert!(!got[1].1.peak_since_run_start);

        let probe = |phase: &str, rate: f64, mib: u64| {
            json!({"phase": phase, "rate_tps": rate, "pass": true,
                   "result": {"committed_tps": rate, "latency_us": {"p50": 1.0, "p90": 1.0, "p99": 1.0,
                              "p999": 1.0, "max": 1.0}, "memory": mem(mib, true)}})
        };
        let mut ceiling = minimal();
        ceiling["kind"] = json!("ceiling");
        ceiling["metrics"] = json!({"curve": [probe("double", 1000.0, 1), probe("confirm", 900.0, 2),
                                              probe("bisect", 950.0, 4)]});
        let got = doc(ceiling).unwrap().memory();
        assert_eq!(got.len(), 1);
        assert_eq!((got[0].0.as_str(), got[0].1.peak_rss_bytes), ("the last confirmation run (900 tx/s)", 2 << 20));
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
        assert_eq!(newest_of_kind(dir.path(), "ceiling", |_| true).unwrap().started_unix_s, 9);
        assert!(
            newest_of_kind(dir.path(), "ceiling", |d| d.started_unix_s < 9).is_none(),
            "the only ceiling is unusable"
        );
        assert!(newest_of_kind(dir.path(), "crypto", |_| true).is_none());
    }
}

/// Every result file kept in the repository (`results/**/*.json` and the CLI tests' fixtures) still loads through
/// the typed views.
#[cfg(test)]
mod committed_results {
    use super::*;

    /// The `*.json` files under `dir`, leaving out scratch folders (`tmp`: git-ignored runs, with the validator
    /// reports and logs of `hsbench cluster`).
    fn json_under(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() && path.file_name().is_some_and(|n| n == "tmp") {
                continue;
            }
            if path.is_dir() {
                json_under(&path, out);
            } else if path.extension().is_some_and(|e| e == "json") {
                out.push(path);
            }
        }
    }

    #[test]
    fn every_committed_result_parses() {
        let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files = Vec::new();
        for dir in [manifest.join("../results"), manifest.join("tests/fixtures")] {
            let before = files.len();
            json_under(&dir, &mut files);
            assert!(files.len() > before, "no result files under {}", dir.display());
        }
        for f in &files {
            let doc = ResultDoc::load(f).unwrap_or_else(|e| panic!("{e}"));
            assert_ne!(doc.metrics, Metrics::Other, "{}: unread kind {}", f.display(), doc.kind);
            match doc.kind.as_str() {
                // A search that found a ceiling has its stages' costs; a harness-bound one stopped before any
                // confirmation run and has only its curve.
                "ceiling" => {
                    let found = doc.ceiling().is_some_and(|c| c.ceiling_tps.is_some());
                    assert!(!doc.curve().is_empty() && (doc.stages().is_some() || !found), "{}", f.display());
                }
                "crypto" => assert!(!doc.crypto_cells().unwrap().is_empty(), "{}", f.display()),
                "tune" => assert!(doc.tune_ranking().is_some(), "{}", f.display()),
                _ => {}
            }
        }
    }
}
