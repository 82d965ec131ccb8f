//! The Ballista variants (`ballista-N`) through the real binaries: polaroid-bench starting clusters of
//! polaroid-ballista processes. Built only with the `ballista-tests` feature, by scripts/test (and
//! scripts/test-ballista), which builds polaroid-ballista (a workspace of its own: DataFusion and Ballista) first.

use std::path::Path;

#[path = "../harness/tables.rs"]
mod tables;
#[path = "../harness/util.rs"]
#[allow(dead_code)]
mod util;

use tables::{GOOD, write_tables};
use util::{Sandbox, load, stderr};

/// `polaroid-bench` as [`Sandbox::command`] starts it, with the `polaroid-ballista` binary this test run was given
/// (`POLAROID_BALLISTA_BIN`: scripts/test builds it in the `quick` profile) instead of the release build beside it.
fn bench(s: &Sandbox) -> std::process::Command {
    let mut cmd = s.command();
    if let Some(bin) = std::env::var_os(polaroid_bench::engines::ballista::BINARY.env_var) {
        cmd.env(polaroid_bench::engines::ballista::BINARY.env_var, bin);
    }
    cmd
}

/// The Ballista variants run a workload file on real clusters: for each measurement process the runner starts a
/// scheduler and N executors (`polaroid-ballista` processes) beside the measured client, records the cluster's
/// memory, and stops every process after it; the answers agree with Rust Polars'. Through the S3 server the
/// executors read the tables from it.
#[test]
fn ballista_runs_a_workload_file_on_a_cluster_of_its_own_per_measurement_and_stops_it() {
    let s = Sandbox::new();
    write_tables(s.dir.path());
    let file = s.path("my.toml");
    std::fs::write(&file, format!("{GOOD}\n[s3]\nlatency_ms = [0, 5]\n")).unwrap();
    let out = s.path("r.json");
    let engines = "polars-lazy,ballista-1,ballista-2";
    let o = bench(&s).args(["run", "--no-calibrate", "--engine", engines, "--processes", "1", "--runs", "1", "--out"]).arg(&out).arg(&file).output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let result = load(&out);
    assert_eq!(result.measurements.len(), 18, "{:?}", result.measurements.iter().map(|m| &m.key).collect::<Vec<_>>());
    for m in result.measurements.iter().filter(|m| m.variant.starts_with("ballista")) {
        assert!(m.metric.is_some(), "{}: {:?}", m.key, m.outcome);
        let cluster = m.figures.get("cluster_peak_rss_bytes").map(|v| v.iter().sum::<f64>());
        let executors = m.figures.get("executors_peak_rss_bytes").map(|v| v.iter().sum::<f64>());
        assert!(cluster.is_some_and(|c| c > 0.0) && executors < cluster, "{}: {cluster:?} {executors:?}", m.key);
        if m.params.get("latency_ms").and_then(|v| v.as_u64()) == Some(5) {
            let requests = m.figures.get("s3_requests").map(|v| v.iter().sum::<f64>());
            assert!(requests.is_some_and(|r| r >= 3.0), "{}: {requests:?}", m.key);
        }
        let executors = if m.variant == "ballista-2" { "2" } else { "1" };
        assert_eq!(m.knobs.get("executors").map(String::as_str), Some(executors), "{}", m.key);
        assert_eq!(m.knobs.get("slots").map(String::as_str), Some("1"), "{}", m.key);
    }
    assert_eq!(result.failures(), 0, "answers agree with polars-lazy's");
}

/// `--ballista-scheduler` runs the variant against a cluster that is already running (here one started by hand, as
/// docs/methodology.md shows), starting none; a scheduler that cannot be reached is the measurement's error, named.
#[test]
fn ballista_runs_against_a_scheduler_started_by_hand() {
    use std::io::BufRead;
    let s = Sandbox::new();
    write_tables(s.dir.path());
    let file = s.path("my.toml");
    std::fs::write(&file, GOOD).unwrap();
    let binary = polaroid_bench::engines::ballista::locate(Path::new(util::BIN)).unwrap();
    let spawn = |args: &[&str]| std::process::Command::new(&binary).args(args).stdout(std::process::Stdio::piped()).spawn().unwrap();
    let mut scheduler = spawn(&["scheduler", "--port", "0"]);
    let mut line = String::new();
    std::io::BufReader::new(scheduler.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let url = line.trim().strip_prefix("POLAROID-BALLISTA ").expect("the scheduler announces its URL").to_string();
    let mut executor = spawn(&["executor", "--scheduler", &url]);
    let mut ready = String::new();
    std::io::BufReader::new(executor.stdout.take().unwrap()).read_line(&mut ready).unwrap();
    assert!(ready.starts_with("POLAROID-BALLISTA-READY "), "{ready}");
    let out = s.path("r.json");
    let o = bench(&s).args(["run", "--no-calibrate", "--engine", "ballista-1", "--processes", "1", "--runs", "1", "--ballista-scheduler", &url, "--out"]).arg(&out).arg(&file).output().unwrap();
    let _ = (executor.kill(), scheduler.kill(), executor.wait(), scheduler.wait());
    assert!(o.status.success(), "{}", stderr(&o));
    let result = load(&out);
    assert_eq!(result.measurements.len(), 3);
    for m in &result.measurements {
        assert!(m.metric.is_some(), "{}: {:?}", m.key, m.outcome);
        assert_eq!(m.figures.get("cluster_peak_rss_bytes"), None, "{}: no cluster of its own", m.key);
        assert_eq!(m.knobs.get("scheduler").map(String::as_str), Some(url.as_str()), "{}", m.key);
    }

    // Nothing listens there any more: the measurement records the client's error and the run goes on.
    let out = s.path("gone.json");
    let o = bench(&s).args(["run", "--no-calibrate", "--engine", "ballista-1", "--processes", "1", "--runs", "1", "--timeout", "60", "--ballista-scheduler", &url, "--out"]).arg(&out).arg(&file).output().unwrap();
    let result = load(&out);
    assert_eq!(result.measurements.len(), 3, "{}", stderr(&o));
    assert!(result.measurements.iter().all(|m| m.metric.is_none()), "no timings without a cluster");
}

/// The processes of `runner`'s Ballista clusters (its children running polaroid-ballista), with their roles.
fn ballista_children(runner: u32) -> Vec<(u32, String)> {
    let o = std::process::Command::new("pgrep").args(["-a", "-P", &runner.to_string(), "-f", "polaroid-ballista"]).output().unwrap();
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .filter_map(|l| l.split_once(' ').map(|(pid, cmd)| (pid.parse().unwrap(), cmd.to_string())))
        .collect()
}

/// Whether a process still runs (a zombie waiting for its reaper does not).
fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| s.rsplit(')').next().is_some_and(|rest| !rest.trim_start().starts_with('Z')))
}

/// An executor killed while its cluster answers queries: the measurement records what Ballista did (a retry on the
/// other executor, or the query's failure, or the timeout), the run goes on to the next measurement, and when the
/// runner itself is killed no process of its clusters, nor its client, is left.
#[test]
fn a_ballista_executor_killed_mid_measurement_is_recorded_and_the_run_goes_on() {
    let s = Sandbox::new();
    write_tables(s.dir.path());
    let file = s.path("my.toml");
    std::fs::write(&file, GOOD).unwrap();
    let wait_for = |runner: u32, role: &str, n: usize| {
        let start = std::time::Instant::now();
        loop {
            let found: Vec<(u32, String)> = ballista_children(runner).into_iter().filter(|(_, c)| c.contains(role)).collect();
            if found.len() >= n || start.elapsed() > std::time::Duration::from_secs(60) {
                return found;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    };
    let out = s.path("r.json");
    // Enough runs that the first measurement is still going when its executor is killed, few enough that the
    // unoptimized build the test command uses (scripts/test-ballista) does each measurement well inside the timeout
    // (about 8 s on 2 cores). The timeout matters: Ballista 55 sometimes leaves the job of a killed executor hanging
    // instead of failing it, and then the measurement ends with it.
    let args = ["run", "--no-calibrate", "--engine", "ballista-2", "--processes", "1", "--runs", "30", "--timeout", "45", "--progress", "none", "--out"];
    let mut run = bench(&s).args(args).arg(&out).arg(&file).spawn().unwrap();
    let executors = wait_for(run.id(), "executor", 2);
    assert_eq!(executors.len(), 2, "{executors:?}");
    // The client is running queries on the cluster, then one executor goes.
    wait_for(run.id(), "__worker", 1);
    std::thread::sleep(std::time::Duration::from_millis(500));
    let victim = executors[0].0;
    assert!(alive(victim) && ballista_children(run.id()).iter().any(|(pid, _)| *pid == victim), "the first measurement's executor still runs when it is killed");
    std::process::Command::new("kill").args(["-9", &victim.to_string()]).status().unwrap();
    let status = run.wait().unwrap();
    assert!(status.code().is_some(), "the runner ended by itself");
    let result = load(&out);
    assert_eq!(result.measurements.len(), 3, "every measurement is recorded, the one hit and the ones after it");
    let later: Vec<_> = result.measurements.iter().skip(1).map(|m| (&m.key, &m.outcome)).collect();
    assert!(result.measurements.iter().skip(1).all(|m| m.metric.is_some()), "later measurements get clusters of their own: {later:?}");

    // The runner killed mid-measurement: its cluster and its client go with it.
    let args = ["run", "--no-calibrate", "--engine", "ballista-1", "--processes", "1", "--runs", "400", "--progress", "none", "--out"];
    let mut run = bench(&s).args(args).arg(s.path("killed.json")).arg(&file).spawn().unwrap();
    let runner = run.id();
    wait_for(runner, "__worker", 1);
    let members = ballista_children(runner);
    assert_eq!(members.len(), 3, "a scheduler, an executor, the client: {members:?}");
    run.kill().unwrap();
    run.wait().unwrap();
    std::thread::sleep(std::time::Duration::from_secs(1));
    let left: Vec<_> = members.iter().filter(|(pid, _)| alive(*pid)).collect();
    assert!(left.is_empty(), "left running: {left:?}");
}
