//! The binary as a user (or polaroid-bench) starts it. Its presence in the target directory is what
//! polaroid-bench's own tests of the Ballista variants run on.

use std::io::BufRead;
use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_polaroid-ballista");

/// A scheduler announces its URL; a second one on the same port cannot start and says which port and what to do.
#[test]
fn a_scheduler_on_a_port_that_is_taken_is_a_clear_error() {
    let mut first = Command::new(BIN).args(["scheduler", "--port", "0"]).stdout(Stdio::piped()).spawn().unwrap();
    let mut line = String::new();
    std::io::BufReader::new(first.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let url = line.trim().strip_prefix("POLAROID-BALLISTA ").expect("the scheduler announces its URL").to_string();
    let port = url.rsplit(':').next().unwrap().to_string();
    let second = Command::new(BIN).args(["scheduler", "--port", &port]).output().unwrap();
    let _ = (first.kill(), first.wait());
    let err = String::from_utf8_lossy(&second.stderr);
    assert!(!second.status.success(), "{err}");
    assert!(err.contains(&format!("127.0.0.1:{port}")) && err.contains("choose another --port"), "{err}");
}

/// A job that is not JSON, or not a measurement, is answered with one failure line (the worker protocol), not a
/// panic.
#[test]
fn the_worker_answers_a_bad_job_with_one_failure_line() {
    for job in ["not json", r#"{"job": "feed"}"#] {
        let mut child = Command::new(BIN).arg("__worker").stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().unwrap();
        std::io::Write::write_all(&mut child.stdin.take().unwrap(), job.as_bytes()).unwrap();
        let out = child.wait_with_output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success() && text.starts_with("POLAROID-FAILURE ") && text.lines().count() == 1, "{job}: {text}");
    }
}
