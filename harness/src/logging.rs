//! Structured logs: the one `tracing` subscriber of the hsbench binary, set up once in `main`.
//!
//! Two outputs, each filtered like `RUST_LOG` (`hsbench=debug,hsbench_engine=info`, `warn`, ...):
//! - stderr, human-readable, warnings and errors only unless `RUST_LOG` says otherwise — so a run prints what it
//!   printed before logs existed;
//! - with `--log-json FILE`, JSON lines (one event per line: timestamp, level, target, fields, thread) at `info`
//!   and above unless `RUST_LOG` says otherwise, written as events happen, so a failed run's file tells what came
//!   before the failure. The path is kept for [`crate::result::write_result`], which records it in the result
//!   (`log_file`), so a result points at its log.
//!
//! Events come from the harness (runs, ceiling probes, results written, errors) and from the engine's runtime
//! (stage threads started and stopped, back-pressure per second, warnings); the engine's state machines log
//! nothing: they return what happened and the runtime logs it.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

/// Target of the event that records how the command ended; stderr never shows it (main prints the error line
/// itself, as before logs existed).
pub const OUTCOME: &str = "hsbench::outcome";
/// What stderr shows without `RUST_LOG`.
pub const DEFAULT_STDERR: &str = "warn";
/// What the JSON file records without `RUST_LOG`.
pub const DEFAULT_JSON: &str = "info";

static JSON_FILE: OnceLock<PathBuf> = OnceLock::new();

/// Why logging could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum LogError {
    /// `--log-json`'s file could not be created.
    #[error("cannot create the log file {}: {error}", path.display())]
    Create {
        /// The file.
        path: PathBuf,
        /// The OS error.
        error: std::io::Error,
    },
    /// `RUST_LOG` does not parse as a filter.
    #[error("RUST_LOG={value:?} is not a log filter: {message}")]
    Filter {
        /// The variable's value.
        value: String,
        /// The parser's message.
        message: String,
    },
    /// A subscriber was already set (logging is set up once per process).
    #[error("logging is already set up: {0}")]
    Twice(String),
}

/// The filter of one output: `RUST_LOG` when set (and valid), else `default`.
fn filter(default: &str) -> Result<EnvFilter, LogError> {
    match std::env::var("RUST_LOG") {
        Ok(value) if !value.trim().is_empty() => {
            EnvFilter::try_new(&value).map_err(|e| LogError::Filter { value: value.clone(), message: e.to_string() })
        }
        _ => Ok(EnvFilter::new(default)),
    }
}

/// The stderr filter: [`filter`] with the [`OUTCOME`] target off.
fn stderr_filter() -> Result<EnvFilter, LogError> {
    let off = format!("{OUTCOME}=off").parse().map_err(|e: tracing_subscriber::filter::ParseError| {
        LogError::Filter { value: OUTCOME.into(), message: e.to_string() }
    })?;
    Ok(filter(DEFAULT_STDERR)?.add_directive(off))
}

/// Sets up the process's subscriber: stderr always, JSON lines into `json_file` when given (created, or
/// truncated when it exists; its folder is created).
pub fn init(json_file: Option<&Path>) -> Result<(), LogError> {
    use std::io::IsTerminal;
    let stderr = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(true)
        .with_filter(stderr_filter()?);
    let json = match json_file {
        Some(path) => {
            let create = |error| LogError::Create { path: path.to_path_buf(), error };
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(create)?;
            }
            let file = std::fs::File::create(path).map_err(create)?;
            let _ = JSON_FILE.set(path.to_path_buf());
            Some(
                tracing_subscriber::fmt::layer()
                    .json()
                    .with_ansi(false)
                    .with_thread_names(true)
                    .with_current_span(false)
                    .with_writer(Mutex::new(file))
                    .with_filter(filter(DEFAULT_JSON)?),
            )
        }
        None => None,
    };
    tracing_subscriber::registry().with(stderr).with(json).try_init().map_err(|e| LogError::Twice(e.to_string()))
}

/// The `--log-json` file of this process, when logging writes one.
pub fn json_file() -> Option<&'static Path> {
    JSON_FILE.get().map(PathBuf::as_path)
}
