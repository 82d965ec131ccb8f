//! Measurements end to end: every workload and variant at smoke size, and the outcomes the runner must record
//! without stopping (wrong answer, OOM under the cap, timeout, error), plus survival of a killed run and --resume.

use std::os::unix::process::CommandExt;
use std::process::Stdio;
use std::time::{Duration, Instant};

use polaroid_results::{AnswerCheck, CapMethod, Outcome};

use crate::util::{Sandbox, load, stderr};

#[test]
fn every_workload_and_variant_runs_at_smoke_size_with_agreeing_answers() {
    let s = Sandbox::new();
    let out = s.path("smoke.json");
    let mut cmd = s.command();
    // With calibration, so the limits and the `of limit` column are exercised too.
    let o = cmd.args(["run", "--suite", "smoke", "--data-dir"]).arg(s.data()).arg("--out").arg(&out).output().unwrap();
    assert!(o.status.success(), "stderr: {}", stderr(&o));
    let r = load(&out);
    // tasks x sweep points x variants
    let expected = [
        ("batch-read", 2 * 2 * 6),
        ("concurrent-query", 2 * 7),
        ("large-dataset", 2 * 4),
        ("streaming", 2 * 2 * 4),
    ];
    for (workload, n) in expected {
        let ms: Vec<_> = r.measurements.iter().filter(|m| m.workload == workload).collect();
        assert_eq!(ms.len(), n, "{workload} measurements");
        for m in ms {
            assert_eq!(m.outcome, Outcome::Ok, "{}", m.key);
            // With a latency every variant, Polars' cloud reader included, read from the measurement's S3 server.
            let remote = m.params.get("latency_ms").is_some_and(|l| l.as_u64() != Some(0));
            if remote {
                let requests = &m.figures["s3_requests"];
                assert!(requests.len() == 2 && requests.iter().all(|&r| r >= 4.0), "{}: {requests:?}", m.key);
                let peak = &m.figures["s3_peak_in_flight"];
                assert!(peak.len() == 2 && peak.iter().all(|&p| p >= 1.0), "{}: {peak:?}", m.key);
            }
            if m.variant == "polaroid" && workload != "streaming" {
                let limit = &m.figures["admission_limit"];
                assert_eq!(limit.len(), 2, "{}: the engine's figures per process", m.key);
            }
            // Tuned baselines record the knobs they were run with; variants on defaults record none.
            match m.variant.as_str() {
                "polars-streaming-tuned" => {
                    assert_eq!(m.role, Some(polaroid_results::Role::Tuned), "{}", m.key);
                    assert_eq!(m.knobs.get("POLARS_MAX_CONCURRENT_SCANS").map(String::as_str), Some("16"), "{}", m.key);
                }
                "polars-shared-streaming" => assert_eq!(m.knobs.get("engine").map(String::as_str), Some("streaming"), "{}", m.key),
                _ => assert!(m.knobs.is_empty(), "{}: {:?}", m.key, m.knobs),
            }
            if m.variant == "polaroid-flight" {
                // The server's peak memory, read from its process (one per measurement process).
                let server = &m.figures["server_peak_rss_bytes"];
                assert!(server.len() == 2 && server.iter().all(|&b| b > (1 << 20) as f64), "{}: {server:?}", m.key);
            }
            if m.variant == "transport-ceiling" {
                // It stores nothing, so it has no answer to compare; the checker still counted its ticks.
                assert_eq!(m.answer_check, AnswerCheck::Unchecked, "{}", m.key);
            } else {
                assert!(matches!(m.answer_check, AnswerCheck::Reference | AnswerCheck::Matched { .. }), "{}: {:?}", m.key, m.answer_check);
            }
            if workload == "streaming" {
                let st = m.stream.as_ref().expect("streaming figures");
                let timed: usize = m.metric.as_ref().unwrap().samples.iter().map(Vec::len).sum();
                assert_eq!(st.sessions_checked, timed as u64, "{}: every timed session of every process checked", m.key);
                assert_eq!((st.gaps, st.reconnects), (0, 0), "{}", m.key);
                assert!(st.feed_cpu_s.is_some_and(|c| c > 0.0), "{}: feed CPU recorded", m.key);
                let l = m.latency.as_ref().unwrap();
                assert!(l.count >= st.ticks_per_session && l.p50_ns <= l.p99_ns, "{}: {l:?}", m.key);
            }
            let metric = m.metric.as_ref().unwrap();
            assert!(metric.summary.median > 0.0 && metric.samples.iter().map(Vec::len).sum::<usize>() == metric.summary.n);
            assert_eq!(metric.samples.len(), 2, "{}: smoke runs two processes per measurement", m.key);
            assert_eq!(metric.summary.processes, 2);
            assert_eq!(m.memory.process_peak_rss_bytes.len(), 2, "{}: a peak per process", m.key);
            assert!(m.role.is_some(), "{}: the result records the variant's role", m.key);
            assert!(m.memory.peak_rss_bytes.unwrap() > 1 << 20, "{}: peak RSS from wait4", m.key);
            assert!(!m.timeline.is_empty(), "{}: sysinfo timeline", m.key);
        }
    }
    let c = r.calibration.as_ref().expect("calibration ran");
    assert!(c.decode_all_cores_bytes_per_s > 0.0 && c.memcpy_bytes_per_s > 0.0);
    let p = &r.provenance;
    assert!(p.polars_version.starts_with("0.") && p.cores_logical >= 1 && p.memory_total_bytes > 0);
    assert_eq!(p.datasets.len(), 3);
    let concurrent = r.measurements.iter().find(|m| m.workload == "concurrent-query").unwrap();
    let latency = concurrent.latency.as_ref().unwrap();
    assert!(latency.count > 0 && latency.p50_ns <= latency.p99_ns && latency.p99_ns <= latency.max_ns);
    let table = String::from_utf8_lossy(&o.stdout);
    assert!(table.contains("polars-streaming") && table.contains("vs best"), "{table}");
}

/// With three engines, the one that disagrees with the other two is the wrong answer, and only it: the first
/// answer of a task is no longer flagged with the one that disagrees with it when others agree with it.
#[test]
fn the_engine_that_disagrees_with_the_others_is_the_wrong_answer() {
    let s = Sandbox::new();
    let out = s.path("r.json");
    let o = s.run(&out, &["--workload", "batch-read", "--engine", "mock-wrong-answer,polars-eager,polars-lazy"]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let r = load(&out);
    for m in r.measurements.iter().filter(|m| m.answer.is_some()) {
        match (m.variant.as_str(), &m.answer_check) {
            ("mock-wrong-answer", AnswerCheck::Mismatch { reference, .. }) => assert_eq!(reference, "polars-eager"),
            ("polars-eager", AnswerCheck::Reference) => assert!(m.counts()),
            ("polars-lazy", AnswerCheck::Matched { reference }) => assert!(reference == "polars-eager" && m.counts()),
            (variant, check) => panic!("{} {variant}: unexpected {check:?}", m.task),
        }
    }
}

#[test]
fn a_wrong_answer_fails_the_pair_and_exits_3() {
    let s = Sandbox::new();
    let out = s.path("r.json");
    let o = s.run(&out, &["--workload", "batch-read", "--engine", "mock,mock-wrong-answer"]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let r = load(&out);
    let wrong = r.measurements.iter().find(|m| m.variant == "mock-wrong-answer").unwrap();
    match &wrong.answer_check {
        AnswerCheck::Mismatch { reference, reference_answer } => {
            assert_eq!(reference, "mock");
            assert_ne!(reference_answer.checksum, wrong.answer.as_ref().unwrap().checksum);
        }
        other => panic!("expected a mismatch, got {other:?}"),
    }
    assert!(r.measurements.iter().all(|m| !m.counts()), "neither side of a mismatched pair counts");
    assert!(String::from_utf8_lossy(&o.stdout).contains("WRONG ANSWER"));
}

#[test]
fn the_memory_cap_kills_an_over_allocating_child_and_the_run_goes_on() {
    let s = Sandbox::new();
    let out = s.path("r.json");
    let o = s.run(&out, &["--workload", "large-dataset", "--engine", "mock-memory-hog,mock", "--memory-cap", "256MiB"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let r = load(&out);
    assert_eq!(r.measurements.len(), 4);
    for m in &r.measurements {
        match m.variant.as_str() {
            "mock-memory-hog" => {
                assert!(matches!(m.outcome, Outcome::Oom { .. }), "{}: {:?}", m.key, m.outcome);
                assert_eq!(m.memory.cap_bytes, Some(256 << 20));
                if r.provenance.memory_cap_method != CapMethod::Rlimit {
                    assert!(m.memory.cgroup_peak_bytes.unwrap() <= 256 << 20);
                }
            }
            _ => assert_eq!(m.outcome, Outcome::Ok, "{}", m.key),
        }
    }
}

#[test]
fn a_hanging_variant_times_out_and_a_failing_one_is_recorded() {
    let s = Sandbox::new();
    let out = s.path("r.json");
    let o = s.run(&out, &["--workload", "batch-read", "--engine", "mock-hang,mock-fail,mock", "--timeout", "4"]);
    assert_eq!(o.status.code(), Some(3), "an error outcome exits 3: {}", stderr(&o));
    let r = load(&out);
    assert_eq!(r.measurements.len(), 2 * 2 * 3, "tasks x latencies x variants");
    for m in &r.measurements {
        match m.variant.as_str() {
            "mock-hang" => assert_eq!(m.outcome, Outcome::Timeout { limit_s: 4.0 }),
            "mock-fail" => assert!(matches!(&m.outcome, Outcome::Error { message } if message.contains("scripted failure"))),
            _ => assert_eq!(m.outcome, Outcome::Ok),
        }
    }
}

#[test]
fn an_unsupported_pair_is_recorded_and_skipped() {
    let s = Sandbox::new();
    let out = s.path("r.json");
    let o = s.run(&out, &["--workload", "concurrent-query", "--engine", "polars-eager", "--clients", "1"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let r = load(&out);
    assert!(matches!(r.measurements[0].outcome, Outcome::Unsupported { .. }), "{:?}", r.measurements[0].outcome);
}

#[test]
fn a_killed_run_keeps_its_measurements_and_resume_completes_it() {
    let s = Sandbox::new();
    let out = s.path("r.json");
    let args = ["--workload", "batch-read,large-dataset", "--engine", "mock", "--runs", "150"];
    let mut cmd = s.command();
    cmd.args(["run", "--suite", "smoke", "--no-calibrate", "--data-dir"]).arg(s.data()).arg("--out").arg(&out).args(args);
    let mut child = cmd.process_group(0).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    let partial = loop {
        assert!(Instant::now() < deadline, "no measurement was written in time");
        if let Ok(r) = polaroid_results::RunResult::load(&out)
            && !r.measurements.is_empty()
        {
            break r;
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    // Kill the whole process group: the runner and its measurement process, as Ctrl-C or a crash would.
    std::process::Command::new("kill").args(["-KILL", "--", &format!("-{}", child.id())]).status().unwrap();
    let _ = child.wait();
    // batch-read: 2 tasks x 2 latencies; large-dataset: 2 tasks.
    let total = 6;
    assert!(partial.measurements.len() < total, "the run should have been cut short");
    let survived = load(&out);
    assert!(!survived.measurements.is_empty() && survived.measurements.len() < total);

    let o = s.run(&out, &[&args[..], &["--resume"]].concat());
    assert!(o.status.success(), "{}", stderr(&o));
    let done = load(&out);
    assert_eq!(done.measurements.len(), total);
    assert_eq!(done.measurements[0], survived.measurements[0], "finished measurements are not redone");
}

/// Children of `parent` whose command line contains `needle`, from /proc.
fn children(parent: u32, needle: &str) -> Vec<u32> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else { continue };
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        // Field 4 (after the parenthesised name) is the parent pid.
        let ppid = stat.rsplit(')').next().and_then(|rest| rest.split_whitespace().nth(1)).and_then(|p| p.parse::<u32>().ok());
        let cmdline = std::fs::read_to_string(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        if ppid == Some(parent) && cmdline.contains(needle) {
            out.push(pid);
        }
    }
    out
}

/// Whether `pid` still runs (a zombie waiting for its reaper does not).
fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| s.rsplit(')').next().is_some_and(|r| !r.trim_start().starts_with('Z')))
}

#[test]
fn a_runner_killed_outright_leaves_no_measurement_process_behind() {
    let s = Sandbox::new();
    let out = s.path("r.json");
    let mut cmd = s.command();
    cmd.args(["run", "--suite", "smoke", "--no-calibrate", "--data-dir"]).arg(s.data()).arg("--out").arg(&out);
    cmd.args(["--workload", "batch-read", "--engine", "mock-hang", "--timeout", "120"]);
    let mut runner = cmd.stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let measuring = loop {
        assert!(Instant::now() < deadline, "no measurement process started");
        if let Some(pid) = children(runner.id(), "__worker").first() {
            break *pid;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    runner.kill().unwrap(); // SIGKILL to the runner alone, not its process group
    let _ = runner.wait();
    let deadline = Instant::now() + Duration::from_secs(10);
    while alive(measuring) {
        assert!(Instant::now() < deadline, "measurement process {measuring} outlived its killed runner");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn progress_jsonl_writes_one_event_per_line_and_nothing_else_to_stdout() {
    use polaroid_results::events::Event;
    let s = Sandbox::new();
    let out = s.path("r.json");
    let o = s.run(&out, &["--workload", "batch-read", "--engine", "mock,mock-fail", "--progress", "jsonl"]);
    assert_eq!(o.status.code(), Some(3), "mock-fail fails: {}", stderr(&o));
    let events: Vec<Event> = String::from_utf8(o.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not an event ({e}): {l}")))
        .collect();
    let r = load(&out);
    let ready = events.iter().position(|e| matches!(e, Event::DatasetReady { status, .. } if status == "generated")).unwrap();
    let planned = events.iter().position(|e| matches!(e, Event::Planned { total: 8, skipped: 0 })).unwrap();
    assert!(events[..ready].iter().all(|e| matches!(e, Event::Message { .. })), "only messages before the dataset: {events:?}");
    assert!(ready < planned && events[..planned].iter().all(|e| !matches!(e, Event::Started { .. })));
    let finished: Vec<_> = events.iter().filter_map(|e| if let Event::Finished { summary, .. } = e { Some(summary) } else { None }).collect();
    assert_eq!(finished.len(), r.measurements.len());
    for (f, m) in finished.iter().zip(&r.measurements) {
        assert_eq!(f.key, m.key);
        assert_eq!(f.outcome, m.outcome.label());
        assert_eq!(f.median, m.metric.as_ref().map(|x| x.summary.median));
    }
    let started = events.iter().position(|e| matches!(e, Event::Started { index: 0, .. })).unwrap();
    let first_finished = events.iter().position(|e| matches!(e, Event::Finished { index: 0, .. })).unwrap();
    assert!(started < first_finished);
    match events.last() {
        Some(Event::RunFinished { results, measurements: 8, failed: 4 }) => assert_eq!(results, &[out.display().to_string()]),
        other => panic!("the last event is {other:?}"),
    }
}

#[test]
fn list_json_is_the_catalog_with_roles() {
    use polaroid_results::Role;
    use polaroid_results::catalog::Catalog;
    let s = Sandbox::new();
    let o = s.command().args(["list", "--format", "json"]).output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let c: Catalog = serde_json::from_slice(&o.stdout).unwrap();
    let names: Vec<&str> = c.workloads.iter().map(|w| w.name.as_str()).collect();
    assert_eq!(names, ["batch-read", "concurrent-query", "large-dataset", "streaming"]);
    let role = |v: &str| c.variants.iter().find(|x| x.name == v).map(|x| x.role);
    assert_eq!(role("polaroid"), Some(Role::Engine));
    assert_eq!(role("transport-ceiling"), Some(Role::Limit));
    assert_eq!(role("polars-eager"), Some(Role::Baseline));
    assert_eq!(role("polars-streaming-tuned"), Some(Role::Tuned));
    assert_eq!(role("polars-shared-streaming"), Some(Role::Tuned));
    for w in &c.workloads {
        assert!(w.variants.iter().all(|v| role(v).is_some()), "{}: every default variant is in the catalog", w.name);
        let default = w.sizes.iter().find(|z| z.name == "default").unwrap();
        assert!(default.processes >= 2 && !default.sweep.is_empty(), "{}: {default:?}", w.name);
    }
    // The text form is the same catalog.
    let text = String::from_utf8(s.command().arg("list").output().unwrap().stdout).unwrap();
    assert!(text.contains("polaroid             engine"), "{text}");
}

#[test]
fn ctrl_c_stops_a_run_keeps_its_measurements_and_resume_completes_it() {
    let s = Sandbox::new();
    let out = s.path("r.json");
    let args = ["--workload", "batch-read", "--engine", "mock", "--runs", "150"];
    let mut cmd = s.command();
    cmd.args(["run", "--suite", "smoke", "--no-calibrate", "--data-dir"]).arg(s.data()).arg("--out").arg(&out).args(args);
    let runner = cmd.stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        assert!(Instant::now() < deadline, "no measurement was written in time");
        if polaroid_results::RunResult::load(&out).is_ok_and(|r| !r.measurements.is_empty()) && !children(runner.id(), "__worker").is_empty() {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let worker = children(runner.id(), "__worker")[0];
    std::process::Command::new("kill").args(["-INT", &runner.id().to_string()]).status().unwrap();
    let o = runner.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(130), "interrupted: {}", stderr(&o));
    assert!(stderr(&o).contains("--resume"), "{}", stderr(&o));
    assert!(!alive(worker), "the running measurement was killed");
    let kept = load(&out);
    assert!(!kept.measurements.is_empty() && kept.measurements.len() < 4, "{}", kept.measurements.len());
    let o = s.run(&out, &[&args[..], &["--resume"]].concat());
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(load(&out).measurements.len(), 4);
}
