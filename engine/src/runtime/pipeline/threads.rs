//! Stage threads: which cores the process may use, pinning, spawning a pinned thread, and the warnings that a
//! failed pin or a stuck thread leaves for the report.

use super::error::PipelineError;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

/// Pins the calling thread to `core`, a core id as the OS numbers it (one of [`available_cores`]). A core the
/// thread may not run on, or a platform that refuses pinning, yields a warning and leaves the thread running
/// unpinned — never a crash. (Configured core maps are checked against [`available_cores`] before any thread
/// starts, see [`super::CoreLayout::resolve`], so this is the last line of defence, not the usual path.)
pub fn pin_to_core(core: usize) -> Result<(), String> {
    let Some(ids) = core_affinity::get_core_ids() else {
        return Err(format!("cannot list this machine's cores; thread meant for core {core} runs unpinned"));
    };
    let Some(id) = ids.iter().find(|id| id.id == core) else {
        let allowed: Vec<usize> = ids.iter().map(|id| id.id).collect();
        return Err(format!(
            "core {core} is not one this thread may run on (allowed: {allowed:?}); thread runs unpinned"
        ));
    };
    if core_affinity::set_for_current(*id) {
        Ok(())
    } else {
        Err(format!("pinning to core {core} failed; thread runs unpinned"))
    }
}

/// Ids of the cores the calling thread may run on, ascending and never empty: its affinity mask on Linux
/// (`taskset`, cpusets and containers restrict it, so ids need not start at 0 nor be contiguous), `0..n`
/// where the platform numbers cores by index, and `0..available_parallelism` when it cannot list them.
/// These are the ids [`pin_to_core`] accepts and [`super::CoreMap::auto`] lays stages out on.
pub fn available_cores() -> Vec<usize> {
    let mut ids: Vec<usize> = core_affinity::get_core_ids().unwrap_or_default().into_iter().map(|id| id.id).collect();
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        ids = (0..std::thread::available_parallelism().map_or(1, |n| n.get())).collect();
    }
    ids
}

/// Warnings collected from every thread (failed pins, stuck stages) for the report.
pub(crate) type Warnings = Arc<Mutex<Vec<String>>>;

/// Appends a warning (a poisoned lock still takes it: warnings must not be lost to a panic elsewhere).
pub(crate) fn warn(warnings: &Warnings, w: String) {
    warnings.lock().unwrap_or_else(|e| e.into_inner()).push(w);
}

/// Spawns a named thread that pins itself to `core` (a failed pin becomes a warning) and then runs `f`.
pub(crate) fn spawn_pinned<R: Send + 'static>(
    name: String,
    core: Option<usize>,
    warnings: &Warnings,
    f: impl FnOnce() -> R + Send + 'static,
) -> Result<JoinHandle<R>, PipelineError> {
    let warnings = warnings.clone();
    let stage = name.clone();
    std::thread::Builder::new()
        .name(name.clone())
        .spawn(move || {
            if let Some(core) = core
                && let Err(w) = pin_to_core(core)
            {
                warn(&warnings, format!("{name}: {w}"));
            }
            f()
        })
        .map_err(|source| PipelineError::Spawn { stage, source })
}
