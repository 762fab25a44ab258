//! Records build facts for result fingerprints: rustc version, cargo profile, target triple, and the commit the
//! source tree was at when this binary was built.

use std::process::Command;

include!("src/result/porcelain.rs");

fn main() {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_string());
    let version = Command::new(rustc)
        .arg("--version")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|| "unknown".to_string());
    println!("cargo:rustc-env=HSBENCH_RUSTC_VERSION={version}");

    // PROFILE only says debug/release; the folder under the target dir names custom profiles (e.g. `dist`):
    // OUT_DIR = <target>/[<triple>/]<profile>/build/<pkg>-<hash>/out.
    let out_dir = std::env::var("OUT_DIR").unwrap_or_default();
    let profile = std::path::Path::new(&out_dir)
        .ancestors()
        .nth(3)
        .and_then(|p| p.file_name())
        .and_then(|n| n.to_str())
        .map(str::to_string)
        .or_else(|| std::env::var("PROFILE").ok())
        .unwrap_or_else(|| "unknown".to_string());
    println!("cargo:rustc-env=HSBENCH_BUILD_PROFILE={profile}");
    println!("cargo:rustc-env=HSBENCH_TARGET={}", std::env::var("TARGET").unwrap_or_default());
    // The commit is taken now, at build time: asking git when a result is written would name whatever the tree
    // has moved on to since (a binary kept for a before/after comparison reported the newer commit).
    let git = |args: &[&str]| -> Option<String> {
        let out = Command::new("git").arg("-C").arg("..").args(args).output().ok()?;
        out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
    };
    let commit = git(&["rev-parse", "HEAD"]).unwrap_or_else(|| "unknown".to_string());
    println!("cargo:rustc-env=HSBENCH_GIT_COMMIT={commit}");
    // Whether the sources had uncommitted changes at build time: a binary built from such a tree is not the commit
    // it names even if the tree is clean again when it runs. Rerun whenever a source or manifest changes, so the
    // flag follows edits, not only commits.
    let dirty = git(&["status", "--porcelain", "--untracked-files=normal"])
        .map_or_else(|| "unknown".to_string(), |s| tree_dirty(&s).to_string());
    println!("cargo:rustc-env=HSBENCH_GIT_DIRTY_AT_BUILD={dirty}");
    let sources =
        ["src", "Cargo.toml", "../engine/src", "../engine/Cargo.toml", "../kernels/src", "../kernels/Cargo.toml"];
    for path in sources.into_iter().chain(["../Cargo.toml", "../Cargo.lock"]) {
        println!("cargo:rerun-if-changed={path}");
    }
    for path in ["HEAD", "refs/heads", "packed-refs"] {
        if let Some(p) = git(&["rev-parse", "--git-path", path]) {
            let p = if std::path::Path::new(&p).is_absolute() { p } else { format!("../{p}") };
            if std::path::Path::new(&p).exists() {
                println!("cargo:rerun-if-changed={p}");
            }
        }
    }
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=RUSTC");
}
