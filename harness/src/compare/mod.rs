//! The regression gate of `hsbench compare`: the headline metrics of two results side by side, as ratios where
//! below 1 is always worse (new ÷ base for throughput, base ÷ new for latency), each judged against a fail and
//! a warn threshold; fingerprints that differ in machine or build are called out, because such a comparison
//! measures the machines, not the change. [`command`] runs it for the command line.

pub mod command;

use crate::report::markdown::table;
use crate::report::num::thousands;
use crate::result::read::{ResultDoc, ResultError};
use crate::result::view::Metrics;

/// Which way is better (written into history lines as `"higher"` / `"lower"`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// Throughput-like: more is better (ratio new ÷ base).
    Higher,
    /// Latency-like: less is better (ratio base ÷ new).
    Lower,
}

/// One comparable figure of a result (also one headline figure of a history line).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Metric {
    /// Name with unit (`ceiling (tx/s)`, `p99 latency (ms)`).
    pub name: String,
    /// Value in that unit.
    pub value: f64,
    /// Which way is better.
    pub direction: Direction,
}

/// The verdict on one metric.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verdict {
    /// In one file only.
    NotCompared,
    /// Not compared because one side (or both) is harness-bound: the synthetic committee, not the node, set the
    /// figure, so a ratio would compare the harness.
    HarnessBound,
    /// Ratio at or above the warn threshold.
    Pass,
    /// Ratio below the warn threshold.
    Warn,
    /// Ratio below the fail threshold: a regression.
    Fail,
}

impl Verdict {
    /// The verdict as the Markdown tables of `compare` and `history show` write it.
    pub fn text(self) -> &'static str {
        match self {
            Verdict::NotCompared => "not compared",
            Verdict::HarnessBound => "harness-bound",
            Verdict::Pass => "pass",
            Verdict::Warn => "warn",
            Verdict::Fail => "**FAIL**",
        }
    }
}

/// The fail and warn thresholds on the ratio.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Thresholds {
    /// Ratios below this fail.
    pub fail_below: f64,
    /// Ratios below this warn.
    pub warn_below: f64,
}

impl Thresholds {
    /// The thresholds `compare` and `history show` use unless told otherwise (fail below 0.8, warn below 0.9).
    pub const DEFAULT: Thresholds = Thresholds { fail_below: 0.8, warn_below: 0.9 };
}

/// One row of the table.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    /// Metric name with unit.
    pub metric: String,
    /// Base value.
    pub base: Option<f64>,
    /// New value.
    pub new: Option<f64>,
    /// Ratio (below 1 is worse), when both exist.
    pub ratio: Option<f64>,
    /// The verdict.
    pub verdict: Verdict,
}

/// The comparison of one pair of results.
#[derive(Clone, Debug, PartialEq)]
pub struct Comparison {
    /// Base file name.
    pub base: String,
    /// New file name.
    pub new: String,
    /// Kind (and mode).
    pub label: String,
    /// Rows, in the base file's metric order, then metrics only in the new file.
    pub rows: Vec<Row>,
    /// Unlike machines, builds or configurations.
    pub warnings: Vec<String>,
}

impl Comparison {
    /// The worst verdict of the rows.
    pub fn verdict(&self) -> Verdict {
        self.rows.iter().map(|r| r.verdict).max().unwrap_or(Verdict::NotCompared)
    }
}

/// The comparable metrics of a result, by kind: ceiling and runs (throughput, p50, p99, peak resident memory where
/// recorded), crypto (items/s per operation × backend × batch), tune (ceiling per configuration). Other kinds have
/// none.
pub fn metrics_of(doc: &ResultDoc) -> Result<Vec<Metric>, ResultError> {
    let hi = |name: String, value: f64| Metric { name, value, direction: Direction::Higher };
    let lo = |name: &str, us: f64| Metric { name: name.to_string(), value: us / 1e3, direction: Direction::Lower };
    let mut out = Vec::new();
    match &doc.metrics {
        Metrics::Ceiling(m) => {
            if let Some(c) = m.ceiling_tps {
                out.push(hi("ceiling (tx/s offered)".into(), c));
            }
            let committed = doc.need("committed_tps_mean", m.committed_tps_mean)?;
            out.push(hi("committed at the ceiling (tx/s, mean of confirmations)".into(), committed));
            out.push(lo("p50 latency at the ceiling (ms)", doc.need("p50_us", m.p50_us)?));
            out.push(lo("p99 latency at the ceiling (ms)", doc.need("p99_us", m.p99_us)?));
        }
        Metrics::Run(m) => {
            out.push(hi("committed (tx/s)".into(), doc.need("committed_tps", m.committed_tps)?));
            let l = doc.need("latency_us", m.latency_us)?;
            out.push(lo("p50 latency (ms)", l.p50_us));
            out.push(lo("p99 latency (ms)", l.p99_us));
        }
        Metrics::Crypto(_) => {
            for c in doc.crypto_cells()? {
                if let Some(r) = c.items_per_s {
                    out.push(hi(format!("{} {} batch {} (items/s)", c.op, c.backend, c.batch), r));
                }
            }
        }
        Metrics::Tune(_) => {
            for r in doc.tune_ranking().unwrap_or_default() {
                if let Some(c) = r.ceiling_tps {
                    out.push(hi(format!("{} ceiling (tx/s)", r.label), c));
                }
            }
        }
        Metrics::Plan(_) | Metrics::Other => {}
    }
    for (what, memory) in doc.memory() {
        // A ceiling's label names the confirmation rate, which differs between files: the row's name does not.
        let name = match &doc.metrics {
            Metrics::Ceiling(_) => "peak memory at the ceiling (MiB)".to_string(),
            _ => format!("peak memory, {what} (MiB)"),
        };
        out.push(Metric { name, value: memory.peak_mib(), direction: Direction::Lower });
    }
    Ok(out)
}

/// The ratio of `new` to `base` where below 1 is worse.
pub fn ratio(base: f64, new: f64, direction: Direction) -> f64 {
    let (num, den) = match direction {
        Direction::Higher => (new, base),
        Direction::Lower => (base, new),
    };
    if den > 0.0 {
        num / den
    } else if num > 0.0 {
        f64::INFINITY
    } else {
        1.0
    }
}

/// The verdict on `ratio`.
pub fn judge(ratio: f64, t: Thresholds) -> Verdict {
    if ratio < t.fail_below {
        Verdict::Fail
    } else if ratio < t.warn_below {
        Verdict::Warn
    } else {
        Verdict::Pass
    }
}

/// Why `doc` measured the harness rather than the node: a ceiling search stopped by a saturated synthetic
/// committee, or a node-mode run during which it saturated; `None` otherwise.
pub fn harness_bound(doc: &ResultDoc) -> Option<String> {
    match &doc.metrics {
        Metrics::Ceiling(m) => m.harness_bound.as_ref().map(|b| b.headline()),
        Metrics::Run(m) => m.harness_bound.clone(),
        _ => None,
    }
}

/// Compares two results of the same kind. When either side is [`harness_bound`], its rows carry no ratio and
/// the verdict [`Verdict::HarnessBound`]: the figures are the harness's limit, not the node's.
pub fn compare(base: &ResultDoc, new: &ResultDoc, t: Thresholds) -> Result<Comparison, ResultError> {
    let (bm, nm) = (metrics_of(base)?, metrics_of(new)?);
    let bound = [("base", harness_bound(base)), ("new", harness_bound(new))];
    let bound: Vec<String> =
        bound.into_iter().filter_map(|(side, why)| why.map(|why| format!("{side} is {why}"))).collect();
    let mut rows = Vec::new();
    for b in &bm {
        let n = nm.iter().find(|n| n.name == b.name);
        let r = n.map(|n| ratio(b.value, n.value, b.direction)).filter(|_| bound.is_empty());
        let verdict = match r {
            _ if !bound.is_empty() => Verdict::HarnessBound,
            Some(r) => judge(r, t),
            None => Verdict::NotCompared,
        };
        rows.push(Row { metric: b.name.clone(), base: Some(b.value), new: n.map(|n| n.value), ratio: r, verdict });
    }
    for n in nm.iter().filter(|n| !bm.iter().any(|b| b.name == n.name)) {
        let verdict = if bound.is_empty() { Verdict::NotCompared } else { Verdict::HarnessBound };
        rows.push(Row { metric: n.name.clone(), base: None, new: Some(n.value), ratio: None, verdict });
    }
    let mut warnings = Vec::new();
    for why in &bound {
        warnings.push(format!("{why}: no ratio — the synthetic committee, not the node, set its figures"));
    }
    let (bf, nf) = (&base.fingerprint, &new.fingerprint);
    let unlike: [(&str, String, String); 5] = [
        ("cpu_model", bf.cpu_model.clone(), nf.cpu_model.clone()),
        ("cores", bf.cores.to_string(), nf.cores.to_string()),
        ("build_profile", bf.build_profile.clone(), nf.build_profile.clone()),
        ("crypto_backend", bf.crypto_backend.clone(), nf.crypto_backend.clone()),
        ("payload", bf.payload.clone(), nf.payload.clone()),
    ];
    for (field, b, n) in unlike {
        if b != n {
            warnings
                .push(format!("fingerprints differ in {field}: `{b}` vs `{n}` — comparing unlike machines or builds"));
        }
    }
    if bf.config_hash != nf.config_hash {
        warnings.push("the configurations differ (config_hash): the change under test is not the only change".into());
    }
    if rows.is_empty() {
        warnings.push(format!("no comparable metrics for kind `{}`", base.label()));
    }
    Ok(Comparison { base: base.file_name(), new: new.file_name(), label: base.label(), rows, warnings })
}

fn key(d: &ResultDoc) -> (String, Option<String>, String) {
    (d.kind.clone(), d.mode.clone(), d.fingerprint.config_hash.clone())
}

/// How two folders' results were paired.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Pairing {
    /// (base index, new index) of each pair.
    pub pairs: Vec<(usize, usize)>,
    /// What stayed unpaired, and pairs chosen among several candidates.
    pub notes: Vec<String>,
}

/// Pairs the results of two folders: same file name first, then same kind, mode and config hash (in start
/// order when both sides have as many; the newest of each otherwise).
pub fn pair(base: &[ResultDoc], new: &[ResultDoc]) -> Pairing {
    let mut pairs = Vec::new();
    let mut notes = Vec::new();
    let (mut used_b, mut used_n) = (vec![false; base.len()], vec![false; new.len()]);
    for (i, b) in base.iter().enumerate() {
        if let Some(j) = new.iter().position(|n| n.file_name() == b.file_name() && n.kind == b.kind) {
            pairs.push((i, j));
            used_b[i] = true;
            used_n[j] = true;
        }
    }
    let mut keys: Vec<(String, Option<String>, String)> = Vec::new();
    for (i, b) in base.iter().enumerate() {
        let k = key(b);
        if !used_b[i] && !keys.contains(&k) {
            keys.push(k);
        }
    }
    for k in keys {
        let mut bs: Vec<usize> = Vec::new();
        for (i, d) in base.iter().enumerate() {
            if !used_b[i] && key(d) == k {
                bs.push(i);
            }
        }
        let mut ns: Vec<usize> = Vec::new();
        for (j, d) in new.iter().enumerate() {
            if !used_n[j] && key(d) == k {
                ns.push(j);
            }
        }
        bs.sort_by_key(|&i| (base[i].started_unix_s, base[i].file_name()));
        ns.sort_by_key(|&j| (new[j].started_unix_s, new[j].file_name()));
        let matched: Vec<(usize, usize)> = if bs.len() == ns.len() {
            bs.iter().copied().zip(ns.iter().copied()).collect()
        } else if let (Some(&i), Some(&j)) = (bs.last(), ns.last()) {
            notes.push(format!(
                "{} base and {} new `{}` results share a configuration: compared the newest of each",
                bs.len(),
                ns.len(),
                base[i].label()
            ));
            vec![(i, j)]
        } else {
            Vec::new()
        };
        for &(i, j) in &matched {
            used_b[i] = true;
            used_n[j] = true;
        }
        pairs.extend(matched);
    }
    for b in base.iter().enumerate().filter(|(i, _)| !used_b[*i]).map(|(_, b)| b) {
        notes.push(format!("`{}` ({}): no matching new result", b.file_name(), b.label()));
    }
    for n in new.iter().enumerate().filter(|(j, _)| !used_n[*j]).map(|(_, n)| n) {
        notes.push(format!("`{}` ({}): no matching base result", n.file_name(), n.label()));
    }
    Pairing { pairs, notes }
}

fn value(x: Option<f64>, name: &str) -> String {
    match x {
        None => "—".to_string(),
        Some(v) if name.contains("(ms)") => format!("{v:.1}"),
        Some(v) => thousands(v),
    }
}

/// The Markdown of the whole comparison.
pub fn markdown(base: &str, new: &str, comparisons: &[Comparison], notes: &[String], t: Thresholds) -> String {
    let mut out = format!(
        "# hsbench compare\n\nBase `{base}` → new `{new}`. Ratio = new ÷ base for throughput, base ÷ new for latency: \
         below 1 is worse. Fail below {:.2}, warn below {:.2}.\n\n",
        t.fail_below, t.warn_below
    );
    for c in comparisons {
        out.push_str(&format!("## {}: `{}` → `{}`\n\n", c.label, c.base, c.new));
        for w in &c.warnings {
            out.push_str(&format!("> warning: {w}\n"));
        }
        if !c.warnings.is_empty() {
            out.push('\n');
        }
        let rows: Vec<Vec<String>> = c
            .rows
            .iter()
            .map(|r| {
                vec![
                    r.metric.clone(),
                    value(r.base, &r.metric),
                    value(r.new, &r.metric),
                    r.ratio.map_or_else(|| "—".to_string(), |x| format!("{x:.3}")),
                    r.verdict.text().to_string(),
                ]
            })
            .collect();
        out.push_str(&table(&["metric", "base", "new", "ratio", "verdict"], &rows));
        out.push('\n');
    }
    for n in notes {
        out.push_str(&format!("- note: {n}\n"));
    }
    let count = |v: Verdict| comparisons.iter().flat_map(|c| &c.rows).filter(|r| r.verdict == v).count();
    let (fail, warn, pass) = (count(Verdict::Fail), count(Verdict::Warn), count(Verdict::Pass));
    let bound = count(Verdict::HarnessBound);
    let overall = if fail > 0 {
        "FAIL"
    } else if warn > 0 {
        "WARN"
    } else if bound > 0 && pass == 0 {
        "HARNESS-BOUND"
    } else {
        "PASS"
    };
    let bound = if bound > 0 { format!(", {bound} harness-bound (not compared)") } else { String::new() };
    out.push_str(&format!(
        "\n**Verdict: {overall}** — {fail} regression(s) below {:.2}, {warn} warning(s) below {:.2}, {pass} \
         pass{bound}.\n",
        t.fail_below, t.warn_below
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::path::Path;

    const T: Thresholds = Thresholds { fail_below: 0.8, warn_below: 0.9 };

    fn ceiling_json(tps: f64, p99_us: f64, cpu: &str) -> serde_json::Value {
        json!({
            "schema_version": 1, "kind": "ceiling", "started_unix_s": 1,
            "fingerprint": {"build_profile": "release", "cpu_model": cpu, "cores": 2, "crypto_backend": "cpu-batch",
                            "config_hash": "h"},
            "metrics": {"ceiling_tps": tps, "committed_tps_mean": tps, "p50_us": 1000.0, "p99_us": p99_us}
        })
    }

    fn ceiling(name: &str, tps: f64, p99_us: f64, cpu: &str) -> ResultDoc {
        ResultDoc::from_value(Path::new(name), ceiling_json(tps, p99_us, cpu)).unwrap()
    }

    #[test]
    fn a_quarter_less_throughput_fails_and_three_percent_passes() {
        let base = ceiling("a.json", 16_000.0, 400_000.0, "X");
        let c = compare(&base, &ceiling("b.json", 12_000.0, 400_000.0, "X"), T).unwrap();
        assert_eq!(c.rows[0].ratio, Some(0.75));
        assert_eq!(c.verdict(), Verdict::Fail);
        let c = compare(&base, &ceiling("b.json", 15_520.0, 400_000.0, "X"), T).unwrap();
        assert_eq!(c.verdict(), Verdict::Pass);
        assert!(c.warnings.is_empty());
    }

    #[test]
    fn latency_uses_the_inverse_ratio() {
        assert_eq!(ratio(100.0, 125.0, Direction::Lower), 0.8);
        assert_eq!(ratio(100.0, 80.0, Direction::Lower), 1.25);
        let base = ceiling("a.json", 16_000.0, 400_000.0, "X");
        let c = compare(&base, &ceiling("b.json", 16_000.0, 600_000.0, "X"), T).unwrap();
        let p99 = c.rows.iter().find(|r| r.metric.starts_with("p99")).unwrap();
        assert!((p99.ratio.unwrap() - 400.0 / 600.0).abs() < 1e-12);
        assert_eq!(p99.verdict, Verdict::Fail);
        let c = compare(&base, &ceiling("b.json", 16_000.0, 460_000.0, "X"), T).unwrap();
        assert_eq!(c.verdict(), Verdict::Warn);
        assert_eq!(judge(0.9, T), Verdict::Pass);
        assert_eq!(ratio(0.0, 0.0, Direction::Higher), 1.0);
    }

    /// Peak memory is compared like latency (less is better) under one name whatever rate the ceiling confirmed
    /// at; a file from before memory was recorded leaves the row uncompared rather than failing.
    #[test]
    fn peak_memory_is_compared_where_both_files_recorded_it() {
        let with_memory = |name: &str, rate: f64, mib: u64| {
            let mut v = ceiling_json(16_000.0, 400_000.0, "X");
            v["metrics"]["curve"] = json!([{"phase": "confirm", "rate_tps": rate, "pass": true,
                "result": {"committed_tps": rate, "latency_us": {"p50": 1.0, "p90": 1.0, "p99": 1.0, "p999": 1.0,
                           "max": 1.0}, "memory": {"rss_bytes": 1, "peak_rss_bytes": mib << 20}}}]);
            ResultDoc::from_value(Path::new(name), v).unwrap()
        };
        let c = compare(&with_memory("a.json", 16_000.0, 100), &with_memory("b.json", 15_000.0, 130), T).unwrap();
        let row = c.rows.iter().find(|r| r.metric == "peak memory at the ceiling (MiB)").expect("a memory row");
        assert!((row.ratio.unwrap() - 100.0 / 130.0).abs() < 1e-12);
        assert_eq!(row.verdict, Verdict::Fail);
        let c =
            compare(&ceiling("old.json", 16_000.0, 400_000.0, "X"), &with_memory("b.json", 15_000.0, 130), T).unwrap();
        let row = c.rows.iter().find(|r| r.metric.starts_with("peak memory")).expect("the new file's row");
        assert_eq!((row.ratio, row.verdict), (None, Verdict::NotCompared));
    }

    #[test]
    fn unlike_machines_are_warned_about() {
        let c = compare(&ceiling("a.json", 1.0, 1.0, "X"), &ceiling("b.json", 1.0, 1.0, "Y"), T).unwrap();
        assert_eq!(c.warnings.len(), 1);
        assert!(c.warnings[0].contains("cpu_model: `X` vs `Y`"));
        let md = markdown("A", "B", &[c], &[], T);
        assert!(md.contains("> warning: fingerprints differ in cpu_model"));
        assert!(md.contains("**Verdict: PASS**"));
    }

    #[test]
    fn a_harness_bound_side_gets_no_ratio() {
        let base = ceiling("a.json", 16_000.0, 400_000.0, "X");
        let v = json!({
            "schema_version": 1, "kind": "ceiling", "started_unix_s": 1,
            "fingerprint": {"build_profile": "release", "cpu_model": "X", "cores": 2, "crypto_backend": "cpu-batch",
                            "config_hash": "h"},
            "metrics": {"ceiling_tps": null, "committed_tps_mean": 0.0, "p50_us": 0.0, "p99_us": 0.0,
                        "harness_bound": {"at_tps": 8000.0, "passed_tps": 4000.0, "reason": "committee saturated"}}
        });
        let new = ResultDoc::from_value(Path::new("b.json"), v).unwrap();
        let c = compare(&base, &new, T).unwrap();
        assert!(c.rows.iter().all(|r| r.ratio.is_none() && r.verdict == Verdict::HarnessBound), "{:?}", c.rows);
        assert!(c.warnings.iter().any(|w| w.contains("new is harness-bound at 8000 tx/s")), "{:?}", c.warnings);
        let md = markdown("A", "B", &[c], &[], T);
        assert!(md.contains("| harness-bound |") && md.contains("**Verdict: HARNESS-BOUND**"), "{md}");
        let c = compare(&new, &base, T).unwrap();
        assert_eq!(c.verdict(), Verdict::HarnessBound);
    }

    #[test]
    fn folders_pair_by_name_then_by_configuration() {
        let base = vec![ceiling("x/a.json", 1.0, 1.0, "X"), ceiling("x/only-base.json", 1.0, 1.0, "X")];
        let new = vec![ceiling("y/z.json", 1.0, 1.0, "X"), ceiling("y/a.json", 1.0, 1.0, "X")];
        let p = pair(&base, &new);
        assert_eq!(p.pairs, vec![(0, 1), (1, 0)]);
        assert!(p.notes.is_empty());
        let p = pair(&base, &new[1..]);
        assert_eq!(p.pairs, vec![(0, 0)]);
        assert_eq!(p.notes, vec!["`only-base.json` (ceiling): no matching new result"]);
    }
}
