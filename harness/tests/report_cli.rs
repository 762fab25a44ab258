//! The built binary's `report`, `plan` and `compare` on the fixtures in tests/fixtures/ (a trimmed ceiling
//! result, a trimmed node run, a crypto sweep with synthetic gpu rows, a synthetic tune ranking).

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn hsbench(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hsbench")).args(args).output().expect("the hsbench binary runs")
}

fn fixture(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name).to_str().unwrap().to_string()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn read_json(path: &str) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// The ceiling fixture with its throughput scaled by `factor`, written into `dir`.
fn scaled_ceiling(dir: &Path, name: &str, factor: f64) -> String {
    let mut v = read_json(&fixture("ceiling.json"));
    for key in ["ceiling_tps", "committed_tps_mean"] {
        let x = v["metrics"][key].as_f64().unwrap();
        v["metrics"][key] = (x * factor).into();
    }
    let path = dir.join(name);
    std::fs::write(&path, serde_json::to_vec(&v).unwrap()).unwrap();
    path.to_str().unwrap().to_string()
}

#[test]
fn report_writes_markdown_and_valid_svgs() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report");
    let fixtures = [fixture("ceiling.json"), fixture("crypto.json"), fixture("node-run.json"), fixture("tune.json")];
    let mut args = vec!["report"];
    args.extend(fixtures.iter().map(String::as_str));
    args.extend(["--out", out.to_str().unwrap()]);
    let run = hsbench(&args);
    assert!(run.status.success(), "{}", text(&run.stderr));
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    for needle in [
        "## Summary",
        "## Methodology",
        "coordinated-omission corrected",
        "## Fingerprints",
        "ceiling 14,000 tx/s offered",
        "Effective configuration",
        "crossover",
    ] {
        assert!(md.contains(needle), "report.md lacks {needle:?}");
    }
    let mut svgs: Vec<PathBuf> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "svg"))
        .collect();
    svgs.sort();
    // ceiling: curve, stages, latency; crypto: 2 ops; node run: stages, latency; tune: ranking.
    assert_eq!(svgs.len(), 8, "{svgs:?}");
    for svg in &svgs {
        let body = std::fs::read_to_string(svg).unwrap();
        let doc = roxmltree::Document::parse(&body).unwrap_or_else(|e| panic!("{}: {e}", svg.display()));
        assert_eq!(doc.root_element().tag_name().name(), "svg");
        let name = svg.file_name().unwrap().to_str().unwrap();
        assert!(md.contains(&format!("]({name})")), "report.md does not embed {name}");
    }
    let curve = std::fs::read_to_string(out.join("01-ceiling-curve.svg")).unwrap();
    assert!(curve.contains("ceiling 14,000 tx/s"));
    assert!(curve.contains("offered load (tx/s)") && curve.contains("p99 latency (ms)"));
    let tune = std::fs::read_to_string(out.join("04-tune-tune.svg")).unwrap();
    assert!(tune.contains("no ceiling found"));
}

/// A crypto result whose gpu Ed25519 cell carries its dispatch phases gets a table of them per item verified on the
/// device; gpu cells of other operations and files without phases get none.
#[test]
fn a_crypto_report_shows_where_the_gpus_ed25519_time_went() {
    let dir = tempfile::tempdir().unwrap();
    let mut v = read_json(&fixture("crypto.json"));
    let phases = serde_json::json!({"gpu_items": 400, "ed25519_host_us": 150, "ed25519_upload_us": 40,
                                    "ed25519_compute_us": 60000, "ed25519_readback_us": 4});
    for c in v["metrics"]["cells"].as_array_mut().unwrap() {
        if c["backend"] == "gpu" && c["batch"] == 256 {
            c["gpu"] = phases.clone(); // the ed25519-verify cell and the g1-aggregate one
        }
    }
    let path = dir.path().join("crypto.json");
    std::fs::write(&path, serde_json::to_vec(&v).unwrap()).unwrap();
    let report = |input: &str, out: &Path| {
        let run = hsbench(&["report", input, "--out", out.to_str().unwrap()]);
        assert!(run.status.success(), "{}", text(&run.stderr));
        std::fs::read_to_string(out.join("report.md")).unwrap()
    };
    let md = report(path.to_str().unwrap(), &dir.path().join("with"));
    assert!(md.contains("Where the gpu's Ed25519 time went (µs per item verified on the device)"), "{md}");
    assert_eq!(md.matches("| gpu | 256 | 0.38 | 0.10 | 150.00 | 0.01 |").count(), 1, "{md}");
    let without = report(&fixture("crypto.json"), &dir.path().join("without"));
    assert!(!without.contains("Where the gpu's Ed25519 time went"), "{without}");
}

#[test]
fn a_cluster_run_without_stages_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let mut v = read_json(&fixture("node-run.json"));
    v["mode"] = "cluster".into();
    v["metrics"].as_object_mut().unwrap().remove("stages");
    let path = dir.path().join("cluster.json");
    std::fs::write(&path, serde_json::to_vec(&v).unwrap()).unwrap();
    let out = dir.path().join("r");
    let run = hsbench(&["report", path.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert!(run.status.success(), "{}", text(&run.stderr));
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(md.contains("No per-stage metrics in this file"));
}

#[test]
fn schema_version_zero_is_refused_with_exit_code_two() {
    let dir = tempfile::tempdir().unwrap();
    let mut v = read_json(&fixture("ceiling.json"));
    v["schema_version"] = 0.into();
    let old = dir.path().join("old.json");
    std::fs::write(&old, serde_json::to_vec(&v).unwrap()).unwrap();
    let old = old.to_str().unwrap();
    for args in [
        vec!["report", old],
        vec!["compare", old, &fixture("ceiling.json")],
        vec!["plan", "--target-tps", "1000", "--results", old],
    ] {
        let run = hsbench(&args);
        let err = text(&run.stderr);
        assert_eq!(run.status.code(), Some(2), "{args:?}: {err}");
        assert!(
            err.contains(&format!(
                "{old}: result schema version 0 is not supported by this hsbench (expects 1); re-run with this version"
            )),
            "{err}"
        );
    }
}

#[test]
fn compare_fails_a_quarter_regression_and_passes_three_percent() {
    let dir = tempfile::tempdir().unwrap();
    let base = fixture("ceiling.json");
    let worse = scaled_ceiling(dir.path(), "worse.json", 0.75);
    let md = dir.path().join("diff.md");
    let run = hsbench(&["compare", &base, &worse, "--markdown", md.to_str().unwrap()]);
    assert_eq!(run.status.code(), Some(1), "{}", text(&run.stderr));
    assert!(text(&run.stderr).contains("regression"));
    let table = std::fs::read_to_string(&md).unwrap();
    assert!(table.contains("| ceiling (tx/s offered) | 14,000 | 10,500 | 0.750 | **FAIL** |"), "{table}");
    assert_eq!(text(&run.stdout), table);

    let close = scaled_ceiling(dir.path(), "close.json", 0.97);
    let run = hsbench(&["compare", &base, &close]);
    assert_eq!(run.status.code(), Some(0), "{}", text(&run.stderr));
    assert!(text(&run.stdout).contains("**Verdict: PASS**"));

    let warn = scaled_ceiling(dir.path(), "warn.json", 0.85);
    let run = hsbench(&["compare", &base, &warn]);
    assert_eq!(run.status.code(), Some(0));
    assert!(text(&run.stdout).contains("**Verdict: WARN**"));

    let run = hsbench(&["compare", &base, &fixture("crypto.json")]);
    assert_eq!(run.status.code(), Some(2), "unlike kinds are a usage error");
}

/// A ceiling search the synthetic committee stopped: `compare` gives no ratio against it (exit 0, verdict
/// HARNESS-BOUND) even though its committed throughput is far below the base's, and `report` says harness-bound
/// where the ceiling would be.
#[test]
fn compare_and_report_say_harness_bound_instead_of_a_ratio() {
    let dir = tempfile::tempdir().unwrap();
    let mut v = read_json(&fixture("ceiling.json"));
    let m = &mut v["metrics"];
    m["ceiling_tps"] = Value::Null;
    m["committed_tps_mean"] = 0.0.into();
    m["confirmed"] = false.into();
    m["harness_bound"] = serde_json::json!({
        "at_tps": 8000.0, "passed_tps": 4000.0,
        "reason": "synthetic committee saturated: work due 100 % of the window (≥ 90 %), CPU 97 % of a core over 3.7 s"
    });
    let bound = dir.path().join("bound.json");
    std::fs::write(&bound, serde_json::to_vec(&v).unwrap()).unwrap();
    let bound = bound.to_str().unwrap();

    let run = hsbench(&["compare", &fixture("ceiling.json"), bound]);
    assert_eq!(run.status.code(), Some(0), "{}", text(&run.stderr));
    let out = text(&run.stdout);
    assert!(out.contains("| harness-bound |") && !out.contains("**FAIL**"), "{out}");
    assert!(out.contains("new is harness-bound at 8000 tx/s") && out.contains("**Verdict: HARNESS-BOUND**"), "{out}");

    let report = dir.path().join("report");
    let run = hsbench(&["report", bound, "--out", report.to_str().unwrap()]);
    assert!(run.status.success(), "{}", text(&run.stderr));
    let md = std::fs::read_to_string(report.join("report.md")).unwrap();
    assert!(md.contains("no ceiling: harness-bound at 8000 tx/s"), "{md}");
    assert!(md.contains("**Harness-bound** at 8,000 tx/s") && md.contains("met the SLO up to 4,000 tx/s"), "{md}");
}

#[test]
fn compare_pairs_folders_and_judges_crypto_cells() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    std::fs::create_dir_all(&a).unwrap();
    std::fs::create_dir_all(&b).unwrap();
    std::fs::copy(fixture("crypto.json"), a.join("crypto.json")).unwrap();
    let mut v = read_json(&fixture("crypto.json"));
    for cell in v["metrics"]["cells"].as_array_mut().unwrap() {
        if let Some(r) = cell["items_per_s"].as_f64() {
            cell["items_per_s"] = (r * 0.5).into();
        }
    }
    std::fs::write(b.join("crypto-later.json"), serde_json::to_vec(&v).unwrap()).unwrap();
    let run = hsbench(&["compare", a.to_str().unwrap(), b.to_str().unwrap()]);
    assert_eq!(run.status.code(), Some(1));
    let out = text(&run.stdout);
    assert!(out.contains("| ed25519-verify gpu batch 256 (items/s) | 60,000 | 30,000 | 0.500 | **FAIL** |"), "{out}");
}

#[test]
fn plan_matches_independently_fitted_lines() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().to_str().unwrap();
    let run = hsbench(&[
        "plan",
        "--target-tps",
        "100000",
        "--results",
        &fixture("ceiling.json"),
        "--gpu-results",
        &fixture("crypto.json"),
        "--out",
        out,
    ]);
    let stdout = text(&run.stdout);
    assert!(run.status.success(), "{}{}", stdout, text(&run.stderr));
    // Each stage's line, computed here from the fixture's passing probes (least squares of busy cores on the
    // committed rate; no line — a slope through the origin — for fewer than 3 rates, a negative fixed part or a
    // line that does not rise), then cores = ⌈(fixed + marginal × 100,000) ÷ 0.8⌉.
    let ceiling = read_json(&fixture("ceiling.json"));
    let probes: Vec<&Value> = ceiling["metrics"]["curve"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["pass"] == true)
        .map(|p| &p["result"])
        .collect();
    let names = ["ingress", "sigverify", "node", "execution", "storage"];
    let expected: Vec<(f64, f64)> = names
        .iter()
        .map(|name| {
            let xy: Vec<(f64, f64)> = probes
                .iter()
                .map(|r| {
                    let tps = r["committed_tps"].as_f64().unwrap();
                    let stage = r["stages"].as_array().unwrap().iter().find(|s| s["name"] == *name).unwrap();
                    (tps, stage["cost_ns_per_tx"].as_f64().unwrap() * tps / 1e9)
                })
                .collect();
            let n = xy.len() as f64;
            let (mx, my) = (xy.iter().map(|p| p.0).sum::<f64>() / n, xy.iter().map(|p| p.1).sum::<f64>() / n);
            let sxx: f64 = xy.iter().map(|p| (p.0 - mx).powi(2)).sum();
            let slope = xy.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum::<f64>() / sxx;
            let fixed = my - slope * mx;
            if xy.len() >= 3 && slope > 0.0 && fixed >= 0.0 {
                (fixed, slope)
            } else {
                (0.0, xy.iter().map(|p| p.0 * p.1).sum::<f64>() / xy.iter().map(|p| p.0 * p.0).sum::<f64>())
            }
        })
        .collect();
    let want_cores: Vec<u64> = expected
        .iter()
        .map(|(fixed, slope)| (((fixed + slope * 100_000.0) / 0.8) - 1e-9).ceil().max(1.0) as u64)
        .collect();
    assert_eq!(probes.len(), 9, "the fixture's passing probes");
    let total: u64 = want_cores.iter().sum();
    assert!(stdout.contains(&format!("CPU only (P)          {total} cores")), "{stdout}");
    // GPU (synthetic 60,000/s at batch 256): 100,000 ÷ 48,000 = 2.08 → 3 GPUs, plus every other stage's cores.
    let host = total - want_cores[1];
    assert!(stdout.contains(&format!("3 × synthetic test GPU (P) + {host} host cores (P)")), "{stdout}");
    let file = std::fs::read_dir(out).unwrap().next().unwrap().unwrap().path();
    let plan = read_json(file.to_str().unwrap());
    assert_eq!(plan["kind"], "plan");
    let stages = plan["metrics"]["stages"].as_array().unwrap();
    let cores: Vec<u64> = stages.iter().map(|s| s["cores"]["value"].as_u64().unwrap()).collect();
    assert_eq!(cores, want_cores);
    for (stage, (fixed, slope)) in stages.iter().zip(&expected) {
        let got_fixed = stage["fixed_cores"]["value"].as_f64().unwrap();
        let got_marginal = stage["marginal_ns_per_tx"]["value"].as_f64().unwrap();
        assert!((got_fixed - fixed).abs() < 1e-9 && (got_marginal - slope * 1e9).abs() < 1e-6, "{stage}");
    }
    // The node stage's line has a fixed part: less than the cost per tx at the measured rate would say.
    assert!(expected[2].0 > 0.0 && expected[2].1 * 1e9 < stages[2]["cost_ns_per_tx"]["value"].as_f64().unwrap());
    assert_eq!(stages[2]["fixed_cores"]["basis"], "fitted");
    assert_eq!(stages[1]["cost_ns_per_tx"]["basis"], "measured");
    assert_eq!(plan["metrics"]["cpu_only"]["total_cores"]["basis"], "projected");
    assert_eq!(plan["metrics"]["gpu"]["gpus"]["value"], 3);

    let run = hsbench(&["plan", "--target-tps", "0", "--results", &fixture("ceiling.json")]);
    assert_eq!(run.status.code(), Some(2));
    let run = hsbench(&["plan", "--target-tps", "1000", "--results", &fixture("crypto.json")]);
    assert_eq!(run.status.code(), Some(2));
    assert!(text(&run.stderr).contains("no per-stage metrics"));
}
