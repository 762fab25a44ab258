//! The built binary's `history add` / `history show` round trip on the ceiling fixture (three commits: a
//! baseline, a 3 % dip that passes, a halving that fails), a malformed line reported with its number, and
//! `report --history` embedding the history figures into report.md and index.html.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn hsbench(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hsbench")).args(args).output().expect("the hsbench binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/ceiling.json")
}

/// The ceiling fixture built from `commit` with its throughput scaled by `factor`, written into `dir`.
fn result_at(dir: &Path, commit: &str, factor: f64) -> String {
    let mut v: Value = serde_json::from_slice(&std::fs::read(fixture()).unwrap()).unwrap();
    for key in ["ceiling_tps", "committed_tps_mean"] {
        let x = v["metrics"][key].as_f64().unwrap();
        v["metrics"][key] = (x * factor).into();
    }
    v["fingerprint"]["git_commit"] = commit.into();
    let path = dir.join(format!("ceiling-{commit}.json"));
    std::fs::write(&path, serde_json::to_vec(&v).unwrap()).unwrap();
    path.to_str().unwrap().to_string()
}

#[test]
fn history_add_then_show_round_trips_and_gates() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("results/history.jsonl");
    let file_arg = file.to_str().unwrap();
    let out = dir.path().join("figures");
    for (commit, factor) in [("c0ffee01", 1.0), ("c0ffee02", 0.97)] {
        let add = hsbench(&["history", "add", &result_at(dir.path(), commit, factor), "--file", file_arg]);
        assert!(add.status.success(), "{}", text(&add.stderr));
        assert!(text(&add.stdout).contains(&format!("added ceiling-{commit}.json ({commit}, ceiling)")));
    }
    let lines: Vec<Value> =
        std::fs::read_to_string(&file).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[1]["git_commit"], "c0ffee02");
    assert_eq!(lines[1]["machine"], "2 × AMD EPYC");
    assert_eq!(lines[1]["metrics"][0]["name"], "ceiling (tx/s offered)");
    assert_eq!(lines[1]["metrics"][0]["value"], 14_000.0 * 0.97);

    let show = |out: &Path| hsbench(&["history", "show", "--file", file_arg, "--out", out.to_str().unwrap()]);
    let shown = show(&out);
    assert!(shown.status.success(), "{}", text(&shown.stderr));
    let table = text(&shown.stdout);
    assert!(table.contains("## ceiling on 2 × AMD EPYC, config 7ca8045e732043a3"), "{table}");
    assert!(table.contains("| 1 | `c0ffee01` | `ceiling-c0ffee01.json` | 14,000 |"), "{table}");
    assert!(table.contains("| 2 | `c0ffee02` | `ceiling-c0ffee02.json` | 13,580 (pass) |"), "{table}");
    let svg = std::fs::read_to_string(out.join("history-ceiling-tx-s-offered.svg")).unwrap();
    let doc = roxmltree::Document::parse(&svg).unwrap();
    let titles: Vec<&str> = doc.descendants().filter(|n| n.has_tag_name("title")).filter_map(|n| n.text()).collect();
    assert_eq!(titles, ["#1 c0ffee01: 14,000", "#2 c0ffee02: 13,580 — pass against the previous 14,000"]);

    // A halving is a regression: exit code 1, named.
    let add = hsbench(&["history", "add", &result_at(dir.path(), "c0ffee03", 0.5), "--file", file_arg]);
    assert!(add.status.success(), "{}", text(&add.stderr));
    let shown = show(&out);
    assert_eq!(shown.status.code(), Some(1), "{}", text(&shown.stdout));
    assert!(
        text(&shown.stdout).contains("| 3 | `c0ffee03` | `ceiling-c0ffee03.json` | 7,000 (**FAIL**) |"),
        "{}",
        text(&shown.stdout)
    );
    assert!(text(&shown.stderr).contains("regression: the newest entry falls below --fail-below 0.8"));

    // The HTML report embeds the history of its results' series.
    let report = dir.path().join("report");
    let run =
        hsbench(&["report", &fixture().to_string_lossy(), "--history", file_arg, "--out", report.to_str().unwrap()]);
    assert!(run.status.success(), "{}", text(&run.stderr));
    let md = std::fs::read_to_string(report.join("report.md")).unwrap();
    assert!(md.contains("## History") && md.contains("](h01-history-ceiling-tx-s-offered.svg)"), "{md}");
    let html = std::fs::read_to_string(report.join("index.html")).unwrap();
    assert!(html.contains("#3 c0ffee03: 7,000 — FAIL against the previous 13,580"), "history figure not inlined");

    // A malformed line: a usage error (exit code 2) with the file and line number.
    let mut f = std::fs::OpenOptions::new().append(true).open(&file).unwrap();
    std::io::Write::write_all(&mut f, b"{\"file\": \"x\"\n").unwrap();
    let shown = show(&out);
    assert_eq!(shown.status.code(), Some(2));
    let err = text(&shown.stderr);
    assert!(err.contains(&format!("{}:4: not a history entry: ", file.display())), "{err}");
}

#[test]
fn results_without_headline_metrics_are_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("h.jsonl");
    let mut plan: Value = serde_json::from_slice(&std::fs::read(fixture()).unwrap()).unwrap();
    plan["kind"] = "plan".into();
    plan["metrics"] = serde_json::json!({});
    let path = dir.path().join("plan-1.json");
    std::fs::write(&path, serde_json::to_vec(&plan).unwrap()).unwrap();
    let add = hsbench(&["history", "add", path.to_str().unwrap(), "--file", file.to_str().unwrap()]);
    assert!(add.status.success(), "{}", text(&add.stderr));
    assert!(text(&add.stdout).contains("skipped plan-1.json (kind plan: no headline metrics to follow)"));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "");
}

#[test]
fn history_show_without_a_file_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("none.jsonl");
    let shown = hsbench(&["history", "show", "--file", missing.to_str().unwrap()]);
    assert_eq!(shown.status.code(), Some(1));
    assert!(text(&shown.stderr).contains("cannot read history"), "{}", text(&shown.stderr));
}
