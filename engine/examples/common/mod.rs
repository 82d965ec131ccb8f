//! Shared by the examples: writes a few small trade files to a temporary directory.

use std::path::PathBuf;

use polaroid::polars::prelude::*;

/// Writes `files` Parquet files of `rows` trades each and returns the directory (kept alive by the caller) and paths.
pub fn trade_files(files: usize, rows: usize) -> (tempfile::TempDir, Vec<String>) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let symbols = ["AAPL", "MSFT", "NVDA", "AMZN", "GOOG"];
    let paths = (0..files)
        .map(|f| {
            let path: PathBuf = dir.path().join(format!("part-{f:03}.parquet"));
            let mut df = df!(
                "trade_id" => (0..rows as i64).map(|i| i + (f * rows) as i64).collect::<Vec<_>>(),
                "symbol" => (0..rows).map(|i| symbols[(i * 7 + f) % symbols.len()]).collect::<Vec<_>>(),
                "price" => (0..rows).map(|i| 100.0 + ((i * 13 + f) % 50) as f64 / 10.0).collect::<Vec<_>>(),
                "quantity" => (0..rows).map(|i| 1 + (i % 100) as i64).collect::<Vec<_>>(),
            )
            .expect("columns of equal length");
            ParquetWriter::new(std::fs::File::create(&path).expect("a writable temp dir")).finish(&mut df).expect("writing Parquet");
            path.display().to_string()
        })
        .collect();
    (dir, paths)
}
