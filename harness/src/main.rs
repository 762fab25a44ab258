//! `hsbench`: see `hsbench --help`.

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    hsbench::alloc::keep_freed_memory();
    let cli = hsbench::cmd::Cli::parse();
    if let Err(error) = hsbench::logging::init(cli.log_json.as_deref()) {
        eprintln!("error: {error}");
        return ExitCode::from(hsbench::cmd::EXIT_CONFIG);
    }
    let args: Vec<String> = std::env::args().collect();
    tracing::info!(version = env!("CARGO_PKG_VERSION"), ?args, "hsbench started");
    match cli.command.execute() {
        Ok(()) => {
            tracing::info!("hsbench finished");
            ExitCode::SUCCESS
        }
        Err(error) => {
            let line = hsbench::cmd::one_line(&error);
            let code = hsbench::cmd::exit_code(&error);
            // The log keeps the failure (its target is left out of stderr, which gets the line below as before).
            tracing::error!(target: hsbench::logging::OUTCOME, error = %line, exit_code = code, "hsbench failed");
            eprintln!("error: {line}");
            ExitCode::from(code)
        }
    }
}
