//! `hsbench report`: turns result files into a self-contained folder — `report.md` (summary, methodology,
//! fingerprints, one section per file with its effective configuration) and the SVG figures it links to by
//! relative path, so the folder can be committed, zipped or opened on any Markdown viewer as it is — and
//! `index.html`, the same report as one page with the figures inlined ([`html`]), for a browser.

pub mod figure;
pub mod html;
pub mod markdown;
pub mod num;
pub mod plots;
pub mod sections;

use crate::history::Entry;
use crate::result::read::{ResultDoc, ResultError};
use std::path::{Path, PathBuf};

/// Why the report could not be built.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// A result file is unusable.
    #[error(transparent)]
    Result(#[from] ResultError),
    /// A figure could not be drawn.
    #[error(transparent)]
    Plot(#[from] plots::PlotError),
    /// The history file is unusable.
    #[error(transparent)]
    History(#[from] crate::history::HistoryError),
    /// The report folder or a file in it could not be written.
    #[error("cannot write {}: {error}", path.display())]
    Write {
        /// The path.
        path: PathBuf,
        /// The OS error.
        error: std::io::Error,
    },
}

/// What was written.
#[derive(Clone, Debug)]
pub struct ReportOutput {
    /// `<dir>/report.md`.
    pub markdown: PathBuf,
    /// `<dir>/index.html`: report.md as one self-contained page.
    pub html: PathBuf,
    /// The SVG files, in the order report.md shows them.
    pub figures: Vec<PathBuf>,
}

/// The text of report.md and its figures for `docs`, with a history section when `history` (the entries of a
/// history file) is given.
pub fn render(docs: &[ResultDoc], history: Option<&[Entry]>) -> Result<(String, Vec<sections::Figure>), ReportError> {
    let mut md = String::from("# hsbench report\n\n");
    let names: Vec<String> = docs.iter().map(|d| format!("`{}`", d.file_name())).collect();
    md.push_str(&format!(
        "Written by hsbench {} from {} result file(s): {}.\n\n",
        env!("CARGO_PKG_VERSION"),
        docs.len(),
        names.join(", ")
    ));
    md.push_str("## Summary\n\n");
    let rows: Vec<Vec<String>> = docs.iter().map(sections::summary_row).collect::<Result<_, _>>()?;
    md.push_str(&markdown::table(
        &["file", "kind", "headline", "p50 / p99 (ms)", "repeats", "CV", "bottleneck", "machine"],
        &rows,
    ));
    md.push_str("\n## Methodology\n\n");
    md.push_str(&markdown::methodology(docs));
    md.push_str("\n## Fingerprints\n\n");
    md.push_str(&markdown::fingerprint_table(docs));
    md.push_str("\n## Results\n\n");
    let mut figures = Vec::new();
    for (i, doc) in docs.iter().enumerate() {
        let (text, figs) = sections::section(doc, i)?;
        md.push_str(&text);
        figures.extend(figs);
    }
    if let Some(entries) = history {
        md.push_str("\n## History\n\n");
        md.push_str(&sections::history(docs, entries, &mut figures)?);
    }
    Ok((md, figures))
}

/// Writes report.md, index.html and the figures for `docs` (and `history`, see [`render`]) into `dir`
/// (created; existing files of the same names are replaced).
pub fn write(docs: &[ResultDoc], history: Option<&[Entry]>, dir: &Path) -> Result<ReportOutput, ReportError> {
    let (md, figures) = render(docs, history)?;
    let fail = |path: &Path| {
        let path = path.to_path_buf();
        move |error| ReportError::Write { path, error }
    };
    std::fs::create_dir_all(dir).map_err(fail(dir))?;
    let mut written = Vec::new();
    for f in &figures {
        let path = dir.join(&f.file_name);
        std::fs::write(&path, f.svg.as_bytes()).map_err(fail(&path))?;
        written.push(path);
    }
    let markdown = dir.join("report.md");
    std::fs::write(&markdown, md.as_bytes()).map_err(fail(&markdown))?;
    let html = dir.join("index.html");
    std::fs::write(&html, html::page(&md, &figures).as_bytes()).map_err(fail(&html))?;
    Ok(ReportOutput { markdown, html, figures: written })
}
