//! The process's resident memory (RSS) during a run: what a validator of this configuration needs in RAM, beside
//! the cores it needs. Read from `/proc/self/status` (`VmRSS`, `VmHWM`); the peak is reset when a run starts by
//! writing `5` to `/proc/self/clear_refs` (Linux ≥ 4.0), so a run's peak is its own and not that of an earlier run
//! in the same process (a ceiling search's probes) — where the kernel refuses the reset, the report says the peak is
//! the process's.

use serde::{Deserialize, Serialize};

/// Resident memory of the whole process (every thread: in node mode the synthetic committee's too).
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ProcessMemory {
    /// Resident set at the stop (bytes).
    pub rss_bytes: u64,
    /// Highest resident set since the run started (bytes), or since the process started when
    /// `peak_since_run_start` is false.
    pub peak_rss_bytes: u64,
    /// Whether the kernel accepted the reset of the peak when the run started.
    pub peak_since_run_start: bool,
}

impl ProcessMemory {
    /// The peak in MiB, for tables.
    pub fn peak_mib(&self) -> f64 {
        mib(self.peak_rss_bytes)
    }

    /// The resident set at the stop in MiB.
    pub fn rss_mib(&self) -> f64 {
        mib(self.rss_bytes)
    }

    /// The peak in MiB as a table cell (no decimals), or "–" for a run that recorded no memory.
    pub fn peak_cell(memory: Option<&ProcessMemory>) -> String {
        memory.map_or_else(|| "–".to_string(), |m| format!("{:.0}", m.peak_mib()))
    }

    /// What the peak covers, for text: the run, or the whole process where the reset was refused.
    pub fn peak_scope(&self) -> &'static str {
        if self.peak_since_run_start { "this run" } else { "the process's life" }
    }
}

/// `bytes` in MiB (2^20 bytes), for tables and reports.
pub fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

/// The process's memory over one run: the peak mark is reset when the watch starts and read when the run ends, so
/// every caller reports the same thing (the run's peak, or the process's where the kernel refused the reset).
#[derive(Clone, Copy, Debug)]
pub struct MemoryWatch {
    peak_reset: bool,
}

impl MemoryWatch {
    /// Resets the peak mark (when the kernel allows it) and starts watching.
    pub fn start() -> Self {
        MemoryWatch { peak_reset: reset_peak_rss() }
    }

    /// The process's memory now, its peak since the watch started; `None` where `/proc/self/status` says nothing.
    pub fn read(&self) -> Option<ProcessMemory> {
        process_memory(self.peak_reset)
    }
}

/// Resets the kernel's peak-RSS mark of this process to its current RSS; false where that is not possible (not
/// Linux, an old kernel, a read-only `/proc`).
fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", b"5").is_ok()
}

/// The process's resident memory now, with `peak_since_run_start` as given; `None` where `/proc/self/status` is
/// not there or has no `VmRSS`/`VmHWM` lines.
fn process_memory(peak_since_run_start: bool) -> Option<ProcessMemory> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let (rss_bytes, peak_rss_bytes) = parse_status(&status)?;
    Some(ProcessMemory { rss_bytes, peak_rss_bytes, peak_since_run_start })
}

/// `(VmRSS, VmHWM)` in bytes from the text of `/proc/<pid>/status` (lines like `VmHWM:   123456 kB`).
fn parse_status(status: &str) -> Option<(u64, u64)> {
    let kib = |key: &str| -> Option<u64> {
        let line = status.lines().find(|l| l.starts_with(key))?;
        let mut fields = line[key.len()..].split_whitespace();
        let value: u64 = fields.next()?.parse().ok()?;
        (fields.next() == Some("kB")).then_some(value.saturating_mul(1024))
    };
    Some((kib("VmRSS:")?, kib("VmHWM:")?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_rss_and_peak_and_refuses_what_is_not_there() {
        let status = "Name:\thsbench\nVmPeak:\t  900000 kB\nVmHWM:\t   52000 kB\nVmRSS:\t   41000 kB\nThreads:\t9\n";
        assert_eq!(parse_status(status), Some((41_000 * 1024, 52_000 * 1024)));
        assert_eq!(parse_status("VmRSS:\t 1 kB\n"), None, "no VmHWM");
        assert_eq!(parse_status("VmRSS:\t x kB\nVmHWM:\t 2 kB\n"), None, "not a number");
        assert_eq!(parse_status("VmRSS:\t 1 MB\nVmHWM:\t 2 kB\n"), None, "not kB");
    }

    /// On Linux this process has a resident set and a peak at least as large (the kernel reports the larger of its
    /// mark and the current set, so a reset lowers the peak to the set, never below).
    #[cfg(target_os = "linux")]
    #[test]
    fn this_process_has_a_resident_set_and_a_peak() {
        let reset = reset_peak_rss();
        let m = process_memory(reset).expect("/proc/self/status on Linux");
        assert!(m.rss_bytes > 0 && m.peak_rss_bytes >= m.rss_bytes, "{m:?}");
        assert_eq!(m.peak_since_run_start, reset);
    }
}
