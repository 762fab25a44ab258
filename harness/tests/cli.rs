//! The built `hsbench` binary: help, configuration errors (exit code 2, one line), and short real runs.

use std::path::Path;
use std::process::{Command, Output};

fn hsbench(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hsbench")).args(args).output().expect("the hsbench binary runs")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Runs `hsbench run` with `args` and expects a configuration error whose message contains `needle`.
fn expect_config_error(args: &[&str], needle: &str) {
    let out = hsbench(args);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
    assert_eq!(err.lines().count(), 1, "{args:?}: one line expected, got {err:?}");
    assert!(err.starts_with("error: "), "{args:?}: {err}");
    assert!(err.contains(needle), "{args:?}: {err:?} lacks {needle:?}");
}

fn write_config(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_string()
}

fn only_json(dir: &Path) -> serde_json::Value {
    let files: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(files.len(), 1, "{files:?}");
    assert!(files[0].file_name().unwrap().to_str().unwrap().starts_with("run-"));
    serde_json::from_slice(&std::fs::read(&files[0]).unwrap()).unwrap()
}

#[test]
fn help_lists_the_subcommands_and_options() {
    let out = hsbench(&["--help"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("run") && text.contains("devices"), "{text}");
    let out = hsbench(&["run", "--help"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for option in ["--config", "--duration", "--out", "--rate", "--seed", "--quiet"] {
        assert!(text.contains(option), "run --help lacks {option}: {text}");
    }
    assert!(hsbench(&["--version"]).status.success());
}

/// `--no-pin` runs node mode with no thread pinned, and the run's warnings say so; it is refused where the node
/// does not run in this process (cluster mode, `--wire`).
#[test]
fn no_pin_runs_node_mode_unpinned_and_is_refused_elsewhere() {
    let dir = tempfile::tempdir().unwrap();
    let (out, cache) = (dir.path().join("run"), dir.path().join("cache"));
    let args = ["run", "--mode", "node", "--no-pin", "--quiet", "--rate", "300", "--duration", "2"];
    let paths = ["--out", out.to_str().unwrap(), "--cache", cache.to_str().unwrap()];
    let run = hsbench(&[&args[..], &paths[..]].concat());
    assert!(run.status.success(), "{}\n{}", String::from_utf8_lossy(&run.stdout), stderr(&run));
    let m = &only_json(&out)["metrics"];
    let warnings: Vec<&str> = m["warnings"].as_array().unwrap().iter().filter_map(|w| w.as_str()).collect();
    assert!(warnings.iter().any(|w| w.contains("threads unpinned (--no-pin)")), "{warnings:?}");
    assert!(m["committed_tps"].as_f64().is_some_and(|t| t > 0.0), "{m}");
    expect_config_error(&["run", "--no-pin"], "--no-pin");
    expect_config_error(&["run", "--mode", "node", "--wire", "--no-pin"], "--no-pin");
    expect_config_error(&["ceiling", "--wire", "--no-pin"], "--no-pin");
}

#[test]
fn configuration_errors_exit_with_code_two_and_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let unknown = write_config(d, "unknown.toml", "[run]\nrate_tps = 10.0\nrate = 5\n");
    expect_config_error(&["run", "--config", &unknown], "unknown field `rate`");
    expect_config_error(&["run", "--config", &unknown], "unknown.toml:3:");
    let small = write_config(d, "small.toml", "[cluster]\nvalidators = 3\n");
    expect_config_error(&["run", "--config", &small], "cluster.validators: must be at least 4");
    let zero = write_config(d, "zero.toml", "[run]\nrate_tps = 0.0\n");
    expect_config_error(&["run", "--config", &zero], "run.rate_tps");
    expect_config_error(&["run", "--rate", "0"], "run.rate_tps");
    expect_config_error(&["run", "--duration", "0"], "run.duration_s");
    let bad_enum = write_config(d, "enum.toml", "[cluster]\nstorage = \"floppy\"\n");
    expect_config_error(&["run", "--config", &bad_enum], "unknown variant `floppy`");
    let missing = d.join("missing.toml");
    expect_config_error(&["run", "--config", missing.to_str().unwrap()], "missing.toml");
    expect_config_error(&["run", "--config", d.to_str().unwrap()], "cannot read config");
    let chain = write_config(d, "chain.toml", "[cluster]\nchain_id = 2\n[mempool]\nchain_id = 3\n");
    expect_config_error(&["run", "--config", &chain], "mempool.chain_id");
    // A refused configuration writes no result.
    let out = d.join("out");
    expect_config_error(&["run", "--config", &small, "--out", out.to_str().unwrap()], "cluster.validators");
    assert!(!out.exists());
}

/// A run's `memory` on Linux: a peak resident set of at least a MiB (a node holds its state, corpus and queues), at
/// least the set at the stop, and the peak reset when the run started (the kernel allows it for the process itself).
fn assert_process_memory(memory: &serde_json::Value) {
    if !cfg!(target_os = "linux") {
        assert!(memory.is_null(), "{memory}");
        return;
    }
    let bytes = |k: &str| memory[k].as_u64().unwrap_or_else(|| panic!("memory.{k}: {memory}"));
    assert!(bytes("peak_rss_bytes") >= 1 << 20 && bytes("peak_rss_bytes") >= bytes("rss_bytes"), "{memory}");
    assert_eq!(memory["peak_since_run_start"], true, "{memory}");
}

// Wall-clock time: an unoptimized build verifies too slowly for the cluster to keep up with the smoke rate.
#[test]
#[cfg_attr(debug_assertions, ignore = "wall-clock smoke run needs an optimized build: cargo test --release")]
fn smoke_run_commits_and_nodes_agree() {
    let dir = tempfile::tempdir().unwrap();
    let out = hsbench(&["run", "--duration", "3", "--quiet", "--out", dir.path().to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", stderr(&out));
    assert!(stdout.contains("result: "), "{stdout}");
    let v = only_json(dir.path());
    assert_eq!(v["schema_version"], 1);
    assert_eq!(v["kind"], "run");
    let m = &v["metrics"];
    assert!(m["committed_tps"].as_f64().unwrap() > 0.0, "{m}");
    assert!(m["offered_tps"].as_f64().unwrap() > 0.0, "{m}");
    assert_eq!(m["consistent"], true, "{m}");
    assert!(m["committed_height"].as_u64().unwrap() > 0);
    assert!(m["blocks"].as_u64().unwrap() > 0);
    for p in ["p50", "p90", "p99", "p999", "max", "count"] {
        assert!(m["latency_us"][p].as_u64().unwrap() > 0, "latency_us.{p}: {m}");
    }
    let b = &m["books"];
    let n = |k: &str| b[k].as_u64().unwrap();
    assert_eq!(n("submitted"), n("committed") + n("rejected") + n("pending"));
    assert!(m["rejected"]["mempool_full"].is_u64(), "every reject reason is listed: {m}");
    assert_eq!(m["nodes"].as_array().unwrap().len(), 4);
    assert_process_memory(&m["memory"]);
    assert!(stdout.contains("memory            peak "), "{stdout}");
    let f = &v["fingerprint"];
    for key in ["hsbench_version", "git_commit", "rustc", "cpu_model", "ed25519_backend", "config_hash", "allocator"] {
        assert!(f[key].as_str().is_some_and(|s| !s.is_empty()), "fingerprint.{key}: {f}");
    }
    assert_eq!(f["seed"], 1);
    assert_eq!(v["config"]["run"]["duration_s"], 3.0);
}

#[test]
#[cfg_attr(
    debug_assertions,
    ignore = "unoptimized crypto makes even a short cluster run take ~30 s: cargo test --release"
)]
fn virtual_clock_runs_are_reproducible() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(
        dir.path(),
        "virtual.toml",
        "[run]\nduration_s = 2.0\nwarmup_s = 0.5\ncooldown_s = 0.5\nrate_tps = 200.0\n[cluster]\nclock = \"virtual\"\n",
    );
    let mut results = Vec::new();
    for i in 0..2 {
        let out_dir = dir.path().join(format!("out{i}"));
        let out = hsbench(&["run", "--quiet", "--config", &config, "--out", out_dir.to_str().unwrap()]);
        assert!(out.status.success(), "{}\n{}", String::from_utf8_lossy(&out.stdout), stderr(&out));
        results.push(only_json(&out_dir));
    }
    let (a, b) = (&results[0]["metrics"], &results[1]["metrics"]);
    assert_eq!(a["consistent"], true, "{a}");
    assert!(a["committed_tps"].as_f64().unwrap() > 0.0, "{a}");
    for key in ["state_root", "executed_height", "committed_height", "latency_us", "books", "committed_tps"] {
        assert_eq!(a[key], b[key], "virtual time makes {key} reproducible");
    }
}

#[test]
fn ceiling_and_node_mode_parse_and_refuse_bad_configs() {
    let out = hsbench(&["ceiling", "--help"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for option in ["--config", "--out", "--budget-minutes", "--seed", "--cache", "--quiet"] {
        assert!(text.contains(option), "ceiling --help lacks {option}: {text}");
    }
    let text = String::from_utf8_lossy(&hsbench(&["run", "--help"]).stdout).into_owned();
    assert!(text.contains("--mode") && text.contains("node"), "{text}");
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let bad = write_config(d, "bad.toml", "[ceiling]\nprecision = 2.0\n");
    let out = hsbench(&["ceiling", "--config", &bad, "--out", d.join("out").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("ceiling.precision"), "{}", stderr(&out));
    let skew = write_config(d, "skew.toml", "[workload]\nskew = { zipf = -1.0 }\n");
    expect_config_error(&["run", "--mode", "node", "--config", &skew], "workload.skew");
    let cores = write_config(d, "cores.toml", "[pipeline]\ncores = \"manual\"\n");
    expect_config_error(&["run", "--mode", "node", "--config", &cores], "expected \"auto\"");
}

#[test]
#[cfg_attr(debug_assertions, ignore = "a wall-clock node run needs an optimized build: cargo test --release")]
fn node_mode_run_balances_its_books() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("out");
    let cache = dir.path().join("cache");
    let out = hsbench(&[
        "run",
        "--mode",
        "node",
        "--quiet",
        "--rate",
        "500",
        "--duration",
        "3",
        "--out",
        out_dir.to_str().unwrap(),
        "--cache",
        cache.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}\n{}", String::from_utf8_lossy(&out.stdout), stderr(&out));
    let v = only_json(&out_dir);
    assert_eq!((v["kind"].as_str(), v["mode"].as_str()), (Some("run"), Some("node")));
    let m = &v["metrics"];
    let b = &m["books"];
    let n = |k: &str| b[k].as_u64().unwrap();
    assert_eq!(n("submitted"), 1500);
    assert_eq!(n("submitted"), n("committed") + n("rejected") + n("pending"));
    assert!(m["commit_rate_tps"].as_f64().unwrap() > 0.0, "{m}");
    assert!(m["latency_uncorrected_us"]["p99"].is_u64(), "{m}");
    assert!(!m["bottleneck"].as_str().unwrap().is_empty(), "{m}");
    assert!(m["stages"].as_array().is_some_and(|s| !s.is_empty()), "{m}");
    // 4 validators at a low rate: the committee keeps up, so the run measured the node.
    assert!(m["harness_bound"].is_null(), "{m}");
    assert!(m["committee_window"]["working_pct"].as_f64().is_some_and(|w| w < 90.0), "{m}");
    assert_process_memory(&m["memory"]);
    let f = &v["fingerprint"];
    assert!(f["core_map"]["sigverify"].is_array(), "{f}");
    assert!(f["gpu_adapter"].is_string() && f["allocator"] == hsbench::alloc::ALLOCATOR, "{f}");
    assert!(std::fs::read_dir(&cache).unwrap().count() >= 2, "corpus cached (+ .gitignore)");
}

/// A synthetic committee of 255 BLS validators on its one thread cannot follow 2000 tx/s while the node's own stages
/// idle: the run says it is harness-bound (JSON and table) but still succeeds, and a ceiling search over the same
/// set-up stops at its first harness-bound failure with no ceiling and a `harness_bound` verdict.
///
/// The committee's load grows with its size and shrinks with the CPU's speed, so the margin is sized for CPUs faster
/// than this project's 2-core VM: once signing hashed each message to G2 once (c64b68d), 63 validators with the
/// default 500 ms p99 met the SLO at 2000 tx/s (CI 2026-12-06, and here: the search doubled, then bisected). Measured on the Zen 3 VM at 2000 tx/s, the
/// committee's work due is 12 % of its window with 3 validators, 56 % with 31, 97 % with 63 and far past saturation
/// with 255 (a quarter of the load committed in the run); the p99 is 190 ms with 3 validators, so the 100 ms SLO
/// fails on any of these CPUs and the harness-bound verdict is what the test checks.
#[test]
#[cfg_attr(debug_assertions, ignore = "a wall-clock node run needs an optimized build: cargo test --release")]
fn a_starved_committee_makes_node_runs_and_ceilings_harness_bound() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let cache = d.join("cache");
    let config = write_config(
        d,
        "big.toml",
        "[cluster]\nvalidators = 256\nvote_scheme = \"bls\"\n\n[slo]\np99_ms = 100.0\n\n[ceiling]\nstart_tps = 2000.0\nprobe_s = 3.0\n\
         warmup_s = 0.6\ncooldown_s = 0.3\ndrain_s = 1.0\nbound_s = 0.0\n",
    );
    // Runs `args` with this configuration, the shared corpus cache and `out`; expects success, returns stdout.
    let succeed = |args: &[&str], out: &Path| {
        let common =
            ["--quiet", "--config", &config, "--cache", cache.to_str().unwrap(), "--out", out.to_str().unwrap()];
        let run = hsbench(&[args, &common[..]].concat());
        let stdout = String::from_utf8_lossy(&run.stdout).into_owned();
        assert!(run.status.success(), "{args:?}: {stdout}\n{}", stderr(&run));
        stdout
    };
    let run_out = d.join("run");
    let stdout = succeed(&["run", "--mode", "node", "--rate", "2000", "--duration", "3"], &run_out);
    assert!(stdout.contains("HARNESS-BOUND"), "{stdout}");
    let m = &only_json(&run_out)["metrics"];
    let why = m["harness_bound"].as_str().unwrap_or_else(|| panic!("no harness_bound verdict: {m}"));
    assert!(why.starts_with("synthetic committee saturated"), "{why}");
    let w = &m["committee_window"];
    assert!(w["working_pct"].as_f64().is_some_and(|w| w >= 90.0), "{w}");
    assert!(w["node_working_pct"].as_f64().is_some_and(|w| w < 90.0), "{w}");
    for s in m["stages"].as_array().unwrap() {
        assert!(s["busy_pct"].as_f64().is_some_and(|b| b < 50.0), "the node's stages are far from busy: {s}");
    }

    let ceiling_out = d.join("ceiling");
    let stdout = succeed(&["ceiling"], &ceiling_out);
    assert!(stdout.contains("HARNESS-BOUND at "), "{stdout}");
    let files: Vec<_> = std::fs::read_dir(&ceiling_out).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(files.len(), 1, "{files:?}");
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&files[0]).unwrap()).unwrap();
    let m = &v["metrics"];
    assert!(m["ceiling_tps"].is_null(), "a harness-bound search reports no ceiling: {m}");
    let curve = m["curve"].as_array().unwrap();
    let last = curve.last().unwrap();
    assert_eq!(m["harness_bound"]["at_tps"], last["rate_tps"], "{m}");
    assert!(last["pass"] == false && last["result"]["harness_bound"].is_string(), "{last}");
    assert!(
        curve.iter().all(|p| p["phase"] == "double"),
        "nothing passed before the harness-bound failure: the search stops there, no halving"
    );
}

/// `[crypto] backend = "gpu"` runs the node under test's sigverify stage on the GPU (lavapipe in CI): every
/// transaction commits, the GPU verified at least one per transaction, nothing fell back to the CPU. The in-process
/// cluster refuses the gpu backend with a configuration error.
#[test]
#[cfg_attr(debug_assertions, ignore = "a wall-clock node run needs an optimized build: cargo test --release")]
fn node_mode_runs_its_sigverify_stage_on_the_gpu() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let gpu = write_config(d, "gpu.toml", "[crypto]\nbackend = \"gpu\"\ngpu_batch = 256\n");
    expect_config_error(&["run", "--config", &gpu], "crypto.backend");
    if let Err(e) = hsbench_kernels::select_adapter(None) {
        println!("skipped: no GPU adapter ({e})");
        return;
    }
    let out_dir = d.join("out");
    let cache = d.join("cache");
    let args = ["run", "--mode", "node", "--quiet", "--config", &gpu, "--rate", "200", "--duration", "3"];
    let out = hsbench(&[&args[..], &["--out", out_dir.to_str().unwrap(), "--cache", cache.to_str().unwrap()]].concat());
    assert!(out.status.success(), "{}\n{}", String::from_utf8_lossy(&out.stdout), stderr(&out));
    let v = only_json(&out_dir);
    let m = &v["metrics"];
    let submitted = m["books"]["submitted"].as_u64().unwrap();
    assert_eq!(m["books"]["committed"].as_u64(), Some(submitted), "{m}");
    let g = &m["gpu"];
    assert!(g["gpu_items"].as_u64().unwrap() >= submitted, "{g}");
    assert_eq!(g["cpu_fallback_items"].as_u64(), Some(0), "{g}");
    assert_eq!(v["fingerprint"]["crypto_backend"], "gpu");
}

/// `tune` documents its knobs and refuses a non-positive budget as a configuration error.
#[test]
fn tune_parses_and_refuses_bad_budgets() {
    let text = String::from_utf8_lossy(&hsbench(&["tune", "--help"]).stdout).into_owned();
    for option in ["--budget-minutes", "--out", "--backends", "--probe-s", "--min-gain", "--config"] {
        assert!(text.contains(option), "tune --help lacks {option}: {text}");
    }
    expect_config_error(&["tune", "--budget-minutes", "0"], "--budget-minutes");
    expect_config_error(&["tune", "--precision", "0"], "--precision");
}
