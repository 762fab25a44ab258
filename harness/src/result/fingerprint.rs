//! The fingerprint of a result: everything that makes two results comparable (build, machine, backends,
//! configuration). Written by every measuring command and read back by `report`, `plan` and `compare` through the
//! same struct, so the two sides share one schema; fields that older files lack have serde defaults.

use super::porcelain::tree_dirty;
use serde::{Deserialize, Serialize};
use std::process::Command;

fn unknown() -> String {
    "unknown".to_string()
}

fn one() -> u32 {
    1
}

/// CPU features that change crypto speed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
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
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Fingerprint {
    /// hsbench's version.
    #[serde(default = "unknown")]
    pub hsbench_version: String,
    /// Commit of the source tree the binary was built from, or `"unknown"`.
    #[serde(default = "unknown")]
    pub git_commit: String,
    /// Whether the tree differed from that commit when the run started — uncommitted changes, or checked out at
    /// another commit since the build (`null` when unknown).
    #[serde(default)]
    pub git_dirty: Option<bool>,
    /// `rustc --version` of the build.
    #[serde(default = "unknown")]
    pub rustc: String,
    /// Cargo profile of the build (`release`, `dist`, `debug` ...).
    pub build_profile: String,
    /// Target triple.
    #[serde(default = "unknown")]
    pub target: String,
    /// Cargo features enabled.
    #[serde(default)]
    pub features: Vec<String>,
    /// CPU model name.
    pub cpu_model: String,
    /// Relevant CPU flags (`None` when the file predates them).
    #[serde(default)]
    pub cpu_flags: Option<CpuFlags>,
    /// Logical cores available to the process.
    pub cores: usize,
    /// Global allocator (`mimalloc`, or `system` with the `system-alloc` feature).
    #[serde(default = "unknown")]
    pub allocator: String,
    /// Core map of the pinned pipeline (node mode and ceiling; `null` for cluster runs).
    #[serde(default)]
    pub core_map: Option<serde_json::Value>,
    /// Transaction signature verification backend (`cpu`, `cpu-batch`, `cpu-par`).
    pub crypto_backend: String,
    /// The GPU adapter wgpu would pick (`"none"` when there is none).
    #[serde(default = "unknown")]
    pub gpu_adapter: String,
    /// Its driver (`"none"` when there is no adapter).
    #[serde(default = "unknown")]
    pub gpu_driver: String,
    /// Runs the headline figure is taken over (1 for a single run).
    #[serde(default = "one")]
    pub repeats: u32,
    /// Coefficient of variation of the headline figure over the repeats (`null` for a single run).
    #[serde(default)]
    pub cv: Option<f64>,
    /// Ed25519 arithmetic backend (curve25519-dalek's run-time choice).
    #[serde(default = "unknown")]
    pub ed25519_backend: String,
    /// blake3 of the effective configuration TOML (hex).
    pub config_hash: String,
    /// Seed of the run (`None` when the file predates it).
    #[serde(default)]
    pub seed: Option<u64>,
    /// `signed`, or `signature-free` when transactions carried no signature and nodes checked none
    /// (`[workload] signatures = false`); files that predate it were signed.
    #[serde(default = "signed")]
    pub payload: String,
}

fn signed() -> String {
    "signed".to_string()
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
            hsbench_version: env!("CARGO_PKG_VERSION").to_string(),
            git_commit,
            git_dirty,
            rustc: env!("HSBENCH_RUSTC_VERSION").to_string(),
            build_profile: env!("HSBENCH_BUILD_PROFILE").to_string(),
            target: env!("HSBENCH_TARGET").to_string(),
            features: crate::alloc::features().into_iter().map(str::to_string).collect(),
            cpu_model: cpu_model(),
            cpu_flags: Some(CpuFlags::detect()),
            cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
            allocator: crate::alloc::ALLOCATOR.to_string(),
            core_map: None,
            crypto_backend: crypto_backend.to_string(),
            gpu_adapter,
            gpu_driver,
            repeats: 1,
            cv: None,
            ed25519_backend: hsbench_engine::crypto::backend_description(),
            config_hash: blake3::hash(config_toml.as_bytes()).to_hex().to_string(),
            seed: Some(seed),
            payload: signed(),
        }
    }
    /// The machine class results are comparable within: core count and CPU model (`2 × AMD EPYC`).
    pub fn machine(&self) -> String {
        format!("{} × {}", self.cores, self.cpu_model)
    }

    /// The relevant CPU flags that were on, as text (`AVX2, AVX-512F`; `none`; `unknown` when not recorded).
    pub fn cpu_flags_text(&self) -> String {
        let Some(c) = &self.cpu_flags else { return "unknown".to_string() };
        let on: Vec<&str> = [(c.avx2, "AVX2"), (c.avx512f, "AVX-512F"), (c.avx512ifma, "AVX-512 IFMA")]
            .into_iter()
            .filter_map(|(on, name)| on.then_some(name))
            .collect();
        if on.is_empty() { "none".to_string() } else { on.join(", ") }
    }

    /// Marked `signature-free` when the run's transactions carried no signature (else left `signed`).
    pub fn with_signature_free(mut self, signature_free: bool) -> Self {
        if signature_free {
            self.payload = "signature-free".to_string();
        }
        self
    }

    /// With the core map of the pinned pipeline recorded (`None` leaves it `null`).
    pub fn with_core_map<T: Serialize>(mut self, core_map: Option<&T>) -> Self {
        self.core_map = core_map.and_then(|m| serde_json::to_value(m).ok());
        self
    }
}

/// Commit of the source tree this binary was built from (recorded at build time), and whether the tree differs
/// from it now: uncommitted changes, or a tree that has moved to another commit since the build (then the binary
/// is not what the tree holds). `"unknown"` / `None` where git or the tree is not there.
fn git_state() -> (String, Option<bool>) {
    let tree = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let git = |args: &[&str]| -> Option<String> {
        let out = Command::new("git").arg("-C").arg(tree).args(args).output().ok()?;
        out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
    };
    let head = git(&["rev-parse", "HEAD"]);
    let dirty = head.as_ref().and_then(|_| git(&["status", "--porcelain", "--untracked-files=normal"]));
    let built_dirty = match env!("HSBENCH_GIT_DIRTY_AT_BUILD") {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    };
    built_tree_state(env!("HSBENCH_GIT_COMMIT"), built_dirty, head, dirty.map(|s| tree_dirty(&s)))
}

/// [`tree_state`], and dirty whenever the tree had uncommitted source changes when the binary was built
/// (`built_dirty`, recorded by build.rs): such a binary is not the commit it names, whatever the tree is now.
fn built_tree_state(
    built: &str,
    built_dirty: Option<bool>,
    head: Option<String>,
    dirty: Option<bool>,
) -> (String, Option<bool>) {
    let (commit, differs) = tree_state(built, head, dirty);
    if built_dirty == Some(true) { (commit, Some(true)) } else { (commit, differs) }
}

/// The fingerprint's (commit, dirty) from the commit the binary was `built` from and the tree's `head` and
/// `dirty` flag now.
fn tree_state(built: &str, head: Option<String>, dirty: Option<bool>) -> (String, Option<bool>) {
    let differs = match head {
        Some(head) if built != "unknown" => Some(head != built || dirty.unwrap_or(false)),
        Some(head) => return (head, dirty), // built outside git: the tree is the best we know
        None => None,
    };
    (built.to_string(), differs)
}

/// The CPU's model name from /proc/cpuinfo, with its family, model and microarchitecture where the table below
/// knows them, or `"unknown"`. Cloud VMs often name every generation alike (`AMD EPYC` for Zen 3, 4 and 5), and
/// results from different generations must not read as one machine class.
pub fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo").map_or_else(|_| "unknown".to_string(), |info| cpu_model_from(&info))
}

/// [`cpu_model`] from the text of /proc/cpuinfo.
fn cpu_model_from(info: &str) -> String {
    let field = |name: &str| {
        info.lines()
            .find(|l| l.split_once(':').is_some_and(|(k, _)| k.trim() == name))
            .and_then(|l| l.split_once(':'))
            .map(|(_, v)| v.trim().to_string())
    };
    let name = field("model name").unwrap_or_else(|| "unknown".to_string());
    let number = |name: &str| field(name).and_then(|v| v.parse::<u32>().ok());
    let (Some(vendor), Some(family), Some(model)) = (field("vendor_id"), number("cpu family"), number("model")) else {
        return name;
    };
    match microarchitecture(&vendor, family, model) {
        Some(arch) => format!("{name} ({arch}, family {family} model {model})"),
        None => format!("{name} (family {family} model {model})"),
    }
}

/// Server microarchitectures by vendor, family and model (AMD's and Intel's published model numbers), for the
/// machines these benchmarks run on; `None` for the rest.
fn microarchitecture(vendor: &str, family: u32, model: u32) -> Option<&'static str> {
    match (vendor, family, model) {
        ("AuthenticAMD", 23, 0x00..=0x2f) => Some("Zen"),
        ("AuthenticAMD", 23, 0x30..=0x7f) => Some("Zen 2"),
        ("AuthenticAMD", 25, 0x00..=0x0f | 0x20..=0x5f) => Some("Zen 3"),
        ("AuthenticAMD", 25, 0x10..=0x1f | 0x60..=0x7f | 0xa0..=0xaf) => Some("Zen 4"),
        ("AuthenticAMD", 26, _) => Some("Zen 5"),
        ("GenuineIntel", 6, 0x55) => Some("Skylake-SP/Cascade Lake"),
        ("GenuineIntel", 6, 0x6a | 0x6c) => Some("Ice Lake-SP"),
        ("GenuineIntel", 6, 0x8f) => Some("Sapphire Rapids"),
        ("GenuineIntel", 6, 0xcf) => Some("Emerald Rapids"),
        ("GenuineIntel", 6, 0xad | 0xae) => Some("Granite Rapids"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The same model name on three generations (as this project's cloud VMs report them) gives three machine
    /// classes; a CPU the table does not know keeps its family and model.
    #[test]
    fn the_cpu_model_names_the_generation_a_generic_model_name_hides() {
        let info = |vendor: &str, family: u32, model: u32| {
            format!(
                "processor\t: 0\nvendor_id\t: {vendor}\ncpu family\t: {family}\nmodel\t\t: {model}\nmodel name\t: AMD EPYC\n"
            )
        };
        assert_eq!(cpu_model_from(&info("AuthenticAMD", 25, 1)), "AMD EPYC (Zen 3, family 25 model 1)");
        assert_eq!(cpu_model_from(&info("AuthenticAMD", 25, 17)), "AMD EPYC (Zen 4, family 25 model 17)");
        assert_eq!(cpu_model_from(&info("AuthenticAMD", 26, 2)), "AMD EPYC (Zen 5, family 26 model 2)");
        assert_eq!(cpu_model_from(&info("GenuineIntel", 6, 200)), "AMD EPYC (family 6 model 200)");
        assert_eq!(cpu_model_from("model name\t: Some CPU\n"), "Some CPU");
        assert_eq!(cpu_model_from(""), "unknown");
    }

    /// The outputs of runs (untracked files under results/) do not make the tree dirty — a published set written
    /// into a new folder was marked dirty by its own first result; a changed tracked file or an untracked file
    /// anywhere else does.
    #[test]
    fn result_files_do_not_dirty_the_tree_but_sources_do() {
        assert!(!tree_dirty(""));
        assert!(!tree_dirty("?? results/2026-12-05-x/\n?? results/cache/corpus.bin"));
        assert!(tree_dirty(" M engine/src/lib.rs"));
        assert!(tree_dirty("?? engine/src/network/new.rs"));
        assert!(tree_dirty("?? results/a.json\n M results/README.md"), "a tracked file under results/ counts");
    }

    /// A binary kept from an older commit names that commit, and says the tree has moved on.
    #[test]
    fn the_commit_is_the_one_built_from_not_the_one_checked_out_now() {
        let (old, new) = ("a".repeat(40), "b".repeat(40));
        assert_eq!(tree_state(&old, Some(new.clone()), Some(false)), (old.clone(), Some(true)));
        assert_eq!(tree_state(&old, Some(old.clone()), Some(false)), (old.clone(), Some(false)));
        assert_eq!(tree_state(&old, Some(old.clone()), Some(true)), (old.clone(), Some(true)));
        assert_eq!(tree_state(&old, None, None), (old.clone(), None));
        assert_eq!(tree_state("unknown", Some(new.clone()), Some(false)), (new, Some(false)));
    }

    /// A binary built from a tree with uncommitted changes is not the commit it names, even when the tree is clean
    /// again by the time it runs (seen: a before/after binary built from older sources checked out over HEAD, then
    /// restored, reported HEAD and clean).
    #[test]
    fn a_binary_built_from_a_dirty_tree_stays_dirty() {
        let old = "a".repeat(40);
        assert_eq!(built_tree_state(&old, Some(true), Some(old.clone()), Some(false)), (old.clone(), Some(true)));
        assert_eq!(built_tree_state(&old, Some(false), Some(old.clone()), Some(false)), (old.clone(), Some(false)));
        assert_eq!(built_tree_state(&old, None, Some(old.clone()), Some(false)), (old.clone(), Some(false)));
    }
}
