//! The worker side of the protocol ([`crate::protocol`]): what `polaroid-bench __worker` does with its [`Job`].

use std::io::Read;

pub use crate::protocol::{ENV_VAR, Job, SUBCOMMAND, locate, start};

/// The worker: reads one [`Job`] from stdin and does it. Returns the process exit code (2: no valid job).
pub fn main() -> i32 {
    crate::probe::die_with_parent();
    let mut input = String::new();
    if let Err(e) = std::io::stdin().read_to_string(&mut input) {
        eprintln!("polaroid-bench worker: cannot read the job from stdin: {e}");
        return 2;
    }
    let job: Job = match serde_json::from_str(&input) {
        Ok(job) => job,
        Err(e) => {
            eprintln!("polaroid-bench worker: the job on stdin is not valid ({e}); this binary may be from another version than the runner");
            return 2;
        }
    };
    let done = match job {
        Job::Measure(spec) => return crate::measure::child::measure_main(&spec),
        Job::CalibrateDecode { files } => crate::calibrate::decode_throughput(&files).map(|t| println!("{t}")),
        Job::Feed(options) => crate::feed::process::feed_machine_main(&options),
        Job::FlightServer { tables } => crate::flight::server_main(tables),
    };
    match done {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("polaroid-bench worker: {}", polaroid_results::error::chain(&e));
            1
        }
    }
}

