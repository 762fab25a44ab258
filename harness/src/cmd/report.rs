//! `hsbench report`: result files in, a self-contained report folder out (report.md + SVG figures, and
//! index.html: the same report as one page for a browser).

use crate::config::ConfigError;
use crate::report::{self, ReportError};
use crate::result::read;
use std::path::PathBuf;

/// Arguments of `hsbench report`.
#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// Result files (JSON) or folders of them (their *.json files, not recursive), in the order to show.
    #[arg(value_name = "RESULTS", required = true)]
    pub results: Vec<PathBuf>,
    /// Folder to write report.md, index.html and the figures to (created; files of the same names are replaced).
    #[arg(long, value_name = "DIR", default_value = "results/tmp/report")]
    pub out: PathBuf,
    /// A history file (`hsbench history add`): adds a History section with each headline metric over commits
    /// for these results' machine class and configuration.
    #[arg(long, value_name = "FILE")]
    pub history: Option<PathBuf>,
}

/// Runs `hsbench report`. Unusable input files are usage errors (exit code 2).
pub fn execute(args: ReportArgs) -> anyhow::Result<()> {
    let docs = read::load_all(&args.results).map_err(ConfigError::from)?;
    let history = args.history.as_deref().map(crate::cmd::history::load).transpose()?;
    let output = report::write(&docs, history.as_deref(), &args.out).map_err(|e| match e {
        ReportError::Result(r) => anyhow::Error::new(ConfigError::from(r)),
        other => anyhow::Error::new(other),
    })?;
    println!("hsbench report — {} result file(s)", docs.len());
    for f in &output.figures {
        println!("  figure  {}", f.display());
    }
    println!("  report  {}", output.markdown.display());
    println!("  html    {}", output.html.display());
    Ok(())
}
