//! Stage threads: which cores the process may use, pinning, spawning a pinned thread, and the warnings that a
//! failed pin or a stuck thread leaves for the report.

use super::error::PipelineError;
use super::metrics::LaneClocks;
use super::stage::StageKind;
use rayon::ThreadPool;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

/// Whether this process pins its threads (see [`disable_pinning`]).
static PINNING: AtomicBool = AtomicBool::new(true);

/// Stops every later [`pin_to_core`] of this process from pinning: each thread then runs wherever the OS
/// schedules it, within the process's affinity mask. For a process that shares its cores with more busy
/// processes than there are cores — `hsbench cluster` with more validators than cores — where pinning each
/// process's threads to fixed cores keeps the scheduler from balancing them (measured on the 2-core VM, 4
/// signature-free validators at 30,000 tx/s: p50/p99 196–200/410–434 ms with each process pinned to its one core,
/// 141–147/243–298 ms unpinned). Process-wide on purpose: it is a property of how the process was deployed
/// (`hsbench node --no-pin`), set once at its start, like its affinity mask (`--cpus`).
pub fn disable_pinning() {
    PINNING.store(false, Ordering::Relaxed);
}

/// Whether this process pins its threads (false after [`disable_pinning`]).
pub fn pinning_enabled() -> bool {
    PINNING.load(Ordering::Relaxed)
}

/// Pins the calling thread to `core`, a core id as the OS numbers it (one of [`available_cores`]). A core the
/// thread may not run on, or a platform that refuses pinning, yields a warning and leaves the thread running
/// unpinned — never a crash. (Configured core maps are checked against [`available_cores`] before any thread
/// starts, see [`super::CoreLayout::resolve`], so this is the last line of defence, not the usual path.) After
/// [`disable_pinning`] it leaves the thread where it is and succeeds; the pipeline's report says so once.
pub fn pin_to_core(core: usize) -> Result<(), String> {
    if !pinning_enabled() {
        return Ok(());
    }
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

/// Sets the calling thread's scheduling niceness (-20 most favoured … 19 least): threads sharing a core share it
/// by weight, and a thread that wakes with work is run before a less favoured one that is busy (see
/// [`super::PipelineConfig::nice`] for why sigverify runs at 10). Raising the value needs no privilege; lowering it
/// below the thread's current one needs `CAP_SYS_NICE` (root), and a refusal is returned as a message — the thread
/// keeps running at its old niceness.
pub fn set_nice(nice: i32) -> Result<(), String> {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: gettid takes no arguments and cannot fail; setpriority on PRIO_PROCESS with a thread id changes
        // only that thread's niceness (Linux's per-thread nice value).
        let rc = unsafe { libc::setpriority(libc::PRIO_PROCESS, libc::gettid() as libc::id_t, nice) };
        if rc != 0 {
            return Err(format!(
                "cannot set niceness {nice}: {}; thread keeps its niceness",
                std::io::Error::last_os_error()
            ));
        }
        Ok(())
    }
    #[cfg(not(target_os = "linux"))]
    Err(format!("niceness {nice} is only set on Linux; thread keeps its niceness"))
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

/// Restricts the calling thread — and every thread it starts afterwards — to `cores`, so that
/// [`available_cores`] and the automatic layout see only them (a validator process sharing a machine with
/// others takes its own share of the cores). Fails naming the cores when the OS refuses.
pub fn restrict_to_cores(cores: &[usize]) -> Result<(), String> {
    if cores.is_empty() {
        return Err("no cores given".into());
    }
    #[cfg(target_os = "linux")]
    {
        // SAFETY: `set` is a plain bit set, zero-initialised and then filled through the libc macros for indices
        // checked against CPU_SETSIZE; `sched_setaffinity(0, ..)` reads it for the calling thread only.
        let rc = unsafe {
            let mut set: libc::cpu_set_t = std::mem::zeroed();
            for &c in cores {
                if c >= libc::CPU_SETSIZE as usize {
                    return Err(format!("core {c} is beyond what this OS can address"));
                }
                libc::CPU_SET(c, &mut set);
            }
            libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set)
        };
        if rc != 0 {
            return Err(format!("the OS refused cores {cores:?}: {}", std::io::Error::last_os_error()));
        }
        Ok(())
    }
    #[cfg(not(target_os = "linux"))]
    Err("restricting a process to cores is only done on Linux".into())
}

/// `processes` shares of `cores` for processes that run side by side: contiguous and as even as possible when
/// there are at least as many cores as processes (the rest to the last ones), else one core each, round robin.
pub fn core_shares(cores: &[usize], processes: usize) -> Vec<Vec<usize>> {
    let n = processes.max(1);
    if cores.is_empty() {
        return vec![Vec::new(); n];
    }
    if cores.len() < n {
        return (0..n).map(|i| vec![cores[i % cores.len()]]).collect();
    }
    let (base, extra) = (cores.len() / n, cores.len() % n);
    let mut at = 0;
    (0..n)
        .map(|i| {
            let take = base + usize::from(i >= n - extra);
            let share = cores[at..at + take].to_vec();
            at += take;
            share
        })
        .collect()
}

/// Warnings collected from every thread (failed pins, stuck stages) for the report.
pub(crate) type Warnings = Arc<Mutex<Vec<String>>>;

/// Appends a warning (a poisoned lock still takes it: warnings must not be lost to a panic elsewhere). The log
/// records it as it happens, at `info`: the report carries it as a warning, and stderr keeps its old output.
pub(crate) fn warn(warnings: &Warnings, w: String) {
    tracing::info!(warning = %w, "pipeline warning (also in the run's report)");
    warnings.lock().unwrap_or_else(|e| e.into_inner()).push(w);
}

/// Pins the calling thread (`thread` in messages) to `core` and sets its niceness to `nice`, each when given; a
/// refusal becomes a warning and the thread runs on as it was. What every stage and helper thread does first.
fn place_current(thread: &str, core: Option<usize>, nice: Option<i32>, warnings: &Warnings) {
    if let Some(core) = core
        && let Err(w) = pin_to_core(core)
    {
        warn(warnings, format!("{thread}: {w}"));
    }
    if let Some(nice) = nice
        && let Err(w) = set_nice(nice)
    {
        warn(warnings, format!("{thread}: {w}"));
    }
}

/// Spawns a named thread that pins itself to `core` and sets its niceness (see [`place_current`]), then runs `f`.
pub(crate) fn spawn_pinned<R: Send + 'static>(
    name: String,
    core: Option<usize>,
    nice: Option<i32>,
    warnings: &Warnings,
    f: impl FnOnce() -> R + Send + 'static,
) -> Result<JoinHandle<R>, PipelineError> {
    let warnings = warnings.clone();
    let stage = name.clone();
    std::thread::Builder::new()
        .name(name.clone())
        .spawn(move || {
            place_current(&name, core, nice, &warnings);
            tracing::debug!(thread = %name, core = ?core, nice = ?nice, "stage thread started");
            let out = f();
            tracing::debug!(thread = %name, "stage thread stopped");
            out
        })
        .map_err(|source| PipelineError::Spawn { stage, source })
}

/// A stage's helper threads: the pool that runs them and their CPU clocks (charged to the stage's busy time).
pub(crate) type HelperPool = (Arc<ThreadPool>, Arc<LaneClocks>);

/// Whether the thread that builds a [`helper_pool`] is one of the pool's threads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Caller {
    /// The caller hands work over and waits (`install` from outside the pool): every core gets a pool thread.
    Waits,
    /// The caller is the pool's thread 0 — it pins itself to `cores[0]` *after* building the pool (threads
    /// inherit their creator's affinity mask, and the others must be free to pin to their own cores), and its
    /// CPU time is its own stage clock's, so it is not registered in the pool's clocks. The pool spawns threads for `cores[1..]`
    /// only, and the caller's `install` runs on the caller itself: no thread is woken to start the work, none
    /// to hand the result back, and the caller computes instead of sleeping. Measured on the 2-core VM: an empty
    /// `install` + `join` costs ~10–22 µs when the caller waits, ~0 when it joins, and a 1,000-transfer block on
    /// 2 lanes ran 1.26× → 1.83× one lane. Rules (rayon's): the thread must not already be in a pool, and it
    /// should end with its stage — rayon leaks the pool's bookkeeping (a few KiB) once per such pool.
    Joins,
}

/// The helper threads of `stage` on `cores` — execution lanes, admission shards: a pool of one thread per core,
/// thread `i` named `<stage>-<i>` and pinned to `cores[i]` (a failed pin is a warning), its CPU clock registered
/// in the returned [`LaneClocks`]; with [`Caller::Joins`] thread 0 is the calling thread. `None` for fewer than
/// `min` cores: the stage's own thread does the work.
pub(crate) fn helper_pool(
    stage: StageKind,
    cores: &[usize],
    min: usize,
    nice: Option<i32>,
    warnings: &Warnings,
    caller: Caller,
) -> Result<Option<HelperPool>, PipelineError> {
    if cores.is_empty() || cores.len() < min {
        return Ok(None);
    }
    let clocks = Arc::new(LaneClocks::default());
    let (registry, cores_of, warnings, name) = (clocks.clone(), cores.to_vec(), warnings.clone(), stage.name());
    let builder = match caller {
        Caller::Waits => rayon::ThreadPoolBuilder::new(),
        // rayon runs no start handler for the calling thread: the handler below only sees threads 1 and up.
        Caller::Joins => rayon::ThreadPoolBuilder::new().use_current_thread(),
    };
    let pool = builder
        .num_threads(cores.len())
        .thread_name(move |i| format!("{name}-{i}"))
        .start_handler(move |i| {
            place_current(&format!("{name}-{i}"), cores_of.get(i).copied(), nice, &warnings);
            if !registry.register_current() {
                warn(&warnings, format!("{name}-{i}: no thread CPU clock; its time is not counted"));
            }
        })
        .build()
        .map_err(|e| PipelineError::Spawn { stage: name.into(), source: std::io::Error::other(e) })?;
    Ok(Some((Arc::new(pool), clocks)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A pool built with `Caller::Joins` counts the calling thread as its thread 0, spawns only the others, and
    /// runs the caller's `install` on the caller itself; with `Caller::Waits` every thread is a spawned one.
    #[test]
    fn a_joining_caller_is_thread_zero_and_runs_its_own_installs() {
        let allowed = available_cores();
        let two = vec![allowed[0], allowed.get(1).copied().unwrap_or(allowed[0])];
        let caller = std::thread::spawn(move || {
            let warnings = Warnings::default();
            let joined = helper_pool(StageKind::Execution, &two, 2, None, &warnings, Caller::Joins);
            let (pool, _) = joined.expect("a pool").expect("two cores give a pool");
            let me = std::thread::current().id();
            assert_eq!(pool.current_num_threads(), 2);
            assert_eq!(pool.current_thread_index(), Some(0));
            assert_eq!(pool.install(|| std::thread::current().id()), me);
            let waited = helper_pool(StageKind::Admission, &two, 1, None, &warnings, Caller::Waits);
            let (other, _) = waited.expect("a pool").expect("two cores give a pool");
            assert_eq!(other.current_num_threads(), 2);
            assert_ne!(other.install(|| std::thread::current().id()), me);
            assert!(warnings.lock().map(|w| w.iter().all(|w| !w.contains("clock"))).unwrap_or(false));
        });
        caller.join().expect("the caller thread");
    }

    /// After `disable_pinning` a pin leaves the thread free to run on every core it could before. The switch
    /// is process-wide, so the test runs itself again in a child process and checks there.
    #[test]
    fn after_disable_pinning_a_pin_leaves_the_thread_where_it_was() {
        const CHILD: &str = "HSBENCH_PINNING_TEST_CHILD";
        if std::env::var_os(CHILD).is_none() {
            let name = "runtime::pipeline::threads::tests::after_disable_pinning_a_pin_leaves_the_thread_where_it_was";
            let exe = std::env::current_exe().expect("the test binary");
            let out = std::process::Command::new(exe)
                .args(["--exact", name, "--test-threads", "1"])
                .env(CHILD, "1")
                .output()
                .expect("running the child");
            let stdout = String::from_utf8_lossy(&out.stdout);
            assert!(
                out.status.success() && stdout.contains("1 passed"),
                "{stdout}{}",
                String::from_utf8_lossy(&out.stderr)
            );
            return;
        }
        let before = available_cores();
        assert!(pinning_enabled());
        disable_pinning();
        assert!(!pinning_enabled());
        pin_to_core(before[0]).expect("a pin that does nothing succeeds");
        assert_eq!(available_cores(), before, "the thread was pinned");
    }

    #[test]
    fn core_shares_are_disjoint_even_and_cover_every_core() {
        let sixteen: Vec<usize> = (0..16).collect();
        assert_eq!(
            core_shares(&sixteen, 4),
            vec![vec![0, 1, 2, 3], vec![4, 5, 6, 7], vec![8, 9, 10, 11], vec![12, 13, 14, 15]]
        );
        let six: Vec<usize> = (0..6).collect();
        assert_eq!(core_shares(&six, 4), vec![vec![0], vec![1], vec![2, 3], vec![4, 5]]);
        assert_eq!(core_shares(&[4, 9], 4), vec![vec![4], vec![9], vec![4], vec![9]]);
    }
}
