//! Calibration: the physical limits that matter for these workloads on this machine, so results can be read as a
//! fraction of what the hardware allows. Memory copy bandwidth (one thread), and Parquet decode throughput from
//! memory, single-threaded and with every core, for the dataset's codec. Decode runs in child processes because
//! Polars sizes its thread pool once per process, from `POLARS_MAX_THREADS`.
//!
//! Also here: dropping the page cache for cold-cache runs, verified rather than assumed.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use polars::prelude::*;

use polaroid_results::Calibration;

use crate::data::Dataset;
use crate::error::{Error, Result, io_err};

const MEMCPY_BYTES: usize = 256 << 20;
const PASSES: usize = 5;

/// Measures the machine's limits, decoding `dataset`'s files.
pub fn calibrate(binary: &Path, dataset: &Dataset) -> Result<Calibration> {
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    Ok(Calibration {
        memcpy_bytes_per_s: memcpy_bandwidth(),
        decode_single_thread_bytes_per_s: decode_in_child(binary, &dataset.files, 1)?,
        decode_all_cores_bytes_per_s: decode_in_child(binary, &dataset.files, cores)?,
        cores,
        compression: dataset.info.compression.clone(),
        dataset: dataset.info.name.clone(),
    })
}

/// Best of a few passes copying a buffer larger than any cache.
pub fn memcpy_bandwidth() -> f64 {
    let src = vec![1u8; MEMCPY_BYTES];
    let mut dst = vec![0u8; MEMCPY_BYTES];
    (0..PASSES)
        .map(|_| {
            let start = Instant::now();
            dst.copy_from_slice(&src);
            std::hint::black_box(&dst);
            MEMCPY_BYTES as f64 / start.elapsed().as_secs_f64()
        })
        .fold(0.0, f64::max)
}

fn decode_in_child(binary: &Path, files: &[PathBuf], threads: usize) -> Result<f64> {
    let job = crate::protocol::Job::CalibrateDecode { files: files.to_vec() };
    let child = crate::protocol::start(binary, &job, |cmd| {
        cmd.env("POLARS_MAX_THREADS", threads.to_string());
    }, |_| Ok(()))?;
    let output = child.wait_with_output().map_err(crate::error::system(format!("calibration process {}", binary.display())))?;
    let text = String::from_utf8_lossy(&output.stdout);
    text.trim().parse().map_err(|_| {
        Error::Companion { what: format!("calibration process failed: {}", String::from_utf8_lossy(&output.stderr).trim()), source: None }
    })
}

/// Child side of decode calibration: reads the files once (so they are in the page cache: decode, not disk, is
/// measured), then decodes them all, every column, a few more times with the same reader the engines use; returns
/// the best pass's throughput in compressed bytes per second.
///
/// Several strategies are tried and the fastest counts: files one after another with `ParquetReader`; Polars' lazy
/// multi-file scan with the in-memory and with the streaming engine; and, with more than one thread
/// (`POLARS_MAX_THREADS`), files spread over that many threads. A limit measured with `ParquetReader` alone was
/// beaten by lazy scans by half again; a limit that an engine can beat is not a limit.
pub fn decode_throughput(files: &[PathBuf]) -> Result<f64> {
    let bytes: u64 = files.iter().map(|f| Ok(std::fs::metadata(f).map_err(io_err("reading metadata of", f))?.len())).sum::<Result<u64>>()?;
    let threads: usize = std::env::var("POLARS_MAX_THREADS").ok().and_then(|t| t.parse().ok()).unwrap_or(1).max(1);
    let decode = |f: &PathBuf| -> Result<()> {
        let file = std::fs::File::open(f).map_err(io_err("opening", f))?;
        let df = ParquetReader::new(file).finish()?;
        std::hint::black_box(&df);
        Ok(())
    };
    let tables = by_schema(files)?;
    let mut best = 0.0f64;
    for pass in 0..=PASSES {
        let start = Instant::now();
        files.iter().try_for_each(decode)?;
        if pass > 0 {
            best = best.max(bytes as f64 / start.elapsed().as_secs_f64());
        }
        // Polars' own multi-file scan (in-memory and streaming engines) decodes faster than ParquetReader here; one
        // scan per table (files of one schema: a workload file's tables differ).
        for engine in [Engine::InMemory, Engine::Streaming] {
            let start = Instant::now();
            for table in &tables {
                let sources: Vec<PlRefPath> = table.iter().map(|f| PlRefPath::new(&f.display().to_string())).collect();
                let df = LazyFrame::scan_parquet_files(sources.into(), ScanArgsParquet::default())?.collect_with_engine(engine)?;
                std::hint::black_box(&df);
            }
            if pass > 0 {
                best = best.max(bytes as f64 / start.elapsed().as_secs_f64());
            }
        }
        if threads > 1 {
            let start = Instant::now();
            let chunk = files.len().div_ceil(threads).max(1);
            std::thread::scope(|scope| {
                let workers: Vec<_> = files.chunks(chunk).map(|part| scope.spawn(move || part.iter().try_for_each(decode))).collect();
                workers.into_iter().try_for_each(|w| w.join().expect("decode threads do not panic"))
            })?;
            if pass > 0 {
                best = best.max(bytes as f64 / start.elapsed().as_secs_f64());
            }
        }
    }
    Ok(best)
}

/// `files` grouped by their schema, in order of first appearance.
fn by_schema(files: &[PathBuf]) -> Result<Vec<Vec<PathBuf>>> {
    let mut groups: Vec<(String, Vec<PathBuf>)> = Vec::new();
    for f in files {
        let file = std::fs::File::open(f).map_err(io_err("opening", f))?;
        let schema = format!("{:?}", ParquetReader::new(file).schema()?);
        match groups.iter_mut().find(|(s, _)| *s == schema) {
            Some((_, group)) => group.push(f.clone()),
            None => groups.push((schema, vec![f.clone()])),
        }
    }
    Ok(groups.into_iter().map(|(_, g)| g).collect())
}

/// Drops the page cache and checks with `fincore` that none of `files` is still cached.
pub fn drop_page_cache(files: &[PathBuf]) -> Result<()> {
    let _ = Command::new("sync").status();
    std::fs::write("/proc/sys/vm/drop_caches", "3")
        .map_err(crate::error::system("--cold needs root to write /proc/sys/vm/drop_caches; run without --cold for a warm-cache run"))?;
    let output = Command::new("fincore")
        .args(["--bytes", "--noheadings", "--output", "RES"])
        .args(files)
        .output()
        .map_err(crate::error::system("--cold verifies the drop with fincore (util-linux), which cannot run"))?;
    let resident: u64 = String::from_utf8_lossy(&output.stdout).lines().filter_map(|l| l.trim().parse::<u64>().ok()).sum();
    if !output.status.success() || resident > 0 {
        return Err(Error::InvalidOption(format!(
            "the page cache drop was not verified: fincore reports {resident} bytes of the dataset still cached; run without --cold"
        )));
    }
    Ok(())
}
