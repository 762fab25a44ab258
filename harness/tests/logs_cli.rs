//! Structured logs of the built binary: `--log-json FILE` writes one parseable JSON object per line — from the
//! harness (start, probe measured, result written) and from the engine's runtime (node under test started,
//! stage threads) — and the result names the file; stderr keeps its old output (no log lines by default, the
//! one `error:` line on failure); a bad RUST_LOG is a usage error.

use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};

fn hsbench(args: &[&str], rust_log: Option<&str>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_hsbench"));
    match rust_log {
        Some(v) => cmd.env("RUST_LOG", v),
        None => cmd.env_remove("RUST_LOG"),
    };
    cmd.args(args).output().expect("the hsbench binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Every line of `path`, each a JSON object with a timestamp, level, target and message.
fn json_lines(path: &Path) -> Vec<Value> {
    let body = std::fs::read_to_string(path).unwrap();
    let lines: Vec<Value> = body
        .lines()
        .enumerate()
        .map(|(i, l)| serde_json::from_str(l).unwrap_or_else(|e| panic!("line {}: {e}: {l}", i + 1)))
        .collect();
    for l in &lines {
        for key in ["timestamp", "level", "target"] {
            assert!(l[key].is_string(), "{key} missing: {l}");
        }
        assert!(l["fields"]["message"].is_string(), "{l}");
    }
    lines
}

fn has(lines: &[Value], message: &str) -> Option<Value> {
    lines.iter().find(|l| l["fields"]["message"] == message).cloned()
}

#[test]
#[cfg_attr(debug_assertions, ignore = "a wall-clock node run needs an optimized build: cargo test --release")]
fn node_run_writes_json_lines_and_the_result_names_them() {
    let dir = tempfile::tempdir().unwrap();
    let (out, log) = (dir.path().join("out"), dir.path().join("logs/run.jsonl"));
    let cache = dir.path().join("cache");
    let run = hsbench(
        &[
            "run",
            "--mode",
            "node",
            "--quiet",
            "--rate",
            "400",
            "--duration",
            "2",
            "--out",
            out.to_str().unwrap(),
            "--cache",
            cache.to_str().unwrap(),
            "--log-json",
            log.to_str().unwrap(),
        ],
        Some("info,hsbench_engine=debug"),
    );
    assert!(run.status.success(), "{}", text(&run.stderr));
    let lines = json_lines(&log);
    assert!(has(&lines, "hsbench started").is_some());
    let engine = has(&lines, "node under test started").expect("the engine's runtime logs");
    assert!(engine["target"].as_str().unwrap().starts_with("hsbench_engine::runtime"), "{engine}");
    let thread = has(&lines, "stage thread started").expect("debug events pass RUST_LOG's filter");
    assert!(thread["fields"]["thread"].is_string() && thread["threadName"].is_string(), "{thread}");
    let measured = has(&lines, "node run measured").expect("the harness logs the measurement");
    assert!(measured["fields"]["committed_tps"].as_f64().unwrap() > 0.0, "{measured}");
    let written = has(&lines, "result written").expect("the result is logged");
    let result_path = written["fields"]["path"].as_str().unwrap().to_string();
    assert!(has(&lines, "hsbench finished").is_some());
    let result: Value = serde_json::from_slice(&std::fs::read(&result_path).unwrap()).unwrap();
    assert_eq!(result["log_file"].as_str(), log.to_str());
}

#[test]
fn stderr_keeps_its_output_and_failures_are_logged() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("fail.jsonl");
    let missing = dir.path().join("missing.toml");
    let run = hsbench(&["run", "--config", missing.to_str().unwrap(), "--log-json", log.to_str().unwrap()], None);
    assert_eq!(run.status.code(), Some(2));
    let stderr = text(&run.stderr);
    assert_eq!(stderr.lines().count(), 1, "one error line, no log lines: {stderr}");
    assert!(stderr.starts_with("error: "), "{stderr}");
    let lines = json_lines(&log);
    let failed = has(&lines, "hsbench failed").expect("the failure is logged");
    assert_eq!((failed["level"].as_str(), failed["fields"]["exit_code"].as_u64()), (Some("ERROR"), Some(2)));
    assert!(failed["fields"]["error"].as_str().unwrap().contains("missing.toml"), "{failed}");

    // Without --log-json nothing is written anywhere but stdout and stderr; a bad RUST_LOG is refused.
    let bad = hsbench(&["devices"], Some("hsbench=notalevel"));
    assert_eq!(bad.status.code(), Some(2), "{}", text(&bad.stderr));
    assert!(text(&bad.stderr).contains("RUST_LOG=\"hsbench=notalevel\" is not a log filter"), "{}", text(&bad.stderr));
}
