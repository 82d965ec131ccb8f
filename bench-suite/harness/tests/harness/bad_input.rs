//! Each bad input gives a clear error that names what to fix, exit code 1, and no panic.

use crate::util::{Sandbox, stderr};

fn assert_clean_error(o: &std::process::Output, needles: &[&str]) {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(1), "stderr: {err}");
    assert!(!err.contains("panicked"), "panic: {err}");
    for n in needles {
        assert!(err.contains(n), "expected '{n}' in: {err}");
    }
}

#[test]
fn unknown_workload_lists_the_valid_ones() {
    let s = Sandbox::new();
    let o = s.run(&s.path("r.json"), &["--workload", "batch-reed"]);
    assert_clean_error(&o, &["unknown workload 'batch-reed'", "batch-read", "concurrent-query", "large-dataset"]);
}

#[test]
fn unknown_engine_lists_the_valid_ones() {
    let s = Sandbox::new();
    let o = s.run(&s.path("r.json"), &["--engine", "pandas"]);
    assert_clean_error(&o, &["unknown engine 'pandas'", "polars-eager", "polars-streaming"]);
}

#[test]
fn unwritable_output_path_is_refused_before_measuring() {
    let s = Sandbox::new();
    std::fs::write(s.path("file"), "x").unwrap();
    // A path below a regular file can never be created.
    let o = s.run(&s.path("file/r.json"), &["--workload", "batch-read", "--engine", "mock"]);
    assert_clean_error(&o, &["cannot write results to", "--out"]);
}

#[test]
fn missing_data_directory_is_named() {
    let s = Sandbox::new();
    let o = s.command().args(["run", "--suite", "smoke", "--data-dir"]).arg(s.path("nowhere")).output().unwrap();
    assert_clean_error(&o, &["data directory", "nowhere", "does not exist"]);
}

#[test]
fn a_file_that_is_not_parquet_is_refused() {
    let s = Sandbox::new();
    std::fs::write(s.path("trades.parquet"), "timestamp,symbol\n1,AAA\n").unwrap();
    let o = s.run(&s.path("r.json"), &["--input", s.path("trades.parquet").to_str().unwrap()]);
    assert_clean_error(&o, &["is not a Parquet file", "PAR1"]);
}

#[test]
fn parquet_with_the_wrong_schema_is_refused() {
    use polars::prelude::*;
    let s = Sandbox::new();
    let mut df = df!("symbol" => ["AAA"], "price" => ["not a number"]).unwrap();
    ParquetWriter::new(std::fs::File::create(s.path("odd.parquet")).unwrap()).finish(&mut df).unwrap();
    let o = s.run(&s.path("r.json"), &["--input", s.path("odd.parquet").to_str().unwrap()]);
    assert_clean_error(&o, &["wrong schema", "timestamp"]);
}

#[test]
fn resume_of_a_file_from_other_options_is_refused() {
    let s = Sandbox::new();
    let out = s.path("r.json");
    let o = s.run(&out, &["--workload", "batch-read", "--engine", "mock", "--runs", "2"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = s.run(&out, &["--workload", "batch-read", "--engine", "mock", "--runs", "3", "--resume"]);
    assert_clean_error(&o, &["cannot resume", "different options"]);
}
