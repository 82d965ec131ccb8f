//! `polaroid-bench`: parse (cli.rs), dispatch to one function per subcommand (commands.rs), exit with its code.
//! The work is in the library.

mod cli;
mod commands;
mod progress;

use std::process::ExitCode;

use clap::Parser;

use cli::{Cli, Command};

/// Every process of the binary (runner, measurement processes, the feed) allocates with mimalloc, as Polars
/// advises its Rust users to (a fast allocator; Polars' Python package ships one too): see docs/methodology.md, "The allocator".
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    match run() {
        Ok(code) => code,
        Err(e) if matches!(e.downcast_ref(), Some(polaroid_bench::Error::Cancelled)) => {
            eprintln!("interrupted: {e}");
            ExitCode::from(polaroid_results::launch::INTERRUPTED)
        }
        Err(e) => {
            eprintln!("error: {}", polaroid_results::error::chain(e.as_ref()));
            ExitCode::from(1)
        }
    }
}

fn run() -> anyhow::Result<ExitCode> {
    // Provenance of reports: the command line that made them.
    let command = std::env::args().collect::<Vec<_>>().join(" ");
    match Cli::parse().command {
        Command::Run(a) => commands::run(a),
        Command::List { workload_file, format } => commands::list(workload_file.as_deref(), format),
        Command::Datagen(a) => commands::datagen(a),
        Command::Calibrate(a) => commands::calibrate(a),
        Command::Feed(a) => commands::feed(a),
        Command::Compare(a) => Ok(commands::compare(a)),
        Command::CompareRun(a) => commands::compare_run(a),
        Command::Noise(a) => commands::noise(a),
        Command::Report(a) => commands::report(a, &command),
        Command::History(a) => commands::history(a, &command),
        Command::Render(a) => Ok(commands::render(a)),
        Command::Worker => Ok(ExitCode::from(polaroid_bench::worker::main() as u8)),
    }
}
