//! Core pinning under a restricted affinity mask (as `taskset -c 1` or a cpuset gives): the automatic layout
//! names only cores the process may run on, so every stage really pins (Linux: the mask is set with
//! `sched_setaffinity`); a core map naming any other core is refused before node mode starts.

mod common;

use common::{config, funded};
use hsbench_engine::crypto::VoteScheme;
use hsbench_engine::runtime::pipeline::{
    CoreLayout, CoreMap, NodeModeConfig, NodeUnderTest, PipelineConfig, PipelineError,
};
#[cfg(target_os = "linux")]
use hsbench_engine::runtime::pipeline::{available_cores, pin_to_core};

/// The calling thread's affinity mask, as core ids.
#[cfg(target_os = "linux")]
fn thread_mask() -> Vec<usize> {
    // SAFETY: a zeroed cpu_set_t is a valid empty set; sched_getaffinity writes at most its size.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    let rc = unsafe { libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) };
    assert_eq!(rc, 0, "sched_getaffinity: {}", std::io::Error::last_os_error());
    (0..libc::CPU_SETSIZE as usize).filter(|&c| unsafe { libc::CPU_ISSET(c, &set) }).collect()
}

/// Restricts the calling thread (and the threads it spawns from now on) to `core`.
#[cfg(target_os = "linux")]
fn restrict_to(core: usize) {
    // SAFETY: as above; `core` < CPU_SETSIZE (it came from a mask).
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    unsafe { libc::CPU_SET(core, &mut set) };
    let rc = unsafe { libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) };
    assert_eq!(rc, 0, "sched_setaffinity({core}): {}", std::io::Error::last_os_error());
}

/// A thread restricted to one core other than 0 (the highest this process may use; 0 only on a one-core
/// machine) sees exactly that core as available, and every stage of the automatic layout pins to it.
#[test]
#[cfg(target_os = "linux")]
fn auto_layout_pins_every_stage_under_a_restricted_mask() {
    let allowed = thread_mask();
    let Some(&core) = allowed.last() else { panic!("empty affinity mask") };
    if core == 0 {
        println!("note: this process may only use core 0; the restriction cannot exclude core 0 here");
    }
    let outcome = std::thread::spawn(move || {
        restrict_to(core);
        let available = available_cores();
        let map = CoreMap::auto(&available);
        let mut pins = Vec::new();
        for (stage, cores) in map.stages() {
            for &c in cores {
                let pinned = std::thread::spawn(move || pin_to_core(c).map(|()| thread_mask()))
                    .join()
                    .expect("pinning thread ran");
                pins.push((stage, c, pinned));
            }
        }
        (available, pins)
    })
    .join()
    .expect("restricted thread ran");
    let (available, pins) = outcome;
    println!("restricted to core {core}: available {available:?}");
    assert!(!pins.is_empty());
    for (stage, c, pinned) in pins {
        match pinned {
            Ok(mask) => assert_eq!(mask, vec![core], "{stage} pinned to core {c} but runs on {mask:?}"),
            Err(w) => panic!(
                "{stage}: the automatic layout names core {c}, which does not pin under a mask of \
                              core {core}: {w}"
            ),
        }
    }
}

/// An explicit core map naming a core the process may not run on (10000 exceeds every affinity mask) is a
/// configuration error naming the stage and the core, not a run with that stage silently unpinned.
#[test]
fn node_mode_refuses_a_core_map_naming_a_core_the_process_may_not_use() {
    let map = CoreMap { storage: vec![10_000], ..CoreMap::default() };
    let mut cluster = config(4, 11);
    cluster.chain.vote_scheme = VoteScheme::Ed25519;
    cluster.chain.genesis_accounts = funded(4, 1_000_000);
    let pipeline = PipelineConfig { cores: CoreLayout::Explicit(map), ..Default::default() };
    let started = NodeUnderTest::start(NodeModeConfig { pipeline, ..NodeModeConfig::new(cluster.chain) });
    match started {
        Err(PipelineError::Config(msg)) => {
            assert!(msg.contains("storage") && msg.contains("10000"), "{msg}");
        }
        Err(other) => panic!("expected a config error, got {other}"),
        Ok(node) => {
            let warnings = node.stop().map(|r| r.warnings).unwrap_or_default();
            panic!("node mode started with storage on core 10000 (warnings: {warnings:?})");
        }
    }
}

/// The niceness of the thread with this name in this process (field 19 of `/proc/self/task/<tid>/stat`), or
/// `None` when no thread has that name.
#[cfg(target_os = "linux")]
fn nice_of_thread(name: &str) -> Option<i32> {
    for task in std::fs::read_dir("/proc/self/task").ok()?.flatten() {
        let comm = std::fs::read_to_string(task.path().join("comm")).unwrap_or_default();
        if comm.trim_end() != name {
            continue;
        }
        let stat = std::fs::read_to_string(task.path().join("stat")).ok()?;
        // The name in field 2 may hold spaces; the fields after its closing parenthesis are space-separated,
        // state first (field 3), so nice (field 19) is the 17th of them.
        let rest = &stat[stat.rfind(')')? + 1..];
        return rest.split_whitespace().nth(16)?.parse().ok();
    }
    None
}

/// `[pipeline.nice]` reaches the threads: each named stage's threads (a stage thread, a helper pool's lanes) run
/// at their niceness, a stage not named keeps the process's, and the report says what was set.
#[test]
#[cfg(target_os = "linux")]
fn stage_threads_run_at_their_configured_niceness() {
    let mut cluster = config(4, 12);
    cluster.chain.genesis_accounts = funded(4, 1_000_000);
    let cores = available_cores();
    let one = vec![cores[0]];
    let map = CoreMap {
        ingress: one.clone(),
        sigverify: one.clone(),
        node: one.clone(),
        execution: vec![cores[0], *cores.last().unwrap_or(&cores[0])],
        storage: one.clone(),
        committee: one,
        ..CoreMap::default()
    };
    let nice: std::collections::BTreeMap<String, i32> =
        [("sigverify".to_string(), 7), ("execution".to_string(), 3)].into();
    let pipeline = PipelineConfig { cores: CoreLayout::Explicit(map), nice: nice.clone(), ..Default::default() };
    // SAFETY: getpriority reads the calling thread's niceness (Linux: PRIO_PROCESS with 0 is this thread); it
    // can return -1 as a value, which is a niceness like any other here.
    let process = unsafe { libc::getpriority(libc::PRIO_PROCESS, 0) };
    let node = NodeUnderTest::start(NodeModeConfig { pipeline, ..NodeModeConfig::new(cluster.chain) })
        .expect("node mode starts");
    // A stage thread names itself and sets its niceness when it starts running, which may be after `start`
    // returns: look until every thread shows what is expected of it, for at most 10 s, then judge what was seen.
    let expected = [("sigverify-0", Some(7)), ("execution", Some(3)), ("execution-1", Some(3))];
    let look = || -> Vec<(&str, Option<i32>)> {
        ["sigverify-0", "execution", "execution-1", "node", "storage"].iter().map(|t| (*t, nice_of_thread(t))).collect()
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let mut seen = look();
    while (seen[..3] != expected || seen[3..].iter().any(|(_, n)| n.is_none())) && std::time::Instant::now() < deadline
    {
        std::thread::sleep(std::time::Duration::from_millis(10));
        seen = look();
    }
    let report = node.stop().expect("a report");
    let node_nice = seen[3].1;
    assert_eq!(seen[0], ("sigverify-0", Some(7)), "{seen:?}");
    assert_eq!(seen[1], ("execution", Some(3)), "the stage thread: {seen:?}");
    assert_eq!(seen[2], ("execution-1", Some(3)), "its lane: {seen:?}");
    assert!(node_nice.is_some() && node_nice == seen[4].1, "node and storage keep one niceness: {seen:?}");
    assert_eq!(
        node_nice,
        Some(process),
        "a stage not named keeps the niceness of the thread that started it: {seen:?}"
    );
    assert_eq!(report.nice, nice);
    assert!(!report.warnings.iter().any(|w| w.contains("niceness")), "{:?}", report.warnings);
}
