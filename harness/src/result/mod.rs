//! Result files: one JSON document per run, with a fingerprint of everything that makes figures comparable
//! (or not). Every measuring command writes through [`write_result`]; `report`, `plan` and `compare` read the
//! files back through [`read`] (typed views, checked schema version).

pub mod fingerprint;
mod locate;
mod porcelain;
pub mod read;
pub mod view;

pub use fingerprint::{CpuFlags, Fingerprint, cpu_model};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

/// Version of the result layout; bumped on any incompatible change.
pub const SCHEMA_VERSION: u32 = 1;

/// Default folder of scratch results (git-ignored).
pub const DEFAULT_OUT_DIR: &str = "results/tmp";

/// One result document, as written. [`read::ResultDoc`] reads the same layout back.
#[derive(Clone, Debug, Serialize)]
pub struct ResultFile<C: Serialize, M: Serialize> {
    /// [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// The subcommand that produced it (`"run"`, `"ceiling"`, ...).
    pub kind: &'static str,
    /// `run` only: `"cluster"` or `"node"`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode: Option<&'static str>,
    /// When the run started (Unix seconds).
    pub started_unix_s: u64,
    /// Where the configuration came from (a path, or the embedded default).
    pub config_origin: String,
    /// The structured log of the run (`--log-json FILE`), when it wrote one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_file: Option<String>,
    /// What produced the figures.
    pub fingerprint: Fingerprint,
    /// The effective configuration (after command-line overrides).
    pub config: C,
    /// The figures.
    pub metrics: M,
}

/// Seconds since the Unix epoch.
pub fn unix_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// What identifies a result besides its figures: the fields of [`ResultFile`] a command decides.
#[derive(Clone, Debug)]
pub struct ResultHeader {
    /// The subcommand (`"run"`, `"ceiling"`, `"crypto"`, `"tune"`, `"plan"`).
    pub kind: &'static str,
    /// `run` only: `"cluster"` or `"node"`.
    pub mode: Option<&'static str>,
    /// When the command started (Unix seconds), from [`unix_now`].
    pub started_unix_s: u64,
    /// Where the configuration came from.
    pub config_origin: String,
}

/// Writes one result file into `out` (see [`write()`] for the name) and returns its path: the one place where a
/// command's header, fingerprint, effective configuration and metrics become a [`ResultFile`] at
/// [`SCHEMA_VERSION`].
pub fn write_result<C: Serialize, M: Serialize>(
    out: &Path,
    header: ResultHeader,
    fingerprint: Fingerprint,
    config: &C,
    metrics: &M,
) -> anyhow::Result<PathBuf> {
    let ResultHeader { kind, mode, started_unix_s, config_origin } = header;
    let file = ResultFile {
        schema_version: SCHEMA_VERSION,
        kind,
        mode,
        started_unix_s,
        config_origin,
        log_file: crate::logging::json_file().map(|p| p.display().to_string()),
        fingerprint,
        config,
        metrics,
    };
    let path = write(out, &file)?;
    tracing::info!(kind, path = %path.display(), "result written");
    Ok(path)
}

/// Writes `result` as `<dir>/<kind>-<started_unix_s>.json` (with `-2`, `-3` ... when taken), creating `dir`;
/// returns the path.
pub fn write<C: Serialize, M: Serialize>(dir: &Path, result: &ResultFile<C, M>) -> anyhow::Result<PathBuf> {
    use anyhow::Context;
    use std::io::Write;
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create output folder {}", dir.display()))?;
    let json = serde_json::to_vec_pretty(result).context("cannot encode the result as JSON")?;
    for attempt in 1u32..=1000 {
        let name = match attempt {
            1 => format!("{}-{}.json", result.kind, result.started_unix_s),
            n => format!("{}-{}-{n}.json", result.kind, result.started_unix_s),
        };
        let path = dir.join(name);
        let mut file = match std::fs::OpenOptions::new().write(true).create_new(true).open(&path) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e).with_context(|| format!("cannot create {}", path.display())),
        };
        file.write_all(&json)
            .and_then(|()| file.write_all(b"\n"))
            .with_context(|| format!("cannot write {}", path.display()))?;
        return Ok(path);
    }
    anyhow::bail!(
        "{} already holds 1000 results of {} started at {}",
        dir.display(),
        result.kind,
        result.started_unix_s
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_never_overwrites() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("nested/out");
        let result = ResultFile {
            schema_version: SCHEMA_VERSION,
            kind: "run",
            mode: None,
            started_unix_s: 42,
            config_origin: "t".into(),
            log_file: None,
            fingerprint: Fingerprint::collect("x = 1\n", 7, "cpu-batch"),
            config: serde_json::json!({"a": 1}),
            metrics: serde_json::json!({"committed_tps": 1.0}),
        };
        let a = write(&out, &result).unwrap();
        let b = write(&out, &result).unwrap();
        assert_eq!(a.file_name().unwrap(), "run-42.json");
        assert_eq!(b.file_name().unwrap(), "run-42-2.json");
        let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&a).unwrap()).unwrap();
        assert_eq!(v["schema_version"], 1);
        assert_eq!(v["fingerprint"]["seed"], 7);
        assert_eq!(v["fingerprint"]["config_hash"], blake3::hash(b"x = 1\n").to_hex().as_str());
        assert!(!v["fingerprint"]["rustc"].as_str().unwrap().is_empty());
    }
}
