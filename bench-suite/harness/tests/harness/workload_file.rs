//! Workload files (docs/workload-files.md): the user's Parquet tables and SQL, run like a built-in workload, and every
//! mistake in a file named by its line with what to write instead.

use polars::prelude::*;

use crate::tables::{GOOD, write_tables};
use crate::util::{Sandbox, load, stderr};

#[test]
fn a_workload_file_runs_on_every_sql_engine_with_its_answers_checked() {
    let s = Sandbox::new();
    write_tables(s.dir.path());
    let file = s.path("my.toml");
    std::fs::write(&file, GOOD).unwrap();
    let out = s.path("r.json");
    // The Rust engines here (the Python ones run in the project's venv: python/tests/test_workload_files.py).
    let o = s.command().args(["run", "--no-calibrate", "--engine", "polars-lazy,polars-streaming,polars-shared,polaroid", "--out"]).arg(&out).arg(&file).output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let result = load(&out);
    let keys: Vec<&str> = result.measurements.iter().map(|m| m.key.as_str()).collect();
    // Three tasks (vwap, by-sector at two parameter values) on four Rust engines.
    assert_eq!(keys.len(), 12, "{keys:?}");
    assert!(keys.contains(&"my-trades/vwap/default/polaroid"), "{keys:?}");
    assert!(keys.contains(&"my-trades/by-sector[min_qty=40]/default/polars-streaming"), "{keys:?}");
    for m in &result.measurements {
        assert_eq!(m.workload, "my-trades");
        let samples: usize = m.metric.as_ref().map_or(0, |metric| metric.samples.iter().map(Vec::len).sum());
        assert_eq!(samples, 4, "{}: 2 processes x 2 runs", m.key);
        let answer = m.answer.as_ref().unwrap_or_else(|| panic!("{} has no answer", m.key));
        if m.task == "vwap" {
            assert_eq!(answer.rows, 13);
        }
        if m.task.starts_with("by-sector") {
            assert_eq!(answer.rows, 2, "{}: two sectors", m.key);
        }
    }
    assert_eq!(result.failures(), 0);

    // `list FILE` shows the queries, with their parameters, and the engines.
    let o = s.command().arg("list").arg(&file).output().unwrap();
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success() && text.contains("by-sector[min_qty=1]") && text.contains("polars-streaming"), "{text}");
}

#[test]
fn an_answer_with_other_rows_than_expect_rows_fails_the_run() {
    let s = Sandbox::new();
    write_tables(s.dir.path());
    let file = s.path("my.toml");
    std::fs::write(&file, GOOD.replace("expect_rows = 13", "expect_rows = 12")).unwrap();
    let out = s.path("r.json");
    let o = s.command().args(["run", "--no-calibrate", "--engine", "polars-lazy", "--processes", "1", "--out"]).arg(&out).arg(&file).output().unwrap();
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let result = load(&out);
    let vwap = result.measurements.iter().find(|m| m.task == "vwap").unwrap();
    let text = serde_json::to_string(&vwap.outcome).unwrap();
    assert!(text.contains("returned 13 rows") && text.contains("expects 12"), "{text}");
}

#[test]
fn the_bundled_trades_workload_generates_its_data_once_and_runs() {
    let s = Sandbox::new();
    let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../workloads/trades.toml");
    let run = |out: &str| {
        let o = s.command().args(["run", "--suite", "smoke", "--no-calibrate", "--engine", "polars-lazy,polaroid,polaroid-flight", "--processes", "1", "--data-dir"]).arg(s.data()).arg("--out").arg(s.path(out)).arg(&file).output().unwrap();
        assert!(o.status.success(), "{}", stderr(&o));
        stderr(&o)
    };
    let first = run("a.json");
    assert!(first.contains("generating the tables of"), "the [data] command runs the first time: {first}");
    let second = run("b.json");
    assert!(!second.contains("generating the tables of"), "and is reused after: {second}");
    let result = load(&s.path("b.json"));
    assert_eq!(result.measurements.len(), 15, "5 tasks x 3 engines");
    // The networked variant's server is measured beside it.
    assert!(result.measurements.iter().filter(|m| m.variant == "polaroid-flight").all(|m| m.figures.contains_key("server_peak_rss_bytes")));
    assert_eq!(result.failures(), 0);
    for m in &result.measurements {
        assert!(m.answer.as_ref().is_some_and(|a| a.rows > 0), "{}: {:?}", m.key, m.answer);
    }
}

#[test]
fn python_engines_without_their_interpreter_are_refused_before_anything_runs() {
    let s = Sandbox::new();
    write_tables(s.dir.path());
    let file = s.path("my.toml");
    std::fs::write(&file, GOOD).unwrap();
    let o = s.command().env("POLAROID_PYTHON", s.path("no-python")).args(["run", "--no-calibrate", "--out"]).arg(s.path("r.json")).arg(&file).output().unwrap();
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("py-polars, py-polars-in-memory, duckdb, datafusion run in Python") && err.contains("no-python") && err.contains("scripts/python-env"), "{err}");
    assert!(!s.path("r.json").exists() || load(&s.path("r.json")).measurements.is_empty(), "nothing was measured");
}

#[test]
fn each_mistake_in_a_workload_file_is_named_with_its_line_and_the_fix() {
    let s = Sandbox::new();
    write_tables(s.dir.path());
    let cases: &[(&str, &str, &[&str])] = &[
        ("an unknown key", "[[queries]]\nname = \"q\"\nsq = \"SELECT 1\"", &[":13:1", "unknown field `sq`", "`sql`"]),
        ("a missing table", "[[queries]]\nname = \"q\"\nsql = \"SELECT * FROM quotes\"", &[":13:7", "reads table 'quotes'", "add quotes = "]),
        ("an unused parameter", "[[queries]]\nname = \"q\"\nsql = \"SELECT * FROM trades\"\nparams = { n = [1] }", &[":14:12", "parameter 'n' is not used", "${n}"]),
        ("a placeholder without values", "[[queries]]\nname = \"q\"\nsql = \"SELECT * FROM trades LIMIT ${n}\"", &["uses ${n}", "add n = [...]"]),
        ("SQL that does not parse", "[[queries]]\nname = \"q\"\nsql = \"SELEC * FROM trades\"", &[":13:7", "SQL does not parse"]),
        ("an unknown engine", "[engines]\ninclude = [\"pandas\"]\n[[queries]]\nname = \"q\"\nsql = \"SELECT 1\"", &[":12:12", "engine 'pandas'", "polars-lazy"]),
        ("two queries with one name", "[[queries]]\nname = \"q\"\nsql = \"SELECT 1\"\n[[queries]]\nname = \"q\"\nsql = \"SELECT 2\"", &[":15:8", "a second query named 'q'"]),
        ("a query with no SQL", "[[queries]]\nname = \"q\"", &["query 'q' has no SQL", "sql = \"SELECT ...\""]),
        (
            "an answer file that does not exist",
            "[[queries]]\nname = \"q\"\nsql = \"SELECT 1\"\nanswer = \"answers/q.parquet\"",
            &[":14:10", "answer file", "answers/q.parquet does not exist", "Expected answers"],
        ),
        (
            "an answer path with a placeholder that is no parameter",
            "[[queries]]\nname = \"q\"\nsql = \"SELECT 1\"\nanswer = \"answers/${n}.parquet\"",
            &[":14:10", "${n}", "neither one of its params nor ${size}"],
        ),
        ("a client count of 0", "[concurrency]\nclients = [0, 10]\n[[queries]]\nname = \"q\"\nsql = \"SELECT 1\"", &[":12:11", "clients must list client counts of at least 1"]),
        (
            "a concurrent mix naming no query",
            "[concurrency]\nqueries = [\"nope\"]\n[[queries]]\nname = \"q\"\nsql = \"SELECT 1\"",
            &[":12:12", "names 'nope', which is no query", "it has: q"],
        ),
        ("a query named as the concurrent task", "[concurrency]\n[[queries]]\nname = \"concurrent\"\nsql = \"SELECT 1\"", &[":13:8", "is the [concurrency] task's"]),
        ("an empty list of S3 latencies", "[s3]\nlatency_ms = []\n[[queries]]\nname = \"q\"\nsql = \"SELECT 1\"", &[":12:14", "[s3] latency_ms must list distinct latencies", "latency_ms = [0, 20]"]),
        ("an answer file that is not Parquet", "[[queries]]\nname = \"q\"\nsql = \"SELECT 1\"\nanswer = \"sectors.csv\"", &[":14:10", "cannot be read as Parquet"]),
    ];
    std::fs::write(s.path("sectors.csv"), "symbol,sector\nS0,tech\n").unwrap();
    // Ten lines, so the case's first line is line 11.
    let head = "name = \"w\"\n\n[tables]\ntrades = \"trades/*.parquet\"\nsectors = \"sectors.parquet\"\n\n\n\n\n\n";
    for (what, tail, needles) in cases {
        let file = s.path("bad.toml");
        std::fs::write(&file, format!("{head}{tail}\n")).unwrap();
        let o = s.command().arg("list").arg(&file).output().unwrap();
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(1), "{what}: {err}");
        assert!(!err.contains("panicked"), "{what}: {err}");
        assert!(err.contains("bad.toml"), "{what}: the file is named: {err}");
        for needle in *needles {
            assert!(err.contains(needle), "{what}: expected '{needle}' in: {err}");
        }
    }
    // A table whose path matches nothing names the path and the forms a path may take.
    let file = s.path("nothing.toml");
    std::fs::write(&file, "name = \"w\"\n[tables]\nquotes = \"quotes/*.parquet\"\n[[queries]]\nname = \"q\"\nsql = \"SELECT 1\"\n").unwrap();
    let o = s.command().arg("list").arg(&file).output().unwrap();
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("nothing.toml:3:1") && err.contains("matches no Parquet file") && err.contains("a glob"), "{err}");
}

/// A file that gives a query's answer (`answer =`, docs/workload-files.md "Expected answers"): every engine is held
/// to it rather than to each other, so an answer all engines share but the file does not is a wrong answer.
#[test]
fn an_expected_answer_file_is_the_reference_and_every_engine_that_differs_from_it_is_wrong() {
    let s = Sandbox::new();
    write_tables(s.dir.path());
    std::fs::create_dir_all(s.path("answers")).unwrap();
    let write_answer = |name: &str, energy: i64| {
        // Row order, column names and integer widths are the file's own: answers are compared as the engines' are.
        let mut df = df!("s" => ["energy", "tech"], "count" => [energy, 7]).unwrap();
        ParquetWriter::new(std::fs::File::create(s.path(&format!("answers/{name}.parquet"))).unwrap()).finish(&mut df).unwrap();
    };
    write_answer("right-default", 6);
    write_answer("wrong-default", 5);
    let run = |answer: &str| {
        let file = s.path(&format!("{answer}.toml"));
        let text = format!(
            "name = \"w\"\n[tables]\nsectors = \"sectors.parquet\"\n[[queries]]\nname = \"per-sector\"\nsql = \"SELECT sector, COUNT(*) AS n FROM sectors GROUP BY sector\"\nanswer = \"answers/{answer}-${{size}}.parquet\"\n"
        );
        std::fs::write(&file, text).unwrap();
        let out = s.path(&format!("{answer}.json"));
        let o = s.command().args(["run", "--no-calibrate", "--engine", "polars-lazy,polaroid", "--processes", "1", "--runs", "1", "--out"]).arg(&out).arg(&file).output().unwrap();
        (o, load(&out))
    };
    let (o, result) = run("right");
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(result.measurements.len(), 2);
    for m in &result.measurements {
        let check = serde_json::to_string(&m.answer_check).unwrap();
        assert!(check.contains("matched") && check.contains("answers/right-default.parquet"), "{}: {check}", m.key);
    }
    let (o, result) = run("wrong");
    assert_eq!(o.status.code(), Some(3), "a wrong answer fails the run: {}", stderr(&o));
    for m in &result.measurements {
        let check = serde_json::to_string(&m.answer_check).unwrap();
        assert!(check.contains("mismatch") && check.contains("answers/wrong-default.parquet"), "{}: {check}", m.key);
        assert!(!m.counts(), "{}: its timing does not count", m.key);
    }
}

/// `[concurrency]` (docs/workload-files.md "Concurrent clients"): closed loops of clients issuing the file's queries,
/// swept over client counts as concurrent-query is, on engines in process and behind the Flight SQL server; each
/// query's answer checked across engines before the loops count.
#[test]
fn a_workload_files_queries_run_as_a_concurrent_mix_swept_over_clients() {
    let s = Sandbox::new();
    write_tables(s.dir.path());
    let file = s.path("my.toml");
    let mix = "[concurrency]\nclients = [1, 4]\nduration_s = 0.2\nprocesses = 1\nqueries = [\"vwap\", \"by-sector\"]\n";
    std::fs::write(&file, format!("{GOOD}\n{mix}")).unwrap();
    let out = s.path("r.json");
    let o = s.command().args(["run", "--no-calibrate", "--engine", "polars-shared,polaroid,polaroid-flight", "--processes", "1", "--runs", "1", "--out"]).arg(&out).arg(&file).output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let result = load(&out);
    let mixes: Vec<_> = result.measurements.iter().filter(|m| m.task == "concurrent").collect();
    // Two client counts on three engines, beside the queries' own 3 tasks x 3 engines.
    assert_eq!(mixes.len(), 6, "{:?}", result.measurements.iter().map(|m| &m.key).collect::<Vec<_>>());
    assert_eq!(result.measurements.len(), 15);
    assert!(result.measurements.iter().any(|m| m.key == "my-trades/concurrent/default[clients=4]/polaroid-flight"));
    for m in &mixes {
        let metric = m.metric.as_ref().unwrap_or_else(|| panic!("{}: {:?}", m.key, m.outcome));
        assert_eq!(metric.unit, "queries/s");
        assert!(metric.samples.iter().flatten().all(|q| *q > 0.0), "{}: {:?}", m.key, metric.samples);
        let latency = m.latency.as_ref().unwrap();
        assert!(latency.count > 0 && latency.errors == 0 && latency.p50_ns > 0, "{}: {latency:?}", m.key);
        // The answer is the three queries' (vwap and by-sector at two parameter values): 13 + 2 + 2 rows.
        let answer = m.answer.as_ref().unwrap();
        assert_eq!((answer.rows, answer.preview.len()), (17, 3), "{}: {answer:?}", m.key);
    }
    assert_eq!(result.failures(), 0, "every engine's mix answers agree");

    // `list` shows the mix and what it draws from.
    let o = s.command().arg("list").arg(&file).output().unwrap();
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("concurrent") && text.contains("by-sector[min_qty=40]"), "{text}");
}

/// `[s3]` (docs/workload-files.md "Tables on S3"): at a latency above 0 every table is read from an S3-compatible
/// server started for each measurement process, each table the prefix `<table>/` of its bucket, every request
/// answered after that delay; 0 reads the local files. An engine that cannot read S3 says so as `unsupported`.
#[test]
fn a_workload_files_tables_are_read_through_the_s3_server_at_each_latency() {
    let s = Sandbox::new();
    write_tables(s.dir.path());
    let file = s.path("my.toml");
    std::fs::write(&file, format!("{GOOD}\n[s3]\nlatency_ms = [0, 5]\n")).unwrap();
    let out = s.path("r.json");
    let engines = "polars-lazy,polars-streaming,polars-shared,polaroid,polaroid-flight";
    let o = s.command().args(["run", "--no-calibrate", "--engine", engines, "--processes", "1", "--runs", "1", "--out"]).arg(&out).arg(&file).output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let result = load(&out);
    // Three tasks at two latencies on five engines.
    assert_eq!(result.measurements.len(), 30, "{:?}", result.measurements.iter().map(|m| &m.key).collect::<Vec<_>>());
    assert!(result.measurements.iter().any(|m| m.key == "my-trades/by-sector[min_qty=40]/default[latency_ms=5]/polaroid"));
    for m in &result.measurements {
        let remote = m.params.get("latency_ms").and_then(|v| v.as_u64()) == Some(5);
        let requests = m.figures.get("s3_requests").map(|v| v.iter().sum::<f64>());
        if m.variant == "polaroid-flight" && remote {
            let outcome = serde_json::to_string(&m.outcome).unwrap();
            assert!(outcome.contains("unsupported") && outcome.contains("served over S3"), "{}: {outcome}", m.key);
            continue;
        }
        assert!(m.metric.is_some(), "{}: {:?}", m.key, m.outcome);
        if remote {
            // Both tables' objects came from the server: at least a GET per file (three files).
            assert!(requests.is_some_and(|r| r >= 3.0), "{}: {requests:?}", m.key);
        } else {
            assert_eq!(requests, None, "{}: local files, no server", m.key);
        }
        if m.task == "vwap" {
            assert_eq!(m.answer.as_ref().map(|a| a.rows), Some(13), "{}", m.key);
        }
    }
    assert_eq!(result.failures(), 0, "answers agree at each latency");

    // `list` shows the sweep of latencies and the file's [run] (2 processes x 2 runs) at each size.
    let o = s.command().arg("list").arg(&file).output().unwrap();
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success() && text.contains(r#"{"latency_ms":5}"#) && text.contains("2 processes x (warm-up 1, runs 2"), "{text}");
}
