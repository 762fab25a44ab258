// Shared by the crate (`result::fingerprint`) and by `build.rs` (through `include!`), so the build-time and the
// run-time dirty checks cannot drift apart: plain Rust, no `use`, no crate paths.

/// Whether `git status --porcelain` output shows a change to the sources: any changed tracked file, or an untracked
/// file outside `results/` (runs write their outputs there; they are not the tree the binary was built from).
pub(crate) fn tree_dirty(porcelain: &str) -> bool {
    porcelain.lines().filter(|l| !l.trim().is_empty()).any(|l| !l.starts_with("?? results/"))
}
