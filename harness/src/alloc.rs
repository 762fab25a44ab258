//! The global allocator of every binary linking this crate: mimalloc, or the system allocator with the
//! `system-alloc` feature (allocator A/B). [`ALLOCATOR`] names the one in use for result fingerprints.

/// Name of the global allocator this build uses (`"mimalloc"` or `"system"`).
pub const ALLOCATOR: &str = if cfg!(feature = "system-alloc") { "system" } else { "mimalloc" };

#[cfg(not(feature = "system-alloc"))]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Cargo features this build was compiled with (for the fingerprint).
pub fn features() -> Vec<&'static str> {
    let mut features = Vec::new();
    if cfg!(feature = "system-alloc") {
        features.push("system-alloc");
    }
    features
}
