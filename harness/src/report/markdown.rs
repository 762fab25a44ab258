//! Markdown building blocks of `report.md`: tables, the methodology paragraph, the fingerprint table and the
//! effective configuration.

use crate::report::num::{pct, thousands};
use crate::result::Fingerprint;
use crate::result::read::ResultDoc;

/// A Markdown table: header row, separator, rows; `|` in cells is escaped.
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let esc = |s: &str| s.replace('|', "\\|").replace('\n', " ");
    let mut out = format!("| {} |\n", header.iter().map(|h| esc(h)).collect::<Vec<_>>().join(" | "));
    out.push_str(&format!("|{}\n", "---|".repeat(header.len())));
    for row in rows {
        out.push_str(&format!("| {} |\n", row.iter().map(|c| esc(c)).collect::<Vec<_>>().join(" | ")));
    }
    out
}

/// The methodology paragraph, with the SLOs found in `docs`.
pub fn methodology(docs: &[ResultDoc]) -> String {
    let mut slos = Vec::new();
    for d in docs {
        if let (Some(p99), Some(frac)) = (d.slo.p99_ms, d.slo.min_committed_fraction) {
            let text = format!("p99 ≤ {} ms and ≥ {:.0} % of the offered load committed", thousands(p99), frac * 100.0);
            if !slos.iter().any(|(t, _): &(String, Vec<String>)| *t == text) {
                slos.push((text.clone(), Vec::new()));
            }
            if let Some(entry) = slos.iter_mut().find(|(t, _)| *t == text) {
                entry.1.push(format!("`{}`", d.file_name()));
            }
        }
    }
    let slo_text = if slos.is_empty() {
        "None of these files records an SLO (crypto and tune results have none).".to_string()
    } else {
        let parts: Vec<String> = slos.iter().map(|(t, files)| format!("{t} ({})", files.join(", "))).collect();
        format!("The SLO in these files: {}.", parts.join("; "))
    };
    format!(
        "Load is **open-loop**: the generator sends pre-signed transfers on a fixed schedule of intended send times, \
         whatever the node does, so a node that falls behind faces a growing queue instead of a client that politely \
         slows down. **Latency is coordinated-omission corrected**: it runs from each transaction's *intended* send \
         time to its commit; the uncorrected figure (from acceptance, what a closed-loop client reports) is shown \
         beside it only for contrast. A **ceiling** is the highest offered rate that meets the **SLO** — p99 latency \
         within the limit, enough of the offered load committed, no queue still growing at the end of the window, a \
         generator that kept its schedule — found by doubling the rate, bisecting to the configured precision and \
         confirming with `repeats` longer runs. {slo_text} The headline throughput is the mean over the **repeats** \
         with its **CV** (coefficient of variation: standard deviation ÷ mean; a CV above a few percent means the \
         machine was not quiet); latency percentiles come from the merged histogram of those runs, never from an \
         average of percentiles. Crypto figures are mean items/s over timed repeats after an untimed warm-up call, \
         with their CV. Per-stage busy % is thread CPU time ÷ (threads × wall time); cost per transaction is busy \
         core-time ÷ committed transactions. Compare figures only between results whose fingerprints (CPU, cores, \
         build profile, crypto backend, configuration hash) match.\n"
    )
}

/// The fingerprint table: one column per file.
pub fn fingerprint_table(docs: &[ResultDoc]) -> String {
    let prints: Vec<&Fingerprint> = docs.iter().map(|d| &d.fingerprint).collect();
    let names: Vec<String> = docs.iter().map(|d| format!("`{}`", d.file_name())).collect();
    let mut header: Vec<&str> = vec!["field"];
    header.extend(names.iter().map(String::as_str));
    type Getter = fn(&&Fingerprint) -> String;
    let fields: [(&str, Getter); 15] = [
        ("hsbench", |f| f.hsbench_version.clone()),
        ("git commit", |f| {
            let short: String = f.git_commit.chars().take(12).collect();
            match f.git_dirty {
                Some(true) => format!("{short} (dirty)"),
                _ => short,
            }
        }),
        ("build profile", |f| f.build_profile.clone()),
        ("rustc", |f| f.rustc.clone()),
        ("CPU", |f| f.cpu_model.clone()),
        ("CPU flags", |f| f.cpu_flags_text()),
        ("cores", |f| f.cores.to_string()),
        ("allocator", |f| f.allocator.clone()),
        ("crypto backend", |f| f.crypto_backend.clone()),
        ("ed25519 backend", |f| f.ed25519_backend.clone()),
        ("GPU adapter", |f| f.gpu_adapter.clone()),
        ("repeats", |f| f.repeats.to_string()),
        ("CV", |f| f.cv.map_or_else(|| "—".to_string(), pct)),
        ("config hash", |f| f.config_hash.chars().take(16).collect()),
        ("seed", |f| f.seed.map_or_else(|| "—".to_string(), |s| s.to_string())),
    ];
    let rows: Vec<Vec<String>> = fields
        .iter()
        .map(|(name, get)| {
            let mut row = vec![name.to_string()];
            row.extend(prints.iter().map(get));
            row
        })
        .collect();
    let mut out = table(&header, &rows);
    let unlike: [(&str, Getter); 3] = [
        ("CPU model", |f| f.cpu_model.clone()),
        ("core count", |f| f.cores.to_string()),
        ("build profile", |f| f.build_profile.clone()),
    ];
    for (what, get) in unlike {
        let mut seen: Vec<String> = prints.iter().map(get).collect();
        seen.sort();
        seen.dedup();
        if seen.len() > 1 {
            out.push_str(&format!(
                "\n> warning: these results differ in {what} ({}): their figures measure different machines or \
                 builds, not only different configurations.\n",
                seen.join(" vs ")
            ));
        }
    }
    out
}

/// The effective configuration of a result, as TOML when it renders as TOML (JSON otherwise), in a collapsed
/// block.
pub fn effective_config(doc: &ResultDoc) -> String {
    let origin = doc.config_origin.as_deref().unwrap_or("unknown");
    let Some(config) = doc.config.as_ref().filter(|c| !c.is_null()) else {
        return "This file records no configuration.\n".to_string();
    };
    let (lang, text) = match toml::to_string(config) {
        Ok(t) => ("toml", t),
        Err(_) => ("json", serde_json::to_string_pretty(config).unwrap_or_default()),
    };
    format!(
        "<details><summary>Effective configuration (from {origin})</summary>\n\n```{lang}\n{}\n```\n\n</details>\n",
        text.trim_end()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unlike_machines_are_called_out() {
        let doc = |name: &str, cpu: &str| {
            let v = serde_json::json!({
                "schema_version": 1, "kind": "crypto",
                "fingerprint": {"build_profile": "release", "cpu_model": cpu, "cores": 2, "crypto_backend": "cpu",
                                "config_hash": "h"},
                "metrics": {}
            });
            ResultDoc::from_value(std::path::Path::new(name), v).unwrap()
        };
        let same = fingerprint_table(&[doc("a", "X"), doc("b", "X")]);
        assert!(!same.contains("warning"));
        let unlike = fingerprint_table(&[doc("a", "X"), doc("b", "Y")]);
        assert!(unlike.contains("> warning: these results differ in CPU model (X vs Y)"), "{unlike}");
    }

    #[test]
    fn tables_escape_pipes() {
        let t = table(&["a", "b"], &[vec!["x|y".into(), "1".into()]]);
        assert_eq!(t, "| a | b |\n|---|---|\n| x\\|y | 1 |\n");
    }
}
