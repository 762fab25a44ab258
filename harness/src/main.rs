//! `hsbench`: see `hsbench --help`.

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = hsbench::cmd::Cli::parse();
    match cli.command.execute() {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {}", hsbench::cmd::one_line(&error));
            ExitCode::from(hsbench::cmd::exit_code(&error))
        }
    }
}
