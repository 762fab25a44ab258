//! The global allocator of every binary linking this crate: mimalloc, or the system allocator with the
//! `system-alloc` feature (allocator A/B). [`ALLOCATOR`] names the one in use for result fingerprints.
//!
//! mimalloc returns freed memory to the OS after a delay (a "purge": decommit or `MADV_DONTNEED`). The pipeline
//! frees every batch on another thread than the one that allocated it, at tens of thousands of batches a second,
//! so purged pages were faulted straight back in — with transparent huge pages, each fault zeroes 2 MiB. A node-mode
//! run at 20,000 tx/s on a 2-core Zen 4 spent ~15 % of the node stage's samples in that zeroing; with purging off,
//! page faults halved and the process's CPU time for the same run fell 2–8 % (four A/B pairs: two with
//! `MIMALLOC_PURGE_DELAY=-1` on one binary, two old binary against new). [`keep_freed_memory`] turns purging off: the price is that the resident set stays
//! at its peak, which a benchmark node (and a validator sized for its peak) pays anyway.

/// Name of the global allocator this build uses and how it is set (`"mimalloc, no purge"` or `"system"`).
pub const ALLOCATOR: &str = if cfg!(feature = "system-alloc") { "system" } else { "mimalloc, no purge" };

#[cfg(not(feature = "system-alloc"))]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_purge_delay` in the mimalloc v3 sources libmimalloc-sys builds (`include/mimalloc.h`, `mi_option_e`):
/// the Rust bindings do not name it. The unit test below checks the index reads mimalloc's purge delay.
#[cfg(not(feature = "system-alloc"))]
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Turns off mimalloc's return of freed memory to the OS (see the module doc); a no-op with `system-alloc`.
/// Called first thing in `main`: options are read at each purge, so it applies to every later free.
pub fn keep_freed_memory() {
    #[cfg(not(feature = "system-alloc"))]
    // SAFETY: mi_option_set only stores an integer in mimalloc's option table; any value is valid for it.
    unsafe {
        libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, -1)
    };
}

/// Cargo features this build was compiled with (for the fingerprint).
pub fn features() -> Vec<&'static str> {
    let mut features = Vec::new();
    if cfg!(feature = "system-alloc") {
        features.push("system-alloc");
    }
    features
}

#[cfg(all(test, not(feature = "system-alloc")))]
mod tests {
    use super::*;

    /// The option index is mimalloc's purge delay: its value is the documented default (1,000 ms in mimalloc v3)
    /// or what `MIMALLOC_PURGE_DELAY` says, and `keep_freed_memory` makes it -1 (no purge).
    #[test]
    fn the_purge_delay_option_is_the_one_set() {
        let expected: std::ffi::c_long =
            std::env::var("MIMALLOC_PURGE_DELAY").ok().and_then(|v| v.parse().ok()).unwrap_or(1000);
        // SAFETY: reads an integer from mimalloc's option table.
        let before = unsafe { libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY) };
        assert_eq!(before, expected, "option {MI_OPTION_PURGE_DELAY} is not mimalloc's purge delay");
        keep_freed_memory();
        // SAFETY: as above.
        let after = unsafe { libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY) };
        assert_eq!(after, -1);
    }
}
