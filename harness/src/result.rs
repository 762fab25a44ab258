//! Result files: one JSON document per run, with a fingerprint of everything that makes figures comparable
//! (or not). Every subcommand writes through [`ResultFile`] and [`write`].

use serde::Serialize;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

/// Version of the result layout; bumped on any incompatible change.
pub const SCHEMA_VERSION: u32 = 1;

/// Default folder of scratch results (git-ignored).
pub const DEFAULT_OUT_DIR: &str = "results/tmp";

/// One result document.
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
    /// What produced the figures.
    pub fingerprint: Fingerprint,
    /// The effective configuration (after command-line overrides).
    pub config: C,
    /// The figures.
    pub metrics: M,
}

/// CPU features that change crypto speed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct CpuFlags {
    /// AVX2.
    pub avx2: bool,
    /// AVX-512 foundation.
    pub avx512f: bool,
    /// AVX-512 IFMA (curve25519-dalek's fastest backend).
    pub avx512ifma: bool,
}

impl CpuFlags {
    /// The flags of the CPU this runs on.
    pub fn detect() -> Self {
        #[cfg(target_arch = "x86_64")]
        {
            CpuFlags {
                avx2: std::is_x86_feature_detected!("avx2"),
                avx512f: std::is_x86_feature_detected!("avx512f"),
                avx512ifma: std::is_x86_feature_detected!("avx512ifma"),
            }
        }
        #[cfg(not(target_arch = "x86_64"))]
        CpuFlags::default()
    }
}

/// Everything that makes two results comparable: build, machine, backends, configuration.
#[derive(Clone, Debug, Serialize)]
pub struct Fingerprint {
    /// hsbench's version.
    pub hsbench_version: &'static str,
    /// Commit of the source tree the binary was built from, or `"unknown"`.
    pub git_commit: String,
    /// Whether that tree had uncommitted changes when the run started (`null` when unknown).
    pub git_dirty: Option<bool>,
    /// `rustc --version` of the build.
    pub rustc: &'static str,
    /// Cargo profile of the build (`release`, `dist`, `debug` ...).
    pub build_profile: &'static str,
    /// Target triple.
    pub target: &'static str,
    /// Cargo features enabled.
    pub features: Vec<&'static str>,
    /// CPU model name.
    pub cpu_model: String,
    /// Relevant CPU flags.
    pub cpu_flags: CpuFlags,
    /// Logical cores available to the process.
    pub cores: usize,
    /// Global allocator (`mimalloc`, or `system` with the `system-alloc` feature).
    pub allocator: &'static str,
    /// Core map of the pinned pipeline (node mode and ceiling; `null` for cluster runs).
    pub core_map: Option<serde_json::Value>,
    /// Transaction signature verification backend (`cpu`, `cpu-batch`, `cpu-par`).
    pub crypto_backend: String,
    /// The GPU adapter wgpu would pick (`"none"` when there is none).
    pub gpu_adapter: String,
    /// Its driver (`"none"` when there is no adapter).
    pub gpu_driver: String,
    /// Runs the headline figure is taken over (1 for a single run).
    pub repeats: u32,
    /// Coefficient of variation of the headline figure over the repeats (`null` for a single run).
    pub cv: Option<f64>,
    /// Ed25519 arithmetic backend (curve25519-dalek's run-time choice).
    pub ed25519_backend: String,
    /// blake3 of the effective configuration TOML (hex).
    pub config_hash: String,
    /// Seed of the run.
    pub seed: u64,
}

impl Fingerprint {
    /// The fingerprint of this process for a configuration rendered as `config_toml`, with verification
    /// backend `crypto_backend`; `core_map`, `repeats` and `cv` are set by the commands that have them.
    pub fn collect(config_toml: &str, seed: u64, crypto_backend: &str) -> Self {
        let (git_commit, git_dirty) = git_state();
        let (gpu_adapter, gpu_driver) = match hsbench_kernels::select_adapter(None) {
            Ok(a) => (a.name.clone(), if a.driver_info.is_empty() { a.driver } else { a.driver_info }),
            Err(_) => ("none".to_string(), "none".to_string()),
        };
        Fingerprint {
            hsbench_version: env!("CARGO_PKG_VERSION"),
            git_commit,
            git_dirty,
            rustc: env!("HSBENCH_RUSTC_VERSION"),
            build_profile: env!("HSBENCH_BUILD_PROFILE"),
            target: env!("HSBENCH_TARGET"),
            features: crate::alloc::features(),
            cpu_model: cpu_model(),
            cpu_flags: CpuFlags::detect(),
            cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
            allocator: crate::alloc::ALLOCATOR,
            core_map: None,
            crypto_backend: crypto_backend.to_string(),
            gpu_adapter,
            gpu_driver,
            repeats: 1,
            cv: None,
            ed25519_backend: hsbench_engine::crypto::backend_description(),
            config_hash: blake3::hash(config_toml.as_bytes()).to_hex().to_string(),
            seed,
        }
    }
}

/// Commit and dirty flag of the source tree this binary was built from, asked of `git` now; `"unknown"` and
/// `None` when git or the tree is not there.
fn git_state() -> (String, Option<bool>) {
    let tree = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let git = |args: &[&str]| -> Option<String> {
        let out = Command::new("git").arg("-C").arg(tree).args(args).output().ok()?;
        out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
    };
    match git(&["rev-parse", "HEAD"]) {
        None => ("unknown".to_string(), None),
        Some(commit) => {
            let dirty = git(&["status", "--porcelain", "--untracked-files=normal"]).map(|s| !s.is_empty());
            (commit, dirty)
        }
    }
}

/// The CPU's model name from /proc/cpuinfo, or `"unknown"`.
pub fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        })
        .unwrap_or_else(|| "unknown".to_string())
}

/// Seconds since the Unix epoch.
pub fn unix_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
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
