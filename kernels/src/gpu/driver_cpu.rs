//! CPU time of the threads a CPU-emulated adapter's driver runs its work on (lavapipe/llvmpipe), read from
//! `/proc/self/task/<tid>/stat` (Linux only; elsewhere nothing is measured).
//!
//! Which threads: those that appeared in this process while the adapter was enumerated and the device
//! created ([`DriverThreads`]), and whose names are the driver's. Names alone cannot pick them out: on this
//! machine's Mesa 25.0 lavapipe, opening a device starts two `llvmpipe-N` threads (rasterizer), one
//! `<process>:disk$0` thread (shader cache) and three unnamed ones (the compute pool, which runs the kernels,
//! and a queue thread), which carry the name of the thread that created them — checked by listing
//! `/proc/<pid>/task/*/{comm,stat}` while the GPU tests ran (the compute pool had the CPU time). So a new thread
//! counts when it is named `llvmpipe-*`, `*:disk$*` or like the creating thread. Caveats: a thread of that
//! name another part of the process starts meanwhile would be counted too; threads that exit take their time
//! with them.

/// The threads a CPU-emulated adapter's driver started during one device creation, by thread id.
#[derive(Debug, Clone, Default)]
pub(crate) struct DriverThreads {
    tids: Vec<u32>,
}

impl DriverThreads {
    /// The driver's threads among those in `after` that were not in `before` (two [`thread_ids`] snapshots
    /// around adapter enumeration and device creation, on the thread that did them).
    pub fn started_between(before: &[u32], after: &[u32]) -> Self {
        let creator = thread_name("thread-self");
        let driver = |tid: &u32| thread_name(&format!("self/task/{tid}")).is_some_and(|n| is_driver(&n, &creator));
        Self { tids: after.iter().copied().filter(|t| !before.contains(t)).filter(driver).collect() }
    }

    /// User + system CPU time of these threads so far, ms (threads that have exited count 0).
    pub fn cpu_ms(&self) -> f64 {
        let ticks: u64 = self.tids.iter().filter_map(|&tid| thread_ticks(tid)).sum();
        ticks as f64 * 1e3 / clock_ticks_per_s() as f64
    }
}

/// Ids of this process's threads now (empty where `/proc` is not readable).
pub(crate) fn thread_ids() -> Vec<u32> {
    let Ok(dir) = std::fs::read_dir("/proc/self/task") else { return Vec::new() };
    dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok()).collect()
}

/// Whether a new thread named `name` is the driver's, the device having been created on a thread named
/// `creator` (unnamed driver threads inherit that name).
fn is_driver(name: &str, creator: &Option<String>) -> bool {
    name.starts_with("llvmpipe-") || name.contains(":disk$") || creator.as_deref() == Some(name)
}

/// The name (`comm`) of the thread at `/proc/<path>`, e.g. `thread-self` or `self/task/<tid>`.
fn thread_name(path: &str) -> Option<String> {
    Some(std::fs::read_to_string(format!("/proc/{path}/comm")).ok()?.trim_end().to_string())
}

/// User + system CPU time of thread `tid` of this process in clock ticks, or `None` when it cannot be read
/// (exited, no `/proc`).
fn thread_ticks(tid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/self/task/{tid}/stat")).ok()?;
    stat_cpu_ticks(&stat)
}

/// `utime + stime` (fields 14 and 15, clock ticks) of a `/proc/<pid>/task/<tid>/stat` line. The second field,
/// the thread name in parentheses, may itself contain spaces and parentheses: fields are counted after its
/// last `)`.
pub(crate) fn stat_cpu_ticks(stat: &str) -> Option<u64> {
    let rest = &stat[stat.rfind(')')? + 1..];
    // After the name: field 3 (state) is the first; utime and stime are fields 14 and 15.
    let mut fields = rest.split_ascii_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(utime + stime)
}

/// Clock ticks per second of the `/proc` CPU times (`sysconf(_SC_CLK_TCK)`; 100, Linux's fixed user-space
/// value, if that fails).
fn clock_ticks_per_s() -> u64 {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: sysconf only reads a configuration value.
        let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
        if hz > 0 {
            return hz as u64;
        }
    }
    100
}

#[cfg(test)]
mod tests {
    use super::{DriverThreads, is_driver, stat_cpu_ticks};

    #[test]
    fn cpu_ticks_come_from_utime_and_stime_after_the_name() {
        // A real line's shape; the name holds a space and a parenthesis (a thread may name itself so).
        let line = "20328 (bench) verify_th) S 20324 20324 1234 0 -1 4194368 2048 0 0 0 121 9 0 0 39 19 7 0 \
                    123456 987654321 4321 18446744073709551615 1 1 0 0 0 0 0 4096 1260 0 0 0 -1 1 0 0 0 0 0";
        assert_eq!(stat_cpu_ticks(line), Some(130));
        assert_eq!(stat_cpu_ticks("20334 (llvmpipe-0) S 1 2 3 4 5 6 7 8 9 10 0 0 0"), Some(0));
        assert_eq!(stat_cpu_ticks("no name here"), None);
        assert_eq!(stat_cpu_ticks("1 (short) S 1 2"), None);
        assert_eq!(stat_cpu_ticks("1 (bad) S 1 2 3 4 5 6 7 8 9 10 x 9"), None);
    }

    #[test]
    fn driver_threads_are_new_and_named_like_the_drivers() {
        let creator = Some("verify_test".to_string());
        for name in ["llvmpipe-0", "llvmpipe-15", "hsbench:disk$0", "verify_test"] {
            assert!(is_driver(name, &creator), "{name}");
        }
        for name in ["sigverify-1", "tokio-runtime-w", "verify_tes"] {
            assert!(!is_driver(name, &creator), "{name}");
        }
        assert!(!is_driver("verify_test", &None));
        // Thread ids that do not exist (no /proc entry) are never counted.
        assert!(DriverThreads::started_between(&[1], &[1, u32::MAX]).tids.is_empty());
    }
}
