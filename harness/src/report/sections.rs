//! What the report says about each result: its summary row, and its own section with the figures that its
//! kind supports (or a sentence saying why a figure is missing).

use crate::report::ReportError;
pub use crate::report::figure::Figure;
use crate::report::figure::Plot;
use crate::report::num::{ms, pct, thousands};
use crate::report::plots;
use crate::result::read::{ResultDoc, ResultError};
use crate::result::view::Metrics;

/// The summary-table row of one result: file, kind, headline, p50 / p99, repeats, CV, bottleneck, machine.
pub fn summary_row(doc: &ResultDoc) -> Result<Vec<String>, ResultError> {
    let f = &doc.fingerprint;
    let dash = || "—".to_string();
    let (headline, latency, cv, bottleneck) = match &doc.metrics {
        Metrics::Ceiling(m) => {
            let headline = match m.ceiling_tps {
                Some(c) => format!(
                    "ceiling {} tx/s offered → {} tx/s committed{}",
                    thousands(c),
                    thousands(doc.need("committed_tps_mean", m.committed_tps_mean)?),
                    if m.confirmed == Some(true) { "" } else { " (not confirmed)" }
                ),
                None => match &m.harness_bound {
                    Some(b) => format!("no ceiling: {}", b.headline()),
                    None => "no ceiling found".to_string(),
                },
            };
            let lat = format!("{} / {}", ms(doc.need("p50_us", m.p50_us)?), ms(doc.need("p99_us", m.p99_us)?));
            (headline, lat, m.cv.map_or_else(dash, pct), m.bottleneck.clone().unwrap_or_else(dash))
        }
        Metrics::Run(m) => {
            let mut headline = format!(
                "{} tx/s committed of {} offered",
                thousands(doc.need("committed_tps", m.committed_tps)?),
                thousands(doc.need("offered_tps", m.offered_tps)?)
            );
            if let Some(pass) = m.slo_pass {
                headline.push_str(if pass { " (meets the SLO)" } else { " (misses the SLO)" });
            }
            if m.harness_bound.is_some() {
                headline.push_str(" (HARNESS-BOUND: the synthetic committee saturated)");
            }
            if let Some(agree) = m.consistent {
                headline.push_str(if agree { " (nodes agree)" } else { " (NODES DISAGREE)" });
            }
            let l = doc.need("latency_us", m.latency_us)?;
            let lat = format!("{} / {}", ms(l.p50_us), ms(l.p99_us));
            (headline, lat, f.cv.map_or_else(dash, pct), m.bottleneck.clone().unwrap_or_else(dash))
        }
        Metrics::Crypto(_) => {
            let cells = doc.crypto_cells()?;
            let best = cells
                .iter()
                .filter(|c| c.op == "ed25519-verify")
                .filter_map(|c| c.items_per_s.map(|r| (r, c)))
                .max_by(|a, b| a.0.total_cmp(&b.0));
            let headline = match best {
                Some((r, c)) => {
                    format!(
                        "ed25519-verify best: {} {}/s at batch {}",
                        c.backend,
                        thousands(r),
                        thousands(c.batch as f64)
                    )
                }
                None => format!("{} cells (no ed25519-verify)", cells.len()),
            };
            (headline, dash(), dash(), dash())
        }
        Metrics::Tune(_) => {
            let headline = match doc.tune_ranking() {
                Some(r) => {
                    let best =
                        r.iter().filter_map(|x| x.ceiling_tps.map(|c| (c, x))).max_by(|a, b| a.0.total_cmp(&b.0));
                    match best {
                        Some((c, x)) => format!("best of {}: {} ({} tx/s)", r.len(), x.label, thousands(c)),
                        None => format!("{} configurations, no ceiling found", r.len()),
                    }
                }
                None => "no ranking in this file".to_string(),
            };
            (headline, dash(), dash(), dash())
        }
        Metrics::Plan(m) => {
            let cores = m.cpu_only.as_ref().map(|c| c.total_cores.value);
            let headline = match (m.target_tps, cores) {
                (Some(t), Some(c)) => format!("plan: {} tx/s needs {c} cores (projected)", thousands(t)),
                _ => "plan".to_string(),
            };
            (headline, dash(), dash(), dash())
        }
        Metrics::Other => (format!("kind `{}`: no summary for this kind", doc.kind), dash(), dash(), dash()),
    };
    Ok(vec![
        format!("`{}`", doc.file_name()),
        doc.label(),
        headline,
        latency,
        f.repeats.to_string(),
        cv,
        bottleneck,
        f.machine(),
    ])
}

fn slug(doc: &ResultDoc, index: usize) -> String {
    let stem = doc.path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let clean: String =
        stem.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' }).collect();
    format!("{:02}-{clean}", index + 1)
}

/// Links the figure from the section, with its values in a collapsed table below it.
fn embed(out: &mut String, figures: &mut Vec<Figure>, file_name: String, alt: &str, plot: Plot) {
    out.push_str(&format!("![{alt}]({file_name})\n\n"));
    out.push_str(&plot.values.markdown());
    figures.push(Figure { file_name, svg: plot.svg });
}

/// The section of one result (`index` numbers it) and its figures.
pub fn section(doc: &ResultDoc, index: usize) -> Result<(String, Vec<Figure>), ReportError> {
    let slug = slug(doc, index);
    let name = doc.file_name();
    let slo_p99_ms = doc.slo.p99_ms;
    let mut out = format!("### {}. `{}` — {}\n\n", index + 1, name, doc.label());
    out.push_str(&format!("Source: `{}`.\n\n", doc.path.display()));
    let mut figures = Vec::new();

    if let Some(m) = doc.ceiling() {
        match m.ceiling_tps {
            Some(c) => out.push_str(&format!(
                "Ceiling **{} tx/s** offered; committed {} tx/s (mean of {} confirmation runs, CV {}){}; p50 {} ms, \
                 p99 {} ms (merged confirmation runs).",
                thousands(c),
                thousands(doc.need("committed_tps_mean", m.committed_tps_mean)?),
                m.repeats.unwrap_or(1),
                pct(m.cv.unwrap_or(0.0)),
                if m.confirmed == Some(true) { ", confirmed" } else { ", **not confirmed**" },
                ms(doc.need("p50_us", m.p50_us)?),
                ms(doc.need("p99_us", m.p99_us)?),
            )),
            None => match &m.harness_bound {
                Some(b) => out.push_str(&format!(
                    "**Harness-bound** at {} tx/s: the synthetic committee saturated first ({}), so no ceiling is \
                     reported — the node's ceiling was not reached{}.",
                    thousands(b.at_tps),
                    b.reason,
                    b.passed_tps.map_or_else(String::new, |p| format!(" (it met the SLO up to {} tx/s)", thousands(p)))
                )),
                None => out.push_str("No rate met the SLO: no ceiling."),
            },
        }
        if let Some(b) = &m.raw_bound {
            out.push_str(&format!(
                " Raw sigverify bound on the same cores: {} verifies/s",
                thousands(b.verifies_per_s)
            ));
            if let Some(r) = m.ceiling_to_bound {
                out.push_str(&format!(" (ceiling ÷ bound = {r:.2})"));
            }
            out.push('.');
        }
        out.push_str("\n\n");
        for n in &m.notes {
            out.push_str(&format!("- note: {n}\n"));
        }
        let curve = doc.curve();
        if curve.is_empty() {
            out.push_str("This file has no search curve (`metrics.curve` is empty): no latency–throughput figure.\n\n");
        } else {
            let svg =
                plots::latency_throughput(&format!("Latency–throughput — {name}"), &curve, m.ceiling_tps, slo_p99_ms)?;
            let alt = "Latency–throughput curve: committed tx/s and p99 ms by offered tx/s, ceiling marked";
            embed(&mut out, &mut figures, format!("{slug}-curve.svg"), alt, svg);
        }
    }

    if doc.kind == "ceiling" || doc.kind == "run" {
        match doc.stages() {
            Some(stages) => {
                let bottleneck = match &doc.metrics {
                    Metrics::Run(m) => m.bottleneck.as_deref(),
                    Metrics::Ceiling(m) => m.bottleneck.as_deref(),
                    _ => None,
                }
                .unwrap_or("");
                let at =
                    doc.stage_rate_tps().map(|r| format!(" at {} tx/s committed", thousands(r))).unwrap_or_default();
                let what = if doc.kind == "ceiling" { "last confirmation run at the ceiling" } else { "the run" };
                let svg = plots::stage_busy(
                    &format!("Per-stage busy % ({what}{at}) — {name}"),
                    &stages,
                    bottleneck,
                    doc.committee_busy_pct(),
                )?;
                embed(&mut out, &mut figures, format!("{slug}-stages.svg"), "Per-stage busy % and cost per tx", svg);
            }
            None => out.push_str(
                "No per-stage metrics in this file (`metrics.stages` is absent or empty — cluster runs have none): no \
                 stage figure.\n\n",
            ),
        }
        match doc.latency_spectrum() {
            Some(spectrum) => {
                let svg = plots::latency_spectrum(
                    &format!("Latency percentiles ({}) — {name}", spectrum.origin),
                    &spectrum,
                    slo_p99_ms,
                )?;
                embed(&mut out, &mut figures, format!("{slug}-latency.svg"), "Latency percentile spectrum", svg);
            }
            None => out.push_str("No latency percentiles in this file: no spectrum figure.\n\n"),
        }
        latency_split_table(doc, &mut out);
        memory_lines(doc, &mut out);
    }

    if doc.kind == "crypto" {
        crypto_section(doc, &slug, &name, &mut out, &mut figures)?;
    }

    if doc.kind == "tune" {
        match doc.tune_ranking() {
            Some(ranking) => {
                let rows: Vec<Vec<String>> = ranking.iter().map(plots::tune_row).collect();
                out.push_str(&crate::report::markdown::table(&plots::TUNE_COLUMNS, &rows));
                if let Some(best) = doc.tune().and_then(|t| t.best_config.as_ref()) {
                    out.push_str(&format!("\nBest configuration written to `{best}`.\n"));
                }
                out.push('\n');
                let svg = plots::tune_ranking(&format!("Tune ranking — {name}"), &ranking)?;
                embed(
                    &mut out,
                    &mut figures,
                    format!("{slug}-tune.svg"),
                    "Tune ranking: ceiling per configuration",
                    svg,
                );
            }
            None => out.push_str("This tune result has no `metrics.ranking`: no ranking figure.\n\n"),
        }
    }

    out.push_str(&crate::report::markdown::effective_config(doc));
    out.push('\n');
    Ok((out, figures))
}

/// Peak resident memory of each process the file measured, or why there is none.
fn memory_lines(doc: &ResultDoc, out: &mut String) {
    let memory = doc.memory();
    if memory.is_empty() {
        out.push_str("No memory figures in this file (written before memory was recorded, or not on Linux).\n\n");
        return;
    }
    out.push_str("Peak resident memory: ");
    let parts: Vec<String> = memory
        .iter()
        .map(|(who, m)| {
            let scope = if m.peak_since_run_start { "" } else { ", since its process started" };
            format!("{who} {:.0} MiB{scope}", m.peak_mib())
        })
        .collect();
    out.push_str(&parts.join("; "));
    out.push_str(".\n\n");
}

/// Where the latency went: p50 / p99 of each part of the split, one row per measurement that recorded one.
fn latency_split_table(doc: &ResultDoc, out: &mut String) {
    let splits = doc.latency_splits();
    if splits.is_empty() {
        out.push_str(
            "No latency split in this file (`latency_split` is absent: written before block times were recorded, \
             or the run kept none).\n\n",
        );
        return;
    }
    let part = |p: &crate::result::view::Percentiles| format!("{} / {}", ms(p.p50_us), ms(p.p99_us));
    let rows: Vec<Vec<String>> = splits
        .iter()
        .map(|(what, s)| {
            vec![
                what.clone(),
                s.before_proposal_us.as_ref().map_or_else(|| "—".to_string(), part),
                part(&s.proposal_to_commit_us),
                part(&s.commit_to_report_us),
                thousands(s.txs as f64),
            ]
        })
        .collect();
    out.push_str(
        "Where the latency went (p50 / p99 ms of each part; before its block + proposal → commit + commit → \
         reported = each transaction's corrected latency; a validator process knows no intended send times, so \
         its first part is —):\n\n",
    );
    out.push_str(&crate::report::markdown::table(
        &["measurement", "before its block", "proposal → commit", "commit → reported", "transactions"],
        &rows,
    ));
    out.push('\n');
}

fn crypto_section(
    doc: &ResultDoc,
    slug: &str,
    name: &str,
    out: &mut String,
    figures: &mut Vec<Figure>,
) -> Result<(), ReportError> {
    let cells = doc.crypto_cells()?;
    let crossovers = doc.crossovers();
    let gpu = doc.gpu_label();
    let mut ops: Vec<&str> = Vec::new();
    for c in &cells {
        if !ops.contains(&c.op.as_str()) {
            ops.push(&c.op);
        }
    }
    if let Some(g) = &gpu {
        out.push_str(&format!("GPU: {g}.\n\n"));
    }
    let rows: Vec<Vec<String>> = crossovers.iter().map(|x| vec![x.op.clone(), x.note.clone()]).collect();
    if !rows.is_empty() {
        out.push_str(&crate::report::markdown::table(&["operation", "CPU/GPU crossover"], &rows));
        out.push('\n');
    }
    gpu_phase_table(&cells, out);
    for op in ops {
        let of_op: Vec<_> = cells.iter().filter(|c| c.op == op).cloned().collect();
        if of_op.iter().all(|c| c.items_per_s.is_none()) {
            out.push_str(&format!("`{op}`: no measured cells: no figure.\n\n"));
            continue;
        }
        let crossover = crossovers.iter().find(|x| x.op == op).and_then(|x| x.batch);
        let has_gpu = of_op.iter().any(|c| c.backend == "gpu" && c.items_per_s.is_some());
        let suffix = match (has_gpu, crossover) {
            (false, _) => " (no gpu cells: no crossover)",
            (true, None) => " (gpu never overtakes)",
            (true, Some(_)) => "",
        };
        let svg =
            plots::crypto_scaling(&format!("{op}: throughput by batch size{suffix} — {name}"), &of_op, crossover)?;
        let alt = format!("{op}: items/s by batch size per backend");
        embed(out, figures, format!("{slug}-{op}.svg"), &alt, svg);
    }
    Ok(())
}

/// Where a gpu Ed25519 call's time went, per item verified on the device: the host's share (byte checks, packing,
/// and the challenge unless the kernel computed it) beside upload, compute and readback — what decides how far one
/// dispatching thread can feed the device.
fn gpu_phase_table(cells: &[crate::result::view::CryptoCellView], out: &mut String) {
    let rows: Vec<Vec<String>> = cells
        .iter()
        .filter_map(|c| c.gpu_phases_us.map(|p| (c, p)))
        .map(|(c, p)| {
            let mut row = vec![c.backend.clone(), thousands(c.batch as f64)];
            row.extend(p.iter().map(|us| format!("{us:.2}")));
            row
        })
        .collect();
    if rows.is_empty() {
        return;
    }
    out.push_str("Where the gpu's Ed25519 time went (µs per item verified on the device):\n\n");
    out.push_str(&crate::report::markdown::table(
        &["backend", "batch", "host", "upload", "compute (as waited for)", "readback"],
        &rows,
    ));
    out.push('\n');
}

/// The history section: for each series of `entries` (machine class × configuration hash × kind) that one of
/// `docs` belongs to, its table and a figure per headline metric, judged with compare's default thresholds.
pub fn history(
    docs: &[ResultDoc],
    entries: &[crate::history::Entry],
    figures: &mut Vec<Figure>,
) -> Result<String, ReportError> {
    use crate::history::{plot, series};
    let t = crate::compare::Thresholds::DEFAULT;
    let mut out = format!(
        "Each headline metric over the history's entries for the machine class, configuration and kind of these \
         results (oldest first), each entry judged against the one before it as `hsbench compare` would (warn below \
         {}, fail below {}).\n\n",
        t.warn_below, t.fail_below
    );
    let relevant: Vec<series::Series> = series::groups(entries)
        .into_iter()
        .filter(|s| {
            docs.iter().any(|d| {
                d.fingerprint.machine() == s.machine
                    && d.fingerprint.config_hash == s.config_hash
                    && d.label() == s.label
            })
        })
        .collect();
    if relevant.is_empty() {
        out.push_str("The history holds no entry of these results' machine classes and configurations.\n\n");
    }
    for (k, s) in relevant.iter().enumerate() {
        out.push_str(&format!("### {}\n\n{}\n", s.title(), s.table(t)));
        for (file_name, p) in plot::figures(s, t, &format!("h{:02}-", k + 1))? {
            let alt = format!("History of {}", file_name.trim_end_matches(".svg"));
            embed(&mut out, figures, file_name, &alt, p);
        }
    }
    Ok(out)
}
