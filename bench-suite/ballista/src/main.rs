//! `polaroid-ballista`: the Apache DataFusion Ballista processes of polaroid-bench's `ballista-*` variants, one
//! binary with a subcommand per role, each a real Ballista component built from Ballista's own library entry points
//! (what its `ballista-scheduler` and `ballista-executor` binaries run, with the S3 object-store registry those
//! binaries install):
//!
//! - `scheduler`: a scheduler on 127.0.0.1; prints `POLAROID-BALLISTA df://127.0.0.1:PORT` once it listens.
//! - `executor`: an executor of a scheduler, with a number of task slots; prints `POLAROID-BALLISTA-READY <id>` once
//!   the scheduler has accepted it.
//! - `__worker`: one measurement, the measured process, a Ballista client (`SessionContext::remote`): the job as JSON
//!   on stdin (polaroid-bench's worker protocol, as the Python worker speaks it), one report line on stdout.
//!
//! The runner starts the scheduler and executors as a measurement's companions, outside the measured process, and
//! stops them after it; a user can start them by hand and point `polaroid-bench --ballista-scheduler` at them, or at
//! a real cluster.

mod client;
mod cluster;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "polaroid-ballista",
    version,
    about = "Apache DataFusion Ballista processes for polaroid-bench: a scheduler, an executor, a measured client",
    long_about = "Apache DataFusion Ballista processes for polaroid-bench's ballista-* variants.\n\n\
polaroid-bench starts these itself (a scheduler and N executors beside each measurement). To run a cluster by hand \
and measure against it:\n\n  \
polaroid-ballista scheduler --port 50050 &\n  \
polaroid-ballista executor --scheduler df://127.0.0.1:50050 --slots 1 &\n  \
polaroid-bench run workloads/pdsh.toml --engine ballista-1 --ballista-scheduler df://127.0.0.1:50050"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// A Ballista scheduler on 127.0.0.1. Prints `POLAROID-BALLISTA df://127.0.0.1:PORT` once it listens.
    Scheduler {
        /// The port to listen on; 0 picks a free one.
        #[arg(long, default_value_t = 0)]
        port: u16,
    },
    /// A Ballista executor of a scheduler. Prints `POLAROID-BALLISTA-READY <executor id>` once the scheduler has
    /// accepted it.
    Executor {
        /// The scheduler: `df://HOST:PORT`.
        #[arg(long)]
        scheduler: String,
        /// Task slots (Ballista's vcores): how many tasks this executor runs at once.
        #[arg(long, default_value_t = 1)]
        slots: usize,
        /// Where the executor keeps shuffle files (a temporary directory by default).
        #[arg(long)]
        work_dir: Option<String>,
    },
    /// One measurement: polaroid-bench's job as JSON on stdin, one report line on stdout.
    #[command(name = "__worker", hide = true)]
    Worker,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("polaroid-ballista: cannot start a tokio runtime: {e}");
            return ExitCode::from(2);
        }
    };
    let outcome = match cli.command {
        Command::Scheduler { port } => runtime.block_on(cluster::scheduler(port)),
        Command::Executor { scheduler, slots, work_dir } => runtime.block_on(cluster::executor(&scheduler, slots, work_dir)),
        Command::Worker => {
            // The worker always answers with one line (a report or a failure) and exits 0, as the Python worker does.
            runtime.block_on(client::worker());
            return ExitCode::SUCCESS;
        }
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("polaroid-ballista: {message}");
            ExitCode::FAILURE
        }
    }
}
